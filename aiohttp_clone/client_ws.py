"""``ClientWebSocketResponse``: a websocket over a connection taken out of the pool.

Bytes from the socket go straight into the sans-I/O frame reader: once the websocket is open
the transport reads into one reused buffer (``_ReadInto``; the connection's protocol keeps its
other duties), or, on a transport that cannot switch protocols, through the connection
protocol's upgrade sink. Finished messages wait in a deque for ``receive()``. Pings are
answered and pongs consumed as they arrive (with ``autoping``), so a server's keep-alive is
honoured even while the application is busy, and the heartbeat costs one clock read per chunk
rather than a timer reset per message.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._websocket import (
    WS_CLOSED_MESSAGE,
    WS_CLOSING_MESSAGE,
    WebSocketError,
    WebSocketReader,
    WebSocketWriter,
    WSCloseCode,
    WSMessage,
    WSMsgType,
)
from .client_exceptions import (
    ClientConnectionResetError,
    ServerTimeoutError,
    WSMessageTypeError,
)
from .streams import EofStream

if TYPE_CHECKING:
    from .client_proto import ResponseHandler
    from .client_reqrep import ClientResponse

__all__ = ("DEFAULT_WS_CLIENT_TIMEOUT", "ClientWSTimeout", "ClientWebSocketResponse")

_TEXT = WSMsgType.TEXT
_BINARY = WSMsgType.BINARY
_PING = WSMsgType.PING
_PONG = WSMsgType.PONG
_CLOSE = WSMsgType.CLOSE
_READ_BUFFER = 2**18  # bytes per socket read, as asyncio's own transports read
_READ_HIGH_WATER = 2**16  # queued payload bytes above which the socket stops being read
# RFC 6455 section 7.1.5: the close code of a CLOSE frame that carried none.
_NO_STATUS_RECEIVED = 1005


@dataclass(frozen=True)
class ClientWSTimeout:
    """``ws_receive``: default for ``receive()``; ``ws_close``: wait for the server's close."""

    ws_receive: float | None = None
    ws_close: float | None = None


DEFAULT_WS_CLIENT_TIMEOUT = ClientWSTimeout(ws_receive=None, ws_close=10.0)


class _ConnectionLost(Exception):
    """Queue marker: the socket is gone; stays at the head of the queue for good."""


