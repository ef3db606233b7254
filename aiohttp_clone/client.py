"""``ClientSession``: the public entry point, and the per-request pipeline behind it.

A request flows ``_request -> _redirect_loop -> middlewares -> _send_once -> connector``;
each step is short, and the per-session work (default headers, skip sets, timeouts) is done
once in ``__init__`` so the per-request path only copies and fills in.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sys
import warnings
from collections.abc import Awaitable, Callable, Coroutine, Generator, Iterable, Mapping, Sequence
from contextlib import suppress
from types import TracebackType
from typing import Any, Generic, TypeVar

from multidict import CIMultiDict, istr
from yarl import URL

from . import hdrs
from .abc import AbstractCookieJar
from .client_exceptions import (
    ClientConnectionError,
    ClientOSError,
    ClientPayloadError,
    ConnectionTimeoutError,
    InvalidUrlClientError,
    InvalidUrlRedirectClientError,
    NonHttpUrlClientError,
    NonHttpUrlRedirectClientError,
    ServerDisconnectedError,
    TooManyRedirects,
)
from .client_reqrep import ClientRequest, ClientResponse, _default_fallback_charset
from .client_timers import SecondTimers, TotalTimer
from .client_ws import ClientWebSocketResponse
from .compression import ACCEPT_ENCODING
from .connector import BaseConnector, Connection, TCPConnector
from .connector_tls import resolve_ssl
from .cookiejar import CookieJar
from .helpers import _SENTINEL, BasicAuth, sentinel, strip_auth_from_url
from .helpers_env import basicauth_from_netrc, get_env_proxy_for_url, netrc_from_env
from .http_message import HttpVersion, HttpVersion11
from .payload import JsonPayload
from .tracing import Trace, TraceConfig

__all__ = ("ClientSession", "ClientTimeout", "request")

_T = TypeVar("_T")
_HTTP_SCHEMES = frozenset(("http", "https"))
_WS_SCHEMES = frozenset(("ws", "wss"))
_ALLOWED_SCHEMES = _HTTP_SCHEMES | _WS_SCHEMES
_REDIRECT_STATUSES = frozenset((301, 302, 303, 307, 308))
_CREDENTIAL_HEADERS = (hdrs.AUTHORIZATION, hdrs.COOKIE, hdrs.PROXY_AUTHORIZATION)
_IDEMPOTENT = frozenset(("GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"))
_USER_AGENT = f"Python/{sys.version_info[0]}.{sys.version_info[1]} aiohttp_clone/0.1.0"

ClientHandlerType = Callable[[ClientRequest], Awaitable[ClientResponse]]
ClientMiddlewareType = Callable[[ClientRequest, ClientHandlerType], Awaitable[ClientResponse]]


@dataclasses.dataclass(frozen=True)
class ClientTimeout:
    """Timeouts in seconds; ``None`` disables one. ``total`` covers the body read too."""

    total: float | None = None
    connect: float | None = None
    sock_read: float | None = None
    sock_connect: float | None = None
    ceil_threshold: float = 5


DEFAULT_TIMEOUT = ClientTimeout(total=5 * 60, sock_connect=30)


class ClientSession:
    """A pool of connections and the defaults shared by the requests made through it."""

    _connector: BaseConnector | None = None  # set early so __del__ is safe after a failed init
    ATTRS = frozenset(
        (
            "_base_url", "_connector", "_loop", "_cookie_jar", "_connector_owner",
            "_default_auth", "_version", "_json_serialize", "_requote_redirect_url",
            "_timeout", "_raise_for_status", "_auto_decompress", "_trust_env",
            "_default_headers", "_skip_auto_headers", "_request_class", "_response_class",
            "_ws_response_class", "_trace_configs", "_read_bufsize", "_max_line_size",
            "_max_field_size", "_max_headers", "_resolve_charset", "_middlewares",
        )
    )

    def __init__(
        self,
        base_url: str | URL | None = None,
        *,
        connector: BaseConnector | None = None,
        loop: asyncio.AbstractEventLoop | None = None,
        cookies: Any = None,
        headers: Any = None,
        proxy: str | URL | None = None,
        proxy_auth: BasicAuth | None = None,
        skip_auto_headers: Iterable[str] | None = None,
        auth: BasicAuth | None = None,
        json_serialize: Callable[[Any], str] = json.dumps,
        json_serialize_bytes: Callable[[Any], bytes] | None = None,
        request_class: type[ClientRequest] = ClientRequest,
        response_class: type[ClientResponse] = ClientResponse,
        ws_response_class: type[ClientWebSocketResponse] = ClientWebSocketResponse,
        version: HttpVersion = HttpVersion11,
        cookie_jar: AbstractCookieJar | None = None,
        connector_owner: bool = True,
        raise_for_status: bool | Callable[[ClientResponse], Awaitable[None]] = False,
        read_timeout: float | _SENTINEL = sentinel,
        conn_timeout: float | None = None,
        timeout: object | ClientTimeout = sentinel,
        auto_decompress: bool = True,
        trust_env: bool = False,
        requote_redirect_url: bool = True,
        trace_configs: list[TraceConfig] | None = None,
        read_bufsize: int = 2**18,
        max_line_size: int = 8190,
        max_field_size: int = 8190,
        max_headers: int = 128,
        fallback_charset_resolver: Callable[[ClientResponse, bytes], str] = (
            _default_fallback_charset
        ),
        middlewares: Sequence[ClientMiddlewareType] = (),
        ssl_shutdown_timeout: _SENTINEL | float | None = sentinel,
    ) -> None:
        if loop is not None:
            warnings.warn("The loop argument is deprecated", DeprecationWarning, stacklevel=2)
        self._loop = loop or asyncio.get_running_loop()
        if base_url is None or isinstance(base_url, URL):
            self._base_url: URL | None = base_url
        else:
            self._base_url = URL(base_url)
        if self._base_url is not None and not (
            self._base_url.absolute and self._base_url.path.endswith("/")
        ):
            raise ValueError("base_url must be an absolute URL ending with a slash")
        if connector is None:
            connector = TCPConnector(loop=self._loop)
        self._connector = connector
        self._connector_owner = connector_owner
        self._timeout = self._resolve_timeout(timeout, read_timeout, conn_timeout)
        self._cookie_jar = cookie_jar if cookie_jar is not None else CookieJar()
        if cookies:
            self._cookie_jar.update_cookies(cookies)
        self._default_auth = auth
        self._default_proxy, self._default_proxy_auth = _split_proxy(proxy, proxy_auth)
        self._version = version
        self._json_serialize = json_serialize
        self._json_serialize_bytes = json_serialize_bytes
        self._raise_for_status = raise_for_status
        self._auto_decompress = auto_decompress
        self._trust_env = trust_env
        self._netrc = netrc_from_env() if trust_env else None
        self._requote_redirect_url = requote_redirect_url
        self._request_class = request_class
        self._response_class = response_class
        self._ws_response_class = ws_response_class
        self._read_bufsize = read_bufsize
        self._max_line_size = max_line_size
        self._max_field_size = max_field_size
        self._max_headers = max_headers
        self._resolve_charset = fallback_charset_resolver
        self._middlewares = tuple(middlewares)
        self._default_headers: CIMultiDict[str] = CIMultiDict(headers) if headers else CIMultiDict()
        self._skip_auto_headers = frozenset(istr(h) for h in skip_auto_headers or ())
        self._base_headers = self._build_base_headers(self._skip_auto_headers)
        self._trace_configs = list(trace_configs or ())
        for trace_config in self._trace_configs:
            trace_config.freeze()
        self._timers = SecondTimers(self._loop)

    @staticmethod
    def _resolve_timeout(
        timeout: object, read_timeout: object, conn_timeout: float | None
    ) -> ClientTimeout:
        if timeout is sentinel or timeout is None:
            resolved = DEFAULT_TIMEOUT
        elif isinstance(timeout, ClientTimeout):
            resolved = timeout
        else:
            raise ValueError(f"timeout parameter cannot be of {type(timeout)} type")
        if read_timeout is not sentinel:
            warnings.warn("read_timeout is deprecated, use timeout=ClientTimeout(sock_read=...)",
                          DeprecationWarning, stacklevel=3)
            resolved = dataclasses.replace(resolved, sock_read=read_timeout)  # type: ignore[arg-type]
        if conn_timeout is not None:
            warnings.warn("conn_timeout is deprecated, use timeout=ClientTimeout(connect=...)",
                          DeprecationWarning, stacklevel=3)
            resolved = dataclasses.replace(resolved, connect=conn_timeout)
        return resolved

    def _build_base_headers(self, skip: frozenset[istr]) -> CIMultiDict[str]:
        """Session headers plus the automatic ones, computed once per session."""
        base: CIMultiDict[str] = CIMultiDict()
        for name, value in (
            (hdrs.ACCEPT, "*/*"),
            (hdrs.ACCEPT_ENCODING, ACCEPT_ENCODING),
            (hdrs.USER_AGENT, _USER_AGENT),
        ):
            if name not in skip and name not in self._default_headers:
                base[name] = value
        base.extend(self._default_headers)
        return base

    def __init_subclass__(cls) -> None:
        warnings.warn(
            f"Inheritance class {cls.__name__} from ClientSession is discouraged",
            DeprecationWarning,
            stacklevel=2,
        )

    def __del__(self, _warnings: Any = warnings) -> None:
        if not self.closed:
            _warnings.warn(f"Unclosed client session {self!r}", ResourceWarning, source=self)

    # -- public attributes ----------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._connector is None or self._connector.closed

    @property
    def connector(self) -> BaseConnector | None:
        return self._connector

    @property
    def cookie_jar(self) -> AbstractCookieJar:
        return self._cookie_jar

    @property
    def version(self) -> HttpVersion:
        return self._version

    @property
    def requote_redirect_url(self) -> bool:
        return self._requote_redirect_url

    @property
    def timeout(self) -> ClientTimeout:
        return self._timeout

    @property
    def headers(self) -> CIMultiDict[str]:
        return self._default_headers

    @property
    def skip_auto_headers(self) -> frozenset[istr]:
        return self._skip_auto_headers

    @property
    def auth(self) -> BasicAuth | None:
        return self._default_auth

    @property
    def json_serialize(self) -> Callable[[Any], str]:
        return self._json_serialize

    @property
    def connector_owner(self) -> bool:
        return self._connector_owner

    @property
    def raise_for_status(self) -> bool | Callable[[ClientResponse], Awaitable[None]]:
        return self._raise_for_status

    @property
    def auto_decompress(self) -> bool:
        return self._auto_decompress

    @property
    def trust_env(self) -> bool:
        return self._trust_env

    @property
    def trace_configs(self) -> list[TraceConfig]:
        return self._trace_configs

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        warnings.warn("loop property is deprecated", DeprecationWarning, stacklevel=2)
        return self._loop

    # -- lifecycle ------------------------------------------------------------------------

    async def close(self) -> None:
        """Close the connector if this session owns it."""
        self._timers.close()
        connector = self._connector
        if connector is not None and self._connector_owner and not connector.closed:
            await connector.close()
        self._connector = None

    def detach(self) -> None:
        """Forget the connector without closing it."""
        self._connector = None

    async def __aenter__(self) -> ClientSession:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        await self.close()

    # -- verbs ----------------------------------------------------------------------------

    def request(self, method: str, url: str | URL, **kwargs: Any) -> _RequestContextManager:
        return _RequestContextManager(self._request(method, url, **kwargs))

    def get(self, url: str | URL, *, allow_redirects: bool = True, **kwargs: Any) -> Any:
        return _RequestContextManager(
            self._request(hdrs.METH_GET, url, allow_redirects=allow_redirects, **kwargs)
        )

    def options(self, url: str | URL, *, allow_redirects: bool = True, **kwargs: Any) -> Any:
        return _RequestContextManager(
            self._request(hdrs.METH_OPTIONS, url, allow_redirects=allow_redirects, **kwargs)
        )

    def head(self, url: str | URL, *, allow_redirects: bool = False, **kwargs: Any) -> Any:
        return _RequestContextManager(
            self._request(hdrs.METH_HEAD, url, allow_redirects=allow_redirects, **kwargs)
        )

    def post(self, url: str | URL, *, data: Any = None, **kwargs: Any) -> Any:
        return _RequestContextManager(self._request(hdrs.METH_POST, url, data=data, **kwargs))

    def put(self, url: str | URL, *, data: Any = None, **kwargs: Any) -> Any:
        return _RequestContextManager(self._request(hdrs.METH_PUT, url, data=data, **kwargs))

    def patch(self, url: str | URL, *, data: Any = None, **kwargs: Any) -> Any:
        return _RequestContextManager(self._request(hdrs.METH_PATCH, url, data=data, **kwargs))

    def delete(self, url: str | URL, **kwargs: Any) -> Any:
        return _RequestContextManager(self._request(hdrs.METH_DELETE, url, **kwargs))

    def ws_connect(self, url: str | URL, **kwargs: Any) -> Any:
        from .client_ws_connect import ws_connect

        return _WSRequestContextManager(ws_connect(self, url, **kwargs))

    # -- the pipeline ---------------------------------------------------------------------

    def _build_url(self, str_or_url: str | URL, params: Any) -> URL:
        try:
            url = URL(str_or_url) if not isinstance(str_or_url, URL) else str_or_url
        except ValueError as exc:
            raise InvalidUrlClientError(str_or_url) from exc
        if self._base_url is not None and not url.absolute:
            url = self._base_url.join(url)
        if params:
            url = url.extend_query(params)
        if url.scheme not in _ALLOWED_SCHEMES:
            raise NonHttpUrlClientError(url)
        if not url.raw_host:
            raise InvalidUrlClientError(url, "URL has no host")
        return url

    def _prepare_headers(self, headers: Any, url: URL) -> CIMultiDict[str]:
        """Host, then the session's base headers, then the request's (which replace)."""
        result: CIMultiDict[str] = CIMultiDict()
        if hdrs.HOST not in self._skip_auto_headers:
            result[hdrs.HOST] = url.host_port_subcomponent or ""
        result.extend(self._base_headers)
        if headers:
            if not isinstance(headers, Mapping):
                headers = CIMultiDict(headers)
            replaced: set[str] = set()
            for name, value in headers.items():
                if name in replaced:
                    result.add(name, value)
                else:
                    result[name] = value
                    replaced.add(name)
        return result

    async def _request(
        self,
        method: str,
        str_or_url: str | URL,
        *,
        params: Any = None,
        data: Any = None,
        json: Any = None,
        cookies: Any = None,
        headers: Any = None,
        skip_auto_headers: Iterable[str] | None = None,
        auth: BasicAuth | None = None,
        allow_redirects: bool = True,
        max_redirects: int = 10,
        compress: str | bool | None = None,
        chunked: bool | None = None,
        expect100: bool = False,
        raise_for_status: bool | Callable[[ClientResponse], Awaitable[None]] | None = None,
        read_until_eof: bool = True,
        proxy: str | URL | None = None,
        proxy_auth: BasicAuth | None = None,
        timeout: ClientTimeout | _SENTINEL | None = sentinel,
        verify_ssl: bool | None = None,
        fingerprint: bytes | None = None,
        ssl_context: Any = None,
        ssl: Any = True,
        server_hostname: str | None = None,
        proxy_headers: Any = None,
        trace_request_ctx: object = None,
        read_bufsize: int | None = None,
        auto_decompress: bool | None = None,
        max_line_size: int | None = None,
        max_field_size: int | None = None,
        max_headers: int | None = None,
        middlewares: Sequence[ClientMiddlewareType] | None = None,
        upload_tracker: Any = None,
    ) -> ClientResponse:
        if self.closed:
            raise RuntimeError("Session is closed")
        if data is not None and json is not None:
            raise ValueError("data and json parameters can not be used at the same time")
        if json is not None:
            data = self._json_payload(json)
        url = self._build_url(str_or_url, params)
        url, auth = self._resolve_auth(url, auth)
        if proxy is not None:
            proxy, proxy_auth = _split_proxy(proxy, proxy_auth)
        if ssl is not True or verify_ssl is not None or ssl_context is not None or fingerprint:
            ssl = resolve_ssl(ssl, verify_ssl, ssl_context, fingerprint)
        options = _RequestOptions(
            self,
            method.upper(),
            data,
            cookies,
            headers,
            skip_auto_headers,
            compress,
            chunked,
            expect100,
            read_until_eof,
            proxy,  # type: ignore[arg-type]
            proxy_auth,
            CIMultiDict(proxy_headers) if proxy_headers else None,
            ssl,
            server_hostname,
            self._timeout if timeout is sentinel or timeout is None else timeout,  # type: ignore[arg-type]
            read_bufsize or self._read_bufsize,
            self._auto_decompress if auto_decompress is None else auto_decompress,
            max_line_size or self._max_line_size,
            max_field_size or self._max_field_size,
            max_headers or self._max_headers,
            self._middlewares if middlewares is None else tuple(middlewares),
            self._make_traces(trace_request_ctx) if self._trace_configs else [],
        )
        timer = None
        total = options.timeout.total
        if total:
            timer = TotalTimer(self._loop, total, options.timeout.ceil_threshold, self._timers)
        try:
            response = await options.run(url, auth, allow_redirects, max_redirects)
            if raise_for_status is not None or self._raise_for_status:
                await self._check_status(response, raise_for_status)
        except asyncio.CancelledError:
            if timer is not None and timer.fired:
                task = asyncio.current_task()
                if task is not None:
                    task.uncancel()
                raise TimeoutError() from None
            raise
        except BaseException as exc:
            if timer is not None:
                timer.cancel()
            for trace in options.traces:
                headers_sent = options.last_headers or CIMultiDict()
                await trace.send_request_exception(method, url, headers_sent, exc)
            raise
        if timer is not None:
            if response.connection is not None:
                timer.hand_over(response)
                response._set_timer(timer)
            else:
                timer.cancel()
        return response

    def _json_payload(self, value: Any) -> JsonPayload:
        if self._json_serialize_bytes is not None:
            return JsonPayload(value, dumps=lambda v: self._json_serialize_bytes(v).decode())  # type: ignore[misc]
        return JsonPayload(value, dumps=self._json_serialize)

    def _resolve_auth(self, url: URL, auth: BasicAuth | None) -> tuple[URL, BasicAuth | None]:
        """Credentials in the URL become Basic auth; giving both is an error."""
        if url.user is not None or url.password is not None:
            url, url_auth = strip_auth_from_url(url)
            if auth is not None and url_auth is not None:
                raise ValueError("Cannot combine AUTH argument with credentials encoded in URL")
            auth = url_auth
        if auth is None and self._default_auth is not None:
            auth = self._default_auth
        return url, auth

    def _make_traces(self, trace_request_ctx: object) -> list[Trace]:
        if not self._trace_configs:
            return []
        return [
            Trace(self, config, config.trace_config_ctx(trace_request_ctx=trace_request_ctx))
            for config in self._trace_configs
        ]

    async def _check_status(
        self,
        response: ClientResponse,
        raise_for_status: bool | Callable[[ClientResponse], Awaitable[None]] | None,
    ) -> None:
        check = self._raise_for_status if raise_for_status is None else raise_for_status
        if check is True:
            response.raise_for_status()
        elif check:
            try:
                await check(response)  # type: ignore[operator]
            except BaseException:
                response.release()
                raise


class _RequestOptions:
    """Everything one ``_request`` call fixed, shared by its redirect hops."""

    __slots__ = (
        "auto_decompress", "chunked", "compress", "cookies", "cross_origin", "data", "expect100",
        "headers",
        "last_headers", "max_field_size", "max_headers", "max_line_size", "method",
        "middlewares", "proxy", "proxy_auth", "proxy_headers", "read_bufsize", "read_until_eof",
        "server_hostname", "session", "skip_auto_headers", "ssl", "timeout", "traces",
    )

    def __init__(
        self,
        session: ClientSession,
        method: str,
        data: Any,
        cookies: Any,
        headers: Any,
        skip_auto_headers: Iterable[str] | None,
        compress: str | bool | None,
        chunked: bool | None,
        expect100: bool,
        read_until_eof: bool,
        proxy: URL | None,
        proxy_auth: BasicAuth | None,
        proxy_headers: CIMultiDict[str] | None,
        ssl: Any,
        server_hostname: str | None,
        timeout: ClientTimeout,
        read_bufsize: int,
        auto_decompress: bool,
        max_line_size: int,
        max_field_size: int,
        max_headers: int,
        middlewares: tuple[ClientMiddlewareType, ...],
        traces: list[Trace],
    ) -> None:
        self.session = session
        self.method = method
        self.data = data
        self.cookies = cookies
        self.headers = headers
        self.skip_auto_headers = skip_auto_headers
        self.compress = compress
        self.chunked = chunked
        self.expect100 = expect100
        self.read_until_eof = read_until_eof
        self.proxy = proxy
        self.proxy_auth = proxy_auth
        self.proxy_headers = proxy_headers
        self.ssl = ssl
        self.server_hostname = server_hostname
        self.timeout = timeout
        self.read_bufsize = read_bufsize
        self.auto_decompress = auto_decompress
        self.max_line_size = max_line_size
        self.max_field_size = max_field_size
        self.max_headers = max_headers
        self.middlewares = middlewares
        self.traces = traces
        self.last_headers: CIMultiDict[str] | None = None
        self.cross_origin = False  # set once a redirect left the first origin

    async def run(
        self, url: URL, auth: BasicAuth | None, allow_redirects: bool, max_redirects: int
    ) -> ClientResponse:
        """Send, following redirects as the options allow; returns the final response."""
        history: list[ClientResponse] = []
        method, data = self.method, self.data
        for trace in self.traces:
            await trace.send_request_start(method, url, self._headers_preview(url))
        while True:
            request = self._build_request(method, url, data, auth)
            self.last_headers = request.headers
            if self.middlewares:
                response = await self._send_through_middlewares(request)
            else:
                response = await self._send_once(request)
            cookie_headers = response.headers.getall(hdrs.SET_COOKIE, ())
            if cookie_headers:
                self.session._cookie_jar.update_cookies_from_headers(cookie_headers, response.url)
            if not (allow_redirects and response.status in _REDIRECT_STATUSES):
                break
            location = response.headers.get(hdrs.LOCATION) or response.headers.get(hdrs.URI)
            if not location:
                break
            for trace in self.traces:
                await trace.send_request_redirect(method, url, request.headers, response)
            history.append(response)
            # max_redirects=N follows N redirects; the one after that is an error.
            if len(history) > max_redirects:
                response.close()
                raise TooManyRedirects(
                    history[0].request_info, tuple(history), status=response.status,
                    message="Too many redirects", headers=response.headers,
                )
            await _drain_redirect(response)
            next_url, location_auth = self._redirect_url(url, location)
            method, data = self._redirect_method(response.status, method, request)
            if next_url.origin() != url.origin():
                # Credentials and cookies given for one origin are not sent to another; the
                # jar still sends the new origin its own cookies.
                auth = None
                self.cookies = None
                self.cross_origin = True
            auth = location_auth or auth
            url = next_url
        response._history = tuple(history)
        for trace in self.traces:
            await trace.send_request_end(method, url, request.headers, response)
        return response

    def _redirect_method(
        self, status: int, method: str, request: ClientRequest
    ) -> tuple[str, Any]:
        """303 turns anything but HEAD into GET; 301/302 turn POST into GET (as browsers do).

        Otherwise the method and body are kept: the same payload is sent again, which needs a
        body that can be replayed.
        """
        if (status == 303 and method != hdrs.METH_HEAD) or (
            status in (301, 302) and method == hdrs.METH_POST
        ):
            self.headers = _without_content_headers(self.headers)
            return hdrs.METH_GET, None
        body = request.body
        if body is not None and not body.reusable:
            raise ClientPayloadError(
                f"Cannot follow a {status} redirect from {request.url}: the request body "
                f"({type(body).__name__}) can only be sent once. Use bytes or a seekable "
                "file, or allow_redirects=False."
            )
        return method, body

    def _redirect_url(self, url: URL, location: str) -> tuple[URL, BasicAuth | None]:
        """Resolve ``location`` against ``url``; credentials in it become the next hop's auth."""
        encoded = not self.session._requote_redirect_url
        try:
            target = URL(location, encoded=encoded)
            scheme = target.scheme
            if scheme and scheme not in _HTTP_SCHEMES:
                raise NonHttpUrlRedirectClientError(location)
            if scheme and not target.absolute:
                rest = location.partition(":")[2]
                if scheme != url.scheme or rest.startswith("//"):
                    raise InvalidUrlRedirectClientError(location, "Redirect URL has no host")
                # "http:/path" and "http:path" are relative references, as browsers read them.
                target = URL(rest, encoded=encoded)
            target = url.join(target)
            target.origin()
        except InvalidUrlRedirectClientError:
            raise
        except ValueError as exc:
            raise InvalidUrlRedirectClientError(location, "Server attempted redirecting to a "
                                                "location that does not look like a URL") from exc
        if not target.raw_host:
            raise InvalidUrlRedirectClientError(location, "Redirect URL has no host")
        auth = None
        if target.raw_user or target.raw_password:
            target, auth = strip_auth_from_url(target)
        return (target.with_fragment(None) if target.raw_fragment else target), auth

    def _headers_preview(self, url: URL) -> CIMultiDict[str]:
        return self.session._prepare_headers(self.headers, url)

    def _build_request(
        self, method: str, url: URL, data: Any, auth: BasicAuth | None
    ) -> ClientRequest:
        session = self.session
        headers = session._prepare_headers(self.headers, url)
        if self.cross_origin:
            # Session and request headers alike: credentials stay with the first origin.
            for name in _CREDENTIAL_HEADERS:
                headers.popall(name, None)
        if self.skip_auto_headers:
            for name in self.skip_auto_headers:
                if name not in (self.headers or ()):
                    headers.popall(name, None)
        self._add_cookies(headers, url)
        proxy, proxy_auth = self.proxy, self.proxy_auth
        if proxy is None and session._default_proxy is not None:
            proxy = session._default_proxy
            proxy_auth = proxy_auth or session._default_proxy_auth
        if proxy is None and session._trust_env:
            with suppress(LookupError):
                proxy, proxy_auth = get_env_proxy_for_url(url)
        if auth is None and session._netrc is not None and hdrs.AUTHORIZATION not in headers:
            with suppress(LookupError):
                auth = basicauth_from_netrc(session._netrc, url.host or "")
        return session._request_class(
            method,
            url,
            headers=headers,
            data=data,
            auth=auth,
            version=session._version,
            compress=self.compress,
            chunked=self.chunked,
            expect100=self.expect100,
            loop=session._loop,
            response_class=session._response_class,
            proxy=proxy,
            proxy_auth=proxy_auth,
            proxy_headers=self.proxy_headers,
            ssl=self.ssl,
            server_hostname=self.server_hostname,
            session=session,
            traces=self.traces,
        )

    def _add_cookies(self, headers: CIMultiDict[str], url: URL) -> None:
        jar = self.session._cookie_jar
        if not len(jar) and not self.cookies:
            return
        if hdrs.COOKIE in headers:
            return
        if self.cookies:
            jar = CookieJar(quote_cookie=jar.quote_cookie)
            jar.update_cookies(self.session._cookie_jar.filter_cookies(url))
            jar.update_cookies(self.cookies)
        cookies = jar.filter_cookies(url)
        if cookies:
            headers[hdrs.COOKIE] = "; ".join(
                f"{morsel.key}={morsel.coded_value}" for morsel in cookies.values()
            )

    async def _send_through_middlewares(self, request: ClientRequest) -> ClientResponse:
        handler: ClientHandlerType = self._send_once
        for middleware in reversed(self.middlewares):
            handler = _bind_middleware(middleware, handler)
        return await handler(request)

    async def _send_once(self, request: ClientRequest) -> ClientResponse:
        """Connect, write and read the head; a stale pooled socket is retried once."""
        connector = self.session._connector
        if connector is None:
            raise RuntimeError("Session is closed")
        traces = self.traces
        for attempt in (1, 2):
            # An idle pooled connection needs no await; only a new one goes the long way.
            connection = None if traces else connector._reuse_idle(request.connection_key)
            if connection is None:
                connection = await self._connect(connector, request)
            protocol = connection.protocol
            assert protocol is not None
            reused = protocol.responses_read > 0
            protocol.start_response(
                request.method,
                self.read_until_eof,
                self.auto_decompress,
                self.read_bufsize,
                self.timeout.sock_read,
                self.max_line_size,
                self.max_field_size,
                self.max_headers,
                request.expect100,
            )
            try:
                response = await request.send(connection) if traces else request._write(connection)
                message, payload = await protocol.head_future()
                response._attach(connection, message, payload)
                return response
            except (ServerDisconnectedError, ClientOSError):
                connection.close()
                retry = attempt == 1 and reused and request.method in _IDEMPOTENT
                if not retry or (request.body is not None and not request.body.reusable):
                    raise
            except BaseException:
                connection.close()
                raise
        raise AssertionError("unreachable")

    async def _connect(self, connector: BaseConnector, request: ClientRequest) -> Connection:
        connect_timeout = self.timeout.connect
        if connect_timeout is None:
            return await connector.connect(request, self.traces, self.timeout)
        try:
            async with asyncio.timeout(connect_timeout):
                return await connector.connect(request, self.traces, self.timeout)
        except TimeoutError as exc:
            if isinstance(exc, ConnectionTimeoutError):
                raise
            raise ConnectionTimeoutError(
                f"Connection timeout to host {request.url.host_port_subcomponent}"
            ) from exc


