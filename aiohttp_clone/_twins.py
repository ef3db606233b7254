"""The one place that chooses, at import time, between each compiled twin and its Python twin.

The pure-Python twins are chosen when ``AIOHTTP_CLONE_NO_EXTENSIONS`` is set to a non-empty
value or the interpreter is not CPython; otherwise ``load`` imports the C twin and falls back to
Python on ``ImportError``. ``ACTIVE`` records the choice per twin, so the package (and a test
run that requires C, or forbids it) can say exactly which is in use.
"""

import importlib
import os
import sys
from types import ModuleType

NO_EXTENSIONS: bool = bool(os.environ.get("AIOHTTP_CLONE_NO_EXTENSIONS")) or (
    sys.implementation.name != "cpython"
)

ACTIVE: dict[str, bool] = {}
"""Twin name -> True when its C build is the one in use."""


def load(name: str, c_module: str, python_module: str) -> ModuleType:
    """The C twin ``c_module`` unless extensions are off or it cannot be imported; else Python."""
    if not NO_EXTENSIONS:
        try:
            module = importlib.import_module(c_module)
        except ImportError:
            pass
        else:
            ACTIVE[name] = True
            return module
    ACTIVE[name] = False
    return importlib.import_module(python_module)
