"""Websocket client behaviours pinned against aiohttp 3.14.5, observed side by side with the
same scripts and the same raw servers (issue 13, items 33-35 and the websocket audit).

The race table: one task blocked in ``receive()`` while another closes, a server closing (or
hanging up, or sending a bad frame) while the client closes. Each test states what aiohttp
reports (``msg.type``, ``close()``'s result, ``ws.closed``, ``ws.close_code``,
``ws.exception()``) and requires the same. Tasks are ordered by asyncio's scheduling (one
``sleep(0)`` lets a new task run until it blocks), never by wall-clock sleeps.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from yarl import URL

import aiohttp_clone as aiohttp
from aiohttp_clone import WSCloseCode, WSMsgType
from aiohttp_clone.client_exceptions import ClientConnectionResetError
from tests.polling import poll_until
from tests.servers import (
    RawHandler,
    RawServer,
    read_request_head,
    reset,
    ws_accept,
    ws_frame,
)

pytestmark = pytest.mark.timeout(60)

ABNORMAL = WSCloseCode.ABNORMAL_CLOSURE
Script = Callable[[asyncio.StreamReader, asyncio.StreamWriter, "Peer"], Awaitable[None]]


# -- a raw websocket peer: a valid 101, then a script --------------------------------------


def close_frame(code: int, reason: bytes = b"") -> bytes:
    return ws_frame(code.to_bytes(2, "big") + reason, 0x88)


BAD_FRAME = ws_frame(b"x", 0x83)  # reserved opcode 3: a protocol error (1002)


@dataclass
class Peer:
    """What the server read from the client: (opcode byte, unmasked payload) per frame."""

    url: URL
    frames: list[tuple[int, bytes]] = field(default_factory=list)

    def close_codes(self) -> list[int]:
        return [int.from_bytes(data[:2], "big") for op, data in self.frames if op == 0x88]


async def read_frame(reader: asyncio.StreamReader, peer: Peer) -> tuple[int, bytes]:
    head = await reader.readexactly(2)
    length = head[1] & 0x7F
    if length == 126:
        length = int.from_bytes(await reader.readexactly(2), "big")
    elif length == 127:
        length = int.from_bytes(await reader.readexactly(8), "big")
    mask = await reader.readexactly(4)
    data = bytes(b ^ mask[i % 4] for i, b in enumerate(await reader.readexactly(length)))
    peer.frames.append((head[0], data))
    return head[0], data


async def answer_close(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, peer: Peer
) -> None:
    """Read until the client's CLOSE and echo its code, as a well-behaved server does."""
    for _ in range(1000):
        opcode, data = await read_frame(reader, peer)
        if opcode == 0x88:
            writer.write(close_frame(int.from_bytes(data[:2], "big")))
            await writer.drain()
            return


async def read_close(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, peer: Peer
) -> None:
    """Read until the client's CLOSE and answer nothing (the handler then hangs up)."""
    for _ in range(1000):
        opcode, _ = await read_frame(reader, peer)
        if opcode == 0x88:
            return


async def silent(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, peer: Peer
) -> None:
    """Read the client's CLOSE, answer nothing and keep the connection until the client
    hangs up."""
    await read_close(reader, writer, peer)
    await reader.read()


async def bad_frame_then_answer_close(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, peer: Peer
) -> None:
    """Send a protocol error at once, then answer the client's CLOSE."""
    writer.write(BAD_FRAME)
    await answer_close(reader, writer, peer)


async def bad_frame_as_close_reply(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, peer: Peer
) -> None:
    """Answer the client's CLOSE with a protocol error and keep the connection until the
    client hangs up."""
    await read_close(reader, writer, peer)
    writer.write(BAD_FRAME)
    await reader.read()


async def ignores_pings(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, peer: Peer
) -> None:
    """Read every frame and answer none, until the client gives up and hangs up."""
    with contextlib.suppress(asyncio.IncompleteReadError):
        for _ in range(1000):
            await read_frame(reader, peer)


