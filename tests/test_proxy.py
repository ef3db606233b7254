"""Proxies: absolute-form http, CONNECT tunnels with TLS inside, credentials, env and pooling.

``recording_proxy`` (tests/proxy.py) shows what the proxy received and what it forwarded on to
the origin; ``proxy_server`` is pproxy, an independent implementation, in a subprocess.
"""

from __future__ import annotations

import asyncio
import base64
import os
from pathlib import Path

import pytest
from yarl import URL

import aiohttp_clone as aiohttp
from aiohttp_clone._values import make_basic_auth as _make_basic_auth
from tests.polling import poll_until
from tests.servers import SocketLog, drain_until_eof, echo_headers, free_port


def basic(login: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode()


# ------------------------------------------------------------------------------- plain http


async def test_http_through_proxy_absolute_form(http_server, recording_proxy) -> None:
    url = http_server.make_url("/echo?x=1")
    async with aiohttp.ClientSession() as session:
        async with session.get(url, proxy=recording_proxy.url) as resp:
            assert resp.status == 200
            doc = await resp.json()
    [received] = recording_proxy.requests
    assert received.method == "GET"
    assert received.target == str(url)
    assert received.header("Host") == f"127.0.0.1:{http_server.port}"
    assert received.header("Proxy-Authorization") is None
    assert doc["path"] == "/echo" and doc["query_string"] == "x=1"


async def test_http_proxy_auth_and_headers_reach_the_proxy_only(
    http_server, recording_proxy
) -> None:
    recording_proxy.auth = ("pu", "pw")
    async with aiohttp.ClientSession() as session:
        async with session.get(
            http_server.make_url("/echo"),
            proxy=recording_proxy.url,
            proxy_auth=_make_basic_auth("pu", "pw"),
            proxy_headers={"X-Proxy-Token": "t1"},
        ) as resp:
            assert resp.status == 200
            doc = await resp.json()
    [received] = recording_proxy.requests
    assert received.header("Proxy-Authorization") == basic("pu", "pw")
    # aiohttp 3.14 drops proxy_headers for plain http; they belong on the request to the proxy.
    assert received.header("X-Proxy-Token") == "t1"
    assert "proxy-authorization" not in echo_headers(doc)


async def test_http_proxy_credentials_in_proxy_url(http_server, recording_proxy) -> None:
    recording_proxy.auth = ("us er", "p@ss")
    proxy = recording_proxy.url.with_user("us er").with_password("p@ss")
    async with aiohttp.ClientSession() as session:
        async with session.get(http_server.make_url("/hello"), proxy=proxy) as resp:
            assert resp.status == 200
            assert await resp.text() == "Hello, world"
    assert recording_proxy.requests[0].header("Proxy-Authorization") == basic("us er", "p@ss")


async def test_http_proxy_authorization_in_proxy_headers(http_server, recording_proxy) -> None:
    """aiohttp 3.14's suggested replacement for the deprecated proxy_auth."""
    recording_proxy.auth = ("a", "b")
    async with aiohttp.ClientSession() as session:
        headers = {"Proxy-Authorization": basic("a", "b")}
        async with session.get(
            http_server.make_url("/hello"), proxy=recording_proxy.url, proxy_headers=headers
        ) as resp:
            assert resp.status == 200
            await resp.read()


async def test_http_proxy_407_is_a_response(http_server, recording_proxy) -> None:
    """Without a tunnel the proxy's 407 is the answer to the request itself (as aiohttp)."""
    recording_proxy.auth = ("a", "b")
    async with aiohttp.ClientSession() as session:
        async with session.get(http_server.make_url("/hello"), proxy=recording_proxy.url) as resp:
            assert resp.status == 407
            assert resp.headers["Proxy-Authenticate"] == 'Basic realm="proxy"'


async def test_session_proxy_default(http_server, recording_proxy) -> None:
    async with aiohttp.ClientSession(
        proxy=str(recording_proxy.url), proxy_auth=_make_basic_auth("s", "t")
    ) as session:
        async with session.get(http_server.make_url("/hello")) as resp:
            assert resp.status == 200
            await resp.read()
    assert recording_proxy.requests[0].header("Proxy-Authorization") == basic("s", "t")


async def test_proxy_auth_kept_on_redirect_through_plain_http_proxy(
    http_server, recording_proxy
) -> None:
    recording_proxy.auth = ("pu", "pw")
    url = http_server.make_url("/redirect/2")
    async with aiohttp.ClientSession() as session:
        async with session.get(
            url, proxy=recording_proxy.url, proxy_auth=_make_basic_auth("pu", "pw")
        ) as resp:
            assert resp.status == 200
            assert len(resp.history) == 2
            await resp.read()
    assert len(recording_proxy.requests) == 3
    expected = basic("pu", "pw")
    assert all(r.header("Proxy-Authorization") == expected for r in recording_proxy.requests)
    assert all(r.header("Proxy-Authorization") is None for r in recording_proxy.forwarded)


# -------------------------------------------------------------------------------- CONNECT


async def test_https_through_connect_tunnel(https_server, recording_proxy, client_ssl_ctx) -> None:
    recording_proxy.auth = ("pu", "pw")
    async with aiohttp.ClientSession() as session:
        async with session.get(
            https_server.make_url("/echo"),
            proxy=recording_proxy.url,
            proxy_auth=_make_basic_auth("pu", "pw"),
            proxy_headers={"X-Proxy-Token": "t2"},
            headers={"X-Origin": "o"},
            ssl=client_ssl_ctx,
        ) as resp:
            assert resp.status == 200
            doc = await resp.json()
    [connect] = recording_proxy.requests
    assert connect.method == "CONNECT"
    assert connect.target == f"127.0.0.1:{https_server.port}"
    assert connect.header("Host") == f"127.0.0.1:{https_server.port}"
    assert connect.header("Proxy-Authorization") == basic("pu", "pw")
    assert connect.header("X-Proxy-Token") == "t2"
    assert connect.header("X-Origin") is None  # request headers stay inside the tunnel
    inside = echo_headers(doc)
    assert "proxy-authorization" not in inside
    assert "x-proxy-token" not in inside
    assert inside["x-origin"] == "o"
    assert doc["raw_path"] == "/echo"  # origin-form inside the tunnel


async def test_proxy_authorization_request_header_never_enters_tunnel(
    https_server, recording_proxy, client_ssl_ctx
) -> None:
    recording_proxy.auth = ("x", "y")
    async with aiohttp.ClientSession() as session:
        async with session.get(
            https_server.make_url("/echo"),
            proxy=recording_proxy.url,
            headers={"Proxy-Authorization": basic("x", "y")},
            ssl=client_ssl_ctx,
        ) as resp:
            assert resp.status == 200
            doc = await resp.json()
    assert recording_proxy.requests[0].header("Proxy-Authorization") == basic("x", "y")
    assert "proxy-authorization" not in echo_headers(doc)


async def test_connect_refused_raises_http_proxy_error(
    https_server, recording_proxy, client_ssl_ctx
) -> None:
    recording_proxy.auth = ("a", "b")
    connector = aiohttp.TCPConnector()
    async with aiohttp.ClientSession(connector=connector) as session:
        with pytest.raises(aiohttp.ClientHttpProxyError) as info:
            await session.get(
                https_server.make_url("/hello"), proxy=recording_proxy.url, ssl=client_ssl_ctx
            )
        assert info.value.status == 407
        assert info.value.request_info.method == "CONNECT"
        assert info.value.headers["Proxy-Authenticate"] == 'Basic realm="proxy"'
        assert not connector._idle and not connector._acquired


async def test_connect_to_forbidden_origin_is_proxy_error(recording_proxy) -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientHttpProxyError) as info:
            await session.get("https://example.invalid/", proxy=recording_proxy.url)
        assert info.value.status == 403
    assert recording_proxy.requests[0].target == "example.invalid:443"


