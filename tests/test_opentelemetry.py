"""aiohttp_clone.opentelemetry against real servers, spans read from the SDK's in-memory
exporter: the HTTP client semantic conventions, ``traceparent`` as the server receives it,
redirects, failures, hooks, exclusions, uninstrumenting, and the entry point that
``opentelemetry-instrument`` loads.
"""

from __future__ import annotations

import importlib.metadata
import json
import logging
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.instrumentation.utils import suppress_http_instrumentation
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

import aiohttp_clone as aiohttp
from aiohttp_clone.opentelemetry import (
    AioHttpCloneInstrumentor,
    OpenTelemetryTraceConfig,
    create_trace_config,
)
from tests.servers import free_port, respond_with

ORIGINAL_INIT = aiohttp.ClientSession.__dict__["__init__"]
EXCLUDED_URLS_ENVS = (
    "OTEL_PYTHON_AIOHTTP_CLONE_EXCLUDED_URLS",
    "OTEL_PYTHON_AIOHTTP_CLIENT_EXCLUDED_URLS",
    "OTEL_PYTHON_EXCLUDED_URLS",
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    known_methods = "OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS"
    for name in (*EXCLUDED_URLS_ENVS, "OTEL_SEMCONV_STABILITY_OPT_IN", known_methods):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def provider(exporter: InMemorySpanExporter) -> TracerProvider:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider


@pytest.fixture
def instrument(provider: TracerProvider) -> Iterator[Callable[..., AioHttpCloneInstrumentor]]:
    """``instrument(**kwargs)`` instruments with the test's provider; undone after the test,
    which must leave ``ClientSession.__init__`` as it found it."""
    instrumentor = AioHttpCloneInstrumentor()

    def start(**kwargs: Any) -> AioHttpCloneInstrumentor:
        instrumentor.instrument(**{"tracer_provider": provider, **kwargs})
        return instrumentor

    yield start
    if instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.uninstrument()
    assert aiohttp.ClientSession.__dict__["__init__"] is ORIGINAL_INIT


def traceparent_of(span: ReadableSpan) -> str:
    ctx = span.get_span_context()
    return f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-{int(ctx.trace_flags):02x}"


async def echoed_headers(response: aiohttp.ClientResponse) -> dict[str, str]:
    return {name.lower(): value for name, value in (await response.json())["headers"]}


def only_span(exporter: InMemorySpanExporter) -> ReadableSpan:
    spans = exporter.get_finished_spans()
    assert len(spans) == 1, [span.name for span in spans]
    return spans[0]


# -- the conventions -------------------------------------------------------------------------


async def test_span_follows_http_client_conventions(http_server, instrument, exporter) -> None:
    instrument()
    url = http_server.make_url("/hello")
    async with aiohttp.ClientSession() as session:
        async with session.get(url) as resp:
            assert await resp.read() == b"Hello, world"
    span = only_span(exporter)
    assert (span.name, span.kind) == ("GET", SpanKind.CLIENT)
    assert span.status.status_code is StatusCode.UNSET
    assert dict(span.attributes or {}) == {
        "http.request.method": "GET",
        "url.full": str(url),
        "server.address": "127.0.0.1",
        "server.port": http_server.port,
        "http.response.status_code": 200,
        "network.protocol.version": "1.1",
    }
    assert span.instrumentation_scope is not None
    assert span.instrumentation_scope.name == "aiohttp_clone.opentelemetry"
    assert span.instrumentation_scope.version == aiohttp.__version__


async def test_server_receives_traceparent_of_the_span(
    http_server, instrument, exporter, provider
) -> None:
    instrument()
    tracer = provider.get_tracer("test")
    async with aiohttp.ClientSession(headers={"traceparent": "stale"}) as session:
        with tracer.start_as_current_span("parent") as parent:
            async with session.get(http_server.make_url("/echo")) as resp:
                sent = await echoed_headers(resp)
            # The request's span was current only while the request ran.
            assert trace.get_current_span() is parent
    client, parent_span = sorted(exporter.get_finished_spans(), key=lambda s: s.name != "GET")
    assert sent["traceparent"] == traceparent_of(client)
    assert client.parent is not None
    assert client.parent.span_id == parent_span.context.span_id
    assert client.context.trace_id == parent_span.context.trace_id


@pytest.mark.parametrize("status", [400, 404, 500, 503])
async def test_4xx_and_5xx_are_errors(http_server, instrument, exporter, status) -> None:
    instrument()
    async with aiohttp.ClientSession() as session:
        async with session.get(http_server.make_url(f"/status/{status}")) as resp:
            assert resp.status == status
    span = only_span(exporter)
    assert span.status.status_code is StatusCode.ERROR
    attributes = span.attributes or {}
    assert attributes["http.response.status_code"] == status
    assert attributes["error.type"] == str(status)


async def test_unfollowed_redirect_is_no_error(http_server, instrument, exporter) -> None:
    instrument()
    async with aiohttp.ClientSession() as session:
        async with session.get(http_server.make_url("/redirect/1"), allow_redirects=False) as r:
            assert r.status == 302
    span = only_span(exporter)
    assert span.status.status_code is StatusCode.UNSET
    assert "error.type" not in (span.attributes or {})


async def test_redirects_make_one_span_and_carry_traceparent(
    http_server, instrument, exporter
) -> None:
    """As OpenTelemetry's aiohttp instrumentation: one span per call, from the first URL to
    the final response, and every hop sends the span's trace context."""
    instrument()
    first = http_server.make_url("/redirect/2")
    to_echo = http_server.make_url("/redirect-to").with_query(url="/echo")
    async with aiohttp.ClientSession() as session:
        async with session.get(first) as resp:
            assert (resp.status, len(resp.history)) == (200, 2)
        async with session.get(to_echo) as resp:
            assert len(resp.history) == 1
            sent = await echoed_headers(resp)
    chain, echo = exporter.get_finished_spans()
    assert (chain.attributes or {})["url.full"] == str(first)
    assert (chain.attributes or {})["http.response.status_code"] == 200
    assert sent["traceparent"] == traceparent_of(echo)


async def test_method_the_conventions_do_not_know(http_server, instrument, exporter) -> None:
    instrument()
    async with aiohttp.ClientSession() as session:
        async with session.request("PURGE", http_server.make_url("/echo")) as resp:
            assert (await resp.json())["method"] == "PURGE"
    span = only_span(exporter)
    attributes = span.attributes or {}
    assert span.name == "HTTP"
    assert (attributes["http.request.method"], attributes["http.request.method_original"]) == (
        "_OTHER", "PURGE",
    )  # fmt: skip


async def test_known_methods_from_the_environment(
    http_server, instrument, exporter, monkeypatch
) -> None:
    monkeypatch.setenv("OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS", "GET,PURGE")
    instrument()
    async with aiohttp.ClientSession() as session:
        async with session.request("PURGE", http_server.make_url("/echo")) as resp:
            await resp.read()
    span = only_span(exporter)
    assert (span.name, (span.attributes or {})["http.request.method"]) == ("PURGE", "PURGE")
    assert "http.request.method_original" not in (span.attributes or {})


async def test_old_attribute_names_on_opt_in(
    http_server, instrument, exporter, monkeypatch
) -> None:
    monkeypatch.setenv("OTEL_SEMCONV_STABILITY_OPT_IN", "database, http/dup")
    instrument()
    url = http_server.make_url("/status/201")
    async with aiohttp.ClientSession() as session:
        async with session.post(url) as resp:
            assert resp.status == 201
    attributes = only_span(exporter).attributes or {}
    assert {name: attributes[name] for name in (
        "http.method", "http.url", "http.status_code", "net.peer.name", "net.peer.port",
    )} == {
        "http.method": "POST", "http.url": str(url), "http.status_code": 201,
        "net.peer.name": "127.0.0.1", "net.peer.port": http_server.port,
    }  # fmt: skip
    assert attributes["http.request.method"] == "POST"


async def test_url_full_is_redacted_and_filtered(http_server, instrument, exporter) -> None:
    instrument()
    signed = http_server.make_url("/hello").with_query(
        [("X-Goog-Signature", "s3cret"), ("page", "2"), ("sig", "abc")]
    )
    with_password = signed.with_user("alice").with_password("pw")
    async with aiohttp.ClientSession() as session:
        for url in (signed, with_password):
            async with session.get(url) as resp:
                assert resp.status == 200
    for span in exporter.get_finished_spans():
        full = (span.attributes or {})["url.full"]
        assert full.endswith("/hello?X-Goog-Signature=REDACTED&page=2&sig=REDACTED")
        assert "s3cret" not in full and "abc" not in full
        assert "alice" not in full and "pw" not in full


def test_credentials_in_url_full_are_replaced() -> None:
    # The session takes credentials out of the URL before its trace signals see it (aiohttp
    # passes them on); a url_filter may still hand them back.
    from aiohttp_clone.opentelemetry._semconv import redact_url

    assert redact_url("https://alice:pw@example.org/a?b=1") == (
        "https://REDACTED:REDACTED@example.org/a?b=1"
    )
    assert redact_url("http://example.org/plain") == "http://example.org/plain"


async def test_url_filter(http_server, instrument, exporter) -> None:
    instrument(url_filter=lambda url: str(url.with_query(None)))
    async with aiohttp.ClientSession() as session:
        async with session.get(http_server.make_url("/hello").with_query(token="t")) as resp:
            await resp.read()
    assert (only_span(exporter).attributes or {})["url.full"] == str(
        http_server.make_url("/hello")
    )


async def test_protocol_version_is_the_responses(raw_server, instrument, exporter) -> None:
    server = await raw_server(respond_with(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"))
    instrument()
    async with aiohttp.ClientSession() as session:
        async with session.get(server.make_url("/")) as resp:
            assert await resp.read() == b"ok"
    assert (only_span(exporter).attributes or {})["network.protocol.version"] == "1.0"


# -- failures ---------------------------------------------------------------------------------


def assert_failed_with(span: ReadableSpan, error: BaseException) -> None:
    name = type(error).__qualname__
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description == name
    assert (span.attributes or {})["error.type"] == name
    assert "http.response.status_code" not in (span.attributes or {})
    (event,) = span.events
    assert event.name == "exception"
    assert (event.attributes or {})["exception.type"].endswith(name)


async def test_connection_refused(instrument, exporter, provider) -> None:
    instrument()
    port = free_port()
    tracer = provider.get_tracer("test")
    async with aiohttp.ClientSession() as session:
        with tracer.start_as_current_span("parent") as parent:
            with pytest.raises(aiohttp.ClientConnectorError) as refused:
                await session.get(f"http://127.0.0.1:{port}/")
            assert trace.get_current_span() is parent
    client = next(span for span in exporter.get_finished_spans() if span.name == "GET")
    assert_failed_with(client, refused.value)
    assert (client.attributes or {})["server.port"] == port


async def test_server_closes_without_answering(raw_server, instrument, exporter) -> None:
    server = await raw_server(respond_with(b""))
    instrument()
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ServerDisconnectedError) as disconnected:
            await session.post(server.make_url("/"), data=b"x")
    assert_failed_with(only_span(exporter), disconnected.value)


async def test_raise_for_status(http_server, instrument, exporter) -> None:
    instrument()
    async with aiohttp.ClientSession(raise_for_status=True) as session:
        with pytest.raises(aiohttp.ClientResponseError):
            await session.get(http_server.make_url("/status/404"))
    span = only_span(exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert (span.attributes or {})["http.response.status_code"] == 404


# -- options ----------------------------------------------------------------------------------


async def test_hooks_see_the_span_and_params(http_server, instrument, exporter) -> None:
    def request_hook(span: trace.Span, params: aiohttp.TraceRequestStartParams) -> None:
        span.set_attribute("test.request", f"{params.method} {params.url.path}")
        span.update_name(f"{params.method} custom")

    def response_hook(span: trace.Span, params: Any) -> None:
        span.set_attribute("test.response", type(params).__name__)

    instrument(request_hook=request_hook, response_hook=response_hook)
    async with aiohttp.ClientSession() as session:
        async with session.get(http_server.make_url("/hello")) as resp:
            await resp.read()
        with pytest.raises(aiohttp.ClientConnectorError):
            await session.get(f"http://127.0.0.1:{free_port()}/")
    ok, failed = exporter.get_finished_spans()
    assert ok.name == "GET custom"
    assert (ok.attributes or {})["test.request"] == "GET /hello"
    assert (ok.attributes or {})["test.response"] == "TraceRequestEndParams"
    assert (failed.attributes or {})["test.response"] == "TraceRequestExceptionParams"


async def test_failing_hook_is_logged_and_the_request_goes_on(
    http_server, instrument, exporter, caplog
) -> None:
    def broken(span: trace.Span, params: object) -> None:
        raise RuntimeError("hook bug")

    instrument(request_hook=broken, response_hook=broken)
    with caplog.at_level(logging.ERROR, logger="aiohttp_clone.opentelemetry"):
        async with aiohttp.ClientSession() as session:
            async with session.get(http_server.make_url("/echo")) as resp:
                sent = await echoed_headers(resp)
    span = only_span(exporter)
    assert sent["traceparent"] == traceparent_of(span)
    errors = [record.exc_info[1] for record in caplog.records if record.exc_info]
    assert [str(error) for error in errors] == ["hook bug", "hook bug"]  # request, response


@pytest.mark.parametrize("env", EXCLUDED_URLS_ENVS)
async def test_excluded_urls_from_environment(
    http_server, instrument, exporter, monkeypatch, env
) -> None:
    monkeypatch.setenv(env, r"nothing-here, /ec+ho$")
    instrument()
    async with aiohttp.ClientSession() as session:
        async with session.get(http_server.make_url("/echo")) as resp:
            sent = await echoed_headers(resp)
        async with session.get(http_server.make_url("/hello")) as resp:
            await resp.read()
    assert "traceparent" not in sent
    assert (only_span(exporter).attributes or {})["url.full"].endswith("/hello")


async def test_aiohttp_clone_variable_wins(
    http_server, instrument, exporter, monkeypatch
) -> None:
    monkeypatch.setenv("OTEL_PYTHON_AIOHTTP_CLONE_EXCLUDED_URLS", "/hello")
    monkeypatch.setenv("OTEL_PYTHON_AIOHTTP_CLIENT_EXCLUDED_URLS", "/echo")
    instrument()
    async with aiohttp.ClientSession() as session:
        for path in ("/echo", "/hello"):
            async with session.get(http_server.make_url(path)) as resp:
                await resp.read()
    assert (only_span(exporter).attributes or {})["url.full"].endswith("/echo")


async def test_excluded_urls_argument(http_server, instrument, exporter) -> None:
    instrument(excluded_urls="/hello")
    async with aiohttp.ClientSession() as session:
        for path in ("/hello", "/echo"):
            async with session.get(http_server.make_url(path)) as resp:
                await resp.read()
    assert (only_span(exporter).attributes or {})["url.full"].endswith("/echo")


async def test_suppressed_http_instrumentation(http_server, instrument, exporter) -> None:
    instrument()
    async with aiohttp.ClientSession() as session:
        with suppress_http_instrumentation():
            async with session.get(http_server.make_url("/echo")) as resp:
                sent = await echoed_headers(resp)
    assert "traceparent" not in sent
    assert exporter.get_finished_spans() == ()


async def test_duration_metric(http_server, instrument) -> None:
    reader = InMemoryMetricReader()
    instrument(meter_provider=MeterProvider(metric_readers=[reader]))
    async with aiohttp.ClientSession() as session:
        async with session.get(http_server.make_url("/status/404")) as resp:
            await resp.read()
    data = reader.get_metrics_data()
    assert data is not None
    (metric,) = [m for rm in data.resource_metrics for sm in rm.scope_metrics for m in sm.metrics]
    assert (metric.name, metric.unit) == ("http.client.request.duration", "s")
    (point,) = metric.data.data_points  # type: ignore[union-attr]
    assert point.count == 1 and point.sum > 0  # type: ignore[union-attr]
    assert dict(point.attributes or {}) == {
        "http.request.method": "GET", "server.address": "127.0.0.1",
        "server.port": http_server.port, "url.scheme": "http",
        "http.response.status_code": 404, "error.type": "404", "network.protocol.version": "1.1",
    }  # fmt: skip


# -- which sessions are traced ---------------------------------------------------------------


async def test_instrument_twice_and_explicit_config_trace_once(
    http_server, instrument, exporter, provider
) -> None:
    instrumentor = instrument()
    instrumentor.instrument(tracer_provider=provider)  # logs a warning, changes nothing
    seen: list[str] = []

    async def on_start(session: object, ctx: object, params: Any) -> None:
        seen.append(params.url.path)

    own = aiohttp.TraceConfig()
    own.on_request_start.append(on_start)
    explicit = create_trace_config(tracer_provider=provider)
    async with aiohttp.ClientSession(trace_configs=[own]) as plain:
        assert len(plain.trace_configs) == 2
        async with plain.get(http_server.make_url("/hello")) as resp:
            await resp.read()
    async with aiohttp.ClientSession(trace_configs=[explicit]) as given:
        assert given.trace_configs == [explicit]
        async with given.get(http_server.make_url("/echo")) as resp:
            sent = await echoed_headers(resp)
    assert len(exporter.get_finished_spans()) == 2  # one per request, none twice
    echo = exporter.get_finished_spans()[1]
    assert seen == ["/hello"]
    assert sent["traceparent"] == traceparent_of(echo)


async def test_subclasses_are_instrumented(http_server, instrument, exporter) -> None:
    with pytest.warns(DeprecationWarning):

        class WithInit(aiohttp.ClientSession):
            def __init__(self, **kwargs: Any) -> None:
                super().__init__(headers={"X-Sub": "1"}, **kwargs)

        class WithoutInit(aiohttp.ClientSession):
            pass

    instrument()
    for cls in (WithInit, WithoutInit):
        async with cls() as session:
            assert sum(isinstance(c, OpenTelemetryTraceConfig) for c in session.trace_configs) == 1
            async with session.get(http_server.make_url("/hello")) as resp:
                await resp.read()
    assert len(exporter.get_finished_spans()) == 2


async def test_module_level_request_is_instrumented(http_server, instrument, exporter) -> None:
    instrument()
    async with aiohttp.request("GET", http_server.make_url("/hello")) as resp:
        await resp.read()
    assert only_span(exporter).name == "GET"


async def test_uninstrument(http_server, instrument, exporter) -> None:
    instrumentor = instrument()
    async with aiohttp.ClientSession() as before:
        instrumentor.uninstrument()
        assert aiohttp.ClientSession.__dict__["__init__"] is ORIGINAL_INIT
        async with aiohttp.ClientSession() as after:
            assert after.trace_configs == []
            async with after.get(http_server.make_url("/echo")) as resp:
                assert "traceparent" not in await echoed_headers(resp)
        assert exporter.get_finished_spans() == ()
        # A session created while instrumented keeps its trace config until told otherwise.
        async with before.get(http_server.make_url("/hello")) as resp:
            await resp.read()
        assert len(exporter.get_finished_spans()) == 1
        AioHttpCloneInstrumentor.uninstrument_session(before)
        async with before.get(http_server.make_url("/hello")) as resp:
            await resp.read()
        assert len(exporter.get_finished_spans()) == 1
    instrument()  # and on again
    async with aiohttp.ClientSession() as again:
        async with again.get(http_server.make_url("/hello")) as resp:
            await resp.read()
    assert len(exporter.get_finished_spans()) == 2


async def test_uninstrument_under_a_later_wrapper(http_server, instrument, exporter) -> None:
    """Another agent wrapped ``__init__`` after us: uninstrumenting keeps its wrapper and
    switches ours off."""
    instrumentor = instrument()
    ours = aiohttp.ClientSession.__dict__["__init__"]
    calls: list[object] = []

    def theirs(self: aiohttp.ClientSession, *args: Any, **kwargs: Any) -> None:
        calls.append(self)
        ours(self, *args, **kwargs)

    aiohttp.ClientSession.__init__ = theirs  # type: ignore[method-assign]
    try:
        instrumentor.uninstrument()
        assert aiohttp.ClientSession.__dict__["__init__"] is theirs
        async with aiohttp.ClientSession() as session:
            assert session.trace_configs == []
            async with session.get(http_server.make_url("/hello")) as resp:
                await resp.read()
        assert len(calls) == 1
        assert exporter.get_finished_spans() == ()
    finally:
        aiohttp.ClientSession.__init__ = ORIGINAL_INIT  # type: ignore[method-assign]


# -- packaging ------------------------------------------------------------------------------


def test_entry_point_is_discoverable() -> None:
    (entry,) = [
        ep for ep in importlib.metadata.entry_points(group="opentelemetry_instrumentor")
        if ep.name == "aiohttp_clone"
    ]  # fmt: skip
    assert entry.load() is AioHttpCloneInstrumentor


def test_opentelemetry_only_in_the_extra() -> None:
    requires = importlib.metadata.requires("aiohttp_clone") or []
    assert not [r for r in requires if "opentelemetry" in r and "extra ==" not in r]
    extra = sorted(r.split(">")[0] for r in requires if 'extra == "opentelemetry"' in r)
    assert extra == [
        "opentelemetry-api", "opentelemetry-instrumentation", "opentelemetry-semantic-conventions",
    ]  # fmt: skip


def run_python(script: str, *args: str, launcher: tuple[str, ...] = ()) -> str:
    result = subprocess.run(
        [*launcher, sys.executable, "-c", textwrap.dedent(script), *args],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_without_opentelemetry_the_module_names_the_extra() -> None:
    out = run_python("""
        import sys

        class NoOpenTelemetry:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] == "opentelemetry":
                    raise ModuleNotFoundError(f"No module named {name!r}", name=name)

        sys.meta_path.insert(0, NoOpenTelemetry())
        import aiohttp_clone
        assert not [m for m in sys.modules if m.startswith("opentelemetry")]
        try:
            import aiohttp_clone.opentelemetry
        except ImportError as error:
            print(type(error).__name__, error)
    """)
    assert out.startswith("ModuleNotFoundError ")
    assert "pip install 'aiohttp_clone[opentelemetry]'" in out


def test_opentelemetry_instrument_command_loads_it(http_server) -> None:
    """What an agent does: the app never calls instrument(), ``opentelemetry-instrument``
    does, through the entry point."""
    out = run_python("""
        import asyncio, json, sys
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
        import aiohttp_clone

        exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        trace.set_tracer_provider(provider)

        async def main():
            async with aiohttp_clone.ClientSession() as session:
                async with session.get(sys.argv[1]) as resp:
                    sent = dict((await resp.json())["headers"])
            (span,) = exporter.get_finished_spans()
            print(json.dumps([span.name, span.context.trace_id, sent.get("traceparent")]))

        asyncio.run(main())
    """, str(http_server.make_url("/echo")), launcher=(
        str(Path(sys.executable).with_name("opentelemetry-instrument")),
    ))  # fmt: skip
    name, trace_id, traceparent = json.loads(out)
    assert name == "GET"
    assert traceparent.startswith(f"00-{trace_id:032x}-")
