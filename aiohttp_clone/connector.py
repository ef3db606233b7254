"""Connectors: pools of keep-alive connections with hard limits and FIFO waiters.

``BaseConnector`` owns the pool and the limits; ``TCPConnector`` adds DNS (with a TTL cache),
happy eyeballs and TLS; ``UnixConnector`` connects to a unix socket path.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import sys
import warnings
import weakref
from collections import deque
from collections.abc import Callable
from contextlib import suppress
from time import monotonic
from typing import TYPE_CHECKING, Any

import aiohappyeyeballs

from .abc import AbstractResolver, ResolveResult
from .client_exceptions import (
    ClientConnectionError,
    ClientConnectorDNSError,
    ClientConnectorError,
    ServerFingerprintMismatch,
    UnixClientConnectorError,
)
from .client_proto import ResponseHandler
from .connector_errors import connect_errors, deadline
from .connector_proxy import connect_through_proxy
from .connector_socks import connect_through_socks, is_socks
from .connector_tls import Fingerprint, resolve_ssl, ssl_context_for, warn_ssl_shutdown_timeout
from .helpers import _SENTINEL, is_ip_address, sentinel
from .resolver import DefaultResolver

if TYPE_CHECKING:
    from ._values import ClientTimeout, ConnectionKey
    from .client_reqrep import ClientRequest
    from .tracing import Trace

__all__ = ("BaseConnector", "Connection", "NamedPipeConnector", "TCPConnector", "UnixConnector")


SocketFactoryType = Callable[[tuple[Any, ...]], socket.socket]
AddrInfoType = tuple[int, int, int, str, tuple[Any, ...]]


class Connection:
    """One acquired connection, handed to a request and given back with ``release()``."""

    __slots__ = ("__weakref__", "_callbacks", "_connector", "_key", "_loop", "_protocol")

    def __init__(
        self,
        connector: BaseConnector,
        key: ConnectionKey,
        protocol: ResponseHandler,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self._connector = connector
        self._key = key
        self._protocol: ResponseHandler | None = protocol
        self._loop = loop
        self._callbacks: list[Callable[[], None]] = []

    def __repr__(self) -> str:
        return f"Connection<{self._key}>"

    @property
    def transport(self) -> asyncio.Transport | None:
        return None if self._protocol is None else self._protocol.transport

    @property
    def protocol(self) -> ResponseHandler | None:
        return self._protocol

    def add_callback(self, callback: Callable[[], None]) -> None:
        self._callbacks.append(callback)

    def _notify_release(self) -> None:
        callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            with suppress(Exception):
                callback()

    def close(self) -> None:
        """Give the slot back and close the socket."""
        protocol = self._protocol
        if protocol is not None:
            self._protocol = None
            if self._callbacks:
                self._notify_release()
            self._connector._release(self._key, protocol, should_close=True)

    def release(self) -> None:
        """Give the connection back to the pool if it can serve another request."""
        protocol = self._protocol
        if protocol is not None:
            self._protocol = None
            if self._callbacks:
                self._notify_release()
            self._connector._release(self._key, protocol)

    def detach(self) -> ResponseHandler | None:
        """Take the socket out of the pool's hands and free its slot; the caller owns it now."""
        protocol = self._protocol
        if protocol is not None:
            self._protocol = None
            self._connector._forget(self._key, protocol)
        return protocol

    @property
    def closed(self) -> bool:
        return self._protocol is None or not self._protocol.is_connected()


