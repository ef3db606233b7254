"""One client, one workload, one process: prints a single JSON line with the result.

    python -m benchmarks.client_worker --client aiohttp --workload seq --url http://127.0.0.1:P

Clients: ``aiohttp_clone`` (must have its C twins active), ``aiohttp_clone-py`` (run with
``AIOHTTP_CLONE_NO_EXTENSIONS=1``; the harness sets it), ``aiohttp``, ``aiohttp-py`` (aiohttp
with ``AIOHTTP_NO_EXTENSIONS=1``, its own pure-Python build), ``httpx``, and ``raw`` and
``raw-pipelined`` (the minimal asyncio client of benchmarks/raw_client.py: the limit of any
asyncio client, and the server's ceiling probe). aiohttp and aiohttp_clone run the very same
code: only the imported module differs.

``--count N`` stops after N operations (``--duration`` still applies: make it large when N
must be reached, as under valgrind; benchmarks/callgrind.py does).

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
import sys
import traceback
from collections.abc import Awaitable, Callable
from typing import Any

from benchmarks.raw_client import bench_raw
from benchmarks.workloads import POST_DOC, WORKLOADS, Workload, measure

READ_CHUNK = 65536


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
    """The adapter plus which build is active ("C" or "py"; None for httpx)."""
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
    if name in ("aiohttp", "aiohttp-py"):
        parser = importlib.import_module("aiohttp.http_parser")
        impl = "py" if parser.HttpResponseParser is parser.HttpResponseParserPy else "C"
        wanted = "C" if name == "aiohttp" else "py"
        if impl != wanted:
            raise RuntimeError(f"{name} needs aiohttp's {wanted} parser but {impl} is active")
        return AiohttpFamily(importlib.import_module("aiohttp")), impl
    if name == "httpx":
        return HttpxClient(importlib.import_module("httpx")), None
    raise ValueError(f"unknown client {name!r}")


# ----------------------------------------------------------------------------------- measuring


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
            run = await measure([op], args)
        finally:
            await close()
    finally:
        await client.close()
    expected = run.ops * size
    if run.units != expected:
        raise AssertionError(f"{run.ops} echoes carried {run.units} bytes, expected {expected}")
    return run.result(args, workload.unit, impl=impl)


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
        once = 1 if workload.op == "stream" else None  # one big download is warm enough
        run = await measure([op] * workload.concurrency, args, once)
    finally:
        await client.close()
    return run.result(args, workload.unit, impl=impl)


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
        if args.workload not in WORKLOADS:
            raise ValueError(f"unknown workload {args.workload!r}")
        bench = bench_raw if args.client in ("raw", "raw-pipelined") else bench_client
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
