"""Cookies through a session against a real server: seeding, storing, sending, deleting.

The jar refuses cookies from IP-address hosts unless ``unsafe=True`` (as aiohttp's does), so
tests that store cookies from responses either use ``unsafe=True`` on 127.0.0.1 or talk to
``localhost``.
"""

from __future__ import annotations

from http.cookies import Morsel, SimpleCookie

import pytest
from yarl import URL

import aiohttp_clone as aiohttp


def set_cookie_url(server, *values: str, host: str | None = None) -> URL:
    url = server.make_url("/response-headers").with_query([("Set-Cookie", v) for v in values])
    return url.with_host(host) if host else url


async def sent_cookies(session: aiohttp.ClientSession, url: URL, **kwargs) -> dict[str, str]:
    async with session.get(url, **kwargs) as resp:
        return await resp.json()


async def test_session_cookies_are_sent(http_server) -> None:
    async with aiohttp.ClientSession(cookies={"a": "1", "b": "two"}) as session:
        assert await sent_cookies(session, http_server.make_url("/cookies")) == {
            "a": "1",
            "b": "two",
        }


async def test_request_cookies_merge_and_win(http_server) -> None:
    async with aiohttp.ClientSession(cookies={"a": "1", "b": "2"}) as session:
        got = await sent_cookies(
            session, http_server.make_url("/cookies"), cookies={"b": "override", "c": "3"}
        )
        assert got == {"a": "1", "b": "override", "c": "3"}
        # Per-request cookies are not stored in the session's jar.
        assert await sent_cookies(session, http_server.make_url("/cookies")) == {
            "a": "1",
            "b": "2",
        }


async def test_set_cookie_stored_and_sent_back(http_server) -> None:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        async with session.get(http_server.make_url("/cookies/set").with_query(k="v")) as resp:
            assert resp.cookies["k"].value == "v"
        assert await sent_cookies(session, http_server.make_url("/cookies")) == {"k": "v"}
        assert len(session.cookie_jar) == 1


async def test_ip_host_cookies_refused_by_default(http_server) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(http_server.make_url("/cookies/set").with_query(k="v")) as resp:
            assert resp.cookies["k"].value == "v"  # the response still shows what was set
        assert len(session.cookie_jar) == 0


async def test_cookie_set_by_redirect_response(raw_server) -> None:
    """The Set-Cookie on a 302 is stored before the next hop is sent, which carries it."""
    from tests.servers import read_request

    async def handler(reader, writer) -> None:
        for _ in range(2):
            head, _ = await read_request(reader)
            if not head:
                return
            if head.startswith(b"GET /start "):
                writer.write(
                    b"HTTP/1.1 302 Found\r\nLocation: /next\r\n"
                    b"Set-Cookie: from_redirect=yes; Path=/\r\nContent-Length: 0\r\n\r\n"
                )
            else:
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            await writer.drain()

    server = await raw_server(handler)
    url = server.make_url("/start").with_host("localhost")
    async with aiohttp.ClientSession() as session:
        async with session.get(url) as resp:
            assert resp.status == 200
            assert resp.history[0].cookies["from_redirect"].value == "yes"
    second = server.requests[1]
    assert b"\r\nCookie: from_redirect=yes\r\n" in second


async def test_expires_in_1970_deletes(http_server) -> None:
    """aiohttp 3.14 keeps a cookie whose Expires is in 1970; RFC 6265 says delete it."""
    async with aiohttp.ClientSession() as session:
        setter = set_cookie_url(http_server, "gone=1; Path=/", "stay=1; Path=/", host="localhost")
        async with session.get(setter) as resp:
            await resp.read()
        deleter = set_cookie_url(
            http_server, "gone=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT", host="localhost"
        )
        async with session.get(deleter) as resp:
            await resp.read()
        local = http_server.make_url("/cookies").with_host("localhost")
        assert await sent_cookies(session, local) == {"stay": "1"}
        eraser = set_cookie_url(http_server, "stay=1; Max-Age=0; Path=/", host="localhost")
        async with session.get(eraser) as resp:
            await resp.read()
        assert len(session.cookie_jar) == 0


async def test_domain_and_path_rules(http_server) -> None:
    async with aiohttp.ClientSession() as session:
        setter = set_cookie_url(
            http_server, "root=1; Path=/", "deep=2; Path=/echo", host="localhost"
        )
        async with session.get(setter) as resp:
            await resp.read()
        local = http_server.make_url("/cookies").with_host("localhost")
        assert await sent_cookies(session, local) == {"root": "1"}
        async with session.get(http_server.make_url("/echo/x").with_host("localhost")) as resp:
            headers = {k.lower(): v for k, v in (await resp.json())["headers"]}
        assert sorted(headers["cookie"].split("; ")) == ["deep=2", "root=1"]
        # Host-only cookies of localhost do not go to 127.0.0.1.
        assert await sent_cookies(session, http_server.make_url("/cookies")) == {}


async def test_secure_cookie_over_https(https_server, client_ssl_ctx) -> None:
    async with aiohttp.ClientSession() as session:
        setter = set_cookie_url(https_server, "s=1; Secure; HttpOnly; Path=/", host="localhost")
        async with session.get(setter, ssl=client_ssl_ctx) as resp:
            morsel = resp.cookies["s"]
            assert morsel["secure"] is True and morsel["httponly"] is True
        local = https_server.make_url("/cookies").with_host("localhost")
        assert await sent_cookies(session, local, ssl=client_ssl_ctx) == {"s": "1"}


