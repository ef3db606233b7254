"""pytest plugin for ``make asan``: proves the sanitizer build is the one under test.

Loaded with ``-p fuzz.asan_check`` and ``PYTHONPATH=build/asan/lib:.``, it imports the package
before any conftest can (so the copy in ``build/asan/lib`` is the one every test gets), prints
where each C twin was loaded from, and stops the run if one came from anywhere else.
"""

from pathlib import Path

import pytest

import aiohttp_clone
from aiohttp_clone import _http_parser
from aiohttp_clone._websocket import mask_c

EXPECTED = Path(__file__).resolve().parent.parent / "build" / "asan" / "lib" / "aiohttp_clone"
MODULES = (aiohttp_clone, _http_parser, mask_c)


def pytest_configure(config: pytest.Config) -> None:
    for module in MODULES:
        where = Path(module.__file__ or "?").resolve()
        if not where.is_relative_to(EXPECTED):
            raise pytest.UsageError(f"{module.__name__} came from {where}, not {EXPECTED}")
        # Printed even under -q, which hides the report header.
        print(f"asan build: {module.__name__} from {where}", flush=True)
