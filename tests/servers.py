"""Real peers for the client tests: uvicorn, a raw asyncio server, pproxy and websockets.

Thread-hosted servers (uvicorn, websockets) run on their own event loop in a daemon thread so a
session-scoped fixture can outlive each test's loop. The raw server runs in the test's own loop,
so a handler can be written inline next to the assertions that depend on it.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import contextvars
import hashlib
import os
import re
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import uvicorn
from yarl import URL

if TYPE_CHECKING:
    from aiohttp_clone import BaseConnector

HOST = "127.0.0.1"
START_TIMEOUT = 15.0  # seconds any peer gets to come up before the fixture gives up
MAX_HEAD = 256 * 1024  # a request head larger than this is a test bug, not a request
MAX_KEEPALIVE_REQUESTS = 100_000  # requests on one connection; more is a test bug
OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"  # the plain answer a raw server gives


def bind_socket(host: str = HOST, port: int = 0) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def free_port(host: str = HOST) -> int:
    with contextlib.closing(bind_socket(host)) as sock:
        return int(sock.getsockname()[1])


def wait_until(predicate: Callable[[], bool], what: str, timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.01)


def wait_for_port(port: int, host: str = HOST, timeout: float = START_TIMEOUT) -> None:
    def accepts() -> bool:
        try:
            socket.create_connection((host, port), timeout=0.5).close()
        except OSError:
            return False
        return True

    wait_until(accepts, f"{host}:{port} to accept connections", timeout)


@dataclass
class ServerInfo:
    """What a server fixture yields: ``url`` is the base (no path); ``make_url`` appends one."""

    url: URL
    host: str = HOST
    port: int = 0

    def make_url(self, path: str = "/") -> URL:
        if not path.startswith("/"):
            path = "/" + path
        return URL(f"{self.url}{path}")


def echo_headers(doc: dict[str, Any]) -> dict[str, str]:
    """The request headers tests/asgi_app.py's ``/echo`` reported, by lower-cased name."""
    return {name.lower(): value for name, value in doc["headers"]}


def pool_is_empty(connector: BaseConnector) -> bool:
    """The connector holds no connection: none handed out, none idle."""
    return not connector._acquired and not connector._idle


class FullBacklog:
    """A listener whose accept queue is full: connecting to it hangs (the SYN is dropped)."""

    def __enter__(self) -> int:
        self.listener = socket.socket()
        self.listener.bind((HOST, 0))
        self.listener.listen(0)
        port = int(self.listener.getsockname()[1])
        self.fillers: list[socket.socket] = []
        for _ in range(8):
            filler = socket.socket()
            filler.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                filler.connect((HOST, port))
            self.fillers.append(filler)
        return port

    def __exit__(self, *exc: object) -> None:
        for filler in self.fillers:
            filler.close()
        self.listener.close()


class SocketLog:
    """A ``socket_factory`` for ``TCPConnector`` that records every connection attempt.

    ``attempts`` holds ``(local port, (host, port) it connects to)`` in the order the
    connector asked; each socket is bound before it is handed over, so its local port (which
    a proxy's log names, say) is known even after the socket has closed.
    """

    def __init__(self) -> None:
        self.attempts: list[tuple[int, tuple[str, int]]] = []

    def __call__(self, addr_info: tuple[Any, ...]) -> socket.socket:
        family, kind, proto, _, address = addr_info
        sock = socket.socket(family, kind, proto)
        sock.bind(("", 0))
        self.attempts.append((int(sock.getsockname()[1]), (address[0], address[1])))
        return sock

    @property
    def targets(self) -> list[tuple[str, int]]:
        return [target for _, target in self.attempts]


# ------------------------------------------------------------------------------------- uvicorn


