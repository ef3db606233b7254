"""The request body writer: compression, chunked framing and flow control onto the transport.

The head itself is serialized and validated by the codec (``_http/head.py``); this module is the
I/O side that streams a body after it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from ._http.content_coding import Compressor, compressor_for
from ._http.head import HeaderSource, check_field, encode_head
from ._http.messages import HttpVersion, HttpVersion10, HttpVersion11
from .client_exceptions import ClientConnectionResetError, ClientPayloadError

__all__ = (
    "HttpVersion",
    "HttpVersion10",
    "HttpVersion11",
    "StreamWriter",
)

_Chunk = bytes | bytearray | memoryview


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
        self.on_body_write: Callable[[int, int], None] | None = None
        """Told (body bytes taken, ``output_size`` after them) at each write: upload progress."""
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
        given = len(chunk)
        if self._compress is not None:
            chunk = self._compress.compress(chunk)
        chunk = self._cut(chunk)
        # Progress counts the caller's bytes: all of them when compressing, else those kept.
        taken = given if self._compress is not None else len(chunk)
        if chunk:
            self._send(self._frame(chunk))
        if self.on_body_write is not None:
            self.on_body_write(taken, self.output_size)
        if chunk and drain and self._above_high_water():
            await self.drain()

    async def write_headers(self, status_line: str, headers: HeaderSource) -> None:
        """Validate and hold the head until the first body write (or ``send_headers``)."""
        check_field("HTTP status line", status_line)
        self._head = encode_head(status_line, headers)

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
