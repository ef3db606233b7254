"""The sans-I/O websocket codec: frame reader, frame writer, permessage-deflate negotiation."""

import json
import struct
import zlib

import pytest

from aiohttp_clone._websocket import (
    WebSocketError,
    WebSocketReader,
    WebSocketWriter,
    WSCloseCode,
    WSMessage,
    WSMsgType,
    deflate_offer,
    negotiate_deflate,
)

TEXT, BINARY, CLOSE, PING, PONG, CONT = 1, 2, 8, 9, 10, 0


def frame(
    payload: bytes, opcode: int = TEXT, *, fin: bool = True, rsv: int = 0,
    mask: bytes | None = None, length: int | None = None,
) -> bytes:
    """A frame as a server (or, with ``mask``, a client) would send it."""
    size = len(payload) if length is None else length
    first = (0x80 if fin else 0) | rsv | opcode
    mask_bit = 0x80 if mask else 0
    if size < 126:
        head = bytes((first, mask_bit | size))
    elif size < 65536:
        head = struct.pack("!BBH", first, mask_bit | 126, size)
    else:
        head = struct.pack("!BBQ", first, mask_bit | 127, size)
    if mask:
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        return head + mask + payload
    return head + payload


def deflate(payload: bytes, compressor: "zlib._Compress | None" = None) -> bytes:
    compressor = compressor or zlib.compressobj(wbits=-15)
    data = compressor.compress(payload) + compressor.flush(zlib.Z_SYNC_FLUSH)
    assert data.endswith(b"\x00\x00\xff\xff")
    return data[:-4]


def feed_all(reader: WebSocketReader, data: bytes, step: int = 0) -> list[WSMessage]:
    if not step:
        return reader.feed_data(data)
    out: list[WSMessage] = []
    for i in range(0, len(data), step):
        out += reader.feed_data(data[i : i + step])
    return out


def expect_error(data: bytes, code: int, match: str, **kwargs: object) -> None:
    reader = WebSocketReader(**kwargs)  # type: ignore[arg-type]
    with pytest.raises(WebSocketError, match=match) as info:
        reader.feed_data(data)
    assert info.value.code == code


# -- models -------------------------------------------------------------------------------


def test_enum_values_match_aiohttp() -> None:
    assert [(m.name, m.value) for m in WSMsgType] == [
        ("CONTINUATION", 0), ("TEXT", 1), ("BINARY", 2), ("PING", 9), ("PONG", 10),
        ("CLOSE", 8), ("CLOSING", 256), ("CLOSED", 257), ("ERROR", 258),
    ]
    assert WSMsgType.text is WSMsgType.TEXT
    assert [c.value for c in WSCloseCode] == [1000, 1001, 1002, 1003, *range(1006, 1015)]


def test_message_json() -> None:
    assert WSMessage(WSMsgType.TEXT, '{"a": [1]}', "").json() == {"a": [1]}
    assert WSMessage(WSMsgType.BINARY, b"[2]", "").json(loads=json.loads) == [2]


# -- reader: framing ----------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1, 125, 126, 65535, 65536, 200_000])
@pytest.mark.parametrize("step", [0, 1, 7, 4096])
def test_lengths_and_splits(size: int, step: int) -> None:
    if step == 1 and size > 70_000:
        pytest.skip("byte-by-byte feeding of big frames is slow and adds nothing")
    payload = bytes(i % 251 for i in range(size))
    reader = WebSocketReader()
    data = frame(payload, BINARY) + frame(b"after", TEXT)
    assert feed_all(reader, data, step) == [
        (WSMsgType.BINARY, payload, ""), (WSMsgType.TEXT, "after", ""),
    ]


def test_many_messages_in_one_chunk() -> None:
    data = b"".join(frame(str(i).encode()) for i in range(100))
    assert [m.data for m in WebSocketReader().feed_data(data)] == [str(i) for i in range(100)]


def test_control_frames() -> None:
    reader = WebSocketReader()
    data = frame(b"p", PING) + frame(b"", PONG) + frame(b"\x03\xe8bye", CLOSE) + frame(b"", CLOSE)
    assert reader.feed_data(data) == [
        (WSMsgType.PING, b"p", ""),
        (WSMsgType.PONG, b"", ""),
        (WSMsgType.CLOSE, 1000, "bye"),
        (WSMsgType.CLOSE, 0, ""),
    ]


