"""``UploadTracker``: how much of a request's body has left for the server, and whether all of it.

aiohttp 3.14's public API. The pipeline tells the tracker when an attempt starts (each
redirect hop and each retry that sends the body again is one), the body writer reports what
it hands to the transport, and the session says when the request is over. ``bytes_written``
is worked out on access from the transport's unsent buffer, so a stalled upload reads as
stalled even though its bytes were accepted by the writer.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import TYPE_CHECKING

from .client_exceptions import UploadAbortedError

if TYPE_CHECKING:
    from .http_writer import StreamWriter

__all__ = ("UploadTracker",)

_MAX_CHECKPOINTS = 1024  # past this, flushed checkpoints are dropped even if nobody reads


class UploadTracker:
    """Upload progress of one request: pass a fresh one as ``upload_tracker=``.

    ``attempts`` counts the times the body started out; ``upload_complete`` resolves when
    the request ends with its last attempt's body fully written, and fails (with the upload
    error, or ``UploadAbortedError``) when it ends otherwise. Create it inside a running event
    loop; a tracker follows one request only.
    """

    def __init__(self) -> None:
        self.attempts = 0
        self.upload_complete: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._bound = False
        self._final = False  # the request is over: no attempt follows
        self._finished = False  # the current attempt wrote its whole body
        self._error: BaseException | None = None  # why the current attempt stopped short
        self._writer: StreamWriter | None = None  # while the current attempt writes
        self._accepted = 0  # body bytes handed to the writer in this attempt
        self._flushed = 0  # of them, bytes known to have left the transport
        # (body bytes, writer output) after each write, the first one already flushed.
        self._checkpoints: deque[tuple[int, int]] = deque()

    @property
    def bytes_written(self) -> int:
        """Body bytes of the current attempt handed to the kernel (not those still queued in
        the transport; what the kernel buffers it cannot see)."""
        self._refresh()
        return self._flushed

    def _refresh(self) -> None:
        writer = self._writer
        transport = None if writer is None else writer.transport
        if writer is None or transport is None or transport.is_closing():
            return  # nothing writing, or torn down: the last confirmed figure stands
        sent = writer.output_size - transport.get_write_buffer_size()
        checkpoints = self._checkpoints
        while len(checkpoints) > 1 and checkpoints[1][1] <= sent:
            checkpoints.popleft()
        flushed, wire = checkpoints[0]
        if len(checkpoints) > 1 and sent > wire:
            # Part of the next write is out: count its body bytes in proportion.
            next_body, next_wire = checkpoints[1]
            flushed += (next_body - flushed) * (sent - wire) // (next_wire - wire)
        self._flushed = flushed

    # -- what the client tells it -----------------------------------------------------------

    def _bind(self) -> None:
        if self._bound:
            raise RuntimeError("UploadTracker is already bound to a request")
        self._bound = True

    def _attempt_started(self) -> int:
        """Another attempt is about to send the body; returns its number."""
        self.attempts += 1
        self._writer = None
        self._accepted = self._flushed = 0
        self._checkpoints.clear()
        self._finished = False
        self._error = None
        return self.attempts

    def _attempt_writing(self, attempt: int, writer: StreamWriter) -> None:
        if attempt == self.attempts:
            self._writer = writer
            self._checkpoints.append((0, writer.output_size))

    def _bytes_written(self, attempt: int, size: int, output_size: int) -> None:
        if attempt != self.attempts or self._writer is None:
            return  # a superseded attempt's writer, still winding down
        self._accepted += size
        if output_size > self._checkpoints[-1][1]:
            self._checkpoints.append((self._accepted, output_size))
            if len(self._checkpoints) > _MAX_CHECKPOINTS:
                self._refresh()

    def _sent_with_head(self, attempt: int, size: int) -> None:
        """The whole body (``size`` bytes, maybe none) left in the head's own write."""
        if attempt == self.attempts:
            self._accepted = size
            self._attempt_finished(attempt)

    def _attempt_finished(self, attempt: int) -> None:
        """The whole body went to the transport (it leaves ahead of the response)."""
        if attempt == self.attempts:
            self._finished = True
            self._flushed = self._accepted
            self._checkpoints.clear()
            self._writer = None
            if self._final:
                self._settle()

    def _attempt_failed(self, attempt: int, error: BaseException | None) -> None:
        """The body was not sent in full: ``error`` failed it, or it was cut short (None)."""
        if attempt == self.attempts:
            self._error = error
            self._refresh()
            self._checkpoints.clear()
            self._writer = None
            if self._final:
                self._settle()

    def _finalize(self) -> None:
        """The request is over; settle now unless the last attempt is still writing."""
        self._final = True
        if self._writer is None:
            self._settle()

    def _settle(self) -> None:
        future = self.upload_complete
        if future.done():
            return
        if self._finished:
            future.set_result(None)
            return
        future.set_exception(
            self._error or UploadAbortedError("The request body was not fully sent")
        )
        future.exception()  # polled with done(), never awaited: no "never retrieved" warning
