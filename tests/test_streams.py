"""StreamReader, EmptyStreamReader and the data queues, driven as the connection drives them."""

import asyncio
import logging

import pytest

from aiohttp_clone.client_exceptions import ClientPayloadError
from aiohttp_clone.http_exceptions import LineTooLong
from aiohttp_clone.streams import (
    EMPTY_PAYLOAD,
    ChunkTooBigError,
    DataQueue,
    EmptyStreamReader,
    EofStream,
    FlowControlDataQueue,
    StreamReader,
)


class FlowRecorder:
    """The producer side of flow control: records each switch."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.paused = False

    def pause_reading(self) -> None:
        assert not self.paused, "paused twice"
        self.paused = True
        self.calls.append("pause")

    def resume_reading(self) -> None:
        assert self.paused, "resumed while not paused"
        self.paused = False
        self.calls.append("resume")


def make_reader(*pieces: bytes, limit: int = 2**16, eof: bool = True) -> StreamReader:
    reader = StreamReader(FlowRecorder(), limit)
    for piece in pieces:
        reader.feed_data(piece)
    if eof:
        reader.feed_eof()
    return reader


async def settle() -> None:
    """Let started tasks reach their first await."""
    for _ in range(5):
        await asyncio.sleep(0)


# -- reading ---------------------------------------------------------------------------------


async def test_read_all_joins_every_piece() -> None:
    reader = make_reader(b"ab", b"cd", b"ef")
    assert await reader.read() == b"abcdef"
    assert await reader.read() == b""
    assert reader.at_eof()


async def test_read_n_spans_pieces_and_returns_what_is_buffered() -> None:
    reader = make_reader(b"abc", b"defg", eof=False)
    assert await reader.read(2) == b"ab"
    assert await reader.read(4) == b"cdef"
    assert await reader.read(10) == b"g"
    reader.feed_eof()
    assert await reader.read(10) == b""


async def test_read_zero_returns_empty_without_waiting() -> None:
    reader = make_reader(eof=False)
    assert await reader.read(0) == b""


async def test_readany_hands_over_the_fed_object() -> None:
    piece = b"x" * 1000
    reader = make_reader(piece, b"tail")
    assert await reader.readany() is piece
    assert await reader.readany() == b"tail"
    assert await reader.readany() == b""


async def test_readany_after_partial_read_returns_rest_of_piece() -> None:
    reader = make_reader(b"hello", b"world")
    assert await reader.read(2) == b"he"
    assert await reader.readany() == b"llo"


async def test_readexactly() -> None:
    reader = make_reader(b"ab", b"cde", b"f")
    assert await reader.readexactly(4) == b"abcd"
    assert await reader.readexactly(0) == b""
    with pytest.raises(asyncio.IncompleteReadError) as info:
        await reader.readexactly(5)
    assert info.value.partial == b"ef"
    assert info.value.expected == 5


async def test_readexactly_rejects_negative() -> None:
    with pytest.raises(ValueError):
        await make_reader(b"a").readexactly(-1)


async def test_readline_across_pieces_and_unterminated_tail() -> None:
    reader = make_reader(b"one\ntw", b"o", b"\nthree")
    assert await reader.readline() == b"one\n"
    assert await reader.readline() == b"two\n"
    assert await reader.readline() == b"three"
    assert await reader.readline() == b""


@pytest.mark.parametrize("split", range(1, 12))
async def test_readuntil_separator_straddling_pieces(split: int) -> None:
    data = b"abc\r\n\r\ndef\r\n\r\n"
    reader = make_reader(data[:split], data[split:])
    assert await reader.readuntil(b"\r\n\r\n") == b"abc\r\n\r\n"
    assert await reader.readuntil(b"\r\n\r\n") == b"def\r\n\r\n"
    assert await reader.readuntil(b"\r\n\r\n") == b""


async def test_readuntil_separator_spread_over_one_byte_pieces() -> None:
    reader = make_reader(*[bytes([c]) for c in b"xy<SEP>z"])
    assert await reader.readuntil(b"<SEP>") == b"xy<SEP>"
    assert await reader.read() == b"z"


async def test_readuntil_rejects_empty_separator() -> None:
    with pytest.raises(ValueError, match="Separator"):
        await make_reader(b"a").readuntil(b"")


async def test_line_longer_than_the_limit_is_refused() -> None:
    reader = make_reader(b"a" * 50, b"b" * 50 + b"\n", limit=40)
    with pytest.raises(ValueError, match="Chunk too big") as info:
        await reader.readline()
    assert isinstance(info.value, LineTooLong)
    assert isinstance(info.value, ChunkTooBigError)


async def test_readline_max_line_length() -> None:
    reader = make_reader(b"short\n", b"much longer line\n")
    assert await reader.readline(max_line_length=8) == b"short\n"
    with pytest.raises(ValueError):
        await reader.readline(max_line_length=8)


async def test_readchunk_without_chunk_ends_is_always_false() -> None:
    """A Content-Length or close-delimited body: each piece as fed, never True."""
    first = b"ab"
    reader = make_reader(first, b"cd")
    chunk = await reader.readchunk()
    assert chunk == (b"ab", False) and chunk[0] is first
    assert await reader.readchunk() == (b"cd", False)
    assert await reader.readchunk() == (b"", False)
    assert await reader.readchunk() == (b"", False)


async def test_iterators() -> None:
    assert [c async for c in make_reader(b"abcde", b"fg").iter_chunked(3)] == [
        b"abc",
        b"def",
        b"g",
    ]
    assert [c async for c in make_reader(b"ab", b"c").iter_any()] == [b"ab", b"c"]
    assert [c async for c in make_reader(b"ab", b"c").iter_chunks()] == [
        (b"ab", False),
        (b"c", False),
    ]
    # (b"", True) is yielded; only (b"", False) stops the iteration.
    reader = chunked_reader(b"ab", END, eof=False)
    assert await reader.readchunk() == (b"ab", True)
    reader.end_http_chunk_receiving()  # the same end again, once reported: (b"", True)
    reader.feed_data(b"c")
    reader.feed_eof()
    assert [c async for c in reader.iter_chunks()] == [(b"", True), (b"c", False)]
    assert [line async for line in make_reader(b"a\nb", b"\nc")] == [b"a\n", b"b\n", b"c"]


async def test_read_nowait() -> None:
    reader = make_reader(b"abc", b"def", eof=False)
    assert reader.read_nowait(2) == b"ab"
    assert reader.read_nowait() == b"cdef"
    assert reader.read_nowait() == b""


async def test_read_nowait_while_a_read_waits_is_an_error() -> None:
    reader = make_reader(eof=False)
    task = asyncio.create_task(reader.read(1))
    await settle()
    with pytest.raises(RuntimeError):
        reader.read_nowait()
    reader.feed_eof()
    assert await task == b""


# -- HTTP chunk ends (readchunk) --------------------------------------------------------------

END = None  # in chunked_reader(): end_http_chunk_receiving() at this point


def chunked_reader(*steps: bytes | None, limit: int = 2**16, eof: bool = True) -> StreamReader:
    """A reader fed as the connection feeds a chunked body: data, and END for each chunk end."""
    reader = StreamReader(FlowRecorder(), limit)
    reader.begin_http_chunk_receiving()
    for step in steps:
        if step is END:
            reader.end_http_chunk_receiving()
        else:
            reader.feed_data(step)
    if eof:
        reader.feed_eof()
    return reader


async def read_chunks(reader: StreamReader, count: int) -> list[tuple[bytes, bool]]:
    return [await reader.readchunk() for _ in range(count)]


async def test_readchunk_reports_each_chunk_end() -> None:
    reader = chunked_reader(b"a", END, b"bb", END, b"ccc", END, END)
    assert await read_chunks(reader, 5) == [
        (b"a", True),
        (b"bb", True),
        (b"ccc", True),
        (b"", False),
        (b"", False),
    ]


async def test_readchunk_joins_the_buffered_pieces_of_one_chunk() -> None:
    whole = b"whole"
    reader = chunked_reader(b"c", b"c", b"c", END, whole, END, b"dd", b"ee")
    assert await read_chunks(reader, 5) == [
        (b"ccc", True),
        (b"whole", True),
        (b"dd", False),  # no end yet: piece by piece
        (b"ee", False),
        (b"", False),
    ]
    reader = chunked_reader(whole, END)
    assert (await reader.readchunk())[0] is whole  # a chunk in one piece: not copied


async def test_readchunk_piece_by_piece_then_the_end() -> None:
    """A chunk arriving over several reads: False for the pieces, True for the one ending it."""
    reader = chunked_reader(eof=False)
    task = asyncio.create_task(reader.readchunk())
    await settle()
    reader.feed_data(b"cc")
    assert await task == (b"cc", False)
    reader.feed_data(b"c")
    reader.end_http_chunk_receiving()
    assert await reader.readchunk() == (b"c", True)


async def test_a_chunk_end_alone_wakes_a_waiting_readchunk() -> None:
    """The chunk's CRLF arrives after its data was read: (b"", True)."""
    reader = chunked_reader(b"ccc", eof=False)
    assert await reader.readchunk() == (b"ccc", False)
    task = asyncio.create_task(reader.readchunk())
    await settle()
    reader.end_http_chunk_receiving()
    assert await asyncio.wait_for(task, 5) == (b"", True)
    task = asyncio.create_task(reader.readchunk())
    await settle()
    reader.end_http_chunk_receiving()  # the last chunk: a repeat of an end already reported
    assert await asyncio.wait_for(task, 5) == (b"", True)
    reader.feed_eof()
    assert await reader.readchunk() == (b"", False)


