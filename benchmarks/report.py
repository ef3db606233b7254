"""The benchmark table (plain text) and chart (PNG) built from the harness's results."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

ERROR_WIDTH = 28


class CellLike(Protocol):
    unit: str
    errors: list[str]
    rss: list[float]
    na: bool

    @property
    def median(self) -> float | None: ...


def fmt_value(value: float, unit: str) -> str:
    if unit == "MB/s" and value < 100:
        return f"{value:,.1f}"
    return f"{value:,.0f}"


def fmt_cell(cell: CellLike) -> str:
    if cell.na:
        return "n/a"
    median = cell.median
    if median is None:
        message = cell.errors[-1] if cell.errors else "no data"  # the latest says most
        text = f"error: {message}"
        return text if len(text) <= ERROR_WIDTH else text[: ERROR_WIDTH - 1] + "…"
    flag = "*" if cell.errors else ""  # some rounds failed: the median uses the rest
    return fmt_value(median, cell.unit) + flag


def ratio(cells: dict[str, CellLike], a: str, b: str) -> str:
    if a not in cells or b not in cells:
        return "-"
    x, y = cells[a].median, cells[b].median
    if x is None or y is None or y == 0:
        return "-"
    return f"{x / y:.2f}x"


RATIOS = [
    ("C/py", "aiohttp_clone", "aiohttp_clone-py"),
    ("C/aiohttp", "aiohttp_clone", "aiohttp"),
    ("C/aiohttp uvloop", "aiohttp_clone@uvloop", "aiohttp@uvloop"),
]


def render_ceiling(ceiling: dict[str, Any]) -> str:
    parts = []
    for name, result in ceiling.items():
        if "error" in result:
            parts.append(f"{name}: error ({result['error'][:60]})")
        else:
            parts.append(f"{name} {fmt_value(result['value'], result['unit'])} {result['unit']}")
    loop = next((r.get("loop") for r in ceiling.values() if "loop" in r), "asyncio")
    return f"Server ceiling (minimal raw client on {loop}): " + " | ".join(parts)


def render_table(
    clients: list[str],
    workloads: list[str],
    ceiling: dict[str, Any],
    cells: dict[str, dict[str, Any]],
) -> str:
    ratios = [r for r in RATIOS if r[1] in clients and r[2] in clients]
    header = ["workload", "unit", *clients, *(r[0] for r in ratios)]
    rows = [header]
    for w in workloads:
        row = cells[w]
        unit = next(iter(row.values())).unit if row else ""
        rows.append(
            [
                w,
                unit,
                *(fmt_cell(row[c]) for c in clients),
                *(ratio(row, a, b) for _, a, b in ratios),
            ]
        )
    rss_row = ["peak RSS", "MiB"]
    for c in clients:
        peaks = [max(cells[w][c].rss) for w in workloads if cells[w][c].rss]
        rss_row.append(f"{max(peaks):.0f}" if peaks else "-")
    rows.append(rss_row + [""] * len(ratios))
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]

    def line(r: list[str]) -> str:
        first = [r[0].ljust(widths[0]), r[1].ljust(widths[1])]
        return "  ".join(first + [v.rjust(widths[i + 2]) for i, v in enumerate(r[2:])])

    out = [render_ceiling(ceiling), "", line(header), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in rows[1:-1]]
    out += ["  ".join("-" * w for w in widths), line(rows[-1]), ""]
    legend = "medians across rounds; * = some rounds failed; ratios compare medians"
    if any(cell.na for row in cells.values() for cell in row.values()):
        legend += "; n/a = the client has no such feature (httpx: websockets)"
    if any(cells[w] and next(iter(cells[w].values())).unit == "rt/s" for w in workloads):
        legend += "; rt/s = websocket echo round trips per second, one connection"
    out.append(legend)
    out += error_notes(clients, workloads, cells)
    return "\n".join(out)


def error_notes(clients: list[str], workloads: list[str], cells: dict[str, Any]) -> list[str]:
    notes = []
    for c in clients:
        seen: list[str] = []
        for w in workloads:
            for message in cells[w][c].errors:
                if message not in seen:
                    seen.append(message)
        for message in seen[:3]:
            notes.append(f"  {c}: {message[:200]}")
    return ["errors:", *notes] if notes else []


def write_chart(data: dict[str, Any], path: Path) -> None:
    """Grouped bars: each workload's medians relative to aiohttp on asyncio (= 1.0)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    results: dict[str, dict[str, Any]] = data["results"]
    workloads = list(results)
    clients = list(next(iter(results.values()))) if results else []
    fig, ax = plt.subplots(figsize=(max(8.0, 1.6 * len(workloads)), 5.0))
    width = 0.8 / max(1, len(clients))
    for i, client in enumerate(clients):
        heights = []
        missing = []
        for w in workloads:
            row = results[w]
            base = row.get("aiohttp", {}).get("median")
            if not base:  # no aiohttp number: scale by the best client instead
                base = max((v["median"] or 0 for v in row.values()), default=0) or 1.0
            heights.append((row[client]["median"] or 0.0) / base)
            missing.append(bool(row[client].get("na")))
        xs = [x + (i - (len(clients) - 1) / 2) * width for x in range(len(workloads))]
        bars = ax.bar(xs, heights, width, label=client)
        for bar, h, na in zip(bars, heights, missing, strict=True):
            label = f"{h:.2f}" if h else ("n/a" if na else "err")
            ax.annotate(label, (bar.get_x() + bar.get_width() / 2, h), ha="center",
                        va="bottom", fontsize=6, rotation=90, xytext=(0, 2),
                        textcoords="offset points")  # fmt: skip
    ax.axhline(1.0, color="grey", linewidth=0.8, linestyle="--")
    units = [next(iter(results[w].values()))["unit"] for w in workloads]
    ax.set_xticks(range(len(workloads)))
    ax.set_xticklabels([f"{w}\n({u})" for w, u in zip(workloads, units, strict=True)])
    ax.set_ylabel("throughput relative to aiohttp (higher is better)")
    meta = data.get("meta", {})
    ax.set_title(
        f"aiohttp_clone end-to-end benchmarks ({meta.get('mode', '?')}, "
        f"median of {meta.get('rounds', '?')} rounds, Python {meta.get('python', '?')})"
    )
    ax.legend(
        fontsize=8, ncols=min(6, max(1, len(clients))), loc="upper center",
        bbox_to_anchor=(0.5, -0.14), frameon=False,
    )  # fmt: skip
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
