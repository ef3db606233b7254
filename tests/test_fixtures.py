"""Checks of the shared fixtures themselves, using the stdlib and the installed peers only."""

from __future__ import annotations

import asyncio
import base64
import gzip
import http.client
import json
import socket
import ssl
import urllib.error
import urllib.request
import zlib
from typing import Any

import brotli
import pytest
import zstandard
from yarl import URL

from tests import asgi_app
from tests.servers import (
    HOST,
    RawServer,
    ServerInfo,
    TLSCerts,
    read_request,
    read_request_head,
    respond_keepalive,
    respond_with,
)
from tests.socks import RecordingSocks


def fetch(
    url: URL | str, *, method: str = "GET", body: bytes | None = None, **headers: str
) -> tuple[int, http.client.HTTPMessage, bytes]:
    request = urllib.request.Request(str(url), data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        with err:
            return err.code, err.headers, err.read()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def fetch_no_redirect(url: URL) -> tuple[int, http.client.HTTPMessage]:
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(str(url), timeout=30) as resp:
            return resp.status, resp.headers
    except urllib.error.HTTPError as err:
        with err:
            return err.code, err.headers


# ------------------------------------------------------------------------------- http_server


def test_hello(http_server: ServerInfo) -> None:
    assert http_server.url.scheme == "http"
    assert http_server.url.host == "127.0.0.1"
    status, headers, body = fetch(http_server.make_url("/hello"))
    assert (status, body) == (200, b"Hello, world")
    assert headers["Content-Type"] == "text/plain; charset=utf-8"


def test_make_url_keeps_query(http_server: ServerInfo) -> None:
    url = http_server.make_url("echo?a=1&b=two")
    assert url.path == "/echo"
    assert url.query["b"] == "two"


def test_echo_reports_request(http_server: ServerInfo) -> None:
    url = http_server.make_url("/echo/sub%20path?x=1&y=%C3%A4")
    status, _, body = fetch(url, method="PUT", body=b"\xff\x00data", **{"X-Custom": "Yes"})
    data = json.loads(body)
    assert status == 200
    assert data["method"] == "PUT"
    assert data["path"] == "/echo/sub path"
    assert data["raw_path"] == "/echo/sub%20path"
    assert data["query_string"] == "x=1&y=%C3%A4"
    assert ["x-custom", "Yes"] in data["headers"]
    assert data["body"] == "\xff\x00data"
    assert data["body_length"] == 6


def test_echo_reads_chunked_upload(http_server: ServerInfo) -> None:
    conn = http.client.HTTPConnection(http_server.host, http_server.port, timeout=30)
    try:
        conn.request("POST", "/echo", body=iter([b"abc", b"", b"defg"]), encode_chunked=True)
        data = json.loads(conn.getresponse().read())
    finally:
        conn.close()
    assert data["body"] == "abcdefg"
    assert ["transfer-encoding", "chunked"] in data["headers"]


@pytest.mark.parametrize("code", [200, 201, 204, 304, 404, 418, 500, 503])
def test_status(http_server: ServerInfo, code: int) -> None:
    status, _, body = fetch(http_server.make_url(f"/status/{code}"))
    assert status == code
    assert body == (b"" if code in (204, 304) else f"status {code}".encode())


def test_many_headers(http_server: ServerInfo) -> None:
    _, headers, _ = fetch(http_server.make_url("/headers/40"))
    assert headers["X-Header-0"] == "value-0"
    assert headers["X-Header-39"] == "value-39"
    assert "X-Header-40" not in headers


def test_bytes_and_stream(http_server: ServerInfo) -> None:
    _, headers, body = fetch(http_server.make_url("/bytes/1000"))
    assert headers["Content-Length"] == "1000"
    assert body == asgi_app.byte_pattern(1000)
    assert body[:3] == b"\x00\x01\x02" and body[256] == 0
    conn = http.client.HTTPConnection(http_server.host, http_server.port, timeout=30)
    try:
        conn.request("GET", "/stream/100000?chunk=4096")
        resp = conn.getresponse()
        assert resp.getheader("Transfer-Encoding") == "chunked"
        assert resp.read() == asgi_app.byte_pattern(100000)
    finally:
        conn.close()


def test_json(http_server: ServerInfo) -> None:
    _, headers, body = fetch(http_server.make_url("/json"))
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"ok": True, "items": [1, 2, 3]}


DECODERS = {
    "gzip": gzip.decompress,
    "deflate": zlib.decompress,
    "br": brotli.decompress,
    "zstd": lambda data: zstandard.ZstdDecompressor().decompress(data),
    "gzip-br": lambda data: gzip.decompress(brotli.decompress(data)),
}


