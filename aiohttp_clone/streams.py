"""Body streams: ``StreamReader`` (what users get as ``resp.content``) and the item queues.

The connection protocol produces (``feed_data``, ``feed_eof``, ``set_exception``) and user code
consumes with aiohttp's documented reading API. Two choices differ from aiohttp and are deliberate:

* An exception set on a reader is raised only once the data buffered before it has been read, so
  a truncated body still yields every byte that did arrive before ``ClientPayloadError``. (aiohttp
  raises at once and strands the buffered bytes.)
* Only buffered bytes count for flow control. aiohttp also pauses reading while many HTTP chunk
  ends are queued; here the queued ends sit at distinct offsets, and those reads went past are
  dropped as the next one is recorded, so they number about the buffered bytes at most and the
  byte limit bounds them too.

Memory stays bounded by about ``limit`` plus one network read: the reader asks the protocol to
``pause_reading()`` once more than ``limit`` bytes are buffered and to ``resume_reading()`` once
reads bring it back to ``limit`` or below.

HTTP chunk ends (``readchunk``) are offsets into the body, recorded by
``end_http_chunk_receiving`` and kept apart from the data, so ``read()`` and ``readany()`` never
look at them: they still hand out the fed ``bytes`` objects without copying or joining.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Generic, Protocol, TypeVar

from ._http.errors import LineTooLong

__all__ = (
    "EMPTY_PAYLOAD",
    "ChunkTooBigError",
    "DataQueue",
    "EmptyStreamReader",
    "EofStream",
    "FlowControlDataQueue",
    "StreamReader",
)

_T = TypeVar("_T")
_log = logging.getLogger("aiohttp_clone.client")

# Distinguishes "no cause given" from an explicit ``exc_cause=None`` (which clears the cause).
_NO_CAUSE: BaseException = BaseException()


class ReadingProtocol(Protocol):
    """What a reader needs from its producer: the two flow-control switches."""

    def pause_reading(self) -> None: ...

    def resume_reading(self) -> None: ...


class EofStream(Exception):
    """``DataQueue.read()`` found the queue drained and closed."""


class ChunkTooBigError(LineTooLong, ValueError):
    """No separator within the line limit: a ``ValueError`` (older aiohttp) and ``LineTooLong``."""

    def __str__(self) -> str:
        return self.message


def _wake(waiter: asyncio.Future[None] | None) -> None:
    if waiter is not None and not waiter.done():
        waiter.set_result(None)


def _drop_ends_before(ends: deque[int], consumed: int) -> None:
    """Forget chunk ends that reads went past: they can no longer be reported."""
    while ends and ends[0] < consumed:
        ends.popleft()


def _run_eof_callback(callback: Callable[[], None]) -> None:
    # A failing callback must not stop the others nor break the connection that fed EOF.
    try:
        callback()
    except Exception:
        _log.exception("Exception in eof callback")


class AsyncStreamIterator(Generic[_T]):
    """Calls ``read_func`` until it returns an empty result."""

    __slots__ = ("_read_func",)

    def __init__(self, read_func: Callable[[], Awaitable[_T]]) -> None:
        self._read_func = read_func

    def __aiter__(self) -> AsyncStreamIterator[_T]:
        return self

    async def __anext__(self) -> _T:
        data = await self._read_func()
        if not data:
            raise StopAsyncIteration
        return data


class ChunkTupleAsyncStreamIterator:
    """Iterates ``readchunk()`` pairs until ``(b"", False)``; ``(b"", True)`` is yielded."""

    __slots__ = ("_stream",)

    def __init__(self, stream: StreamReader) -> None:
        self._stream = stream

    def __aiter__(self) -> ChunkTupleAsyncStreamIterator:
        return self

    async def __anext__(self) -> tuple[bytes, bool]:
        pair = await self._stream.readchunk()
        if not pair[0] and not pair[1]:
            raise StopAsyncIteration
        return pair


class StreamReader:
    """An HTTP body being received: a deque of immutable ``bytes`` pieces and an offset.

    ``feed_data`` keeps a reference to each piece (no copy), so producers must hand over
    ``bytes`` they will not mutate. ``timer`` is accepted for aiohttp compatibility and ignored:
    the connection enforces read timeouts by calling ``set_exception``.
    """

    __slots__ = (
        "_buffer",
        "_chunk_ends",
        "_eof",
        "_eof_callbacks",
        "_eof_waiter",
        "_exception",
        "_limit",
        "_loop",
        "_offset",
        "_paused",
        "_protocol",
        "_size",
        "_waiter",
        "total_bytes",
        "total_compressed_bytes",
    )

    def __init__(
        self,
        protocol: ReadingProtocol,
        limit: int,
        *,
        timer: object = None,
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        self._protocol = protocol
        self._limit = limit
        self._loop = loop
        self._buffer: deque[bytes] = deque()
        self._offset = 0
        self._size = 0
        self._eof = False
        self._paused = False
        self._waiter: asyncio.Future[None] | None = None
        self._eof_waiter: asyncio.Future[None] | None = None
        self._exception: BaseException | None = None
        self._eof_callbacks: list[Callable[[], None]] | None = None  # a list once one is added
        # Body offsets (counted in total_bytes) where an HTTP chunk ended, not yet reported by
        # readchunk(); None until begin_http_chunk_receiving().
        self._chunk_ends: deque[int] | None = None
        self.total_bytes = 0
        # Set by the connection when it decodes a Content-Encoding: bytes before decoding.
        self.total_compressed_bytes: int | None = None

    def __repr__(self) -> str:
        state = [f"{self._size} bytes"]
        if self._eof:
            state.append("eof")
        if self._paused:
            state.append("paused")
        if self._exception is not None:
            state.append(f"e={self._exception!r}")
        return f"<{type(self).__name__} {' '.join(state)}>"

    # -- producer side (the connection protocol; hot path) ----------------------------------

    def feed_data(self, data: bytes) -> None:
        """Buffer one piece of body; must not be called after ``feed_eof``."""
        if not data:
            return
        size = self._size + len(data)
        self._size = size
        self.total_bytes += len(data)
        self._buffer.append(data)
        if self._waiter is not None:
            _wake(self._waiter)
        if size > self._limit and not self._paused:
            self._paused = True
            self._protocol.pause_reading()

    def begin_http_chunk_receiving(self) -> None:
        """The body is chunked: from now on ``readchunk()`` reports where chunks end.

        Only possible before any body byte arrived (the offsets count from the start).
        """
        if self._chunk_ends is None:
            if self.total_bytes:
                raise RuntimeError(
                    "begin_http_chunk_receiving() called after body data was already fed"
                )
            self._chunk_ends = deque()

    def end_http_chunk_receiving(self) -> None:
        """An HTTP chunk ended here: ``readchunk()`` returns ``True`` with the data up to it.

        No offset is recorded twice in a row, nor the body's start, so a chunk that decoded to
        nothing (say, a gzip header alone) adds no boundary. As in aiohttp the comparison is
        with the last offset still queued, so once ``readchunk()`` has reported every end, a
        repeated one is recorded again and reads as ``(b"", True)``.
        """
        ends = self._chunk_ends
        if ends is None:
            raise RuntimeError(
                "end_http_chunk_receiving() called before begin_http_chunk_receiving()"
            )
        # Hot (once per chunk). ``total`` is above every queued end but perhaps the last, so
        # it is recorded unless it repeats that one (or, with none queued, the body's start);
        # dropping ends already read past first would not change that.
        total = self.total_bytes
        if ends:
            if ends[-1] == total:
                return
            if ends[0] < total - self._size:
                _drop_ends_before(ends, total - self._size)
        elif not total:
            return
        ends.append(total)
        if self._waiter is not None:
            _wake(self._waiter)

    def feed_eof(self) -> None:
        """Mark the body complete; runs the ``on_eof`` callbacks."""
        if self._eof:
            return
        self._eof = True
        if self._waiter is not None:
            _wake(self._waiter)
        if self._eof_waiter is not None:
            _wake(self._eof_waiter)
        # Nothing more will be fed, so a pause can only stall the connection from here on.
        if self._paused:
            self._paused = False
            self._protocol.resume_reading()
        callbacks = self._eof_callbacks
        if callbacks is not None:
            self._eof_callbacks = None
            for callback in callbacks:
                _run_eof_callback(callback)

    def set_exception(
        self, exc: BaseException, exc_cause: BaseException | None = _NO_CAUSE
    ) -> None:
        """Fail the body; readers see ``exc`` once they have drained what is buffered."""
        if exc_cause is not _NO_CAUSE:
            exc.__cause__ = exc_cause
        self._exception = exc
        self._eof_callbacks = None
        _wake(self._waiter)
        _wake(self._eof_waiter)

    def on_eof(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` at EOF (now, if already there); dropped if the body fails instead."""
        if self._eof:
            _run_eof_callback(callback)
        elif self._eof_callbacks is None:
            self._eof_callbacks = [callback]
        else:
            self._eof_callbacks.append(callback)

    def is_eof(self) -> bool:
        """True once ``feed_eof`` was called, even if data is still buffered."""
        return self._eof

    def exception(self) -> BaseException | None:
        return self._exception

    @property
    def total_raw_bytes(self) -> int:
        """Bytes received on the wire for this body (before content decoding)."""
        if self.total_compressed_bytes is None:
            return self.total_bytes
        return self.total_compressed_bytes

    # -- buffer internals --------------------------------------------------------------------

    def _take_first(self, n: int) -> bytes:
        """Remove up to ``n`` bytes (all when negative) from the first piece only: no join."""
        first = self._buffer[0]
        offset = self._offset
        end = offset + n
        if n < 0 or end >= len(first):
            self._buffer.popleft()
            self._offset = 0
            data = first[offset:] if offset else first
        else:
            self._offset = end
            data = first[offset:end]
        size = self._size - len(data)
        self._size = size
        if self._paused and size <= self._limit:
            self._paused = False
            self._protocol.resume_reading()
        return data

    def _take(self, n: int) -> bytes:
        """Remove up to ``n`` bytes (all when negative), joining pieces at most once."""
        if n < 0:
            n = self._size
        if n <= len(self._buffer[0]) - self._offset:
            return self._take_first(n)
        parts = []
        while n > 0 and self._buffer:
            piece = self._take_first(n)
            parts.append(piece)
            n -= len(piece)
        return b"".join(parts)

    async def _fill(self, func_name: str) -> bool:
        """Wait for buffered data: True when some is there, False at a clean EOF.

        Raises the stored exception once the buffer is empty.
        """
        while not self._buffer:
            if self._exception is not None:
                raise self._exception
            if self._eof:
                return False
            await self._wait(func_name)
        return True

    async def _wait(self, func_name: str) -> None:
        # Two concurrent readers could not tell which one the next piece is for.
        if self._waiter is not None:
            raise RuntimeError(
                f"{func_name}() called while another coroutine is already waiting for incoming data"
            )
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        waiter = self._waiter = self._loop.create_future()
        try:
            await waiter
        finally:
            self._waiter = None

    def _find(self, separator: bytes, tail: bytes) -> int:
        """Bytes to take from the first piece to include ``separator``, or -1 if it is absent.

        ``tail`` is the end of what was already taken (shorter than the separator), so a match
        straddling two pieces is found without rescanning earlier pieces.
        """
        first = self._buffer[0]
        offset = self._offset
        seplen = len(separator)
        if tail:
            # Both halves are shorter than the separator, so any match here spans the boundary.
            index = (tail + first[offset : offset + seplen - 1]).find(separator)
            if index >= 0:
                return index + seplen - len(tail)
        index = first.find(separator, offset)
        return -1 if index < 0 else index - offset + seplen

    # -- consumer side (aiohttp's StreamReader API) ----------------------------------------

    def __aiter__(self) -> AsyncStreamIterator[bytes]:
        """``async for line in reader`` iterates lines."""
        return AsyncStreamIterator(self.readline)

    def iter_chunked(self, n: int) -> AsyncStreamIterator[bytes]:
        """Iterate pieces of at most ``n`` bytes."""
        return AsyncStreamIterator(lambda: self.read(n))

    def iter_any(self) -> AsyncStreamIterator[bytes]:
        """Iterate whatever is buffered each time data arrives."""
        return AsyncStreamIterator(self.readany)

    def iter_chunks(self) -> ChunkTupleAsyncStreamIterator:
        """Iterate ``readchunk()`` pairs; see ``readchunk`` for the boolean."""
        return ChunkTupleAsyncStreamIterator(self)

    def at_eof(self) -> bool:
        """True when the body is complete and everything has been read."""
        return self._eof and not self._buffer

    async def wait_eof(self) -> None:
        """Wait until the producer calls ``feed_eof``; raises the body's exception instead."""
        while not self._eof:
            if self._exception is not None:
                raise self._exception
            if self._eof_waiter is not None:
                raise RuntimeError("wait_eof() is already being awaited")
            if self._loop is None:
                self._loop = asyncio.get_running_loop()
            waiter = self._eof_waiter = self._loop.create_future()
            try:
                await waiter
            finally:
                self._eof_waiter = None

    async def read(self, n: int = -1) -> bytes:
        """Up to ``n`` bytes (fewer if that is what is buffered); ``n < 0`` reads to EOF."""
        if n < 0:
            if self._eof and self._exception is None and len(self._buffer) <= 1:
                # The common small response: complete and in one piece, no waiting, no join.
                return self._take_first(-1) if self._buffer else await self._finish_read()
            parts = []
            while await self._fill("read"):
                parts.append(self._take_first(-1))
            return b"".join(parts)
        if n == 0 or not await self._fill("read"):
            return b""
        return self._take(n)

    async def _finish_read(self) -> bytes:
        """An empty buffer at EOF: ``b""``, or the stored exception."""
        await self._fill("read")
        return b""

    async def readany(self) -> bytes:
        """The next buffered piece as it arrived (no copy); ``b""`` at EOF."""
        if self._buffer or await self._fill("readany"):
            return self._take_first(-1)
        return b""

    async def readchunk(self) -> tuple[bytes, bool]:
        """``(data, end_of_http_chunk)``: the data up to the next chunk end with ``True``, else
        the next buffered piece with ``False``. ``(b"", False)`` means EOF.

        ``True`` comes only for a chunked body (see ``begin_http_chunk_receiving``). A chunk end
        reached by other reads first gives ``(b"", True)``, as in aiohttp.
        """
        while True:
            if self._chunk_ends:
                pair = self._read_to_chunk_end(self._chunk_ends)
                if pair is not None:
                    return pair
            if self._buffer:
                return self._take_first(-1), False
            # Not _fill(): a chunk end may arrive without data, and it must wake us too.
            if self._exception is not None:
                raise self._exception
            if self._eof:
                return b"", False
            await self._wait("readchunk")

    def _read_to_chunk_end(self, ends: deque[int]) -> tuple[bytes, bool] | None:
        """Pops the next chunk end not yet read past: the data up to it, with ``True``."""
        consumed = self.total_bytes - self._size
        while ends:
            end = ends.popleft()
            if end > consumed:
                return self._take(end - consumed), True
            if end == consumed:
                return b"", True
        return None

    async def readexactly(self, n: int) -> bytes:
        """Exactly ``n`` bytes; ``asyncio.IncompleteReadError`` if the body ends first."""
        if n < 0:
            raise ValueError("readexactly size can not be less than zero")
        parts: list[bytes] = []
        need = n
        while need:
            if not await self._fill("readexactly"):
                raise asyncio.IncompleteReadError(b"".join(parts), n)
            piece = self._take(need)
            parts.append(piece)
            need -= len(piece)
        return b"".join(parts)

    async def readline(self, *, max_line_length: int | None = None) -> bytes:
        """One line including its ``\\n`` (the unterminated rest at EOF)."""
        return await self.readuntil(b"\n", max_size=max_line_length)

    async def readuntil(self, separator: bytes = b"\n", *, max_size: int | None = None) -> bytes:
        """Data up to and including ``separator`` (the unterminated rest at EOF).

        Raises ``ChunkTooBigError`` (a ``ValueError``) past ``max_size`` bytes, by default twice
        the reader's limit; the bytes read so far are discarded.
        """
        seplen = len(separator)
        if not seplen:
            raise ValueError("Separator should be at least one-byte string")
        limit = max_size or 2 * self._limit
        parts: list[bytes] = []
        total = 0
        tail = b""
        while await self._fill("readuntil"):
            n = self._find(separator, tail)
            piece = self._take_first(n)
            parts.append(piece)
            total += len(piece)
            if total > limit:
                raise ChunkTooBigError(f"Chunk too big: no {separator!r} within {limit} bytes")
            if n >= 0:
                break
            if seplen > 1:
                tail = (tail + piece[1 - seplen :])[1 - seplen :]
        return b"".join(parts)

    def read_nowait(self, n: int = -1) -> bytes:
        """What is buffered, up to ``n`` bytes (all when negative), without waiting."""
        if self._waiter is not None:
            raise RuntimeError("Called while some coroutine is waiting for incoming data.")
        if self._buffer:
            return self._take(n)
        if self._exception is not None:
            raise self._exception
        return b""

    def unread_data(self, data: bytes) -> None:
        """Push ``data`` back to the front of the buffer. Deprecated, as in aiohttp."""
        warnings.warn(
            "unread_data() is deprecated and will be removed in a future release",
            DeprecationWarning,
            stacklevel=2,
        )
        if not data:
            return
        if self._offset:
            self._buffer[0] = self._buffer[0][self._offset :]
            self._offset = 0
        self._buffer.appendleft(data)
        self._size += len(data)


