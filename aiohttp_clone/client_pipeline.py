"""One request's journey through the session: redirects, middlewares, pool, write, head.

``RequestPipeline.run`` follows redirects; each hop is built by ``_build_request``, passed
through the middlewares and sent by ``_send_once``, which takes an idle pooled connection
without awaiting and retries once a stale keep-alive socket for idempotent requests.

The pipeline works from a ``SessionConfig`` (what the session fixed when it was created) and
the options of its own request; it never sees the session object itself.
"""

from __future__ import annotations

import asyncio
import netrc
from collections.abc import Awaitable, Callable, Iterable, Mapping
from contextlib import suppress
from typing import Any

from multidict import CIMultiDict, istr
from yarl import URL

from . import hdrs
from ._http.head import HeadCache
from ._http.messages import HttpVersion
from ._http.rules import IDEMPOTENT_METHODS
from ._values import (
    BasicAuth,
    ClientTimeout,
    ReadOptions,
    SSLValue,
    active_timeout,
    strip_auth_from_url,
)
from .abc import AbstractCookieJar
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
from .client_response import drain_and_release
from .client_upload import UploadTracker
from .connector import BaseConnector, Connection
from .cookiejar import CookieJar
from .helpers_env import basicauth_from_netrc, get_env_proxy_for_url
from .tracing import Trace

__all__ = (
    "ClientHandlerType",
    "ClientMiddlewareType",
    "RequestPipeline",
    "SessionConfig",
    "resends",
)

_HTTP_SCHEMES = frozenset(("http", "https"))
_REDIRECT_STATUSES = frozenset((301, 302, 303, 307, 308))
_NO_HOP: tuple[str, URL] = ("", URL())
_CREDENTIAL_HEADERS = (hdrs.AUTHORIZATION, hdrs.COOKIE, hdrs.PROXY_AUTHORIZATION)
_REDIRECT_DRAIN_IGNORES = (ClientConnectionError, asyncio.IncompleteReadError)

ClientHandlerType = Callable[[ClientRequest], Awaitable[ClientResponse]]
ClientMiddlewareType = Callable[[ClientRequest, ClientHandlerType], Awaitable[ClientResponse]]


class SessionConfig:
    """What a session fixed at creation and every request of it shares, in one object.

    Immutable by convention: only the session builds one (and replaces it with ``evolve`` when
    a deprecated setter changes a field). ``default_headers`` is the session's live
    ``headers`` mapping, which users may change between requests.
    """

    __slots__ = (
        "auto_headers", "connection_field", "connector", "cookie_jar", "default_headers",
        "default_proxy",
        "default_proxy_auth", "head_cache", "loop", "netrc", "owner", "request_class",
        "requote_redirect_url", "response_class", "skip_auto_headers", "trust_env", "version",
    )  # fmt: skip

    def __init__(
        self,
        *,
        loop: asyncio.AbstractEventLoop,
        connector: BaseConnector,
        version: HttpVersion,
        request_class: type[ClientRequest],
        response_class: type[ClientResponse],
        cookie_jar: AbstractCookieJar,
        default_headers: CIMultiDict[str],
        auto_headers: CIMultiDict[str],
        skip_auto_headers: frozenset[istr],
        default_proxy: URL | None,
        default_proxy_auth: BasicAuth | None,
        trust_env: bool,
        netrc: netrc.netrc | None,
        requote_redirect_url: bool,
        owner: Any,
    ) -> None:
        self.loop = loop
        self.connector = connector
        self.version = version
        self.request_class = request_class
        self.response_class = response_class
        self.cookie_jar = cookie_jar
        self.default_headers = default_headers
        self.auto_headers = auto_headers
        """Accept, Accept-Encoding and User-Agent, minus the session's skip_auto_headers."""
        self.skip_auto_headers = skip_auto_headers
        self.default_proxy = default_proxy
        self.default_proxy_auth = default_proxy_auth
        self.trust_env = trust_env
        self.netrc = netrc
        self.requote_redirect_url = requote_redirect_url
        self.owner = owner
        """The session, handed to requests and responses as their ``session`` (aiohttp's API)."""
        self.head_cache = HeadCache()
        self.connection_field = _connection_field(connector.force_close, version)
        """The Connection value every request announces unless it sets one, or None."""

    def evolve(self, **changes: Any) -> SessionConfig:
        """A copy with ``changes`` applied (the head cache is shared)."""
        copy = SessionConfig.__new__(SessionConfig)
        for name in SessionConfig.__slots__:
            setattr(copy, name, changes.get(name, getattr(self, name)))
        return copy