class UvicornThread:
    """uvicorn serving an ASGI app on a pre-bound socket (or a unix path) in a daemon thread."""

    def __init__(
        self,
        app: Any,
        *,
        sock: socket.socket | None = None,
        uds: str | None = None,
        **config: Any,
    ) -> None:
        self._sock = sock
        self.config = uvicorn.Config(
            app,
            uds=uds,
            lifespan="off",
            log_level="warning",
            http="h11",
            ws="none",
            timeout_graceful_shutdown=3,
            **config,
        )
        self.server = uvicorn.Server(self.config)
        self._thread = threading.Thread(target=self._run, name="uvicorn", daemon=True)
        self._error: BaseException | None = None

    @property
    def port(self) -> int:
        assert self._sock is not None, "a unix-socket server has no port"
        return int(self._sock.getsockname()[1])

    def _run(self) -> None:
        sockets = [self._sock] if self._sock is not None else None
        try:
            asyncio.run(self.server.serve(sockets=sockets))
        except BaseException as exc:  # uvicorn sys.exit()s when startup fails
            self._error = exc

    def start(self) -> None:
        self._thread.start()
        wait_until(lambda: self.server.started or not self._thread.is_alive(), "uvicorn")
        if not self.server.started:
            raise RuntimeError(f"uvicorn failed to start: {self._error!r}")

    def stop(self) -> None:
        self.server.should_exit = True
        self._thread.join(timeout=15)
        if self._sock is not None:
            self._sock.close()


def start_uvicorn_tcp(app: Any, *, ssl_files: tuple[str, str] | None = None) -> UvicornThread:
    sock = bind_socket()
    ssl_kw: dict[str, Any] = {}
    if ssl_files is not None:
        ssl_kw = {"ssl_certfile": ssl_files[0], "ssl_keyfile": ssl_files[1]}
    server = UvicornThread(app, sock=sock, **ssl_kw)
    server.start()
    return server


def short_uds_path(directory: Path, name: str = "app.sock") -> tuple[str, str | None]:
    """A unix socket path under ``directory``, or under a short temp dir when that is too long.

    Returns the path and the temp dir to remove afterwards (None when none was made).
    """
    path = str(directory / name)
    if len(path.encode()) < 100:  # sun_path holds 108 bytes including the NUL
        return path, None
    tmp = tempfile.mkdtemp(prefix="uds-")
    return os.path.join(tmp, name), tmp


# ------------------------------------------------------------------------------------------ TLS


@dataclass
class TLSCerts:
    """A test CA plus a server certificate for 127.0.0.1, ::1 and localhost, also on disk."""

    ca: Any  # trustme.CA
    server_cert: Any  # trustme.LeafCert
    ca_file: str
    cert_file: str  # server certificate chain (PEM)
    key_file: str  # server private key (PEM)

    def client_context(self) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        self.ca.configure_trust(ctx)
        return ctx

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.server_cert.configure_cert(ctx)
        return ctx


def make_tls_certs(directory: Path) -> TLSCerts:
    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost", "::1")
    ca_file = directory / "ca.pem"
    cert_file = directory / "server.pem"
    key_file = directory / "server.key"
    ca.cert_pem.write_to_path(str(ca_file))
    cert.private_key_pem.write_to_path(str(key_file))
    for i, blob in enumerate(cert.cert_chain_pems):
        blob.write_to_path(str(cert_file), append=i > 0)
    return TLSCerts(ca, cert, str(ca_file), str(cert_file), str(key_file))


# ----------------------------------------------------------------------------------- raw server

_current_raw_server: contextvars.ContextVar[RawServer | None] = contextvars.ContextVar(
    "current_raw_server", default=None
)
RawHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
RawServerFactory = Callable[[RawHandler], Awaitable["RawServer"]]  # the raw_server fixture


def current_raw_server() -> RawServer:
    """The ``RawServer`` whose handler is running: its counts, from inside a handler."""
    server = _current_raw_server.get()
    assert server is not None, "only a raw_server handler has a current server"
    return server


async def read_request_head(reader: asyncio.StreamReader) -> bytes:
    """Read up to and including the blank line that ends a request head.

    Returns b"" when the peer closed before sending anything. Inside a ``raw_server`` handler the
    head is also appended to that server's ``.requests``. Heads over the reader's limit
    (``MAX_HEAD`` for raw_server) raise ``asyncio.LimitOverrunError``.
    """
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if exc.partial:
            raise
        return b""
    server = _current_raw_server.get()
    if server is not None:
        server.requests.append(head)
    return head


