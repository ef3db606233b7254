"""The command-line client, driven as a user drives it: a subprocess against the test server.

The subprocess inherits this process's environment, so under ``AIOHTTP_CLONE_NO_EXTENSIONS=1``
it runs the pure-Python twins too (``test_version_reports_the_same_build`` checks that).
A few pure helpers (item parsing, progress text, percentiles) are also checked in-process.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import pty
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

import aiohttp_clone
from aiohttp_clone.cli import exit_code_for_status, split_words
from aiohttp_clone.cli.bench import percentile
from aiohttp_clone.cli.items import ItemError, split_item
from aiohttp_clone.cli.progress import Progress, format_duration, format_size
from tests.asgi_app import HELLO, JSON_DOC, byte_pattern
from tests.proxy import RecordingProxy
from tests.servers import RawServer, ServerInfo, drain_until_eof, free_port, read_request

CLI = [sys.executable, "-m", "aiohttp_clone"]
RUN_TIMEOUT = 20  # seconds; a hung CLI fails its test instead of the whole run


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [*CLI, *args],
        capture_output=True,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
        timeout=RUN_TIMEOUT,
        check=False,
    )


async def run_cli_beside(*args: str) -> tuple[int | None, bytes, bytes]:
    """Run the CLI without blocking this loop, for peers served by the test's own loop."""
    proc = await asyncio.create_subprocess_exec(
        *CLI,
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        stdout, stderr = await asyncio.wait_for(proc.communicate(), RUN_TIMEOUT)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    return proc.returncode, stdout, stderr


def run_in_terminal(*args: str, env: dict[str, str] | None = None) -> tuple[int, bytes]:
    """Run with stdout and stderr on a pseudo-terminal, as when a person types the command."""
    master, slave = pty.openpty()
    environment = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    proc = subprocess.Popen(
        [*CLI, *args],
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=slave,
        env={**environment, **(env or {})},
    )
    os.close(slave)
    output = bytearray()
    try:
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal's last writer
                break
            if not data:
                break
            output += data
    finally:
        os.close(master)
    return proc.wait(timeout=RUN_TIMEOUT), bytes(output)


def url(server: ServerInfo, path: str) -> str:
    return str(server.make_url(path))


def split_head(stdout: bytes) -> tuple[bytes, bytes]:
    head, sep, body = stdout.partition(b"\n\n")
    assert sep, stdout
    return head, body


def echoed(result: subprocess.CompletedProcess[bytes]) -> dict[str, object]:
    """The /echo route's JSON, from a run made with ``-b`` (body only)."""
    assert result.returncode == 0, result.stderr
    doc: dict[str, object] = json.loads(result.stdout)
    return doc


def echoed_headers(doc: dict[str, object]) -> dict[str, str]:
    return {name: value for name, value in doc["headers"]}  # type: ignore[attr-defined]


# ------------------------------------------------------------------------------ responses


def test_get_text_prints_status_headers_and_body(http_server: ServerInfo) -> None:
    result = run_cli(url(http_server, "/hello"))
    assert result.returncode == 0
    assert result.stderr == b""
    head, body = split_head(result.stdout)
    assert head.startswith(b"HTTP/1.1 200 OK\n")
    assert b"\ncontent-length: 12" in head
    assert body == HELLO  # piped: exactly what the server sent, no colour, nothing added
    assert b"\x1b[" not in result.stdout


def test_json_body_is_pretty_printed(http_server: ServerInfo) -> None:
    result = run_cli(url(http_server, "/json"))
    _, body = split_head(result.stdout)
    assert body == json.dumps(JSON_DOC, indent=2).encode() + b"\n"


def test_body_only_and_url_shorthand(http_server: ServerInfo) -> None:
    result = run_cli("-b", f":{http_server.port}/hello")
    assert result.returncode == 0, result.stderr
    assert result.stdout == HELLO


def test_binary_body_is_passed_through_when_piped(http_server: ServerInfo) -> None:
    result = run_cli("-b", url(http_server, "/bytes/5000"))
    assert result.stdout == byte_pattern(5000)


# ------------------------------------------------------------------------------- requests


def test_post_json_fields_and_raw_json(http_server: ServerInfo) -> None:
    doc = echoed(
        run_cli(
            "-b",
            url(http_server, "/echo"),
            "name=ann",
            "age:=30",
            'tags:=["a", "b"]',
            'meta:={"k": null}',
        )
    )
    assert doc["method"] == "POST"
    assert json.loads(str(doc["body"])) == {
        "name": "ann",
        "age": 30,
        "tags": ["a", "b"],
        "meta": {"k": None},
    }
    headers = echoed_headers(doc)
    assert headers["content-type"] == "application/json"
    assert headers["accept"].startswith("application/json")


def test_form_fields(http_server: ServerInfo) -> None:
    doc = echoed(run_cli("--form", "-b", url(http_server, "/echo"), "a=1", "b=x y&z"))
    assert doc["method"] == "POST"
    assert doc["body"] == "a=1&b=x+y%26z"
    assert echoed_headers(doc)["content-type"].startswith("application/x-www-form-urlencoded")


def test_form_refuses_raw_json_fields(http_server: ServerInfo) -> None:
    result = run_cli("--form", url(http_server, "/echo"), "n:=1")
    assert result.returncode == 2
    assert b"need --json" in result.stderr


def test_headers_query_and_explicit_method(http_server: ServerInfo) -> None:
    doc = echoed(
        run_cli(
            "put",
            "-b",
            url(http_server, "/echo"),
            "X-Custom:hello world",
            "User-Agent:mine/1",
            "q==a b",
            "n==1",
        )
    )
    assert doc["method"] == "PUT"
    assert doc["query_string"] == "q=a+b&n=1"
    headers = echoed_headers(doc)
    assert headers["x-custom"] == "hello world"
    assert headers["user-agent"] == "mine/1"  # a user header replaces the default, not joins it
    assert doc["body_length"] == 0


def test_basic_auth(http_server: ServerInfo) -> None:
    doc = echoed(run_cli("-b", "--auth", "ann:s3cret", url(http_server, "/basic-auth/ann/s3cret")))
    assert doc == {"authenticated": True, "user": "ann"}


def test_verbose_shows_the_request_as_sent(http_server: ServerInfo) -> None:
    result = run_cli("-v", url(http_server, "/echo"), "a=1")
    assert result.returncode == 0, result.stderr
    request_head, rest = split_head(result.stdout)
    assert request_head.startswith(b"POST /echo HTTP/1.1\n")
    assert f"\nHost: 127.0.0.1:{http_server.port}".encode() in request_head
    assert rest.startswith(b'{"a": "1"}\n\nHTTP/1.1 200 OK\n')


def test_download_streams_body_to_file(http_server: ServerInfo, tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    size = 2 * 1024 * 1024
    result = run_cli(url(http_server, f"/bytes/{size}"), "-o", str(target))
    assert result.returncode == 0, result.stderr
    assert target.read_bytes() == byte_pattern(size)
    head, body = split_head(result.stdout)
    assert head.startswith(b"HTTP/1.1 200 OK")
    assert body == b""
    assert result.stderr == b""  # stderr is not a terminal here: no progress bar


# -------------------------------------------------------------------- redirects and status


@pytest.mark.parametrize(
    ("path", "expected"),
    [("/status/200", 0), ("/redirect/1", 3), ("/status/404", 4), ("/status/503", 5)],
)
def test_check_status_exit_codes(http_server: ServerInfo, path: str, expected: int) -> None:
    result = run_cli("--check-status", url(http_server, path))
    assert result.returncode == expected, result.stderr
    if expected:
        assert result.stderr.startswith(b"aiohttp-clone: warning: HTTP ")


def test_error_status_without_check_status_exits_zero(http_server: ServerInfo) -> None:
    assert run_cli(url(http_server, "/status/500")).returncode == 0


def test_no_follow_shows_the_redirect_and_follow_follows(http_server: ServerInfo) -> None:
    plain = run_cli("--no-follow", url(http_server, "/redirect/2"))
    head, _ = split_head(plain.stdout)
    assert head.startswith(b"HTTP/1.1 302 Found")
    assert b"\nLocation: /redirect/1" in head
    followed = run_cli("--follow", "--check-status", url(http_server, "/redirect/2"))
    assert followed.returncode == 0, followed.stderr
    head, body = split_head(followed.stdout)
    assert head.startswith(b"HTTP/1.1 200 OK")
    assert body == b"redirected"


# --------------------------------------------------------------------------- TLS and proxies


def test_https_with_unknown_ca_fails_unless_insecure(https_server: ServerInfo) -> None:
    refused = run_cli(url(https_server, "/hello"))
    assert refused.returncode == 2
    assert refused.stderr.startswith(b"aiohttp-clone: error: ")
    assert refused.stderr.count(b"\n") == 1
    assert b"Traceback" not in refused.stderr
    accepted = run_cli("--insecure", "-b", url(https_server, "/hello"))
    assert accepted.returncode == 0, accepted.stderr
    assert accepted.stdout == HELLO


async def test_proxy_option(http_server: ServerInfo, recording_proxy: RecordingProxy) -> None:
    target = url(http_server, "/hello")
    # The proxy runs in this loop, so the CLI must run beside it, not block it.
    proxy = str(recording_proxy.url)
    returncode, stdout, stderr = await run_cli_beside("-b", "--proxy", proxy, target)
    assert returncode == 0, stderr
    assert stdout == HELLO
    assert [(r.method, r.target) for r in recording_proxy.requests] == [("GET", target)]


# -------------------------------------------------------------------------------- failures


def test_connection_refused_is_one_line_and_exit_2() -> None:
    port = free_port()
    result = run_cli(f"http://127.0.0.1:{port}/")
    assert result.returncode == 2
    assert result.stdout == b""
    assert b"Traceback" not in result.stderr
    lines = result.stderr.decode().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"aiohttp-clone: error: Cannot connect to host 127.0.0.1:{port}")


async def read_then_wait(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_request(reader)
    await drain_until_eof(reader)


async def test_timeout_is_one_line_and_exit_2(
    raw_server: Callable[..., Awaitable[RawServer]],
) -> None:
    """The server reads the request and never answers: only the deadline can end the command
    (and if it did not, ``run_cli_beside`` fails at RUN_TIMEOUT)."""
    server = await raw_server(read_then_wait)
    target = str(server.make_url("/"))
    returncode, stdout, stderr = await run_cli_beside("--timeout", "0.2", target)
    assert returncode == 2
    assert stderr == b"aiohttp-clone: error: Request timed out after 0.2 s\n"
    assert stdout == b""
    assert [head.split(b"\r\n")[0] for head in server.requests] == [b"GET / HTTP/1.1"]


def test_bad_item_is_a_usage_error() -> None:
    result = run_cli("http://127.0.0.1:1/", "novalue")
    assert result.returncode == 2
    assert b"is not a request item" in result.stderr
    assert b"Traceback" not in result.stderr


def test_header_the_library_refuses_is_one_line_and_exit_1(http_server: ServerInfo) -> None:
    result = run_cli(url(http_server, "/hello"), "Bad Name:x")
    assert result.returncode == 1
    assert result.stderr.startswith(b"aiohttp-clone: error: Invalid HTTP header name")
    assert result.stderr.count(b"\n") == 1


# ----------------------------------------------------------------------------- terminal


def test_terminal_gets_colour_and_binary_is_refused(http_server: ServerInfo) -> None:
    code, output = run_in_terminal(url(http_server, "/bytes/3000"))
    assert code == 0
    assert b"\x1b[" in output  # coloured status line and header names
    assert b"binary data not shown" in output
    assert byte_pattern(3000)[:64] not in output


def test_no_color_turns_colour_off_on_a_terminal(http_server: ServerInfo) -> None:
    code, output = run_in_terminal(url(http_server, "/hello"), env={"NO_COLOR": "1"})
    assert code == 0
    assert b"\x1b[" not in output
    assert output.startswith(b"HTTP/1.1 200 OK")


def test_download_draws_progress_on_a_terminal(http_server: ServerInfo, tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    code, output = run_in_terminal(url(http_server, "/bytes/1000000"), "-o", str(target))
    assert code == 0
    assert target.read_bytes() == byte_pattern(1_000_000)
    assert b"1.0 MB in 0:0" in output  # the finished line: size, time and rate


# ------------------------------------------------------------------------------- bench


def test_bench_reports_rate_and_percentiles(http_server: ServerInfo) -> None:
    result = run_cli(
        "bench", url(http_server, "/hello"), "-n", "40", "-c", "4", "--header", "X-Bench:1"
    )
    assert result.returncode == 0, result.stderr
    text = result.stdout.decode()
    assert "Requests/s:" in text
    assert "Status codes:  200: 40" in text
    assert "Errors:        0" in text
    latency = next(line for line in text.splitlines() if line.startswith("Latency (ms):"))
    for label in ("p50", "p90", "p99", "max"):
        assert f" {label} " in latency


def test_bench_counts_errors(http_server: ServerInfo) -> None:
    result = run_cli("bench", f"http://127.0.0.1:{free_port()}/", "-n", "3", "-c", "2")
    assert result.returncode == 1
    assert "Errors:        3" in result.stdout.decode()
    assert "ClientConnectorError" in result.stdout.decode()


# ---------------------------------------------------------------------------- packaging


def test_version_reports_the_same_build() -> None:
    result = run_cli("--version")
    build = "C extensions" if aiohttp_clone.USING_C_EXTENSIONS else "pure Python"
    assert result.stdout.decode().strip() == f"aiohttp-clone {aiohttp_clone.__version__} ({build})"


def test_console_script_is_installed() -> None:
    script = Path(sys.executable).with_name("aiohttp-clone")
    if not script.exists():
        pytest.skip("package not installed with its scripts in this interpreter's bin directory")
    result = subprocess.run(
        [str(script), "--help"], capture_output=True, timeout=RUN_TIMEOUT, check=False
    )
    assert result.returncode == 0
    assert b"bench" in result.stdout


# ------------------------------------------------------------------------- pure helpers


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ("X-A:b:c", ("X-A", ":", "b:c")),
        ("a:=[1]", ("a", ":=", "[1]")),
        ("q==x=y", ("q", "==", "x=y")),
        ("url=http://x", ("url", "=", "http://x")),
        ("a\\:b=c", ("a:b", "=", "c")),
    ],
)
def test_split_item(item: str, expected: tuple[str, str, str]) -> None:
    assert split_item(item) == expected


@pytest.mark.parametrize("item", ["plain", "=value", ":value"])
def test_split_item_rejects(item: str) -> None:
    with pytest.raises(ItemError):
        split_item(item)


def test_split_words_method_detection() -> None:
    assert split_words(["example.org"]) == (None, "example.org", [])
    assert split_words(["get", "example.org", "a=1"]) == ("GET", "example.org", ["a=1"])
    assert split_words(["PROPFIND", "example.org"]) == ("PROPFIND", "example.org", [])
    assert split_words(["example.org", "a=1"]) == (None, "example.org", ["a=1"])


def test_exit_code_for_status() -> None:
    assert [exit_code_for_status(s, followed=False) for s in (200, 302, 404, 500)] == [0, 3, 4, 5]
    assert exit_code_for_status(304, followed=True) == 0


def test_progress_text() -> None:
    clock = iter([0.0, 1.0, 2.0]).__next__
    sink = io.StringIO()
    progress = Progress(4_000_000, sink, clock=clock)
    progress.update(1_000_000)
    assert (
        sink.getvalue() == "\r[######------------------]  25%  1.0 MB / 4.0 MB  1.0 MB/s  ETA 0:03"
    )
    progress.finish()
    last = sink.getvalue().rsplit("\r", 1)[1]
    assert last.endswith("\n")
    assert last.rstrip() == "1.0 MB in 0:02  500.0 kB/s"  # padded over the longer bar line
    assert Progress(None, sink, clock=lambda: 2.0).line(4.0) == "0 B  0 B/s"
    assert (format_size(999), format_size(1_500), format_duration(3725)) == (
        "999 B",
        "1.5 kB",
        "1:02:05",
    )


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert [percentile(values, p) for p in (50, 90, 99, 100)] == [50.0, 90.0, 99.0, 100.0]
    assert percentile([7.0], 99) == 7.0
