"""The response parser, C twin or pure-Python twin, chosen once at import time.

``USING_C_EXTENSIONS`` says which one is active. Nothing else in the package imports a twin
directly. The rules both twins follow are in ``docs/PARSER.md``.
"""

from ._extensions import NO_EXTENSIONS
from ._http_parser_py import HttpResponseParser as _PyHttpResponseParser
from .http_message import (
    END_OF_MESSAGE,
    HttpVersion,
    HttpVersion10,
    HttpVersion11,
    RawResponseMessage,
)

HttpResponseParser: type[_PyHttpResponseParser] = _PyHttpResponseParser
if not NO_EXTENSIONS:
    try:
        from ._http_parser import HttpResponseParser  # type: ignore[no-redef]
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
