"""Waiting for a condition instead of sleeping, and the kernel's view of loopback sockets.

A fixed sleep before an assertion lets a slow machine turn a test into an easier case (the
thing waited for has not happened yet, and the test checks something else). ``poll_until``
waits for the condition itself, and fails, naming it, when the bound passes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

POLL_INTERVAL = 0.01
POLL_TIMEOUT = 5.0  # seconds; far above what any condition here needs, so only a bug hits it

# /proc/net/tcp state codes (include/net/tcp_states.h)
TCP_SYN_SENT = "02"
# FIN_WAIT1, FIN_WAIT2, TIME_WAIT, CLOSING: this side has closed (its FIN may still wait
# behind data the peer has no room for).
TCP_CLOSED_HERE = frozenset({"04", "05", "06", "0B"})


async def poll_until(
    predicate: Callable[[], object], what: str, timeout: float = POLL_TIMEOUT
) -> None:
    """Return as soon as ``predicate()`` is true; fail naming ``what`` after ``timeout``."""
    for _ in range(int(timeout / POLL_INTERVAL) + 1):
        if predicate():
            return
        await asyncio.sleep(POLL_INTERVAL)
    if not predicate():
        raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class TcpSocket(NamedTuple):
    """One line of /proc/net/tcp: an IPv4 TCP socket as the kernel sees it."""

    local_port: int
    remote_port: int
    state: str  # two hex digits, as the TCP_* codes above
    unsent: int  # tx_queue: bytes written and not yet acknowledged by the peer
    unread: int  # rx_queue: bytes received and not yet read by the application


def tcp_sockets() -> list[TcpSocket]:
    """Every IPv4 TCP socket on this host (Linux only, as the fd counts elsewhere)."""
    rows = []
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, state, queues = fields[1], fields[2], fields[3], fields[4]
        unsent, unread = (int(count, 16) for count in queues.split(":"))
        port = int(local.rsplit(":", 1)[1], 16)
        peer = int(remote.rsplit(":", 1)[1], 16)
        rows.append(TcpSocket(port, peer, state, unsent, unread))
    return rows


def local_ports_to(remote_port: int, state: str | None = None) -> set[int]:
    """Local ports of the IPv4 TCP sockets connected (or connecting) to ``remote_port``."""
    return {
        row.local_port
        for row in tcp_sockets()
        if row.remote_port == remote_port and (state is None or row.state == state)
    }


def tcp_socket(local_port: int, remote_port: int) -> TcpSocket | None:
    """The socket from ``local_port`` to ``remote_port`` (None when there is none)."""
    for row in tcp_sockets():
        if (row.local_port, row.remote_port) == (local_port, remote_port):
            return row
    return None


def tcp_state(local_port: int, remote_port: int) -> str | None:
    """The state code of the socket from ``local_port`` to ``remote_port`` (None: no such)."""
    row = tcp_socket(local_port, remote_port)
    return None if row is None else row.state
