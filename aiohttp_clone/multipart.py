"""multipart/* bodies (RFC 2046, RFC 7578): a writer for requests and a streaming reader.

The reader keeps one read-ahead buffer per body, shared by the reader and its part readers, so a
part that stops exactly at a boundary never swallows the bytes of the next part's headers.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import sys
import uuid
import zlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode

from multidict import CIMultiDict, CIMultiDictProxy

from . import hdrs
from ._http.content_coding import Compressor, compressor_for
from ._http.fields import (
    BadContentDispositionHeader,
    BadContentDispositionParam,
    content_disposition_filename,
    parse_content_disposition,
    parse_mimetype,
)
from ._http.rules import CTL_EXCEPT_HTAB, TOKEN_RE
from .payload import BytesPayload, JsonPayload, Payload, _Writer, get_payload

__all__ = (
    "BadContentDispositionHeader",
    "BadContentDispositionParam",
    "BodyPartReader",
    "MultipartReader",
    "MultipartWriter",
    "content_disposition_filename",
    "parse_content_disposition",
)

# RFC 2046 §5.1.1: 1 to 70 bchars, not ending in a space.
_BOUNDARY_RE = re.compile(r"[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]")
_READ_SIZE = 2**16
# What may follow a boundary on its line: "--" when it is the last, then padding.
_DELIMITER_TAIL_RE = re.compile(rb"(?:--)?[ \t]*")
_MAX_PADDING = 1024


# --- writing --------------------------------------------------------------------------------

# RFC 7578 §4.7/§4.8: form-data parts carry no transfer or content coding, nor a length.
_FORM_DATA_BANNED = (hdrs.CONTENT_ENCODING, hdrs.CONTENT_LENGTH, hdrs.CONTENT_TRANSFER_ENCODING)
_CONTENT_CODINGS = frozenset({"deflate", "gzip", "identity"})
_TRANSFER_CODINGS = frozenset({"base64", "quoted-printable", "binary"})


def _part_coding(
    headers: Mapping[str, str], name: str, known: frozenset[str], noop: str
) -> str | None:
    """The coding a part header asks for: '' when absent, None when it changes nothing."""
    coding = headers.get(name, "").lower()
    if coding and coding not in known:
        label = "content encoding" if name == hdrs.CONTENT_ENCODING else "content transfer encoding"
        raise RuntimeError(f"unknown {label}: {coding}")
    return None if coding == noop else coding


class _Base64Writer:
    """Base64 in pieces: only whole 3-byte groups go out before ``finish``."""

    def __init__(self, writer: _Writer) -> None:
        self._writer = writer
        self._pending = b""

    async def write(self, chunk: bytes | bytearray | memoryview) -> None:
        data = self._pending + bytes(chunk)
        whole = len(data) - len(data) % 3
        self._pending = data[whole:]
        if whole:
            await self._writer.write(base64.b64encode(data[:whole]))

    async def finish(self) -> None:
        if self._pending:
            await self._writer.write(base64.b64encode(self._pending))
        self._pending = b""


class _QuotedPrintableWriter:
    """Quoted-printable, one chunk at a time (so line breaks fall where aiohttp puts them)."""

    def __init__(self, writer: _Writer) -> None:
        self._writer = writer

    async def write(self, chunk: bytes | bytearray | memoryview) -> None:
        if chunk:
            await self._writer.write(binascii.b2a_qp(bytes(chunk)))

    async def finish(self) -> None:
        """Nothing is held back."""


class _CompressingWriter:
    """gzip, or (as aiohttp sends it for parts) a raw deflate stream with no zlib wrapper."""

    def __init__(self, writer: _Writer, coding: str) -> None:
        self._writer = writer
        self._compressor: Compressor = (
            compressor_for(coding) if coding == "gzip" else zlib.compressobj(wbits=-zlib.MAX_WBITS)
        )

    async def write(self, chunk: bytes | bytearray | memoryview) -> None:
        out = self._compressor.compress(chunk)
        if out:
            await self._writer.write(out)

    async def finish(self) -> None:
        await self._writer.write(self._compressor.flush())


class _Part:
    """A payload plus the codings its headers ask the writer to apply."""

    __slots__ = ("encoding", "payload", "te_encoding")

    def __init__(self, payload: Payload, encoding: str | None, te_encoding: str | None) -> None:
        self.payload = payload
        self.encoding = encoding
        self.te_encoding = te_encoding

    @property
    def coded(self) -> bool:
        return bool(self.encoding or self.te_encoding)

    async def write(self, writer: _Writer) -> None:
        """The body with Content-Encoding applied first, then Content-Transfer-Encoding."""
        if not self.coded:
            await self.payload.write(writer)
            return
        outer: _Base64Writer | _QuotedPrintableWriter | None = None
        if self.te_encoding == "base64":
            outer = _Base64Writer(writer)
        elif self.te_encoding:
            outer = _QuotedPrintableWriter(writer)
        target: _Writer = writer if outer is None else outer
        inner = _CompressingWriter(target, self.encoding) if self.encoding else None
        await self.payload.write(target if inner is None else inner)
        if inner is not None:
            await inner.finish()
        if outer is not None:
            await outer.finish()


class MultipartWriter(Payload):
    """A multipart body built from parts; itself a Payload, so parts may nest.

    Outside form-data, a part whose size is known gets a Content-Length, and a part's
    Content-Encoding (gzip, deflate) and Content-Transfer-Encoding (base64,
    quoted-printable) headers are applied to its bytes, as aiohttp does.
    """

    def __init__(self, subtype: str = "mixed", boundary: str | None = None) -> None:
        boundary = uuid.uuid4().hex if boundary is None else boundary
        if not boundary.isascii():
            raise ValueError("boundary should contain ASCII only chars")
        if not _BOUNDARY_RE.fullmatch(boundary):
            raise ValueError(f"invalid multipart boundary {boundary!r} (RFC 2046 §5.1.1)")
        param = boundary if TOKEN_RE.fullmatch(boundary) else f'"{boundary}"'
        super().__init__(None, content_type=f"multipart/{subtype}; boundary={param}")
        self._boundary = boundary.encode("ascii")
        self._is_form_data = subtype == "form-data"
        self._parts: list[_Part] = []

    def __enter__(self) -> MultipartWriter:
        """``with MultipartWriter() as mp:`` is aiohttp's documented way to build one."""
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Nothing to release: the parts are sent (and closed) with the request."""

    @property
    def boundary(self) -> str:
        return self._boundary.decode("ascii")

    def __len__(self) -> int:
        return len(self._parts)

    def __iter__(self) -> Iterator[tuple[Payload, str | None, str | None]]:
        """``(payload, content coding, transfer coding)`` per part, the triples aiohttp yields."""
        return iter([(part.payload, part.encoding, part.te_encoding) for part in self._parts])

    def __bool__(self) -> bool:
        return True  # even without parts this is a body (just the closing delimiter)

    def append(self, obj: Any, headers: Mapping[str, str] | None = None) -> Payload:
        """Add ``obj`` as a part, wrapping it in the Payload registered for its type."""
        if isinstance(obj, Payload):
            if headers:
                obj.headers.update(headers)
            return self.append_payload(obj)
        return self.append_payload(get_payload(obj, headers=headers))

    def append_payload(self, payload: Payload) -> Payload:
        headers = payload.headers
        for name, value in headers.items():
            if not CTL_EXCEPT_HTAB.isdisjoint(name + value):
                raise ValueError(
                    "CR, LF and NUL (nor other control characters) are not allowed in part "
                    f"header {name!r}"
                )
        if self._is_form_data:
            self._parts.append(self._form_data_part(payload))
            return payload
        encoding = _part_coding(headers, hdrs.CONTENT_ENCODING, _CONTENT_CODINGS, "identity")
        te = _part_coding(headers, hdrs.CONTENT_TRANSFER_ENCODING, _TRANSFER_CODINGS, "binary")
        part = _Part(payload, encoding, te)
        size = payload.size
        if size is not None and not part.coded:
            headers[hdrs.CONTENT_LENGTH] = str(size)  # the sent bytes are exactly the payload
        self._parts.append(part)
        return payload

    def _form_data_part(self, payload: Payload) -> _Part:
        banned = [name for name in _FORM_DATA_BANNED if name in payload.headers]
        if banned:
            raise ValueError(f"multipart/form-data parts must not have {', '.join(banned)}")
        if hdrs.CONTENT_DISPOSITION not in payload.headers:
            # RFC 7578 §4.2: every form-data part needs a name.
            payload.set_content_disposition("form-data", name=f"section-{len(self._parts)}")
        return _Part(payload, None, None)

    def append_json(self, obj: Any, headers: Mapping[str, str] | None = None) -> Payload:
        return self.append_payload(JsonPayload(obj, headers=headers))

    def append_form(
        self,
        obj: Sequence[tuple[str, str]] | Mapping[str, str],
        headers: Mapping[str, str] | None = None,
    ) -> Payload:
        pairs = list(obj.items()) if isinstance(obj, Mapping) else list(obj)
        body = urlencode(pairs, doseq=True).encode("ascii")
        return self.append_payload(
            BytesPayload(body, headers=headers, content_type="application/x-www-form-urlencoded")
        )

    def _part_head(self, part: Payload) -> bytes:
        lines = [f"{name}: {value}\r\n" for name, value in part.headers.items()]
        return b"--" + self._boundary + b"\r\n" + "".join(lines).encode("utf-8") + b"\r\n"

    def _closing(self) -> bytes:
        return b"--" + self._boundary + b"--\r\n"

    @property
    def size(self) -> int | None:
        """Known only when every part's size is and none is re-encoded on the way out."""
        total = len(self._closing())
        for part in self._parts:
            size = part.payload.size
            if size is None or part.coded:
                return None
            total += len(self._part_head(part.payload)) + size + 2
        return total

    @property
    def reusable(self) -> bool:
        return all(part.payload.reusable for part in self._parts)

    @property
    def consumed(self) -> bool:
        return self._consumed or any(part.payload.consumed for part in self._parts)

    async def write(self, writer: _Writer, close_boundary: bool = True) -> None:
        for part in self._parts:
            await writer.write(self._part_head(part.payload))
            await part.write(writer)
            await writer.write(b"\r\n")
        if close_boundary:
            await writer.write(self._closing())

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        pieces = []
        for part in self._parts:
            pieces.append(self._part_head(part.payload).decode(encoding, errors))
            pieces.append(part.payload.decode(encoding, errors) + "\r\n")
        pieces.append(self._closing().decode("ascii"))
        return "".join(pieces)

    async def close(self) -> None:
        """Awaits each part's ``close()``: a part may be a Payload subclass that overrides it."""
        Payload._close(self)
        for part in self._parts:
            await part.payload.close()

    def _close(self) -> None:
        # The request closes a body still being written from a callback, through this.
        super()._close()
        for part in self._parts:
            part.payload._close()


