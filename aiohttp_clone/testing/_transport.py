"""An in-memory connection: the client's real ``ResponseHandler`` on a transport that answers.

The transport receives the bytes the real ``ClientRequest`` writes, reads each request back,
asks the mock how to answer it and hands the answer's bytes to the protocol the way a socket
transport does (``get_buffer``/``buffer_updated``, one read per loop iteration, stopping while
the protocol has paused reading). Everything above it (parser, decoders, reader, cookies,
redirects, timeouts) is the client's own code.
"""

from __future__ import annotations

import asyncio
import inspect
from collections import deque
from contextlib import suppress
from typing import TYPE_CHECKING, Any

from yarl import URL

from ..client_exceptions import ClientConnectionError
from ..client_proto import ResponseHandler
from ._reply import CallbackResult, Reply, serialize
from ._request import ParsedRequest, RequestReader

if TYPE_CHECKING:
    from .._values import ConnectionKey
    from ..client_reqrep import ClientRequest
    from ._mock import MockResponses

__all__ = ("MockTransport",)

_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


class MockTransport(asyncio.Transport):
    """One mocked connection to ``origin`` (scheme, host and port of the first request), pooled
    under ``key``."""

    def __init__(
        self,
        mock: MockResponses,
        loop: asyncio.AbstractEventLoop,
        protocol: ResponseHandler,
        origin: URL,
        key: ConnectionKey,
        keep_alive: bool,
    ) -> None:
        super().__init__()
        self.mock = mock
        self._loop = loop
        self._protocol = protocol
        self._origin = origin
        self.key = key
        self._keep_alive = keep_alive
        self._reader = RequestReader()
        self._pending: deque[ParsedRequest] = deque()
        self._serving: asyncio.Task[None] | None = None
        self._outgoing: deque[bytes] = deque()
        self._close_after = False
        self._feed_handle: asyncio.Handle | None = None
        self._paused = False
        self._closing = False
        self.client_request: ClientRequest | None = None
        """The request last written over this connection (set by ``_patch``): what its bytes
        cannot tell, such as whether the pipeline would send it again, is asked of it."""

    # -- the client writes ------------------------------------------------------------------

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._closing:
            return  # as a socket transport after close(): the bytes go nowhere
        try:
            requests = self._reader.feed(bytes(data))
        except ValueError as exc:
            self._protocol.set_exception(
                ClientConnectionError(f"the mock could not read the request: {exc}")
            )
            return
        if self._reader.continue_wanted:
            self._reader.continue_wanted = False
            self._send(Reply([_CONTINUE], close_after=False))
        self._pending.extend(requests)
        self._serve_next()

    def writelines(self, list_of_data: Any) -> None:
        self.write(b"".join(list_of_data))

    def write_eof(self) -> None:
        self.close()

    def can_write_eof(self) -> bool:
        return True

    def get_write_buffer_size(self) -> int:
        return 0  # written bytes are read at once: the client never waits to write

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return (0, 0)

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        """Nothing to limit: see ``get_write_buffer_size``."""

    # -- answering --------------------------------------------------------------------------

    def _serve_next(self) -> None:
        if self._serving is None and self._pending and not self._closing:
            request = self._pending.popleft()
            self._serving = self._loop.create_task(self._serve(request))

    async def _serve(self, request: ParsedRequest) -> None:
        try:
            await self._answer(request)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a callback's own error reaches the request, as raised
            self._protocol.set_exception(exc)
        finally:
            self._serving = None
        self._serve_next()

    async def _answer(self, request: ParsedRequest) -> None:
        url = self._url_of(request.target)
        outcome = self.mock._outcome(request, url, self)
        if outcome is None:  # hang up unanswered: see MockResponses._outcome
            self.close()
            return
        if isinstance(outcome, BaseException):
            self._protocol.set_exception(outcome)
            return
        registration, call = outcome
        result: Any = None
        if registration.callback is not None:
            result = registration.callback(url, method=request.method, **call.kwargs)
            if inspect.isawaitable(result):
                result = await result
        if registration.exception is not None:
            self._protocol.set_exception(registration.exception)
            return
        if result is None:
            result = registration.response
        elif not isinstance(result, CallbackResult):
            raise TypeError(f"a callback must return a CallbackResult or None, not {result!r}")
        delay = registration.delay
        if delay:
            await asyncio.sleep(delay)
        self._send(serialize(result, request.method, self._keep_alive))

    def _url_of(self, target: str) -> URL:
        if target.startswith(("http://", "https://")):  # absolute-form, through an HTTP proxy
            return URL(target, encoded=True)
        return URL(f"{self._origin}{target}", encoded=True)

    # -- the client reads -------------------------------------------------------------------

    def _send(self, reply: Reply) -> None:
        self._outgoing.extend(reply.pieces)
        self._close_after = self._close_after or reply.close_after
        self._schedule_feed()

    def _schedule_feed(self) -> None:
        if self._feed_handle is None and not self._paused and not self._closing:
            self._feed_handle = self._loop.call_soon(self._feed)

    def _feed(self) -> None:
        """One read: as much of the next piece as the protocol's buffer takes."""
        self._feed_handle = None
        if self._closing or self._paused:
            return
        if not self._outgoing:
            if self._close_after:
                self.close()
            return
        piece = self._outgoing.popleft()
        buffer = self._protocol.get_buffer(len(piece))
        size = min(len(buffer), len(piece))
        buffer[:size] = piece[:size]
        if size < len(piece):
            self._outgoing.appendleft(piece[size:])
        self._protocol.buffer_updated(size)
        self._schedule_feed()

    def pause_reading(self) -> None:
        self._paused = True

    def resume_reading(self) -> None:
        if self._paused:
            self._paused = False
            self._schedule_feed()

    def is_reading(self) -> bool:
        return not self._paused and not self._closing

    # -- lifecycle --------------------------------------------------------------------------

    def is_closing(self) -> bool:
        return self._closing

    def close(self) -> None:
        """Hang up: the protocol hears ``connection_lost`` on the next loop iteration."""
        if self._closing:
            return
        self._closing = True
        self._outgoing.clear()
        self.mock._forget(self)
        if self._loop.is_closed():
            return  # nobody is left to tell
        if self._feed_handle is not None:
            self._feed_handle.cancel()
        task = self._serving
        if task is not None and task is not _current_task(self._loop):
            task.cancel()
        self._loop.call_soon(self._protocol.connection_lost, None)

    def abort(self) -> None:
        self.close()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        if name == "peername":
            return (self._origin.raw_host, self._origin.port)
        return default

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self._protocol

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        raise NotImplementedError("a mocked connection keeps its protocol")

    def __repr__(self) -> str:
        return f"<MockTransport {self._origin} closing={self._closing}>"


def _current_task(loop: asyncio.AbstractEventLoop) -> asyncio.Task[Any] | None:
    with suppress(RuntimeError):
        return asyncio.current_task(loop)
    return None
