"""What goes out: ``ClientRequest`` (and, at aiohttp's path, what comes back).

A request is built once per hop by the session's pipeline, serialized into one head, and
written with its body in as few transport writes as possible. ``ClientResponse`` lives in
``client_response``; both are importable from here, as in aiohttp.
"""

from __future__ import annotations

import asyncio
import functools
import warnings
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Literal

from multidict import CIMultiDict, CIMultiDictProxy, MultiDict, MultiDictProxy
from propcache import under_cached_property as reify
from yarl import URL

from . import hdrs
from ._http.content_coding import ACCEPT_ENCODING
from ._http.head import HeadCache, serialize_request_head
from ._http.messages import HttpVersion, HttpVersion11
from ._values import (
    BasicAuth,
    ConnectionKey,
    ContentDisposition,
    Fingerprint,
    RequestInfo,
    SSLValue,
)
from .client_exceptions import ClientConnectionError, ClientError, ClientOSError, InvalidURL
from .client_exceptions import ClientResponseError as ClientResponseError  # aiohttp's path
from .client_exceptions import ContentTypeError as ContentTypeError  # aiohttp's path
from .client_response import _JSON_CONTENT_TYPE, ClientResponse
from .client_upload import UploadTracker
from .connector_proxy import headers_for_proxy
from .connector_socks import is_socks
from .formdata import FormData
from .http_writer import StreamWriter
from .payload import BytesPayload, Payload, get_payload
from .streams import StreamReader as StreamReader  # aiohttp's path

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
    "UploadTracker",
)


class JsonBody(bytes):
    """A serialized ``json=`` argument: sent as application/json without a Payload object."""

    __slots__ = ()


_SMALL_BODY = 64 * 1024  # bodies up to this size go out in the same write as the head


