"""Soak and burst runs against the canned server (benchmarks/server.py); not part of make test.

``python -m benchmarks.soak [--requests N] [--limit 100] [--concurrency C]``
    N small GETs (default 1,000,000) through one ``ClientSession`` whose connector has the given
    limit, from C concurrent workers (default 1.5 x limit, so requests also queue for the pool).
    Every 10 s it prints the requests so far, the rate over the last interval, the process's
    RSS (VmRSS) and open fds; at the end it says whether RSS and fds stayed flat after warm-up
    (first sample at or after ``--warmup`` seconds against the last: RSS within 10 %, fds
    within +-2).

``python -m benchmarks.soak --burst 10000``
    10,000 concurrent GETs through ``TCPConnector(limit=0)``: every one must complete or fail
    with a ``ClientError``/timeout (never hang, never leak); prints the counts by outcome.

Both exit non-zero when the run was not clean (not flat, unexpected exception, fds left open).
Traffic goes to 127.0.0.1 only, and every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import resource
import sys
import time
from dataclasses import dataclass

import aiohttp_clone
from benchmarks.runner import BenchServer

INTERVAL = 10.0


def rss_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def fd_count() -> int:
    return len(os.listdir("/proc/self/fd"))


def raise_fd_limit() -> int:
    """The soft RLIMIT_NOFILE raised to the hard one (inherited by the server process)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = 1 << 20
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def outcome_of(exc: BaseException) -> str:
    return type(exc).__name__


# ---------------------------------------------------------------------------------- soak


@dataclass
class Sample:
    elapsed: float
    done: int
    rate: float
    rss_kib: int
    fds: int
    errors: int


class Soak:
    def __init__(
        self, url: str, requests: int, limit: int, concurrency: int, max_seconds: float
    ) -> None:
        self.url = url
        self.requests = requests
        self.limit = limit
        self.concurrency = concurrency
        self.deadline = time.monotonic() + max_seconds
        self.issued = 0
        self.done = 0
        self.outcomes: collections.Counter[str] = collections.Counter()
        self.samples: list[Sample] = []

    async def worker(self, session: aiohttp_clone.ClientSession) -> None:
        while self.issued < self.requests and time.monotonic() < self.deadline:
            self.issued += 1
            try:
                async with session.get(self.url) as resp:
                    body = await resp.read()
                    outcome = str(resp.status) if body == b"Hello, World!" else "bad body"
            except (TimeoutError, aiohttp_clone.ClientError) as exc:
                outcome = outcome_of(exc)
            self.outcomes[outcome] += 1
            self.done += 1

    def sample(self, started: float, last: tuple[float, int]) -> tuple[float, int]:
        now = time.monotonic()
        errors = self.done - self.outcomes["200"]
        rate = (self.done - last[1]) / max(now - last[0], 1e-9)
        row = Sample(now - started, self.done, rate, rss_kib(), fd_count(), errors)
        self.samples.append(row)
        print(
            f"{row.elapsed:7.1f} s  {row.done:>9,} requests  {row.rate:>8,.0f} req/s  "
            f"RSS {row.rss_kib / 1024:7.1f} MiB  fds {row.fds:>4}  errors {row.errors}",
            flush=True,
        )
        return now, self.done

    async def reporter(self, started: float) -> None:
        last = (started, 0)
        while True:
            await asyncio.sleep(INTERVAL)
            last = self.sample(started, last)

    async def run(self) -> None:
        connector = aiohttp_clone.TCPConnector(limit=self.limit)
        started = time.monotonic()
        self.sample(started, (started, 0))
        async with aiohttp_clone.ClientSession(connector=connector) as session:
            reporter = asyncio.create_task(self.reporter(started))
            try:
                await asyncio.gather(*(self.worker(session) for _ in range(self.concurrency)))
            finally:
                reporter.cancel()
            self.sample(started, (self.samples[-1].elapsed + started, self.samples[-1].done))


