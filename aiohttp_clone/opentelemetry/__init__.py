"""OpenTelemetry tracing for aiohttp_clone; needs ``pip install 'aiohttp_clone[opentelemetry]'``.

Every session created after ``AioHttpCloneInstrumentor().instrument()`` records one CLIENT span
per request, following the HTTP client semantic conventions, and sends the trace context
(``traceparent``) with the request. ``opentelemetry-instrument`` does that call itself: the
instrumentor is registered under the ``opentelemetry_instrumentor`` entry point group as
``aiohttp_clone``. For one session only: ``ClientSession(trace_configs=[create_trace_config()])``.
"""

from __future__ import annotations

try:
    from ._instrumentor import AioHttpCloneInstrumentor
    from ._trace_config import (
        OpenTelemetryTraceConfig,
        RequestHook,
        ResponseHook,
        UrlFilter,
        create_trace_config,
    )
except ImportError as exc:
    if not (exc.name or "").startswith("opentelemetry"):
        raise
    raise ModuleNotFoundError(
        f"aiohttp_clone.opentelemetry needs OpenTelemetry (no module {exc.name!r}); "
        "install the extra: pip install 'aiohttp_clone[opentelemetry]'",
        name=exc.name,
    ) from exc

__all__ = (
    "AioHttpCloneInstrumentor",
    "OpenTelemetryTraceConfig",
    "RequestHook",
    "ResponseHook",
    "UrlFilter",
    "create_trace_config",
)
