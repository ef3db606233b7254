"""One PNG per benchmark table: grouped bars, each workload's medians relative to aiohttp."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks.runner import PROBE, split_client


def baseline(row: dict[str, Any]) -> float:
    """aiohttp on asyncio, or the best client when aiohttp has no number."""
    base = (row.get("aiohttp") or {}).get("median")
    if base:
        return float(base)
    return float(max((v.get("median") or 0 for v in row.values()), default=0) or 1.0)


def write_chart(table: dict[str, Any], meta: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    results: dict[str, dict[str, Any]] = table["results"]
    workloads = list(results)
    clients = [c for c in table["clients"] if split_client(c)[0] != PROBE]
    fig, ax = plt.subplots(figsize=(max(8.0, 1.6 * len(workloads)), 5.0))
    width = 0.8 / max(1, len(clients))
    for i, client in enumerate(clients):
        cells = [results[w].get(client) or {} for w in workloads]
        heights = [
            (cell.get("median") or 0.0) / baseline(results[w])
            for w, cell in zip(workloads, cells, strict=True)
        ]
        xs = [x + (i - (len(clients) - 1) / 2) * width for x in range(len(workloads))]
        bars = ax.bar(xs, heights, width, label=client)
        for bar, h, cell in zip(bars, heights, cells, strict=True):
            label = f"{h:.2f}" if h else ("n/a" if cell.get("na") else "err")
            ax.annotate(label, (bar.get_x() + bar.get_width() / 2, h), ha="center",
                        va="bottom", fontsize=6, rotation=90, xytext=(0, 2),
                        textcoords="offset points")  # fmt: skip
    ax.axhline(1.0, color="grey", linewidth=0.8, linestyle="--")
    units = [next(iter(results[w].values()))["unit"] for w in workloads]
    ax.set_xticks(range(len(workloads)))
    ax.set_xticklabels([f"{w}\n({u})" for w, u in zip(workloads, units, strict=True)])
    ax.set_ylabel("throughput relative to aiohttp (higher is better)")
    ax.set_title(
        f"aiohttp_clone end-to-end benchmarks, server {table['server']} ({meta.get('mode', '?')}, "
        f"median of {table['rounds']} rounds, Python {meta.get('python', '?')})"
    )
    ax.legend(
        fontsize=8, ncols=min(6, max(1, len(clients))), loc="upper center",
        bbox_to_anchor=(0.5, -0.14), frameon=False,
    )  # fmt: skip
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
