"""The pure-Python twin of the HTTP/1.1 response parser (the reference for the C twin).

Sans-I/O: bytes in, events out. The rules, their order and every message are fixed by
``docs/PARSER.md`` and ``rules.py``; the C twin must behave identically.

How it stays linear: ``_buf`` only ever holds the start of one unterminated line (never more
than the line limit plus a CR). Each new input is searched for LF once, from where parsing
stands, so no byte is scanned twice; body bytes are sliced straight out of the input (or the
input object itself is handed on when all of it is body).
"""

from typing import NoReturn

from multidict import CIMultiDict, CIMultiDictProxy

from . import rules as R
from .errors import (
    BadHttpMessage,
    BadStatusLine,
    ContentLengthError,
    HttpProcessingError,
    InvalidHeader,
    LineTooLong,
    TransferEncodingError,
)
from .messages import (
    END_OF_CHUNK,
    END_OF_MESSAGE,
    HttpVersion,
    HttpVersion10,
    HttpVersion11,
    RawResponseMessage,
)

# Reader states. A line state's reader is fed whole lines; the others consume raw bytes.
_STATUS = 0  # status line (or between messages)
_HEADERS = 1  # header field lines, until the empty line
_BODY_LENGTH = 2  # Content-Length body: _remaining bytes left
_BODY_EOF = 3  # close-delimited body: everything until feed_eof
_CHUNK_SIZE = 4  # chunk-size [ chunk-ext ] CRLF
_CHUNK_DATA = 5  # chunk-data: _remaining bytes left
_CHUNK_CR = 6  # the CR after chunk-data
_CHUNK_LF = 7  # the LF after chunk-data
_TRAILERS = 8  # trailer field lines, until the empty line
_UPGRADED = 9  # everything goes to tail
_CLOSED = 10  # feed_eof() was called

_LINE_STATES = frozenset((_STATUS, _HEADERS, _CHUNK_SIZE, _TRAILERS))
_FIELD_STATES = frozenset((_HEADERS, _TRAILERS))
_WHERE = {
    _STATUS: R.WHERE_STATUS_LINE,
    _HEADERS: R.WHERE_HEADERS,
    _CHUNK_SIZE: R.WHERE_CHUNK_SIZE,
    _TRAILERS: R.WHERE_TRAILERS,
}
_WHAT = {
    _STATUS: R.WHAT_STATUS_LINE,
    _HEADERS: R.WHAT_HEADER,
    _CHUNK_SIZE: R.WHAT_CHUNK_SIZE,
    _TRAILERS: R.WHAT_TRAILER,
}

_SP_HTAB = frozenset(R.OWS)
_VERSIONS = {0: HttpVersion10, 1: HttpVersion11}
_FRAMING_NAMES = frozenset(
    (b"transfer-encoding", b"content-length", b"connection", b"content-encoding")
)
_FRAMING_NAME_LENGTHS = frozenset(len(name) for name in _FRAMING_NAMES)
_CR = 0x0D
_NAMES: dict[bytes, str] = {}
for _name in R.COMMON_HEADER_NAMES:
    _NAMES[_name.encode("ascii")] = _name
    _NAMES[_name.lower().encode("ascii")] = _name.lower()
del _name


