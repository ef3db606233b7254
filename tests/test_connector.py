"""The connection pool against real servers: reuse, limits, waiters, expiry, DNS cache."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import socket
import warnings
from collections.abc import Iterator

import pytest

import aiohttp_clone as aiohttp
from tests.polling import poll_until
from tests.servers import OK, FullBacklog, SocketLog, read_request, respond_keepalive


async def test_keepalive_reuses_one_connection(raw_server) -> None:
    server = await raw_server(respond_keepalive([OK] * 5))
    async with aiohttp.ClientSession() as session:
        for _ in range(5):
            async with session.get(server.make_url("/")) as resp:
                assert await resp.read() == b"ok"
    assert server.connections == 1


async def test_connection_close_header_is_not_reused(raw_server) -> None:
    closing = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"

    async def handler(reader, writer):
        await read_request(reader)
        writer.write(closing)
        await writer.drain()

    server = await raw_server(handler)
    async with aiohttp.ClientSession() as session:
        for _ in range(3):
            async with session.get(server.make_url("/")) as resp:
                assert await resp.read() == b"ok"
    assert server.connections == 3


async def test_unread_body_closes_connection(raw_server) -> None:
    # Far more than read_bufsize: flow control stops reading long before the end.
    size = 8 * 1024 * 1024
    big = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % size + b"x" * size
    server = await raw_server(respond_keepalive([big, big]))
    server.allow_errors(ConnectionResetError)  # the client drops the first, unread response
    async with aiohttp.ClientSession(read_bufsize=64 * 1024) as session:
        async with session.get(server.make_url("/")) as resp:
            await resp.content.read(10)
        async with session.get(server.make_url("/")) as resp:
            assert len(await resp.read()) == size
    assert server.connections == 2


async def test_protocol_error_connection_not_reused(raw_server) -> None:
    bad = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok"
    server = await raw_server(respond_keepalive([bad, OK]))
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientResponseError):
            await session.get(server.make_url("/"))
        connector = session.connector
        assert connector is not None
        assert not connector._idle


async def test_force_close(raw_server) -> None:
    server = await raw_server(respond_keepalive([OK] * 3))
    connector = aiohttp.TCPConnector(force_close=True)
    async with aiohttp.ClientSession(connector=connector) as session:
        for _ in range(2):
            async with session.get(server.make_url("/")) as resp:
                await resp.read()
    assert server.connections == 2


async def test_keepalive_timeout_expires_idle(raw_server) -> None:
    server = await raw_server(respond_keepalive([OK] * 3))
    connector = aiohttp.TCPConnector(keepalive_timeout=0.05)
    async with aiohttp.ClientSession(connector=connector) as session:
        async with session.get(server.make_url("/")) as resp:
            await resp.read()
        await asyncio.sleep(0.2)
        assert not connector._idle
        async with session.get(server.make_url("/")) as resp:
            await resp.read()
    assert server.connections == 2


async def _blocking_server(raw_server, gate: asyncio.Event):
    async def handler(reader, writer):
        while True:
            head, _ = await read_request(reader)
            if not head:
                return
            await gate.wait()
            writer.write(OK)
            await writer.drain()

    return await raw_server(handler)


async def test_limit_is_a_hard_cap(raw_server) -> None:
    gate = asyncio.Event()
    server = await _blocking_server(raw_server, gate)
    connector = aiohttp.TCPConnector(limit=2)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def fetch():
            async with session.get(server.make_url("/")) as resp:
                return await resp.read()

        tasks = [asyncio.create_task(fetch()) for _ in range(6)]
        for _ in range(50):
            await asyncio.sleep(0.01)
            if server.connections >= 2:
                break
        await asyncio.sleep(0.05)
        assert server.connections == 2
        assert len(connector._acquired) == 2
        gate.set()
        assert await asyncio.gather(*tasks) == [b"ok"] * 6
    assert server.connections == 2


class QueuedRequests:
    """A trace config counting the requests the connector queued for a free slot."""

    def __init__(self) -> None:
        self.count = 0
        self.config = aiohttp.TraceConfig()
        self.config.on_connection_queued_start.append(self._on_queued)

    async def _on_queued(self, session, context, params) -> None:
        self.count += 1


async def test_limit_per_host(raw_server) -> None:
    gate = asyncio.Event()
    server = await _blocking_server(raw_server, gate)
    connector = aiohttp.TCPConnector(limit=10, limit_per_host=1)
    queued = QueuedRequests()
    async with aiohttp.ClientSession(connector=connector, trace_configs=[queued.config]) as session:

        async def fetch():
            async with session.get(server.make_url("/")) as resp:
                return await resp.read()

        tasks = [asyncio.create_task(fetch()) for _ in range(3)]
        await poll_until(
            lambda: server.requests and queued.count == 2, "one request sent and two queued"
        )
        assert server.connections == 1
        gate.set()
        assert await asyncio.gather(*tasks) == [b"ok"] * 3


async def test_cancelled_waiters_free_their_place(raw_server) -> None:
    """aiohttp issue 9670: cancelling queued requests must never deadlock the pool."""
    gate = asyncio.Event()
    server = await _blocking_server(raw_server, gate)
    connector = aiohttp.TCPConnector(limit=1)
    queued = QueuedRequests()
    async with aiohttp.ClientSession(connector=connector, trace_configs=[queued.config]) as session:

        async def fetch():
            async with session.get(server.make_url("/")) as resp:
                return await resp.read()

        holder = asyncio.create_task(fetch())
        await poll_until(lambda: server.requests, "the first request to hold the only slot")
        waiters = [asyncio.create_task(fetch()) for _ in range(1000)]
        await poll_until(lambda: queued.count == 1000, "every other request to be queued")
        for task in waiters:
            task.cancel()
        gate.set()
        assert await holder == b"ok"
        results = await asyncio.gather(*waiters, return_exceptions=True)
        assert all(isinstance(r, (asyncio.CancelledError, bytes)) for r in results)
        assert not connector._waiters
        async with session.get(server.make_url("/")) as resp:
            assert await resp.read() == b"ok"


async def test_connector_close_closes_everything(raw_server) -> None:
    server = await raw_server(respond_keepalive([OK] * 3))
    connector = aiohttp.TCPConnector()
    session = aiohttp.ClientSession(connector=connector)
    async with session.get(server.make_url("/")) as resp:
        await resp.read()
    assert connector._idle
    await session.close()
    assert connector.closed
    assert not connector._idle and not connector._acquired


async def test_connector_not_owned_survives_session(http_server) -> None:
    connector = aiohttp.TCPConnector()
    async with aiohttp.ClientSession(connector=connector, connector_owner=False) as session:
        async with session.get(http_server.make_url("/hello")) as resp:
            await resp.read()
    assert not connector.closed
    async with aiohttp.ClientSession(connector=connector) as session:
        async with session.get(http_server.make_url("/hello")) as resp:
            assert await resp.read() == b"Hello, world"
    assert connector.closed


async def test_dns_cache_for_hostnames(http_server) -> None:
    connector = aiohttp.TCPConnector(ttl_dns_cache=60)
    url = http_server.make_url("/hello").with_host("localhost")
    async with aiohttp.ClientSession(connector=connector) as session:
        async with session.get(url) as resp:
            assert resp.status == 200
        assert connector._dns_cache.get(("localhost", http_server.port), 0) is not None
        connector.clear_dns_cache()
        assert connector._dns_cache.get(("localhost", http_server.port), 0) is None


async def test_custom_resolver_is_used(http_server) -> None:
    calls = []

    class Resolver(aiohttp.ThreadedResolver):
        async def resolve(self, host, port=0, family=0):
            calls.append(host)
            return await super().resolve("127.0.0.1", port, family)

    connector = aiohttp.TCPConnector(resolver=Resolver(), use_dns_cache=False)
    url = http_server.make_url("/hello").with_host("example.test")
    async with aiohttp.ClientSession(connector=connector) as session:
        async with session.get(url) as resp:
            assert await resp.text() == "Hello, world"
    assert calls == ["example.test"]


@contextlib.contextmanager
def failing_address(how: str) -> Iterator[tuple[str, int]]:
    """An address whose connect fails at once (refused) or never completes (black-holed)."""
    if how == "black-holed":
        with FullBacklog() as port:
            yield "127.0.0.1", port
        return
    with socket.socket() as dead:
        dead.bind(("127.0.0.1", 0))
        port = dead.getsockname()[1]
    yield "127.0.0.2", port


@pytest.mark.parametrize("first", ["refused", "black-holed"])
async def test_happy_eyeballs_falls_through_to_a_working_address(http_server, first) -> None:
    """The first resolved address fails; the connector tries the addresses in the resolver's
    order and moves on to the next one (at once, or after happy_eyeballs_delay)."""
    opened = SocketLog()
    with failing_address(first) as (bad_host, bad_port):

        class TwoAddresses(aiohttp.ThreadedResolver):
            async def resolve(self, host, port=0, family=0):
                good = (await super().resolve("127.0.0.1", port, socket.AF_INET))[0]
                return [dict(good, host=bad_host, port=bad_port), good]

        connector = aiohttp.TCPConnector(
            resolver=TwoAddresses(), use_dns_cache=False, socket_factory=opened
        )
        url = http_server.make_url("/hello").with_host("two.test")
        async with aiohttp.ClientSession(connector=connector) as session:
            async with session.get(url) as resp:
                assert await resp.text() == "Hello, world"
    assert opened.targets == [(bad_host, bad_port), ("127.0.0.1", http_server.port)]


async def test_async_resolver_resolves_localhost() -> None:
    pytest.importorskip("aiodns")
    resolver = aiohttp.AsyncResolver()
    try:
        addresses = await resolver.resolve("localhost", 80, socket.AF_INET)
    finally:
        await resolver.close()
    assert any(entry["host"] == "127.0.0.1" for entry in addresses)


async def test_threaded_resolver_result_shape() -> None:
    """As aiohttp's: one dict per address, proto as getaddrinfo gave it (TCP), numeric flags."""
    addresses = await aiohttp.ThreadedResolver().resolve("localhost", 80, socket.AF_INET)
    assert {entry["host"] for entry in addresses} == {"127.0.0.1"}
    entry = addresses[0]
    assert set(entry) == {"hostname", "host", "port", "family", "proto", "flags"}
    assert (entry["hostname"], entry["port"], entry["family"]) == ("localhost", 80, socket.AF_INET)
    assert entry["proto"] == socket.IPPROTO_TCP
    assert entry["flags"] == socket.AI_NUMERICHOST | socket.AI_NUMERICSERV


