"""aiohttp's ``http_exceptions`` path: the parser's errors (defined in ``_http/errors.py``)."""

from ._http.errors import (
    BadHttpMessage,
    BadStatusLine,
    ContentLengthError,
    HttpProcessingError,
    InvalidHeader,
    LineTooLong,
    PayloadEncodingError,
    TransferEncodingError,
)

__all__ = (
    "BadHttpMessage",
    "BadStatusLine",
    "ContentLengthError",
    "HttpProcessingError",
    "InvalidHeader",
    "LineTooLong",
    "PayloadEncodingError",
    "TransferEncodingError",
)