class _NoProtocol:
    __slots__ = ()

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


class EmptyStreamReader(StreamReader):
    """A reader born at EOF, for bodiless responses (HEAD, 204, 304); ignores the producer API."""

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__(_NoProtocol(), 0)
        self._eof = True

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    # Shared as a singleton, so nothing may change its state.
    def feed_data(self, data: bytes) -> None:
        pass

    def begin_http_chunk_receiving(self) -> None:
        pass

    def end_http_chunk_receiving(self) -> None:
        pass

    def feed_eof(self) -> None:
        pass

    def set_exception(
        self, exc: BaseException, exc_cause: BaseException | None = _NO_CAUSE
    ) -> None:
        pass

    def unread_data(self, data: bytes) -> None:
        pass


EMPTY_PAYLOAD = EmptyStreamReader()


class _QueueIterator(Generic[_T]):
    __slots__ = ("_queue",)

    def __init__(self, queue: DataQueue[_T]) -> None:
        self._queue = queue

    def __aiter__(self) -> _QueueIterator[_T]:
        return self

    async def __anext__(self) -> _T:
        try:
            return await self._queue.read()
        except EofStream:
            raise StopAsyncIteration from None


class DataQueue(Generic[_T]):
    """An async queue of items (websocket messages) closed by ``feed_eof``.

    Items fed before an exception or EOF are delivered first.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self._loop = loop
        self._buffer: deque[tuple[_T, int]] = deque()
        self._eof = False
        self._exception: BaseException | None = None
        self._waiter: asyncio.Future[None] | None = None

    def __len__(self) -> int:
        return len(self._buffer)

    def __aiter__(self) -> _QueueIterator[_T]:
        return _QueueIterator(self)

    def is_eof(self) -> bool:
        return self._eof

    def at_eof(self) -> bool:
        return self._eof and not self._buffer

    def exception(self) -> BaseException | None:
        return self._exception

    def set_exception(
        self, exc: BaseException, exc_cause: BaseException | None = _NO_CAUSE
    ) -> None:
        if exc_cause is not _NO_CAUSE:
            exc.__cause__ = exc_cause
        self._exception = exc
        _wake(self._waiter)

    def feed_data(self, data: _T, size: int = 0) -> None:
        """Queue one item; ``size`` is what it counts against a flow-control limit."""
        self._buffer.append((data, size))
        _wake(self._waiter)

    def feed_eof(self) -> None:
        self._eof = True
        _wake(self._waiter)

    async def read(self) -> _T:
        """The next item; raises the queue's exception, or ``EofStream`` once drained."""
        while not self._buffer:
            if self._exception is not None:
                raise self._exception
            if self._eof:
                raise EofStream
            if self._waiter is not None:
                raise RuntimeError("read() called while another coroutine is already waiting")
            if self._loop is None:
                self._loop = asyncio.get_running_loop()
            waiter = self._waiter = self._loop.create_future()
            try:
                await waiter
            finally:
                self._waiter = None
        data, size = self._buffer.popleft()
        self._taken(size)
        return data

    def _taken(self, size: int) -> None:
        """Hook: an item of ``size`` left the queue."""


class FlowControlDataQueue(DataQueue[_T]):
    """A ``DataQueue`` that pauses its protocol while queued sizes exceed ``limit``."""

    def __init__(
        self,
        protocol: ReadingProtocol,
        limit: int,
        *,
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(loop)
        self._protocol = protocol
        self._limit = limit
        self._size = 0
        self._paused = False

    def feed_data(self, data: _T, size: int = 0) -> None:
        super().feed_data(data, size)
        self._size += size
        if self._size > self._limit and not self._paused:
            self._paused = True
            self._protocol.pause_reading()

    def _taken(self, size: int) -> None:
        self._size -= size
        if self._paused and self._size <= self._limit:
            self._paused = False
            self._protocol.resume_reading()
