"""Shared fixtures.

``AIOHTTP_CLONE_REQUIRE_EXTENSIONS=1`` makes the run fail unless every C twin is active;
``AIOHTTP_CLONE_NO_EXTENSIONS=1`` makes it fail if any is.
"""

import os
import shutil
import ssl
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from yarl import URL

import aiohttp_clone
from tests import asgi_app
from tests.proxy import RecordingProxy
from tests.servers import (
    HOST,
    ProxyProcess,
    RawHandler,
    RawServer,
    RawServerFactory,
    ServerInfo,
    TLSCerts,
    UvicornThread,
    WebSocketThread,
    describe_errors,
    make_tls_certs,
    short_uds_path,
    start_pproxy,
    start_uvicorn_tcp,
)

# The variables proxy settings are read from (each also in upper case).
PROXY_ENV = ("http_proxy", "https_proxy", "ws_proxy", "wss_proxy", "no_proxy", "all_proxy")


def pytest_sessionstart(session: pytest.Session) -> None:
    active = aiohttp_clone._twins.ACTIVE
    if os.environ.get("AIOHTTP_CLONE_REQUIRE_EXTENSIONS") and not all(active.values()):
        pytest.exit(f"every C twin was required, but not all are active: {active}", 3)
    if os.environ.get("AIOHTTP_CLONE_NO_EXTENSIONS") and any(active.values()):
        pytest.exit(f"the pure-Python run has a C twin active: {active}", 3)


def pytest_report_header(config: pytest.Config) -> str:
    active = aiohttp_clone._twins.ACTIVE
    kinds = ", ".join(f"{name}: {'C' if c else 'Python'}" for name, c in active.items())
    return f"aiohttp_clone twins: {kinds}"


# ------------------------------------------------------------------------------- real peers
# See tests/servers.py (helpers), tests/asgi_app.py (routes) and tests/proxy.py.


@pytest.fixture(scope="session")
def http_server() -> Iterator[ServerInfo]:
    """uvicorn (h11) serving tests/asgi_app.py on http://127.0.0.1:PORT for the whole session."""
    server = start_uvicorn_tcp(asgi_app.app)
    try:
        port = server.port
        yield ServerInfo(URL.build(scheme="http", host=HOST, port=port), HOST, port)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def tls_certs(tmp_path_factory: pytest.TempPathFactory) -> TLSCerts:
    """A trustme CA and a server certificate for 127.0.0.1, ::1 and localhost (files on disk)."""
    return make_tls_certs(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="session")
def https_server(tls_certs: TLSCerts) -> Iterator[ServerInfo]:
    """The same app over TLS: https://127.0.0.1:PORT, certificate signed by ``tls_certs.ca``."""
    server = start_uvicorn_tcp(asgi_app.app, ssl_files=(tls_certs.cert_file, tls_certs.key_file))
    try:
        port = server.port
        yield ServerInfo(URL.build(scheme="https", host=HOST, port=port), HOST, port)
    finally:
        server.stop()


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No proxy variables but the ones a test sets (urllib ignores HTTP_PROXY under CGI, so
    REQUEST_METHOD goes too); set them on the monkeypatch this returns."""
    for name in PROXY_ENV:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.delenv("REQUEST_METHOD", raising=False)
    return monkeypatch


@pytest.fixture
def client_ssl_ctx(tls_certs: TLSCerts) -> ssl.SSLContext:
    """A client SSLContext (hostname checks on) that trusts only the test CA."""
    return tls_certs.client_context()


@pytest.fixture
async def raw_server() -> AsyncIterator[RawServerFactory]:
    """Factory: ``srv = await raw_server(handler)``; handler(reader, writer) per connection.

    ``srv.url``/``srv.port``/``srv.make_url(path)``; ``srv.requests`` (raw heads read through
    ``read_request_head``), ``srv.bodies``, ``srv.connections``, ``srv.errors``. Every server and
    connection task is closed and awaited when the test ends; then an exception a handler raised
    fails the test unless the test declared it with ``srv.allow_errors(SomeError, ...)``.
    """
    servers: list[RawServer] = []

    async def factory(handler: RawHandler) -> RawServer:
        server = await RawServer(handler).start()
        servers.append(server)
        return server

    try:
        yield factory
    finally:
        for server in servers:
            await server.close()
    unexpected = [error for server in servers for error in server.unexpected_errors()]
    if unexpected:
        pytest.fail(
            f"a raw_server handler raised (declare it with allow_errors if the test means it):"
            f"\n{describe_errors(unexpected)}",
            pytrace=False,
        )


@pytest.fixture
def unix_server(tmp_path: Path) -> Iterator[str]:
    """The app served by uvicorn on a unix socket; yields the socket's path (a str)."""
    path, tmp_dir = short_uds_path(tmp_path)
    server = UvicornThread(asgi_app.app, uds=path)
    server.start()
    try:
        yield path
    finally:
        server.stop()
        if tmp_dir is not None:
            shutil.rmtree(tmp_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def proxy_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProxyProcess]:
    """pproxy (a real HTTP forward proxy, CONNECT and absolute-form) in a subprocess."""
    proxy = start_pproxy(tmp_path_factory.mktemp("pproxy"))
    try:
        yield proxy
    finally:
        proxy.stop()


@pytest.fixture
async def recording_proxy() -> AsyncIterator[RecordingProxy]:
    """tests/proxy.py's proxy, in the test's loop.

    Set ``.auth = (login, password)`` to make it demand Proxy-Authorization.
    """
    async with RecordingProxy() as proxy:
        yield proxy


@pytest.fixture(scope="session")
def websocket_server() -> Iterator[WebSocketThread]:
    """websockets on ws://127.0.0.1:PORT: /echo, /close/{code}, /subprotocol, /headers."""
    server = WebSocketThread()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def wss_server(tls_certs: TLSCerts) -> Iterator[WebSocketThread]:
    """The same websockets app on wss://127.0.0.1:PORT, certificate signed by ``tls_certs.ca``."""
    server = WebSocketThread(ssl_context=tls_certs.server_context())
    server.start()
    try:
        yield server
    finally:
        server.stop()
