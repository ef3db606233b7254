"""``AioHttpCloneInstrumentor``: every ``ClientSession`` created while it is on is traced.

It wraps ``ClientSession.__init__`` in place, on the class itself, as OpenTelemetry's aiohttp
instrumentation does for aiohttp: a subclass that calls ``super().__init__`` is covered
whenever it was defined, and no subclass of ours is made (``ClientSession`` warns on those).
Each new session gets the instrumentor's trace config appended to its ``trace_configs``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Iterable
from typing import Any

# The module opts out of type checking (a file-level ``type: ignore``), so mypy sees no name
# in it and the base class is Any.
from opentelemetry.instrumentation.instrumentor import (  # type: ignore[attr-defined]
    BaseInstrumentor,
)

from ..client import ClientSession
from ..tracing import TraceConfig
from ._trace_config import OpenTelemetryTraceConfig, create_trace_config

__all__ = ("AioHttpCloneInstrumentor",)


class _SessionInitPatch:
    """``ClientSession.__init__`` wrapped to add trace configs to each new session.

    Removing it restores the original when the wrapper is still the class attribute; when
    another agent wrapped ``__init__`` after us, restoring would drop its wrapper too, so ours
    is switched off instead and passes calls straight through.
    """

    def __init__(self, configs: tuple[TraceConfig, ...]) -> None:
        self._configs = configs
        self._active = True
        self._original: Callable[..., None] = ClientSession.__dict__["__init__"]
        self._wrapper = self._wrap(self._original)
        setattr(ClientSession, "__init__", self._wrapper)  # noqa: B010 (mypy: method-assign)

    def _wrap(self, original: Callable[..., None]) -> Callable[..., None]:
        @functools.wraps(original)
        def __init__(session: ClientSession, *args: Any, **kwargs: Any) -> None:
            if self._active:
                kwargs["trace_configs"] = self.trace_configs_for(kwargs.get("trace_configs"))
            original(session, *args, **kwargs)

        return __init__

    def trace_configs_for(self, given: Iterable[TraceConfig] | None) -> list[TraceConfig]:
        """The session's own configs, then ours; no second OpenTelemetry config for a session
        that was given one (that would record every request twice)."""
        configs = list(given or ())
        traced = any(isinstance(config, OpenTelemetryTraceConfig) for config in configs)
        for config in self._configs:
            if config in configs or (traced and isinstance(config, OpenTelemetryTraceConfig)):
                continue
            configs.append(config)
        return configs

    def remove(self) -> None:
        self._active = False
        if ClientSession.__dict__.get("__init__") is self._wrapper:
            setattr(ClientSession, "__init__", self._original)  # noqa: B010


class AioHttpCloneInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    """Traces the requests of every ``ClientSession`` created after ``instrument()``.

    ``instrument()`` takes ``tracer_provider``, ``meter_provider``, ``url_filter``,
    ``request_hook``, ``response_hook`` and ``excluded_urls`` (see ``create_trace_config``), and
    ``trace_configs``: more trace configs to add to each new session. Calling it again while
    instrumented only logs a warning (the instrumentor is a singleton).

    ``uninstrument()`` restores ``ClientSession.__init__``; sessions created before it keep
    their trace config until closed (``uninstrument_session`` takes it off one session).
    """

    _patch: _SessionInitPatch | None = None

    def instrumentation_dependencies(self) -> Collection[str]:
        # It ships inside the package it instruments, so no version of it can mismatch.
        return ()

    def _instrument(self, **kwargs: Any) -> None:
        config = create_trace_config(
            url_filter=kwargs.get("url_filter"),
            request_hook=kwargs.get("request_hook"),
            response_hook=kwargs.get("response_hook"),
            tracer_provider=kwargs.get("tracer_provider"),
            meter_provider=kwargs.get("meter_provider"),
            excluded_urls=kwargs.get("excluded_urls"),
        )
        config.added_by_instrumentor = True
        # Ours last: a callback of another config that fails before ours ran leaves no span
        # of ours open.
        extra = tuple(kwargs.get("trace_configs") or ())
        self._patch = _SessionInitPatch((*extra, config))

    def _uninstrument(self, **kwargs: Any) -> None:
        if self._patch is not None:
            self._patch.remove()
            self._patch = None

    @staticmethod
    def uninstrument_session(session: ClientSession) -> None:
        """Stops tracing one session that was created while instrumented."""
        session.trace_configs[:] = [
            config
            for config in session.trace_configs
            if not (isinstance(config, OpenTelemetryTraceConfig) and config.added_by_instrumentor)
        ]
