"""SOCKS proxies (socks4, socks4a, socks5, socks5h) through python-socks, the ``socks`` extra.

pproxy (an independent SOCKS server, in a subprocess) logs ``SCHEME CLIENT -> HOST:PORT`` for
every connection it relays, so a test sees how many connections went through it and which host
the proxy was asked for each. ``RecordingSocks`` (tests/socks.py) records each handshake
exactly, speaks SOCKS4a (pproxy does not) and can refuse or stay silent.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest
from yarl import URL

import aiohttp_clone as aiohttp
from aiohttp_clone.abc import AbstractResolver, ResolveResult
from tests.polling import poll_until
from tests.servers import (
    HOST,
    FullBacklog,
    ProxyProcess,
    echo_headers,
    free_port,
    pool_is_empty,
    start_pproxy,
)
from tests.socks import RecordingSocks

pytestmark = pytest.mark.timeout(60)


# ------------------------------------------------------------------------------- fixtures


def _pproxy(tmp_path_factory: pytest.TempPathFactory, scheme: str, *args: str) -> ProxyProcess:
    return start_pproxy(tmp_path_factory.mktemp(f"pproxy-{scheme}"), scheme, *args)


@pytest.fixture(scope="module")
def socks5_proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProxyProcess]:
    proxy = _pproxy(tmp_path_factory, "socks5")
    yield proxy
    proxy.stop()


@pytest.fixture(scope="module")
def socks4_proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProxyProcess]:
    proxy = _pproxy(tmp_path_factory, "socks4")
    yield proxy
    proxy.stop()


@pytest.fixture(scope="module")
def socks5_auth_proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProxyProcess]:
    """pproxy demanding ``pu:pw``; ``--auth -1`` turns off its habit of letting an address
    that authenticated once in without credentials for a month."""
    proxy = _pproxy(tmp_path_factory, "socks5", "pu:pw", "--auth", "-1")
    yield proxy
    proxy.stop()


class NamesResolver(AbstractResolver):
    """Resolves only the names it is given (to 127.0.0.1) and records every question."""

    def __init__(self, *names: str) -> None:
        self.names = set(names)
        self.asked: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.asked.append(host)
        if host not in self.names:
            raise OSError(socket.EAI_NONAME, f"{host} is not known here")
        return [ResolveResult(hostname=host, host=HOST, port=port, family=socket.AF_INET,
                              proto=0, flags=socket.AI_NUMERICHOST)]  # fmt: skip

    async def close(self) -> None:
        """Nothing to release."""


class Relays:
    """The connections pproxy relays from now on, as the ``HOST:PORT`` each was for (only this
    module's tests use these pproxy processes, one test at a time)."""

    def __init__(self, proxy: ProxyProcess) -> None:
        self.proxy = proxy
        self.start = len(proxy.log_lines())

    def targets(self) -> list[str]:
        prefix = f"{self.proxy.scheme} 127.0.0.1:"
        lines = self.proxy.log_lines()[self.start :]
        return [line.partition(" -> ")[2] for line in lines if line.startswith(prefix)]

    async def expect(self, *targets: str) -> None:
        """Exactly ``targets`` were relayed (pproxy logs each before relaying a byte)."""
        await poll_until(lambda: len(self.targets()) >= len(targets), f"pproxy to log {targets}")
        assert self.targets() == list(targets)


# ------------------------------------------------------------------------- per request


@pytest.mark.parametrize("scheme", ["socks5", "socks5h"])
async def test_http_through_socks5_is_a_direct_request(http_server, socks5_proxy, scheme) -> None:
    relays = Relays(socks5_proxy)
    async with aiohttp.ClientSession() as session:
        async with session.get(
            http_server.make_url("/echo?x=1"), proxy=socks5_proxy.url.with_scheme(scheme)
        ) as resp:
            assert resp.status == 200
            doc = await resp.json()
    await relays.expect(f"127.0.0.1:{http_server.port}")
    # Origin-form, no proxy fields: the origin sees an ordinary direct request.
    assert doc["raw_path"] == "/echo" and doc["query_string"] == "x=1"
    headers = echo_headers(doc)
    assert headers["host"] == f"127.0.0.1:{http_server.port}"
    assert "proxy-authorization" not in headers


async def test_https_through_socks5_verifies_the_origin(
    https_server, socks5_proxy, client_ssl_ctx
) -> None:
    relays = Relays(socks5_proxy)
    url = https_server.make_url("/echo")
    async with aiohttp.ClientSession() as session:
        async with session.get(url, proxy=socks5_proxy.url, ssl=client_ssl_ctx) as resp:
            assert resp.connection is not None and resp.connection.transport is not None
            ssl_object = resp.connection.transport.get_extra_info("ssl_object")
            assert ssl_object is not None and ssl_object.server_hostname == "127.0.0.1"
            assert (await resp.json())["raw_path"] == "/echo"
        # The default context does not trust the test CA: verification runs for the origin.
        with pytest.raises(aiohttp.ClientConnectorCertificateError) as info:
            await session.get(url, proxy=socks5_proxy.url)
        assert (info.value.host, info.value.port) == ("127.0.0.1", https_server.port)
        assert not session.connector._acquired
    await relays.expect(*[f"127.0.0.1:{https_server.port}"] * 2)


async def test_server_hostname_and_fingerprint_through_socks(
    https_server, socks5_proxy, client_ssl_ctx
) -> None:
    url = https_server.make_url("/hello")
    async with aiohttp.ClientSession() as session:
        async with session.get(
            url, proxy=socks5_proxy.url, ssl=client_ssl_ctx, server_hostname="localhost"
        ) as resp:
            assert await resp.text() == "Hello, world"
        with pytest.raises(aiohttp.ClientConnectorCertificateError):
            await session.get(
                url, proxy=socks5_proxy.url, ssl=client_ssl_ctx, server_hostname="example.com"
            )
        with pytest.raises(aiohttp.ServerFingerprintMismatch):
            await session.get(url, proxy=socks5_proxy.url, ssl=aiohttp.Fingerprint(b"\x00" * 32))
        assert not session.connector._acquired


async def test_socks4_through_pproxy(http_server, socks4_proxy) -> None:
    relays = Relays(socks4_proxy)
    async with aiohttp.ClientSession() as session:
        async with session.get(http_server.make_url("/hello"), proxy=socks4_proxy.url) as resp:
            assert await resp.text() == "Hello, world"
    await relays.expect(f"127.0.0.1:{http_server.port}")


async def test_post_body_through_socks(https_server, socks5_proxy, client_ssl_ctx) -> None:
    body = b"x" * 300_000  # more than one write: the body streams through the tunnel
    async with aiohttp.ClientSession() as session:
        async with session.post(
            https_server.make_url("/echo"), data=body, proxy=socks5_proxy.url, ssl=client_ssl_ctx
        ) as resp:
            doc = await resp.json()
    assert doc["body_length"] == len(body)


# ------------------------------------------------------------ session default and env


async def test_session_default_proxy(http_server, socks5_proxy) -> None:
    relays = Relays(socks5_proxy)
    async with aiohttp.ClientSession(proxy=f"socks5h://{HOST}:{socks5_proxy.port}") as session:
        async with session.get(http_server.make_url("/hello")) as resp:
            assert await resp.text() == "Hello, world"
    await relays.expect(f"127.0.0.1:{http_server.port}")


@pytest.mark.parametrize("variable", ["ALL_PROXY", "all_proxy", "HTTP_PROXY"])
async def test_trust_env_socks_proxy(http_server, socks5_proxy, clean_env, variable) -> None:
    relays = Relays(socks5_proxy)
    clean_env.setenv(variable, f"socks5://{HOST}:{socks5_proxy.port}")
    async with aiohttp.ClientSession(trust_env=True) as session:
        async with session.get(http_server.make_url("/hello")) as resp:
            assert await resp.text() == "Hello, world"
    await relays.expect(f"127.0.0.1:{http_server.port}")


async def test_trust_env_https_proxy_variable_and_credentials(
    https_server, client_ssl_ctx, clean_env
) -> None:
    async with RecordingSocks(auth=("eu", "ep")) as proxy:
        clean_env.setenv("HTTPS_PROXY", str(proxy.url("socks5h", "eu:ep")))
        async with aiohttp.ClientSession(trust_env=True) as session:
            async with session.get(https_server.make_url("/echo"), ssl=client_ssl_ctx) as resp:
                assert "proxy-authorization" not in echo_headers(await resp.json())
    [request] = proxy.requests
    assert (request.host, request.by_name) == ("127.0.0.1", False)
    assert (request.user, request.password) == ("eu", "ep")


async def test_scheme_variable_wins_over_all_proxy_and_no_proxy_bypasses(
    http_server, socks5_proxy, clean_env
) -> None:
    relays = Relays(socks5_proxy)
    async with RecordingSocks() as recording:
        clean_env.setenv("ALL_PROXY", str(recording.url("socks5")))
        clean_env.setenv("HTTP_PROXY", f"socks5://{HOST}:{socks5_proxy.port}")
        async with aiohttp.ClientSession(trust_env=True) as session:
            async with session.get(http_server.make_url("/hello")) as resp:
                assert await resp.read()  # read: the connection goes back to the pool
            await relays.expect(f"127.0.0.1:{http_server.port}")
            clean_env.delenv("HTTP_PROXY")
            clean_env.setenv("NO_PROXY", "127.0.0.1")
            async with session.get(http_server.make_url("/hello")) as resp:
                assert await resp.read()  # read: the connection goes back to the pool
        clean_env.delenv("NO_PROXY")
        async with aiohttp.ClientSession() as session:  # trust_env off: ALL_PROXY unread
            async with session.get(http_server.make_url("/hello")) as resp:
                assert await resp.read()  # read: the connection goes back to the pool
        assert recording.requests == []
    await relays.expect(f"127.0.0.1:{http_server.port}")


# ----------------------------------------------------------------------------- websockets


async def test_ws_connect_through_socks5(websocket_server, socks5_proxy) -> None:
    relays = Relays(socks5_proxy)
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(
            websocket_server.make_url("/headers"), proxy=socks5_proxy.url
        ) as ws:
            assert ws.get_extra_info("peername")[1] == socks5_proxy.port
            headers = {name.lower(): value for name, value in json.loads(await ws.receive_str())}
            await ws.send_str("héllo")
            assert await ws.receive_str() == "héllo"
    await relays.expect(f"127.0.0.1:{websocket_server.port}")
    assert "proxy-authorization" not in headers


async def test_wss_connect_through_socks5h_with_credentials(wss_server, client_ssl_ctx) -> None:
    async with RecordingSocks(auth=("wu", "wp")) as proxy:
        url = wss_server.make_url("/headers").with_host("localhost")
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(
                url, proxy=proxy.url("socks5h", "wu:wp"), ssl=client_ssl_ctx
            ) as ws:
                pairs = json.loads(await ws.receive_str())
                await ws.send_bytes(b"\x00\xff" * 1000)
                assert await ws.receive_bytes() == b"\x00\xff" * 1000
    [request] = proxy.requests
    assert (request.host, request.port, request.by_name) == ("localhost", wss_server.port, True)
    assert "proxy-authorization" not in {name.lower() for name, _ in pairs}


# -------------------------------------------------------------------------------- pooling


async def test_pooled_connection_is_reused_through_the_proxy(http_server, socks5_proxy) -> None:
    relays = Relays(socks5_proxy)
    async with aiohttp.ClientSession() as session:
        for _ in range(3):
            async with session.get(http_server.make_url("/hello"), proxy=socks5_proxy.url) as r:
                assert await r.text() == "Hello, world"
        await relays.expect(f"127.0.0.1:{http_server.port}")  # one connection for the three
        # A direct request to the same origin gets a connection of its own.
        async with session.get(http_server.make_url("/hello")) as resp:
            assert await resp.read()  # read: the connection goes back to the pool
        keys = sorted(session.connector._idle, key=lambda key: key.proxy is None)
        assert [key.proxy for key in keys] == [socks5_proxy.url, None]
    await relays.expect(f"127.0.0.1:{http_server.port}")


async def test_different_proxies_or_credentials_do_not_share(http_server) -> None:
    async with RecordingSocks() as first, RecordingSocks() as second:
        proxies = [
            first.url("socks5", "a:1"),
            first.url("socks5", "b:2"),
            first.url("socks5h", "a:1"),
            second.url("socks5", "a:1"),
            first.url("socks5", "a:1"),  # the first one's connection again
        ]
        async with aiohttp.ClientSession() as session:
            for proxy in proxies:
                async with session.get(http_server.make_url("/hello"), proxy=proxy) as resp:
                    assert await resp.read()  # read: the connection goes back to the pool
            assert len(session.connector._idle) == 4
    # One handshake per distinct proxy and credentials; the last request reused the first's.
    assert [(r.user, r.password, r.by_name) for r in first.requests] == [
        ("a", "1", False), ("b", "2", False), ("a", "1", False),
    ]  # fmt: skip
    assert [(r.user, r.password) for r in second.requests] == [("a", "1")]


# ------------------------------------------------------------------------------------ DNS


async def test_socks5_resolves_locally_with_the_connector(http_server, socks5_proxy) -> None:
    resolver = NamesResolver("origin.test")
    connector = aiohttp.TCPConnector(resolver=resolver, force_close=True)
    url = URL.build(scheme="http", host="origin.test", port=http_server.port, path="/echo")
    relays = Relays(socks5_proxy)
    async with aiohttp.ClientSession(connector=connector) as session:
        for _ in range(2):  # two connections, one question: the DNS cache answers the second
            async with session.get(url, proxy=socks5_proxy.url) as resp:
                assert echo_headers(await resp.json())["host"] == f"origin.test:{http_server.port}"
    # The proxy was asked for the address, not the name.
    await relays.expect(*[f"127.0.0.1:{http_server.port}"] * 2)
    assert resolver.asked == ["origin.test"]


async def test_socks4_resolves_locally(http_server, socks4_proxy) -> None:
    resolver = NamesResolver("origin.test")
    url = URL.build(scheme="http", host="origin.test", port=http_server.port, path="/hello")
    relays = Relays(socks4_proxy)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(resolver=resolver)) as s:
        async with s.get(url, proxy=socks4_proxy.url) as resp:
            assert await resp.text() == "Hello, world"
    await relays.expect(f"127.0.0.1:{http_server.port}")
    assert resolver.asked == ["origin.test"]


