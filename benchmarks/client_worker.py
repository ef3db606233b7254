"""One client, one workload, one process: prints a single JSON line with the result.

    python -m benchmarks.client_worker --client aiohttp --workload seq --url http://127.0.0.1:P

Clients: ``aiohttp_clone`` (must have its C twins active), ``aiohttp_clone-py`` (run with
``AIOHTTP_CLONE_NO_EXTENSIONS=1``; the harness sets it), ``aiohttp``, ``httpx`` and ``raw`` (a
minimal asyncio client used to measure the server's ceiling). aiohttp and aiohttp_clone run the
very same code: only the imported module differs.

The websocket workloads (``ws_echo_*``) open one websocket and time sequential round trips on
it: send one message, receive its echo, check it, repeat. httpx has no websocket client; the
harness shows ``n/a`` for it without starting a worker.

The line is ``{"value": ..., "unit": "req/s"|"rt/s"|"MB/s", "ops", "elapsed", "rss_mb", ...}``
or, when anything fails, ``{"error": "..."}``: the worker never exits without printing one.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import resource
import sys
import time
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, cast

MB = 1_000_000  # throughput is reported in decimal megabytes per second
READ_CHUNK = 65536
POST_DOC = {"id": 1, "name": "benchmark", "values": list(range(200)), "tags": ["a", "b", "c"]}
SMALL_LEN = len(b"Hello, World!")


@dataclass(frozen=True)
class Workload:
    path: str
    concurrency: int
    unit: str  # "req/s", "rt/s" (websocket round trips) or "MB/s"
    op: str  # which client method runs it: get, stream, json, post, ws_text, ws_binary
    expect: int | None = None  # body (or websocket message) length to check, when fixed
    description: str = ""

    @property
    def websocket(self) -> bool:
        return self.op.startswith("ws_")


WORKLOADS: dict[str, Workload] = {
    "seq": Workload("/small", 1, "req/s", "get", SMALL_LEN, "sequential keep-alive GETs"),
    "conc64": Workload("/small", 64, "req/s", "get", SMALL_LEN, "64 concurrent GETs"),
    "headers30": Workload("/headers30", 16, "req/s", "get", SMALL_LEN, "30-header responses"),
    "chunked1m": Workload("/chunked1m", 1, "MB/s", "get", 1024 * 1024, "1 MB chunked body"),
    "download": Workload("/download/{size}", 1, "MB/s", "stream", None, "download, 64 KiB reads"),
    "gzip_json": Workload("/gzip-json", 1, "req/s", "json", None, "50 KB gzip JSON, resp.json()"),
    "post_json": Workload("/post", 16, "req/s", "post", None, "1 KB JSON POSTs, 16 conc."),
    "ws_echo_32": Workload("/ws", 1, "rt/s", "ws_text", 32, "websocket echo, 32 B text"),
    "ws_echo_64k": Workload("/ws", 1, "rt/s", "ws_binary", 65536, "websocket echo, 64 KiB binary"),
}

RAW_WORKLOADS = ("seq", "pipelined", "download", "ws_echo_32", "ws_echo_64k")
# Clients without a websocket API: the harness reports n/a for them on ws workloads.
NO_WEBSOCKETS = frozenset({"httpx"})


# ------------------------------------------------------------------------------------- adapters


class AiohttpFamily:
    """aiohttp's API, driven identically for aiohttp and aiohttp_clone."""

    def __init__(self, module: Any) -> None:
        self.mod = module
        self.session: Any = None

    async def open(self) -> None:
        self.session = self.mod.ClientSession()

    async def close(self) -> None:
        await self.session.close()

    async def get(self, url: str) -> int:
        async with self.session.get(url) as resp:
            return len(await resp.read())

    async def stream(self, url: str) -> int:
        total = 0
        async with self.session.get(url) as resp:
            async for chunk in resp.content.iter_chunked(READ_CHUNK):
                total += len(chunk)
        return total

    async def json(self, url: str) -> int:
        async with self.session.get(url) as resp:
            doc = await resp.json()
        return len(doc["items"])

    async def post(self, url: str) -> int:
        async with self.session.post(url, json=POST_DOC) as resp:
            doc = await resp.json()
        return int(doc["ok"])

    async def ws_echo(
        self, url: str, binary: bool, size: int
    ) -> tuple[Callable[[], Awaitable[int]], Callable[[], Awaitable[Any]]]:
        """One open websocket: (a round-trip op returning the echo's length, its closer)."""
        ws = await self.session.ws_connect(url, autoclose=True, autoping=True)
        expected = self.mod.WSMsgType.BINARY if binary else self.mod.WSMsgType.TEXT
        send = ws.send_bytes if binary else ws.send_str
        message: Any = bytes(range(256)) * (size // 256) if binary else "x" * size
        receive = ws.receive

        async def op() -> int:
            await send(message)
            msg = await receive()
            if msg.type != expected:
                raise AssertionError(f"echo came back as {msg.type!r}: {msg.data!r:.80}")
            return len(msg.data)

        return op, ws.close


class HttpxClient:
    def __init__(self, module: Any) -> None:
        self.mod = module
        self.client: Any = None

    async def open(self) -> None:
        # Enough keep-alive slots for 64 concurrent requests, so none is re-opened each time.
        limits = self.mod.Limits(max_connections=100, max_keepalive_connections=100)
        self.client = self.mod.AsyncClient(limits=limits, timeout=60)

    async def close(self) -> None:
        await self.client.aclose()

    async def get(self, url: str) -> int:
        resp = await self.client.get(url)
        return len(resp.content)

    async def stream(self, url: str) -> int:
        total = 0
        async with self.client.stream("GET", url) as resp:
            async for chunk in resp.aiter_bytes(READ_CHUNK):
                total += len(chunk)
        return total

    async def json(self, url: str) -> int:
        resp = await self.client.get(url)
        return len(resp.json()["items"])

    async def post(self, url: str) -> int:
        resp = await self.client.post(url, json=POST_DOC)
        return int(resp.json()["ok"])


def make_client(name: str) -> tuple[Any, str | None]:
    """The adapter plus which twin is active (aiohttp_clone only)."""
    if name in ("aiohttp_clone", "aiohttp_clone-py"):
        module = importlib.import_module("aiohttp_clone")
        active = importlib.import_module("aiohttp_clone._twins").ACTIVE.values()
        # Every twin one way or the other: a half-built package measures neither build.
        impl = "C" if all(active) else "py" if not any(active) else "mixed"
        wanted = "C" if name == "aiohttp_clone" else "py"
        if impl != wanted:
            raise RuntimeError(f"{name} needs the {wanted} twins but {impl} is active")
        if not hasattr(module, "ClientSession"):
            raise RuntimeError("aiohttp_clone has no ClientSession yet")
        return AiohttpFamily(module), impl
    if name == "aiohttp":
        return AiohttpFamily(importlib.import_module("aiohttp")), None
    if name == "httpx":
        return HttpxClient(importlib.import_module("httpx")), None
    raise ValueError(f"unknown client {name!r}")


# ----------------------------------------------------------------------------------- measuring


async def run_for(
    op: Callable[[], Awaitable[int]], concurrency: int, duration: float, count: int | None
) -> tuple[int, int, float]:
    """Run ``op`` from ``concurrency`` tasks until ``duration`` passes (or ``count`` ops ran).

    Returns (operations, bytes or items the ops reported, elapsed seconds).
    """
    ops = 0
    units = 0
    limit = count if count is not None else sys.maxsize
    start = time.perf_counter()
    deadline = start + duration

    async def worker() -> None:
        nonlocal ops, units
        while ops < limit and time.perf_counter() < deadline:
            ops += 1
            units += await op()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return ops, units, time.perf_counter() - start


def check(workload: Workload, result: int, size: int) -> None:
    expected = size if workload.op == "stream" else workload.expect
    if workload.op == "json":
        expected = 640
    if workload.op == "post":
        expected = 1
    if expected is not None and result != expected:
        raise AssertionError(f"{workload.path}: got {result}, expected {expected}")


async def bench_websocket(args: argparse.Namespace, workload: Workload) -> dict[str, Any]:
    client, impl = make_client(args.client)
    if not hasattr(client, "ws_echo"):
        raise RuntimeError(f"{args.client} has no websocket client")
    url = args.url.rstrip("/") + workload.path
    size = workload.expect or 0
    await client.open()
    try:
        op, close = await client.ws_echo(url, workload.op == "ws_binary", size)
        try:
            first = await op()
            if first != size:
                raise AssertionError(f"echo of {size} bytes came back with {first}")
            if args.warmup > 0:
                await run_for(op, 1, args.warmup, None)
            cpu = time.process_time()
            ops, units, elapsed = await run_for(op, 1, args.duration, args.count)
            cpu = time.process_time() - cpu
        finally:
            await close()
    finally:
        await client.close()
    if units != ops * size:
        raise AssertionError(f"{ops} echoes carried {units} bytes, expected {ops * size}")
    # The client's own CPU (user + system) per round trip: steadier than the rate when the
    # machine is shared, since it leaves out time spent waiting for the CPU.
    per_op = round(cpu / max(ops, 1) * 1e6, 2)
    return result_line(args, workload.unit, ops, units, elapsed, impl=impl, cpu_us_per_op=per_op)


async def bench_client(args: argparse.Namespace) -> dict[str, Any]:
    workload = WORKLOADS[args.workload]
    if workload.websocket:
        return await bench_websocket(args, workload)
    client, impl = make_client(args.client)
    path = workload.path.format(size=args.download_size)
    url = args.url.rstrip("/") + path
    method = getattr(client, workload.op)

    async def op() -> int:
        result = int(await method(url))
        check(workload, result, args.download_size)
        return result

    await client.open()
    try:
        warm_url = args.url.rstrip("/") + "/small"
        for _ in range(max(1, workload.concurrency)):  # connections up and code paths warm
            await client.get(warm_url)
        if args.warmup > 0:
            once = 1 if workload.op == "stream" else None  # one big download is warm enough
            await run_for(op, workload.concurrency, args.warmup, once)
        ops, units, elapsed = await run_for(op, workload.concurrency, args.duration, args.count)
    finally:
        await client.close()
    return result_line(args, workload.unit, ops, units, elapsed, impl=impl)


def result_line(
    args: argparse.Namespace, unit: str, ops: int, units: int, elapsed: float, **extra: Any
) -> dict[str, Any]:
    value = units / elapsed / MB if unit == "MB/s" else ops / elapsed
    return {
        "client": args.client,
        "workload": args.workload,
        "loop": args.loop,
        "value": value,
        "unit": unit,
        "ops": ops,
        "elapsed": elapsed,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        **extra,
    }


# ------------------------------------------------------------------------------ the raw client


class RawConnection:
    """The least a client can do: write request bytes, read a head, read Content-Length bytes."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, url: str) -> RawConnection:
        hostport = url.split("//", 1)[1].rstrip("/")
        host, _, port = hostport.rpartition(":")
        reader, writer = await asyncio.open_connection(host, int(port), limit=1 << 20)
        return cls(reader, writer)

    @staticmethod
    def request(path: str) -> bytes:
        return f"GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode()

    async def read_response(self) -> int:
        head = await self.reader.readuntil(b"\r\n\r\n")
        start = head.lower().index(b"content-length:") + 15
        length = int(head[start : head.index(b"\r\n", start)])
        await self.reader.readexactly(length)
        return length

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


class RawDownload(asyncio.BufferedProtocol):
    """Receives into one reused buffer and only counts: the cheapest way to take a big body."""

    def __init__(self) -> None:
        self.view = memoryview(bytearray(1 << 20))
        self.head = bytearray()
        self.remaining = -1  # -1: still reading the head
        self.done: asyncio.Future[None] | None = None
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.done is not None and not self.done.done():
            self.done.set_exception(exc or ConnectionError("server closed mid-body"))

    def get_buffer(self, sizehint: int) -> memoryview:
        return self.view

    def buffer_updated(self, nbytes: int) -> None:
        if self.remaining < 0:
            self.head += self.view[:nbytes]
            end = self.head.find(b"\r\n\r\n")
            if end < 0:
                return
            start = self.head.lower().index(b"content-length:") + 15
            length = int(self.head[start : self.head.index(b"\r\n", start)])
            self.remaining = length - (len(self.head) - end - 4)
        else:
            self.remaining -= nbytes
        if self.remaining <= 0 and self.done is not None and not self.done.done():
            self.done.set_result(None)

    async def fetch(self, request: bytes) -> None:
        assert self.transport is not None
        self.head.clear()
        self.remaining = -1
        self.done = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        await self.done


async def raw_download_op(url: str, size: int) -> tuple[Callable[[], Awaitable[int]], Any]:
    hostport = url.split("//", 1)[1].rstrip("/")
    host, _, port = hostport.rpartition(":")
    loop = asyncio.get_running_loop()
    transport, proto = await loop.create_connection(RawDownload, host, int(port))
    request = RawConnection.request(f"/download/{size}")

    async def op() -> int:
        await proto.fetch(request)
        return size

    return op, transport


class RawWebSocket(asyncio.Protocol):
    """The least a websocket client can do: write a prebuilt frame, wait for the whole echo.

    Frames carry the mask bit with an all-zero key, which is valid RFC 6455 and leaves the
    payload as is, so no per-message masking runs on the client side."""

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

    def data_received(self, data: bytes) -> None:
        if self.upgraded is not None and not self.upgraded.done():
            self.head += data
            end = self.head.find(b"\r\n\r\n")
            if end < 0:
                return
            if not self.head.startswith(b"HTTP/1.1 101"):
                self.upgraded.set_exception(ConnectionError(bytes(self.head[:60]).decode()))
                return
            data = bytes(self.head[end + 4 :])
            self.upgraded.set_result(None)
        self.expect -= len(data)
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


async def bench_raw_ws(args: argparse.Namespace) -> dict[str, Any]:
    workload = WORKLOADS[args.workload]
    size = workload.expect or 0
    hostport = args.url.split("//", 1)[1].rstrip("/")
    host, _, port = hostport.rpartition(":")
    loop = asyncio.get_running_loop()
    transport, proto = await loop.create_connection(RawWebSocket, host, int(port))
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

        await run_for(op, 1, args.warmup, None)
        ops, units, elapsed = await run_for(op, 1, args.duration, args.count)
    finally:
        transport.close()
    return result_line(args, workload.unit, ops, units, elapsed)


async def bench_raw(args: argparse.Namespace) -> dict[str, Any]:
    if args.workload in WORKLOADS and WORKLOADS[args.workload].websocket:
        return await bench_raw_ws(args)
    if args.workload == "download":
        op, transport = await raw_download_op(args.url, args.download_size)
        try:
            await run_for(op, 1, args.warmup, 1)
            ops, units, elapsed = await run_for(op, 1, args.duration, args.count)
        finally:
            transport.close()
        return result_line(args, "MB/s", ops, units, elapsed)
    conn = await RawConnection.open(args.url)
    depth = 32
    try:
        if args.workload == "pipelined":
            batch = conn.request("/small") * depth

            async def op() -> int:
                conn.writer.write(batch)
                for _ in range(depth):
                    await conn.read_response()
                return depth

        else:
            request = conn.request("/small")

            async def op() -> int:
                conn.writer.write(request)
                return await conn.read_response()

        await run_for(op, 1, args.warmup, None)
        ops, units, elapsed = await run_for(op, 1, args.duration, args.count)
    finally:
        await conn.close()
    if args.workload == "pipelined":
        ops = units  # each op was a batch of requests
    return result_line(args, "req/s", ops, units, elapsed)


# ----------------------------------------------------------------------------------------- main


def new_loop(kind: str) -> asyncio.AbstractEventLoop:
    if kind == "uvloop":
        import uvloop

        return uvloop.new_event_loop()
    return asyncio.new_event_loop()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="run one benchmark workload with one client")
    parser.add_argument("--client", required=True)
    parser.add_argument("--workload", required=True)
    parser.add_argument("--url", required=True, help="server base URL, http://127.0.0.1:PORT")
    parser.add_argument("--duration", type=float, default=2.0, help="seconds measured")
    parser.add_argument("--count", type=int, default=None, help="stop after this many ops")
    parser.add_argument("--warmup", type=float, default=0.3, help="seconds run unmeasured")
    parser.add_argument("--download-size", type=int, default=100 * 1024 * 1024)
    parser.add_argument("--loop", choices=["asyncio", "uvloop"], default="asyncio")
    parser.add_argument("--cpu", type=int, default=None, help="pin the process to this CPU")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if args.cpu is not None and hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(0, {args.cpu})
        if args.client == "raw":
            if args.workload not in RAW_WORKLOADS:
                raise ValueError(f"raw client workloads: {', '.join(RAW_WORKLOADS)}")
            bench = bench_raw
        else:
            if args.workload not in WORKLOADS:
                raise ValueError(f"unknown workload {args.workload!r}")
            bench = bench_client
        loop = new_loop(args.loop)
        try:
            result = loop.run_until_complete(bench(args))
        finally:
            loop.close()
    except BaseException as exc:  # report, never crash: the harness shows it in the table
        detail = traceback.format_exc(limit=-3)
        result = {
            "client": args.client,
            "workload": args.workload,
            "loop": args.loop,
            "error": f"{type(exc).__name__}: {exc}"[:500],
            "traceback": detail[-2000:],
        }
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
