"""A small, deterministic ASGI app that the client tests talk to through a real uvicorn server.

Every route answers any method (``HEAD`` gets the ``GET`` answer minus the body, which uvicorn
strips). Path parameters arrive percent-decoded, as uvicorn hands them over. Constants the tests
compare against (``HELLO``, ``JSON_DOC``, ``BIG_JSON``, ``byte_pattern`` …) live here so a test
never re-derives an expected body by hand.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import functools
import gzip
import json
import re
import zlib
from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

import brotli
import zstandard

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]

HELLO = b"Hello, world"
JSON_DOC: dict[str, Any] = {"ok": True, "items": [1, 2, 3]}
CHARSET_TEXT = "héllo wörld"
LINK_HEADER = '</page/2>; rel="next", </page/5>; rel="last"'
DISPOSITION = "attachment; filename=\"a.txt\"; filename*=UTF-8''%C3%A4.txt"
# Upper bounds keep a typo in a test from asking the server for gigabytes or hours.
MAX_BYTES = 256 * 1024 * 1024
MAX_HEADERS = 10_000
MAX_DELAY_MS = 60_000
MAX_DRIP = 100_000
TEXT = b"text/plain; charset=utf-8"

_PATTERN = bytes(range(256))


def byte_pattern(n: int) -> bytes:
    """The body of ``/bytes/{n}`` and ``/stream/{n}``: ``bytes(range(256))`` repeated, cut at n."""
    whole, rest = divmod(n, 256)
    return _PATTERN * whole + _PATTERN[:rest]


@functools.cache
def big_json_document() -> dict[str, Any]:
    """About 50 KB of JSON once serialized; the body behind ``/gzip``, ``/br`` and friends."""
    items = [
        {
            "id": i,
            "name": f"item-{i:04d}",
            "tags": ["alpha", "beta", "gamma"][: i % 3 + 1],
            "price": round(i * 1.25, 2),
            "active": i % 2 == 0,
        }
        for i in range(540)
    ]
    return {"count": len(items), "items": items}


@functools.cache
def big_json_bytes() -> bytes:
    return json.dumps(big_json_document()).encode()


BIG_JSON = big_json_bytes  # alias: ``BIG_JSON()`` reads well in assertions


@functools.cache
def compressed_body(encoding: str) -> bytes:
    """``big_json_bytes()`` under one Content-Encoding (or ``"gzip, br"``, applied in order)."""
    data = big_json_bytes()
    for coding in (c.strip() for c in encoding.split(",")):
        if coding == "gzip":
            data = gzip.compress(data, mtime=0)
        elif coding == "deflate":  # HTTP "deflate" is the zlib format (RFC 9110 8.4.1.2)
            data = zlib.compress(data)
        elif coding == "deflate-raw":  # what some servers wrongly send for "deflate"
            compressor = zlib.compressobj(wbits=-15)
            data = compressor.compress(data) + compressor.flush()
        elif coding == "br":
            data = brotli.compress(data)
        elif coding == "zstd":
            data = zstandard.ZstdCompressor().compress(data)
        else:
            raise ValueError(coding)
    return data


# ---------------------------------------------------------------------------- response helpers


def _header_list(content_type: bytes | None, extra: Iterable[tuple[str, str]]) -> Headers:
    headers: Headers = []
    if content_type is not None:
        headers.append((b"content-type", content_type))
    headers.extend((k.encode("latin-1"), v.encode("latin-1")) for k, v in extra)
    return headers


async def respond(
    send: Send,
    status: int,
    body: bytes = b"",
    *,
    content_type: bytes | None = TEXT,
    headers: Iterable[tuple[str, str]] = (),
) -> None:
    """One complete response with Content-Length (no body for 204/304, as HTTP requires)."""
    bodyless = status in (204, 304)
    head = _header_list(None if bodyless else content_type, headers)
    if bodyless:
        body = b""
    else:
        head.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": head})
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def respond_json(send: Send, obj: Any, status: int = 200, **kw: Any) -> None:
    body = json.dumps(obj).encode()
    await respond(send, status, body, content_type=b"application/json", **kw)


async def read_body(receive: Receive) -> bytes:
    parts = []
    for _ in range(10_000_000):  # bounded: one message per received piece
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        parts.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(parts)


def query(scope: Scope) -> list[tuple[str, str]]:
    return parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)


def query_int(scope: Scope, name: str, default: int) -> int:
    for key, value in query(scope):
        if key == name:
            return int(value)
    return default


def request_header(scope: Scope, name: bytes) -> str | None:
    values = [v.decode("latin-1") for k, v in scope["headers"] if k == name]
    return ", ".join(values) if values else None


# ---------------------------------------------------------------------------------- the routes
# Each handler takes (scope, receive, send, match) where match is the route regex's match.

Handler = Callable[[Scope, Receive, Send, "re.Match[str]"], Awaitable[None]]


async def hello(scope: Scope, receive: Receive, send: Send, m: re.Match[str]) -> None:
    await respond(send, 200, HELLO)


async def echo(scope: Scope, receive: Receive, send: Send, m: re.Match[str]) -> None:
    body = await read_body(receive)
    await respond_json(
        send,
        {
            "method": scope["method"],
            "path": scope["path"],
            "raw_path": scope.get("raw_path", b"").decode("latin-1"),
            "query_string": scope["query_string"].decode("latin-1"),
            "headers": [[k.decode("latin-1"), v.decode("latin-1")] for k, v in scope["headers"]],
            "body": body.decode("latin-1"),
            "body_length": len(body),
        },
    )


async def status(scope: Scope, receive: Receive, send: Send, m: re.Match[str]) -> None:
    code = int(m["n"])
    if not 200 <= code <= 599:
        await respond(send, 400, b"status must be 200..599")
        return
    await respond(send, code, f"status {code}".encode())


async def many_headers(scope: Scope, receive: Receive, send: Send, m: re.Match[str]) -> None:
    n = min(int(m["n"]), MAX_HEADERS)
    extra = [(f"X-Header-{i}", f"value-{i}") for i in range(n)]
    await respond(send, 200, b"ok", headers=extra)


async def some_bytes(scope: Scope, receive: Receive, send: Send, m: re.Match[str]) -> None:
    n = min(int(m["n"]), MAX_BYTES)
    await respond(send, 200, byte_pattern(n), content_type=b"application/octet-stream")


async def stream(scope: Scope, receive: Receive, send: Send, m: re.Match[str]) -> None:
    n = min(int(m["n"]), MAX_BYTES)
    chunk = max(1, query_int(scope, "chunk", 1024))
    data = memoryview(byte_pattern(n))
    headers = [(b"content-type", b"application/octet-stream")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    for start in range(0, n, chunk):
        piece = bytes(data[start : start + chunk])
        await send({"type": "http.response.body", "body": piece, "more_body": True})
    await send({"type": "http.response.body", "body": b"", "more_body": False})


async def json_doc(scope: Scope, receive: Receive, send: Send, m: re.Match[str]) -> None:
    await respond_json(send, JSON_DOC)


# route name -> (how compressed_body() builds it, the Content-Encoding header sent)
ENCODED_ROUTES = {
    "gzip": ("gzip", "gzip"),
    "deflate": ("deflate", "deflate"),
    "deflate-raw": ("deflate-raw", "deflate"),
    "br": ("br", "br"),
    "zstd": ("zstd", "zstd"),
    "gzip-br": ("gzip, br", "gzip, br"),
}


async def compressed(scope: Scope, receive: Receive, send: Send, m: re.Match[str]) -> None:
    recipe, header = ENCODED_ROUTES[m["enc"]]
    await respond(
        send,
        200,
        compressed_body(recipe),
        content_type=b"application/json",
        headers=[("Content-Encoding", header)],
    )


async def redirect(scope: Scope, receive: Receive, send: Send, m: re.Match[str]) -> None:
    n = int(m["n"])
    if n <= 0:
        await respond(send, 200, b"redirected")
    else:
        await respond(send, 302, b"", headers=[("Location", f"/redirect/{n - 1}")])


async def redirect_to(scope: Scope, receive: Receive, send: Send, m: re.Match[str]) -> None:
    params = dict(query(scope))
    code = int(params.get("status", "302"))
    await respond(send, code, b"", headers=[("Location", params.get("url", "/"))])


async def cookies_set(scope: Scope, receive: Receive, send: Send, m: re.Match[str]) -> None:
    pairs = query(scope)
    headers = [("Set-Cookie", f"{name}={value}; Path=/") for name, value in pairs]
    await respond_json(send, dict(pairs), headers=headers)


def parse_cookie_header(value: str | None) -> dict[str, str]:
    cookies: dict[str, str] = {}
    for part in (value or "").replace(",", ";").split(";"):
        name, sep, val = part.strip().partition("=")
        if sep:
            cookies[name] = val
    return cookies


async def cookies(scope: Scope, receive: Receive, send: Send, m: re.Match[str]) -> None:
    await respond_json(send, parse_cookie_header(request_header(scope, b"cookie")))


async def delay(scope: Scope, receive: Receive, send: Send, m: re.Match[str]) -> None:
    await asyncio.sleep(min(int(m["n"]), MAX_DELAY_MS) / 1000)
    await respond(send, 200, b"done")


async def drip(scope: Scope, receive: Receive, send: Send, m: re.Match[str]) -> None:
    n = min(query_int(scope, "n", 10), MAX_DRIP)
    pause = min(query_int(scope, "delay_ms", 100), MAX_DELAY_MS) / 1000
    headers = [(b"content-type", b"application/octet-stream"), (b"content-length", b"%d" % n)]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    for i in range(n):
        await asyncio.sleep(pause)
        await send({"type": "http.response.body", "body": b"*", "more_body": i < n - 1})
    if n == 0:
        await send({"type": "http.response.body", "body": b"", "more_body": False})


def _basic_credentials(header: str | None) -> bytes | None:
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        return base64.b64decode(token.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None


async def basic_auth(scope: Scope, receive: Receive, send: Send, m: re.Match[str]) -> None:
    user, passwd = m["user"], m["passwd"]
    got = _basic_credentials(request_header(scope, b"authorization"))
    expected = f"{user}:{passwd}"
    if got is not None and got in (expected.encode(), expected.encode("latin-1", "replace")):
        await respond_json(send, {"authenticated": True, "user": user})
    else:
        challenge = [("WWW-Authenticate", 'Basic realm="Fake Realm"')]
        await respond_json(send, {"authenticated": False}, status=401, headers=challenge)


async def charset(scope: Scope, receive: Receive, send: Send, m: re.Match[str]) -> None:
    name = m["name"]
    try:
        body = CHARSET_TEXT.encode(name)
    except LookupError:
        await respond(send, 400, b"unknown charset")
        return
    await respond(send, 200, body, content_type=f"text/plain; charset={name}".encode("latin-1"))


async def no_charset(scope: Scope, receive: Receive, send: Send, m: re.Match[str]) -> None:
    await respond(send, 200, CHARSET_TEXT.encode(), content_type=b"text/plain")


async def content_type(scope: Scope, receive: Receive, send: Send, m: re.Match[str]) -> None:
    body = dict(query(scope)).get("body", "").encode()
    await respond(send, 200, body, content_type=m["type"].encode("latin-1"))


async def links(scope: Scope, receive: Receive, send: Send, m: re.Match[str]) -> None:
    await respond(send, 200, b"links", headers=[("Link", LINK_HEADER)])


async def disposition(scope: Scope, receive: Receive, send: Send, m: re.Match[str]) -> None:
    await respond(send, 200, b"a", headers=[("Content-Disposition", DISPOSITION)])


async def response_headers(scope: Scope, receive: Receive, send: Send, m: re.Match[str]) -> None:
    """Extra: every query pair becomes a response header, in order (repeats allowed)."""
    await respond(send, 200, b"ok", headers=query(scope))


ROUTES: list[tuple[re.Pattern[str], Handler]] = [
    (re.compile(pattern), handler)
    for pattern, handler in [
        (r"/hello", hello),
        (r"/echo(?:/.*)?", echo),
        (r"/status/(?P<n>\d{1,3})", status),
        (r"/headers/(?P<n>\d+)", many_headers),
        (r"/bytes/(?P<n>\d+)", some_bytes),
        (r"/stream/(?P<n>\d+)", stream),
        (r"/json", json_doc),
        (r"/(?P<enc>gzip|deflate|deflate-raw|br|zstd|gzip-br)", compressed),
        (r"/redirect/(?P<n>\d+)", redirect),
        (r"/redirect-to", redirect_to),
        (r"/cookies/set", cookies_set),
        (r"/cookies", cookies),
        (r"/delay/(?P<n>\d+)", delay),
        (r"/drip", drip),
        (r"/basic-auth/(?P<user>[^/]*)/(?P<passwd>[^/]*)", basic_auth),
        (r"/charset/(?P<name>[^/]+)", charset),
        (r"/no-charset", no_charset),
        (r"/content-type/(?P<type>.+)", content_type),
        (r"/links", links),
        (r"/disposition", disposition),
        (r"/response-headers", response_headers),
    ]
]


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":  # lifespan is off; websockets are served elsewhere
        return
    for pattern, handler in ROUTES:
        match = pattern.fullmatch(scope["path"])
        if match is not None:
            await handler(scope, receive, send, match)
            return
    await read_body(receive)
    await respond(send, 404, b"not found")
