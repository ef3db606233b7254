"""Retries as a client middleware: ``RetryMiddleware``, configured by ``RetryOptions``.

An attempt that failed in a way worth repeating (a status in ``statuses``, an exception in
``exceptions``) goes again through the rest of the middleware chain, so every attempt takes the
ordinary path: pool, write, head, trace signals. Between attempts the middleware waits: what the
server's ``Retry-After`` asks for when it sent one, else exponential backoff with full jitter.
It never waits past the request's total timeout nor its own ``total_time``: when the next wait
would not fit in what is left, the caller gets the last outcome, response or exception.

The middleware sees one redirect hop at a time (redirects are followed outside the chain), so
each hop has its own attempts.
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
import time
from collections.abc import Awaitable, Callable, Collection
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, cast

from . import hdrs
from ._http.rules import IDEMPOTENT_METHODS
from .client_exceptions import (
    ClientConnectionError,
    ClientConnectorCertificateError,
    ClientConnectorError,
    ClientError,
    ConnectionTimeoutError,
    ServerFingerprintMismatch,
)
from .client_response import drain_and_release

if TYPE_CHECKING:
    from .client_pipeline import ClientHandlerType
    from .client_reqrep import ClientRequest, ClientResponse

__all__ = (
    "IDEMPOTENT_METHODS",
    "RETRY_STATUSES",
    "RetryEvent",
    "RetryMiddleware",
    "RetryOptions",
    "parse_retry_after",
)

RETRY_STATUSES = frozenset((429, 500, 502, 503, 504))
"""Answers that say "not now" rather than "not this": overload, a failing or missing upstream."""

_UNSENT_ERRORS = (ClientConnectorError, ConnectionTimeoutError)
"""Raised before any byte of the request left, so the server cannot have acted on it."""
_IDENTITY_ERRORS = (ClientConnectorCertificateError, ServerFingerprintMismatch)
"""The peer is not who it should be: another attempt cannot change that."""
_DRAIN_IGNORES = (ClientError, asyncio.IncompleteReadError)
"""A client error while reading a retried answer's body is beside the point: it is thrown away."""


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class RetryOptions:
    """What is retried, how many times, and how long to wait in between.

    ``attempts`` counts every try, the first included (``attempts=1`` never retries).
    ``methods`` limits retries to requests that are safe to repeat; ``statuses`` and
    ``exceptions`` say which outcomes are retried. A connection that could not be established
    (``ClientConnectorError``, ``ConnectionTimeoutError``) sent nothing, so with
    ``connect_errors_any_method`` it is retried whatever the method, as urllib3 does.
    Certificate and fingerprint failures are never retried.

    The wait before attempt ``n + 1`` is drawn uniformly from
    ``[0, min(backoff_max, backoff_base * backoff_multiplier ** (n - 1))]`` ("full jitter"; the
    upper bound itself with ``jitter=False``). A retried response's ``Retry-After`` (seconds or
    an HTTP-date) replaces that wait, capped at ``retry_after_max``. ``total_time`` bounds the
    attempts and waits of one request, on top of the session's ``ClientTimeout.total``.
    """

    attempts: int = 3
    methods: Collection[str] = IDEMPOTENT_METHODS
    statuses: Collection[int] = RETRY_STATUSES
    exceptions: Collection[type[Exception]] = (ClientConnectionError,)
    connect_errors_any_method: bool = True
    backoff_base: float = 0.5
    backoff_multiplier: float = 2.0
    backoff_max: float = 30.0
    jitter: bool = True
    respect_retry_after: bool = True
    retry_after_max: float = 60.0
    total_time: float | None = None

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"attempts must be at least 1, not {self.attempts}")
        for name in ("backoff_base", "backoff_max", "retry_after_max"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} cannot be negative")
        if self.backoff_multiplier < 1:
            raise ValueError("backoff_multiplier below 1 would shrink the waits")
        if self.total_time is not None and self.total_time <= 0:
            raise ValueError("total_time must be positive (or None)")
        if isinstance(self.methods, str):
            raise TypeError('methods is a collection of names: methods={"GET"}, not "GET"')
        for exception in self.exceptions:
            if not (isinstance(exception, type) and issubclass(exception, Exception)):
                raise TypeError(f"exceptions holds exception classes, not {exception!r}")
        # Normalised once, so the checks on every failure are plain lookups.
        object.__setattr__(self, "methods", frozenset(m.upper() for m in self.methods))
        object.__setattr__(self, "statuses", frozenset(self.statuses))
        object.__setattr__(self, "exceptions", tuple(self.exceptions))

    def backoff(self, attempt: int, fraction: float = 1.0) -> float:
        """The wait after failed attempt ``attempt`` (1-based): ``fraction`` (in [0, 1]) of
        its ceiling when jitter is on, the ceiling itself when it is off."""
        try:
            ceiling = self.backoff_base * self.backoff_multiplier ** (attempt - 1)
        except OverflowError:
            ceiling = self.backoff_max
        ceiling = min(ceiling, self.backoff_max)
        return ceiling * fraction if self.jitter else ceiling