def head_header(head: bytes, name: bytes) -> bytes | None:
    """The first value of header ``name`` (case-insensitive) in a raw head, stripped."""
    pattern = re.compile(rb"\r\n" + re.escape(name) + rb"[ \t]*:[ \t]*([^\r\n]*)", re.IGNORECASE)
    match = pattern.search(head)
    return match.group(1).strip() if match else None


async def read_request_body(reader: asyncio.StreamReader, head: bytes) -> bytes:
    """Consume the body that ``head`` announces (Content-Length or chunked) and return it."""
    encoding = head_header(head, b"transfer-encoding")
    if encoding is not None and encoding.lower().endswith(b"chunked"):
        body = bytearray()
        for _ in range(10_000_000):
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.split(b";", 1)[0].strip(), 16)
            if size == 0:
                for _ in range(1000):  # trailer section: lines until an empty one
                    if await reader.readuntil(b"\r\n") == b"\r\n":
                        break
                break
            body += await reader.readexactly(size)
            await reader.readexactly(2)
        return bytes(body)
    length = head_header(head, b"content-length")
    if length is not None and int(length) > 0:
        return await reader.readexactly(int(length))
    return b""


async def read_request(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    """One whole request: (head, body). ``(b"", b"")`` when the peer closed first."""
    head = await read_request_head(reader)
    if not head:
        return b"", b""
    body = await read_request_body(reader, head)
    server = _current_raw_server.get()
    if server is not None:
        server.bodies.append(body)
    return head, body


WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455 section 1.3


def ws_accept(head: bytes) -> bytes:
    """The Sec-WebSocket-Accept value answering the Sec-WebSocket-Key of a request head."""
    key = head_header(head, b"sec-websocket-key") or b""
    return base64.b64encode(hashlib.sha1(key + WS_GUID).digest())


def ws_frame(payload: bytes, first: int = 0x81) -> bytes:
    """An unmasked server frame of under 126 bytes; ``first`` is its first byte (FIN, RSV and
    opcode: a final text frame by default)."""
    assert len(payload) < 126
    return bytes((first, len(payload))) + payload


async def drain_until_eof(reader: asyncio.StreamReader) -> None:
    """Keep a connection open until the peer closes it (or the test ends and cancels us)."""
    with contextlib.suppress(ConnectionError):
        while await reader.read(65536):
            pass


def reset(writer: asyncio.StreamWriter) -> None:
    """Hang up with a TCP RST instead of a FIN (SO_LINGER with a zero timeout): the client
    sees the connection reset, not an orderly end."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


def respond_with(raw: bytes | Sequence[bytes], *, close: bool = True) -> RawHandler:
    """Handler: read one request (head and body), write ``raw`` verbatim, then maybe close.

    ``raw`` may be a list of pieces: each is written and drained separately, which lets a test
    put a boundary where it wants one (TCP may still merge them).
    """
    pieces = [raw] if isinstance(raw, (bytes, bytearray, memoryview)) else list(raw)

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head, _ = await read_request(reader)
        if not head:
            return
        for piece in pieces:
            writer.write(piece)
            await writer.drain()
        if not close:
            await drain_until_eof(reader)

    return handler


def respond_keepalive(responses: Sequence[bytes]) -> RawHandler:
    """Handler: answer successive requests on one connection, one canned response each.

    After the last response the connection stays open until the client closes it.
    """

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for response in responses:
            head, _ = await read_request(reader)
            if not head:
                return
            writer.write(response)
            await writer.drain()
        await drain_until_eof(reader)

    return handler


def answering(
    response: bytes = OK, *, wait: asyncio.Event | None = None, delay: float = 0
) -> RawHandler:
    """Handler: keep-alive, every request on the connection gets ``response`` (after ``wait``
    is set or ``delay`` seconds, when given) until the client closes."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for _ in range(MAX_KEEPALIVE_REQUESTS):
            head, _ = await read_request(reader)
            if not head:
                return
            if wait is not None:
                await wait.wait()
            if delay:
                await asyncio.sleep(delay)
            writer.write(response)
            await writer.drain()

    return handler


async def close_connections(
    tasks: set[asyncio.Task[None]], writers: set[asyncio.StreamWriter]
) -> None:
    """Cancel and await per-connection tasks, then close every writer they left open."""
    # A connection accepted just now has a task that has not run yet (and so is not in
    # ``tasks``); two turns of the loop let it start and register before we cancel.
    for _ in range(2):
        await asyncio.sleep(0)
    for _ in range(100):  # a cancelled handler's finally cannot spawn more than a few
        pending = list(tasks)
        if not pending:
            break
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        tasks.difference_update(pending)
    for writer in list(writers):
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()
    writers.clear()


def describe_errors(errors: Sequence[BaseException]) -> str:
    """The tracebacks of ``errors``, for the message of the failure they cause."""
    return "".join("".join(traceback.format_exception(error)) for error in errors)


class RawServer:
    """``asyncio.start_server`` on 127.0.0.1, port 0, running ``handler`` per connection.

    ``requests`` holds the raw heads read by ``read_request_head``, ``bodies`` the bodies read by
    ``read_request``, ``connections`` the number of connections accepted so far and ``errors``
    any exception a handler raised (handlers' errors never reach the event loop's handler).
    The ``raw_server`` fixture fails the test on any of them the test did not declare with
    ``allow_errors``: a handler that broke usually means the client sent something wrong.
    """

    def __init__(self, handler: RawHandler, host: str = HOST) -> None:
        self.handler = handler
        self.host = host
        self.port = 0
        self.requests: list[bytes] = []
        self.bodies: list[bytes] = []
        self.errors: list[BaseException] = []
        self.connections = 0
        self._allowed: tuple[type[BaseException], ...] = ()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def url(self) -> URL:
        return URL.build(scheme="http", host=self.host, port=self.port)

    def make_url(self, path: str = "/") -> URL:
        return ServerInfo(self.url, self.host, self.port).make_url(path)

    def allow_errors(self, *kinds: type[BaseException]) -> RawServer:
        """Declare handler errors of these kinds part of the test (a client that resets, say)."""
        self._allowed += kinds
        return self

    def unexpected_errors(self) -> list[BaseException]:
        """The handler errors the test did not declare with ``allow_errors``."""
        return [error for error in self.errors if not isinstance(error, self._allowed)]

    @property
    def writers(self) -> set[asyncio.StreamWriter]:
        """The connections ``close()`` closes. A handler that opens one of its own (a proxy's
        to its origin) adds it here, so that it is closed even if the handler is cancelled."""
        return self._writers

    async def start(self) -> RawServer:
        # limit: readuntil() accepts request heads up to MAX_HEAD (asyncio's default is 64 KiB)
        self._server = await asyncio.start_server(self._serve, self.host, 0, limit=MAX_HEAD)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.add(writer)
        self.connections += 1
        _current_raw_server.set(self)
        try:
            await self.handler(reader, writer)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a peer resetting the connection is the test's business
            self.errors.append(exc)
        finally:
            self._tasks.discard(task)
            self._writers.discard(writer)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def close(self) -> None:
        if self._server is None:
            return
        self._server.close()
        await close_connections(self._tasks, self._writers)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._server.wait_closed(), 5)
        self._server = None

    async def __aenter__(self) -> RawServer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


