"""FormData: urlencoded vs multipart choice, exact bodies, header-injection refusals."""

import io
from pathlib import Path

import pytest

from aiohttp_clone import ClientSession
from aiohttp_clone.formdata import FormData
from aiohttp_clone.multipart import MultipartWriter
from aiohttp_clone.payload import BytesPayload, Payload
from tests.servers import ServerInfo


class Collector:
    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    async def write(self, chunk: bytes) -> None:
        self.chunks.append(bytes(chunk))


async def body_of(payload: Payload) -> bytes:
    collector = Collector()
    await payload.write(collector)
    return b"".join(collector.chunks)


def with_boundary(payload: Payload, boundary: bytes = b"B") -> MultipartWriter:
    assert isinstance(payload, MultipartWriter)
    payload._boundary = boundary  # a fixed boundary so the expected bytes can be spelled out
    return payload


async def test_urlencoded_from_mapping() -> None:
    payload = FormData({"a": "1", "b c": "ä&", "n": 5})()
    assert isinstance(payload, BytesPayload)
    assert payload.content_type == "application/x-www-form-urlencoded"
    assert await body_of(payload) == b"a=1&b+c=%C3%A4%26&n=5"
    assert payload.size == len(b"a=1&b+c=%C3%A4%26&n=5")


async def test_urlencoded_repeated_names_and_charset() -> None:
    form = FormData([("a", "1"), ("a", "2")], charset="latin-1")
    form.add_field("x", "é")
    payload = form()
    assert payload.content_type == "application/x-www-form-urlencoded; charset=latin-1"
    assert await body_of(payload) == b"a=1&a=2&x=%E9"


async def test_single_pair_and_add_fields() -> None:
    form = FormData([("k", "v")])
    form.add_fields(("a", "1"), {"b": "2"})
    assert await body_of(form()) == b"k=v&a=1&b=2"


async def test_multipart_with_file_exact_bytes() -> None:
    form = FormData()
    form.add_field("a", "1")
    form.add_field("f", io.BytesIO(b"data"), filename="x.bin")
    form.add_field("t", "ä", content_type="text/plain")
    payload = with_boundary(form())
    assert await body_of(payload) == (
        b"--B\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n"
        b'Content-Disposition: form-data; name="a"\r\n'
        b"\r\n"
        b"1\r\n"
        b"--B\r\n"
        b"Content-Type: application/octet-stream\r\n"
        b'Content-Disposition: form-data; name="f"; filename="x.bin"\r\n'
        b"\r\n"
        b"data\r\n"
        b"--B\r\n"
        b"Content-Type: text/plain\r\n"
        b'Content-Disposition: form-data; name="t"\r\n'
        b"\r\n"
        b"\xc3\xa4\r\n"
        b"--B--\r\n"
    )
    assert payload.size == len(await body_of(payload))


async def test_real_file_field_uses_its_name(tmp_path: Path) -> None:
    path = tmp_path / "report.csv"
    path.write_bytes(b"a,b\n")
    with open(path, "rb") as fobj:
        form = FormData()
        form.add_field("upload", fobj)
        payload = with_boundary(form())
        body = await body_of(payload)
    assert b'Content-Disposition: form-data; name="upload"; filename="report.csv"\r\n' in body
    assert b"Content-Type: text/csv\r\n" in body
    assert b"\r\n\r\na,b\n\r\n--B--\r\n" in body
    assert body.count(b"Content-Disposition") == 1


async def test_file_part_type_comes_from_the_file_not_the_form_filename(tmp_path: Path) -> None:
    """As in aiohttp: the filename argument only names the part."""
    path = tmp_path / "a.csv"
    path.write_bytes(b"x,y\n")
    with open(path, "rb") as fobj:
        form = FormData()
        form.add_field("f", fobj, filename="x.pdf")
        form.add_field("g", io.BytesIO(b"d"), filename="x.pdf")
        body = await body_of(with_boundary(form()))
    assert (
        b'Content-Type: text/csv\r\nContent-Disposition: form-data; name="f"; filename="x.pdf"\r\n'
    ) in body
    assert (
        b"Content-Type: application/octet-stream\r\n"
        b'Content-Disposition: form-data; name="g"; filename="x.pdf"\r\n'
    ) in body


async def test_bare_file_in_add_fields(tmp_path: Path) -> None:
    path = tmp_path / "doc.bin"
    path.write_bytes(b"x")
    with open(path, "rb") as fobj:
        form = FormData(fobj)
        assert form.is_multipart
        body = await body_of(with_boundary(form()))
    assert b'name="doc.bin"; filename="doc.bin"' in body


async def test_bytes_value_becomes_file_part() -> None:
    form = FormData()
    form.add_field("blob", b"\x00\x01")
    body = await body_of(with_boundary(form()))
    assert b'Content-Disposition: form-data; name="blob"; filename="blob"\r\n' in body