@pytest.mark.parametrize("scheme", ["socks4a", "socks5h"])
async def test_remote_resolution_sends_the_name(http_server, scheme) -> None:
    resolver = NamesResolver()  # knows no name: only the proxy can resolve "localhost"
    url = URL.build(scheme="http", host="localhost", port=http_server.port, path="/hello")
    async with RecordingSocks() as proxy:
        async with aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(resolver=resolver)
        ) as session:
            async with session.get(url, proxy=proxy.url(scheme)) as resp:
                assert await resp.text() == "Hello, world"
    [request] = proxy.requests
    assert (request.host, request.port, request.by_name) == ("localhost", http_server.port, True)
    assert request.version == int(scheme[5])
    assert resolver.asked == []


async def test_socks4_sends_an_address_and_the_user_id(http_server) -> None:
    """socks4 (not 4a) sends an address and the user id, and never a name."""
    async with RecordingSocks() as proxy:
        resolver = NamesResolver("origin.test")
        url = URL.build(scheme="http", host="origin.test", port=http_server.port, path="/hello")
        async with aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(resolver=resolver)
        ) as session:
            async with session.get(url, proxy=proxy.url("socks4", "someone:")) as resp:
                assert await resp.read()  # read: the connection goes back to the pool
    [request] = proxy.requests
    assert (request.version, request.host, request.by_name) == (4, "127.0.0.1", False)
    assert (request.user, request.password) == ("someone", None)