async def test_chunk_ends_are_not_recorded_twice_or_at_the_start() -> None:
    reader = chunked_reader(END, b"ab", END, END, b"cd", END)
    assert await read_chunks(reader, 3) == [(b"ab", True), (b"cd", True), (b"", False)]
    # A chunk that decoded to nothing (gzip) leaves the previous end as it was.
    reader = chunked_reader(b"ab", END, END, eof=False)
    assert await reader.readchunk() == (b"ab", True)
    reader.end_http_chunk_receiving()  # nothing queued any more: recorded again
    reader.feed_eof()
    assert await read_chunks(reader, 2) == [(b"", True), (b"", False)]


async def test_readchunk_after_other_reads() -> None:
    """Ends already read past are dropped; one reached exactly reads as (b"", True)."""
    reader = chunked_reader(b"a", END, b"bb", END, b"ccc", END)
    assert await reader.readexactly(2) == b"ab"
    assert await read_chunks(reader, 2) == [(b"b", True), (b"ccc", True)]
    reader = chunked_reader(b"a", END, b"bb", END, b"ccc", END)
    assert await reader.readany() == b"a"
    assert await reader.read(2) == b"bb"
    assert await read_chunks(reader, 3) == [(b"", True), (b"ccc", True), (b"", False)]


async def test_read_and_readany_still_hand_over_the_fed_objects() -> None:
    first, second = b"first", b"second"
    reader = chunked_reader(first, END, second, END)
    assert await reader.readany() is first
    assert await reader.read() is second


