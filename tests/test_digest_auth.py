"""DigestAuthMiddleware against a digest-checking server written here (keep-alive, raw)."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator

import pytest

import aiohttp_clone as aiohttp
from aiohttp_clone.client_middleware_digest_auth import parse_digest_challenge
from tests.servers import read_request

HASHES = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256, "SHA-512": hashlib.sha512}
USER, PASSWORD, REALM = "Mufasa", "Circle of Life", "test@example.org"


class DigestServer:
    """Answers 401 + challenge unless the Authorization header is a correct digest."""

    def __init__(self, algorithm: str = "MD5", qop: str | None = "auth", password: str = PASSWORD):
        self.algorithm = algorithm
        self.qop = qop
        self.password = password
        self.nonce_serial = 0
        self.nonce = self.new_nonce()
        self.stale_next = False
        self.seen: list[dict[str, str] | None] = []
        self.paths: list[str] = []

    def new_nonce(self) -> str:
        self.nonce_serial += 1
        return f"nonce{self.nonce_serial}"

    def challenge(self, stale: bool = False) -> bytes:
        parts = [f'realm="{REALM}"', f'nonce="{self.nonce}"', 'opaque="op"',
                 f"algorithm={self.algorithm}"]
        if self.qop:
            parts.append(f'qop="{self.qop}"')
        if stale:
            parts.append("stale=true")
        return f"Basic realm=\"x\", Digest {', '.join(parts)}".encode()

    def check(self, method: str, params: dict[str, str] | None, body: bytes) -> bool:
        if params is None or params.get("nonce") != self.nonce:
            return False
        name = self.algorithm.upper()
        sess = name.endswith("-SESS")
        h = HASHES[name[:-5] if sess else name]

        def d(text: str | bytes) -> str:
            return h(text.encode() if isinstance(text, str) else text).hexdigest()

        ha1 = d(f"{params['username']}:{REALM}:{self.password}")
        if sess:
            ha1 = d(f"{ha1}:{params['nonce']}:{params['cnonce']}")
        ha2_in = f"{method}:{params['uri']}"
        if params.get("qop") == "auth-int":
            ha2_in += ":" + d(body)
        ha2 = d(ha2_in)
        if self.qop:
            expected = d(
                f"{ha1}:{params['nonce']}:{params['nc']}:{params['cnonce']}:{params['qop']}:{ha2}"
            )
        else:
            expected = d(f"{ha1}:{params['nonce']}:{ha2}")
        return (
            params["response"] == expected
            and params["username"] == USER
            and params.get("opaque") == "op"
        )

    async def handler(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for _ in range(50):
            head, body = await read_request(reader)
            if not head:
                return
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ")
            self.paths.append(target)
            auth = next(
                (
                    line.split(":", 1)[1].strip()
                    for line in lines
                    if line.lower().startswith("authorization:")
                ),
                None,
            )
            params = parse_digest_challenge(auth) if auth else None
            self.seen.append(params)
            if self.stale_next and params is not None:
                self.stale_next = False
                self.nonce = self.new_nonce()
                self._answer_401(writer, stale=True)
            elif self.check(method, params, body):
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nwelcome")
            else:
                self._answer_401(writer)
            await writer.drain()

    def _answer_401(self, writer: asyncio.StreamWriter, stale: bool = False) -> None:
        writer.write(
            b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: " + self.challenge(stale)
            + b"\r\nContent-Length: 4\r\n\r\nnope"
        )


@pytest.mark.parametrize(
    "algorithm", ["MD5", "MD5-sess", "SHA-256", "SHA-256-sess", "SHA-512"]
)
async def test_digest_algorithms(raw_server, algorithm: str) -> None:
    digest = DigestServer(algorithm)
    server = await raw_server(digest.handler)
    middleware = aiohttp.DigestAuthMiddleware(USER, PASSWORD)
    async with aiohttp.ClientSession(middlewares=(middleware,)) as session:
        async with session.get(server.make_url("/dir/index.html?x=1")) as resp:
            assert resp.status == 200
            assert await resp.read() == b"welcome"
    assert digest.seen[0] is None
    sent = digest.seen[1]
    assert sent is not None
    assert sent["uri"] == "/dir/index.html?x=1"
    assert sent["qop"] == "auth" and sent["nc"] == "00000001"
    assert sent["algorithm"] == algorithm
    assert server.connections == 1  # the 401 body was read, the retry reused the socket


async def test_digest_without_qop_rfc2069(raw_server) -> None:
    digest = DigestServer(qop=None)
    server = await raw_server(digest.handler)
    async with aiohttp.ClientSession(
        middlewares=(aiohttp.DigestAuthMiddleware(USER, PASSWORD),)
    ) as session:
        async with session.get(server.make_url("/")) as resp:
            assert resp.status == 200


async def test_digest_auth_int_with_body(raw_server) -> None:
    digest = DigestServer(qop="auth-int")
    server = await raw_server(digest.handler)
    async with aiohttp.ClientSession(
        middlewares=(aiohttp.DigestAuthMiddleware(USER, PASSWORD),)
    ) as session:
        async with session.post(server.make_url("/upload"), data=b"the body") as resp:
            assert resp.status == 200
    assert digest.seen[1]["qop"] == "auth-int"


async def test_preemptive_then_counts_nonce_uses(raw_server) -> None:
    digest = DigestServer()
    server = await raw_server(digest.handler)
    async with aiohttp.ClientSession(
        middlewares=(aiohttp.DigestAuthMiddleware(USER, PASSWORD),)
    ) as session:
        for _ in range(3):
            async with session.get(server.make_url("/a")) as resp:
                assert resp.status == 200
    # one challenge, then every request answered up front with a growing nc
    assert digest.seen[0] is None
    assert [p["nc"] for p in digest.seen[1:]] == ["00000001", "00000002", "00000003"]


async def test_not_preemptive(raw_server) -> None:
    digest = DigestServer()
    server = await raw_server(digest.handler)
    middleware = aiohttp.DigestAuthMiddleware(USER, PASSWORD, preemptive=False)
    async with aiohttp.ClientSession(middlewares=(middleware,)) as session:
        for _ in range(2):
            async with session.get(server.make_url("/a")) as resp:
                assert resp.status == 200
    assert [p is None for p in digest.seen] == [True, False, True, False]


async def test_stale_nonce_is_retried(raw_server) -> None:
    digest = DigestServer()
    server = await raw_server(digest.handler)
    async with aiohttp.ClientSession(
        middlewares=(aiohttp.DigestAuthMiddleware(USER, PASSWORD),)
    ) as session:
        async with session.get(server.make_url("/a")) as resp:
            assert resp.status == 200
        digest.stale_next = True
        async with session.get(server.make_url("/a")) as resp:
            assert resp.status == 200
    assert digest.seen[-1]["nonce"] == "nonce2" and digest.seen[-1]["nc"] == "00000001"


async def test_wrong_password_returns_401_without_looping(raw_server) -> None:
    digest = DigestServer(password="other")
    server = await raw_server(digest.handler)
    async with aiohttp.ClientSession(
        middlewares=(aiohttp.DigestAuthMiddleware(USER, PASSWORD),)
    ) as session:
        async with session.get(server.make_url("/a")) as resp:
            assert resp.status == 401
        async with session.get(server.make_url("/a")) as resp:
            assert resp.status == 401
    assert len(digest.seen) == 3  # challenge, one answer; then a refused preemptive answer


async def test_one_shot_body_is_not_retried(raw_server) -> None:
    digest = DigestServer()
    server = await raw_server(digest.handler)

    async def gen() -> AsyncIterator[bytes]:
        yield b"once"

    async with aiohttp.ClientSession(
        middlewares=(aiohttp.DigestAuthMiddleware(USER, PASSWORD),)
    ) as session:
        async with session.post(server.make_url("/a"), data=gen()) as resp:
            assert resp.status == 401
    assert len(digest.seen) == 1


async def test_credentials_stay_with_first_origin(raw_server, http_server) -> None:
    """A redirect to another origin gets no digest answer computed from the credentials."""
    digest = DigestServer()
    server = await raw_server(digest.handler)
    middleware = aiohttp.DigestAuthMiddleware(USER, PASSWORD)
    async with aiohttp.ClientSession(middlewares=(middleware,)) as session:
        async with session.get(server.make_url("/a")) as resp:
            assert resp.status == 200
        async with session.get(http_server.make_url("/echo")) as resp:
            headers = {k.lower() for k, _ in (await resp.json())["headers"]}
    assert "authorization" not in headers


def test_constructor_and_parser() -> None:
    with pytest.raises(ValueError):
        aiohttp.DigestAuthMiddleware("a:b", "pw")
    parsed = parse_digest_challenge(
        'Basic realm="b", Digest realm="r \\"q\\"", nonce=abc, qop="auth,auth-int", Other x=1'
    )
    assert parsed == {"realm": 'r "q"', "nonce": "abc", "qop": "auth,auth-int"}
    assert parse_digest_challenge('Basic realm="b"') is None
    assert "DigestAuthMiddleware" in aiohttp.__all__
