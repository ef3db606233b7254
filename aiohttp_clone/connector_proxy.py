"""Connections through an HTTP forward proxy: absolute-form for http, a CONNECT tunnel for https.

For plain http (and ws) the socket to the proxy is the socket the request uses: the request
carries ``Proxy-Authorization`` and ``proxy_headers`` itself (``ClientRequest`` adds them), so a
pooled proxy connection authenticates every request it serves. For https (and wss) the proxy is
asked to open a tunnel with ``CONNECT``; once it answers 2xx, TLS to the origin runs inside the
tunnel, and what was meant for the proxy never travels inside it.

Only the connector, ``ClientRequest`` and the SOCKS path call in here, and only when a proxy is
set: the direct path pays nothing for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from . import hdrs
from ._http.head import serialize_request_head
from ._http.messages import HttpVersion11
from ._values import BasicAuth, ReadOptions, RequestInfo, active_timeout, make_basic_auth
from .client_exceptions import (
    ClientConnectorError,
    ClientHttpProxyError,
    ClientProxyConnectionError,
)
from .client_proto import ResponseHandler
from .connector_errors import connect_errors
from .connector_tls import ssl_context_for

if TYPE_CHECKING:
    from ._values import ClientTimeout, ConnectionKey
    from .client_reqrep import ClientRequest
    from .connector import TCPConnector

__all__ = ("connect_through_proxy", "headers_for_proxy", "proxy_credentials", "proxy_key")


def _tunnel_read_options(timeout: ClientTimeout) -> ReadOptions:
    """The CONNECT answer is a head only: no body until EOF, nothing to decode, a small buffer;
    the default limits keep a hostile proxy from sending an unbounded head."""
    return ReadOptions(
        read_until_eof=False, auto_decompress=False, read_bufsize=2**16,
        sock_read=active_timeout(timeout.sock_read),
    )  # fmt: skip


def headers_for_proxy(
    proxy: URL, proxy_auth: BasicAuth | None, proxy_headers: CIMultiDict[str] | None
) -> CIMultiDict[str]:
    """The fields addressed to the proxy: ``proxy_headers``, then ``Proxy-Authorization``.

    Explicit ``proxy_auth`` wins over credentials written in the proxy URL, and both win over
    a ``Proxy-Authorization`` given in ``proxy_headers``.
    """
    result: CIMultiDict[str] = CIMultiDict(proxy_headers) if proxy_headers else CIMultiDict()
    credentials = proxy_credentials(proxy, proxy_auth)
    if credentials is not None:
        result[hdrs.PROXY_AUTHORIZATION] = credentials.encode()
    return result


def proxy_credentials(proxy: URL, proxy_auth: BasicAuth | None) -> BasicAuth | None:
    """The credentials for ``proxy``: explicit ``proxy_auth``, else those written in its URL
    (HTTP and SOCKS proxies alike)."""
    if proxy_auth is None and (proxy.raw_user or proxy.raw_password):
        return make_basic_auth(proxy.user or "", proxy.password or "")
    return proxy_auth


def proxy_key(req: ClientRequest, port: int, is_ssl: bool) -> ConnectionKey:
    """The key errors about reaching ``req``'s proxy carry: they name the proxy (at ``port``,
    its default already applied), not the origin."""
    proxy = req.proxy
    assert proxy is not None
    return req.connection_key._replace(
        host=proxy.raw_host or "", port=port, is_ssl=is_ssl,
        proxy=None, proxy_auth=None, proxy_headers_hash=None,
    )  # fmt: skip


def _authority(url: URL, port: int) -> str:
    """``host:port`` with the port always present, as CONNECT's authority-form requires."""
    host = url.raw_host or ""
    if ":" in host:  # an IPv6 literal
        host = f"[{host}]"
    return f"{host}:{port}"


async def connect_through_proxy(
    connector: TCPConnector, req: ClientRequest, timeout: ClientTimeout
) -> ResponseHandler:
    """A connection ready for ``req``: to the proxy itself, or tunnelled through it."""
    proxy = req.proxy
    assert proxy is not None
    proxy_host = proxy.raw_host or ""
    proxy_port = proxy.port or 80
    proxy_tls = proxy.scheme == "https"
    key = proxy_key(req, proxy_port, proxy_tls)
    proxy_ssl = None
    if proxy_tls:
        proxy_ssl = ssl_context_for(connector._ssl if req.ssl is True else req.ssl)
    # As aiohttp does, the hop to the proxy is not traced (no DNS signals for the proxy host).
    protocol = await connector._open_tcp(
        proxy_host, proxy_port, key, [], timeout, proxy_ssl,
        proxy_host.rstrip(".") if proxy_tls else None,
        _authority(proxy, proxy_port), ClientProxyConnectionError,
    )
    if not req.is_ssl():
        return protocol
    try:
        await _open_tunnel(protocol, req, timeout)
        protocol = await _start_tls(connector, protocol, req, timeout)
        connector._check_fingerprint(req, protocol)
    except BaseException:
        protocol.close()
        raise
    return protocol


async def _open_tunnel(
    protocol: ResponseHandler, req: ClientRequest, timeout: ClientTimeout
) -> None:
    """Send CONNECT and read the proxy's answer; anything but 2xx is ClientHttpProxyError."""
    proxy = req.proxy
    assert proxy is not None and protocol.transport is not None
    target = _authority(req.url, req.port)
    headers: CIMultiDict[str] = CIMultiDict()
    headers[hdrs.HOST] = target
    headers.extend(headers_for_proxy(proxy, req.proxy_auth, req.proxy_headers))
    headers[hdrs.HOST] = target  # proxy_headers cannot move the tunnel elsewhere
    head = protocol.start_response(hdrs.METH_CONNECT, _tunnel_read_options(timeout))
    protocol.transport.write(
        serialize_request_head(hdrs.METH_CONNECT, target, HttpVersion11, headers)
    )
    protocol.request_sent()  # the proxy's silence now counts against sock_read
    message, _ = await head
    if 200 <= message.code < 300:
        if not protocol.leftover:
            return
        reason = "Proxy sent data after its CONNECT response"
    else:
        reason = message.reason
    info = RequestInfo(req.url, hdrs.METH_CONNECT, CIMultiDictProxy(headers), req.url)
    raise ClientHttpProxyError(
        info, (), status=message.code, message=reason, headers=message.headers
    )


async def _start_tls(
    connector: TCPConnector, protocol: ResponseHandler, req: ClientRequest, timeout: ClientTimeout
) -> ResponseHandler:
    """Run TLS to the origin over the tunnel; the same protocol object serves the request."""
    transport = protocol.transport
    assert transport is not None
    sslcontext, server_hostname = connector._origin_tls(req)
    assert sslcontext is not None
    key = req.connection_key
    with connect_errors(key):
        async with connector._connect_deadline(timeout, req.url.host_port_subcomponent or ""):
            tls_transport = await connector._loop.start_tls(
                transport, protocol, sslcontext,
                server_hostname=server_hostname,
                ssl_shutdown_timeout=connector._ssl_shutdown_timeout,
            )
    if tls_transport is None:
        raise ClientConnectorError(key, ConnectionResetError("Proxy closed the tunnel"))
    # A fresh HTTP connection from here on: not upgraded, nothing read yet, reusable.
    protocol.transport = tls_transport
    protocol.reset_parser()
    protocol.should_close = False
    protocol.responses_read = 0
    return protocol
