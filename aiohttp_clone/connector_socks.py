"""Connections through a SOCKS proxy: ``socks4``, ``socks4a``, ``socks5`` and ``socks5h``.

The SOCKS handshake is python-socks' (the library aiohttp-socks is built on), installed with the
``socks`` extra and imported only when a SOCKS proxy is used. What is decided here:

- Which host the proxy is asked for. ``socks4`` and ``socks5`` resolve the origin here, with the
  connector's resolver, DNS cache and trace signals, and send the address; ``socks4a`` and
  ``socks5h`` send the host name for the proxy to resolve (curl's and requests' reading).
- Credentials go into the handshake only: the proxy URL's ``user:password``, ``proxy_auth``, or
  a Basic ``Proxy-Authorization`` in ``proxy_headers`` (aiohttp 3.14's replacement for
  ``proxy_auth``) become the socks5 username and password (RFC 1929) or the socks4 user id.
  The request itself goes to the origin as a direct one: nothing meant for the proxy is in it.
- TLS for https and wss runs inside the tunnel with the origin's name, so the certificate is
  checked for the origin, exactly as on a direct connection.
- Errors: the proxy unreachable, refusing, or rejecting the credentials is
  ``ClientProxyConnectionError`` naming the proxy; the origin's name not resolving (socks4,
  socks5) is ``ClientConnectorDNSError``; TLS errors name the origin as on a direct connection.
"""

from __future__ import annotations

import errno
import math
import socket
from typing import TYPE_CHECKING, Any

from yarl import URL

from . import hdrs
from ._values import BasicAuth, active_timeout
from .client_exceptions import (
    ClientConnectorDNSError,
    ClientProxyConnectionError,
    ConnectionTimeoutError,
)
from .connector_errors import connect_errors
from .connector_proxy import proxy_credentials, proxy_key
from .helpers import is_ip_address

if TYPE_CHECKING:
    from ._values import ClientTimeout, ConnectionKey
    from .client_proto import ResponseHandler
    from .client_reqrep import ClientRequest
    from .connector import TCPConnector
    from .tracing import Trace

__all__ = ("SOCKS_SCHEMES", "connect_through_socks", "is_socks")

SOCKS_SCHEMES = frozenset({"socks4", "socks4a", "socks5", "socks5h"})
_DEFAULT_PORT = 1080  # IANA's port for SOCKS, what curl assumes when the URL names none
_INSTALL_HINT = "pip install 'aiohttp_clone[socks]'"


def is_socks(proxy: URL) -> bool:
    """Whether ``proxy`` is a SOCKS proxy (the request then goes out as a direct one)."""
    return proxy.scheme in SOCKS_SCHEMES


def _python_socks() -> Any:
    """python-socks' asyncio API; ImportError naming the extra when it is not installed."""
    try:
        import python_socks
        from python_socks.async_.asyncio import Proxy
    except ImportError as exc:
        raise ImportError(
            f"SOCKS proxies need python-socks with its asyncio support ({exc}): {_INSTALL_HINT}",
            name="python_socks",
        ) from exc
    return python_socks, Proxy


async def connect_through_socks(
    connector: TCPConnector, req: ClientRequest, traces: list[Trace], timeout: ClientTimeout
) -> ResponseHandler:
    """A connection to ``req``'s origin tunnelled through its SOCKS proxy, TLS included."""
    python_socks, proxy_class = _python_socks()
    proxy = req.proxy
    assert proxy is not None
    scheme = proxy.scheme
    proxy_host = proxy.raw_host or ""
    proxy_port = proxy.port or _DEFAULT_PORT
    key = proxy_key(req, proxy_port, is_ssl=False)
    username, password = _credentials(req, scheme)
    target = await _target_host(connector, req, traces, scheme, key)
    tunnel = proxy_class(
        python_socks.ProxyType.SOCKS4 if scheme.startswith("socks4") else
        python_socks.ProxyType.SOCKS5,
        proxy_host, proxy_port, username, password,
        rdns=scheme in ("socks4a", "socks5h"),
    )  # fmt: skip
    seconds = active_timeout(timeout.sock_connect)
    try:
        # python-socks reads timeout=None as its own 60 s: no sock_connect means no limit here,
        # the request's connect and total timeouts still bound the whole acquisition.
        sock = await tunnel.connect(
            target, req.port, timeout=math.inf if seconds is None else seconds
        )
    except Exception as exc:
        error = _proxy_error(python_socks, exc, key, f"{scheme} proxy", target, req.port)
        if error is exc:
            raise
        raise error from exc
    return await _start_http(connector, req, timeout, sock)