class ClientWebSocketResponse:
    """An open websocket: send and receive messages, close with a code."""

    # Positional order as aiohttp's, since ws_response_class= subclasses receive these.
    def __init__(
        self,
        reader: WebSocketReader,  # the server's frames, parsed
        writer: WebSocketWriter,  # our frames, masked and sent
        protocol: str | None,  # the subprotocol the server picked
        response: ClientResponse,  # the 101 that opened the websocket
        timeout: ClientWSTimeout,
        autoclose: bool,  # answer a CLOSE from the server at once
        autoping: bool,  # answer PINGs and swallow PONGs
        loop: asyncio.AbstractEventLoop,
        *,
        heartbeat: float | None = None,  # seconds between our PINGs
        compress: int = 0,  # permessage-deflate window bits, 0 for none
        client_notakeover: bool = False,
        connection: ResponseHandler | None = None,  # the upgraded socket's protocol
    ) -> None:
        assert connection is not None, "the upgraded connection's protocol is required"
        self._reader = reader
        self._writer = writer
        self._protocol = protocol
        self._response = response
        self._timeout = timeout
        self._autoclose = autoclose
        self._autoping = autoping
        self._loop = loop
        self._heartbeat = heartbeat
        self._compress = compress
        self._client_notakeover = client_notakeover
        self._conn = connection
        self._queue: deque[WSMessage | BaseException] = deque()
        self._queued_bytes = 0
        self._waiter: asyncio.Future[None] | None = None
        self._receiving = False  # a receive() is waiting for a message
        self._receive_done: asyncio.Future[None] | None = None  # made by close() to wait for it
        self._awaiting_reply = False  # a close() owns the queue until the server's CLOSE
        self._closed = False
        self._closing = False
        self._close_code: int | None = None
        self._exception: BaseException | None = None
        self._last_received = loop.time()
        self._heartbeat_handle: asyncio.TimerHandle | None = None
        self._ping_sent_at = 0.0
        connection.closed.add_done_callback(self._on_connection_lost)
        tail = connection.set_upgrade_sink(self._feed)
        self._reads = _ReadInto.install(connection, self._feed)
        if tail:
            self._feed(tail)
        if heartbeat:
            self._schedule_heartbeat(loop.time() + heartbeat)

    # -- incoming -------------------------------------------------------------------------

    def _feed(self, data: bytes | memoryview) -> None:
        """The upgrade sink: every chunk the socket delivers after the 101 head."""
        if self._heartbeat:
            self._last_received = self._loop.time()
        error = None
        try:
            messages = self._reader.feed_data(data)
        except WebSocketError as exc:
            self._conn.set_upgrade_sink(_discard)  # the stream is unparseable from here on
            if self._reads is not None:
                self._reads.sink = _discard
            messages, error = exc.messages, exc
        for msg in messages:
            kind = msg[0]
            if kind is _TEXT or kind is _BINARY:
                # _push, inlined: this is the path every data message takes
                self._queued_bytes += len(msg[1])
                self._queue.append(msg)
                waiter = self._waiter
                if waiter is not None and not waiter.done():
                    waiter.set_result(None)
                continue
            if self._autoping and (kind is _PING or kind is _PONG):
                if kind is _PING:
                    self._write_now(msg[1], _PONG)
                continue
            self._push(msg)
        if error is not None:
            self._push(error)  # after the messages that arrived intact before it
        elif self._queued_bytes > _READ_HIGH_WATER:
            self._conn.pause_reading()

    def _push(self, item: WSMessage | BaseException) -> None:
        self._queue.append(item)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _on_connection_lost(self, _: asyncio.Future[None]) -> None:
        self._cancel_heartbeat()
        self._push(_ConnectionLost())

    async def _wait(self, timeout: float | None) -> None:
        """Until something is queued (or ``timeout`` seconds pass: TimeoutError)."""
        waiter = self._waiter = self._loop.create_future()
        handle = None
        if timeout is not None:
            handle = self._loop.call_later(timeout, _expire, waiter)
        try:
            await waiter
        finally:
            if self._waiter is waiter:
                self._waiter = None
            if handle is not None:
                handle.cancel()

    def _take(self) -> WSMessage:
        """Pop the head of the (non-empty) queue; raises what the reader or the connection
        reported."""
        queue = self._queue
        item = queue.popleft()
        if type(item) is WSMessage:
            kind = item[0]
            if kind is _TEXT or kind is _BINARY:
                self._queued_bytes -= len(item[1])
                if self._queued_bytes <= _READ_HIGH_WATER:
                    self._conn.resume_reading()
            return item
        if isinstance(item, _ConnectionLost):
            queue.appendleft(item)  # left in place: every later read sees it too
        raise item  # type: ignore[misc]

    async def _next(self, timeout: float | None) -> WSMessage:
        """The next queued message; raises what the reader or the connection reported."""
        if not self._queue:
            await self._wait(timeout)
        return self._take()

    async def receive(self, timeout: float | None = None) -> WSMessage:
        """The next message; CLOSE/CLOSING/CLOSED/ERROR ones report the end of the socket."""
        if self._receiving:
            raise RuntimeError("Concurrent call to receive() is not allowed")
        if self._closed:
            return WS_CLOSED_MESSAGE
        if self._closing:
            await self.close()
            return WS_CLOSED_MESSAGE
        self._receiving = True
        try:
            try:
                msg = await self._receive_one(timeout or self._timeout.ws_receive)
            finally:
                self._receiving = False
                done = self._receive_done
                if done is not None:
                    self._receive_done = None
                    if not done.done():
                        done.set_result(None)
        except (TimeoutError, asyncio.CancelledError):
            self._close_code = WSCloseCode.ABNORMAL_CLOSURE
            raise
        except _ConnectionLost:
            # Gone without a closing handshake: the close frame cannot be written (aiohttp
            # reports it so too).
            self._exception = ClientConnectionResetError("Cannot write to closing transport")
            self._mark_closed()
            return WS_CLOSED_MESSAGE
        except WebSocketError as exc:
            self._close_code = exc.code  # set first: close() then fails the connection at once
            await self.close(code=exc.code)
            return WSMessage(WSMsgType.ERROR, exc, None)
        kind = msg[0]
        if kind is _CLOSE:
            self._set_closing()
            self._close_code = msg.data or _NO_STATUS_RECEIVED
            if not self._closed and self._autoclose:
                await self.close()
        return msg

    async def _receive_one(self, timeout: float | None) -> WSMessage:
        """The next queued message, or CLOSED when a close() running in another task took
        over the queue while this one waited."""
        if not self._queue:  # _wait, inlined: one coroutine less on every wait
            waiter = self._waiter = self._loop.create_future()
            handle = None
            if timeout is not None:
                handle = self._loop.call_later(timeout, _expire, waiter)
            try:
                await waiter
            finally:
                if self._waiter is waiter:
                    self._waiter = None
                if handle is not None:
                    handle.cancel()
            if self._awaiting_reply or not self._queue:
                return WS_CLOSED_MESSAGE
        return self._take()

    async def receive_str(self, *, timeout: float | None = None) -> str:
        msg = await self.receive(timeout)
        if msg.type is not WSMsgType.TEXT:
            raise WSMessageTypeError(
                f"Received message {msg.type}:{msg.data!r} is not WSMsgType.TEXT"
            )
        return msg.data  # type: ignore[no-any-return]

    async def receive_bytes(self, *, timeout: float | None = None) -> bytes:
        msg = await self.receive(timeout)
        if msg.type is not WSMsgType.BINARY:
            raise WSMessageTypeError(
                f"Received message {msg.type}:{msg.data!r} is not WSMsgType.BINARY"
            )
        return msg.data  # type: ignore[no-any-return]

    async def receive_json(
        self, *, loads: Callable[[Any], Any] = json.loads, timeout: float | None = None
    ) -> Any:
        return loads(await self.receive_str(timeout=timeout))

    def __aiter__(self) -> ClientWebSocketResponse:
        return self

    async def __aenter__(self) -> ClientWebSocketResponse:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def __anext__(self) -> WSMessage:
        msg = await self.receive()
        if msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED):
            raise StopAsyncIteration
        return msg

    # -- outgoing -------------------------------------------------------------------------

    def _write_now(self, payload: bytes, opcode: int, compress: int | None = None) -> None:
        transport = self._conn.transport
        if transport is None or transport.is_closing():
            raise ClientConnectionResetError("Cannot write to closing transport")
        transport.write(self._writer.frame(payload, opcode, compress))

    def _must_drain(self) -> bool:
        """Whether ``_drain_helper`` has anything to do (a full buffer, or no transport for
        it to report), so the common send skips creating its coroutine."""
        conn = self._conn
        return conn._writing_paused or conn.transport is None

    async def send_frame(
        self, message: bytes, opcode: WSMsgType, compress: int | None = None
    ) -> None:
        """Send one complete frame; waits only when the socket's write buffer is full."""
        self._write_now(message, opcode, compress)
        if self._must_drain():
            await self._conn._drain_helper()

    async def send_str(self, data: str, compress: int | None = None) -> None:
        if not isinstance(data, str):
            raise TypeError(f"data argument must be str ({type(data)!r})")
        self._write_now(data.encode("utf-8"), _TEXT, compress)  # send_frame, inlined
        if self._must_drain():
            await self._conn._drain_helper()

    async def send_bytes(self, data: bytes, compress: int | None = None) -> None:
        self._write_now(_bytes_like(data, "data"), _BINARY, compress)  # send_frame, inlined
        if self._must_drain():
            await self._conn._drain_helper()

    async def send_json(
        self, data: Any, compress: int | None = None, *, dumps: Callable[[Any], str] = json.dumps
    ) -> None:
        await self.send_str(dumps(data), compress)

    async def send_json_bytes(
        self, data: Any, compress: int | None = None, *, dumps: Callable[[Any], bytes]
    ) -> None:
        """JSON from a serializer that already returns UTF-8 bytes (orjson and the like), sent
        as a BINARY frame, as aiohttp 3.14 does."""
        await self.send_bytes(dumps(data), compress)

    async def ping(self, message: bytes = b"") -> None:
        await self.send_frame(_bytes_like(message, "message"), WSMsgType.PING)

    async def pong(self, message: bytes = b"") -> None:
        await self.send_frame(_bytes_like(message, "message"), WSMsgType.PONG)

    # -- closing --------------------------------------------------------------------------

    async def close(self, *, code: int = WSCloseCode.OK, message: bytes = b"") -> bool:
        """Send a close frame and wait (``ws_close`` seconds) for the server's; False if the
        socket was already closed."""
        if self._receiving and not self._closing:
            # Wake the task blocked in receive() with CLOSING, and let it return first.
            self._set_closing()
            done = self._receive_done = self._loop.create_future()
            self._push(WS_CLOSING_MESSAGE)
            await done
        if self._closed:
            return False
        self._set_closed()
        try:
            self._write_now(self._close_payload(code, message), WSMsgType.CLOSE, 0)
            if self._must_drain():
                await self._conn._drain_helper()
        except asyncio.CancelledError:
            self._close_code = WSCloseCode.ABNORMAL_CLOSURE
            self._drop_connection()
            raise
        except Exception as exc:  # the socket is gone: no handshake to wait for
            self._close_code = WSCloseCode.ABNORMAL_CLOSURE
            self._exception = exc
            self._drop_connection()
            return True
        if self._close_code:
            # The server's CLOSE, a protocol error or a failed receive() came first: nothing
            # more to wait for.
            self._drop_connection()
            return True
        await self._await_close_reply()
        return True

    @staticmethod
    def _close_payload(code: int, message: bytes | str) -> bytes:
        reason = message.encode("utf-8") if isinstance(message, str) else bytes(message)
        return int(code).to_bytes(2, "big") + reason

    async def _await_close_reply(self) -> None:
        """Read (and drop) messages until the server's CLOSE, the timeout or the socket's end;
        whatever ended the wait early is what ``exception()`` reports."""
        deadline = self._timeout.ws_close
        end = None if deadline is None else self._loop.time() + deadline
        self._awaiting_reply = True
        try:
            while True:
                left = None if end is None else max(0.0, end - self._loop.time())
                msg = await self._next(left)
                if msg.type is WSMsgType.CLOSE:
                    self._close_code = msg.data or _NO_STATUS_RECEIVED
                    break
        except asyncio.CancelledError:
            self._close_code = WSCloseCode.ABNORMAL_CLOSURE
            raise
        except _ConnectionLost:
            self._close_code = WSCloseCode.ABNORMAL_CLOSURE
            self._exception = EofStream()
        except (TimeoutError, WebSocketError) as exc:
            self._close_code = WSCloseCode.ABNORMAL_CLOSURE
            self._exception = exc
        finally:
            self._awaiting_reply = False
            self._drop_connection()

    def _set_closing(self) -> None:
        self._closing = True
        self._cancel_heartbeat()

    def _set_closed(self) -> None:
        self._closed = True
        self._cancel_heartbeat()

    def _mark_closed(self) -> None:
        """The socket went away without a closing handshake."""
        self._closed = True
        self._closing = True
        self._close_code = WSCloseCode.ABNORMAL_CLOSURE
        self._drop_connection()

    def _drop_connection(self) -> None:
        self._cancel_heartbeat()
        self._conn.close()

    # -- heartbeat ------------------------------------------------------------------------

    def _schedule_heartbeat(self, when: float) -> None:
        self._heartbeat_handle = self._loop.call_at(when, self._heartbeat_due)

    def _heartbeat_due(self) -> None:
        """Ping after ``heartbeat`` quiet seconds; any data from the server counts as alive."""
        heartbeat = self._heartbeat
        assert heartbeat is not None
        now = self._loop.time()
        if now < self._last_received + heartbeat:
            self._schedule_heartbeat(self._last_received + heartbeat)
            return
        try:
            self._write_now(b"", WSMsgType.PING)
        except ConnectionError:
            self._heartbeat_handle = None
            return
        self._ping_sent_at = now
        self._heartbeat_handle = self._loop.call_at(now + heartbeat / 2, self._pong_due)

    def _pong_due(self) -> None:
        heartbeat = self._heartbeat
        assert heartbeat is not None
        if self._last_received >= self._ping_sent_at:
            self._schedule_heartbeat(self._last_received + heartbeat)
            return
        self._heartbeat_handle = None
        exc = ServerTimeoutError(f"No PONG received after {heartbeat / 2} seconds")
        self._exception = exc
        self._closed = True
        self._close_code = WSCloseCode.ABNORMAL_CLOSURE
        self._conn.close()
        if self._receiving and not self._closing:
            self._push(WSMessage(WSMsgType.ERROR, exc, None))

    def _cancel_heartbeat(self) -> None:
        handle = self._heartbeat_handle
        if handle is not None:
            self._heartbeat_handle = None
            handle.cancel()

    # -- attributes: what the handshake settled, then the connection's state -----------------

    @property
    def protocol(self) -> str | None:
        """The subprotocol the server chose, if any."""
        return self._protocol

    @property
    def compress(self) -> int:
        """The negotiated permessage-deflate window bits (0: no compression)."""
        return self._compress

    @property
    def client_notakeover(self) -> bool:
        """Whether we compress each message with a fresh deflate context."""
        return self._client_notakeover

    @property
    def closed(self) -> bool:
        """True once a close frame was sent or the connection is gone."""
        return self._closed

    @property
    def close_code(self) -> int | None:
        """The peer's close code (1006 when the connection dropped without one)."""
        return self._close_code

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """Transport details (``peername``, ``sslcontext``, ...), as asyncio names them."""
        transport = self._conn.transport
        if transport is None:
            return default
        return transport.get_extra_info(name, default)

    def exception(self) -> BaseException | None:
        return self._exception


