"""The response parser, C twin or pure-Python twin, chosen once at import time.

``USING_C_EXTENSIONS`` says which one is active. Nothing else in the package imports a twin
directly. The rules both twins follow are in ``docs/PARSER.md``.
"""

from typing import TYPE_CHECKING

from ._extensions import NO_EXTENSIONS
from ._http_parser_py import HttpResponseParser as _PyHttpResponseParser
from .http_message import (
    END_OF_MESSAGE,
    HttpVersion,
    HttpVersion10,
    HttpVersion11,
    RawResponseMessage,
)

# Type checkers see the Python twin's class (the C twin's ``.pyi`` mirrors it), so callers can
# annotate with ``HttpResponseParser`` whichever twin runs.
if TYPE_CHECKING:
    from ._http_parser_py import HttpResponseParser
else:
    HttpResponseParser = _PyHttpResponseParser
    if not NO_EXTENSIONS:
        try:
            from ._http_parser import HttpResponseParser
        except ImportError:
            pass

USING_C_EXTENSIONS: bool = HttpResponseParser is not _PyHttpResponseParser

__all__ = (
    "END_OF_MESSAGE",
    "USING_C_EXTENSIONS",
    "HttpResponseParser",
    "HttpVersion",
    "HttpVersion10",
    "HttpVersion11",
    "RawResponseMessage",
)
