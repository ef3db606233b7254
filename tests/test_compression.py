"""Content decoders and upload compressors: parsing, round trips, errors and the output bound."""

import gzip
import os
import types
import zlib
from collections.abc import Callable, Iterator

import brotli
import pytest

from aiohttp_clone._http import content_coding as compression
from aiohttp_clone._http.content_coding import (
    ACCEPT_ENCODING,
    MAX_OUTPUT,
    ZSTD_AVAILABLE,
    ContentDecoder,
    compressor_for,
    decoder_for,
    set_zlib_backend,
)
from aiohttp_clone._http.errors import ContentCodingError

zstandard = pytest.importorskip("zstandard") if ZSTD_AVAILABLE else None
needs_zstd = pytest.mark.skipif(not ZSTD_AVAILABLE, reason="no zstd implementation installed")

# Compressible and incompressible parts, so every codec emits several blocks.
BODY = b"".join(b"line %d of the body\n" % i for i in range(20000)) + os.urandom(70000)


def zstd_compress(data: bytes, window_log: int = 20) -> bytes:
    assert zstandard is not None
    params = zstandard.ZstdCompressionParameters.from_level(3, window_log=window_log)
    compressor = zstandard.ZstdCompressor(compression_params=params).compressobj()
    return compressor.compress(data) + compressor.flush()


ENCODERS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": gzip.compress,
    "deflate": zlib.compress,
    "br": brotli.compress,
}
if ZSTD_AVAILABLE:
    ENCODERS["zstd"] = zstd_compress


def decode_all(decoder: ContentDecoder, data: bytes, step: int) -> bytes:
    """Drive a decoder as the connection does, checking the bound on every call."""
    out = []
    for i in range(0, len(data), step):
        piece = decoder.decompress(data[i : i + step])
        for _ in range(100_000):
            assert len(piece) <= MAX_OUTPUT
            out.append(piece)
            if decoder.needs_input:
                break
            piece = decoder.decompress(b"")
        else:
            pytest.fail("decoder never asked for more input")
    out.append(decoder.flush())
    return b"".join(out)


def decoder(encoding: str) -> ContentDecoder:
    result = decoder_for(encoding)
    assert result is not None
    return result


# -- header parsing --------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["", "identity", " identity , IDENTITY ", ",", "\t"])
def test_nothing_to_decode(value: str) -> None:
    assert decoder_for(value) is None


@pytest.mark.parametrize("value", ["compress", "gzip, compress", "br;q=1", "sdch, gzip"])
def test_unknown_coding_passes_the_body_through(value: str) -> None:
    assert decoder_for(value) is None


@pytest.mark.parametrize("value", ["gzip", "GZip", " gzip\t", "x-gzip", "identity, gzip"])
def test_gzip_spellings(value: str) -> None:
    data = gzip.compress(b"payload")
    assert decode_all(decoder(value), data, 1000) == b"payload"


def test_accept_encoding() -> None:
    offered = [c.strip() for c in ACCEPT_ENCODING.split(",")]
    assert offered[:3] == ["gzip", "deflate", "br"]
    assert ("zstd" in offered) is ZSTD_AVAILABLE


# -- round trips -----------------------------------------------------------------------------


@pytest.mark.parametrize("step", [1, 7, 4096, 1 << 20])
@pytest.mark.parametrize("encoding", sorted(ENCODERS))
def test_round_trip(encoding: str, step: int) -> None:
    body = BODY if step > 1 else BODY[:3000]  # byte-at-a-time on a short body
    data = ENCODERS[encoding](body)
    dec = decoder(encoding)
    assert not dec.eof
    assert decode_all(dec, data, step) == body
    assert dec.eof


@pytest.mark.parametrize(("body", "step"), [(BODY[:3000], 1), (BODY, 10_000)])
def test_deflate_raw_without_zlib_wrapper(body: bytes, step: int) -> None:
    compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    data = compressor.compress(body) + compressor.flush()
    assert decode_all(decoder("deflate"), data, step) == body


