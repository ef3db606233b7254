"""Small helpers shared by the client: credentials, MIME types, header values, sentinels.

Lookups that consult the process environment (proxies, ``.netrc``) live in ``helpers_env`` and
are re-exported here, because users import them from ``aiohttp.helpers``.
"""

from __future__ import annotations

import base64
import binascii
import enum
import functools
import ipaddress
import re
import warnings
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import quote

from multidict import MultiDict, MultiDictProxy
from yarl import URL

from . import hdrs
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


# --- HTTP Basic authentication (RFC 7617) ---------------------------------------------------


def _check_credentials(login: Any, password: Any) -> None:
    if login is None:
        raise ValueError("None is not allowed as login value")
    if password is None:
        raise ValueError("None is not allowed as password value")
    if ":" in login:
        # The user-id ends at the first colon, so one inside it cannot be carried (RFC 7617 §2).
        raise ValueError('A ":" is not allowed in login (RFC 7617#section-2)')


def _b64_credentials(login: str, password: str, encoding: str) -> str:
    token = base64.b64encode(f"{login}:{password}".encode(encoding)).decode("ascii")
    return f"Basic {token}"


class _BasicAuthFields(NamedTuple):
    login: str
    password: str
    encoding: str


class BasicAuth(_BasicAuthFields):
    """HTTP Basic credentials, as a tuple so it compares, hashes and unpacks like aiohttp's.

    aiohttp 3.14 deprecates building one by hand in favour of :func:`encode_basic_auth`; the
    same warning is raised here. Instances the library makes itself (from a URL, a header or
    ``.netrc``) do not warn.
    """

    __slots__ = ()

    def __new__(cls, login: str, password: str = "", encoding: str = "latin1") -> BasicAuth:
        warnings.warn(
            "BasicAuth is deprecated and will be removed in aiohttp 4.0; use "
            "aiohttp.encode_basic_auth() with headers={'Authorization': ...} instead",
            DeprecationWarning,
            stacklevel=2,
        )
        return _make_basic_auth(login, password, encoding)

    @classmethod
    def decode(cls, auth_header: str, encoding: str = "latin1") -> BasicAuth:
        """Parse an ``Authorization: Basic ...`` value back into credentials."""
        scheme, _, token = auth_header.strip().partition(" ")
        if not token:
            raise ValueError("Could not parse authorization header.")
        if scheme.lower() != "basic":
            raise ValueError(f"Unknown authorization method {scheme}")
        try:
            decoded = base64.b64decode(token.strip().encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError):
            raise ValueError("Invalid base64 encoding.") from None
        login, sep, password = decoded.decode(encoding).partition(":")
        if not sep:
            raise ValueError("Invalid credentials.")
        return _make_basic_auth(login, password, encoding)

    @classmethod
    def from_url(cls, url: URL, *, encoding: str = "latin1") -> BasicAuth | None:
        """Credentials embedded in ``url`` (``http://user:pass@host``), or None without a user."""
        if not isinstance(url, URL):
            raise TypeError("url should be yarl.URL instance")
        if url.raw_user is None and url.raw_password is None:
            return None
        return _make_basic_auth(url.user or "", url.password or "", encoding)

    def encode(self) -> str:
        """The ``Authorization`` header value: ``Basic <base64(login:password)>``."""
        return _b64_credentials(self.login, self.password, self.encoding)


def _make_basic_auth(login: str, password: str = "", encoding: str = "latin1") -> BasicAuth:
    """Build a validated BasicAuth without the deprecation warning meant for user code."""
    _check_credentials(login, password)
    return tuple.__new__(BasicAuth, (login, password, encoding))


def encode_basic_auth(login: str, password: str = "", encoding: str = "utf-8") -> str:
    """Encode credentials as an ``Authorization`` (or ``Proxy-Authorization``) header value."""
    _check_credentials(login, password)
    return _b64_credentials(login, password, encoding)


def strip_auth_from_url(url: URL) -> tuple[URL, BasicAuth | None]:
    """Split ``http://user:pass@host/`` into the bare URL and its credentials."""
    auth = BasicAuth.from_url(url)
    if auth is None:
        return url, None
    return url.with_user(None), auth


# --- small value types ------------------------------------------------------------------------


@dataclass(frozen=True)
class ETag:
    """An entity tag as sent in ``ETag``/``If-None-Match``; weak tags compare by value too."""

    value: str
    is_weak: bool = False


@dataclass(frozen=True)
class MimeType:
    """A parsed media type: ``application/rss+xml; charset=utf-8`` -> type, subtype, suffix."""

    type: str
    subtype: str
    suffix: str
    parameters: MultiDictProxy[str]


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


# --- media types and header values ---------------------------------------------------------

_PARAM_RE = re.compile(r';\s*([^\s=;]+)\s*(?:=\s*("(?:[^"\\]|\\.)*"|[^;]*))?')
_QUOTED_PAIR_RE = re.compile(r"\\(.)")


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return _QUOTED_PAIR_RE.sub(r"\1", value[1:-1])
    return value


@functools.lru_cache(maxsize=64)
def parse_mimetype(mimetype: str) -> MimeType:
    """Split a Content-Type value; cached because responses repeat the same few values."""
    if not mimetype:
        return MimeType("", "", "", MultiDictProxy(MultiDict()))
    semicolon = mimetype.find(";")
    full_type = (mimetype if semicolon < 0 else mimetype[:semicolon]).strip().lower()
    params: MultiDict[str] = MultiDict()
    if semicolon >= 0:
        for key, value in _PARAM_RE.findall(mimetype[semicolon:]):
            params.add(key.lower(), _unquote(value))
    if full_type == "*":
        full_type = "*/*"
    mtype, _, subtype = full_type.partition("/")
    subtype, _, suffix = subtype.partition("+")
    return MimeType(mtype, subtype, suffix, MultiDictProxy(params))


# RFC 9110 §5.6.2: token = 1*tchar.
_TOKEN_RE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# Printable ASCII (and tab) fits in a quoted-string as is, once '"' and '\' are escaped.
_QDTEXT_RE = re.compile(r"[\t\x20-\x7e]*")
# Control characters but HTAB.
_FORBIDDEN_IN_HEADER = frozenset(map(chr, (*range(0x09), *range(0x0A, 0x20), 0x7F)))


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
    if not disptype or not _TOKEN_RE.fullmatch(disptype):
        raise ValueError(f"bad content disposition type {disptype!r}")
    parts = [disptype]
    for key, value in params.items():
        if not key or not _TOKEN_RE.fullmatch(key):
            raise ValueError(f"bad content disposition parameter {key!r}={value!r}")
        if not _FORBIDDEN_IN_HEADER.isdisjoint(value):
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
