"""multipart: exact writer output, streaming reader, Content-Disposition parsing, round trips."""

import base64
import binascii
import gzip
import io
import warnings
import zlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from aiohttp_clone import ClientSession
from aiohttp_clone.multipart import (
    BadContentDispositionHeader,
    BadContentDispositionParam,
    BodyPartReader,
    MultipartReader,
    MultipartWriter,
    content_disposition_filename,
    parse_content_disposition,
)
from aiohttp_clone.payload import BytesPayload, StringPayload
from tests.servers import ServerInfo


class Collector:
    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    async def write(self, chunk: bytes) -> None:
        self.chunks.append(bytes(chunk))


async def body_of(writer: MultipartWriter, **kwargs: bool) -> bytes:
    collector = Collector()
    await writer.write(collector, **kwargs)
    return b"".join(collector.chunks)


class PieceReader:
    """Serves a body in fixed-size pieces, so boundaries fall across reads."""

    def __init__(self, data: bytes, piece: int) -> None:
        self._data = data
        self._piece = piece

    async def read(self, n: int = -1) -> bytes:
        size = min(self._piece, n) if n >= 0 else self._piece
        chunk, self._data = self._data[:size], self._data[size:]
        return chunk


def stream_reader(data: bytes) -> object:
    """aiohttp_clone's own StreamReader, fed the whole body, as a response would be."""
    from aiohttp_clone.streams import StreamReader

    class NoFlowControl:
        def pause_reading(self) -> None: ...

        def resume_reading(self) -> None: ...

    reader = StreamReader(NoFlowControl(), 2**16)
    reader.feed_data(data)
    reader.feed_eof()
    return reader


def reader_for(body: bytes, boundary: str = "B", piece: int = 7) -> MultipartReader:
    headers = {"Content-Type": f"multipart/mixed; boundary={boundary}"}
    return MultipartReader(headers, PieceReader(body, piece))


# --- writer ------------------------------------------------------------------------------------


async def test_writer_exact_bytes_and_size() -> None:
    writer = MultipartWriter("form-data", boundary="BOUND")
    assert writer.headers["Content-Type"] == "multipart/form-data; boundary=BOUND"
    writer.append("hello")
    writer.append(b"\x00\x01", {"Content-Type": "application/x"})
    writer.append_json({"a": 1})
    writer.append_form([("k", "v v")])
    expected = (
        b"--BOUND\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n"
        b'Content-Disposition: form-data; name="section-0"\r\n\r\n'
        b"hello\r\n"
        b"--BOUND\r\n"
        b"Content-Type: application/x\r\n"
        b'Content-Disposition: form-data; name="section-1"\r\n\r\n'
        b"\x00\x01\r\n"
        b"--BOUND\r\n"
        b"Content-Type: application/json\r\n"
        b'Content-Disposition: form-data; name="section-2"\r\n\r\n'
        b'{"a": 1}\r\n'
        b"--BOUND\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        b'Content-Disposition: form-data; name="section-3"\r\n\r\n'
        b"k=v+v\r\n"
        b"--BOUND--\r\n"
    )
    assert await body_of(writer) == expected
    assert writer.size == len(expected)
    assert await writer.as_bytes() == expected
    assert writer.decode() == expected.decode()
    assert await body_of(writer, close_boundary=False) == expected[: -len(b"--BOUND--\r\n")]
    assert len(writer) == 4 and writer.reusable


async def test_mixed_parts_get_no_disposition() -> None:
    writer = MultipartWriter(boundary="b")
    writer.append("x")
    assert await body_of(writer) == (
        b"--b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 1\r\n\r\nx\r\n--b--\r\n"
    )


async def test_empty_writer_is_still_a_body() -> None:
    writer = MultipartWriter(boundary="b")
    assert bool(writer) and writer.size == len(b"--b--\r\n")
    assert await body_of(writer) == b"--b--\r\n"


async def test_size_unknown_with_streamed_part() -> None:
    async def gen():  # type: ignore[no-untyped-def]
        yield b"x"

    writer = MultipartWriter(boundary="b")
    writer.append(gen())
    assert writer.size is None and not writer.reusable
    await body_of(writer)
    assert writer.consumed


def test_default_boundary_is_random() -> None:
    assert MultipartWriter().boundary != MultipartWriter().boundary
    assert len(MultipartWriter().boundary) == 32