class BaseConnector:
    """The pool: idle connections per key, a total and a per-host limit, FIFO waiters."""

    _cleanup_closed_period = 2.0

    def __init__(
        self,
        *,
        keepalive_timeout: float | _SENTINEL | None = sentinel,
        force_close: bool = False,
        limit: int = 100,
        limit_per_host: int = 0,
        enable_cleanup_closed: bool = False,
        loop: asyncio.AbstractEventLoop | None = None,
        timeout_ceil_threshold: float = 5,
    ) -> None:
        if force_close:
            if keepalive_timeout is not None and keepalive_timeout is not sentinel:
                raise ValueError("keepalive_timeout cannot be set if force_close is True")
        elif keepalive_timeout is sentinel:
            keepalive_timeout = 15.0
        self._loop = loop or asyncio.get_running_loop()
        self._keepalive_timeout: float | None = keepalive_timeout  # type: ignore[assignment]
        self._force_close = force_close
        self._limit = limit
        self._limit_per_host = limit_per_host
        self._timeout_ceil_threshold = timeout_ceil_threshold
        # Idle connections with their release time (time.monotonic: a C call; the times are
        # only compared with each other, so any loop's clock can schedule the cleanup).
        self._idle: dict[ConnectionKey, list[tuple[ResponseHandler, float]]] = {}
        self._acquired: set[ResponseHandler] = set()
        self._acquired_per_host: dict[ConnectionKey, int] = {}
        self._waiters: deque[tuple[ConnectionKey, asyncio.Future[None]]] = deque()
        self._cleanup_handle: asyncio.TimerHandle | None = None
        self._closed = False
        self._source_traceback = None
        self.cookies: Any = None  # aiohttp keeps a SimpleCookie here; unused by the pool

    def __del__(self, _warnings: Any = warnings) -> None:
        if self._closed or not (self._idle or self._acquired):
            return
        _warnings.warn(f"Unclosed connector {self!r}", ResourceWarning, source=self)
        with suppress(Exception):
            self._close_all()

    def __enter__(self) -> BaseConnector:
        warnings.warn(
            '"with Connector():" is deprecated, use "async with Connector():" instead',
            DeprecationWarning,
            stacklevel=2,
        )
        return self

    def __exit__(self, *exc_info: object) -> None:
        """The deprecated ``with connector:`` closes every connection without waiting."""
        if not self._closed:
            self._closed = True
            self._close_all()

    async def __aenter__(self) -> BaseConnector:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # -- public properties ----------------------------------------------------------------

    @property
    def force_close(self) -> bool:
        return self._force_close

    @property
    def limit(self) -> int:
        return self._limit

    @property
    def limit_per_host(self) -> int:
        return self._limit_per_host

    @property
    def closed(self) -> bool:
        return self._closed

    def __repr__(self) -> str:
        return f"<{type(self).__name__} limit={self._limit} closed={self._closed}>"

    # -- acquiring ------------------------------------------------------------------------

    async def connect(
        self, req: ClientRequest, traces: list[Trace], timeout: ClientTimeout
    ) -> Connection:
        """Return a connection for ``req``: an idle one when possible, else a new one."""
        key = req.connection_key
        if self._closed:
            raise ClientConnectionError("Connector is closed.")
        queued = self._must_queue(key)
        if queued:
            if traces:
                for trace in traces:
                    await trace.send_connection_queued_start()
            await self._wait_for_room(key)
        # From the room check to the slot's reservation there is no await (the traces come
        # after it): the limit cannot be overrun.
        connection = self._take_idle_connection(key)
        if connection is None:
            return await self._new_connection(req, traces, timeout, queued)
        if traces:
            if queued:
                for trace in traces:
                    await trace.send_connection_queued_end()
            for trace in traces:
                await trace.send_connection_reuseconn()
        return connection

    def reuse_idle(self, key: ConnectionKey) -> Connection | None:
        """An idle pooled connection for ``key``, taken now without awaiting, when one is free
        and the limits allow it with nobody queued ahead; None otherwise (then ``connect``)."""
        if self._closed or self._must_queue(key):
            return None
        return self._take_idle_connection(key)

    def _take_idle_connection(self, key: ConnectionKey) -> Connection | None:
        """The one way an idle connection leaves the pool (the caller checked for room)."""
        protocol = self._take_idle(key)
        if protocol is None:
            return None
        self._reserve(key, protocol)
        return Connection(self, key, protocol, self._loop)

    async def _new_connection(
        self, req: ClientRequest, traces: list[Trace], timeout: ClientTimeout, queued: bool
    ) -> Connection:
        """Open a connection, holding its slot meanwhile so concurrent requests count it."""
        key = req.connection_key
        placeholder: Any = _Placeholder()
        self._reserve(key, placeholder)  # before the first await: see ``connect``
        try:
            if traces:
                if queued:
                    for trace in traces:
                        await trace.send_connection_queued_end()
                for trace in traces:
                    await trace.send_connection_create_start()
            protocol = await self._create_connection(req, traces, timeout)
        except BaseException:
            self._unreserve(key, placeholder)
            raise
        if self._closed:  # _close_all() has already let go of every slot
            protocol.close()
            raise ClientConnectionError("Connector is closed.")
        # The connection takes over its placeholder's slot (and per-host count).
        self._acquired.discard(placeholder)
        self._acquired.add(protocol)
        connection = Connection(self, key, protocol, self._loop)
        for trace in traces:
            await trace.send_connection_create_end()
        return connection

    def _has_room(self, key: ConnectionKey) -> bool:
        if self._limit and len(self._acquired) >= self._limit:
            return False
        return not (
            self._limit_per_host and self._acquired_per_host.get(key, 0) >= self._limit_per_host
        )

    def _must_queue(self, key: ConnectionKey) -> bool:
        """Whether a request for ``key`` waits its turn: no room for it, or a queued request
        goes first (see ``_queued_ahead``)."""
        return not self._has_room(key) or (bool(self._waiters) and self._queued_ahead())

    async def _wait_for_room(self, key: ConnectionKey) -> None:
        """Queue in FIFO order until a slot for ``key`` frees; cancellation-safe."""
        while True:
            future: asyncio.Future[None] = self._loop.create_future()
            entry = (key, future)
            self._waiters.append(entry)
            try:
                await future
            except BaseException:
                if future.done() and not future.cancelled():
                    # Woken, but this task will not take the slot: pass the wake-up on.
                    self._waiters.remove(entry)
                    self._wake_waiters()
                raise
            finally:
                with suppress(ValueError):
                    self._waiters.remove(entry)
            if self._has_room(key):
                return

    def _queued_ahead(self) -> bool:
        """Whether a queued request could take a free slot now (or was woken to): FIFO order
        holds among the requests the limits let through, but one blocked by its own host's
        limit does not hold back a request for another host while the total has room."""
        return any(future.done() or self._has_room(key) for key, future in self._waiters)

    def _wake_waiters(self) -> None:
        """Wake the first waiter (in FIFO order) whose key has room now."""
        for key, future in self._waiters:
            if future.done():
                continue
            if self._has_room(key):
                future.set_result(None)
                return

    # Per-host counts are kept only under a per-host limit, the one thing that reads them: a
    # connection key is a tuple of eight, hashed again at every dict operation.
    def _reserve(self, key: ConnectionKey, protocol: ResponseHandler) -> None:
        self._acquired.add(protocol)
        if self._limit_per_host:
            self._acquired_per_host[key] = self._acquired_per_host.get(key, 0) + 1

    def _uncount(self, key: ConnectionKey) -> None:
        count = self._acquired_per_host.get(key, 0) - 1
        if count > 0:
            self._acquired_per_host[key] = count
        else:
            self._acquired_per_host.pop(key, None)

    def _unreserve(self, key: ConnectionKey, protocol: ResponseHandler) -> None:
        self._acquired.discard(protocol)
        if self._limit_per_host:
            self._uncount(key)
        if self._waiters:
            self._wake_waiters()

    def _take_idle(self, key: ConnectionKey) -> ResponseHandler | None:
        """Pop the most recently used live idle connection for ``key``."""
        idle = self._idle.get(key)
        if not idle:
            return None
        now = monotonic()
        keepalive = self._keepalive_timeout
        while idle:
            protocol, released_at = idle.pop()
            transport = protocol.transport
            if (
                transport is not None
                and not transport.is_closing()
                and (keepalive is None or now - released_at < keepalive)
            ):
                if not idle:
                    del self._idle[key]
                return protocol
            protocol.close()
        del self._idle[key]
        return None

    # -- releasing ------------------------------------------------------------------------

    def _release(
        self, key: ConnectionKey, protocol: ResponseHandler, *, should_close: bool = False
    ) -> None:
        acquired = self._acquired
        if protocol not in acquired:
            protocol.close()
            return
        acquired.discard(protocol)
        if self._limit_per_host:
            self._uncount(key)
        transport = protocol.transport
        if (
            should_close
            or self._force_close
            or self._closed
            or protocol.should_close
            or protocol.message_in_progress
            or transport is None
            or transport.is_closing()
        ):
            protocol.close()
        else:
            self._idle.setdefault(key, []).append((protocol, monotonic()))
            if self._cleanup_handle is None and self._keepalive_timeout:
                self._schedule_cleanup(self._keepalive_timeout)
        if self._waiters:
            self._wake_waiters()

    def _forget(self, key: ConnectionKey, protocol: ResponseHandler) -> None:
        self._unreserve(key, protocol)

    def _cleanup_idle(self) -> None:
        """Close idle connections older than ``keepalive_timeout``; reschedule while any."""
        self._cleanup_handle = None
        keepalive = self._keepalive_timeout
        if keepalive is None:
            return
        now = monotonic()
        for key in list(self._idle):
            alive = []
            for protocol, released_at in self._idle[key]:
                if protocol.is_connected() and now - released_at < keepalive:
                    alive.append((protocol, released_at))
                else:
                    protocol.close()
            if alive:
                self._idle[key] = alive
            else:
                del self._idle[key]
        if self._idle:
            self._schedule_cleanup(keepalive)

    def _schedule_cleanup(self, delay: float) -> None:
        # The timer holds the connector weakly, so a connector nobody closed can still be
        # collected (its __del__ warns and closes the pool) instead of living on the loop.
        self._cleanup_handle = self._loop.call_later(delay, _cleanup_idle_of, weakref.ref(self))

    # -- closing --------------------------------------------------------------------------

    def _close_all(self) -> list[asyncio.Future[None]]:
        closing = []
        for idle in self._idle.values():
            for protocol, _ in idle:
                protocol.close()
                closing.append(protocol.closed)
        for protocol in self._acquired:
            if isinstance(protocol, ResponseHandler):
                protocol.shut_down()
                closing.append(protocol.closed)
        self._idle.clear()
        self._acquired.clear()
        self._acquired_per_host.clear()
        if self._cleanup_handle is not None:
            self._cleanup_handle.cancel()
            self._cleanup_handle = None
        for _, future in self._waiters:
            if not future.done():
                future.set_exception(ClientConnectionError("Connector is closed."))
        return closing

    async def close(self) -> None:
        """Close every connection, idle and acquired, and wait until their sockets are gone."""
        if self._closed:
            return
        self._closed = True
        closing = self._close_all()
        if closing:
            await asyncio.wait(closing, timeout=1.0)

    async def _create_connection(
        self, req: ClientRequest, traces: list[Trace], timeout: ClientTimeout
    ) -> ResponseHandler:
        raise NotImplementedError


