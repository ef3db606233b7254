"""What leaves the client is what the caller meant: no injected lines, no leaked secrets.

Control characters (CR, LF, NUL and the rest, HTAB aside where a field value allows it) in any
field of a request are refused with ``ValueError`` before a byte is written; credentials do not
follow a redirect to another origin, nor appear in exception messages or logs.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import socket

import pytest
from yarl import URL

import aiohttp_clone as aiohttp
from aiohttp_clone.payload import BytesPayload, JsonPayload
from tests.servers import OK, read_request

CONTROL_CHARS = ["\r\n", "\n", "\r", "\x00", "\x01", "\x1f", "\x7f"]
CONTROL_IDS = ["crlf", "lf", "cr", "nul", "soh", "us", "del"]


class Sink:
    """A server that records every byte it receives and answers nothing."""

    def __init__(self) -> None:
        self.received = bytearray()
        self.finished = 0
        self.server = None

    async def handler(self, reader, writer) -> None:
        try:
            while data := await reader.read(65536):
                self.received += data
        except ConnectionError:
            pass
        finally:
            self.finished += 1

    async def assert_nothing_received(self) -> None:
        """Once every connection made to it is closed, no byte must have arrived."""
        for _ in range(200):
            if self.finished >= self.server.connections:
                break
            await asyncio.sleep(0.005)
        assert self.finished >= self.server.connections
        assert bytes(self.received) == b""


@pytest.fixture
async def sink(raw_server) -> Sink:
    sink = Sink()
    sink.server = await raw_server(sink.handler)
    return sink


async def refused(sink: Sink, session_kwargs: dict | None = None, **request) -> ValueError:
    """Make the request; it must raise ValueError and the sink must have received nothing."""
    method = request.pop("method", "GET")
    url = request.pop("url", sink.server.make_url("/"))
    async with aiohttp.ClientSession(**(session_kwargs or {})) as session:
        with pytest.raises(ValueError) as info:
            await session.request(method, url, **request)
        connector = session.connector
        assert connector is not None and not connector._acquired
    await sink.assert_nothing_received()
    return info.value


# -- method, URL -------------------------------------------------------------------------------


@pytest.mark.parametrize("char", CONTROL_CHARS, ids=CONTROL_IDS)
async def test_method(sink: Sink, char: str) -> None:
    await refused(sink, method=f"GET{char}X")


async def test_method_with_space(sink: Sink) -> None:
    await refused(sink, method="GET / HTTP/1.1\r\nX-Injected: 1\r\n\r\nGET")


@pytest.mark.parametrize("char", [*CONTROL_CHARS, " ", "\t"], ids=[*CONTROL_IDS, "sp", "tab"])
async def test_url_path_and_query_reach_the_wire_encoded(raw_server, char: str) -> None:
    """yarl strips or percent-encodes these; whatever it does, no raw one reaches the wire."""
    server = await raw_server(_answer_each)
    async with aiohttp.ClientSession() as session:
        for url in (
            server.make_url(f"/a{char}X-Injected:{char}1"),
            server.make_url("/q").with_query({"v": f"a{char}X-Injected: 1"}),
        ):
            async with session.get(url, params={"p": f"b{char}c"}) as resp:
                assert await resp.read() == b"ok"
    for head in server.requests:
        request_line, _, rest = head.partition(b"\r\n")
        method, target, version = request_line.split(b" ")
        assert (method, version) == (b"GET", b"HTTP/1.1")
        assert all(0x20 < byte < 0x7F for byte in target), target
        assert b"X-Injected" not in rest


async def _answer_each(reader, writer) -> None:
    while True:
        head, _ = await read_request(reader)
        if not head:
            return
        writer.write(OK)
        await writer.drain()


@pytest.mark.parametrize("char", [" ", "\x00", "\x01", "\x7f"], ids=["sp", "nul", "soh", "del"])
@pytest.mark.parametrize("part", ["path", "query"])
async def test_preencoded_url_with_raw_characters(sink: Sink, part: str, char: str) -> None:
    """``encoded=True`` tells yarl not to touch the URL: the writer must refuse it."""
    base = sink.server.url
    raw = f"{base}/a{char}b" if part == "path" else f"{base}/a?q=1{char}2"
    await refused(sink, url=URL(raw, encoded=True))


# -- headers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("char", [*CONTROL_CHARS, " ", ":"], ids=[*CONTROL_IDS, "sp", "colon"])
async def test_header_name(sink: Sink, char: str) -> None:
    await refused(sink, headers={f"X-A{char}B": "v"})


@pytest.mark.parametrize("char", CONTROL_CHARS, ids=CONTROL_IDS)
async def test_header_value(sink: Sink, char: str) -> None:
    await refused(sink, headers={"X-A": f"v{char}X-Injected: 1"})


@pytest.mark.parametrize("char", CONTROL_CHARS, ids=CONTROL_IDS)
async def test_session_header_value(sink: Sink, char: str) -> None:
    await refused(sink, session_kwargs={"headers": {"X-A": f"v{char}X-Injected: 1"}})


async def test_header_value_may_hold_a_tab(raw_server) -> None:
    server = await raw_server(_answer_each)
    async with aiohttp.ClientSession() as session:
        async with session.get(server.make_url("/"), headers={"X-A": "a\tb"}) as resp:
            await resp.read()
    assert b"\r\nX-A: a\tb\r\n" in server.requests[0]


# -- cookies -------------------------------------------------------------------------------------


@pytest.mark.parametrize("char", CONTROL_CHARS, ids=CONTROL_IDS)
async def test_request_cookie_value(sink: Sink, char: str) -> None:
    await refused(sink, cookies={"a": f"b{char}X-Injected: 1"})


@pytest.mark.parametrize("char", CONTROL_CHARS, ids=CONTROL_IDS)
async def test_request_cookie_name(sink: Sink, char: str) -> None:
    await refused(sink, cookies={f"a{char}b": "v"})


@pytest.mark.parametrize("char", CONTROL_CHARS, ids=CONTROL_IDS)
async def test_session_cookie_value(char: str) -> None:
    with pytest.raises(ValueError):
        aiohttp.ClientSession(cookies={"a": f"b{char}X-Injected: 1"})
    jar = aiohttp.CookieJar()
    with pytest.raises(ValueError):
        jar.update_cookies({"a": f"b{char}c"})


# -- bodies: multipart parts, content types ----------------------------------------------------


@pytest.mark.parametrize("char", CONTROL_CHARS, ids=CONTROL_IDS)
@pytest.mark.parametrize("field", ["name", "filename", "content_type"])
def test_form_data_part_fields(field: str, char: str) -> None:
    kwargs = {"name": "f", "value": b"data", "filename": "f.bin"}
    kwargs[field] = f"x{char}X-Injected: 1"
    with pytest.raises(ValueError):
        aiohttp.FormData().add_field(**kwargs)


@pytest.mark.parametrize("char", CONTROL_CHARS, ids=CONTROL_IDS)
def test_multipart_part_headers(char: str) -> None:
    writer = aiohttp.MultipartWriter("form-data")
    with pytest.raises(ValueError):
        writer.append(b"data", headers={"X-Part": f"v{char}X-Injected: 1"})
    with pytest.raises(ValueError):
        writer.append(b"data", headers={f"X-Part{char}": "v"})


@pytest.mark.parametrize("char", CONTROL_CHARS, ids=CONTROL_IDS)
async def test_payload_content_type(sink: Sink, char: str) -> None:
    content_type = f"text/plain{char}X-Injected: 1"
    await refused(sink, method="POST", data=BytesPayload(b"x", content_type=content_type))


@pytest.mark.parametrize("char", CONTROL_CHARS, ids=CONTROL_IDS)
async def test_json_content_type(sink: Sink, char: str) -> None:
    content_type = f"application/json{char}X-Injected: 1"
    await refused(sink, method="POST", data=JsonPayload({"a": 1}, content_type=content_type))


@pytest.mark.parametrize("char", CONTROL_CHARS, ids=CONTROL_IDS)
async def test_content_type_header(sink: Sink, char: str) -> None:
    headers = {"Content-Type": f"text/plain{char}X-Injected: 1"}
    await refused(sink, method="POST", data=b"x", headers=headers)


# -- proxy headers -----------------------------------------------------------------------------


@pytest.mark.parametrize("char", CONTROL_CHARS, ids=CONTROL_IDS)
@pytest.mark.parametrize("scheme", ["http", "https"])
async def test_proxy_headers(sink: Sink, scheme: str, char: str) -> None:
    """Plain http puts them on the request to the proxy, https on the CONNECT: both refused."""
    await refused(
        sink,
        url=f"{scheme}://origin.test/",
        proxy=sink.server.url,
        proxy_headers={"X-Proxy": f"v{char}X-Injected: 1"},
    )


# -- credentials ---------------------------------------------------------------------------------


async def test_credentials_do_not_follow_a_redirect_to_another_origin(raw_server) -> None:
    landing = await raw_server(_answer_each)
    location = landing.make_url("/landing")

    async def redirect(reader, writer):
        await read_request(reader)
        writer.write(
            b"HTTP/1.1 302 Found\r\nLocation: %s\r\nContent-Length: 0\r\n\r\n"
            % str(location).encode()
        )
        await writer.drain()

    origin = await raw_server(redirect)
    url = origin.make_url("/start").with_user("user").with_password("secret")
    headers = {"Cookie": "sid=secret", "Proxy-Authorization": "Basic secret"}
    async with aiohttp.ClientSession() as session:
        async with session.get(url, headers=headers, cookies={"req": "secret"}) as resp:
            assert resp.status == 200
            assert resp.url == location
    (first,) = origin.requests
    assert b"\r\nAuthorization: Basic " in first
    assert b"sid=secret" in first
    (second,) = landing.requests
    assert b"secret" not in second
    lowered = second.lower()
    for name in (b"authorization", b"cookie", b"proxy-authorization"):
        assert b"\r\n" + name + b":" not in lowered


def closed_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


SECRET_FORMS = ("secret", base64.b64encode(b"user:secret").decode())


def assert_no_secret(exc: BaseException, caplog: pytest.LogCaptureFixture) -> None:
    texts = [str(exc), repr(exc), caplog.text]
    for text in texts:
        for secret in SECRET_FORMS:
            assert secret not in text, text


async def test_no_credentials_in_connector_error(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    url = f"http://user:secret@127.0.0.1:{closed_port()}/"
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientConnectorError) as info:
            await session.get(url)
    assert_no_secret(info.value, caplog)


async def test_no_credentials_in_response_error(
    raw_server, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    async def not_found(reader, writer):
        await read_request(reader)
        writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()

    server = await raw_server(not_found)
    url = server.make_url("/x?y=1").with_user("user").with_password("secret")
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientResponseError) as info:
            await session.get(url, raise_for_status=True)
        async with session.get(url) as resp:
            with pytest.raises(aiohttp.ClientResponseError) as info2:
                resp.raise_for_status()
    assert info.value.status == 404
    assert_no_secret(info.value, caplog)
    assert_no_secret(info2.value, caplog)
    assert "secret" not in str(info.value.request_info.url)


@pytest.mark.parametrize(
    "url",
    ["http://user:secret@[::1/", "http://user:secret@/path", "http://user:secret@host:99999/"],
)
async def test_no_credentials_in_invalid_url(url: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with aiohttp.ClientSession() as session:
        with pytest.raises((aiohttp.InvalidURL, ValueError)) as info:
            await session.get(url)
    assert_no_secret(info.value, caplog)