@pytest.mark.parametrize(
    ("boundary", "header"),
    [("a:b", 'multipart/mixed; boundary="a:b"'), ("a b", 'multipart/mixed; boundary="a b"')],
)
def test_boundary_quoted_when_not_a_token(boundary: str, header: str) -> None:
    assert MultipartWriter(boundary=boundary).content_type == header


@pytest.mark.parametrize("boundary", ["", "x" * 71, "trailing ", "é", 'a"b', "a\r\nb"])
def test_invalid_boundaries(boundary: str) -> None:
    with pytest.raises(ValueError):
        MultipartWriter(boundary=boundary)


def test_part_headers_refuse_crlf() -> None:
    payload = BytesPayload(b"x", headers={"X-A": "ok"})
    payload.headers["X-B"] = "bad\r\nX-Evil: 1"
    with pytest.raises(ValueError, match="CR, LF and NUL"):
        MultipartWriter().append(payload)


async def test_nested_writer() -> None:
    inner = MultipartWriter("alternative", boundary="in")
    inner.append("plain")
    outer = MultipartWriter("mixed", boundary="out")
    outer.append(inner)
    # Each part, the nested writer included, announces its length (aiohttp's exact bytes).
    assert await body_of(outer) == (
        b"--out\r\nContent-Type: multipart/alternative; boundary=in\r\nContent-Length: 83\r\n"
        b"\r\n--in\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 5\r\n\r\n"
        b"plain\r\n--in--\r\n\r\n--out--\r\n"
    )
    assert outer.size == len(await body_of(outer))


# --- part framing: Content-Length and codings, as aiohttp 3.14 sends them --------------------


def test_writer_is_a_sync_context_manager() -> None:
    with MultipartWriter("mixed", boundary="b") as writer:
        writer.append("x")
    assert isinstance(writer, MultipartWriter) and len(writer) == 1


async def test_context_manager_writer_posted_to_server(http_server: ServerInfo) -> None:
    with MultipartWriter("mixed", boundary="cm-b") as writer:
        writer.append("text part")
        writer.append_json({"a": 1})
        writer.append(b"\x00\xffbin", {"Content-Type": "application/x-bin"})
    async with ClientSession() as session:
        async with session.post(http_server.make_url("/echo"), data=writer) as resp:
            echoed = await resp.json()
    headers = dict(echoed["headers"])
    body = echoed["body"].encode("latin-1")
    assert headers["content-type"] == "multipart/mixed; boundary=cm-b"
    assert int(headers["content-length"]) == len(body) == writer.size
    reader = MultipartReader({"Content-Type": headers["content-type"]}, stream_reader(body))
    got = [(dict(part.headers), await part.read()) async for part in reader]
    assert got == [
        ({"Content-Type": "text/plain; charset=utf-8", "Content-Length": "9"}, b"text part"),
        ({"Content-Type": "application/json", "Content-Length": "8"}, b'{"a": 1}'),
        ({"Content-Type": "application/x-bin", "Content-Length": "5"}, b"\x00\xffbin"),
    ]


async def test_part_content_length_in_mixed(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    path.write_text("file contents\n", encoding="utf-8")
    writer = MultipartWriter("mixed", boundary="b")
    with open(path, "rb") as binary, open(path, encoding="utf-8") as text:
        parts = [
            writer.append("text part"),
            writer.append(b"bytes part"),
            writer.append_json({"a": 1}),
            writer.append_form([("a", "b")]),
            writer.append(binary),
            writer.append(text),
            writer.append(io.BytesIO(b"bio")),
            writer.append(io.StringIO("sio")),
        ]
        lengths = [part.headers.get("Content-Length") for part in parts]
        assert lengths == ["9", "10", "8", "3", "14", "14", "3", "3"]
        # Content-Length comes after the headers the payload brought (file parts' disposition).
        assert list(parts[4].headers) == ["Content-Type", "Content-Disposition", "Content-Length"]
        body = await body_of(writer)
    assert writer.size == len(body)
    assert body.count(b"\r\nContent-Length: ") == 8


async def test_streamed_part_has_no_content_length() -> None:
    async def gen() -> AsyncIterator[bytes]:
        yield b"x"

    writer = MultipartWriter(boundary="b")
    streamed = writer.append(gen())
    sized = writer.append("y")
    assert "Content-Length" not in streamed.headers and sized.headers["Content-Length"] == "1"
    assert writer.size is None


def test_part_content_length_replaces_a_wrong_one() -> None:
    part = MultipartWriter(boundary="b").append("hello", {"Content-Length": "3"})
    assert part.headers.getall("Content-Length") == ["5"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("Content-Encoding", "gzip"),
        ("Content-Length", "1"),
        ("Content-Transfer-Encoding", "base64"),
    ],
)
def test_form_data_refuses_codings_and_lengths(name: str, value: str) -> None:
    """RFC 7578 §4.7/§4.8 (aiohttp asserts the same)."""
    with pytest.raises(ValueError, match=name):
        MultipartWriter("form-data").append(b"x", {name: value})


