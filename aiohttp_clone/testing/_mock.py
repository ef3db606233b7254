"""``MockResponses``: register answers, run the code under test, assert on what it sent.

The public object of ``aiohttp_clone.testing``, shaped like aioresponses' ``aioresponses`` (its
alias): a context manager and a decorator, ``get``/``post``/... to register answers, the
``assert_*`` methods and ``requests``. Only the place it works at differs: connections, not
``ClientSession._request`` (see ``_patch`` and ``_transport``).
"""

from __future__ import annotations

import functools
import inspect
import re
import weakref
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from yarl import URL

from .. import hdrs
from .._values import ConnectionKey
from ..client_exceptions import ClientConnectionError, SocketTimeoutError
from ..client_pipeline import resends
from ..client_proto import ResponseHandler
from ..client_reqrep import ClientRequest
from . import _asserts, _patch
from ._registry import Registration, Registry, normalize_url
from ._reply import CallbackResult, ResponseHeaders
from ._request import ParsedRequest, RequestCall
from ._transport import MockTransport

__all__ = ("MockResponses", "UnmockedRequestError")

_F = TypeVar("_F", bound=Callable[..., Any])
Outcome = tuple[Registration, RequestCall] | BaseException | None


class UnmockedRequestError(ClientConnectionError):
    """A request no registration matches, refused instead of sent (nothing left the process)."""