async def test_chunk_ends_read_past_are_dropped_as_new_ones_come() -> None:
    """A chunked body read with readany() keeps no backlog of chunk ends."""
    reader = chunked_reader(eof=False)
    for _ in range(1000):
        reader.feed_data(b"x")
        reader.end_http_chunk_receiving()
        assert await reader.readany() == b"x"
    assert len(reader._chunk_ends or ()) <= 2  # the last end, and the one read up to
    reader.feed_eof()
    assert await read_chunks(reader, 2) == [(b"", True), (b"", False)]


async def test_chunk_ends_do_not_change_flow_control() -> None:
    proto = FlowRecorder()
    reader = StreamReader(proto, 8)
    reader.begin_http_chunk_receiving()
    for _ in range(6):  # many ends, few bytes: no pause (aiohttp pauses past 4 queued ends)
        reader.feed_data(b"x")
        reader.end_http_chunk_receiving()
    assert proto.calls == []
    reader.feed_data(b"yzw")
    reader.end_http_chunk_receiving()
    assert proto.calls == ["pause"]  # 9 bytes > 8
    assert await reader.readchunk() == (b"x", True)
    assert proto.calls == ["pause", "resume"]  # back to 8


async def test_chunk_ends_before_the_exception() -> None:
    reader = chunked_reader(b"ab", END, b"c", eof=False)
    reader.set_exception(ClientPayloadError("cut"))
    assert await read_chunks(reader, 2) == [(b"ab", True), (b"c", False)]
    with pytest.raises(ClientPayloadError):
        await reader.readchunk()


