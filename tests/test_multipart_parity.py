"""Multipart behaviours pinned to aiohttp 3.14.5, observed side by side (issue 13, #36, #37)."""

from __future__ import annotations

import io
import warnings

import pytest

from aiohttp_clone import ClientSession, FormData, MultipartReader, MultipartWriter
from aiohttp_clone.multipart import (
    BadContentDispositionHeader,
    BadContentDispositionParam,
    BodyPartReader,
    content_disposition_filename,
    parse_content_disposition,
)
from tests.servers import ServerInfo, respond_with
from tests.test_multipart import PieceReader, body_of


def a_file(name: str = "/tmp/real.txt") -> io.BytesIO:
    f = io.BytesIO(b"data")
    f.name = name
    return f


# -- #36: the writer keeps a caller's Content-Disposition ----------------------------------------


@pytest.mark.parametrize(
    ("subtype", "disposition", "length"),
    [
        ("form-data", 'form-data; name="custom"; filename="given.bin"', b""),
        ("mixed", 'attachment; filename="given.bin"', b"Content-Length: 4\r\n"),
    ],
)
async def test_a_files_disposition_given_by_the_caller_is_kept(
    subtype: str, disposition: str, length: bytes
) -> None:
    writer = MultipartWriter(subtype, boundary="xx")
    writer.append(a_file(), headers={"Content-Disposition": disposition})
    assert await body_of(writer) == (
        b"--xx\r\nContent-Type: text/plain\r\nContent-Disposition: "
        + disposition.encode()
        + b"\r\n"
        + length
        + b"\r\ndata\r\n--xx--\r\n"
    )


async def test_a_file_without_one_still_gets_its_own() -> None:
    writer = MultipartWriter("mixed", boundary="xx")
    writer.append(a_file())
    assert b'Content-Disposition: attachment; filename="real.txt"\r\n' in await body_of(writer)


async def test_formdata_file_name_still_wins(http_server: ServerInfo) -> None:
    form = FormData()
    form.add_field("file", a_file(), filename="given.bin")
    async with ClientSession() as session:
        async with session.post(http_server.make_url("/echo"), data=form) as resp:
            body = (await resp.json())["body"]
    assert 'Content-Disposition: form-data; name="file"; filename="given.bin"\r\n' in body


async def test_a_parts_content_type_given_by_the_caller_is_kept() -> None:
    """Found while auditing #36: aiohttp lets the caller's Content-Type win over the one the
    payload type would pick; text is then encoded in the charset that header names."""
    writer = MultipartWriter("mixed", boundary="xx")
    writer.append("x", {"X-Custom": "1", "Content-Type": "text/x"})
    writer.append("\u00e9", {"Content-Type": "text/plain; charset=latin-1"})
    writer.append_json({"a": 1}, {"Content-Type": "application/x+json"})
    assert await body_of(writer) == (
        b"--xx\r\nContent-Type: text/x\r\nX-Custom: 1\r\nContent-Length: 1\r\n\r\nx\r\n"
        b"--xx\r\nContent-Type: text/plain; charset=latin-1\r\nContent-Length: 1\r\n\r\n"
        b"\xe9\r\n"
        b"--xx\r\nContent-Type: application/x+json\r\nContent-Length: 8\r\n\r\n"
        b'{"a": 1}\r\n--xx--\r\n'
    )


# -- #36: the reader: empty parts and the _charset_ field ----------------------------------------


def form_reader(body: bytes, piece: int = 3) -> MultipartReader:
    headers = {"Content-Type": "multipart/form-data; boundary=B"}
    return MultipartReader(headers, PieceReader(body, piece))


async def parts(reader: MultipartReader) -> list[tuple[str | None, str, str]]:
    got = []
    async for part in reader:
        assert isinstance(part, BodyPartReader)
        got.append((part.name, await part.text(), part.get_charset("-")))
    return got


