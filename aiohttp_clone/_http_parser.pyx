# cython: language_level=3
"""C twin of the HTTP/1.1 response parser. The rules it follows are in docs/PARSER.md.

The common case (a whole head in one feed) is parsed straight from the caller's buffer; only a
line split across feeds is copied, into one grow-only C buffer. Python objects are built only for
what is returned, and well-known header names are interned. Byte classes, interned names and
every error message come from ``_http/rules.py``, shared with the pure-Python twin.

Three self-contained parts live in their own files: the header-name cache
(``_http_parser_names.pxi``), the framing header values (``_http_parser_framing.pxi``) and the
chunk-size line (``_http_parser_chunked.pxi``). They are included, not imported, so they compile
into this one module and every call stays a C call.
"""

from cpython.buffer cimport (
    PyBUF_SIMPLE,
    PyBuffer_Release,
    PyObject_CheckBuffer,
    PyObject_GetBuffer,
)
from cpython.bytes cimport (
    PyBytes_AS_STRING,
    PyBytes_CheckExact,
    PyBytes_FromStringAndSize,
    PyBytes_GET_SIZE,
)
from cpython.list cimport PyList_Append
from cpython.object cimport PyObject, PyTypeObject
from cpython.ref cimport Py_DECREF, Py_INCREF
from cpython.tuple cimport PyTuple_SET_ITEM
from cpython.unicode cimport PyUnicode_DecodeUTF8
from libc.stdint cimport uint64_t
from libc.stdlib cimport free, realloc
from libc.string cimport memchr, memcmp, memcpy

from multidict import CIMultiDict, CIMultiDictProxy, istr

from ._http import rules
from ._http.errors import (
    BadHttpMessage,
    HttpProcessingError,
    BadStatusLine,
    ContentLengthError,
    InvalidHeader,
    LineTooLong,
    TransferEncodingError,
)
from ._http.messages import (
    END_OF_CHUNK,
    END_OF_MESSAGE,
    HttpVersion,
    HttpVersion10,
    HttpVersion11,
    RawResponseMessage,
)


cdef extern from "Python.h":
    object PyUnicode_New(Py_ssize_t size, Py_UCS4 maxchar)
    void *PyUnicode_DATA(object o)
    object PyType_GenericAlloc(PyTypeObject *t, Py_ssize_t nitems)


cdef enum State:
    S_STATUS        # before or inside a status line
    S_HEADERS       # header field lines
    S_BODY_LENGTH   # Content-Length body
    S_BODY_EOF      # close-delimited body
    S_CHUNK_SIZE    # chunk-size line
    S_CHUNK_DATA
    S_CHUNK_CR      # the CRLF after chunk data
    S_CHUNK_LF
    S_TRAILERS
    S_UPGRADED
    S_CLOSED        # after feed_eof


cdef enum Kind:
    # What the framing logic needs to know about a header name.
    K_OTHER
    K_CONTENT_LENGTH
    K_TRANSFER_ENCODING
    K_CONNECTION
    K_CONTENT_ENCODING


cdef enum LineKind:
    # Which reader a line belongs to; indexes _WHERE and _WHAT.
    L_STATUS
    L_HEADER
    L_CHUNK_SIZE
    L_TRAILER


_WHERE = (rules.WHERE_STATUS_LINE, rules.WHERE_HEADERS, rules.WHERE_CHUNK_SIZE,
          rules.WHERE_TRAILERS)
_WHAT = (rules.WHAT_STATUS_LINE, rules.WHAT_HEADER, rules.WHAT_CHUNK_SIZE, rules.WHAT_TRAILER)


# Byte classes from the shared rulebook, as C tables.
cdef unsigned char TCHAR[256]
cdef unsigned char FIELD_OK[256]    # HTAB / SP / VCHAR / obs-text
cdef signed char HEXVAL[256]        # hex digit value, or -1


cdef void _init_tables():
    cdef int c
    for c in range(256):
        TCHAR[c] = 0
        FIELD_OK[c] = 0
        HEXVAL[c] = -1
    for c in rules.TCHAR:
        TCHAR[c] = 1
    for c in rules.FIELD_VALUE_BYTES:
        FIELD_OK[c] = 1
    for c in rules.HEXDIG:
        HEXVAL[c] = int(chr(c), 16)


