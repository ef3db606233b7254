"""``aiohttp-clone -o FILE``: what is saved, what is refused, and downloads that break off.

Against ``raw_server`` peers that serve byte ranges, stall or hang up mid-body; the command runs
in a subprocess beside the test's loop (``run_cli_async``, or ``run_in_terminal`` in a thread
when the progress bar matters).
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from tests.asgi_app import byte_pattern
from tests.cli_runner import (
    run_cli,
    run_cli_async,
    run_in_terminal,
    url,
)
from tests.servers import (
    RawHandler,
    RawServerFactory,
    ServerInfo,
    head_header,
    read_request_head,
)

PAYLOAD = byte_pattern(1_000_000)
FIRST_PART = 100_000  # what a stalling server sends of PAYLOAD before it goes quiet


def ranged_file(payload: bytes, *, ranges: bool = True, stall_first: bool = False) -> RawHandler:
    """A file server honouring ``Range: bytes=N-`` (unless ``ranges`` is false).

    ``stall_first``: the first answer sends FIRST_PART bytes, then waits for the client to go.
    """
    stalled = False

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal stalled
        head = await read_request_head(reader)
        requested = head_header(head, b"range") if ranges else None
        start = int(requested[len(b"bytes=") : -1]) if requested else 0
        size = len(payload)
        if requested and start >= size:
            writer.write(
                b"HTTP/1.1 416 Range Not Satisfiable\r\n"
                b"Content-Range: bytes */%d\r\nContent-Length: 0\r\n\r\n" % size
            )
            await writer.drain()
            return
        status = b"206 Partial Content" if requested else b"200 OK"
        extra = b"Content-Range: bytes %d-%d/%d\r\n" % (start, size - 1, size) if requested else b""
        writer.write(b"HTTP/1.1 %s\r\nContent-Length: %d\r\n%s\r\n" % (status, size - start, extra))
        if stall_first and not stalled:
            stalled = True
            writer.write(payload[start : start + FIRST_PART])
            await writer.drain()
            await reader.read()  # until the client hangs up
            return
        writer.write(payload[start:])
        await writer.drain()

    return handler


def error_line(terminal_output: bytes) -> bytes:
    """The line holding the error, as a terminal shows it (``\\r`` redraws stay in the line)."""
    lines = terminal_output.replace(b"\r\n", b"\n").split(b"\n")
    return next(line for line in lines if b": error: " in line)


def test_download_follows_redirects(http_server: ServerInfo, tmp_path: Path) -> None:
    target = tmp_path / "page"
    result = run_cli(url(http_server, "/redirect/2"), "-o", str(target))
    assert result.returncode == 0, result.stderr
    assert target.read_bytes() == b"redirected"


@pytest.mark.parametrize(
    ("args", "code"),
    [(["/status/404"], 4), (["/status/503"], 5), (["--no-follow", "/redirect/1"], 3)],
)
def test_download_refuses_to_save_an_error_page(
    http_server: ServerInfo, tmp_path: Path, args: list[str], code: int
) -> None:
    target = tmp_path / "file"
    *options, path = args
    result = run_cli(*options, url(http_server, path), "-o", str(target))
    assert result.returncode == code
    assert not target.exists()
    assert b"not saved to" in result.stderr
    assert b"--save-errors" in result.stderr
    saved = run_cli(*options, "--save-errors", url(http_server, path), "-o", str(target))
    assert saved.returncode == 0, saved.stderr
    assert target.exists()


async def test_timeout_during_download_gets_its_own_line_and_keeps_the_part(
    raw_server: RawServerFactory, tmp_path: Path
) -> None:
    server = await raw_server(ranged_file(PAYLOAD, stall_first=True))
    target = tmp_path / "big.bin"
    args = ("--timeout", "1", url(server, "/big"), "-o", str(target))
    code, output = await asyncio.to_thread(run_in_terminal, *args)
    assert code == 2, output
    assert b"ETA" in output  # the progress bar was drawn
    line = error_line(output)
    match = re.fullmatch(
        rb"aiohttp-clone: error: Transfer failed after (\d+) of 1000000 body bytes: "
        rb"Request timed out after 1 s \(--timeout\)",
        line.rstrip(),
    )
    assert match, line  # at the start of its own line, not after the bar
    received = int(match[1])
    assert target.read_bytes() == PAYLOAD[:received]
    assert f"partial download kept: {target} ({received} of 1000000 bytes)".encode() in output
    assert b"--continue" in output


async def test_ctrl_c_keeps_the_part_and_continue_resumes_it(
    raw_server: RawServerFactory, tmp_path: Path
) -> None:
    server = await raw_server(ranged_file(PAYLOAD, stall_first=True))
    target = tmp_path / "big.bin"
    args = (url(server, "/big"), "-o", str(target))
    code, output = await asyncio.to_thread(run_in_terminal, *args, interrupt_at=b"ETA")
    assert code == 130, output
    match = re.fullmatch(
        rb"aiohttp-clone: error: Interrupted after (\d+) of 1000000 body bytes", error_line(output)
    )
    assert match, output
    received = int(match[1])
    assert 0 < received <= FIRST_PART
    assert target.read_bytes() == PAYLOAD[:received]
    assert f"partial download kept: {target}".encode() in output

    resumed = await run_cli_async("-c", url(server, "/big"), "-o", str(target))
    assert resumed.returncode == 0, resumed.stderr
    assert head_header(server.requests[-1], b"range") == b"bytes=%d-" % received
    assert resumed.stdout.startswith(b"HTTP/1.1 206 Partial Content")
    assert target.read_bytes() == PAYLOAD


async def test_continue_starts_over_when_the_server_ignores_range(
    raw_server: RawServerFactory, tmp_path: Path
) -> None:
    server = await raw_server(ranged_file(PAYLOAD, ranges=False))
    target = tmp_path / "big.bin"
    target.write_bytes(PAYLOAD[:FIRST_PART])
    result = await run_cli_async("--continue", url(server, "/big"), "-o", str(target))
    assert result.returncode == 0, result.stderr
    assert head_header(server.requests[-1], b"range") == b"bytes=%d-" % FIRST_PART
    assert b"did not resume (200, not 206)" in result.stderr
    assert target.read_bytes() == PAYLOAD  # replaced, not appended to


@pytest.mark.parametrize(("on_disk", "code"), [(PAYLOAD, 0), (PAYLOAD + b"more", 4)])
async def test_continue_on_416_compares_sizes(
    raw_server: RawServerFactory, tmp_path: Path, on_disk: bytes, code: int
) -> None:
    server = await raw_server(ranged_file(PAYLOAD))
    target = tmp_path / "big.bin"
    target.write_bytes(on_disk)
    result = await run_cli_async("-c", url(server, "/big"), "-o", str(target))
    assert result.returncode == code, result.stderr
    assert target.read_bytes() == on_disk  # untouched either way
    expected = b"already complete" if code == 0 else b"the server has 1000000 bytes"
    assert expected in result.stderr


# ---------------------------------------------------------------- mid-transfer failures


async def answer_part(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Announce 100000 bytes (or chunked, for /chunked), send 5000, hang up."""
    head = await read_request_head(reader)
    if b" /chunked " in head:
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1388\r\n")
    else:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
    writer.write(byte_pattern(5000))
    await writer.drain()


@pytest.mark.parametrize(
    ("path", "progress"),
    [("/sized", "5000 of 100000 body bytes"), ("/chunked", "5000 body bytes (length not")],
)
@pytest.mark.parametrize("to_file", [False, True])
async def test_broken_transfer_names_the_bytes_received(
    raw_server: RawServerFactory, tmp_path: Path, path: str, progress: str, to_file: bool
) -> None:
    server = await raw_server(answer_part)
    target = tmp_path / "part.bin"
    result = await run_cli_async(url(server, path), *(["-o", str(target)] if to_file else []))
    assert result.returncode == 2
    first = result.stderr.decode().splitlines()[0]
    assert first.startswith(f"aiohttp-clone: error: The response broke off after {progress}")
    if to_file:
        assert target.read_bytes() == byte_pattern(5000)
        assert f"partial download kept: {target} (5000".encode() in result.stderr
