"""``ClientTimeout``, and the per-request ``total`` timeout, cheap enough to arm on every request.

aiohttp rounds a timeout of ``ceil_threshold`` seconds or more up to a whole second. We do the
same, and that lets all such deadlines of a session share one loop timer per second: arming and
disarming one is a set insertion and removal instead of a heap-ordered ``TimerHandle``. Shorter
timeouts keep an exact ``call_at``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
from typing import Protocol


@dataclasses.dataclass(frozen=True)
class ClientTimeout:
    """Timeouts in seconds; ``None`` disables one. ``total`` covers the body read too."""

    total: float | None = None
    connect: float | None = None
    sock_read: float | None = None
    sock_connect: float | None = None
    ceil_threshold: float = 5


DEFAULT_TIMEOUT = ClientTimeout(total=5 * 60, sock_connect=30)


class _Expirable(Protocol):
    def _on_total_timeout(self) -> None: ...


class SecondTimers:
    """Deadlines bucketed by whole second, served by a single pending ``call_at``."""

    __slots__ = ("_buckets", "_handle", "_handle_second", "_loop")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._buckets: dict[int, set[TotalTimer]] = {}
        self._handle: asyncio.TimerHandle | None = None
        self._handle_second = 0

    def add(self, timer: TotalTimer, deadline: float) -> int:
        """Arm ``timer`` for the whole second at or after ``deadline``; returns that second."""
        second = math.ceil(deadline)
        bucket = self._buckets.get(second)
        if bucket is None:
            bucket = self._buckets[second] = set()
            if self._handle is None or second < self._handle_second:
                self._schedule(second)
        bucket.add(timer)
        return second

    def remove(self, timer: TotalTimer, second: int) -> None:
        bucket = self._buckets.get(second)
        if bucket is not None:
            bucket.discard(timer)
            if not bucket:
                # Most requests end long before their deadline: keep no empty bucket around.
                del self._buckets[second]

    def _schedule(self, second: int) -> None:
        if self._handle is not None:
            self._handle.cancel()
        self._handle_second = second
        self._handle = self._loop.call_at(second, self._fire)

    def _fire(self) -> None:
        self._handle = None
        now = self._loop.time()
        for second in sorted(self._buckets):
            if second > now:
                self._schedule(second)
                return
            for timer in self._buckets.pop(second):
                timer.expire()

    def close(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        self._buckets.clear()


class TotalTimer:
    """Cancels the request while it waits for the head, then aborts the body read of the
    response it was handed over to."""

    __slots__ = ("_handle", "_second", "_shared", "_target", "_task", "fired")

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        seconds: float,
        ceil_threshold: float,
        shared: SecondTimers,
    ) -> None:
        self._task = asyncio.current_task(loop)
        self._target: _Expirable | None = None
        self.fired = False
        self._shared = shared
        self._second: int | None = None
        self._handle: asyncio.TimerHandle | None = None
        deadline = loop.time() + seconds
        if seconds >= ceil_threshold:
            self._second = shared.add(self, deadline)
        else:
            self._handle = loop.call_at(deadline, self.expire)

    def expire(self) -> None:
        self.fired = True
        self._second = None
        self._handle = None
        if self._target is not None:
            self._target._on_total_timeout()
        elif self._task is not None:
            self._task.cancel()

    def hand_over(self, target: _Expirable) -> None:
        """From now on a timeout aborts ``target`` (a response) instead of the task."""
        self._target = target

    def cancel(self) -> None:
        if self._second is not None:
            self._shared.remove(self, self._second)
            self._second = None
        elif self._handle is not None:
            self._handle.cancel()
            self._handle = None