class RequestPipeline:
    """Everything one ``_request`` call fixed, shared by its redirect hops."""

    __slots__ = (
        "chunked",
        "compress",
        "config",
        "cookies",
        "cross_origin",
        "deadline",
        "expect100",
        "headers",
        "last_hop",
        "method",
        "middlewares",
        "proxy",
        "proxy_auth",
        "proxy_headers",
        "read_options",
        "response",
        "server_hostname",
        "skip_auto_headers",
        "ssl",
        "task",
        "timed_out",
        "timeout",
        "trace_headers",
        "traces",
        "upload_tracker",
    )  # fmt: skip

    # The session calls ``__init__`` as a method on ``__new__``'s result: a class called with
    # keywords has them packed into a dict first, which costs on every request.
    def __init__(
        self,
        config: SessionConfig,
        *,
        method: str,
        headers: Any,
        cookies: Any,
        skip_auto_headers: Iterable[str] | None,
        compress: str | bool | None,
        chunked: bool | None,
        expect100: bool,
        proxy: URL | None,
        proxy_auth: BasicAuth | None,
        proxy_headers: CIMultiDict[str] | None,
        ssl: SSLValue,
        server_hostname: str | None,
        timeout: ClientTimeout,
        read_options: ReadOptions,
        middlewares: tuple[ClientMiddlewareType, ...],
        traces: list[Trace],
        upload_tracker: UploadTracker | None,
    ) -> None:
        self.config = config
        self.method = method
        self.headers = headers
        self.cookies = cookies
        # Walked at every hop, so an iterator the caller passed is taken once.
        self.skip_auto_headers = None if skip_auto_headers is None else tuple(skip_auto_headers)
        self.compress = compress
        self.chunked = chunked
        self.expect100 = expect100
        self.proxy = proxy
        self.proxy_auth = proxy_auth
        self.proxy_headers = proxy_headers
        self.ssl = ssl
        self.server_hostname = server_hostname
        self.timeout = timeout
        self.read_options = read_options
        self.middlewares = middlewares
        self.traces = traces
        self.upload_tracker = upload_tracker
        # What trace signals get as params.headers: set when there are traces (see run).
        self.trace_headers: CIMultiDict[str] = CIMultiDict()
        self.cross_origin = False  # set once a redirect left the first origin
        # The total deadline (client_timers.Deadlines): the task to cancel while the head is
        # awaited, then the response whose body read to abort.
        self.task: asyncio.Task[Any] | None = None
        self.deadline: float | None = None  # the loop time it expires at, when armed
        self.response: ClientResponse | None = None
        self.timed_out = False
        self.last_hop = _NO_HOP  # the final method and URL, once run() has them

    def expire(self) -> None:
        """The total timeout passed: abort the body read, or cancel the request's task."""
        self.timed_out = True
        response = self.response
        if response is not None:
            connection = response.connection
            if connection is not None and connection.protocol is not None:
                connection.protocol.set_exception(TimeoutError())
            response.close()
        elif self.task is not None:
            self.task.cancel()

    async def start(self, url: URL) -> None:
        """Fire ``on_request_start`` (the session calls it when there are traces); as in
        aiohttp, a callback failing here is not reported to ``on_request_exception``."""
        # As in aiohttp, on_request_start gets the session's and the request's headers as one
        # live dict, and what a callback adds is sent (OpenTelemetry's traceparent).
        self.trace_headers = self.headers = self._merged_headers()
        try:
            for trace in self.traces:
                await trace.send_request_start(self.method, url, self.trace_headers)
        except BaseException:
            if self.upload_tracker is not None:
                self.upload_tracker._finalize()  # no attempt follows: its future settles
            raise

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
        try:
            while True:
                request = self._build_request(method, url, data, auth)
                try:
                    if self.middlewares:
                        response = await self._send_through_middlewares(request)
                    else:
                        response = await self._send_once(request)
                except BaseException:
                    await request.close_body()
                    raise
                self._store_cookies(response)
                if not (allow_redirects and response.status in _REDIRECT_STATUSES):
                    break
                location = _redirect_location(response)
                if location is None:
                    break
                for trace in self.traces:
                    await trace.send_request_redirect(method, url, self.trace_headers, response)
                history.append(response)
                next_url, location_auth = self._redirect_url(url, location)
                method, data = await self._follow(request, response, history, max_redirects)
                if next_url.origin() != url.origin():
                    # Credentials and cookies given for one origin are not sent to another;
                    # the jar still sends the new origin its own cookies.
                    auth = None
                    self.cookies = None
                    self.cross_origin = True
                auth = location_auth or auth
                url = next_url
        finally:
            if self.upload_tracker is not None:
                self.upload_tracker._finalize()
        if request.has_payload:
            await request.close_body()
        response._history = tuple(history)
        if self.traces:
            self.last_hop = (method, url)  # what on_request_end reports (see finish)
        return response

    async def finish(self, response: ClientResponse) -> None:
        """Fire ``on_request_end``; the session calls it once the status check passed (as
        aiohttp does: a response raise_for_status refuses is an exception, not an end)."""
        method, url = self.last_hop
        for trace in self.traces:
            await trace.send_request_end(method, url, self.trace_headers, response)

    def _store_cookies(self, response: ClientResponse) -> None:
        """What the response set goes to the jar; a jar that fails must not keep the
        connection."""
        cookie_headers = response.headers.getall(hdrs.SET_COOKIE, ())
        if cookie_headers:
            try:
                self.config.cookie_jar.update_cookies_from_headers(cookie_headers, response.url)
            except BaseException:
                response.close()
                raise

    async def _follow(
        self,
        request: ClientRequest,
        response: ClientResponse,
        history: list[ClientResponse],
        max_redirects: int,
    ) -> tuple[str, Any]:
        """Finish the redirect response and say what the next hop sends: method and body
        (a body that is not resent is closed now)."""
        try:
            _check_redirect_count(history, max_redirects)
            method, data = self._redirect_method(response.status, request)
        except BaseException:
            response.close()
            await request.close_body()
            raise
        await drain_and_release(response, _REDIRECT_DRAIN_IGNORES)
        if data is None:
            await request.close_body()
        return method, data

    # -- redirects ----------------------------------------------------------------------------

    def _redirect_method(self, status: int, request: ClientRequest) -> tuple[str, Any]:
        """303 turns anything but HEAD into GET; 301/302 turn POST into GET (as browsers do).

        Otherwise the method and body are kept: the same payload is sent again, which needs a
        body that can be replayed.
        """
        method = request.method
        if (status == 303 and method != hdrs.METH_HEAD) or (
            status in (301, 302) and method == hdrs.METH_POST
        ):
            self.headers = _without_content_headers(self.headers)
            return hdrs.METH_GET, None
        if not request.body_replayable:
            raise ClientPayloadError(
                f"Cannot follow a {status} redirect from {request.url}: the request body "
                f"({type(request.body).__name__}) can only be sent once. Use bytes or a "
                "seekable file, or allow_redirects=False."
            )
        return method, request.body or None

    def _redirect_url(self, url: URL, location: str) -> tuple[URL, BasicAuth | None]:
        """Resolve ``location`` against ``url``; credentials in it become the next hop's auth."""
        encoded = not self.config.requote_redirect_url
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

    # -- building a hop -----------------------------------------------------------------------

    def _merged_headers(self) -> CIMultiDict[str]:
        """The session's headers with the request's laid over them (no automatic ones)."""
        merged = CIMultiDict(self.config.default_headers)
        if self.headers:
            _overlay_headers(merged, self.headers)
        return merged

    def _request_headers(self, url: URL, auth: BasicAuth | None) -> CIMultiDict[str]:
        """Every field of one hop but those the request object adds (auth, body, proxy).

        Host and the automatic fields, replaced by the session's headers, then by the
        request's: a name given at a later level replaces every earlier value of it.
        """
        config = self.config
        # Host is never skipped: RFC 9112 section 3.2 requires it, and aiohttp sends it too.
        headers: CIMultiDict[str] = CIMultiDict()
        headers[hdrs.HOST] = url.host_port_subcomponent or ""
        headers.extend(config.auto_headers)
        # session.headers stays live (users change it between requests), so it is read here.
        if config.default_headers:
            _overlay_headers(headers, config.default_headers)
        if self.headers:
            _overlay_headers(headers, self.headers)
        if self.cross_origin:
            # Session and request headers alike: credentials stay with the first origin.
            for name in _CREDENTIAL_HEADERS:
                headers.popall(name, None)
        if self.skip_auto_headers:
            self._skip_auto_headers(headers, self.skip_auto_headers)
        if auth is not None and hdrs.AUTHORIZATION in headers:
            raise ValueError(
                "Cannot combine AUTHORIZATION header with AUTH argument or credentials "
                "encoded in URL"
            )
        if config.connection_field is not None and hdrs.CONNECTION not in headers:
            headers[hdrs.CONNECTION] = config.connection_field
        if self.cookies or len(config.cookie_jar):
            self._add_cookies(headers, url)
        return headers

    def _skip_auto_headers(self, headers: CIMultiDict[str], skipped: Iterable[str]) -> None:
        """Drop the automatic fields this request asked to skip (unless it gave them itself)."""
        given = _names(self.headers)
        for skip in skipped:
            folded = skip.lower()
            # Host is never skipped: RFC 9112 section 3.2 requires it (aiohttp sends it too).
            if folded not in given and folded != "host":
                headers.popall(skip, None)

    def _add_cookies(self, headers: CIMultiDict[str], url: URL) -> None:
        jar = self.config.cookie_jar
        if hdrs.COOKIE in headers:
            return
        if self.cookies:
            session_jar = jar
            jar = CookieJar(quote_cookie=session_jar.quote_cookie)
            jar.update_cookies(session_jar.filter_cookies(url))
            jar.update_cookies(self.cookies)
        cookies = jar.filter_cookies(url)
        if cookies:
            headers[hdrs.COOKIE] = "; ".join(
                f"{morsel.key}={morsel.coded_value}" for morsel in cookies.values()
            )

    def _fallback_proxy(self, url: URL) -> tuple[URL | None, BasicAuth | None]:
        """For a request that names no proxy: the session's, else (with trust_env) the
        environment's, else none."""
        config = self.config
        if config.default_proxy is not None:
            return config.default_proxy, self.proxy_auth or config.default_proxy_auth
        if config.trust_env:
            with suppress(LookupError):
                return get_env_proxy_for_url(url)
        return None, self.proxy_auth

    def _build_request(
        self, method: str, url: URL, data: Any, auth: BasicAuth | None
    ) -> ClientRequest:
        """The ``request_class`` instance for one hop."""
        config = self.config
        headers = self._request_headers(url, auth)
        proxy, proxy_auth = self.proxy, self.proxy_auth
        if proxy is None and (config.default_proxy is not None or config.trust_env):
            proxy, proxy_auth = self._fallback_proxy(url)
        if auth is None and config.netrc is not None and hdrs.AUTHORIZATION not in headers:
            with suppress(LookupError):
                auth = basicauth_from_netrc(config.netrc, url.host or "")
        # As ``request_class(...)``, minus the dict CPython packs a class call's twenty
        # keywords into (~0.4 us): ``__init__`` called as a method takes them as they are.
        skipped: Iterable[str] | None = self.skip_auto_headers  # the request's, then the session's
        if skipped and config.skip_auto_headers:
            skipped = (*skipped, *config.skip_auto_headers)
        elif not skipped:
            skipped = config.skip_auto_headers or None
        request_class = config.request_class
        request = request_class.__new__(request_class)
        request.__init__(  # type: ignore[misc]
            method,
            url,
            headers=headers,
            data=data,
            auth=auth,
            version=config.version,
            compress=self.compress,
            chunked=self.chunked,
            expect100=self.expect100,
            loop=config.loop,
            response_class=config.response_class,
            proxy=proxy,
            proxy_auth=proxy_auth,
            proxy_headers=self.proxy_headers,
            ssl=self.ssl,
            server_hostname=self.server_hostname,
            session=config.owner,
            traces=self.traces,
            skip_auto_headers=skipped,
        )
        request.head_cache = config.head_cache
        request.upload_tracker = self.upload_tracker
        request.deadline = self.deadline
        return request

    # -- sending a hop --------------------------------------------------------------------------

    async def _send_through_middlewares(self, request: ClientRequest) -> ClientResponse:
        handler: ClientHandlerType = self._send_once
        for middleware in reversed(self.middlewares):
            handler = _bind_middleware(middleware, handler)
        return await handler(request)

    async def _send_once(self, request: ClientRequest) -> ClientResponse:
        """Connect, write and read the head; a stale pooled socket is retried once."""
        connector = self.config.connector
        traces = self.traces
        tracker = self.upload_tracker
        for attempt in (1, 2):
            if tracker is not None:
                request.upload_attempt = tracker._attempt_started()
            # An idle pooled connection needs no await; only a new one goes the long way.
            connection = None if traces else connector.reuse_idle(request.connection_key)
            if connection is None:
                connection = await self._connect(connector, request)
            protocol = connection.protocol
            assert protocol is not None
            head = protocol.start_response(request.method, self.read_options, request.expect100)
            try:
                response = await request.send(connection) if traces else request.dispatch(
                    connection
                )
                message, payload = await head
                response.attach(connection, message, payload)
                return response
            except (ServerDisconnectedError, ClientOSError) as exc:
                # Closed before an answer: sent once more when ``resends`` says so, on a
                # pooled connection (likely stale) or a new one alike.
                connection.close()
                if attempt == 2 or not resends(request, exc):
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
        connect_timeout = active_timeout(self.timeout.connect)
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


