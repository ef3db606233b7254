"""Fault injection: the server closes or resets at every stage, stalls, or the caller cancels.

Each fault must surface as the documented exception, and afterwards the pool holds no acquired
connection and only live idle ones, and the task and fd counts are back where they started.
"""

from __future__ import annotations

import asyncio
import os
import socket

import pytest

import aiohttp_clone as aiohttp
from tests.polling import TCP_SYN_SENT, local_ports_to, poll_until
from tests.servers import OK, FullBacklog, drain_until_eof, read_request, reset

LENGTH_HEAD = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"
CHUNKED_HEAD = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def library_tasks() -> int:
    """Tasks running the library's code (the test servers' own tasks are not counted)."""
    count = 0
    for task in asyncio.all_tasks():
        code = getattr(task.get_coro(), "cr_code", None)
        if code is not None and "aiohttp_clone" in code.co_filename:
            count += 1
    return count


async def eventually(predicate) -> bool:
    for _ in range(100):
        if predicate():
            return True
        await asyncio.sleep(0.01)
    return predicate()


class Baseline:
    """Library tasks and fds before the requests.

    ``check`` asserts the pool is clean and no library task is left; ``check_fds`` (once the
    session is closed) that the fd count is back, allowing for the test server's side.
    """

    def __init__(self) -> None:
        self.tasks = library_tasks()
        self.fds = open_fds()

    async def check(self, session: aiohttp.ClientSession) -> None:
        connector = session.connector
        assert connector is not None
        assert not connector._acquired
        assert not connector._waiters
        for idle in connector._idle.values():
            assert all(protocol.is_connected() for protocol, _ in idle)
        assert await eventually(lambda: library_tasks() <= self.tasks)

    async def check_fds(self, slack: int = 2) -> None:
        assert await eventually(lambda: open_fds() <= self.fds + slack), open_fds() - self.fds


# -- close or reset at every stage of the response ----------------------------------------------

# (stage, bytes the server sends before the fault, whether the client gets the head first)
STAGES = [
    ("before-status-line", b"", False),
    ("mid-status-line", b"HTTP/1.1 20", False),
    ("mid-headers", b"HTTP/1.1 200 OK\r\nContent-Le", False),
    ("mid-body-length", LENGTH_HEAD + b"x" * 10, True),
    ("mid-body-chunked", CHUNKED_HEAD + b"a\r\nhello", True),
    ("between-chunks", CHUNKED_HEAD + b"5\r\nhello\r\n", True),
]


@pytest.mark.parametrize("how", ["close", "reset"])
@pytest.mark.parametrize(("stage", "prefix", "has_head"), STAGES, ids=[s[0] for s in STAGES])
async def test_fault_at_every_stage(
    raw_server, stage: str, prefix: bytes, has_head: bool, how: str
) -> None:
    head_seen = asyncio.Event()
    # A GET that got no answer is sent once more (on a new connection), as in aiohttp: the
    # fault is repeated for that attempt too.
    faulty = 1 if has_head else 2

    async def handler(reader, writer):
        await read_request(reader)
        if server.connections > faulty:  # the request after the fault gets a healthy answer
            writer.write(OK)
            await writer.drain()
            await drain_until_eof(reader)
            return
        writer.write(prefix)
        await writer.drain()
        if has_head:
            await head_seen.wait()  # the fault must come after the client parsed the head
        if how == "reset":
            reset(writer)

    server = await raw_server(handler)
    baseline = Baseline()
    async with aiohttp.ClientSession() as session:
        if has_head:
            async with session.get(server.make_url("/")) as resp:
                head_seen.set()
                with pytest.raises(aiohttp.ClientPayloadError):
                    await resp.read()
        else:
            expected = aiohttp.ClientOSError if how == "reset" else aiohttp.ServerDisconnectedError
            with pytest.raises(expected):
                await session.get(server.make_url("/"))
        await baseline.check(session)
        assert server.connections == faulty
        # The pool is usable afterwards: a further request succeeds, on a new connection.
        async with session.get(server.make_url("/")) as resp:
            assert await resp.read() == b"ok"
        assert server.connections == faulty + 1
        await baseline.check(session)
    await baseline.check_fds()


async def test_truncated_body_keeps_what_arrived(raw_server) -> None:
    head_seen = asyncio.Event()

    async def handler(reader, writer):
        await read_request(reader)
        writer.write(LENGTH_HEAD + b"0123456789")
        await writer.drain()
        await head_seen.wait()
        reset(writer)

    server = await raw_server(handler)
    async with aiohttp.ClientSession() as session:
        async with session.get(server.make_url("/")) as resp:
            head_seen.set()
            assert await resp.content.readexactly(10) == b"0123456789"
            with pytest.raises(aiohttp.ClientPayloadError):
                await resp.content.read()


