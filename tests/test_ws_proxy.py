"""``session.ws_connect`` through an HTTP forward proxy, as aiohttp does it.

ws:// goes to the proxy as the upgrade request itself, in absolute-form (``GET ws://host:port/
path``), carrying ``Proxy-Authorization``; wss:// asks the proxy for a ``CONNECT`` tunnel and
runs TLS and the handshake inside it, so nothing meant for the proxy reaches the origin. Both use
the session's connector: the socket's peer is the proxy, the connector counts the websocket while
it is open, and closing the websocket (or the session) closes the socket to the proxy.

``recording_proxy`` (tests/proxy.py) shows what the proxy received and forwarded; ``proxy_server``
is pproxy in a subprocess, so the only sockets to its port in this process are the client's.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import ssl
from collections.abc import Callable

import pytest
from yarl import URL

import aiohttp_clone as aiohttp
from aiohttp_clone._values import make_basic_auth as _make_basic_auth
from tests.proxy import RecordingProxy
from tests.servers import (
    ProxyProcess,
    RawServerFactory,
    WebSocketThread,
    drain_until_eof,
    pool_is_empty,
    read_request_head,
)

pytestmark = pytest.mark.timeout(60)

HAVE_PROC = os.path.isdir("/proc/self/fd") and os.path.exists("/proc/self/net/tcp")
needs_proc = pytest.mark.skipif(not HAVE_PROC, reason="needs Linux /proc to count sockets")


def basic(login: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode()


# ------------------------------------------------------------------------------- helpers


async def settle(predicate: Callable[[], bool], what: str) -> None:
    """Wait (bounded) for something another task or thread finishes; fail naming it."""
    for _ in range(1000):
        if predicate():
            return
        await asyncio.sleep(0.01)
    pytest.fail(f"gave up waiting for {what}")


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _socket_inodes() -> set[str]:
    inodes = set()
    for name in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):  # an fd closed while we look
            link = os.readlink(f"/proc/self/fd/{name}")
            if link.startswith("socket:["):
                inodes.add(link[len("socket:[") : -1])
    return inodes


def sockets_to(port: int) -> int:
    """This process's TCP sockets whose peer is ``port`` (in any state the kernel still lists)."""
    mine = _socket_inodes()
    count = 0
    for table in ("/proc/self/net/tcp", "/proc/self/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as rows:
            next(rows)  # the column titles
            for row in rows:
                fields = row.split()
                remote_port = int(fields[2].rpartition(":")[2], 16)
                if remote_port == port and fields[9] in mine:
                    count += 1
    return count


async def proxy_sees_close(proxy: RecordingProxy) -> None:
    """Every connection to the proxy ended: the client hung up each tunnel or relayed socket."""
    await settle(lambda: proxy.active == 0, "the proxy's connections to end")


async def echo_text_and_binary(ws: aiohttp.ClientWebSocketResponse) -> None:
    await ws.send_str("héllo")
    assert await ws.receive_str() == "héllo"
    await ws.send_bytes(b"\x00\xff" * 1000)
    assert await ws.receive_bytes() == b"\x00\xff" * 1000


async def origin_headers(ws: aiohttp.ClientWebSocketResponse) -> dict[str, str]:
    """The handshake headers the websockets server received (its ``/headers`` path)."""
    pairs = json.loads(await ws.receive_str())
    return {name.lower(): value for name, value in pairs}


# ------------------------------------------------------------------------ ws:// (absolute-form)


async def test_ws_upgrade_goes_to_proxy_in_absolute_form(
    websocket_server: WebSocketThread, recording_proxy: RecordingProxy
) -> None:
    recording_proxy.auth = ("pu", "pw")
    url = websocket_server.make_url("/headers")
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(
            url,
            proxy=recording_proxy.url,
            proxy_auth=_make_basic_auth("pu", "pw"),
            proxy_headers={"X-Proxy-Token": "t1"},
        ) as ws:
            inside = await origin_headers(ws)
            await echo_text_and_binary(ws)
            assert ws.get_extra_info("peername")[1] == recording_proxy.port
    [received] = recording_proxy.requests
    assert (received.method, received.target) == ("GET", str(url))
    assert received.header("Host") == f"127.0.0.1:{websocket_server.port}"
    assert received.header("Upgrade") == "websocket"
    assert received.header("Sec-WebSocket-Key") is not None
    assert received.header("Proxy-Authorization") == basic("pu", "pw")
    # As for plain http (tests/test_proxy.py), proxy_headers ride on the request to the proxy.
    assert received.header("X-Proxy-Token") == "t1"
    [forwarded] = recording_proxy.forwarded
    assert forwarded.target == "/headers"
    assert forwarded.header("Proxy-Authorization") is None
    assert "proxy-authorization" not in inside
    assert inside["upgrade"] == "websocket"
    assert recording_proxy.errors == []
    await proxy_sees_close(recording_proxy)


async def test_ws_through_pproxy(
    websocket_server: WebSocketThread, proxy_server: ProxyProcess
) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(2):  # a second websocket needs (and gets) a fresh proxy connection
            async with session.ws_connect(
                websocket_server.make_url("/echo"), proxy=proxy_server.url
            ) as ws:
                await echo_text_and_binary(ws)
                await ws.send_json({"n": [1, 2]})
                assert await ws.receive_json() == {"n": [1, 2]}
                assert ws.get_extra_info("peername")[1] == proxy_server.port
            assert ws.close_code == aiohttp.WSCloseCode.OK


async def test_ws_proxy_407_is_a_handshake_error(
    websocket_server: WebSocketThread, recording_proxy: RecordingProxy
) -> None:
    """Without a tunnel the proxy's 407 answers the upgrade request itself (as in aiohttp)."""
    recording_proxy.auth = ("a", "b")
    connector = aiohttp.TCPConnector()
    async with aiohttp.ClientSession(connector=connector) as session:
        with pytest.raises(aiohttp.WSServerHandshakeError) as info:
            await session.ws_connect(websocket_server.make_url("/echo"), proxy=recording_proxy.url)
        assert info.value.status == 407
        assert info.value.headers is not None
        assert info.value.headers["Proxy-Authenticate"] == 'Basic realm="proxy"'
        assert pool_is_empty(connector)
    assert recording_proxy.forwarded == []  # the origin never heard of it


# ----------------------------------------------------------------------- wss:// (CONNECT tunnel)


async def test_wss_through_connect_tunnel(
    wss_server: WebSocketThread, recording_proxy: RecordingProxy, client_ssl_ctx: ssl.SSLContext
) -> None:
    recording_proxy.auth = ("pu", "pw")
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(
            wss_server.make_url("/headers"),
            proxy=recording_proxy.url,
            proxy_auth=_make_basic_auth("pu", "pw"),
            proxy_headers={"X-Proxy-Token": "t2"},
            headers={"X-Origin": "o"},
            ssl=client_ssl_ctx,
        ) as ws:
            inside = await origin_headers(ws)
            await echo_text_and_binary(ws)
            assert ws.get_extra_info("peername")[1] == recording_proxy.port
            assert ws.get_extra_info("sslcontext") is client_ssl_ctx
    [connect] = recording_proxy.requests
    assert (connect.method, connect.target) == ("CONNECT", f"127.0.0.1:{wss_server.port}")
    assert connect.header("Host") == f"127.0.0.1:{wss_server.port}"
    assert connect.header("Proxy-Authorization") == basic("pu", "pw")
    assert connect.header("X-Proxy-Token") == "t2"
    for inner in ("Upgrade", "Sec-WebSocket-Key", "X-Origin"):  # the handshake stays inside
        assert connect.header(inner) is None
    assert recording_proxy.forwarded == []  # nothing went on in the clear
    assert "proxy-authorization" not in inside
    assert "x-proxy-token" not in inside
    assert inside["x-origin"] == "o"
    assert inside["upgrade"] == "websocket"
    assert inside["host"] == f"127.0.0.1:{wss_server.port}"
    await proxy_sees_close(recording_proxy)


async def test_wss_proxy_authorization_header_moves_to_connect(
    wss_server: WebSocketThread, recording_proxy: RecordingProxy, client_ssl_ctx: ssl.SSLContext
) -> None:
    """A Proxy-Authorization given with the handshake headers is for the proxy, not the origin."""
    recording_proxy.auth = ("x", "y")
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(
            wss_server.make_url("/headers"),
            proxy=recording_proxy.url,
            headers={"Proxy-Authorization": basic("x", "y")},
            ssl=client_ssl_ctx,
        ) as ws:
            inside = await origin_headers(ws)
    assert recording_proxy.requests[0].header("Proxy-Authorization") == basic("x", "y")
    assert "proxy-authorization" not in inside
    await proxy_sees_close(recording_proxy)


async def test_wss_credentials_in_proxy_url(
    wss_server: WebSocketThread, recording_proxy: RecordingProxy, client_ssl_ctx: ssl.SSLContext
) -> None:
    recording_proxy.auth = ("us er", "p@ss")
    proxy = recording_proxy.url.with_user("us er").with_password("p@ss")
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(
            wss_server.make_url("/headers"), proxy=proxy, ssl=client_ssl_ctx
        ) as ws:
            assert "proxy-authorization" not in await origin_headers(ws)
    assert recording_proxy.requests[0].header("Proxy-Authorization") == basic("us er", "p@ss")
    await proxy_sees_close(recording_proxy)


async def test_wss_through_pproxy(
    wss_server: WebSocketThread, proxy_server: ProxyProcess, client_ssl_ctx: ssl.SSLContext
) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(2):
            async with session.ws_connect(
                wss_server.make_url("/echo"), proxy=proxy_server.url, ssl=client_ssl_ctx
            ) as ws:
                await echo_text_and_binary(ws)
                assert ws.get_extra_info("peername")[1] == proxy_server.port
            assert ws.close_code == aiohttp.WSCloseCode.OK


async def test_wss_certificate_is_checked_inside_the_tunnel(
    wss_server: WebSocketThread, recording_proxy: RecordingProxy
) -> None:
    """Without the test CA the origin's certificate is refused, as on a direct connection."""
    connector = aiohttp.TCPConnector()
    async with aiohttp.ClientSession(connector=connector) as session:
        with pytest.raises(aiohttp.ClientConnectorCertificateError):
            await session.ws_connect(wss_server.make_url("/echo"), proxy=recording_proxy.url)
        assert pool_is_empty(connector)
    assert [r.method for r in recording_proxy.requests] == ["CONNECT"]
    await proxy_sees_close(recording_proxy)


@needs_proc
async def test_wss_connect_407_raises_http_proxy_error(
    wss_server: WebSocketThread, recording_proxy: RecordingProxy, client_ssl_ctx: ssl.SSLContext
) -> None:
    recording_proxy.auth = ("a", "b")
    connector = aiohttp.TCPConnector()
    async with aiohttp.ClientSession(connector=connector) as session:
        with pytest.raises(aiohttp.ClientHttpProxyError) as info:
            await session.ws_connect(
                wss_server.make_url("/echo"),
                proxy=recording_proxy.url,
                proxy_auth=_make_basic_auth("a", "wrong"),
                ssl=client_ssl_ctx,
            )
        assert info.value.status == 407
        assert info.value.request_info is not None
        assert info.value.request_info.method == "CONNECT"
        assert info.value.headers is not None
        assert info.value.headers["Proxy-Authenticate"] == 'Basic realm="proxy"'
        assert pool_is_empty(connector)
        await settle(lambda: sockets_to(recording_proxy.port) == 0, "the refused socket to close")
    [connect] = recording_proxy.requests
    assert connect.header("Upgrade") is None  # the handshake was never sent


@pytest.mark.parametrize(("status", "reason"), [(403, "Forbidden"), (502, "Bad Gateway")])
async def test_wss_connect_refused_closes_the_proxy_socket(
    wss_server: WebSocketThread,
    raw_server: RawServerFactory,
    client_ssl_ctx: ssl.SSLContext,
    status: int,
    reason: str,
) -> None:
    """A refusal on a connection the proxy keeps open: the client must hang up itself."""
    hung_up = asyncio.Event()

    async def refuse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not await read_request_head(reader):
            return
        writer.write(f"HTTP/1.1 {status} {reason}\r\nContent-Length: 0\r\n\r\n".encode())
        await writer.drain()
        await drain_until_eof(reader)
        hung_up.set()

    proxy = await raw_server(refuse)
    connector = aiohttp.TCPConnector()
    async with aiohttp.ClientSession(connector=connector) as session:
        with pytest.raises(aiohttp.ClientHttpProxyError) as info:
            await session.ws_connect(
                wss_server.make_url("/echo"), proxy=proxy.url, ssl=client_ssl_ctx
            )
        assert (info.value.status, info.value.message) == (status, reason)
        assert pool_is_empty(connector)
        await asyncio.wait_for(hung_up.wait(), 10)
    [head] = proxy.requests
    assert head.startswith(f"CONNECT 127.0.0.1:{wss_server.port} HTTP/1.1\r\n".encode())


# ------------------------------------------------------------- the connector owns the socket


@pytest.mark.parametrize("scheme", ["ws", "wss"])
async def test_open_websocket_holds_its_connector_slot(
    websocket_server: WebSocketThread,
    wss_server: WebSocketThread,
    recording_proxy: RecordingProxy,
    client_ssl_ctx: ssl.SSLContext,
    scheme: str,
) -> None:
    """As in aiohttp, the upgraded connection stays acquired (limits count it) until it ends,
    and it is never put back in the pool."""
    server = websocket_server if scheme == "ws" else wss_server
    connector = aiohttp.TCPConnector(ssl=client_ssl_ctx, limit=1)
    async with aiohttp.ClientSession(connector=connector) as session:
        async with session.ws_connect(server.make_url("/echo"), proxy=recording_proxy.url) as ws:
            await echo_text_and_binary(ws)
            [protocol] = connector._acquired
            assert protocol.transport is not None
            assert protocol.transport.get_extra_info("peername")[1] == recording_proxy.port
        await settle(lambda: pool_is_empty(connector), "the slot to be given back")
        async with session.ws_connect(server.make_url("/echo"), proxy=recording_proxy.url) as ws:
            await echo_text_and_binary(ws)
    assert len(recording_proxy.requests) == 2  # one proxy connection per websocket
    await proxy_sees_close(recording_proxy)


@needs_proc
async def test_closing_websockets_closes_the_tunnels(
    websocket_server: WebSocketThread,
    wss_server: WebSocketThread,
    proxy_server: ProxyProcess,
    client_ssl_ctx: ssl.SSLContext,
) -> None:
    """Open and close websockets through pproxy: no socket to it and no fd is left behind."""
    urls = [websocket_server.make_url("/echo"), wss_server.make_url("/echo")]
    connector = aiohttp.TCPConnector(ssl=client_ssl_ctx)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def round_trip(url: URL) -> None:
            async with session.ws_connect(url, proxy=proxy_server.url) as ws:
                await ws.send_str("ping")
                assert await ws.receive_str() == "ping"
            assert ws.closed and ws.close_code == aiohttp.WSCloseCode.OK

        for url in urls:  # warm up: lazily made fds (TLS, selectors) are not leaks
            await round_trip(url)
        await settle(lambda: sockets_to(proxy_server.port) == 0, "the warm-up sockets to close")
        await settle(lambda: pool_is_empty(connector), "the warm-up slots")
        baseline = open_fds()
        for _ in range(3):
            for url in urls:
                await round_trip(url)
        await settle(lambda: pool_is_empty(connector), "every slot to be given back")
        await settle(lambda: sockets_to(proxy_server.port) == 0, "every tunnel to close")
        # The websockets server (a thread of this process) closes its side once pproxy does.
        await settle(lambda: open_fds() <= baseline, f"the fd count to come back to {baseline}")


@needs_proc
@pytest.mark.parametrize("scheme", ["ws", "wss"])
async def test_closing_the_session_closes_open_websockets(
    websocket_server: WebSocketThread,
    wss_server: WebSocketThread,
    recording_proxy: RecordingProxy,
    client_ssl_ctx: ssl.SSLContext,
    scheme: str,
) -> None:
    """A websocket left open when its session closes is closed with it (as in aiohttp), so its
    socket to the proxy is not leaked."""
    server = websocket_server if scheme == "ws" else wss_server
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=client_ssl_ctx))
    ws = await session.ws_connect(server.make_url("/echo"), proxy=recording_proxy.url)
    await echo_text_and_binary(ws)
    assert sockets_to(recording_proxy.port) == 1
    await session.close()
    msg = await ws.receive(timeout=10)
    assert msg.type is aiohttp.WSMsgType.CLOSED
    assert ws.closed
    await settle(lambda: sockets_to(recording_proxy.port) == 0, "the socket to the proxy")
    await settle(lambda: recording_proxy.active == 0, "the proxy to see the connection end")


