"""``create_trace_config``: one CLIENT span per request, made from a session's trace signals.

The span starts at ``on_request_start``, which also injects the trace context (``traceparent``,
and whatever else the global propagator writes) into the live header dict the request sends.
It ends at ``on_request_end`` (the final response head, after any redirects: one span per
``session.get``, as OpenTelemetry's aiohttp instrumentation does) or ``on_request_exception``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextvars import Token
from dataclasses import dataclass
from timeit import default_timer
from types import SimpleNamespace
from typing import Any, TypeAlias, TypeVar

from opentelemetry import context, trace
from opentelemetry.context import Context
from opentelemetry.instrumentation.utils import is_http_instrumentation_enabled
from opentelemetry.metrics import Histogram, MeterProvider, get_meter
from opentelemetry.propagate import inject
from opentelemetry.semconv.attributes.error_attributes import ERROR_TYPE
from opentelemetry.semconv.metrics.http_metrics import HTTP_CLIENT_REQUEST_DURATION
from opentelemetry.semconv.schemas import Schemas
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, TracerProvider
from yarl import URL

from .. import __version__
from ..tracing import (
    TraceConfig,
    TraceRequestEndParams,
    TraceRequestExceptionParams,
    TraceRequestStartParams,
)
from ._semconv import (
    Attributes,
    ExcludedUrls,
    SemconvMode,
    failure_attributes,
    known_methods,
    metric_attributes,
    redact_url,
    request_attributes,
    response_attributes,
    span_name,
)

__all__ = (
    "OpenTelemetryTraceConfig",
    "RequestHook",
    "ResponseHook",
    "UrlFilter",
    "create_trace_config",
)

UrlFilter: TypeAlias = Callable[[URL], str]
"""Turns the request URL into the ``url.full`` recorded (to drop a query or a path secret)."""
RequestHook: TypeAlias = Callable[[Span, TraceRequestStartParams], None]
ResponseHook: TypeAlias = Callable[
    [Span, TraceRequestEndParams | TraceRequestExceptionParams], None
]

INSTRUMENTATION_SCOPE = "aiohttp_clone.opentelemetry"
_SCHEMA_URL = Schemas.V1_23_1.value  # the release that declared the HTTP conventions stable
_DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10)
"""Seconds; the boundaries the conventions advise for ``http.client.request.duration``."""
_STATE = "otel_request"
"""The attribute of the per-request trace context that holds the request's span."""

_logger = logging.getLogger(__name__)
_P = TypeVar("_P")


class OpenTelemetryTraceConfig(TraceConfig):
    """A ``TraceConfig`` whose callbacks make the spans. The instrumentor adds none to a
    session that already has one, and marks its own so ``uninstrument_session`` finds them."""

    added_by_instrumentor = False


@dataclass(slots=True)
class _InFlight:
    span: Span
    token: Token[Context]
    started: float
    metric_attributes: Attributes


