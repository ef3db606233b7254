"""Issue 13, auth, proxies, TLS, tracing and deprecated-but-working APIs: aiohttp 3.14's
behaviour, checked side by side, held here against real peers on loopback."""

import asyncio
import base64
import warnings
from pathlib import Path

import aiohttp
import pytest

import aiohttp_clone
from tests.servers import OK, TLSCerts, answering, read_request

# -- 28. proxy credentials from .netrc --------------------------------------------------------


async def test_env_proxy_takes_credentials_from_netrc(
    http_server, recording_proxy, tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    netrc_file = tmp_path / "netrc"
    netrc_file.write_text(f"machine {recording_proxy.url.host} login proxyuser password s3cret\n")
    netrc_file.chmod(0o600)
    clean_env.setenv("NETRC", str(netrc_file))
    clean_env.setenv("HTTP_PROXY", str(recording_proxy.url))
    async with aiohttp_clone.ClientSession(trust_env=True) as session:
        async with session.get(http_server.make_url("/hello")) as resp:
            assert resp.status == 200
    expected = "Basic " + base64.b64encode(b"proxyuser:s3cret").decode()
    assert [r.header("Proxy-Authorization") for r in recording_proxy.requests] == [expected]


# -- 29. digest auth answers up front only inside the protection space --------------------------


async def test_digest_preemptive_only_inside_the_domain(raw_server) -> None:
    challenge = (
        b'HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Digest realm="r", nonce="n1", '
        b'qop="auth", domain="/private/"\r\nContent-Length: 0\r\n\r\n'
    )

    async def handler(reader, writer):
        while True:
            head, _ = await read_request(reader)
            if not head:
                return
            authorized = b"\r\nauthorization: digest" in head.lower()
            writer.write(OK if authorized or b" /public" in head else challenge)
            await writer.drain()

    server = await raw_server(handler)
    middleware = aiohttp_clone.DigestAuthMiddleware("user", "pass")
    async with aiohttp_clone.ClientSession(middlewares=(middleware,)) as session:
        for path in ("/private/a", "/public/x", "/private/b", "/privateer"):
            async with session.get(server.make_url(path)) as resp:
                assert await resp.read() == b"ok"
    answered = [
        (head.split(b" ")[1], b"\r\nauthorization: digest" in head.lower())
        for head in server.requests
    ]
    # /private/a is challenged, then answered; /private/b is answered up front (inside the
    # space); /public/x and /privateer (a prefix, not a path below it) never up front.
    assert answered == [
        (b"/private/a", False), (b"/private/a", True), (b"/public/x", False),
        (b"/private/b", True), (b"/privateer", False), (b"/privateer", True),
    ]


# -- 30. ALPN ---------------------------------------------------------------------------------


async def test_alpn_offers_http11(tls_certs: TLSCerts) -> None:
    chosen = []
    context = tls_certs.server_context()
    context.set_alpn_protocols(["h2", "http/1.1"])

    async def handler(reader, writer):
        chosen.append(writer.get_extra_info("ssl_object").selected_alpn_protocol())
        await read_request(reader)
        writer.write(OK)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handler, "127.0.0.1", 0, ssl=context)
    port = server.sockets[0].getsockname()[1]
    try:
        async with aiohttp_clone.ClientSession() as session:
            async with session.get(f"https://127.0.0.1:{port}/", ssl=False) as resp:
                assert await resp.read() == b"ok"
    finally:
        server.close()
        await server.wait_closed()
    assert chosen == ["http/1.1"]


# -- 31. a failing on_request_start is not reported as a request exception ----------------------


async def test_failing_start_hook_is_not_an_exception_event(raw_server) -> None:
    events = []

    async def on_start(session, ctx, params):
        raise RuntimeError("hook failed")

    async def on_exception(session, ctx, params):
        events.append(params.exception)

    failing = aiohttp_clone.TraceConfig()
    failing.on_request_start.append(on_start)
    failing.on_request_exception.append(on_exception)
    watching = aiohttp_clone.TraceConfig()
    watching.on_request_exception.append(on_exception)
    server = await raw_server(answering())
    async with aiohttp_clone.ClientSession(trace_configs=[watching, failing]) as session:
        with pytest.raises(RuntimeError, match="hook failed"):
            await session.get(server.url)
    assert events == []