@pytest.mark.parametrize("scheme", ["socks4", "socks5", "socks5h"])
async def test_an_ip_address_goes_to_the_proxy_as_it_is(http_server, scheme) -> None:
    """An address needs no resolving: the resolver is not asked and no DNS signal fires."""
    resolver = NamesResolver()
    signals: list[str] = []

    async def record(session, ctx, params) -> None:
        signals.append(type(params).__name__)

    trace = aiohttp.TraceConfig()
    for signal in (trace.on_dns_resolvehost_start, trace.on_dns_cache_hit, trace.on_dns_cache_miss):
        signal.append(record)
    url = URL.build(scheme="http", host=HOST, port=http_server.port, path="/hello")
    async with RecordingSocks() as proxy:
        async with aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(resolver=resolver), trace_configs=[trace]
        ) as session:
            async with session.get(url, proxy=proxy.url(scheme)) as resp:
                assert await resp.text() == "Hello, world"
    [request] = proxy.requests
    assert (request.host, request.port, request.by_name) == (HOST, http_server.port, False)
    assert (resolver.asked, signals) == ([], [])


@pytest.mark.parametrize("scheme", ["socks4", "socks5"])
async def test_local_resolution_failure_names_the_origin(scheme) -> None:
    async with RecordingSocks() as proxy:
        connector = aiohttp.TCPConnector(resolver=NamesResolver())
        async with aiohttp.ClientSession(connector=connector) as session:
            with pytest.raises(aiohttp.ClientConnectorDNSError) as info:
                await session.get("http://nowhere.test/", proxy=proxy.url(scheme))
            assert pool_is_empty(connector)
    assert info.value.host == "nowhere.test"
    assert proxy.requests == []