def test_gzip_members_padding_and_trailing_garbage() -> None:
    data = gzip.compress(b"first ") + gzip.compress(b"second") + b"\0\0" + gzip.compress(b"!")
    assert decode_all(decoder("gzip"), data, 3) == b"first second!"
    assert decode_all(decoder("gzip"), data + b"junk after the end", 5) == b"first second!"


def test_deflate_ignores_trailing_bytes() -> None:
    assert decode_all(decoder("deflate"), zlib.compress(b"abc") + b"xyz", 2) == b"abc"


@needs_zstd
def test_zstd_frames() -> None:
    data = zstd_compress(b"one ") + zstd_compress(b"two")
    assert decode_all(decoder("zstd"), data, 5) == b"one two"


@pytest.mark.parametrize(
    ("header", "layers"),
    [("gzip, br", ["gzip", "br"]), ("deflate,gzip , deflate", ["deflate", "gzip", "deflate"])],
)
def test_stacked_codings_are_undone_in_reverse(header: str, layers: list[str]) -> None:
    data = BODY
    for coding in layers:
        data = ENCODERS[coding](data)
    dec = decoder(header)
    assert decode_all(dec, data, 8192) == BODY
    assert dec.eof


@needs_zstd
def test_stack_with_zstd_outermost() -> None:
    data = zstd_compress(gzip.compress(BODY))
    assert decode_all(decoder("gzip, zstd"), data, 999) == BODY


def test_empty_body_is_not_an_error() -> None:
    for encoding in ENCODERS:
        dec = decoder(encoding)
        assert dec.decompress(b"") == b""
        assert dec.flush() == b""


def test_flush_drains_a_decoder_that_was_not_drained() -> None:
    data = gzip.compress(bytes(3 * MAX_OUTPUT))
    dec = decoder("gzip")
    first = dec.decompress(data)
    assert len(first) == MAX_OUTPUT
    assert not dec.needs_input
    assert len(first) + len(dec.flush()) == 3 * MAX_OUTPUT


# -- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", sorted(ENCODERS))
def test_corrupt_stream(encoding: str) -> None:
    data = bytearray(ENCODERS[encoding](BODY))
    for i in range(8, len(data), 97):
        data[i] ^= 0x55
    with pytest.raises(ContentCodingError, match=f"content-encoding: {encoding}"):
        decode_all(decoder(encoding), bytes(data), 4096)


