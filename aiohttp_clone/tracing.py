"""Client tracing: signals a session fires at each step of a request's life.

A ``TraceConfig`` holds one ``Signal`` per event; the session builds one ``Trace`` per config
for each request, and only when configs exist, so an untraced request pays nothing. A ``Trace``
builds a params object only when its signal has receivers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, Generic, SupportsIndex, TypeVar, overload

from multidict import CIMultiDict
from yarl import URL

if TYPE_CHECKING:
    from .client import ClientSession
    from .client_reqrep import ClientResponse

# Grouped as a request lives through them: the request, its connection, its DNS lookup.
__all__ = (  # noqa: RUF022
    "Signal", "Trace", "TraceConfig",
    "TraceRequestStartParams", "TraceRequestHeadersSentParams", "TraceRequestChunkSentParams",
    "TraceResponseChunkReceivedParams", "TraceRequestRedirectParams", "TraceRequestEndParams",
    "TraceRequestExceptionParams",
    "TraceConnectionQueuedStartParams", "TraceConnectionQueuedEndParams",
    "TraceConnectionCreateStartParams", "TraceConnectionCreateEndParams",
    "TraceConnectionReuseconnParams",
    "TraceDnsResolveHostStartParams", "TraceDnsResolveHostEndParams",
    "TraceDnsCacheHitParams", "TraceDnsCacheMissParams",
)  # fmt: skip

_P = TypeVar("_P")
Callback = Callable[[Any, SimpleNamespace, _P], Awaitable[None]]


class Signal(list, Generic[_P]):  # type: ignore[type-arg]
    """A list of async callbacks that can be frozen, after which it refuses changes.

    The session freezes its trace configs so that no callback is added or removed while a
    request is iterating over them.
    """

    __slots__ = ("_frozen",)

    def __init__(self, callbacks: Iterable[Callback[_P]] = ()) -> None:
        super().__init__(callbacks)
        self._frozen = False

    @property
    def frozen(self) -> bool:
        """Whether the signal refuses changes."""
        return self._frozen

    def freeze(self) -> None:
        """Refuse all later changes."""
        self._frozen = True

    def _check(self) -> None:
        if self._frozen:
            raise RuntimeError("Cannot modify frozen signal")

    async def send(self, *args: Any) -> None:
        """Await every callback in turn with ``args``."""
        for callback in self:
            await callback(*args)

    def __repr__(self) -> str:
        return f"<Signal frozen={self._frozen} {list.__repr__(self)}>"

    # Every mutator checks first; list has no single hook they all pass through.
    def append(self, callback: Callback[_P]) -> None:
        self._check()
        super().append(callback)

    def extend(self, callbacks: Iterable[Callback[_P]]) -> None:
        self._check()
        super().extend(callbacks)

    def insert(self, index: SupportsIndex, callback: Callback[_P]) -> None:
        self._check()
        super().insert(index, callback)

    def remove(self, callback: Callback[_P]) -> None:
        self._check()
        super().remove(callback)

    def pop(self, index: SupportsIndex = -1) -> Callback[_P]:
        self._check()
        return super().pop(index)  # type: ignore[no-any-return]

    def clear(self) -> None:
        self._check()
        super().clear()

    def sort(self, *args: Any, **kwargs: Any) -> None:
        self._check()
        super().sort(*args, **kwargs)

    def reverse(self) -> None:
        self._check()
        super().reverse()

    def __setitem__(self, index: Any, value: Any) -> None:
        self._check()
        super().__setitem__(index, value)

    def __delitem__(self, index: Any) -> None:
        self._check()
        super().__delitem__(index)

    def __iadd__(self, callbacks: Iterable[Callback[_P]]) -> Signal[_P]:  # type: ignore[override,misc]
        self._check()
        return super().__iadd__(callbacks)

    def __imul__(self, count: SupportsIndex) -> Signal[_P]:
        self._check()
        return super().__imul__(count)


# -- the params each signal delivers --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TraceRequestStartParams:
    """Sent when a request starts, before the connection is taken."""

    method: str
    url: URL
    headers: CIMultiDict[str]


@dataclass(frozen=True, slots=True)
class TraceRequestChunkSentParams:
    """Sent for each piece of the request body written."""

    method: str
    url: URL
    chunk: bytes


@dataclass(frozen=True, slots=True)
class TraceResponseChunkReceivedParams:
    """Sent for each piece of the response body read."""

    method: str
    url: URL
    chunk: bytes


@dataclass(frozen=True, slots=True)
class TraceRequestEndParams:
    """Sent when the response head has arrived."""

    method: str
    url: URL
    headers: CIMultiDict[str]
    response: ClientResponse


@dataclass(frozen=True, slots=True)
class TraceRequestExceptionParams:
    """Sent when the request fails."""

    method: str
    url: URL
    headers: CIMultiDict[str]
    exception: BaseException


@dataclass(frozen=True, slots=True)
class TraceRequestRedirectParams:
    """Sent when a redirect response is about to be followed."""

    method: str
    url: URL
    headers: CIMultiDict[str]
    response: ClientResponse


@dataclass(frozen=True, slots=True)
class TraceRequestHeadersSentParams:
    """Sent once the request head is written."""

    method: str
    url: URL
    headers: CIMultiDict[str]


@dataclass(frozen=True, slots=True)
class TraceConnectionQueuedStartParams:
    """Sent when the request waits for a free connection slot."""


@dataclass(frozen=True, slots=True)
class TraceConnectionQueuedEndParams:
    """Sent when the wait for a connection slot ends."""


@dataclass(frozen=True, slots=True)
class TraceConnectionCreateStartParams:
    """Sent before a new connection is opened."""


@dataclass(frozen=True, slots=True)
class TraceConnectionCreateEndParams:
    """Sent after a new connection is opened."""


@dataclass(frozen=True, slots=True)
class TraceConnectionReuseconnParams:
    """Sent when a pooled keep-alive connection is reused."""


@dataclass(frozen=True, slots=True)
class TraceDnsResolveHostStartParams:
    """Sent before a host name is resolved."""

    host: str


@dataclass(frozen=True, slots=True)
class TraceDnsResolveHostEndParams:
    """Sent after a host name is resolved."""

    host: str


@dataclass(frozen=True, slots=True)
class TraceDnsCacheHitParams:
    """Sent when the DNS cache answers for a host."""

    host: str


@dataclass(frozen=True, slots=True)
class TraceDnsCacheMissParams:
    """Sent when the DNS cache has no answer for a host."""

    host: str


# -- configuration --------------------------------------------------------------------------


class _SignalSlot(Generic[_P]):
    """A read-only attribute giving each TraceConfig its own Signal of one event."""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, instance: None, owner: type) -> _SignalSlot[_P]: ...
    @overload
    def __get__(self, instance: TraceConfig, owner: type) -> Signal[_P]: ...

    def __get__(self, instance: TraceConfig | None, owner: type) -> Any:
        if instance is None:
            return self
        return instance._signals[self._name]

    def __set__(self, instance: TraceConfig, value: object) -> None:
        # Callers add to the signal; replacing it would bypass freezing.
        raise AttributeError(f"{self._name} is read-only; append callbacks to it instead")


class TraceConfig:
    """The callbacks one tracer registers, and the factory of its per-request context."""

    on_request_start: _SignalSlot[TraceRequestStartParams] = _SignalSlot()
    on_request_chunk_sent: _SignalSlot[TraceRequestChunkSentParams] = _SignalSlot()
    on_response_chunk_received: _SignalSlot[TraceResponseChunkReceivedParams] = _SignalSlot()
    on_request_end: _SignalSlot[TraceRequestEndParams] = _SignalSlot()
    on_request_exception: _SignalSlot[TraceRequestExceptionParams] = _SignalSlot()
    on_request_redirect: _SignalSlot[TraceRequestRedirectParams] = _SignalSlot()
    on_request_headers_sent: _SignalSlot[TraceRequestHeadersSentParams] = _SignalSlot()
    on_connection_queued_start: _SignalSlot[TraceConnectionQueuedStartParams] = _SignalSlot()
    on_connection_queued_end: _SignalSlot[TraceConnectionQueuedEndParams] = _SignalSlot()
    on_connection_create_start: _SignalSlot[TraceConnectionCreateStartParams] = _SignalSlot()
    on_connection_create_end: _SignalSlot[TraceConnectionCreateEndParams] = _SignalSlot()
    on_connection_reuseconn: _SignalSlot[TraceConnectionReuseconnParams] = _SignalSlot()
    on_dns_resolvehost_start: _SignalSlot[TraceDnsResolveHostStartParams] = _SignalSlot()
    on_dns_resolvehost_end: _SignalSlot[TraceDnsResolveHostEndParams] = _SignalSlot()
    on_dns_cache_hit: _SignalSlot[TraceDnsCacheHitParams] = _SignalSlot()
    on_dns_cache_miss: _SignalSlot[TraceDnsCacheMissParams] = _SignalSlot()

    def __init__(
        self, trace_config_ctx_factory: Callable[..., SimpleNamespace] = SimpleNamespace
    ) -> None:
        self._trace_config_ctx_factory = trace_config_ctx_factory
        self._signals: dict[str, Signal[Any]] = {name: Signal() for name in _SIGNAL_NAMES}

    def trace_config_ctx(self, trace_request_ctx: object = None) -> SimpleNamespace:
        """A fresh context for one request, carrying the caller's ``trace_request_ctx``."""
        return self._trace_config_ctx_factory(trace_request_ctx=trace_request_ctx)

    def freeze(self) -> None:
        """Freeze every signal; the session does this when it takes the config."""
        for signal in self._signals.values():
            signal.freeze()


