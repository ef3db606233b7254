"""The server's ceiling on each workload, and which cells it binds.

A workload's ceiling is the best single run any client had on it against this server during
this harness run: the most the server was seen to deliver. The raw client is there to set it:
on the one-at-a-time workloads its own run (on either loop), on the concurrent ones the
pipelining raw client (``raw-pipelined``: 16 requests in flight per connection, no round trip
to wait for), which leaves the server's own capacity. When a library client's run beats them
(noise, or a client that happens to read better than the probe), that run is the ceiling and
the table names it, so no figure in a table exceeds its ceiling.

A library client's median at ``SERVER_BOUND`` of the ceiling or more is marked server-bound:
such a figure says more about the server and the kernel between the two than about the client.
The pipelined probe over-states what a client that waits for each response can get, so a row
below the mark is not proven client-bound; a row at it is server-bound.
"""

from __future__ import annotations

from typing import Any

from benchmarks.runner import PROBE, split_client
from benchmarks.workloads import WORKLOADS

SERVER_BOUND = 0.9
RAW_CLIENTS = frozenset({"raw", PROBE})


def probe_name(workload: str) -> str:
    """The raw client meant to set this workload's ceiling."""
    return PROBE if WORKLOADS[workload].probed_by_pipelining else "raw"


def ceiling(workload: str, row: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    """``{"value", "unit", "set_by", "probe"}`` for one workload's cells, None without data."""
    best: tuple[str, float] | None = None
    probe: tuple[str, float] | None = None
    wanted = probe_name(workload)
    for spec, cell in row.items():
        samples = cell.get("samples") or []
        if not samples:
            continue
        top = max(samples)
        if best is None or top > best[1]:
            best = (spec, top)
        if split_client(spec)[0] == wanted and (probe is None or top > probe[1]):
            probe = (spec, top)
    if best is None:
        return None
    return {
        "value": best[1],
        "unit": WORKLOADS[workload].unit,
        "set_by": best[0],
        "probe": {"client": probe[0], "value": probe[1]} if probe else None,
    }


def ceilings(results: dict[str, dict[str, dict[str, Any]]]) -> dict[str, Any]:
    return {w: ceiling(w, row) for w, row in results.items()}


def server_bound(spec: str, cell: dict[str, Any], top: dict[str, Any] | None) -> bool:
    """A library client's median at SERVER_BOUND of the ceiling or above."""
    median = cell.get("median")
    if top is None or median is None or split_client(spec)[0] in RAW_CLIENTS:
        return False
    return bool(median >= SERVER_BOUND * top["value"])


def set_by_probe(workload: str, top: dict[str, Any]) -> bool:
    return split_client(top["set_by"])[0] == probe_name(workload)
