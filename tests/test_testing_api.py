"""aiohttp_clone.testing: registering, matching, asserting, failing loudly, passing through.

The API is aioresponses'; the requests run through a real ``ClientSession``. Tests that touch
the network do so only on loopback, against the shared real servers (``raw_server``,
``http_server``), to prove what reached them and what did not.
"""

from __future__ import annotations

import asyncio
import re

import pytest
from yarl import URL

import aiohttp_clone as aiohttp
from aiohttp_clone.client_reqrep import ClientRequest
from aiohttp_clone.connector import BaseConnector, TCPConnector, UnixConnector
from aiohttp_clone.testing import CallbackResult, MockResponses, UnmockedRequestError, aioresponses
from aiohttp_clone.testing._registry import normalize_url
from tests.asgi_app import HELLO
from tests.servers import respond_keepalive, respond_with

API = "http://api.invalid"  # .invalid: never resolves, should a request slip past the mock
OK = b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nreal"


async def fetch(session: aiohttp.ClientSession, url: str | URL, method: str = "GET", **kwargs):
    async with session.request(method, url, **kwargs) as resp:
        return resp.status, await resp.read()


# -- answering ---------------------------------------------------------------------------------


async def test_payload_status_headers_and_reason() -> None:
    with MockResponses() as m:
        m.get(f"{API}/items", payload={"items": [1, 2]}, status=202, reason="Queued",
              headers={"X-Trace": "abc"})  # fmt: skip
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{API}/items") as resp:
                assert (resp.status, resp.reason) == (202, "Queued")
                assert resp.headers["X-Trace"] == "abc"
                assert resp.content_type == "application/json"
                assert await resp.json() == {"items": [1, 2]}


async def test_body_text_with_its_content_type() -> None:
    with MockResponses() as m:
        m.get(f"{API}/page", body="<p>héllo</p>", content_type="text/html; charset=utf-8")
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{API}/page") as resp:
                assert resp.content_type == "text/html"
                assert await resp.text() == "<p>héllo</p>"


async def test_registrations_answer_in_order_and_repeat() -> None:
    with MockResponses() as m:
        m.get(f"{API}/x", status=500, repeat=2)
        m.get(f"{API}/x", status=201)
        m.get(f"{API}/x", status=202, repeat=True)
        async with aiohttp.ClientSession() as session:
            statuses = [(await fetch(session, f"{API}/x"))[0] for _ in range(6)]
    assert statuses == [500, 500, 201, 202, 202, 202]


async def test_methods_urls_and_patterns_match_as_in_aioresponses() -> None:
    with MockResponses() as m:
        m.post(f"{API}/items", status=201)
        m.get(re.compile(r"^http://api\.invalid/items/\d+$"), body="one", repeat=True)
        m.get("http://API.invalid:80/q?b=2&a=1", body="query")
        async with aiohttp.ClientSession() as session:
            assert await fetch(session, f"{API}/items", "POST") == (201, b"")
            assert await fetch(session, f"{API}/items/7") == (200, b"one")
            assert await fetch(session, f"{API}/items/8") == (200, b"one")
            # Default port, host case and query order do not matter to an exact URL.
            assert await fetch(session, f"{API}/q", params={"a": "1", "b": "2"}) == (
                200, b"query",
            )  # fmt: skip
            with pytest.raises(UnmockedRequestError):
                await fetch(session, f"{API}/items/x")
            with pytest.raises(UnmockedRequestError):
                await fetch(session, f"{API}/items", "PUT")


@pytest.mark.parametrize(
    ("given", "normalized"),
    [
        ("http://h:80/", "http://h/"), ("https://h:443/", "https://h/"),
        ("ws://h:80/", "ws://h/"), ("wss://h:443/", "wss://h/"),
        ("https://h:80/", "https://h:80/"), ("http://h:443/", "http://h:443/"),
        ("ws://h:443/", "ws://h:443/"), ("http://h:8080", "http://h:8080/"),
    ],
)  # fmt: skip
def test_a_urls_default_port_is_dropped_and_no_other(given: str, normalized: str) -> None:
    assert str(normalize_url(given)) == normalized


async def test_a_callback_builds_the_answer_from_the_request() -> None:
    def sync_callback(url, **kwargs):
        return CallbackResult(status=201, payload={"got": kwargs["json"], "path": url.path})

    async def async_callback(url, *, method, headers, **kwargs):
        await asyncio.sleep(0)
        return CallbackResult(body=f"{method} {headers['X-Who']}", content_type="text/plain")

    with MockResponses() as m:
        m.post(f"{API}/sync", callback=sync_callback)
        m.get(f"{API}/async", callback=async_callback)
        m.get(f"{API}/none", callback=lambda url, **kwargs: None, body="own answer")
        async with aiohttp.ClientSession() as session:
            async with session.post(f"{API}/sync", json={"a": 1}) as resp:
                assert resp.status == 201
                assert await resp.json() == {"got": {"a": 1}, "path": "/sync"}
            async with session.get(f"{API}/async", headers={"X-Who": "me"}) as resp:
                assert await resp.text() == "GET me"
            assert await fetch(session, f"{API}/none") == (200, b"own answer")