@pytest.mark.parametrize("route", sorted(DECODERS))
def test_compressed(http_server: ServerInfo, route: str) -> None:
    _, headers, body = fetch(http_server.make_url(f"/{route}"))
    assert headers["Content-Encoding"] == route.replace("-", ", ")
    assert 45_000 < len(asgi_app.big_json_bytes()) < 60_000
    assert DECODERS[route](body) == asgi_app.big_json_bytes()
    assert json.loads(DECODERS[route](body)) == asgi_app.big_json_document()


def test_redirects(http_server: ServerInfo) -> None:
    status, headers = fetch_no_redirect(http_server.make_url("/redirect/3"))
    assert (status, headers["Location"]) == (302, "/redirect/2")
    status, _, body = fetch(http_server.make_url("/redirect/3"))  # urllib follows
    assert (status, body) == (200, b"redirected")
    target = http_server.make_url("/hello")
    url = http_server.make_url("/redirect-to").with_query(url=str(target), status="307")
    status, headers = fetch_no_redirect(url)
    assert (status, headers["Location"]) == (307, str(target))


def test_cookies(http_server: ServerInfo) -> None:
    _, headers, _ = fetch(http_server.make_url("/cookies/set?a=1&b=two"))
    assert headers.get_all("Set-Cookie") == ["a=1; Path=/", "b=two; Path=/"]
    _, _, body = fetch(http_server.make_url("/cookies"), Cookie="a=1; b=two")
    assert json.loads(body) == {"a": "1", "b": "two"}


def test_delay_and_drip(http_server: ServerInfo) -> None:
    assert fetch(http_server.make_url("/delay/10"))[2] == b"done"
    _, headers, body = fetch(http_server.make_url("/drip?n=3&delay_ms=5"))
    assert (headers["Content-Length"], body) == ("3", b"***")


def test_basic_auth(http_server: ServerInfo) -> None:
    url = http_server.make_url("/basic-auth/user/pa%3Ass")
    status, headers, _ = fetch(url)
    assert status == 401
    assert headers["WWW-Authenticate"].startswith("Basic ")
    token = base64.b64encode(b"user:pa:ss").decode()
    status, _, body = fetch(url, Authorization=f"Basic {token}")
    assert status == 200
    assert json.loads(body) == {"authenticated": True, "user": "user"}


@pytest.mark.parametrize("charset", ["utf-8", "latin-1", "cp1252", "utf-16"])
def test_charset(http_server: ServerInfo, charset: str) -> None:
    _, headers, body = fetch(http_server.make_url(f"/charset/{charset}"))
    assert headers["Content-Type"] == f"text/plain; charset={charset}"
    assert body.decode(charset) == "héllo wörld"


def test_no_charset_and_content_type(http_server: ServerInfo) -> None:
    _, headers, body = fetch(http_server.make_url("/no-charset"))
    assert (headers["Content-Type"], body) == ("text/plain", "héllo wörld".encode())
    url = http_server.make_url("/content-type/text/html").with_query(body='{"a": 1}')
    _, headers, body = fetch(url)
    assert (headers["Content-Type"], body) == ("text/html", b'{"a": 1}')


def test_links_and_disposition(http_server: ServerInfo) -> None:
    _, headers, _ = fetch(http_server.make_url("/links"))
    assert 'rel="next"' in headers["Link"] and 'rel="last"' in headers["Link"]
    _, headers, _ = fetch(http_server.make_url("/disposition"))
    assert headers["Content-Disposition"] == asgi_app.DISPOSITION


def test_head_has_no_body(http_server: ServerInfo) -> None:
    conn = http.client.HTTPConnection(http_server.host, http_server.port, timeout=30)
    try:
        conn.request("HEAD", "/bytes/500")
        resp = conn.getresponse()
        assert (resp.status, resp.getheader("Content-Length"), resp.read()) == (200, "500", b"")
        conn.request("GET", "/hello")  # same connection: nothing was left over
        assert conn.getresponse().read() == b"Hello, world"
    finally:
        conn.close()


def test_unknown_route_is_404(http_server: ServerInfo) -> None:
    assert fetch(http_server.make_url("/nope"))[0] == 404


# ----------------------------------------------------------------------------------------- TLS


def test_https_server(https_server: ServerInfo, client_ssl_ctx: ssl.SSLContext) -> None:
    assert https_server.url.scheme == "https"
    conn = http.client.HTTPSConnection(
        https_server.host, https_server.port, context=client_ssl_ctx, timeout=30
    )
    try:
        conn.request("GET", "/hello")
        assert conn.getresponse().read() == b"Hello, world"
    finally:
        conn.close()


