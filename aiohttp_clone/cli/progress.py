"""A one-line download progress bar for ``-o FILE``, redrawn in place on stderr.

Redraws are rate-limited: a fast local download delivers thousands of chunks a second, and
repainting the terminal for each would cost more than the download itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

__all__ = ("Progress", "format_duration", "format_size")

_BAR_WIDTH = 24
_REDRAW_EVERY = 0.1  # seconds
_UNITS = ("B", "kB", "MB", "GB", "TB")


def format_size(n: float) -> str:
    """Decimal units, as download tools and disk vendors print them: 2.1 MB."""
    if abs(n) < 1000:
        return f"{n:.0f} B"
    for unit in _UNITS[1:-1]:
        n /= 1000
        if abs(n) < 1000:
            return f"{n:.1f} {unit}"
    return f"{n / 1000:.1f} {_UNITS[-1]}"


def format_duration(seconds: float) -> str:
    """``m:ss`` (or ``h:mm:ss``), the shape people read an ETA in."""
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class Progress:
    """Counts bytes and draws ``[####----]  45%  0.9 MB / 2.0 MB  3.1 MB/s  ETA 0:01``.

    Without a known total (no Content-Length) it shows only bytes so far and the rate. A resumed
    download starts at ``start`` (the bytes already on disk), which the rate leaves out.
    """

    def __init__(
        self,
        total: int | None,
        stream: TextIO,
        clock: Callable[[], float] = time.monotonic,
        start: int = 0,
    ) -> None:
        self.total = total
        self.done = start
        self._start_bytes = start
        self._stream = stream
        self._clock = clock
        self._start = clock()
        self._last_draw = -_REDRAW_EVERY
        self._width = 0

    def update(self, n: int) -> None:
        self.done += n
        now = self._clock()
        if now - self._last_draw >= _REDRAW_EVERY:
            self._last_draw = now
            self._draw(now)

    def finish(self) -> None:
        """Draw the final state and end the line, so later output starts on a fresh one."""
        self._draw(self._clock(), finished=True)
        self._stream.write("\n")
        self._stream.flush()

    def end_line(self) -> None:
        """Show how far it got and end the line, so an error after it gets a line of its own."""
        if self._width:  # nothing drawn, nothing to end
            self._draw(self._clock())
            self._stream.write("\n")
            self._stream.flush()
            self._width = 0

    def line(self, now: float, finished: bool = False) -> str:
        """The text of one redraw; once finished, the time taken replaces the ETA."""
        elapsed = max(now - self._start, 1e-9)
        rate = (self.done - self._start_bytes) / elapsed
        speed = f"{format_size(rate)}/s"
        if finished:
            return f"{format_size(self.done)} in {format_duration(elapsed)}  {speed}"
        if not self.total:
            return f"{format_size(self.done)}  {speed}"
        fraction = min(self.done / self.total, 1.0)
        filled = round(fraction * _BAR_WIDTH)
        bar = "#" * filled + "-" * (_BAR_WIDTH - filled)
        remaining = max(self.total - self.done, 0)
        eta = format_duration(remaining / rate) if rate > 0 else "--:--"
        return (
            f"[{bar}] {fraction:4.0%}  {format_size(self.done)} / {format_size(self.total)}"
            f"  {speed}  ETA {eta}"
        )

    def _draw(self, now: float, finished: bool = False) -> None:
        text = self.line(now, finished)
        # Pad over the previous line's tail: carriage return alone leaves it showing.
        self._stream.write("\r" + text.ljust(self._width))
        self._stream.flush()
        self._width = len(text)