async def test_an_error_in_a_callback_reaches_the_request() -> None:
    def broken(url, **kwargs):
        raise LookupError("no such user")

    with MockResponses() as m:
        m.get(f"{API}/user", callback=broken)
        async with aiohttp.ClientSession() as session:
            with pytest.raises(LookupError, match="no such user"):
                await session.get(f"{API}/user")


async def test_an_exception_is_raised_where_the_response_would_be_read() -> None:
    with MockResponses() as m:
        m.get(f"{API}/down", exception=aiohttp.ServerDisconnectedError())
        m.get(f"{API}/class", exception=aiohttp.ClientPayloadError)
        async with aiohttp.ClientSession() as session:
            with pytest.raises(aiohttp.ServerDisconnectedError):
                await session.get(f"{API}/down")
            with pytest.raises(aiohttp.ClientPayloadError):
                await session.get(f"{API}/class")
        assert m.call_count == 2


async def test_an_exception_on_a_reused_connection_is_not_lost_to_the_stale_socket_retry() -> None:
    """The pipeline retries a GET whose reused keep-alive socket fails; the registered error
    must still be what the caller sees (raised over a new connection), recorded once."""
    with MockResponses() as m:
        m.get(f"{API}/a", body="fine", repeat=2)
        m.get(f"{API}/a", exception=aiohttp.ClientOSError(104, "reset by peer"))
        m.get(f"{API}/a", body="after")
        async with aiohttp.ClientSession() as session:
            # Two at once: two keep-alive connections wait in the pool, so the retry could
            # take the other one.
            two = await asyncio.gather(fetch(session, f"{API}/a"), fetch(session, f"{API}/a"))
            assert two == [(200, b"fine")] * 2
            with pytest.raises(aiohttp.ClientOSError, match="reset by peer"):
                await session.get(f"{API}/a")
            assert await fetch(session, f"{API}/a") == (200, b"after")
        assert len(m.requests[("GET", URL(f"{API}/a"))]) == 4


async def _one_shot_body():
    """An async-generator body: sent once, so the pipeline never sends its request again."""
    yield b"sent "
    yield b"once"


@pytest.mark.parametrize(
    ("method", "body"),
    [("PUT", "generator"), ("PUT", b"bytes"), ("GET", None), ("POST", b"bytes")],
    ids=["put-generator", "put-bytes", "get", "post"],
)
async def test_a_registered_connection_error_surfaces_whether_or_not_it_is_resent(
    method: str, body: bytes | str | None
) -> None:
    """The mock hangs up on the first try of a request the pipeline sends again (so the resend
    meets the error) and raises the error at once for any other: a PUT whose body is an async
    generator is not sent again, though PUT is idempotent."""
    with MockResponses() as m:
        m.add(f"{API}/up", method, exception=aiohttp.ClientOSError(104, "reset by peer"))
        m.add(f"{API}/up", method, body="after")
        async with aiohttp.ClientSession() as session:
            data = _one_shot_body() if body == "generator" else body
            with pytest.raises(aiohttp.ClientOSError, match="reset by peer"):
                await session.request(method, f"{API}/up", data=data)
            # Nothing of the failed request lingers: the next one gets the next answer.
            assert await fetch(session, f"{API}/up", method) == (200, b"after")
    calls = m.requests[(method, URL(f"{API}/up"))]
    assert len(calls) == 2
    assert calls[0].body == (b"sent once" if body == "generator" else body or b"")


# -- recording and asserting -------------------------------------------------------------------


async def test_requests_record_what_was_sent() -> None:
    with MockResponses() as m:
        m.post(f"{API}/form", repeat=True)
        m.post(f"{API}/form?v=2")  # as in aioresponses, the query is part of the URL matched
        async with aiohttp.ClientSession(headers={"X-Session": "s"}) as session:
            await fetch(session, f"{API}/form", "POST", data={"a": "1", "b": "x y"})
            await fetch(session, f"{API}/form", "POST", json={"k": [1]}, params={"v": "2"})
            await fetch(session, f"{API}/form", "POST", data=b"\x00raw")
    form = m.requests[("POST", URL(f"{API}/form"))][0]
    assert form.kwargs["data"] == {"a": "1", "b": "x y"}
    assert form.kwargs["json"] is None
    assert form.headers["X-Session"] == "s"
    assert form.args == ()
    as_json = m.requests[("POST", URL(f"{API}/form?v=2"))][0]
    assert as_json.kwargs["json"] == {"k": [1]} and as_json.kwargs["data"] is None
    assert as_json.json() == {"k": [1]}
    assert m.requests[("POST", URL(f"{API}/form"))][-1].body == b"\x00raw"
    m.assert_called_with(f"{API}/form", "POST", data=b"\x00raw")
    m.assert_any_call(f"{API}/form", "POST", data={"a": "1", "b": "x y"})
    m.assert_any_call(f"{API}/form", "POST", json={"k": [1]}, params={"v": "2"})


