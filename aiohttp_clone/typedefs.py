"""The type aliases aiohttp users annotate with, at aiohttp's import path
(``aiohttp.typedefs``): what the request options accept, so a user's own wrappers can say so.

Only the client's aliases: aiohttp's server ones (``Handler``, ``Middleware``) have no meaning
in a client-only package.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping
from http.cookies import BaseCookie, Morsel
from typing import Any, TypeAlias

from multidict import CIMultiDict, CIMultiDictProxy, istr
from yarl import URL, Query

__all__ = (
    "DEFAULT_JSON_DECODER",
    "DEFAULT_JSON_ENCODER",
    "Byteish",
    "JSONBytesEncoder",
    "JSONDecoder",
    "JSONEncoder",
    "LooseCookies",
    "LooseCookiesIterables",
    "LooseCookiesMappings",
    "LooseHeaders",
    "PathLike",
    "Query",
    "RawHeaders",
    "StrOrURL",
)

DEFAULT_JSON_ENCODER = json.dumps
DEFAULT_JSON_DECODER = json.loads

Byteish: TypeAlias = bytes | bytearray | memoryview
JSONEncoder: TypeAlias = Callable[[Any], str]
JSONBytesEncoder: TypeAlias = Callable[[Any], bytes]
JSONDecoder: TypeAlias = Callable[[str], Any]
StrOrURL: TypeAlias = str | URL
RawHeaders: TypeAlias = tuple[tuple[bytes, bytes], ...]
PathLike: TypeAlias = str | os.PathLike[str]

LooseHeaders: TypeAlias = (
    Mapping[str, str]
    | Mapping[istr, str]
    | CIMultiDict[str]
    | CIMultiDictProxy[str]
    | Iterable[tuple[str | istr, str]]
)
"""What ``headers=`` and ``proxy_headers=`` take: any mapping or sequence of pairs."""

_CookieValue: TypeAlias = str | BaseCookie[str] | Morsel[Any]
LooseCookiesMappings: TypeAlias = Mapping[str, _CookieValue]
LooseCookiesIterables: TypeAlias = Iterable[tuple[str, _CookieValue]]
LooseCookies: TypeAlias = LooseCookiesMappings | LooseCookiesIterables | BaseCookie[str]
"""What ``cookies=`` takes (the session's and a request's)."""
