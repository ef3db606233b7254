"""A fast canned-response HTTP/1.1 server for the end-to-end benchmarks.

Run as ``python -m benchmarks.server [--port 0] [--poll]``; it prints ``PORT <n>`` on stdout
once it listens. With ``--poll`` (what ``python -m benchmarks`` uses on two or more CPUs) the loop
never sleeps, so no request waits for the server's core to wake up. Parsing is the bare
minimum (find the blank line, honour Content-Length) so the server costs as little as possible;
every response is precomputed except the 100 MB download, which is written from one
preallocated buffer in large slices, pausing when the transport says so.

Paths: ``/small``, ``/headers30``, ``/chunked1m``, ``/download100m`` (or ``/download/<bytes>``),
``/gzip-json``, ``/post``, and ``/ws``: a websocket echo (RFC 6455). Anything else is 404.

The echo is as small as the HTTP side: after the 101, each client frame is unmasked (with
aiohttp_clone's C mask when it is built, else its pure-Python twin) and sent straight back
unmasked with the same first byte, so fragments, text and binary echo as they came; pings are
answered with pongs and a close is returned before the socket is closed. No UTF-8 validation,
no extensions: the server trusts the client, which is all a benchmark server needs to do.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import gzip
import hashlib
import json
import os
import re
import signal
import sys
from collections.abc import Callable
from typing import cast

SMALL_BODY = b"Hello, World!"
CHUNK = 64 * 1024
DOWNLOAD_SIZE = 100 * 1024 * 1024
WRITE_SLICE = 1024 * 1024
MAX_DOWNLOAD = 4 * 1024 * 1024 * 1024
MAX_BUFFER = 16 * 1024 * 1024  # a client that sends more without reading is cut off


def _response(body: bytes, *headers: str, content_type: str = "text/plain") -> bytes:
    lines = ["HTTP/1.1 200 OK", f"Content-Type: {content_type}", *headers]
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def gzip_json_document() -> bytes:
    """About 50 KB of JSON (before compression); the clients parse it with ``resp.json()``."""
    items = [
        {"id": i, "name": f"user-{i:05d}", "email": f"user{i}@example.com", "score": i * 7 % 101}
        for i in range(640)
    ]
    return json.dumps({"total": len(items), "items": items}).encode()


def _chunked(total: int, chunk: int) -> bytes:
    piece = (b"0123456789abcdef" * (chunk // 16 + 1))[:chunk]
    out = [b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"]
    out.append(b"Transfer-Encoding: chunked\r\n\r\n")
    for start in range(0, total, chunk):
        size = min(chunk, total - start)
        out.append(b"%x\r\n" % size + piece[:size] + b"\r\n")
    out.append(b"0\r\n\r\n")
    return b"".join(out)


CANNED: dict[bytes, bytes] = {
    b"/small": _response(SMALL_BODY),
    b"/headers30": _response(
        SMALL_BODY,
        *(f"X-Bench-Header-{i:02d}: value-{i:02d}-abcdefghijklmnopqrstuvwxyz" for i in range(30)),
    ),
    b"/chunked1m": _chunked(1024 * 1024, CHUNK),
    b"/gzip-json": _response(
        gzip.compress(gzip_json_document(), mtime=0),
        "Content-Encoding: gzip",
        content_type="application/json",
    ),
    b"/post": _response(b'{"ok": true, "received": 1}', content_type="application/json"),
}
NOT_FOUND = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
DOWNLOAD_RE = re.compile(rb"/download(?:100m|/(\d+))")
CONTENT_LENGTH_RE = re.compile(rb"\r\ncontent-length:[ \t]*(\d+)", re.IGNORECASE)
CLOSE_RE = re.compile(rb"\r\nconnection:[ \t]*close", re.IGNORECASE)
WS_KEY_RE = re.compile(rb"\r\nsec-websocket-key:[ \t]*([A-Za-z0-9+/=]+)", re.IGNORECASE)
WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
BAD_REQUEST = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


def _load_unmask() -> Callable[[bytes, memoryview], None]:
    """The project's own C mask, whatever AIOHTTP_CLONE_NO_EXTENSIONS says; its pure-Python
    twin (the same bytes) when the C one is not built."""
    try:
        from aiohttp_clone._websocket.mask_c import websocket_mask
    except ImportError:
        from aiohttp_clone._websocket.mask_py import websocket_mask
    return cast(Callable[[bytes, memoryview], None], websocket_mask)


unmask = _load_unmask()


def ws_accept(head: bytes) -> bytes | None:
    """The 101 for a websocket upgrade request, or None without a Sec-WebSocket-Key."""
    match = WS_KEY_RE.search(head)
    if match is None:
        return None
    accept = base64.b64encode(hashlib.sha1(match.group(1) + WS_GUID).digest())
    return (
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n"
    )


def ws_header(first: int, size: int) -> bytes:
    """An unmasked server frame header."""
    if size < 126:
        return bytes((first, size))
    if size < 65536:
        return bytes((first, 126)) + size.to_bytes(2, "big")
    return bytes((first, 127)) + size.to_bytes(8, "big")


# One buffer serves every download: slices of it are written again and again.
_DOWNLOAD_BUFFER = memoryview(bytes(range(256)) * (WRITE_SLICE // 256))


class BenchProtocol(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.paused = False
        self.remaining = 0  # bytes of a download still to write
        self.close_after = False
        self.websocket = False  # after a 101: the buffer holds websocket frames

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        transport = self.transport
        transport.set_write_buffer_limits(high=4 * WRITE_SLICE, low=WRITE_SLICE)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        self.remaining = 0

    def pause_writing(self) -> None:
        self.paused = True

    def resume_writing(self) -> None:
        self.paused = False
        self._continue()

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) > MAX_BUFFER and self.transport is not None:
            self.transport.close()
            return
        self._continue()

    def _continue(self) -> None:
        """Write what the current download still owes, then answer buffered requests."""
        transport = self.transport
        while transport is not None and not self.paused:
            if self.remaining:
                self._write_download(transport)
                continue
            if self.close_after:
                transport.close()
                return
            if self.websocket:
                if not self._echo_one(transport):
                    return
            elif not self._answer_one(transport):
                return

    def _write_download(self, transport: asyncio.Transport) -> None:
        size = min(self.remaining, WRITE_SLICE)
        transport.write(_DOWNLOAD_BUFFER[:size])
        self.remaining -= size

    def _echo_one(self, transport: asyncio.Transport) -> bool:
        """Echo one complete client frame (pong a ping, return a close); False if partial."""
        buf = self.buffer
        avail = len(buf)
        if avail < 2:
            return False
        first = buf[0]
        size = buf[1] & 0x7F
        pos = 2
        if size == 126:
            if avail < 4:
                return False
            size = (buf[2] << 8) | buf[3]
            pos = 4
        elif size == 127:
            if avail < 10:
                return False
            size = int.from_bytes(buf[2:10], "big")
            pos = 10
        masked = buf[1] & 0x80
        key = b""
        if masked:
            if avail < pos + 4:
                return False
            key = bytes(buf[pos : pos + 4])
            pos += 4
        end = pos + size
        if avail < end:
            return False
        opcode = first & 0x0F
        if opcode == 0x9:  # ping -> pong with the same payload
            first = 0x80 | 0xA
        # The reply is built in one buffer: header, then the payload unmasked in place.
        frame = bytearray(ws_header(first, size))
        start = len(frame)
        with memoryview(buf) as view:
            frame += view[pos:end]
        del buf[:end]
        if masked and size:
            with memoryview(frame) as out:
                unmask(key, out[start:])
        if opcode == 0xA:  # an unsolicited pong needs no answer
            return True
        transport.write(frame)
        if opcode == 0x8:  # the close handshake: our close went back, the socket goes next
            self.close_after = True
        return True

    def _answer_one(self, transport: asyncio.Transport) -> bool:
        buf = self.buffer
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            return False
        head = bytes(buf[: end + 2])
        match = CONTENT_LENGTH_RE.search(head)
        body_len = int(match.group(1)) if match else 0
        if len(buf) < end + 4 + body_len:
            return False
        del buf[: end + 4 + body_len]
        request_line = head[: head.find(b"\r\n")]
        self.close_after = CLOSE_RE.search(head) is not None or request_line.endswith(b"/1.0")
        path = head[head.find(b" ") + 1 : head.find(b" HTTP/")].split(b"?", 1)[0]
        canned = CANNED.get(path)
        if canned is not None:
            transport.write(canned)
            return True
        if path == b"/ws":
            switch = ws_accept(head)
            if switch is None:
                transport.write(BAD_REQUEST)
                self.close_after = True
            else:
                transport.write(switch)
                self.websocket = True
            return True
        download = DOWNLOAD_RE.fullmatch(path)
        if download is not None:
            size = int(download.group(1)) if download.group(1) else DOWNLOAD_SIZE
            self.remaining = min(size, MAX_DOWNLOAD)
            transport.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                b"Content-Length: %d\r\n\r\n" % self.remaining
            )
            return True
        transport.write(NOT_FOUND)
        return True


def new_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def keep_polling(loop: asyncio.AbstractEventLoop) -> None:
    """Never let the loop sleep: a callback that always reschedules itself makes every turn
    poll the sockets with a zero timeout.

    On a VM a sleeping server pays for each request the hypervisor's wake-up of its halted
    vCPU (tens of microseconds here), which then dominates a sequential round trip and hides
    what the clients cost. Busy polling, as latency benchmarks do, costs this process one core.
    """

    def again() -> None:
        loop.call_soon(again)

    loop.call_soon(again)


async def serve(host: str, port: int, poll: bool = False) -> None:
    loop = asyncio.get_running_loop()
    if poll:
        keep_polling(loop)
    server = await loop.create_server(BenchProtocol, host, port, backlog=1024)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    bound = server.sockets[0].getsockname()[1]
    sys.stdout.write(f"PORT {bound}\n")
    sys.stdout.flush()
    async with server:
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--cpu", type=int, default=None, help="pin the process to this CPU")
    parser.add_argument("--poll", action="store_true", help="busy-poll, never sleep")
    args = parser.parse_args(argv)
    if args.cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.cpu})
    loop = new_loop()
    try:
        loop.run_until_complete(serve(args.host, args.port, args.poll))
    finally:
        loop.close()


if __name__ == "__main__":
    main()
