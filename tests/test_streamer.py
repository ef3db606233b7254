"""``@aiohttp.streamer``: deprecated in aiohttp 3.x, still working (issue 13 item 38).

Pinned against aiohttp 3.14.5 by experiment: decorating warns (DeprecationWarning, at the
decorator), calling and sending do not; the body goes chunked as application/octet-stream; a
307 redirect sends it again; ``decode()`` and ``as_bytes()`` refuse with TypeError.
"""

from __future__ import annotations

import warnings

import pytest

import aiohttp_clone as aiohttp
from aiohttp_clone.payload_streamer import StreamPayload, StreamWrapperPayload
from tests.servers import OK, head_header, respond_keepalive

REDIRECT = b"HTTP/1.1 307 Temporary Redirect\r\nLocation: /final\r\nContent-Length: 0\r\n\r\n"
DEPRECATED = "@streamer is deprecated, use async generators instead"

with pytest.warns(DeprecationWarning, match=DEPRECATED) as _record:

    @aiohttp.streamer
    async def sender(writer, name, suffix=b"!"):
        await writer.write(b"hello " + name.encode())
        await writer.write(suffix)

    @aiohttp.streamer
    async def writer_only(writer):
        await writer.write(b"plain")

DECORATION_WARNINGS = [(w.filename, w.lineno) for w in _record]


def test_decorating_warns_at_the_decorator() -> None:
    assert len(DECORATION_WARNINGS) == 2
    assert all(filename == __file__ for filename, _ in DECORATION_WARNINGS)


def test_exported_as_aiohttp_does() -> None:
    assert "streamer" in aiohttp.__all__
    assert aiohttp.streamer is aiohttp.payload_streamer.streamer
    assert aiohttp.payload_streamer.__all__ == ("streamer",)


async def test_post_streams_the_body_chunked(raw_server) -> None:
    server = await raw_server(respond_keepalive([OK, OK]))
    async with aiohttp.ClientSession() as session:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # only decorating warns
            async with session.post(server.url, data=sender("x", suffix=b"?")) as resp:
                assert await resp.read() == b"ok"
            async with session.post(server.url, data=writer_only) as resp:  # not called
                assert resp.status == 200
    assert server.bodies == [b"hello x?", b"plain"]
    head = server.requests[0]
    assert head_header(head, b"transfer-encoding") == b"chunked"
    assert head_header(head, b"content-type") == b"application/octet-stream"
    assert head_header(head, b"content-length") is None


async def test_a_307_redirect_sends_the_body_again(raw_server) -> None:
    server = await raw_server(respond_keepalive([REDIRECT, OK]))
    async with aiohttp.ClientSession() as session:
        async with session.post(server.make_url("/start"), data=sender(name="r")) as resp:
            assert resp.status == 200
            assert [str(r.url.path) for r in resp.history] == ["/start"]
    assert server.bodies == [b"hello r!", b"hello r!"]


async def test_one_call_can_be_sent_twice(raw_server) -> None:
    server = await raw_server(respond_keepalive([OK, OK]))
    body = sender(name="again")
    async with aiohttp.ClientSession() as session:
        for _ in range(2):
            async with session.post(server.url, data=body) as resp:
                assert resp.status == 200
    assert server.bodies == [b"hello again!", b"hello again!"]


async def test_payload_types() -> None:
    payload = aiohttp.get_payload(sender(name="p"))
    assert type(payload) is StreamWrapperPayload
    assert (payload.size, payload.content_type, payload.reusable) == (
        None, "application/octet-stream", True
    )
    assert type(aiohttp.get_payload(writer_only)) is StreamPayload
    typed = aiohttp.get_payload(sender(name="p"), content_type="text/plain", headers={"X-A": "1"})
    assert dict(typed.headers) == {"Content-Type": "text/plain", "X-A": "1"}
    with pytest.raises(TypeError, match="Unable to decode"):
        payload.decode()
    with pytest.raises(TypeError, match="Unable to decode"):
        await payload.as_bytes()


async def test_a_part_of_a_multipart_body(raw_server) -> None:
    server = await raw_server(respond_keepalive([OK]))
    with aiohttp.MultipartWriter("form-data", boundary="b0undary") as form:
        form.append(sender(name="part"))
    async with aiohttp.ClientSession() as session:
        async with session.post(server.url, data=form) as resp:
            assert resp.status == 200
    assert b"\r\n\r\nhello part!\r\n--b0undary--" in server.bodies[0]