class MockResponses:
    """Answers the requests of every ``ClientSession`` with registered responses while active.

    ``passthrough``: URL prefixes (``"http://127.0.0.1:8080"``) sent to the real server;
    ``passthrough_unmatched``: send every request no registration matches to the real server
    instead of failing it; ``param``: with the decorator, pass the mock as this keyword.
    """

    def __init__(
        self,
        *,
        passthrough: Iterable[str | URL] = (),
        passthrough_unmatched: bool = False,
        param: str | None = None,
    ) -> None:
        self.passthrough = [str(prefix) for prefix in passthrough]
        self.passthrough_unmatched = passthrough_unmatched
        self.requests: dict[tuple[str, URL], list[RequestCall]] = {}
        self._param = param
        self._registry = Registry()
        self._transports: weakref.WeakSet[MockTransport] = weakref.WeakSet()
        # Origins whose next request must go over a new connection (see _outcome).
        self._fresh_keys: set[ConnectionKey] = set()
        # (method, URL) of requests hung up on once, so that their resend gets the exception.
        self._hung_up: set[tuple[str, URL]] = set()
        self._active = False

    # -- activation -------------------------------------------------------------------------

    def start(self) -> None:
        if self._active:
            raise RuntimeError("this mock is already active")
        self._active = True
        _patch.activate(self)

    def stop(self) -> None:
        """Stop answering: mocked connections still open are hung up, registrations dropped."""
        if not self._active:
            return
        self._active = False
        _patch.deactivate(self)
        for transport in list(self._transports):
            transport.close()
        self._registry.clear()

    def __enter__(self) -> MockResponses:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __call__(self, func: _F) -> _F:
        """Decorate ``func`` (sync or async): it runs with the mock active and receives it as
        its last positional argument (or as the ``param`` keyword). The wrapper's signature
        leaves that parameter out, so pytest does not look for a fixture of its name."""

        def arguments(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
            if self._param:
                kwargs[self._param] = self
                return args
            return (*args, self)

        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                with self:
                    return await func(*arguments(args, kwargs), **kwargs)

            wrapper: Any = run_async
        else:

            @functools.wraps(func)
            def run(*args: Any, **kwargs: Any) -> Any:
                with self:
                    return func(*arguments(args, kwargs), **kwargs)

            wrapper = run
        wrapper.__signature__ = _without_mock_parameter(inspect.signature(func), self._param)
        return wrapper  # type: ignore[no-any-return]

    # -- registering ------------------------------------------------------------------------

    def add(
        self,
        url: str | URL | re.Pattern[str],
        method: str = hdrs.METH_GET,
        status: int = 200,
        body: str | bytes | list[bytes] = "",
        exception: BaseException | type[BaseException] | None = None,
        content_type: str = "application/json",
        payload: Any = None,
        headers: ResponseHeaders | None = None,
        repeat: bool | int = False,
        timeout: bool = False,
        reason: str | None = None,
        callback: Callable[..., Any] | None = None,
        delay: float = 0,
    ) -> None:
        """Answer ``method url`` (a URL, or a compiled regular expression matched against the
        whole URL as sent) with this response, ``repeat`` times (False: once; True: always).

        ``exception`` is raised where the response would have been read; ``timeout=True`` is
        a read timeout (``SocketTimeoutError``); ``delay`` seconds pass before the answer
        starts, so the session's ``sock_read``/``total`` timeouts can expire for real;
        ``callback(url, method=, headers=, data=, json=)`` (sync or async) returns the
        ``CallbackResult`` to send, or None for this registration's own.
        """
        if isinstance(exception, type) and issubclass(exception, BaseException):
            exception = exception()
        if exception is not None and not isinstance(exception, BaseException):
            raise TypeError(f"exception must be an exception or its class, not {exception!r}")
        if timeout:
            exception = SocketTimeoutError("Timeout on reading data from socket")
        if delay < 0:
            raise ValueError(f"delay must not be negative, not {delay!r}")
        matcher = url if isinstance(url, re.Pattern) else normalize_url(url)
        response = CallbackResult(
            status=status, body=body, content_type=content_type, payload=payload,
            headers=headers, reason=reason,
        )  # fmt: skip
        self._registry.add(Registration(
            method.upper(), matcher, response, exception, callback, _times(repeat), delay
        ))  # fmt: skip

    def get(self, url: str | URL | re.Pattern[str], **kwargs: Any) -> None:
        self.add(url, method=hdrs.METH_GET, **kwargs)

    def post(self, url: str | URL | re.Pattern[str], **kwargs: Any) -> None:
        self.add(url, method=hdrs.METH_POST, **kwargs)

    def put(self, url: str | URL | re.Pattern[str], **kwargs: Any) -> None:
        self.add(url, method=hdrs.METH_PUT, **kwargs)

    def patch(self, url: str | URL | re.Pattern[str], **kwargs: Any) -> None:
        self.add(url, method=hdrs.METH_PATCH, **kwargs)

    def delete(self, url: str | URL | re.Pattern[str], **kwargs: Any) -> None:
        self.add(url, method=hdrs.METH_DELETE, **kwargs)

    def head(self, url: str | URL | re.Pattern[str], **kwargs: Any) -> None:
        self.add(url, method=hdrs.METH_HEAD, **kwargs)

    def options(self, url: str | URL | re.Pattern[str], **kwargs: Any) -> None:
        self.add(url, method=hdrs.METH_OPTIONS, **kwargs)

    def clear(self) -> None:
        """Forget every registration (the recorded ``requests`` stay)."""
        self._registry.clear()

    # -- asserting --------------------------------------------------------------------------

    @property
    def call_count(self) -> int:
        return sum(map(len, self.requests.values()))

    def assert_not_called(self) -> None:
        if self.requests:
            raise AssertionError(f"Expected no request, got {self.call_count}: {self._calls()}")

    def assert_called(self) -> None:
        if not self.requests:
            raise AssertionError("Expected a request, got none")

    def assert_called_once(self) -> None:
        if self.call_count != 1:
            raise AssertionError(f"Expected one request, got {self.call_count}: {self._calls()}")

    def assert_called_with(
        self,
        url: str | URL,
        method: str = hdrs.METH_GET,
        args_to_match: Iterable[str] | None = None,
        **kwargs: Any,
    ) -> None:
        """The last ``method url`` request matches ``kwargs`` (``headers``, ``json``, ``data``,
        ``params``), or those of them named in ``args_to_match``."""
        call = self._last_call(url, method, kwargs)
        if args_to_match is not None:
            kwargs = {name: kwargs.get(name) for name in args_to_match}
        problems = _asserts.mismatches(call, kwargs)
        if problems:
            raise AssertionError(f"{call.method} {call.url} differs: " + "; ".join(problems))

    def assert_called_once_with(self, *args: Any, **kwargs: Any) -> None:
        self.assert_called_once()
        self.assert_called_with(*args, **kwargs)

    def assert_any_call(self, url: str | URL, method: str = hdrs.METH_GET, **kwargs: Any) -> None:
        """Some ``method url`` request matches ``kwargs``."""
        self._last_call(url, method, kwargs)
        key = (method.upper(), _asserts.expected_url(url, kwargs.get("params")))
        if not any(not _asserts.mismatches(call, kwargs) for call in self.requests[key]):
            raise AssertionError(f"No {key[0]} {key[1]} request matches {kwargs!r}")

    def _last_call(self, url: str | URL, method: str, kwargs: dict[str, Any]) -> RequestCall:
        _asserts.check_names(kwargs)
        key = (method.upper(), _asserts.expected_url(url, kwargs.get("params")))
        calls = self.requests.get(key)
        if not calls:
            raise AssertionError(f"No {key[0]} {key[1]} request; got {self._calls()}")
        return calls[-1]

    def _calls(self) -> str:
        return ", ".join(f"{method} {url}" for method, url in self.requests) or "none"

    # -- the connection side (called by _patch and _transport) -----------------------------

    def _passes_through(self, req: ClientRequest) -> bool:
        url = str(req.url.with_fragment(None))
        if any(url.startswith(prefix) for prefix in self.passthrough):
            return True
        if not self.passthrough_unmatched:
            return False
        return self._registry.find(req.method, req.url, normalize_url(req.url)) is None

    def _open(self, loop: Any, req: ClientRequest) -> ResponseHandler:
        """A new mocked connection for ``req``'s origin."""
        origin = URL.build(
            scheme="https" if req.is_ssl() else "http", host=req.url.raw_host or "",
            port=req.url.port, encoded=True,
        ).origin()  # fmt: skip
        protocol = ResponseHandler(loop)
        # With pass-through on, a connection's next request may be for the real server: a
        # mocked connection then serves one request only (a real one is never reused, _patch).
        keep_alive = not (self.passthrough or self.passthrough_unmatched)
        key = req.connection_key
        self._fresh_keys.discard(key)
        transport = MockTransport(self, loop, protocol, origin, key, keep_alive)
        self._transports.add(transport)
        protocol.connection_made(transport)
        return protocol

    def _owns(self, protocol: ResponseHandler) -> bool:
        transport = protocol.transport
        return isinstance(transport, MockTransport) and transport.mock is self

    def _forget(self, transport: MockTransport) -> None:
        self._transports.discard(transport)

    def _wants_fresh(self, key: ConnectionKey) -> bool:
        return key in self._fresh_keys

    def _outcome(self, request: ParsedRequest, url: URL, connection: MockTransport) -> Outcome:
        """How to answer ``request``: its registration (used up by one) and the call recorded,
        an exception to raise, or None to hang up first (see below)."""
        method = request.method
        normalized = normalize_url(url)
        registration = self._registry.find(method, url, normalized)
        exception = registration.exception if registration is not None else None
        sent = connection.client_request
        if exception is not None and sent is not None and resends(sent, exception):
            # Raised as is, this would make the pipeline send the request once more and the
            # resend would miss it. So the first time hang up, as a dead server does; the
            # resend goes over a new connection and gets the exception.
            attempt = (method, normalized)
            if attempt not in self._hung_up:
                self._hung_up.add(attempt)
                self._fresh_keys.add(connection.key)
                return None
            self._hung_up.discard(attempt)
        call = RequestCall(method, url, request.headers, request.body)
        self.requests.setdefault((method, normalized), []).append(call)
        if registration is None:
            return UnmockedRequestError(self._unmatched_message(method, url))
        self._registry.use(registration)
        return registration, call

    def _unmatched_message(self, method: str, url: URL) -> str:
        registered = "; ".join(r.describe() for r in self._registry) or "none"
        return (
            f"No mock matches {method} {url} (registered: {registered}). Register it "
            "(m.get(url, ...)), or send it to the real server with passthrough=[prefix] or "
            "passthrough_unmatched=True"
        )


def _without_mock_parameter(signature: inspect.Signature, name: str | None) -> inspect.Signature:
    """``signature`` minus the parameter the decorator fills in."""
    parameters = list(signature.parameters.values())
    if name is not None:
        parameters = [p for p in parameters if p.name != name]
    else:
        kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        positional = [p for p in parameters if p.kind in kinds]
        if positional:
            parameters.remove(positional[-1])
    return signature.replace(parameters=parameters)


def _times(repeat: bool | int) -> int | None:
    if repeat is True:
        return None
    if repeat is False:
        return 1
    if not isinstance(repeat, int) or repeat < 1:
        raise ValueError(f"repeat must be True, False or a count of at least 1, not {repeat!r}")
    return repeat