_SIGNAL_NAMES = tuple(n for n, v in vars(TraceConfig).items() if isinstance(v, _SignalSlot))


class Trace:
    """Delivers one request's events to one TraceConfig's callbacks."""

    __slots__ = ("_session", "_trace_config", "_trace_config_ctx")

    def __init__(
        self,
        session: ClientSession,
        trace_config: TraceConfig,
        trace_config_ctx: SimpleNamespace,
    ) -> None:
        self._session = session
        self._trace_config = trace_config
        self._trace_config_ctx = trace_config_ctx

    async def _send(self, signal: Signal[_P], params: _P) -> None:
        await signal.send(self._session, self._trace_config_ctx, params)

    async def send_request_start(self, method: str, url: URL, headers: CIMultiDict[str]) -> None:
        """Fire on_request_start."""
        if signal := self._trace_config.on_request_start:
            await self._send(signal, TraceRequestStartParams(method, url, headers))

    async def send_request_chunk_sent(self, method: str, url: URL, chunk: bytes) -> None:
        """Fire on_request_chunk_sent."""
        if signal := self._trace_config.on_request_chunk_sent:
            await self._send(signal, TraceRequestChunkSentParams(method, url, chunk))

    async def send_response_chunk_received(self, method: str, url: URL, chunk: bytes) -> None:
        """Fire on_response_chunk_received."""
        if signal := self._trace_config.on_response_chunk_received:
            await self._send(signal, TraceResponseChunkReceivedParams(method, url, chunk))

    async def send_request_end(
        self, method: str, url: URL, headers: CIMultiDict[str], response: ClientResponse
    ) -> None:
        """Fire on_request_end."""
        if signal := self._trace_config.on_request_end:
            await self._send(signal, TraceRequestEndParams(method, url, headers, response))

    async def send_request_exception(
        self, method: str, url: URL, headers: CIMultiDict[str], exception: BaseException
    ) -> None:
        """Fire on_request_exception."""
        if signal := self._trace_config.on_request_exception:
            await self._send(signal, TraceRequestExceptionParams(method, url, headers, exception))

    async def send_request_redirect(
        self, method: str, url: URL, headers: CIMultiDict[str], response: ClientResponse
    ) -> None:
        """Fire on_request_redirect."""
        if signal := self._trace_config.on_request_redirect:
            await self._send(signal, TraceRequestRedirectParams(method, url, headers, response))

    async def send_request_headers(self, method: str, url: URL, headers: CIMultiDict[str]) -> None:
        """Fire on_request_headers_sent."""
        if signal := self._trace_config.on_request_headers_sent:
            await self._send(signal, TraceRequestHeadersSentParams(method, url, headers))

    async def send_connection_queued_start(self) -> None:
        """Fire on_connection_queued_start."""
        if signal := self._trace_config.on_connection_queued_start:
            await self._send(signal, TraceConnectionQueuedStartParams())

    async def send_connection_queued_end(self) -> None:
        """Fire on_connection_queued_end."""
        if signal := self._trace_config.on_connection_queued_end:
            await self._send(signal, TraceConnectionQueuedEndParams())

    async def send_connection_create_start(self) -> None:
        """Fire on_connection_create_start."""
        if signal := self._trace_config.on_connection_create_start:
            await self._send(signal, TraceConnectionCreateStartParams())

    async def send_connection_create_end(self) -> None:
        """Fire on_connection_create_end."""
        if signal := self._trace_config.on_connection_create_end:
            await self._send(signal, TraceConnectionCreateEndParams())

    async def send_connection_reuseconn(self) -> None:
        """Fire on_connection_reuseconn."""
        if signal := self._trace_config.on_connection_reuseconn:
            await self._send(signal, TraceConnectionReuseconnParams())

    async def send_dns_resolvehost_start(self, host: str) -> None:
        """Fire on_dns_resolvehost_start."""
        if signal := self._trace_config.on_dns_resolvehost_start:
            await self._send(signal, TraceDnsResolveHostStartParams(host))

    async def send_dns_resolvehost_end(self, host: str) -> None:
        """Fire on_dns_resolvehost_end."""
        if signal := self._trace_config.on_dns_resolvehost_end:
            await self._send(signal, TraceDnsResolveHostEndParams(host))

    async def send_dns_cache_hit(self, host: str) -> None:
        """Fire on_dns_cache_hit."""
        if signal := self._trace_config.on_dns_cache_hit:
            await self._send(signal, TraceDnsCacheHitParams(host))

    async def send_dns_cache_miss(self, host: str) -> None:
        """Fire on_dns_cache_miss."""
        if signal := self._trace_config.on_dns_cache_miss:
            await self._send(signal, TraceDnsCacheMissParams(host))
