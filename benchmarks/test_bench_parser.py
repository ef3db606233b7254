"""Response parser benchmarks: our two twins against httptools, h11 and aiohttp's two parsers.

Run: ``.venv/bin/python -m pytest benchmarks/test_bench_parser.py --benchmark-only``
(not part of ``make test``: testpaths is ``tests``). Each workload is one benchmark group, so
the table compares the parsers side by side.

Fairness: every parser is created once per benchmark and reused, as on a keep-alive connection;
each round parses one complete response. h11 cannot receive a response before its client has
sent a request, so its rounds also include sending (and serializing) one small request and
``start_next_cycle()``; that is h11's real per-response cost on a connection.

Not like for like with aiohttp: aiohttp's parsers do more per response than ours. Their
``feed_data`` also creates a ``StreamReader`` for each response and feeds the body into it (the
reader its protocol hands to the response), while ours returns a list of events (head, body
bytes, end of message) and leaves feeding a reader to the protocol (client_proto.py), outside
this measurement. The aiohttp columns therefore include a stream reader's work that ours leave
out; the end-to-end tables of ``python -m benchmarks`` compare the two whole paths.
"""

import asyncio
from collections.abc import Callable, Iterator

import pytest

from aiohttp_clone._http.messages import END_OF_MESSAGE
from aiohttp_clone._http.parser_py import HttpResponseParser as PyParser


def _response(header_count: int, body: bytes = b"x" * 100) -> bytes:
    fields = [b"Content-Type: text/plain; charset=utf-8", b"Content-Length: %d" % len(body)]
    fields += [b"X-Header-%d: value number %d" % (i, i) for i in range(header_count - 2)]
    return b"HTTP/1.1 200 OK\r\n" + b"".join(f + b"\r\n" for f in fields) + b"\r\n" + body


def _chunked(count: int, size: int = 100) -> bytes:
    chunk = b"%x\r\n" % size + b"y" * size + b"\r\n"
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
    return head + chunk * count + b"0\r\n\r\n"


WORKLOADS = {
    "8-headers-100B-body": _response(8),
    "30-headers-100B-body": _response(30),
    "chunked-100x100B": _chunked(100),
}

Feed = Callable[[bytes], None]


def _ours(parser_cls: type) -> Feed:
    parser = parser_cls()

    def feed(data: bytes) -> None:
        events = parser.feed_data(data)
        assert events[-1] is END_OF_MESSAGE

    return feed


def ours_c() -> Feed:
    try:
        from aiohttp_clone._http_parser import HttpResponseParser
    except ImportError:
        pytest.skip("the C parser twin is not built")
    return _ours(HttpResponseParser)


def ours_py() -> Feed:
    return _ours(PyParser)


def httptools_parser() -> Feed:
    httptools = pytest.importorskip("httptools")

    class Callbacks:
        """Minimal work: keep the headers and body pieces, note completion."""

        def __init__(self) -> None:
            self.headers: list[tuple[bytes, bytes]] = []
            self.body: list[bytes] = []
            self.done = False

        def on_header(self, name: bytes, value: bytes) -> None:
            self.headers.append((name, value))

        def on_body(self, body: bytes) -> None:
            self.body.append(body)

        def on_message_complete(self) -> None:
            self.done = True

    callbacks = Callbacks()
    parser = httptools.HttpResponseParser(callbacks)

    def feed(data: bytes) -> None:
        callbacks.headers = []
        callbacks.body = []
        callbacks.done = False
        parser.feed_data(data)
        assert callbacks.done

    return feed


def h11_parser() -> Feed:
    h11 = pytest.importorskip("h11")
    conn = h11.Connection(h11.CLIENT)
    request = h11.Request(method="GET", target="/", headers=[("Host", "example.com")])

    def feed(data: bytes) -> None:
        conn.send(request)
        conn.send(h11.EndOfMessage())
        conn.receive_data(data)
        while True:
            event = conn.next_event()
            if type(event) is h11.EndOfMessage:
                break
            assert event is not h11.NEED_DATA
        conn.start_next_cycle()

    return feed


def _aiohttp(parser_cls_name: str, module: str) -> Feed:
    base_protocol = pytest.importorskip("aiohttp.base_protocol")
    parsers = pytest.importorskip(module)
    loop = asyncio.new_event_loop()
    _LOOPS.append(loop)
    protocol = base_protocol.BaseProtocol(loop)
    parser = getattr(parsers, parser_cls_name)(protocol, loop, 2**16)

    def feed(data: bytes) -> None:
        messages, _upgraded, _tail = parser.feed_data(data)
        assert len(messages) == 1
        assert messages[0][1].is_eof()

    return feed


def aiohttp_c() -> Feed:
    return _aiohttp("HttpResponseParser", "aiohttp._http_parser")


def aiohttp_py() -> Feed:
    return _aiohttp("HttpResponseParserPy", "aiohttp.http_parser")


_LOOPS: list[asyncio.AbstractEventLoop] = []

PARSERS = {
    "aiohttp_clone-C": ours_c,
    "aiohttp_clone-py": ours_py,
    "httptools": httptools_parser,
    "h11": h11_parser,
    "aiohttp-C": aiohttp_c,
    "aiohttp-py": aiohttp_py,
}


@pytest.fixture(autouse=True, scope="module")
def _close_loops() -> Iterator[None]:
    yield
    for loop in _LOOPS:
        loop.close()


@pytest.mark.parametrize("workload", list(WORKLOADS))
@pytest.mark.parametrize("parser", list(PARSERS))
def test_parse(benchmark: object, parser: str, workload: str) -> None:
    data = WORKLOADS[workload]
    feed = PARSERS[parser]()
    feed(data)  # a correctness check, and warms the parser up
    benchmark.group = workload
    benchmark(feed, data)
