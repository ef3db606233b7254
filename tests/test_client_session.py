"""ClientSession against a real uvicorn server: verbs, params, headers, bodies, auth."""

from __future__ import annotations

import asyncio
import gc
import io
import json
import warnings

import pytest
from multidict import CIMultiDict, MultiDict
from yarl import URL

import aiohttp_clone as aiohttp


def echo_headers(payload: dict) -> CIMultiDict[str]:
    return CIMultiDict((name, value) for name, value in payload["headers"])


async def test_get_as_context_manager(http_server) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(http_server.make_url("/hello")) as resp:
            assert resp.status == 200
            assert resp.ok
            assert resp.reason == "OK"
            assert resp.version == aiohttp.HttpVersion11
            assert await resp.text() == "Hello, world"
            assert resp.content_type == "text/plain"
            assert resp.charset == "utf-8"


async def test_get_awaited(http_server) -> None:
    async with aiohttp.ClientSession() as session:
        resp = await session.get(http_server.make_url("/hello"))
        try:
            assert await resp.read() == b"Hello, world"
        finally:
            resp.release()


@pytest.mark.parametrize("verb", ["get", "post", "put", "patch", "delete", "options"])
async def test_verbs_reach_the_server(http_server, verb: str) -> None:
    async with aiohttp.ClientSession() as session:
        async with getattr(session, verb)(http_server.make_url("/echo")) as resp:
            payload = await resp.json()
    assert payload["method"] == verb.upper()


async def test_head_has_no_body(http_server) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.head(http_server.make_url("/hello")) as resp:
            assert resp.status == 200
            assert await resp.read() == b""
            assert resp.headers["Content-Length"] == "12"


async def test_request_method_any(http_server) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.request("PROPFIND", http_server.make_url("/echo")) as resp:
            assert (await resp.json())["method"] == "PROPFIND"


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"a": "1", "b": "x y"}, "a=1&b=x+y"),
        ([("a", "1"), ("a", "2")], "a=1&a=2"),
        (MultiDict([("k", "v"), ("k", "w")]), "k=v&k=w"),
        ("raw=1&other=two", "raw=1&other=two"),
        ({"n": 3, "f": 1.5}, "n=3&f=1.5"),
    ],
)
async def test_params(http_server, params, expected: str) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(http_server.make_url("/echo"), params=params) as resp:
            assert (await resp.json())["query_string"] == expected


async def test_auto_headers(http_server) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(http_server.make_url("/echo")) as resp:
            headers = echo_headers(await resp.json())
    assert headers["host"] == f"127.0.0.1:{http_server.port}"
    assert headers["accept"] == "*/*"
    assert "gzip" in headers["accept-encoding"] and "br" in headers["accept-encoding"]
    assert headers["user-agent"].startswith("Python/")


async def test_skip_auto_headers(http_server) -> None:
    async with aiohttp.ClientSession(skip_auto_headers=["User-Agent"]) as session:
        async with session.get(
            http_server.make_url("/echo"), skip_auto_headers=["Accept-Encoding"]
        ) as resp:
            headers = echo_headers(await resp.json())
    assert "user-agent" not in headers
    assert "accept-encoding" not in headers
    assert headers["accept"] == "*/*"


async def test_session_and_request_headers_merge(http_server) -> None:
    async with aiohttp.ClientSession(headers={"X-Session": "s", "X-Both": "session"}) as session:
        async with session.get(
            http_server.make_url("/echo"), headers={"X-Both": "request", "X-Req": "r"}
        ) as resp:
            headers = echo_headers(await resp.json())
    assert headers["x-session"] == "s"
    assert headers["x-both"] == "request"
    assert headers["x-req"] == "r"


async def test_changed_session_headers_reach_the_wire(http_server) -> None:
    """Validated header blocks are remembered per session; a change must still be sent."""
    seen = []
    async with aiohttp.ClientSession(headers={"X-Token": "one"}) as session:
        for value in ("one", "one", "two"):
            session.headers["X-Token"] = value
            async with session.get(http_server.make_url("/echo")) as resp:
                seen.append(echo_headers(await resp.json())["x-token"])
        session.headers["X-Token"] = "bad\r\nInjected: 1"
        with pytest.raises(ValueError, match="X-Token"):
            await session.get(http_server.make_url("/echo"))
    assert seen == ["one", "one", "two"]