# -- during connect ------------------------------------------------------------------------------


async def test_listener_closed_before_connect() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    listener.close()
    baseline = Baseline()
    async with aiohttp.ClientSession() as session:
        for _ in range(20):
            with pytest.raises(aiohttp.ClientConnectorError) as info:
                await session.get(f"http://127.0.0.1:{port}/")
            assert info.value.port == port
        await baseline.check(session)
    await baseline.check_fds()


async def test_reset_right_after_accept(raw_server) -> None:
    async def handler(reader, writer):
        reset(writer)

    server = await raw_server(handler)
    baseline = Baseline()
    async with aiohttp.ClientSession() as session:
        for _ in range(10):
            with pytest.raises((aiohttp.ClientOSError, aiohttp.ServerDisconnectedError)):
                await session.get(server.make_url("/"))
        await baseline.check(session)
    await baseline.check_fds()


@pytest.mark.parametrize("how", ["close", "reset"])
async def test_fault_during_tls_handshake(raw_server, how: str) -> None:
    async def handler(reader, writer):
        await reader.read(1)  # the ClientHello has started
        if how == "reset":
            reset(writer)

    server = await raw_server(handler)
    baseline = Baseline()
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientConnectorError):
            await session.get(server.make_url("/").with_scheme("https"))
        await baseline.check(session)
    await baseline.check_fds()


# -- the stale keep-alive connection race --------------------------------------------------------


def serve_once_then(fault: str):
    """First connection: one response, then the fault when the next request arrives."""

    async def handler(reader, writer):
        head, _ = await read_request(reader)
        if not head:
            return
        writer.write(OK)
        await writer.drain()
        await read_request(reader)
        if fault == "reset":
            reset(writer)

    return handler


@pytest.mark.parametrize("fault", ["close", "reset"])
async def test_stale_connection_retried_once_for_get(raw_server, fault: str) -> None:
    server = await raw_server(serve_once_then(fault))
    baseline = Baseline()
    async with aiohttp.ClientSession() as session:
        for _ in range(3):
            async with session.get(server.make_url("/")) as resp:
                assert await resp.read() == b"ok"
        await baseline.check(session)
    await baseline.check_fds()
    # Each retry replaced the stale socket with a new one: three requests, three connections.
    assert server.connections == 3


@pytest.mark.parametrize("fault", ["close", "reset"])
async def test_stale_connection_not_retried_for_post(raw_server, fault: str) -> None:
    server = await raw_server(serve_once_then(fault))
    baseline = Baseline()
    async with aiohttp.ClientSession() as session:
        async with session.get(server.make_url("/")) as resp:
            assert await resp.read() == b"ok"
        with pytest.raises((aiohttp.ServerDisconnectedError, aiohttp.ClientOSError)):
            await session.post(server.make_url("/"), data=b"payload")
        await baseline.check(session)
    await baseline.check_fds()
    assert server.connections == 1
    assert server.bodies[-1] == b"payload"  # sent once, on the stale socket only


async def test_retry_is_not_repeated_on_a_fresh_connection(raw_server) -> None:
    """Only a reused socket earns a retry: a failing fresh one surfaces the error."""
    count = 0

    async def handler(reader, writer):
        nonlocal count
        count += 1
        await read_request(reader)
        if count == 1:
            writer.write(OK)
            await writer.drain()
            await read_request(reader)

    server = await raw_server(handler)
    async with aiohttp.ClientSession() as session:
        async with session.get(server.make_url("/")) as resp:
            await resp.read()
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await session.get(server.make_url("/"))
    assert server.connections == 2


# -- slow servers --------------------------------------------------------------------------------


def drip(data: bytes, interval: float):
    async def handler(reader, writer):
        await read_request(reader)
        for index in range(len(data)):
            writer.write(data[index : index + 1])
            await writer.drain()
            await asyncio.sleep(interval)
        await drain_until_eof(reader)

    return handler


async def test_byte_every_100ms_hits_sock_read(raw_server) -> None:
    server = await raw_server(drip(OK, 0.1))
    baseline = Baseline()
    timeout = aiohttp.ClientTimeout(sock_read=0.05)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        with pytest.raises(aiohttp.SocketTimeoutError):
            await session.get(server.make_url("/"))
        await baseline.check(session)
    await baseline.check_fds()


async def test_byte_every_100ms_in_body_hits_sock_read(raw_server) -> None:
    body = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"
    async def handler(reader, writer):
        await read_request(reader)
        writer.write(body)
        await writer.drain()
        for byte in b"hello":
            await asyncio.sleep(0.1)
            writer.write(bytes([byte]))
            await writer.drain()

    server = await raw_server(handler)
    timeout = aiohttp.ClientTimeout(sock_read=0.05)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        async with session.get(server.make_url("/")) as resp:
            with pytest.raises(aiohttp.SocketTimeoutError):
                await resp.read()
        connector = session.connector
        assert connector is not None and not connector._acquired