async def test_chunk_ends_count_unread_data() -> None:
    reader = chunked_reader(b"abc", END, b"d", END)
    assert await reader.read(2) == b"ab"
    with pytest.warns(DeprecationWarning):
        reader.unread_data(b"b")
    assert await read_chunks(reader, 2) == [(b"bc", True), (b"d", True)]


async def test_chunk_receiving_misuse() -> None:
    reader = make_reader(eof=False)
    with pytest.raises(RuntimeError):
        reader.end_http_chunk_receiving()
    reader.feed_data(b"x")
    with pytest.raises(RuntimeError):
        reader.begin_http_chunk_receiving()
    reader = chunked_reader(b"ab", END, eof=False)
    reader.begin_http_chunk_receiving()  # a second call changes nothing
    assert await reader.readchunk() == (b"ab", True)


# -- waking ----------------------------------------------------------------------------------


async def test_pending_read_wakes_on_data() -> None:
    reader = make_reader(eof=False)
    task = asyncio.create_task(reader.readexactly(6))
    await settle()
    reader.feed_data(b"abc")
    await settle()
    assert not task.done()
    reader.feed_data(b"defgh")
    assert await task == b"abcdef"
    assert reader.read_nowait() == b"gh"


async def test_pending_read_wakes_on_eof() -> None:
    reader = make_reader(eof=False)
    task = asyncio.create_task(reader.readline())
    await settle()
    reader.feed_data(b"no newline")
    reader.feed_eof()
    assert await task == b"no newline"


async def test_pending_read_wakes_on_exception() -> None:
    reader = make_reader(eof=False)
    task = asyncio.create_task(reader.read())
    await settle()
    reader.set_exception(ClientPayloadError("cut"))
    with pytest.raises(ClientPayloadError, match="cut"):
        await task


async def test_second_concurrent_reader_is_refused() -> None:
    reader = make_reader(eof=False)
    first = asyncio.create_task(reader.readany())
    await settle()
    with pytest.raises(RuntimeError, match="already waiting"):
        await reader.readline()
    reader.feed_data(b"x")
    assert await first == b"x"


async def test_cancelled_read_frees_the_waiter_slot() -> None:
    reader = make_reader(eof=False)
    task = asyncio.create_task(reader.readany())
    await settle()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    reader.feed_data(b"after")
    assert await reader.readany() == b"after"


# -- exceptions ------------------------------------------------------------------------------


async def test_buffered_data_is_delivered_before_the_exception() -> None:
    reader = make_reader(b"partial ", b"body", eof=False)
    error = ClientPayloadError("Response payload is not completed")
    reader.set_exception(error)
    assert reader.exception() is error
    assert await reader.read(8) == b"partial "
    assert await reader.readany() == b"body"
    for read in (reader.read, reader.readany, reader.readline, reader.readchunk):
        with pytest.raises(ClientPayloadError):
            await read()
    with pytest.raises(ClientPayloadError):
        reader.read_nowait()


async def test_read_all_raises_when_the_body_fails() -> None:
    reader = make_reader(b"some", eof=False)
    reader.set_exception(ClientPayloadError("truncated"))
    with pytest.raises(ClientPayloadError):
        await reader.read()


