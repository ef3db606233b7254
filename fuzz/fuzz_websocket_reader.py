"""Fuzz target: the websocket frame reader, and the mask's C twin against its Python twin.

Run through ``make fuzz`` (see fuzz/README.md), or by hand:
``python -m fuzz.fuzz_websocket_reader [libFuzzer flags] [corpus dirs]``.

Input layout: byte 0, configuration (bits 0-1 ``max_msg_size`` from ``MAX_SIZES``, bit 2
``compress``, bit 3 ``decode_text=False``); byte 1, the cuts (as in fuzz_http_parser: 0 = one
call, 255 = byte by byte, else a PRNG seed); the rest, the bytes the server sent.

The reader may only raise ``WebSocketError`` (anything else is a crash); fed whole or cut, it
must produce the same messages, or the same close code and message. (One exception: in a
compressed message, which error shows first may depend on the cuts, since a chunk is inflated
before its text is checked: a bad byte in the inflated text of one chunk can be seen before
broken deflate data later in the same frame, or not. Both must still be errors.) The mask twins must
produce identical bytes for a key and buffer taken from the input, at every alignment.
"""

from __future__ import annotations

import itertools
import sys
from typing import Any

import atheris

from aiohttp_clone._websocket import mask_py as _websocket_mask_py
from aiohttp_clone._websocket import reader as websocket_reader
from aiohttp_clone._websocket.models import WebSocketError
from fuzz._native import instrument_module, load_twin
from fuzz.fuzz_http_parser import Divergence, cut_points

MAX_SIZES = (4 * 1024 * 1024, 64, 0, 1000)


def run(config: dict[str, Any], data: bytes, cuts: list[int]) -> tuple[Any, ...]:
    reader = websocket_reader.WebSocketReader(**config)
    messages: list[Any] = []
    bounds = [0, *cuts, len(data)]
    try:
        for start, stop in itertools.pairwise(bounds):
            messages += reader.feed_data(data[start:stop])
    except WebSocketError as exc:
        # Messages completed earlier in the failing call are not returned: only the error counts.
        return ("error", exc.code, str(exc))
    return (
        "ok",
        [
            (
                m.type,
                bytes(m.data) if isinstance(m.data, bytes | bytearray | memoryview) else m.data,
                m.extra,
            )
            for m in messages
        ],
    )


def check_mask(c_mask: Any, data: bytes) -> None:
    key = (data[:4] + b"\x00\x00\x00\x00")[:4]
    for offset in range(4):
        body = data[offset:]
        expected = bytearray(body)
        _websocket_mask_py.websocket_mask(key, expected)
        got = bytearray(body)
        c_mask(key, got)
        if got != expected:
            raise Divergence(
                f"mask twins differ: key={key!r} data={body!r}\n"
                f"C:  {bytes(got)!r}\nPy: {bytes(expected)!r}"
            )
        view_buf = bytearray(b"\xaa" * offset + body)
        c_mask(key, memoryview(view_buf)[offset:])
        if view_buf[offset:] != expected or view_buf[:offset] != b"\xaa" * offset:
            raise Divergence(f"C mask on a memoryview at offset {offset} differs: {body!r}")


def check(c_mask: Any, data: bytes) -> None:
    config_byte = data[0] if data else 0
    payload = data[2:]
    config = {
        "max_msg_size": MAX_SIZES[config_byte & 3],
        "compress": bool(config_byte & 4),
        "decode_text": not config_byte & 8,
    }
    whole = run(config, payload, [])
    cuts = cut_points(data[1] if len(data) > 1 else 0, len(payload))
    if cuts:
        cut = run(config, payload, cuts)
        if cut != whole and not (config["compress"] and cut[0] == whole[0] == "error"):
            raise Divergence(
                f"the outcome depends on the cuts {cuts}\nconfig={config} "
                f"data={payload!r}\ncut:   {cut!r}\nwhole: {whole!r}"
            )
    check_mask(c_mask, payload)


def main(argv: list[str]) -> None:
    module, where = load_twin("aiohttp_clone._websocket.mask_c")
    print(where, file=sys.stderr, flush=True)
    instrument_module(websocket_reader)
    atheris.Setup(argv, lambda data: check(module.websocket_mask, data))
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
