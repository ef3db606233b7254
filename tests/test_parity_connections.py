"""Issue 13, connections, timeouts and retries: where aiohttp code noticed the switch.

Each test states aiohttp 3.14's behaviour (checked side by side against the same servers) and
holds this client to it, against real peers on loopback.
"""

import asyncio
import gzip

import pytest

import aiohttp_clone as aiohttp
from tests.polling import poll_until
from tests.servers import OK, answering, current_raw_server, drain_until_eof, read_request

# -- 1. a per-host limit does not hold back other hosts --------------------------------------


async def test_a_host_at_its_limit_does_not_block_another_host(raw_server) -> None:
    """limit=3, limit_per_host=2: a third request to host A waits, a request to host B does
    not (aiohttp: 3 in flight)."""
    release = asyncio.Event()
    host_a = await raw_server(answering(wait=release))
    host_b = await raw_server(answering(wait=release))
    connector = aiohttp.TCPConnector(limit=3, limit_per_host=2)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def get(server):
            async with session.get(server.url) as resp:
                return await resp.read()

        tasks = [asyncio.create_task(get(host_a)) for _ in range(3)]
        await poll_until(lambda: len(host_a.requests) == 2, "two requests in flight to host A")
        tasks.append(asyncio.create_task(get(host_b)))
        await poll_until(lambda: len(host_b.requests) == 1, "host B served beside host A")
        assert len(host_a.requests) == 2  # the third still waits for host A's limit
        release.set()
        assert await asyncio.gather(*tasks) == [b"ok"] * 4


# -- 2. a timeout of 0 or less is no limit ----------------------------------------------------


@pytest.mark.parametrize("value", [0, -1])
@pytest.mark.parametrize("field", ["total", "connect", "sock_read", "sock_connect"])
async def test_zero_or_negative_timeout_is_no_limit(raw_server, field: str, value: float) -> None:
    server = await raw_server(answering(delay=0.2))
    timeout = aiohttp.ClientTimeout(**{field: value})
    async with aiohttp.ClientSession(timeout=timeout) as session:
        async with session.get(server.url) as resp:
            assert await resp.read() == b"ok"


# -- 3. sock_read starts once the request is sent ----------------------------------------------


async def test_sock_read_does_not_count_a_slow_upload(raw_server) -> None:
    """The body takes longer to produce than sock_read; the server answers at once after it."""

    async def slow_body():
        for _ in range(5):
            await asyncio.sleep(0.1)
            yield b"x" * 1000

    server = await raw_server(answering())
    timeout = aiohttp.ClientTimeout(sock_read=0.25)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        async with session.post(server.url, data=slow_body()) as resp:
            assert await resp.read() == b"ok"
    assert server.bodies == [b"x" * 5000]


async def test_sock_read_still_fires_on_a_silent_server(raw_server) -> None:
    async def silent(reader, writer):
        await read_request(reader)
        await drain_until_eof(reader)

    server = await raw_server(silent)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(sock_read=0.2)) as session:
        with pytest.raises(aiohttp.SocketTimeoutError):
            await session.post(server.url, data=b"x" * 100_000)


async def test_a_requests_timeout_brings_its_own_sock_read(raw_server) -> None:
    """A request's ``timeout=`` replaces the session's: the same sock_read still fires, and
    none lets a slow answer through (the session's would have cut it)."""
    server = await raw_server(answering(delay=0.5))
    server.allow_errors(ConnectionError)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(sock_read=0.1)) as session:
        with pytest.raises(aiohttp.SocketTimeoutError):
            await session.get(server.url, timeout=aiohttp.ClientTimeout(total=30, sock_read=0.1))
        async with session.get(server.url, timeout=aiohttp.ClientTimeout(total=30)) as resp:
            assert await resp.read() == b"ok"


# -- 4. total covers a body that keeps arriving -----------------------------------------------


@pytest.mark.parametrize("framing", ["length", "chunked"])
async def test_total_timeout_ends_a_trickling_body(raw_server, framing: str) -> None:
    async def trickle(reader, writer):
        await read_request(reader)
        if framing == "length":
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
        else:
            writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        for _ in range(1000):
            writer.write(b"x" if framing == "length" else b"1\r\nx\r\n")
            await writer.drain()
            await asyncio.sleep(0.02)

    server = await raw_server(trickle)
    server.allow_errors(ConnectionError)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=0.5)) as session:
        async with session.get(server.url) as resp:
            with pytest.raises(TimeoutError):
                async for _ in resp.content.iter_any():
                    pass