def _split_proxy(
    proxy: str | URL | None, proxy_auth: BasicAuth | None
) -> tuple[URL | None, BasicAuth | None]:
    """A proxy URL without credentials; credentials in it stand in for a missing proxy_auth."""
    if proxy is None:
        return None, proxy_auth
    try:
        url = URL(proxy) if not isinstance(proxy, URL) else proxy
    except ValueError as exc:
        raise InvalidUrlClientError(proxy) from exc
    if url.raw_user or url.raw_password:
        url, url_auth = strip_auth_from_url(url)
        proxy_auth = proxy_auth or url_auth
    return url, proxy_auth


def _bind_middleware(middleware: ClientMiddlewareType, handler: ClientHandlerType) -> Any:
    async def call(request: ClientRequest) -> ClientResponse:
        return await middleware(request, handler)

    return call


def _without_content_headers(headers: Any) -> Any:
    """A body dropped on redirect takes the fields that described it along."""
    if not headers:
        return headers
    cleaned = CIMultiDict(headers)
    for name in (
        hdrs.CONTENT_LENGTH, hdrs.CONTENT_TYPE, hdrs.CONTENT_ENCODING, hdrs.TRANSFER_ENCODING
    ):
        cleaned.popall(name, None)
    return cleaned


async def _drain_redirect(response: ClientResponse) -> None:
    """Read a small redirect body so its connection can be reused; drop a large one."""
    content_length = response.content_length
    if content_length is not None and content_length <= 64 * 1024:
        # Straight from the stream: aiohttp sends no chunk-received signal for this body.
        with suppress(ClientConnectionError, asyncio.IncompleteReadError):
            await response.content.read()
    response.release()


