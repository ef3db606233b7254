# Chunked body framing (RFC 9112 section 7.1), included at the end of _http_parser.pyx (so
# compiled into it): the chunk-size line and its extensions, the one part of a chunked body with
# a grammar of its own.
# The chunk data and the CRLF after it stay in the feed loop, on the hot path they share with a
# Content-Length body, and trailer lines go through the header field reader.
# _chunk_size_line takes the parser as an argument because an include cannot sit in a class
# body; a direct call costs no more than the method's vtable call did.

# Limits from the shared rulebook, read once.
cdef Py_ssize_t MAX_CHUNK_SIZE_DIGITS = rules.MAX_CHUNK_SIZE_DIGITS
cdef unsigned long long MAX_CHUNK_SIZE = rules.MAX_CHUNK_SIZE


cdef inline Py_ssize_t _chunk_size_fast(HttpResponseParser self, const char *p,
                                        Py_ssize_t n) noexcept:
    """The usual size line (1 to 15 hex digits, a size above 0, CRLF) straight from the input.

    Returns the bytes taken, or 0 to leave the line to _read_line and _chunk_size_line: with no
    extension, at most 15 digits and a size above 0 none of their checks can fail, so the
    outcome is theirs, minus a memchr and two calls per chunk.
    """
    cdef Py_ssize_t i = 0, end = min(n, MAX_CHUNK_SIZE_DIGITS - 1)
    cdef unsigned long long size = 0
    cdef signed char v
    while i < end:
        v = HEXVAL[<unsigned char>p[i]]
        if v < 0:
            break
        size = (size << 4) | <unsigned long long>v
        i += 1
    if (size == 0 or i > self._max_line_size or n - i < 2 or p[i] != b'\r'
            or p[i + 1] != b'\n'):
        return 0
    self._remaining = size
    self._state = S_CHUNK_DATA
    return i + 2


cdef int _chunk_size_line(HttpResponseParser self, const char *p, Py_ssize_t n) except -1:
    """chunk-size [ chunk-ext ]"""
    cdef Py_ssize_t i = 0
    cdef unsigned long long size = 0
    cdef signed char v
    while i < n:
        v = HEXVAL[<unsigned char>p[i]]
        if v < 0:
            break
        if i < 16:
            size = (size << 4) | <unsigned long long>v
        i += 1
    if i == 0:
        return self._line_error(p, n, L_CHUNK_SIZE, TransferEncodingError(
            rules.bad_chunk_size(p[:n])))
    if i > MAX_CHUNK_SIZE_DIGITS or size > MAX_CHUNK_SIZE:
        return self._line_error(p, n, L_CHUNK_SIZE, TransferEncodingError(
            rules.chunk_size_too_large(p[:i])))
    if i < n and not _valid_chunk_ext(p + i, n - i):
        return self._line_error(p, n, L_CHUNK_SIZE, TransferEncodingError(
            rules.bad_chunk_ext(p[i:n])))
    if size == 0:
        self._n_fields = 0
        self._field_len = -1
        self._state = S_TRAILERS
    else:
        self._remaining = size
        self._state = S_CHUNK_DATA
    return 0


cdef inline Py_ssize_t _skip_ws(const char *p, Py_ssize_t i, Py_ssize_t n) noexcept:
    while i < n and _is_ws(p[i]):
        i += 1
    return i


cdef inline Py_ssize_t _skip_token(const char *p, Py_ssize_t i, Py_ssize_t n) noexcept:
    while i < n and TCHAR[<unsigned char>p[i]]:
        i += 1
    return i


cdef bint _valid_chunk_ext(const char *p, Py_ssize_t n) noexcept:
    """chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-value ] )"""
    cdef Py_ssize_t i = 0, j
    cdef unsigned char c
    while i < n:
        i = _skip_ws(p, i, n)
        if i == n or p[i] != b';':
            return False
        i = _skip_ws(p, i + 1, n)
        j = _skip_token(p, i, n)
        if j == i:
            return False
        i = _skip_ws(p, j, n)
        if i == n or p[i] != b'=':
            i = j       # no value; any BWS belongs to the next extension
            continue
        i = _skip_ws(p, i + 1, n)
        if i < n and p[i] == b'"':
            i += 1
            while True:     # quoted-string
                if i == n:
                    return False
                c = <unsigned char>p[i]
                if c == b'"':
                    i += 1
                    break
                if c == b'\\':
                    i += 1
                    if i == n or not FIELD_OK[<unsigned char>p[i]]:
                        return False
                elif not FIELD_OK[c]:
                    return False
                i += 1
        else:
            j = _skip_token(p, i, n)
            if j == i:
                return False
            i = j
    return True