# -- 5. an idempotent request that got no answer is sent again, on any connection ---------------


async def hang_up_first(reader, writer) -> None:
    """The server's first connection is closed once its request is in, unanswered; later
    connections get OK."""
    first = current_raw_server().connections == 1  # counted before this handler started
    await read_request(reader)
    if first:
        writer.close()
        return
    writer.write(OK)
    await writer.drain()
    await drain_until_eof(reader)


async def test_get_is_resent_after_a_new_connection_closes_unanswered(raw_server) -> None:
    server = await raw_server(hang_up_first)
    async with aiohttp.ClientSession() as session:
        async with session.get(server.url) as resp:
            assert await resp.read() == b"ok"
    assert server.connections == 2


async def test_post_is_not_resent(raw_server) -> None:
    server = await raw_server(hang_up_first)
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await session.post(server.url, data=b"x")
    assert server.connections == 1


# -- 6. a failing cookie jar does not leak the connection --------------------------------------


class BrokenJar(aiohttp.CookieJar):
    def update_cookies_from_headers(self, headers, response_url) -> None:  # type: ignore[override]
        raise RuntimeError("jar is broken")


async def test_cookie_jar_error_gives_the_connection_back(raw_server) -> None:
    # A body still arriving when the jar fails: the response holds the connection.
    body = b"x" * 4_000_000
    cookie = b"HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nContent-Length: %d\r\n\r\n" % len(body)
    server = await raw_server(answering(cookie + body))
    server.allow_errors(ConnectionError)
    connector = aiohttp.TCPConnector(limit=1)
    errors = []  # kept, as an application logging them would: their tracebacks stay alive
    async with aiohttp.ClientSession(connector=connector, cookie_jar=BrokenJar()) as session:
        for _ in range(2):  # with the slot leaked, the second request would wait forever
            with pytest.raises(RuntimeError, match="jar is broken") as caught:
                await asyncio.wait_for(session.get(server.url), 10)
            errors.append(caught.value)


# -- 7, 20. closing or releasing mid-body ------------------------------------------------------


def long_body():
    async def handler(reader, writer):
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + b"x" * 1000)
        await writer.drain()
        await drain_until_eof(reader)

    return handler


@pytest.mark.parametrize("how", ["close", "release"])
async def test_closing_mid_body_marks_closed_and_reads_fail(raw_server, how: str) -> None:
    server = await raw_server(long_body())
    async with aiohttp.ClientSession() as session:
        resp = await session.get(server.url)
        assert await resp.content.read(10) == b"x" * 10
        assert not resp.closed
        getattr(resp, how)()
        assert resp.closed
        with pytest.raises(aiohttp.ClientConnectionError, match="Connection closed"):
            await resp.read()


async def test_reading_after_the_session_closed_is_a_runtime_error(raw_server) -> None:
    server = await raw_server(long_body())
    async with aiohttp.ClientSession() as session:
        resp = await session.get(server.url)
        await resp.content.read(10)
    with pytest.raises(RuntimeError, match="Connection closed"):
        await resp.read()


# -- 8. a request's parser limits apply on a reused connection --------------------------------


async def test_per_request_field_limit_applies_on_a_reused_connection(raw_server) -> None:
    long_field = b"HTTP/1.1 200 OK\r\nX-Long: " + b"v" * 200 + b"\r\nContent-Length: 2\r\n\r\nok"
    server = await raw_server(answering(long_field))
    async with aiohttp.ClientSession() as session:
        async with session.get(server.url) as resp:
            assert await resp.read() == b"ok"
        with pytest.raises(aiohttp.ClientResponseError, match="more than 100 bytes"):
            await session.get(server.url, max_field_size=100)
        assert server.connections == 1  # the limit was applied on the same connection


