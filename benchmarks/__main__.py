"""End-to-end client benchmarks: ``python -m benchmarks [--quick]`` (what ``make bench`` runs).

A canned-response server runs in its own process (benchmarks/server.py); every measurement is
a fresh worker process (benchmarks/client_worker.py) running one client on one workload. Rounds
visit every client once per workload, in a rotated order, and the table reports medians. A
client that fails shows ``error: ...`` in its cells; the harness carries on. A client without
the feature a workload needs (httpx has no websockets) shows ``n/a`` and is not run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.client_worker import NO_WEBSOCKETS, WORKLOADS
from benchmarks.report import render_table, write_chart

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
BASE_CLIENTS = ["aiohttp_clone", "aiohttp_clone-py", "aiohttp", "httpx"]
UVLOOP_CLIENTS = ["aiohttp_clone@uvloop", "aiohttp@uvloop"]
MiB = 1024 * 1024


@dataclass
class Settings:
    rounds: int
    duration: float
    warmup: float
    download_size: int
    clients: list[str]
    workloads: list[str]
    server_cpu: int | None = None
    client_cpu: int | None = None
    server_polls: bool = False
    mode: str = "full"


@dataclass
class Cell:
    values: list[float] = field(default_factory=list)
    rss: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # client CPU µs per op, where reported
    errors: list[str] = field(default_factory=list)
    unit: str = ""
    na: bool = False  # the client cannot run this workload at all

    @property
    def median(self) -> float | None:
        return statistics.median(self.values) if self.values else None


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def have_uvloop() -> bool:
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return False
    return True


# --------------------------------------------------------------------------------- processes


class BenchServer:
    def __init__(self, cpu: int | None, poll: bool) -> None:
        cmd = [sys.executable, "-m", "benchmarks.server", "--port", "0"]
        if cpu is not None:
            cmd += ["--cpu", str(cpu)]
        if poll:
            cmd.append("--poll")
        self.process = subprocess.Popen(
            cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()  # the server prints "PORT n" once it listens
        if not line.startswith("PORT "):
            self.stop()
            raise RuntimeError(f"benchmark server failed to start: {line!r}")
        self.url = f"http://127.0.0.1:{int(line.split()[1])}"

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def split_client(spec: str) -> tuple[str, str]:
    """``aiohttp@uvloop`` -> (``aiohttp``, ``uvloop``); plain names run on asyncio."""
    name, _, loop = spec.partition("@")
    return name, loop or "asyncio"


def run_worker(
    spec: str, workload: str, url: str, s: Settings, duration: float | None = None
) -> dict[str, Any]:
    name, loop = split_client(spec)
    duration = s.duration if duration is None else duration
    cmd = [
        sys.executable, "-m", "benchmarks.client_worker",
        "--client", name, "--workload", workload, "--url", url,
        "--duration", str(duration), "--warmup", str(s.warmup),
        "--download-size", str(s.download_size), "--loop", loop,
    ]  # fmt: skip
    if s.client_cpu is not None:
        cmd += ["--cpu", str(s.client_cpu)]
    env = dict(os.environ)
    env.pop("AIOHTTP_CLONE_NO_EXTENSIONS", None)
    if name == "aiohttp_clone-py":
        env["AIOHTTP_CLONE_NO_EXTENSIONS"] = "1"
    timeout = duration + s.warmup + 120
    try:
        proc = subprocess.run(
            cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f}s"}
    lines = proc.stdout.strip().splitlines()
    try:
        return dict(json.loads(lines[-1]))
    except (IndexError, ValueError):
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        return {"error": f"worker exited {proc.returncode}: {tail[0][:200]}"}


# ----------------------------------------------------------------------------------- phases


def ceiling_workloads(workloads: list[str]) -> list[str]:
    """The raw client's HTTP probes when any HTTP workload runs, plus each websocket one."""
    http = [w for w in workloads if not WORKLOADS[w].websocket]
    ws = [w for w in workloads if WORKLOADS[w].websocket]
    return (["seq", "pipelined", "download"] if http else []) + ws


