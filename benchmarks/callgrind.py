"""Client CPU per request, counted by callgrind: ``python -m benchmarks.callgrind --workload seq``.

Opt-in (not part of ``make bench``; needs valgrind). The method: a worker process runs a fixed
number of operations under ``valgrind --tool=callgrind`` against benchmarks/server.py (sleeping
between requests: valgrind needs the CPU more than the server does), and the client's
instructions per operation are the difference between a 2,500- and a 500-operation run divided
by 2,000, which cancels start-up, imports, connection set-up and teardown. Instruction counts
of one process barely move from run to run, so one pair of runs settles what wall-clock runs
on a shared machine cannot; they count work, not time (no cache misses, no syscall cost).

Each run is ``python -m benchmarks.client_worker --client X --workload W --url URL --count N
--duration 1000 --warmup 0``, started from the repository root so that the checkout's
aiohttp_clone is the one measured. The duration must be large: under valgrind's slowdown a
short deadline stops the run before N operations (this module checks that all N ran).

On post_json the JSON encoder's C entry point (``encoder_call``, inclusive) is also reported
apart (``--exclude``), so the client's own cost compares with the raw client, which sends
precomputed bytes; the Python-level calls of ``json.dumps`` around it stay in (some 11k of
its 202k instructions for this document, measured the same way).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.records import RESULTS, provenance, publish_name, write_results
from benchmarks.runner import (
    ROOT,
    BenchServer,
    log,
    parse_worker_output,
    split_client,
    worker_command,
    worker_env,
)
from benchmarks.workloads import WORKLOADS

DEFAULT_EXCLUDE = {"post_json": ["encoder_call"]}
ANNOTATE_LINE = re.compile(r"^\s*([\d,]+)\s+\([^)]*\)\s+(?:\S*:)?(\S+?)(?:'\d+)?\s+\[")


def total_instructions(path: Path) -> int:
    for line in path.read_text().splitlines():
        if line.startswith(("summary:", "totals:")):
            return int(line.split()[1])
    raise RuntimeError(f"{path}: no summary line; did callgrind finish?")


def inclusive(path: Path, function: str) -> int:
    """The inclusive instruction count of every function of that name (callgrind_annotate)."""
    out = subprocess.run(
        ["callgrind_annotate", "--inclusive=yes", "--threshold=100", str(path)],
        capture_output=True, text=True, check=True, timeout=300,
    )  # fmt: skip
    total = 0
    for line in out.stdout.splitlines():
        match = ANNOTATE_LINE.match(line)
        if match and match.group(2) == function:
            total += int(match.group(1).replace(",", ""))
    return total


def counted_run(
    spec: str, workload: str, url: str, count: int, exclude: list[str], tmp: Path
) -> dict[str, int]:
    """One worker under callgrind: its instructions, and those of each excluded function."""
    name, loop = split_client(spec)
    out = tmp / f"{name}-{loop}-{workload}-{count}.callgrind"
    valgrind = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"]
    timing = ["--count", str(count), "--duration", "1000", "--warmup", "0"]
    cmd = valgrind + worker_command(spec, workload, url, *timing)
    proc = subprocess.run(
        cmd, cwd=ROOT, env=worker_env(name), capture_output=True, text=True, timeout=3600
    )
    result = parse_worker_output(proc)
    if "error" in result:
        raise RuntimeError(f"{spec} {workload}: {result['error']}")
    if result["ops"] != count:
        raise RuntimeError(f"{spec} {workload}: {result['ops']} of {count} ran; longer duration")
    counts = {"all": total_instructions(out)}
    for function in exclude:
        counts[function] = inclusive(out, function)
    return counts


def per_op(
    spec: str, workload: str, url: str, counts: tuple[int, int], exclude: list[str], tmp: Path
) -> dict[str, float]:
    low, high = (counted_run(spec, workload, url, n, exclude, tmp) for n in counts)
    ops = counts[1] - counts[0]
    result = {key: (high[key] - low[key]) / ops for key in high}
    result["without"] = result["all"] - sum(result[f] for f in exclude)
    log(f"  {spec:<24} {result['all'] / 1000:8.1f}k instructions per operation")
    return result


def kilo(value: float) -> str:
    # a difference of two equal counts can come out as -0.0
    return f"{value / 1000:,.1f}k".replace("-0.0k", "0.0k")


def render(workload: str, results: dict[str, dict[str, float]], exclude: list[str]) -> str:
    base = (results.get("raw") or {}).get("without")
    header = ["client", "instr/op", *(f"{f}/op" for f in exclude)]
    if exclude:
        header.append("without")
    header.append("x raw")
    rows = [header]
    for spec, r in results.items():
        cells = [spec, kilo(r["all"]), *(kilo(r[f]) for f in exclude)]
        if exclude:
            cells.append(kilo(r["without"]))
        cells.append(f"{r['without'] / base:.2f}x" if base else "-")
        rows.append(cells)
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "  ".join([row[0].ljust(widths[0]), *(v.rjust(widths[i]) for i, v in enumerate(row) if i)])
        for row in rows
    ]
    title = f"callgrind, client process, {workload} ({WORKLOADS[workload].description})"
    return "\n".join([title, *lines])


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.callgrind", description=__doc__)
    p.add_argument("--workload", default="seq", choices=list(WORKLOADS))
    p.add_argument("--clients", default="aiohttp_clone,aiohttp,raw", help="comma list (+@uvloop)")
    p.add_argument("--counts", default="500,2500", help="the two operation counts")
    p.add_argument("--exclude", action="append", help="report this function's cost apart")
    p.add_argument("--out", type=Path, default=RESULTS, help="directory for the JSON result")
    p.add_argument(
        "--publish", action="store_true",
        help="also write benchmarks/published/DATE-COMMIT-callgrind-WORKLOAD.json",
    )  # fmt: skip
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    low, high = (int(n) for n in args.counts.split(","))
    exclude = args.exclude if args.exclude is not None else DEFAULT_EXCLUDE.get(args.workload, [])
    meta = {**provenance(), "command": " ".join(["python -m benchmarks.callgrind", *sys.argv[1:]])}
    results: dict[str, dict[str, float]] = {}
    server = BenchServer(cpu=None, poll=False)
    try:
        log(f"callgrind: {args.workload}, {low} and {high} operations per client")
        with tempfile.TemporaryDirectory(prefix="callgrind-") as tmp:
            for spec in args.clients.split(","):
                results[spec] = per_op(
                    spec, args.workload, server.url, (low, high), exclude, Path(tmp)
                )
    finally:
        server.stop()
    print(render(args.workload, results, exclude))
    data: dict[str, Any] = {
        "meta": meta,
        "workload": args.workload,
        "counts": [low, high],
        "excluded": exclude,
        "instructions_per_op": {
            spec: {k: round(v) for k, v in r.items()} for spec, r in results.items()
        },
    }
    kind = f"callgrind-{args.workload}"
    name = publish_name(meta, kind) if args.publish else None
    written = write_results(data, args.out / f"{kind}.json", name)
    log(f"wrote {', '.join(map(str, written))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