def _raw_inflate(data: bytes) -> bytes:
    return zlib.decompress(data, -zlib.MAX_WBITS)


def _gunzip_base64(data: bytes) -> bytes:
    return gzip.decompress(base64.b64decode(data))


@pytest.mark.parametrize(
    ("headers", "decode"),
    [
        ({"Content-Encoding": "gzip"}, gzip.decompress),
        ({"Content-Encoding": "deflate"}, _raw_inflate),  # raw deflate, as aiohttp sends parts
        ({"Content-Transfer-Encoding": "base64"}, base64.b64decode),
        ({"Content-Transfer-Encoding": "quoted-printable"}, binascii.a2b_qp),
        ({"Content-Encoding": "GZIP", "Content-Transfer-Encoding": "base64"}, _gunzip_base64),
    ],
)
async def test_part_codings_are_applied(
    headers: dict[str, str], decode: Callable[[bytes], bytes]
) -> None:
    data = b"h\xc3\xa9llo = w\xc3\xb6rld \r\n" * 5000  # several read chunks from the BytesIO
    writer = MultipartWriter(boundary="b")
    part = writer.append(io.BytesIO(data), headers)
    assert "Content-Length" not in part.headers and writer.size is None
    body = await body_of(writer)
    head, _, rest = body.partition(b"\r\n\r\n")
    assert head.startswith(b"--b\r\n") and rest.endswith(b"\r\n--b--\r\n")
    assert decode(rest[: -len(b"\r\n--b--\r\n")]) == data


async def test_part_coding_exact_bytes() -> None:
    writer = MultipartWriter(boundary="b")
    writer.append("hello", {"Content-Encoding": "deflate"})
    writer.append("h\u00e9llo=", {"Content-Transfer-Encoding": "base64"})
    writer.append("h\u00e9llo= " + "x" * 80, {"Content-Transfer-Encoding": "quoted-printable"})
    body = await body_of(writer)
    assert b"\r\n\r\n\xcbH\xcd\xc9\xc9\x07\x00\r\n--b\r\n" in body
    assert b"\r\n\r\naMOpbGxvPQ==\r\n--b\r\n" in body
    assert b"\r\n\r\nh=C3=A9llo=3D " + b"x" * 61 + b"=\n" + b"x" * 19 + b"\r\n--b--" in body


def test_identity_codings_keep_the_length_and_iterate_as_aiohttp() -> None:
    writer = MultipartWriter(boundary="b")
    writer.append("a")
    writer.append("b", {"Content-Encoding": "identity"})
    writer.append("c", {"Content-Transfer-Encoding": "binary"})
    writer.append("d", {"Content-Encoding": "gzip"})
    assert [(enc, te) for _, enc, te in writer] == [("", ""), (None, ""), ("", None), ("gzip", "")]
    assert [p.headers.get("Content-Length") for p, _, _ in writer] == ["1", "1", "1", None]


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({"Content-Encoding": "br"}, "unknown content encoding: br"),
        ({"Content-Transfer-Encoding": "7bit"}, "unknown content transfer encoding: 7bit"),
    ],
)
def test_unknown_part_codings(headers: dict[str, str], message: str) -> None:
    writer = MultipartWriter(boundary="b")
    with pytest.raises(RuntimeError, match=message):
        writer.append(b"x", headers)
    assert len(writer) == 0