def supported(spec: str, workload: str) -> bool:
    return not (WORKLOADS[workload].websocket and split_client(spec)[0] in NO_WEBSOCKETS)


def measure_ceiling(url: str, s: Settings) -> dict[str, Any]:
    """The server's own limit, seen by a minimal raw client, so nobody blames the server."""
    loop = "uvloop" if have_uvloop() else "asyncio"
    ceiling: dict[str, Any] = {}
    for workload in ceiling_workloads(s.workloads):
        # best of two: a capacity is what the server managed, not what a noisy moment allowed
        tries = [run_worker(f"raw@{loop}", workload, url, s, duration=1.0) for _ in range(2)]
        ok = [t for t in tries if "error" not in t]
        result = max(ok, key=lambda t: float(t["value"])) if ok else tries[0]
        ceiling[workload] = result
        if "error" in result:
            log(f"  ceiling {workload:<11} error: {result['error']}")
        else:
            log(f"  ceiling {workload:<11} {result['value']:>12,.0f} {result['unit']}")
    return ceiling


def run_rounds(url: str, s: Settings, server: BenchServer) -> dict[str, dict[str, Cell]]:
    cells = {
        w: {c: Cell(unit=WORKLOADS[w].unit, na=not supported(c, w)) for c in s.clients}
        for w in s.workloads
    }
    for r in range(s.rounds):
        # Rotating the order each round keeps any warm-cache or thermal drift from always
        # favouring the same client.
        shift = r % len(s.clients)
        order = s.clients[shift:] + s.clients[:shift]
        for workload in s.workloads:
            for spec in order:
                if cells[workload][spec].na:
                    continue
                if not server.alive():
                    result: dict[str, Any] = {"error": "benchmark server died"}
                else:
                    result = run_worker(spec, workload, url, s)
                record(cells[workload][spec], result, f"[{r + 1}/{s.rounds}] {workload}", spec)
    return cells


def record(cell: Cell, result: dict[str, Any], where: str, spec: str) -> None:
    if "error" in result:
        cell.errors.append(str(result["error"]))
        log(f"{where:<22} {spec:<22} error: {str(result['error'])[:100]}")
        return
    cell.values.append(float(result["value"]))
    cell.rss.append(float(result["rss_mb"]))
    cpu = ""
    if "cpu_us_per_op" in result:
        cell.cpu.append(float(result["cpu_us_per_op"]))
        cpu = f" cpu {result['cpu_us_per_op']:.1f} us/op"
    log(
        f"{where:<22} {spec:<22} {result['value']:>10,.1f} {result['unit']:<6}"
        f" rss {result['rss_mb']:.0f} MiB{cpu}"
    )


# ----------------------------------------------------------------------------------- output


def to_json(
    s: Settings, ceiling: dict[str, Any], cells: dict[str, dict[str, Cell]], seconds: float
) -> dict[str, Any]:
    versions: dict[str, str] = {}
    for module in ("aiohttp", "httpx", "uvloop", "aiohttp_clone"):
        try:
            versions[module] = str(__import__(module).__version__)
        except Exception as exc:
            versions[module] = f"unavailable ({type(exc).__name__})"
    return {
        "meta": {
            "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "mode": s.mode,
            "rounds": s.rounds,
            "duration_s": s.duration,
            "warmup_s": s.warmup,
            "download_bytes": s.download_size,
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "pinned": {"server": s.server_cpu, "clients": s.client_cpu},
            "server_polls": s.server_polls,
            "versions": versions,
            "wall_time_s": round(seconds, 1),
        },
        "ceiling": ceiling,
        "results": {
            w: {
                c: {
                    "unit": cell.unit,
                    "median": cell.median,
                    "samples": cell.values,
                    "rss_mb": max(cell.rss) if cell.rss else None,
                    "errors": cell.errors,
                    **({"cpu_us_per_op": statistics.median(cell.cpu)} if cell.cpu else {}),
                    **({"na": True} if cell.na else {}),
                }
                for c, cell in row.items()
            }
            for w, row in cells.items()
        },
    }


