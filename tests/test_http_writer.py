"""Request head serialization and the body writer, the latter over a real loopback connection."""

import asyncio
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest
from multidict import CIMultiDict

import aiohttp_clone as aiohttp
from aiohttp_clone._http import messages as http_message
from aiohttp_clone._http.head import HeadCache, serialize_request_head
from aiohttp_clone.client_exceptions import ClientConnectionResetError
from aiohttp_clone.http_writer import (
    HttpVersion,
    HttpVersion10,
    HttpVersion11,
    StreamWriter,
)
from tests.polling import poll_until, tcp_socket
from tests.servers import RawServer, SocketLog, drain_until_eof, read_request

# -- serialize_request_head ------------------------------------------------------------------


def test_versions_are_the_parser_types() -> None:
    assert HttpVersion is http_message.HttpVersion
    assert HttpVersion10 == (1, 0) and HttpVersion11 == (1, 1)


def test_head_bytes() -> None:
    headers = CIMultiDict([("Host", "example.com"), ("Accept", "*/*"), ("X-Dup", "1")])
    headers.add("x-dup", "2")
    head = serialize_request_head("GET", "/a?b=c", HttpVersion11, headers)
    assert head == (
        b"GET /a?b=c HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\nX-Dup: 1\r\nx-dup: 2\r\n\r\n"
    )


def test_head_without_headers_and_other_versions() -> None:
    assert serialize_request_head("HEAD", "/", HttpVersion10, {}) == b"HEAD / HTTP/1.0\r\n\r\n"
    assert serialize_request_head("GET", "/", HttpVersion(2, 0), {}) == b"GET / HTTP/2.0\r\n\r\n"


def test_head_accepts_any_items_source_and_non_ascii_values() -> None:
    head = serialize_request_head(
        "POST", "*", HttpVersion11, {"X-Name": "José", "Content-Length": "3"}
    )
    assert head == "POST * HTTP/1.1\r\nX-Name: José\r\nContent-Length: 3\r\n\r\n".encode()


@pytest.mark.parametrize("value", [3, b"x", None])
def test_values_that_are_not_str_are_refused(value: object) -> None:
    """As in aiohttp: a TypeError, never the value's repr (``b'x'``) on the wire."""
    with pytest.raises(TypeError, match="Header value of 'X-B' must be str"):
        serialize_request_head("GET", "/", HttpVersion11, {"X-B": value}, HeadCache())


