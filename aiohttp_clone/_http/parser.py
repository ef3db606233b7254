"""The response parser, C twin or pure-Python twin, chosen once at import time by ``_twins``.

Nothing else in the package imports a twin directly. The rules both twins follow are in
``docs/PARSER.md``.
"""

from typing import TYPE_CHECKING

from .._twins import ACTIVE, load

# Type checkers see the Python twin's class (the C twin's ``.pyi`` mirrors it), so callers can
# annotate with ``HttpResponseParser`` whichever twin runs.
if TYPE_CHECKING:
    from .parser_py import HttpResponseParser
else:
    HttpResponseParser = load(
        "http_parser", "aiohttp_clone._http_parser", "aiohttp_clone._http.parser_py"
    ).HttpResponseParser

USING_C_EXTENSIONS: bool = ACTIVE["http_parser"]
"""Whether the response parser is the C twin."""

__all__ = ("USING_C_EXTENSIONS", "HttpResponseParser")
