"""aiohttp's ``http_parser`` path: the response parser and what it returns (``_http/``)."""

from ._http.messages import (
    END_OF_MESSAGE,
    HttpVersion,
    HttpVersion10,
    HttpVersion11,
    RawResponseMessage,
)
from ._http.parser import USING_C_EXTENSIONS, HttpResponseParser
from ._twins import NO_EXTENSIONS

__all__ = (
    "END_OF_MESSAGE",
    "NO_EXTENSIONS",
    "USING_C_EXTENSIONS",
    "HttpResponseParser",
    "HttpVersion",
    "HttpVersion10",
    "HttpVersion11",
    "RawResponseMessage",
)