async def test_session_host_header_replaces_the_automatic_one(raw_server) -> None:
    server = await raw_server(aiohttp_respond_ok())
    async with aiohttp.ClientSession(headers={"Host": "example.com"}) as session:
        async with session.get(server.make_url("/")) as resp:
            assert resp.status == 200
        async with session.get(server.make_url("/"), headers={"host": "other.example"}) as resp:
            assert resp.status == 200
    hosts = [
        [line for line in request.split(b"\r\n") if line.lower().startswith(b"host:")]
        for request in server.requests
    ]
    assert hosts == [[b"Host: example.com"], [b"host: other.example"]]


@pytest.mark.parametrize(
    "bad",
    [
        {"X-Bad": "a\r\nInjected: yes"},
        {"X-Bad": "a\nb"},
        {"X-Bad": "a\x00b"},
        {"X-Bad\r\nInjected": "v"},
    ],
)
async def test_header_injection_refused_before_sending(raw_server, bad) -> None:
    server = await raw_server(aiohttp_respond_ok())
    async with aiohttp.ClientSession() as session:
        with pytest.raises(ValueError):
            await session.get(server.make_url("/"), headers=bad)
    assert server.requests == []


async def test_method_injection_refused(raw_server) -> None:
    server = await raw_server(aiohttp_respond_ok())
    async with aiohttp.ClientSession() as session:
        with pytest.raises(ValueError):
            await session.request("GET /x HTTP/1.1\r\nX:", server.make_url("/"))
    assert server.requests == []


