"""What tracing costs per request: no trace configs (the hot path must pay nothing), a
TraceConfig with no callbacks, and one with a callback on every request-level signal.

    .venv/bin/python -m pytest benchmarks/test_bench_tracing.py --benchmark-only \
        --benchmark-columns=median,ops --benchmark-sort=name

One round is ``BATCH`` sequential keep-alive GETs against the benchmark server's ``/small``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

import aiohttp_clone as aiohttp
from benchmarks.runner import BenchServer

BATCH = 200
SIGNALS = (
    "on_request_start",
    "on_request_headers_sent",
    "on_request_end",
    "on_connection_reuseconn",
    "on_connection_create_start",
    "on_connection_create_end",
)


@pytest.fixture(scope="module")
def small_url() -> Iterator[str]:
    server = BenchServer(show_stderr=True)
    try:
        yield server.url + "/small"
    finally:
        server.stop()


def _trace_configs(kind: str) -> list[aiohttp.TraceConfig]:
    if kind == "none":
        return []
    config = aiohttp.TraceConfig()
    if kind == "callbacks":

        async def count(session: Any, ctx: Any, params: Any) -> None:
            ctx.calls = getattr(ctx, "calls", 0) + 1

        for name in SIGNALS:
            getattr(config, name).append(count)
    return [config]


@pytest.mark.parametrize("kind", ["none", "empty-config", "callbacks"])
def test_tracing_overhead(benchmark: BenchmarkFixture, small_url: str, kind: str) -> None:
    loop = asyncio.new_event_loop()
    session = loop.run_until_complete(_open(kind))

    async def batch() -> None:
        for _ in range(BATCH):
            async with session.get(small_url) as resp:
                await resp.read()

    try:
        loop.run_until_complete(batch())  # warm the pool
        benchmark.group = "tracing overhead"
        benchmark.extra_info["requests per round"] = BATCH
        benchmark.pedantic(lambda: loop.run_until_complete(batch()), rounds=15, iterations=1)
    finally:
        loop.run_until_complete(session.close())
        loop.close()


async def _open(kind: str) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(trace_configs=_trace_configs(kind))
