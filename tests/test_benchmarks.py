"""The benchmark harness's honesty: the raw client's framing, the ceiling, the published files.

The raw client runs against the real benchmark server (benchmarks/server.py, in its own
process); the published results files are the ones the README quotes.
"""

import argparse
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from benchmarks.__main__ import parse_args, settings_from
from benchmarks.ceiling import ceiling, ceilings, server_bound, set_by_probe
from benchmarks.raw_client import PIPELINE_DEPTH, ResponseEnds, bench_raw
from benchmarks.report import render
from benchmarks.runner import ROOT, BenchServer, RunSpec, run_worker
from benchmarks.workloads import MB, WORKLOADS

PUBLISHED = sorted((ROOT / "benchmarks" / "published").glob("*.json"))
TABLE_FILES = [p for p in PUBLISHED if "tables" in json.loads(p.read_text())]
CALLGRIND_FILES = [p for p in PUBLISHED if "instructions_per_op" in json.loads(p.read_text())]

LENGTH_RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nhello world"
)
CHUNKED_RESPONSE = (
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"5;name=value\r\nhello\r\n1a\r\n" + b"z" * 26 + b"\r\n0\r\nX-Trailer: 1\r\n\r\n"
)
EMPTY_RESPONSE = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"
STREAM = LENGTH_RESPONSE + CHUNKED_RESPONSE + EMPTY_RESPONSE


@pytest.mark.parametrize("step", [1, 2, 3, 5, 17, 64, len(STREAM)])
def test_raw_client_finds_every_response_end_however_the_bytes_are_split(step: int) -> None:
    ends = ResponseEnds()
    buffer = bytearray(step)  # reused, as the raw client reuses its read buffer
    finished = []
    for start in range(0, len(STREAM), step):
        piece = STREAM[start : start + step]
        buffer[: len(piece)] = piece
        finished.append(ends.feed(buffer, len(piece)))
    assert sum(finished) == 3
    assert ends.body == 11 + 5 + 26
    # the last response ends exactly with the last piece, not before
    assert finished[-1] >= 1


def test_raw_client_refuses_a_response_it_did_not_expect() -> None:
    ends = ResponseEnds()
    reply = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
    with pytest.raises(ConnectionError, match="404"):
        ends.feed(reply, len(reply))


@pytest.fixture(scope="module")
def bench_url() -> Iterator[str]:
    server = BenchServer(cpu=None, poll=False)
    try:
        yield server.url
    finally:
        server.stop()


RAW_RUNS = [("raw", w) for w in WORKLOADS] + [
    ("raw-pipelined", w) for w, spec in WORKLOADS.items() if spec.probed_by_pipelining
]


@pytest.mark.parametrize(("client", "workload"), RAW_RUNS)
async def test_raw_client_runs_every_workload_against_the_benchmark_server(
    bench_url: str, client: str, workload: str
) -> None:
    count = 12
    size = 3 * 1024 * 1024
    args = argparse.Namespace(
        client=client, workload=workload, url=bench_url, duration=60.0, count=count,
        warmup=0.0, download_size=size, loop="asyncio",
    )  # fmt: skip
    result = await bench_raw(args)
    spec = WORKLOADS[workload]
    depth = PIPELINE_DEPTH if client == "raw-pipelined" else 1
    assert result["ops"] == count * depth
    body = {"chunked1m": 1024 * 1024, "download": size}.get(workload, spec.expect)
    if body is not None:
        assert result["units"] == count * depth * body
    if spec.unit == "MB/s":
        assert result["value"] == pytest.approx(result["units"] / result["elapsed"] / MB)


async def test_the_download_is_not_pipelined(bench_url: str) -> None:
    args = argparse.Namespace(
        client="raw-pipelined", workload="download", url=bench_url, duration=1.0, count=1,
        warmup=0.0, download_size=1024, loop="asyncio",
    )  # fmt: skip
    with pytest.raises(ValueError, match="one stream"):
        await bench_raw(args)


@pytest.mark.parametrize(
    ("client", "build"),
    [("aiohttp_clone", "C"), ("aiohttp_clone-py", "py"), ("aiohttp", "C"), ("aiohttp-py", "py")],
)
def test_each_library_client_runs_the_build_its_name_says(
    bench_url: str, client: str, build: str
) -> None:
    result = run_worker(
        client, "seq", bench_url, RunSpec(duration=0.05, warmup=0.0, download_size=MB)
    )
    assert result.get("error") is None, result
    assert result["impl"] == build
    assert result["ops"] > 0


