# Framing header values (RFC 9112 section 6), included at the end of _http_parser.pyx (so
# compiled into it): Content-Length digits and the comma lists of Transfer-Encoding and
# Connection, read straight from the field bytes without building a Python list per element.

cdef long long _digits_value(bytes value) noexcept:
    """The value of 1 to 18 ASCII digits (checked by _all_digits)."""
    cdef const char *p = PyBytes_AS_STRING(value)
    cdef Py_ssize_t i
    cdef long long result = 0
    for i in range(PyBytes_GET_SIZE(value)):
        result = result * 10 + (p[i] - c'0')
    return result


cdef bint _all_digits(bytes value):
    cdef const char *p = PyBytes_AS_STRING(value)
    cdef Py_ssize_t n = PyBytes_GET_SIZE(value), i
    if n == 0 or n > MAX_CONTENT_LENGTH_DIGITS:
        return False
    for i in range(n):
        if not b'0' <= p[i] <= b'9':
            return False
    return True


cdef inline Py_ssize_t _element(const char *p, Py_ssize_t n, Py_ssize_t i,
                                Py_ssize_t *start, Py_ssize_t *end) noexcept:
    """One element of a comma list from byte i, OWS trimmed; returns where the next begins."""
    start[0] = i
    while i < n and p[i] != b',':
        i += 1
    end[0] = i
    while start[0] < end[0] and _is_ws(p[start[0]]):
        start[0] += 1
    while end[0] > start[0] and _is_ws(p[end[0] - 1]):
        end[0] -= 1
    return i + 1


cdef bint _has_token(list values, const char *token, Py_ssize_t size):
    """Whether comma lists spread over field values hold `token` (lowercase), ignoring case."""
    cdef bytes v
    cdef Py_ssize_t n, i, start, end
    for v in values:
        n = PyBytes_GET_SIZE(v)
        i = 0
        while i <= n:
            i = _element(PyBytes_AS_STRING(v), n, i, &start, &end)
            if end - start == size and _ieq(PyBytes_AS_STRING(v) + start, token, size):
                return True
    return False


cdef Py_ssize_t _chunked_codings(list values, bint *final) except -1:
    """How many elements of the joined Transfer-Encoding list are `chunked`, ignoring case
    (empty elements ignored); *final says whether the last element is."""
    cdef bytes v
    cdef Py_ssize_t n, i, start, end, count = 0
    final[0] = False
    for v in values:
        n = PyBytes_GET_SIZE(v)
        i = 0
        while i <= n:
            i = _element(PyBytes_AS_STRING(v), n, i, &start, &end)
            if end > start:
                final[0] = end - start == 7 and _ieq(PyBytes_AS_STRING(v) + start, b"chunked", 7)
                count += final[0]
    return count
