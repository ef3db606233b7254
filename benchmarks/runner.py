"""Processes and rounds: the benchmark server, one worker process per measurement, the cells.

Rounds visit every client once per workload, in a rotated order; a cell keeps every round's
sample, and the table reports the median. A client that fails records ``error: ...`` and the
harness carries on; a client without the feature a workload needs is ``n/a`` and is not run.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.workloads import NO_WEBSOCKETS, WORKLOADS

ROOT = Path(__file__).resolve().parent.parent
PROBE = "raw-pipelined"  # the server's ceiling probe, run on the concurrent workloads only


@dataclass
class RunSpec:
    """How long each worker measures, and where the processes run."""

    duration: float
    warmup: float
    download_size: int
    client_cpu: int | None = None


@dataclass
class Cell:
    values: list[float] = field(default_factory=list)
    rss: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # client CPU µs per op
    errors: list[str] = field(default_factory=list)
    unit: str = ""
    na: bool = False  # the client cannot run this workload at all

    @property
    def median(self) -> float | None:
        return statistics.median(self.values) if self.values else None

    def to_json(self) -> dict[str, Any]:
        return {
            "unit": self.unit,
            "median": self.median,
            "samples": self.values,
            "rss_mb": round(max(self.rss), 1) if self.rss else None,
            "errors": self.errors,
            **({"cpu_us_per_op": statistics.median(self.cpu)} if self.cpu else {}),
            **({"na": True} if self.na else {}),
        }


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class BenchServer:
    """benchmarks/server.py in its own process; ``url`` is its base URL once it listens.

    Its stderr is piped away unless ``show_stderr`` (the soak run and the pytest benchmarks
    let a failing server speak on the console)."""

    def __init__(
        self, cpu: int | None = None, poll: bool = False, *, show_stderr: bool = False
    ) -> None:
        cmd = [sys.executable, "-m", "benchmarks.server", "--port", "0"]
        if cpu is not None:
            cmd += ["--cpu", str(cpu)]
        if poll:
            cmd.append("--poll")
        stderr = None if show_stderr else subprocess.PIPE
        self.process = subprocess.Popen(
            cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=stderr, text=True
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


def supported(spec: str, workload: str) -> bool:
    return not (WORKLOADS[workload].websocket and split_client(spec)[0] in NO_WEBSOCKETS)


def runs(spec: str, workload: str) -> bool:
    """Whether the spec runs at all: the probe only where requests can be in flight together."""
    if split_client(spec)[0] == PROBE:
        return WORKLOADS[workload].probed_by_pipelining
    return True


def worker_env(name: str) -> dict[str, str]:
    """The environment for a worker of this client: the pure-Python clients get no C code."""
    env = dict(os.environ)
    env.pop("AIOHTTP_CLONE_NO_EXTENSIONS", None)
    env.pop("AIOHTTP_NO_EXTENSIONS", None)
    if name == "aiohttp_clone-py":
        env["AIOHTTP_CLONE_NO_EXTENSIONS"] = "1"
    if name == "aiohttp-py":
        env["AIOHTTP_NO_EXTENSIONS"] = "1"
    return env


def worker_command(spec: str, workload: str, url: str, *options: str) -> list[str]:
    """The command line of one benchmarks/client_worker.py run (from ROOT); ``options`` add
    its timing flags."""
    name, loop = split_client(spec)
    return [
        sys.executable, "-m", "benchmarks.client_worker",
        "--client", name, "--workload", workload, "--url", url, *options, "--loop", loop,
    ]  # fmt: skip


def parse_worker_output(proc: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """The worker's result: its last stdout line is JSON, else an ``error`` naming how it
    ended."""
    lines = proc.stdout.strip().splitlines()
    try:
        return dict(json.loads(lines[-1]))
    except (IndexError, ValueError):
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        return {"error": f"worker exited {proc.returncode}: {tail[0][:200]}"}


def run_worker(spec: str, workload: str, url: str, s: RunSpec) -> dict[str, Any]:
    timing = ["--duration", str(s.duration), "--warmup", str(s.warmup)]
    cmd = worker_command(spec, workload, url, *timing, "--download-size", str(s.download_size))
    if s.client_cpu is not None:
        cmd += ["--cpu", str(s.client_cpu)]
    env = worker_env(split_client(spec)[0])
    timeout = s.duration + s.warmup + 120
    try:
        proc = subprocess.run(
            cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f}s"}
    return parse_worker_output(proc)


def run_rounds(
    clients: list[str], workloads: list[str], rounds: int, server: BenchServer, s: RunSpec
) -> dict[str, dict[str, Cell]]:
    cells = {
        w: {c: Cell(unit=WORKLOADS[w].unit, na=not supported(c, w)) for c in clients if runs(c, w)}
        for w in workloads
    }
    for r in range(rounds):
        # Rotating the order each round keeps any warm-cache or thermal drift from always
        # favouring the same client.
        shift = r % len(clients)
        order = clients[shift:] + clients[:shift]
        for workload in workloads:
            for spec in order:
                cell = cells[workload].get(spec)
                if cell is None or cell.na:
                    continue
                if not server.alive():
                    result: dict[str, Any] = {"error": "benchmark server died"}
                else:
                    result = run_worker(spec, workload, server.url, s)
                record(cell, result, f"[{r + 1}/{rounds}] {workload}", spec)
    return cells


def record(cell: Cell, result: dict[str, Any], where: str, spec: str) -> None:
    if "error" in result:
        cell.errors.append(str(result["error"]))
        log(f"{where:<22} {spec:<24} error: {str(result['error'])[:100]}")
        return
    # Rounded once, here: the median, the ceiling and the file all use the same figures.
    cell.values.append(round(float(result["value"]), 1))
    cell.rss.append(float(result["rss_mb"]))
    cpu = ""
    if "cpu_us_per_op" in result:
        cell.cpu.append(float(result["cpu_us_per_op"]))
        cpu = f" cpu {result['cpu_us_per_op']:.1f} us/op"
    log(
        f"{where:<22} {spec:<24} {result['value']:>10,.1f} {result['unit']:<6}"
        f" rss {result['rss_mb']:.0f} MiB{cpu}"
    )
