"""Differential test and fuzz smoke test of the two parser twins (docs/PARSER.md).

Both twins get the same generated responses (valid ones, and mutated ones), whole and split at
random points, and must produce identical events or the same error class with the same message.
Adjacent body pieces are joined, since how a body is cut depends on the split; every other event
(heads, END_OF_CHUNK, END_OF_MESSAGE) is compared in place, so the twins must also agree on where
each chunk ends. Splitting must not change the outcome either.
"""

import itertools
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiohttp_clone._http import rules as R
from aiohttp_clone._http.messages import END_OF_CHUNK, END_OF_MESSAGE, RawResponseMessage
from aiohttp_clone.http_exceptions import HttpProcessingError
from tests.twins import PARSERS, CParser, PyParser
from tests.twins import needs_c_parser as needs_c

SETTINGS = settings(
    max_examples=int(os.environ.get("PARSER_FUZZ_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --- generators ------------------------------------------------------------------------------

CTL = bytes(range(0x09)) + bytes(range(0x0A, 0x20)) + b"\x7f"
VALUE_BYTES = st.binary(max_size=12).map(lambda b: b.translate(None, CTL))
NAMES = st.one_of(
    st.sampled_from(
        [b"Content-Type", b"content-type", b"Set-Cookie", b"X-A", b"Connection", b"ETag"]
    ),
    st.text("abcXYZ-_!#$%&'*+.^`|~09", min_size=1, max_size=8).map(str.encode),
)
CONNECTION = st.sampled_from([b"close", b"keep-alive", b"Keep-Alive, Upgrade", b"CLOSE"])
ENCODING = st.sampled_from([b"gzip", b"X-Gzip", b"br", b"deflate", b"zstd", b"identity"])
TOKEN = st.text("abcXYZ019-!~", min_size=1, max_size=5).map(str.encode)
# Transfer-Encoding vocabulary (RFC 9112 section 6.3 rule 4): a final chunked is chunked
# framing, any other list (unknown names, parameters, empty elements) is close-delimited.
CHUNKED_SPELLINGS = st.sampled_from([b"chunked", b"Chunked", b"CHUNKED"])
OTHER_CODINGS = st.sampled_from(
    [b"gzip", b"GZIP", b"identity", b"deflate", b"br", b"foo", b"x-custom", b"chunked;q=1", b""]
)
TE_SEPARATORS = st.sampled_from([b",", b", ", b" , ", b",\t", b", ,"])
QUOTED = st.binary(max_size=6).map(
    lambda b: b'"' + b.translate(None, CTL + b'"\\').replace(b"a", b"\\a") + b'"'
)


@st.composite
def field_lines(draw: st.DrawFn, max_count: int = 6) -> bytes:
    """Header or trailer lines, with OWS, duplicates and sometimes an obs-fold."""
    out = b""
    for _ in range(draw(st.integers(0, max_count))):
        name = draw(NAMES)
        value = draw(VALUE_BYTES)
        if draw(st.integers(0, 9)) == 0:
            value += b"\r\n" + draw(st.sampled_from([b" ", b"\t", b"  "])) + draw(VALUE_BYTES)
        ows = draw(st.sampled_from([b"", b" ", b"\t ", b"  "]))
        out += name + b":" + ows + value + draw(st.sampled_from([b"", b" ", b"\t"])) + b"\r\n"
    return out


@st.composite
def chunked_body(draw: st.DrawFn, body: bytes) -> bytes:
    out = b""
    rest = body
    while rest:
        size = draw(st.integers(1, max(1, len(rest))))
        piece, rest = rest[:size], rest[size:]
        out += draw(st.sampled_from(["%x", "%X", "%04x"])).encode() % size
        out += draw(chunk_extensions()) + b"\r\n" + piece + b"\r\n"
    out += b"0" + draw(chunk_extensions()) + b"\r\n" + draw(field_lines(3)) + b"\r\n"
    return out


@st.composite
def chunk_extensions(draw: st.DrawFn) -> bytes:
    out = b""
    for _ in range(draw(st.integers(0, 2))):
        out += draw(st.sampled_from([b";", b" ;", b"\t; "])) + draw(TOKEN)
        if draw(st.booleans()):
            out += draw(st.sampled_from([b"=", b" = "])) + draw(st.one_of(TOKEN, QUOTED))
    return out


@st.composite
def transfer_encoding_lines(draw: st.DrawFn, codings: list[bytes]) -> bytes:
    """The codings as Transfer-Encoding field lines: one list, or split over two lines."""
    parts = [codings]
    if len(codings) > 1 and draw(st.booleans()):
        cut = draw(st.integers(1, len(codings) - 1))
        parts = [codings[:cut], codings[cut:]]
    names = st.sampled_from([b"Transfer-Encoding", b"transfer-encoding", b"TRANSFER-ENCODING"])
    out = b""
    for part in parts:
        value = b""
        for i, coding in enumerate(part):
            value += (draw(TE_SEPARATORS) if i else b"") + coding
        out += draw(names) + b":" + draw(st.sampled_from([b"", b" ", b"\t"])) + value + b"\r\n"
    return out


@st.composite
def any_transfer_encoding(draw: st.DrawFn) -> list[bytes]:
    """Any list from the vocabulary, chunked repeated or not final included."""
    return draw(st.lists(st.one_of(CHUNKED_SPELLINGS, OTHER_CODINGS), max_size=4))


@st.composite
def response(draw: st.DrawFn, last: bool) -> bytes:
    """One response; only the last of a pipeline may be close-delimited."""
    version = draw(st.sampled_from([b"1.1", b"1.1", b"1.0"]))
    codes = st.sampled_from([100, 101, 103, 200, 204, 304, 404])
    status = draw(st.one_of(codes, st.integers(100, 999)))
    reason = draw(st.binary(max_size=10)).translate(None, CTL)
    head = b"HTTP/" + version + b" %d" % status + (b" " + reason if draw(st.booleans()) else b"")
    head += b"\r\n" + draw(field_lines())
    if draw(st.booleans()):
        head += b"Connection: " + draw(CONNECTION) + b"\r\n"
    if draw(st.integers(0, 3)) == 0:
        head += b"Content-Encoding: " + draw(ENCODING) + b"\r\n"
    body = draw(st.binary(max_size=40))
    framings = ["length", "chunked", "te-chunked"]
    if last:
        framings += ["eof", "te-eof"]
    framing = draw(st.sampled_from(framings))
    if framing == "chunked" and version == b"1.1":
        return head + b"Transfer-Encoding: chunked\r\n\r\n" + draw(chunked_body(body))
    if framing == "te-chunked" and version == b"1.1":
        # Other codings before a final chunked: chunked framing, the codings not decoded.
        codings = [*draw(st.lists(OTHER_CODINGS, max_size=3)), draw(CHUNKED_SPELLINGS)]
        if draw(st.booleans()):
            codings.append(b"")  # an empty element after it does not count
        te = draw(transfer_encoding_lines(codings))
        return head + te + b"\r\n" + draw(chunked_body(body))
    if framing == "te-eof" and version == b"1.1":
        # chunked not final (or absent): close-delimited; a chunked-looking body stays as is.
        codings = draw(st.lists(OTHER_CODINGS, max_size=2))
        if draw(st.booleans()):
            codings.append(draw(CHUNKED_SPELLINGS))
        codings.append(draw(OTHER_CODINGS.filter(bool)))
        te = draw(transfer_encoding_lines(codings))
        if draw(st.booleans()):
            body = draw(chunked_body(body))
        return head + te + b"\r\n" + body
    if framing in ("eof", "te-eof"):
        return head + b"\r\n" + body
    return head + b"Content-Length: %d\r\n\r\n" % len(body) + body


@st.composite
def pipeline(draw: st.DrawFn) -> bytes:
    count = draw(st.integers(1, 3))
    return b"".join(draw(response(last=i == count - 1)) for i in range(count))


INTERESTING = b"\r\n \t:;\"\\=,0aF\x00\x7f\x80"


@st.composite
def mutated(draw: st.DrawFn, data: bytes) -> bytes:
    """A few byte flips, inserts, deletes or a truncation."""
    buf = bytearray(data)
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        at = draw(st.integers(0, len(buf)))
        byte = draw(st.one_of(st.sampled_from(list(INTERESTING)), st.integers(0, 255)))
        if op == "insert":
            buf[at:at] = bytes((byte,))
        elif op == "truncate":
            del buf[at:]
        elif at < len(buf):
            if op == "flip":
                buf[at] = byte
            else:
                del buf[at]
    return bytes(buf)


CONFIG = st.fixed_dictionaries(
    {
        "method": st.sampled_from(["GET", "GET", "HEAD", "CONNECT"]),
        "read_until_eof": st.booleans(),
        "max_line_size": st.sampled_from([8190, 8190, 30]),
        "max_field_size": st.sampled_from([8190, 8190, 25]),
        "max_headers": st.sampled_from([128, 128, 3]),
    }
)

# --- running a twin --------------------------------------------------------------------------


def _comparable(event: object) -> object:
    if isinstance(event, RawResponseMessage):
        return event._replace(headers=list(event.headers.items()))
    return event


def run(parser_cls: type, config: dict, data: bytes, splits: list[int]) -> tuple:
    """Feed ``data`` cut at ``splits``, then EOF; returns the outcome in comparable form."""
    config = dict(config)
    method = config.pop("method")
    parser = parser_cls(**config)
    parser.set_request_method(method)
    events: list = []
    bounds = [0, *sorted(set(splits)), len(data)]
    try:
        for start, stop in itertools.pairwise(bounds):
            events += parser.feed_data(data[start:stop])
        events += parser.feed_eof()
    except HttpProcessingError as exc:
        return ("error", type(exc), exc.message, _coalesce(events + exc.events))
    return ("ok", _coalesce(events), parser.upgraded, parser.tail)


def _coalesce(events: list) -> list:
    """Adjacent body pieces joined (so per chunk in a chunked body); other events kept in place."""
    out: list = []
    for event in events:
        assert not isinstance(event, bytes) or event, "empty body event"
        if isinstance(event, bytes) and out and isinstance(out[-1], bytes):
            out[-1] += event
        else:
            out.append(bytes(event) if isinstance(event, bytes) else _comparable(event))
    return out


def check_twins(config: dict, data: bytes, splits: list[int]) -> None:
    """Same outcome from both twins, and splitting the input changes nothing."""
    assert CParser is not None
    whole_py = run(PyParser, config, data, [])
    whole_c = run(CParser, config, data, [])
    assert whole_c == whole_py
    split_py = run(PyParser, config, data, splits)
    split_c = run(CParser, config, data, splits)
    assert split_c == split_py
    assert split_py == whole_py


SPLITS = st.lists(st.integers(0, 2000), max_size=6)


@needs_c
@SETTINGS
@given(config=CONFIG, data=pipeline(), splits=SPLITS)
def test_valid_responses(config: dict, data: bytes, splits: list[int]) -> None:
    check_twins(config, data, [s % (len(data) + 1) for s in splits])


@needs_c
@SETTINGS
@given(config=CONFIG, data=pipeline().flatmap(mutated), splits=SPLITS)
def test_mutated_responses(config: dict, data: bytes, splits: list[int]) -> None:
    check_twins(config, data, [s % (len(data) + 1) for s in splits])


@st.composite
def transfer_encoding_response(draw: st.DrawFn) -> bytes:
    """Any Transfer-Encoding list, with or without Content-Length, on any version and status,
    followed by a chunked-looking body and a second response."""
    version = draw(st.sampled_from([b"1.1", b"1.1", b"1.1", b"1.1", b"1.0"]))
    status = draw(st.sampled_from([200, 200, 200, 404, 100, 101, 103, 204, 304]))
    head = b"HTTP/" + version + b" %d X\r\n" % status
    head += draw(transfer_encoding_lines(draw(any_transfer_encoding())))
    if draw(st.sampled_from([False] * 7 + [True])):
        head += b"Content-Length: 3\r\n"
    if draw(st.booleans()):
        head += b"Connection: " + draw(CONNECTION) + b"\r\n"
    body = b""
    if (status >= 200 and status not in (204, 304)) or draw(st.booleans()):
        body = draw(chunked_body(draw(st.binary(max_size=20))))
    return head + b"\r\n" + body + draw(response(last=True))


@needs_c
@SETTINGS
@given(config=CONFIG, data=transfer_encoding_response(), splits=SPLITS)
def test_transfer_encoding_lists(config: dict, data: bytes, splits: list[int]) -> None:
    check_twins(config, data, [s % (len(data) + 1) for s in splits])


@needs_c
@SETTINGS
@given(config=CONFIG, data=st.binary(max_size=300), splits=SPLITS)
def test_arbitrary_bytes(config: dict, data: bytes, splits: list[int]) -> None:
    check_twins(config, data, [s % (len(data) + 1) for s in splits])


CHUNK_PIECES = st.lists(st.binary(min_size=1, max_size=20), max_size=6)


@needs_c
@SETTINGS
@given(pieces=CHUNK_PIECES, sizes=st.data(), splits=SPLITS)
def test_chunk_ends_follow_each_chunk(
    pieces: list[bytes], sizes: st.DataObject, splits: list[int]
) -> None:
    """Both twins: each chunk's data, then END_OF_CHUNK; one more for the last chunk."""
    body = b""
    for piece in pieces:
        size = sizes.draw(st.sampled_from(["%x", "%X", "%04x"])).encode() % len(piece)
        body += size + sizes.draw(chunk_extensions()) + b"\r\n" + piece + b"\r\n"
    body += b"0" + sizes.draw(chunk_extensions()) + b"\r\n" + sizes.draw(field_lines(2)) + b"\r\n"
    data = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + body
    expected = [event for piece in pieces for event in (piece, END_OF_CHUNK)]
    expected += [END_OF_CHUNK, END_OF_MESSAGE]
    config = {"method": "GET", "read_until_eof": True}
    for parser_cls in (PyParser, CParser):
        outcome = run(parser_cls, config, data, [s % (len(data) + 1) for s in splits])
        assert outcome[0] == "ok", outcome
        assert outcome[1][1:] == expected


# --- every split point of tricky inputs ------------------------------------------------------

TRICKY_20 = [
    b"HTTP/1.1 200 OK\r\nX: 0123456789abcdef\r\n\r\n",  # 19 bytes: fits
    b"HTTP/1.1 200 OK\r\nX: 0123456789abcdefg\r\n\r\n",  # 20 bytes: fits exactly
    b"HTTP/1.1 200 OK\r\nX: 0123456789abcdefgh\r\n\r\n",  # 21 bytes: too long
    b"HTTP/1.1 200 OK\r\nX: 0123456789abcdefg\rx\r\n",  # CR at the limit, then more
    b"HTTP/1.1 200 OK\r\nX: 0123456789abcdefg\n",  # bare LF at the limit
    b"HTTP/1.1 200 OK\r\nX: 01234\r\n 56789\r\n\r\n",  # folded: 8 + 2 + 6 = 16
    b"HTTP/1.1 200 OK\r\nX: 01234\r\n 5678\r\n  9\r\n\r\n",  # folded: 8+2+5+2+3 = 20
    b"HTTP/1.1 200 OK\r\nX: 01234\r\n 5678\r\n  90\r\n\r\n",  # folded: 21
    b"HTTP/1.1 200 OK\r\nX: 1\r\n \r\n\t\r\nY: 2\r\n\r\n",  # whitespace-only folds
    b"HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n",  # one field too many
    b"HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\nD\x01: 4\r\n\r\n",  # bad line first
    b"HTTP/1.1 200 OK\r\nA: \x01\r\nB: 2\r\n\r\n",
    b"HTTP/1.1 200 0123456789\r\n\r\n",  # status line too long
    b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabc",
    b"HTTP/1.1 100 Go\r\n\r\nHTTP/1.1 204 No\r\n\r\nHTTP/1.1 200 OK\r\n\r\nbody",
]
TRICKY_30 = [
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n"
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: foo\r\n\r\n3\r\nabc\r\n0\r\n\r\nHTTP/1.1 204\r\n",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\nTransfer-Encoding: \r\n\r\n0\r\n\r\n"
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, identity\r\n\r\nrest",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: CHUNKED\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nContent-Length: 3\r\n\r\nabc",
    b"HTTP/1.1 304 NM\r\nTransfer-Encoding: gzip\r\n\r\nHTTP/1.1 200 OK\r\n\r\nbody",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"3;a=\"x\\\"\"\r\nabc\r\n0\r\nT: 1\r\n  2\r\n\r\nHTTP/1.1 101 S\r\n\r\ntail",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\r\n",
    # size lines of 15 digits (taken whole by the C twin's fast path) and 16 (the line reader)
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n000000000000001\r\na\r\n"
    b"0000000000000001\r\nb\r\n00\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\n\r\n",
    # 30 bytes fit the limit, 31 do not:
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;a=" + b"b" * 26 + b"\r\n",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;a=" + b"b" * 27 + b"\r\n",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nT: " + b"t" * 27 + b"\r\n",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nT: " + b"t" * 28 + b"\r\n",
]


@pytest.mark.parametrize(
    ("limit", "data"), [(20, d) for d in TRICKY_20] + [(30, d) for d in TRICKY_30]
)
def test_every_split_point(limit: int, data: bytes) -> None:
    """Each twin's outcome is the same for every single cut, and the twins agree."""
    limits = {"max_line_size": limit, "max_field_size": limit, "max_headers": 3}
    config = {"method": "GET", "read_until_eof": True, **limits}
    for parser_cls in _fuzz_twins():
        whole = run(parser_cls, config, data, [])
        for cut in range(1, len(data)):
            outcome = run(parser_cls, config, data, [cut])
            assert outcome[:3] == whole[:3] if whole[0] == "error" else outcome == whole
    if CParser is not None:
        assert run(CParser, config, data, []) == run(PyParser, config, data, [])
        bytewise = list(range(1, len(data)))
        assert run(CParser, config, data, bytewise) == run(PyParser, config, data, bytewise)


# --- fuzz smoke: only parser errors, bounded buffering ---------------------------------------

PREFIXES = st.sampled_from(
    [
        b"",
        b"HTTP/1.1 200 OK\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: foo\r\n",
        b"HTTP/1.1 101 Switching Protocols\r\n\r\n",
    ]
)


def _fuzz_twins() -> list[type]:
    return list(PARSERS.values())


@settings(
    max_examples=int(os.environ.get("PARSER_FUZZ_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    prefix=PREFIXES,
    pieces=st.lists(st.binary(max_size=200), max_size=8),
    limit=st.sampled_from([8, 40, 8190]),
)
def test_fuzz_smoke(prefix: bytes, pieces: list[bytes], limit: int) -> None:
    """Any input: only HttpProcessingError subclasses, and at most one line is ever held."""
    for parser_cls in _fuzz_twins():
        parser = parser_cls(max_line_size=limit, max_field_size=limit, max_headers=4)
        try:
            for piece in [prefix, *pieces]:
                parser.feed_data(piece)
                assert parser.held_bytes <= limit + 1
            parser.feed_eof()
        except HttpProcessingError as exc:
            assert exc.message
            assert isinstance(exc.message, str)


def test_messages_come_from_the_rulebook() -> None:
    """Spot check that both twins build messages from _http_rules (the same text)."""
    for parser_cls in _fuzz_twins():
        parser = parser_cls()
        with pytest.raises(HttpProcessingError) as info:
            parser.feed_data(b"HTTP/1.1 200 OK\r\nX-Foo: \x01\r\n\r\n")
        assert info.value.message == R.bad_value_char("header", 1, b"X-Foo")
