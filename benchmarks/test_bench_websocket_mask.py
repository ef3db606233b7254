"""Mask throughput: our C and Python twins, aiohttp's two masks, websockets' C mask and a plain
copy of the same buffer (the memory-bandwidth limit). Not part of ``make test``.

``ours-c`` runs the AVX2 loop where the CPU has AVX2; ``ours-c-portable`` is the same C twin
with that loop switched off, i.e. what a CPU without AVX2 runs.

    .venv/bin/python -m pytest benchmarks/test_bench_websocket_mask.py --benchmark-only \
        --benchmark-columns=median,ops --benchmark-sort=name

``extra_info["GB/s"]`` in the JSON output (``--benchmark-json``) is the median throughput.
"""

import os
from collections.abc import Callable, Iterator

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from aiohttp_clone._websocket import mask_py as _websocket_mask_py

SIZES = {"125B": 125, "4KiB": 4096, "64KiB": 65536, "1MiB": 1 << 20, "16MiB": 16 << 20}
MASK = os.urandom(4)


def _ours_c() -> Callable[[bytearray], object]:
    from aiohttp_clone._websocket.mask_c import websocket_mask

    return lambda buf: websocket_mask(MASK, buf)


def _ours_c_portable() -> Callable[[bytearray], object]:
    from aiohttp_clone._websocket.mask_c import _use_avx2, websocket_mask

    _use_avx2(False)  # switched back on by _restore_the_avx2_loop
    return lambda buf: websocket_mask(MASK, buf)


def _ours_python() -> Callable[[bytearray], object]:
    return lambda buf: _websocket_mask_py.websocket_mask(MASK, buf)


def _aiohttp_c() -> Callable[[bytearray], object]:
    from aiohttp._websocket.mask import _websocket_mask_cython

    return lambda buf: _websocket_mask_cython(MASK, buf)


def _aiohttp_python() -> Callable[[bytearray], object]:
    from aiohttp._websocket.helpers import _websocket_mask_python

    return lambda buf: _websocket_mask_python(MASK, buf)


def _websockets_c() -> Callable[[bytearray], object]:
    from websockets.speedups import apply_mask

    return lambda buf: apply_mask(buf, MASK)


def _memory_copy() -> Callable[[bytearray], object]:
    return lambda buf: bytes(memoryview(buf))


IMPLEMENTATIONS = {
    "ours-c": _ours_c,
    "ours-c-portable": _ours_c_portable,
    "ours-python": _ours_python,
    "aiohttp-c": _aiohttp_c,
    "aiohttp-python": _aiohttp_python,
    "websockets-c": _websockets_c,
    "memory-copy": _memory_copy,
}


@pytest.fixture(autouse=True)
def _restore_the_avx2_loop() -> Iterator[None]:
    yield
    try:
        from aiohttp_clone._websocket.mask_c import _use_avx2
    except ImportError:
        return
    _use_avx2(True)


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
@pytest.mark.parametrize("size", SIZES)
def test_mask_throughput(benchmark: BenchmarkFixture, size: str, impl: str) -> None:
    try:
        func = IMPLEMENTATIONS[impl]()
    except ImportError as exc:
        pytest.skip(f"{impl} not available: {exc}")
    nbytes = SIZES[size]
    buf = bytearray(os.urandom(nbytes))
    # Enough calls per round for the timer to resolve small sizes, few rounds for big ones:
    # the machine is shared.
    iterations = max(1, (1 << 18) // nbytes)
    rounds = 30 if nbytes <= (1 << 20) else 8
    benchmark.group = f"mask {size}"
    benchmark.pedantic(func, args=(buf,), iterations=iterations, rounds=rounds, warmup_rounds=1)
    benchmark.extra_info["GB/s"] = round(nbytes / benchmark.stats.stats.median / 1e9, 2)