def aiohttp_respond_ok():
    from tests.servers import respond_with

    return respond_with(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")


async def test_post_bytes_and_str(http_server) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.post(http_server.make_url("/echo"), data=b"\x00\x01binary") as resp:
            payload = await resp.json()
        assert payload["body"] == "\x00\x01binary"
        headers = echo_headers(payload)
        assert headers["content-length"] == "8"
        assert headers["content-type"] == "application/octet-stream"
        async with session.post(http_server.make_url("/echo"), data="héllo") as resp:
            payload = await resp.json()
        assert payload["body"].encode("latin-1").decode("utf-8") == "héllo"
        assert echo_headers(payload)["content-type"].startswith("text/plain")


async def test_post_form_dict(http_server) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.post(http_server.make_url("/echo"), data={"a": "1", "b": "x&y"}) as resp:
            payload = await resp.json()
    assert payload["body"] == "a=1&b=x%26y"
    assert echo_headers(payload)["content-type"] == "application/x-www-form-urlencoded"


async def test_post_formdata_with_file(http_server, tmp_path) -> None:
    path = tmp_path / "upload.txt"
    path.write_bytes(b"file contents\n")
    form = aiohttp.FormData()
    form.add_field("field", "value")
    with path.open("rb") as handle:
        form.add_field("file", handle, filename="upload.txt", content_type="text/plain")
        async with aiohttp.ClientSession() as session:
            async with session.post(http_server.make_url("/echo"), data=form) as resp:
                payload = await resp.json()
    content_type = echo_headers(payload)["content-type"]
    assert content_type.startswith("multipart/form-data; boundary=")
    body = payload["body"]
    assert 'name="field"' in body and "value" in body
    assert 'filename="upload.txt"' in body and "file contents\n" in body


async def test_post_file_object(http_server) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.post(
            http_server.make_url("/echo"), data=io.BytesIO(b"x" * 100_000)
        ) as resp:
            payload = await resp.json()
    assert payload["body_length"] == 100_000


async def test_post_async_generator_is_chunked(http_server) -> None:
    async def produce():
        for index in range(5):
            yield f"part{index};".encode()

    async with aiohttp.ClientSession() as session:
        async with session.post(http_server.make_url("/echo"), data=produce()) as resp:
            payload = await resp.json()
    assert payload["body"] == "part0;part1;part2;part3;part4;"
    assert echo_headers(payload)["transfer-encoding"] == "chunked"


async def test_post_json(http_server) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.post(http_server.make_url("/echo"), json={"k": [1, 2]}) as resp:
            payload = await resp.json()
    assert json.loads(payload["body"]) == {"k": [1, 2]}
    assert echo_headers(payload)["content-type"] == "application/json"


async def test_data_and_json_together_refused(http_server) -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(ValueError):
            await session.post(http_server.make_url("/echo"), data=b"x", json={})


async def test_custom_json_serialize(http_server) -> None:
    def dumps(value):
        return json.dumps(value, separators=(",", ":"))

    async with aiohttp.ClientSession(json_serialize=dumps) as session:
        async with session.post(http_server.make_url("/echo"), json={"a": 1}) as resp:
            assert (await resp.json())["body"] == '{"a":1}'


async def test_basic_auth_param(http_server) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(
            http_server.make_url("/basic-auth/user/pass"), auth=aiohttp.BasicAuth("user", "pass")
        ) as resp:
            assert resp.status == 200


async def test_auth_in_url_becomes_basic_auth(http_server) -> None:
    url = URL(f"http://user:pass@127.0.0.1:{http_server.port}/echo")
    async with aiohttp.ClientSession() as session:
        async with session.get(url) as resp:
            payload = await resp.json()
    headers = echo_headers(payload)
    assert headers["authorization"] == aiohttp.BasicAuth("user", "pass").encode()
    assert "user" not in payload["path"]


async def test_auth_and_url_credentials_refused(http_server) -> None:
    url = URL(f"http://user:pass@127.0.0.1:{http_server.port}/echo")
    async with aiohttp.ClientSession() as session:
        with pytest.raises(ValueError):
            await session.get(url, auth=aiohttp.BasicAuth("a", "b"))


async def test_base_url(http_server) -> None:
    async with aiohttp.ClientSession(base_url=http_server.make_url("/")) as session:
        async with session.get("/hello") as resp:
            assert await resp.text() == "Hello, world"


async def test_module_level_request(http_server) -> None:
    async with aiohttp.request("GET", http_server.make_url("/hello")) as resp:
        assert resp.status == 200
        assert await resp.text() == "Hello, world"


async def test_closed_session_refuses_requests(http_server) -> None:
    session = aiohttp.ClientSession()
    await session.close()
    assert session.closed
    with pytest.raises(RuntimeError):
        await session.get(http_server.make_url("/hello"))


async def test_unclosed_session_warns() -> None:
    session = aiohttp.ClientSession()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        del session
        gc.collect()
    assert any("Unclosed client session" in str(w.message) for w in caught)


@pytest.mark.parametrize("kwargs", [{"read_timeout": 5}, {"conn_timeout": 5}])
async def test_deprecated_session_parameters_warn(kwargs) -> None:
    """As in aiohttp: read_timeout is the total timeout (long downloads are not cut at the
    default five minutes), conn_timeout the connect one."""
    with pytest.warns(DeprecationWarning, match="use timeout argument instead"):
        session = aiohttp.ClientSession(**kwargs)
    await session.close()
    if "read_timeout" in kwargs:
        assert session.timeout.total == 5 and session.timeout.sock_read is None
    if "conn_timeout" in kwargs:
        assert session.timeout.connect == 5


async def test_loop_argument_does_not_warn() -> None:
    """aiohttp 3.14 accepts loop= silently; a test suite run with -W error must not break."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        session = aiohttp.ClientSession(loop=asyncio.get_running_loop())
    await session.close()


@pytest.mark.parametrize("kwargs", [{"read_timeout": 5}, {"conn_timeout": 5}])
async def test_deprecated_timeouts_conflict_with_timeout(kwargs) -> None:
    with pytest.raises(ValueError, match="parameters conflict"):
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=1), **kwargs)


async def test_middleware_sees_and_changes_request(http_server) -> None:
    seen = []

    async def add_header(req, handler):
        req.headers["X-Middleware"] = "yes"
        seen.append(req.method)
        return await handler(req)

    async with aiohttp.ClientSession(middlewares=(add_header,)) as session:
        async with session.get(http_server.make_url("/echo")) as resp:
            headers = echo_headers(await resp.json())
    assert headers["x-middleware"] == "yes"
    assert seen == ["GET"]


async def test_raise_for_status_session_and_request(http_server) -> None:
    async with aiohttp.ClientSession(raise_for_status=True) as session:
        with pytest.raises(aiohttp.ClientResponseError) as info:
            await session.get(http_server.make_url("/status/404"))
        assert info.value.status == 404
        async with session.get(
            http_server.make_url("/status/500"), raise_for_status=False
        ) as resp:
            assert resp.status == 500


async def test_raise_for_status_callable(http_server) -> None:
    called = []

    async def check(resp):
        called.append(resp.status)
        if resp.status == 418:
            raise RuntimeError("teapot")

    async with aiohttp.ClientSession(raise_for_status=check) as session:
        with pytest.raises(RuntimeError):
            await session.get(http_server.make_url("/status/418"))
    assert called == [418]


async def test_unix_connector(unix_server) -> None:
    connector = aiohttp.UnixConnector(path=unix_server)
    async with aiohttp.ClientSession(connector=connector) as session:
        async with session.get("http://localhost/hello") as resp:
            assert await resp.text() == "Hello, world"


async def test_expect100_continue(http_server) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.post(
            http_server.make_url("/echo"), data=b"payload", expect100=True
        ) as resp:
            payload = await resp.json()
    assert payload["body"] == "payload"
    assert echo_headers(payload)["expect"] == "100-continue"


async def test_compress_upload(http_server) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.post(
            http_server.make_url("/echo"), data=b"a" * 1000, compress="deflate"
        ) as resp:
            payload = await resp.json()
    headers = echo_headers(payload)
    assert headers["content-encoding"] == "deflate"
    import zlib

    assert zlib.decompress(payload["body"].encode("latin-1")) == b"a" * 1000


async def test_user_content_encoding_sent_as_is(http_server) -> None:
    import gzip

    body = gzip.compress(b"precompressed")
    async with aiohttp.ClientSession() as session:
        async with session.post(
            http_server.make_url("/echo"), data=body, headers={"Content-Encoding": "gzip"}
        ) as resp:
            payload = await resp.json()
    assert payload["body"].encode("latin-1") == body


async def test_large_bytes_body_streams_with_content_length(http_server) -> None:
    body = bytes(range(256)) * 4096  # 1 MiB: past the one-write fast path
    async with aiohttp.ClientSession() as session:
        async with session.post(http_server.make_url("/echo"), data=body) as resp:
            payload = await resp.json()
    assert payload["body_length"] == len(body)
    assert payload["body"].encode("latin-1") == body
    assert echo_headers(payload)["content-length"] == str(len(body))


async def test_middleware_sees_json_body_as_payload(http_server) -> None:
    seen = []

    async def inspect(req, handler):
        seen.append((type(req.body).__name__, req.body.decode(), req.body.content_type))
        return await handler(req)

    async with aiohttp.ClientSession(middlewares=(inspect,)) as session:
        async with session.post(http_server.make_url("/echo"), json={"a": [1, 2]}) as resp:
            payload = await resp.json()
    assert seen == [("BytesPayload", '{"a": [1, 2]}', "application/json")]
    assert payload["body"] == '{"a": [1, 2]}'


async def test_compressed_json_keeps_its_content_type(http_server) -> None:
    import zlib

    async with aiohttp.ClientSession() as session:
        async with session.post(
            http_server.make_url("/echo"), json={"k": "v"}, compress="deflate"
        ) as resp:
            payload = await resp.json()
    headers = echo_headers(payload)
    assert headers["content-type"] == "application/json"
    assert headers["content-encoding"] == "deflate"
    assert zlib.decompress(payload["body"].encode("latin-1")) == b'{"k": "v"}'


async def test_repeated_url_strings_are_parsed_once_and_stay_correct(http_server) -> None:
    """A URL string is parsed and checked once per session; params, base_url joins and bad
    URLs still behave as they do the first time."""
    url = str(http_server.make_url("/echo"))
    async with aiohttp.ClientSession() as session:
        async with session.get(url) as first, session.get(url) as second:
            assert first.url is second.url  # the same parsed URL served both
            assert (await second.json())["path"] == "/echo"
        async with session.get(url, params={"a": "1"}) as with_params:
            assert with_params.url.query == {"a": "1"}
        async with session.get(url) as again:
            assert again.url.query == {}
        for _ in range(2):  # a refused URL is refused every time, never remembered
            with pytest.raises(aiohttp.InvalidUrlClientError):
                await session.get("http:///no-host")
        for n in range(300):
            session._build_url(f"{url}/{n}", None)
        assert len(session._urls) <= 256


async def test_request_and_response_classes_are_used(http_server) -> None:
    """request_class/response_class subclasses are built through their own __init__."""
    built: list[str] = []

    class TaggedRequest(aiohttp.ClientRequest):
        def __init__(self, method: str, url: URL, **kwargs: object) -> None:
            super().__init__(method, url, **kwargs)  # type: ignore[arg-type]
            self.headers["X-Tag"] = "tagged"
            built.append(f"request {method}")

    class TaggedResponse(aiohttp.ClientResponse):
        def __init__(self, method: str, url: URL, **kwargs: object) -> None:
            super().__init__(method, url, **kwargs)  # type: ignore[arg-type]
            built.append(f"response {method}")

        async def tag(self) -> str:
            return str(echo_headers(await self.json()).get("X-Tag"))

    async with aiohttp.ClientSession(
        request_class=TaggedRequest, response_class=TaggedResponse
    ) as session:
        async with session.post(http_server.make_url("/echo"), data=b"x") as resp:
            assert isinstance(resp, TaggedResponse)
            assert await resp.tag() == "tagged"
    assert built == ["request POST", "response POST"]