# ------------------------------------------------------------------- session proxy, trust_env


async def test_session_proxy_applies_to_ws_connect(
    websocket_server: WebSocketThread,
    wss_server: WebSocketThread,
    recording_proxy: RecordingProxy,
    proxy_server: ProxyProcess,
    client_ssl_ctx: ssl.SSLContext,
) -> None:
    async with aiohttp.ClientSession(
        proxy=recording_proxy.url, proxy_auth=_make_basic_auth("s", "t")
    ) as session:
        async with session.ws_connect(websocket_server.make_url("/echo")) as ws:
            await echo_text_and_binary(ws)
        async with session.ws_connect(wss_server.make_url("/echo"), ssl=client_ssl_ctx) as ws:
            await echo_text_and_binary(ws)
        # A proxy given to the call wins over the session's.
        async with session.ws_connect(
            websocket_server.make_url("/echo"), proxy=proxy_server.url
        ) as ws:
            assert ws.get_extra_info("peername")[1] == proxy_server.port
    ws_request, connect = recording_proxy.requests
    assert (ws_request.method, ws_request.target) == (
        "GET",
        str(websocket_server.make_url("/echo")),
    )
    assert (connect.method, connect.target) == ("CONNECT", f"127.0.0.1:{wss_server.port}")
    assert ws_request.header("Proxy-Authorization") == basic("s", "t")
    assert connect.header("Proxy-Authorization") == basic("s", "t")
    await proxy_sees_close(recording_proxy)


