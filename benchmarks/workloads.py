"""The workloads every benchmark client runs, and the timing loop and result line they share.

Shared by the library clients (benchmarks/client_worker.py) and the raw asyncio client
(benchmarks/raw_client.py), so both are timed the same way.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

MB = 1_000_000  # throughput is reported in decimal megabytes per second
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

    @property
    def probed_by_pipelining(self) -> bool:
        """Whether the pipelining raw client probes this workload's ceiling: only where
        requests can be in flight together (concurrent HTTP, not a websocket's echoes)."""
        return self.concurrency > 1 and not self.websocket


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

# Clients without a websocket API: the harness reports n/a for them on ws workloads.
NO_WEBSOCKETS = frozenset({"httpx"})

Op = Callable[[], Awaitable[int]]


def post_body() -> bytes:
    """The POST workload's document as every client sends it (``json.dumps`` defaults)."""
    return json.dumps(POST_DOC).encode()


async def run_each(ops: Sequence[Op], duration: float, count: int | None) -> tuple[int, int, float]:
    """Run every op in its own task, again and again, until ``duration`` passes (or ``count``
    ops ran in all).

    Returns (operations, bytes or items the ops reported, elapsed seconds).
    """
    done = 0
    units = 0
    limit = count if count is not None else sys.maxsize
    start = time.perf_counter()
    deadline = start + duration

    async def worker(op: Op) -> None:
        nonlocal done, units
        while done < limit and time.perf_counter() < deadline:
            done += 1
            got = await op()  # awaited first: `units += await op()` would read a stale total
            units += got

    await asyncio.gather(*(worker(op) for op in ops))
    return done, units, time.perf_counter() - start


@dataclass(frozen=True)
class Measured:
    """One measured run: what ``run_each`` counted, and the CPU this process spent on it."""

    ops: int
    units: int
    elapsed: float
    cpu: float  # seconds of user + system time

    def result(
        self, args: argparse.Namespace, unit: str, batch: int = 1, **extra: Any
    ) -> dict[str, Any]:
        """The worker's result line; each counted op was ``batch`` requests (pipelining)."""
        ops = self.ops * batch
        # The client's own CPU per operation: steadier than the rate when the machine is
        # shared, since it leaves out time spent waiting for the CPU.
        cpu_us = round(self.cpu / max(ops, 1) * 1e6, 2)
        return result_line(args, unit, ops, self.units, self.elapsed, **extra, cpu_us_per_op=cpu_us)


async def measure(
    ops: Sequence[Op], args: argparse.Namespace, warmup_count: int | None = None
) -> Measured:
    """``args.warmup`` seconds (or ``warmup_count`` ops) unmeasured, then the measured run:
    ``args.duration`` seconds or ``args.count`` ops."""
    if args.warmup > 0:
        await run_each(ops, args.warmup, warmup_count)
    cpu = time.process_time()
    done, units, elapsed = await run_each(ops, args.duration, args.count)
    return Measured(done, units, elapsed, time.process_time() - cpu)


def peak_rss_mb() -> float:
    """This process's peak resident set, MiB: VmHWM, which belongs to the program this process
    runs; ``ru_maxrss`` would start at the harness's own peak, from which the worker forked."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


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
        "units": units,  # bytes (MB/s) or what the ops counted
        "elapsed": elapsed,
        "rss_mb": peak_rss_mb(),
        **extra,
    }
