"""Every rule of docs/PARSER.md, run against both parser twins."""


import pytest

from aiohttp_clone._http import rules as R
from aiohttp_clone._http.messages import (
    END_OF_CHUNK,
    END_OF_MESSAGE,
    HttpVersion,
    HttpVersion10,
    HttpVersion11,
    RawResponseMessage,
)
from aiohttp_clone.http_exceptions import (
    BadHttpMessage,
    BadStatusLine,
    ContentLengthError,
    HttpProcessingError,
    InvalidHeader,
    LineTooLong,
    TransferEncodingError,
)
from tests.twins import PARSERS, PyParser


@pytest.fixture(params=list(PARSERS.values()), ids=list(PARSERS))
def parser_cls(request: pytest.FixtureRequest) -> type:
    """Every parser twin built (both, whenever the C extensions are required)."""
    return request.param  # type: ignore[no-any-return]


def coalesce(events: list) -> list:
    """Join adjacent body pieces, since how the body is cut depends on how input arrived."""
    out: list = []
    for event in events:
        if isinstance(event, bytes) and out and isinstance(out[-1], bytes):
            out[-1] += event
        else:
            out.append(bytes(event) if isinstance(event, bytes) else event)
    return out


def parse(parser_cls: type, data: bytes, method: str = "GET", **kwargs: object) -> list:
    parser = parser_cls(**kwargs)
    parser.set_request_method(method)
    return coalesce(parser.feed_data(data))


def feed_bytewise(parser: object, data: bytes) -> list:
    events: list = []
    for i in range(len(data)):
        events += parser.feed_data(data[i : i + 1])
    return coalesce(events)


def raises(parser_cls: type, data: bytes, exc: type, message: str, **kwargs: object) -> None:
    """The error and its exact message, whole and byte by byte."""
    with pytest.raises(exc) as info:
        parse(parser_cls, data, **kwargs)
    assert type(info.value) is exc
    assert info.value.message == message
    with pytest.raises(exc) as info:
        feed_bytewise(parser_cls(**kwargs), data)
    assert type(info.value) is exc
    assert info.value.message == message


def head(events: list, index: int = 0) -> RawResponseMessage:
    message = events[index]
    assert isinstance(message, RawResponseMessage)
    return message


# --- simple bodies ---------------------------------------------------------------------------


def test_content_length_body(parser_cls: type) -> None:
    data = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello"
    events = parse(parser_cls, data)
    msg = head(events)
    assert msg.version == HttpVersion11
    assert msg.code == 200
    assert msg.reason == "OK"
    assert msg.headers["content-type"] == "text/plain"
    assert msg.raw_headers == ((b"Content-Type", b"text/plain"), (b"Content-Length", b"5"))
    assert msg.content_length == 5
    assert (msg.should_close, msg.chunked, msg.upgrade, msg.compression) == (
        False,
        False,
        False,
        None,
    )
    assert events[1:] == [b"hello", END_OF_MESSAGE]