async def test_assertions_pass_and_fail_on_what_was_sent() -> None:
    with MockResponses() as m:
        m.assert_not_called()
        m.post(f"{API}/items", status=201)
        async with aiohttp.ClientSession() as session:
            await fetch(session, f"{API}/items", "POST", json={"name": "x"},
                        headers={"X-Api-Key": "k"})  # fmt: skip
        m.assert_called()
        m.assert_called_once()
        m.assert_called_once_with(f"{API}/items", "POST", json={"name": "x"},
                                  headers={"X-Api-Key": "k"})  # fmt: skip
        m.assert_called_with(f"{API}/items", method="post", args_to_match=["json"],
                             json={"name": "x"}, headers={"X-Api-Key": "other"})  # fmt: skip
        with pytest.raises(AssertionError, match="json"):
            m.assert_called_with(f"{API}/items", "POST", json={"name": "y"})
        with pytest.raises(AssertionError, match="X-Api-Key"):
            m.assert_called_with(f"{API}/items", "POST", headers={"X-Api-Key": "other"})
        with pytest.raises(AssertionError, match="No GET"):
            m.assert_called_with(f"{API}/items")
        with pytest.raises(AssertionError, match="No POST"):
            m.assert_any_call(f"{API}/other", "POST")
        with pytest.raises(AssertionError, match="no request"):
            m.assert_not_called()
        with pytest.raises(TypeError, match="allow_redirects"):
            m.assert_called_with(f"{API}/items", "POST", allow_redirects=True)


async def test_assert_called_once_counts_every_request() -> None:
    with MockResponses() as m:
        m.get(f"{API}/a", repeat=True)
        async with aiohttp.ClientSession() as session:
            await fetch(session, f"{API}/a")
            await fetch(session, f"{API}/a")
        with pytest.raises(AssertionError, match="one request, got 2"):
            m.assert_called_once()


# -- failing loudly ----------------------------------------------------------------------------


async def test_an_unmatched_request_never_reaches_the_server(raw_server) -> None:
    server = await raw_server(respond_with(OK))
    with MockResponses() as m:
        m.get(f"{API}/registered")
        async with aiohttp.ClientSession() as session:
            with pytest.raises(UnmockedRequestError) as caught:
                await session.post(server.make_url("/data"), json={"secret": 1})
    assert isinstance(caught.value, aiohttp.ClientConnectionError)
    message = str(caught.value)
    assert f"POST {server.make_url('/data')}" in message
    assert "GET http://api.invalid/registered" in message
    assert server.connections == 0
    assert m.requests[("POST", server.make_url("/data"))][0].json() == {"secret": 1}


async def test_a_connection_pooled_before_the_mock_is_not_used_for_mocked_requests(
    raw_server,
) -> None:
    server = await raw_server(respond_keepalive([OK, OK]))
    async with aiohttp.ClientSession() as session:
        assert await fetch(session, server.make_url("/a")) == (200, b"real")
        with MockResponses() as m:
            m.get(server.make_url("/a"), body="mocked")
            assert await fetch(session, server.make_url("/a")) == (200, b"mocked")
        # The mock is gone: its connection is not reused either, the server answers again.
        assert await fetch(session, server.make_url("/a")) == (200, b"real")
    assert len(server.requests) == 2


async def test_invalid_registrations_are_refused_at_once() -> None:
    m = MockResponses()
    with pytest.raises(ValueError, match="absolute URL"):
        m.get("/relative")
    with pytest.raises(ValueError, match="1xx"):
        m.get(f"{API}/a", status=101)
    with pytest.raises(ValueError, match="Newline"):
        m.get(f"{API}/a", headers={"X-Bad": "a\r\nInjected: 1"})
    with pytest.raises(ValueError, match="content_type"):
        m.get(f"{API}/a", content_type="text/plain\r\nInjected: 1")
    with pytest.raises(ValueError, match="repeat"):
        m.get(f"{API}/a", repeat=0)
    with pytest.raises(TypeError, match="exception"):
        m.get(f"{API}/a", exception="boom")
    with pytest.raises(TypeError, match="header names and values must be str"):
        m.get(f"{API}/a", headers={"X-Num": 3})
    with pytest.raises(TypeError, match="CallbackResult"):
        with MockResponses() as active:
            active.get(f"{API}/a", callback=lambda url, **kwargs: {"status": 200})
            async with aiohttp.ClientSession() as session:
                await session.get(f"{API}/a")


