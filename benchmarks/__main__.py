"""End-to-end client benchmarks: ``python -m benchmarks [--quick]`` (what ``make bench`` runs).

Two tables by default, each against a fresh canned-response server (benchmarks/server.py) in its
own process: first with the server busy-polling (it never sleeps, so its wake-up stays out of
every round trip), then with it sleeping between requests, as users' servers do. Every
measurement is a fresh worker process (benchmarks/client_worker.py) running one client on one
workload on one event loop; every workload runs on asyncio and on uvloop. The raw asyncio client
(benchmarks/raw_client.py) runs beside the libraries, and a pipelining raw client probes the
server's ceiling (benchmarks/ceiling.py). Rounds visit every client once per workload in a
rotated order; tables report medians. Results go to benchmarks/results/latest.json (ignored by
git); ``--publish`` also writes them under benchmarks/published/ to be committed with the
README that quotes them (``python -m benchmarks.report FILE`` prints a file's tables again).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.ceiling import ceilings
from benchmarks.chart import write_chart
from benchmarks.records import RESULTS, provenance, publish_name, write_results
from benchmarks.report import SERVER_TITLES, render
from benchmarks.runner import PROBE, BenchServer, RunSpec, log, run_rounds
from benchmarks.workloads import WORKLOADS

# aiohttp-py: aiohttp with AIOHTTP_NO_EXTENSIONS=1, the peer of aiohttp_clone-py.
BASE_CLIENTS = ["aiohttp_clone", "aiohttp_clone-py", "aiohttp", "aiohttp-py", "httpx", "raw"]
UVLOOP_CLIENTS = ["aiohttp_clone@uvloop", "aiohttp@uvloop", "raw@uvloop"]
# Left out of the sleeping table unless asked for: a peer far behind, and the slowest to run.
NOT_IN_SLEEPING = frozenset({"httpx"})
MiB = 1024 * 1024


@dataclass
class TablePlan:
    server: str  # "polls" or "sleeps"
    rounds: int
    clients: list[str]


@dataclass
class Settings:
    run: RunSpec
    tables: list[TablePlan]
    workloads: list[str]
    mode: str
    server_cpu: int | None = None


def have_uvloop() -> bool:
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return False
    return True


# ------------------------------------------------------------------------------------ settings


def client_list(args: argparse.Namespace, uvloop: bool) -> list[str]:
    """The clients of a table; the raw client and the ceiling probe are always among them."""
    if args.clients:
        clients = [str(c) for c in args.clients.split(",")]
    else:
        clients = BASE_CLIENTS + (UVLOOP_CLIENTS if uvloop else [])
    probe = f"{PROBE}@uvloop" if have_uvloop() else PROBE
    for needed in ("raw", probe):
        if needed not in clients:
            clients.append(needed)
    return clients


def table_plans(args: argparse.Namespace, quick: bool, clients: list[str]) -> list[TablePlan]:
    servers = ["polls", "sleeps"] if args.server == "both" else [args.server]
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    if "polls" in servers and cpus < 2:
        # A busy-polling server needs a core of its own; on one it would starve the clients.
        log("one CPU available: the busy-polling table is skipped")
        servers.remove("polls")
    rounds = args.rounds or (2 if quick else 3)
    plans = []
    for server in servers:
        table_clients = list(clients)
        n = rounds
        if server == "sleeps" and len(servers) == 2:
            n = args.sleep_rounds or max(1, rounds - 1)
            if not args.clients:
                table_clients = [c for c in clients if c not in NOT_IN_SLEEPING]
        plans.append(TablePlan(server, n, table_clients))
    return plans


def settings_from(args: argparse.Namespace) -> Settings:
    quick = args.quick
    uvloop = have_uvloop() and (args.uvloop or (not quick and not args.no_uvloop))
    workloads = args.workloads.split(",") if args.workloads else list(WORKLOADS)
    unknown = [w for w in workloads if w not in WORKLOADS]
    if unknown:
        raise SystemExit(f"unknown workloads {unknown}; choose from {', '.join(WORKLOADS)}")
    run = RunSpec(
        duration=args.duration or (0.4 if quick else 1.2),
        warmup=args.warmup if args.warmup is not None else (0.1 if quick else 0.3),
        download_size=int((args.download_mb or (20 if quick else 100)) * MiB),
    )
    s = Settings(
        run=run,
        tables=table_plans(args, quick, client_list(args, uvloop)),
        workloads=workloads,
        mode="quick" if quick else "full",
    )
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    # Off by default: on small VMs a request/response ping-pong across two pinned cores pays a
    # cross-core wake-up each way (measured here: sequential raw GETs 7k/s pinned, 48k/s not),
    # and a pinned core cannot escape whatever else the machine is running.
    if args.pin and len(cpus) >= 2:
        s.server_cpu, s.run.client_cpu = cpus[0], cpus[1]
    return s


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="short run (~2 min on 2 cores)")
    p.add_argument(
        "--server", choices=["both", "polls", "sleeps"], default="both",
        help="which server tables to run (default both: busy-polling, then sleeping)",
    )  # fmt: skip
    p.add_argument(
        "--server-sleeps", dest="server", action="store_const", const="sleeps",
        help="only the sleeping-server table",
    )  # fmt: skip
    p.add_argument("--rounds", type=int, help="rounds per client and workload (default 3)")
    p.add_argument("--sleep-rounds", type=int, help="rounds of the second (sleeping) table")
    p.add_argument("--duration", type=float, help="seconds measured per run")
    p.add_argument("--warmup", type=float, help="seconds of unmeasured warm-up per run")
    p.add_argument("--download-mb", type=float, help="size of the download workload, MiB")
    p.add_argument("--clients", help=f"comma list, default {','.join(BASE_CLIENTS)} (+@uvloop)")
    p.add_argument("--workloads", help=f"comma list from {','.join(WORKLOADS)}")
    p.add_argument("--uvloop", action="store_true", help="add the @uvloop clients in quick mode")
    p.add_argument("--no-uvloop", action="store_true", help="skip the @uvloop clients")
    p.add_argument("--pin", action="store_true", help="pin server and clients to separate CPUs")
    p.add_argument("--no-chart", action="store_true", help="skip the PNG charts")
    p.add_argument("--out", type=Path, default=RESULTS, help="directory for latest.json/.png")
    p.add_argument(
        "--publish", action="store_true",
        help="also write the results to benchmarks/published/DATE-COMMIT-MODE.json",
    )  # fmt: skip
    return p.parse_args(argv)


# ---------------------------------------------------------------------------------------- run


def run_table(plan: TablePlan, s: Settings) -> dict[str, Any]:
    started = time.monotonic()
    server = BenchServer(s.server_cpu, poll=plan.server == "polls")
    try:
        log(f"--- {SERVER_TITLES[plan.server]} at {server.url}: {plan.rounds} rounds")
        cells = run_rounds(plan.clients, s.workloads, plan.rounds, server, s.run)
    finally:
        server.stop()
    results = {w: {c: cell.to_json() for c, cell in row.items()} for w, row in cells.items()}
    return {
        "server": plan.server,
        "rounds": plan.rounds,
        "clients": plan.clients,
        "workloads": s.workloads,
        "wall_time_s": round(time.monotonic() - started, 1),
        "ceiling": ceilings(results),
        "results": results,
    }


def run_meta(s: Settings, started: dict[str, Any], seconds: float) -> dict[str, Any]:
    return {
        **started,
        "command": " ".join(["python -m benchmarks", *sys.argv[1:]]),
        "mode": s.mode,
        "duration_s": s.run.duration,
        "warmup_s": s.run.warmup,
        "download_bytes": s.run.download_size,
        "pinned": {"server": s.server_cpu, "clients": s.run.client_cpu},
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "wall_time_s": round(seconds, 1),
    }


def write_outputs(data: dict[str, Any], args: argparse.Namespace) -> list[str]:
    name = publish_name(data["meta"], data["meta"]["mode"]) if args.publish else None
    written = [str(p) for p in write_results(data, args.out / "latest.json", name)]
    if not args.no_chart:
        for table in data["tables"]:
            png = args.out / f"latest-{table['server']}.png"
            try:
                write_chart(table, data["meta"], png)
                written.append(str(png))
            except Exception as exc:  # a missing matplotlib must not lose the numbers
                log(f"chart skipped: {type(exc).__name__}: {exc}")
                break
    return written


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    s = settings_from(args)
    started = time.monotonic()
    origin = provenance()
    log(
        f"benchmarks ({s.mode}): {s.run.duration}s per run; "
        + "; ".join(f"{t.server}: {t.rounds} rounds of {', '.join(t.clients)}" for t in s.tables)
    )
    tables = [run_table(plan, s) for plan in s.tables]
    meta = run_meta(s, origin, time.monotonic() - started)
    data: dict[str, Any] = {"meta": meta, "tables": tables}
    print(render(data))
    written = write_outputs(data, args)
    log(f"wrote {', '.join(written)} in {data['meta']['wall_time_s']:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
