"""Trace signals through a real session, in the order aiohttp 3.14.5 sends them.

The expected sequences were recorded by running the same scenarios against aiohttp 3.14.5.
``localhost`` is used so DNS signals fire (IP literals skip resolution).
"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

import aiohttp_clone as aiohttp

SIGNALS = [
    "on_request_start", "on_request_chunk_sent", "on_response_chunk_received", "on_request_end",
    "on_request_exception", "on_request_redirect", "on_request_headers_sent",
    "on_connection_queued_start", "on_connection_queued_end", "on_connection_create_start",
    "on_connection_create_end", "on_connection_reuseconn", "on_dns_resolvehost_start",
    "on_dns_resolvehost_end", "on_dns_cache_hit", "on_dns_cache_miss",
]
NEW_CONN_MISS = [
    "connection_create_start", "dns_cache_miss", "dns_resolvehost_start", "dns_resolvehost_end",
    "connection_create_end",
]
NEW_CONN_HIT = ["connection_create_start", "dns_cache_hit", "connection_create_end"]


class Recorder:
    def __init__(self) -> None:
        self.log: list[tuple[str, object, SimpleNamespace]] = []
        self.config = aiohttp.TraceConfig()
        for name in SIGNALS:
            getattr(self.config, name).append(self._make(name[3:]))

    def _make(self, name: str):
        async def callback(session, ctx, params) -> None:
            self.log.append((name, params, ctx))

        return callback

    @property
    def names(self) -> list[str]:
        return [name for name, _, _ in self.log]

    def params(self, name: str) -> list:
        return [params for n, params, _ in self.log if n == name]

    def clear(self) -> None:
        self.log.clear()


def local(server, path: str):
    return server.make_url(path).with_host("localhost")


async def test_headers_added_in_request_start_are_sent(http_server) -> None:
    """How OpenTelemetry's aiohttp instrumentation injects traceparent."""

    async def inject(session, context, params) -> None:
        params.headers["traceparent"] = "00-abc-def-01"

    config = aiohttp.TraceConfig()
    config.on_request_start.append(inject)
    async with aiohttp.ClientSession(headers={"X-S": "s"}, trace_configs=[config]) as session:
        async with session.get(http_server.make_url("/echo"), headers={"X-R": "r"}) as resp:
            sent = {name.lower(): value for name, value in (await resp.json())["headers"]}
    assert (sent["traceparent"], sent["x-s"], sent["x-r"]) == ("00-abc-def-01", "s", "r")


async def test_plain_request_new_then_reused_connection(http_server) -> None:
    rec = Recorder()
    async with aiohttp.ClientSession(trace_configs=[rec.config]) as session:
        async with session.get(local(http_server, "/hello")) as resp:
            assert await resp.read() == b"Hello, world"
        assert rec.names == [
            "request_start", *NEW_CONN_MISS, "request_headers_sent", "request_end",
            "response_chunk_received",
        ]
        start, end = rec.params("request_start")[0], rec.params("request_end")[0]
        assert isinstance(start, aiohttp.TraceRequestStartParams)
        assert (start.method, start.url) == ("GET", local(http_server, "/hello"))
        assert isinstance(end, aiohttp.TraceRequestEndParams)
        # As in aiohttp: the same live dict of session and request headers, no automatic ones.
        assert end.response is resp and end.headers is start.headers
        assert "Host" not in end.headers
        assert rec.params("dns_cache_miss")[0].host == "localhost"
        assert rec.params("response_chunk_received")[0].chunk == b"Hello, world"
        rec.clear()
        async with session.get(local(http_server, "/hello")) as resp:
            await resp.read()
        assert rec.names == [
            "request_start", "connection_reuseconn", "request_headers_sent", "request_end",
            "response_chunk_received",
        ]


async def test_dns_cache_miss_then_hit(http_server) -> None:
    rec = Recorder()
    connector = aiohttp.TCPConnector(force_close=True)
    async with aiohttp.ClientSession(connector=connector, trace_configs=[rec.config]) as session:
        for _ in range(2):
            async with session.get(local(http_server, "/hello")) as resp:
                await resp.read()
    tail = ["request_headers_sent", "request_end", "response_chunk_received"]
    assert rec.names == [
        "request_start", *NEW_CONN_MISS, *tail, "request_start", *NEW_CONN_HIT, *tail,
    ]
    assert rec.params("dns_cache_hit")[0].host == "localhost"