# --- Content-Disposition parsing ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, (None, {})),
        ("inline", ("inline", {})),
        ("Attachment; FileName=foo.html", ("attachment", {"filename": "foo.html"})),
        (
            'attachment; filename="a;b c"; size=3',
            ("attachment", {"filename": "a;b c", "size": "3"}),
        ),
        ('attachment; filename="f\\"oo.html"', ("attachment", {"filename": 'f"oo.html'})),
        (
            "attachment; filename*=UTF-8''foo-%c3%a4.html",
            ("attachment", {"filename*": "foo-ä.html"}),
        ),
        ("attachment; filename*=UTF-8'en'%e2%82%ac", ("attachment", {"filename*": "€"})),
    ],
)
def test_parse_content_disposition(header: str | None, expected: object) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert parse_content_disposition(header) == expected


@pytest.mark.parametrize(
    "header",
    [
        "att ach",
        "attachment; filename",
        "attachment; filename=a b",
        "attachment; filename=foo; filename=bar",
        'attachment; filename="unterminated',
    ],
)
def test_parse_content_disposition_bad_header(header: str) -> None:
    with pytest.warns(BadContentDispositionHeader):
        assert parse_content_disposition(header) == (None, {})


def test_parse_content_disposition_bad_param_is_dropped() -> None:
    with pytest.warns(BadContentDispositionParam):
        result = parse_content_disposition("attachment; filename*=\"UTF-8''x\"; a=1")
    assert result == ("attachment", {"a": "1"})


def test_content_disposition_filename() -> None:
    assert content_disposition_filename({}) is None
    assert content_disposition_filename({"filename": "x", "filename*": "y"}) == "y"
    assert content_disposition_filename({"name": "n"}, "name") == "n"
    assert content_disposition_filename({"filename": "foo%20bar"}) == "foo%20bar"
    joined = {"filename*0": "foo.", "filename*1": "html"}
    assert content_disposition_filename(joined) == "foo.html"
    encoded = {"filename*0*": "utf-8''%C3%A4", "filename*1*": ".txt"}
    assert content_disposition_filename(encoded) == "ä.txt"


# --- reader -----------------------------------------------------------------------------------

SAMPLE = (
    b"preamble to ignore\r\n"
    b"--B\r\n"
    b'Content-Disposition: form-data; name="first"\r\n'
    b"\r\n"
    b"line one\r\nline two\r\n"
    b"--B \t\r\n"  # transport padding after the boundary is allowed
    b'Content-Disposition: form-data; name="empty"\r\n'
    b"\r\n"
    b"\r\n"
    b"--B\r\n"
    b"Content-Type: application/json\r\n"
    b"\r\n"
    b'{"k": [1, 2]}\r\n'
    b"--B--\r\n"
    b"epilogue"
)


@pytest.mark.parametrize("piece", [1, 3, 7, 4096])
async def test_reader_parts(piece: int) -> None:
    reader = reader_for(SAMPLE, piece=piece)
    first = await reader.next()
    assert isinstance(first, BodyPartReader) and first.name == "first"
    assert await first.readline() == b"line one\r\n"
    assert await first.readline() == b"line two"
    assert await first.readline() == b"" and first.at_eof()
    empty = await reader.next()
    assert empty.name == "empty" and await empty.read() == b""
    third = await reader.next()
    assert await third.json() == {"k": [1, 2]}
    assert await reader.next() is None and reader.at_eof()


async def test_reader_skips_unread_parts_and_iterates() -> None:
    names = [part.name async for part in reader_for(SAMPLE)]
    assert names == ["first", "empty", None]


async def test_read_chunk_streams_without_crossing_boundary() -> None:
    body = b"--B\r\n\r\n" + b"x" * 100_000 + b"\r\n--B--\r\n"
    part = await reader_for(body, piece=5000).next()
    chunks = [chunk async for chunk in part]
    assert b"".join(chunks) == b"x" * 100_000
    assert max(map(len, chunks)) <= BodyPartReader.chunk_size


async def test_boundary_like_data_inside_a_part() -> None:
    body = b"--B\r\n\r\n--B is not at a line start\r\n--Bx\r\n--B\r\n\r\nsecond\r\n--B--\r\n"
    reader = reader_for(body, piece=2)
    assert await (await reader.next()).read() == b"--B is not at a line start\r\n--Bx"
    assert await (await reader.next()).text() == "second"


