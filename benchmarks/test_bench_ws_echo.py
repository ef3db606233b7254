"""Websocket echo round trips against the benchmark server's ``/ws``: aiohttp_clone and aiohttp
driven by the same code. Not part of ``make test``; the harness (``python -m benchmarks
--workloads ws_echo_32,ws_echo_64k``) is the reference, and also runs the pure-Python twin,
which needs its own process.

    .venv/bin/python -m pytest benchmarks/test_bench_ws_echo.py --benchmark-only \
        --benchmark-columns=median,ops --benchmark-sort=name

One benchmark round is a batch of ``BATCH`` sequential round trips on one open websocket, so
the cost of entering the event loop is spread thin; ``extra_info["rt/s"]`` is the median rate.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Iterator
from typing import Any

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from benchmarks.runner import BenchServer

BATCH = 200
CASES = {"32B-text": (32, False), "64KiB-binary": (65536, True)}


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    server = BenchServer(show_stderr=True)
    try:
        yield server.url + "/ws"
    finally:
        server.stop()


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("client", ["aiohttp_clone", "aiohttp"])
def test_ws_echo(benchmark: BenchmarkFixture, server_url: str, client: str, case: str) -> None:
    mod: Any = importlib.import_module(client)
    size, binary = CASES[case]
    loop = asyncio.new_event_loop()

    async def open_ws() -> tuple[Any, Any]:
        session = mod.ClientSession()
        return session, await session.ws_connect(server_url)

    session, ws = loop.run_until_complete(open_ws())
    message: Any = bytes(size) if binary else "x" * size
    send = ws.send_bytes if binary else ws.send_str

    async def batch() -> None:
        for _ in range(BATCH):
            await send(message)
            msg = await ws.receive()
            assert len(msg.data) == size, msg

    try:
        loop.run_until_complete(batch())  # warm
        benchmark.pedantic(lambda: loop.run_until_complete(batch()), rounds=15, warmup_rounds=1)
        benchmark.extra_info["rt/s"] = BATCH / benchmark.stats.stats.median
    finally:
        loop.run_until_complete(ws.close())
        loop.run_until_complete(session.close())
        loop.close()