@pytest.mark.parametrize("scheme", ["socks4", "socks4a"])
async def test_socks4_cannot_reach_ipv6(scheme) -> None:
    async with RecordingSocks() as proxy:
        async with aiohttp.ClientSession() as session:
            with pytest.raises(aiohttp.ClientProxyConnectionError, match="IPv4 addresses only"):
                await session.get("http://[::1]:9/", proxy=proxy.url(scheme))
            assert pool_is_empty(session.connector)
    assert proxy.requests == []


async def test_socks5_carries_an_ipv6_address() -> None:
    async with RecordingSocks(refuse=True) as proxy:
        async with aiohttp.ClientSession() as session:
            with pytest.raises(aiohttp.ClientProxyConnectionError, match=r"refused \[::1\]:9:"):
                await session.get("http://[::1]:9/", proxy=proxy.url("socks5h"))
    [request] = proxy.requests
    assert (request.host, request.port, request.by_name) == ("::1", 9, False)


# ------------------------------------------------------------------------- credentials


async def test_socks5_auth_success_and_no_header_to_origin(http_server, socks5_auth_proxy) -> None:
    relays = Relays(socks5_auth_proxy)
    proxy = socks5_auth_proxy.url.with_user("pu").with_password("pw")
    async with aiohttp.ClientSession() as session:
        async with session.get(http_server.make_url("/echo"), proxy=proxy) as resp:
            doc = await resp.json()
    await relays.expect(f"127.0.0.1:{http_server.port}")
    assert "proxy-authorization" not in echo_headers(doc)