def flat_verdict(samples: list[Sample], warmup: float) -> bool | None:
    """RSS within 10 % and fds within +-2 from the first post-warm-up sample to the last."""
    after = [s for s in samples if s.elapsed >= warmup]
    if len(after) < 2:
        print(f"flat: not enough samples after the {warmup:.0f} s warm-up to tell")
        return None
    first, last = after[0], after[-1]
    rss_change = (last.rss_kib - first.rss_kib) / first.rss_kib
    fd_change = last.fds - first.fds
    rss_flat = abs(rss_change) <= 0.10
    fds_flat = abs(fd_change) <= 2
    print(
        f"RSS {first.rss_kib / 1024:.1f} -> {last.rss_kib / 1024:.1f} MiB "
        f"({rss_change:+.1%}) from {first.elapsed:.0f} s to {last.elapsed:.0f} s: "
        f"{'flat' if rss_flat else 'NOT flat'}"
    )
    print(f"fds {first.fds} -> {last.fds} ({fd_change:+d}): {'flat' if fds_flat else 'NOT flat'}")
    return rss_flat and fds_flat


def soak(args: argparse.Namespace, url: str) -> int:
    concurrency = args.concurrency or max(1, args.limit * 3 // 2)
    print(
        f"soak: {args.requests:,} GETs of {url}, limit={args.limit}, "
        f"{concurrency} workers, C twins active: {aiohttp_clone.USING_C_EXTENSIONS}"
    )
    run = Soak(url, args.requests, args.limit, concurrency, args.max_seconds)
    fds_before = fd_count()
    started = time.monotonic()
    asyncio.run(run.run())
    elapsed = time.monotonic() - started
    print(
        f"done: {run.done:,} requests in {elapsed:.1f} s ({run.done / elapsed:,.0f} req/s); "
        f"outcomes: {dict(run.outcomes)}"
    )
    flat = flat_verdict(run.samples, args.warmup)
    fds_after = fd_count()
    print(f"fds before the session {fds_before}, after it closed {fds_after}")
    clean = run.outcomes["200"] == run.done == args.requests and fds_after <= fds_before
    return 0 if clean and flat is not False else 1


# ---------------------------------------------------------------------------------- burst


async def burst_run(url: str, count: int, timeout: float) -> collections.Counter[str]:
    outcomes: collections.Counter[str] = collections.Counter()
    connector = aiohttp_clone.TCPConnector(limit=0)
    client_timeout = aiohttp_clone.ClientTimeout(total=timeout)

    async def one(session: aiohttp_clone.ClientSession) -> None:
        try:
            async with session.get(url) as resp:
                body = await resp.read()
                outcomes[str(resp.status) if body == b"Hello, World!" else "bad body"] += 1
        except (TimeoutError, aiohttp_clone.ClientError) as exc:
            outcomes[outcome_of(exc)] += 1

    async with aiohttp_clone.ClientSession(connector=connector, timeout=client_timeout) as s:
        results = await asyncio.gather(*(one(s) for _ in range(count)), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                outcomes[f"UNEXPECTED {outcome_of(result)}: {result}"] += 1
        print(f"peak: fds {fd_count()} with the pool still open, RSS {rss_kib() / 1024:.1f} MiB")
    return outcomes


def burst(args: argparse.Namespace, url: str) -> int:
    print(
        f"burst: {args.burst:,} concurrent GETs of {url}, TCPConnector(limit=0), "
        f"total timeout {args.timeout:.0f} s"
    )
    fds_before = fd_count()
    started = time.monotonic()
    outcomes = asyncio.run(burst_run(url, args.burst, args.timeout))
    elapsed = time.monotonic() - started
    fds_after = fd_count()
    total = sum(outcomes.values())
    print(f"done in {elapsed:.1f} s: {total:,} of {args.burst:,} accounted for")
    for outcome, count in outcomes.most_common():
        print(f"  {outcome:<40} {count:>7,}")
    print(f"fds before {fds_before}, after the session closed {fds_after}")
    clean = total == args.burst and not any(o.startswith("UNEXPECTED") for o in outcomes)
    return 0 if clean and fds_after <= fds_before else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=0, help="default: 1.5 x limit")
    parser.add_argument("--warmup", type=float, default=10.0, help="seconds before 'flat' counts")
    parser.add_argument("--max-seconds", type=float, default=3600.0, help="stop issuing after")
    parser.add_argument("--burst", type=int, default=0, help="run the burst test instead")
    parser.add_argument("--timeout", type=float, default=120.0, help="burst: total timeout")
    args = parser.parse_args(argv)
    limit = raise_fd_limit()
    if args.burst and limit < args.burst + 100:
        print(
            f"warning: RLIMIT_NOFILE is {limit}: the client and the server (each in its own "
            f"process) need one fd per connection, so some connections will fail",
            flush=True,
        )
    server = BenchServer(show_stderr=True)
    url = server.url + "/small"
    try:
        return burst(args, url) if args.burst else soak(args, url)
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
