"""Hostile servers: oversized heads, endless bodies, compression bombs, smuggled responses.

Every bound here is a count of bytes or operations, never a duration: the client must fail
early (the server could send only a little before the socket closed), do linear work, and keep
its buffers bounded however much the server is willing to send.
"""

from __future__ import annotations

import asyncio
import functools
import resource
import struct
import zlib

import pytest

import aiohttp_clone as aiohttp
from aiohttp_clone import client_proto
from aiohttp_clone._http.content_coding import MAX_OUTPUT, ZSTD_AVAILABLE
from aiohttp_clone.streams import StreamReader
from tests.polling import TCP_CLOSED_HERE, poll_until, tcp_state
from tests.servers import OK, drain_until_eof, read_request, respond_with

MiB = 1024 * 1024
GiB = 1024 * MiB
REAL = b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nreal"
EVIL = b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nevil"


def assert_pool_clean(session: aiohttp.ClientSession) -> None:
    connector = session.connector
    assert connector is not None
    assert not connector._acquired
    for idle in connector._idle.values():
        assert all(protocol.is_connected() for protocol, _ in idle)


class CountingReader(StreamReader):
    """A StreamReader that records how it was fed: calls, peak bytes and peak pieces held."""

    instances: list[CountingReader] = []

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.feeds = 0
        self.peak_size = 0
        self.peak_pieces = 0
        CountingReader.instances.append(self)

    def feed_data(self, data: bytes) -> None:
        super().feed_data(data)
        self.feeds += 1
        self.peak_size = max(self.peak_size, self._size)
        self.peak_pieces = max(self.peak_pieces, len(self._buffer))


@pytest.fixture
def counting_reader(monkeypatch: pytest.MonkeyPatch) -> type[CountingReader]:
    CountingReader.instances = []
    monkeypatch.setattr(client_proto, "StreamReader", CountingReader)
    return CountingReader


# -- oversized heads -----------------------------------------------------------------------------


async def test_oversized_status_line(raw_server) -> None:
    server = await raw_server(respond_with(b"HTTP/1.1 200 " + b"x" * 20000 + b"\r\n\r\n"))
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientResponseError):
            await session.get(server.make_url("/"))
        assert_pool_clean(session)


async def test_100_mb_header_line_fails_early(raw_server) -> None:
    """The server offers 100 MB of one header line; the client stops it after a few."""
    piece = b"a" * 65536
    sent_box: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    async def endless_header(reader, writer):
        await read_request(reader)
        sent = 0
        try:
            writer.write(b"HTTP/1.1 200 OK\r\nX-Big: ")
            for _ in range(100 * MiB // len(piece)):
                if writer.transport.is_closing():
                    break
                writer.write(piece)
                await writer.drain()
                sent += len(piece)
        except ConnectionError:
            pass
        finally:
            sent_box.set_result(sent)

    server = await raw_server(endless_header)
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientResponseError) as info:
            await session.get(server.make_url("/"))
        assert "8190" in str(info.value) or info.value.status == 400
        sent = await asyncio.wait_for(sent_box, 30)
        assert_pool_clean(session)
    # Socket buffers on both sides absorb a few MB at most; the limit itself is 8 KiB.
    assert sent < 16 * MiB


async def test_too_many_headers(raw_server) -> None:
    fields = b"".join(b"X-H%d: v\r\n" % index for index in range(129))
    server = await raw_server(respond_with(b"HTTP/1.1 200 OK\r\n" + fields + b"\r\n"))
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientResponseError):
            await session.get(server.make_url("/"))
        assert_pool_clean(session)


@pytest.mark.parametrize(
    "trailers",
    [
        b"X-T: " + b"t" * 10000 + b"\r\n",
        b"".join(b"X-T%d: v\r\n" % index for index in range(200)),
    ],
    ids=["long-trailer", "many-trailers"],
)
async def test_hostile_trailers(raw_server, trailers: bytes) -> None:
    body = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n"
    server = await raw_server(respond_with(body + trailers + b"\r\n"))
    async with aiohttp.ClientSession() as session:
        async with session.get(server.make_url("/")) as resp:
            with pytest.raises(aiohttp.ClientPayloadError):
                await resp.read()
        assert_pool_clean(session)


# -- endless bodies ------------------------------------------------------------------------------


