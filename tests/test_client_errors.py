"""Failures map onto aiohttp's exceptions, and none of them leaks a connection, fd or task."""

from __future__ import annotations

import asyncio
import os
import socket

import pytest

import aiohttp_clone as aiohttp
from tests.polling import poll_until
from tests.servers import read_request, respond_with


def closed_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


async def test_refused_connection_names_host_and_port() -> None:
    port = closed_port()
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientConnectorError) as info:
            await session.get(f"http://127.0.0.1:{port}/")
    assert info.value.host == "127.0.0.1"
    assert info.value.port == port
    assert str(port) in str(info.value)
    assert isinstance(info.value, OSError)


async def test_dns_failure() -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientConnectorDNSError):
            await session.get("http://name-that-does-not-exist.invalid/")


async def test_server_disconnect_before_response(raw_server) -> None:
    async def handler(reader, writer):
        await read_request(reader)

    server = await raw_server(handler)
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await session.get(server.make_url("/"))


async def test_truncated_content_length_body(raw_server) -> None:
    server = await raw_server(
        respond_with(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this")
    )
    async with aiohttp.ClientSession() as session:
        async with session.get(server.make_url("/")) as resp:
            with pytest.raises(aiohttp.ClientPayloadError):
                await resp.read()


async def test_truncated_chunked_body(raw_server) -> None:
    server = await raw_server(
        respond_with(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel")
    )
    async with aiohttp.ClientSession() as session:
        async with session.get(server.make_url("/")) as resp:
            with pytest.raises(aiohttp.ClientPayloadError):
                await resp.read()


async def test_malformed_chunked_body(raw_server) -> None:
    server = await raw_server(
        respond_with(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n")
    )
    async with aiohttp.ClientSession() as session:
        async with session.get(server.make_url("/")) as resp:
            with pytest.raises(aiohttp.ClientPayloadError):
                await resp.read()


@pytest.mark.parametrize(
    "head",
    [
        b"HTTP/1.1 2000 OK\r\n\r\n",
        b"HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nBad Header: x\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"garbage\r\n\r\n",
    ],
)
async def test_malformed_head_is_response_error(raw_server, head: bytes) -> None:
    server = await raw_server(respond_with(head))
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientResponseError):
            await session.get(server.make_url("/"))


async def test_header_limits_configurable(raw_server) -> None:
    many = b"".join(b"X-H%d: v\r\n" % index for index in range(20))
    response = b"HTTP/1.1 200 OK\r\n" + many + b"Content-Length: 0\r\n\r\n"
    server = await raw_server(respond_with(response))
    async with aiohttp.ClientSession(max_headers=10) as session:
        with pytest.raises(aiohttp.ClientResponseError):
            await session.get(server.make_url("/"))
    server = await raw_server(respond_with(response))
    async with aiohttp.ClientSession() as session:
        async with session.get(server.make_url("/")) as resp:
            assert resp.headers["X-H19"] == "v"


@pytest.mark.parametrize(
    "url",
    ["http://", "http:///path", "ftp://127.0.0.1/", "not a url at all", "http://[::1/"],
)
async def test_invalid_urls(url: str) -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises((aiohttp.InvalidURL, aiohttp.NonHttpUrlClientError)):
            await session.get(url)


async def test_sock_read_timeout(http_server) -> None:
    timeout = aiohttp.ClientTimeout(sock_read=0.1)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        with pytest.raises(aiohttp.SocketTimeoutError) as info:
            await session.get(http_server.make_url("/delay/2000"))
    assert isinstance(info.value, aiohttp.ServerTimeoutError)
    assert isinstance(info.value, asyncio.TimeoutError)


async def test_sock_read_timeout_mid_body(http_server) -> None:
    timeout = aiohttp.ClientTimeout(sock_read=0.1)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        async with session.get(http_server.make_url("/drip?n=5&delay_ms=1000")) as resp:
            with pytest.raises(aiohttp.SocketTimeoutError):
                await resp.read()


async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Reads the request and keeps the connection open without answering."""
    await read_request(reader)
    await asyncio.sleep(30)


async def test_total_timeout_before_head(raw_server) -> None:
    server = await raw_server(never_answer)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=0.1)) as session:
        with pytest.raises(asyncio.TimeoutError):
            await session.get(server.make_url("/"))
        connector = session.connector
        assert connector is not None and not connector._acquired


async def test_total_timeout_covers_body(http_server) -> None:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=0.3)) as session:
        async with session.get(http_server.make_url("/drip?n=10&delay_ms=100")) as resp:
            with pytest.raises(asyncio.TimeoutError):
                await resp.read()


async def test_per_request_timeout_overrides_session(raw_server) -> None:
    server = await raw_server(never_answer)
    async with aiohttp.ClientSession() as session:
        with pytest.raises(asyncio.TimeoutError):
            await session.get(server.make_url("/"), timeout=aiohttp.ClientTimeout(total=0.1))


async def test_connect_timeout_waiting_for_pool(raw_server) -> None:
    async def slow(reader, writer):
        await read_request(reader)
        await asyncio.sleep(1)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()

    server = await raw_server(slow)
    connector = aiohttp.TCPConnector(limit=1)
    timeout = aiohttp.ClientTimeout(connect=0.1)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        holder = asyncio.create_task(session.get(server.make_url("/")))
        await asyncio.sleep(0.05)
        with pytest.raises(aiohttp.ConnectionTimeoutError):
            await session.get(server.make_url("/"))
        (await holder).release()


async def test_many_failures_leak_nothing(raw_server) -> None:
    async def reset(reader, writer):
        await read_request(reader)
        writer.transport.abort()

    server = await raw_server(reset)
    refused = closed_port()
    async with aiohttp.ClientSession() as session:
        fds_before = open_fds()
        tasks_before = len(asyncio.all_tasks())
        for index in range(1000):
            url = server.make_url("/") if index % 2 else f"http://127.0.0.1:{refused}/"
            with pytest.raises(aiohttp.ClientError):
                await session.get(url)
        connector = session.connector
        assert connector is not None
        assert not connector._acquired and not connector._waiters
        await poll_until(lambda: open_fds() <= fds_before + 2, "the failed sockets to close")
        await poll_until(
            lambda: len(asyncio.all_tasks()) <= tasks_before, "the failed requests' tasks to end"
        )


async def test_stale_keepalive_connection_is_retried_for_get(raw_server) -> None:
    ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

    async def close_after_first(reader, writer):
        await read_request(reader)
        writer.write(ok)
        await writer.drain()
        # Keep-alive was promised, but the next request finds the socket closed.
        await read_request(reader)

    server = await raw_server(close_after_first)
    async with aiohttp.ClientSession() as session:
        for _ in range(2):
            async with session.get(server.make_url("/")) as resp:
                assert await resp.read() == b"ok"
    assert server.connections == 2


async def test_stale_keepalive_connection_not_retried_for_post(raw_server) -> None:
    ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

    async def close_after_first(reader, writer):
        await read_request(reader)
        writer.write(ok)
        await writer.drain()
        await read_request(reader)

    server = await raw_server(close_after_first)
    async with aiohttp.ClientSession() as session:
        async with session.get(server.make_url("/")) as resp:
            await resp.read()
        with pytest.raises((aiohttp.ServerDisconnectedError, aiohttp.ClientOSError)):
            await session.post(server.make_url("/"), data=b"x")


async def test_total_timeout_at_whole_second_resolution(raw_server) -> None:
    """Timeouts of ceil_threshold or more share per-second timers, as aiohttp ceils them."""

    server = await raw_server(never_answer)
    timeout = aiohttp.ClientTimeout(total=0.2, ceil_threshold=0.1)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        with pytest.raises(asyncio.TimeoutError):
            await session.get(server.make_url("/"))
        assert not session._deadlines.entries


async def test_cancelled_request_disarms_its_total_timeout(raw_server) -> None:
    """A request cancelled by its caller must not cancel the same task later at its deadline."""

    server = await raw_server(never_answer)
    timeout = aiohttp.ClientTimeout(total=0.2, ceil_threshold=100)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.05):
                await session.get(server.make_url("/"))
        assert not session._deadlines.entries
        await asyncio.sleep(0.4)  # well past the request's own deadline: no stray cancel


async def test_deadlines_of_mixed_lengths_each_fire(raw_server) -> None:
    """The shared timer is set for the earliest deadline, including one armed after a later one."""

    server = await raw_server(never_answer)
    async with aiohttp.ClientSession() as session:
        slow = asyncio.create_task(
            session.get(server.make_url("/"), timeout=aiohttp.ClientTimeout(total=20))
        )
        await asyncio.sleep(0)
        with pytest.raises(asyncio.TimeoutError):
            await session.get(server.make_url("/"), timeout=aiohttp.ClientTimeout(total=0.1))
        assert list(session._deadlines.entries.values()) == [pytest.approx(
            session._deadlines.next_check
        )]
        slow.cancel()
        with pytest.raises(asyncio.CancelledError):
            await slow
        assert not session._deadlines.entries


async def test_sock_connect_timeout_when_backlog_is_full() -> None:
    """A listener whose accept queue is full drops SYNs: the connect hangs until sock_connect."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    try:
        for _ in range(8):
            filler = socket.socket()
            filler.setblocking(False)
            try:
                filler.connect(("127.0.0.1", port))
            except BlockingIOError:
                pass
            fillers.append(filler)
        timeout = aiohttp.ClientTimeout(sock_connect=0.2)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            with pytest.raises(aiohttp.ConnectionTimeoutError):
                await session.get(f"http://127.0.0.1:{port}/")
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


async def test_finished_requests_leave_no_armed_timers(http_server) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(20):
            async with session.get(http_server.make_url("/hello")) as resp:
                await resp.read()
        assert not session._deadlines.entries
