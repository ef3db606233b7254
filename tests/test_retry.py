"""RetryMiddleware against servers that fail N times and then answer.

The waits are never real: the middleware is given a clock and a sleep (``FakeTime``) that record
the requested delays and move the clock on, so backoff, jitter, Retry-After and the time limits
are asserted as numbers. One end-to-end test (uvicorn) sleeps for real, a few milliseconds, and
asserts nothing about elapsed time.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Iterator
from email.utils import formatdate
from pathlib import Path
from typing import Any

import pytest
from yarl import URL

import aiohttp_clone as aiohttp
from aiohttp_clone.client_middleware_retry import parse_retry_after
from tests.servers import (
    OK,
    drain_until_eof,
    free_port,
    read_request,
    read_request_head,
    reset,
    start_uvicorn_tcp,
)

RESET = b"<reset>"
HANG = b"<hang>"


def status(code: int, extra: bytes = b"", body: bytes = b"busy") -> bytes:
    return (
        b"HTTP/1.1 %d Oops\r\nContent-Length: %d\r\n%s\r\n" % (code, len(body), extra) + body
    )


class Script:
    """Answers requests in arrival order with ``steps`` (raw responses, RESET or HANG), then
    with 200 "ok" forever; keep-alive unless a step ends the connection."""

    def __init__(self, *steps: bytes) -> None:
        self.steps = steps
        self.served = 0

    async def handler(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for _ in range(100):
            head, _ = await read_request(reader)
            if not head:
                return
            step = self.steps[self.served] if self.served < len(self.steps) else OK
            self.served += 1
            if step is RESET:
                reset(writer)
                return
            if step is HANG:
                await drain_until_eof(reader)
                return
            writer.write(step)
            await writer.drain()


class FakeTime:
    """A clock that only the middleware's sleeps move (anchored at the loop's time)."""

    def __init__(self) -> None:
        self.now = asyncio.get_running_loop().time()
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        self.sleeps.append(delay)
        self.now += delay
        await asyncio.sleep(0)

    def middleware(self, events: list[aiohttp.RetryEvent] | None = None, **options: Any):
        async def on_retry(event: aiohttp.RetryEvent) -> None:
            if events is not None:
                events.append(event)

        return aiohttp.RetryMiddleware(
            aiohttp.RetryOptions(**options), on_retry=on_retry, sleep=self.sleep, clock=self.clock
        )


@pytest.fixture
async def fake_time() -> FakeTime:
    return FakeTime()


@contextlib.asynccontextmanager
async def session_with(middleware: Any, **kwargs: Any) -> AsyncIterator[aiohttp.ClientSession]:
    """A session using ``middleware``; on exit, no connection may still be acquired."""
    async with aiohttp.ClientSession(middlewares=(middleware,), **kwargs) as session:
        yield session
        assert session.connector is not None and not session.connector._acquired


# -- statuses ---------------------------------------------------------------------------------


async def test_statuses_are_retried_until_the_server_answers(raw_server, fake_time) -> None:
    script = Script(status(503), status(502))
    server = await raw_server(script.handler)
    events: list[aiohttp.RetryEvent] = []
    mw = fake_time.middleware(events, jitter=False)
    async with session_with(mw) as session:
        async with session.get(server.url) as resp:
            assert resp.status == 200
            assert await resp.text() == "ok"
    assert script.served == 3
    assert fake_time.sleeps == [0.5, 1.0]  # backoff_base, then doubled
    assert [(e.attempt, e.response.status, e.delay) for e in events] == [  # type: ignore[union-attr]
        (1, 503, 0.5), (2, 502, 1.0),
    ]
    assert server.connections == 1  # each retried response gave its connection back


async def test_retried_response_is_released_before_the_wait(raw_server) -> None:
    server = await raw_server(Script(status(500)).handler)
    pool_during_wait: list[tuple[int, int]] = []

    async def sleep(delay: float) -> None:
        connector = session.connector
        assert connector is not None
        idle = sum(len(v) for v in connector._idle.values())
        pool_during_wait.append((len(connector._acquired), idle))

    mw = aiohttp.RetryMiddleware(sleep=sleep)
    async with session_with(mw) as session:
        async with session.get(server.url) as resp:
            assert resp.status == 200
    assert pool_during_wait == [(0, 1)]


async def test_a_retried_body_still_arriving_is_read_to_keep_the_connection(raw_server) -> None:
    """The 503's body is sent only once the retry is decided: the middleware reads it, so
    the retry goes out on the same connection."""
    decided = asyncio.Event()
    served = 0

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal served
        for _ in range(10):
            head, _ = await read_request(reader)
            if not head:
                return
            served += 1
            if served == 1:
                writer.write(b"HTTP/1.1 503 Oops\r\nContent-Length: 4\r\n\r\n")
                await writer.drain()
                await decided.wait()
                writer.write(b"busy")
            else:
                writer.write(OK)
            await writer.drain()

    async def on_retry(event: aiohttp.RetryEvent) -> None:
        decided.set()

    server = await raw_server(handler)
    mw = aiohttp.RetryMiddleware(on_retry=on_retry, sleep=lambda delay: asyncio.sleep(0))
    async with session_with(mw) as session:
        async with session.get(server.url) as resp:
            assert resp.status == 200
    assert served == 2 and server.connections == 1


async def test_a_retried_body_that_breaks_off_is_thrown_away_quietly(raw_server, fake_time) -> None:
    """The 503's body stops short (the server hangs up): reading it fails, which does not
    matter for an answer thrown away; the retry goes out on a new connection."""
    served = 0

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal served
        for _ in range(10):
            head, _ = await read_request(reader)
            if not head:
                return
            served += 1
            if served == 1:
                writer.write(b"HTTP/1.1 503 Oops\r\nContent-Length: 10\r\n\r\nbusy")
                await writer.drain()
                writer.close()
                return
            writer.write(OK)
            await writer.drain()

    server = await raw_server(handler)
    async with session_with(fake_time.middleware()) as session:
        async with session.get(server.url) as resp:
            assert (resp.status, await resp.read()) == (200, b"ok")
    assert served == 2 and server.connections == 2


async def test_the_last_response_is_returned_as_is(raw_server, fake_time) -> None:
    script = Script(*[status(503, body=b"busy %d" % i) for i in range(5)])
    server = await raw_server(script.handler)
    async with session_with(fake_time.middleware(attempts=3)) as session:
        async with session.get(server.url) as resp:
            assert resp.status == 503
            assert await resp.read() == b"busy 2"  # the third answer, body unread until now
    assert script.served == 3
    assert len(fake_time.sleeps) == 2


async def test_raise_for_status_applies_to_the_last_response(raw_server, fake_time) -> None:
    script = Script(*[status(503)] * 5)
    server = await raw_server(script.handler)
    async with session_with(fake_time.middleware(attempts=2), raise_for_status=True) as session:
        with pytest.raises(aiohttp.ClientResponseError) as info:
            await session.get(server.url)
    assert info.value.status == 503
    assert script.served == 2


async def test_statuses_outside_the_set_are_answers(raw_server, fake_time) -> None:
    script = Script(status(404), status(503))
    server = await raw_server(script.handler)
    async with session_with(fake_time.middleware(statuses={503})) as session:
        async with session.get(server.url) as resp:
            assert resp.status == 404
    assert script.served == 1 and fake_time.sleeps == []


async def test_per_request_middleware(raw_server, fake_time) -> None:
    script = Script(status(429))
    server = await raw_server(script.handler)
    async with aiohttp.ClientSession() as session:
        async with session.get(server.url, middlewares=(fake_time.middleware(),)) as resp:
            assert resp.status == 200
    assert script.served == 2


# -- methods and bodies -------------------------------------------------------------------------


async def test_post_is_not_retried_by_default(raw_server, fake_time) -> None:
    script = Script(status(503))
    server = await raw_server(script.handler)
    async with session_with(fake_time.middleware()) as session:
        async with session.post(server.url, data=b"payload") as resp:
            assert resp.status == 503
    assert script.served == 1


async def test_methods_are_configurable_and_the_body_is_sent_again(raw_server, fake_time) -> None:
    script = Script(status(503), RESET)
    server = await raw_server(script.handler)
    async with session_with(fake_time.middleware(methods={"post"})) as session:
        async with session.post(server.url, json={"n": 1}) as resp:
            assert resp.status == 200
        async with session.put(server.url, data=b"x") as resp:  # no longer in the set
            assert resp.status == 200
    assert server.bodies == [b'{"n": 1}'] * 3 + [b"x"]


async def test_a_one_shot_body_is_never_retried(raw_server, fake_time) -> None:
    script = Script(status(503), status(503))
    server = await raw_server(script.handler)

    async def chunks() -> AsyncIterator[bytes]:
        yield b"one "
        yield b"shot"

    async with session_with(fake_time.middleware()) as session:
        async with session.put(server.url, data=chunks()) as resp:
            assert resp.status == 503
    assert server.bodies == [b"one shot"]
    assert fake_time.sleeps == []


@pytest.mark.parametrize("answer_size", [4, 1 << 20])
async def test_a_file_body_answered_early_is_sent_again_whole(
    raw_server, fake_time, tmp_path: Path, answer_size: int
) -> None:
    """The server answers 503 before reading the body (with a small answer, or one too large
    to drain): the first upload is stopped before the file is rewound and sent again, so the
    second attempt carries it whole."""
    content = bytes(range(256)) * 4096  # 1 MiB, far over what one write takes
    path = tmp_path / "body.bin"
    path.write_bytes(content)
    received: list[bytes] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not received:
            received.append(b"")
            await read_request_head(reader)
            writer.write(status(503, body=b"x" * answer_size))
            await writer.drain()
            await drain_until_eof(reader)
            return
        _, body = await read_request(reader)
        received.append(body)
        writer.write(OK)
        await writer.drain()
        await drain_until_eof(reader)

    server = await raw_server(handler)
    async with session_with(fake_time.middleware()) as session:
        with path.open("rb") as file:
            async with session.put(server.url, data=file) as resp:
                assert resp.status == 200
    assert len(received) == 2 and received[1] == content


# -- exceptions ---------------------------------------------------------------------------------


async def test_connection_resets_are_retried(raw_server, fake_time) -> None:
    script = Script(RESET, RESET)
    server = await raw_server(script.handler)
    events: list[aiohttp.RetryEvent] = []
    async with session_with(fake_time.middleware(events)) as session:
        async with session.get(server.url) as resp:
            assert await resp.text() == "ok"
    # The session itself sends a GET that got no answer once more (as aiohttp does), so the
    # middleware sees one failure for the first two resets.
    assert script.served == 3 and server.connections == 3
    assert all(isinstance(e.exception, aiohttp.ClientConnectionError) for e in events)
    assert [e.response for e in events] == [None]


async def test_exhausted_attempts_raise_the_last_exception(raw_server, fake_time) -> None:
    script = Script(*[RESET] * 9)
    server = await raw_server(script.handler)
    async with session_with(fake_time.middleware(attempts=4)) as session:
        with pytest.raises(aiohttp.ClientConnectionError):
            await session.get(server.url)
    assert script.served == 8  # each attempt is sent twice by the session (see above)


async def test_read_timeouts_are_retried(raw_server, fake_time) -> None:
    script = Script(HANG)
    server = await raw_server(script.handler)
    timeout = aiohttp.ClientTimeout(sock_read=0.5)
    events: list[aiohttp.RetryEvent] = []
    async with session_with(fake_time.middleware(events), timeout=timeout) as session:
        async with session.get(server.url) as resp:
            assert resp.status == 200
    assert [type(e.exception) for e in events] == [aiohttp.SocketTimeoutError]


@pytest.mark.parametrize("any_method", [True, False])
async def test_refused_connections_sent_nothing(fake_time, any_method: bool) -> None:
    """Nothing left, so even a POST is retried (as urllib3 does), unless told otherwise."""
    url = URL.build(scheme="http", host="127.0.0.1", port=free_port())
    events: list[aiohttp.RetryEvent] = []
    mw = fake_time.middleware(events, connect_errors_any_method=any_method)
    async with session_with(mw) as session:
        with pytest.raises(aiohttp.ClientConnectorError):
            await session.post(url, data=b"x")
    assert len(events) == (2 if any_method else 0)


async def test_other_exceptions_are_not_retried(raw_server, fake_time) -> None:
    script = Script(b"HTTP/1.1 abc\r\n\r\n")
    server = await raw_server(script.handler)
    async with session_with(fake_time.middleware()) as session:
        with pytest.raises(aiohttp.ClientResponseError):
            await session.get(server.url)
    assert script.served == 1


async def test_certificate_failures_are_never_retried(https_server, fake_time) -> None:
    events: list[aiohttp.RetryEvent] = []
    async with session_with(fake_time.middleware(events, exceptions={aiohttp.ClientError})) as s:
        with pytest.raises(aiohttp.ClientConnectorCertificateError):
            await s.get(https_server.make_url("/"))
    assert events == []


# -- waits ---------------------------------------------------------------------------------------


async def test_full_jitter_draws_from_zero_to_the_ceiling(raw_server, fake_time) -> None:
    server = await raw_server(Script(*[status(503)] * 3).handler)
    mw = aiohttp.RetryMiddleware(
        aiohttp.RetryOptions(attempts=4), sleep=fake_time.sleep, clock=fake_time.clock,
        rand=lambda: 0.25,
    )
    async with session_with(mw) as session:
        async with session.get(server.url) as resp:
            assert resp.status == 200
    assert fake_time.sleeps == [0.125, 0.25, 0.5]


async def test_backoff_is_capped(raw_server, fake_time) -> None:
    server = await raw_server(Script(*[status(503)] * 3).handler)
    mw = fake_time.middleware(
        attempts=4, jitter=False, backoff_base=10, backoff_multiplier=10, backoff_max=15
    )
    async with session_with(mw) as session:
        async with session.get(server.url) as resp:
            assert resp.status == 200
    assert fake_time.sleeps == [10, 15, 15]


def http_date(offset: float) -> bytes:
    return formatdate(time.time() + offset, usegmt=True).encode()


@pytest.mark.parametrize(
    ("retry_after", "low", "high"),
    [
        (b"7", 7, 7),
        (b"3600", 60, 60),  # capped at retry_after_max
        (lambda: http_date(3600), 60, 60),
        (lambda: http_date(30), 25, 30),
        (lambda: http_date(-3600), 0, 0),
        (b"soon", 0.5, 0.5),  # malformed: the backoff applies
    ],
)
async def test_retry_after_is_honoured(raw_server, fake_time, retry_after, low, high) -> None:
    value = retry_after() if callable(retry_after) else retry_after
    server = await raw_server(Script(status(429, b"Retry-After: %s\r\n" % value)).handler)
    async with session_with(fake_time.middleware(jitter=False)) as session:
        async with session.get(server.url) as resp:
            assert resp.status == 200
    assert len(fake_time.sleeps) == 1 and low <= fake_time.sleeps[0] <= high


async def test_retry_after_can_be_ignored(raw_server, fake_time) -> None:
    server = await raw_server(Script(status(503, b"Retry-After: 50\r\n")).handler)
    mw = fake_time.middleware(jitter=False, respect_retry_after=False)
    async with session_with(mw) as session:
        await (await session.get(server.url)).release()
    assert fake_time.sleeps == [0.5]


# -- time limits ---------------------------------------------------------------------------------


async def test_no_wait_outlasts_the_total_timeout(raw_server, fake_time) -> None:
    """Waits of 4 then 8 s against a 10 s total: after the first, the second would not fit,
    so the second 503 is the answer."""
    script = Script(*[status(503)] * 9)
    server = await raw_server(script.handler)
    mw = fake_time.middleware(attempts=10, jitter=False, backoff_base=4)
    async with session_with(mw, timeout=aiohttp.ClientTimeout(total=10)) as session:
        async with session.get(server.url) as resp:
            assert resp.status == 503
    assert fake_time.sleeps == [4]
    assert script.served == 2


async def test_no_wait_outlasts_a_per_request_total_timeout(raw_server, fake_time) -> None:
    """The same with the timeout given to the request, not the session: the middleware reads
    the request's own deadline."""
    script = Script(*[status(503)] * 9)
    server = await raw_server(script.handler)
    mw = fake_time.middleware(attempts=10, jitter=False, backoff_base=4)
    async with session_with(mw, timeout=aiohttp.ClientTimeout(total=None)) as session:
        async with session.get(server.url, timeout=aiohttp.ClientTimeout(total=10)) as resp:
            assert resp.status == 503
    assert fake_time.sleeps == [4]
    assert script.served == 2