# -- passing through ---------------------------------------------------------------------------


async def test_passthrough_prefixes_reach_the_real_server(http_server) -> None:
    with MockResponses(passthrough=[str(http_server.url)]) as m:
        m.get(f"{API}/mocked", body="mocked")
        async with aiohttp.ClientSession() as session:
            assert await fetch(session, http_server.make_url("/hello")) == (200, HELLO)
            assert await fetch(session, f"{API}/mocked") == (200, b"mocked")
            assert await fetch(session, http_server.make_url("/hello")) == (200, HELLO)
    assert list(m.requests) == [("GET", URL(f"{API}/mocked"))]


async def test_passthrough_unmatched_sends_only_unregistered_requests(raw_server) -> None:
    server = await raw_server(respond_keepalive([OK, OK, OK]))
    config = aiohttp.TraceConfig()
    opened: list[str] = []

    async def created(session, ctx, params) -> None:
        opened.append("new")

    config.on_connection_create_end.append(created)
    with MockResponses(passthrough_unmatched=True) as m:
        m.get(server.make_url("/mocked"), body="mocked", repeat=True)
        async with aiohttp.ClientSession(trace_configs=[config]) as session:
            for _ in range(2):
                assert await fetch(session, server.make_url("/real")) == (200, b"real")
                assert await fetch(session, server.make_url("/mocked")) == (200, b"mocked")
    # Same host and port for both kinds: neither kind of connection serves the other.
    assert [head.split(b" ")[1] for head in server.requests] == [b"/real", b"/real"]
    assert len(opened) == 4


async def test_a_unix_connector_is_mocked_too(tmp_path) -> None:
    with MockResponses() as m:
        m.get("http://localhost/status", payload={"up": True})
        connector = aiohttp.UnixConnector(path=str(tmp_path / "nobody-listens.sock"))
        async with aiohttp.ClientSession(connector=connector) as session:
            async with session.get("http://localhost/status") as resp:
                assert await resp.json() == {"up": True}


# -- activation ---------------------------------------------------------------------------------


async def test_the_connectors_are_restored_when_the_mock_stops() -> None:
    originals = [TCPConnector._create_connection, UnixConnector._create_connection,
                 BaseConnector._take_idle, ClientRequest.dispatch]  # fmt: skip
    with MockResponses():
        with MockResponses() as inner:
            inner.get(f"{API}/a")
        assert TCPConnector._create_connection is not originals[0]
        assert ClientRequest.dispatch is not originals[3]
    assert [TCPConnector._create_connection, UnixConnector._create_connection,
            BaseConnector._take_idle, ClientRequest.dispatch] == originals  # fmt: skip


async def test_nested_mocks_the_innermost_answers() -> None:
    with MockResponses() as outer:
        outer.get(f"{API}/a", body="outer", repeat=True)
        async with aiohttp.ClientSession() as session:
            with MockResponses() as inner:
                inner.get(f"{API}/a", body="inner")
                assert await fetch(session, f"{API}/a") == (200, b"inner")
            assert await fetch(session, f"{API}/a") == (200, b"outer")


async def test_stopping_hangs_up_a_response_in_progress() -> None:
    m = MockResponses()
    m.start()
    m.get(f"{API}/big", body=b"x" * (4 * 1024 * 1024))
    async with aiohttp.ClientSession(read_bufsize=2**16) as session:
        async with session.get(f"{API}/big") as resp:
            m.stop()
            with pytest.raises(aiohttp.ClientPayloadError):
                await resp.read()


@aioresponses()
async def test_the_decorator_passes_the_mock_last(m: MockResponses) -> None:
    m.get(f"{API}/a", body="decorated")
    async with aiohttp.ClientSession() as session:
        assert await fetch(session, f"{API}/a") == (200, b"decorated")


def test_the_decorator_wraps_sync_functions_and_names_the_parameter() -> None:
    @MockResponses(param="mocked")
    def run(*, mocked: MockResponses) -> tuple[int, bytes]:
        mocked.get(f"{API}/a", body="sync")

        async def main():
            async with aiohttp.ClientSession() as session:
                return await fetch(session, f"{API}/a")

        return asyncio.run(main())

    assert run() == (200, b"sync")
    assert TCPConnector._create_connection.__qualname__ == "TCPConnector._create_connection"


async def test_the_pytest_fixture(mock_http: MockResponses) -> None:
    mock_http.get(f"{API}/fixture", payload=[1])
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{API}/fixture") as resp:
            assert await resp.json() == [1]
    mock_http.assert_called_once_with(f"{API}/fixture")
