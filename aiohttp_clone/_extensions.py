"""The one place that decides, at import time, whether the C twins may be used.

The pure-Python twins are chosen when ``AIOHTTP_CLONE_NO_EXTENSIONS`` is set to a non-empty
value or the interpreter is not CPython; otherwise each switch module tries its C twin and
falls back to Python on ``ImportError``.
"""

import os
import sys

NO_EXTENSIONS: bool = bool(os.environ.get("AIOHTTP_CLONE_NO_EXTENSIONS")) or (
    sys.implementation.name != "cpython"
)