_init_tables()

# Limits from the shared rulebook, read once.
cdef Py_ssize_t MAX_CONTENT_LENGTH_DIGITS = rules.MAX_CONTENT_LENGTH_DIGITS


cdef inline bint _ieq(const char *p, const char *lower, Py_ssize_t n) noexcept:
    """p equals the lowercase ASCII `lower`, ignoring ASCII case."""
    cdef Py_ssize_t i
    cdef unsigned char c
    for i in range(n):
        c = <unsigned char>p[i]
        if b'A' <= c <= b'Z':
            c += 32
        if c != <unsigned char>lower[i]:
            return False
    return True


cdef int _kind_of(const char *p, Py_ssize_t n) noexcept:
    """The framing role of a header name, compared case-insensitively."""
    if n == 14 and _ieq(p, b"content-length", 14):
        return K_CONTENT_LENGTH
    if n == 17 and _ieq(p, b"transfer-encoding", 17):
        return K_TRANSFER_ENCODING
    if n == 10 and _ieq(p, b"connection", 10):
        return K_CONNECTION
    if n == 16 and _ieq(p, b"content-encoding", 16):
        return K_CONTENT_ENCODING
    return K_OTHER


include "_http_parser_names.pxi"


# Module globals read on every message, bound once.
cdef object _REASON_OK = "OK"
cdef object _EOM = END_OF_MESSAGE
cdef object _EOC = END_OF_CHUNK
cdef object _V10 = HttpVersion10
cdef object _V11 = HttpVersion11
cdef object _CIMultiDict = CIMultiDict
cdef object _CIMultiDictProxy = CIMultiDictProxy
cdef PyTypeObject *_MESSAGE_TYPE = <PyTypeObject *>RawResponseMessage


cdef inline object _decode(const char *p, Py_ssize_t n, bint ascii):
    """Validated field text to str: a plain copy when ASCII, else UTF-8 with surrogateescape."""
    cdef object s
    if ascii:
        s = PyUnicode_New(n, 127)
        memcpy(PyUnicode_DATA(s), p, n)
        return s
    return PyUnicode_DecodeUTF8(p, n, "surrogateescape")


cdef inline Py_ssize_t _check_text(const char *p, Py_ssize_t n, bint *ascii) noexcept:
    """Index of the first byte that is not HTAB/SP/VCHAR/obs-text, or -1; sets *ascii.

    Eight bytes at a time: a word with no byte below 0x20 and none equal to 0x7F is all valid
    (HTAB is below 0x20, so a word holding one is checked byte by byte).
    """
    cdef Py_ssize_t i = 0
    cdef uint64_t w, y, high = 0
    cdef unsigned char c
    while i + 8 <= n:
        memcpy(&w, p + i, 8)
        y = w ^ 0x7F7F7F7F7F7F7F7FULL
        if ((w - 0x2020202020202020ULL) & ~w & 0x8080808080808080ULL) or (
                (y - 0x0101010101010101ULL) & ~y & 0x8080808080808080ULL):
            break
        high |= w
        i += 8
    while i < n:
        c = <unsigned char>p[i]
        if not FIELD_OK[c]:
            return i
        high |= c
        i += 1
    ascii[0] = (high & 0x8080808080808080ULL) == 0
    return -1


cdef inline bint _is_ws(char c) noexcept:
    return c == b' ' or c == b'\t'


cdef inline void _set(object tup, Py_ssize_t i, object value):
    Py_INCREF(value)        # PyTuple_SET_ITEM steals a reference
    PyTuple_SET_ITEM(tup, i, value)