def _payload_for(data: Any) -> Payload:
    """The Payload that sends ``data``; TypeError for something that is not a body."""
    if data.__class__ is JsonBody:  # compressed or chunked json=: still application/json
        return BytesPayload(bytes(data), content_type=_JSON_CONTENT_TYPE)
    if isinstance(data, FormData):
        return data()
    if isinstance(data, Payload):
        return data
    if isinstance(data, (dict, list, tuple, MultiDict, MultiDictProxy)):
        return FormData(data)()
    try:
        return get_payload(data, disposition=None)
    except LookupError:
        raise TypeError(
            f"data={type(data).__name__!r} is not a request body: pass bytes, str, a "
            "dict or FormData, a file object, an async iterable or a Payload"
        ) from None


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

    head_cache: HeadCache | None = None
    """The session's memory of validated heads (set by the session's pipeline)."""
    upload_tracker: UploadTracker | None = None
    """The request's ``upload_tracker=`` (set by the session's pipeline)."""
    upload_attempt = 0
    """Which of the tracker's attempts this hop's body write is."""
    deadline: float | None = None
    """The loop time at which the whole request's total timeout expires (None: no total
    timeout); a middleware that waits (retries) must not wait past it."""
    auth: BasicAuth | None = None
    """As in aiohttp: credentials given as ``auth=`` become the Authorization field and are
    not kept here (middlewares read ``headers``)."""

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
        fields. Through a CONNECT tunnel or a SOCKS proxy the request reaches the origin, so a
        ``Proxy-Authorization`` given with the request headers moves to the CONNECT (or the
        SOCKS handshake) instead.
        """
        if self.is_ssl() or is_socks(proxy):
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
    def session(self) -> ClientSession:
        """The session that sent this request (so a middleware can make requests of its own)."""
        if self._session is None:
            raise RuntimeError("This request was not made by a ClientSession")
        return self._session

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
    def body(self) -> Payload | Literal[b""]:
        """The body as a Payload, or ``b""`` without one (aiohttp's shape)."""
        return self._payload() or b""

    @body.setter
    def body(self, value: Any) -> None:
        """Replace the body. aiohttp 3.14 asks for ``await update_body()`` instead, which also
        closes the previous payload; assigning still works, and warns (as aiohttp does) when
        that leaves a file open."""
        previous = self._body
        if previous is not None and not previous.autoclose and not previous.consumed:
            warnings.warn(
                "The previous request body contains unclosed resources. Use await "
                "request.update_body() instead of setting request.body directly to properly "
                "close resources and avoid leaks.",
                ResourceWarning,
                stacklevel=2,
            )
        self._replace_body(value)

    async def update_body(self, body: Any) -> None:
        """Replace the body (``None`` removes it), closing the previous payload first: the
        middleware way to change what is sent."""
        if self._body is not None:
            await self._body.close()
        self._replace_body(body)

    @property
    def body_replayable(self) -> bool:
        """Whether the body can be sent again (a redirect that keeps it, a retry)."""
        return self._body is None or self._body.reusable

    def _payload(self) -> Payload | None:
        if self._body is None and self._body_bytes is not None:
            content_type = self.headers.get(hdrs.CONTENT_TYPE)
            self._body = BytesPayload(self._body_bytes, content_type=content_type)
        return self._body

    def _replace_body(self, data: Any) -> None:
        """A new body: the fields that described and framed the old one go first."""
        headers = self.headers
        headers.popall(hdrs.CONTENT_LENGTH, None)
        if self.chunked:
            headers.popall(hdrs.TRANSFER_ENCODING, None)
        self._body = None
        self._body_bytes = None
        self._length_cut = None
        if data is not None:
            self._set_body(data)
        elif self.method in self.POST_METHODS:
            headers[hdrs.CONTENT_LENGTH] = "0"

    @property
    def has_payload(self) -> bool:
        """Whether the body is a Payload (which ``close_body`` must release)."""
        return self._body is not None

    async def close_body(self) -> None:
        """Release what the body holds (an open file, say) once no hop will send it again; a
        body still being written is closed when its writer ends."""
        body = self._body
        if body is None:
            return
        task = self._writer_task
        if task is None or task.done():
            await body.close()
        else:
            task.add_done_callback(lambda _: body._close())

    def _set_body(self, data: Any) -> None:
        """Take ``data`` as the body and set the fields that describe and frame it."""
        kind = data.__class__
        if (kind is bytes or kind is JsonBody) and not self.compress and not self.chunked and (
            hdrs.TRANSFER_ENCODING not in self.headers
        ):
            self._set_bytes_body(data)
            return
        payload = _payload_for(data)
        self._body = payload
        self._describe_payload(payload)
        self._frame_payload(payload)

    def _set_bytes_body(self, data: bytes) -> None:
        """The common bytes and json= bodies: two header fields, no Payload object."""
        headers = self.headers
        if hdrs.CONTENT_TYPE not in headers and not self._skip_content_type:
            headers[hdrs.CONTENT_TYPE] = (
                _JSON_CONTENT_TYPE if data.__class__ is JsonBody else "application/octet-stream"
            )
        if hdrs.CONTENT_LENGTH not in headers:
            headers[hdrs.CONTENT_LENGTH] = str(len(data))
        else:
            data = data[: self._declared_length(len(data))]
        self._body_bytes = data

    def _describe_payload(self, payload: Payload) -> None:
        """Content-Type (unless skipped or given) and the payload's own fields."""
        headers = self.headers
        if (
            hdrs.CONTENT_TYPE not in headers
            and payload.content_type
            and not self._skip_content_type
        ):
            headers[hdrs.CONTENT_TYPE] = payload.content_type
        for name, value in payload.headers.items():
            if name not in headers and name != hdrs.CONTENT_TYPE:
                headers[name] = value

    def _frame_payload(self, payload: Payload) -> None:
        """Content-Encoding for ``compress``, then chunked or a Content-Length."""
        headers = self.headers
        if self.compress:
            encoding = "deflate" if self.compress is True else str(self.compress)
            if hdrs.CONTENT_ENCODING in headers:
                raise ValueError("compress can not be set if Content-Encoding header is set")
            headers[hdrs.CONTENT_ENCODING] = encoding
            self.chunked = True
        transfer_encoding = headers.get(hdrs.TRANSFER_ENCODING, "").lower()
        if "chunked" in transfer_encoding:
            if self.chunked:  # asked for twice: aiohttp refuses it
                raise ValueError(
                    'chunked can not be set if "Transfer-Encoding: chunked" header is set'
                )
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
        if self.proxy is not None and not self.is_ssl() and not is_socks(self.proxy):
            return str(self.url)  # absolute-form, for an HTTP proxy
        return self.url.raw_path_qs or "/"

    async def send(self, conn: Connection) -> ClientResponse:
        """Write the request; return the response object that will read the answer."""
        response = self.dispatch(conn)
        for trace in self._traces:
            await trace.send_request_headers(self.method, self.url, self.headers)
        return response

    def dispatch(self, conn: Connection) -> ClientResponse:
        """Write the request now: the head (with a small body, in the same write); a larger
        body streams from a task. Returns the response that will read the answer (``send``
        without the trace signal, and without a coroutine)."""
        protocol = conn._protocol
        transport = None if protocol is None else protocol.transport
        if protocol is None or transport is None:
            raise ClientConnectionError("Connection closed")
        head = serialize_request_head(
            self.method,
            self._target() if self.proxy is not None or self.method == hdrs.METH_CONNECT
            else self.url.raw_path_qs or "/",
            self.version,
            self.headers,
            self.head_cache,
        )
        # (The common request without a body skips the size checks.)
        small = b"" if self._body is None and self._body_bytes is None else self._small_body()
        if small is not None:
            transport.write(head + small if small else head)
            if self.upload_tracker is not None:
                self.upload_tracker._sent_with_head(self.upload_attempt, len(small))
            protocol.request_sent()
        else:
            transport.write(head)
            body = self._payload()
            assert body is not None
            self._writer_task = self.loop.create_task(self._write_body(conn, body))
        return self._response()

    def _small_body(self) -> bytes | None:
        """The body when it leaves with the head in one write, else None: a larger, streamed,
        compressed or chunked one, or one that waits for 100-continue. (``dispatch`` calls it
        only for a request that has a body.)"""
        raw = self._body_bytes
        if self._body is None:
            assert raw is not None
            if len(raw) <= _SMALL_BODY and not self.expect100 and not self._traces:
                return raw
            return None
        body = self._body
        if (
            isinstance(body, BytesPayload)
            and self._length_cut is None
            and not self.chunked
            and not self.expect100
            and not self._traces
            and len(body._value) <= _SMALL_BODY
        ):
            return bytes(body._value)
        return None

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
        writer = self._body_writer(protocol)
        tracker, attempt = self.upload_tracker, self.upload_attempt
        if tracker is not None:
            writer.on_body_write = functools.partial(tracker._bytes_written, attempt)
            tracker._attempt_writing(attempt, writer)
        try:
            if self.expect100:
                await protocol.wait_for_continue()
                if protocol.transport is None or not protocol.message_in_progress:
                    if tracker is not None:
                        tracker._attempt_failed(attempt, None)
                    return
            await body.write(writer)
            await writer.write_eof()
        except asyncio.CancelledError:
            if tracker is not None:
                tracker._attempt_failed(attempt, None)
            protocol.close()
            raise
        except Exception as exc:
            error = self._write_error(conn, exc)
            if tracker is not None:
                tracker._attempt_failed(attempt, error)
            if protocol.message_in_progress:
                protocol.set_exception(error)
            return
        if tracker is not None:
            tracker._attempt_finished(attempt)
        protocol.request_sent()

    def _body_writer(self, protocol: Any) -> StreamWriter:
        on_chunk = self._trace_chunk if self._traces else None
        writer = StreamWriter(protocol, self.loop, on_chunk_sent=on_chunk)
        writer.length = self._length_cut
        if self.compress:
            writer.enable_compression(self.headers[hdrs.CONTENT_ENCODING])
        if self.chunked:
            writer.enable_chunking()
        return writer

    def _write_error(self, conn: Connection, exc: Exception) -> BaseException:
        """What a failed body write is reported as, in aiohttp's terms, the cause chained: a
        socket error is a ClientOSError, any other failure (the body's own, say an async
        generator raising) a ClientConnectionError; the client's own errors stay as they are."""
        if isinstance(exc, ClientError) and not isinstance(exc, OSError):
            return exc
        error: ClientError
        if isinstance(exc, OSError):
            error = ClientOSError(exc.errno, f"Can not write request body for {self.url}")
        else:
            error = ClientConnectionError(
                f"Failed to send bytes into the underlying connection {conn}: {exc!r}"
            )
        error.__cause__ = exc
        return error

    def terminate(self) -> None:
        """Stop writing the body (aiohttp's name): the connection is closed with it."""
        task = self._writer_task
        if task is not None and not task.done():
            task.cancel()

    async def cancel_body_upload(self) -> None:
        """``terminate`` and wait until the writer has stopped (before the body is sent
        again: two writers must never read one file). The caller's own cancellation is not
        swallowed."""
        task = self._writer_task
        if task is not None and not task.done():
            task.cancel()
            await asyncio.wait((task,))

    async def close(self) -> None:
        """Wait for the body writer, so nothing is left running after the response (the
        caller's own cancellation still goes through)."""
        task = self._writer_task
        if task is not None and not task.done():
            await asyncio.wait((task,))