async def test_default_to_multipart() -> None:
    form = FormData({"a": "1"}, default_to_multipart=True)
    assert await body_of(with_boundary(form())) == (
        b"--B\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b'Content-Disposition: form-data; name="a"\r\n\r\n1\r\n--B--\r\n'
    )


async def test_quote_fields_false_sends_raw_utf8() -> None:
    form = FormData(quote_fields=False)
    form.add_field("ä b", "v", filename="é f.txt")
    body = await body_of(with_boundary(form()))
    assert 'Content-Disposition: form-data; name="ä b"; filename="é f.txt"'.encode() in body


async def test_quoted_non_ascii_name_and_filename() -> None:
    form = FormData(charset="latin-1")
    form.add_field("ä", "é", filename="é.txt")
    body = await body_of(with_boundary(form()))
    # The filename is percent-encoded UTF-8 whatever the form's charset, with no filename*
    # (RFC 7578 §4.2). A non-ASCII *name* keeps RFC 8187's name*, which aiohttp also builds
    # (and then fails on with an AssertionError when it sends the form).
    assert (
        b"Content-Disposition: form-data; name*=utf-8''%C3%A4; filename=\"%C3%A9.txt\"\r\n" in body
    )
    assert b"filename*" not in body
    assert body.startswith(b"--B\r\nContent-Type: text/plain; charset=latin-1\r\n")
    assert body.endswith(b"\r\n\r\n\xe9\r\n--B--\r\n")


# What aiohttp 3.14 puts on the wire for each filename (observed): every byte but
# A-Z a-z 0-9 _ . - ~ is percent-encoded from UTF-8, inside a quoted-string.
FILENAMES = [
    ("plain-name_1.txt", "plain-name_1.txt"),
    ("h\u00e9llo w\u00f6rld.txt", "h%C3%A9llo%20w%C3%B6rld.txt"),
    ("\u65e5\u672c.txt", "%E6%97%A5%E6%9C%AC.txt"),
    ('a"b.txt', "a%22b.txt"),
    ("a\\b.txt", "a%5Cb.txt"),
    ("a;b.txt", "a%3Bb.txt"),
    ("a%b.txt", "a%25b.txt"),
    ("a'b.txt", "a%27b.txt"),
    ("a[b].txt", "a%5Bb%5D.txt"),
    ("a=b&c.txt", "a%3Db%26c.txt"),
    ("a\tb.txt", "a%09b.txt"),
    ("a(b)c,d/e:f.txt", "a%28b%29c%2Cd%2Fe%3Af.txt"),
    ("a!b#c$d&e+f^g`h|i~j.txt", "a%21b%23c%24d%26e%2Bf%5Eg%60h%7Ci~j.txt"),
]


@pytest.mark.parametrize(("filename", "sent"), FILENAMES)
async def test_filename_content_disposition_matches_aiohttp(filename: str, sent: str) -> None:
    form = FormData()
    form.add_field("f", b"x", filename=filename, content_type="text/plain")
    body = await body_of(with_boundary(form()))
    expected = f'Content-Disposition: form-data; name="f"; filename="{sent}"\r\n'
    assert expected.encode("ascii") in body
    assert b"filename*" not in body


async def test_non_ascii_filename_on_the_wire(http_server: ServerInfo) -> None:
    form = FormData()
    form.add_field("doc", io.BytesIO(b"data"), filename="r\u00e9sum\u00e9 \u65e5.pdf")
    async with ClientSession() as session:
        async with session.post(http_server.make_url("/echo"), data=form) as resp:
            body = (await resp.json())["body"].encode("latin-1")
    line = (
        b'Content-Disposition: form-data; name="doc"; filename="r%C3%A9sum%C3%A9%20%E6%97%A5.pdf"'
    )
    assert b"Content-Type: application/octet-stream\r\n" + line + b"\r\n\r\ndata\r\n" in body
    assert b"filename*" not in body


async def test_call_twice_gives_fresh_payloads() -> None:
    form = FormData({"a": "1"})
    assert form() is not form()
    assert await body_of(form()) == b"a=1"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"name": "a\r\nX-Evil: 1", "value": "v"},
        {"name": "a", "value": "v", "filename": "x\ny"},
        {"name": "a", "value": "v", "content_type": "text/plain\r\nX: 1"},
        {"name": "a\x00", "value": "v"},
    ],
)
def test_rejects_header_injection(kwargs: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="CR, LF or NUL"):
        FormData().add_field(**kwargs)


def test_rejects_wrong_types() -> None:
    with pytest.raises(TypeError, match="content_type"):
        FormData().add_field("a", "v", content_type=5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"Only io\.IOBase"):
        FormData().add_fields(5)
    form = FormData()
    form.add_field("n", object(), filename="x")
    with pytest.raises(TypeError, match="Can not serialize"):
        form()


def test_content_transfer_encoding_is_deprecated() -> None:
    with pytest.warns(DeprecationWarning):
        FormData().add_field("a", "1", content_transfer_encoding="base64")