cdef class HttpResponseParser:
    """Sans-I/O HTTP/1.1 response parser: bytes in, events out (see docs/PARSER.md)."""

    cdef:
        Py_ssize_t _max_line_size
        Py_ssize_t _max_field_size
        Py_ssize_t _max_headers
        bint _read_until_eof
        State _state
        object _error
        bint _head_request
        bint _connect_request
        # A line split across feeds; its bytes stay valid until the next append.
        char *_buf
        Py_ssize_t _buf_len
        Py_ssize_t _buf_cap
        # The head being parsed.
        object _version
        int _code
        object _reason
        list _headers
        list _raw_headers
        list _framing           # per Kind, the values of the fields that decide the framing
        int _last_kind          # Kind of the last field, which an obs-fold may still change
        Py_ssize_t _n_fields    # fields in the header or trailer section so far
        Py_ssize_t _field_len   # length of the last field (CRLFs included), -1 if none
        bytes _field_name       # name of the last trailer field, for error messages
        bytes _fold             # the last field's value with its obs-folds replaced, unstripped
        # The body.
        unsigned long long _length
        unsigned long long _remaining
        bint _upgraded
        bytearray _tail         # grows in place: feeds after an upgrade may be many

    def __cinit__(self):
        self._buf = NULL
        self._buf_len = 0
        self._buf_cap = 0

    def __dealloc__(self):
        free(self._buf)

    def __init__(self, max_line_size=8190, max_field_size=8190, max_headers=128,
                 read_until_eof=True):
        self._max_line_size = max_line_size
        self._max_field_size = max_field_size
        self._max_headers = max_headers
        self._read_until_eof = read_until_eof
        self._state = S_STATUS
        self._error = None
        self._head_request = False
        self._connect_request = False
        self._upgraded = False
        self._tail = bytearray()
        self._field_len = -1

    def set_request_method(self, str method):
        """The method of the request whose responses are parsed from now on."""
        self._head_request = method == "HEAD"
        self._connect_request = method == "CONNECT"

    @property
    def upgraded(self):
        return self._upgraded

    @property
    def tail(self):
        return bytes(self._tail)

    @property
    def held_bytes(self):
        return self._buf_len

    @property
    def idle(self):
        """True between responses with no byte of a next one received (see docs/PARSER.md)."""
        return self._error is None and self._state == S_STATUS and self._buf_len == 0

    def feed_data(self, data):
        """Parses `data` (bytes, bytearray or memoryview); returns the events it completes."""
        cdef Py_buffer view
        cdef list events
        if self._error is not None:
            self._raise_again()
        if self._state == S_CLOSED:
            self._fail(BadHttpMessage(rules.DATA_AFTER_EOF))
        if self._state == S_UPGRADED:
            self._tail += data
            return []
        events = []
        try:
            if PyBytes_CheckExact(data):
                self._feed(PyBytes_AS_STRING(data), PyBytes_GET_SIZE(data), data, events)
            elif not PyObject_CheckBuffer(data) or (
                    isinstance(data, memoryview) and not data.c_contiguous):
                data = bytes(data)      # what the Python twin accepts, e.g. a strided memoryview
                self._feed(PyBytes_AS_STRING(data), PyBytes_GET_SIZE(data), None, events)
            else:
                PyObject_GetBuffer(data, &view, PyBUF_SIMPLE)
                try:
                    self._feed(<const char *>view.buf, view.len, None, events)
                finally:
                    PyBuffer_Release(&view)
        except HttpProcessingError as exc:
            exc.events = events     # what completed before the error, e.g. a head
            raise
        return events

    def feed_eof(self):
        """The peer closed its side: ends a close-delimited body or reports what was cut short."""
        cdef State state = self._state
        if self._error is not None:
            self._raise_again()
        self._state = S_CLOSED
        if state == S_BODY_EOF:
            return [_EOM]
        if (state == S_STATUS and self._buf_len == 0) or state == S_UPGRADED or state == S_CLOSED:
            return []
        if state == S_STATUS or state == S_HEADERS:
            self._fail(BadHttpMessage(rules.EOF_IN_HEAD))
        if state == S_BODY_LENGTH:
            self._fail(ContentLengthError(rules.eof_in_length_body(
                self._length - self._remaining, self._length)))
        self._fail(TransferEncodingError(rules.EOF_IN_CHUNKED))

    # -- errors (cold) ------------------------------------------------------------------------

    cdef int _raise_again(self) except -1:
        """A fresh instance, so re-raising does not pile tracebacks onto the first one."""
        raise type(self._error)(self._error.message)

    cdef int _fail(self, exc) except -1:
        """Breaks the parser: this and every later call raise `exc`."""
        self._error = exc
        raise exc

    cdef int _line_error(self, const char *p, Py_ssize_t n, LineKind kind, exc) except -1:
        """Fails with `exc`, unless the line holds a bare CR, which is reported first."""
        if memchr(p, b'\r', n) != NULL:
            exc = BadHttpMessage(rules.bare_cr(_WHERE[kind]))
        return self._fail(exc)

    # -- the feed loop ------------------------------------------------------------------------

    cdef list _feed(self, const char *data, Py_ssize_t n, object whole, list events):
        cdef Py_ssize_t pos = 0, k
        cdef const char *line = NULL
        cdef State state
        while pos < n:
            state = self._state
            if state == S_BODY_LENGTH or state == S_CHUNK_DATA:
                k = n - pos
                if <unsigned long long>k >= self._remaining:
                    k = <Py_ssize_t>self._remaining
                if k == n and whole is not None:
                    PyList_Append(events, whole)     # the caller's own bytes object: no copy
                else:
                    PyList_Append(events, PyBytes_FromStringAndSize(data + pos, k))
                pos += k
                self._remaining -= k
                if self._remaining == 0:
                    if state == S_CHUNK_DATA:
                        # The usual CRLF is taken here rather than byte by byte below.
                        if n - pos >= 2 and data[pos] == c'\r' and data[pos + 1] == c'\n':
                            pos += 2
                            PyList_Append(events, _EOC)
                            self._state = S_CHUNK_SIZE
                        else:
                            self._state = S_CHUNK_CR
                    else:
                        PyList_Append(events, _EOM)
                        self._state = S_STATUS
            elif state == S_BODY_EOF:
                PyList_Append(events, whole if pos == 0 and whole is not None
                              else PyBytes_FromStringAndSize(data + pos, n - pos))
                pos = n
            elif state == S_STATUS:
                k = self._read_line(data, n, &pos, &line, self._max_line_size, L_STATUS)
                if k < 0:
                    break
                self._status_line(line, k)
            elif state == S_HEADERS or state == S_TRAILERS:
                k = self._read_line(data, n, &pos, &line, self._field_limit(data, n, pos),
                                    L_HEADER if state == S_HEADERS else L_TRAILER)
                if k < 0:
                    break
                if k > 0:
                    self._field_line(line, k, state == S_HEADERS)
                elif state == S_TRAILERS:
                    PyList_Append(events, _EOC)     # the last chunk ends with its trailers
                    PyList_Append(events, _EOM)
                    self._state = S_STATUS
                elif self._end_of_head(events):
                    self._tail += data[pos:n]
                    break
            elif state == S_CHUNK_SIZE:
                if self._buf_len == 0:
                    k = _chunk_size_fast(self, data + pos, n - pos)
                    if k:
                        pos += k
                        continue
                k = self._read_line(data, n, &pos, &line, self._max_line_size, L_CHUNK_SIZE)
                if k < 0:
                    break
                _chunk_size_line(self, line, k)
            elif state == S_CHUNK_CR or state == S_CHUNK_LF:
                if data[pos] != (c'\r' if state == S_CHUNK_CR else c'\n'):
                    self._fail(TransferEncodingError(rules.missing_chunk_crlf(
                        <unsigned char>data[pos])))
                pos += 1
                if state == S_CHUNK_CR:
                    self._state = S_CHUNK_LF
                else:
                    PyList_Append(events, _EOC)     # a chunk ends with its CRLF, as in llhttp
                    self._state = S_CHUNK_SIZE
            else:   # upgraded: feed_data handles it before parsing
                break
        return events

    cdef inline Py_ssize_t _field_limit(self, const char *data, Py_ssize_t n, Py_ssize_t pos):
        """The length limit of the next field line: what a folded field has left, if it folds."""
        cdef char first
        if self._field_len < 0:
            return self._max_field_size
        if self._buf_len:
            first = self._buf[0]
        elif pos < n:
            first = data[pos]
        else:
            return self._max_field_size
        if _is_ws(first):
            return self._max_field_size - self._field_len - 2
        return self._max_field_size

    cdef Py_ssize_t _read_line(self, const char *data, Py_ssize_t n, Py_ssize_t *pos,
                               const char **line, Py_ssize_t limit, LineKind kind) except -2:
        """The next complete line's length (CRLF stripped; *line points at it), or -1.

        -1 means the data ran out: the partial line is kept in the buffer. Only bytes after
        `pos` are searched, and a line longer than `limit` fails as soon as that many bytes are
        in hand, so nothing past the limit is ever buffered.
        """
        cdef Py_ssize_t start = pos[0], end, size
        cdef const char *lf = <const char *>memchr(data + start, b'\n', n - start)
        cdef const char *p
        if lf == NULL:
            size = self._buf_len + n - start
            if data[n - 1] == b'\r':
                size -= 1       # may be the CR of the CRLF
            if size > limit:
                self._too_long(kind)
            self._append(data + start, n - start)
            pos[0] = n
            return -1
        end = lf - data
        pos[0] = end + 1
        if self._buf_len:
            self._append(data + start, end - start)
            p = self._buf
            size = self._buf_len
            self._buf_len = 0
        else:
            p = data + start
            size = end - start
        if size and p[size - 1] == b'\r':
            size -= 1
            if size > limit:
                self._too_long(kind)
        else:
            if size > limit:
                self._too_long(kind)
            self._fail(BadHttpMessage(rules.bare_lf(_WHERE[kind])))
        line[0] = p
        return size

    cdef int _too_long(self, LineKind kind) except -1:
        cdef Py_ssize_t limit = self._max_field_size
        if kind == L_STATUS or kind == L_CHUNK_SIZE:
            limit = self._max_line_size
        return self._fail(LineTooLong(rules.line_too_long(limit, _WHAT[kind])))

    cdef int _append(self, const char *p, Py_ssize_t n) except -1:
        cdef Py_ssize_t need = self._buf_len + n, cap
        cdef char *grown
        if need > self._buf_cap:
            cap = max(need, 2 * self._buf_cap, 256)
            grown = <char *>realloc(self._buf, cap)
            if grown == NULL:
                raise MemoryError()
            self._buf = grown
            self._buf_cap = cap
        memcpy(self._buf + self._buf_len, p, n)
        self._buf_len = need
        return 0

    # -- the head -----------------------------------------------------------------------------

    cdef int _status_line(self, const char *p, Py_ssize_t n) except -1:
        """HTTP-version SP status-code [ SP reason-phrase ]"""
        cdef Py_ssize_t bad
        cdef bint ascii = True
        if (n < 8 or memcmp(p, b"HTTP/", 5) != 0 or not b'0' <= p[5] <= b'9' or p[6] != b'.'
                or not b'0' <= p[7] <= b'9' or (n > 8 and p[8] != b' ')):
            return self._line_error(p, n, L_STATUS, BadStatusLine(rules.bad_version(p[:n])))
        if p[5] != b'1':
            return self._line_error(p, n, L_STATUS, BadStatusLine(rules.unsupported_version(
                p[5] - c'0', p[7] - c'0')))
        if (n < 12 or not b'1' <= p[9] <= b'9' or not b'0' <= p[10] <= b'9'
                or not b'0' <= p[11] <= b'9' or (n > 12 and p[12] != b' ')):
            return self._line_error(p, n, L_STATUS, BadStatusLine(rules.bad_status_code(p[:n])))
        if p[7] == b'1':
            self._version = _V11
        elif p[7] == b'0':
            self._version = _V10
        else:
            self._version = HttpVersion(1, p[7] - c'0')
        self._code = (p[9] - c'0') * 100 + (p[10] - c'0') * 10 + (p[11] - c'0')
        if n <= 13:
            self._reason = ""
        elif n == 15 and p[13] == b'O' and p[14] == b'K':
            self._reason = _REASON_OK
        else:
            bad = _check_text(p + 13, n - 13, &ascii)
            if bad >= 0:
                return self._line_error(p, n, L_STATUS, BadStatusLine(rules.bad_reason_char(
                    <unsigned char>p[13 + bad])))
            self._reason = _decode(p + 13, n - 13, ascii)
        # Both lists are copied into the message, so they are reused from one head to the next.
        if self._headers is None:
            self._headers = []
            self._raw_headers = []
        self._framing = None
        self._last_kind = K_OTHER
        self._n_fields = 0
        self._field_len = -1
        self._state = S_HEADERS
        return 0

    cdef int _field_line(self, const char *p, Py_ssize_t n, bint store) except -1:
        """One header (store) or trailer line: a new field, or an obs-fold continuation."""
        cdef Py_ssize_t i = 0, start, end, size, bad
        cdef bint ascii = True
        cdef Entry *e
        cdef object pair_s, pair_b, value_b, value_s
        cdef int kind
        if _is_ws(p[0]):
            return self._continuation(p, n, store)
        while i < n and TCHAR[<unsigned char>p[i]]:
            i += 1
        if i == 0 or i == n or p[i] != b':':
            return self._bad_name(p, n, i, store)
        start = i + 1
        end = n
        while start < end and _is_ws(p[start]):
            start += 1
        while end > start and _is_ws(p[end - 1]):
            end -= 1
        size = end - start
        bad = _check_text(p + start, size, &ascii)
        if bad >= 0:
            return self._line_error(p, n, L_HEADER if store else L_TRAILER, InvalidHeader(
                rules.bad_value_char(_kind_name(store), <unsigned char>p[start + bad], p[:i])))
        self._n_fields += 1
        if self._n_fields > self._max_headers:
            return self._fail(BadHttpMessage(rules.too_many_fields(
                _kind_name(store), self._max_headers)))
        self._field_len = n
        self._fold = None
        if not store:
            self._field_name = p[:i]
            return 0
        if i <= MAX_CACHED:
            e = _entry(p, i)
            kind = e.kind
            if (e.value_b != NULL and PyBytes_GET_SIZE(<object>e.value_b) == size
                    and memcmp(PyBytes_AS_STRING(<object>e.value_b), p + start, size) == 0):
                pair_s = <object>e.pair_s
                pair_b = <object>e.pair_b
            else:
                value_b = PyBytes_FromStringAndSize(p + start, size)
                value_s = _decode(p + start, size, ascii)
                pair_s = (<object>e.name_s, value_s)
                pair_b = (<object>e.name_b, value_b)
                if size <= MAX_CACHED:
                    _keep_value(e, value_b, value_s, pair_s, pair_b)
        else:
            kind = _kind_of(p, i)
            pair_s = (_decode(p, i, True), _decode(p + start, size, ascii))
            pair_b = (PyBytes_FromStringAndSize(p, i), PyBytes_FromStringAndSize(p + start, size))
        self._last_kind = kind
        if kind != K_OTHER:
            if self._framing is None:
                self._framing = [None, None, None, None, None]
            values = self._framing[kind]
            if values is None:
                self._framing[kind] = [pair_b[1]]
            else:
                values.append(pair_b[1])
        PyList_Append(self._headers, pair_s)
        PyList_Append(self._raw_headers, pair_b)
        return 0

    cdef int _bad_name(self, const char *p, Py_ssize_t n, Py_ssize_t i, bint store) except -1:
        """The field name ends at byte i without a colon there: say what is wrong (cold)."""
        cdef const char *colon = <const char *>memchr(p, b':', n)
        cdef LineKind where = L_HEADER if store else L_TRAILER
        kind = _kind_name(store)
        if colon == NULL:
            msg = rules.no_colon(kind, p[:n])
        elif colon == p:
            msg = rules.empty_name(kind)
        else:
            msg = rules.bad_name_char(kind, <unsigned char>p[i], p[:colon - p])
        return self._line_error(p, n, where, InvalidHeader(msg))

    cdef int _continuation(self, const char *p, Py_ssize_t n, bint store) except -1:
        """obs-fold: the line continues the previous field, joined to it by one SP (cold)."""
        cdef Py_ssize_t start = 0, end = n, bad, last
        cdef bint ascii = True
        cdef bytes value
        cdef LineKind where = L_HEADER if store else L_TRAILER
        if self._field_len < 0:
            return self._line_error(p, n, where, BadHttpMessage(rules.fold_without_field(
                _kind_name(store))))
        while start < end and _is_ws(p[start]):
            start += 1
        while end > start and _is_ws(p[end - 1]):
            end -= 1
        bad = _check_text(p + start, end - start, &ascii)
        if bad >= 0:
            name = self._raw_headers[len(self._raw_headers) - 1][0] if store else self._field_name
            return self._line_error(p, n, where, InvalidHeader(rules.bad_value_char(
                _kind_name(store), <unsigned char>p[start + bad], name)))
        self._field_len += 2 + n
        if not store:
            return 0
        last = len(self._raw_headers) - 1
        if self._fold is None:
            self._fold = self._raw_headers[last][1]
        self._fold = self._fold + b" " + p[start:end]
        value = self._fold.strip(rules.OWS)
        self._headers[last] = (self._headers[last][0], value.decode("utf-8", "surrogateescape"))
        self._raw_headers[last] = (self._raw_headers[last][0], value)
        if self._last_kind != K_OTHER:
            values = self._framing[self._last_kind]
            values[len(values) - 1] = value
        return 0

    cdef bint _end_of_head(self, list events) except -1:
        """Decides the framing (RFC 9112 section 6) and emits the message; True on upgrade."""
        cdef int code = self._code
        cdef bint chunked = False, close_delimited = False, no_body, upgrade, should_close
        cdef object content_length = None, compression = None
        cdef list te = None, cl = None, conn = None, ce = None
        cdef long long length = -1
        if self._framing is not None:
            te = self._framing[K_TRANSFER_ENCODING]
            cl = self._framing[K_CONTENT_LENGTH]
            conn = self._framing[K_CONNECTION]
            ce = self._framing[K_CONTENT_ENCODING]
        if te is not None:
            if cl is not None:
                self._fail(BadHttpMessage(rules.TE_AND_CL))
            if self._version is _V10:
                self._fail(BadHttpMessage(rules.TE_IN_HTTP10))
            # RFC 9112 section 6.3 rule 4: chunked framing only when chunked is the final
            # coding; any other list makes the body close-delimited (below).
            if _chunked_codings(te, &chunked) > 1:
                self._fail(TransferEncodingError(rules.te_chunked_twice(b", ".join(te))))
        elif cl is not None:
            length = self._content_length(cl)
            content_length = length
        upgrade = code == 101 or (self._connect_request and 200 <= code < 300)
        no_body = self._head_request or code < 200 or code == 204 or code == 304 or upgrade
        if no_body:
            chunked = False
        elif not chunked and length < 0:
            close_delimited = True      # should_close even when read_until_eof is off
        if ce is not None and len(ce) == 1:
            compression = rules.COMPRESSIONS.get(ce[0].lower())
        should_close = close_delimited or (conn is not None and _has_token(conn, b"close", 5))
        if not should_close and self._version is _V10:
            should_close = conn is None or not _has_token(conn, b"keep-alive", 10)

        # The NamedTuple's __new__ is Python code: fill an instance of the type directly.
        msg = PyType_GenericAlloc(_MESSAGE_TYPE, 10)
        _set(msg, 0, self._version)
        _set(msg, 1, code)
        _set(msg, 2, self._reason)
        _set(msg, 3, _CIMultiDictProxy(_CIMultiDict(self._headers)))
        _set(msg, 4, tuple(self._raw_headers))
        _set(msg, 5, should_close)
        _set(msg, 6, compression)
        _set(msg, 7, upgrade)
        _set(msg, 8, chunked)
        _set(msg, 9, content_length)
        PyList_Append(events, msg)
        del self._headers[:]
        del self._raw_headers[:]
        self._framing = None

        if upgrade:
            PyList_Append(events, _EOM)
            self._upgraded = True
            self._state = S_UPGRADED
            return True
        if chunked:
            self._state = S_CHUNK_SIZE
        elif close_delimited and self._read_until_eof:
            self._state = S_BODY_EOF
        elif no_body or length <= 0:
            PyList_Append(events, _EOM)
            self._state = S_STATUS
        else:
            self._length = self._remaining = length
            self._state = S_BODY_LENGTH
        return False

    cdef long long _content_length(self, list values) except -2:
        """Every line 1*DIGIT of at most 18 digits, all identical."""
        cdef bytes first = values[0]
        cdef bytes value
        for value in values:
            if not _all_digits(value):
                self._fail(InvalidHeader(rules.bad_content_length(value)))
            if value != first:
                self._fail(InvalidHeader(rules.conflicting_content_length(first, value)))
        return _digits_value(first)


cdef inline str _kind_name(bint store):
    return "header" if store else "trailer"


include "_http_parser_framing.pxi"
include "_http_parser_chunked.pxi"