def test_values_may_hold_colons_and_tabs() -> None:
    head = serialize_request_head("GET", "/", HttpVersion11, {"X-A": "b: c\td"})
    assert head.endswith(b"X-A: b: c\td\r\n\r\n")


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({"X-Foo": "a\r\nInjected: 1"}, "Newline or carriage return.*header value 'X-Foo'"),
        ({"X-Foo": "a\nb"}, "Newline or carriage return.*header value 'X-Foo'"),
        ({"X-Foo": "a\rb"}, "Newline or carriage return.*header value 'X-Foo'"),
        ({"X-Foo": "a\0b"}, "NUL character.*header value 'X-Foo'"),
        ({"X-Foo\r\nY": "v"}, "Newline or carriage return.*header name"),
        ({"X Foo": "v"}, "Invalid HTTP header name 'X Foo'"),
        ({"X-Foo: y": "v"}, "Invalid HTTP header name 'X-Foo: y'"),
        ({"X:Foo": "v"}, "Invalid HTTP header name 'X:Foo'"),
        ({"": "v"}, "Invalid HTTP header name ''"),
        ({"Ok": "1", "Bad(": "v"}, "Invalid HTTP header name 'Bad\\('"),
    ],
)
def test_bad_headers_are_refused(headers: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        serialize_request_head("GET", "/", HttpVersion11, headers)


@pytest.mark.parametrize("method", ["", "GE T", "GET\r\n", "G:ET", "GÉT", "GET\0"])
def test_method_must_be_a_token(method: str) -> None:
    with pytest.raises(ValueError, match="Invalid HTTP method"):
        serialize_request_head(method, "/", HttpVersion11, {"Host": "h"})


def test_block_cache_validates_each_distinct_header_set_once() -> None:
    cache = HeadCache()
    fields = {"Host": "h", "Accept": "*/*"}
    first = serialize_request_head("GET", "/a", HttpVersion11, fields, cache)
    again = serialize_request_head("GET", "/b", HttpVersion11, dict(fields), cache)
    assert first == b"GET /a HTTP/1.1\r\nHost: h\r\nAccept: */*\r\n\r\n"
    assert again == first.replace(b"/a", b"/b")
    assert list(cache.blocks) == [(("Host", "h"), ("Accept", "*/*"))]
    # A cached good set never vouches for a bad one, and a refused set is not remembered.
    with pytest.raises(ValueError, match="header value 'Accept'"):
        serialize_request_head("GET", "/", HttpVersion11, {"Host": "h", "Accept": "*\r\n"}, cache)
    assert len(cache.blocks) == 1


def test_block_cache_stays_bounded() -> None:
    cache = HeadCache()
    for n in range(1000):
        serialize_request_head("GET", "/", HttpVersion11, {"X-N": str(n)}, cache)
        assert len(cache.blocks) <= 256 and len(cache.heads) <= 256
    assert (("X-N", "999"),) in cache.blocks


def test_unhashable_values_are_validated_without_the_cache() -> None:
    class Token(str):
        __hash__ = None  # type: ignore[assignment]

        def __eq__(self, other: object) -> bool:
            return str.__eq__(self, other)

    cache = HeadCache()
    with pytest.raises(ValueError, match="header value 'X-T'"):
        serialize_request_head("GET", "/", HttpVersion11, {"X-T": Token("a\r\nX: 1")}, cache)
    head = serialize_request_head("GET", "/", HttpVersion11, {"X-T": Token("ok")}, cache)
    assert head == b"GET / HTTP/1.1\r\nX-T: ok\r\n\r\n"
    assert cache.blocks == {} and cache.heads == {}


def test_head_cache_serves_a_repeated_request_and_refuses_what_it_never_validated() -> None:
    cache = HeadCache()
    blocks, heads = cache.blocks, cache.heads
    fields = {"Host": "h", "Accept": "*/*"}
    first = serialize_request_head("GET", "/a", HttpVersion11, fields, cache)
    assert first == b"GET /a HTTP/1.1\r\nHost: h\r\nAccept: */*\r\n\r\n"
    assert serialize_request_head("GET", "/a", HttpVersion11, dict(fields), cache) is first
    # Another target, method or version is another head, built from the cached block.
    assert serialize_request_head("HEAD", "/b", HttpVersion10, fields, cache) == (
        b"HEAD /b HTTP/1.0\r\nHost: h\r\nAccept: */*\r\n\r\n"
    )
    assert len(heads) == 2 and len(blocks) == 1
    with pytest.raises(ValueError, match="request line"):
        serialize_request_head("GET", "/a\r\nX: y", HttpVersion11, fields, cache)
    with pytest.raises(ValueError, match="header value 'Accept'"):
        serialize_request_head("GET", "/a", HttpVersion11, {"Accept": "*\n"}, cache)
    assert len(heads) == 2


def test_head_cache_stays_bounded() -> None:
    cache = HeadCache()
    heads = cache.heads
    for n in range(1000):
        serialize_request_head("GET", f"/{n}", HttpVersion11, {"Host": "h"}, cache)
        assert len(heads) <= 256
    assert ("GET", "/999", HttpVersion11, (("Host", "h"),)) in heads


@pytest.mark.parametrize("target", ["/a\r\nX: y", "/a\nb", "/a\0"])
def test_target_must_not_break_the_line(target: str) -> None:
    with pytest.raises(ValueError, match="request line"):
        serialize_request_head("GET", target, HttpVersion11, {})


# -- StreamWriter over loopback --------------------------------------------------------------


class DrainProtocol(asyncio.Protocol):
    """A client protocol with the one thing StreamWriter needs beyond ``transport``."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.paused = asyncio.Event()
        self._resumed: asyncio.Future[None] | None = None
        self.writes: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        real_write = transport.write

        def recording_write(data: bytes | bytearray | memoryview) -> None:
            self.writes.append(bytes(data))
            real_write(data)

        transport.write = recording_write  # type: ignore[method-assign]

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        self._wake(ConnectionResetError("Connection lost"))

    def pause_writing(self) -> None:
        self.paused.set()

    def resume_writing(self) -> None:
        self.paused.clear()
        self._wake(None)

    def _wake(self, exc: Exception | None) -> None:
        waiter, self._resumed = self._resumed, None
        if waiter is not None and not waiter.done():
            if exc is None:
                waiter.set_result(None)
            else:
                waiter.set_exception(exc)

    async def _drain_helper(self) -> None:
        if self.transport is None:
            raise ConnectionResetError("Connection lost")
        if self.paused.is_set():
            self._resumed = asyncio.get_running_loop().create_future()
            await self._resumed


@dataclass
class Loopback:
    protocol: DrainProtocol
    received: "asyncio.Future[bytes]"
    release: asyncio.Event = field(default_factory=asyncio.Event)

    async def finish(self) -> bytes:
        """Close our side and return every byte the server read."""
        self.release.set()
        assert self.protocol.transport is not None
        self.protocol.transport.close()
        return await asyncio.wait_for(self.received, 30)


Connect = Callable[..., Awaitable[Loopback]]


@pytest.fixture
async def loopback() -> AsyncIterator[Connect]:
    servers: list[asyncio.Server] = []

    async def connect(hold: bool = False) -> Loopback:
        loop = asyncio.get_running_loop()
        received: asyncio.Future[bytes] = loop.create_future()
        release = asyncio.Event()
        if not hold:
            release.set()

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await release.wait()
            received.set_result(await reader.read())
            writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        servers.append(server)
        port = server.sockets[0].getsockname()[1]
        _, protocol = await loop.create_connection(DrainProtocol, "127.0.0.1", port)
        return Loopback(protocol, received, release)

    yield connect
    for server in servers:
        server.close()
        await server.wait_closed()


def new_writer(lb: Loopback, **kwargs: object) -> StreamWriter:
    return StreamWriter(lb.protocol, asyncio.get_running_loop(), **kwargs)  # type: ignore[arg-type]


def dechunk(data: bytes) -> bytes:
    """Undo chunked framing, checking it is well formed and properly terminated."""
    body = []
    while True:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            assert data == b"\r\n"
            return b"".join(body)
        body.append(data[:size])
        assert data[size : size + 2] == b"\r\n"
        data = data[size + 2 :]


async def test_small_request_leaves_in_one_write(loopback: Connect) -> None:
    lb = await loopback()
    writer = new_writer(lb)
    await writer.write_headers("POST /up HTTP/1.1", CIMultiDict({"Content-Length": "5"}))
    assert lb.protocol.writes == []
    await writer.write(b"hello")
    await writer.write_eof()
    expected = b"POST /up HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"
    assert lb.protocol.writes == [expected]
    assert writer.output_size == len(expected)
    assert await lb.finish() == expected


async def test_head_goes_out_with_eof_when_there_is_no_body(loopback: Connect) -> None:
    lb = await loopback()
    writer = new_writer(lb)
    await writer.write_headers("GET / HTTP/1.1", {"Host": "h"})
    await writer.write_eof()
    await writer.write_eof()  # idempotent
    assert await lb.finish() == b"GET / HTTP/1.1\r\nHost: h\r\n\r\n"


async def test_send_headers_before_the_body(loopback: Connect) -> None:
    lb = await loopback()
    writer = new_writer(lb)
    await writer.write_headers("PUT / HTTP/1.1", {"Expect": "100-continue"})
    writer.send_headers()
    assert lb.protocol.writes == [b"PUT / HTTP/1.1\r\nExpect: 100-continue\r\n\r\n"]
    await writer.write(b"body")
    assert lb.protocol.writes[1:] == [b"body"]
    assert await lb.finish() == b"PUT / HTTP/1.1\r\nExpect: 100-continue\r\n\r\nbody"


async def test_write_headers_validates(loopback: Connect) -> None:
    lb = await loopback()
    writer = new_writer(lb)
    with pytest.raises(ValueError, match="header value 'X'"):
        await writer.write_headers("GET / HTTP/1.1", {"X": "a\nb"})


async def test_chunked_framing(loopback: Connect) -> None:
    lb = await loopback()
    writer = new_writer(lb)
    writer.enable_chunking()
    await writer.write(b"a" * 26)
    await writer.write(b"")  # nothing to frame: must not end the body early
    await writer.write(bytearray(b"xyz"))
    await writer.write(memoryview(b"0123456789abcdef"))
    await writer.write_eof(b"end")
    assert await lb.finish() == (
        b"1a\r\n" + b"a" * 26 + b"\r\n3\r\nxyz\r\n10\r\n0123456789abcdef\r\n3\r\nend\r\n0\r\n\r\n"
    )


async def test_compressed_chunked_body(loopback: Connect) -> None:
    lb = await loopback()
    writer = new_writer(lb)
    writer.enable_chunking()
    writer.enable_compression("deflate")
    body = b"".join(b"record %d\n" % i for i in range(5000))
    for i in range(0, len(body), 4096):
        await writer.write(body[i : i + 4096])
    await writer.write_eof()
    wire = await lb.finish()
    compressed = dechunk(wire)
    assert len(compressed) < len(body) // 4
    assert zlib.decompress(compressed) == body


async def test_gzip_without_chunking(loopback: Connect) -> None:
    lb = await loopback()
    writer = new_writer(lb)
    writer.enable_compression("gzip")
    await writer.write(b"z" * 10000)
    await writer.write_eof(b"!")
    assert zlib.decompress(await lb.finish(), 16 + zlib.MAX_WBITS) == b"z" * 10000 + b"!"


async def test_length_cuts_off_extra_bytes(loopback: Connect) -> None:
    lb = await loopback()
    writer = new_writer(lb)
    writer.length = 6
    await writer.write(b"abcd")
    await writer.write(b"efgh")
    await writer.write(b"ijkl")
    await writer.write_eof(b"more")
    assert writer.length == 0
    assert await lb.finish() == b"abcdef"


async def test_on_chunk_sent_sees_each_chunk(loopback: Connect) -> None:
    lb = await loopback()
    seen: list[bytes] = []

    async def on_chunk(chunk: bytes) -> None:
        seen.append(bytes(chunk))

    writer = new_writer(lb, on_chunk_sent=on_chunk)
    writer.enable_chunking()
    await writer.write(b"one")
    await writer.write_eof(b"two")
    assert seen == [b"one", b"two"]
    assert dechunk(await lb.finish()) == b"onetwo"


async def test_writing_to_a_closing_transport(loopback: Connect) -> None:
    lb = await loopback()
    writer = new_writer(lb)
    assert lb.protocol.transport is not None
    lb.protocol.transport.close()
    with pytest.raises(ClientConnectionResetError, match="Cannot write to closing transport"):
        await writer.write(b"x")
    lb.protocol.transport = None
    with pytest.raises(ConnectionResetError, match="Cannot write to closing transport"):
        await writer.write_eof(b"x")


async def test_backpressure_waits_for_the_peer(loopback: Connect) -> None:
    lb = await loopback(True)  # the server reads nothing until released
    assert lb.protocol.transport is not None
    lb.protocol.transport.set_write_buffer_limits(high=64 * 1024)
    writer = new_writer(lb)
    writer.enable_chunking()
    piece = bytes(range(256)) * 256  # 64 KiB
    count = 512  # 32 MiB: more than the kernel's socket buffers hold

    async def upload() -> None:
        for _ in range(count):
            await writer.write(piece)
        await writer.write_eof()

    task = asyncio.create_task(upload())
    await asyncio.wait_for(lb.protocol.paused.wait(), 60)
    # Paused means the transport buffer is above its high-water mark, so the writer must be
    # parked in drain rather than piling more data into memory.
    assert not task.done()
    assert lb.protocol.transport.get_write_buffer_size() <= 64 * 1024 + len(piece) + 16
    lb.release.set()
    await asyncio.wait_for(task, 60)
    body = dechunk(await lb.finish())
    assert len(body) == count * len(piece)
    assert body == piece * count


async def test_streamed_upload_waits_for_a_server_that_stops_reading(
    raw_server: Callable[..., Awaitable[RawServer]],
) -> None:
    """End to end: a ClientSession uploads an async generator to a server that reads nothing.

    Each byte the generator produced is read by the server, queued in the kernel (both
    sockets' queues, from /proc/net/tcp) or held by the client. Whenever the generator is
    asked for more, the client's share must fit the transport's high-water mark plus one
    chunk: the writer waited for the peer rather than pulling the body into memory.
    """
    piece = bytes(range(256)) * 256  # 64 KiB
    count = 512  # 32 MiB: far more than the kernel's socket buffers hold
    high_water = 64 * 1024  # asyncio's default for a transport; the client keeps it
    paused, resume = asyncio.Event(), asyncio.Event()

    async def stalling(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.transport.pause_reading()  # read nothing, not even the head, until resumed
        paused.set()
        await resume.wait()
        writer.transport.resume_reading()
        await read_request(reader)  # kept in server.bodies
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()
        await drain_until_eof(reader)

    server = await raw_server(stalling)
    opened = SocketLog()
    produced = 0
    held_at_each_step: list[int] = []

    def held_by_client() -> int:
        (client_port, _), = opened.attempts
        client = tcp_socket(client_port, server.port)
        accepted = tcp_socket(server.port, client_port)
        assert client is not None and accepted is not None
        # The kernel's queues also hold the head and the chunk framing, which ``produced``
        # does not count: the figure is low by a few KiB at most, never high.
        return produced - client.unsent - accepted.unread

    async def body() -> AsyncIterator[bytes]:
        nonlocal produced
        await paused.wait()  # nothing leaves the client before the server stopped reading
        for _ in range(count):
            if not resume.is_set():  # every piece so far was handed to the client
                held_at_each_step.append(held_by_client())
            produced += len(piece)
            yield piece

    connector = aiohttp.TCPConnector(socket_factory=opened)
    async with aiohttp.ClientSession(connector=connector) as session:
        upload = asyncio.create_task(session.post(server.make_url("/"), data=body()))
        await poll_until(
            lambda: opened.attempts and paused.is_set() and held_by_client() > high_water // 2,
            "the kernel's queues to fill, so that the client holds the rest",
        )
        assert not upload.done()
        resume.set()
        async with await upload as resp:
            assert await resp.read() == b"ok"
    assert max(held_at_each_step) <= high_water + len(piece), held_at_each_step
    assert produced == count * len(piece)
    assert server.bodies == [piece * count]