@pytest.mark.parametrize("userinfo", ["pu:wrong", ""])
async def test_socks5_auth_failure(http_server, socks5_auth_proxy, userinfo) -> None:
    proxy = URL(f"socks5://{userinfo}{'@' if userinfo else ''}{HOST}:{socks5_auth_proxy.port}")
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientProxyConnectionError) as info:
            await session.get(http_server.make_url("/hello"), proxy=proxy)
        assert pool_is_empty(session.connector)
    assert (info.value.host, info.value.port) == (HOST, socks5_auth_proxy.port)
    assert f"{HOST}:{socks5_auth_proxy.port}" in str(info.value)
    assert "socks5 proxy refused" in str(info.value)


async def test_auth_rejection_names_the_reason(http_server) -> None:
    async with RecordingSocks(auth=("u", "p")) as proxy:
        async with aiohttp.ClientSession() as session:
            with pytest.raises(aiohttp.ClientProxyConnectionError, match="authentication"):
                await session.get(http_server.make_url("/"), proxy=proxy.url("socks5", "u:x"))


async def test_credentials_from_proxy_headers_and_request_headers(http_server) -> None:
    """aiohttp 3.14 deprecates proxy_auth for proxy_headers={'Proxy-Authorization': ...}; with
    SOCKS those credentials go into the handshake, and a Proxy-Authorization given with the
    request headers never reaches the origin."""
    token = aiohttp.encode_basic_auth("hu", "hp")
    async with RecordingSocks(auth=("hu", "hp")) as proxy:
        for kwargs in (
            {"proxy_headers": {"Proxy-Authorization": token}},
            {"headers": {"Proxy-Authorization": token}},
        ):
            async with aiohttp.ClientSession() as session:
                async with session.get(
                    http_server.make_url("/echo"), proxy=proxy.url("socks5"), **kwargs
                ) as resp:
                    assert "proxy-authorization" not in echo_headers(await resp.json())
    assert [(r.user, r.password) for r in proxy.requests] == [("hu", "hp")] * 2


