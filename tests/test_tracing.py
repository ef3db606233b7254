"""Unit tests of tracing: signals, the context factory, and what each send_* delivers."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace
from typing import Any

import pytest
from multidict import CIMultiDict
from yarl import URL

import aiohttp_clone.tracing as tracing
from aiohttp_clone.tracing import Signal, Trace, TraceConfig

SIGNALS = [
    "on_request_start",
    "on_request_chunk_sent",
    "on_response_chunk_received",
    "on_request_end",
    "on_request_exception",
    "on_request_redirect",
    "on_request_headers_sent",
    "on_connection_queued_start",
    "on_connection_queued_end",
    "on_connection_create_start",
    "on_connection_create_end",
    "on_connection_reuseconn",
    "on_dns_resolvehost_start",
    "on_dns_resolvehost_end",
    "on_dns_cache_hit",
    "on_dns_cache_miss",
]

URL_ = URL("http://example.com/")
HEADERS: CIMultiDict[str] = CIMultiDict({"X": "1"})
RESPONSE = object()
EXC = ValueError("boom")

# (send method, its args, the signal it fires, the params class, the expected fields)
DELIVERIES: list[tuple[str, tuple[Any, ...], str, str, dict[str, Any]]] = [
    ("send_request_start", ("GET", URL_, HEADERS), "on_request_start",
     "TraceRequestStartParams", {"method": "GET", "url": URL_, "headers": HEADERS}),
    ("send_request_chunk_sent", ("POST", URL_, b"c"), "on_request_chunk_sent",
     "TraceRequestChunkSentParams", {"method": "POST", "url": URL_, "chunk": b"c"}),
    ("send_response_chunk_received", ("GET", URL_, b"r"), "on_response_chunk_received",
     "TraceResponseChunkReceivedParams", {"method": "GET", "url": URL_, "chunk": b"r"}),
    ("send_request_end", ("GET", URL_, HEADERS, RESPONSE), "on_request_end",
     "TraceRequestEndParams",
     {"method": "GET", "url": URL_, "headers": HEADERS, "response": RESPONSE}),
    ("send_request_exception", ("GET", URL_, HEADERS, EXC), "on_request_exception",
     "TraceRequestExceptionParams",
     {"method": "GET", "url": URL_, "headers": HEADERS, "exception": EXC}),
    ("send_request_redirect", ("GET", URL_, HEADERS, RESPONSE), "on_request_redirect",
     "TraceRequestRedirectParams",
     {"method": "GET", "url": URL_, "headers": HEADERS, "response": RESPONSE}),
    ("send_request_headers", ("GET", URL_, HEADERS), "on_request_headers_sent",
     "TraceRequestHeadersSentParams", {"method": "GET", "url": URL_, "headers": HEADERS}),
    ("send_connection_queued_start", (), "on_connection_queued_start",
     "TraceConnectionQueuedStartParams", {}),
    ("send_connection_queued_end", (), "on_connection_queued_end",
     "TraceConnectionQueuedEndParams", {}),
    ("send_connection_create_start", (), "on_connection_create_start",
     "TraceConnectionCreateStartParams", {}),
    ("send_connection_create_end", (), "on_connection_create_end",
     "TraceConnectionCreateEndParams", {}),
    ("send_connection_reuseconn", (), "on_connection_reuseconn",
     "TraceConnectionReuseconnParams", {}),
    ("send_dns_resolvehost_start", ("h.test",), "on_dns_resolvehost_start",
     "TraceDnsResolveHostStartParams", {"host": "h.test"}),
    ("send_dns_resolvehost_end", ("h.test",), "on_dns_resolvehost_end",
     "TraceDnsResolveHostEndParams", {"host": "h.test"}),
    ("send_dns_cache_hit", ("h.test",), "on_dns_cache_hit",
     "TraceDnsCacheHitParams", {"host": "h.test"}),
    ("send_dns_cache_miss", ("h.test",), "on_dns_cache_miss",
     "TraceDnsCacheMissParams", {"host": "h.test"}),
]  # fmt: skip


def test_every_signal_is_a_distinct_signal_per_config() -> None:
    a, b = TraceConfig(), TraceConfig()
    for name in SIGNALS:
        signal = getattr(a, name)
        assert isinstance(signal, Signal)
        assert isinstance(signal, list)
        assert signal is getattr(a, name)
        assert signal is not getattr(b, name)
    assert len(tracing._SIGNAL_NAMES) == len(SIGNALS)


def test_signal_attributes_are_read_only() -> None:
    with pytest.raises(AttributeError):
        TraceConfig().on_request_start = Signal()  # type: ignore[assignment,misc]


def test_freeze_blocks_every_mutation() -> None:
    async def cb(*args: Any) -> None:
        pass

    config = TraceConfig()
    config.on_request_start.append(cb)
    config.freeze()
    signal = config.on_request_start
    assert signal.frozen
    assert all(getattr(config, name).frozen for name in SIGNALS)
    mutations = [
        lambda: signal.append(cb),
        lambda: signal.extend([cb]),
        lambda: signal.insert(0, cb),
        lambda: signal.remove(cb),
        lambda: signal.pop(),
        lambda: signal.clear(),
        lambda: signal.sort(key=id),
        lambda: signal.reverse(),
        lambda: signal.__setitem__(0, cb),
        lambda: signal.__delitem__(0),
        lambda: signal.__iadd__([cb]),
        lambda: signal.__imul__(2),
    ]
    for mutate in mutations:
        with pytest.raises(RuntimeError):
            mutate()
    assert list(signal) == [cb]


def test_unfrozen_signal_is_a_plain_list() -> None:
    async def cb(*args: Any) -> None:
        pass

    signal: Signal[Any] = Signal()
    signal += [cb]
    signal.insert(0, cb)
    assert not signal.frozen
    assert len(signal) == 2
    assert "frozen=False" in repr(signal)


def test_trace_config_ctx_default_factory() -> None:
    config = TraceConfig()
    ctx = config.trace_config_ctx(trace_request_ctx={"id": 7})
    assert isinstance(ctx, SimpleNamespace)
    assert ctx.trace_request_ctx == {"id": 7}
    assert config.trace_config_ctx().trace_request_ctx is None
    assert config.trace_config_ctx() is not config.trace_config_ctx()


def test_trace_config_ctx_custom_factory() -> None:
    class Ctx(SimpleNamespace):
        pass

    ctx = TraceConfig(trace_config_ctx_factory=Ctx).trace_config_ctx(trace_request_ctx=1)
    assert type(ctx) is Ctx
    assert ctx.trace_request_ctx == 1


@pytest.mark.parametrize(("method", "args", "signal", "params_name", "fields"), DELIVERIES)
async def test_send_delivers_params(
    method: str, args: tuple[Any, ...], signal: str, params_name: str, fields: dict[str, Any]
) -> None:
    received: list[tuple[Any, Any, Any]] = []

    async def first(session: Any, ctx: Any, params: Any) -> None:
        received.append((session, ctx, params))

    async def second(session: Any, ctx: Any, params: Any) -> None:
        received.append((session, ctx, params))

    config = TraceConfig()
    getattr(config, signal).extend([first, second])
    config.freeze()
    session = object()
    ctx = config.trace_config_ctx(trace_request_ctx="mine")
    await getattr(Trace(session, config, ctx), method)(*args)  # type: ignore[arg-type]

    assert len(received) == 2
    got_session, got_ctx, params = received[0]
    assert got_session is session
    assert got_ctx is ctx
    assert got_ctx.trace_request_ctx == "mine"
    assert type(params) is getattr(tracing, params_name)
    assert [f.name for f in dataclasses.fields(params)] == list(fields)
    for name, value in fields.items():
        assert getattr(params, name) is value
    for name in fields:
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(params, name, "x")


@pytest.mark.parametrize(("method", "args", "signal", "params_name", "fields"), DELIVERIES)
async def test_send_without_callbacks_builds_nothing(
    monkeypatch: pytest.MonkeyPatch,
    method: str,
    args: tuple[Any, ...],
    signal: str,
    params_name: str,
    fields: dict[str, Any],
) -> None:
    def forbidden(*a: Any, **k: Any) -> None:
        raise AssertionError("params built for a signal without callbacks")

    monkeypatch.setattr(tracing, params_name, forbidden)
    config = TraceConfig()
    await getattr(Trace(object(), config, config.trace_config_ctx()), method)(*args)  # type: ignore[arg-type]


def test_params_are_hashable_and_compare_by_value() -> None:
    a = tracing.TraceDnsCacheHitParams("h")
    assert a == tracing.TraceDnsCacheHitParams("h")
    assert hash(a) == hash(tracing.TraceDnsCacheHitParams("h"))


def test_public_names_exported() -> None:
    for name in tracing.__all__:
        assert hasattr(tracing, name)


def test_matches_aiohttp_names_and_fields() -> None:
    """Guards drop-in compatibility when aiohttp (a bench dependency) is installed."""
    aiohttp_tracing = pytest.importorskip("aiohttp.tracing")
    theirs = {n for n in dir(aiohttp_tracing.TraceConfig) if n.startswith("on_")}
    assert theirs == set(SIGNALS)
    sends = {n for n in dir(aiohttp_tracing.Trace) if n.startswith("send_")}
    assert sends == {n for n in dir(Trace) if n.startswith("send_")}
    for name in tracing.__all__:
        if name.endswith("Params"):
            their_fields = [a.name for a in getattr(aiohttp_tracing, name).__attrs_attrs__]
            assert [f.name for f in dataclasses.fields(getattr(tracing, name))] == their_fields
