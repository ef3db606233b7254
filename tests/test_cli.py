"""The command-line client, driven as a user drives it: a subprocess against the test server.

The subprocess inherits this process's environment, so under ``AIOHTTP_CLONE_NO_EXTENSIONS=1``
it runs the pure-Python twins too (``test_version_reports_the_same_build`` checks that).
Downloads (``-o``, ``--continue``) are in ``test_cli_download.py``. A few pure helpers (item
parsing, progress text, percentiles) are also checked in-process.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import re
import shutil
import ssl
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import trustme

import aiohttp_clone
from aiohttp_clone.cli import exit_code_for_status, split_words
from aiohttp_clone.cli.bench import percentile
from aiohttp_clone.cli.exits import exit_code_for_refused
from aiohttp_clone.cli.items import ItemError, split_item
from aiohttp_clone.cli.progress import Progress, format_duration, format_size
from tests.asgi_app import HELLO, JSON_DOC, byte_pattern
from tests.cli_runner import (
    RUN_TIMEOUT,
    run_cli,
    run_cli_async,
    run_in_terminal,
    url,
)
from tests.proxy import RecordingProxy
from tests.servers import (
    RawServerFactory,
    ServerInfo,
    TLSCerts,
    drain_until_eof,
    free_port,
    read_request,
    read_request_head,
)


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


NO_DEPRECATED = {"PYTHONWARNINGS": "error::DeprecationWarning"}


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
    assert result.returncode == 1
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
    target = url(http_server, "/basic-auth/ann/s3cret")
    # No deprecated API (aiohttp 3.14 deprecates building BasicAuth by hand).
    doc = echoed(run_cli("-b", "--auth", "ann:s3cret", target, env=NO_DEPRECATED))
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


def test_redirect_to_a_non_http_url_is_the_servers_fault(http_server: ServerInfo) -> None:
    result = run_cli("--follow", url(http_server, "/redirect-to?url=ftp://127.0.0.1/"))
    assert result.returncode == 2  # not 1: the user's own URL was fine
    assert result.stderr == (
        b"aiohttp-clone: error: Cannot follow the server's redirect to ftp://127.0.0.1/: "
        b"not http(s)\n"
    )


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
    result = await run_cli_async("-b", "--proxy", str(recording_proxy.url), target)
    assert result.returncode == 0, result.stderr
    assert result.stdout == HELLO
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


async def test_timeout_is_one_line_and_exit_2(raw_server: RawServerFactory) -> None:
    """The server reads the request and never answers: only the deadline can end the command
    (and if it did not, ``run_cli_async`` fails at RUN_TIMEOUT)."""
    server = await raw_server(read_then_wait)
    result = await run_cli_async("--timeout", "0.2", str(server.make_url("/")))
    assert result.returncode == 2
    assert result.stderr == b"aiohttp-clone: error: Request timed out after 0.2 s (--timeout)\n"
    assert result.stdout == b""
    assert [head.split(b"\r\n")[0] for head in server.requests] == [b"GET / HTTP/1.1"]


def test_bad_item_is_a_usage_error() -> None:
    result = run_cli("http://127.0.0.1:1/", "novalue")
    assert result.returncode == 1
    assert b"is not a request item" in result.stderr
    assert b"Traceback" not in result.stderr


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
    assert text.splitlines()[1] == "Failed:        0 of 40 requests"
    assert "Status codes:  200: 40" in text
    latency = next(line for line in text.splitlines() if line.startswith("Latency (ms):"))
    for label in ("p50", "p90", "p99", "max"):
        assert f" {label} " in latency


def test_bench_counts_errors(http_server: ServerInfo) -> None:
    result = run_cli("bench", f"http://127.0.0.1:{free_port()}/", "-n", "3", "-c", "2")
    assert result.returncode == 2
    assert "Failed:        3 of 3 requests" in result.stdout.decode()
    assert "ClientConnectorError" in result.stdout.decode()


# ----------------------------------------------------------------- bad input and exit codes


def test_help_documents_the_exit_codes_the_code_uses() -> None:
    text = run_cli("--help").stdout.decode()
    assert re.search(r"\n  1 +bad input", text)
    assert re.search(r"\n  2 +network error", text)
    assert "SSL_CERT_FILE" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--no-such-option", "{url}"], "unrecognized arguments: --no-such-option"),
        (["--timeout", "-1", "{url}"], "--timeout: '-1': must be a number of seconds above 0"),
        (["--timeout", "0", "{url}"], "must be a number of seconds above 0"),
        (["--timeout", "nan", "{url}"], "must be a number of seconds above 0"),
        (["--timeout", "soon", "{url}"], "'soon' is not a number of seconds"),
        (["ftp://127.0.0.1/"], "unsupported URL scheme 'ftp' in 'ftp://127.0.0.1/'"),
        (["http://127.0.0.1:99999/"], "invalid URL"),
        (["--proxy", "socks5://127.0.0.1:1", "{url}"], "unsupported proxy URL scheme 'socks5'"),
        (["-c", "{url}"], "--continue and --save-errors go with -o FILE"),
        (["-o", "{tmp}", "{url}"], "is a directory"),
        (["-o", "{tmp}/no/such/dir/file", "{url}"], "no such directory"),
        (["--verify", "{tmp}/missing.pem", "{url}"], "--verify"),
        (["--verify", "{tmp}", "-k", "{url}"], "--verify and --insecure contradict each other"),
        (["--cert-key", "{tmp}/key.pem", "{url}"], "--cert-key needs --cert"),
        (["--cert", "{tmp}/not-a-cert.pem", "{url}"], "--cert"),
        (["bench"], "the following arguments are required: url"),
        (["bench", "{url}", "-n", "0"], "-n/--requests: '0': must be at least 1"),
        (["bench", "{url}", "--timeout", "-1"], "must be a number of seconds above 0"),
        (["bench", "ftp://127.0.0.1/"], "unsupported URL scheme 'ftp'"),
        (["-a", "ann", "{url}"], "--auth expects USER:PASS"),
        (["-a", "a:b", "{url}", "Authorization:x"], "--auth and an Authorization header item"),
        (["{url}", "Bad Name:x"], "invalid header name 'Bad Name': must be a token"),
        (["{url}", "X-A:a\rb"], "header 'X-A': a value cannot hold CR, LF"),
        (["bench", "{url}", "-H", "Bad Name:x"], "invalid header name 'Bad Name'"),
        (["bench", "{url}", "-H", "no-colon"], "--header expects NAME:VALUE"),
        (["bench", "{url}", "-m", "GE T"], "is not an HTTP method name"),
    ],
)
async def test_bad_input_exits_1_before_anything_is_sent(
    raw_server: RawServerFactory, tmp_path: Path, args: list[str], message: str
) -> None:
    server = await raw_server(answer_hello)
    (tmp_path / "not-a-cert.pem").write_text("not a certificate\n")
    words = [a.format(url=server.make_url("/"), tmp=tmp_path) for a in args]
    result = await run_cli_async(*words)
    assert result.returncode == 1, result.stderr
    assert message.encode() in result.stderr
    assert result.stderr.splitlines()[-1].startswith(b"aiohttp-clone")
    assert b"Traceback" not in result.stderr
    assert b"ClientError" not in result.stderr  # a message for people, not a class name
    assert server.connections == 0


async def answer_hello(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    if await read_request_head(reader):
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")
        await writer.drain()


# ------------------------------------------------------------------------ bench failures


def test_bench_accepts_the_url_shorthand(http_server: ServerInfo) -> None:
    result = run_cli("bench", f":{http_server.port}/hello", "-n", "6", "-c", "2")
    assert result.returncode == 0, result.stdout
    text = result.stdout.decode()
    assert f"GET http://localhost:{http_server.port}/hello" in text
    assert "Status codes:  200: 6" in text


def test_bench_where_all_requests_fail_says_so_first_and_exits_2() -> None:
    result = run_cli("bench", f"http://127.0.0.1:{free_port()}/", "-n", "100")
    assert result.returncode == 2
    lines = result.stdout.decode().splitlines()
    assert lines[1] == "Failed:        100 of 100 requests"
    rates = next(i for i, line in enumerate(lines) if line.startswith("Requests/s:"))
    assert rates > 1
    assert "Completed:     0 requests" in result.stdout.decode()
    assert "nan" not in result.stdout.decode()
    assert "Latency (ms):  none" in result.stdout.decode()


# ------------------------------------------------------------------------- TLS options


def test_verify_trusts_a_private_ca_file_or_directory(
    https_server: ServerInfo, tls_certs: TLSCerts, tmp_path: Path
) -> None:
    hello = url(https_server, "/hello")
    accepted = run_cli("-b", "--verify", tls_certs.ca_file, hello)
    assert accepted.returncode == 0, accepted.stderr
    assert accepted.stdout == HELLO
    if shutil.which("openssl") is None:
        pytest.skip("no openssl command to lay out a hashed CA directory")
    ca_dir = tmp_path / "cas"
    ca_dir.mkdir()
    shutil.copy(tls_certs.ca_file, ca_dir / "test-ca.pem")
    subprocess.run(["openssl", "rehash", str(ca_dir)], check=True, timeout=RUN_TIMEOUT)
    from_dir = run_cli("-b", "--verify", str(ca_dir), hello)
    assert from_dir.returncode == 0, from_dir.stderr
    assert from_dir.stdout == HELLO


def test_verify_trusts_only_the_given_ca(https_server: ServerInfo, tmp_path: Path) -> None:
    other_ca = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other_ca))
    result = run_cli("--verify", str(other_ca), url(https_server, "/hello"))
    assert result.returncode == 2
    assert b"certificate verify failed" in result.stderr


def test_ssl_cert_file_is_honoured(https_server: ServerInfo, tls_certs: TLSCerts) -> None:
    result = run_cli("-b", url(https_server, "/hello"), env={"SSL_CERT_FILE": tls_certs.ca_file})
    assert result.returncode == 0, result.stderr
    assert result.stdout == HELLO


@contextlib.asynccontextmanager
async def client_cert_server(certs: TLSCerts) -> AsyncIterator[str]:
    """HTTPS on 127.0.0.1 that requires a client certificate from ``certs.ca``; answers with
    the certificate's DNS names. Yields the base URL."""
    context = certs.server_context()
    context.verify_mode = ssl.CERT_REQUIRED
    certs.ca.configure_trust(context)
    writers: set[asyncio.StreamWriter] = set()

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.add(writer)
        if await read_request_head(reader):
            peer = writer.get_extra_info("peercert") or {}
            names = ",".join(value for _, value in peer.get("subjectAltName", ())).encode()
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(names), names))
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0, ssl=context)
    try:
        yield f"https://127.0.0.1:{server.sockets[0].getsockname()[1]}/"
    finally:
        server.close()
        for writer in writers:
            writer.close()
        await server.wait_closed()