# --- reading --------------------------------------------------------------------------------


class _Source(Protocol):
    async def read(self, n: int = -1) -> bytes: ...


class _ReadAhead:
    """The body stream plus whatever was read past the point the consumer has reached."""

    def __init__(self, content: _Source) -> None:
        self._content = content
        self._buf = bytearray()
        self._eof = False

    async def _fill(self) -> bool:
        if not self._eof:
            data = await self._content.read(_READ_SIZE)
            if data:
                self._buf += data
                return True
            self._eof = True
        return False

    def _take(self, n: int) -> bytes:
        chunk = bytes(self._buf[:n])
        del self._buf[:n]
        return chunk

    async def readline(self, limit: int) -> bytes:
        """One line with its newline; what is left at EOF; ValueError past ``limit``."""
        searched = 0
        while True:
            idx = self._buf.find(b"\n", searched)
            if idx >= 0:
                if idx >= limit:
                    raise ValueError(f"multipart line longer than {limit} bytes")
                return self._take(idx + 1)
            if len(self._buf) > limit:
                raise ValueError(f"multipart line longer than {limit} bytes")
            searched = len(self._buf)
            if not await self._fill():
                return self._take(len(self._buf))

    def _ends_delimiter(self, end: int) -> bool | None:
        """Whether a delimiter whose text stops at ``end`` is one; None while undecided.

        ``--B`` followed by other text is data (RFC 2046 §5.1.1: a delimiter line holds only
        the boundary, optional ``--`` and padding), so the bytes after it must be seen first.
        """
        after = bytes(self._buf[end : end + 2])
        if after[:1] in (b"\r", b"\n", b" ", b"\t") or after == b"--" or self._eof:
            return True
        return None if len(after) < 2 else False

    def _find_delimiter(self, delimiter: bytes) -> tuple[int, bool]:
        """Where the next delimiter starts, and whether that is certain.

        Returns (-1, True) when there is none, (index, False) while that is undecided.
        """
        start = 0
        while True:
            idx = self._buf.find(delimiter, start)
            if idx < 0:
                return -1, True
            ends = self._ends_delimiter(idx + len(delimiter))
            if ends is not False:
                return idx, bool(ends)
            start = idx + 1

    async def opens_with(self, dash_boundary: bytes) -> bool:
        """Whether the unread bytes are a whole delimiter line already (its CRLF was taken as
        the end of the part's headers): the part is empty (RFC 2046 §5.1.1's body-part)."""
        while True:
            head = bytes(self._buf[: len(dash_boundary)])
            if not dash_boundary.startswith(head):
                return False
            if len(head) == len(dash_boundary):
                tail = bytes(self._buf[len(dash_boundary) : len(dash_boundary) + _MAX_PADDING])
                padded = _DELIMITER_TAIL_RE.match(tail).end()  # type: ignore[union-attr]
                if padded < len(tail) and tail != b"-":
                    return tail[padded : padded + 1] in (b"\r", b"\n")
                if len(tail) == _MAX_PADDING:
                    return False
            if not await self._fill():
                return len(head) == len(dash_boundary)

    async def read_until(self, delimiter: bytes, size: int, line: bool) -> tuple[bytes, bool]:
        """Up to ``size`` bytes before ``delimiter``; True once the delimiter is reached.

        The delimiter's leading CRLF is consumed with it, leaving ``--boundary`` for the
        caller. With ``line`` the result also stops after a newline.
        """
        while True:
            idx, certain = self._find_delimiter(delimiter)
            # Bytes that cannot be the start of a delimiter are safe to hand out.
            end = idx if idx >= 0 else len(self._buf) - len(delimiter) + 1
            if line:
                newline = self._buf.find(b"\n", 0, max(end, 0))
                if newline >= 0:
                    return self._take(min(newline + 1, size)), False
            if certain and 0 <= idx <= size:
                chunk = self._take(idx)
                del self._buf[:2]
                return chunk, True
            if end >= size or (end > 0 and not line):
                return self._take(min(end, size)), False
            if not await self._fill():
                raise ValueError("multipart body ended before its closing boundary")


