"""Issue 13, requests, bodies and middlewares: aiohttp 3.14's behaviour, checked side by side
against the same servers, held here against real peers on loopback."""

import asyncio
import warnings
from pathlib import Path

import pytest

import aiohttp_clone as aiohttp
from tests.polling import poll_until
from tests.servers import OK, answering, drain_until_eof, head_header, read_request


async def echo_head(reader, writer) -> None:
    """Answers each request with its own head, then its body, separated by ``||``."""
    while True:
        head, body = await read_request(reader)
        if not head:
            return
        answer = head + b"||" + body
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(answer) + answer)
        await writer.drain()


# -- 12. UploadTracker -------------------------------------------------------------------------


async def test_upload_tracker_small_body(raw_server) -> None:
    server = await raw_server(answering())
    async with aiohttp.ClientSession() as session:
        tracker = aiohttp.UploadTracker()
        async with session.post(server.url, data=b"x" * 1000, upload_tracker=tracker) as resp:
            assert await resp.read() == b"ok"
    await tracker.upload_complete  # resolved: the whole body went out
    assert tracker.attempts == 1
    assert tracker.bytes_written == 1000


async def test_upload_tracker_streamed_body(raw_server) -> None:
    async def body():
        for _ in range(16):
            yield b"y" * 65536

    server = await raw_server(answering())
    async with aiohttp.ClientSession() as session:
        tracker = aiohttp.UploadTracker()
        async with session.post(server.url, data=body(), upload_tracker=tracker) as resp:
            assert await resp.read() == b"ok"
    await tracker.upload_complete
    assert tracker.bytes_written == 16 * 65536
    assert server.bodies == [b"y" * 16 * 65536]


async def test_upload_tracker_counts_each_attempt_of_a_redirect(raw_server) -> None:
    async def redirect_once(reader, writer):
        while True:
            head, _ = await read_request(reader)
            if not head:
                return
            if head.startswith(b"POST /first "):
                writer.write(b"HTTP/1.1 307 Temporary\r\nLocation: /second\r\nContent-Length: 0"
                             b"\r\n\r\n")  # fmt: skip
            else:
                writer.write(OK)
            await writer.drain()

    server = await raw_server(redirect_once)
    async with aiohttp.ClientSession() as session:
        tracker = aiohttp.UploadTracker()
        url = server.make_url("/first")
        async with session.post(url, data=b"z" * 10, upload_tracker=tracker) as resp:
            assert await resp.read() == b"ok"
    await tracker.upload_complete
    assert tracker.attempts == 2
    assert server.bodies == [b"z" * 10, b"z" * 10]


async def test_upload_tracker_failure_and_reuse(raw_server) -> None:
    async def fail_body():
        yield b"a"
        raise OSError(5, "disk gone")

    server = await raw_server(answering())
    server.allow_errors(ConnectionError, asyncio.IncompleteReadError)
    async with aiohttp.ClientSession() as session:
        tracker = aiohttp.UploadTracker()
        with pytest.raises(aiohttp.ClientOSError):
            await session.post(server.url, data=fail_body(), upload_tracker=tracker)
        with pytest.raises(aiohttp.ClientOSError, match="Can not write request body"):
            await tracker.upload_complete
        with pytest.raises(RuntimeError, match="already bound"):
            await session.post(server.url, data=b"x", upload_tracker=tracker)


