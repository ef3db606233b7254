"""aiohttp_clone.testing: the client's real pipeline runs on mocked connections.

Each test drives a real ``ClientSession``; only the connection under it is in memory. What is
asserted is the client's own behaviour (redirects, cookies, raise_for_status, middlewares,
trace signals, decoders, timeouts, flow control), fed by mocked bytes.
"""

from __future__ import annotations

import asyncio
import gzip
import os

import pytest
from yarl import URL

import aiohttp_clone as aiohttp
from aiohttp_clone.testing import MockResponses

API = "http://api.invalid"  # .invalid: never resolves, should a request slip past the mock


async def test_a_redirect_is_followed_by_the_client_to_another_registration() -> None:
    with MockResponses() as m:
        m.post(f"{API}/login", status=303, headers={"Location": "/home"})
        m.get(f"{API}/home", body="welcome", content_type="text/plain")
        async with aiohttp.ClientSession() as session:
            async with session.post(f"{API}/login", data={"user": "ann"}) as resp:
                assert resp.status == 200
                assert await resp.text() == "welcome"
                assert resp.url == URL(f"{API}/home")
                assert [r.status for r in resp.history] == [303]
        # Each hop is a request of its own; a 303 turns the POST into a body-less GET.
        m.assert_called_with(f"{API}/login", "POST", data={"user": "ann"})
        home = m.requests[("GET", URL(f"{API}/home"))][0]
        assert home.body == b""
        assert "Content-Type" not in home.headers


async def test_a_redirect_to_an_unregistered_url_fails_loudly() -> None:
    with MockResponses() as m:
        m.get(f"{API}/old", status=301, headers={"Location": "http://other.invalid/new"})
        async with aiohttp.ClientSession() as session:
            with pytest.raises(aiohttp.ClientConnectionError, match=r"other\.invalid/new"):
                await session.get(f"{API}/old")


async def test_set_cookie_lands_in_the_jar_and_is_sent_back() -> None:
    with MockResponses() as m:
        m.get(f"{API}/login", headers=[("Set-Cookie", "sid=abc; Path=/"),
                                       ("Set-Cookie", "theme=dark")])  # fmt: skip
        m.get(f"{API}/me", payload={"name": "ann"})
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{API}/login") as resp:
                assert resp.cookies["sid"].value == "abc"
            assert {c.key: c.value for c in session.cookie_jar} == {"sid": "abc", "theme": "dark"}
            async with session.get(f"{API}/me") as resp:
                assert await resp.json() == {"name": "ann"}
        cookie = m.requests[("GET", URL(f"{API}/me"))][0].headers["Cookie"]
        assert sorted(cookie.split("; ")) == ["sid=abc", "theme=dark"]


async def test_raise_for_status_raises_with_the_request_info() -> None:
    with MockResponses() as m:
        m.get(f"{API}/missing", status=404, reason="Nope")
        m.get(f"{API}/missing", status=404)
        async with aiohttp.ClientSession(raise_for_status=True) as session:
            with pytest.raises(aiohttp.ClientResponseError) as caught:
                await session.get(f"{API}/missing")
            assert caught.value.status == 404
            assert caught.value.message == "Nope"
            assert caught.value.request_info.url == URL(f"{API}/missing")
            async with session.get(f"{API}/missing", raise_for_status=False) as resp:
                assert resp.status == 404
                assert resp.reason == "Not Found"


async def test_middlewares_see_and_change_mocked_traffic() -> None:
    async def token(request, handler):
        request.headers["Authorization"] = "Bearer t0k3n"
        return await handler(request)

    async def retry_503(request, handler):
        response = await handler(request)
        if response.status == 503:
            response.release()
            response = await handler(request)
        return response

    with MockResponses() as m:
        m.get(f"{API}/flaky", status=503)
        m.get(f"{API}/flaky", payload={"ok": True})
        async with aiohttp.ClientSession(middlewares=(token, retry_503)) as session:
            async with session.get(f"{API}/flaky") as resp:
                assert await resp.json() == {"ok": True}
        calls = m.requests[("GET", URL(f"{API}/flaky"))]
        assert [c.headers["Authorization"] for c in calls] == ["Bearer t0k3n"] * 2


