"""``session.ws_connect`` against a real ``websockets`` server (started in the test's loop) and
against raw socket servers that send malformed frames after a valid 101."""

import asyncio
import base64
import inspect
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from yarl import URL

from aiohttp_clone._websocket import WebSocketError, WSCloseCode, WSMsgType
from aiohttp_clone.client import ClientSession
from aiohttp_clone.client_exceptions import (
    ClientConnectionResetError,
    ServerTimeoutError,
    WSServerHandshakeError,
)
from aiohttp_clone.client_ws import ClientWebSocketResponse, ClientWSTimeout
from tests.polling import poll_until
from tests.servers import (
    HOST,
    RawHandler,
    RawServer,
    head_header,
    read_request_head,
    ws_accept,
    ws_frame,
)

pytestmark = pytest.mark.timeout(60)

ServeFactory = Callable[..., Awaitable[URL]]


# -- a websockets server in the test's loop -----------------------------------------------


async def _handler(connection: Any) -> None:
    from websockets.exceptions import ConnectionClosed

    path = str(connection.request.path).partition("?")[0]
    try:
        if path.startswith("/close/"):
            await connection.close(int(path.rsplit("/", 1)[1]), "bye")
            return
        if path == "/subprotocol":
            await connection.send(str(connection.subprotocol))
        elif path == "/extensions":
            await connection.send(json.dumps([e.name for e in connection.protocol.extensions]))
        elif path == "/ping":
            pong = await connection.ping(b"srv")
            await asyncio.wait_for(pong, 5)
            await connection.send("pong received")
        elif path == "/fragments":
            await connection.send(["part1 ", "part2 ", "päñ3"])
            await connection.send([b"\x00" * 70_000, b"\x01" * 5])
        elif path == "/big":
            await connection.send(b"\x07" * (5 * 1024 * 1024))
        async for message in connection:
            await connection.send(message)
    except ConnectionClosed:
        pass


@pytest.fixture
async def ws_serve() -> AsyncIterator[ServeFactory]:
    """Factory: ``url = await ws_serve(compression=None, ...)``; servers close at test end."""
    from websockets.asyncio.server import serve

    servers: list[Any] = []

    def select(connection: Any, offered: Any) -> str | None:
        return next((p for p in offered if p in ("chat", "superchat")), None)

    async def factory(**kwargs: Any) -> URL:
        kwargs.setdefault("max_size", None)
        server = await serve(_handler, HOST, 0, select_subprotocol=select, **kwargs)
        servers.append(server)
        port = next(iter(server.sockets)).getsockname()[1]
        return URL.build(scheme="ws", host=HOST, port=port)

    try:
        yield factory
    finally:
        for server in servers:
            server.close()
            await server.wait_closed()


@pytest.fixture
async def session() -> AsyncIterator[ClientSession]:
    async with ClientSession() as client:
        yield client


@pytest.fixture
async def raw_ws(
    raw_server: Callable[[RawHandler], Awaitable[RawServer]],
) -> Callable[..., Awaitable[tuple[RawServer, list[bytes]]]]:
    """Factory: a raw server answering a valid 101 (or ``status``) and then sending ``after``;
    returns the server and the list that collects what the client sends after the head."""

    async def factory(
        after: bytes = b"", *, status: bytes = b"101 Switching Protocols",
        accept: bytes | None = None, extra: bytes = b"",
    ) -> tuple[RawServer, list[bytes]]:
        received: list[bytes] = []

        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            head = await read_request_head(reader)
            writer.write(
                b"HTTP/1.1 " + status + b"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                b"Sec-WebSocket-Accept: " + (accept or ws_accept(head)) + b"\r\n" + extra
                + b"\r\n" + after
            )
            await writer.drain()
            while data := await reader.read(65536):
                received.append(data)
                if data[0] == 0x88:  # answer the client's close handshake, then hang up
                    writer.write(ws_frame(unmask_close(data).to_bytes(2, "big"), 0x88))
                    writer.close()
                    return

        return await raw_server(handler), received

    return factory


def unmask_close(data: bytes) -> int:
    """The close code in the first client frame of ``data`` (a masked CLOSE frame)."""
    assert data[0] == 0x88 and data[1] & 0x80
    mask = data[2:6]
    return int.from_bytes(bytes((data[6] ^ mask[0], data[7] ^ mask[1])), "big")


# -- against websockets -------------------------------------------------------------------