async def test_total_time_bounds_the_retries(raw_server, fake_time) -> None:
    script = Script(*[RESET] * 9)
    server = await raw_server(script.handler)
    mw = fake_time.middleware(attempts=10, jitter=False, backoff_base=2, total_time=5)
    async with session_with(mw) as session:
        with pytest.raises(aiohttp.ClientConnectionError):
            await session.get(server.url)
    assert fake_time.sleeps == [2]


async def test_a_retry_after_beyond_the_limit_ends_the_retries(raw_server, fake_time) -> None:
    script = Script(status(503, b"Retry-After: 20\r\n"))
    server = await raw_server(script.handler)
    mw = fake_time.middleware(retry_after_max=600)
    async with session_with(mw, timeout=aiohttp.ClientTimeout(total=15)) as session:
        async with session.get(server.url) as resp:
            assert resp.status == 503
            assert resp.headers["Retry-After"] == "20"
    assert fake_time.sleeps == [] and script.served == 1


async def test_cancellation_during_the_wait_propagates(raw_server) -> None:
    script = Script(status(503))
    server = await raw_server(script.handler)
    waiting = asyncio.Event()

    async def sleep(delay: float) -> None:
        waiting.set()
        await asyncio.sleep(delay)

    mw = aiohttp.RetryMiddleware(aiohttp.RetryOptions(backoff_base=100, jitter=False), sleep=sleep)
    async with session_with(mw) as session:
        task = asyncio.create_task(session.get(server.url))
        await asyncio.wait_for(waiting.wait(), 10)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert session.connector is not None and not session.connector._acquired
    assert script.served == 1