async def test_unclosed_connector_with_connections_warns_and_closes_them(raw_server) -> None:
    server = await raw_server(respond_keepalive([OK]))
    connector = aiohttp.TCPConnector()
    session = aiohttp.ClientSession(connector=connector, connector_owner=False)
    async with session.get(server.make_url("/")) as resp:
        assert await resp.read() == b"ok"
    await session.close()
    (idle,) = connector._idle.values()
    protocol = idle[0][0]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        del connector, idle, session, resp
        gc.collect()
    assert any("Unclosed connector" in str(w.message) for w in caught)
    assert protocol.transport is None  # the pooled socket went with it


@pytest.mark.parametrize("total", [None, 60])
async def test_a_kept_body_stream_outlives_its_dropped_response(raw_server, total) -> None:
    """As in aiohttp, ``resp.content`` may be all a caller keeps: the body still arrives in
    full and the connection goes back to the pool at its end."""
    first_half = asyncio.Event()

    async def handler(reader, writer):
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nok")
        await writer.drain()
        await first_half.wait()
        writer.write(b"ok")
        await writer.drain()
        await read_request(reader)
        writer.write(OK)
        await writer.drain()

    server = await raw_server(handler)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=total)) as session:
        resp = await session.get(server.make_url("/a"))
        content = resp.content
        del resp
        gc.collect()
        first_half.set()
        assert await content.read() == b"okok"
        async with session.get(server.make_url("/b")) as again:
            assert await again.read() == b"ok"
    assert server.connections == 1


async def test_local_addr_binds_the_client_side(raw_server) -> None:
    peers = []

    async def handler(reader, writer):
        peers.append(writer.get_extra_info("peername"))
        await read_request(reader)
        writer.write(OK)
        await writer.drain()

    server = await raw_server(handler)
    with socket.socket() as probe:  # a free local port to ask for
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    connector = aiohttp.TCPConnector(local_addr=("127.0.0.1", port))
    async with aiohttp.ClientSession(connector=connector) as session:
        async with session.get(server.make_url("/")) as resp:
            assert await resp.read() == b"ok"
    assert peers == [("127.0.0.1", port)]


async def test_enable_cleanup_closed_is_accepted(raw_server) -> None:
    server = await raw_server(respond_keepalive([OK]))
    connector = aiohttp.TCPConnector(enable_cleanup_closed=True)
    async with aiohttp.ClientSession(connector=connector) as session:
        async with session.get(server.make_url("/")) as resp:
            assert await resp.read() == b"ok"
