"""Inputs the fuzzers (fuzz/, ``make fuzz``) and the sanitizer builds (``make asan``) flagged,
each kept as a test of the behaviour docs/PARSER.md (or RFC 6455 for the websocket reader)
agrees on. The parser cases run against both twins.

How a fuzz input maps to a parser run is described in fuzz/fuzz_http_parser.py; the inputs
below are already decoded (configuration, cuts, bytes).
"""

import itertools
import zlib

import pytest

from aiohttp_clone._http.messages import END_OF_MESSAGE
from aiohttp_clone._websocket.models import WebSocketError, WSCloseCode
from aiohttp_clone._websocket.reader import WebSocketReader
from aiohttp_clone.http_exceptions import BadHttpMessage, HttpProcessingError
from tests.twins import PARSERS


@pytest.fixture(params=list(PARSERS.values()), ids=list(PARSERS))
def parser_cls(request: pytest.FixtureRequest) -> type:
    return request.param  # type: ignore[no-any-return]


def test_parser_without_arguments_on_empty_input(parser_cls: type) -> None:
    """The fuzzer's first input (empty) under clang's UBSan: building the C twin with no
    arguments made Cython's vectorcall ``tp_new`` wrapper compute ``NULL + 0`` ("applying zero
    offset to null pointer"). It is generated code, exempted in fuzz/ubsan-ignorelist.txt, and
    the behaviour is as agreed: no data, no events, a clean EOF, then no more data accepted."""
    parser = parser_cls()
    assert parser.feed_data(b"") == []
    assert parser.feed_eof() == []
    assert parser.feed_eof() == []
    with pytest.raises(BadHttpMessage):
        parser.feed_data(b"")
    assert parser.upgraded is False
    assert parser.tail == b""


def test_close_delimited_body_after_an_empty_feed(parser_cls: type) -> None:
    """Empty feeds between pieces change nothing (PARSER.md: feed_data(b"") returns [])."""
    parser = parser_cls()
    events = []
    for piece in (b"", b"HTTP/1.0 200 OK\r\n", b"", b"\r\n", b"", b"body", b""):
        events += parser.feed_data(piece)
    events += parser.feed_eof()
    assert [e for e in events if isinstance(e, bytes)] == [b"body"]
    assert events[-1] is END_OF_MESSAGE


def _frame(opcode: int, payload: bytes, *, rsv1: bool = False) -> bytes:
    assert len(payload) < 126
    return bytes([0x80 | (0x40 if rsv1 else 0) | opcode, len(payload)]) + payload


def _feed(reader: WebSocketReader, data: bytes, cuts: list[int]) -> WebSocketError:
    bounds = [0, *cuts, len(data)]
    with pytest.raises(WebSocketError) as info:
        for start, stop in itertools.pairwise(bounds):
            reader.feed_data(data[start:stop])
    return info.value


def test_compressed_text_with_bad_utf8_then_bad_deflate_data() -> None:
    """Found by fuzz/fuzz_websocket_reader.py: a compressed text frame whose first deflate
    block inflates to invalid UTF-8 and whose later bytes are broken deflate data. Fed whole,
    zlib fails first (1002, invalid compressed data); cut, the first piece is inflated and its
    text rejected first (1007). Which error a stream meets first may depend on the cuts; that it
    is a protocol error with one of those two codes must not."""
    stored = b"\x00" + (2).to_bytes(2, "little") + (0xFFFD).to_bytes(2, "little") + b"\xff\xfe"
    assert zlib.decompressobj(-zlib.MAX_WBITS).decompress(stored) == b"\xff\xfe"
    payload = stored + b"\x02\xff\xff\xff"  # a fixed-Huffman block with a bad distance
    data = _frame(0x1, payload, rsv1=True)
    codes = {WSCloseCode.PROTOCOL_ERROR, WSCloseCode.INVALID_TEXT}
    whole = _feed(WebSocketReader(compress=True), data, [])
    assert whole.code in codes
    for cut in range(1, len(data)):
        assert _feed(WebSocketReader(compress=True), data, [cut]).code in codes


def test_fuzzer_input_compressed_text_is_a_protocol_error() -> None:
    """The input exactly as the fuzzer found it (configuration compress=True)."""
    data = b"\xc1\x17J\xec\xc11\x01\x00\x00\x00\xc2\xa0\xf5Om*\x0f\xa0\x00\x00\x80w\x03"
    whole = _feed(WebSocketReader(compress=True), data, [])
    cut = _feed(WebSocketReader(compress=True), data, [5, 12, 18, 19])
    assert whole.code == WSCloseCode.PROTOCOL_ERROR
    assert "Invalid compressed data" in str(whole)
    assert cut.code == WSCloseCode.INVALID_TEXT


def test_errors_are_processing_errors(parser_cls: type) -> None:
    """Every parser error the fuzzer can provoke derives from HttpProcessingError."""
    parser = parser_cls(max_line_size=12, max_field_size=12, max_headers=2)
    with pytest.raises(HttpProcessingError):
        parser.feed_data(b"HTTP/1.1 200 OK, this status line is too long\r\n")