# -- tracing and hooks ----------------------------------------------------------------------------


class Signals:
    NAMES = (
        "on_request_start", "on_request_end", "on_request_exception", "on_request_headers_sent",
        "on_connection_create_start", "on_connection_reuseconn",
    )

    def __init__(self) -> None:
        self.log: list[str] = []
        self.config = aiohttp.TraceConfig()
        for name in self.NAMES:
            getattr(self.config, name).append(self._record(name[3:]))

    def _record(self, name: str) -> Any:
        async def callback(session: object, ctx: object, params: object) -> None:
            self.log.append(name)

        return callback


async def test_each_attempt_is_visible_to_tracing(raw_server, fake_time) -> None:
    server = await raw_server(Script(status(503), RESET).handler)
    signals = Signals()
    async with session_with(fake_time.middleware(), trace_configs=[signals.config]) as session:
        async with session.get(server.url) as resp:
            assert resp.status == 200
    assert signals.log == [
        "request_start",
        "connection_create_start", "request_headers_sent",  # 503, connection kept
        "connection_reuseconn", "request_headers_sent",  # reset
        "connection_create_start", "request_headers_sent",  # 200
        "request_end",
    ]


async def test_a_failing_hook_still_releases_the_response(raw_server) -> None:
    script = Script(status(503))
    server = await raw_server(script.handler)

    async def on_retry(event: aiohttp.RetryEvent) -> None:
        assert event.response is not None
        raise RuntimeError(f"saw {event.response.status}")

    async with session_with(aiohttp.RetryMiddleware(on_retry=on_retry)) as session:
        with pytest.raises(RuntimeError, match="saw 503"):
            await session.get(server.url)
    assert script.served == 1