# -- 38 and the rest of the deprecated-but-working API ----------------------------------------


async def test_requote_redirect_url_setter_warns_and_applies(raw_server) -> None:
    async def redirect(reader, writer):
        while True:
            head, _ = await read_request(reader)
            if not head:
                return
            if head.startswith(b"GET /start "):
                writer.write(b"HTTP/1.1 302 Found\r\nLocation: /a%2Fb\r\nContent-Length: 0\r\n\r\n")
            else:
                writer.write(OK)
            await writer.drain()

    server = await raw_server(redirect)
    async with aiohttp_clone.ClientSession() as session:
        with pytest.warns(DeprecationWarning, match="requote_redirect_url modification"):
            session.requote_redirect_url = False
        assert session.requote_redirect_url is False
        async with session.get(server.make_url("/start")) as resp:
            assert await resp.read() == b"ok"
    assert server.requests[1].startswith(b"GET /a%2Fb ")


async def test_sync_with_connector_warns_and_closes() -> None:
    connector = aiohttp_clone.TCPConnector()
    with pytest.warns(DeprecationWarning, match='"with Connector\\(\\):" is deprecated'):
        with connector as entered:
            assert entered is connector
    assert connector.closed


async def test_a_foreign_connector_is_refused_at_once() -> None:
    foreign = aiohttp.TCPConnector()
    try:
        with pytest.raises(TypeError, match="aiohttp_clone connector") as caught:
            aiohttp_clone.ClientSession(connector=foreign)  # type: ignore[arg-type]
        assert "aiohttp.connector.TCPConnector" in str(caught.value)
    finally:
        await foreign.close()


async def test_setting_an_unknown_session_attribute_warns() -> None:
    async with aiohttp_clone.ClientSession() as session:
        with pytest.warns(DeprecationWarning, match="Setting custom ClientSession.foo"):
            session.foo = 1  # type: ignore[attr-defined]


async def test_session_auth_and_ssl_shutdown_timeout_warn_as_aiohttp() -> None:
    with pytest.warns(DeprecationWarning):
        auth = aiohttp_clone.BasicAuth("u", "p")
    with pytest.warns(DeprecationWarning) as caught:
        session = aiohttp_clone.ClientSession(auth=auth, ssl_shutdown_timeout=0.1)
    await session.close()
    messages = [str(w.message) for w in caught]
    assert any("'auth' parameter is deprecated" in m for m in messages)
    assert any("ssl_shutdown_timeout parameter is deprecated" in m for m in messages)


async def test_relative_base_url_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="absolute"):
        aiohttp_clone.ClientSession(base_url="/api/")
    with pytest.raises(ValueError, match="trailing '/'"):
        aiohttp_clone.ClientSession(base_url="http://example.com/api")


def test_deprecation_free_defaults() -> None:
    """The plain session and request create no warning (a -W error test suite stays green)."""

    async def main() -> None:
        async with aiohttp_clone.ClientSession() as session:
            assert isinstance(session.connector, aiohttp_clone.TCPConnector)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        asyncio.run(main())


async def test_raise_for_status_is_an_exception_event_not_an_end(raw_server) -> None:
    """As in aiohttp: a response raise_for_status refuses fires on_request_exception only."""
    events = []

    async def on_end(session, ctx, params):
        events.append("end")

    async def on_exception(session, ctx, params):
        events.append(type(params.exception).__name__)

    config = aiohttp_clone.TraceConfig()
    config.on_request_end.append(on_end)
    config.on_request_exception.append(on_exception)

    not_found = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
    server = await raw_server(answering(not_found))
    async with aiohttp_clone.ClientSession(trace_configs=[config]) as session:
        with pytest.raises(aiohttp_clone.ClientResponseError):
            await session.get(server.url, raise_for_status=True)
        async with session.get(server.url) as resp:
            assert resp.status == 404
    assert events == ["ClientResponseError", "end"]
