"""The benchmark tables (plain text), rendered from a results file alone.

``python -m benchmarks.report FILE.json`` prints the tables of a results file, exactly as
``python -m benchmarks`` printed them when it wrote the file: every figure the README quotes can
be checked against the committed JSON (benchmarks/published/).
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from pathlib import Path
from typing import Any

from benchmarks.ceiling import SERVER_BOUND, server_bound, set_by_probe
from benchmarks.runner import PROBE, split_client

ERROR_WIDTH = 28
WIDTH = 100  # the legend's lines
LOOPS = ("asyncio", "uvloop")
SERVER_TITLES = {
    "polls": "server busy-polling (it never sleeps between requests)",
    "sleeps": "server sleeping between requests (as users' servers do)",
}
RATIOS = [  # (column, numerator, denominator, as a percentage)
    ("C/aiohttp", "aiohttp_clone", "aiohttp", False),
    ("C/py", "aiohttp_clone", "aiohttp_clone-py", False),
    ("py/aiohttp-py", "aiohttp_clone-py", "aiohttp-py", False),
    ("share of raw", "aiohttp_clone", "raw", True),
]


def fmt_value(value: float, unit: str) -> str:
    if unit == "MB/s" and value < 100:
        return f"{value:,.1f}"
    return f"{value:,.0f}"


def spec_on(name: str, loop: str) -> str:
    return name if loop == "asyncio" else f"{name}@{loop}"


def fmt_cell(spec: str, cell: dict[str, Any] | None, top: dict[str, Any] | None) -> str:
    if cell is None:
        return "-"  # not run on this loop
    if cell.get("na"):
        return "n/a"
    median = cell.get("median")
    errors = cell.get("errors") or []
    if median is None:
        message = errors[-1] if errors else "no data"  # the latest says most
        text = f"error: {message}"
        return text if len(text) <= ERROR_WIDTH else text[: ERROR_WIDTH - 1] + "…"
    flags = ("*" if errors else "") + ("^" if server_bound(spec, cell, top) else "")
    return fmt_value(median, cell["unit"]) + flags


def fmt_ratio(row: dict[str, Any], loop: str, a: str, b: str, percent: bool) -> str:
    x = (row.get(spec_on(a, loop)) or {}).get("median")
    y = (row.get(spec_on(b, loop)) or {}).get("median")
    if x is None or y is None or y == 0:
        return "-"
    return f"{x / y:.0%}" if percent else f"{x / y:.2f}x"


def fmt_ceiling(workload: str, top: dict[str, Any] | None) -> str:
    if top is None:
        return "-"
    mark = "" if set_by_probe(workload, top) else "!"
    return fmt_value(top["value"], top["unit"]) + mark


def columns(clients: list[str]) -> tuple[list[str], list[str]]:
    """The client names (one column each, every loop in it) and the loops, in order."""
    names: list[str] = []
    loops: list[str] = []
    for spec in clients:
        name, loop = split_client(spec)
        if name != PROBE and name not in names:
            names.append(name)
        if name != PROBE and loop not in loops:
            loops.append(loop)
    return names, sorted(loops, key=lambda x: LOOPS.index(x) if x in LOOPS else len(LOOPS))


def table_rows(table: dict[str, Any]) -> tuple[list[str], list[list[str]], list[str]]:
    """The header, one row per workload and loop, and the peak RSS row."""
    results, tops = table["results"], table["ceiling"]
    names, loops = columns(table["clients"])
    specs = set(table["clients"])
    ratios = [r for r in RATIOS if r[1] in names and r[2] in names]
    header = ["workload", "loop", "unit", *names, *(r[0] for r in ratios), "ceiling"]
    rows = []
    for loop in loops:
        for w in table["workloads"]:
            row, top = results[w], tops.get(w)
            cells = [
                fmt_cell(spec, row.get(spec), top) if spec in specs else "-"
                for spec in (spec_on(n, loop) for n in names)
            ]
            unit = next(iter(row.values()))["unit"] if row else ""
            ratio_cells = [fmt_ratio(row, loop, a, b, pct) for _, a, b, pct in ratios]
            rows.append([w, loop, unit, *cells, *ratio_cells, fmt_ceiling(w, top)])
    rss = ["peak RSS", "all", "MiB"]
    for name in names:
        peaks = [
            cell["rss_mb"]
            for row in results.values()
            for spec, cell in row.items()
            if split_client(spec)[0] == name and cell.get("rss_mb") is not None
        ]
        rss.append(f"{max(peaks):.0f}" if peaks else "-")
    return header, rows, rss + [""] * (len(ratios) + 1)


def render_table(table: dict[str, Any]) -> str:
    header, rows, rss = table_rows(table)
    widths = [max(len(r[i]) for r in [header, *rows, rss]) for i in range(len(header))]

    def line(r: list[str]) -> str:
        left = [v.ljust(widths[i]) for i, v in enumerate(r[:3])]
        return "  ".join(left + [v.rjust(widths[i + 3]) for i, v in enumerate(r[3:])])

    rule = "  ".join("-" * w for w in widths)
    title = SERVER_TITLES.get(table["server"], table["server"])
    rounds = f"{table['rounds']} round" + ("s" if table["rounds"] != 1 else "")
    out = [f"== {title}; median of {rounds} ==", "", line(header), rule]
    out += [line(r) for r in rows]
    out += [rule, line(rss), ""]
    out += legend(table) + ceiling_notes(table) + error_notes(table)
    return "\n".join(out)


def legend(table: dict[str, Any]) -> list[str]:
    cells = [c for row in table["results"].values() for c in row.values()]
    text = [
        "Medians across rounds; ratios compare medians on the row's loop; * = some rounds failed;"
        " - = not run on this loop.",
        f"^ = server-bound: at {SERVER_BOUND:.0%} of the ceiling or more. ceiling = the best"
        " single run of the workload by any client against this server: set by the raw client"
        f" on one-at-a-time workloads, by {PROBE} (16 requests in flight per connection) on"
        " concurrent ones; ! = a library client's run beat them (named below).",
        "raw = a minimal asyncio.BufferedProtocol client: precomputed requests, only enough"
        " parsing to find each response's end, no decompression or JSON decoding.",
    ]
    if any(c.get("na") for c in cells):
        text.append("n/a = the client has no such feature (httpx: websockets).")
    if any(c.get("unit") == "rt/s" for c in cells):
        text.append("rt/s = websocket echo round trips per second, one connection.")
    return [line for paragraph in text for line in textwrap.wrap(paragraph, WIDTH)]


def ceiling_notes(table: dict[str, Any]) -> list[str]:
    notes = []
    for w, top in table["ceiling"].items():
        if top is None or set_by_probe(w, top):
            continue
        probe = top.get("probe")
        reached = (
            f"{probe['client']} reached {fmt_value(probe['value'], top['unit'])}"
            if probe
            else "no probe ran"
        )
        notes.append(
            f"  {w}: ceiling set by {top['set_by']}'s best run "
            f"({fmt_value(top['value'], top['unit'])} {top['unit']}; {reached})"
        )
    return ["ceiling set by a client run:", *notes] if notes else []


def error_notes(table: dict[str, Any]) -> list[str]:
    notes = []
    for spec in table["clients"]:
        seen: list[str] = []
        for row in table["results"].values():
            for message in (row.get(spec) or {}).get("errors") or []:
                if message not in seen:
                    seen.append(message)
        notes += [f"  {spec}: {message[:200]}" for message in seen[:3]]
    return ["errors:", *notes] if notes else []


def render(data: dict[str, Any]) -> str:
    meta = data.get("meta", {})
    head = (
        f"aiohttp_clone end-to-end benchmarks ({meta.get('mode', '?')}: "
        f"{meta.get('duration_s', '?')} s per run after {meta.get('warmup_s', '?')} s warm-up; "
        f"commit {meta.get('commit', '?')}, {meta.get('date', '?')})"
    )
    return "\n\n".join([head, *(render_table(t) for t in data["tables"])])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.report", description=__doc__)
    parser.add_argument("file", type=Path, help="a results file written by python -m benchmarks")
    args = parser.parse_args(argv)
    print(render(json.loads(args.file.read_text())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