def test_https_rejected_without_ca(https_server: ServerInfo) -> None:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # trusts nothing
    conn = http.client.HTTPSConnection(https_server.host, https_server.port, context=ctx)
    try:
        with pytest.raises(ssl.SSLCertVerificationError):
            conn.request("GET", "/hello")
    finally:
        conn.close()


def test_tls_certs_files(tls_certs: TLSCerts) -> None:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(tls_certs.cert_file, tls_certs.key_file)
    ctx = ssl.create_default_context(cafile=tls_certs.ca_file)
    assert ctx.verify_mode == ssl.CERT_REQUIRED


# ---------------------------------------------------------------------------------- unix_server


def test_unix_server(unix_server: str) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(30)
        sock.connect(unix_server)
        sock.sendall(b"GET /hello HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    assert data.startswith(b"HTTP/1.1 200 ")
    assert data.endswith(b"\r\n\r\nHello, world")


# ----------------------------------------------------------------------------------- raw_server


async def raw_exchange(port: int, *requests: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for request in requests:
            writer.write(request)
        writer.write_eof()  # half-close: the server sees the end of what we send
        await writer.drain()
        return await asyncio.wait_for(reader.read(), 30)
    finally:
        writer.close()
        await writer.wait_closed()


async def test_raw_server_respond_with(raw_server: Any) -> None:
    response = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"
    server: RawServer = await raw_server(respond_with(response))
    assert server.url == URL(f"http://127.0.0.1:{server.port}")
    request = b"POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"
    assert await raw_exchange(server.port, request) == response
    assert server.requests == [b"POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\n"]
    assert server.bodies == [b"abc"]
    assert server.connections == 1
    assert server.errors == []


async def test_raw_server_accepts_big_heads(raw_server: Any) -> None:
    server = await raw_server(respond_with(b"HTTP/1.1 204 No Content\r\n\r\n"))
    request = b"GET / HTTP/1.1\r\nX-Big: " + b"a" * 100_000 + b"\r\n\r\n"
    assert await raw_exchange(server.port, request) == b"HTTP/1.1 204 No Content\r\n\r\n"
    assert server.requests == [request]


async def test_raw_server_keepalive(raw_server: Any) -> None:
    responses = [b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n%d" % i for i in range(3)]
    server = await raw_server(respond_keepalive(responses))
    chunked = b"POST /b HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
    requests = [b"GET /a HTTP/1.1\r\n\r\n", chunked, b"GET /c HTTP/1.1\r\n\r\n"]
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        for request, expected in zip(requests, responses, strict=True):
            writer.write(request)
            assert await reader.readexactly(len(expected)) == expected
    finally:
        writer.close()
        await writer.wait_closed()
    assert [r.split(b" ")[1] for r in server.requests] == [b"/a", b"/b", b"/c"]
    assert server.bodies == [b"", b"abc", b""]
    assert server.connections == 1


async def test_raw_server_custom_handler_and_open_connection(raw_server: Any) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await read_request_head(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(head) + head)
        await asyncio.sleep(3600)  # still open when the test ends: teardown must cancel it

    server = await raw_server(handler)
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    head = await reader.readuntil(b"\r\n\r\n")
    assert b"Content-Length: 27" in head
    assert await reader.readexactly(27) == b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
    writer.close()
    await writer.wait_closed()


async def test_read_request_reports_peer_close(raw_server: Any) -> None:
    seen: list[tuple[bytes, bytes]] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(await read_request(reader))

    server = await raw_server(handler)
    assert await raw_exchange(server.port) == b""
    assert seen == [(b"", b"")]
    assert server.requests == []


async def test_raw_server_holds_handler_errors_for_the_fixture(raw_server: Any) -> None:
    """The fixture fails a test whose handler raised, unless the test allowed that error."""

    async def broken(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        raise ValueError("a handler bug")

    server = await raw_server(broken)
    assert await raw_exchange(server.port, b"GET / HTTP/1.1\r\n\r\n") == b""
    assert [type(error) for error in server.unexpected_errors()] == [ValueError]
    server.allow_errors(ConnectionResetError)
    assert len(server.unexpected_errors()) == 1  # another kind does not cover it
    server.allow_errors(ValueError)  # without this the fixture fails this test at teardown
    assert server.unexpected_errors() == []
    assert len(server.errors) == 1


# ---------------------------------------------------------------------------------- websockets


async def test_websocket_echo(websocket_server: Any) -> None:
    from websockets.asyncio.client import connect

    assert str(websocket_server.url).startswith("ws://127.0.0.1:")
    async with connect(str(websocket_server.make_url("/echo"))) as ws:
        assert ws.response.headers["Sec-WebSocket-Extensions"].startswith("permessage-deflate")
        await ws.send("hello")
        assert await ws.recv() == "hello"
        await ws.send(b"\x00\x01")
        assert await ws.recv() == b"\x00\x01"


async def test_websocket_close_code(websocket_server: Any) -> None:
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    async with connect(str(websocket_server.make_url("/close/4001"))) as ws:
        with pytest.raises(ConnectionClosed) as info:
            await ws.recv()
    assert info.value.rcvd is not None
    assert (info.value.rcvd.code, info.value.rcvd.reason) == (4001, "bye")


async def test_websocket_subprotocol(websocket_server: Any) -> None:
    from websockets.asyncio.client import connect

    url = str(websocket_server.make_url("/subprotocol"))
    async with connect(url, subprotocols=["superchat", "chat"]) as ws:  # type: ignore[list-item]
        assert ws.subprotocol == "superchat"
    async with connect(url) as ws:
        assert ws.subprotocol is None
    async with connect(str(websocket_server.make_url("/echo")), subprotocols=["chat"]) as ws:  # type: ignore[list-item]
        assert ws.subprotocol is None


# ------------------------------------------------------------------------------------- proxies


def proxied_get(proxy_port: int, url: URL, **headers: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", proxy_port, timeout=30)
    try:
        conn.request("GET", str(url), headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def tunneled_get(
    proxy_port: int, target: ServerInfo, ctx: ssl.SSLContext, **proxy_headers: str
) -> tuple[int, bytes]:
    conn = http.client.HTTPSConnection("127.0.0.1", proxy_port, context=ctx, timeout=30)
    try:
        conn.set_tunnel(target.host, target.port, headers=proxy_headers)
        conn.request("GET", "/hello")
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def test_pproxy_absolute_form(proxy_server: Any, http_server: ServerInfo) -> None:
    assert proxy_server.url == URL(f"http://127.0.0.1:{proxy_server.port}")
    assert proxied_get(proxy_server.port, http_server.make_url("/hello")) == (
        200,
        b"Hello, world",
    )


def test_pproxy_connect(
    proxy_server: Any, https_server: ServerInfo, client_ssl_ctx: ssl.SSLContext
) -> None:
    assert tunneled_get(proxy_server.port, https_server, client_ssl_ctx) == (200, b"Hello, world")


async def test_recording_proxy_forward(recording_proxy: Any, http_server: ServerInfo) -> None:
    recording_proxy.auth = ("user", "pass")
    url = http_server.make_url("/echo?q=1")
    status, _ = await asyncio.to_thread(proxied_get, recording_proxy.port, url)
    assert status == 407
    token = base64.b64encode(b"user:pass").decode()
    status, body = await asyncio.to_thread(
        proxied_get, recording_proxy.port, url, **{"Proxy-Authorization": f"Basic {token}"}
    )
    assert status == 200
    echoed = json.loads(body)
    assert echoed["path"] == "/echo" and echoed["query_string"] == "q=1"
    assert all(name != "proxy-authorization" for name, _ in echoed["headers"])
    first, second = recording_proxy.requests
    assert (second.method, second.target) == ("GET", str(url))
    assert first.header("Proxy-Authorization") is None
    assert second.header("proxy-authorization") == f"Basic {token}"
    [forwarded] = recording_proxy.forwarded
    assert forwarded.target == "/echo?q=1"
    assert forwarded.header("Proxy-Authorization") is None


async def test_recording_proxy_connect(
    recording_proxy: Any, https_server: ServerInfo, client_ssl_ctx: ssl.SSLContext
) -> None:
    result = await asyncio.to_thread(
        tunneled_get, recording_proxy.port, https_server, client_ssl_ctx
    )
    assert result == (200, b"Hello, world")
    [connect] = recording_proxy.requests
    assert (connect.method, connect.target) == ("CONNECT", f"127.0.0.1:{https_server.port}")
    assert recording_proxy.forwarded == []


async def test_recording_proxy_refuses_non_loopback(recording_proxy: Any) -> None:
    status, _ = await asyncio.to_thread(
        proxied_get, recording_proxy.port, URL("http://example.com/")
    )
    assert status == 403


# --------------------------------------------------------------------------------------- socks


async def test_recording_socks_fails_the_test_on_a_handshake_it_could_not_read() -> None:
    """An error in the fake SOCKS server (here a socks5 greeting cut short) fails the test at
    exit, as a raw_server handler's does, instead of vanishing with the connection."""
    with pytest.raises(AssertionError, match="IncompleteReadError"):
        async with RecordingSocks() as proxy:
            reader, writer = await asyncio.open_connection(HOST, proxy.port)
            writer.write(b"\x05")  # socks5, then the end: the method count never comes
            writer.write_eof()
            assert await reader.read() == b""  # the server gave up and hung up
            writer.close()
            await writer.wait_closed()