async def test_trace_signals_fire_for_mocked_requests_and_a_reused_connection() -> None:
    seen: list[str] = []
    config = aiohttp.TraceConfig()
    for name in ("on_request_start", "on_connection_create_start", "on_connection_create_end",
                 "on_connection_reuseconn", "on_request_headers_sent",
                 "on_response_chunk_received", "on_request_end", "on_request_exception"):

        async def record(session, ctx, params, name=name) -> None:
            seen.append(name[3:])

        getattr(config, name).append(record)
    with MockResponses() as m:
        m.get(f"{API}/a", body="x", repeat=2)
        async with aiohttp.ClientSession(trace_configs=[config]) as session:
            for _ in range(2):
                async with session.get(f"{API}/a") as resp:
                    await resp.read()
            with pytest.raises(aiohttp.ClientConnectionError):
                await session.get(f"{API}/unregistered")
    # request_end comes with the head, the chunk signal as the body is read (as in aiohttp).
    first = ["request_start", "connection_create_start", "connection_create_end",
             "request_headers_sent", "request_end", "response_chunk_received"]  # fmt: skip
    second = ["request_start", "connection_reuseconn", "request_headers_sent",
              "request_end", "response_chunk_received"]  # fmt: skip
    assert seen == [*first, *second, "request_start", "connection_reuseconn",
                    "request_headers_sent", "request_exception"]  # fmt: skip


async def test_a_gzip_body_is_decoded_by_the_real_decoder() -> None:
    text = "compressible " * 5000
    with MockResponses() as m:
        m.get(f"{API}/gz", body=gzip.compress(text.encode()), repeat=2,
              headers={"Content-Encoding": "gzip", "Content-Type": "text/plain"})  # fmt: skip
        m.get(f"{API}/broken", body=b"\x1f\x8bnot gzip at all",
              headers={"Content-Encoding": "gzip"})  # fmt: skip
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{API}/gz") as resp:
                assert await resp.text() == text
            async with session.get(f"{API}/gz", auto_decompress=False) as resp:
                assert gzip.decompress(await resp.read()) == text.encode()
            async with session.get(f"{API}/broken") as resp:
                with pytest.raises(aiohttp.ClientPayloadError):
                    await resp.read()


async def test_a_slow_answer_trips_the_real_sock_read_timeout() -> None:
    with MockResponses() as m:
        m.get(f"{API}/slow", body="late", delay=30)
        timeout = aiohttp.ClientTimeout(sock_read=0.05)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            with pytest.raises(aiohttp.SocketTimeoutError):
                await session.get(f"{API}/slow")


async def test_a_slow_answer_trips_the_total_timeout() -> None:
    with MockResponses() as m:
        m.get(f"{API}/slow", body="late", delay=30)
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=0.05)) as session:
            with pytest.raises(asyncio.TimeoutError):
                await session.get(f"{API}/slow")
        # The hung-up request left nothing running: the answer was never sent.
        assert m.call_count == 1


async def test_timeout_true_raises_a_read_timeout_at_once() -> None:
    with MockResponses() as m:
        m.get(f"{API}/t", timeout=True)
        async with aiohttp.ClientSession() as session:
            with pytest.raises(asyncio.TimeoutError):
                await session.get(f"{API}/t")


async def test_a_large_body_streams_through_flow_control() -> None:
    body = os.urandom(3 * 1024 * 1024 + 17)
    with MockResponses() as m:
        m.get(f"{API}/big", body=body, content_type="application/octet-stream")
        async with aiohttp.ClientSession(read_bufsize=2**16) as session:
            async with session.get(f"{API}/big") as resp:
                transport = resp.connection.transport
                # Nobody reads yet: the reader fills to its limit and the client pauses the
                # transport (bounded: the loop runs until it does, or gives up).
                for _ in range(1000):
                    if not transport.is_reading():
                        break
                    await asyncio.sleep(0)
                assert not transport.is_reading()
                assert resp.content.total_bytes < len(body) // 4  # a few reads held, not 3 MiB
                chunks = [chunk async for chunk in resp.content.iter_chunked(65536)]
    assert b"".join(chunks) == body
    assert len(chunks) > 1


