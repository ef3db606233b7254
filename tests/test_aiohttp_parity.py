"""Behaviours a differential run against aiohttp 3.14.5 showed we did differently.

Each test pins what aiohttp does (observed side by side with the same script), or, where
aiohttp is unsafe, the safer behaviour we chose and why. Exact bytes come from a raw server.
"""

from __future__ import annotations

import asyncio
import pickle

import pytest

import aiohttp_clone as aiohttp
from tests.servers import OK, head_header, read_request, respond_keepalive, respond_with

# Where a wrong client would leave the server waiting for bytes, the test still ends.
BOUNDED = aiohttp.ClientTimeout(total=10)


async def test_content_length_smaller_than_the_body_cuts_it(raw_server) -> None:
    """The declared length is what the server reads: the rest must not become the next request."""
    server = await raw_server(respond_keepalive([OK, OK]))
    async with aiohttp.ClientSession(timeout=BOUNDED) as session:
        async with session.post(
            server.make_url("/a"), data=b"abcdef", headers={"Content-Length": "3"}
        ) as resp:
            assert await resp.read() == b"ok"
        async with session.post(server.make_url("/b"), data=b"xyz") as resp:
            assert await resp.read() == b"ok"
    assert server.bodies == [b"abc", b"xyz"]
    assert [head.split(b" ")[1] for head in server.requests] == [b"/a", b"/b"]
    assert server.connections == 1


@pytest.mark.parametrize("declared", ["9", "-1", "3x"])
async def test_content_length_the_body_cannot_fill_is_refused(raw_server, declared) -> None:
    server = await raw_server(respond_with(OK))
    async with aiohttp.ClientSession(timeout=BOUNDED) as session:
        with pytest.raises(ValueError, match="Content-Length"):
            await session.post(
                server.make_url("/"), data=b"abcdef", headers={"Content-Length": declared}
            )
    assert server.requests == []


async def test_streamed_body_is_cut_to_its_content_length(raw_server) -> None:
    async def pieces():
        yield b"abc"
        yield b"def"

    server = await raw_server(respond_keepalive([OK]))
    async with aiohttp.ClientSession(timeout=BOUNDED) as session:
        async with session.post(
            server.make_url("/"), data=pieces(), headers={"Content-Length": "4"}
        ) as resp:
            assert await resp.read() == b"ok"
    assert server.bodies == [b"abcd"]


@pytest.mark.parametrize(
    "where", ["request", "session", "url"],
)
async def test_authorization_header_and_auth_together_are_refused(raw_server, where) -> None:
    server = await raw_server(respond_with(OK))
    url = server.make_url("/")
    kwargs: dict[str, object] = {"headers": {"Authorization": "Bearer T"}}
    session_kwargs: dict[str, object] = {}
    if where == "request":
        kwargs["auth"] = aiohttp.BasicAuth("u", "p")
    elif where == "session":
        session_kwargs["auth"] = aiohttp.BasicAuth("u", "p")
    else:
        url = url.with_user("u").with_password("p")
    async with aiohttp.ClientSession(**session_kwargs) as session:
        with pytest.raises(ValueError, match="Cannot combine AUTHORIZATION header"):
            await session.get(url, **kwargs)
    assert server.requests == []


async def test_session_auth_stays_with_the_base_url_origin(raw_server) -> None:
    first = await raw_server(respond_with(OK))
    other = await raw_server(respond_with(OK))
    auth = aiohttp.BasicAuth("u", "p")
    async with aiohttp.ClientSession(str(first.url) + "/", auth=auth) as session:
        async with session.get("/in") as resp:
            assert resp.status == 200
        async with session.get(other.make_url("/out")) as resp:
            assert resp.status == 200
    assert head_header(first.requests[0], b"authorization") == auth.encode().encode()
    assert head_header(other.requests[0], b"authorization") is None


async def test_a_number_is_the_total_timeout_and_none_is_no_timeout(raw_server) -> None:
    async def answer_late(reader, writer):
        await read_request(reader)
        await asyncio.sleep(0.5)
        writer.write(OK)
        await writer.drain()

    server = await raw_server(answer_late)
    async with aiohttp.ClientSession() as session:
        with pytest.raises(asyncio.TimeoutError):
            await session.get(server.make_url("/"), timeout=0.05)
    timeout = aiohttp.ClientTimeout(total=0.05)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        async with session.get(server.make_url("/"), timeout=None) as resp:
            assert await resp.read() == b"ok"


async def test_skipping_content_type_and_never_host(raw_server) -> None:
    server = await raw_server(respond_keepalive([OK, OK]))
    async with aiohttp.ClientSession(skip_auto_headers=["Host"]) as session:
        async with session.post(
            server.make_url("/"), data=b"x", skip_auto_headers=["Content-Type"]
        ) as resp:
            await resp.read()
        async with session.post(server.make_url("/"), json={"a": 1}) as resp:
            await resp.read()
    skipped, default = server.requests
    assert head_header(skipped, b"content-type") is None
    assert head_header(default, b"content-type") == b"application/json"
    assert head_header(skipped, b"host") == f"127.0.0.1:{server.port}".encode()


async def test_fragments_stay_in_real_url_only(raw_server) -> None:
    redirect = b"HTTP/1.1 302 Found\r\nLocation: /next#there\r\nContent-Length: 0\r\n\r\n"
    server = await raw_server(respond_keepalive([redirect, OK]))
    async with aiohttp.ClientSession() as session:
        async with session.get(server.make_url("/first#here")) as resp:
            assert resp.url == server.make_url("/next")
            assert resp.real_url == server.make_url("/next#there")
            (first,) = resp.history
            assert first.url == server.make_url("/first")
            assert first.real_url == server.make_url("/first#here")
    assert [head.split(b"\r\n")[0] for head in server.requests] == [
        b"GET /first HTTP/1.1",
        b"GET /next HTTP/1.1",
    ]