async def test_echo_text_binary_json(ws_serve: ServeFactory, session: ClientSession) -> None:
    url = await ws_serve()
    async with session.ws_connect(url / "echo") as ws:
        assert isinstance(ws, ClientWebSocketResponse)
        await ws.send_str("héllo")
        assert await ws.receive_str() == "héllo"
        await ws.send_bytes(b"\x00\xff")
        assert await ws.receive_bytes() == b"\x00\xff"
        await ws.send_json({"a": [1, 2]})
        assert await ws.receive_json() == {"a": [1, 2]}
        await ws.send_frame(b"raw", WSMsgType.BINARY)
        msg = await ws.receive()
        assert (msg.type, msg.data) == (WSMsgType.BINARY, b"raw")
        assert ws.get_extra_info("peername")[1] == url.port
        assert ws.protocol is None
        assert await ws.close()
        assert ws.closed and ws.close_code == WSCloseCode.OK
        assert not await ws.close()
    assert (await ws.receive()).type is WSMsgType.CLOSED


async def test_async_for_stops_at_close(ws_serve: ServeFactory, session: ClientSession) -> None:
    url = await ws_serve()
    ws = await session.ws_connect(url / "echo")
    for i in range(3):
        await ws.send_str(str(i))
    received = []
    async for msg in ws:
        received.append(msg.data)
        if len(received) == 3:
            await ws.close()
    assert received == ["0", "1", "2"]


@pytest.mark.parametrize("code", [1000, 1001, 1011, 4001])
async def test_server_close_codes(
    ws_serve: ServeFactory, session: ClientSession, code: int
) -> None:
    url = await ws_serve()
    async with session.ws_connect(url / f"close/{code}") as ws:
        msg = await ws.receive()
        assert (msg.type, msg.data, msg.extra) == (WSMsgType.CLOSE, code, "bye")
        assert ws.closed and ws.close_code == code
        assert (await ws.receive()).type is WSMsgType.CLOSED


async def test_close_without_autoclose(ws_serve: ServeFactory, session: ClientSession) -> None:
    url = await ws_serve()
    ws = await session.ws_connect(url / "close/4002", autoclose=False)
    msg = await ws.receive()
    assert msg.type is WSMsgType.CLOSE and not ws.closed
    assert await ws.close()
    assert ws.close_code == 4002


async def test_client_close_code_reaches_server(
    ws_serve: ServeFactory, session: ClientSession
) -> None:
    url = await ws_serve()
    ws = await session.ws_connect(url / "echo")
    await ws.close(code=4005, message=b"done")
    assert ws.close_code == 4005  # websockets echoes the code back


@pytest.mark.parametrize(
    ("offered", "chosen"), [(("superchat", "chat"), "superchat"), (("x", "chat"), "chat"),
                            (("x",), None), ((), None)]
)
async def test_subprotocols(
    ws_serve: ServeFactory, session: ClientSession, offered: tuple[str, ...], chosen: str | None
) -> None:
    url = await ws_serve()
    async with session.ws_connect(url / "subprotocol", protocols=offered) as ws:
        assert ws.protocol == chosen
        assert await ws.receive_str() == str(chosen)


@pytest.mark.parametrize("server_compression", ["deflate", None])
@pytest.mark.parametrize("client_compress", [15, 10, 0])
async def test_compression(
    ws_serve: ServeFactory, session: ClientSession, server_compression: str | None,
    client_compress: int,
) -> None:
    url = await ws_serve(compression=server_compression)
    async with session.ws_connect(url / "extensions", compress=client_compress) as ws:
        enabled = bool(client_compress and server_compression)
        # compress=N is the server's window (as in aiohttp); websockets may lower the client's
        # (its default answer is client_max_window_bits=12).
        assert 9 <= ws.compress <= 15 if enabled else ws.compress == 0
        names = await ws.receive_json()
        assert names == (["permessage-deflate"] if enabled else [])
        for text in ["small", "compressible " * 10_000, "ü" * 100_000]:
            await ws.send_str(text)
            assert await ws.receive_str() == text


async def test_server_ping_is_answered(ws_serve: ServeFactory, session: ClientSession) -> None:
    url = await ws_serve()
    async with session.ws_connect(url / "ping") as ws:
        assert await ws.receive_str() == "pong received"


async def test_server_ping_without_autoping(
    ws_serve: ServeFactory, session: ClientSession
) -> None:
    url = await ws_serve()
    async with session.ws_connect(url / "ping", autoping=False) as ws:
        msg = await ws.receive()
        assert (msg.type, msg.data) == (WSMsgType.PING, b"srv")
        await ws.pong(msg.data)
        assert await ws.receive_str() == "pong received"


async def test_fragmented_messages_from_server(
    ws_serve: ServeFactory, session: ClientSession
) -> None:
    url = await ws_serve()
    async with session.ws_connect(url / "fragments") as ws:
        assert await ws.receive_str() == "part1 part2 päñ3"
        assert await ws.receive_bytes() == b"\x00" * 70_000 + b"\x01" * 5


