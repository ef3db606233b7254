"""Running the ``aiohttp-clone`` command as a user does: a subprocess, piped or on a terminal.

The subprocess inherits this process's environment, so under ``AIOHTTP_CLONE_NO_EXTENSIONS=1``
it runs the pure-Python twins too.
"""

from __future__ import annotations

import asyncio
import os
import pty
import select
import signal
import subprocess
import sys
import time

from tests.servers import RawServer, ServerInfo

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


async def run_cli_async(
    *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    """``run_cli`` for tests whose server runs in the test's own loop, which must keep running."""
    proc = await asyncio.create_subprocess_exec(
        *CLI,
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )
    try:
        stdout, stderr = await asyncio.wait_for(proc.communicate(), RUN_TIMEOUT)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode is not None
    return subprocess.CompletedProcess(list(args), proc.returncode, stdout, stderr)


def run_in_terminal(
    *args: str, env: dict[str, str] | None = None, interrupt_at: bytes | None = None
) -> tuple[int, bytes]:
    """Run with stdout and stderr on a pseudo-terminal, as when a person types the command.

    ``interrupt_at``: send SIGINT (Ctrl-C) once the output shows these bytes.
    """
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
    deadline = time.monotonic() + RUN_TIMEOUT
    try:
        while time.monotonic() < deadline:
            if not select.select([master], [], [], deadline - time.monotonic())[0]:
                break
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal's last writer
                break
            if not data:
                break
            output += data
            if interrupt_at is not None and interrupt_at in output:
                proc.send_signal(signal.SIGINT)
                interrupt_at = None
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
    return proc.wait(timeout=RUN_TIMEOUT), bytes(output)


def url(server: ServerInfo | RawServer, path: str) -> str:
    return str(server.make_url(path))