@pytest.mark.parametrize("step", [0, 1, 3])
def test_fragmented_message_with_interleaved_control_frames(step: int) -> None:
    data = (
        frame(b"hel", TEXT, fin=False)
        + frame(b"1", PING)
        + frame(b"lo ", CONT, fin=False)
        + frame(b"", PONG)
        + frame("wörld".encode(), CONT)
    )
    assert feed_all(WebSocketReader(), data, step) == [
        (WSMsgType.PING, b"1", ""),
        (WSMsgType.PONG, b"", ""),
        (WSMsgType.TEXT, "hello wörld", ""),
    ]


def test_utf8_sequence_split_across_fragments() -> None:
    encoded = "€".encode()
    data = frame(encoded[:1], TEXT, fin=False) + frame(encoded[1:], CONT)
    assert WebSocketReader().feed_data(data) == [(WSMsgType.TEXT, "€", "")]


def test_decode_text_false_gives_bytes() -> None:
    reader = WebSocketReader(decode_text=False)
    data = frame(b"ab", TEXT, fin=False) + frame(b"c", CONT) + frame(b"x")
    assert reader.feed_data(data) == [(WSMsgType.TEXT, b"abc", ""), (WSMsgType.TEXT, b"x", "")]


# -- reader: protocol errors --------------------------------------------------------------

PROTOCOL = WSCloseCode.PROTOCOL_ERROR


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (frame(b"x", mask=b"abcd"), "masked frame"),
        (frame(b"x", rsv=0x40), "reserved bits"),
        (frame(b"x", rsv=0x20), "reserved bits"),
        (frame(b"x", rsv=0x10), "reserved bits"),
        (frame(b"x", 3), "Unexpected opcode=3"),
        (frame(b"x", 0xB), "Unexpected opcode=11"),
        (frame(b"x", PING, fin=False), "fragmented control"),
        (frame(b"x" * 126, PING), "larger than 125"),
        (frame(b"x", PONG, rsv=0x40), "reserved bits"),
        (frame(b"x", CONT), "non started message"),
        (frame(b"a", TEXT, fin=False) + frame(b"b", BINARY), "Expected a continuation"),
        (frame(b"a", TEXT, fin=False) + frame(b"b", CONT, rsv=0x40), "reserved bits"),
        (b"\x82\x7f" + (1 << 63).to_bytes(8, "big"), "most significant bit"),
        (frame(b"\x03", CLOSE), "one-byte payload"),
    ],
)
def test_protocol_errors(data: bytes, match: str) -> None:
    expect_error(data, PROTOCOL, match)


@pytest.mark.parametrize("code", [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535])
def test_invalid_close_codes(code: int) -> None:
    expect_error(frame(code.to_bytes(2, "big"), CLOSE), PROTOCOL, f"Invalid close code: {code}")


@pytest.mark.parametrize("code", [1000, 1001, 1003, 1007, 1011, 1012, 1014, 3000, 4999])
def test_valid_close_codes(code: int) -> None:
    msgs = WebSocketReader().feed_data(frame(code.to_bytes(2, "big") + b"why", CLOSE))
    assert msgs == [(WSMsgType.CLOSE, code, "why")]


def test_invalid_utf8() -> None:
    invalid = WSCloseCode.INVALID_TEXT
    expect_error(frame(b"\xff"), invalid, "Invalid UTF-8")
    expect_error(frame(b"\x03\xe8\xff", CLOSE), invalid, "close reason")
    # Found in the first fragment, before the message is complete.
    expect_error(frame(b"ok\xc0\xaf", TEXT, fin=False), invalid, "Invalid UTF-8")
    # A sequence cut short by the end of the message.
    expect_error(frame(b"a\xe2\x82", TEXT, fin=False) + frame(b"", CONT), invalid, "UTF-8")


# -- reader: size limits ------------------------------------------------------------------

TOO_BIG = WSCloseCode.MESSAGE_TOO_BIG


def test_size_limit_applies_to_the_frame_header() -> None:
    """The limit trips on the header: nothing of the payload needs to arrive."""
    header_only = frame(b"", BINARY, length=1025)
    expect_error(header_only, TOO_BIG, "exceeds limit 1024", max_msg_size=1024)


def test_size_limit_counts_all_fragments() -> None:
    reader = WebSocketReader(max_msg_size=10)
    assert reader.feed_data(frame(b"123456", TEXT, fin=False)) == []
    with pytest.raises(WebSocketError, match="Message size 12") as info:
        reader.feed_data(frame(b"", CONT, length=6))
    assert info.value.code == TOO_BIG


def test_size_limit_is_per_message_and_zero_disables_it() -> None:
    reader = WebSocketReader(max_msg_size=4)
    assert len(reader.feed_data(frame(b"1234") * 3)) == 3
    assert WebSocketReader(max_msg_size=0).feed_data(frame(b"x" * 70_000, BINARY))


