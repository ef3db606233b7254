"""The mask twins against a naive reference: every length 0..4096 at every alignment."""

import os
from collections.abc import Callable

import pytest

from aiohttp_clone._websocket import mask as websocket_mask
from tests.twins import MASKS as TWINS

MaskFunc = Callable[[bytes, bytearray], None]

MAX_LEN = 4096
MASK = bytes((0x5A, 0xC3, 0x00, 0xFF))  # a zero byte exercises the Python twin's skip
DATA = os.urandom(MAX_LEN + 8)


def naive_mask(mask: bytes, data: bytes) -> bytes:
    return bytes(byte ^ mask[i % 4] for i, byte in enumerate(data))


@pytest.fixture(params=sorted(TWINS))
def twin(request: pytest.FixtureRequest) -> MaskFunc:
    return TWINS[request.param]


def test_switch_matches_the_build() -> None:
    expected = "c" in TWINS and not os.environ.get("AIOHTTP_CLONE_NO_EXTENSIONS")
    assert websocket_mask.USING_C_EXTENSIONS is expected
    assert websocket_mask.websocket_mask is TWINS["c" if expected else "python"]


@pytest.mark.parametrize("offset", range(8))
def test_every_length_at_every_alignment(twin: MaskFunc, offset: int) -> None:
    """A memoryview ``offset`` bytes into a bigger buffer; the guard bytes must survive."""
    source = DATA[offset : offset + MAX_LEN]
    expected = naive_mask(MASK, source)
    for length in range(MAX_LEN + 1):
        buf = bytearray(DATA)
        twin(MASK, memoryview(buf)[offset : offset + length])  # type: ignore[arg-type]
        assert buf[offset : offset + length] == expected[:length], length
        assert buf[:offset] == DATA[:offset]
        assert buf[offset + length :] == DATA[offset + length :]


def test_every_length_of_a_bytearray(twin: MaskFunc) -> None:
    expected = naive_mask(MASK, DATA[:MAX_LEN])
    for length in range(MAX_LEN + 1):
        buf = bytearray(DATA[:length])
        twin(MASK, buf)
        assert buf == expected[:length], length


def test_masking_twice_restores_the_data(twin: MaskFunc) -> None:
    mask = os.urandom(4)
    buf = bytearray(DATA)
    twin(mask, buf)
    twin(mask, buf)
    assert buf == DATA


@pytest.mark.parametrize("mask", [b"", b"abc", b"abcde"])
def test_mask_must_be_four_bytes(twin: MaskFunc, mask: bytes) -> None:
    with pytest.raises(ValueError, match="4 bytes"):
        twin(mask, bytearray(b"data"))


def test_read_only_buffers_are_rejected(twin: MaskFunc) -> None:
    with pytest.raises(TypeError):
        twin(MASK, memoryview(b"read only data"))  # type: ignore[arg-type]