async def test_endless_one_byte_chunks_take_linear_work(raw_server, counting_reader) -> None:
    """1 MiB of 1-byte chunks: each byte is fed once and the reader's buffer stays bounded."""
    target = MiB
    batch = b"1\r\nx\r\n" * 4096

    async def endless(reader, writer):
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        try:
            for _ in range(10_000):  # far beyond what the client reads
                if writer.transport.is_closing():
                    return
                writer.write(batch)
                await writer.drain()
        except ConnectionError:
            pass

    server = await raw_server(endless)
    limit = 64 * 1024
    received = 0
    async with aiohttp.ClientSession(read_bufsize=limit) as session:
        async with session.get(server.make_url("/")) as resp:
            async for data in resp.content.iter_any():
                assert data.count(b"x") == len(data)
                received += len(data)
                if received >= target:
                    break
            resp.close()
        assert_pool_clean(session)
    (reader,) = counting_reader.instances
    assert received >= target
    # Linear: one feed per chunk at most, never a re-feed of what was already buffered.
    assert reader.total_bytes <= reader.feeds
    assert reader.feeds <= received + limit + 256 * 1024
    # Bounded: the limit plus what one network read (at most 256 KiB of wire) can carry.
    assert reader.peak_size <= limit + 256 * 1024 // 6 + 1
    assert reader.peak_pieces <= limit + 256 * 1024 // 6 + 1


# -- compression bombs ---------------------------------------------------------------------------