async def test_sock_read_is_per_read_not_per_response(raw_server) -> None:
    """Bytes 100 ms apart with sock_read=1: slow, but never silent for a whole second."""
    async def handler(reader, writer):
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n")
        await writer.drain()
        for byte in b"slow":
            await asyncio.sleep(0.1)
            writer.write(bytes([byte]))
            await writer.drain()
        await drain_until_eof(reader)

    server = await raw_server(handler)
    timeout = aiohttp.ClientTimeout(sock_read=1)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        async with session.get(server.make_url("/")) as resp:
            assert await resp.read() == b"slow"


async def test_server_that_never_reads_hits_total(raw_server) -> None:
    async def silent(reader, writer):
        await asyncio.sleep(30)

    server = await raw_server(silent)
    baseline = Baseline()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=0.1)) as session:
        with pytest.raises(asyncio.TimeoutError):
            await session.get(server.make_url("/"))
        await baseline.check(session)
    await baseline.check_fds()


# -- cancellation in every state -----------------------------------------------------------------


def routed_server():
    """``/never``: no answer; ``/partial``: head and half a body; anything else: ``ok``."""

    async def handler(reader, writer):
        while True:
            head, _ = await read_request(reader)
            if not head:
                return
            if head.startswith(b"GET /never "):
                await drain_until_eof(reader)
                return
            if head.startswith(b"GET /partial "):
                writer.write(LENGTH_HEAD + b"x" * 50)
                await writer.drain()
                await drain_until_eof(reader)
                return
            writer.write(OK)
            await writer.drain()

    return handler


@pytest.mark.parametrize("state", ["pool-slot", "connecting", "head", "body"])
async def test_cancel_in_every_state_frees_the_slot(raw_server, state: str) -> None:
    server = await raw_server(routed_server())
    connector = aiohttp.TCPConnector(limit=1)
    baseline = Baseline()
    async with aiohttp.ClientSession(connector=connector) as session:
        holder = None
        with FullBacklog() as stuck_port:
            if state == "pool-slot":
                holder = await session.get(server.make_url("/partial"))
                task = asyncio.create_task(session.get(server.make_url("/")))
                await poll_until(lambda: connector._waiters, "queued for a slot")
            elif state == "connecting":
                fillers = local_ports_to(stuck_port)
                task = asyncio.create_task(session.get(f"http://127.0.0.1:{stuck_port}/"))
                await poll_until(
                    lambda: local_ports_to(stuck_port, TCP_SYN_SENT) - fillers,
                    "the client's SYN to the full listener",
                )
            elif state == "head":
                task = asyncio.create_task(session.get(server.make_url("/never")))
                await poll_until(lambda: server.requests, "request sent")
            else:
                responses = []

                async def read_body():
                    async with session.get(server.make_url("/partial")) as resp:
                        responses.append(resp)
                        return await resp.read()

                task = asyncio.create_task(read_body())
                await poll_until(
                    lambda: responses and responses[0].content.total_bytes == 50,
                    "the head and half the body to arrive",
                )
            assert not task.done()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        if holder is not None:
            assert len(connector._acquired) == 1
            holder.close()
        assert not connector._acquired
        assert not connector._waiters
        async with session.get(server.make_url("/")) as resp:
            assert await resp.read() == b"ok"
        await baseline.check(session)
    await baseline.check_fds()


async def test_cancel_1000_waiters_behind_a_stuck_connect() -> None:
    """limit=1, the only slot stuck connecting, 1000 queued: cancel all, then one succeeds."""
    async def ok_handler(reader, writer):
        await read_request(reader)
        writer.write(OK)
        await writer.drain()

    server = await asyncio.start_server(ok_handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    connector = aiohttp.TCPConnector(limit=1)
    try:
        async with aiohttp.ClientSession(connector=connector) as session:
            with FullBacklog() as stuck_port:
                holder = asyncio.create_task(session.get(f"http://127.0.0.1:{stuck_port}/"))
                await poll_until(lambda: connector._acquired, "connecting")
                waiters = [
                    asyncio.create_task(session.get(f"http://127.0.0.1:{port}/"))
                    for _ in range(1000)
                ]
                await poll_until(lambda: len(connector._waiters) == 1000, "all queued")
                for task in waiters:
                    task.cancel()
                holder.cancel()
                results = await asyncio.gather(holder, *waiters, return_exceptions=True)
            assert all(isinstance(result, asyncio.CancelledError) for result in results)
            assert not connector._acquired and not connector._waiters
            async with session.get(f"http://127.0.0.1:{port}/") as resp:
                assert await resp.read() == b"ok"
    finally:
        server.close()
        await server.wait_closed()