def test_control_frames_do_not_count_towards_the_limit() -> None:
    reader = WebSocketReader(max_msg_size=4)
    data = frame(b"12", TEXT, fin=False) + frame(b"x" * 100, PING) + frame(b"34", CONT)
    assert [m.type for m in reader.feed_data(data)] == [WSMsgType.PING, WSMsgType.TEXT]


# -- reader: permessage-deflate -----------------------------------------------------------


def test_compressed_messages_with_context_takeover() -> None:
    compressor = zlib.compressobj(wbits=-15)
    reader = WebSocketReader(compress=True)
    first, second = deflate(b"hello " * 50, compressor), deflate(b"hello " * 50, compressor)
    assert len(second) < len(first)  # refers back to the first message
    data = frame(first, TEXT, rsv=0x40) + frame(second, BINARY, rsv=0x40) + frame(b"plain")
    assert reader.feed_data(data) == [
        (WSMsgType.TEXT, "hello " * 50, ""),
        (WSMsgType.BINARY, b"hello " * 50, ""),
        (WSMsgType.TEXT, "plain", ""),
    ]


@pytest.mark.parametrize("step", [0, 1, 5])
def test_compressed_fragmented_message(step: int) -> None:
    data = deflate("ünïcode ".encode() * 20)
    third = len(data) // 3
    wire = (
        frame(data[:third], TEXT, fin=False, rsv=0x40)
        + frame(b"", PING)
        + frame(data[third : 2 * third], CONT, fin=False)
        + frame(data[2 * third :], CONT)
    )
    msgs = feed_all(WebSocketReader(compress=True), wire, step)
    assert msgs == [(WSMsgType.PING, b"", ""), (WSMsgType.TEXT, "ünïcode " * 20, "")]


def test_inflated_size_is_limited_as_it_is_produced() -> None:
    bomb = deflate(b"\0" * 10_000_000)
    assert len(bomb) < 20_000
    reader = WebSocketReader(max_msg_size=65536, compress=True)
    with pytest.raises(WebSocketError, match="exceeds limit 65536") as info:
        reader.feed_data(frame(bomb[:2000], BINARY, fin=False, rsv=0x40))  # first fragment
    assert info.value.code == TOO_BIG


def test_inflated_size_at_the_limit_is_accepted() -> None:
    reader = WebSocketReader(max_msg_size=1000, compress=True)
    assert reader.feed_data(frame(deflate(b"a" * 1000), BINARY, rsv=0x40))[0].data == b"a" * 1000


def test_corrupt_compressed_data() -> None:
    expect_error(frame(b"\xff\xff\xff", BINARY, rsv=0x40), PROTOCOL, "Invalid compressed data",
                 compress=True)


# -- writer -------------------------------------------------------------------------------


def parse_client_frame(data: bytes) -> tuple[int, int, bytes]:
    """(first byte, payload length field, unmasked payload) of one complete client frame."""
    assert data[1] & 0x80, "client frames must be masked"
    length, pos = data[1] & 0x7F, 2
    if length == 126:
        length, pos = struct.unpack_from("!H", data, 2)[0], 4
    elif length == 127:
        length, pos = struct.unpack_from("!Q", data, 2)[0], 10
    mask, payload = data[pos : pos + 4], data[pos + 4 :]
    assert len(payload) == length
    return data[0], length, bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


@pytest.mark.parametrize("size", [0, 1, 125, 126, 65535, 65536])
def test_writer_lengths(size: int) -> None:
    payload = bytes(i % 256 for i in range(size))
    first, length, unmasked = parse_client_frame(WebSocketWriter().frame(payload, BINARY))
    assert (first, length, unmasked) == (0x82, size, payload)


def test_writer_uses_a_fresh_mask_per_frame() -> None:
    writer = WebSocketWriter()
    masks = {bytes(writer.frame(b"x", TEXT)[2:6]) for _ in range(2000)}
    assert len(masks) > 1990


def test_writer_close_frame() -> None:
    first, _, payload = parse_client_frame(WebSocketWriter().close_frame(1001, "gone"))
    assert (first, payload) == (0x88, b"\x03\xe9gone")


def test_writer_compression_with_context_takeover() -> None:
    writer = WebSocketWriter(compress=15)
    inflater = zlib.decompressobj(-15)
    sizes = []
    for _ in range(2):
        first, length, payload = parse_client_frame(writer.frame(b"abcdefgh" * 100, TEXT))
        assert first == 0xC1  # FIN | RSV1 | TEXT
        assert inflater.decompress(payload + b"\x00\x00\xff\xff") == b"abcdefgh" * 100
        sizes.append(length)
    assert sizes[1] < sizes[0]