@pytest.mark.parametrize("encoding", sorted(ENCODERS))
def test_truncated_stream(encoding: str) -> None:
    data = ENCODERS[encoding](BODY)
    with pytest.raises(ContentCodingError, match=f"{encoding}.*truncated"):
        decode_all(decoder(encoding), data[: len(data) // 2], 4096)


def test_deflate_body_of_one_byte_is_truncated() -> None:
    dec = decoder("deflate")
    assert dec.decompress(b"x") == b""
    with pytest.raises(ContentCodingError, match="truncated"):
        dec.flush()


def test_not_gzip_at_all() -> None:
    with pytest.raises(ContentCodingError, match="gzip"):
        decode_all(decoder("gzip"), b"plain text, not gzip", 100)


@needs_zstd
def test_zstd_window_over_8_mib_is_refused() -> None:
    data = zstd_compress(b"abc" * 1000, window_log=24)
    assert decode_all(decoder("zstd"), zstd_compress(b"abc", window_log=23), 10) == b"abc"
    with pytest.raises(ContentCodingError, match="zstd"):
        decode_all(decoder("zstd"), data, 1000)


# -- compression bombs -----------------------------------------------------------------------

GIB = 1 << 30
MIB_OF_ZEROS = bytes(1 << 20)


def stream_gzip_bomb() -> Iterator[bytes]:
    """1 GiB of zeros as gzip (about 1 MB), produced piece by piece."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    for _ in range(GIB // len(MIB_OF_ZEROS)):
        piece = compressor.compress(MIB_OF_ZEROS)
        if piece:
            yield piece
    yield compressor.flush()


def stream_brotli_bomb() -> Iterator[bytes]:
    compressor = brotli.Compressor(quality=1)
    for _ in range(GIB // len(MIB_OF_ZEROS)):
        piece = compressor.process(MIB_OF_ZEROS)
        if piece:
            yield piece
    yield compressor.finish()


def stream_zstd_bomb() -> Iterator[bytes]:
    assert zstandard is not None
    compressor = zstandard.ZstdCompressor(level=1).compressobj()
    for _ in range(GIB // len(MIB_OF_ZEROS)):
        piece = compressor.compress(MIB_OF_ZEROS)
        if piece:
            yield piece
    yield compressor.flush()


BOMBS = {"gzip": stream_gzip_bomb, "br": stream_brotli_bomb}
if ZSTD_AVAILABLE:
    BOMBS["zstd"] = stream_zstd_bomb


@pytest.mark.parametrize("encoding", sorted(BOMBS))
def test_one_gib_bomb_comes_out_in_bounded_pieces(encoding: str) -> None:
    dec = decoder(encoding)
    total = calls = 0
    for compressed in BOMBS[encoding]():
        # Re-split what the compressor produced into network-sized reads.
        for i in range(0, len(compressed), 65536):
            for piece in dec.decompress_iter(compressed[i : i + 65536]):
                assert 0 < len(piece) <= MAX_OUTPUT
                assert piece.count(0) == len(piece)
                total += len(piece)
                calls += 1
    total += len(dec.flush())
    assert total == GIB
    assert calls >= GIB // MAX_OUTPUT
    assert dec.eof


# -- zlib backend and upload compressors -----------------------------------------------------


def counting_zlib() -> tuple[types.ModuleType, list[str]]:
    calls: list[str] = []
    module = types.ModuleType("counting_zlib")
    for name in ("error", "MAX_WBITS", "DEFLATED"):
        setattr(module, name, getattr(zlib, name))

    def decompressobj(*args: object, **kwargs: object) -> object:
        calls.append("decompressobj")
        return zlib.decompressobj(*args, **kwargs)  # type: ignore[arg-type]

    def compressobj(*args: object, **kwargs: object) -> object:
        calls.append("compressobj")
        return zlib.compressobj(*args, **kwargs)  # type: ignore[arg-type]

    module.decompressobj = decompressobj  # type: ignore[attr-defined]
    module.compressobj = compressobj  # type: ignore[attr-defined]
    return module, calls


def test_set_zlib_backend() -> None:
    module, calls = counting_zlib()
    set_zlib_backend(module)
    try:
        assert decode_all(decoder("gzip"), gzip.compress(b"via backend"), 4) == b"via backend"
        assert decode_all(decoder("deflate"), zlib.compress(b"too"), 4) == b"too"
        compressor = compressor_for("gzip")
        assert gzip.decompress(compressor.compress(b"up") + compressor.flush()) == b"up"
    finally:
        set_zlib_backend(zlib)
    assert calls == ["decompressobj", "decompressobj", "compressobj"]
    assert compression._zlib is zlib


def test_set_zlib_backend_rejects_other_modules() -> None:
    with pytest.raises(TypeError, match="lacks zlib's"):
        set_zlib_backend(types.ModuleType("not_zlib"))
    assert compression._zlib is zlib


@pytest.mark.parametrize(
    ("encoding", "decompress"),
    [
        ("deflate", zlib.decompress),
        ("gzip", gzip.decompress),
        ("GZIP", gzip.decompress),
        ("br", brotli.decompress),
    ],
)
def test_compressor_round_trip(encoding: str, decompress: Callable[[bytes], bytes]) -> None:
    compressor = compressor_for(encoding)
    data = b"".join(compressor.compress(BODY[i : i + 10000]) for i in range(0, len(BODY), 10000))
    data += compressor.flush()
    assert len(data) < len(BODY)
    assert decompress(data) == BODY


def test_compressor_for_unknown_encoding() -> None:
    with pytest.raises(ValueError, match="lzma"):
        compressor_for("lzma")
