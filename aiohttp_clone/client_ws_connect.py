"""``session.ws_connect``: the opening handshake (RFC 6455 section 4) over an ordinary request.

The GET with ``Upgrade: websocket`` goes through ``ClientSession._request`` like any other
request, so proxies, TLS, auth, cookies, tracing and timeouts behave the same. Once the 101 is
checked, the connection's protocol is handed to ``ClientWebSocketResponse``; the connector still
counts it as acquired until the socket is gone, never pools it, and closes it with the session.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import os
import warnings
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from multidict import CIMultiDict

from . import hdrs
from ._websocket import WS_KEY, WebSocketReader, WebSocketWriter, deflate_offer, negotiate_deflate
from .client_exceptions import WSServerHandshakeError
from .client_ws import DEFAULT_WS_CLIENT_TIMEOUT, ClientWebSocketResponse, ClientWSTimeout
from .helpers import sentinel

if TYPE_CHECKING:
    from yarl import URL

    from ._values import BasicAuth
    from .client import ClientSession
    from .client_proto import ResponseHandler
    from .client_reqrep import ClientResponse

__all__ = ("ws_connect",)


def _ws_timeout(timeout: Any, receive_timeout: float | None) -> ClientWSTimeout:
    """``timeout`` as ClientWSTimeout; the float forms aiohttp deprecated still work."""
    if timeout is sentinel:
        ws_timeout = DEFAULT_WS_CLIENT_TIMEOUT
    elif isinstance(timeout, ClientWSTimeout):
        ws_timeout = timeout
    else:
        warnings.warn(
            "parameter 'timeout' of type 'float' is deprecated, please use "
            "'timeout=ClientWSTimeout(ws_close=...)'",
            DeprecationWarning,
            stacklevel=3,
        )
        ws_timeout = ClientWSTimeout(ws_close=timeout)
    if receive_timeout is not None:
        warnings.warn(
            "float parameter 'receive_timeout' is deprecated, please use parameter "
            "'timeout=ClientWSTimeout(ws_receive=...)'",
            DeprecationWarning,
            stacklevel=3,
        )
        ws_timeout = dataclasses.replace(ws_timeout, ws_receive=receive_timeout)
    return ws_timeout


def _handshake_headers(
    headers: Any, key: str, protocols: tuple[str, ...], origin: str | None, compress: int
) -> CIMultiDict[str]:
    real = CIMultiDict(headers) if headers else CIMultiDict()
    real.setdefault(hdrs.UPGRADE, "websocket")
    real.setdefault(hdrs.CONNECTION, "Upgrade")
    real.setdefault(hdrs.SEC_WEBSOCKET_VERSION, "13")
    real[hdrs.SEC_WEBSOCKET_KEY] = key
    if protocols:
        real[hdrs.SEC_WEBSOCKET_PROTOCOL] = ",".join(protocols)
    if origin is not None:
        real[hdrs.ORIGIN] = origin
    if compress:
        real[hdrs.SEC_WEBSOCKET_EXTENSIONS] = deflate_offer(compress)
    return real


def _fail(resp: ClientResponse, message: str) -> WSServerHandshakeError:
    resp.close()
    return WSServerHandshakeError(
        resp.request_info, resp.history, message=message, status=resp.status,
        headers=resp.headers,
    )


def _has_token(value: str, token: str) -> bool:
    return token in (part.strip().lower() for part in value.split(","))


def _check_handshake(
    resp: ClientResponse, key: str, protocols: tuple[str, ...], compress: int
) -> tuple[str | None, int, bool]:
    """Validate the 101; returns (subprotocol, window bits, client_notakeover)."""
    headers = resp.headers
    if resp.status != 101:
        raise _fail(resp, "Invalid response status")
    if headers.get(hdrs.UPGRADE, "").strip().lower() != "websocket":
        raise _fail(resp, "Invalid upgrade header")
    if not _has_token(headers.get(hdrs.CONNECTION, ""), "upgrade"):
        raise _fail(resp, "Invalid connection header")
    expected = base64.b64encode(hashlib.sha1(key.encode() + WS_KEY).digest()).decode()
    if headers.get(hdrs.SEC_WEBSOCKET_ACCEPT, "").strip() != expected:
        raise _fail(resp, "Invalid challenge response")
    protocol = headers.get(hdrs.SEC_WEBSOCKET_PROTOCOL)
    if protocol is not None:
        protocol = protocol.strip()
        if protocol not in protocols:
            raise _fail(resp, f"Server selected a subprotocol that was not offered: {protocol!r}")
    try:
        wbits, notakeover = negotiate_deflate(headers.get(hdrs.SEC_WEBSOCKET_EXTENSIONS), compress)
    except ValueError as exc:
        raise _fail(resp, f"Invalid extension: {exc}") from None
    return protocol, wbits, notakeover


def _take_upgraded(resp: ClientResponse) -> ResponseHandler | None:
    """The upgraded connection's protocol, taken from ``resp`` but left in the connector's hands.

    The slot stays acquired while the websocket is open, as in aiohttp: pool limits count it and
    ``connector.close()`` (closing the session) closes it instead of leaking the socket. It is
    given back, closed and never pooled, once the socket is gone. None when already closed.
    """
    connection = resp.connection
    protocol = None if connection is None else connection.protocol
    if connection is None or protocol is None or not protocol.is_connected():
        return None
    resp._connection = None  # resp.release() and resp.close() must not end the websocket
    protocol.closed.add_done_callback(lambda _: connection.close())
    return protocol


async def ws_connect(
    session: ClientSession,
    url: str | URL,
    *,
    method: str = "GET",
    protocols: Iterable[str] = (),
    timeout: ClientWSTimeout | Any = sentinel,
    receive_timeout: float | None = None,
    autoclose: bool = True,
    autoping: bool = True,
    heartbeat: float | None = None,
    auth: BasicAuth | None = None,
    origin: str | None = None,
    params: Any = None,
    headers: Any = None,
    proxy: str | URL | None = None,
    proxy_auth: BasicAuth | None = None,
    ssl: Any = True,
    verify_ssl: bool | None = None,
    fingerprint: bytes | None = None,
    ssl_context: Any = None,
    server_hostname: str | None = None,
    proxy_headers: Any = None,
    compress: int = 0,
    max_msg_size: int = 4 * 1024 * 1024,
    decode_text: bool = True,
) -> ClientWebSocketResponse:
    """Open a websocket; raises WSServerHandshakeError if the server does not switch."""
    ws_timeout = _ws_timeout(timeout, receive_timeout)
    if compress and not 9 <= compress <= 15:
        raise ValueError("compress (window bits) must be between 9 and 15")
    protocols = tuple(protocols)
    key = base64.b64encode(os.urandom(16)).decode()
    resp = await session._request(
        method, url,
        headers=_handshake_headers(headers, key, protocols, origin, compress),
        params=params, auth=auth, read_until_eof=False, raise_for_status=False,
        proxy=proxy, proxy_auth=proxy_auth, proxy_headers=proxy_headers, ssl=ssl,
        verify_ssl=verify_ssl, fingerprint=fingerprint, ssl_context=ssl_context,
        server_hostname=server_hostname,
    )
    try:
        protocol, wbits, notakeover = _check_handshake(resp, key, protocols, compress)
        conn_protocol = _take_upgraded(resp)
        if conn_protocol is None:
            raise _fail(resp, "Connection closed during the handshake")
    except BaseException:
        resp.close()
        raise
    resp.release()  # the connection was taken: this only stops the request's total timer
    try:
        return session._ws_response_class(
            WebSocketReader(max_msg_size, compress=bool(wbits), decode_text=decode_text),
            WebSocketWriter(wbits, notakeover),
            protocol, resp, ws_timeout, autoclose, autoping, session._loop,
            heartbeat=heartbeat, compress=wbits, client_notakeover=notakeover,
            connection=conn_protocol,
        )
    except BaseException:
        conn_protocol.close()  # nobody else holds the socket now; its slot follows it
        raise