async def test_proxy_auth_argument(http_server) -> None:
    async with RecordingSocks(auth=("au", "ap")) as proxy:
        async with aiohttp.ClientSession() as session:
            with pytest.warns(DeprecationWarning):
                auth = aiohttp.BasicAuth("au", "ap")
            with pytest.warns(DeprecationWarning, match="proxy_auth"):
                resp = await session.get(
                    http_server.make_url("/echo"), proxy=proxy.url("socks5"), proxy_auth=auth
                )
            async with resp:
                assert "proxy-authorization" not in echo_headers(await resp.json())
    assert [(r.user, r.password) for r in proxy.requests] == [("au", "ap")]


@pytest.mark.parametrize(
    ("proxy", "message"),
    [
        ("socks5://u:@127.0.0.1:1080", "password must be 1 to 255"),
        (f"socks5://{'u' * 256}:p@127.0.0.1:1080", "username must be 1 to 255"),
        ("socks5://%C3%A9:p@127.0.0.1:1080", "non-ASCII"),
        ("socks4://%C3%A9@127.0.0.1:1080", "ASCII"),
    ],
)
async def test_credentials_socks_cannot_carry(proxy, message) -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(ValueError, match=message):
            await session.get("http://127.0.0.1:9/", proxy=proxy)
        assert pool_is_empty(session.connector)


# ------------------------------------------------------------------------------ failures


async def test_unreachable_proxy_is_named() -> None:
    port = free_port()
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientProxyConnectionError) as info:
            await session.get("http://127.0.0.1:9/", proxy=f"socks5://{HOST}:{port}")
        assert pool_is_empty(session.connector)
    assert (info.value.host, info.value.port) == (HOST, port)
    assert f"{HOST}:{port}" in str(info.value) and "socks5 proxy" in str(info.value)


async def test_unresolvable_proxy_name() -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientConnectorDNSError) as info:
            await session.get("http://127.0.0.1:9/", proxy="socks5://proxy.invalid:1080")
    assert (info.value.host, info.value.port) == ("proxy.invalid", 1080)


async def test_proxy_refusing_the_origin(http_server) -> None:
    async with RecordingSocks(refuse=True) as proxy:
        async with aiohttp.ClientSession() as session:
            for scheme in ("socks4", "socks5"):
                with pytest.raises(aiohttp.ClientProxyConnectionError) as info:
                    await session.get(http_server.make_url("/"), proxy=proxy.url(scheme))
                assert f"{scheme} proxy refused 127.0.0.1:{http_server.port}" in str(info.value)
            assert pool_is_empty(session.connector)


async def test_sock_connect_timeout_on_a_silent_proxy() -> None:
    async with RecordingSocks(silent=True) as proxy:
        timeout = aiohttp.ClientTimeout(sock_connect=0.2)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            with pytest.raises(aiohttp.ConnectionTimeoutError, match="socks5 proxy"):
                await session.get("http://127.0.0.1:9/", proxy=proxy.url("socks5"))
            assert pool_is_empty(session.connector)


async def test_connect_timeout_on_a_proxy_that_never_accepts() -> None:
    with FullBacklog() as port:
        timeout = aiohttp.ClientTimeout(connect=0.2, sock_connect=None)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            with pytest.raises(aiohttp.ConnectionTimeoutError):
                await session.get("http://127.0.0.1:9/", proxy=f"socks5://{HOST}:{port}")
            assert pool_is_empty(session.connector)


async def test_missing_extra_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    # As if python-socks were not installed: its import fails.
    monkeypatch.setitem(sys.modules, "python_socks", None)
    async with aiohttp.ClientSession() as session:
        with pytest.raises(ImportError, match=r"aiohttp_clone\[socks\]"):
            await session.get("http://127.0.0.1:9/", proxy="socks5://127.0.0.1:1080")
        assert pool_is_empty(session.connector)


def test_plain_import_does_not_load_python_socks() -> None:
    code = (
        "import sys, aiohttp_clone, aiohttp_clone.connector;"
        "assert 'python_socks' not in sys.modules, 'imported eagerly'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