async def test_sock_read_covers_the_proxys_connect_answer(raw_server) -> None:
    async def silent_proxy(reader, writer) -> None:
        await reader.readuntil(b"\r\n\r\n")  # the CONNECT, then nothing
        await drain_until_eof(reader)

    proxy = await raw_server(silent_proxy)
    timeout = aiohttp.ClientTimeout(total=None, sock_read=0.2)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        async with asyncio.timeout(10):  # bounds the test if sock_read never fires
            with pytest.raises(aiohttp.SocketTimeoutError):
                await session.get("https://example.invalid/", proxy=proxy.url)


async def test_tls_verification_inside_the_tunnel(https_server, recording_proxy) -> None:
    """Without the test CA the origin's certificate is refused, as with a direct connection."""
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientConnectorCertificateError):
            await session.get(https_server.make_url("/hello"), proxy=recording_proxy.url)


async def test_unreachable_proxy(http_server, https_server) -> None:
    proxy = URL.build(scheme="http", host="127.0.0.1", port=free_port())
    async with aiohttp.ClientSession() as session:
        for origin in (http_server, https_server):
            with pytest.raises(aiohttp.ClientProxyConnectionError) as info:
                await session.get(origin.make_url("/hello"), proxy=proxy)
            assert info.value.port == proxy.port  # the error names the proxy


async def test_tunnel_is_pooled_and_apart_from_direct(
    https_server, recording_proxy, client_ssl_ctx
) -> None:
    connector = aiohttp.TCPConnector(ssl=client_ssl_ctx)
    async with aiohttp.ClientSession(connector=connector) as session:
        for _ in range(3):
            async with session.get(
                https_server.make_url("/hello"), proxy=recording_proxy.url
            ) as resp:
                assert await resp.text() == "Hello, world"
        assert len(recording_proxy.requests) == 1  # one CONNECT, the tunnel kept alive
        async with session.get(https_server.make_url("/hello")) as resp:
            assert resp.status == 200
            await resp.read()
        assert len(recording_proxy.requests) == 1  # direct request did not use the tunnel
        async with session.get(
            https_server.make_url("/hello"),
            proxy=recording_proxy.url,
            proxy_headers={"X-Other": "1"},
        ) as resp:
            await resp.read()
        assert len(recording_proxy.requests) == 2  # other proxy headers: another tunnel
        assert len(connector._idle) == 3