async def test_body_pieces_arrive_as_separate_http_chunks() -> None:
    with MockResponses() as m:
        m.get(f"{API}/events", body=[b"first", b"second", b"third"],
              headers={"Transfer-Encoding": "chunked"})  # fmt: skip
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{API}/events") as resp:
                assert resp.headers["Transfer-Encoding"] == "chunked"
                assert "Content-Length" not in resp.headers
                received = [(data, end) async for data, end in resp.content.iter_chunks()]
    assert received == [(b"first", True), (b"second", True), (b"third", True), (b"", True)]


async def test_a_declared_length_longer_than_the_body_is_a_truncated_body() -> None:
    with MockResponses() as m:
        m.get(f"{API}/cut", body=b"short", headers={"Content-Length": "100"})
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{API}/cut") as resp:
                with pytest.raises(aiohttp.ClientPayloadError):
                    await resp.read()


def connection_counter() -> tuple[aiohttp.TraceConfig, list[str]]:
    """A trace config recording whether each request opened or reused a connection."""
    log: list[str] = []
    config = aiohttp.TraceConfig()

    async def created(session, ctx, params) -> None:
        log.append("new")

    async def reused(session, ctx, params) -> None:
        log.append("reused")

    config.on_connection_create_end.append(created)
    config.on_connection_reuseconn.append(reused)
    return config, log


async def test_keep_alive_reuses_one_mocked_connection() -> None:
    config, log = connection_counter()
    with MockResponses() as m:
        m.get(f"{API}/a", body="1", repeat=True)
        async with aiohttp.ClientSession(trace_configs=[config]) as session:
            for _ in range(3):
                async with session.get(f"{API}/a") as resp:
                    assert await resp.text() == "1"
    assert log == ["new", "reused", "reused"]


async def test_connection_close_in_the_answer_is_honoured() -> None:
    config, log = connection_counter()
    with MockResponses() as m:
        m.get(f"{API}/a", body="1", repeat=True, headers={"Connection": "close"})
        async with aiohttp.ClientSession(trace_configs=[config]) as session:
            for _ in range(2):
                async with session.get(f"{API}/a") as resp:
                    await resp.read()
    assert log == ["new", "new"]


async def test_expect_100_continue_gets_its_interim_answer() -> None:
    with MockResponses() as m:
        m.put(f"{API}/upload", status=201)
        async with aiohttp.ClientSession() as session:
            async with session.put(f"{API}/upload", data=b"x" * 5000, expect100=True) as resp:
                assert resp.status == 201
        assert m.requests[("PUT", URL(f"{API}/upload"))][0].body == b"x" * 5000


async def test_a_streamed_request_body_is_recorded_whole() -> None:
    async def parts():
        for index in range(3):
            yield b"part%d;" % index

    with MockResponses() as m:
        m.post(f"{API}/stream", status=204)
        async with aiohttp.ClientSession() as session:
            async with session.post(f"{API}/stream", data=parts()) as resp:
                assert resp.status == 204
        call = m.requests[("POST", URL(f"{API}/stream"))][0]
        assert call.headers["Transfer-Encoding"] == "chunked"
        assert call.body == b"part0;part1;part2;"


async def test_head_gets_the_length_but_no_body() -> None:
    with MockResponses() as m:
        m.head(f"{API}/file", body=b"x" * 10, repeat=True)
        m.get(f"{API}/after", body="next")
        async with aiohttp.ClientSession() as session:
            async with session.head(f"{API}/file") as resp:
                assert resp.headers["Content-Length"] == "10"
                assert await resp.read() == b""
            # The connection is still in step: the next answer is read intact.
            async with session.get(f"{API}/after") as resp:
                assert await resp.text() == "next"
