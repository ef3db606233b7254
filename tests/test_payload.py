"""Payloads: headers, sizes, exact bytes written, file reads off the loop, reusability."""

import asyncio
import io
import json
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from aiohttp_clone import payload as payload_mod
from aiohttp_clone.payload import (
    PAYLOAD_REGISTRY,
    AsyncIterablePayload,
    BufferedReaderPayload,
    BytesIOPayload,
    BytesPayload,
    IOBasePayload,
    JsonPayload,
    Order,
    Payload,
    StringIOPayload,
    StringPayload,
    TextIOPayload,
    get_payload,
    payload_type,
)
from tests.servers import ServerInfo


class Collector:
    """The writer interface payloads write into: ``async write(chunk)``."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    async def write(self, chunk: bytes) -> None:
        self.chunks.append(bytes(chunk))

    @property
    def body(self) -> bytes:
        return b"".join(self.chunks)


async def written(payload: Payload) -> bytes:
    collector = Collector()
    await payload.write(collector)
    return collector.body


async def agen(*chunks: bytes) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


# --- registry --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "cls"),
    [
        (b"ab", BytesPayload),
        (bytearray(b"ab"), BytesPayload),
        (memoryview(b"ab"), BytesPayload),
        ("ab", StringPayload),
        (io.StringIO("ab"), StringIOPayload),
        (io.BytesIO(b"ab"), BytesIOPayload),
    ],
)
def test_get_payload_picks_class(data: object, cls: type) -> None:
    assert type(get_payload(data)) is cls


def test_get_payload_files(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"x")
    with open(path, "rb") as binary, open(path) as text, open(path, "r+b") as rw:
        assert type(get_payload(binary)) is BufferedReaderPayload
        assert type(get_payload(text)) is TextIOPayload
        assert type(get_payload(rw)) is BufferedReaderPayload


def test_get_payload_async_iterable_and_unknown() -> None:
    gen = agen(b"a")
    assert type(get_payload(gen)) is AsyncIterablePayload
    asyncio.run(gen.aclose())
    with pytest.raises(payload_mod.LookupError):
        get_payload(1)
    with pytest.raises(LookupError):  # also the builtin, for broad handlers
        get_payload(None)


def test_get_payload_passes_payloads_through() -> None:
    body = BytesPayload(b"x")
    assert get_payload(body) is body


def test_payload_type_decorator_and_order() -> None:
    class Point:
        pass

    @payload_type(Point)
    class PointPayload(BytesPayload):
        def __init__(self, value: Point, *args: object, **kwargs: object) -> None:
            super().__init__(b"point", *args, **kwargs)

    @payload_type(bytes, order=Order.try_first)
    class ShoutingBytes(BytesPayload):
        def __init__(self, value: bytes, *args: object, **kwargs: object) -> None:
            super().__init__(value.upper(), *args, **kwargs)

    try:
        assert type(get_payload(Point())) is PointPayload
        assert type(get_payload(b"abc")) is ShoutingBytes
    finally:
        for order in Order:
            PAYLOAD_REGISTRY._entries[order] = [
                entry
                for entry in PAYLOAD_REGISTRY._entries[order]
                if entry[0] not in (PointPayload, ShoutingBytes)
            ]
        PAYLOAD_REGISTRY._by_type.clear()
    assert type(get_payload(b"abc")) is BytesPayload


# --- headers and content types ----------------------------------------------------------------


def test_bytes_payload_headers() -> None:
    body = BytesPayload(b"abc", headers={"X-A": "1"})
    assert body.size == 3
    assert body.content_type == "application/octet-stream"
    assert list(body.headers.items()) == [
        ("Content-Type", "application/octet-stream"),
        ("X-A", "1"),
    ]
    assert BytesPayload(memoryview(b"abcd")).size == 4


def test_content_type_from_headers_and_argument() -> None:
    assert BytesPayload(b"x", headers={"content-type": "text/x"}).content_type == "text/x"
    body = BytesPayload(b"x", headers={"Content-Type": "text/x"}, content_type="text/y")
    assert body.headers.getall("Content-Type") == ["text/x"]  # the caller's header wins in aiohttp


def test_bytes_payload_rejects_text() -> None:
    with pytest.raises(TypeError):
        BytesPayload("text")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "content_type", "body"),
    [
        ({}, "text/plain; charset=utf-8", "ä".encode()),
        ({"encoding": "latin-1"}, "text/plain; charset=latin-1", b"\xe4"),
        ({"content_type": "text/html"}, "text/html", "ä".encode()),
        ({"content_type": "text/html; charset=latin-1"}, "text/html; charset=latin-1", b"\xe4"),
    ],
)
async def test_string_payload_charset(
    kwargs: dict[str, str], content_type: str, body: bytes
) -> None:
    payload = StringPayload("ä", **kwargs)
    assert payload.content_type == content_type
    assert payload.size == len(body)
    assert await written(payload) == body
    assert payload.decode() == "ä"


async def test_string_io_reads_from_current_position() -> None:
    source = io.StringIO("skip-héllo")
    source.read(5)
    payload = get_payload(source)
    assert payload.size == len("héllo".encode())
    assert await payload.as_bytes() == "héllo".encode()


async def test_json_payload() -> None:
    payload = JsonPayload({"a": [1, "ü"]})
    assert payload.content_type == "application/json"
    assert json.loads(await written(payload)) == {"a": [1, "ü"]}
    custom = JsonPayload({"a": 1}, dumps=lambda v: "custom", content_type="application/x+json")
    assert (await custom.as_bytes(), custom.content_type) == (b"custom", "application/x+json")


def test_set_content_disposition() -> None:
    payload = BytesPayload(b"x")
    payload.set_content_disposition("attachment", filename="a.txt")
    assert payload.headers["Content-Disposition"] == 'attachment; filename="a.txt"'
    # A quoted filename is always percent-encoded (aiohttp's exact bytes), so CR/LF and
    # non-ASCII travel safely and filename* (RFC 7578 §4.2) is never needed.
    payload.set_content_disposition("attachment", filename="a\r\nb \u00e9")
    assert payload.headers["Content-Disposition"] == 'attachment; filename="a%0D%0Ab%20%C3%A9"'
    payload.set_content_disposition("attachment", FILENAME="a b", _charset="latin-1")
    assert payload.headers["Content-Disposition"] == 'attachment; FILENAME="a%20b"'
    payload.set_content_disposition("attachment", filename="\u00e9", _charset="latin-1")
    assert payload.headers["Content-Disposition"] == 'attachment; filename="%E9"'
    with pytest.raises(ValueError):
        payload.set_content_disposition("attachment", quote_fields=False, filename="a\r\nb")


# --- bytes-like writing ---------------------------------------------------------------------------


async def test_bytes_payload_is_reusable() -> None:
    payload = BytesPayload(b"abc")
    assert await written(payload) == b"abc"
    assert await written(payload) == b"abc"
    assert payload.reusable and not payload.consumed
    assert payload.decode() == "abc"


async def test_write_with_length_truncates() -> None:
    collector = Collector()
    await BytesPayload(b"0123456789").write_with_length(collector, 4)
    assert collector.body == b"0123"
    collector = Collector()
    await BytesIOPayload(io.BytesIO(b"0123456789")).write_with_length(collector, None)
    assert collector.body == b"0123456789"


# --- files ---------------------------------------------------------------------------------------


@pytest.fixture
def big_file(tmp_path: Path) -> Path:
    path = tmp_path / "data.bin"
    path.write_bytes(bytes(range(256)) * 1024 + b"tail")  # 256 KiB + 4: several 64 KiB reads
    return path


async def test_file_payload_reads_in_executor(big_file: Path) -> None:
    threads: set[str] = set()
    with open(big_file, "rb") as fobj:
        original_read = fobj.read

        payload = get_payload(fobj)
        assert payload.size == big_file.stat().st_size
        assert payload.filename == "data.bin"
        assert payload.headers["Content-Disposition"] == 'attachment; filename="data.bin"'

        def spy(n: int = -1) -> bytes:
            threads.add(threading.current_thread().name)
            return original_read(n)

        payload._value = type("Spy", (), {"read": staticmethod(spy), "seek": fobj.seek})()
        recorder = Collector()
        await payload.write(recorder)
    assert recorder.body == big_file.read_bytes()
    assert all(len(chunk) <= 2**16 for chunk in recorder.chunks)
    assert len(recorder.chunks) == 5
    assert threading.main_thread().name not in threads


async def test_file_payload_resends_from_start_position(big_file: Path) -> None:
    with open(big_file, "rb") as fobj:
        fobj.read(10)
        payload = get_payload(fobj)
        assert payload.size == big_file.stat().st_size - 10
        first = await written(payload)
        second = await written(payload)
        assert first == second == big_file.read_bytes()[10:]
        assert payload.reusable and not payload.consumed
        assert await payload.as_bytes() == first


async def test_file_payload_content_type_from_name(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text("<p>")
    with open(path, "rb") as fobj:
        assert get_payload(fobj).content_type == "text/html"
    with open(path, "rb") as fobj:
        assert get_payload(fobj, content_type="text/x").content_type == "text/x"
    with open(path, "rb") as fobj:
        payload = get_payload(fobj, disposition=None)
        assert "Content-Disposition" not in payload.headers


async def test_file_payload_close_closes_file(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"x")
    fobj = open(path, "rb")  # noqa: SIM115  (closed by the payload)
    payload = get_payload(fobj)
    await payload.close()
    assert fobj.closed and payload.consumed


async def test_text_file_payload(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("héllo\n" * 20000, encoding="utf-8")
    with open(path, encoding="utf-8") as fobj:
        payload = get_payload(fobj)
        assert isinstance(payload, TextIOPayload)
        assert payload.size == path.stat().st_size  # counted through the codec, exactly
        assert payload.content_type == "text/plain; charset=utf-8"
        assert await written(payload) == path.read_bytes()
    with open(path, encoding="utf-8") as fobj:
        latin = get_payload(fobj, encoding="latin-1")
        assert latin.content_type == "text/plain; charset=latin-1"
        assert (await latin.as_bytes())[:6] == "héllo\n".encode("latin-1")


def _text_file(tmp_path: Path, raw: bytes) -> Path:
    path = tmp_path / "text.txt"
    path.write_bytes(raw)
    return path


@pytest.mark.parametrize(
    ("raw", "open_kwargs", "sent"),
    [
        (b"hello\nworld\n", {}, b"hello\nworld\n"),
        ("h\u00e9llo\n".encode(), {"encoding": "utf-8"}, "h\u00e9llo\n".encode()),
        # Universal newlines shrink the text: aiohttp announces 5 bytes and sends 4.
        (b"a\r\nb\n", {}, b"a\nb\n"),
        (b"a\r\nb\n", {"newline": ""}, b"a\r\nb\n"),
        # Latin-1 on disk, UTF-8 on the wire: aiohttp announces 5 and cuts the body short.
        ("h\u00e9llo".encode("latin-1"), {"encoding": "latin-1"}, "h\u00e9llo".encode()),
        # The BOM is decoded away: aiohttp announces 8 bytes and sends 5.
        (b"\xef\xbb\xbfhello", {"encoding": "utf-8-sig"}, b"hello"),
    ],
)
async def test_text_file_size_is_what_is_sent(
    tmp_path: Path, raw: bytes, open_kwargs: dict[str, str], sent: bytes
) -> None:
    with open(_text_file(tmp_path, raw), **open_kwargs) as fobj:  # type: ignore[call-overload]
        payload = get_payload(fobj)
        assert isinstance(payload, TextIOPayload)
        assert payload.size == len(sent)
        assert await written(payload) == sent
        assert await written(payload) == sent  # the size scan left the file where it was


async def test_text_file_size_from_the_current_position(tmp_path: Path) -> None:
    with open(_text_file(tmp_path, b"hello world"), encoding="utf-8") as fobj:
        fobj.read(6)
        payload = get_payload(fobj)
        assert payload.size == 5
        assert await written(payload) == b"world"


async def test_text_over_bytes_io_has_a_size() -> None:
    fobj = io.TextIOWrapper(io.BytesIO("\u00e9t\u00e9".encode()), encoding="utf-8")
    payload = get_payload(fobj)
    assert payload.size == 5 and await written(payload) == "\u00e9t\u00e9".encode()


async def test_text_file_that_does_not_decode_goes_chunked(tmp_path: Path) -> None:
    with open(_text_file(tmp_path, b"ok \xff"), encoding="utf-8") as fobj:
        payload = get_payload(fobj)
        assert payload.size is None
        assert fobj.tell() == 0
        with pytest.raises(UnicodeDecodeError):
            await written(payload)


async def test_large_text_file_goes_chunked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(payload_mod, "TEXT_SIZE_SCAN_LIMIT", 10)
    with open(_text_file(tmp_path, b"eleven byte"), encoding="utf-8") as fobj:
        payload = get_payload(fobj)
        assert payload.size is None and payload.reusable
        assert await written(payload) == b"eleven byte"


async def test_known_size_stops_without_an_eof_read() -> None:
    """Once the announced length is out the server may answer; no read may still be pending."""
    reads: list[int | None] = []

    class Counting(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            reads.append(size)
            return super().read(size)

    payload = get_payload(Counting(b"0123456789"))
    assert isinstance(payload, BytesIOPayload)
    assert await written(payload) == b"0123456789"
    assert reads == [10]


async def test_text_known_size_stops_without_an_eof_read() -> None:
    reads: list[int | None] = []

    class Counting(io.TextIOWrapper):
        def read(self, size: int | None = -1) -> str:
            reads.append(size)
            return super().read(size)

    payload = get_payload(Counting(io.BytesIO(b"hello"), encoding="utf-8"))
    assert payload.size == 5
    reads.clear()
    assert await written(payload) == b"hello"
    assert reads == [payload_mod.READ_CHUNK_SIZE]


async def test_file_that_grew_is_cut_to_its_announced_size(tmp_path: Path) -> None:
    path = tmp_path / "grow.bin"
    path.write_bytes(b"abc")
    with open(path, "rb") as fobj:
        payload = get_payload(fobj)
        with open(path, "ab") as more:
            more.write(b"def")
        assert payload.size == 3
        assert await written(payload) == b"abc"


async def test_text_file_posted_with_content_length(
    http_server: ServerInfo, tmp_path: Path
) -> None:
    from aiohttp_clone import ClientSession

    path = _text_file(tmp_path, "l\u00ednea 1\r\nl\u00ednea 2\n".encode())
    async with ClientSession() as session:
        with open(path, encoding="utf-8") as fobj:
            async with session.post(http_server.make_url("/echo"), data=fobj) as resp:
                echoed = await resp.json()
    headers = dict(echoed["headers"])
    assert "transfer-encoding" not in headers
    assert int(headers["content-length"]) == echoed["body_length"] == 18
    assert echoed["body"].encode("latin-1") == "l\u00ednea 1\nl\u00ednea 2\n".encode()


async def test_pipe_is_one_shot() -> None:
    import os

    read_fd, write_fd = os.pipe()
    os.write(write_fd, b"from a pipe")
    os.close(write_fd)
    with open(read_fd, "rb") as fobj:
        payload = get_payload(fobj)
        assert payload.size is None and not payload.reusable
        assert await written(payload) == b"from a pipe"
        assert payload.consumed
        with pytest.raises(RuntimeError, match="already sent"):
            await written(payload)


async def test_bytes_io_payload() -> None:
    source = io.BytesIO(b"0123456789")
    source.read(2)
    payload = get_payload(source)
    assert isinstance(payload, BytesIOPayload)
    assert payload.size == 8
    assert await written(payload) == b"23456789"
    assert await written(payload) == b"23456789"
    assert payload.decode() == "23456789"


def test_iobase_payload_for_raw_io(tmp_path: Path) -> None:
    path = tmp_path / "raw"
    path.write_bytes(b"raw bytes")
    with open(path, "rb", buffering=0) as fobj:
        payload = get_payload(fobj)
        assert type(payload) is IOBasePayload
        assert payload.size == 9


# --- async iterables ----------------------------------------------------------------------------


async def test_async_iterable_payload_streams_once() -> None:
    payload = get_payload(agen(b"a", b"bc"))
    assert payload.size is None and not payload.reusable
    collector = Collector()
    await payload.write(collector)
    assert collector.chunks == [b"a", b"bc"]
    assert payload.consumed
    with pytest.raises(RuntimeError, match="only be sent once"):
        await written(payload)


async def test_async_iterable_as_bytes_makes_it_reusable() -> None:
    payload = AsyncIterablePayload(agen(b"a", b"bc"))
    assert await payload.as_bytes() == b"abc"
    assert payload.reusable and payload.size == 3
    assert await written(payload) == b"abc"
    assert await written(payload) == b"abc"


def test_async_iterable_payload_type_check() -> None:
    with pytest.raises(TypeError):
        AsyncIterablePayload([b"a"])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="decoded synchronously"):
        gen = agen(b"a")
        try:
            AsyncIterablePayload(gen).decode()
        finally:
            asyncio.run(gen.aclose())
