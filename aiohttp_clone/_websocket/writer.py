"""Sans-I/O websocket frame writer and the permessage-deflate handshake helpers.

A client masks every frame it sends (RFC 6455 section 5.3) with a key the server cannot
predict, so keys come from ``os.urandom``, fetched 4 KiB at a time to keep the system call off
the per-frame path.
"""

from __future__ import annotations

import os
import zlib
from struct import Struct

from .mask import websocket_mask
from .models import WSMsgType

__all__ = ("WebSocketWriter", "deflate_offer", "negotiate_deflate")

_HEAD_16 = Struct("!BBH")
_HEAD_64 = Struct("!BBQ")
_FIN = 0x80
_RSV1 = 0x40
_MASKED = 0x80
_DEFLATE_TAIL = b"\x00\x00\xff\xff"
_MASK_POOL_SIZE = 4096


class _MaskSource:
    """Unpredictable 4-byte masking keys, 1024 per ``os.urandom`` call."""

    __slots__ = ("_pool", "_pos")

    def __init__(self) -> None:
        self._pool = b""
        self._pos = _MASK_POOL_SIZE

    def next(self) -> bytes:
        pos = self._pos
        if pos >= _MASK_POOL_SIZE:
            self._pool = os.urandom(_MASK_POOL_SIZE)
            pos = 0
        self._pos = pos + 4
        return self._pool[pos : pos + 4]


_masks = _MaskSource()


class WebSocketWriter:
    """Builds masked client frames; compresses data frames when permessage-deflate is on.

    ``compress`` is the negotiated client window size in bits (0: not negotiated);
    ``notakeover`` means every message must be compressed without reference to the
    previous ones (``client_no_context_takeover``).
    """

    def __init__(self, compress: int = 0, notakeover: bool = False) -> None:
        self.compress = compress
        self.notakeover = notakeover
        self._compressor: zlib._Compress | None = None

    def frame(self, payload: bytes, opcode: int, compress: int | None = None) -> bytearray:
        """One complete masked frame carrying ``payload``, ready for ``transport.write``."""
        first = _FIN | opcode
        if opcode < 8 and self.compress:
            wbits = self.compress if compress is None else compress
            if wbits:
                payload = self._deflate(payload, wbits)
                first |= _RSV1
        size = len(payload)
        if size < 126:
            frame = bytearray((first, _MASKED | size))
            mask = _masks.next()
            frame += mask
            frame += payload
            if size:
                websocket_mask(mask, memoryview(frame)[6:])  # type: ignore[arg-type]
            return frame
        if size < 65536:
            head = _HEAD_16.pack(first, _MASKED | 126, size) + _masks.next()
        else:
            head = _HEAD_64.pack(first, _MASKED | 127, size) + _masks.next()
        # Larger payloads: mask the whole frame in place (no view, no second buffer), with
        # the key turned to where the payload starts, then write the header back over what
        # the XOR did to it. The 14-byte header starts the payload half way into a key cycle.
        frame = bytearray(head)
        frame += payload
        key = head[-4:]
        if len(head) == 14:
            key = key[2:] + key[:2]
        websocket_mask(key, frame)
        frame[: len(head)] = head
        return frame

    def close_frame(self, code: int, message: bytes | str) -> bytearray:
        reason = message.encode("utf-8") if isinstance(message, str) else message
        return self.frame(code.to_bytes(2, "big") + reason, WSMsgType.CLOSE)

    def _deflate(self, payload: bytes, wbits: int) -> bytes:
        compressor = self._compressor if wbits == self.compress else None
        if compressor is None:
            # zlib cannot compress raw deflate with an 8-bit window; 9 fits every peer's 8.
            compressor = zlib.compressobj(wbits=-max(wbits, 9))
            if wbits == self.compress:
                self._compressor = compressor
        # A full flush also empties the window: what client_no_context_takeover asks for.
        mode = zlib.Z_FULL_FLUSH if self.notakeover else zlib.Z_SYNC_FLUSH
        data = compressor.compress(payload) + compressor.flush(mode)
        return data[:-4] if data.endswith(_DEFLATE_TAIL) else data


def deflate_offer(compress: int) -> str:
    """The Sec-WebSocket-Extensions offer for ``ws_connect(compress=N)`` (9-15).

    As in aiohttp, N is the window the server is asked to compress with; the client's own
    window is left for the server to choose (``client_max_window_bits`` with no value).
    """
    if compress == zlib.MAX_WBITS:
        return "permessage-deflate; client_max_window_bits"
    return f"permessage-deflate; client_max_window_bits; server_max_window_bits={compress}"


def _window_bits(name: str, value: str) -> int:
    if not value.isdigit() or not 8 <= int(value) <= 15:
        raise ValueError(f"invalid {name}={value!r} in the extension response")
    return int(value)


def negotiate_deflate(header: str | None, compress: int) -> tuple[int, bool]:
    """Check the server's Sec-WebSocket-Extensions answer against our offer (RFC 7692).

    Returns the client window bits to compress with (0: no compression; 15 unless the server
    chose fewer) and whether the server asked for client_no_context_takeover; raises
    ValueError on anything not offered.
    """
    if not header or not header.strip():
        return 0, False
    if not compress:
        raise ValueError("the server accepted an extension that was not offered")
    extensions = [ext for ext in header.split(",") if ext.strip()]
    if len(extensions) != 1:
        raise ValueError("the server accepted more than the one extension offered")
    name, *params = (part.strip() for part in extensions[0].split(";"))
    if name.lower() != "permessage-deflate":
        raise ValueError(f"the server accepted an extension that was not offered: {name!r}")
    wbits, notakeover = zlib.MAX_WBITS, False
    seen: set[str] = set()
    for param in params:
        key, has_value, value = (p.strip() for p in param.partition("="))
        key = key.lower()
        value = value.strip('"')
        if key in seen:
            raise ValueError(f"duplicate extension parameter {key!r}")
        seen.add(key)
        if key in ("server_no_context_takeover", "client_no_context_takeover"):
            if has_value:
                raise ValueError(f"{key} takes no value")
            notakeover = notakeover or key == "client_no_context_takeover"
        elif key == "server_max_window_bits":
            # We always inflate with the largest window; a server may not exceed what we asked.
            if _window_bits(key, value) > compress:
                raise ValueError(f"server_max_window_bits={value} is more than offered")
        elif key == "client_max_window_bits":
            wbits = _window_bits(key, value)
        else:
            raise ValueError(f"unknown extension parameter {key!r}")
    return wbits, notakeover
