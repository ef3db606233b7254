"""``aiohttp-clone bench``: a small load generator built on the library itself.

N requests shared by C workers over one session whose connector allows C connections, so each
worker keeps one keep-alive connection busy: the shape of a real high-concurrency client, and a
quick way to point the library at one's own server and see what it sustains.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from .. import ClientError, ClientSession, ClientTimeout, TCPConnector
from .checks import (
    UsageParser,
    check_header,
    check_method,
    check_url,
    positive_int,
    positive_seconds,
)
from .exits import BENCH_EXIT_CODES_HELP, BENCH_PROG, EXIT_INTERRUPTED, EXIT_NETWORK, EXIT_OK

__all__ = ("BenchResult", "build_parser", "main", "percentile", "run_bench")

_ERROR_TEXT_MAX = 100  # one error kind per line in the report, however long its message


@dataclass
class BenchResult:
    """What a run measured; latencies (seconds) only of requests that got an answer."""

    requests: int = 0
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    bytes_read: int = 0

    @property
    def answered(self) -> int:
        return len(self.latencies)

    @property
    def failed(self) -> int:
        return sum(self.errors.values())


def build_parser() -> argparse.ArgumentParser:
    parser = UsageParser(
        prog=BENCH_PROG,
        description="Send N requests from C concurrent workers and report throughput "
        "and latency percentiles.",
        epilog=BENCH_EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "url",
        help="the URL every request goes to (scheme defaults to http://, "
        "':8080/x' means localhost, as for the main command)",
    )
    parser.add_argument(
        "-n",
        "--requests",
        type=positive_int,
        default=1000,
        metavar="N",
        help="total number of requests (default 1000)",
    )
    parser.add_argument(
        "-c",
        "--concurrency",
        type=positive_int,
        default=10,
        metavar="C",
        help="concurrent workers, and connections in the pool (default 10)",
    )
    parser.add_argument("-m", "--method", default="GET", help="request method (default GET)")
    parser.add_argument(
        "-H",
        "--header",
        action="append",
        default=[],
        metavar="NAME:VALUE",
        help="add a request header (repeatable)",
    )
    parser.add_argument(
        "--timeout",
        type=positive_seconds,
        default=30.0,
        metavar="SECONDS",
        help="per-request total timeout (default 30)",
    )
    parser.add_argument(
        "-k", "--insecure", action="store_true", help="do not verify the server's TLS certificate"
    )
    return parser


def _describe(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".rstrip(": ")
    return text if len(text) <= _ERROR_TEXT_MAX else text[: _ERROR_TEXT_MAX - 3] + "..."


async def _worker(
    session: ClientSession, tickets: Iterator[int], method: str, url: str, result: BenchResult
) -> None:
    # Workers share one iterator: asyncio switches only at awaits, so next() needs no lock.
    for _ in tickets:
        start = time.perf_counter()
        try:
            async with session.request(method, url) as response:
                body = await response.read()
        except (ClientError, TimeoutError, OSError, ValueError) as exc:  # ValueError: bad header
            result.errors[_describe(exc)] += 1
            continue
        result.latencies.append(time.perf_counter() - start)
        result.statuses[response.status] += 1
        result.bytes_read += len(body)


async def run_bench(
    url: str,
    requests: int,
    concurrency: int,
    *,
    method: str = "GET",
    headers: Sequence[tuple[str, str]] = (),
    timeout: float | None = 30.0,
    verify_ssl: bool = True,
) -> BenchResult:
    """Run the load and return the measurements; never raises for failed requests."""
    result = BenchResult(requests=requests)
    tickets = iter(range(requests))
    connector = TCPConnector(limit=concurrency, ssl=verify_ssl)
    session = ClientSession(
        connector=connector, headers=list(headers), timeout=ClientTimeout(total=timeout)
    )
    async with session:
        start = time.perf_counter()
        workers = (_worker(session, tickets, method, url, result) for _ in range(concurrency))
        await asyncio.gather(*workers)
        result.elapsed = time.perf_counter() - start
    return result


def percentile(sorted_values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile: always a latency that was actually measured."""
    if not sorted_values:
        return math.nan
    rank = math.ceil(pct / 100 * len(sorted_values))
    return sorted_values[min(max(rank, 1), len(sorted_values)) - 1]


def _latency_line(result: BenchResult) -> str:
    if not result.latencies:
        return "Latency (ms):  none (no request got an answer)"
    latencies = sorted(result.latencies)
    p50, p90, p99 = (percentile(latencies, p) * 1000 for p in (50, 90, 99))
    slowest = latencies[-1] * 1000
    return f"Latency (ms):  p50 {p50:.2f}  p90 {p90:.2f}  p99 {p99:.2f}  max {slowest:.2f}"


def format_report(result: BenchResult) -> str:
    """The summary a person reads; failures first, one fact per line so it also greps well.

    Rates count answered requests only: a refused connection fails fast, and counting it would
    make a dead server look like a fast one.
    """
    elapsed = max(result.elapsed, 1e-9)
    statuses = ", ".join(f"{code}: {count}" for code, count in sorted(result.statuses.items()))
    lines = [
        f"Failed:        {result.failed} of {result.requests} requests",
        *(f"  {count:>6} x {text}" for text, count in result.errors.most_common()),
        f"Completed:     {result.answered} requests in {result.elapsed:.2f} s",
        f"Requests/s:    {result.answered / elapsed:.1f}",
        f"Transfer:      {result.bytes_read / elapsed / 1e6:.2f} MB/s (bodies)",
        f"Status codes:  {statuses or 'none'}",
        _latency_line(result),
    ]
    return "\n".join(lines)


def _parse_headers(raw: Sequence[str]) -> list[tuple[str, str]]:
    headers = []
    for item in raw:
        name, sep, value = item.partition(":")
        if not sep:
            raise ValueError(f"--header expects NAME:VALUE, got {item!r}")
        headers.append(check_header(name.strip(), value.strip()))
    return headers


def main(argv: Sequence[str]) -> int:
    """Run ``bench``; exit 0 when every request got an answer, 2 when any failed."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        headers = _parse_headers(args.header)
        method = check_method(args.method.upper())
        url = check_url(args.url)
    except ValueError as exc:
        parser.error(str(exc))
    concurrency = min(args.concurrency, args.requests)  # idle workers would only add connections
    print(
        f"Benchmarking {method} {url}: {args.requests} requests, {concurrency} concurrent",
        flush=True,
    )
    try:
        result = asyncio.run(
            run_bench(
                url,
                args.requests,
                concurrency,
                method=method,
                headers=headers,
                timeout=args.timeout,
                verify_ssl=not args.insecure,
            )
        )
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    print(format_report(result))
    return EXIT_NETWORK if result.failed else EXIT_OK