class HttpResponseParser:
    """Parses a stream of HTTP/1.1 responses into heads, body bytes, END_OF_CHUNK and
    END_OF_MESSAGE."""

    def __init__(
        self,
        max_line_size: int = 8190,
        max_field_size: int = 8190,
        max_headers: int = 128,
        read_until_eof: bool = True,
    ) -> None:
        self._max_line_size = max_line_size
        self._max_field_size = max_field_size
        self._max_headers = max_headers
        self._read_until_eof = read_until_eof
        self._method = ""
        self._state = _STATUS
        self._buf = bytearray()  # the start of one unterminated line
        self._error: HttpProcessingError | None = None
        self._upgraded = False
        self._tail = bytearray()
        self._remaining = 0  # body bytes left in a Content-Length body or a chunk
        self._expected = 0  # the Content-Length, for the EOF message
        # The head (or trailer section) being read.
        self._status: tuple[HttpVersion, int, str] = (HttpVersion11, 0, "")
        # The last field stays open for obs-fold continuation lines until the next field.
        self._fields: list[tuple[bytes, bytes]] = []
        self._folded = b""  # the last field's value before the final strip (see _on_fold)
        self._field_size = 0  # bytes of the last field so far, CRLFs of folds included

    # --- public interface -----------------------------------------------------------------

    @property
    def upgraded(self) -> bool:
        """True once a 101, or a 2xx to CONNECT, was parsed: the rest is not HTTP."""
        return self._upgraded

    @property
    def tail(self) -> bytes:
        """Bytes received after the head of the upgrade response."""
        return bytes(self._tail)

    @property
    def held_bytes(self) -> int:
        """Bytes of an unterminated line held between feeds (never more than the line limit
        plus a CR: the bound ``docs/PARSER.md`` promises)."""
        return len(self._buf)

    @property
    def idle(self) -> bool:
        """True between responses with no byte of a next one received.

        The connection layer reads it after a response ends: bytes beyond that response, which
        nobody asked for, mean the socket must not be reused.
        """
        return self._error is None and self._state == _STATUS and not self._buf

    def set_request_method(self, method: str) -> None:
        """HEAD and CONNECT change framing; read when a response head completes."""
        self._method = method

    def feed_data(self, data: bytes | bytearray | memoryview) -> list[object]:
        """Parse as much of ``data`` as possible; returns the events, in order."""
        self._check_usable()
        if self._state == _UPGRADED:
            self._tail += data
            return []
        if type(data) is not bytes:
            data = bytes(data)
        events: list[object] = []
        try:
            self._parse(data, events)
        except HttpProcessingError as exc:
            self._error = exc
            exc.events = events  # what completed before the error, e.g. a head
            raise
        return events

    def feed_eof(self) -> list[object]:
        """The peer closed: ends a close-delimited body, or says what was cut short."""
        if self._error is not None:
            raise self._copy_error()
        state = self._state
        if state == _CLOSED:
            return []
        self._state = _CLOSED
        if state == _BODY_EOF:
            return [END_OF_MESSAGE]
        if state == _UPGRADED or (state == _STATUS and not self._buf):
            return []
        if state in (_STATUS, _HEADERS):
            self._fail(BadHttpMessage(R.EOF_IN_HEAD))
        if state == _BODY_LENGTH:
            received = self._expected - self._remaining
            self._fail(ContentLengthError(R.eof_in_length_body(received, self._expected)))
        self._fail(TransferEncodingError(R.EOF_IN_CHUNKED))

    # --- errors ---------------------------------------------------------------------------

    def _check_usable(self) -> None:
        """A broken parser raises its error again; a closed one accepts no more data."""
        if self._error is not None:
            raise self._copy_error()
        if self._state == _CLOSED:
            self._fail(BadHttpMessage(R.DATA_AFTER_EOF))

    def _copy_error(self) -> HttpProcessingError:
        """A fresh instance, so re-raising does not pile tracebacks onto the first one."""
        assert self._error is not None
        return type(self._error)(self._error.message)

    def _fail(self, exc: HttpProcessingError) -> NoReturn:
        self._error = exc
        raise exc

    # --- the byte loop --------------------------------------------------------------------

    def _parse(self, data: bytes, events: list[object]) -> None:
        """Run the state machine over ``data`` until it is used up."""
        pos = 0
        end = len(data)
        while pos < end:
            state = self._state
            if state in _FIELD_STATES and not self._buf:
                new_pos = self._read_plain_fields(data, pos, events)
                if new_pos != pos:
                    pos = new_pos
                    continue
            elif state == _CHUNK_SIZE and not self._buf:
                new_pos = self._read_plain_chunks(data, pos, events)
                if new_pos != pos:
                    pos = new_pos
                    continue
            if state in _LINE_STATES:
                line, pos = self._read_line(data, pos, end)
                if line is None:
                    return
                if state == _STATUS:
                    self._on_status_line(line)
                elif state == _HEADERS:
                    self._on_field_line(line, "header", events)
                elif state == _CHUNK_SIZE:
                    self._on_chunk_size_line(line, events)
                else:
                    self._on_field_line(line, "trailer", events)
            elif state in (_BODY_LENGTH, _CHUNK_DATA):
                pos = self._read_sized(data, pos, end, events)
            elif state == _BODY_EOF:
                events.append(data if pos == 0 else data[pos:])
                return
            elif state in (_CHUNK_CR, _CHUNK_LF):
                self._read_chunk_crlf(data[pos], events)
                pos += 1
            else:  # _UPGRADED: the rest of this input is not ours to parse
                self._tail += data[pos:]
                return

    def _read_sized(self, data: bytes, pos: int, end: int, events: list[object]) -> int:
        """Hand on up to ``_remaining`` body bytes; returns the new position."""
        remaining = self._remaining
        if end - pos <= remaining:
            events.append(data if pos == 0 else data[pos:])
            self._remaining = remaining - (end - pos)
            pos = end
        else:
            events.append(data[pos : pos + remaining])
            self._remaining = 0
            pos += remaining
        if self._remaining == 0:
            if self._state == _BODY_LENGTH:
                self._end_message(events)
            elif data[pos : pos + 2] == b"\r\n":  # the usual case, without a byte-wise detour
                events.append(END_OF_CHUNK)
                self._state = _CHUNK_SIZE
                pos += 2
            else:
                self._state = _CHUNK_CR
        return pos

    def _read_chunk_crlf(self, byte: int, events: list[object]) -> None:
        """chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF: exactly CRLF, nothing else.

        The chunk ends with its CRLF (not its data), as llhttp reports it to aiohttp.
        """
        if self._state == _CHUNK_CR:
            if byte != _CR:
                self._fail(TransferEncodingError(R.missing_chunk_crlf(byte)))
            self._state = _CHUNK_LF
        else:
            if byte != 0x0A:
                self._fail(TransferEncodingError(R.missing_chunk_crlf(byte)))
            events.append(END_OF_CHUNK)
            self._state = _CHUNK_SIZE

    # --- lines ----------------------------------------------------------------------------

    def _read_line(self, data: bytes, pos: int, end: int) -> tuple[bytes | None, int]:
        """Returns (line without its CRLF, position after the LF), or (None, end) to wait.

        The limit is checked before anything is buffered, so an over-long line costs at most
        one input's worth of memory, and before the line-ending checks, so the outcome does
        not depend on where the input was split.
        """
        buf = self._buf
        lf = data.find(b"\n", pos)
        if lf < 0:
            size = len(buf) + end - pos - (data[end - 1] == _CR)
            self._check_line_size(size, buf[0] if buf else data[pos])
            buf += data[pos:end] if pos else data
            return None, end
        if buf:
            line = bytes(buf) + data[pos:lf]
            buf.clear()
        else:
            line = data[pos:lf]
        has_cr = bool(line) and line[-1] == _CR
        if line:
            self._check_line_size(len(line) - has_cr, line[0])
        if not has_cr:
            self._fail(BadHttpMessage(R.bare_lf(_WHERE[self._state])))
        line = line[:-1]
        if b"\r" in line:
            self._fail(BadHttpMessage(R.bare_cr(_WHERE[self._state])))
        return line, lf + 1

    def _check_line_size(self, size: int, first: int) -> None:
        """Raise LineTooLong when a line (or a folded field) has grown past its limit."""
        state = self._state
        if state in (_STATUS, _CHUNK_SIZE):
            limit = self._max_line_size
            if size > limit:
                self._fail(LineTooLong(R.line_too_long(limit, _WHAT[state])))
            return
        limit = self._max_field_size
        if first in _SP_HTAB and self._fields:
            # RFC 9112 section 5.2: the folded field as a whole counts, CRLFs included.
            size += self._field_size + 2
        if size > limit:
            self._fail(LineTooLong(R.line_too_long(limit, _WHAT[state])))

    # --- status line (RFC 9112 section 4) -------------------------------------------------

    def _on_status_line(self, line: bytes) -> None:
        """status-line = HTTP-version SP status-code SP [ reason-phrase ]"""
        # HTTP-version = HTTP-name "/" DIGIT "." DIGIT
        if (
            len(line) < 8
            or line[:5] != b"HTTP/"
            or line[5] not in R.DIGIT
            or line[6] != 0x2E
            or line[7] not in R.DIGIT
            or (len(line) > 8 and line[8] != 0x20)
        ):
            self._fail(BadStatusLine(R.bad_version(line)))
        major = line[5] - 0x30
        minor = line[7] - 0x30
        if major != 1:
            self._fail(BadStatusLine(R.unsupported_version(major, minor)))
        # status-code = 3DIGIT, 100..999; the SP before an empty reason may be missing.
        code_bytes = line[9:12]
        if (
            len(code_bytes) != 3
            or not code_bytes.isdigit()
            or (len(line) > 12 and line[12] != 0x20)
            or code_bytes[0] == 0x30
        ):
            self._fail(BadStatusLine(R.bad_status_code(line)))
        code = int(code_bytes)
        # reason-phrase = 1*( HTAB / SP / VCHAR / obs-text )
        reason = line[13:]
        bad = reason.translate(None, R.FIELD_VALUE_BYTES)
        if bad:
            self._fail(BadStatusLine(R.bad_reason_char(bad[0])))
        version = _VERSIONS.get(minor) or HttpVersion(1, minor)
        self._status = (version, code, reason.decode("utf-8", "surrogateescape"))
        self._fields = []
        self._state = _HEADERS

    # --- field lines (RFC 9112 section 5) -------------------------------------------------

    def _read_plain_fields(self, data: bytes, pos: int, events: list[object]) -> int:
        """The fast path: take complete, valid, unfolded field lines straight from ``data``.

        It stops at the first line it cannot vouch for (incomplete, too long, folded, or
        invalid in any way) and returns its position; ``_read_line`` and ``_on_field_line``
        then handle that line with every check in the rulebook's order. So this path never
        decides an error and cannot change an outcome, it only skips work on the good lines.
        """
        fields = self._fields
        limit = self._max_field_size
        max_fields = self._max_headers
        find = data.find
        while True:
            lf = find(b"\n", pos)
            if lf <= pos or lf - pos > limit + 1 or data[lf - 1] != _CR:
                return pos
            if lf - pos == 1:  # the empty line: the section is complete
                self._end_section(events)
                return lf + 1
            line = data[pos : lf - 1]
            colon = line.find(b":")
            if colon <= 0 or len(fields) >= max_fields:
                return pos
            name = line[:colon]
            value = line[colon + 1 :]
            if name.translate(None, R.TCHAR) or value.translate(None, R.FIELD_VALUE_BYTES):
                return pos  # also catches a line starting with SP/HTAB, and any CR inside
            value = value.strip(R.OWS)
            fields.append((name, value))
            self._folded = value
            self._field_size = lf - 1 - pos
            pos = lf + 1

    def _on_field_line(self, line: bytes, kind: str, events: list[object]) -> None:
        """field-line = field-name ":" OWS field-value OWS; an empty line ends the section."""
        if not line:
            self._end_section(events)
            return
        if line[0] in _SP_HTAB:
            self._on_fold(line, kind)
            return
        colon = line.find(b":")
        if colon < 0:
            self._fail(InvalidHeader(R.no_colon(kind, line)))
        if colon == 0:
            self._fail(InvalidHeader(R.empty_name(kind)))
        name = line[:colon]
        # field-name = token; this also rejects whitespace before the colon (section 5.1).
        bad = name.translate(None, R.TCHAR)
        if bad:
            self._fail(InvalidHeader(R.bad_name_char(kind, bad[0], name)))
        value = line[colon + 1 :]
        self._check_value(value, kind, name)
        if len(self._fields) >= self._max_headers:
            self._fail(BadHttpMessage(R.too_many_fields(kind, self._max_headers)))
        value = value.strip(R.OWS)
        self._fields.append((name, value))
        self._folded = value
        self._field_size = len(line)

    def _on_fold(self, line: bytes, kind: str) -> None:
        """obs-fold = OWS CRLF RWS: RFC 9112 section 5.2 has a user agent replace it by SP.

        ``_folded`` keeps the value unstripped on the right, so a whitespace-only
        continuation line still adds its SP: each fold is exactly one SP, then OWS is
        stripped from the whole value.
        """
        if not self._fields:
            self._fail(BadHttpMessage(R.fold_without_field(kind)))
        name = self._fields[-1][0]
        self._check_value(line, kind, name)
        self._folded += b" " + line.strip(R.OWS)
        self._fields[-1] = (name, self._folded.strip(R.OWS))
        self._field_size += 2 + len(line)

    def _check_value(self, value: bytes, kind: str, name: bytes) -> None:
        """field-value = *field-content: HTAB / SP / VCHAR / obs-text (RFC 9110 section 5.5)."""
        bad = value.translate(None, R.FIELD_VALUE_BYTES)
        if bad:
            self._fail(InvalidHeader(R.bad_value_char(kind, bad[0], name)))

    def _end_section(self, events: list[object]) -> None:
        if self._state == _HEADERS:
            self._on_head_complete(events)
        else:  # the trailer fields were checked and are dropped; the last chunk ends here
            events.append(END_OF_CHUNK)
            self._end_message(events)

    # --- framing (RFC 9112 section 6) -----------------------------------------------------

    def _on_head_complete(self, events: list[object]) -> None:
        """Build the message, decide how its body is framed, and switch to that reader."""
        version, code, reason = self._status
        fields = self._fields
        framing: dict[bytes, list[bytes]] = {}
        for name, value in fields:
            if len(name) in _FRAMING_NAME_LENGTHS:
                lname = name.lower()
                if lname in _FRAMING_NAMES:
                    framing.setdefault(lname, []).append(value)
        te = framing.get(b"transfer-encoding")
        cl = framing.get(b"content-length")
        chunked = te is not None and self._check_transfer_encoding(te, cl, version)
        content_length = None if cl is None else _content_length(cl)
        upgrade = code == 101 or (self._method == "CONNECT" and 200 <= code < 300)
        no_body = upgrade or self._method == "HEAD" or code < 200 or code == 204 or code == 304
        close_delimited = not no_body and not chunked and content_length is None
        encodings = framing.get(b"content-encoding")
        headers = CIMultiDict(
            [
                (_NAMES.get(name) or name.decode("ascii"), value.decode("utf-8", "surrogateescape"))
                for name, value in fields
            ]
        )
        events.append(
            RawResponseMessage(
                version,
                code,
                reason,
                CIMultiDictProxy(headers),
                tuple(fields),
                close_delimited or _closes(framing.get(b"connection"), version),
                R.COMPRESSIONS.get(encodings[0].lower())
                if encodings and len(encodings) == 1
                else None,
                upgrade,
                chunked and not no_body,
                content_length,
            )
        )
        self._fields = []
        if upgrade:
            events.append(END_OF_MESSAGE)
            self._upgraded = True
            self._state = _UPGRADED
        elif no_body or content_length == 0 or (close_delimited and not self._read_until_eof):
            self._end_message(events)
        elif chunked:
            self._state = _CHUNK_SIZE
        elif content_length is not None:
            self._remaining = self._expected = content_length
            self._state = _BODY_LENGTH
        else:
            self._state = _BODY_EOF

    def _check_transfer_encoding(
        self, te: list[bytes], cl: list[bytes] | None, version: HttpVersion
    ) -> bool:
        """RFC 9112 section 6.1-6.3: True (chunked framing) when chunked is the final coding.

        Any other list, unknown codings and an empty one included, is False: section 6.3 rule
        4 makes such a response's body close-delimited. ``chunked`` more than once is an error.
        """
        if cl is not None:
            self._fail(BadHttpMessage(R.TE_AND_CL))
        if version.minor == 0:
            self._fail(BadHttpMessage(R.TE_IN_HTTP10))
        if len(te) == 1 and te[0].lower() == b"chunked":
            return True
        joined = b", ".join(te)
        codings = [c for c in (c.strip(R.OWS).lower() for c in joined.split(b",")) if c]
        if codings.count(b"chunked") > 1:
            self._fail(TransferEncodingError(R.te_chunked_twice(joined)))
        return bool(codings) and codings[-1] == b"chunked"

    def _end_message(self, events: list[object]) -> None:
        events.append(END_OF_MESSAGE)
        self._fields = []
        self._state = _STATUS

    # --- chunked body (RFC 9112 section 7.1) ----------------------------------------------

    def _read_plain_chunks(self, data: bytes, pos: int, events: list[object]) -> int:
        """The fast path: take whole chunks (size line, data, CRLF) straight from ``data``.

        Only a size line of 1 to 15 hex digits within the line limit, not 0, ended by CRLF,
        whose data and CRLF are all in ``data``: none of the general path's checks can fail on
        it. It stops at the first chunk it cannot vouch for and returns its position; the line
        reader then handles that chunk (errors, extensions, a cut) with every check in order.
        """
        find = data.find
        append = events.append
        end = len(data)
        longest = min(self._max_line_size, R.MAX_CHUNK_SIZE_DIGITS - 1)
        while True:
            lf = find(b"\n", pos, pos + longest + 2)
            if lf <= pos + 1 or data[lf - 1] != _CR:
                return pos
            line = data[pos : lf - 1]
            if line.translate(None, R.HEXDIG):
                return pos
            start = lf + 1
            stop = start + int(line, 16)
            if stop == start or stop + 2 > end or data[stop : stop + 2] != b"\r\n":
                return pos  # the last chunk, or one this input does not hold whole
            append(data[start:stop])
            append(END_OF_CHUNK)
            pos = stop + 2

    def _on_chunk_size_line(self, line: bytes, events: list[object]) -> None:
        """chunk-size [ chunk-ext ] CRLF, with chunk-size = 1*HEXDIG (at most 16, < 2**63)."""
        if 0 < len(line) < R.MAX_CHUNK_SIZE_DIGITS and not line.translate(None, R.HEXDIG):
            size = int(line, 16)  # the usual case: hex digits only (int() alone is too lax)
        else:
            size = self._parse_chunk_size_line(line)
        if size == 0:
            # last-chunk: the trailer section follows (its fields are checked, then dropped).
            self._fields = []
            self._state = _TRAILERS
        else:
            self._remaining = size
            self._state = _CHUNK_DATA

    def _parse_chunk_size_line(self, line: bytes) -> int:
        """The full check, in the rulebook's order: size digits, their range, extensions."""
        digits = len(line) - len(line.lstrip(R.HEXDIG))
        if digits == 0:
            self._fail(TransferEncodingError(R.bad_chunk_size(line)))
        size_bytes = line[:digits]
        if digits > R.MAX_CHUNK_SIZE_DIGITS or int(size_bytes, 16) > R.MAX_CHUNK_SIZE:
            self._fail(TransferEncodingError(R.chunk_size_too_large(size_bytes)))
        ext = line[digits:]
        if ext and R.CHUNK_EXT_RE.fullmatch(ext) is None:
            self._fail(TransferEncodingError(R.bad_chunk_ext(ext)))
        return int(size_bytes, 16)


def _content_length(values: list[bytes]) -> int | None:
    """Content-Length = 1*DIGIT (at most 18); repeated lines must be identical (section 6.3)."""
    if not values:
        return None
    first = values[0]
    for value in values:
        if not value.isdigit() or len(value) > R.MAX_CONTENT_LENGTH_DIGITS:
            raise InvalidHeader(R.bad_content_length(value))
        if value != first:
            raise InvalidHeader(R.conflicting_content_length(first, value))
    return int(first)


def _closes(connection: list[bytes] | None, version: HttpVersion) -> bool:
    """Connection: close ends it; HTTP/1.0 ends it unless keep-alive (RFC 9112 section 9.3)."""
    if connection is None:
        return version.minor == 0
    tokens = {t.strip(R.OWS).lower() for t in b",".join(connection).split(b",")}
    if b"close" in tokens:
        return True
    return version.minor == 0 and b"keep-alive" not in tokens
