"""ClientResponse and resp.content against real servers: attributes, body APIs, decoding."""

from __future__ import annotations

import asyncio
import gzip
import zlib

import pytest
from multidict import CIMultiDictProxy
from yarl import URL

import aiohttp_clone as aiohttp
from tests.servers import RawHandler, drain_until_eof, read_request, respond_with

PATTERN = bytes(range(256))


def pattern(n: int) -> bytes:
    return (PATTERN * (n // 256 + 1))[:n]


async def test_response_attributes(http_server) -> None:
    url = http_server.make_url("/hello")
    async with aiohttp.ClientSession() as session:
        async with session.get(url) as resp:
            assert resp.method == "GET"
            assert resp.url == url
            assert resp.real_url == url
            assert isinstance(resp.headers, CIMultiDictProxy)
            assert resp.headers["content-type"] == "text/plain; charset=utf-8"
            assert (b"content-type", b"text/plain; charset=utf-8") in resp.raw_headers
            assert resp.content_length == 12
            assert resp.request_info.url == url
            assert resp.request_info.method == "GET"
            assert resp.request_info.headers["Host"] == url.host_port_subcomponent
            assert resp.history == ()
            await resp.read()
        assert resp.connection is None


async def test_links_and_content_disposition(http_server) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(http_server.make_url("/links")) as resp:
            links = resp.links
            assert "next" in links and "last" in links
            assert isinstance(links["next"]["url"], URL)
        async with session.get(http_server.make_url("/disposition")) as resp:
            disposition = resp.content_disposition
            assert disposition.type == "attachment"
            assert disposition.filename == "ä.txt"


@pytest.mark.parametrize("charset", ["utf-8", "latin-1", "cp1251", "utf-16"])
async def test_text_uses_declared_charset(http_server, charset: str) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(http_server.make_url(f"/charset/{charset}")) as resp:
            if charset == "cp1251":
                assert await resp.text(errors="replace")
            else:
                assert await resp.text() == "héllo wörld"


async def test_text_without_charset_detects_utf8(http_server) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(http_server.make_url("/no-charset")) as resp:
            assert resp.charset is None
            assert await resp.text() == "héllo wörld"


async def test_fallback_charset_resolver(http_server) -> None:
    calls = []

    def resolver(resp, body):
        calls.append(body)
        return "latin-1"

    async with aiohttp.ClientSession(fallback_charset_resolver=resolver) as session:
        async with session.get(http_server.make_url("/no-charset")) as resp:
            assert await resp.text() == "héllo wörld".encode().decode("latin-1")
    assert calls


async def test_json_and_content_type_error(http_server) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(http_server.make_url("/json")) as resp:
            assert await resp.json() == {"ok": True, "items": [1, 2, 3]}
        url = http_server.make_url("/content-type/text%2Fhtml").with_query(body='{"a": 1}')
        async with session.get(url) as resp:
            with pytest.raises(aiohttp.ContentTypeError):
                await resp.json()
        async with session.get(url) as resp:
            assert await resp.json(content_type=None) == {"a": 1}


async def test_raise_for_status_method(http_server) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(http_server.make_url("/status/503")) as resp:
            assert not resp.ok
            with pytest.raises(aiohttp.ClientResponseError) as info:
                resp.raise_for_status()
    assert info.value.status == 503
    assert info.value.request_info.url.path == "/status/503"


async def test_stream_read_methods(http_server) -> None:
    body = pattern(10_000)
    async with aiohttp.ClientSession() as session:
        async with session.get(http_server.make_url("/bytes/10000")) as resp:
            first = await resp.content.read(100)
            exact = await resp.content.readexactly(900)
            rest = await resp.content.read()
            assert resp.content.at_eof()
    assert first + exact + rest == body
    assert len(first) <= 100 and len(exact) == 900


async def test_stream_iterators(http_server) -> None:
    body = pattern(200_000)
    async with aiohttp.ClientSession() as session:
        async with session.get(http_server.make_url("/stream/200000?chunk=7000")) as resp:
            pieces = [piece async for piece in resp.content.iter_chunked(4096)]
        assert all(len(piece) <= 4096 for piece in pieces)
        assert b"".join(pieces) == body
        async with session.get(http_server.make_url("/stream/200000?chunk=7000")) as resp:
            assert b"".join([piece async for piece in resp.content.iter_any()]) == body
        async with session.get(http_server.make_url("/stream/200000?chunk=7000")) as resp:
            chunks = [data async for data, _ in resp.content.iter_chunks()]
            assert b"".join(chunks) == body


async def test_readline_and_readuntil(raw_server) -> None:
    body = b"line one\nline two\nend|tail"
    server = await raw_server(
        respond_with(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
    )
    async with aiohttp.ClientSession() as session:
        async with session.get(server.make_url("/")) as resp:
            assert await resp.content.readline() == b"line one\n"
            assert await resp.content.readline() == b"line two\n"
            assert await resp.content.readuntil(b"|") == b"end|"
            assert await resp.content.readany() == b"tail"
            assert await resp.content.readany() == b""


async def test_flow_control_bounds_buffer(http_server) -> None:
    """With read_bufsize small, a 20 MB body never piles up in the reader."""
    limit = 64 * 1024
    peak = 0
    total = 0
    async with aiohttp.ClientSession(read_bufsize=limit) as session:
        async with session.get(http_server.make_url("/bytes/20000000")) as resp:
            while True:
                # A slow consumer: let the socket deliver as much as flow control allows.
                for _ in range(5):
                    await __import__("asyncio").sleep(0)
                peak = max(peak, resp.content.total_bytes - total)
                chunk = await resp.content.read(16 * 1024)
                if not chunk:
                    break
                total += len(chunk)
    assert total == 20_000_000
    # One socket read may overshoot the limit; a whole body never should.
    assert peak < limit + 2 * 1024 * 1024


@pytest.mark.parametrize("route", ["/gzip", "/deflate", "/br", "/zstd", "/gzip-br"])
async def test_content_decoding(http_server, route: str) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(http_server.make_url("/json")) as resp:
            assert resp.status == 200
        async with session.get(http_server.make_url(route)) as resp:
            data = await resp.json()
    assert isinstance(data, dict) and data


async def test_auto_decompress_off_gives_raw_bytes(http_server) -> None:
    async with aiohttp.ClientSession(auto_decompress=False) as session:
        async with session.get(http_server.make_url("/gzip")) as resp:
            raw = await resp.read()
            assert resp.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(raw).startswith(b"{")


async def test_raw_deflate_decoding(raw_server) -> None:
    compressor = zlib.compressobj(wbits=-15)
    body = compressor.compress(b"raw deflate body") + compressor.flush()
    server = await raw_server(
        respond_with(
            b"HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nContent-Length: %d\r\n\r\n%s"
            % (len(body), body)
        )
    )
    async with aiohttp.ClientSession() as session:
        async with session.get(server.make_url("/")) as resp:
            assert await resp.read() == b"raw deflate body"


async def test_corrupt_gzip_is_payload_error(raw_server) -> None:
    body = b"\x1f\x8b\x08\x00garbage-garbage-garbage"
    server = await raw_server(
        respond_with(
            b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n%s"
            % (len(body), body)
        )
    )
    async with aiohttp.ClientSession() as session:
        async with session.get(server.make_url("/")) as resp:
            with pytest.raises(aiohttp.ClientPayloadError):
                await resp.read()


async def test_close_delimited_body(raw_server) -> None:
    server = await raw_server(respond_with(b"HTTP/1.1 200 OK\r\n\r\nuntil the end", close=True))
    async with aiohttp.ClientSession() as session:
        async with session.get(server.make_url("/")) as resp:
            assert await resp.read() == b"until the end"


async def test_response_cookies(http_server) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(http_server.make_url("/cookies/set?a=1&b=2")) as resp:
            assert resp.cookies["a"].value == "1"
            assert resp.cookies["b"].value == "2"


async def test_read_until_eof_false_gives_empty_unframed_body(raw_server) -> None:
    server = await raw_server(respond_with(b"HTTP/1.1 200 OK\r\n\r\nunframed", close=True))
    async with aiohttp.ClientSession() as session:
        async with session.get(server.make_url("/"), read_until_eof=False) as resp:
            assert await resp.read() == b""


# -- readchunk(): HTTP chunk ends, as aiohttp reports them ----------------------------------------

CHUNKED_OK = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"


def chunk(data: bytes) -> bytes:
    return b"%x\r\n" % len(data) + data + b"\r\n"


def stepped(pieces: list[bytes], go: asyncio.Queue[None]) -> RawHandler:
    """Handler: write the first piece, then each next one when the test puts to ``go``.

    The test releases a piece only after reading everything before it, so each piece reaches
    the client in a read of its own; no sleeps, no timing.
    """

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head, _ = await read_request(reader)
        if not head:
            return
        for index, piece in enumerate(pieces):
            if index:
                await go.get()
            writer.write(piece)
            await writer.drain()
        await drain_until_eof(reader)

    return handler


async def test_readchunk_follows_chunks_split_over_reads(raw_server) -> None:
    """A chunk's pieces come with False and the one completing it with True; a chunk ends with
    its CRLF, so a CRLF arriving alone gives (b"", True), and so does the last chunk once every
    end was read (what aiohttp, with its default llhttp parser, returns)."""
    go: asyncio.Queue[None] = asyncio.Queue()
    pieces = [
        CHUNKED_OK + chunk(b"a") + b"3\r\ncc",  # "a" whole, "ccc" cut in its data
        b"c\r",  # the rest of the data and half the CRLF
        b"\n" + chunk(b"xyzw"),  # the LF, then a whole chunk
        b"0\r\n\r\n",
    ]
    server = await raw_server(stepped(pieces, go))
    async with asyncio.timeout(30), aiohttp.ClientSession() as session:
        async with session.get(server.make_url("/")) as resp:
            content = resp.content
            assert await content.readchunk() == (b"a", True)
            assert await content.readchunk() == (b"cc", False)
            go.put_nowait(None)
            assert await content.readchunk() == (b"c", False)
            go.put_nowait(None)
            assert await content.readchunk() == (b"", True)
            assert await content.readchunk() == (b"xyzw", True)
            go.put_nowait(None)
            assert await content.readchunk() == (b"", True)
            assert await content.readchunk() == (b"", False)
            assert await content.readchunk() == (b"", False)


async def test_iter_chunks_gives_one_pair_per_buffered_chunk(raw_server) -> None:
    body = CHUNKED_OK + chunk(b"a") + chunk(b"bb") + chunk(b"ccc") + b"0\r\n\r\n"
    server = await raw_server(respond_with(body))
    async with aiohttp.ClientSession() as session:
        async with session.get(server.make_url("/")) as resp:
            assert [pair async for pair in resp.content.iter_chunks()] == [
                (b"a", True),
                (b"bb", True),
                (b"ccc", True),
            ]
            assert await resp.content.readchunk() == (b"", False)


async def test_readchunk_content_length_body_is_never_a_chunk_end(raw_server) -> None:
    go: asyncio.Queue[None] = asyncio.Queue()
    pieces = [b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nab", b"cd", b"ef"]
    server = await raw_server(stepped(pieces, go))
    async with asyncio.timeout(30), aiohttp.ClientSession() as session:
        async with session.get(server.make_url("/")) as resp:
            content = resp.content
            assert await content.readchunk() == (b"ab", False)
            go.put_nowait(None)
            assert await content.readchunk() == (b"cd", False)
            go.put_nowait(None)
            assert await content.readchunk() == (b"ef", False)
            assert await content.readchunk() == (b"", False)
            assert await content.readchunk() == (b"", False)


def gzip_segments(*parts: bytes) -> list[bytes]:
    """One gzip stream cut after each part (a sync flush), then its end."""
    compressor = zlib.compressobj(wbits=31)
    segments = [compressor.compress(part) + compressor.flush(zlib.Z_SYNC_FLUSH) for part in parts]
    return [*segments, compressor.flush()]


async def test_readchunk_decoded_chunks(raw_server) -> None:
    """The ends count decoded bytes; a chunk that decodes to nothing adds no end (aiohttp too)."""
    head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n"
    segments = gzip_segments(b"hello ", b"world", b"!")
    stream = b"".join(segments)
    bodies = [
        b"".join(chunk(segment) for segment in segments),
        chunk(stream[:5]) + chunk(stream[5:]),  # the first chunk holds only part of the header
    ]
    expected = [
        [(b"hello ", True), (b"world", True), (b"!", True)],
        [(b"hello world!", True)],
    ]
    async with aiohttp.ClientSession() as session:
        for body, want in zip(bodies, expected, strict=True):
            server = await raw_server(respond_with(head + body + b"0\r\n\r\n"))
            async with session.get(server.make_url("/")) as resp:
                assert [pair async for pair in resp.content.iter_chunks()] == want


async def test_readchunk_decoded_chunk_larger_than_the_read_buffer(raw_server) -> None:
    """Decoded output held back by flow control still comes before its chunk's end."""
    size = 5 * 1024 * 1024
    big, small, end = gzip_segments(b"\0" * size, b"xyz")
    body = chunk(big) + chunk(small + end) + b"0\r\n\r\n"
    head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n"
    server = await raw_server(respond_with(head + body))
    async with aiohttp.ClientSession(read_bufsize=2**16) as session:
        async with session.get(server.make_url("/")) as resp:
            pairs = [pair async for pair in resp.content.iter_chunks()]
    flags = [end for _, end in pairs]
    first_end = flags.index(True)
    assert not any(flags[:first_end])
    assert sum(len(data) for data, _ in pairs[: first_end + 1]) == size
    assert pairs[first_end + 1 :] == [(b"xyz", True)]