async def test_retries_apply_to_each_redirect_hop(raw_server, fake_time) -> None:
    script = Script(
        status(503),
        b"HTTP/1.1 307 Temporary Redirect\r\nLocation: /next\r\nContent-Length: 0\r\n\r\n",
        status(503),
    )
    server = await raw_server(script.handler)
    async with session_with(fake_time.middleware(methods={"PUT", "POST"})) as session:
        async with session.post(server.url, data=b"again") as resp:
            assert resp.status == 200
            assert [r.status for r in resp.history] == [307]
    assert server.bodies == [b"again"] * 4
    assert [head.split(b" ")[1] for head in server.requests] == [b"/", b"/", b"/next", b"/next"]


# -- options -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"attempts": 0}, ValueError),
        ({"backoff_base": -1}, ValueError),
        ({"backoff_multiplier": 0.5}, ValueError),
        ({"total_time": 0}, ValueError),
        ({"methods": "GET"}, TypeError),
        ({"exceptions": {int}}, TypeError),
    ],
)
def test_bad_options_are_refused(options: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        aiohttp.RetryOptions(**options)


def test_options_are_normalised() -> None:
    options = aiohttp.RetryOptions(methods=["get", "Put"], statuses=[503], exceptions=[OSError])
    assert options.methods == frozenset({"GET", "PUT"})
    assert options.statuses == frozenset({503})
    assert options.exceptions == (OSError,)
    assert options.backoff(10_000) == options.backoff_max  # no overflow on absurd counts


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0), (" 5 ", 5.0), ("0", 0.0), ("-1", None), ("1.5", None), ("", None),
        ("soon", None), ("\u0661\u0662", None), (None, None),
        ("Sun, 06 Nov 1994 08:49:37 GMT", 10.0),
        ("Sun, 06 Nov 1994 08:49:37 -0000", 10.0),
        ("Sunday, 06-Nov-94 08:49:37 GMT", 10.0),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    now = 784111777.0 - 10  # 1994-11-06 08:49:37 UTC, minus 10 s
    assert parse_retry_after(value, now=now) == expected