async def test_response_cookies_use_rfc6265_parser(http_server) -> None:
    """SimpleCookie.load drops the whole header over an unknown attribute; the jar's
    parser skips the attribute and keeps the cookie."""
    url = set_cookie_url(
        http_server, "a=1; Path=/; Priority=High", 'b="quoted value"; Max-Age=60', "bad"
    )
    async with aiohttp.ClientSession() as session:
        async with session.get(url) as resp:
            cookies = resp.cookies
    assert isinstance(cookies, SimpleCookie)
    assert isinstance(cookies["a"], Morsel)
    assert cookies["a"].value == "1" and cookies["a"]["path"] == "/"
    assert cookies["b"].value == "quoted value"
    assert cookies["b"]["max-age"] == "60"
    assert set(cookies) == {"a", "b"}


async def test_dummy_cookie_jar_stores_nothing(http_server) -> None:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session:
        setter = set_cookie_url(http_server, "x=1; Path=/", host="localhost")
        async with session.get(setter) as resp:
            await resp.read()
        local = http_server.make_url("/cookies").with_host("localhost")
        assert await sent_cookies(session, local) == {}


@pytest.mark.parametrize("explicit", [True, False])
async def test_explicit_cookie_header_wins(http_server, explicit: bool) -> None:
    async with aiohttp.ClientSession(cookies={"jar": "1"}) as session:
        headers = {"Cookie": "manual=2"} if explicit else None
        got = await sent_cookies(session, http_server.make_url("/cookies"), headers=headers)
    assert got == ({"manual": "2"} if explicit else {"jar": "1"})


# (value given to update_cookies, Cookie header aiohttp sends) with the default quote_cookie=True.
WIRE_COOKIES = [
    ('"x"', b'Cookie: q="\\"x\\""'),
    ("a\\b", b'Cookie: q="a\\\\b"'),
    ('a"b', b'Cookie: q="a\\"b"'),
    ("a b", b'Cookie: q="a b"'),
    ("a;b", b'Cookie: q="a\\073b"'),
    ('{"k": 1}', b'Cookie: q="{\\"k\\": 1}"'),
    ("plain", b"Cookie: q=plain"),
]


@pytest.mark.parametrize(("value", "line"), WIRE_COOKIES)
async def test_quoted_cookie_values_on_the_wire(raw_server, value: str, line: bytes) -> None:
    """A value that contains (or is wrapped in) quotes is escaped, never taken as pre-quoted."""
    from tests.servers import respond_with

    server = await raw_server(respond_with(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
    async with aiohttp.ClientSession() as session:
        session.cookie_jar.update_cookies({"q": value})
        async with session.get(server.make_url("/")) as resp:
            assert resp.status == 200
    assert f"\r\n{line.decode()}\r\n".encode() in server.requests[0]
    # What a server's cookie parser reads back is the value the client was given.
    sent = line.split(b": ", 1)[1].decode()
    assert SimpleCookie(sent)["q"].value == value


async def test_secure_cookie_from_https_localhost_is_not_sent_to_http_localhost(
    https_server, http_server, client_ssl_ctx
) -> None:
    """Issue 13 #23: neither localhost nor 127.0.0.1 is a secure origin unless listed."""
    async with aiohttp.ClientSession() as session:
        setter = set_cookie_url(
            https_server, "s=1; Secure; Path=/", "p=1; Path=/", host="localhost"
        )
        async with session.get(setter, ssl=client_ssl_ctx) as resp:
            await resp.read()
        plain = http_server.make_url("/cookies").with_host("localhost")
        assert await sent_cookies(session, plain) == {"p": "1"}
        secure = https_server.make_url("/cookies").with_host("localhost")
        assert await sent_cookies(session, secure, ssl=client_ssl_ctx) == {"s": "1", "p": "1"}
    origin = str(http_server.make_url("/").with_host("localhost").origin())
    jar = aiohttp.CookieJar(treat_as_secure_origin=origin)
    async with aiohttp.ClientSession(cookie_jar=jar) as session:
        async with session.get(setter, ssl=client_ssl_ctx) as resp:
            await resp.read()
        assert await sent_cookies(session, plain) == {"s": "1", "p": "1"}


async def test_cookie_header_line_is_capped_on_the_wire(raw_server) -> None:
    """Issue 13 #24: at most 8190 bytes for the Cookie line; the most recent cookies win."""
    from tests.servers import respond_with

    server = await raw_server(respond_with(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
    async with aiohttp.ClientSession() as session:
        for i in range(20):
            session.cookie_jar.update_cookies({f"c{i:02}": "x" * 1000})
        async with session.get(server.make_url("/")) as resp:
            assert resp.status == 200
    (line,) = [ln for ln in server.requests[0].split(b"\r\n") if ln.startswith(b"Cookie: ")]
    assert len(line) <= 8190
    assert [p.split(b"=")[0] for p in line[8:].split(b"; ")] == [
        f"c{i:02}".encode() for i in range(12, 20)
    ]


async def test_at_most_50_cookies_are_stored_from_one_response(http_server) -> None:
    url = set_cookie_url(http_server, *(f"c{i}={i}" for i in range(60)), host="localhost")
    async with aiohttp.ClientSession() as session:
        async with session.get(url) as resp:
            await resp.read()
        assert len(session.cookie_jar) == 50


async def test_session_cookie_with_crlf_raises_the_public_error() -> None:
    """Issue 13 #27: InvalidCookieError (a ValueError) instead of a private class."""
    with pytest.raises(aiohttp.InvalidCookieError):
        async with aiohttp.ClientSession(cookies={"a": "x\r\nSet-Cookie: evil=1"}):
            pass