async def test_part_decoding() -> None:
    payload = gzip.compress(b"zipped text")
    body = (
        b"--B\r\nContent-Transfer-Encoding: base64\r\nContent-Type: text/plain; charset=latin-1"
        b"\r\n\r\n" + base64.b64encode("é".encode("latin-1")) + b"\r\n"
        b"--B\r\nContent-Encoding: gzip\r\n\r\n" + payload + b"\r\n"
        b"--B\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\na=3Db\r\n"
        b"--B\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\na=1&b=%C3%A4&c=\r\n"
        b"--B--\r\n"
    )
    reader = reader_for(body)
    assert await (await reader.next()).text() == "é"
    gzipped = await reader.next()
    assert await gzipped.read(decode=True) == b"zipped text"
    assert await (await reader.next()).read(decode=True) == b"a=b"
    assert await (await reader.next()).form() == [("a", "1"), ("b", "ä"), ("c", "")]


async def test_size_limit() -> None:
    body = b"--B\r\n\r\n" + b"x" * 1000 + b"\r\n--B--\r\n"
    headers = {"Content-Type": "multipart/mixed; boundary=B"}
    reader = MultipartReader(headers, PieceReader(body, 100), client_max_size=100)
    part = await reader.next()
    with pytest.raises(ValueError, match="exceeds 100"):
        await part.read()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"--B\r\n\r\nno closing boundary", "before its closing boundary"),
        (b"no boundary at all", "before its closing boundary"),
        (b"--B\r\nbad header line\r\n\r\nx\r\n--B--\r\n", "invalid multipart part header"),
    ],
)
async def test_malformed_bodies(body: bytes, message: str) -> None:
    reader = reader_for(body)
    with pytest.raises(ValueError, match=message):
        part = await reader.next()
        await part.read()


async def test_header_limits() -> None:
    headers = {"Content-Type": "multipart/mixed; boundary=B"}
    many = b"--B\r\n" + b"X-A: 1\r\n" * 5 + b"\r\nx\r\n--B--\r\n"
    with pytest.raises(ValueError, match="more than 4 headers"):
        await MultipartReader(headers, PieceReader(many, 50), max_headers=4).next()
    long = b"--B\r\nX-A: " + b"a" * 100 + b"\r\n\r\nx\r\n--B--\r\n"
    with pytest.raises(ValueError, match="longer than 50"):
        await MultipartReader(headers, PieceReader(long, 50), max_field_size=50).next()


def test_reader_requires_multipart_content_type() -> None:
    with pytest.raises(ValueError):
        MultipartReader({"Content-Type": "text/plain"}, PieceReader(b"", 1))
    with pytest.raises(ValueError):
        MultipartReader({"Content-Type": "multipart/mixed"}, PieceReader(b"", 1))


# --- round trips -------------------------------------------------------------------------------


async def test_round_trip_through_stream_reader() -> None:
    inner = MultipartWriter("alternative", boundary="inner-b")
    inner.append("plain text")
    inner.append(StringPayload("<b>html</b>", content_type="text/html"))
    writer = MultipartWriter("form-data", boundary="outer boundary")
    writer.append("value", {"Content-Disposition": 'form-data; name="field"'})
    file_part = writer.append(io.BytesIO(b"\r\n--outer boundaryX\r\n" * 3))
    file_part.set_content_disposition("form-data", name="upload", filename="ä.bin")
    writer.append(inner)
    writer.append_json({"n": 1})
    body = await writer.as_bytes()

    reader = MultipartReader(writer.headers, stream_reader(body))
    field = await reader.next()
    assert (field.name, await field.text()) == ("field", "value")
    upload = await reader.next()
    # Percent-encoded, never filename* (RFC 7578 §4.2), so readers see it as aiohttp sends it.
    assert (upload.name, upload.filename) == ("upload", "%C3%A4.bin")
    assert await upload.read() == b"\r\n--outer boundaryX\r\n" * 3
    nested = await reader.next()
    assert isinstance(nested, MultipartReader)
    assert [await part.text() async for part in nested] == ["plain text", "<b>html</b>"]
    json_part = await reader.next()
    assert await json_part.json() == {"n": 1}
    assert await reader.next() is None


async def test_release_skips_everything() -> None:
    reader = reader_for(SAMPLE, piece=3)
    await reader.release()
    assert reader.at_eof() and await reader.next() is None
