"""Both twins of each compiled piece, for tests that compare them whatever the run's mode.

The package itself picks one twin per piece (``aiohttp_clone._twins``); these tests want both.
A C twin that is not built is None here, and the tests that need it skip, unless the run
requires the C extensions (``AIOHTTP_CLONE_REQUIRE_EXTENSIONS``), where a missing build is an
error at import.
"""

import ctypes
import functools
import importlib
import os
from collections.abc import Callable
from typing import Any

import pytest

from aiohttp_clone._http.parser_py import HttpResponseParser as PyParser
from aiohttp_clone._websocket.mask_py import websocket_mask as py_mask

C_REQUIRED = bool(os.environ.get("AIOHTTP_CLONE_REQUIRE_EXTENSIONS"))


def _compiled(module: str, name: str) -> Any:
    try:
        return getattr(importlib.import_module(module), name)
    except ImportError:
        if C_REQUIRED:
            raise
        return None


CParser: type[PyParser] | None = _compiled("aiohttp_clone._http_parser", "HttpResponseParser")
c_mask: Callable[[bytes, bytearray], None] | None = _compiled(
    "aiohttp_clone._websocket.mask_c", "websocket_mask"
)

needs_c_parser = pytest.mark.skipif(
    CParser is None, reason="the C parser twin (aiohttp_clone._http_parser) is not built"
)

PARSERS: dict[str, type[PyParser]] = {"py": PyParser} | ({"c": CParser} if CParser else {})
"""Every parser twin available, by short name (for ``pytest.mark.parametrize`` ids)."""
MASKS: dict[str, Callable[[bytes, bytearray], None]] = {"python": py_mask} | (
    {"c": c_mask} if c_mask else {}
)
"""Every mask twin available, by name."""


# The Python twin holds the start of one unterminated line in ``_buf`` and nothing else
# (docs/PARSER.md); the C twin keeps the same count in a C field no Python code can read. The
# field is found by watching the object's memory while both twins are fed the same pieces: the
# one machine word that always equals ``len(_buf)`` of the Python twin.
_WORD = ctypes.sizeof(ctypes.c_ssize_t)
_CALIBRATION = [b"HTTP/1.1 2", b"00 O", b"K", b"\r\n", b"X-A: b"]  # held: 10, 14, 15, 0, 6


def _words(obj: object) -> list[int]:
    """The object's fields as machine words, after the reference count and the type."""
    size = type(obj).__basicsize__
    return [
        ctypes.c_ssize_t.from_address(id(obj) + offset).value
        for offset in range(2 * _WORD, size - _WORD + 1, _WORD)
    ]


@functools.cache
def _c_held_offset() -> int:
    assert CParser is not None
    py, c = PyParser(), CParser()
    held: list[int] = []
    snapshots: list[list[int]] = []
    for piece in _CALIBRATION:
        py.feed_data(piece)
        c.feed_data(piece)
        held.append(len(py._buf))
        snapshots.append(_words(c))
    matches = [i for i in range(len(snapshots[0])) if [s[i] for s in snapshots] == held]
    assert len(matches) == 1, f"no single C field counts the held line ({matches}): layout?"
    return (2 + matches[0]) * _WORD


def held_line_bytes(parser: object) -> int:
    """Bytes of an unterminated line ``parser`` (either twin) holds between feeds."""
    if isinstance(parser, PyParser):
        return len(parser._buf)
    assert CParser is not None and isinstance(parser, CParser)
    return int(ctypes.c_ssize_t.from_address(id(parser) + _c_held_offset()).value)