@dataclasses.dataclass(frozen=True, slots=True)
class RetryEvent:
    """What ``on_retry`` is told before the wait that precedes another attempt."""

    request: ClientRequest
    attempt: int
    """The attempt that just failed (1 is the first); the next one is ``attempt + 1``."""
    delay: float
    """Seconds the middleware is about to wait."""
    response: ClientResponse | None = None
    """The retried response; its body is discarded once the callback returns."""
    exception: Exception | None = None
    """The retried exception, when the attempt raised instead of answering."""


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds a ``Retry-After`` value asks to wait (RFC 9110 section 10.2.3); None when it is
    absent or malformed. A date in the past means no wait. ``now`` is wall-clock time."""
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
    if when.tzinfo is None:  # a zone written as -0000: RFC 5322 says the time is still UTC
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class RetryMiddleware:
    """``ClientSession(middlewares=(RetryMiddleware(RetryOptions(attempts=5)),))``.

    One instance may serve any number of concurrent requests: it keeps no per-request state.
    ``on_retry`` is awaited before each wait. ``sleep``, ``clock`` (the event loop's time
    unless given) and ``rand`` (a float in [0, 1) for the jitter) exist so that tests and
    simulations need not wait for real.
    """

    def __init__(
        self,
        options: RetryOptions | None = None,
        *,
        on_retry: Callable[[RetryEvent], Awaitable[None]] | None = None,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        clock: Callable[[], float] | None = None,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.options = options if options is not None else RetryOptions()
        self._on_retry = on_retry
        self._sleep = sleep
        self._clock = clock
        self._rand = rand

    async def __call__(self, request: ClientRequest, handler: ClientHandlerType) -> ClientResponse:
        clock = self._clock or request.loop.time
        give_up_at = self._give_up_at(request, clock())
        attempt = 1
        while True:
            try:
                response = await handler(request)
            except Exception as exc:
                delay = self._error_delay(request, exc, attempt)
                if delay is None or not _fits(delay, give_up_at, clock):
                    raise
                await self._notify(RetryEvent(request, attempt, delay, exception=exc))
            else:
                delay = self._response_delay(request, response, attempt)
                if delay is None or not _fits(delay, give_up_at, clock):
                    return response
                try:
                    await self._notify(RetryEvent(request, attempt, delay, response=response))
                finally:
                    await drain_and_release(response, _DRAIN_IGNORES)
            await request.cancel_body_upload()
            await self._sleep(delay)
            attempt += 1

    # -- decisions ------------------------------------------------------------------------

    def _give_up_at(self, request: ClientRequest, now: float) -> float | None:
        """The clock reading no wait may reach: ``total_time`` or the total timeout."""
        limits = []
        if self.options.total_time is not None:
            limits.append(now + self.options.total_time)
        if request.deadline is not None:
            limits.append(request.deadline)
        return min(limits, default=None)

    def _error_delay(self, request: ClientRequest, exc: Exception, attempt: int) -> float | None:
        """The wait before retrying after ``exc``; None when it is not retried."""
        options = self.options
        retried = cast("tuple[type[Exception], ...]", options.exceptions)  # see __post_init__
        if (
            attempt >= options.attempts
            or not isinstance(exc, retried)
            or isinstance(exc, _IDENTITY_ERRORS)
            or not request.body_replayable
        ):
            return None
        if request.method not in options.methods and not (
            options.connect_errors_any_method and isinstance(exc, _UNSENT_ERRORS)
        ):
            return None
        return options.backoff(attempt, self._rand())

    def _response_delay(
        self, request: ClientRequest, response: ClientResponse, attempt: int
    ) -> float | None:
        """The wait before retrying after ``response``; None when it is the answer."""
        options = self.options
        if (
            attempt >= options.attempts
            or response.status not in options.statuses
            or request.method not in options.methods
            or not request.body_replayable
        ):
            return None
        if options.respect_retry_after:
            asked = parse_retry_after(response.headers.get(hdrs.RETRY_AFTER))
            if asked is not None:
                return min(asked, options.retry_after_max)
        return options.backoff(attempt, self._rand())

    async def _notify(self, event: RetryEvent) -> None:
        if self._on_retry is not None:
            await self._on_retry(event)


def _fits(delay: float, give_up_at: float | None, clock: Callable[[], float]) -> bool:
    """Whether waiting ``delay`` still leaves time for another attempt."""
    return give_up_at is None or clock() + delay < give_up_at