def test_the_server_sleeps_flag_plans_what_server_sleeps_plans() -> None:
    flag = settings_from(parse_args(["--quick", "--server-sleeps"]))
    named = settings_from(parse_args(["--quick", "--server", "sleeps"]))
    assert [plan.server for plan in flag.tables] == ["sleeps"]
    assert flag.tables == named.tables


def cell(*samples: float) -> dict[str, Any]:
    ordered = sorted(samples)
    return {"unit": "req/s", "median": ordered[len(ordered) // 2], "samples": list(samples)}


def test_a_client_run_that_beats_the_raw_client_sets_the_ceiling_and_is_named() -> None:
    row = {"raw": cell(100, 120, 110), "aiohttp_clone": cell(130, 125, 126), "aiohttp": cell(50)}
    top = ceiling("seq", row)
    assert top is not None
    assert (top["value"], top["set_by"]) == (130, "aiohttp_clone")
    assert top["probe"] == {"client": "raw", "value": 120}
    assert not set_by_probe("seq", top)
    assert server_bound("aiohttp_clone", row["aiohttp_clone"], top)
    assert not server_bound("aiohttp", row["aiohttp"], top)
    assert not server_bound("raw", row["raw"], top)  # the probe is not a client under test


def test_the_pipelined_probe_sets_the_ceiling_of_a_concurrent_workload() -> None:
    row = {
        "raw": cell(900),
        "raw-pipelined@uvloop": cell(5000, 4000),
        "aiohttp_clone@uvloop": cell(4600),
    }
    top = ceiling("conc64", row)
    assert top is not None
    assert (top["set_by"], top["value"]) == ("raw-pipelined@uvloop", 5000)
    assert set_by_probe("conc64", top)
    assert server_bound("aiohttp_clone@uvloop", row["aiohttp_clone@uvloop"], top)


def test_a_table_marks_server_bound_cells_and_names_who_set_a_ceiling() -> None:
    results = {"seq": {"raw": cell(100, 120), "aiohttp_clone": cell(130, 125, 126)}}
    table = {
        "server": "sleeps", "rounds": 3, "clients": ["aiohttp_clone", "raw"],
        "workloads": ["seq"], "results": results, "ceiling": ceilings(results),
    }  # fmt: skip
    text = render({"meta": {}, "tables": [table]})
    assert "126^" in text
    assert "130!" in text
    assert "seq: ceiling set by aiohttp_clone's best run (130 req/s; raw reached 120)" in text


def test_the_readme_quotes_only_published_results_files() -> None:
    readme = (ROOT / "README.md").read_text()
    quoted = set(re.findall(r"benchmarks/published/(\d{4}-\d\d-\d\d-[\w.-]+\.json)", readme))
    assert quoted, "the README's performance section names its results files"
    assert quoted <= {p.name for p in PUBLISHED}


def test_the_readme_tables_are_their_results_files_rendered() -> None:
    readme = (ROOT / "README.md").read_text()
    quoted = [p for p in TABLE_FILES if f"benchmarks/published/{p.name}" in readme]
    assert quoted
    for path in quoted:
        assert render(json.loads(path.read_text())) in readme, path.name


def test_every_published_file_is_a_table_or_a_callgrind_result() -> None:
    assert set(PUBLISHED) == set(TABLE_FILES) | set(CALLGRIND_FILES)


@pytest.mark.parametrize("path", TABLE_FILES, ids=[p.name for p in TABLE_FILES])
def test_no_published_figure_exceeds_its_ceiling(path: Path) -> None:
    data = json.loads(path.read_text())
    for table in data["tables"]:
        assert table["ceiling"] == ceilings(table["results"])  # stored as the code computes it
        for workload, row in table["results"].items():
            top = table["ceiling"][workload]
            for spec, figures in row.items():
                # Samples need no check of their own: the ceiling is their maximum (above).
                assert "samples" in figures, (table["server"], workload, spec)
                assert figures["median"] is None or figures["median"] <= top["value"]
    assert "server" in render(data)


@pytest.mark.parametrize("path", CALLGRIND_FILES, ids=[p.name for p in CALLGRIND_FILES])
def test_published_callgrind_counts_add_up(path: Path) -> None:
    data = json.loads(path.read_text())
    low, high = data["counts"]
    assert 0 < low < high
    for counts in data["instructions_per_op"].values():
        excluded = sum(counts[f] for f in data["excluded"])
        assert counts["all"] > 0
        assert abs(counts["without"] - (counts["all"] - excluded)) <= len(data["excluded"]) + 1
