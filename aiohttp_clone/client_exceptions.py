"""The client's exception hierarchy, with aiohttp's names, bases and attributes."""

from __future__ import annotations

import asyncio
import re
import ssl
import warnings
from typing import TYPE_CHECKING, Any

from multidict import CIMultiDict, CIMultiDictProxy, MultiMapping

if TYPE_CHECKING:
    from ._values import ConnectionKey, Fingerprint, RequestInfo
    from .client_reqrep import ClientResponse

# Exported in the order of the hierarchy drawn in shared/API.md: bases before their children.
__all__ = (  # noqa: RUF022 - hierarchy order
    "ClientError",
    # the connection
    "ClientConnectionError", "ClientConnectionResetError", "ClientOSError",
    "ClientConnectorError", "ClientConnectorDNSError", "ClientProxyConnectionError",
    "ClientSSLError", "ClientConnectorCertificateError", "ClientConnectorSSLError",
    "ServerConnectionError", "ServerDisconnectedError", "ServerFingerprintMismatch",
    "ServerTimeoutError", "ConnectionTimeoutError", "SocketTimeoutError",
    # the response
    "ClientPayloadError", "ClientResponseError", "ClientHttpProxyError", "ContentTypeError",
    "TooManyRedirects", "WSServerHandshakeError",
    # the URL and redirects
    "InvalidURL", "InvalidUrlClientError", "InvalidUrlRedirectClientError",
    "NonHttpUrlClientError", "NonHttpUrlRedirectClientError", "RedirectClientError",
    # elsewhere
    "UploadAbortedError", "WSMessageTypeError",
)  # fmt: skip


_CODE_DEPRECATED = "code property is deprecated, use status instead"


class ClientError(Exception):
    """Base class for every client error."""


class ClientResponseError(ClientError):
    """The response was received but is unacceptable (status, content type, malformed head)."""

    def __init__(
        self,
        request_info: RequestInfo | None,
        history: tuple[ClientResponse, ...],
        *,
        code: int | None = None,
        status: int | None = None,
        message: str = "",
        headers: MultiMapping[str] | None = None,
    ) -> None:
        if code is not None:  # aiohttp 3.x still takes the old name, with a warning
            if status is not None:
                raise ValueError(
                    "Both code and status arguments are provided; "
                    "code is deprecated, use status instead"
                )
            warnings.warn(
                "code argument is deprecated, use status instead", DeprecationWarning, stacklevel=2
            )
            status = code
        self.request_info = request_info
        self.status = 0 if status is None else status
        self.message = message
        self.headers = headers
        self.history = history
        super().__init__(request_info, history)  # both, so the error pickles and unpickles

    def __str__(self) -> str:
        url = self.request_info.real_url if self.request_info is not None else None
        return f"{self.status}, message={self.message!r}, url={str(url)!r}"

    def __repr__(self) -> str:
        args = f"{_masked(self.request_info)!r}, {self.history!r}"
        if self.status != 0:
            args += f", status={self.status!r}"
        if self.message != "":
            args += f", message={self.message!r}"
        if self.headers is not None:
            args += f", headers={self.headers!r}"
        return f"{type(self).__name__}({args})"

    @property
    def code(self) -> int:
        """Deprecated alias of ``status`` (read and write warn, as in aiohttp 3.x)."""
        warnings.warn(_CODE_DEPRECATED, DeprecationWarning, stacklevel=2)
        return self.status

    @code.setter
    def code(self, value: int) -> None:
        warnings.warn(_CODE_DEPRECATED, DeprecationWarning, stacklevel=2)
        self.status = value


class ContentTypeError(ClientResponseError):
    """``resp.json()`` found a content type it was not told to accept."""


class WSServerHandshakeError(ClientResponseError):
    """The websocket handshake failed; ``status`` is the server's answer."""


class ClientHttpProxyError(ClientResponseError):
    """The proxy answered a CONNECT with an error status."""


class TooManyRedirects(ClientResponseError):
    """More redirects than ``max_redirects``; ``history`` holds them."""


class ClientConnectionError(ClientError):
    """Base class for errors on the connection itself."""


class ClientConnectionResetError(ClientConnectionError, ConnectionResetError):
    """The connection was reset while writing."""


class ClientOSError(ClientConnectionError, OSError):
    """An OSError on the socket."""


class _KeyedError:
    """Host, port and TLS setting of the connection an error is about, read from its key."""

    _conn_key: ConnectionKey

    @property
    def host(self) -> str:
        return self._conn_key.host

    @property
    def port(self) -> int | None:
        return self._conn_key.port


class ClientConnectorError(_KeyedError, ClientOSError):
    """Connecting to ``host:port`` failed; carries the underlying OSError."""

    def __init__(self, connection_key: ConnectionKey, os_error: OSError) -> None:
        self._conn_key = connection_key
        self._os_error = os_error
        # errno/strerror come from the OSError; args keep what pickling needs to rebuild us.
        super().__init__(os_error.errno, os_error.strerror)
        self.args = (connection_key, os_error)

    @property
    def os_error(self) -> OSError:
        return self._os_error

    @property
    def ssl(self) -> ssl.SSLContext | bool | Fingerprint:
        return self._conn_key.ssl

    def __str__(self) -> str:
        tls = "default" if self.ssl is True else self.ssl
        reason = self.strerror or self._os_error
        return f"Cannot connect to host {self.host}:{self.port} ssl:{tls} [{reason}]"

    __reduce__ = BaseException.__reduce__