class _ReadInto(asyncio.BufferedProtocol):
    """The transport's protocol once the websocket is open: the socket is read into one
    reused buffer instead of a fresh 256 KiB bytes object per read (which glibc maps and
    unmaps every time: three system calls and page faults on every chunk). Everything but
    the data goes on to the connection's own protocol, which stays in charge."""

    def __init__(self, conn: ResponseHandler, sink: Callable[[Any], None]) -> None:
        self.conn = conn
        self.sink = sink
        self.view = memoryview(bytearray(_READ_BUFFER))

    @classmethod
    def install(cls, conn: ResponseHandler, sink: Callable[[Any], None]) -> _ReadInto | None:
        transport = conn.transport
        set_protocol = getattr(transport, "set_protocol", None)
        if set_protocol is None:
            return None  # keep the connection's data_received path (the upgrade sink)
        reads = cls(conn, sink)
        set_protocol(reads)
        return reads

    def get_buffer(self, sizehint: int) -> memoryview:
        return self.view

    def buffer_updated(self, nbytes: int) -> None:
        self.sink(self.view[:nbytes])

    def eof_received(self) -> bool | None:
        return self.conn.eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        self.conn.connection_lost(exc)

    def pause_writing(self) -> None:
        self.conn.pause_writing()

    def resume_writing(self) -> None:
        self.conn.resume_writing()


def _expire(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        # A plain TimeoutError, as aiohttp raises: not a ClientError, the socket is still open.
        waiter.set_exception(TimeoutError())


def _bytes_like(value: bytes, argument: str) -> bytes:
    """``value`` when it is bytes-like: a binary message or a ping/pong payload. Anything else,
    a str included (as in aiohttp), is a TypeError naming the ``argument``."""
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise TypeError(f"{argument} argument must be byte-ish ({type(value)!r})")
    return value


def _discard(data: bytes) -> None:
    """Sink for bytes after a protocol error: the connection is being failed anyway."""
