"""aiohttp_clone: a Cython-accelerated asyncio HTTP client with aiohttp's client API."""

from .client_exceptions import *  # noqa: F403
from .client_exceptions import __all__ as _exceptions_all
from .http_message import HttpVersion, HttpVersion10, HttpVersion11
from .http_parser import USING_C_EXTENSIONS

__version__ = "0.1.0"

__all__ = (
    *_exceptions_all,
    "USING_C_EXTENSIONS",
    "HttpVersion",
    "HttpVersion10",
    "HttpVersion11",
)
