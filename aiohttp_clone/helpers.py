"""aiohttp's ``helpers`` path: small helpers shared by the client, and re-exported names.

Credentials live with the other value types (``_values``), media types with the codec
(``_http/fields.py``) and environment lookups (proxies, ``.netrc``) in ``helpers_env``; they are
re-exported here because users import them from ``aiohttp.helpers``.
"""

from __future__ import annotations

import enum
import functools
import ipaddress
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from . import hdrs
from ._http.fields import MimeType, parse_mimetype
from ._http.rules import CTL_EXCEPT_HTAB, TOKEN_RE
from ._values import (
    BasicAuth,
    encode_basic_auth,
    strip_auth_from_url,
)
from .helpers_env import (
    ProxyInfo,
    basicauth_from_netrc,
    get_env_proxy_for_url,
    netrc_from_env,
    proxies_from_env,
)

__all__ = (
    "BasicAuth",
    "ChainMapProxy",
    "ETag",
    "MimeType",
    "ProxyInfo",
    "basicauth_from_netrc",
    "content_disposition_header",
    "encode_basic_auth",
    "get_env_proxy_for_url",
    "guess_filename",
    "is_ip_address",
    "must_be_empty_body",
    "netrc_from_env",
    "parse_mimetype",
    "proxies_from_env",
    "sentinel",
    "should_remove_content_length",
    "strip_auth_from_url",
)


class _SENTINEL(enum.Enum):
    """A one-member enum: unlike ``object()`` it pickles, and ``Literal`` can name it in hints."""

    sentinel = enum.auto()


sentinel = _SENTINEL.sentinel


# --- small value types ------------------------------------------------------------------------


@dataclass(frozen=True)
class ETag:
    """An entity tag as sent in ``ETag``/``If-None-Match``; weak tags compare by value too."""

    value: str
    is_weak: bool = False


class ChainMapProxy(Mapping[str, Any]):
    """A read-only view over several mappings, the first that has a key winning.

    Final by design: it is a view, and subclasses adding state would break that promise.
    """

    __slots__ = ("_maps",)

    def __init_subclass__(cls) -> None:
        raise TypeError(f"Inheritance class {cls.__name__} from ChainMapProxy is forbidden")

    def __init__(self, maps: Iterable[Mapping[str, Any]]) -> None:
        self._maps = tuple(maps)

    def __getitem__(self, key: str) -> Any:
        for mapping in self._maps:
            if key in mapping:
                return mapping[key]
        raise KeyError(key)

    def __len__(self) -> int:
        return len(set().union(*self._maps))

    def __iter__(self) -> Iterator[str]:
        keys: dict[str, None] = {}
        for mapping in reversed(self._maps):
            keys.update(dict.fromkeys(mapping))
        return iter(keys)

    def __contains__(self, key: object) -> bool:
        return any(key in mapping for mapping in self._maps)

    def __bool__(self) -> bool:
        return any(self._maps)

    def __repr__(self) -> str:
        return f"ChainMapProxy({', '.join(map(repr, self._maps))})"


# Printable ASCII (and tab) fits in a quoted-string as is, once '"' and '\' are escaped.
_QDTEXT_RE = re.compile(r"[\t\x20-\x7e]*")


def _quoted_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _disposition_param(key: str, value: str, quote_fields: bool, charset: str) -> str:
    if not quote_fields or _QDTEXT_RE.fullmatch(value):
        return f"{key}={_quoted_string(value)}"
    # Non-ASCII: the RFC 8187 (ex-5987) form. For a filename also send a percent-encoded plain
    # fallback first, as RFC 6266 §4.3 advises, for receivers that only read ``filename``.
    extended = f"{key}*={charset}''{quote(value, safe='', encoding=charset)}"
    if key == "filename":
        return f'{key}="{quote(value, safe="", encoding=charset)}"; {extended}'
    return extended


def content_disposition_header(
    disptype: str, quote_fields: bool = True, _charset: str = "utf-8", **params: str
) -> str:
    """Build a Content-Disposition value, refusing anything that could split the header.

    ``quote_fields=False`` sends non-ASCII values raw (what browsers do for form-data);
    the default encodes them per RFC 8187 so the header stays ASCII.
    """
    if not disptype or not TOKEN_RE.fullmatch(disptype):
        raise ValueError(f"bad content disposition type {disptype!r}")
    parts = [disptype]
    for key, value in params.items():
        if not key or not TOKEN_RE.fullmatch(key):
            raise ValueError(f"bad content disposition parameter {key!r}={value!r}")
        if not CTL_EXCEPT_HTAB.isdisjoint(value):
            raise ValueError(
                "CR, LF and NUL (nor other control characters) are not allowed in content "
                f"disposition {key!r}"
            )
        parts.append(_disposition_param(key, value, quote_fields, _charset))
    return "; ".join(parts)


@functools.lru_cache(maxsize=256)
def is_ip_address(host: str | None) -> bool:
    """True for IPv4/IPv6 literals (brackets and zone ids allowed): they skip DNS and SNI."""
    if not host:
        return False
    if host[0] == "[" and host[-1] == "]":
        host = host[1:-1]
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def guess_filename(obj: Any, default: str | None = None) -> str | None:
    """The base name of a file object's path; pseudo names like ``<stdin>`` don't count."""
    name = getattr(obj, "name", None)
    if isinstance(name, str) and name and not (name[0] == "<" and name[-1] == ">"):
        return Path(name).name
    return default


# --- message framing (RFC 9110 §6.4.1, §8.6) ------------------------------------------------


def must_be_empty_body(method: str, code: int) -> bool:
    """Whether a response can carry no content, whatever its headers claim."""
    return (
        method == hdrs.METH_HEAD
        or 100 <= code < 200
        or code in (204, 304)
        or (method == hdrs.METH_CONNECT and 200 <= code < 300)
    )


def should_remove_content_length(method: str, code: int) -> bool:
    """Whether a Content-Length header on this response must be ignored.

    304 and HEAD responses keep it: there it describes the body the resource would have.
    """
    return 100 <= code < 200 or code == 204 or (method == hdrs.METH_CONNECT and 200 <= code < 300)
