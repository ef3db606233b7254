"""The per-request ``total`` deadlines, cheap enough to arm on every request.

All the ``total`` deadlines of a session live in one dict (request -> loop time) served by one
loop timer: arming is an insertion and finishing a pop, with no ``TimerHandle`` per request. The
timer is set for the earliest deadline known when it was set; when it fires, the due requests
expire and it is set again for the earliest one left, so the live requests are scanned once per
deadline reached, never per request. As aiohttp does, a timeout of ``ceil_threshold`` seconds or
more is rounded up to a whole second of loop time.
"""

from __future__ import annotations

import asyncio
import math
from typing import Protocol

from ._values import ClientTimeout


class Expirable(Protocol):
    """What a deadline expires: told once, when its time has passed."""

    def expire(self) -> None: ...


class Deadlines:
    """The ``total`` deadlines of one session's requests."""

    __slots__ = ("_handle", "_loop", "entries", "next_check")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.entries: dict[Expirable, float] = {}
        """Armed requests and their deadlines; whoever finishes a request pops it."""
        self.next_check = math.inf
        self._handle: asyncio.TimerHandle | None = None

    def arm(self, entry: Expirable, timeout: ClientTimeout) -> float:
        """Expire ``entry`` once ``timeout.total`` (which must be set) has passed; returns
        the loop time it expires at."""
        total: float = timeout.total  # type: ignore[assignment]
        when = self._loop.time() + total
        if total >= timeout.ceil_threshold:
            when = math.ceil(when)
        self.entries[entry] = when
        if when < self.next_check:
            self._schedule(when)
        return when

    def disarm(self, entry: Expirable) -> None:
        """Forget ``entry``'s deadline (finished, failed or cancelled); a no-op if not armed."""
        self.entries.pop(entry, None)

    def _schedule(self, when: float) -> None:
        if self._handle is not None:
            self._handle.cancel()
        self.next_check = when
        self._handle = self._loop.call_at(when, self._fire)

    def _fire(self) -> None:
        self._handle = None
        # The loop runs a timer up to one clock resolution early: what it was set for is due.
        limit = max(self._loop.time(), self.next_check)
        self.next_check = math.inf
        entries = self.entries
        due = [entry for entry, when in entries.items() if when <= limit]
        for entry in due:
            del entries[entry]
        for entry in due:
            entry.expire()
        if entries:
            earliest = min(entries.values())
            if earliest < self.next_check:  # a callback may have armed a later one meanwhile
                self._schedule(earliest)

    def close(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        self.next_check = math.inf
        self.entries.clear()