async def test_exception_cause() -> None:
    reader = make_reader(eof=False)
    cause = OSError("reset")
    reader.set_exception(ClientPayloadError("x"), cause)
    with pytest.raises(ClientPayloadError) as info:
        await reader.read()
    assert info.value.__cause__ is cause


# -- flow control ----------------------------------------------------------------------------


async def test_pause_once_above_limit_and_resume_once_back_at_limit() -> None:
    proto = FlowRecorder()
    reader = StreamReader(proto, 10)
    reader.feed_data(b"x" * 10)
    assert proto.calls == []
    reader.feed_data(b"y" * 5)
    reader.feed_data(b"z" * 5)
    assert proto.calls == ["pause"]
    assert await reader.read(9) == b"x" * 9
    assert proto.calls == ["pause"]  # 11 bytes still buffered
    assert await reader.read(1) == b"x"
    assert await reader.read(1) == b"y"
    reader.feed_data(b"w")  # back to exactly the limit
    assert proto.calls == ["pause", "resume"]
    reader.feed_data(b"v")
    assert proto.calls == ["pause", "resume", "pause"]


async def test_eof_releases_a_pause() -> None:
    proto = FlowRecorder()
    reader = StreamReader(proto, 4)
    reader.feed_data(b"12345")
    reader.feed_eof()
    assert proto.calls == ["pause", "resume"]
    assert await reader.read() == b"12345"
    assert proto.calls == ["pause", "resume"]


async def test_read_all_of_a_body_larger_than_the_limit_does_not_stall() -> None:
    """A producer that honours pause/resume, as a transport does, feeding 64 pieces."""
    proto = FlowRecorder()
    reader = StreamReader(proto, 100)
    pieces = [bytes([i]) * 60 for i in range(64)]

    async def produce() -> None:
        for i in range(0, len(pieces), 2):
            for _ in range(1000):
                if not proto.paused:
                    break
                await asyncio.sleep(0)
            assert not proto.paused
            reader.feed_data(pieces[i])
            reader.feed_data(pieces[i + 1])  # 120 bytes: over the limit
            await asyncio.sleep(0)
        reader.feed_eof()

    producer = asyncio.create_task(produce())
    assert await reader.read() == b"".join(pieces)
    await producer
    assert proto.calls.count("pause") == proto.calls.count("resume") > 0
    assert reader.total_bytes == 64 * 60


# -- producer API ----------------------------------------------------------------------------


async def test_state_flags_and_totals() -> None:
    reader = make_reader(b"abc", eof=False)
    reader.feed_data(b"")
    assert reader.total_bytes == 3
    assert reader.total_raw_bytes == 3
    reader.total_compressed_bytes = 2
    assert reader.total_raw_bytes == 2
    assert not reader.is_eof()
    reader.feed_eof()
    assert reader.is_eof()
    assert not reader.at_eof()
    await reader.read()
    assert reader.at_eof()
    assert "eof" in repr(reader)


async def test_on_eof_callbacks(caplog: pytest.LogCaptureFixture) -> None:
    reader = make_reader(eof=False)
    seen: list[str] = []

    def broken() -> None:
        raise ZeroDivisionError

    reader.on_eof(lambda: seen.append("first"))
    reader.on_eof(broken)
    reader.on_eof(lambda: seen.append("third"))
    assert seen == []
    with caplog.at_level(logging.ERROR):
        reader.feed_eof()
    assert seen == ["first", "third"]
    assert "eof callback" in caplog.text
    reader.on_eof(lambda: seen.append("late"))
    assert seen == ["first", "third", "late"]


async def test_on_eof_callbacks_dropped_when_the_body_fails() -> None:
    reader = make_reader(eof=False)
    seen: list[int] = []
    reader.on_eof(lambda: seen.append(1))
    reader.set_exception(ClientPayloadError("x"))
    reader.feed_eof()
    assert seen == []


