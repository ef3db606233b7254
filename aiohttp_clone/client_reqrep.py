"""What goes out (``ClientRequest``) and what comes back (``ClientResponse``).

A request is built once per hop by the session, serialized into one head, and written with
its body in as few transport writes as possible; the response reads its head from the
connection's protocol and exposes the body as a ``StreamReader``.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import json
import warnings
from collections.abc import Callable, Iterable
from http.cookies import SimpleCookie
from types import MappingProxyType, TracebackType
from typing import TYPE_CHECKING, Any

from multidict import CIMultiDict, CIMultiDictProxy, MultiDict, MultiDictProxy
from propcache import under_cached_property as reify
from yarl import URL

from . import hdrs
from ._http.content_coding import ACCEPT_ENCODING
from ._http.fields import (
    content_disposition_filename,
    content_type_and_charset,
    parse_content_disposition,
    parse_links,
)
from ._http.head import serialize_request_head
from ._http.messages import HttpVersion, HttpVersion11, RawResponseMessage
from ._http.set_cookie import parse_set_cookie
from ._values import (
    BasicAuth,
    ConnectionKey,
    ContentDisposition,
    Fingerprint,
    RequestInfo,
    SSLValue,
)
from .client_exceptions import (
    ClientConnectionError,
    ClientResponseError,
    ContentTypeError,
    InvalidURL,
)
from .formdata import FormData
from .http_writer import StreamWriter
from .payload import BytesPayload, Payload, get_payload
from .streams import StreamReader

if TYPE_CHECKING:
    from .client import ClientSession
    from .connector import Connection
    from .tracing import Trace

__all__ = (
    "ClientRequest",
    "ClientResponse",
    "ConnectionKey",
    "ContentDisposition",
    "Fingerprint",
    "RequestInfo",
)

_JSON_CONTENT_TYPE = "application/json"


class JsonBody(bytes):
    """A serialized ``json=`` argument: sent as application/json without a Payload object."""

    __slots__ = ()


_SMALL_BODY = 64 * 1024  # bodies up to this size go out in the same write as the head


def _default_port(url: URL) -> int:
    port = url.port
    if port is None:
        return 443 if url.scheme in ("https", "wss") else 80
    return port


class ClientRequest:
    """One HTTP request: method, URL, headers and body, ready to be written."""

    # The method groups and default fields aiohttp exposes on the class.
    GET_METHODS = {hdrs.METH_GET, hdrs.METH_HEAD, hdrs.METH_OPTIONS, hdrs.METH_TRACE}
    POST_METHODS = {hdrs.METH_PATCH, hdrs.METH_POST, hdrs.METH_PUT}
    ALL_METHODS = GET_METHODS | POST_METHODS | {hdrs.METH_DELETE}
    DEFAULT_HEADERS = {hdrs.ACCEPT: "*/*", hdrs.ACCEPT_ENCODING: ACCEPT_ENCODING}

    def __init__(
        self,
        method: str,
        url: URL,
        *,
        headers: CIMultiDict[str],
        data: Any = None,
        auth: BasicAuth | None = None,
        version: HttpVersion = HttpVersion11,
        compress: str | bool | None = None,
        chunked: bool | None = None,
        expect100: bool = False,
        loop: asyncio.AbstractEventLoop,
        response_class: type[ClientResponse] | None = None,
        proxy: URL | None = None,
        proxy_auth: BasicAuth | None = None,
        proxy_headers: CIMultiDict[str] | None = None,
        ssl: SSLValue = True,
        server_hostname: str | None = None,
        session: ClientSession | None = None,
        traces: list[Trace] | None = None,
        original_url: URL | None = None,
        skip_auto_headers: Iterable[str] | None = None,
    ) -> None:
        if url.host is None and url.scheme not in ("unix",):
            raise InvalidURL(url)
        self.method = method.upper()
        self.original_url = original_url if original_url is not None else url
        self.url = url.with_fragment(None) if url.raw_fragment else url
        self.headers = headers
        self.version = version
        self.loop = loop
        self.auth = auth
        self.proxy = proxy
        self.proxy_auth = proxy_auth
        self.proxy_headers = proxy_headers
        self.ssl = ssl
        self.server_hostname = server_hostname
        self.response_class = response_class or ClientResponse
        self.compress = compress
        self.chunked = chunked
        self.expect100 = expect100
        self._session = session
        self._traces = traces if traces is not None else []
        # Only Content-Type is added here; the session adds (or skips) the other automatic ones.
        self._skip_content_type = bool(skip_auto_headers) and any(
            name.lower() == "content-type" for name in skip_auto_headers  # type: ignore[union-attr]
        )
        self._cache: dict[str, Any] = {}
        self._body: Payload | None = None
        # A plain bytes (or json=) body is kept as is: a Payload is built only if asked for.
        self._body_bytes: bytes | None = None
        self._writer_task: asyncio.Task[None] | None = None
        # A caller's Content-Length for a streamed body: the writer sends no more than this.
        self._length_cut: int | None = None
        if auth is not None:
            headers[hdrs.AUTHORIZATION] = auth.encode()
        if proxy is not None:
            self._apply_proxy_headers(proxy)
        if data is not None:
            self._set_body(data)
        elif self.method in self.POST_METHODS and hdrs.CONTENT_LENGTH not in headers:
            headers[hdrs.CONTENT_LENGTH] = "0"
        if expect100:
            headers[hdrs.EXPECT] = "100-continue"

    def _apply_proxy_headers(self, proxy: URL) -> None:
        """What is addressed to the proxy travels where only the proxy reads it.

        Plain http goes to the proxy as the request itself, so the request carries the proxy's
        fields. Through a CONNECT tunnel the request reaches the origin, so a
        ``Proxy-Authorization`` given with the request headers moves to the CONNECT instead.
        """
        from .connector_proxy import headers_for_proxy

        if self.is_ssl():
            moved = self.headers.popall(hdrs.PROXY_AUTHORIZATION, ())
            if moved and self.proxy_auth is None and not (proxy.raw_user or proxy.raw_password):
                proxy_headers = CIMultiDict(self.proxy_headers or ())
                proxy_headers.setdefault(hdrs.PROXY_AUTHORIZATION, moved[0])
                self.proxy_headers = proxy_headers
            return
        extra = headers_for_proxy(proxy, self.proxy_auth, self.proxy_headers)
        for name in extra:
            self.headers.popall(name, None)
        self.headers.extend(extra)

    # -- identity -------------------------------------------------------------------------

    @property
    def host(self) -> str:
        return self.url.raw_host or ""

    @property
    def port(self) -> int:
        return _default_port(self.url)

    def is_ssl(self) -> bool:
        return self.url.scheme in ("https", "wss")

    @reify
    def connection_key(self) -> ConnectionKey:
        proxy_headers_hash = None
        if self.proxy_headers:
            proxy_headers_hash = hash(tuple(self.proxy_headers.items()))
        url = self.url
        is_ssl = url.scheme in ("https", "wss")
        # tuple.__new__ builds the NamedTuple without its Python-level __new__ (hot path).
        return tuple.__new__(
            ConnectionKey,
            (
                url.raw_host or "",
                url.port or _default_port(url),  # yarl knows the http(s) and ws(s) defaults
                is_ssl,
                self.ssl,
                self.proxy,
                self.proxy_auth,
                proxy_headers_hash,
                self.server_hostname if is_ssl else None,
            ),
        )

    @property
    def request_info(self) -> RequestInfo:
        headers = CIMultiDictProxy(self.headers)
        return tuple.__new__(RequestInfo, (self.url, self.method, headers, self.original_url))

    # -- body -----------------------------------------------------------------------------

    @property
    def body(self) -> Payload | None:
        if self._body is None and self._body_bytes is not None:
            content_type = self.headers.get(hdrs.CONTENT_TYPE)
            self._body = BytesPayload(self._body_bytes, content_type=content_type)
        return self._body

    @body.setter
    def body(self, value: Payload | None) -> None:
        self._body = value
        self._body_bytes = None

    def _set_body(self, data: Any) -> None:
        headers = self.headers
        kind = data.__class__
        if (kind is bytes or kind is JsonBody) and not self.compress and not self.chunked and (
            hdrs.TRANSFER_ENCODING not in headers
        ):
            # The common bytes and json= bodies: two header fields, no Payload object.
            if hdrs.CONTENT_TYPE not in headers and not self._skip_content_type:
                headers[hdrs.CONTENT_TYPE] = (
                    _JSON_CONTENT_TYPE if kind is JsonBody else "application/octet-stream"
                )
            if hdrs.CONTENT_LENGTH not in headers:
                headers[hdrs.CONTENT_LENGTH] = str(len(data))
            else:
                data = data[: self._declared_length(len(data))]
            self._body_bytes = data
            return
        if kind is JsonBody:  # compressed or chunked json=: still application/json
            payload: Payload = BytesPayload(bytes(data), content_type=_JSON_CONTENT_TYPE)
        elif isinstance(data, FormData):
            payload = data()
        elif isinstance(data, Payload):
            payload = data
        elif isinstance(data, (dict, list, tuple, MultiDict, MultiDictProxy)):
            payload = FormData(data)()
        else:
            try:
                payload = get_payload(data, disposition=None)
            except LookupError:
                raise TypeError(
                    f"data={type(data).__name__!r} is not a request body: pass bytes, str, a "
                    "dict or FormData, a file object, an async iterable or a Payload"
                ) from None
        self.body = payload
        if (
            hdrs.CONTENT_TYPE not in headers
            and payload.content_type
            and not self._skip_content_type
        ):
            headers[hdrs.CONTENT_TYPE] = payload.content_type
        for name, value in payload.headers.items():
            if name not in headers and name != hdrs.CONTENT_TYPE:
                headers[name] = value
        if self.compress:
            encoding = "deflate" if self.compress is True else str(self.compress)
            if hdrs.CONTENT_ENCODING in headers:
                raise ValueError("compress can not be set if Content-Encoding header is set")
            headers[hdrs.CONTENT_ENCODING] = encoding
            self.chunked = True
        transfer_encoding = headers.get(hdrs.TRANSFER_ENCODING, "").lower()
        if "chunked" in transfer_encoding:
            if self.chunked is False:
                raise ValueError("chunked can not be set if Transfer-Encoding: chunked is set")
            self.chunked = True
        if self.chunked:
            if hdrs.CONTENT_LENGTH in headers:
                raise ValueError("chunked can not be set if Content-Length header is set")
            if "chunked" not in transfer_encoding:
                headers[hdrs.TRANSFER_ENCODING] = "chunked"
            return
        if hdrs.CONTENT_LENGTH not in headers:
            size = payload.size
            if size is None:
                self.chunked = True
                headers[hdrs.TRANSFER_ENCODING] = "chunked"
            else:
                headers[hdrs.CONTENT_LENGTH] = str(size)
        else:
            self._length_cut = self._declared_length(payload.size)

    def _declared_length(self, size: int | None) -> int:
        """A Content-Length the caller set: the body is cut to it, as aiohttp does; one larger
        than the body would leave the server waiting for bytes that never come (and take the
        next request for them), so it is refused before anything is sent."""
        value = self.headers[hdrs.CONTENT_LENGTH]
        if not value.isascii() or not value.isdigit():
            raise ValueError(f"Invalid Content-Length header: {value!r}")
        declared = int(value)
        if size is not None and declared > size:
            raise ValueError(
                f"Content-Length header ({declared}) is larger than the body ({size} bytes)"
            )
        return declared

    # -- sending --------------------------------------------------------------------------

    def _target(self) -> str:
        if self.method == hdrs.METH_CONNECT:
            return self.url.host_port_subcomponent or ""
        if self.proxy is not None and not self.is_ssl():
            return str(self.url)
        return self.url.raw_path_qs or "/"

    async def send(self, conn: Connection) -> ClientResponse:
        """Write the request; return the response object that will read the answer."""
        response = self._write(conn)
        for trace in self._traces:
            await trace.send_request_headers(self.method, self.url, self.headers)
        return response

    def _write(self, conn: Connection) -> ClientResponse:
        """Write the head (with a small body, in the same write); stream a larger body."""
        protocol = conn._protocol
        transport = None if protocol is None else protocol.transport
        if protocol is None or transport is None:
            raise ClientConnectionError("Connection closed")
        session = self._session
        head = serialize_request_head(
            self.method,
            self._target() if self.proxy is not None or self.method == hdrs.METH_CONNECT
            else self.url.raw_path_qs or "/",
            self.version,
            self.headers,
            None if session is None else session._head_blocks,
            None if session is None else session._heads,
        )
        raw = self._body_bytes
        if (
            raw is not None
            and self._body is None
            and len(raw) <= _SMALL_BODY
            and not self.expect100
            and not self._traces
        ):
            transport.write(head + raw)
            return self._response()
        # A larger raw body becomes a Payload (the property) and streams with flow control.
        body = self.body if raw is not None else self._body
        if body is None:
            transport.write(head)
        elif (
            isinstance(body, BytesPayload)
            and self._length_cut is None
            and not self.chunked
            and not self.expect100
            and not self._traces
            and len(body._value) <= _SMALL_BODY
        ):
            transport.write(head + bytes(body._value))
        else:
            transport.write(head)
            self._writer_task = self.loop.create_task(self._write_body(conn, body))
        return self._response()

    def _response(self) -> ClientResponse:
        # As in RequestPipeline._build_request: no keyword dict for a class call.
        response = self.response_class.__new__(self.response_class)
        response.__init__(  # type: ignore[misc]
            self.method,
            self.original_url,
            writer=self._writer_task,
            continue100=None,
            timer=None,
            request_info=self.request_info,
            traces=self._traces,
            loop=self.loop,
            session=self._session,
        )
        return response

    async def _trace_chunk(self, chunk: bytes | bytearray | memoryview) -> None:
        sent = chunk if isinstance(chunk, bytes) else bytes(chunk)
        for trace in self._traces:
            await trace.send_request_chunk_sent(self.method, self.url, sent)

    async def _write_body(self, conn: Connection, body: Payload) -> None:
        """Stream the body; runs beside the response so an early answer is not blocked."""
        protocol = conn.protocol
        assert protocol is not None
        on_chunk = self._trace_chunk if self._traces else None
        writer = StreamWriter(protocol, self.loop, on_chunk_sent=on_chunk)
        writer.length = self._length_cut
        if self.compress:
            writer.enable_compression(self.headers[hdrs.CONTENT_ENCODING])
        if self.chunked:
            writer.enable_chunking()
        try:
            if self.expect100:
                await protocol.wait_for_continue()
                if protocol.transport is None or not protocol.message_in_progress:
                    return
            await body.write(writer)
            await writer.write_eof()
        except OSError as exc:
            if protocol.message_in_progress:
                protocol.set_exception(ClientConnectionError(f"Cannot write request body: {exc}"))
        except asyncio.CancelledError:
            protocol.close()
            raise
        except Exception as exc:
            protocol.set_exception(exc)

    async def close(self) -> None:
        """Wait for the body writer, so nothing is left running after the response."""
        task = self._writer_task
        if task is not None and not task.done():
            with contextlib.suppress(asyncio.CancelledError):
                await task


def _default_fallback_charset(response: ClientResponse, body: bytes) -> str:
    """No declared charset: UTF-8 when the bytes are valid UTF-8, else Latin-1."""
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return "latin-1"
    return "utf-8"


class ClientResponse:
    """The server's answer: status, headers, and the body as a stream."""

    version: HttpVersion | None = None
    status: int = None  # type: ignore[assignment]
    reason: str | None = None
    content: StreamReader = None  # type: ignore[assignment]
    _headers: CIMultiDictProxy[str] = None  # type: ignore[assignment]
    _raw_headers: tuple[tuple[bytes, bytes], ...] = ()
    _connection: Connection | None = None
    _body: bytes | None = None
    _released = False
    # (armed deadlines, key) while a total timeout covers the body: see client_timers.Deadlines.
    _deadline: tuple[dict[Any, float], Any] | None = None

    def __init__(
        self,
        method: str,
        url: URL,
        *,
        writer: asyncio.Task[None] | None,
        continue100: asyncio.Future[bool] | None,
        timer: Any,
        request_info: RequestInfo,
        traces: list[Trace],
        loop: asyncio.AbstractEventLoop,
        session: ClientSession | None,
    ) -> None:
        self.method = method
        self._real_url = url
        self._url = url.with_fragment(None) if url.raw_fragment else url
        self._writer = writer
        self._request_info = request_info
        self._traces = traces
        self._loop = loop
        self._session = session
        self._history: tuple[ClientResponse, ...] = ()
        self._cache: dict[str, Any] = {}
        if session is not None:
            self._resolve_charset: Callable[[ClientResponse, bytes], str] = (
                session._resolve_charset
            )
        else:
            self._resolve_charset = _default_fallback_charset

    def __del__(self, _warnings: Any = warnings) -> None:
        connection = self._connection
        if connection is None:
            return
        with contextlib.suppress(Exception):
            connection.release()
        if self._loop.get_debug():
            _warnings.warn(f"Unclosed response {self!r}", ResourceWarning, source=self)

    def __repr__(self) -> str:
        return f"<ClientResponse({self.url}) [{self.status} {self.reason}]>\n{self.headers}\n"

    # -- reading the head -----------------------------------------------------------------

    async def start(self, connection: Connection) -> ClientResponse:
        """Read the response head from ``connection``."""
        protocol = connection.protocol
        assert protocol is not None
        message, payload = await protocol.head_future()
        self._attach(connection, message, payload)
        return self

    def _attach(
        self, connection: Connection, message: RawResponseMessage, payload: StreamReader
    ) -> None:
        """Take the parsed head; the connection is released when the body is complete."""
        self._connection = connection
        self.version = message.version
        self.status = message.code
        self.reason = message.reason
        self._headers = message.headers
        self._raw_headers = message.raw_headers
        self.content = payload
        if message.upgrade:
            return  # the connection now belongs to whoever asked for the upgrade
        protocol = connection._protocol
        if protocol is not None and protocol.message_in_progress:
            protocol.set_message_complete_callback(self._response_eof)
        else:
            self._response_eof()

    def _response_eof(self) -> None:
        """The body is complete: the connection can serve another request."""
        connection = self._connection
        if connection is not None:
            self._connection = None
            writer = self._writer
            if writer is not None and not writer.done():
                # Answered before the body was all sent (a redirect or an error that did not
                # read it): the rest of the body would be taken for the next request.
                writer.cancel()
                connection.close()
            else:
                connection.release()
        if self._deadline is not None:
            self._disarm_deadline()

    def _disarm_deadline(self) -> None:
        deadline = self._deadline
        if deadline is not None:
            self._deadline = None
            armed, key = deadline
            armed.pop(key, None)

    def _on_deadline(self) -> None:
        """The total timeout passed while the body was being read: fail the read."""
        self._deadline = None
        connection = self._connection
        if connection is not None and connection.protocol is not None:
            connection.protocol.set_exception(TimeoutError())
            self._connection = None
            connection.close()

    # -- attributes -----------------------------------------------------------------------

    @property
    def url(self) -> URL:
        return self._url

    @property
    def real_url(self) -> URL:
        return self._real_url

    @property
    def host(self) -> str:
        return self._url.host or ""

    @property
    def headers(self) -> CIMultiDictProxy[str]:
        return self._headers

    @property
    def raw_headers(self) -> tuple[tuple[bytes, bytes], ...]:
        return self._raw_headers

    @property
    def request_info(self) -> RequestInfo:
        return self._request_info

    @property
    def history(self) -> tuple[ClientResponse, ...]:
        return self._history

    @property
    def connection(self) -> Connection | None:
        return self._connection

    @property
    def ok(self) -> bool:
        return self.status < 400

    @property
    def closed(self) -> bool:
        return self._connection is None and (self.content is None or self.content.is_eof())

    @reify
    def _content_type_parts(self) -> tuple[str, str | None]:
        raw = self._headers.get(hdrs.CONTENT_TYPE) if self._headers is not None else None
        return content_type_and_charset(raw)

    @property
    def content_type(self) -> str:
        return self._content_type_parts[0]

    @property
    def charset(self) -> str | None:
        return self._content_type_parts[1]

    @property
    def content_length(self) -> int | None:
        value = self._headers.get(hdrs.CONTENT_LENGTH)
        return int(value) if value is not None and value.isdigit() else None

    @reify
    def content_disposition(self) -> ContentDisposition | None:
        raw = self._headers.get(hdrs.CONTENT_DISPOSITION)
        if raw is None:
            return None
        disposition_type, params = parse_content_disposition(raw)
        return ContentDisposition(
            disposition_type,
            MappingProxyType(dict(params)),
            content_disposition_filename(params),
        )

    @reify
    def links(self) -> MultiDictProxy[MultiDictProxy[str | URL]]:
        links = parse_links(self._headers.getall(hdrs.LINK, ()))
        # Relative link targets resolve against the response URL.
        resolved: MultiDict[MultiDictProxy[str | URL]] = MultiDict()
        for rel, link in links.items():
            updated = MultiDict(link)
            target = link["url"]
            assert isinstance(target, URL)
            updated["url"] = self._url.join(target)
            resolved.add(rel, MultiDictProxy(updated))
        return MultiDictProxy(resolved)

    @reify
    def cookies(self) -> SimpleCookie:
        """What this response set, parsed as the jar parses it (RFC 6265, not SimpleCookie.load,
        which drops a whole header over one odd attribute and takes unknown ones for cookies)."""
        cookies: SimpleCookie = SimpleCookie()
        for value in self._headers.getall(hdrs.SET_COOKIE, ()):
            morsel = parse_set_cookie(value)
            if morsel is not None:
                dict.__setitem__(cookies, morsel.key, morsel)
        return cookies

    # -- reading the body -----------------------------------------------------------------

    async def read(self) -> bytes:
        """The whole body (decoded per Content-Encoding unless auto_decompress is off)."""
        if self._body is None:
            try:
                self._body = await self.content.read()
                if self._traces:
                    for trace in self._traces:
                        await trace.send_response_chunk_received(self.method, self.url, self._body)
            except BaseException:
                self.close()
                raise
        elif self._released and self._connection is None and not self._body:
            raise ClientConnectionError("Connection closed")
        if self._connection is not None or self._deadline is not None:
            self._release_connection()
        return self._body

    def get_encoding(self) -> str:
        mimetype, charset = self._content_type_parts
        if charset:
            with contextlib.suppress(LookupError, ValueError):
                return codecs.lookup(charset).name
        if mimetype == _JSON_CONTENT_TYPE or mimetype.endswith("+json"):
            return "utf-8"
        if self._body is None:
            raise RuntimeError("Cannot compute fallback encoding of a not yet read body")
        return self._resolve_charset(self, self._body)

    async def text(self, encoding: str | None = None, errors: str = "strict") -> str:
        """The body decoded with ``encoding``, else the declared charset, else a guess."""
        body = await self.read()
        return body.decode(encoding or self.get_encoding(), errors=errors)

    async def json(
        self,
        *,
        encoding: str | None = None,
        loads: Callable[[str], Any] = json.loads,
        content_type: str | None = _JSON_CONTENT_TYPE,
    ) -> Any:
        """The body parsed as JSON; ``ContentTypeError`` when the type is not the one expected."""
        body = await self.read()
        if content_type and not self._is_expected_content_type(content_type):
            raise ContentTypeError(
                self.request_info,
                self.history,
                status=self.status,
                message=(
                    "Attempt to decode JSON with unexpected mimetype: "
                    f"{self._headers.get(hdrs.CONTENT_TYPE, '')}"
                ),
                headers=self.headers,
            )
        stripped = body.strip()
        if not stripped:
            return None
        return loads(stripped.decode(encoding or self.get_encoding()))

    def _is_expected_content_type(self, expected: str) -> bool:
        actual = self._content_type_parts[0]
        if expected == _JSON_CONTENT_TYPE:
            return actual == _JSON_CONTENT_TYPE or actual.endswith("+json")
        return expected in actual

    # -- finishing ------------------------------------------------------------------------

    def _release_connection(self) -> None:
        connection = self._connection
        if connection is not None:
            self._connection = None
            if self.content is not None and self.content.is_eof():
                connection.release()
            else:
                connection.close()
        if self._deadline is not None:
            self._disarm_deadline()

    def release(self) -> Any:
        """Give the connection back (closed if the body was not read to the end)."""
        self._released = True
        if self._connection is not None or self._deadline is not None:
            self._release_connection()
        return _NOOP_AWAITABLE

    def close(self) -> None:
        """Drop the connection now, without reading the rest of the body."""
        self._released = True
        connection = self._connection
        if connection is not None:
            self._connection = None
            connection.close()
        self._disarm_deadline()

    async def wait_for_close(self) -> None:
        """Wait until the request body is written and the response released."""
        if self._writer is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer
        self.release()

    def raise_for_status(self) -> None:
        if self.status >= 400:
            self.release()
            raise ClientResponseError(
                self.request_info,
                self.history,
                status=self.status,
                message=self.reason or "",
                headers=self.headers,
            )

    async def __aenter__(self) -> ClientResponse:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        self.release()
        await self.wait_for_close()


class _noop_awaitable:
    """``release()`` is synchronous but aiohttp code may ``await resp.release()``."""

    __slots__ = ()

    def __await__(self) -> Any:
        return iter(())



_NOOP_AWAITABLE = _noop_awaitable()  # stateless: one instance serves every release()