class _Placeholder:
    """Stands in the acquired set for a connection being created, so limits count it."""

    __slots__ = ()

    def close(self) -> None:
        """Nothing to close yet."""


class TCPConnector(BaseConnector):
    """TCP connections: DNS with a TTL cache, happy eyeballs, TLS and fingerprints."""

    def __init__(
        self,
        *,
        verify_ssl: bool = True,
        fingerprint: bytes | None = None,
        use_dns_cache: bool = True,
        ttl_dns_cache: int | None = 10,
        dns_cache_max_size: int = 1000,
        family: socket.AddressFamily = socket.AddressFamily.AF_UNSPEC,
        ssl_context: ssl.SSLContext | None = None,
        ssl: Any = True,
        local_addr: tuple[str, int] | None = None,
        resolver: AbstractResolver | None = None,
        keepalive_timeout: float | _SENTINEL | None = sentinel,
        force_close: bool = False,
        limit: int = 100,
        limit_per_host: int = 0,
        enable_cleanup_closed: bool = False,
        loop: asyncio.AbstractEventLoop | None = None,
        timeout_ceil_threshold: float = 5,
        happy_eyeballs_delay: float | None = 0.25,
        interleave: int | None = None,
        socket_factory: SocketFactoryType | None = None,
        ssl_shutdown_timeout: float | _SENTINEL | None = sentinel,
    ) -> None:
        super().__init__(
            keepalive_timeout=keepalive_timeout,
            force_close=force_close,
            limit=limit,
            limit_per_host=limit_per_host,
            enable_cleanup_closed=enable_cleanup_closed,
            loop=loop,
            timeout_ceil_threshold=timeout_ceil_threshold,
        )
        self._ssl = resolve_ssl(ssl, verify_ssl, ssl_context, fingerprint)
        self._resolver: AbstractResolver = resolver or DefaultResolver()
        self._resolver_owner = resolver is None
        self._use_dns_cache = use_dns_cache
        self._dns_cache = _DNSCache(ttl_dns_cache, dns_cache_max_size)
        self._resolving: dict[tuple[str, int], asyncio.Future[list[ResolveResult]]] = {}
        self._family = family
        self._local_addr_infos = (
            aiohappyeyeballs.addr_to_addr_infos(local_addr) if local_addr else None
        )
        self._happy_eyeballs_delay = happy_eyeballs_delay
        self._interleave = interleave
        self._socket_factory = socket_factory
        if ssl_shutdown_timeout is not sentinel:
            warn_ssl_shutdown_timeout(stacklevel=3)
        self._ssl_shutdown_timeout = (
            None if ssl_shutdown_timeout is sentinel else ssl_shutdown_timeout
        )

    @property
    def family(self) -> int:
        return self._family

    @property
    def use_dns_cache(self) -> bool:
        return self._use_dns_cache

    def clear_dns_cache(self, host: str | None = None, port: int | None = None) -> None:
        """Forget cached addresses, of one host:port or of all."""
        if (host is None) != (port is None):
            raise ValueError("either both host and port or none of them are allowed")
        if host is None or port is None:
            self._dns_cache.clear()
        else:
            self._dns_cache.remove((host, port))

    async def close(self) -> None:
        await super().close()
        if self._resolver_owner:
            await self._resolver.close()

    # -- DNS ------------------------------------------------------------------------------

    async def _resolve_host(
        self, host: str, port: int, traces: list[Trace]
    ) -> list[ResolveResult]:
        if is_ip_address(host):
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            return [ResolveResult(hostname=host, host=host, port=port, family=family,
                                  proto=0, flags=socket.AI_NUMERICHOST)]
        if not self._use_dns_cache:
            return await self._resolve_traced(host, port, traces)
        key = (host, port)
        cached = self._dns_cache.get(key, self._loop.time())
        if cached is not None:
            for trace in traces:
                await trace.send_dns_cache_hit(host)
            return cached
        for trace in traces:
            await trace.send_dns_cache_miss(host)
        pending = self._resolving.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[list[ResolveResult]] = self._loop.create_future()
        self._resolving[key] = future
        try:
            addrs = await self._resolve_traced(host, port, traces)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # the waiters re-raise it; silence "never retrieved"
            raise
        finally:
            self._resolving.pop(key, None)
        self._dns_cache.add(key, addrs, self._loop.time())
        future.set_result(addrs)
        return addrs

    async def _resolve_traced(
        self, host: str, port: int, traces: list[Trace]
    ) -> list[ResolveResult]:
        for trace in traces:
            await trace.send_dns_resolvehost_start(host)
        addrs = await self._resolver.resolve(host, port, family=self._family)
        for trace in traces:
            await trace.send_dns_resolvehost_end(host)
        return addrs

    # -- connecting -----------------------------------------------------------------------

    async def _create_connection(
        self, req: ClientRequest, traces: list[Trace], timeout: ClientTimeout
    ) -> ResponseHandler:
        if req.proxy is not None:
            if is_socks(req.proxy):
                return await connect_through_socks(self, req, traces, timeout)
            return await connect_through_proxy(self, req, timeout)
        host = req.url.raw_host or ""
        sslcontext, server_hostname = self._origin_tls(req)
        protocol = await self._open_tcp(
            host, req.port, req.connection_key, traces, timeout, sslcontext, server_hostname,
            req.url.host_port_subcomponent or host, ClientConnectorError,
        )
        self._check_fingerprint(req, protocol)
        return protocol

    async def _open_tcp(
        self,
        host: str,
        port: int,
        key: ConnectionKey,
        traces: list[Trace],
        timeout: ClientTimeout,
        sslcontext: ssl.SSLContext | None,
        server_hostname: str | None,
        where: str,
        error_class: type[ClientConnectorError],
    ) -> ResponseHandler:
        """Resolve, connect (happy eyeballs) and optionally wrap in TLS; errors name ``key``."""
        try:
            addrs = await self._resolve_host(host, port, traces)
        except OSError as exc:
            raise ClientConnectorDNSError(key, exc) from exc
        with connect_errors(key, error_class):
            async with self._connect_deadline(timeout, where):
                sock = await self._open_socket(addrs)
                return await self._wrap_socket(sock, sslcontext, server_hostname)

    @staticmethod
    def _connect_deadline(timeout: ClientTimeout, where: str) -> deadline:
        """``sock_connect`` over connecting to ``where`` (host:port), with aiohttp's message."""
        return deadline(timeout.sock_connect, f"Connection timeout to host {where}")

    def _origin_tls(self, req: ClientRequest) -> tuple[ssl.SSLContext | None, str | None]:
        """TLS to the origin: its context (None for http) and the name its certificate must bear."""
        sslcontext = self._ssl_for(req)
        if sslcontext is None:
            return None, None
        return sslcontext, req.server_hostname or (req.url.raw_host or "").rstrip(".")

    async def _wrap_socket(
        self, sock: socket.socket, sslcontext: ssl.SSLContext | None, server_hostname: str | None
    ) -> ResponseHandler:
        """A ``ResponseHandler`` on a connected socket, after a TLS handshake if ``sslcontext``."""
        _, protocol = await self._loop.create_connection(
            lambda: ResponseHandler(self._loop), sock=sock, ssl=sslcontext,
            server_hostname=server_hostname, ssl_shutdown_timeout=self._ssl_shutdown_timeout,
        )  # fmt: skip
        return protocol

    async def _open_socket(self, addrs: list[ResolveResult]) -> socket.socket:
        infos: list[AddrInfoType] = []
        for addr in addrs:
            if addr["family"] == socket.AF_INET6:
                address: tuple[Any, ...] = (addr["host"], addr["port"], 0, 0)
            else:
                address = (addr["host"], addr["port"])
            infos.append((addr["family"], socket.SOCK_STREAM, socket.IPPROTO_TCP, "", address))
        return await aiohappyeyeballs.start_connection(
            infos,
            happy_eyeballs_delay=self._happy_eyeballs_delay,
            interleave=self._interleave,
            local_addr_infos=self._local_addr_infos,
            socket_factory=self._socket_factory,
        )

    def _ssl_for(self, req: ClientRequest) -> ssl.SSLContext | None:
        if not req.is_ssl():
            return None
        return ssl_context_for(self._ssl if req.ssl is True else req.ssl)

    def _check_fingerprint(self, req: ClientRequest, protocol: ResponseHandler) -> None:
        pin = self._ssl if req.ssl is True else req.ssl
        if not isinstance(pin, Fingerprint) or protocol.transport is None:
            return
        ssl_object = protocol.transport.get_extra_info("ssl_object")
        if ssl_object is None:
            return
        try:
            pin.check(ssl_object.getpeercert(binary_form=True), req.url.raw_host or "", req.port)
        except ServerFingerprintMismatch:
            protocol.close()
            raise