async def test_post_body_through_tunnel(https_server, recording_proxy, client_ssl_ctx) -> None:
    opened = SocketLog()
    connector = aiohttp.TCPConnector(socket_factory=opened)
    async with aiohttp.ClientSession(connector=connector) as session:
        async with session.post(
            https_server.make_url("/echo"),
            data=b"x" * 200_000,
            proxy=recording_proxy.url,
            ssl=client_ssl_ctx,
        ) as resp:
            doc = await resp.json()
    assert doc["body_length"] == 200_000
    assert opened.targets == [("127.0.0.1", recording_proxy.port)]  # the only connection
    assert [(r.method, r.target) for r in recording_proxy.requests] == [
        ("CONNECT", f"127.0.0.1:{https_server.port}")
    ]


# ----------------------------------------------------------------------------------- pproxy


async def test_pproxy_http_and_https(
    http_server, https_server, proxy_server, client_ssl_ctx
) -> None:
    opened = SocketLog()
    connector = aiohttp.TCPConnector(socket_factory=opened)
    async with aiohttp.ClientSession(connector=connector) as session:
        async with session.get(http_server.make_url("/hello"), proxy=proxy_server.url) as resp:
            assert await resp.text() == "Hello, world"
        origins = [http_server.port]
        for _ in range(2):
            async with session.get(
                https_server.make_url("/json"), proxy=proxy_server.url, ssl=client_ssl_ctx
            ) as resp:
                assert resp.status == 200
                assert isinstance(await resp.json(), dict)
        origins.append(https_server.port)  # the second https request reuses the tunnel
    # Every connection went to pproxy, and pproxy logged relaying each one to its origin.
    assert opened.targets == [("127.0.0.1", proxy_server.port)] * 2
    relayed = {
        f"http 127.0.0.1:{local} -> 127.0.0.1:{origin}"
        for (local, _), origin in zip(opened.attempts, origins, strict=True)
    }
    await poll_until(
        lambda: relayed <= set(proxy_server.log_lines()), f"pproxy to log {sorted(relayed)}"
    )


# ------------------------------------------------------------------------------ trust_env


async def test_trust_env_http_proxy(http_server, recording_proxy, clean_env) -> None:
    proxy = recording_proxy.url.with_user("e").with_password("f")
    clean_env.setenv("HTTP_PROXY", str(proxy))
    async with aiohttp.ClientSession(trust_env=True) as session:
        async with session.get(http_server.make_url("/hello")) as resp:
            assert resp.status == 200
            await resp.read()
    [received] = recording_proxy.requests
    assert received.target == str(http_server.make_url("/hello"))
    assert received.header("Proxy-Authorization") == basic("e", "f")


async def test_trust_env_https_proxy(
    https_server, recording_proxy, clean_env, client_ssl_ctx
) -> None:
    clean_env.setenv("https_proxy", str(recording_proxy.url))
    async with aiohttp.ClientSession(trust_env=True) as session:
        async with session.get(https_server.make_url("/hello"), ssl=client_ssl_ctx) as resp:
            assert resp.status == 200
            await resp.read()
    assert recording_proxy.requests[0].method == "CONNECT"


async def test_trust_env_off_and_no_proxy(http_server, recording_proxy, clean_env) -> None:
    clean_env.setenv("HTTP_PROXY", str(recording_proxy.url))
    async with aiohttp.ClientSession() as session:  # trust_env defaults to False
        async with session.get(http_server.make_url("/hello")) as resp:
            await resp.read()
    clean_env.setenv("NO_PROXY", "127.0.0.1")
    async with aiohttp.ClientSession(trust_env=True) as session:
        async with session.get(http_server.make_url("/hello")) as resp:
            await resp.read()
    assert recording_proxy.requests == []


async def test_trust_env_netrc(http_server, clean_env, tmp_path: Path) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login nu password np\n")
    os.chmod(netrc, 0o600)
    clean_env.setenv("NETRC", str(netrc))
    url = http_server.make_url("/basic-auth/nu/np")
    async with aiohttp.ClientSession(trust_env=True) as session:
        async with session.get(url) as resp:
            assert resp.status == 200
            assert (await resp.json())["user"] == "nu"
        # An explicit Authorization header wins over .netrc.
        async with session.get(url, headers={"Authorization": basic("nu", "bad")}) as resp:
            assert resp.status == 401
    async with aiohttp.ClientSession() as session:  # not without trust_env
        async with session.get(url) as resp:
            assert resp.status == 401