# -------------------------------------------------------------------------------------- pproxy


@dataclass
class ProxyProcess:
    """pproxy running as a subprocess; ``url`` is ``SCHEME://127.0.0.1:PORT`` (http by default).

    pproxy runs verbose and unbuffered: ``log_lines()`` includes one
    ``SCHEME CLIENT_HOST:CLIENT_PORT -> HOST:PORT`` line per connection it relayed.
    """

    port: int
    process: subprocess.Popen[bytes]
    log_file: str
    scheme: str = "http"
    url: URL = field(init=False)

    def __post_init__(self) -> None:
        self.url = URL.build(scheme=self.scheme, host=HOST, port=self.port)

    def log_lines(self) -> list[str]:
        return Path(self.log_file).read_text(errors="replace").splitlines()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


# pproxy 2.7 installs uvloop when it can and then calls asyncio.get_event_loop(), which current
# uvloop refuses outside a running loop; so hide uvloop and hand pproxy a plain loop first.
_PPROXY_LAUNCHER = """
import asyncio, sys
sys.modules["uvloop"] = None
asyncio.set_event_loop(asyncio.new_event_loop())
from pproxy.server import main
sys.argv = ["pproxy", "-v", "-l", *sys.argv[1:]]
main()
"""


def start_pproxy(
    log_dir: Path, scheme: str = "http", auth: str = "", *options: str
) -> ProxyProcess:
    """pproxy listening for ``scheme`` (http, socks4, socks5), demanding ``auth``
    (``user:password``) when given; ``options`` are further pproxy arguments."""
    port = free_port()
    log_file = str(log_dir / "pproxy.log")
    listen = f"{scheme}://{HOST}:{port}" + (f"#{auth}" if auth else "")
    with open(log_file, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-u", "-c", _PPROXY_LAUNCHER, listen, *options],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    proxy = ProxyProcess(port, process, log_file, scheme)
    try:
        wait_for_port(port)
    except RuntimeError:
        proxy.stop()
        raise RuntimeError(f"pproxy did not start: {Path(log_file).read_text()!r}") from None
    return proxy


# ---------------------------------------------------------------------------------- websockets


class WebSocketThread:
    """A ``websockets`` server on 127.0.0.1, port 0, in a daemon thread with its own loop.

    Paths: ``/echo`` echoes text and binary frames; ``/close/{code}`` closes at once with that
    code (reason ``"bye"``); ``/subprotocol`` picks ``chat`` or ``superchat`` (the first the
    client offers); ``/headers`` sends the request headers as one JSON text message and then
    echoes. permessage-deflate is on (websockets' default). With ``ssl_context`` (a server
    context) it serves wss:// instead.
    """

    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        self.port = 0
        self._ssl = ssl_context
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="websockets", daemon=True)

    @property
    def url(self) -> URL:
        return URL.build(scheme="ws" if self._ssl is None else "wss", host=HOST, port=self.port)

    def make_url(self, path: str = "/") -> URL:
        return ServerInfo(self.url, HOST, self.port).make_url(path)

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:
            self._error = exc
            self._ready.set()

    async def _main(self) -> None:
        from websockets.asyncio.server import serve

        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with serve(
            _ws_handler, HOST, 0, select_subprotocol=_ws_select_subprotocol, ssl=self._ssl
        ) as server:
            self.port = next(iter(server.sockets)).getsockname()[1]
            self._ready.set()
            await self._stop.wait()

    def start(self) -> None:
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT) or self._error is not None:
            raise RuntimeError(f"websockets server failed to start: {self._error!r}")

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            with contextlib.suppress(RuntimeError):  # loop already closed
                self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=15)


_WS_SUBPROTOCOLS = ("chat", "superchat")


def _ws_path(connection: Any) -> str:
    return str(connection.request.path).partition("?")[0]


def _ws_select_subprotocol(connection: Any, offered: Sequence[str]) -> str | None:
    if _ws_path(connection) != "/subprotocol":
        return None
    for name in offered:
        if name in _WS_SUBPROTOCOLS:
            return name
    return None


async def _ws_echo(connection: Any) -> None:
    async for message in connection:
        await connection.send(message)


async def _ws_handler(connection: Any) -> None:
    import json

    from websockets.exceptions import ConnectionClosed

    path = _ws_path(connection)
    try:
        if path.startswith("/close/"):
            await connection.close(int(path.rsplit("/", 1)[1]), "bye")
        elif path == "/headers":
            headers = [[k, v] for k, v in connection.request.headers.raw_items()]
            await connection.send(json.dumps(headers))
            await _ws_echo(connection)
        elif path in ("/echo", "/subprotocol"):
            await _ws_echo(connection)
        else:
            await connection.close(1008, "unknown path")
    except ConnectionClosed:
        pass
