"""Both twins of each compiled piece, for tests that compare them whatever the run's mode.

The package itself picks one twin per piece (``aiohttp_clone._twins``); these tests want both.
A C twin that is not built is None here, and the tests that need it skip, unless the run
requires the C extensions (``AIOHTTP_CLONE_REQUIRE_EXTENSIONS``), where a missing build is an
error at import.
"""

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