async def test_a_request_override_keeps_the_sessions_other_read_settings(raw_server) -> None:
    body = gzip.compress(b"hello")
    long_field = b"HTTP/1.1 200 OK\r\nX-Long: " + b"v" * 200 + b"\r\nContent-Length: 2\r\n\r\nok"
    gzipped = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n%s" % (
        len(body), body,
    )  # fmt: skip
    limited, raw = await raw_server(answering(long_field)), await raw_server(answering(gzipped))
    async with aiohttp.ClientSession(max_field_size=100, auto_decompress=False) as session:
        assert session.auto_decompress is False
        with pytest.raises(aiohttp.ClientResponseError, match="more than 100 bytes"):
            await session.get(limited.url, read_bufsize=2**16)
        async with session.get(raw.url, max_headers=64) as resp:
            assert await resp.read() == body


# -- 9. total_raw_bytes counts what arrived ---------------------------------------------------


async def test_total_raw_bytes_counts_the_encoded_body(raw_server) -> None:
    body = gzip.compress(b"a" * 10_000)
    head = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(body)
    server = await raw_server(answering(head + body))
    async with aiohttp.ClientSession() as session:
        async with session.get(server.url) as resp:
            assert await resp.read() == b"a" * 10_000
            assert resp.content.total_raw_bytes == len(body)


# -- 10. an upgraded connection is not given back on read() ------------------------------------


async def test_read_after_101_keeps_the_connection(raw_server) -> None:
    async def upgrade(reader, writer):
        await read_request(reader)
        writer.write(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: foo\r\nConnection: Upgrade"
                     b"\r\n\r\n")  # fmt: skip
        await writer.drain()
        await drain_until_eof(reader)

    server = await raw_server(upgrade)
    async with aiohttp.ClientSession() as session:
        resp = await session.get(server.url, headers={"Upgrade": "foo", "Connection": "Upgrade"})
        assert resp.status == 101
        assert await resp.read() == b""
        assert resp.connection is not None and not resp.closed
        resp.release()
        assert resp.connection is None


# -- 22. transfer codings are undone ------------------------------------------------------------


def chunked(data: bytes) -> bytes:
    return b"%x\r\n" % len(data) + data + b"\r\n0\r\n\r\n"


@pytest.mark.parametrize(
    ("coding", "body"),
    [
        (b"gzip, chunked", chunked(gzip.compress(b"hello"))),
        (b"GZIP , Chunked", chunked(gzip.compress(b"hello"))),
        (b"gzip", gzip.compress(b"hello")),  # no chunked: the body ends with the connection
    ],
)
async def test_transfer_codings_are_decoded(raw_server, coding: bytes, body: bytes) -> None:
    response = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: " + coding + b"\r\n\r\n" + body

    async def handler(reader, writer):
        await read_request(reader)
        writer.write(response)
        await writer.drain()
        writer.close()

    server = await raw_server(handler)
    async with aiohttp.ClientSession() as session:
        async with session.get(server.url) as resp:
            assert await resp.read() == b"hello"


async def test_transfer_coding_under_a_content_coding(raw_server) -> None:
    body = chunked(gzip.compress(gzip.compress(b"hello")))
    response = (b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: gzip, chunked"
                b"\r\n\r\n" + body)  # fmt: skip
    server = await raw_server(answering(response))
    async with aiohttp.ClientSession() as session:
        async with session.get(server.url) as resp:
            assert await resp.read() == b"hello"
        async with session.get(server.url, auto_decompress=False) as resp:
            # The transfer coding is always undone; the content coding only when asked to.
            assert gzip.decompress(await resp.read()) == b"hello"


async def test_transfer_coding_under_an_unknown_content_coding(raw_server) -> None:
    # An unknown content coding is passed on as received, but the transfer coding under it
    # must still be undone.
    body = chunked(gzip.compress(b"custom-coded"))
    response = (b"HTTP/1.1 200 OK\r\nContent-Encoding: x-custom\r\n"
                b"Transfer-Encoding: gzip, chunked\r\n\r\n" + body)  # fmt: skip
    server = await raw_server(answering(response))
    async with aiohttp.ClientSession() as session:
        async with session.get(server.url) as resp:
            assert await resp.read() == b"custom-coded"


async def test_unknown_transfer_coding_fails_the_body(raw_server) -> None:
    response = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: foo, chunked\r\n\r\n" + chunked(b"x")
    server = await raw_server(answering(response))
    async with aiohttp.ClientSession() as session:
        async with session.get(server.url) as resp:
            assert resp.status == 200
            with pytest.raises(aiohttp.ClientPayloadError, match="transfer coding 'foo'"):
                await resp.read()