@pytest.fixture
async def peer(
    raw_server: Callable[[RawHandler], Awaitable[RawServer]],
) -> Callable[[Script], Awaitable[Peer]]:
    async def factory(script: Script) -> Peer:
        result: Peer

        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            accept = ws_accept(await read_request_head(reader))
            writer.write(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                         b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n")
            await writer.drain()
            await script(reader, writer, result)

        server = await raw_server(handler)
        result = Peer(server.url)
        return result

    return factory


PeerFactory = Callable[[Script], Awaitable[Peer]]


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


async def blocked_in_receive(ws: aiohttp.ClientWebSocketResponse) -> asyncio.Task[Any]:
    """A task that has started ``ws.receive()`` and is waiting in it."""
    task = asyncio.create_task(ws.receive())
    await asyncio.sleep(0)  # the task runs until it blocks for a message
    assert not task.done()
    return task


async def until_disconnected(ws: aiohttp.ClientWebSocketResponse) -> None:
    await poll_until(
        lambda: ws.get_extra_info("peername") is None, "the client to see the hang-up"
    )


def state(ws: aiohttp.ClientWebSocketResponse) -> tuple[bool, int | None, Any]:
    exc = ws.exception()
    return ws.closed, ws.close_code, None if exc is None else type(exc)


# -- 33: async with on the response ---------------------------------------------------------


async def test_async_with_on_an_awaited_ws_connect(peer: PeerFactory, session) -> None:
    server = await peer(answer_close)
    async with await session.ws_connect(server.url) as ws:
        assert isinstance(ws, aiohttp.ClientWebSocketResponse) and not ws.closed
    assert state(ws) == (True, 1000, None)
    assert server.close_codes() == [1000]


async def test_async_with_on_an_open_websocket(peer: PeerFactory, session) -> None:
    server = await peer(answer_close)
    ws = await session.ws_connect(server.url)
    async with ws as entered:
        assert entered is ws
    assert state(ws) == (True, 1000, None)


async def test_async_with_closes_when_the_block_raises(peer: PeerFactory, session) -> None:
    server = await peer(answer_close)
    ws = await session.ws_connect(server.url)
    with pytest.raises(KeyError):
        async with ws:
            raise KeyError("boom")
    assert state(ws) == (True, 1000, None)


# -- 34: send_json_bytes --------------------------------------------------------------------


async def test_send_json_bytes_sends_a_binary_frame(peer: PeerFactory, session) -> None:
    server = await peer(answer_close)
    async with session.ws_connect(server.url) as ws:
        await ws.send_json_bytes({"a": [1, "é"]}, dumps=lambda o: json.dumps(o).encode())
    assert server.frames[0] == (0x82, b'{"a": [1, "\\u00e9"]}')


def test_send_json_bytes_signature() -> None:
    params = inspect.signature(aiohttp.ClientWebSocketResponse.send_json_bytes).parameters
    assert list(params) == ["self", "data", "compress", "dumps"]
    assert params["compress"].default is None
    assert params["dumps"].kind is inspect.Parameter.KEYWORD_ONLY
    assert params["dumps"].default is inspect.Parameter.empty  # required: no bytes default


# -- 35: the race table ---------------------------------------------------------------------


async def test_close_while_another_task_receives(peer: PeerFactory, session) -> None:
    """The receiver gets CLOSING; close() still waits for the server's CLOSE (aiohttp)."""
    server = await peer(answer_close)
    ws = await session.ws_connect(server.url)
    receiver = await blocked_in_receive(ws)
    assert await ws.close() is True
    assert (await receiver).type is WSMsgType.CLOSING
    assert (await ws.receive()).type is WSMsgType.CLOSED
    assert state(ws) == (True, 1000, None)
    assert server.close_codes() == [1000]


async def test_close_while_receiving_times_out_on_a_silent_server(
    peer: PeerFactory, session
) -> None:
    server = await peer(silent)
    ws = await session.ws_connect(server.url, timeout=aiohttp.ClientWSTimeout(ws_close=0.2))
    receiver = await blocked_in_receive(ws)
    assert await ws.close() is True
    assert (await receiver).type is WSMsgType.CLOSING
    assert state(ws) == (True, ABNORMAL, TimeoutError)
    assert type(ws.exception()) is asyncio.TimeoutError  # not a ClientError


async def test_two_closers_while_another_task_receives(peer: PeerFactory, session) -> None:
    """The first close() yields to the receiver; the second sends its code and wins the
    handshake; the receiver, woken after the socket closed, sees CLOSED (aiohttp)."""
    server = await peer(answer_close)
    ws = await session.ws_connect(server.url)
    receiver = await blocked_in_receive(ws)
    first = asyncio.create_task(ws.close(code=4001))
    second = asyncio.create_task(ws.close(code=4002))
    assert (await first, await second) == (False, True)
    assert (await receiver).type is WSMsgType.CLOSED
    assert state(ws) == (True, 4002, None)
    assert server.close_codes() == [4002]


async def test_two_closers(peer: PeerFactory, session) -> None:
    server = await peer(answer_close)
    ws = await session.ws_connect(server.url)
    first = asyncio.create_task(ws.close(code=4001))
    second = asyncio.create_task(ws.close(code=4002))
    assert (await first, await second) == (True, False)
    assert state(ws) == (True, 4001, None)
    assert server.close_codes() == [4001]


async def test_server_close_crosses_the_client_close(peer: PeerFactory, session) -> None:
    """Both sides send CLOSE at once: the server's code is the close code."""

    async def closes_first(reader, writer, server) -> None:
        writer.write(close_frame(4001, b"srv"))
        await read_close(reader, writer, server)

    server = await peer(closes_first)
    ws = await session.ws_connect(server.url)
    receiver = asyncio.create_task(ws.receive())  # not started yet: close() runs first
    assert await ws.close() is True
    assert (await receiver).type is WSMsgType.CLOSED
    assert state(ws) == (True, 4001, None)
    await poll_until(server.close_codes, "the client's close frame")
    assert server.close_codes() == [1000]


async def test_server_close_then_hang_up_before_the_client_closes(
    peer: PeerFactory, session
) -> None:
    async def close_and_leave(reader, writer, server) -> None:
        writer.write(close_frame(4001, b"srv"))
        await writer.drain()

    server = await peer(close_and_leave)
    ws = await session.ws_connect(server.url)
    await until_disconnected(ws)
    assert await ws.close() is True  # the close frame cannot be written
    assert state(ws) == (True, ABNORMAL, ClientConnectionResetError)


@pytest.mark.parametrize("hang_up", ["fin", "rst"])
async def test_server_hangs_up_instead_of_answering_close(
    peer: PeerFactory, session, hang_up: str
) -> None:
    async def leave(reader, writer, server) -> None:
        await read_close(reader, writer, server)
        if hang_up == "rst":
            reset(writer)

    server = await peer(leave)
    ws = await session.ws_connect(server.url)
    assert await ws.close() is True
    assert state(ws) == (True, ABNORMAL, aiohttp.EofStream)


async def test_server_hangs_up_while_one_task_receives_and_another_closes(
    peer: PeerFactory, session
) -> None:
    server = await peer(read_close)
    ws = await session.ws_connect(server.url)
    receiver = await blocked_in_receive(ws)
    assert await ws.close() is True
    assert (await receiver).type is WSMsgType.CLOSING
    assert state(ws) == (True, ABNORMAL, aiohttp.EofStream)


@pytest.mark.parametrize("hang_up", ["fin", "rst"])
async def test_server_hangs_up_while_receiving(peer: PeerFactory, session, hang_up) -> None:
    async def leave(reader, writer, server) -> None:
        if hang_up == "rst":
            reset(writer)

    server = await peer(leave)
    ws = await session.ws_connect(server.url)
    assert (await ws.receive()).type is WSMsgType.CLOSED
    assert state(ws) == (True, ABNORMAL, ClientConnectionResetError)
    assert str(ws.exception()) == "Cannot write to closing transport"
    assert await ws.close() is False


async def test_server_gone_before_close(peer: PeerFactory, session) -> None:
    async def leave(reader, writer, server) -> None:
        pass

    server = await peer(leave)
    ws = await session.ws_connect(server.url)
    await until_disconnected(ws)
    assert await ws.close() is True
    assert state(ws) == (True, ABNORMAL, ClientConnectionResetError)
    assert (await ws.receive()).type is WSMsgType.CLOSED


async def test_bad_frame_while_receiving(peer: PeerFactory, session) -> None:
    """The error is the message; exception() stays None (aiohttp); the close carries 1002."""

    server = await peer(bad_frame_then_answer_close)
    ws = await session.ws_connect(server.url)
    msg = await ws.receive()
    assert msg.type is WSMsgType.ERROR and isinstance(msg.data, aiohttp.WebSocketError)
    assert msg.data.code == WSCloseCode.PROTOCOL_ERROR
    assert state(ws) == (True, WSCloseCode.PROTOCOL_ERROR, None)
    assert (await ws.receive()).type is WSMsgType.CLOSED
    await poll_until(server.close_codes, "the client's close frame")
    assert server.close_codes() == [WSCloseCode.PROTOCOL_ERROR]


async def test_bad_frame_before_close(peer: PeerFactory, session) -> None:
    server = await peer(bad_frame_then_answer_close)
    ws = await session.ws_connect(server.url)
    assert await ws.close() is True
    assert state(ws) == (True, ABNORMAL, aiohttp.WebSocketError)
    await poll_until(server.close_codes, "the client's close frame")
    assert server.close_codes() == [1000]


async def test_bad_frame_instead_of_the_close_reply(peer: PeerFactory, session) -> None:
    server = await peer(bad_frame_as_close_reply)
    ws = await session.ws_connect(server.url)
    assert await ws.close() is True
    assert state(ws) == (True, ABNORMAL, aiohttp.WebSocketError)
    assert (await ws.receive()).type is WSMsgType.CLOSED


async def test_bad_frame_reply_while_one_task_receives_and_another_closes(
    peer: PeerFactory, session
) -> None:
    server = await peer(bad_frame_as_close_reply)
    ws = await session.ws_connect(server.url)
    receiver = await blocked_in_receive(ws)
    assert await ws.close() is True
    assert (await receiver).type is WSMsgType.CLOSING
    assert state(ws) == (True, ABNORMAL, aiohttp.WebSocketError)


async def test_bad_frame_in_flight_when_the_client_closes(peer: PeerFactory, session) -> None:
    server = await peer(bad_frame_then_answer_close)
    ws = await session.ws_connect(server.url)
    receiver = asyncio.create_task(ws.receive())
    assert await ws.close() is True
    assert (await receiver).type is WSMsgType.CLOSED
    assert state(ws) == (True, ABNORMAL, aiohttp.WebSocketError)
    await poll_until(server.close_codes, "the client's close frame")
    assert server.close_codes() == [1000]


async def test_messages_before_a_bad_frame_are_delivered(peer: PeerFactory, session) -> None:
    """A good message in the same packet as a protocol error arrives before the ERROR."""

    async def bad(reader, writer, server) -> None:
        writer.write(ws_frame(b"first") + BAD_FRAME)
        await answer_close(reader, writer, server)

    server = await peer(bad)
    ws = await session.ws_connect(server.url)
    got = [(msg.type, msg.data if msg.type is WSMsgType.TEXT else None) async for msg in ws]
    assert got == [(WSMsgType.TEXT, "first"), (WSMsgType.ERROR, None)]
    assert ws.close_code == WSCloseCode.PROTOCOL_ERROR


@pytest.mark.parametrize("how", ["timeout", "cancel"])
async def test_receive_interrupted_then_close(peer: PeerFactory, session, how: str) -> None:
    """A timed-out or cancelled receive() leaves close_code 1006: close() sends its frame but
    does not wait for the reply, and the code stays (aiohttp)."""
    server = await peer(answer_close)
    ws = await session.ws_connect(server.url)
    if how == "timeout":
        with pytest.raises(asyncio.TimeoutError) as info:
            await ws.receive(timeout=0.05)
        assert not isinstance(info.value, aiohttp.ClientError)
    else:
        receiver = await blocked_in_receive(ws)
        receiver.cancel()
        with pytest.raises(asyncio.CancelledError):
            await receiver
    assert state(ws) == (False, ABNORMAL, None)
    assert await ws.close() is True
    assert state(ws) == (True, ABNORMAL, None)
    await poll_until(server.close_codes, "the client's close frame")
    assert server.close_codes() == [1000]


async def test_close_cancelled_while_waiting_for_the_reply(peer: PeerFactory, session) -> None:
    server = await peer(silent)
    ws = await session.ws_connect(server.url, timeout=aiohttp.ClientWSTimeout(ws_close=30))
    closer = asyncio.create_task(ws.close())
    await poll_until(server.close_codes, "the client's close frame")
    closer.cancel()
    with pytest.raises(asyncio.CancelledError):
        await closer
    assert state(ws) == (True, ABNORMAL, None)
    assert (await ws.receive()).type is WSMsgType.CLOSED


async def test_receive_on_a_closed_websocket_keeps_answering_closed(
    peer: PeerFactory, session
) -> None:
    server = await peer(answer_close)
    ws = await session.ws_connect(server.url)
    await ws.close()
    for _ in range(10):  # aiohttp's client never turns this into an error
        assert (await ws.receive()).type is WSMsgType.CLOSED


# -- the audit: heartbeat, types, control frames --------------------------------------------


async def test_heartbeat_without_pong(peer: PeerFactory, session) -> None:
    server = await peer(ignores_pings)
    ws = await session.ws_connect(server.url, heartbeat=0.2)
    msg = await ws.receive()
    assert msg.type is WSMsgType.ERROR
    assert isinstance(msg.data, aiohttp.ServerTimeoutError)
    assert str(msg.data) == "No PONG received after 0.1 seconds"
    assert state(ws) == (True, ABNORMAL, aiohttp.ServerTimeoutError)
    assert ws.exception() is msg.data
    assert await ws.close() is False
    assert server.frames[0][0] == 0x89


async def test_heartbeat_failure_without_a_receiver(peer: PeerFactory, session) -> None:
    server = await peer(ignores_pings)
    ws = await session.ws_connect(server.url, heartbeat=0.2)
    await poll_until(lambda: ws.closed, "the heartbeat to give up")
    assert state(ws) == (True, ABNORMAL, aiohttp.ServerTimeoutError)
    assert (await ws.receive()).type is WSMsgType.CLOSED


async def test_receive_of_the_wrong_type(peer: PeerFactory, session) -> None:
    async def send(reader, writer, server) -> None:
        writer.write(ws_frame(b"bin", 0x82) + ws_frame(b"txt") + ws_frame(b"bin", 0x82))
        await answer_close(reader, writer, server)

    server = await peer(send)
    async with session.ws_connect(server.url) as ws:
        with pytest.raises(aiohttp.WSMessageTypeError) as info:
            await ws.receive_str()
        assert str(info.value) == "Received message 2:b'bin' is not WSMsgType.TEXT"
        assert isinstance(info.value, TypeError)
        with pytest.raises(aiohttp.WSMessageTypeError, match=r"'txt' is not WSMsgType\.BINARY"):
            await ws.receive_bytes()
        with pytest.raises(aiohttp.WSMessageTypeError, match=r"is not WSMsgType\.TEXT"):
            await ws.receive_json()


async def test_ping_pong_and_send_bytes_take_bytes_only(peer: PeerFactory, session) -> None:
    server = await peer(answer_close)
    refused = r"^{} argument must be byte-ish \(<class 'str'>\)$"
    async with session.ws_connect(server.url) as ws:
        with pytest.raises(TypeError, match=refused.format("message")):
            await ws.ping("text")  # type: ignore[arg-type]
        with pytest.raises(TypeError, match=refused.format("message")):
            await ws.pong("text")  # type: ignore[arg-type]
        with pytest.raises(TypeError, match=refused.format("data")):
            await ws.send_bytes("text")  # type: ignore[arg-type]
        await ws.ping(bytearray(b"ab"))
        await ws.pong(memoryview(b"cd"))
    assert server.frames == [(0x89, b"ab"), (0x8A, b"cd"), (0x88, b"\x03\xe8")]


# -- deliberate differences (docs/DIFFERENCES.md) -------------------------------------------


async def test_connection_header_with_a_token_list_is_accepted(raw_server, session) -> None:
    """RFC 6455 section 4.1: Connection must *contain* the token Upgrade (aiohttp requires
    the whole value to be "upgrade" and refuses ``keep-alive, Upgrade``)."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accept = ws_accept(await read_request_head(reader))
        writer.write(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                     b"Connection: keep-alive, Upgrade\r\nSec-WebSocket-Accept: " + accept
                     + b"\r\n\r\n" + ws_frame(b"hi"))
        await writer.drain()
        await reader.read()

    server = await raw_server(handler)
    ws = await session.ws_connect(server.url, timeout=aiohttp.ClientWSTimeout(ws_close=0.1))
    assert await ws.receive_str() == "hi"
    await ws.close()