EMPTY_PARTS = [
    (
        b'--B\r\nContent-Disposition: form-data; name="a"\r\n\r\nx\r\n--B\r\n\r\n--B--\r\n',
        ["x", ""],
    ),
    (b"--B\r\n\r\n--B--\r\n", [""]),
    (b"--B\r\n\r\n--B--", [""]),
    (b"--B\r\n\r\n--B--  \r\n", [""]),
    (b"--B\r\nH: v\r\n\r\n--B--\r\n", [""]),
    (b"--B\r\n\r\n--B\r\n\r\n--B--\r\n", ["", ""]),
    (b"--B\r\n\r\n--B\t\r\n\r\nx\r\n--B--\r\n", ["", "x"]),
]


@pytest.mark.parametrize(("body", "texts"), EMPTY_PARTS)
@pytest.mark.parametrize("piece", [1, 2, 5, 4096])
async def test_a_part_that_ends_right_after_its_headers_is_empty(
    body: bytes, texts: list[str], piece: int
) -> None:
    """RFC 2046: the CRLF before a delimiter may be the one that ends the part's headers."""
    assert [text for _, text, _ in await parts(form_reader(body, piece))] == texts


CHARSET_FORM = (
    b'--B\r\nContent-Disposition: form-data; name="_charset_"\r\n\r\niso-8859-1\r\n'
    b'--B\r\nContent-Disposition: form-data; name="t"\r\n\r\nh\xe9llo\r\n'
    b"--B\r\nContent-Type: text/plain; charset=utf-8\r\n"
    b'Content-Disposition: form-data; name="u"\r\n\r\nh\xc3\xa9llo\r\n--B--\r\n'
)


@pytest.mark.parametrize("piece", [1, 7, 4096])
async def test_charset_field_sets_the_default_charset(piece: int) -> None:
    """RFC 7578 §4.6, as aiohttp means it (its 3.14.5 reader fails on such a form)."""
    assert await parts(form_reader(CHARSET_FORM, piece)) == [
        ("t", "h\u00e9llo", "iso-8859-1"),
        ("u", "h\u00e9llo", "utf-8"),
    ]


async def test_charset_field_only_counts_first_and_in_form_data() -> None:
    first = b'--B\r\nContent-Disposition: form-data; name="a"\r\n\r\nx\r\n'
    reader = form_reader(first + CHARSET_FORM)
    assert [part.name async for part in reader] == ["a", "_charset_", "t", "u"]  # type: ignore[union-attr]
    mixed = MultipartReader(
        {"Content-Type": "multipart/mixed; boundary=B"}, PieceReader(CHARSET_FORM, 7)
    )
    assert [part.name async for part in mixed] == ["_charset_", "t", "u"]  # type: ignore[union-attr]


async def test_charset_field_longer_than_a_charset_name_is_refused() -> None:
    body = b'--B\r\nContent-Disposition: form-data; name="_charset_"\r\n\r\n' + b"x" * 32
    with pytest.raises(RuntimeError, match="Invalid default charset"):
        await form_reader(body + b"\r\n--B--\r\n").next()


async def test_charset_form_read_from_a_response(raw_server) -> None:  # type: ignore[no-untyped-def]
    head = (
        b"HTTP/1.1 200 OK\r\nContent-Type: multipart/form-data; boundary=B\r\n"
        b"Content-Length: %d\r\n\r\n" % len(CHARSET_FORM)
    )
    server = await raw_server(respond_with(head + CHARSET_FORM))
    async with ClientSession() as session:
        async with session.get(server.make_url("/")) as resp:
            reader = MultipartReader.from_response(resp)
            texts = []
            while (part := await reader.next()) is not None:
                texts.append(await part.text())  # type: ignore[union-attr]
    assert texts == ["h\u00e9llo", "h\u00e9llo"]


# -- #37: Content-Disposition edge cases -----------------------------------------------------