def test_writer_compression_without_context_takeover() -> None:
    writer = WebSocketWriter(compress=12, notakeover=True)
    for _ in range(3):
        _, _, payload = parse_client_frame(writer.frame(b"xyz" * 300, BINARY))
        fresh = zlib.decompressobj(-12)
        assert fresh.decompress(payload + b"\x00\x00\xff\xff") == b"xyz" * 300


def test_writer_compression_per_call_and_control_frames() -> None:
    writer = WebSocketWriter(compress=15)
    assert parse_client_frame(writer.frame(b"raw", TEXT, compress=0))[0] == 0x81
    first, _, payload = parse_client_frame(writer.frame(b"one-off" * 10, TEXT, compress=9))
    assert first == 0xC1
    assert zlib.decompressobj(-9).decompress(payload + b"\x00\x00\xff\xff") == b"one-off" * 10
    assert parse_client_frame(writer.frame(b"p", PING))[0] == 0x89
    # Without negotiation nothing is compressed, whatever the call asks for.
    assert parse_client_frame(WebSocketWriter().frame(b"x", TEXT, compress=15))[0] == 0x81


def test_writer_output_is_read_back_by_the_reader() -> None:
    """A writer frame with its mask removed is a valid server frame: the two agree."""
    writer = WebSocketWriter(compress=15)
    reader = WebSocketReader(compress=True)
    for text in ["short", "x" * 1000, "ü" * 40_000]:
        raw = writer.frame(text.encode(), TEXT)
        first, _, payload = parse_client_frame(bytes(raw))
        assert reader.feed_data(frame(payload, first & 0x0F, rsv=first & 0x70)) == [
            (WSMsgType.TEXT, text, "")
        ]


# -- permessage-deflate negotiation -------------------------------------------------------


def test_deflate_offer() -> None:
    assert deflate_offer(15) == "permessage-deflate; client_max_window_bits"
    # As aiohttp: compress=N asks the server for an N-bit window, the client's is left open.
    assert deflate_offer(10) == (
        "permessage-deflate; client_max_window_bits; server_max_window_bits=10"
    )


@pytest.mark.parametrize(
    ("header", "compress", "expected"),
    [
        (None, 15, (0, False)),
        ("", 15, (0, False)),
        ("permessage-deflate", 15, (15, False)),
        ("permessage-deflate; client_max_window_bits=10", 15, (10, False)),
        ("Permessage-Deflate; client_no_context_takeover", 12, (15, True)),
        ("permessage-deflate; server_max_window_bits=10", 12, (15, False)),
        ("permessage-deflate; server_no_context_takeover", 15, (15, False)),
        ("permessage-deflate; server_max_window_bits=9", 15, (15, False)),
        ('permessage-deflate; client_max_window_bits="9"', 15, (9, False)),
    ],
)
def test_negotiate_deflate(header: str | None, compress: int, expected: tuple[int, bool]) -> None:
    assert negotiate_deflate(header, compress) == expected


@pytest.mark.parametrize(
    ("header", "compress", "match"),
    [
        ("permessage-deflate", 0, "not offered"),
        ("x-webkit-deflate-frame", 15, "not offered"),
        ("permessage-deflate, permessage-deflate", 15, "more than"),
        ("permessage-deflate; foo", 15, "unknown extension parameter"),
        ("permessage-deflate; client_no_context_takeover=1", 15, "takes no value"),
        ("permessage-deflate; server_no_context_takeover; server_no_context_takeover", 15,
         "duplicate"),
        ("permessage-deflate; server_max_window_bits=11", 10, "more than offered"),
        ("permessage-deflate; client_max_window_bits", 15, "invalid"),
        ("permessage-deflate; client_max_window_bits=7", 15, "invalid"),
        ("permessage-deflate; server_max_window_bits=16", 15, "invalid"),
    ],
)
def test_negotiate_deflate_rejects(header: str, compress: int, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        negotiate_deflate(header, compress)


@pytest.mark.parametrize(
    "good",
    [frame(b"one") + frame(b"two", BINARY),  # the fast path's whole frames
     frame(b"o", fin=False) + frame(b"ne", CONT) + frame(b"two", BINARY)],  # the general path
)
def test_messages_before_an_error_travel_on_it(good: bytes) -> None:
    """The messages a chunk completed before a protocol error are delivered ahead of it."""
    with pytest.raises(WebSocketError) as info:
        WebSocketReader().feed_data(good + frame(b"x", 3))
    assert info.value.messages == [(WSMsgType.TEXT, "one", ""), (WSMsgType.BINARY, b"two", "")]
    with pytest.raises(WebSocketError) as info:
        WebSocketReader().feed_data(frame(b"x", 3))
    assert info.value.messages == []