class BodyPartReader:
    """One part of a multipart body, read as a stream up to the next boundary."""

    chunk_size = 8192

    def __init__(
        self,
        boundary: bytes,
        headers: CIMultiDictProxy[str],
        content: Any,
        *,
        subtype: str = "mixed",
        default_charset: str | None = None,
        client_max_size: int = sys.maxsize,
        max_size_error_cls: type[Exception] = ValueError,
    ) -> None:
        self.headers = headers
        self._boundary = boundary
        self._delimiter = b"\r\n--" + boundary
        self._content = content if isinstance(content, _ReadAhead) else _ReadAhead(content)
        self._is_form_data = subtype == "form-data"
        self._default_charset = default_charset
        self._client_max_size = client_max_size
        self._max_size_error_cls = max_size_error_cls
        self._at_eof = False
        self._started = False
        _, self._disposition = parse_content_disposition(headers.get(hdrs.CONTENT_DISPOSITION))

    def __aiter__(self) -> BodyPartReader:
        return self

    async def __anext__(self) -> bytes:
        chunk = await self.read_chunk()
        if not chunk and self._at_eof:
            raise StopAsyncIteration
        return chunk

    def at_eof(self) -> bool:
        return self._at_eof

    @property
    def name(self) -> str | None:
        return content_disposition_filename(self._disposition, "name")

    @property
    def filename(self) -> str | None:
        return content_disposition_filename(self._disposition, "filename")

    async def read_chunk(self, size: int = chunk_size) -> bytes:
        """Up to ``size`` raw (not decoded) bytes of the body; b'' at its end."""
        return await self._read_until(size, False)

    async def readline(self) -> bytes:
        return await self._read_until(sys.maxsize, True)

    async def _read_until(self, size: int, line: bool) -> bytes:
        if not self._started:
            self._started = True
            self._at_eof = await self._content.opens_with(self._delimiter[2:])
        if self._at_eof:
            return b""
        chunk, self._at_eof = await self._content.read_until(self._delimiter, size, line)
        return chunk

    async def read(self, *, decode: bool = False) -> bytes:
        """The whole body, checked against ``client_max_size``; decoded on request."""
        data = bytearray()
        while not self._at_eof:
            data += await self.read_chunk(_READ_SIZE)
            if len(data) > self._client_max_size:
                raise self._max_size_error_cls(
                    f"multipart part exceeds {self._client_max_size} bytes"
                )
        return self.decode(bytes(data)) if decode else bytes(data)

    async def release(self) -> None:
        """Skip the rest of this part."""
        while not self._at_eof:
            await self.read_chunk(_READ_SIZE)

    async def text(self, *, encoding: str | None = None) -> str:
        data = await self.read(decode=True)
        return data.decode(encoding or self.get_charset("utf-8"))

    async def json(self, *, encoding: str | None = None) -> Any:
        data = await self.read(decode=True)
        if not data:
            return None
        return json.loads(data.decode(encoding or self.get_charset("utf-8")))

    async def form(self, *, encoding: str | None = None) -> list[tuple[str, str]]:
        data = await self.read(decode=True)
        charset = encoding or self.get_charset("utf-8")
        return parse_qsl(data.rstrip().decode(charset), keep_blank_values=True, encoding=charset)

    def get_charset(self, default: str) -> str:
        params = parse_mimetype(self.headers.get(hdrs.CONTENT_TYPE, "")).parameters
        return params.get("charset", self._default_charset or default)

    def decode(self, data: bytes) -> bytes:
        """Undo Content-Transfer-Encoding, then Content-Encoding."""
        transfer = self.headers.get(hdrs.CONTENT_TRANSFER_ENCODING, "").lower()
        if transfer == "base64":
            data = base64.b64decode(data)
        elif transfer == "quoted-printable":
            data = binascii.a2b_qp(data)
        elif transfer not in ("", "binary", "8bit", "7bit"):
            raise RuntimeError(f"unknown content transfer encoding: {transfer}")
        coding = self.headers.get(hdrs.CONTENT_ENCODING, "").lower()
        if coding in ("", "identity"):
            return data
        if coding not in ("gzip", "deflate"):
            raise RuntimeError(f"unknown content encoding: {coding}")
        # wbits 47 accepts gzip or zlib framing; a bare deflate stream needs negative wbits.
        wbits = 47 if coding == "gzip" or data[:1] == b"\x78" else -zlib.MAX_WBITS
        decompressor = zlib.decompressobj(wbits)
        limit = self._client_max_size
        out = decompressor.decompress(data, limit + 1 if limit < sys.maxsize else 0)
        if len(out) > self._client_max_size or decompressor.unconsumed_tail:
            raise self._max_size_error_cls(f"decoded part exceeds {self._client_max_size} bytes")
        return out


