"""A small recording forward proxy for the proxy tests: CONNECT tunnels and absolute-form HTTP.

It runs in the test's own event loop. Every request head it receives is kept in ``requests``
(method, target, headers as sent, raw bytes) and every head it sends on to an origin in
``forwarded``, so a test can assert both what the client told the proxy and what reached the
origin (e.g. that ``Proxy-Authorization`` stopped at the proxy).

Plain HTTP requests are forwarded one per client connection: the proxy asks the origin for
``Connection: close`` and tells the client the same, then relays bytes both ways until the
origin closes, which carries request bodies of any framing and ``Upgrade`` exchanges unchanged.
Only loopback origins are allowed; anything else gets 403 so no test can leave the machine.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
from dataclasses import dataclass

from yarl import URL

from tests.servers import HOST, MAX_HEAD, close_connections

LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
# RFC 9110 7.6.1: these describe one hop and are not forwarded (plus the proxy's own headers).
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
}


@dataclass
class ProxyRequest:
    """One request head as the proxy received it."""

    method: str
    target: str
    version: str
    headers: list[tuple[str, str]]  # names as sent (case kept), in order
    raw: bytes

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        for key, value in self.headers:
            if key.lower() == lowered:
                return value
        return None


def parse_head(raw: bytes) -> ProxyRequest:
    lines = raw.decode("latin-1").split("\r\n")
    method, target, version = lines[0].split(" ", 2)
    headers = []
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers.append((name.strip(), value.strip()))
    return ProxyRequest(method, target, version, headers, raw)


async def _read_head(reader: asyncio.StreamReader) -> bytes:
    try:
        return await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if exc.partial:
            raise
        return b""


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()


async def close_origin(
    origin: asyncio.StreamWriter, open_writers: set[asyncio.StreamWriter]
) -> None:
    """Close a proxy's connection to an origin and take it out of the server's open set."""
    origin.close()
    open_writers.discard(origin)
    with contextlib.suppress(Exception):
        await origin.wait_closed()


async def relay(
    client: tuple[asyncio.StreamReader, asyncio.StreamWriter],
    origin: tuple[asyncio.StreamReader, asyncio.StreamWriter],
    open_writers: set[asyncio.StreamWriter],
) -> None:
    """Pipe bytes both ways until the origin stops sending, then close the origin.

    ``open_writers`` is the set of connections the server closes when it shuts down: the
    origin is in it until closed here, so a relay cancelled on the way still gets it closed.
    """
    open_writers.add(origin[1])
    upstream = asyncio.ensure_future(_pipe(client[0], origin[1]))
    try:
        await _pipe(origin[0], client[1])
    finally:
        upstream.cancel()
        await asyncio.gather(upstream, return_exceptions=True)
        await close_origin(origin[1], open_writers)


def _simple_response(status: int, reason: str, extra: str = "") -> bytes:
    return (
        f"HTTP/1.1 {status} {reason}\r\n{extra}Content-Length: 0\r\nConnection: close\r\n\r\n"
    ).encode("latin-1")


class RecordingProxy:
    """Start with ``await proxy.start()`` (or ``async with``); ``url`` is ``http://127.0.0.1:P``.

    ``auth = (login, password)`` (constructor or attribute, any time) makes the proxy answer
    407 with ``Proxy-Authenticate`` unless ``Proxy-Authorization: Basic …`` matches.
    """

    def __init__(self, auth: tuple[str, str] | None = None) -> None:
        self.auth = auth
        self.port = 0
        self.requests: list[ProxyRequest] = []
        self.forwarded: list[ProxyRequest] = []  # heads sent on to origins (not CONNECT)
        self.errors: list[BaseException] = []
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def url(self) -> URL:
        return URL.build(scheme="http", host=HOST, port=self.port)

    @property
    def active(self) -> int:
        """Client connections still being served (a tunnel counts until either side ends it)."""
        return len(self._tasks)

    async def start(self) -> RecordingProxy:
        self._server = await asyncio.start_server(self._serve, HOST, 0, limit=MAX_HEAD)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def close(self) -> None:
        if self._server is None:
            return
        self._server.close()
        await close_connections(self._tasks, self._writers)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._server.wait_closed(), 5)
        self._server = None

    async def __aenter__(self) -> RecordingProxy:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # ----------------------------------------------------------------------- per connection

    def _authorized(self, request: ProxyRequest) -> bool:
        if self.auth is None:
            return True
        token = base64.b64encode(f"{self.auth[0]}:{self.auth[1]}".encode()).decode()
        return request.header("Proxy-Authorization") == f"Basic {token}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.add(writer)
        try:
            await self._handle(reader, writer)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.errors.append(exc)
        finally:
            self._tasks.discard(task)
            self._writers.discard(writer)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        raw = await _read_head(reader)
        if not raw:
            return
        request = parse_head(raw)
        self.requests.append(request)
        if not self._authorized(request):
            challenge = 'Proxy-Authenticate: Basic realm="proxy"\r\n'
            writer.write(_simple_response(407, "Proxy Authentication Required", challenge))
            await writer.drain()
            return
        if request.method == "CONNECT":
            await self._tunnel(request, reader, writer)
        else:
            await self._forward(request, reader, writer)

    async def _open_origin(
        self, host: str | None, port: int | None, writer: asyncio.StreamWriter
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        if host not in LOOPBACK or port is None:
            writer.write(_simple_response(403, "Forbidden"))
            await writer.drain()
            return None
        try:
            reader, origin = await asyncio.open_connection(host.strip("[]"), port)
        except OSError:
            writer.write(_simple_response(502, "Bad Gateway"))
            await writer.drain()
            return None
        self._writers.add(origin)  # closed by close() should this task be cancelled early
        return reader, origin

    async def _tunnel(
        self, request: ProxyRequest, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        host, _, port = request.target.rpartition(":")
        origin = await self._open_origin(host, int(port) if port.isdigit() else None, writer)
        if origin is None:
            return
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await writer.drain()
        await relay((reader, writer), origin, self._writers)

    async def _forward(
        self, request: ProxyRequest, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        url = URL(request.target)
        if not url.absolute or url.scheme not in ("http", "ws"):
            writer.write(_simple_response(400, "Bad Request"))
            await writer.drain()
            return
        origin = await self._open_origin(url.host, url.port, writer)
        if origin is None:
            return
        out = self._origin_head(request, url)
        self.forwarded.append(parse_head(out))
        origin[1].write(out)
        await origin[1].drain()
        await self._relay_response(reader, writer, origin)

    def _origin_head(self, request: ProxyRequest, url: URL) -> bytes:
        upgrade = request.header("Upgrade")
        chunked = (request.header("Transfer-Encoding") or "").lower().endswith("chunked")
        lines = [f"{request.method} {url.raw_path_qs} {request.version}"]
        for name, value in request.headers:
            if name.lower() not in HOP_BY_HOP:
                lines.append(f"{name}: {value}")
        if chunked:  # the relay passes the chunked body through untouched
            lines.append("Transfer-Encoding: chunked")
        if upgrade is not None:
            lines += ["Connection: Upgrade", f"Upgrade: {upgrade}"]
        else:
            lines.append("Connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    async def _relay_response(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        origin: tuple[asyncio.StreamReader, asyncio.StreamWriter],
    ) -> None:
        upstream = asyncio.ensure_future(_pipe(reader, origin[1]))
        try:
            # Interim 1xx heads pass as they are; the final head is told "Connection: close".
            for _ in range(100):
                head = await _read_head(origin[0])
                if not head:
                    return
                status = int(head.split(b" ", 2)[1])
                if 100 <= status < 200 and status != 101:
                    writer.write(head)
                    continue
                writer.write(head if status == 101 else _close_head(head))
                break
            await _pipe(origin[0], writer)
        finally:
            upstream.cancel()
            await asyncio.gather(upstream, return_exceptions=True)
            await close_origin(origin[1], self._writers)


def _close_head(head: bytes) -> bytes:
    lines = head.decode("latin-1").split("\r\n")
    kept = [
        line
        for line in lines[1:]
        if line and line.partition(":")[0].strip().lower() not in ("connection", "keep-alive")
    ]
    return ("\r\n".join([lines[0], *kept, "Connection: close"]) + "\r\n\r\n").encode("latin-1")
