"""The mask twins against a naive reference: every length 0..4096 at every alignment.

The C twin runs twice: with its AVX2 loop where the CPU has one ("c"), and with the portable
loop every build has ("c-portable"), so both are tested on an AVX2 machine.
"""

import array
import mmap
import os
import platform
from collections.abc import Callable, Iterator

import pytest

from aiohttp_clone._websocket import mask as websocket_mask
from tests.twins import MASKS as TWINS

MaskFunc = Callable[[bytes, bytearray], None]

MAX_LEN = 4096
MASK = bytes((0x5A, 0xC3, 0x00, 0xFF))
DATA = os.urandom(MAX_LEN + 8)

if "c" in TWINS:
    from aiohttp_clone._websocket.mask_c import _use_avx2


def naive_mask(mask: bytes, data: bytes) -> bytes:
    return bytes(byte ^ mask[i % 4] for i, byte in enumerate(data))


def bigint_mask(mask: bytes, data: bytes) -> bytes:
    """A second reference, fast enough for megabytes: one big-integer XOR."""
    stream = (mask * (len(data) // 4 + 1))[: len(data)]
    xored = int.from_bytes(data, "little") ^ int.from_bytes(stream, "little")
    return xored.to_bytes(len(data), "little")


@pytest.fixture(params=sorted(TWINS) + (["c-portable"] if "c" in TWINS else []))
def twin(request: pytest.FixtureRequest) -> Iterator[MaskFunc]:
    if request.param != "c-portable":
        yield TWINS[request.param]
        return
    _use_avx2(False)
    try:
        yield TWINS["c"]
    finally:
        _use_avx2(True)


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


def test_non_contiguous_views_are_rejected(twin: MaskFunc) -> None:
    buf = bytearray(DATA[:64])
    with pytest.raises(TypeError):
        twin(MASK, memoryview(buf)[::2])  # type: ignore[arg-type]
    assert buf == DATA[:64]


@pytest.mark.parametrize("offset", [0, 1, 6, 15])
@pytest.mark.parametrize("length", [(1 << 20) + 13, (3 << 20) + 130])
def test_megabytes_at_odd_offsets(twin: MaskFunc, offset: int, length: int) -> None:
    data = os.urandom(length + 32)
    buf = bytearray(data)
    mask = os.urandom(4)
    twin(mask, memoryview(buf)[offset : offset + length])  # type: ignore[arg-type]
    assert buf[offset : offset + length] == bigint_mask(mask, data[offset : offset + length])
    assert buf[:offset] == data[:offset]
    assert buf[offset + length :] == data[offset + length :]


@pytest.mark.parametrize("kind", ["array-of-bytes", "array-of-ints", "mmap", "2d-view"])
def test_other_writable_buffers(twin: MaskFunc, kind: str) -> None:
    """Any writable C-contiguous buffer is masked as the bytes it holds."""
    data = os.urandom(1000)
    expected = naive_mask(MASK, data)
    if kind == "array-of-bytes":
        target: object = array.array("B", data)
    elif kind == "array-of-ints":
        target = array.array("I", data)
    elif kind == "mmap":
        target = mmap.mmap(-1, len(data))
        target[:] = data
    else:
        target = memoryview(bytearray(data)).cast("B", (10, 100))
    twin(MASK, target)  # type: ignore[arg-type]
    assert bytes(target) == expected  # type: ignore[call-overload]


@pytest.mark.skipif("c" not in TWINS, reason="the C mask twin is not built")
def test_the_avx2_loop_is_on_exactly_where_the_cpu_has_avx2() -> None:
    """Run-time dispatch: the portable loop is the fallback, never a CPU without AVX2's loop."""
    assert _use_avx2(False) is False
    if platform.machine() not in ("x86_64", "AMD64"):
        assert _use_avx2(True) is False  # the AVX2 loop is compiled for x86-64 only
        return
    if not os.path.exists("/proc/cpuinfo"):
        pytest.skip("no /proc/cpuinfo to read the CPU's flags from")
    with open("/proc/cpuinfo") as cpuinfo:
        flags = next(line for line in cpuinfo if line.startswith("flags")).split()
    assert _use_avx2(True) is ("avx2" in flags)