@pytest.mark.parametrize(
    ("variable", "scheme", "expected"),
    [
        ("WS_PROXY", "ws", "GET"),
        ("ws_proxy", "ws", "GET"),
        ("WSS_PROXY", "wss", "CONNECT"),
        # aiohttp looks the proxy up by the URL's own scheme: http(s)_proxy are not for ws(s).
        ("HTTP_PROXY", "ws", None),
        ("HTTPS_PROXY", "wss", None),
    ],
)
async def test_trust_env_proxy_for_ws_schemes(
    websocket_server: WebSocketThread,
    wss_server: WebSocketThread,
    recording_proxy: RecordingProxy,
    client_ssl_ctx: ssl.SSLContext,
    clean_env: pytest.MonkeyPatch,
    variable: str,
    scheme: str,
    expected: str | None,
) -> None:
    server = websocket_server if scheme == "ws" else wss_server
    proxy = recording_proxy.url.with_user("e").with_password("f")
    clean_env.setenv(variable, str(proxy))
    connector = aiohttp.TCPConnector(ssl=client_ssl_ctx)
    async with aiohttp.ClientSession(connector=connector, trust_env=True) as session:
        async with session.ws_connect(server.make_url("/echo")) as ws:
            await echo_text_and_binary(ws)
            peer_port = ws.get_extra_info("peername")[1]
    if expected is None:
        assert recording_proxy.requests == []
        assert peer_port == server.port
        return
    [received] = recording_proxy.requests
    assert received.method == expected
    assert received.header("Proxy-Authorization") == basic("e", "f")
    assert peer_port == recording_proxy.port
    await proxy_sees_close(recording_proxy)


async def test_trust_env_off_and_no_proxy_for_ws(
    websocket_server: WebSocketThread,
    wss_server: WebSocketThread,
    recording_proxy: RecordingProxy,
    client_ssl_ctx: ssl.SSLContext,
    clean_env: pytest.MonkeyPatch,
) -> None:
    clean_env.setenv("WS_PROXY", str(recording_proxy.url))
    clean_env.setenv("WSS_PROXY", str(recording_proxy.url))
    urls = [websocket_server.make_url("/echo"), wss_server.make_url("/echo")]
    async with aiohttp.ClientSession() as session:  # trust_env defaults to False
        for url in urls:
            async with session.ws_connect(url, ssl=client_ssl_ctx) as ws:
                await echo_text_and_binary(ws)
    clean_env.setenv("NO_PROXY", "127.0.0.1")
    async with aiohttp.ClientSession(trust_env=True) as session:
        for url in urls:
            async with session.ws_connect(url, ssl=client_ssl_ctx) as ws:
                await echo_text_and_binary(ws)
    assert recording_proxy.requests == []