async def test_upload_tracker_settles_when_the_status_check_fails(raw_server) -> None:
    """The request fails after its body went out: the tracker says the upload completed (the
    pipeline finalizes it whatever follows)."""

    async def answer_500(reader, writer) -> None:
        while True:
            head, _ = await read_request(reader)
            if not head:
                return
            writer.write(b"HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()

    server = await raw_server(answer_500)
    async with aiohttp.ClientSession(raise_for_status=True) as session:
        tracker = aiohttp.UploadTracker()
        with pytest.raises(aiohttp.ClientResponseError):
            await session.post(server.url, data=b"x" * 10, upload_tracker=tracker)
    assert tracker.upload_complete.done()
    await tracker.upload_complete
    assert tracker.attempts == 1


async def test_upload_tracker_settles_when_on_request_start_fails(raw_server) -> None:
    async def refuse(session, context, params) -> None:
        raise RuntimeError("trace callback failed")

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(refuse)
    server = await raw_server(answering())
    async with aiohttp.ClientSession(trace_configs=[trace]) as session:
        tracker = aiohttp.UploadTracker()
        with pytest.raises(RuntimeError, match="trace callback failed"):
            await session.post(server.url, data=b"body", upload_tracker=tracker)
        assert tracker.upload_complete.done()
        with pytest.raises(aiohttp.UploadAbortedError):
            await tracker.upload_complete


# -- 13. the payload is closed once sent --------------------------------------------------------


async def test_file_body_is_closed_after_the_request(raw_server, tmp_path: Path) -> None:
    server = await raw_server(echo_head)
    path = tmp_path / "upload.bin"
    path.write_bytes(b"file contents")
    async with aiohttp.ClientSession() as session:
        with path.open("rb") as handle:
            async with session.post(server.url, data=handle) as resp:
                assert (await resp.read()).endswith(b"||file contents")
            assert handle.closed


async def answer_before_the_body(reader, writer) -> None:
    """Answers as soon as the head is in and reads no body: the client's upload is still
    being written when its response ends."""
    await reader.readuntil(b"\r\n\r\n")
    writer.write(OK)
    await writer.drain()
    await drain_until_eof(reader)  # until the client gives up on the connection


async def test_multipart_file_parts_are_closed_when_the_upload_ends_late(
    raw_server, tmp_path: Path
) -> None:
    server = await raw_server(answer_before_the_body)
    path = tmp_path / "big.bin"
    path.write_bytes(b"x" * (16 * 1024 * 1024))  # far more than the socket buffers hold
    async with aiohttp.ClientSession() as session:
        with path.open("rb") as handle:
            form = aiohttp.FormData()
            form.add_field("file", handle, filename="big.bin")
            async with session.post(server.url, data=form) as resp:
                assert resp.status == 200
            # the writer ends once the connection is closed
            await poll_until(lambda: handle.closed, "the file part to be closed", timeout=2.0)


# -- 14. a failing body is reported as a connection error ------------------------------------


async def test_async_generator_error_is_a_client_connection_error(raw_server) -> None:
    async def broken():
        yield b"start"
        raise ValueError("producer broke")

    server = await raw_server(answering())
    server.allow_errors(ConnectionError, asyncio.IncompleteReadError)
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientConnectionError) as caught:
            await session.post(server.url, data=broken())
    assert isinstance(caught.value.__cause__, ValueError)
    assert "producer broke" in str(caught.value)


# -- 15. the middleware API ---------------------------------------------------------------------


async def test_middleware_replaces_the_body_and_sees_the_session(raw_server) -> None:
    seen = {}

    async def rewrite(request, handler):
        seen["session"] = request.session
        seen["auth"] = request.auth
        seen["authorization"] = request.headers.get("Authorization")
        await request.update_body(b"replaced body")
        return await handler(request)

    server = await raw_server(echo_head)
    async with aiohttp.ClientSession(middlewares=(rewrite,)) as session:
        header = aiohttp.encode_basic_auth("u", "p")
        async with session.post(
            server.url, data=b"original", headers={"Authorization": header}
        ) as resp:
            head, _, body = (await resp.read()).partition(b"||")
    assert body == b"replaced body"
    assert head_header(head, b"content-length") == b"13"
    assert seen == {"session": session, "auth": None, "authorization": header}


async def test_auth_argument_becomes_a_header_not_request_auth(raw_server) -> None:
    seen = []

    async def look(request, handler):
        seen.append((request.auth, request.headers.get("Authorization")))
        return await handler(request)

    server = await raw_server(answering())
    async with aiohttp.ClientSession(middlewares=(look,)) as session:
        with pytest.warns(DeprecationWarning):
            auth = aiohttp.BasicAuth("u", "p")
        with pytest.warns(DeprecationWarning, match="'auth' parameter is deprecated"):
            async with session.get(server.url, auth=auth) as resp:
                await resp.read()
    assert seen == [(None, auth.encode())]


