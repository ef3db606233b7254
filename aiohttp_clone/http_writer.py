"""Request serialization: the validated head and the body writer (framing, compression, drain).

``serialize_request_head`` runs once per request, so it builds the text with one join and
validates it with a few C-level scans instead of a per-character loop; only a request that fails
validation pays for finding out which field is at fault.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Protocol

from .client_exceptions import ClientConnectionResetError, ClientPayloadError
from .compression import Compressor, compressor_for
from .http_message import HttpVersion, HttpVersion10, HttpVersion11

__all__ = (
    "HttpVersion",
    "HttpVersion10",
    "HttpVersion11",
    "StreamWriter",
    "serialize_request_head",
)

# RFC 9110 section 5.6.2: token = 1*tchar.
_TCHAR = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]"
_TOKEN_RE = re.compile(rf"{_TCHAR}+")
# Header names joined by ":" (not a tchar); the caller also counts the colons.
_TOKENS_RE = re.compile(rf"{_TCHAR}+(?::{_TCHAR}+)*")
# RFC 9110 section 5.5: a field value holds no control character but HTAB (CR and LF are
# counted separately, as the line ends are legitimate ones).
_CTL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# RFC 9112 section 3.2: the request target holds neither whitespace nor control characters.
_BAD_TARGET_RE = re.compile(r"[\x00-\x20\x7f]")
_VERSIONS = {HttpVersion11: "HTTP/1.1", HttpVersion10: "HTTP/1.0"}
# Tokens already: these skip the method check.
_KNOWN_METHODS = frozenset(
    ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE")
)
_BLOCK_CACHE_SIZE = 256  # header sets (and heads) remembered per session; cleared when full
_Chunk = bytes | bytearray | memoryview


class _HeaderSource(Protocol):
    def items(self) -> Iterable[tuple[str, str]]: ...


def _check_field(kind: str, value: str) -> None:
    if "\r" in value or "\n" in value:
        raise ValueError(f"Newline or carriage return character detected in {kind}")
    if "\0" in value:
        raise ValueError(f"NUL character detected in {kind}")
    control = _CTL_RE.search(value)
    if control is not None:
        raise ValueError(f"Control character {control.group()!r} detected in {kind}")


def _raise_invalid(items: tuple[tuple[str, str], ...]) -> None:
    """Slow path: name the field that made the fast validation fail."""
    for name, value in items:
        _check_field(f"HTTP header name {name!r}", name)
        if not _TOKEN_RE.fullmatch(name):
            raise ValueError(f"Invalid HTTP header name {name!r}: must be a token")
        _check_field(f"HTTP header value {name!r}", str(value))
    raise AssertionError("head failed validation but no field is invalid")  # pragma: no cover


def _raise_not_str(items: tuple[tuple[str, str], ...]) -> None:
    """A name or value that is not a str: refused, never sent as its repr (b'x', 3)."""
    for name, value in items:
        if not isinstance(name, str):
            raise TypeError(f"Header name {name!r} must be str, not {type(name).__name__}")
        if not isinstance(value, str):
            raise TypeError(
                f"Header value of {name!r} must be str, not {type(value).__name__}"
            )
    raise AssertionError("a join failed but every field is a str")  # pragma: no cover


def _header_block(items: tuple[tuple[str, str], ...]) -> str:
    """The header lines joined by CRLF, once every name is a token and no field holds a control
    character other than HTAB; raises ``ValueError`` naming the first bad field."""
    try:
        block = "\r\n".join(map(": ".join, items))
    except TypeError:
        _raise_not_str(items)
    names = ":".join([k for k, _ in items])
    # Every CR and LF must be one of the line ends written above, so one inside a field adds
    # to the count. The names must be tokens, and a ":" inside one adds a colon.
    line_ends = len(items) - 1
    if items and (
        block.count("\n") != line_ends
        or block.count("\r") != line_ends
        or _CTL_RE.search(block) is not None
        or not _TOKENS_RE.fullmatch(names)
        or names.count(":") != line_ends
    ):
        _raise_invalid(items)
    return block


def _encode_head(
    first_line: str, headers: _HeaderSource, block_cache: dict[Any, str] | None = None
) -> bytes:
    items = tuple(headers.items())
    if block_cache is None:
        block = _header_block(items)
    else:
        # A client sends the same fields over and over: validate each distinct set once.
        try:
            block = block_cache[items]
        except KeyError:
            block = _header_block(items)
            if len(block_cache) >= _BLOCK_CACHE_SIZE:
                block_cache.clear()
            block_cache[items] = block
        except TypeError:  # an unhashable value: validate it every time
            block = _header_block(items)
    text = f"{first_line}\r\n{block}\r\n\r\n" if items else f"{first_line}\r\n\r\n"
    return text.encode("utf-8", "surrogateescape")


def serialize_request_head(
    method: str,
    target: str,
    version: HttpVersion,
    headers: _HeaderSource,
    block_cache: dict[Any, str] | None = None,
    head_cache: dict[Any, bytes] | None = None,
) -> bytes:
    """``METHOD target HTTP/x.y``, the header lines and the blank line, as bytes.

    Raises ``ValueError`` naming the field before anything is produced if the method or a header
    name is not a token, the target holds whitespace or a control character, or a name or a
    value holds a control character other than HTAB. ``block_cache`` (a dict the caller owns)
    remembers validated header blocks, so a repeated set of fields is checked once;
    ``head_cache`` remembers whole heads, so the same request sent again costs one lookup.
    """
    if head_cache is None:
        return _serialize_head(method, target, version, headers, block_cache)
    try:
        key = (method, target, version, tuple(headers.items()))
        return head_cache[key]
    except KeyError:
        head = _serialize_head(method, target, version, headers, block_cache)
        if len(head_cache) >= _BLOCK_CACHE_SIZE:
            head_cache.clear()
        head_cache[key] = head
        return head
    except TypeError:  # an unhashable value: built and validated every time
        return _serialize_head(method, target, version, headers, block_cache)


def _serialize_head(
    method: str,
    target: str,
    version: HttpVersion,
    headers: _HeaderSource,
    block_cache: dict[Any, str] | None,
) -> bytes:
    if method not in _KNOWN_METHODS and not _TOKEN_RE.fullmatch(method):
        raise ValueError(f"Invalid HTTP method {method!r}: must be a token")
    bad = _BAD_TARGET_RE.search(target)
    if bad is not None:
        _check_field("HTTP request line", target)
        raise ValueError(f"Invalid character {bad.group()!r} in HTTP request target {target!r}")
    version_text = _VERSIONS.get(version) or f"HTTP/{version[0]}.{version[1]}"
    return _encode_head(f"{method} {target} {version_text}", headers, block_cache)


class _WriterProtocol(Protocol):
    transport: asyncio.Transport | None

    async def _drain_helper(self) -> None: ...


class StreamWriter:
    """Writes a request body onto the connection: compression, then chunked framing.

    The head given to ``write_headers`` is held back and sent with the first body bytes, so a
    small request leaves in one ``transport.write``.
    """

    def __init__(
        self,
        protocol: _WriterProtocol,
        loop: asyncio.AbstractEventLoop,
        on_chunk_sent: Callable[[_Chunk], Awaitable[None]] | None = None,
    ) -> None:
        self._protocol = protocol
        self.loop = loop
        self._on_chunk_sent = on_chunk_sent
        self.chunked = False
        self.length: int | None = None
        """Bytes still allowed (Content-Length); writes beyond it are cut off."""
        self.buffer_size = 0
        """Bytes written since the last drain."""
        self.output_size = 0
        """Bytes written in total, framing and head included."""
        self._compress: Compressor | None = None
        self._head = b""
        self._eof = False
        self._high_water = -1

    @property
    def transport(self) -> asyncio.Transport | None:
        return self._protocol.transport

    @property
    def protocol(self) -> Any:
        return self._protocol

    def enable_chunking(self) -> None:
        self.chunked = True

    def enable_compression(self, encoding: str = "deflate") -> None:
        """Compress what follows with ``encoding`` (``deflate``, ``gzip`` or ``br``)."""
        self._compress = compressor_for(encoding)

    def _send(self, parts: list[Any]) -> None:
        transport = self._protocol.transport
        if transport is None or transport.is_closing():
            raise ClientConnectionResetError("Cannot write to closing transport")
        if self._head:
            parts.insert(0, self._head)
            self._head = b""
        data = parts[0] if len(parts) == 1 else b"".join(parts)
        size = len(data)
        self.buffer_size += size
        self.output_size += size
        transport.write(data)

    def _frame(self, chunk: _Chunk) -> list[Any]:
        if self.chunked:
            return [b"%x\r\n" % len(chunk), chunk, b"\r\n"]
        return [chunk]

    def _cut(self, chunk: _Chunk) -> _Chunk:
        if self.length is not None:
            if len(chunk) > self.length:
                chunk = chunk[: self.length]
            self.length -= len(chunk)
        return chunk

    def _above_high_water(self) -> bool:
        transport = self._protocol.transport
        if transport is None:
            return False
        if self._high_water < 0:
            self._high_water = transport.get_write_buffer_limits()[1]
        return transport.get_write_buffer_size() > self._high_water

    async def drain(self) -> None:
        """Wait while the transport is paused for writing (raises if the connection is lost)."""
        self.buffer_size = 0
        await self._protocol._drain_helper()

    async def write(self, chunk: _Chunk, *, drain: bool = True) -> None:
        """Send one piece of body; waits for the peer when the write buffer is full."""
        if self._on_chunk_sent is not None:
            await self._on_chunk_sent(chunk)
        if isinstance(chunk, memoryview) and chunk.itemsize != 1:
            chunk = chunk.cast("B")
        if self._compress is not None:
            chunk = self._compress.compress(chunk)
        chunk = self._cut(chunk)
        if not chunk:
            return
        self._send(self._frame(chunk))
        if drain and self._above_high_water():
            await self.drain()

    async def write_headers(self, status_line: str, headers: _HeaderSource) -> None:
        """Validate and hold the head until the first body write (or ``send_headers``)."""
        _check_field("HTTP status line", status_line)
        self._head = _encode_head(status_line, headers)

    def send_headers(self) -> None:
        """Send a held head now (before waiting for ``100 Continue``, say)."""
        if self._head:
            self._send([])

    async def write_eof(self, chunk: _Chunk = b"") -> None:
        """Send the last piece, the compressor's tail and, when chunked, the ``0`` chunk."""
        if self._eof:
            return
        if chunk and self._on_chunk_sent is not None:
            await self._on_chunk_sent(chunk)
        if self._compress is not None:
            chunk = (self._compress.compress(chunk) if chunk else b"") + self._compress.flush()
        chunk = self._cut(chunk)
        parts = self._frame(chunk) if chunk else []
        if self.chunked:
            parts.append(b"0\r\n\r\n")
        if parts or self._head:
            self._send(parts)
        self._eof = True
        if self.length and not self.chunked:
            # The peer still waits for these bytes: the connection cannot carry another message.
            raise ClientPayloadError(
                f"Request body ended {self.length} bytes short of its Content-Length"
            )
        if self._above_high_water():
            await self.drain()