class _BaseRequestContextManager(Coroutine[Any, Any, _T], Generic[_T]):
    """Lets ``session.get()`` be awaited or used with ``async with``."""

    __slots__ = ("_coro", "_resp")

    def __init__(self, coro: Coroutine[Any, Any, _T]) -> None:
        self._coro = coro
        self._resp: _T | None = None

    def send(self, arg: None) -> Any:
        return self._coro.send(arg)

    def throw(self, *args: Any) -> Any:
        return self._coro.throw(*args)

    def close(self) -> None:
        self._coro.close()

    def __await__(self) -> Generator[Any, None, _T]:
        return self._coro.__await__()

    def __iter__(self) -> Generator[Any, None, _T]:
        return self.__await__()

    async def __aenter__(self) -> _T:
        self._resp = await self._coro
        return self._resp


class _RequestContextManager(_BaseRequestContextManager[ClientResponse]):
    __slots__ = ()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        response = self._resp
        assert response is not None
        response.release()
        if response._writer is not None:
            await response.wait_for_close()


class _WSRequestContextManager(_BaseRequestContextManager[ClientWebSocketResponse]):
    __slots__ = ()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._resp is not None
        await self._resp.close()


class _SessionRequestContextManager:
    """``aiohttp_clone.request(...)``: a one-off session closed with the response."""

    __slots__ = ("_coro", "_resp", "_session")

    def __init__(self, coro: Coroutine[Any, Any, ClientResponse], session: ClientSession) -> None:
        self._coro = coro
        self._resp: ClientResponse | None = None
        self._session = session

    async def __aenter__(self) -> ClientResponse:
        try:
            self._resp = await self._coro
        except BaseException:
            await self._session.close()
            raise
        return self._resp

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._resp is not None
        self._resp.release()
        await self._session.close()

    def __await__(self) -> Generator[Any, None, ClientResponse]:
        return self.__aenter__().__await__()


def request(
    method: str,
    url: str | URL,
    *,
    version: HttpVersion = HttpVersion11,
    connector: BaseConnector | None = None,
    loop: asyncio.AbstractEventLoop | None = None,
    **kwargs: Any,
) -> _SessionRequestContextManager:
    """One request with a throwaway session: ``async with aiohttp_clone.request(...) as r``."""
    connector_owner = connector is None
    if connector is None:
        connector = TCPConnector(force_close=True)
    session_kwargs = {
        name: kwargs.pop(name)
        for name in ("cookies", "auth", "timeout", "raise_for_status", "trust_env")
        if name in kwargs
    }
    session = ClientSession(
        loop=loop, version=version, connector=connector, connector_owner=connector_owner,
        **session_kwargs,
    )
    return _SessionRequestContextManager(session._request(method, url, **kwargs), session)