async def test_client_certificate(tls_certs: TLSCerts, tmp_path: Path) -> None:
    client = tls_certs.ca.issue_cert("client.example")
    cert, key, both = tmp_path / "client.pem", tmp_path / "client.key", tmp_path / "both.pem"
    client.cert_chain_pems[0].write_to_path(str(cert))
    client.private_key_pem.write_to_path(str(key))
    client.private_key_and_cert_chain_pem.write_to_path(str(both))
    async with client_cert_server(tls_certs) as base:
        trust = ("--verify", tls_certs.ca_file, "-b", base)
        refused = await run_cli_async(*trust)
        assert refused.returncode == 2
        assert refused.stderr.startswith(b"aiohttp-clone: error: ")
        with_key = await run_cli_async(*trust, "--cert", str(cert), "--cert-key", str(key))
        assert with_key.returncode == 0, with_key.stderr
        assert with_key.stdout == b"client.example"
        combined = await run_cli_async(*trust, "--cert", str(both))
        assert combined.returncode == 0, combined.stderr
        assert combined.stdout == b"client.example"


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


def test_a_refused_download_exits_as_check_status_would_and_never_0() -> None:
    for status in range(300, 600):
        assert exit_code_for_refused(status) == exit_code_for_status(status, followed=False)
    # Above 599 --check-status has no code for the answer, but -o still refused to save it.
    assert (exit_code_for_status(600, followed=False), exit_code_for_refused(600)) == (0, 5)


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
    resumed = Progress(4_000_000, sink, clock=iter([0.0, 1.0, 2.0]).__next__, start=3_000_000)
    resumed.update(500_000)  # the rate counts only what this run fetched
    assert resumed.line(1.0) == (
        "[#####################---]  88%  3.5 MB / 4.0 MB  500.0 kB/s  ETA 0:01"
    )
    broken = io.StringIO()
    untouched = Progress(100, broken, clock=lambda: 1.0)
    untouched.end_line()
    assert broken.getvalue() == ""  # nothing drawn: no empty line before the error either
    cut = Progress(1000, broken, clock=iter([0.0, 1.0, 1.05, 1.5]).__next__)
    cut.update(100)
    cut.update(100)  # too soon to redraw
    cut.end_line()
    assert broken.getvalue().endswith(
        "\r[#####-------------------]  20%  200 B / 1.0 kB  133 B/s  ETA 0:06\n"
    )
    assert (format_size(999), format_size(1_500), format_duration(3725)) == (
        "999 B",
        "1.5 kB",
        "1:02:05",
    )


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert [percentile(values, p) for p in (50, 90, 99, 100)] == [50.0, 90.0, 99.0, 100.0]
    assert percentile([7.0], 99) == 7.0
