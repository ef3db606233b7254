"""The package's shape, checked from its source: layers, import cycles, sizes, public paths.

An ``ast`` scan, no third-party tool: the layering in docs/ARCHITECTURE.md holds only while
these pass.
"""

import ast
import importlib
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import aiohttp_clone

PACKAGE = Path(aiohttp_clone.__file__).parent
CODEC_PACKAGES = ("_http", "_websocket")
"""The sans-I/O layer: these import nothing above them."""
CODEC_MAY_IMPORT = frozenset({"_twins"})
"""Root modules a codec may still import: leaves below every layer."""
MAX_MODULE_LINES = 800
MAX_FUNCTION_BODY_LINES = 60


def module_name(path: Path) -> str:
    """``aiohttp_clone/_http/rules.py`` -> ``_http.rules``; a package's ``__init__`` is the
    package itself; the package root is ``""``."""
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_files() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*") if p.suffix in (".py", ".pyx", ".pxi"))


MODULES = {module_name(p): p for p in source_files() if p.suffix in (".py", ".pyx")}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node that runs: ``if TYPE_CHECKING:`` bodies are skipped, function bodies are
    not (a function-local import is a runtime import too)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))


def _resolve(importer: str, is_package: bool, level: int, target: str | None) -> str:
    """The absolute module name (relative to the package root) of a relative import."""
    base = importer.split(".") if importer else []
    if not is_package:
        base = base[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join([*base, *([target] if target else [])])


def _targets(module: str, node: ast.AST) -> Iterator[str]:
    """The package modules an import statement loads (``from . import x``: module ``x`` when it
    is one, else the package that holds the name)."""
    is_package = MODULES[module].stem == "__init__"
    if isinstance(node, ast.ImportFrom):
        if node.level == 0:
            if not (node.module or "").startswith("aiohttp_clone"):
                return
            base = (node.module or "").removeprefix("aiohttp_clone").lstrip(".")
        else:
            base = _resolve(module, is_package, node.level, node.module)
        for alias in node.names:
            full = f"{base}.{alias.name}" if base else alias.name
            yield full if full in MODULES else base
    elif isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name.startswith("aiohttp_clone"):
                yield alias.name.removeprefix("aiohttp_clone").lstrip(".")


_PYX_IMPORT = re.compile(r"^from (\.+)([\w.]*) import \(?([\w, ]+)", re.MULTILINE)


def runtime_imports(module: str) -> set[str]:
    """The package modules ``module`` imports when it runs (Cython sources: by their text)."""
    path = MODULES[module]
    found: set[str] = set()
    if path.suffix == ".pyx":
        text = "\n".join(p.read_text() for p in [path, *path.parent.glob(f"{path.stem}_*.pxi")])
        for dots, target, names in _PYX_IMPORT.findall(text):
            base = _resolve(module, False, len(dots), target or None)
            for name in (n.strip() for n in names.split(",") if n.strip()):
                full = f"{base}.{name}" if base else name
                found.add(full if full in MODULES else base)
        return found - {module}
    tree = ast.parse(path.read_text())
    for node in _runtime_nodes(tree):
        found.update(_targets(module, node))
    return found - {module}


GRAPH = {module: runtime_imports(module) for module in MODULES}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_scan_sees_the_imports() -> None:
    """The scanner itself: it must find the edges it is meant to judge."""
    assert "_http.rules" in GRAPH["_http_parser"]  # from a Cython source
    assert "client_pipeline" in GRAPH["client"]
    assert "connector_proxy" in GRAPH["connector"]
    assert "_twins" in GRAPH["_http.parser"]
    assert "_http.parser_py" not in GRAPH["_http.parser"]  # only under TYPE_CHECKING
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_runtime_import_cycle() -> None:
    assert _cycles(GRAPH) == []


@pytest.mark.parametrize(
    "module", sorted(m for m in MODULES if m.split(".")[0] in CODEC_PACKAGES or m == "_http_parser")
)
def test_codecs_import_nothing_above_them(module: str) -> None:
    above = {
        target
        for target in GRAPH[module]
        if target.split(".")[0] not in CODEC_PACKAGES
        and target != "_http_parser"
        and target not in CODEC_MAY_IMPORT
    }
    assert above == set(), f"{module} imports {sorted(above)} from the layers above the codecs"


def test_the_pipeline_never_names_the_session() -> None:
    """It gets a SessionConfig; the session object reaches requests only as ``config.owner``."""
    source = MODULES["client_pipeline"].read_text()
    assert "ClientSession" not in source
    assert not {"client", ""} & GRAPH["client_pipeline"]


@pytest.mark.parametrize("path", source_files(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_size(path: Path) -> None:
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_MODULE_LINES, f"{lines} lines"


def _function_bodies(tree: ast.AST) -> Iterator[tuple[str, int]]:
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if len(body) > 1 and isinstance(body[0], ast.Expr) and isinstance(
                body[0].value, ast.Constant
            ):
                body = body[1:]  # the docstring is not code
            assert node.end_lineno is not None
            yield f"{node.name} (line {node.lineno})", node.end_lineno - body[0].lineno + 1


PY_FILES = [p for p in source_files() if p.suffix == ".py"]


@pytest.mark.parametrize("path", PY_FILES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_function_bodies_are_short(path: Path) -> None:
    long = {
        name: lines
        for name, lines in _function_bodies(ast.parse(path.read_text()))
        if lines > MAX_FUNCTION_BODY_LINES
    }
    assert long == {}


# --- public import paths ----------------------------------------------------------------------

API_NAMES = (
    "AddrInfoType", "AsyncIterablePayload", "AsyncResolver", "BadContentDispositionHeader",
    "BadContentDispositionParam", "BaseConnector", "BasicAuth", "BodyPartReader",
    "BufferedReaderPayload", "BytesIOPayload", "BytesPayload", "ChainMapProxy",
    "ClientConnectionError", "ClientConnectionResetError", "ClientConnectorCertificateError",
    "ClientConnectorDNSError", "ClientConnectorError", "ClientConnectorSSLError", "ClientError",
    "ClientHandlerType", "ClientHttpProxyError", "ClientMiddlewareType", "ClientOSError",
    "ClientPayloadError", "ClientProxyConnectionError", "ClientRequest", "ClientResponse",
    "ClientResponseError", "ClientSSLError", "ClientSession", "ClientTimeout", "ClientWSTimeout",
    "ClientWebSocketResponse", "ConnectionTimeoutError", "ContentTypeError", "CookieJar",
    "DataQueue", "DefaultResolver", "DigestAuthMiddleware", "DummyCookieJar", "EMPTY_PAYLOAD",
    "ETag", "EofStream", "Fingerprint", "FlowControlDataQueue", "FormData", "HttpVersion",
    "HttpVersion10", "HttpVersion11", "IOBasePayload", "InvalidURL", "InvalidUrlClientError",
    "InvalidUrlRedirectClientError", "JsonPayload", "MultipartReader", "MultipartWriter",
    "NamedPipeConnector", "NonHttpUrlClientError", "NonHttpUrlRedirectClientError",
    "PAYLOAD_REGISTRY", "Payload", "RedirectClientError", "RequestInfo", "ServerConnectionError",
    "ServerDisconnectedError", "ServerFingerprintMismatch", "ServerTimeoutError",
    "SocketFactoryType", "SocketTimeoutError", "StreamReader", "StringIOPayload", "StringPayload",
    "TCPConnector", "TextIOPayload", "ThreadedResolver", "TooManyRedirects", "TraceConfig",
    "TraceConnectionCreateEndParams", "TraceConnectionCreateStartParams",
    "TraceConnectionQueuedEndParams", "TraceConnectionQueuedStartParams",
    "TraceConnectionReuseconnParams", "TraceDnsCacheHitParams", "TraceDnsCacheMissParams",
    "TraceDnsResolveHostEndParams", "TraceDnsResolveHostStartParams",
    "TraceRequestChunkSentParams", "TraceRequestEndParams", "TraceRequestExceptionParams",
    "TraceRequestHeadersSentParams", "TraceRequestRedirectParams", "TraceRequestStartParams",
    "TraceResponseChunkReceivedParams", "UnixConnector", "UploadAbortedError", "UploadTracker",
    "WSCloseCode", "WSMessage", "WSMessageTypeError", "WSMsgType", "WSServerHandshakeError",
    "WebSocketError", "content_disposition_filename", "encode_basic_auth", "get_payload", "hdrs",
    "parse_content_disposition", "payload_type", "request", "set_zlib_backend", "streamer",
)
"""Every top-level name of aiohttp 3.14's client (shared/API.md)."""

AIOHTTP_PATHS = {
    "abc": (
        "AbstractCookieJar", "AbstractResolver", "ResolveResult",
    ),
    "client": (
        "AbstractCookieJar", "BaseConnector", "BasicAuth", "ClientRequest", "ClientResponse",
        "ClientSession", "ClientTimeout", "ClientWebSocketResponse", "CookieJar",
        "DEFAULT_TIMEOUT", "HttpVersion", "InvalidUrlClientError", "NonHttpUrlClientError",
        "TCPConnector", "Trace", "TraceConfig", "netrc_from_env", "request", "sentinel",
        "strip_auth_from_url",
    ),
    "client_exceptions": (
        "ClientConnectionError", "ClientConnectionResetError", "ClientConnectorCertificateError",
        "ClientConnectorDNSError", "ClientConnectorError", "ClientConnectorSSLError",
        "ClientError", "ClientHttpProxyError", "ClientOSError", "ClientPayloadError",
        "ClientProxyConnectionError", "ClientResponseError", "ClientSSLError",
        "ConnectionTimeoutError", "ContentTypeError", "InvalidURL", "InvalidUrlClientError",
        "InvalidUrlRedirectClientError", "NonHttpUrlClientError", "NonHttpUrlRedirectClientError",
        "RedirectClientError", "ServerConnectionError", "ServerDisconnectedError",
        "ServerFingerprintMismatch", "ServerTimeoutError", "SocketTimeoutError",
        "TooManyRedirects", "UnixClientConnectorError", "UploadAbortedError", "WSMessageTypeError",
        "WSServerHandshakeError",
    ),
    "client_middleware_digest_auth": (
        "DigestAuthMiddleware",
    ),
    "client_proto": (
        "ClientOSError", "ClientPayloadError", "HttpProcessingError", "HttpResponseParser",
        "RawResponseMessage", "ResponseHandler", "ServerDisconnectedError", "SocketTimeoutError",
        "StreamReader",
    ),
    "client_reqrep": (
        "BasicAuth", "ClientConnectionError", "ClientRequest", "ClientResponse",
        "ClientResponseError", "ConnectionKey", "ContentDisposition", "ContentTypeError",
        "Fingerprint", "FormData", "HttpVersion", "HttpVersion11", "InvalidURL", "RequestInfo",
        "StreamReader", "StreamWriter",
    ),
    "client_ws": (
        "ClientWSTimeout", "ClientWebSocketResponse", "DEFAULT_WS_CLIENT_TIMEOUT",
        "ServerTimeoutError", "WSCloseCode", "WSMessage", "WSMessageTypeError", "WSMsgType",
        "WS_CLOSED_MESSAGE", "WS_CLOSING_MESSAGE", "WebSocketError", "WebSocketReader",
        "WebSocketWriter",
    ),
    "connector": (
        "AbstractResolver", "BaseConnector", "ClientConnectionError", "ClientConnectorDNSError",
        "ClientConnectorError", "Connection", "DefaultResolver", "Fingerprint",
        "NamedPipeConnector", "ResolveResult", "ResponseHandler", "ServerFingerprintMismatch",
        "TCPConnector", "UnixClientConnectorError", "UnixConnector",
        "is_ip_address", "sentinel",
    ),
    "cookiejar": (
        "AbstractCookieJar", "CookieJar", "DummyCookieJar",
    ),
    "formdata": (
        "FormData", "Payload", "guess_filename",
    ),
    "hdrs": (
        "HOST_ALL", "METH_ALL", "METH_ANY", "METH_CONNECT", "METH_DELETE", "METH_GET", "METH_HEAD",
        "METH_OPTIONS", "METH_PATCH", "METH_POST", "METH_PUT", "METH_TRACE",
    ),
    "helpers": (
        "BasicAuth", "ChainMapProxy", "ETag", "MimeType", "ProxyInfo", "basicauth_from_netrc",
        "content_disposition_header", "encode_basic_auth", "get_env_proxy_for_url",
        "guess_filename", "is_ip_address", "must_be_empty_body", "netrc_from_env",
        "parse_mimetype", "proxies_from_env", "sentinel", "should_remove_content_length",
        "strip_auth_from_url",
    ),
    "http_exceptions": (
        "BadHttpMessage", "BadStatusLine", "ContentLengthError", "HttpProcessingError",
        "InvalidHeader", "LineTooLong", "PayloadEncodingError", "TransferEncodingError",
    ),
    "http_parser": (
        "HttpResponseParser", "HttpVersion", "HttpVersion10", "HttpVersion11", "NO_EXTENSIONS",
        "RawResponseMessage",
    ),
    "http_writer": (
        "ClientConnectionResetError", "HttpVersion", "HttpVersion10", "HttpVersion11",
        "StreamWriter",
    ),
    "multipart": (
        "BadContentDispositionHeader", "BadContentDispositionParam", "BodyPartReader",
        "JsonPayload", "MultipartReader", "MultipartResponseWrapper", "MultipartWriter", "Payload",
        "content_disposition_filename", "get_payload", "parse_content_disposition",
        "parse_mimetype",
    ),
    "payload": (
        "AsyncIterablePayload", "BufferedReaderPayload", "BytesIOPayload", "BytesPayload",
        "IOBasePayload", "JsonPayload", "LookupError", "Order", "PAYLOAD_REGISTRY", "Payload",
        "PayloadRegistry", "StringIOPayload", "StringPayload", "TextIOPayload",
        "content_disposition_header", "get_payload", "guess_filename", "parse_mimetype",
        "payload_type", "register_payload", "sentinel",
    ),
    "resolver": (
        "AbstractResolver", "AsyncResolver", "DefaultResolver", "ResolveResult",
        "ThreadedResolver",
    ),
    "streams": (
        "AsyncStreamIterator", "ChunkTupleAsyncStreamIterator", "DataQueue", "EMPTY_PAYLOAD",
        "EmptyStreamReader", "EofStream", "FlowControlDataQueue", "LineTooLong", "StreamReader",
    ),
    "tracing": (
        "Signal", "Trace", "TraceConfig", "TraceConnectionCreateEndParams",
        "TraceConnectionCreateStartParams", "TraceConnectionQueuedEndParams",
        "TraceConnectionQueuedStartParams", "TraceConnectionReuseconnParams",
        "TraceDnsCacheHitParams", "TraceDnsCacheMissParams", "TraceDnsResolveHostEndParams",
        "TraceDnsResolveHostStartParams", "TraceRequestChunkSentParams", "TraceRequestEndParams",
        "TraceRequestExceptionParams", "TraceRequestHeadersSentParams",
        "TraceRequestRedirectParams", "TraceRequestStartParams",
        "TraceResponseChunkReceivedParams",
    ),
}
"""``aiohttp_clone.<module>.<name>`` pairs that worked at 9ea7722 (before the codecs moved)
and that exist at the same path in aiohttp 3.14: user code imports them from there."""


@pytest.mark.parametrize("name", API_NAMES)
def test_top_level_api_name(name: str) -> None:
    assert name in aiohttp_clone.__all__
    assert getattr(aiohttp_clone, name) is not None


@pytest.mark.parametrize(
    ("module", "name"), [(m, n) for m, names in AIOHTTP_PATHS.items() for n in names]
)
def test_aiohttp_import_path_still_works(module: str, name: str) -> None:
    assert hasattr(importlib.import_module(f"aiohttp_clone.{module}"), name)


def test_aiohttp_submodules_are_attributes_after_a_plain_import() -> None:
    """``import aiohttp`` makes ``aiohttp.http_exceptions.X`` and the like work without importing
    the submodule; code that relies on it must keep working. A fresh interpreter, since this
    one has imported every module by now."""
    modules = sorted({*AIOHTTP_PATHS, "http_websocket"})
    probe = (
        "import aiohttp_clone; "
        f"print(' '.join(m for m in {modules!r} if not hasattr(aiohttp_clone, m)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.split() == []


def test_the_architecture_page_names_every_module() -> None:
    """docs/ARCHITECTURE.md draws the layers; a module it does not name is a module a newcomer
    cannot place."""
    page = (PACKAGE.parent / "docs" / "ARCHITECTURE.md").read_text()
    names = {path.name for path in PACKAGE.glob("*.py*") if path.suffix in (".py", ".pyx")}
    names -= {"__init__.py", "__main__.py"}
    names |= {f"{path.name}/" for path in PACKAGE.iterdir() if (path / "__init__.py").is_file()}
    assert sorted(name for name in names if name not in page) == []