def test_body_is_same_object_when_whole_input_is_body(parser_cls: type) -> None:
    parser = parser_cls()
    assert parser.feed_data(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n")[1:] == []
    body = b"0123456789"
    events = parser.feed_data(body)
    assert events[0] is body
    assert events[1:] == [END_OF_MESSAGE]


@pytest.mark.parametrize("kind", [bytearray, memoryview])
def test_bytes_like_input(parser_cls: type, kind: type) -> None:
    parser = parser_cls()
    events = parser.feed_data(kind(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"))
    assert type(events[1]) is bytes
    assert events[1:] == [b"hi", END_OF_MESSAGE]


def test_zero_content_length(parser_cls: type) -> None:
    events = parse(parser_cls, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    assert events[1:] == [END_OF_MESSAGE]


def test_empty_feed_is_a_no_op(parser_cls: type) -> None:
    parser = parser_cls()
    assert parser.feed_data(b"") == []
    assert parser.feed_eof() == []


def test_content_length_body_split_over_feeds(parser_cls: type) -> None:
    parser = parser_cls()
    events = parser.feed_data(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nab")
    events += parser.feed_data(b"cd")
    events += parser.feed_data(b"efHTTP/1.1 204 No Content\r\n\r\n")
    assert events[1:4] == [b"ab", b"cd", b"ef"]
    assert events[4] is END_OF_MESSAGE
    assert head(events, 5).code == 204
    assert events[6:] == [END_OF_MESSAGE]


# --- chunked -------------------------------------------------------------------------------


CHUNKED_HEAD = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"


def test_chunked(parser_cls: type) -> None:
    events = parse(parser_cls, CHUNKED_HEAD + b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
    msg = head(events)
    assert msg.chunked is True
    assert msg.content_length is None
    assert msg.should_close is False
    # Every chunk ends with END_OF_CHUNK, the last chunk (with its trailers) included.
    assert events[1:] == [
        b"hello",
        END_OF_CHUNK,
        b" world",
        END_OF_CHUNK,
        END_OF_CHUNK,
        END_OF_MESSAGE,
    ]


@pytest.mark.parametrize(
    "size_line",
    [
        b"5;name",
        b"5;name=value",
        b"5 ; name = value",
        b'5;name="quoted value"',
        b'5;a="esc\\"aped\\\\";b=c;d',
        b'5;a="\xff obs-text \t"',
        b"5\t;a=b",
        b"0005",
        b"5;a=b ;c",
    ],
)
def test_chunk_extensions_are_validated_and_dropped(parser_cls: type, size_line: bytes) -> None:
    events = parse(parser_cls, CHUNKED_HEAD + size_line + b"\r\nhello\r\n0;x=y\r\n\r\n")
    assert events[1:] == [b"hello", END_OF_CHUNK, END_OF_CHUNK, END_OF_MESSAGE]


def test_hex_chunk_sizes(parser_cls: type) -> None:
    body = b"x" * 0x1A
    events = parse(parser_cls, CHUNKED_HEAD + b"1a\r\n" + body + b"\r\n00\r\n\r\n")
    assert events[1:] == [body, END_OF_CHUNK, END_OF_CHUNK, END_OF_MESSAGE]
    events = parse(parser_cls, CHUNKED_HEAD + b"1A\r\n" + body + b"\r\n0\r\n\r\n")
    assert events[1:] == [body, END_OF_CHUNK, END_OF_CHUNK, END_OF_MESSAGE]


def test_trailers_are_dropped(parser_cls: type) -> None:
    data = CHUNKED_HEAD + b"3\r\nabc\r\n0\r\nX-Checksum: 1234\r\nX-More:  x\r\n  folded\r\n\r\n"
    events = parse(parser_cls, data)
    assert events[1:] == [b"abc", END_OF_CHUNK, END_OF_CHUNK, END_OF_MESSAGE]
    assert "X-Checksum" not in head(events).headers


def test_chunked_with_lowercase_and_list_spelling(parser_cls: type) -> None:
    data = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: , CHUNKED ,\r\n\r\n0\r\n\r\n"
    events = parse(parser_cls, data)
    assert head(events).chunked is True
    assert events[1:] == [END_OF_CHUNK, END_OF_MESSAGE]


def test_chunked_transfer_encoding_over_two_lines(parser_cls: type) -> None:
    data = b"HTTP/1.1 200 OK\r\nTransfer-Encoding:\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n"
    assert parse(parser_cls, data)[1:] == [END_OF_CHUNK, END_OF_MESSAGE]


# --- chunk ends (END_OF_CHUNK) ---------------------------------------------------------------


def feed_pieces(parser: object, pieces: list[bytes]) -> list[list]:
    """The events of each feed_data call, uncoalesced: where END_OF_CHUNK lands matters."""
    return [parser.feed_data(piece) for piece in pieces]  # type: ignore[attr-defined]


def test_chunk_end_comes_with_the_crlf_after_the_data(parser_cls: type) -> None:
    """A chunk ends when its CRLF has arrived (llhttp's on_chunk_complete), not with its data."""
    parser = parser_cls()
    calls = feed_pieces(
        parser, [CHUNKED_HEAD + b"3\r\nab", b"c", b"\r", b"\n2\r\nde\r\n", b"0\r\n", b"\r\n"]
    )
    assert calls[0][1:] == [b"ab"]
    assert calls[1:] == [
        [b"c"],
        [],
        [END_OF_CHUNK, b"de", END_OF_CHUNK],
        [],
        [END_OF_CHUNK, END_OF_MESSAGE],
    ]


def test_last_chunk_ends_after_its_trailers(parser_cls: type) -> None:
    parser = parser_cls()
    calls = feed_pieces(parser, [CHUNKED_HEAD + b"1\r\na\r\n0\r\nT: v\r\n", b"\r\n"])
    assert calls[0][1:] == [b"a", END_OF_CHUNK]
    assert calls[1] == [END_OF_CHUNK, END_OF_MESSAGE]


def test_empty_chunked_body_still_ends_its_last_chunk(parser_cls: type) -> None:
    assert parse(parser_cls, CHUNKED_HEAD + b"0\r\n\r\n")[1:] == [END_OF_CHUNK, END_OF_MESSAGE]


def test_no_chunk_end_outside_chunked_framing(parser_cls: type) -> None:
    data = OK + b"Content-Length: 2\r\n\r\nab" + OK + b"Transfer-Encoding: gzip\r\n\r\n1\r\na\r\n"
    parser = parser_cls()
    events = parser.feed_data(data) + parser.feed_eof()
    assert END_OF_CHUNK not in events


def test_bad_crlf_after_chunk_data_reports_no_chunk_end(parser_cls: type) -> None:
    parser = parser_cls()
    with pytest.raises(TransferEncodingError) as info:
        parser.feed_data(CHUNKED_HEAD + b"1\r\na\r\n3\r\nabc\rX")
    assert info.value.events[1:] == [b"a", END_OF_CHUNK, b"abc"]


@pytest.mark.parametrize(
    ("size_line", "error"),
    [
        (b"1", None),
        (b"f" * 15, None),  # the longest size line taken without the general line reader
        (b"0" * 14 + b"1", None),
        (b"0" * 15 + b"1", None),  # 16 digits: the general reader, still within 1*16HEXDIG
        (b"00000000000000000", R.chunk_size_too_large(b"0" * 17)),  # 17 digits: too many
        (b"1;x", None),  # a chunk extension with a name only
    ],
)
def test_chunk_size_line_same_outcome_whole_and_bytewise(
    parser_cls: type, size_line: bytes, error: str | None
) -> None:
    """docs/PARSER.md: chunk-size is 1 to 16 HEXDIG; the outcome does not depend on the cuts."""
    data = CHUNKED_HEAD + size_line + b"\r\nz"
    if error is not None:
        raises(parser_cls, data, TransferEncodingError, error)
        return
    whole = coalesce(parser_cls().feed_data(data))
    assert whole[1:] == [b"z"]
    assert feed_bytewise(parser_cls(), data) == whole


def test_chunk_size_line_limit_applies_to_plain_sizes(parser_cls: type) -> None:
    """max_line_size counts the hex digits of a size line without extensions too."""
    head_12 = b"HTTP/1.1 200\r\nTransfer-Encoding: chunked\r\n\r\n"  # a 12-byte status line
    data = head_12 + b"00000000000a\r\n0123456789\r\n0\r\n\r\n"
    assert parse(parser_cls, data, max_line_size=12)[1:3] == [b"0123456789", END_OF_CHUNK]
    message = R.line_too_long(12, R.WHAT_CHUNK_SIZE)
    data = head_12 + b"000000000000a\r\n"
    raises(parser_cls, data, LineTooLong, message, max_line_size=12)


# --- close-delimited -------------------------------------------------------------------------


def test_close_delimited_body(parser_cls: type) -> None:
    parser = parser_cls()
    events = parser.feed_data(b"HTTP/1.1 200 OK\r\n\r\nsome")
    events += parser.feed_data(b" body")
    msg = head(events)
    assert msg.should_close is True
    assert msg.content_length is None
    assert coalesce(events[1:]) == [b"some body"]
    assert parser.feed_eof() == [END_OF_MESSAGE]
    assert parser.feed_eof() == []


def test_close_delimited_without_read_until_eof(parser_cls: type) -> None:
    events = parse(parser_cls, b"HTTP/1.1 200 OK\r\n\r\n", read_until_eof=False)
    assert head(events).should_close is True
    assert events[1:] == [END_OF_MESSAGE]


# --- Transfer-Encoding without a final chunked (RFC 9112 section 6.3 rule 4) ----------------

# A chunked-looking body and what looks like a next response: neither is parsed, both are body.
NOT_PARSED = b"5\r\nhello\r\n0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"

CLOSE_DELIMITED_TE = [
    b"foo",
    b"gzip",
    b"identity",
    b"chunked, gzip",
    b"Chunked, GZIP",
    b"gzip, chunked, br",
    b"chunked;q=1",  # a coding with a parameter is not the chunked coding
    b"x-custom ,\tdeflate",
    b"",  # present but empty: chunked is not the final coding either
    b" , ",
]


@pytest.mark.parametrize("te", CLOSE_DELIMITED_TE)
def test_transfer_encoding_without_final_chunked_reads_until_close(
    parser_cls: type, te: bytes
) -> None:
    data = OK + b"Transfer-Encoding: " + te + b"\r\nConnection: keep-alive\r\n\r\n"
    for feed in (lambda p, d: coalesce(p.feed_data(d)), feed_bytewise):
        parser = parser_cls()
        events = feed(parser, data + NOT_PARSED)
        msg = head(events)
        assert msg.chunked is False
        assert msg.content_length is None
        assert msg.should_close is True  # keep-alive or not: the connection cannot be reused
        assert msg.headers["Transfer-Encoding"] == te.strip(b" \t").decode()
        assert msg.compression is None  # transfer codings are not decoded, nor reported so
        assert events[1:] == [NOT_PARSED]
        assert parser.feed_data(b"more") == [b"more"]
        assert parser.idle is False
        assert parser.feed_eof() == [END_OF_MESSAGE]
        assert parser.feed_eof() == []
        with pytest.raises(BadHttpMessage):
            parser.feed_data(b"x")


def test_transfer_encoding_without_final_chunked_over_two_lines(parser_cls: type) -> None:
    data = OK + b"Transfer-Encoding: chunked\r\ntransfer-encoding: gzip\r\n\r\n0\r\n\r\n"
    parser = parser_cls()
    events = parser.feed_data(data)
    assert head(events).chunked is False
    assert head(events).should_close is True
    assert coalesce(events[1:]) == [b"0\r\n\r\n"]
    assert parser.feed_eof() == [END_OF_MESSAGE]


def test_transfer_encoding_without_final_chunked_and_empty_body(parser_cls: type) -> None:
    parser = parser_cls()
    events = parser.feed_data(OK + b"Transfer-Encoding: gzip\r\n\r\n")
    assert len(events) == 1
    assert head(events).should_close is True
    assert parser.feed_eof() == [END_OF_MESSAGE]


def test_transfer_encoding_without_final_chunked_without_read_until_eof(
    parser_cls: type,
) -> None:
    """As for any close-delimited body: taken as empty, and the connection is not reused."""
    events = parse(parser_cls, OK + b"Transfer-Encoding: identity\r\n\r\n", read_until_eof=False)
    assert head(events).chunked is False
    assert head(events).should_close is True
    assert events[1:] == [END_OF_MESSAGE]


def test_transfer_encoding_with_content_length_is_rejected(parser_cls: type) -> None:
    """RFC 9112 section 6.3 rule 3 lets TE override CL, but says such a message "ought to be
    handled as an error": the rulebook keeps rejecting it, whatever the codings."""
    for te in (b"foo", b"gzip", b"identity", b"chunked, gzip", b"gzip, chunked", b"Chunked"):
        data = OK + b"Transfer-Encoding: " + te + b"\r\nContent-Length: 5\r\n\r\nhello"
        raises(parser_cls, data, BadHttpMessage, R.TE_AND_CL)


@pytest.mark.parametrize(
    "te", [b"Chunked", b"CHUNKED", b"gzip, chunked", b"GZIP ,\tChunked", b"foo,,chunked, ,"]
)
def test_final_chunked_is_chunked_framing(parser_cls: type, te: bytes) -> None:
    """The codings before chunked are not decoded: the chunk data is handed on as received."""
    data = (
        OK + b"Transfer-Encoding: " + te + b"\r\n\r\n"
        b"3\r\n\x1f\x8b\x08\r\n0\r\n\r\n" + OK + b"Content-Length: 1\r\n\r\nx"
    )
    for events in (parse(parser_cls, data), feed_bytewise(parser_cls(), data)):
        msg = head(events)
        assert msg.chunked is True
        assert msg.should_close is False
        assert msg.content_length is None
        assert msg.compression is None
        assert events[1:5] == [b"\x1f\x8b\x08", END_OF_CHUNK, END_OF_CHUNK, END_OF_MESSAGE]
        assert head(events, 5).content_length == 1
        assert events[6:] == [b"x", END_OF_MESSAGE]


def test_final_chunked_over_two_lines(parser_cls: type) -> None:
    data = OK + b"Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
    events = parse(parser_cls, data)
    assert head(events).chunked is True
    assert events[1:] == [END_OF_CHUNK, END_OF_MESSAGE]


def test_content_encoding_still_reported_with_transfer_coding(parser_cls: type) -> None:
    data = OK + b"Transfer-Encoding: gzip, chunked\r\nContent-Encoding: br\r\n\r\n0\r\n\r\n"
    assert head(parse(parser_cls, data)).compression == "br"


@pytest.mark.parametrize(
    ("method", "status"),
    [("HEAD", 200), ("GET", 204), ("GET", 304), ("GET", 100), ("GET", 103), ("HEAD", 404)],
)
@pytest.mark.parametrize("te", [b"foo", b"gzip", b"chunked, gzip", b"gzip, chunked"])
def test_no_body_whatever_the_transfer_encoding(
    parser_cls: type, method: str, status: int, te: bytes
) -> None:
    """RFC 9112 section 6.3 rule 1 comes first: no body, so nothing is close-delimited and
    the next response follows at once."""
    data = f"HTTP/1.1 {status} X\r\n".encode() + b"Transfer-Encoding: " + te + b"\r\n\r\n"
    data += b"HTTP/1.1 204 Next\r\n\r\n"
    bytewise = parser_cls()
    bytewise.set_request_method(method)
    for events in (parse(parser_cls, data, method=method), feed_bytewise(bytewise, data)):
        msg = head(events)
        assert msg.chunked is False
        assert msg.content_length is None
        assert msg.should_close is False
        assert events[1] is END_OF_MESSAGE
        assert head(events, 2).reason == "Next"
        assert events[3:] == [END_OF_MESSAGE]


def test_upgrade_whatever_the_transfer_encoding(parser_cls: type) -> None:
    parser = parser_cls()
    events = parser.feed_data(b"HTTP/1.1 101 Switching\r\nTransfer-Encoding: foo\r\n\r\nws")
    assert head(events).upgrade is True
    assert head(events).chunked is False
    assert events[1:] == [END_OF_MESSAGE]
    assert parser.upgraded is True
    assert parser.tail == b"ws"


# --- responses without a body ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "status"),
    [("HEAD", 200), ("GET", 204), ("GET", 304), ("GET", 100), ("GET", 199), ("HEAD", 404)],
)
def test_no_body_whatever_the_headers_say(parser_cls: type, method: str, status: int) -> None:
    data = f"HTTP/1.1 {status} X\r\nContent-Length: 10\r\n\r\n".encode()
    events = parse(parser_cls, data, method=method)
    msg = head(events)
    assert msg.content_length == 10
    assert msg.chunked is False
    assert msg.should_close is False
    assert events[1:] == [END_OF_MESSAGE]


def test_head_response_with_chunked_has_no_body(parser_cls: type) -> None:
    events = parse(parser_cls, CHUNKED_HEAD + CHUNKED_HEAD, method="HEAD")
    assert head(events).chunked is False
    assert events[1] is END_OF_MESSAGE
    assert head(events, 2).chunked is False


@pytest.mark.parametrize("interim", [b"100 Continue", b"103 Early Hints"])
def test_interim_then_final(parser_cls: type, interim: bytes) -> None:
    data = (
        b"HTTP/1.1 " + interim + b"\r\nLink: </a.css>\r\n\r\n"
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    )
    events = parse(parser_cls, data)
    assert head(events).code == int(interim[:3])
    assert head(events).upgrade is False
    assert events[1] is END_OF_MESSAGE
    assert head(events, 2).code == 200
    assert events[3:] == [b"ok", END_OF_MESSAGE]


def test_method_applies_to_later_responses(parser_cls: type) -> None:
    parser = parser_cls()
    parser.set_request_method("HEAD")
    events = parser.feed_data(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n")
    parser.set_request_method("GET")
    events += parser.feed_data(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc")
    assert coalesce(events)[1:] == [END_OF_MESSAGE, events[2], b"abc", END_OF_MESSAGE]


# --- upgrades --------------------------------------------------------------------------------


def test_101_upgrade_with_tail(parser_cls: type) -> None:
    parser = parser_cls()
    data = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
    events = parser.feed_data(data + b"\x81\x05hel")
    msg = head(events)
    assert msg.upgrade is True
    assert msg.chunked is False
    assert events[1:] == [END_OF_MESSAGE]
    assert parser.upgraded is True
    assert parser.tail == b"\x81\x05hel"
    assert parser.feed_data(b"lo HTTP/1.1 200 OK\r\n\r\n") == []
    assert parser.tail == b"\x81\x05hello HTTP/1.1 200 OK\r\n\r\n"
    assert parser.feed_eof() == []
    assert parser.upgraded is True


def test_not_upgraded_before(parser_cls: type) -> None:
    parser = parser_cls()
    assert parser.upgraded is False
    assert parser.tail == b""


def test_connect_tunnel(parser_cls: type) -> None:
    parser = parser_cls()
    parser.set_request_method("CONNECT")
    events = parser.feed_data(b"HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x01")
    assert head(events).upgrade is True
    assert events[1:] == [END_OF_MESSAGE]
    assert parser.upgraded is True
    assert parser.tail == b"\x16\x03\x01"


def test_connect_refused_has_a_body(parser_cls: type) -> None:
    data = b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 2\r\n\r\nnoHTTP/1.1 2"
    parser = parser_cls()
    parser.set_request_method("CONNECT")
    events = parser.feed_data(data)
    assert head(events).upgrade is False
    assert events[1:] == [b"no", END_OF_MESSAGE]
    assert parser.upgraded is False


# --- keep-alive ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "connection", "should_close"),
    [
        (b"1.1", None, False),
        (b"1.1", b"close", True),
        (b"1.1", b"Close", True),
        (b"1.1", b"keep-alive, CLOSE", True),
        (b"1.1", b"closed", False),
        (b"1.1", b"upgrade", False),
        (b"1.0", None, True),
        (b"1.0", b"keep-alive", False),
        (b"1.0", b"Keep-Alive , foo", False),
        (b"1.0", b"keep-alive, close", True),
        (b"1.0", b"keep-alivex", True),
    ],
)
def test_keep_alive(
    parser_cls: type, version: bytes, connection: bytes | None, should_close: bool
) -> None:
    data = b"HTTP/" + version + b" 200 OK\r\nContent-Length: 0\r\n"
    if connection is not None:
        data += b"Connection: " + connection + b"\r\n"
    msg = head(parse(parser_cls, data + b"\r\n"))
    assert msg.should_close is should_close
    assert msg.version == (HttpVersion10 if version == b"1.0" else HttpVersion11)


def test_connection_tokens_across_lines(parser_cls: type) -> None:
    data = b"HTTP/1.1 200 OK\r\nConnection: foo\r\nContent-Length: 0\r\nconnection: close\r\n\r\n"
    assert head(parse(parser_cls, data)).should_close is True


def test_other_minor_version(parser_cls: type) -> None:
    msg = head(parse(parser_cls, b"HTTP/1.2 200 OK\r\nContent-Length: 0\r\n\r\n"))
    assert msg.version == HttpVersion(1, 2)
    assert msg.should_close is False


# --- pipelining and splitting ----------------------------------------------------------------


PIPELINED = (
    b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"
    b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"2;x=y\r\nno\r\n0\r\nT: v\r\n\r\n"
    b"HTTP/1.1 200 \r\nContent-Length: 1\r\n\r\nz"
)


def test_pipelined_responses(parser_cls: type) -> None:
    events = parse(parser_cls, PIPELINED)
    assert [head(events, i).code for i in (0, 3, 8)] == [200, 404, 200]
    assert events[1:3] == [b"abc", END_OF_MESSAGE]
    assert events[4:8] == [b"no", END_OF_CHUNK, END_OF_CHUNK, END_OF_MESSAGE]
    assert events[9:] == [b"z", END_OF_MESSAGE]
    assert head(events, 8).reason == ""


@pytest.mark.parametrize(
    "data",
    [
        PIPELINED,
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\nclose-delimited",
        CHUNKED_HEAD + b"3;a=\"q\\\"\"\r\nabc\r\n0\r\nA: b\r\n\r\n",
    ],
)
def test_byte_at_a_time_gives_the_same_events(parser_cls: type, data: bytes) -> None:
    whole = parser_cls()
    expected = coalesce(whole.feed_data(data) + whole.feed_eof())
    bytewise = parser_cls()
    assert feed_bytewise(bytewise, data) + bytewise.feed_eof() == expected


def test_byte_at_a_time_large_chunked_body_is_linear(parser_cls: type) -> None:
    """1 MB fed one byte at a time must not take quadratic time (it would take minutes)."""
    body = b"x" * 4096
    data = CHUNKED_HEAD + (b"1000;ext=1\r\n" + body + b"\r\n") * 256 + b"0\r\n\r\n"
    parser = parser_cls()
    count = 0
    for i in range(len(data)):
        for event in parser.feed_data(data[i : i + 1]):
            if isinstance(event, bytes):
                count += len(event)
    assert count == len(body) * 256


def test_no_status_line_before_head(parser_cls: type) -> None:
    parser = parser_cls()
    assert parser.feed_data(b"HTTP/1.1 200 OK\r\n") == []
    assert parser.feed_data(b"Content-Length: 1\r\n") == []
    events = parser.feed_data(b"\r")
    events += parser.feed_data(b"\n")
    assert head(events).code == 200


# --- headers ---------------------------------------------------------------------------------


def test_headers_multidict_and_raw_headers(parser_cls: type) -> None:
    data = (
        b"HTTP/1.1 200 OK\r\n"
        b"Set-Cookie: a=1\r\n"
        b"set-cookie:b=2 \t\r\n"
        b"X-Empty:\r\n"
        b"X-Spaces:   \r\n"
        b"X-Obs: caf\xc3\xa9 \xff\r\n"
        b"Content-Length: 0\r\n\r\n"
    )
    msg = head(parse(parser_cls, data))
    assert msg.headers.getall("SET-COOKIE") == ["a=1", "b=2"]
    assert msg.headers["X-Empty"] == ""
    assert msg.headers["X-Spaces"] == ""
    assert msg.headers["x-obs"] == "caf\u00e9 \udcff"
    assert [name for name, _ in msg.headers.items()] == [
        "Set-Cookie",
        "set-cookie",
        "X-Empty",
        "X-Spaces",
        "X-Obs",
        "Content-Length",
    ]
    assert msg.raw_headers == (
        (b"Set-Cookie", b"a=1"),
        (b"set-cookie", b"b=2"),
        (b"X-Empty", b""),
        (b"X-Spaces", b""),
        (b"X-Obs", b"caf\xc3\xa9 \xff"),
        (b"Content-Length", b"0"),
    )


def test_reason_phrase(parser_cls: type) -> None:
    msg = head(parse(parser_cls, b"HTTP/1.1 200  Fine\tand \xc3\xa9\xff\r\n\r\n"))
    assert msg.reason == " Fine\tand \u00e9\udcff"
    msg = head(parse(parser_cls, b"HTTP/1.1 599\r\n\r\n"))
    assert (msg.code, msg.reason) == (599, "")


@pytest.mark.parametrize(
    ("lines", "value"),
    [
        (b"X: a\r\n b\r\n", b"a b"),
        (b"X: a \r\n\t \tb \r\n", b"a b"),
        (b"X:\r\n b\r\n", b"b"),
        (b"X: a\r\n   \r\n b\r\n", b"a  b"),
        (b"X: a\r\n \r\n", b"a"),
        (b"X: a\r\n b\r\n  c\r\n", b"a b c"),
    ],
)
def test_obs_fold_becomes_one_space(parser_cls: type, lines: bytes, value: bytes) -> None:
    data = b"HTTP/1.1 200 OK\r\n" + lines + b"Content-Length: 0\r\n\r\n"
    msg = head(parse(parser_cls, data))
    assert msg.raw_headers[0] == (b"X", value)
    assert msg.headers["X"] == value.decode()


@pytest.mark.parametrize(
    ("value", "compression"),
    [
        (b"gzip", "gzip"),
        (b"GZip", "gzip"),
        (b"x-gzip", "gzip"),
        (b"deflate", "deflate"),
        (b" br ", "br"),
        (b"zstd", "zstd"),
        (b"identity", None),
        (b"gzip, br", None),
        (b"compress", None),
    ],
)
def test_compression(parser_cls: type, value: bytes, compression: str | None) -> None:
    data = b"HTTP/1.1 200 OK\r\nContent-Encoding: " + value + b"\r\nContent-Length: 0\r\n\r\n"
    assert head(parse(parser_cls, data)).compression == compression


def test_compression_needs_a_single_field(parser_cls: type) -> None:
    data = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Encoding: gzip\r\n\r\n"
    assert head(parse(parser_cls, data)).compression is None


def test_repeated_identical_content_length(parser_cls: type) -> None:
    data = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\ncontent-length: 2\r\n\r\nok"
    assert parse(parser_cls, data)[1:] == [b"ok", END_OF_MESSAGE]


def test_content_length_leading_zeros_and_max_digits(parser_cls: type) -> None:
    msg = head(parse(parser_cls, b"HTTP/1.1 200 OK\r\nContent-Length: 007\r\n\r\n"))
    assert msg.content_length == 7
    msg = head(parse(parser_cls, b"HTTP/1.1 200 OK\r\nContent-Length: " + b"9" * 18 + b"\r\n\r\n"))
    assert msg.content_length == 10**18 - 1


# --- errors ----------------------------------------------------------------------------------

OK = b"HTTP/1.1 200 OK\r\n"
CL_ERR = InvalidHeader

ERROR_CASES = [
    # framing
    pytest.param(
        OK + b"Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
        BadHttpMessage,
        R.TE_AND_CL,
        id="te-and-cl",
    ),
    pytest.param(
        OK + b"Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
        BadHttpMessage,
        R.TE_AND_CL,
        id="cl-and-te",
    ),
    pytest.param(
        b"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
        BadHttpMessage,
        R.TE_IN_HTTP10,
        id="te-in-http10",
    ),
    pytest.param(
        OK + b"Transfer-Encoding: foo\r\nContent-Length: 3\r\n\r\n",
        BadHttpMessage,
        R.TE_AND_CL,
        id="te-unknown-and-cl",
    ),
    pytest.param(
        OK + b"Content-Length: 3\r\nTransfer-Encoding: gzip\r\n\r\n",
        BadHttpMessage,
        R.TE_AND_CL,
        id="cl-and-te-gzip",
    ),
    pytest.param(
        OK + b"Transfer-Encoding: \r\nContent-Length: 0\r\n\r\n",
        BadHttpMessage,
        R.TE_AND_CL,
        id="te-empty-and-cl",
    ),
    pytest.param(
        b"HTTP/1.1 204 No Content\r\nTransfer-Encoding: identity\r\nContent-Length: 0\r\n\r\n",
        BadHttpMessage,
        R.TE_AND_CL,
        id="te-and-cl-on-204",
    ),
    pytest.param(
        b"HTTP/1.0 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
        BadHttpMessage,
        R.TE_IN_HTTP10,
        id="te-gzip-in-http10",
    ),
    pytest.param(
        OK + b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
        TransferEncodingError,
        R.te_chunked_twice(b"chunked, chunked"),
        id="te-chunked-twice",
    ),
    pytest.param(
        OK + b"Transfer-Encoding: Chunked, gzip, CHUNKED\r\n\r\n",
        TransferEncodingError,
        R.te_chunked_twice(b"Chunked, gzip, CHUNKED"),
        id="te-chunked-twice-final",
    ),
    pytest.param(
        OK + b"Transfer-Encoding: chunked,chunked, gzip\r\n\r\n",
        TransferEncodingError,
        R.te_chunked_twice(b"chunked,chunked, gzip"),
        id="te-chunked-twice-not-final",
    ),
    pytest.param(
        b"HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
        TransferEncodingError,
        R.te_chunked_twice(b"chunked, chunked"),
        id="te-chunked-twice-on-204",
    ),
    pytest.param(
        OK + b"Content-Length: 3\r\nContent-Length: 4\r\n\r\n",
        CL_ERR,
        R.conflicting_content_length(b"3", b"4"),
        id="cl-differ",
    ),
    pytest.param(
        OK + b"Content-Length: 3\r\nContent-Length: 03\r\n\r\n",
        CL_ERR,
        R.conflicting_content_length(b"3", b"03"),
        id="cl-differ-spelling",
    ),
    pytest.param(OK + b"Content-Length: +3\r\n\r\n", CL_ERR, R.bad_content_length(b"+3"), id="cl+"),
    pytest.param(OK + b"Content-Length: -3\r\n\r\n", CL_ERR, R.bad_content_length(b"-3"), id="cl-"),
    pytest.param(OK + b"Content-Length: 0x3\r\n\r\n", CL_ERR, R.bad_content_length(b"0x3")),
    pytest.param(OK + b"Content-Length: 3 4\r\n\r\n", CL_ERR, R.bad_content_length(b"3 4")),
    pytest.param(OK + b"Content-Length: 3,3\r\n\r\n", CL_ERR, R.bad_content_length(b"3,3")),
    pytest.param(OK + b"Content-Length:\r\n\r\n", CL_ERR, R.bad_content_length(b""), id="cl-empty"),
    pytest.param(
        OK + b"Content-Length: \xd9\xa3\r\n\r\n",
        CL_ERR,
        R.bad_content_length(b"\xd9\xa3"),
        id="cl-non-ascii-digit",
    ),
    pytest.param(
        OK + b"Content-Length: " + b"1" * 19 + b"\r\n\r\n",
        CL_ERR,
        R.bad_content_length(b"1" * 19),
        id="cl-19-digits",
    ),
    pytest.param(
        OK + b"Content-Length: 3\r\nContent-Length: x\r\n\r\n",
        CL_ERR,
        R.bad_content_length(b"x"),
        id="cl-second-bad",
    ),
    # chunked framing
    pytest.param(CHUNKED_HEAD + b"x\r\n", TransferEncodingError, R.bad_chunk_size(b"x")),
    pytest.param(CHUNKED_HEAD + b"\r\n", TransferEncodingError, R.bad_chunk_size(b"")),
    pytest.param(CHUNKED_HEAD + b"-1\r\n", TransferEncodingError, R.bad_chunk_size(b"-1")),
    pytest.param(CHUNKED_HEAD + b" 1\r\n", TransferEncodingError, R.bad_chunk_size(b" 1")),
    pytest.param(CHUNKED_HEAD + b"0x1\r\n", TransferEncodingError, R.bad_chunk_ext(b"x1")),
    pytest.param(CHUNKED_HEAD + b"1 \r\n", TransferEncodingError, R.bad_chunk_ext(b" ")),
    pytest.param(CHUNKED_HEAD + b"1;\r\n", TransferEncodingError, R.bad_chunk_ext(b";")),
    pytest.param(CHUNKED_HEAD + b"1;a=\r\n", TransferEncodingError, R.bad_chunk_ext(b";a=")),
    pytest.param(CHUNKED_HEAD + b'1;a="x\r\n', TransferEncodingError, R.bad_chunk_ext(b';a="x')),
    pytest.param(CHUNKED_HEAD + b"1;a=b c\r\n", TransferEncodingError, R.bad_chunk_ext(b";a=b c")),
    pytest.param(CHUNKED_HEAD + b"1;a\x00\r\n", TransferEncodingError, R.bad_chunk_ext(b";a\x00")),
    pytest.param(
        CHUNKED_HEAD + b'1;a="\\\x01"\r\n',
        TransferEncodingError,
        R.bad_chunk_ext(b';a="\\\x01"'),
        id="ext-bad-escape",
    ),
    pytest.param(
        CHUNKED_HEAD + b"1" * 17 + b"\r\n",
        TransferEncodingError,
        R.chunk_size_too_large(b"1" * 17),
        id="chunk-17-digits",
    ),
    pytest.param(
        CHUNKED_HEAD + b"0" * 17 + b"\r\n",
        TransferEncodingError,
        R.chunk_size_too_large(b"0" * 17),
        id="chunk-17-zeros",
    ),
    pytest.param(
        CHUNKED_HEAD + b"8000000000000000\r\n",
        TransferEncodingError,
        R.chunk_size_too_large(b"8000000000000000"),
        id="chunk-2**63",
    ),
    pytest.param(
        CHUNKED_HEAD + b"3\r\nabcX\r\n",
        TransferEncodingError,
        R.missing_chunk_crlf(ord("X")),
        id="chunk-no-crlf",
    ),
    pytest.param(
        CHUNKED_HEAD + b"3\r\nabc\rX",
        TransferEncodingError,
        R.missing_chunk_crlf(ord("X")),
        id="chunk-cr-no-lf",
    ),
    pytest.param(
        CHUNKED_HEAD + b"3\r\nabc\n",
        TransferEncodingError,
        R.missing_chunk_crlf(ord("\n")),
        id="chunk-lf-only",
    ),
    pytest.param(
        CHUNKED_HEAD + b"3\nabc\r\n",
        BadHttpMessage,
        R.bare_lf(R.WHERE_CHUNK_SIZE),
        id="chunk-size-bare-lf",
    ),
    pytest.param(
        CHUNKED_HEAD + b"3\r;a\r\n",
        BadHttpMessage,
        R.bare_cr(R.WHERE_CHUNK_SIZE),
        id="chunk-size-bare-cr",
    ),
    pytest.param(
        CHUNKED_HEAD + b"0\r\nT: 1\n\r\n",
        BadHttpMessage,
        R.bare_lf(R.WHERE_TRAILERS),
        id="trailer-bare-lf",
    ),
    pytest.param(
        CHUNKED_HEAD + b"0\r\nT\x01: 1\r\n\r\n",
        InvalidHeader,
        R.bad_name_char("trailer", 1, b"T\x01"),
        id="trailer-bad-name",
    ),
    pytest.param(
        CHUNKED_HEAD + b"0\r\nT: \x7f\r\n\r\n",
        InvalidHeader,
        R.bad_value_char("trailer", 0x7F, b"T"),
        id="trailer-bad-value",
    ),
    pytest.param(
        CHUNKED_HEAD + b"0\r\n folded\r\n\r\n",
        BadHttpMessage,
        R.fold_without_field("trailer"),
        id="trailer-fold-first",
    ),
    # header fields
    *[
        pytest.param(
            OK + b"X-Foo: a" + bytes((byte,)) + b"b\r\n\r\n",
            InvalidHeader,
            R.bad_value_char("header", byte, b"X-Foo"),
            id=f"value-ctl-{byte:#04x}",
        )
        for byte in (*range(0x00, 0x09), *range(0x0B, 0x0D), *range(0x0E, 0x20), 0x7F)
    ],
    pytest.param(
        OK + b"X-Foo: a\rb\r\n\r\n", BadHttpMessage, R.bare_cr(R.WHERE_HEADERS), id="value-cr"
    ),
    pytest.param(
        OK + b"X-Foo: a\nb\r\n\r\n", BadHttpMessage, R.bare_lf(R.WHERE_HEADERS), id="value-lf"
    ),
    pytest.param(
        OK + b"X-Foo: a\r\n b\x00\r\n\r\n",
        InvalidHeader,
        R.bad_value_char("header", 0, b"X-Foo"),
        id="folded-value-nul",
    ),
    *[
        pytest.param(
            OK + b"X" + bytes((byte,)) + b"Foo: a\r\n\r\n",
            InvalidHeader,
            R.bad_name_char("header", byte, b"X" + bytes((byte,)) + b"Foo"),
            id=f"name-{byte:#04x}",
        )
        for byte in b' \t"(),/;<=>?@[\\]{}\x00\x7f\x80\xff'
    ],
    pytest.param(
        OK + b"X-Foo : a\r\n\r\n",
        InvalidHeader,
        R.bad_name_char("header", 0x20, b"X-Foo "),
        id="space-before-colon",
    ),
    pytest.param(
        OK + b"X-Foo\t: a\r\n\r\n",
        InvalidHeader,
        R.bad_name_char("header", 0x09, b"X-Foo\t"),
        id="tab-before-colon",
    ),
    pytest.param(OK + b": a\r\n\r\n", InvalidHeader, R.empty_name("header"), id="empty-name"),
    pytest.param(
        OK + b"NoColon\r\n\r\n", InvalidHeader, R.no_colon("header", b"NoColon"), id="no-colon"
    ),
    pytest.param(
        OK + b" X: folded first\r\n\r\n",
        BadHttpMessage,
        R.fold_without_field("header"),
        id="fold-after-status-line",
    ),
    # line endings
    pytest.param(b"HTTP/1.1 200 OK\n\r\n", BadHttpMessage, R.bare_lf(R.WHERE_STATUS_LINE)),
    pytest.param(b"HTTP/1.1 200 OK\rX\r\n", BadHttpMessage, R.bare_cr(R.WHERE_STATUS_LINE)),
    pytest.param(OK + b"X: 1\n\r\n", BadHttpMessage, R.bare_lf(R.WHERE_HEADERS), id="hdr-bare-lf"),
    pytest.param(OK + b"\n", BadHttpMessage, R.bare_lf(R.WHERE_HEADERS), id="end-bare-lf"),
    pytest.param(OK + b"\r\r\n", BadHttpMessage, R.bare_cr(R.WHERE_HEADERS), id="end-bare-cr"),
    # status line
    pytest.param(b"\r\nHTTP/1.1 200 OK\r\n", BadStatusLine, R.bad_version(b""), id="empty-line"),
    pytest.param(
        b" HTTP/1.1 200 OK\r\n", BadStatusLine, R.bad_version(b" HTTP/1.1 200 OK"), id="lead-sp"
    ),
    pytest.param(b"HTTP/1.1  200 OK\r\n", BadStatusLine, R.bad_status_code(b"HTTP/1.1  200 OK")),
    pytest.param(b"HTTPS/1.1 200 OK\r\n", BadStatusLine, R.bad_version(b"HTTPS/1.1 200 OK")),
    pytest.param(b"http/1.1 200 OK\r\n", BadStatusLine, R.bad_version(b"http/1.1 200 OK")),
    pytest.param(b"HTTP/1.10 200 OK\r\n", BadStatusLine, R.bad_version(b"HTTP/1.10 200 OK")),
    pytest.param(b"HTTP/11 200 OK\r\n", BadStatusLine, R.bad_version(b"HTTP/11 200 OK")),
    pytest.param(b"HTTP/1.x 200 OK\r\n", BadStatusLine, R.bad_version(b"HTTP/1.x 200 OK")),
    pytest.param(b"HTTP/1.1\t200 OK\r\n", BadStatusLine, R.bad_version(b"HTTP/1.1\t200 OK")),
    pytest.param(b"HTTP/2.0 200 OK\r\n", BadStatusLine, R.unsupported_version(2, 0)),
    pytest.param(b"HTTP/0.9 200 OK\r\n", BadStatusLine, R.unsupported_version(0, 9)),
    pytest.param(b"HTTP/1.1\r\n", BadStatusLine, R.bad_status_code(b"HTTP/1.1"), id="no-code"),
    pytest.param(b"HTTP/1.1 \r\n", BadStatusLine, R.bad_status_code(b"HTTP/1.1 "), id="no-code2"),
    pytest.param(b"HTTP/1.1 20\r\n", BadStatusLine, R.bad_status_code(b"HTTP/1.1 20")),
    pytest.param(b"HTTP/1.1 2000\r\n", BadStatusLine, R.bad_status_code(b"HTTP/1.1 2000")),
    pytest.param(b"HTTP/1.1 099 X\r\n", BadStatusLine, R.bad_status_code(b"HTTP/1.1 099 X")),
    pytest.param(b"HTTP/1.1 2x0 X\r\n", BadStatusLine, R.bad_status_code(b"HTTP/1.1 2x0 X")),
    pytest.param(b"HTTP/1.1 -20 X\r\n", BadStatusLine, R.bad_status_code(b"HTTP/1.1 -20 X")),
    pytest.param(b"HTTP/1.1 200\tOK\r\n", BadStatusLine, R.bad_status_code(b"HTTP/1.1 200\tOK")),
    pytest.param(b"HTTP/1.1 200 O\x00K\r\n", BadStatusLine, R.bad_reason_char(0)),
    pytest.param(b"HTTP/1.1 200 O\x7fK\r\n", BadStatusLine, R.bad_reason_char(0x7F)),
    pytest.param(b"ICY 200 OK\r\n", BadStatusLine, R.bad_version(b"ICY 200 OK")),
]


@pytest.mark.parametrize(("data", "exc", "message"), ERROR_CASES)
def test_errors(parser_cls: type, data: bytes, exc: type, message: str) -> None:
    raises(parser_cls, data, exc, message)


def test_error_message_example(parser_cls: type) -> None:
    with pytest.raises(InvalidHeader) as info:
        parse(parser_cls, OK + b"X-Foo: \x01\r\n\r\n")
    assert info.value.message == "Invalid character b'\\x01' in value of header 'X-Foo'"


def test_error_after_error(parser_cls: type) -> None:
    parser = parser_cls()
    with pytest.raises(BadStatusLine) as first:
        parser.feed_data(b"HTTP/1.1 2000 OK\r\n")
    for call in (lambda: parser.feed_data(b"HTTP/1.1 200 OK\r\n\r\n"), parser.feed_eof):
        with pytest.raises(BadStatusLine) as again:
            call()
        assert again.value.message == first.value.message


def test_events_before_an_error_in_the_same_feed_are_dropped(parser_cls: type) -> None:
    parser = parser_cls()
    with pytest.raises(BadStatusLine):
        parser.feed_data(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxHTTP/1.1 0\r\n")


@pytest.mark.parametrize(
    ("data", "exc", "message"),
    [
        (b"H", BadHttpMessage, R.EOF_IN_HEAD),
        (b"HTTP/1.1 200 OK\r\n", BadHttpMessage, R.EOF_IN_HEAD),
        (b"HTTP/1.1 200 OK\r\nX: 1\r\n\r", BadHttpMessage, R.EOF_IN_HEAD),
        (b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1", BadHttpMessage, R.EOF_IN_HEAD),
        (OK + b"Content-Length: 5\r\n\r\n", ContentLengthError, R.eof_in_length_body(0, 5)),
        (OK + b"Content-Length: 5\r\n\r\nabc", ContentLengthError, R.eof_in_length_body(3, 5)),
        (CHUNKED_HEAD, TransferEncodingError, R.EOF_IN_CHUNKED),
        (CHUNKED_HEAD + b"5\r\nab", TransferEncodingError, R.EOF_IN_CHUNKED),
        (CHUNKED_HEAD + b"2\r\nab", TransferEncodingError, R.EOF_IN_CHUNKED),
        (CHUNKED_HEAD + b"2\r\nab\r", TransferEncodingError, R.EOF_IN_CHUNKED),
        (CHUNKED_HEAD + b"0\r\n", TransferEncodingError, R.EOF_IN_CHUNKED),
        (CHUNKED_HEAD + b"0\r\nT: 1\r\n", TransferEncodingError, R.EOF_IN_CHUNKED),
    ],
)
def test_eof_in_the_middle(parser_cls: type, data: bytes, exc: type, message: str) -> None:
    parser = parser_cls()
    parser.feed_data(data)
    with pytest.raises(exc) as info:
        parser.feed_eof()
    assert type(info.value) is exc
    assert info.value.message == message
    with pytest.raises(exc):
        parser.feed_eof()


def test_eof_between_messages(parser_cls: type) -> None:
    parser = parser_cls()
    parser.feed_data(OK + b"Content-Length: 1\r\n\r\nx")
    assert parser.feed_eof() == []


def test_no_data_after_eof(parser_cls: type) -> None:
    parser = parser_cls()
    assert parser.feed_eof() == []
    with pytest.raises(BadHttpMessage) as info:
        parser.feed_data(b"HTTP/1.1 200 OK\r\n")
    assert info.value.message == R.DATA_AFTER_EOF
    with pytest.raises(BadHttpMessage):
        parser.feed_eof()


def test_errors_are_http_processing_errors() -> None:
    for exc in (BadStatusLine, LineTooLong, InvalidHeader, TransferEncodingError):
        assert issubclass(exc, HttpProcessingError)


# --- limits ----------------------------------------------------------------------------------


def test_status_line_limit(parser_cls: type) -> None:
    line = b"HTTP/1.1 200 " + b"x" * 87
    assert len(line) == 100
    events = parse(parser_cls, line + b"\r\nContent-Length: 0\r\n\r\n", max_line_size=100)
    assert head(events).reason == "x" * 87
    raises(
        parser_cls,
        line + b"x\r\n",
        LineTooLong,
        R.line_too_long(100, R.WHAT_STATUS_LINE),
        max_line_size=100,
    )


def test_header_line_limit(parser_cls: type) -> None:
    field = b"X-Long: " + b"v" * 92
    assert len(field) == 100
    events = parse(parser_cls, OK + field + b"\r\n\r\n", max_field_size=100)
    assert head(events).headers["X-Long"] == "v" * 92
    message = R.line_too_long(100, R.WHAT_HEADER)
    raises(parser_cls, OK + field + b"v\r\n\r\n", LineTooLong, message, max_field_size=100)
    # Too long wins over what else is wrong with the line (bare LF, bare CR, bad bytes).
    for bad in (b"v\n", b"\rvv\r\n", b"\x00v\r\n"):
        raises(parser_cls, OK + field + bad, LineTooLong, message, max_field_size=100)


def test_folded_field_limit_counts_the_whole_field(parser_cls: type) -> None:
    field = b"X: " + b"a" * 50 + b"\r\n " + b"b" * 45  # 53 + 2 + 46 = 101
    message = R.line_too_long(100, R.WHAT_HEADER)
    raises(parser_cls, OK + field + b"\r\n\r\n", LineTooLong, message, max_field_size=100)
    events = parse(parser_cls, OK + field[:-1] + b"\r\n\r\n", max_field_size=100)
    assert head(events).headers["X"] == "a" * 50 + " " + "b" * 44


def test_header_count_limit(parser_cls: type) -> None:
    fields = b"".join(b"X-%d: v\r\n" % i for i in range(5))
    assert len(head(parse(parser_cls, OK + fields + b"\r\n", max_headers=5)).raw_headers) == 5
    message = R.too_many_fields("header", 5)
    raises(parser_cls, OK + fields + b"Y: 1\r\n\r\n", BadHttpMessage, message, max_headers=5)
    # The line is checked before it is counted.
    message = R.bad_value_char("header", 1, b"Y")
    raises(parser_cls, OK + fields + b"Y: \x01\r\n\r\n", InvalidHeader, message, max_headers=5)
    # Continuation lines are not fields.
    folded = OK + fields + b" more\r\n\r\n"
    assert len(head(parse(parser_cls, folded, max_headers=5)).raw_headers) == 5


def test_trailer_limits(parser_cls: type) -> None:
    trailers = b"".join(b"T-%d: v\r\n" % i for i in range(3))
    data = CHUNKED_HEAD + b"0\r\n" + trailers
    assert parse(parser_cls, data + b"\r\n", max_headers=3)[1:] == [END_OF_CHUNK, END_OF_MESSAGE]
    message = R.too_many_fields("trailer", 3)
    raises(parser_cls, data + b"U: 1\r\n\r\n", BadHttpMessage, message, max_headers=3)
    long_trailer = CHUNKED_HEAD + b"0\r\nT: " + b"x" * 98 + b"\r\n\r\n"
    message = R.line_too_long(100, R.WHAT_TRAILER)
    raises(parser_cls, long_trailer, LineTooLong, message, max_field_size=100)


def test_chunk_size_line_limit(parser_cls: type) -> None:
    line = b"1;" + b"a" * 98
    events = parse(parser_cls, CHUNKED_HEAD + line + b"\r\nx\r\n0\r\n\r\n", max_line_size=100)
    assert events[1:] == [b"x", END_OF_CHUNK, END_OF_CHUNK, END_OF_MESSAGE]
    message = R.line_too_long(100, R.WHAT_CHUNK_SIZE)
    raises(parser_cls, CHUNKED_HEAD + line + b"a\r\n", LineTooLong, message, max_line_size=100)


def test_limit_allows_a_trailing_cr_while_waiting(parser_cls: type) -> None:
    parser = parser_cls(max_field_size=10)
    parser.feed_data(OK + b"X: 4567890\r")  # exactly 10 bytes of content and its CR
    events = parser.feed_data(b"\n\r\n")
    assert head(events).headers["X"] == "4567890"


@pytest.mark.parametrize(
    ("prefix", "kwargs", "what"),
    [
        (b"", {"max_line_size": 2_500_000}, R.WHAT_STATUS_LINE),
        (OK + b"X-Huge: ", {"max_field_size": 2_500_000}, R.WHAT_HEADER),
        (CHUNKED_HEAD + b"1;a=", {"max_line_size": 2_500_000}, R.WHAT_CHUNK_SIZE),
        (CHUNKED_HEAD + b"0\r\nT: ", {"max_field_size": 2_500_000}, R.WHAT_TRAILER),
    ],
)
def test_100mb_line_is_not_buffered(
    parser_cls: type, prefix: bytes, kwargs: dict, what: str
) -> None:
    """The error comes with the first 1 MB piece that takes the line past its limit."""
    parser = parser_cls(**kwargs)
    piece = b"x" * 1_000_000
    parser.feed_data(prefix)
    parser.feed_data(piece)
    parser.feed_data(piece)
    with pytest.raises(LineTooLong) as info:
        parser.feed_data(piece)  # 3 MB > 2.5 MB
    assert info.value.message == R.line_too_long(2_500_000, what)


def test_default_limit_trips_on_the_first_megabyte(parser_cls: type) -> None:
    parser = parser_cls()
    parser.feed_data(OK)
    with pytest.raises(LineTooLong) as info:
        parser.feed_data(b"X-Huge: " + b"x" * 1_000_000)
    assert info.value.message == R.line_too_long(8190, R.WHAT_HEADER)


def test_python_twin_buffers_at_most_one_line() -> None:
    parser = PyParser(max_field_size=100)
    parser.feed_data(OK + b"X: " + b"y" * 97)
    assert len(parser._buf) == 100
    parser.feed_data(b"\r")
    assert len(parser._buf) == 101
    with pytest.raises(LineTooLong):
        parser.feed_data(b"z" * 10_000)
    assert len(parser._buf) == 101