def _connection_field(force_close: bool, version: HttpVersion) -> str | None:
    """What the connection will be, said as aiohttp says it: closed after the answer when the
    connector keeps no connections, kept alive on HTTP/1.0 (whose default is to close)."""
    if force_close:
        return "close" if version >= (1, 1) else None
    return "keep-alive" if version == (1, 0) else None


def _redirect_location(response: ClientResponse) -> str | None:
    """Where a redirect response points (Location, or the obsolete URI), if anywhere."""
    headers = response.headers
    return headers.get(hdrs.LOCATION) or headers.get(hdrs.URI) or None


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


def _check_redirect_count(history: list[ClientResponse], max_redirects: int) -> None:
    """``max_redirects=N`` follows N redirects; the one after that is an error."""
    if len(history) > max_redirects:
        response = history[-1]
        raise TooManyRedirects(
            history[0].request_info, tuple(history), status=response.status,
            message="Too many redirects", headers=response.headers,
        )


def resends(request: ClientRequest, exc: BaseException) -> bool:
    """Whether ``request``, closed on before its answer came (``exc``), is sent once more over
    another connection, as aiohttp does: only an idempotent request whose body can go again.
    The mock transport of ``aiohttp_clone.testing`` asks it too, to foresee that resend."""
    return (
        isinstance(exc, (ServerDisconnectedError, ClientOSError))
        and request.method in IDEMPOTENT_METHODS
        and request.body_replayable
    )