async def test_errors_from_a_malformed_head_carry_the_request_info(raw_server) -> None:
    server = await raw_server(respond_with(b"HTTP/1.1 2OO OK\r\n\r\n"))
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientResponseError) as info:
            await session.get(server.make_url("/path"))
    assert info.value.request_info is not None
    assert info.value.request_info.url == server.make_url("/path")
    assert str(server.make_url("/path")) in str(info.value)


def test_client_response_error_pickles() -> None:
    error = aiohttp.ClientResponseError(None, (), status=418, message="teapot")
    again = pickle.loads(pickle.dumps(error))
    assert (type(again), again.status, again.message) == (type(error), 418, "teapot")


@pytest.mark.parametrize("url", ["", "x", "/relative"])
async def test_relative_urls_are_invalid_urls(url: str) -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.InvalidUrlClientError):
            await session.get(url)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"data": 5}, "not a request body"),
        ({"auth": ("u", "p")}, "BasicAuth"),
        ({"headers": {"X-B": 3}}, "must be str"),
        ({"headers": {"X-B": b"x"}}, "must be str"),
    ],
)
async def test_wrong_argument_types_raise_type_error(raw_server, kwargs, message) -> None:
    server = await raw_server(respond_with(OK))
    async with aiohttp.ClientSession() as session:
        with pytest.raises(TypeError, match=message):
            await session.post(server.make_url("/"), **kwargs)
    assert server.requests == []


async def test_connection_header_follows_the_pool_and_the_version(raw_server) -> None:
    server = await raw_server(respond_keepalive([OK, OK]))
    connector = aiohttp.TCPConnector(force_close=True)
    async with aiohttp.ClientSession(connector=connector) as session:
        async with session.get(server.make_url("/")) as resp:
            await resp.read()
    async with aiohttp.request("GET", server.make_url("/")) as resp:
        await resp.read()
    async with aiohttp.ClientSession(version=aiohttp.HttpVersion10) as session:
        async with session.get(server.make_url("/")) as resp:
            await resp.read()
    assert [head_header(head, b"connection") for head in server.requests] == [
        b"close",
        b"close",
        b"keep-alive",
    ]


async def test_malformed_content_type_and_link_values(raw_server) -> None:
    server = await raw_server(
        respond_with(
            b"HTTP/1.1 200 OK\r\nContent-Type: weird\r\nLink: bogus, </a>; rel=next\r\n"
            b"Content-Length: 0\r\n\r\n"
        )
    )
    async with aiohttp.ClientSession() as session:
        async with session.get(server.make_url("/")) as resp:
            assert resp.content_type == "application/octet-stream"
            assert list(resp.links) == ["next"]


async def test_skip_auto_headers_may_be_a_generator(raw_server) -> None:
    """An Iterable[str] that can be walked only once still skips every field it names."""
    server = await raw_server(respond_with(OK))
    async with aiohttp.ClientSession() as session:
        skips = (name for name in ("User-Agent", "Content-Type"))
        async with session.post(server.make_url("/"), data=b"x", skip_auto_headers=skips) as resp:
            await resp.read()
    (head,) = server.requests
    assert head_header(head, b"user-agent") is None
    assert head_header(head, b"content-type") is None


async def test_session_and_request_skips_add_up(raw_server) -> None:
    server = await raw_server(respond_with(OK))
    async with aiohttp.ClientSession(skip_auto_headers=["content-type"]) as session:
        async with session.post(
            server.make_url("/"), data=b"x", skip_auto_headers=["User-Agent"]
        ) as resp:
            await resp.read()
    (head,) = server.requests
    assert head_header(head, b"content-type") is None
    assert head_header(head, b"user-agent") is None
    assert head_header(head, b"accept") == b"*/*"


async def test_payload_errors_chain_the_parser_error(raw_server) -> None:
    head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    server = await raw_server(respond_with([head + b"3\r\nabc\r\n", b"zz\r\n"]))
    async with aiohttp.ClientSession(timeout=BOUNDED) as session:
        async with session.get(server.make_url("/")) as resp:
            with pytest.raises(aiohttp.ClientPayloadError) as info:
                await resp.read()
    assert isinstance(info.value.__cause__, aiohttp.http_exceptions.TransferEncodingError)


async def test_request_class_constants_match_aiohttp_and_the_wire(raw_server) -> None:
    """ClientRequest's method groups are aiohttp's; DEFAULT_HEADERS is what a request sends."""
    request_class = aiohttp.ClientRequest
    get_methods, post_methods = request_class.GET_METHODS, request_class.POST_METHODS
    assert get_methods == {"GET", "HEAD", "OPTIONS", "TRACE"}
    assert post_methods == {"PATCH", "POST", "PUT"}
    all_methods = request_class.ALL_METHODS
    assert all_methods == get_methods | post_methods | {"DELETE"}
    server = await raw_server(respond_with(OK))
    async with aiohttp.ClientSession(timeout=BOUNDED) as session:
        async with session.get(server.make_url("/")) as resp:
            assert await resp.read() == b"ok"
    (head,) = server.requests
    for name, value in aiohttp.ClientRequest.DEFAULT_HEADERS.items():
        assert head_header(head, name.encode()) == value.encode()