# -- end to end, for real --------------------------------------------------------------------------


class FlakyApp:
    """ASGI: /flaky/<key>/<n> answers 503 n times for each key, then 200 with the try count."""

    def __init__(self) -> None:
        self.tries: dict[str, int] = {}

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        _, _, key, failures = scope["path"].split("/")
        tries = self.tries[key] = self.tries.get(key, 0) + 1
        code = 503 if tries <= int(failures) else 200
        body = str(tries).encode()
        headers = [(b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": code, "headers": headers})
        await send({"type": "http.response.body", "body": body})


@pytest.fixture(scope="module")
def flaky_server() -> Iterator[tuple[URL, FlakyApp]]:
    app = FlakyApp()
    server = start_uvicorn_tcp(app)
    try:
        yield URL.build(scheme="http", host="127.0.0.1", port=server.port), app
    finally:
        server.stop()


async def test_end_to_end_with_real_waits(flaky_server) -> None:
    base, app = flaky_server
    mw = aiohttp.RetryMiddleware(aiohttp.RetryOptions(attempts=4, backoff_base=0.01))
    async with session_with(mw) as session:
        results = await asyncio.gather(
            *(session.get(base / "flaky" / f"k{i}" / str(i)) for i in range(4))
        )
        assert [(r.status, await r.text()) for r in results] == [
            (200, "1"), (200, "2"), (200, "3"), (200, "4"),
        ]
        async with session.get(base / "flaky" / "late" / "9") as resp:
            assert resp.status == 503 and await resp.text() == "4"
    assert app.tries["late"] == 4
