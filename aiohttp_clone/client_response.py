"""What comes back: ``ClientResponse``, the server's answer with its body as a stream.

The response takes its head from the connection's protocol (``attach``) and gives the
connection back to the pool once the body is complete; ``client_reqrep`` re-exports it at
aiohttp's path.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import json
import warnings
from collections.abc import Callable
from http.cookies import SimpleCookie
from types import MappingProxyType, TracebackType
from typing import TYPE_CHECKING, Any

from multidict import CIMultiDictProxy, MultiDict, MultiDictProxy
from propcache import under_cached_property as reify
from yarl import URL

from . import hdrs
from ._http.fields import (
    content_disposition_filename,
    content_type_and_charset,
    parse_content_disposition,
    parse_links,
)
from ._http.messages import HttpVersion, RawResponseMessage
from ._http.set_cookie import parse_set_cookies
from ._values import ContentDisposition, RequestInfo
from .client_exceptions import ClientConnectionError, ClientResponseError, ContentTypeError
from .streams import StreamReader

if TYPE_CHECKING:
    from .client import ClientSession
    from .client_timers import Deadlines, Expirable
    from .connector import Connection
    from .tracing import Trace

__all__ = ("ClientResponse", "drain_and_release")

_JSON_CONTENT_TYPE = "application/json"  # what json() expects, and what json= sends
_DRAIN_LIMIT = 64 * 1024
"""A body nobody reads, up to this size, is read so its connection can be reused."""


def _default_fallback_charset(response: ClientResponse, body: bytes) -> str:
    """No declared charset: UTF-8, as aiohttp's default resolver says (so ``text()`` of other
    bytes raises, or replaces with ``errors="replace"``; pass ``fallback_charset_resolver=``
    to the session to guess otherwise)."""
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
    _upgraded = False  # a 101 (or CONNECT 2xx): the connection is not ours to give back
    # (the session's deadlines, the request's entry) while a total timeout covers the body.
    _deadline: tuple[Deadlines, Expirable] | None = None

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
        self.attach(connection, message, payload)
        return self

    def attach(
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
            self._upgraded = True
            return  # the connection now belongs to whoever asked for the upgrade
        protocol = connection.protocol
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
            deadlines, key = deadline
            deadlines.disarm(key)

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
        """True once released or closed, or once the whole body arrived and the connection
        went back to the pool."""
        if self._released:
            return True
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
        for morsel in parse_set_cookies(self._headers.getall(hdrs.SET_COOKIE, ())):
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
        if self._upgraded:
            # The connection belongs to the protocol it switched to, until released.
            self._disarm_deadline()
        elif self._connection is not None or self._deadline is not None:
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
        self._mark_released()
        if self._connection is not None or self._deadline is not None:
            self._release_connection()
        return _NOOP_AWAITABLE

    def close(self) -> None:
        """Drop the connection now, without reading the rest of the body."""
        self._mark_released()
        connection = self._connection
        if connection is not None:
            self._connection = None
            connection.close()
        self._disarm_deadline()

    def _mark_released(self) -> None:
        """The first ``release()`` or ``close()``: a body cut short by it reads on as "Connection
        closed" (ClientConnectionError), as in aiohttp; a body that arrived whole stays
        readable."""
        if self._released:
            return
        self._released = True
        content = self.content
        if (
            self._connection is not None  # else the body ended, or an error ended it
            and content is not None
            and not content.is_eof()
            and content.exception() is None
        ):
            content.set_exception(ClientConnectionError("Connection closed"))

    async def wait_for_close(self) -> None:
        """Wait until the request body is written and the response released."""
        if self._writer is not None and not self._writer.done():
            # asyncio.wait, unlike awaiting the task, leaves the caller's own cancellation be.
            await asyncio.wait((self._writer,))
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


async def drain_and_release(
    response: ClientResponse, ignoring: tuple[type[BaseException], ...]
) -> None:
    """Give back the connection of a response whose body nobody will read (a redirect, a
    retried answer): a small body is read first so the connection can be reused, a large one
    is dropped with it. Errors of ``ignoring`` while reading only cost the connection."""
    content_length = response.content_length
    if content_length is not None and content_length <= _DRAIN_LIMIT:
        # Straight from the stream: aiohttp sends no chunk-received signal for this body.
        with contextlib.suppress(*ignoring):
            await response.content.read()
    response.release()
