"""One request's journey through the session: redirects, middlewares, pool, write, head.

``RequestPipeline.run`` follows redirects; each hop is built by ``_build_request``, passed
through the middlewares and sent by ``_send_once``, which takes an idle pooled connection
without awaiting and retries once a stale keep-alive socket for idempotent requests.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping
from contextlib import suppress
from typing import TYPE_CHECKING, Any

from multidict import CIMultiDict
from yarl import URL

from . import hdrs
from ._values import ClientTimeout
from .client_exceptions import (
    ClientConnectionError,
    ClientOSError,
    ClientPayloadError,
    ClientResponseError,
    ConnectionTimeoutError,
    InvalidUrlRedirectClientError,
    NonHttpUrlRedirectClientError,
    ServerDisconnectedError,
    TooManyRedirects,
)
from .client_reqrep import ClientRequest, ClientResponse
from .connector import BaseConnector, Connection
from .cookiejar import CookieJar
from .helpers import BasicAuth, strip_auth_from_url
from .helpers_env import basicauth_from_netrc, get_env_proxy_for_url
from .tracing import Trace

if TYPE_CHECKING:
    from .client import ClientSession

_HTTP_SCHEMES = frozenset(("http", "https"))
_REDIRECT_STATUSES = frozenset((301, 302, 303, 307, 308))
_CREDENTIAL_HEADERS = (hdrs.AUTHORIZATION, hdrs.COOKIE, hdrs.PROXY_AUTHORIZATION)
_IDEMPOTENT = frozenset(("GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"))

ClientHandlerType = Callable[[ClientRequest], Awaitable[ClientResponse]]
ClientMiddlewareType = Callable[[ClientRequest, ClientHandlerType], Awaitable[ClientResponse]]


class RequestPipeline:
    """Everything one ``_request`` call fixed, shared by its redirect hops."""

    __slots__ = (
        "auto_decompress", "chunked", "compress", "cookies", "cross_origin", "expect100",
        "headers", "max_field_size", "max_headers", "max_line_size", "method",
        "middlewares", "proxy", "proxy_auth", "proxy_headers", "read_bufsize", "read_until_eof",
        "response", "server_hostname", "session", "skip_auto_headers", "ssl", "task",
        "timed_out", "timeout", "trace_headers", "traces",
    )

    def __init__(
        self,
        session: ClientSession,
        method: str,
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
        # What trace signals get as params.headers: set when there are traces (see run).
        self.trace_headers: CIMultiDict[str] = CIMultiDict()
        self.cross_origin = False  # set once a redirect left the first origin
        # The total deadline (client_timers.Deadlines): the task to cancel while the head is
        # awaited, then the response whose body read to abort.
        self.task: asyncio.Task[Any] | None = None
        self.response: ClientResponse | None = None
        self.timed_out = False

    def _on_deadline(self) -> None:
        """The total timeout passed: abort the body read, or cancel the request's task."""
        self.timed_out = True
        if self.response is not None:
            self.response._on_deadline()
        elif self.task is not None:
            self.task.cancel()

    async def run(
        self,
        url: URL,
        data: Any,
        auth: BasicAuth | None,
        allow_redirects: bool,
        max_redirects: int,
    ) -> ClientResponse:
        """Send, following redirects as the options allow; returns the final response."""
        history: list[ClientResponse] = []
        method = self.method
        if self.traces:
            # As in aiohttp, on_request_start gets the session's and the request's headers as
            # one live dict, and what a callback adds is sent (OpenTelemetry's traceparent).
            self.trace_headers = self.headers = self._merged_headers()
            for trace in self.traces:
                await trace.send_request_start(method, url, self.trace_headers)
        while True:
            request = self._build_request(method, url, data, auth)
            if self.middlewares:
                response = await self._send_through_middlewares(request)
            else:
                response = await self._send_once(request)
            cookie_headers = response._headers.getall(hdrs.SET_COOKIE, ())
            if cookie_headers:
                self.session._cookie_jar.update_cookies_from_headers(cookie_headers, response.url)
            if not (allow_redirects and response.status in _REDIRECT_STATUSES):
                break
            location = response.headers.get(hdrs.LOCATION) or response.headers.get(hdrs.URI)
            if not location:
                break
            for trace in self.traces:
                await trace.send_request_redirect(method, url, self.trace_headers, response)
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
            await trace.send_request_end(method, url, self.trace_headers, response)
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
        return target, auth  # a fragment stays in real_url; the request line never carries it

    def _merged_headers(self) -> CIMultiDict[str]:
        """The session's headers with the request's laid over them (no automatic ones)."""
        merged = CIMultiDict(self.session._default_headers)
        if self.headers:
            _overlay_headers(merged, self.headers)
        return merged

    def _build_request(
        self, method: str, url: URL, data: Any, auth: BasicAuth | None
    ) -> ClientRequest:
        session = self.session
        headers = session._prepare_headers(self.headers, url)
        if self.cross_origin:
            # Session and request headers alike: credentials stay with the first origin.
            for name in _CREDENTIAL_HEADERS:
                headers.popall(name, None)
        skipped = self.skip_auto_headers
        if skipped:
            given = _names(self.headers)
            for skip in skipped:
                folded = skip.lower()
                # Host is never skipped: RFC 9112 section 3.2 requires it (aiohttp sends it too).
                if folded not in given and folded != "host":
                    headers.popall(skip, None)
        if auth is not None and hdrs.AUTHORIZATION in headers:
            raise ValueError(
                "Cannot combine AUTHORIZATION header with AUTH argument or credentials "
                "encoded in URL"
            )
        if hdrs.CONNECTION not in headers:
            # Say what the connection will be: closed after the answer when the connector does
            # not keep connections, kept alive on HTTP/1.0 (whose default is to close), as
            # aiohttp does.
            version = session._version
            if session._connector is not None and session._connector._force_close:
                if version >= (1, 1):
                    headers[hdrs.CONNECTION] = "close"
            elif version == (1, 0):
                headers[hdrs.CONNECTION] = "keep-alive"
        if self.cookies or len(session._cookie_jar):
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
        # As ``request_class(...)``, minus the dict CPython packs a class call's twenty
        # keywords into (~0.4 us): ``__init__`` called as a method takes them as they are.
        request_class = session._request_class
        request = request_class.__new__(request_class)
        request.__init__(  # type: ignore[misc]
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
            skip_auto_headers=_both(self.skip_auto_headers, session._skip_auto_headers),
        )
        return request

    def _add_cookies(self, headers: CIMultiDict[str], url: URL) -> None:
        jar = self.session._cookie_jar
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
            protocol = connection._protocol
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
                head_waiter = protocol._head_waiter  # set by start_response above
                assert head_waiter is not None
                message, payload = await head_waiter
                response._attach(connection, message, payload)
                return response
            except (ServerDisconnectedError, ClientOSError):
                connection.close()
                retry = attempt == 1 and reused and request.method in _IDEMPOTENT
                if not retry or (request.body is not None and not request.body.reusable):
                    raise
            except ClientResponseError as exc:
                connection.close()
                if exc.request_info is None:  # raised by the connection, which cannot know it
                    exc.request_info = request.request_info
                    exc.args = (exc.request_info, exc.history)
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


def _pairs(headers: Any) -> Iterable[tuple[str, str]]:
    """(name, value) pairs of headers given as a mapping or as pairs, as aiohttp accepts both."""
    return headers.items() if isinstance(headers, Mapping) else headers


def _overlay_headers(result: CIMultiDict[str], headers: Any) -> None:
    """Lay ``headers`` (a mapping or pairs) over ``result``: the first value of a name replaces
    what ``result`` had for it, further values of the same name are added."""
    replaced: set[str] = set()
    for name, value in _pairs(headers):
        folded = name.lower()
        if folded in replaced:
            result.add(name, value)
        else:
            result[name] = value
            replaced.add(folded)


def _both(first: Iterable[str] | None, second: Iterable[str]) -> Iterable[str] | None:
    """The request's and the session's skipped names (usually neither has any)."""
    if first and second:
        return (*first, *second)
    return first or second or None


def _names(headers: Any) -> frozenset[str]:
    """The lower-cased names of headers given as a mapping or as pairs."""
    return frozenset(name.lower() for name, _ in _pairs(headers)) if headers else frozenset()


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