async def test_post_sends_chunk_signal(http_server) -> None:
    rec = Recorder()
    async with aiohttp.ClientSession(trace_configs=[rec.config]) as session:
        async with session.post(local(http_server, "/echo"), data=b"xyz") as resp:
            await resp.read()
    assert rec.names == [
        "request_start", *NEW_CONN_MISS, "request_headers_sent", "request_chunk_sent",
        "request_end", "response_chunk_received",
    ]
    assert rec.params("request_chunk_sent")[0].chunk == b"xyz"


async def test_redirect_signals(http_server) -> None:
    rec = Recorder()
    async with aiohttp.ClientSession(trace_configs=[rec.config]) as session:
        async with session.get(local(http_server, "/redirect/1")) as resp:
            assert resp.status == 200
            await resp.read()
    assert rec.names == [
        "request_start", *NEW_CONN_MISS, "request_headers_sent", "request_redirect",
        "connection_reuseconn", "request_headers_sent", "request_end", "response_chunk_received",
    ]
    redirect = rec.params("request_redirect")[0]
    assert isinstance(redirect, aiohttp.TraceRequestRedirectParams)
    assert redirect.url == local(http_server, "/redirect/1")
    assert redirect.response.status == 302
    headers_sent = rec.params("request_headers_sent")
    assert [p.url.path for p in headers_sent] == ["/redirect/1", "/redirect/0"]
    assert rec.params("request_end")[0].url == local(http_server, "/redirect/0")


async def test_exception_signal(http_server) -> None:
    from tests.servers import free_port

    rec = Recorder()
    url = http_server.make_url("/").with_host("localhost").with_port(free_port())
    async with aiohttp.ClientSession(trace_configs=[rec.config]) as session:
        with pytest.raises(aiohttp.ClientConnectorError) as info:
            await session.get(url)
    assert rec.names == ["request_start", *NEW_CONN_MISS[:-1], "request_exception"]
    exc_params = rec.params("request_exception")[0]
    assert isinstance(exc_params, aiohttp.TraceRequestExceptionParams)
    assert exc_params.exception is info.value
    assert (exc_params.method, exc_params.url) == ("GET", url)


async def test_queued_signals(http_server) -> None:
    rec = Recorder()
    connector = aiohttp.TCPConnector(limit=1)
    async with aiohttp.ClientSession(connector=connector, trace_configs=[rec.config]) as session:
        slow = local(http_server, "/drip").with_query(n="2", delay_ms="50")
        first = await session.get(slow)  # head read, body still coming: the slot stays taken
        second = asyncio.ensure_future(session.get(local(http_server, "/hello")))
        for _ in range(100):
            if "connection_queued_start" in rec.names:
                break
            await asyncio.sleep(0.01)
        assert "connection_queued_start" in rec.names
        await first.read()
        resp = await second
        await resp.read()
    names = rec.names
    queued_at = names.index("connection_queued_start")
    # Between the two the first response's body is read (its chunk signal), freeing the slot.
    assert names[queued_at + 1 :] == [
        "response_chunk_received", "connection_queued_end", "connection_reuseconn",
        "request_headers_sent", "request_end", "response_chunk_received",
    ]


async def test_trace_request_ctx_reaches_handlers(http_server) -> None:
    rec = Recorder()
    marker = object()
    async with aiohttp.ClientSession(trace_configs=[rec.config]) as session:
        async with session.get(local(http_server, "/hello"), trace_request_ctx=marker) as resp:
            await resp.read()
        async with session.get(local(http_server, "/hello")) as resp:
            await resp.read()
    contexts = {id(ctx) for _, _, ctx in rec.log}
    assert len(contexts) == 2  # one context per request, shared by its signals
    first_ctx = rec.log[0][2]
    assert first_ctx.trace_request_ctx is marker
    assert rec.log[-1][2].trace_request_ctx is None


async def test_custom_context_factory(http_server) -> None:
    class Ctx(SimpleNamespace):
        pass

    seen = []
    config = aiohttp.TraceConfig(trace_config_ctx_factory=Ctx)

    async def on_start(session, ctx, params) -> None:
        seen.append(ctx)

    config.on_request_start.append(on_start)
    async with aiohttp.ClientSession(trace_configs=[config]) as session:
        async with session.get(http_server.make_url("/hello"), trace_request_ctx={"k": 1}) as r:
            await r.read()
    assert isinstance(seen[0], Ctx) and seen[0].trace_request_ctx == {"k": 1}


async def test_signals_freeze_when_session_created() -> None:
    config = aiohttp.TraceConfig()

    async def handler(session, ctx, params) -> None:
        pass

    config.on_request_start.append(handler)
    assert not config.on_request_start.frozen
    async with aiohttp.ClientSession(trace_configs=[config]):
        assert config.on_request_start.frozen and config.on_dns_cache_hit.frozen
        with pytest.raises(RuntimeError):
            config.on_request_start.append(handler)