# ------------------------------------------------------------------------------------- main


def settings_from(args: argparse.Namespace) -> Settings:
    quick = args.quick
    clients = args.clients.split(",") if args.clients else list(BASE_CLIENTS)
    if not args.clients and have_uvloop() and (args.uvloop or (not quick and not args.no_uvloop)):
        clients += UVLOOP_CLIENTS
    workloads = args.workloads.split(",") if args.workloads else list(WORKLOADS)
    unknown = [w for w in workloads if w not in WORKLOADS]
    if unknown:
        raise SystemExit(f"unknown workloads {unknown}; choose from {', '.join(WORKLOADS)}")
    s = Settings(
        rounds=args.rounds or 3,
        duration=args.duration or (0.4 if quick else 2.0),
        warmup=args.warmup if args.warmup is not None else (0.1 if quick else 0.4),
        download_size=int((args.download_mb or (20 if quick else 100)) * MiB),
        clients=clients,
        workloads=workloads,
        mode="quick" if quick else "full",
    )
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    # Off by default: on small VMs a request/response ping-pong across two pinned cores pays a
    # cross-core wake-up each way (measured here: sequential raw GETs 7k/s pinned, 48k/s not),
    # and a pinned core cannot escape whatever else the machine is running.
    if args.pin and len(cpus) >= 2:
        s.server_cpu, s.client_cpu = cpus[0], cpus[1]
    # The server busy-polls (benchmarks/server.py, keep_polling) when it can have a core to
    # itself: a sleeping server's wake-up, not the client, would set the sequential round trip.
    s.server_polls = len(cpus) >= 2 and not args.server_sleeps
    return s


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="short run (< 2 min on 2 cores)")
    p.add_argument("--rounds", type=int, help="rounds per client and workload")
    p.add_argument("--duration", type=float, help="seconds measured per run")
    p.add_argument("--warmup", type=float, help="seconds of unmeasured warm-up per run")
    p.add_argument("--download-mb", type=float, help="size of the download workload, MiB")
    p.add_argument("--clients", help=f"comma list, default {','.join(BASE_CLIENTS)} (+@uvloop)")
    p.add_argument("--workloads", help=f"comma list from {','.join(WORKLOADS)}")
    p.add_argument("--uvloop", action="store_true", help="add the @uvloop clients in quick mode")
    p.add_argument("--no-uvloop", action="store_true", help="skip the @uvloop clients")
    p.add_argument("--pin", action="store_true", help="pin server and clients to separate CPUs")
    p.add_argument(
        "--server-sleeps", action="store_true", help="let the server sleep between requests"
    )
    p.add_argument("--no-chart", action="store_true", help="skip latest.png")
    p.add_argument("--out", type=Path, default=RESULTS, help="directory for latest.json/.png")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    s = settings_from(args)
    started = time.monotonic()
    log(f"benchmarks ({s.mode}): {s.rounds} rounds x {s.duration}s, clients {', '.join(s.clients)}")
    server = BenchServer(s.server_cpu, s.server_polls)
    try:
        polling = "busy-polling" if s.server_polls else "sleeping between requests"
        log(f"server at {server.url} ({polling}); measuring its ceiling with a raw client")
        ceiling = measure_ceiling(server.url, s)
        cells = run_rounds(server.url, s, server)
    finally:
        server.stop()
    elapsed = time.monotonic() - started
    print(render_table(s.clients, s.workloads, ceiling, cells))
    args.out.mkdir(parents=True, exist_ok=True)
    data = to_json(s, ceiling, cells, elapsed)
    (args.out / "latest.json").write_text(json.dumps(data, indent=2) + "\n")
    written = [str(args.out / "latest.json")]
    if not args.no_chart:
        try:
            write_chart(data, args.out / "latest.png")
            written.append(str(args.out / "latest.png"))
        except Exception as exc:  # a missing matplotlib must not lose the numbers
            log(f"chart skipped: {type(exc).__name__}: {exc}")
    log(f"wrote {', '.join(written)} in {elapsed:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