class _RequestSpans:
    """The callbacks of one trace config, sharing its tracer, histogram and options."""

    def __init__(
        self,
        tracer: trace.Tracer,
        duration: Histogram,
        url_filter: UrlFilter | None,
        request_hook: RequestHook | None,
        response_hook: ResponseHook | None,
        excluded: ExcludedUrls,
    ) -> None:
        self._tracer = tracer
        self._duration = duration
        self._url_filter = url_filter
        self._request_hook = request_hook
        self._response_hook = response_hook
        self._excluded = excluded
        self._mode = SemconvMode.from_env()
        self._known_methods = known_methods()

    async def on_request_start(
        self, session: Any, ctx: SimpleNamespace, params: TraceRequestStartParams
    ) -> None:
        if not is_http_instrumentation_enabled():
            return
        url = params.url
        url_text = str(url)
        if url_text in self._excluded:
            return
        started = default_timer()
        url_full = redact_url(self._url_filter(url) if self._url_filter else url_text)
        attributes = request_attributes(
            params.method, url, url_full, self._known_methods, self._mode
        )
        span = self._tracer.start_span(
            span_name(params.method, self._known_methods),
            kind=SpanKind.CLIENT,
            attributes=attributes,
        )
        _call_hook(self._request_hook, span, params)
        # Current while the request runs, so that what its middlewares and other trace configs
        # record is a child of it.
        token = context.attach(trace.set_span_in_context(span))
        vars(ctx)[_STATE] = _InFlight(
            span, token, started, metric_attributes(attributes, url.scheme)
        )
        inject(params.headers)

    async def on_request_end(
        self, session: Any, ctx: SimpleNamespace, params: TraceRequestEndParams
    ) -> None:
        request = _take(ctx)
        if request is None:
            return
        response = params.response
        attributes = response_attributes(response.status, response.version, self._mode)
        request.span.set_attributes(attributes)
        if ERROR_TYPE in attributes:  # response_attributes judged the status an error
            request.span.set_status(Status(StatusCode.ERROR))
        _call_hook(self._response_hook, request.span, params)
        self._end(request, attributes)

    async def on_request_exception(
        self, session: Any, ctx: SimpleNamespace, params: TraceRequestExceptionParams
    ) -> None:
        # None when on_request_end came first and ended the span: the session fires it before
        # raise_for_status fails the request.
        request = _take(ctx)
        if request is None:
            return
        exception = params.exception
        attributes = failure_attributes(exception, self._mode)
        request.span.set_attributes(attributes)
        request.span.set_status(Status(StatusCode.ERROR, type(exception).__qualname__))
        request.span.record_exception(exception)
        _call_hook(self._response_hook, request.span, params)
        self._end(request, attributes)

    def _end(self, request: _InFlight, attributes: Attributes) -> None:
        context.detach(request.token)
        request.span.end()
        elapsed = max(default_timer() - request.started, 0.0)
        recorded = metric_attributes(attributes, None)
        self._duration.record(elapsed, attributes={**request.metric_attributes, **recorded})


def _take(ctx: SimpleNamespace) -> _InFlight | None:
    """The request's span state, removed so that it is ended once."""
    request: _InFlight | None = vars(ctx).pop(_STATE, None)
    return request


def _call_hook(hook: Callable[[Span, _P], None] | None, span: Span, params: _P) -> None:
    """Runs a user's hook; a hook that fails is logged, never fails the request it observes."""
    if hook is None:
        return
    try:
        hook(span, params)
    except Exception:
        _logger.exception("OpenTelemetry hook %r failed", hook)


def create_trace_config(
    url_filter: UrlFilter | None = None,
    request_hook: RequestHook | None = None,
    response_hook: ResponseHook | None = None,
    tracer_provider: TracerProvider | None = None,
    meter_provider: MeterProvider | None = None,
    excluded_urls: str | None = None,
) -> OpenTelemetryTraceConfig:
    """A trace config that records each request of a session as an OpenTelemetry span, for
    ``ClientSession(trace_configs=[create_trace_config()])``.

    ``excluded_urls`` (comma-separated regular expressions) defaults to the environment's
    ``OTEL_PYTHON_AIOHTTP_CLONE_EXCLUDED_URLS``, ``OTEL_PYTHON_AIOHTTP_CLIENT_EXCLUDED_URLS`` or
    ``OTEL_PYTHON_EXCLUDED_URLS``, the first one set. Hooks run in the request's task; one that
    raises is logged and the request goes on.
    """
    tracer = trace.get_tracer(
        INSTRUMENTATION_SCOPE, __version__, tracer_provider, schema_url=_SCHEMA_URL
    )
    meter = get_meter(INSTRUMENTATION_SCOPE, __version__, meter_provider, _SCHEMA_URL)
    duration = meter.create_histogram(
        name=HTTP_CLIENT_REQUEST_DURATION,
        unit="s",
        description="Duration of HTTP client requests.",
        explicit_bucket_boundaries_advisory=list(_DURATION_BUCKETS),
    )
    excluded = ExcludedUrls(excluded_urls) if excluded_urls is not None else ExcludedUrls.from_env()
    spans = _RequestSpans(tracer, duration, url_filter, request_hook, response_hook, excluded)
    config = OpenTelemetryTraceConfig()
    config.on_request_start.append(spans.on_request_start)
    config.on_request_end.append(spans.on_request_end)
    config.on_request_exception.append(spans.on_request_exception)
    return config