async def test_wait_eof() -> None:
    reader = make_reader(eof=False)
    task = asyncio.create_task(reader.wait_eof())
    await settle()
    assert not task.done()
    reader.feed_data(b"data")
    await settle()
    assert not task.done()
    reader.feed_eof()
    await task
    await reader.wait_eof()  # already there


async def test_wait_eof_raises_the_body_exception() -> None:
    reader = make_reader(eof=False)
    task = asyncio.create_task(reader.wait_eof())
    await settle()
    reader.set_exception(ClientPayloadError("boom"))
    with pytest.raises(ClientPayloadError):
        await task


async def test_unread_data_is_deprecated_and_prepends() -> None:
    reader = make_reader(b"hello world")
    assert await reader.read(6) == b"hello "
    with pytest.warns(DeprecationWarning):
        reader.unread_data(b"big ")
    assert await reader.read() == b"big world"


# -- empty payload ---------------------------------------------------------------------------


async def test_empty_payload() -> None:
    assert isinstance(EMPTY_PAYLOAD, EmptyStreamReader)
    assert isinstance(EMPTY_PAYLOAD, StreamReader)
    assert EMPTY_PAYLOAD.at_eof() and EMPTY_PAYLOAD.is_eof()
    EMPTY_PAYLOAD.feed_data(b"ignored")
    EMPTY_PAYLOAD.set_exception(ClientPayloadError("ignored"))
    assert EMPTY_PAYLOAD.exception() is None
    assert await EMPTY_PAYLOAD.read() == b""
    assert await EMPTY_PAYLOAD.readany() == b""
    assert await EMPTY_PAYLOAD.readline() == b""
    assert await EMPTY_PAYLOAD.readchunk() == (b"", False)
    EMPTY_PAYLOAD.begin_http_chunk_receiving()
    EMPTY_PAYLOAD.end_http_chunk_receiving()
    assert await EMPTY_PAYLOAD.readchunk() == (b"", False)
    assert EMPTY_PAYLOAD.read_nowait() == b""
    assert [c async for c in EMPTY_PAYLOAD.iter_any()] == []
    await EMPTY_PAYLOAD.wait_eof()
    with pytest.raises(asyncio.IncompleteReadError):
        await EMPTY_PAYLOAD.readexactly(1)
    seen: list[int] = []
    EMPTY_PAYLOAD.on_eof(lambda: seen.append(1))
    assert seen == [1]


# -- data queues -----------------------------------------------------------------------------


async def test_data_queue_items_then_eof() -> None:
    queue: DataQueue[str] = DataQueue()
    queue.feed_data("a")
    queue.feed_data("b")
    assert len(queue) == 2
    assert await queue.read() == "a"
    queue.feed_eof()
    assert queue.is_eof() and not queue.at_eof()
    assert await queue.read() == "b"
    assert queue.at_eof()
    with pytest.raises(EofStream):
        await queue.read()


async def test_data_queue_waits_and_iterates() -> None:
    queue: DataQueue[int] = DataQueue()

    async def consume() -> list[int]:
        return [item async for item in queue]

    task = asyncio.create_task(consume())
    await settle()
    for item in (1, 2, 3):
        queue.feed_data(item)
        await settle()
    queue.feed_eof()
    assert await task == [1, 2, 3]


async def test_data_queue_exception_after_items() -> None:
    queue: DataQueue[bytes] = DataQueue()
    queue.feed_data(b"")
    error = ClientPayloadError("ws")
    queue.set_exception(error)
    assert queue.exception() is error
    assert await queue.read() == b""
    with pytest.raises(ClientPayloadError):
        await queue.read()


async def test_flow_control_data_queue() -> None:
    proto = FlowRecorder()
    queue: FlowControlDataQueue[str] = FlowControlDataQueue(proto, 10)
    queue.feed_data("a", 6)
    queue.feed_data("b", 6)
    queue.feed_data("c", 6)
    assert proto.calls == ["pause"]
    assert await queue.read() == "a"
    assert proto.calls == ["pause"]
    assert await queue.read() == "b"
    assert proto.calls == ["pause", "resume"]