class MultipartReader:
    """Iterates over the parts of a multipart body; nested multiparts yield nested readers."""

    multipart_reader_cls: type[MultipartReader] | None = None
    part_reader_cls: type[BodyPartReader] = BodyPartReader

    def __init__(
        self,
        headers: Mapping[str, str],
        content: Any,
        *,
        client_max_size: int = sys.maxsize,
        max_field_size: int = 8190,
        max_headers: int = 128,
        max_size_error_cls: type[Exception] = ValueError,
    ) -> None:
        self.headers = headers
        mimetype = parse_mimetype(headers.get(hdrs.CONTENT_TYPE, ""))
        boundary = mimetype.parameters.get("boundary")
        if mimetype.type != "multipart" or not boundary or len(boundary) > 70:
            raise ValueError(f"invalid multipart Content-Type: {headers.get(hdrs.CONTENT_TYPE)}")
        self._subtype = mimetype.subtype
        self._boundary = boundary.encode("utf-8")
        self._content = content if isinstance(content, _ReadAhead) else _ReadAhead(content)
        self._limits = (client_max_size, max_field_size, max_headers, max_size_error_cls)
        self._last_part: MultipartReader | BodyPartReader | None = None
        self._at_eof = False
        self._started = False
        self._default_charset: str | None = None

    @classmethod
    def from_response(cls, response: Any) -> MultipartResponseWrapper:
        """Read a ClientResponse's multipart body; the response is released at the end."""
        return MultipartResponseWrapper(response, cls(response.headers, response.content))

    def __aiter__(self) -> MultipartReader:
        return self

    async def __anext__(self) -> MultipartReader | BodyPartReader:
        part = await self.next()
        if part is None:
            raise StopAsyncIteration
        return part

    def at_eof(self) -> bool:
        return self._at_eof

    async def next(self) -> MultipartReader | BodyPartReader | None:
        """The next part, after skipping what is left of the previous one; None at the end.

        A form whose first field is ``_charset_`` (RFC 7578 §4.6) gives the charset of the
        text parts that do not name one; that field is consumed, as in aiohttp.
        """
        part = await self._next_part()
        if not self._started:
            self._started = True
            form = self._subtype == "form-data"
            if form and isinstance(part, BodyPartReader) and part.name == "_charset_":
                self._default_charset = await _read_default_charset(part)
                part = await self._next_part()
        return part

    async def _next_part(self) -> MultipartReader | BodyPartReader | None:
        if self._at_eof:
            return None
        if self._last_part is not None:
            await self._last_part.release()
            self._last_part = None
        await self._read_boundary()
        if self._at_eof:
            return None
        self._last_part = await self.fetch_next_part()
        return self._last_part

    async def release(self) -> None:
        """Skip all remaining parts."""
        while await self.next() is not None:
            pass

    async def fetch_next_part(self) -> MultipartReader | BodyPartReader:
        return self._get_part_reader(await self._read_headers())

    def _get_part_reader(self, headers: CIMultiDictProxy[str]) -> MultipartReader | BodyPartReader:
        client_max_size, max_field_size, max_headers, error_cls = self._limits
        if parse_mimetype(headers.get(hdrs.CONTENT_TYPE, "")).type == "multipart":
            reader_cls = self.multipart_reader_cls or type(self)
            return reader_cls(
                headers,
                self._content,
                client_max_size=client_max_size,
                max_field_size=max_field_size,
                max_headers=max_headers,
                max_size_error_cls=error_cls,
            )
        return self.part_reader_cls(
            self._boundary,
            headers,
            self._content,
            subtype=self._subtype,
            default_charset=self._default_charset,
            client_max_size=client_max_size,
            max_size_error_cls=error_cls,
        )

    async def _read_boundary(self) -> None:
        """Skip the preamble (or a nested part's epilogue) up to our next delimiter line."""
        dash_boundary = b"--" + self._boundary
        while True:
            line = await self._content.readline(self._limits[1])
            if not line:
                raise ValueError("multipart body ended before its closing boundary")
            line = line.rstrip(b" \t\r\n")
            if line == dash_boundary:
                return
            if line == dash_boundary + b"--":
                self._at_eof = True
                return

    async def _read_headers(self) -> CIMultiDictProxy[str]:
        _, max_field_size, max_headers, _ = self._limits
        headers: CIMultiDict[str] = CIMultiDict()
        while True:
            line = (await self._content.readline(max_field_size)).rstrip(b"\r\n")
            if not line:
                return CIMultiDictProxy(headers)
            if len(headers) >= max_headers:
                raise ValueError(f"more than {max_headers} headers in a multipart part")
            name, sep, value = line.partition(b":")
            if not sep or not TOKEN_RE.fullmatch(name.decode("latin-1")):
                raise ValueError(f"invalid multipart part header {line[:80]!r}")
            try:
                text = value.decode("utf-8")
            except UnicodeDecodeError:
                text = value.decode("latin-1")
            headers.add(name.decode("ascii"), text.strip(" \t"))


async def _read_default_charset(part: BodyPartReader) -> str:
    """The value of a ``_charset_`` field: a charset name, so at most 31 bytes (as aiohttp)."""
    value = bytearray()
    while not part.at_eof():
        value += await part.read_chunk(32)
        if len(value) > 31:
            raise RuntimeError("Invalid default charset")
    return value.strip().decode()


class MultipartResponseWrapper:
    """Pairs a MultipartReader with its response so the connection is released at the end."""

    def __init__(self, resp: Any, stream: MultipartReader) -> None:
        self.resp = resp
        self.stream = stream

    def __aiter__(self) -> MultipartResponseWrapper:
        return self

    async def __anext__(self) -> MultipartReader | BodyPartReader:
        part = await self.next()
        if part is None:
            raise StopAsyncIteration
        return part

    def at_eof(self) -> bool:
        at_eof: bool = self.resp.content.at_eof()
        return at_eof

    async def next(self) -> MultipartReader | BodyPartReader | None:
        part = await self.stream.next()
        if self.stream.at_eof():
            await self.release()
        return part

    async def release(self) -> None:
        await self.resp.release()
