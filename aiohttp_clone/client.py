"""``ClientSession``: the public entry point.

The per-session work (default headers, skip sets, timeouts, timers) is done once in
``__init__``, so the per-request path (``client_pipeline.py``) only copies and fills in.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sys
import warnings
from collections.abc import Awaitable, Callable, Iterable, Sequence
from types import TracebackType
from typing import Any, Unpack

from multidict import CIMultiDict, istr
from yarl import URL

from . import hdrs
from ._http.content_coding import ACCEPT_ENCODING
from ._http.messages import HttpVersion, HttpVersion11
from ._values import DEFAULT_TIMEOUT, ClientTimeout, ReadOptions, SSLValue, active_timeout
from .abc import AbstractCookieJar

# `X as X`: re-exported at aiohttp's path, for user annotations and option-forwarding wrappers.
from .client_arguments import (
    checked_base_url,
    foreign_connector_message,
    request_proxy,
    split_proxy,
    warn_auth_deprecated,
    warn_deprecated_arguments,
)
from .client_cm import _BaseRequestContextManager as _BaseRequestContextManager
from .client_cm import _RequestContextManager as _RequestContextManager
from .client_cm import _SessionRequestContextManager as _SessionRequestContextManager
from .client_cm import _WSRequestContextManager as _WSRequestContextManager
from .client_exceptions import InvalidUrlClientError, NonHttpUrlClientError
from .client_options import _GetOptions, _OneOffRequestOptions, _PostOptions
from .client_options import _RequestOptions as _RequestOptions
from .client_options import _WSConnectOptions as _WSConnectOptions
from .client_pipeline import ClientMiddlewareType, RequestPipeline, SessionConfig
from .client_reqrep import ClientRequest, JsonBody
from .client_response import ClientResponse, _default_fallback_charset
from .client_timers import Deadlines
from .client_upload import UploadTracker
from .client_ws import ClientWebSocketResponse
from .client_ws_connect import ws_connect
from .connector import BaseConnector, TCPConnector
from .connector_tls import resolve_ssl
from .cookiejar import CookieJar
from .helpers import _SENTINEL, BasicAuth, sentinel, strip_auth_from_url
from .helpers_env import netrc_from_env
from .tracing import Trace, TraceConfig
from .typedefs import StrOrURL

__all__ = ("ClientSession", "ClientTimeout", "request")

_HTTP_SCHEMES = frozenset(("http", "https"))
_WS_SCHEMES = frozenset(("ws", "wss"))
_ALLOWED_SCHEMES = _HTTP_SCHEMES | _WS_SCHEMES
_URL_CACHE_SIZE = 256  # request URLs remembered per session; cleared when full
_USER_AGENT = f"Python/{sys.version_info[0]}.{sys.version_info[1]} aiohttp_clone/0.1.0"


class ClientSession:
    """A pool of connections and the defaults shared by the requests made through it."""

    _connector: BaseConnector | None = None  # set early so __del__ is safe after a failed init
    # aiohttp's names, and the attributes this class sets: assigning any other attribute warns
    # as in aiohttp (a typo in a subclass, or code poking at a session it should configure).
    ATTRS = frozenset(
        (
            "_base_url", "_base_url_origin", "_source_traceback", "_connector", "_loop",
            "_cookie_jar", "_connector_owner", "_default_auth", "_version", "_json_serialize",
            "_json_serialize_bytes", "_requote_redirect_url", "_timeout", "_raise_for_status",
            "_auto_decompress", "_trust_env", "_default_headers", "_skip_auto_headers",
            "_request_class", "_response_class", "_ws_response_class", "_trace_configs",
            "_read_bufsize", "_max_line_size", "_max_field_size", "_max_headers",
            "_resolve_charset", "_default_proxy", "_default_proxy_auth", "_retry_connection",
            "_middlewares", "requote_redirect_url",
            # this implementation's own
            "_config", "_read_options", "_deadlines", "_urls", "_total_is_set",
        )
    )  # fmt: skip

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
        warn_deprecated_arguments(auth, proxy_auth, ssl_shutdown_timeout)
        self._loop = loop or asyncio.get_running_loop()
        self._base_url = checked_base_url(base_url)
        if connector is None:
            connector = TCPConnector(loop=self._loop)
        elif not isinstance(connector, BaseConnector):
            raise TypeError(foreign_connector_message(connector))
        self._connector = connector
        self._connector_owner = connector_owner
        self._timeout = self._resolve_timeout(timeout, read_timeout, conn_timeout)
        self._total_is_set = active_timeout(self._timeout.total) is not None
        cookie_jar = cookie_jar if cookie_jar is not None else CookieJar()
        if cookies:
            cookie_jar.update_cookies(cookies)
        self._default_auth = auth
        self._json_serialize = json_serialize
        self._json_serialize_bytes = json_serialize_bytes
        self._raise_for_status = raise_for_status
        self._read_options = ReadOptions(
            True, auto_decompress, read_bufsize, active_timeout(self._timeout.sock_read),
            max_line_size, max_field_size, max_headers,
        )  # fmt: skip
        self._resolve_charset = fallback_charset_resolver
        self._middlewares = tuple(middlewares)
        self._ws_response_class = ws_response_class
        self._trace_configs = list(trace_configs or ())
        for trace_config in self._trace_configs:
            trace_config.freeze()
        self._deadlines = Deadlines(self._loop)
        # Request URLs given as strings, parsed and checked (_build_url): most clients repeat
        # a few endpoints.
        self._urls: dict[str, URL] = {}
        skip = frozenset(istr(h) for h in skip_auto_headers or ())
        default_proxy, default_proxy_auth = split_proxy(proxy, proxy_auth)
        self._config = SessionConfig(
            loop=self._loop,
            connector=connector,
            version=version,
            request_class=request_class,
            response_class=response_class,
            cookie_jar=cookie_jar,
            default_headers=CIMultiDict(headers) if headers else CIMultiDict(),
            auto_headers=self._build_auto_headers(skip),
            skip_auto_headers=skip,
            default_proxy=default_proxy,
            default_proxy_auth=default_proxy_auth,
            trust_env=trust_env,
            netrc=netrc_from_env() if trust_env else None,
            requote_redirect_url=requote_redirect_url,
            owner=self,
        )

    @staticmethod
    def _resolve_timeout(
        timeout: object, read_timeout: object, conn_timeout: float | None
    ) -> ClientTimeout:
        """``timeout=``, or what the deprecated ``read_timeout``/``conn_timeout`` mean in
        aiohttp: the total and the connect timeout (giving both styles is an error)."""
        if timeout is not sentinel and timeout is not None:
            if not isinstance(timeout, ClientTimeout):
                raise ValueError(
                    f"timeout parameter cannot be of {type(timeout)} type, "
                    "please use 'timeout=ClientTimeout(...)'"
                )
            if read_timeout is not sentinel:
                raise ValueError(
                    "read_timeout and timeout parameters conflict, please setup timeout.read"
                )
            if conn_timeout is not None:
                raise ValueError(
                    "conn_timeout and timeout parameters conflict, please setup timeout.connect"
                )
            return timeout
        resolved = DEFAULT_TIMEOUT
        if read_timeout is not sentinel:
            warnings.warn("read_timeout is deprecated, use timeout argument instead",
                          DeprecationWarning, stacklevel=3)
            resolved = dataclasses.replace(resolved, total=read_timeout)  # type: ignore[arg-type]
        if conn_timeout is not None:
            warnings.warn("conn_timeout is deprecated, use timeout argument instead",
                          DeprecationWarning, stacklevel=3)
            resolved = dataclasses.replace(resolved, connect=conn_timeout)
        return resolved

    @staticmethod
    def _build_auto_headers(skip: frozenset[istr]) -> CIMultiDict[str]:
        """The automatic fields this session sends unless its own headers set them."""
        auto: CIMultiDict[str] = CIMultiDict()
        skipped = {name.lower() for name in skip}  # header names match in any case
        for name, value in (
            (hdrs.ACCEPT, "*/*"),
            (hdrs.ACCEPT_ENCODING, ACCEPT_ENCODING),
            (hdrs.USER_AGENT, _USER_AGENT),
        ):
            if name.lower() not in skipped:
                auto[name] = value
        return auto

    def __init_subclass__(cls) -> None:
        warnings.warn(
            f"Inheritance class {cls.__name__} from ClientSession is discouraged",
            DeprecationWarning,
            stacklevel=2,
        )

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in self.ATTRS:
            warnings.warn(
                f"Setting custom ClientSession.{name} attribute is discouraged",
                DeprecationWarning,
                stacklevel=2,
            )
        super().__setattr__(name, value)

    def __del__(self, _warnings: Any = warnings) -> None:
        if not self.closed:
            _warnings.warn(f"Unclosed client session {self!r}", ResourceWarning, source=self)

    # -- public attributes, by concern: the pool, what requests get, what responses get ------

    @property
    def closed(self) -> bool:
        """True after ``close()`` or ``detach()``, or once the connector was closed."""
        return self._connector is None or self._connector.closed

    @property
    def connector(self) -> BaseConnector | None:
        """The pool requests go through; None once the session is closed or detached."""
        return self._connector

    @property
    def connector_owner(self) -> bool:
        """Whether ``close()`` closes the connector too."""
        return self._connector_owner

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        warnings.warn("loop property is deprecated", DeprecationWarning, stacklevel=2)
        return self._loop

    @property
    def version(self) -> HttpVersion:
        """The HTTP version written in request lines."""
        return self._config.version

    @property
    def headers(self) -> CIMultiDict[str]:
        """The headers given to the session (the automatic ones are added per request)."""
        return self._config.default_headers

    @property
    def skip_auto_headers(self) -> frozenset[istr]:
        """Automatic headers this session never adds."""
        return self._config.skip_auto_headers

    @property
    def auth(self) -> BasicAuth | None:
        """Credentials sent to the first origin of each request (never after leaving it)."""
        return self._default_auth

    @property
    def json_serialize(self) -> Callable[[Any], str]:
        """Turns a ``json=`` argument into text."""
        return self._json_serialize

    @property
    def timeout(self) -> ClientTimeout:
        """The session-wide timeouts; a request's ``timeout=`` replaces them."""
        return self._timeout

    @property
    def trust_env(self) -> bool:
        """Whether proxies and netrc credentials are read from the environment."""
        return self._config.trust_env

    @property
    def trace_configs(self) -> list[TraceConfig]:
        """The tracing hooks, frozen when the session was created."""
        return self._trace_configs

    @property
    def raise_for_status(self) -> bool | Callable[[ClientResponse], Awaitable[None]]:
        """The default status check: off, on (>= 400 raises) or a coroutine to call."""
        return self._raise_for_status

    @property
    def auto_decompress(self) -> bool:
        """Whether bodies are decoded per Content-Encoding."""
        return self._read_options.auto_decompress

    @property
    def requote_redirect_url(self) -> bool:
        """Whether a redirect's Location is re-quoted before it is followed."""
        return self._config.requote_redirect_url

    @requote_redirect_url.setter
    def requote_redirect_url(self, value: bool) -> None:
        warnings.warn(
            "session.requote_redirect_url modification is deprecated #2778",
            DeprecationWarning,
            stacklevel=2,
        )
        self._config = self._config.evolve(requote_redirect_url=value)

    @property
    def cookie_jar(self) -> AbstractCookieJar:
        """Where cookies set by responses are kept and taken from."""
        return self._config.cookie_jar

    # -- lifecycle ------------------------------------------------------------------------

    async def close(self) -> None:
        """Close the connector if this session owns it."""
        self._deadlines.close()
        self._config.head_cache.clear()
        self._urls.clear()
        connector = self._connector
        if connector is not None and self._connector_owner and not connector.closed:
            await connector.close()
        self._connector = None

    def detach(self) -> None:
        """Forget the connector without closing it."""
        self._connector = None

    def __enter__(self) -> None:
        raise TypeError("Use async with instead")

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        pass  # never reached: __enter__ raises (defined so that "with" gets this far)

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
    # Each verb builds its context manager directly: they are the hot path. ``Unpack`` types
    # the options for the user's type checker only; ``**kwargs`` stays a plain dict at runtime.

    def request(
        self, method: str, url: StrOrURL, **kwargs: Unpack[_RequestOptions]
    ) -> _RequestContextManager:
        return _RequestContextManager(self._request(method, url, **kwargs))

    def get(
        self, url: StrOrURL, *, allow_redirects: bool = True, **kwargs: Unpack[_GetOptions]
    ) -> _RequestContextManager:
        return _RequestContextManager(
            self._request(hdrs.METH_GET, url, allow_redirects=allow_redirects, **kwargs)
        )

    def options(
        self, url: StrOrURL, *, allow_redirects: bool = True, **kwargs: Unpack[_GetOptions]
    ) -> _RequestContextManager:
        return _RequestContextManager(
            self._request(hdrs.METH_OPTIONS, url, allow_redirects=allow_redirects, **kwargs)
        )

    def head(
        self, url: StrOrURL, *, allow_redirects: bool = False, **kwargs: Unpack[_GetOptions]
    ) -> _RequestContextManager:
        return _RequestContextManager(
            self._request(hdrs.METH_HEAD, url, allow_redirects=allow_redirects, **kwargs)
        )

    def post(
        self, url: StrOrURL, *, data: Any = None, **kwargs: Unpack[_PostOptions]
    ) -> _RequestContextManager:
        return _RequestContextManager(self._request(hdrs.METH_POST, url, data=data, **kwargs))

    def put(
        self, url: StrOrURL, *, data: Any = None, **kwargs: Unpack[_PostOptions]
    ) -> _RequestContextManager:
        return _RequestContextManager(self._request(hdrs.METH_PUT, url, data=data, **kwargs))

    def patch(
        self, url: StrOrURL, *, data: Any = None, **kwargs: Unpack[_PostOptions]
    ) -> _RequestContextManager:
        return _RequestContextManager(self._request(hdrs.METH_PATCH, url, data=data, **kwargs))

    def delete(self, url: StrOrURL, **kwargs: Unpack[_RequestOptions]) -> _RequestContextManager:
        return _RequestContextManager(self._request(hdrs.METH_DELETE, url, **kwargs))

    def ws_connect(
        self, url: StrOrURL, **kwargs: Unpack[_WSConnectOptions]
    ) -> _WSRequestContextManager:
        return _WSRequestContextManager(ws_connect(self, url, **kwargs))

    # -- the pipeline ---------------------------------------------------------------------

    def _build_url(self, str_or_url: str | URL, params: Any) -> URL:
        if params or type(str_or_url) is not str:
            return self._parse_url(str_or_url, params)
        url = self._urls.get(str_or_url)
        if url is None:
            url = self._parse_url(str_or_url, None)
            if len(self._urls) >= _URL_CACHE_SIZE:
                self._urls.clear()
            self._urls[str_or_url] = url
        return url

    def _parse_url(self, str_or_url: str | URL, params: Any) -> URL:
        try:
            url = URL(str_or_url) if not isinstance(str_or_url, URL) else str_or_url
        except ValueError as exc:
            raise InvalidUrlClientError(str_or_url) from exc
        if self._base_url is not None and not url.absolute:
            url = self._base_url.join(url)
        if params:
            url = url.extend_query(params)
        scheme = url.scheme
        if scheme and scheme not in _ALLOWED_SCHEMES:
            raise NonHttpUrlClientError(url)  # mailto:, skype:handle, data:, ftp://...
        if not (scheme and url.absolute):
            raise InvalidUrlClientError(url)
        if not url.raw_host:
            raise InvalidUrlClientError(url, "URL has no host")
        return url

    # Not keyword-only, though every caller passes keywords: CPython fills the defaults of
    # keyword-only parameters with one dict lookup each, of the others with one tuple copy.
    async def _request(
        self,
        method: str,
        str_or_url: str | URL,
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
        upload_tracker: UploadTracker | None = None,
    ) -> ClientResponse:
        """Build the request's pipeline and run it (the verbs and ``request`` land here)."""
        connector = self._connector
        if connector is None or connector._closed:  # self.closed, without two property calls
            raise RuntimeError("Session is closed")
        if json is not None:
            data = self._json_payload(json, data)
        url = self._build_url(str_or_url, params)
        if (
            auth is not None
            or self._default_auth is not None
            or url.raw_user is not None
            or url.raw_password is not None
        ):
            url, auth = self._resolve_auth(url, auth)
        if proxy is not None or proxy_auth is not None:
            proxy, proxy_auth = request_proxy(proxy, proxy_auth)
        if ssl is not True or verify_ssl is not None or ssl_context is not None or fingerprint:
            ssl = resolve_ssl(ssl, verify_ssl, ssl_context, fingerprint)
        request_timeout = self._timeout if timeout is sentinel else self._request_timeout(timeout)
        pipeline = self._pipeline(
            method, headers, cookies, skip_auto_headers, compress, chunked, expect100, proxy,
            proxy_auth, proxy_headers, ssl, server_hostname, request_timeout,
            self._read_options if (
                read_until_eof and auto_decompress is None and (request_timeout is self._timeout
                or active_timeout(request_timeout.sock_read) == self._read_options.sock_read)
                and not (read_bufsize or max_line_size or max_field_size or max_headers)
            ) else self._read_options_for(
                request_timeout, read_until_eof, read_bufsize, auto_decompress,
                max_line_size, max_field_size, max_headers,
            ),
            middlewares, trace_request_ctx, upload_tracker,
        )  # fmt: skip
        if upload_tracker is not None:
            upload_tracker._bind()
        if pipeline.traces:
            await pipeline.start(url)
        # Under the total timeout, the pipeline is the deadline's entry (see client_timers).
        if request_timeout is self._timeout:
            deadlines = self._deadlines if self._total_is_set else None
        else:
            deadlines = self._deadlines if active_timeout(request_timeout.total) else None
        if deadlines is not None:
            pipeline.task = asyncio.current_task(self._loop)
            pipeline.deadline = deadlines.arm(pipeline, request_timeout)
        try:
            response = await pipeline.run(url, data, auth, allow_redirects, max_redirects)
            if raise_for_status is not None or self._raise_for_status:
                await self._check_status(response, raise_for_status)
            if pipeline.traces:
                await pipeline.finish(response)
        except BaseException as exc:
            await self._request_failed(pipeline, url, exc)
            raise
        if deadlines is not None:
            if response._connection is not None:
                # The body is still to come: the deadline now aborts its read.
                pipeline.response = response
                response._deadline = (deadlines, pipeline)
            else:
                deadlines.disarm(pipeline)
        return response

    def _pipeline(
        self,
        method: str,
        headers: Any,
        cookies: Any,
        skip_auto_headers: Iterable[str] | None,
        compress: str | bool | None,
        chunked: bool | None,
        expect100: bool,
        proxy: URL | None,
        proxy_auth: BasicAuth | None,
        proxy_headers: Any,
        ssl: SSLValue,
        server_hostname: str | None,
        timeout: ClientTimeout,
        read_options: ReadOptions,
        middlewares: Sequence[ClientMiddlewareType] | None,
        trace_request_ctx: object,
        upload_tracker: UploadTracker | None,
    ) -> RequestPipeline:
        """The pipeline of one ``_request`` call, with the session's defaults filled in."""
        pipeline = RequestPipeline.__new__(RequestPipeline)
        pipeline.__init__(  # type: ignore[misc]  # see RequestPipeline.__init__
            self._config,
            method=method.upper(),
            headers=headers,
            cookies=cookies,
            skip_auto_headers=skip_auto_headers,
            compress=compress,
            chunked=chunked,
            expect100=expect100,
            proxy=proxy,
            proxy_auth=proxy_auth,
            proxy_headers=CIMultiDict(proxy_headers) if proxy_headers else None,
            ssl=ssl,
            server_hostname=server_hostname,
            timeout=timeout,
            read_options=read_options,
            middlewares=self._middlewares if middlewares is None else tuple(middlewares),
            traces=self._make_traces(trace_request_ctx) if self._trace_configs else [],
            upload_tracker=upload_tracker,
        )
        return pipeline

    async def _request_failed(
        self, pipeline: RequestPipeline, url: URL, exc: BaseException
    ) -> None:
        """Disarm the deadline and tell the traces; the caller re-raises ``exc``, unless the
        total timeout cancelled the request, which becomes the TimeoutError raised here. (The
        upload tracker was finalized by ``run``, which every failure here came through.)"""
        if pipeline.deadline is not None:  # armed exactly when the total timeout is set
            self._deadlines.disarm(pipeline)
            if pipeline.timed_out and isinstance(exc, asyncio.CancelledError):
                task = asyncio.current_task(self._loop)
                if task is not None:
                    task.uncancel()
                raise TimeoutError() from None
        for trace in pipeline.traces:
            await trace.send_request_exception(pipeline.method, url, pipeline.trace_headers, exc)

    def _read_options_for(
        self,
        timeout: ClientTimeout,
        read_until_eof: bool,
        read_bufsize: int | None,
        auto_decompress: bool | None,
        max_line_size: int | None,
        max_field_size: int | None,
        max_headers: int | None,
    ) -> ReadOptions:
        """A copy of the session's read options with a request's overrides (None, or for the
        sizes 0, keeps the session's); ``_request`` takes the session's own when none is
        given, and for a ``timeout=`` whose sock_read is the session's (a copy would be equal
        field for field, and the connection's parser would compare it)."""
        session = self._read_options
        return ReadOptions(
            read_until_eof,
            session.auto_decompress if auto_decompress is None else auto_decompress,
            read_bufsize or session.read_bufsize,
            active_timeout(timeout.sock_read),
            max_line_size or session.max_line_size,
            max_field_size or session.max_field_size,
            max_headers or session.max_headers,
        )

    def _request_timeout(self, timeout: object) -> ClientTimeout:
        """As aiohttp: a number is the total timeout, None is no timeout at all."""
        if timeout is sentinel:
            return self._timeout
        if isinstance(timeout, ClientTimeout):
            return timeout
        return ClientTimeout(total=timeout)  # type: ignore[arg-type]

    def _json_payload(self, value: Any, data: Any) -> JsonBody:
        """``json=`` serialized; giving ``data=`` too is an error, as in aiohttp."""
        if data is not None:
            raise ValueError("data and json parameters can not be used at the same time")
        if self._json_serialize_bytes is not None:
            return JsonBody(self._json_serialize_bytes(value))
        return JsonBody(self._json_serialize(value).encode("utf-8"))

    def _resolve_auth(self, url: URL, auth: BasicAuth | None) -> tuple[URL, BasicAuth | None]:
        """Credentials in the URL become Basic auth; giving both is an error."""
        if auth is not None:
            warn_auth_deprecated(stacklevel=4)
        if url.user is not None or url.password is not None:
            url, url_auth = strip_auth_from_url(url)
            if auth is not None and url_auth is not None:
                raise ValueError("Cannot combine AUTH argument with credentials encoded in URL")
            auth = url_auth
        if auth is not None and not isinstance(auth, BasicAuth):
            raise TypeError("BasicAuth() tuple is required instead")
        if auth is None and self._default_auth is not None and (
            self._base_url is None or self._base_url.origin() == url.origin()
        ):
            # With a base_url, the session's credentials are for that origin only.
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
                await check(response)
            except BaseException:
                response.release()
                raise


def request(
    method: str,
    url: StrOrURL,
    *,
    version: HttpVersion = HttpVersion11,
    connector: BaseConnector | None = None,
    loop: asyncio.AbstractEventLoop | None = None,
    **kwargs: Unpack[_OneOffRequestOptions],
) -> _SessionRequestContextManager:
    """One request with a throwaway session: ``async with aiohttp_clone.request(...) as r``."""
    connector_owner = connector is None
    if connector is None:
        connector = TCPConnector(force_close=True)
    # The same dict seen untyped (no cast() call: zero cost), as some options move to the
    # throwaway session and the rest go on to _request.
    options: dict[str, Any] = kwargs  # type: ignore[assignment]
    session_kwargs = {
        name: options.pop(name)
        for name in ("cookies", "auth", "timeout", "raise_for_status", "trust_env")
        if name in options
    }
    session = ClientSession(
        loop=loop, version=version, connector=connector, connector_owner=connector_owner,
        **session_kwargs,
    )
    return _SessionRequestContextManager(session._request(method, url, **options), session)