class _DNSCache:
    """Resolved addresses per (host, port), each with an expiry; oldest evicted first."""

    def __init__(self, ttl: float | None, max_size: int) -> None:
        self._ttl = ttl
        self._max_size = max_size
        self._entries: dict[tuple[str, int], tuple[list[ResolveResult], float]] = {}

    def get(self, key: tuple[str, int], now: float) -> list[ResolveResult] | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        addrs, expires = entry
        if self._ttl is not None and now >= expires:
            del self._entries[key]
            return None
        return addrs

    def add(self, key: tuple[str, int], addrs: list[ResolveResult], now: float) -> None:
        if len(self._entries) >= self._max_size:
            self._entries.pop(next(iter(self._entries)))
        expires = now + self._ttl if self._ttl is not None else 0.0
        self._entries[key] = (addrs, expires)

    def remove(self, key: tuple[str, int]) -> None:
        self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()


class _PathConnector(BaseConnector):
    """A connector to one local path (unix socket or named pipe) whatever the URL's host."""

    def __init__(
        self,
        path: str,
        force_close: bool = False,
        keepalive_timeout: float | _SENTINEL | None = sentinel,
        limit: int = 100,
        limit_per_host: int = 0,
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        # The pool's own settings; a path connector adds only the path to dial.
        super().__init__(keepalive_timeout=keepalive_timeout, force_close=force_close, loop=loop,
                         limit=limit, limit_per_host=limit_per_host)  # fmt: skip
        self._path: str = path

    @property
    def path(self) -> str:
        return self._path


class UnixConnector(_PathConnector):
    """Connections to a unix domain socket; the URL's host only names the Host header."""

    async def _create_connection(
        self, req: ClientRequest, traces: list[Trace], timeout: ClientTimeout
    ) -> ResponseHandler:
        try:
            async with deadline(timeout.sock_connect, f"Connection timeout to {self._path}"):
                _, protocol = await self._loop.create_unix_connection(
                    lambda: ResponseHandler(self._loop), self._path
                )
        except OSError as exc:
            if isinstance(exc, TimeoutError):
                raise
            raise UnixClientConnectorError(self._path, req.connection_key, exc) from exc
        return protocol


class NamedPipeConnector(_PathConnector):
    """Windows named pipes; available only on Windows' proactor event loop."""

    def __init__(
        self,
        path: str,
        force_close: bool = False,
        keepalive_timeout: float | _SENTINEL | None = sentinel,
        limit: int = 100,
        limit_per_host: int = 0,
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        if sys.platform != "win32":
            raise RuntimeError("Named pipes are only available on Windows")
        super().__init__(path, force_close, keepalive_timeout, limit, limit_per_host, loop)

    async def _create_connection(
        self, req: ClientRequest, traces: list[Trace], timeout: ClientTimeout
    ) -> ResponseHandler:
        async with deadline(timeout.sock_connect, f"Connection timeout to {self._path}"):
            create_pipe_connection: Any = getattr(self._loop, "create_pipe_connection")  # noqa: B009 - proactor loops only
            _, protocol = await create_pipe_connection(
                lambda: ResponseHandler(self._loop), self._path
            )
        handler: ResponseHandler = protocol
        return handler


def _cleanup_idle_of(ref: weakref.ref[BaseConnector]) -> None:
    """The keep-alive timer's callback (see ``BaseConnector._schedule_cleanup``)."""
    connector = ref()
    if connector is not None:
        connector._cleanup_idle()
