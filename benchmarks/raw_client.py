"""The raw asyncio client: the least any asyncio client can do per request on a given loop.

Client ``raw``: one ``asyncio.BufferedProtocol`` per connection writes precomputed request bytes
and reads into one shared buffer with just enough parsing to find each response's end
(Content-Length or chunked framing): no header fields, no decompression, no JSON decoding, no
body kept. Its rate on a workload is the limit of any asyncio client on the same loop, server
and machine: the harness's ``raw`` column, the denominator of "share of raw".

Client ``raw-pipelined``: the same with ``PIPELINE_DEPTH`` requests in flight per connection
(HTTP/1.1 pipelining), which takes the round trip out and leaves the server's own capacity:
the harness's ceiling probe for the concurrent workloads.

The websocket workloads send one prebuilt frame and wait for the whole echo.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any, cast

from benchmarks.workloads import WORKLOADS, Op, Workload, measure, post_body

PIPELINE_DEPTH = 16
READ_BUFFER_SIZE = 256 * 1024  # the size aiohttp_clone reads with (client_proto.py)

HEAD, LENGTH, CHUNK_SIZE, CHUNK_DATA, TRAILER = range(5)


class ResponseEnds:
    """Counts the responses that end in a byte stream, and their body bytes; nothing else."""

    def __init__(self) -> None:
        self.state = HEAD
        self.skip = 0  # bytes of body (or chunk data and its CRLF) still to pass over
        self.carry = b""  # an incomplete head or chunk-size line from the previous read
        self.body = 0  # body bytes seen in all, decoded from the chunked framing

    def feed(self, data: bytes | bytearray, end: int) -> int:
        """Take ``data[:end]``; return how many responses ended in it."""
        if self.carry:
            data = self.carry + data[:end]
            end = len(data)
            self.carry = b""
        pos = 0
        finished = 0
        while pos < end:
            if self.skip:
                take = min(self.skip, end - pos)
                pos += take
                self.skip -= take
                if not self.skip:
                    finished += self._skipped()
                continue
            mark = b"\r\n\r\n" if self.state == HEAD else b"\r\n"
            found = data.find(mark, pos, end)
            if found < 0:
                self.carry = bytes(data[pos:end])
                break
            finished += self._take(bytes(data[pos:found]))
            pos = found + len(mark)
        return finished

    def _skipped(self) -> int:
        if self.state == LENGTH:
            self.state = HEAD
            return 1
        self.state = CHUNK_SIZE  # past a chunk's data and its CRLF
        return 0

    def _take(self, text: bytes) -> int:
        """A complete head (without its blank line) or framing line; 1 if a response ended."""
        if self.state == HEAD:
            if not text.startswith(b"HTTP/1.1 200 "):
                raise ConnectionError(f"unexpected response {text[:40]!r}")
            lower = text.lower()
            if b"\r\ntransfer-encoding: chunked" in lower:
                self.state = CHUNK_SIZE
                return 0
            start = lower.index(b"\r\ncontent-length:") + 17
            stop = lower.find(b"\r\n", start)
            length = int(lower[start : stop if stop > 0 else len(lower)])
            self.body += length
            self.skip = length
            self.state = LENGTH
            return 0 if length else self._skipped()
        if self.state == CHUNK_SIZE:
            size = int(text.split(b";", 1)[0], 16)
            if size:
                self.body += size
                self.skip = size + 2
                self.state = CHUNK_DATA
            else:
                self.state = TRAILER
            return 0
        if text:  # a trailer field; the blank line ends the message
            return 0
        self.state = HEAD
        return 1


_BUFFER = bytearray(READ_BUFFER_SIZE)
_VIEW = memoryview(_BUFFER)


class RawHttp(asyncio.BufferedProtocol):
    """One keep-alive connection: writes request bytes, waits until as many responses ended.

    Every connection reads into the same buffer: a transport hands each read to
    ``buffer_updated`` before it asks for a buffer again, and nothing here keeps the bytes.
    """

    def __init__(self) -> None:
        self.ends = ResponseEnds()
        self.transport: asyncio.Transport | None = None
        self.waiting = 0
        self.done: asyncio.Future[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def connection_lost(self, exc: Exception | None) -> None:
        if self.done is not None and not self.done.done():
            self.done.set_exception(exc or ConnectionError("the server closed the connection"))

    def get_buffer(self, sizehint: int) -> memoryview:
        return _VIEW

    def buffer_updated(self, nbytes: int) -> None:
        finished = self.ends.feed(_BUFFER, nbytes)
        if finished:
            self.waiting -= finished
            done = self.done
            if self.waiting <= 0 and done is not None and not done.done():
                done.set_result(None)

    async def exchange(self, request: bytes, responses: int) -> int:
        """Send ``request`` (``responses`` requests in a row); return the body bytes received."""
        assert self.transport is not None
        before = self.ends.body
        self.waiting = responses
        done = self.done = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        await done
        return self.ends.body - before


def split_url(url: str) -> tuple[str, int]:
    host, _, port = url.split("//", 1)[1].rstrip("/").rpartition(":")
    return host, int(port)


def request_bytes(workload: Workload, path: str) -> bytes:
    if workload.op == "post":
        body = post_body()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        return head.encode() + body
    return f"GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode()


async def bench_raw_http(
    args: argparse.Namespace, workload: Workload, depth: int
) -> dict[str, Any]:
    if depth > 1 and workload.op == "stream":
        raise ValueError("the download is one stream: there is nothing to pipeline")
    request = request_bytes(workload, workload.path.format(size=args.download_size)) * depth
    host, port = split_url(args.url)
    loop = asyncio.get_running_loop()
    conns = [
        (await loop.create_connection(RawHttp, host, port))[1] for _ in range(workload.concurrency)
    ]

    def op_for(conn: RawHttp) -> Op:
        async def op() -> int:
            return await conn.exchange(request, depth)

        return op

    ops = [op_for(conn) for conn in conns]
    try:
        once = len(ops) if workload.op == "stream" else None  # one download is warm enough
        run = await measure(ops, args, once)  # counts batches of ``depth`` requests
    finally:
        for conn in conns:
            if conn.transport is not None:
                conn.transport.close()
    return run.result(args, workload.unit, batch=depth, depth=depth)


# ------------------------------------------------------------------------------- websockets


class RawWebSocket(asyncio.BufferedProtocol):
    """The least a websocket client can do: write a prebuilt frame, wait for the whole echo.

    Frames carry the mask bit with an all-zero key, which is valid RFC 6455 and leaves the
    payload as is, so no per-message masking runs on the client side. Reads land in the shared
    buffer, as the HTTP client's do: a plain ``asyncio.Protocol`` would get a fresh bytes
    object per read from asyncio's selector loop (a 256 KiB allocation, then a shrink)."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.head = bytearray()  # the 101 response, until it is complete
        self.upgraded: asyncio.Future[None] | None = None
        self.expect = 0  # bytes of the echo frame still to arrive
        self.done: asyncio.Future[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def connection_lost(self, exc: Exception | None) -> None:
        for fut in (self.upgraded, self.done):
            if fut is not None and not fut.done():
                fut.set_exception(exc or ConnectionError("server closed the websocket"))

    def get_buffer(self, sizehint: int) -> memoryview:
        return _VIEW

    def buffer_updated(self, nbytes: int) -> None:
        if self.upgraded is not None and not self.upgraded.done():
            self.head += _VIEW[:nbytes]
            end = self.head.find(b"\r\n\r\n")
            if end < 0:
                return
            if not self.head.startswith(b"HTTP/1.1 101"):
                self.upgraded.set_exception(ConnectionError(bytes(self.head[:60]).decode()))
                return
            nbytes = len(self.head) - end - 4  # frame bytes that came with the head
            self.upgraded.set_result(None)
        self.expect -= nbytes
        if self.expect <= 0 and self.done is not None and not self.done.done():
            self.done.set_result(None)

    async def upgrade(self, request: bytes) -> None:
        assert self.transport is not None
        self.upgraded = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        await self.upgraded

    async def echo(self, frame: bytes, reply_size: int) -> None:
        assert self.transport is not None
        self.expect = reply_size
        self.done = asyncio.get_running_loop().create_future()
        self.transport.write(frame)
        await self.done


def raw_ws_frame(opcode: int, payload: bytes, masked: bool) -> bytes:
    size = len(payload)
    bit = 0x80 if masked else 0
    if size < 126:
        head = bytes((0x80 | opcode, bit | size))
    elif size < 65536:
        head = bytes((0x80 | opcode, bit | 126)) + size.to_bytes(2, "big")
    else:
        head = bytes((0x80 | opcode, bit | 127)) + size.to_bytes(8, "big")
    return head + (b"\0\0\0\0" if masked else b"") + payload


async def bench_raw_ws(args: argparse.Namespace, workload: Workload) -> dict[str, Any]:
    size = workload.expect or 0
    host, port = split_url(args.url)
    loop = asyncio.get_running_loop()
    transport, proto = await loop.create_connection(RawWebSocket, host, port)
    opcode = 0x2 if workload.op == "ws_binary" else 0x1
    payload = b"x" * size
    frame = raw_ws_frame(opcode, payload, masked=True)
    reply = len(raw_ws_frame(opcode, payload, masked=False))
    try:
        await proto.upgrade(
            b"GET /ws HTTP/1.1\r\nHost: bench\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )

        async def op() -> int:
            await proto.echo(frame, reply)
            return size

        run = await measure([op], args)
    finally:
        transport.close()
    return run.result(args, workload.unit)


async def bench_raw(args: argparse.Namespace) -> dict[str, Any]:
    """Client ``raw`` or ``raw-pipelined`` on ``args.workload``."""
    workload = WORKLOADS[args.workload]
    depth = PIPELINE_DEPTH if args.client == "raw-pipelined" else 1
    if workload.websocket:
        if depth > 1:
            raise ValueError("websocket echoes are not pipelined")
        return await bench_raw_ws(args, workload)
    return await bench_raw_http(args, workload, depth)
