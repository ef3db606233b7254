"""Redirects: method and body rules, Location forms, limits, history, and what stays behind.

``/redirect-to?url=...&status=...`` on the test app answers with that Location; the other
origin used for cross-origin checks is ``localhost`` on the same server (a different host, so
a different origin, but still loopback).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from yarl import URL

import aiohttp_clone as aiohttp
from aiohttp_clone._values import make_basic_auth as _make_basic_auth
from tests.servers import echo_headers


def redirect_to(server, target: str | URL, status: int = 302) -> URL:
    return server.make_url("/redirect-to").with_query(url=str(target), status=str(status))


def other_origin(server, path: str) -> URL:
    return server.make_url(path).with_host("localhost")


# -------------------------------------------------------------------------- method and body


@pytest.mark.parametrize("status", [301, 302, 303])
async def test_post_becomes_get_and_body_is_dropped(http_server, status: int) -> None:
    url = redirect_to(http_server, "/echo", status)
    async with aiohttp.ClientSession() as session:
        async with session.post(
            url, data=b"secret body", headers={"Content-Type": "text/plain", "X-Keep": "1"}
        ) as resp:
            doc = await resp.json()
            assert [r.status for r in resp.history] == [status]
    assert doc["method"] == "GET"
    assert doc["body_length"] == 0
    headers = echo_headers(doc)
    assert "content-type" not in headers
    assert "content-length" not in headers
    assert "transfer-encoding" not in headers
    assert headers["x-keep"] == "1"


async def test_303_keeps_head(http_server) -> None:
    async with aiohttp.ClientSession() as session:
        url = redirect_to(http_server, "/hello", 303)
        async with session.head(url, allow_redirects=True) as resp:
            assert resp.status == 200
            assert resp.method == "HEAD"


@pytest.mark.parametrize("status", [301, 302])
async def test_301_302_keep_put(http_server, status: int) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.put(redirect_to(http_server, "/echo", status), data=b"abc") as resp:
            doc = await resp.json()
    assert (doc["method"], doc["body"]) == ("PUT", "abc")


@pytest.mark.parametrize("status", [307, 308])
@pytest.mark.parametrize("kind", ["bytes", "json", "form", "file"])
async def test_307_308_keep_method_and_body(http_server, tmp_path, status: int, kind: str) -> None:
    url = redirect_to(http_server, "/echo", status)
    kwargs: dict = {
        "bytes": {"data": b"payload"},
        "json": {"json": {"a": 1}},
        "form": {"data": {"k": "v"}},
    }.get(kind, {})
    async with aiohttp.ClientSession() as session:
        if kind == "file":
            path = tmp_path / "body.bin"
            path.write_bytes(b"from a file")
            with path.open("rb") as fh:
                async with session.post(url, data=fh) as resp:
                    doc = await resp.json()
            expected = "from a file"
        else:
            async with session.post(url, **kwargs) as resp:
                doc = await resp.json()
            expected = {"bytes": "payload", "json": '{"a": 1}', "form": "k=v"}[kind]
    assert doc["method"] == "POST"
    assert doc["body"] == expected


async def test_307_with_one_shot_body_raises(http_server) -> None:
    async def gen() -> AsyncIterator[bytes]:
        yield b"once"

    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientPayloadError, match="can only be sent once"):
            await session.post(redirect_to(http_server, "/echo", 307), data=gen())
        # The same body without a redirect is fine.
        async with session.post(http_server.make_url("/echo"), data=gen()) as resp:
            assert (await resp.json())["body"] == "once"


# --------------------------------------------------------------------------- Location forms


@pytest.mark.parametrize(
    "location",
    ["echo?q=1", "/echo?q=1", "./echo?q=1", "http:/echo?q=1", "//127.0.0.1:{port}/echo?q=1"],
)
async def test_relative_and_scheme_relative_location(http_server, location: str) -> None:
    location = location.format(port=http_server.port)
    async with aiohttp.ClientSession() as session:
        async with session.get(redirect_to(http_server, location)) as resp:
            doc = await resp.json()
            assert resp.url == http_server.make_url("/echo").with_query(q="1")
    assert doc["raw_path"] == "/echo"


async def test_fragment_is_not_sent(http_server) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(redirect_to(http_server, "/echo#frag")) as resp:
            doc = await resp.json()
    assert doc["raw_path"] == "/echo"


@pytest.mark.parametrize("location", ["ftp://127.0.0.1/x", "javascript:alert(1)", "file:///etc"])
async def test_non_http_location_refused(http_server, location: str) -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.NonHttpUrlRedirectClientError):
            await session.get(redirect_to(http_server, location))


@pytest.mark.parametrize("location", ["http://[::1/x", "http://127.0.0.1:99999/", "http:///x"])
async def test_malformed_location_refused(http_server, location: str) -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.InvalidUrlRedirectClientError) as info:
            await session.get(redirect_to(http_server, location))
    assert isinstance(info.value, aiohttp.RedirectClientError)


@pytest.mark.parametrize(("requote", "raw_path"), [(True, "/echo/A"), (False, "/echo/%41")])
async def test_requote_redirect_url(http_server, requote: bool, raw_path: str) -> None:
    async with aiohttp.ClientSession(requote_redirect_url=requote) as session:
        async with session.get(redirect_to(http_server, "/echo/%41")) as resp:
            doc = await resp.json()
    assert doc["raw_path"] == raw_path


# --------------------------------------------------------------------- limits and history


@pytest.mark.parametrize("limit", [0, 1, 3])
async def test_max_redirects_follows_exactly_n(http_server, limit: int) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(
            http_server.make_url(f"/redirect/{limit}"), max_redirects=limit
        ) as resp:
            assert resp.status == 200
            assert len(resp.history) == limit
        with pytest.raises(aiohttp.TooManyRedirects) as info:
            await session.get(http_server.make_url(f"/redirect/{limit + 1}"), max_redirects=limit)
    history = info.value.history
    assert len(history) == limit + 1
    assert all(r.status == 302 and r.connection is None for r in history)
    assert info.value.request_info.url == http_server.make_url(f"/redirect/{limit + 1}")


async def test_allow_redirects_false(http_server) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(http_server.make_url("/redirect/2"), allow_redirects=False) as resp:
            assert resp.status == 302
            assert resp.headers["Location"] == "/redirect/1"
            assert resp.history == ()


async def test_history_is_a_tuple_of_released_responses(http_server) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(http_server.make_url("/redirect/3")) as resp:
            assert await resp.text() == "redirected"
            history = resp.history
    assert isinstance(history, tuple)
    assert [r.url.path for r in history] == ["/redirect/3", "/redirect/2", "/redirect/1"]
    assert all(r.status == 302 and r.connection is None and r.closed for r in history)
    assert resp.url.path == "/redirect/0"
    assert resp.real_url == resp.url


# ------------------------------------------------------------------ what stays with origin


async def test_credentials_not_sent_to_another_origin(http_server) -> None:
    secret = {
        "Authorization": "Bearer s3cret",
        "Cookie": "session=abc",
        "Proxy-Authorization": "Basic cHJveHk6cHc=",
        "X-Other": "kept",
    }
    async with aiohttp.ClientSession(headers={"X-Session": "kept"}) as session:
        url = redirect_to(http_server, other_origin(http_server, "/echo"))
        async with session.get(url, headers=secret, cookies={"percall": "1"}) as resp:
            doc = await resp.json()
        headers = echo_headers(doc)
        for name in ("authorization", "cookie", "proxy-authorization"):
            assert name not in headers
        assert headers["x-other"] == "kept" and headers["x-session"] == "kept"
        # Same origin: everything is kept.
        async with session.get(redirect_to(http_server, "/echo"), headers=secret) as resp:
            same = echo_headers(await resp.json())
        assert same["authorization"] == "Bearer s3cret"
        assert same["cookie"] == "session=abc"


async def test_session_level_credentials_not_sent_to_another_origin(http_server) -> None:
    """aiohttp 3.14 re-applies session ``auth=`` after a cross-origin redirect; we do not."""
    async with aiohttp.ClientSession(auth=_make_basic_auth("user", "pw")) as session:
        async with session.get(redirect_to(http_server, other_origin(http_server, "/echo"))) as r:
            assert "authorization" not in echo_headers(await r.json())
        async with session.get(redirect_to(http_server, "/echo")) as r:
            assert "authorization" in echo_headers(await r.json())
    session_headers = {"Authorization": "Bearer session-wide"}
    async with aiohttp.ClientSession(headers=session_headers) as session:
        async with session.get(redirect_to(http_server, other_origin(http_server, "/echo"))) as r:
            assert "authorization" not in echo_headers(await r.json())


async def test_basic_auth_through_same_origin_redirect(http_server) -> None:
    target = "/basic-auth/u/p"
    async with aiohttp.ClientSession() as session:
        async with session.get(
            redirect_to(http_server, target), auth=_make_basic_auth("u", "p")
        ) as resp:
            assert resp.status == 200
        url_with_creds = redirect_to(http_server, target).with_user("u").with_password("p")
        async with session.get(url_with_creds) as resp:
            assert resp.status == 200
    async with aiohttp.ClientSession(auth=_make_basic_auth("u", "p")) as session:
        async with session.get(redirect_to(http_server, target)) as resp:
            assert resp.status == 200
        # To another origin the credentials are dropped: the origin asks for them.
        async with session.get(redirect_to(http_server, other_origin(http_server, target))) as r:
            assert r.status == 401


async def test_credentials_in_location_are_used_not_sent_in_url(http_server) -> None:
    target = other_origin(http_server, "/basic-auth/v/w").with_user("v").with_password("w")
    async with aiohttp.ClientSession() as session:
        async with session.get(redirect_to(http_server, target)) as resp:
            assert resp.status == 200
            assert resp.url.user is None


async def test_https_to_http_redirect_drops_secure_cookies(
    http_server, https_server, client_ssl_ctx
) -> None:
    """Secure cookies stay on https. ``site.test`` resolves to loopback through a test
    resolver, since the jar (like aiohttp's) lets loopback http hosts have Secure cookies."""
    connector = aiohttp.TCPConnector(resolver=_LoopbackResolver(), ssl=client_ssl_ctx)
    secure_base = URL.build(scheme="https", host="site.test", port=https_server.port)
    plain_base = URL.build(scheme="http", host="site.test", port=http_server.port)
    async with aiohttp.ClientSession(connector=connector) as session:
        set_url = (secure_base / "response-headers").with_query(
            [("Set-Cookie", "sec=1; Secure; Path=/"), ("Set-Cookie", "plain=2; Path=/")]
        )
        async with session.get(set_url, server_hostname="localhost") as resp:
            assert resp.status == 200
        async with session.get(secure_base / "cookies", server_hostname="localhost") as resp:
            assert await resp.json() == {"sec": "1", "plain": "2"}
        hop = (secure_base / "redirect-to").with_query(url=str(plain_base / "cookies"))
        async with session.get(hop, server_hostname="localhost") as resp:
            assert resp.url.scheme == "http"
            assert await resp.json() == {"plain": "2"}


class _LoopbackResolver(aiohttp.abc.AbstractResolver):
    async def resolve(self, host: str, port: int = 0, family: int = 0) -> list:
        import socket

        return [
            {"hostname": host, "host": "127.0.0.1", "port": port, "family": socket.AF_INET,
             "proto": 0, "flags": socket.AI_NUMERICHOST}
        ]

    async def close(self) -> None:
        pass