# (header, (type, params), filename, warning); every row observed on aiohttp 3.14.5.
DISPOSITIONS = [
    (
        'attachment; filename="/foo.html"',
        ("attachment", {"filename": "foo.html"}),
        "foo.html",
        None,
    ),
    ('attachment; filename="//x"', ("attachment", {"filename": "x"}), "x", None),
    (
        'attachment; filename="\\\\foo.html"',
        ("attachment", {"filename": "foo.html"}),
        "foo.html",
        None,
    ),
    ('attachment; filename="/"', ("attachment", {"filename": ""}), "", None),
    ('form-data; name="/a"', ("form-data", {"name": "a"}), None, None),
    (
        'attachment; filename="../foo.html"',
        ("attachment", {"filename": "../foo.html"}),
        "../foo.html",
        None,
    ),
    (
        "attachment; filename*=UTF-8''%2Ffoo.html",
        ("attachment", {"filename*": "/foo.html"}),
        "/foo.html",
        None,
    ),
    (
        'attachment; filename*0="/x"; filename*1=y',
        ("attachment", {"filename*0": "/x", "filename*1": "y"}),
        "/xy",
        None,
    ),
    ("attachment; filename=foo.html ;", (None, {}), None, BadContentDispositionHeader),
    ("attachment; ;filename=foo", (None, {}), None, BadContentDispositionHeader),
    ("attachment; ", (None, {}), None, BadContentDispositionHeader),
    ("attachment;", ("attachment", {}), None, BadContentDispositionHeader),
    (
        "attachment; filename=x;",
        ("attachment", {"filename": "x"}),
        "x",
        BadContentDispositionHeader,
    ),
    (
        "attachment;; filename=x",
        ("attachment", {"filename": "x"}),
        "x",
        BadContentDispositionHeader,
    ),
    ("attachment; fi@le=x", ("attachment", {}), None, BadContentDispositionParam),
    ("attachment; file name=x", ("attachment", {}), None, BadContentDispositionParam),
    ("attachment; =x", ("attachment", {}), None, BadContentDispositionParam),
    (
        "attachment; filename *=UTF-8''foo-%c3%a4.html",
        ("attachment", {}),
        None,
        BadContentDispositionParam,
    ),
    ("attachment; filename* =x", ("attachment", {}), None, BadContentDispositionParam),
    (
        "attachment; x y*=UTF-8''x; filename=z",
        ("attachment", {"filename": "z"}),
        "z",
        BadContentDispositionParam,
    ),
    ("attachment; filename*=UTF-8''x y", ("attachment", {}), None, BadContentDispositionParam),
    ("attachment; filename*=UTF-8''\u00e9", ("attachment", {}), None, BadContentDispositionParam),
    (
        "attachment; filename*=''foo-%c3%a4.html",
        ("attachment", {"filename*": "foo-\u00e4.html"}),
        "foo-\u00e4.html",
        None,
    ),
    ("attachment; filename*=''", ("attachment", {"filename*": ""}), "", None),
    (
        "attachment; filename*0*=UTF-8''foo-%c3%a4; filename*1=\".html\"",
        ("attachment", {"filename*0*": "UTF-8''foo-%c3%a4", "filename*1": ".html"}),
        "foo-\u00e4.html",
        None,
    ),
    (
        "attachment; filename*0*=\"UTF-8''x\"",
        ("attachment", {"filename*0*": "UTF-8''x"}),
        "x",
        None,
    ),
]


@pytest.mark.parametrize(("header", "parsed", "filename", "warning"), DISPOSITIONS)
def test_content_disposition_edge_cases(
    header: str, parsed: tuple, filename: str | None, warning: type[Warning] | None
) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = parse_content_disposition(header)
    assert got == parsed
    assert content_disposition_filename(got[1]) == filename
    assert {w.category for w in caught} == ({warning} if warning else set())


def test_content_disposition_table_matches_aiohttp() -> None:
    multipart = pytest.importorskip("aiohttp.multipart")
    for header, *_ in DISPOSITIONS:
        with warnings.catch_warnings(record=True) as theirs_warned:
            warnings.simplefilter("always")
            theirs = multipart.parse_content_disposition(header)
        with warnings.catch_warnings(record=True) as ours_warned:
            warnings.simplefilter("always")
            ours = parse_content_disposition(header)
        assert ours == theirs, header
        assert {w.category.__name__ for w in ours_warned} == {
            w.category.__name__ for w in theirs_warned
        }, header
        assert content_disposition_filename(ours[1]) == multipart.content_disposition_filename(
            theirs[1]
        )