@functools.cache
def gzip_of_zeros(size: int) -> bytes:
    """``size`` zero bytes gzipped (a multiple of 16 MiB), never held uncompressed.

    After a full flush the compressor starts afresh, so every further 16 MiB of zeros
    compresses to the same bytes: the segment is made once and repeated, and only the CRC is
    computed over all of it. The stream is ordinary gzip (zlib's own check verifies it).
    """
    block = bytes(16 * MiB)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    segment = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(size // len(block)):
        crc = zlib.crc32(block, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    trailer = struct.pack("<II", crc, size & 0xFFFFFFFF)
    return header + segment * (size // len(block)) + compressor.flush() + trailer


def serve_body(body: bytes, encoding: str):
    head = b"HTTP/1.1 200 OK\r\nContent-Encoding: %s\r\nContent-Length: %d\r\n\r\n" % (
        encoding.encode(),
        len(body),
    )

    async def handler(reader, writer):
        await read_request(reader)
        writer.write(head)
        view = memoryview(body)
        try:
            for start in range(0, len(body), 65536):
                writer.write(view[start : start + 65536])
                await writer.drain()
        except ConnectionError:
            return
        await drain_until_eof(reader)

    return handler


async def read_streaming(resp: aiohttp.ClientResponse, check=None) -> tuple[int, int]:
    """Read with ``iter_chunked``; returns (bytes read, peak bytes buffered in the reader)."""
    total = peak = 0
    async for chunk in resp.content.iter_chunked(65536):
        if check is not None:
            check(total, chunk)
        total += len(chunk)
        peak = max(peak, resp.content._size)
    return total, peak


# The reader's limit, plus one decoder call for the piece that crossed it, plus the one
# that drains the rest of a network read: far below what a whole read could expand to.
BUFFER_BOUND = 256 * 1024 + 2 * MAX_OUTPUT + 65536


async def test_gzip_bomb_read_streaming_with_bounded_memory(raw_server) -> None:
    bomb = gzip_of_zeros(GiB)
    assert len(bomb) < 2 * MiB
    server = await raw_server(serve_body(bomb, "gzip"))
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    zeros = bytes(65536)

    def zeros_only(_: int, chunk: bytes) -> None:
        assert chunk == zeros[: len(chunk)]

    async with aiohttp.ClientSession() as session:
        async with session.get(server.make_url("/")) as resp:
            total, peak = await read_streaming(resp, zeros_only)
        assert_pool_clean(session)
    assert total == GiB
    assert peak <= BUFFER_BOUND
    rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - rss_before
    assert rss_growth < 200 * MiB


def patterned_check(member_size: int):
    """Checks that byte ``i`` of the body is ``i // member_size`` (one value per member)."""

    def check(offset: int, chunk: bytes) -> None:
        position = 0
        while position < len(chunk):
            member = (offset + position) // member_size
            end = min(len(chunk), (member + 1) * member_size - offset)
            assert chunk[position:end] == bytes([member]) * (end - position)
            position = end

    return check


async def test_concatenated_gzip_members_streaming(raw_server) -> None:
    member_size, members = 16 * MiB, 4
    body = b"".join(
        zlib.compress(bytes([index]) * member_size, 9, 16 + zlib.MAX_WBITS)
        for index in range(members)
    )
    server = await raw_server(serve_body(body, "gzip"))
    async with aiohttp.ClientSession() as session:
        async with session.get(server.make_url("/")) as resp:
            total, peak = await read_streaming(resp, patterned_check(member_size))
        assert_pool_clean(session)
    assert total == member_size * members
    assert peak <= BUFFER_BOUND


@pytest.mark.skipif(not ZSTD_AVAILABLE, reason="no zstd decoder installed")
async def test_zstd_multi_frame_streaming(raw_server) -> None:
    zstandard = pytest.importorskip("zstandard")
    member_size, frames = 16 * MiB, 6
    compressor = zstandard.ZstdCompressor(level=3)
    body = b"".join(compressor.compress(bytes([index]) * member_size) for index in range(frames))
    server = await raw_server(serve_body(body, "zstd"))
    async with aiohttp.ClientSession() as session:
        async with session.get(server.make_url("/")) as resp:
            total, peak = await read_streaming(resp, patterned_check(member_size))
        assert_pool_clean(session)
    assert total == member_size * frames
    assert peak <= BUFFER_BOUND


async def test_bomb_body_then_close_still_delivers_everything(raw_server) -> None:
    """A close-delimited bomb: the peer is gone long before the decoder has drained."""
    size = 256 * MiB
    bomb = gzip_of_zeros(size)

    async def handler(reader, writer):
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n" + bomb)
        await writer.drain()

    server = await raw_server(handler)
    async with aiohttp.ClientSession() as session:
        async with session.get(server.make_url("/")) as resp:
            assert resp.connection is not None and resp.connection.transport is not None
            client_port = resp.connection.transport.get_extra_info("sockname")[1]
            await poll_until(  # all of the body is in the kernel, then the server's FIN
                lambda: tcp_state(server.port, client_port) in TCP_CLOSED_HERE,
                "the server to close the connection under the paused reader",
            )
            total, peak = await read_streaming(resp)
        assert_pool_clean(session)
    assert total == size
    assert peak <= BUFFER_BOUND


async def test_corrupt_gzip_is_payload_error(raw_server) -> None:
    body = gzip_of_zeros(16 * MiB)
    corrupt = body[:2000] + b"\xff" * 64 + body[2064:]
    server = await raw_server(serve_body(corrupt, "gzip"))
    async with aiohttp.ClientSession() as session:
        async with session.get(server.make_url("/")) as resp:
            with pytest.raises(aiohttp.ClientPayloadError):
                await read_streaming(resp)
        assert_pool_clean(session)


# -- smuggled and unrequested responses ----------------------------------------------------------


def smuggling_server(first: bytes, extra_later: bytes = b""):
    """First connection: ``first`` for the first request, then ``EVIL`` for any other.

    Later connections answer ``REAL``. A client that reused the first connection would read
    the smuggled response as the answer to its second request.
    """
    state = {"connections": 0}
    gate = asyncio.Event()

    async def handler(reader, writer):
        state["connections"] += 1
        if state["connections"] > 1:
            await read_request(reader)
            writer.write(REAL)
            await writer.drain()
            await drain_until_eof(reader)
            return
        await read_request(reader)
        writer.write(first)
        await writer.drain()
        if extra_later:
            await gate.wait()
            writer.write(extra_later)
            await writer.drain()
        for _ in range(10):
            head, _ = await read_request(reader)
            if not head:
                return
            writer.write(EVIL)
            await writer.drain()

    return handler, gate


@pytest.mark.parametrize(
    "first",
    [
        OK + EVIL,  # a whole second response in the same segment
        OK + EVIL[:30],  # the start of one: buffered, waiting for the next request
        OK + b"\r\n",  # stray bytes
    ],
    ids=["whole", "partial-head", "stray-crlf"],
)
async def test_bytes_after_content_length_close_the_connection(raw_server, first: bytes) -> None:
    handler, _ = smuggling_server(first)
    server = await raw_server(handler)
    async with aiohttp.ClientSession() as session:
        async with session.get(server.make_url("/")) as resp:
            assert await resp.read() == b"ok"
        async with session.get(server.make_url("/")) as resp:
            assert await resp.read() == b"real"
        assert_pool_clean(session)
    assert server.connections == 2


async def test_response_to_a_request_never_sent(raw_server) -> None:
    """The second response arrives after the first was read, before any new request."""
    handler, gate = smuggling_server(OK, extra_later=EVIL)
    server = await raw_server(handler)
    async with aiohttp.ClientSession() as session:
        async with session.get(server.make_url("/")) as resp:
            assert await resp.read() == b"ok"
        connector = session.connector
        assert connector is not None
        (idle,) = connector._idle.values()
        (protocol, _), = idle
        gate.set()
        for _ in range(200):
            if not protocol.is_connected():
                break
            await asyncio.sleep(0.005)
        assert not protocol.is_connected()
        async with session.get(server.make_url("/")) as resp:
            assert await resp.read() == b"real"
        assert_pool_clean(session)
    assert server.connections == 2


async def test_body_sent_for_head_request_closes_the_connection(raw_server) -> None:
    handler, _ = smuggling_server(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nevil")
    server = await raw_server(handler)
    async with aiohttp.ClientSession() as session:
        async with session.head(server.make_url("/")) as resp:
            assert resp.status == 200
            assert await resp.read() == b""
        async with session.get(server.make_url("/")) as resp:
            assert await resp.read() == b"real"
    assert server.connections == 2