# -- 16. session-level skip_auto_headers in any case -------------------------------------------


async def test_session_skip_auto_headers_in_lower_case(raw_server) -> None:
    server = await raw_server(echo_head)
    skip = ["user-agent", "accept-encoding"]
    async with aiohttp.ClientSession(skip_auto_headers=skip) as session:
        async with session.get(server.url) as resp:
            head = (await resp.read()).partition(b"||")[0]
    assert head_header(head, b"user-agent") is None
    assert head_header(head, b"accept-encoding") is None
    assert head_header(head, b"accept") == b"*/*"


# -- 17. non-http URLs and bad proxy URLs ----------------------------------------------------


@pytest.mark.parametrize("url", ["skype:handle", "mailto:a@b.example", "data:text/plain,hi"])
async def test_non_http_scheme_is_non_http_url_error(url: str) -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.NonHttpUrlClientError):
            await session.get(url)


async def test_proxy_that_is_not_a_url_is_invalid_url() -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.InvalidURL) as caught:
            await session.get("http://127.0.0.1:9/", proxy="InvalidUrl")
    assert type(caught.value) is aiohttp.InvalidURL


# -- 18. context-manager only ------------------------------------------------------------------


async def test_module_request_is_not_awaitable_and_leaves_nothing_open() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "never awaited", no unclosed session
        with pytest.raises(TypeError, match="async with"):
            await aiohttp.request("GET", "http://127.0.0.1:9/")  # type: ignore[misc]


async def test_plain_with_on_a_session_says_async_with() -> None:
    session = aiohttp.ClientSession()
    try:
        with pytest.raises(TypeError, match="Use async with instead"):
            with session:  # type: ignore[attr-defined]
                pass
    finally:
        await session.close()


# -- 19. arguments aiohttp refuses at once --------------------------------------------------------


async def test_proxy_auth_must_be_basic_auth() -> None:
    async with aiohttp.ClientSession() as session:
        with (
            pytest.warns(DeprecationWarning, match="proxy_auth"),
            pytest.raises(ValueError, match="proxy_auth must be None or BasicAuth"),
        ):
            await session.get("http://127.0.0.1:9/", proxy="http://127.0.0.1:9",
                              proxy_auth=("user", "pass"))  # fmt: skip


async def test_chunked_twice_is_refused(raw_server) -> None:
    server = await raw_server(echo_head)
    async with aiohttp.ClientSession() as session:
        with pytest.raises(ValueError, match="Transfer-Encoding: chunked"):
            await session.post(server.url, data=b"abc", chunked=True,
                               headers={"Transfer-Encoding": "chunked"})  # fmt: skip
        # The header alone frames the body.
        async with session.post(
            server.url, data=b"abc", headers={"Transfer-Encoding": "chunked"}
        ) as resp:
            assert (await resp.read()).endswith(b"||abc")
    assert server.connections == 1


# -- 21. text() without a charset is UTF-8 -------------------------------------------------------


async def test_text_without_charset_is_utf8(raw_server) -> None:
    latin1 = "héllo".encode("latin-1")
    response = (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n"
                % len(latin1) + latin1)  # fmt: skip

    server = await raw_server(answering(response))
    async with aiohttp.ClientSession() as session:
        async with session.get(server.url) as resp:
            assert await resp.read() == latin1
            assert resp.get_encoding() == "utf-8"
            with pytest.raises(UnicodeDecodeError):
                await resp.text()
            assert await resp.text(errors="replace") == "h\ufffdllo"
        # The session's resolver is the way to guess otherwise.
        async with aiohttp.ClientSession(
            fallback_charset_resolver=lambda resp, body: "latin-1"
        ) as other:
            async with other.get(server.url) as resp:
                assert await resp.text() == "héllo"