def _proxy_error(
    python_socks: Any, exc: Exception, key: ConnectionKey, what: str, target: str, port: int
) -> Exception:
    """python-socks' exception in aiohttp's terms, naming the proxy (``key``) and ``what`` it
    is ("socks5 proxy"); anything else is returned as it is."""
    where = f"{key.host}:{key.port}"
    if isinstance(exc, python_socks.ProxyTimeoutError):
        return ConnectionTimeoutError(f"Connection timeout to {what} {where}")
    if isinstance(exc, python_socks.ProxyConnectionError):
        cause = exc.__cause__ if isinstance(exc.__cause__, OSError) else exc
        if isinstance(cause, socket.gaierror):  # the proxy's own name: as for an HTTP proxy
            return ClientConnectorDNSError(key, cause)
        reason = f"{what}: {cause.strerror or cause}"
        return ClientProxyConnectionError(key, OSError(cause.errno, reason))
    if isinstance(exc, python_socks.ProxyError):
        reason = str(exc) or "connection closed during the handshake"
        host = f"[{target}]" if ":" in target else target  # an IPv6 address
        refused = f"{what} refused {host}:{port}: {reason}"
        return ClientProxyConnectionError(key, OSError(errno.ECONNREFUSED, refused))
    if isinstance(exc, (OSError, ValueError)):  # reset mid-handshake; a name SOCKS cannot carry
        reason = f"{what} handshake failed: {exc}"
        return ClientProxyConnectionError(key, OSError(getattr(exc, "errno", None), reason))
    return exc


async def _start_http(
    connector: TCPConnector, req: ClientRequest, timeout: ClientTimeout, sock: socket.socket
) -> ResponseHandler:
    """Wrap the tunnelled socket in a ``ResponseHandler``, after TLS to the origin if https."""
    sslcontext, server_hostname = connector._origin_tls(req)
    try:
        with connect_errors(req.connection_key):
            async with connector._connect_deadline(timeout, req.url.host_port_subcomponent or ""):
                protocol = await connector._wrap_socket(sock, sslcontext, server_hostname)
    except BaseException:
        sock.close()  # create_connection owns the socket only once it has succeeded
        raise
    connector._check_fingerprint(req, protocol)
    return protocol


async def _target_host(
    connector: TCPConnector,
    req: ClientRequest,
    traces: list[Trace],
    scheme: str,
    key: ConnectionKey,
) -> str:
    """What the proxy is asked to connect to: the origin's name for socks4a/socks5h, else the
    address the connector resolves it to (socks4 carries IPv4 addresses only)."""
    host = req.url.raw_host or ""
    ipv4_only = scheme.startswith("socks4")
    if scheme in ("socks4a", "socks5h") and not is_ip_address(host):
        return host
    try:
        resolved = await connector._resolve_host(host, req.port, traces)  # IP literals as they are
    except OSError as exc:
        raise ClientConnectorDNSError(req.connection_key, exc) from exc
    addresses = [
        entry["host"] for entry in resolved if not ipv4_only or entry["family"] == socket.AF_INET
    ]
    if ipv4_only and (not addresses or ":" in addresses[0]):
        raise ClientProxyConnectionError(
            key,
            OSError(errno.EAFNOSUPPORT,
                    f"{scheme} proxies reach IPv4 addresses only, and {host} has none "
                    "(socks5 and socks5h proxies reach IPv6 too)"),
        )  # fmt: skip
    return addresses[0]


def _credentials(req: ClientRequest, scheme: str) -> tuple[str | None, str | None]:
    """The handshake's credentials: ``proxy_auth``, the proxy URL's, else a Basic
    ``Proxy-Authorization`` in ``proxy_headers``; ValueError when SOCKS cannot carry them."""
    auth = _proxy_auth(req)
    if auth is None:
        return None, None
    login, password = auth.login, auth.password
    if scheme.startswith("socks4"):
        # A socks4 user id is a NUL-terminated string; there is no password to send.
        if not login.isascii() or "\x00" in login:
            raise ValueError("A socks4 user id must be ASCII without NUL characters")
        return login or None, None
    for what, value in (("username", login), ("password", password)):
        # RFC 1929: one to 255 bytes each; python-socks sends them as ASCII.
        if not value or len(value) > 255 or not value.isascii():
            raise ValueError(
                f"A socks5 proxy {what} must be 1 to 255 ASCII characters, got {len(value)}"
                f"{'' if value.isascii() else ' with non-ASCII ones'}"
            )
    return login, password


def _proxy_auth(req: ClientRequest) -> BasicAuth | None:
    proxy = req.proxy
    assert proxy is not None
    credentials = proxy_credentials(proxy, req.proxy_auth)
    if credentials is not None:
        return credentials
    header = req.proxy_headers.get(hdrs.PROXY_AUTHORIZATION) if req.proxy_headers else None
    if header is None:
        return None
    try:
        return BasicAuth.decode(header, encoding="utf-8")
    except ValueError as exc:
        raise ValueError(
            f"SOCKS proxies take Basic credentials only; Proxy-Authorization: {exc}"
        ) from None
