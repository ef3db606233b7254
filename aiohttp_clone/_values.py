"""The value types every layer passes around, below all of them: credentials, timeouts, TLS
pins, connection keys, request descriptions.

aiohttp users find them at aiohttp's paths (``helpers.BasicAuth``, ``client.ClientTimeout``,
``client_reqrep.RequestInfo``, ...), which re-export them from here.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import ssl
import warnings
from types import MappingProxyType
from typing import Any, NamedTuple

from multidict import CIMultiDictProxy
from yarl import URL

from .client_exceptions import ServerFingerprintMismatch

__all__ = (
    "DEFAULT_TIMEOUT",
    "BasicAuth",
    "ClientTimeout",
    "ConnectionKey",
    "ContentDisposition",
    "Fingerprint",
    "ReadOptions",
    "RequestInfo",
    "SSLValue",
    "active_timeout",
    "encode_basic_auth",
    "make_basic_auth",
    "strip_auth_from_url",
)


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

    aiohttp 3.14 deprecates building one by hand in favour of ``encode_basic_auth()``; the
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
        return make_basic_auth(login, password, encoding)

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
        return make_basic_auth(login, password, encoding)

    @classmethod
    def from_url(cls, url: URL, *, encoding: str = "latin1") -> BasicAuth | None:
        """Credentials embedded in ``url`` (``http://user:pass@host``), or None without a user."""
        if not isinstance(url, URL):
            raise TypeError("url should be yarl.URL instance")
        if url.raw_user is None and url.raw_password is None:
            return None
        return make_basic_auth(url.user or "", url.password or "", encoding)

    def encode(self) -> str:
        """The ``Authorization`` header value: ``Basic <base64(login:password)>``."""
        return _b64_credentials(self.login, self.password, self.encoding)


def make_basic_auth(login: str, password: str = "", encoding: str = "latin1") -> BasicAuth:
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


# --- timeouts ---------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ClientTimeout:
    """Timeouts in seconds; ``None`` disables one. ``total`` covers the body read too."""

    total: float | None = None
    connect: float | None = None
    sock_read: float | None = None
    sock_connect: float | None = None
    ceil_threshold: float = 5


DEFAULT_TIMEOUT = ClientTimeout(total=5 * 60, sock_connect=30)


def active_timeout(seconds: float | None) -> float | None:
    """A timeout in seconds, or None when it is off: as aiohttp documents it, None and 0
    disable a check (and aiohttp's total, connect and sock_connect take a negative value as
    off too; here every field does)."""
    return seconds if seconds is not None and seconds > 0 else None


class ReadOptions(NamedTuple):
    """How one response is read: what the connection's protocol needs before its head arrives.

    A session builds its default once; a request that overrides none of these shares it.
    """

    read_until_eof: bool = True
    """A response without Content-Length or chunked framing ends when the connection closes."""
    auto_decompress: bool = True
    read_bufsize: int = 2**18
    sock_read: float | None = None
    max_line_size: int = 8190
    max_field_size: int = 8190
    max_headers: int = 128


# --- TLS --------------------------------------------------------------------------------------


class Fingerprint:
    """Pins the server certificate by its SHA-256 digest (md5 and sha1 are refused)."""

    def __init__(self, fingerprint: bytes) -> None:
        if len(fingerprint) in (16, 20):
            raise ValueError("md5 and sha1 are insecure and not supported. Use sha256.")
        if len(fingerprint) != 32:
            raise ValueError("fingerprint has invalid length")
        self._fingerprint = fingerprint

    @property
    def fingerprint(self) -> bytes:
        return self._fingerprint

    def check(self, certificate: bytes | None, host: str, port: int) -> None:
        got = hashlib.sha256(certificate or b"").digest()
        if got != self._fingerprint:
            raise ServerFingerprintMismatch(self._fingerprint, got, host, port)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Fingerprint) and other._fingerprint == self._fingerprint

    def __hash__(self) -> int:
        return hash(self._fingerprint)

    def __repr__(self) -> str:
        return f"<Fingerprint {self._fingerprint.hex()}>"


SSLValue = bool | Fingerprint | ssl.SSLContext


# --- requests and connections -----------------------------------------------------------------


class ConnectionKey(NamedTuple):
    """What makes two requests able to share a pooled connection."""

    host: str
    port: int | None
    is_ssl: bool
    ssl: SSLValue
    proxy: URL | None
    proxy_auth: BasicAuth | None
    proxy_headers_hash: int | None
    # The name TLS verified the certificate against: a socket verified for one name must
    # never serve a request that asked for another.
    server_hostname: str | None = None


class RequestInfo(NamedTuple):
    """The request as sent, attached to responses and errors."""

    url: URL
    method: str
    headers: CIMultiDictProxy[str]
    real_url: URL


class ContentDisposition(NamedTuple):
    type: str | None
    parameters: MappingProxyType[str, str]
    filename: str | None