@pytest.mark.parametrize("compress", [0, 15])
async def test_16_mib_message(
    ws_serve: ServeFactory, session: ClientSession, compress: int
) -> None:
    url = await ws_serve()
    payload = bytes(range(256)) * (16 * 1024 * 1024 // 256)
    async with session.ws_connect(
        url / "echo", max_msg_size=32 * 1024 * 1024, compress=compress
    ) as ws:
        await ws.send_bytes(payload)
        assert await ws.receive_bytes() == payload


async def test_message_over_max_msg_size(ws_serve: ServeFactory, session: ClientSession) -> None:
    url = await ws_serve(compression=None)
    async with session.ws_connect(url / "big") as ws:  # 5 MiB against the 4 MiB default
        msg = await ws.receive()
        assert msg.type is WSMsgType.ERROR
        assert isinstance(msg.data, WebSocketError)
        assert ws.close_code == WSCloseCode.MESSAGE_TOO_BIG
        assert ws.exception() is None  # aiohttp reports a protocol error in the message only


async def test_heartbeat_keeps_a_live_connection(
    ws_serve: ServeFactory, session: ClientSession
) -> None:
    from websockets.asyncio.server import ServerConnection
    from websockets.frames import Frame, Opcode

    pings: list[bytes] = []

    class RecordingPings(ServerConnection):
        """websockets' own server side (which answers every ping), noting the pings."""

        def process_event(self, event: Any) -> None:
            if isinstance(event, Frame) and event.opcode is Opcode.PING:
                pings.append(bytes(event.data))
            super().process_event(event)

    url = await ws_serve(create_connection=RecordingPings)
    async with session.ws_connect(url / "echo", heartbeat=0.1) as ws:
        await poll_until(lambda: len(pings) >= 3, "three heartbeat pings at the server")
        await ws.send_str("still here")
        assert await ws.receive_str() == "still here"
        assert not ws.closed


async def test_receive_timeout(ws_serve: ServeFactory, session: ClientSession) -> None:
    url = await ws_serve()
    async with session.ws_connect(url / "echo", timeout=ClientWSTimeout(ws_receive=0.1)) as ws:
        # A plain TimeoutError as in aiohttp: not a ClientError, the socket stays open.
        with pytest.raises(asyncio.TimeoutError) as info:
            await ws.receive()
        assert not isinstance(info.value, ServerTimeoutError)
        with pytest.raises(asyncio.TimeoutError):
            await ws.receive(timeout=0.05)
        assert not ws.closed and ws.close_code == WSCloseCode.ABNORMAL_CLOSURE


async def test_close_from_another_task(ws_serve: ServeFactory, session: ClientSession) -> None:
    url = await ws_serve()
    ws = await session.ws_connect(url / "echo")
    receiver = asyncio.create_task(ws.receive())
    await poll_until(
        lambda: inspect.getcoroutinestate(receiver.get_coro()) == inspect.CORO_SUSPENDED,
        "receive() to wait for a message",
    )
    assert await ws.close()
    assert (await receiver).type is WSMsgType.CLOSING
    assert ws.closed


async def test_headers_and_origin(ws_serve: ServeFactory, session: ClientSession) -> None:
    url = await ws_serve()
    ws = await session.ws_connect(url / "echo", origin="http://example.com",
                                  headers={"X-Test": "1"})
    await ws.close()
    assert ws.close_code == 1000


# -- against raw servers ------------------------------------------------------------------

RawFactory = Callable[..., Awaitable[tuple[RawServer, list[bytes]]]]


@pytest.mark.parametrize(
    ("after", "code"),
    [
        (bytes((0x81, 0x82)) + b"abcd" + b"hi", WSCloseCode.PROTOCOL_ERROR),  # masked
        (ws_frame(b"x", 0xC1), WSCloseCode.PROTOCOL_ERROR),  # RSV1 not negotiated
        (ws_frame(b"x", 0x83), WSCloseCode.PROTOCOL_ERROR),  # reserved opcode
        (ws_frame(b"\xff\xfe"), WSCloseCode.INVALID_TEXT),
        (bytes((0x89, 126)) + b"\x00\x7e" + b"x" * 126, WSCloseCode.PROTOCOL_ERROR),
        (ws_frame(b"\x03\xed", 0x88), WSCloseCode.PROTOCOL_ERROR),  # close code 1005
    ],
)
async def test_malformed_frames(
    raw_ws: RawFactory, session: ClientSession, after: bytes, code: int
) -> None:
    server, received = await raw_ws(after)
    ws = await session.ws_connect(server.url)
    msg = await ws.receive()
    assert msg.type is WSMsgType.ERROR and isinstance(msg.data, WebSocketError)
    assert msg.data.code == code
    assert ws.closed and ws.close_code == code
    for _ in range(50):  # the close frame reaches the server before the socket closes
        if received:
            break
        await asyncio.sleep(0.01)
    assert unmask_close(b"".join(received)) == code


async def test_close_frame_without_a_code_is_1005(
    raw_ws: RawFactory, session: ClientSession
) -> None:
    """RFC 6455 section 7.1.5: no status code in the CLOSE means close code 1005."""
    server, _ = await raw_ws(ws_frame(b"", 0x88))
    ws = await session.ws_connect(server.url)
    msg = await ws.receive()
    assert (msg.type, msg.data) == (WSMsgType.CLOSE, 0)
    assert ws.closed and ws.close_code == 1005


async def test_frames_in_the_same_packet_as_the_101(
    raw_ws: RawFactory, session: ClientSession
) -> None:
    server, _ = await raw_ws(ws_frame(b"first") + ws_frame(b"second", 0x82))
    ws = await session.ws_connect(server.url)
    assert await ws.receive_str() == "first"
    assert await ws.receive_bytes() == b"second"
    await ws.close(code=1001)


async def test_connection_lost_without_close(
    raw_server: Callable[[RawHandler], Awaitable[RawServer]], session: ClientSession
) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accept = ws_accept(await read_request_head(reader))
        writer.write(b"HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: upgrade\r\n"
                     b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n" + ws_frame(b"bye"))
        await writer.drain()
        writer.close()

    server = await raw_server(handler)
    ws = await session.ws_connect(server.url)
    assert await ws.receive_str() == "bye"
    assert (await ws.receive()).type is WSMsgType.CLOSED
    assert ws.closed and ws.close_code == WSCloseCode.ABNORMAL_CLOSURE
    assert isinstance(ws.exception(), ClientConnectionResetError)


async def test_heartbeat_missing_pong(raw_ws: RawFactory, session: ClientSession) -> None:
    server, received = await raw_ws()
    ws = await session.ws_connect(server.url, heartbeat=0.1)
    msg = await ws.receive()
    assert msg.type is WSMsgType.ERROR
    assert isinstance(msg.data, ServerTimeoutError)
    assert ws.close_code == WSCloseCode.ABNORMAL_CLOSURE
    assert ws.closed
    assert received and received[0][0] == 0x89  # the ping the server ignored


@pytest.mark.parametrize(
    ("kwargs", "status", "message"),
    [
        ({"status": b"200 OK", "extra": b"Content-Length: 0\r\n"}, 200, "Invalid response status"),
        ({"status": b"403 Forbidden", "extra": b"Content-Length: 0\r\n"}, 403, "status"),
        ({"accept": b"bm9wZQ=="}, 101, "Invalid challenge response"),
        ({"extra": b"Sec-WebSocket-Protocol: evil\r\n"}, 101, "subprotocol"),
        ({"extra": b"Sec-WebSocket-Extensions: permessage-deflate\r\n"}, 101, "extension"),
    ],
)
async def test_handshake_errors(
    raw_ws: RawFactory, session: ClientSession, kwargs: dict[str, bytes], status: int,
    message: str,
) -> None:
    server, _ = await raw_ws(**kwargs)
    with pytest.raises(WSServerHandshakeError, match=message) as info:
        await session.ws_connect(server.url, protocols=("chat",))
    assert info.value.status == status


async def test_bad_upgrade_header(
    raw_server: Callable[[RawHandler], Awaitable[RawServer]], session: ClientSession
) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request_head(reader)
        writer.write(b"HTTP/1.1 101 OK\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n")
        await writer.drain()

    server = await raw_server(handler)
    with pytest.raises(WSServerHandshakeError, match="Invalid upgrade header"):
        await session.ws_connect(server.url)


async def test_handshake_request(raw_ws: RawFactory, session: ClientSession) -> None:
    server, _ = await raw_ws()
    ws = await session.ws_connect(
        server.url, protocols=("a", "b"), origin="http://o.example", compress=15
    )
    await ws.close()
    head = server.requests[0]
    assert head.startswith(b"GET / HTTP/1.1\r\n")
    assert head_header(head, b"upgrade") == b"websocket"
    assert head_header(head, b"connection") == b"Upgrade"
    assert head_header(head, b"sec-websocket-version") == b"13"
    assert len(base64.b64decode(head_header(head, b"sec-websocket-key") or b"")) == 16
    assert head_header(head, b"sec-websocket-protocol") == b"a,b"
    assert head_header(head, b"origin") == b"http://o.example"
    assert head_header(head, b"sec-websocket-extensions") == (
        b"permessage-deflate; client_max_window_bits"
    )


async def test_invalid_compress_value(session: ClientSession) -> None:
    with pytest.raises(ValueError, match="between 9 and 15"):
        await session.ws_connect("ws://127.0.0.1:1/", compress=8)