class ClientConnectorDNSError(ClientConnectorError):
    """The host name could not be resolved."""


class ClientProxyConnectionError(ClientConnectorError):
    """Connecting to the proxy failed."""


class UnixClientConnectorError(ClientConnectorError):
    """Connecting to a unix socket path failed."""

    def __init__(self, path: str, connection_key: ConnectionKey, os_error: OSError) -> None:
        self._path = path
        super().__init__(connection_key, os_error)

    @property
    def path(self) -> str:
        return self._path

    def __str__(self) -> str:
        return f"Cannot connect to unix socket {self.path} [{self.strerror or self._os_error}]"


class ServerConnectionError(ClientConnectionError):
    """The server misbehaved on an established connection."""


class ServerDisconnectedError(ServerConnectionError):
    """The server closed the connection before the response was complete."""

    def __init__(self, message: str | None = None) -> None:
        self.message = "Server disconnected" if message is None else message
        super().__init__(self.message)


class ServerTimeoutError(ServerConnectionError, asyncio.TimeoutError):
    """A timeout expired while talking to the server."""


class ConnectionTimeoutError(ServerTimeoutError):
    """Connecting (or waiting for a pool slot) took longer than the timeout."""


class SocketTimeoutError(ServerTimeoutError):
    """No data arrived for ``sock_read`` seconds."""


class ServerFingerprintMismatch(ServerConnectionError):
    """The server certificate did not match the pinned fingerprint."""

    def __init__(self, expected: bytes, got: bytes, host: str, port: int) -> None:
        super().__init__(expected, got, host, port)
        self.expected, self.got, self.host, self.port = self.args

    def __repr__(self) -> str:
        fields = " ".join(
            f"{name}={getattr(self, name)!r}" for name in ("expected", "got", "host", "port")
        )
        return f"<{type(self).__name__} {fields}>"


class ClientPayloadError(ClientError):
    """The response body was truncated or malformed."""


_CREDENTIAL_HEADERS = ("Authorization", "Proxy-Authorization", "Cookie")


def _masked(request_info: Any) -> Any:
    """``request_info`` with credential header values masked, for reprs (which end up in logs)."""
    headers = getattr(request_info, "headers", None)
    if headers is None or not any(name in headers for name in _CREDENTIAL_HEADERS):
        return request_info
    masked: CIMultiDict[str] = CIMultiDict()
    for name, value in headers.items():
        masked.add(name, "********" if name in _CREDENTIAL_HEADERS else value)
    return request_info._replace(headers=CIMultiDictProxy(masked))


# The userinfo of an absolute URL: ``scheme://user:password@``.
_USERINFO_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*://[^/?#@]*?:)[^/?#]*@")


def _without_password(url: Any) -> str:
    """``url`` as text with any password masked: messages and logs must not carry it."""
    return _USERINFO_RE.sub(r"\1********@", str(url), count=1)


class InvalidURL(ClientError, ValueError):
    """The URL cannot be requested; ``url`` is the offending value."""

    def __init__(self, url: Any, description: str | None = None) -> None:
        self._url = url
        self._description = description
        if description:
            super().__init__(url, description)
        else:
            super().__init__(url)

    @property
    def url(self) -> Any:
        return self._url

    @property
    def description(self) -> str | None:
        return self._description

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self}>"

    def __str__(self) -> str:
        url = _without_password(self._url)
        if self._description:
            return f"{url} - {self._description}"
        return url


class InvalidUrlClientError(InvalidURL):
    """The requested URL is malformed."""


class RedirectClientError(ClientError):
    """A redirect could not be followed."""


class NonHttpUrlClientError(ClientError):
    """The requested URL has a scheme other than http(s)."""


class InvalidUrlRedirectClientError(InvalidUrlClientError, RedirectClientError):
    """A redirect pointed at a malformed URL."""


class NonHttpUrlRedirectClientError(NonHttpUrlClientError, RedirectClientError):
    """A redirect pointed at a scheme other than http(s)."""


class ClientSSLError(ClientConnectorError):
    """TLS failed while connecting."""


class ClientConnectorSSLError(ClientSSLError, ssl.SSLError):
    """The TLS handshake failed."""


class ClientConnectorCertificateError(ClientSSLError, ssl.SSLCertVerificationError):
    """The server certificate could not be verified."""

    def __init__(self, connection_key: ConnectionKey, certificate_error: Exception) -> None:
        # Not ClientConnectorError.__init__: the cause need not be an OSError. When it is (the
        # usual ssl.SSLCertVerificationError), os_error, errno and strerror come from it.
        self._conn_key = connection_key
        self._certificate_error = certificate_error
        cause = certificate_error if isinstance(certificate_error, OSError) else None
        self._os_error = cause  # type: ignore[assignment]
        OSError.__init__(self, *((cause.errno, cause.strerror) if cause is not None else ()))
        self.args = (connection_key, certificate_error)

    @property
    def certificate_error(self) -> Exception:
        return self._certificate_error

    @property
    def ssl(self) -> bool:
        return self._conn_key.is_ssl

    def __str__(self) -> str:
        cause = self._certificate_error
        return (
            f"Cannot connect to host {self.host}:{self.port} ssl:{self.ssl} "
            f"[{type(cause).__name__}: {cause.args}]"
        )


class WSMessageTypeError(TypeError):
    """A websocket message was not of the type the receive_* call expected."""


class UploadAbortedError(ClientError):
    """The request body upload was aborted."""

