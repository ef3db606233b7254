"""A small recording SOCKS server (4, 4a and 5) for the SOCKS tests, in the test's own loop.

pproxy is the real third-party server the tests use for socks4 and socks5; this one covers
what pproxy cannot show or does not speak: SOCKS4a (pproxy's socks4 reads no host name), the
exact host string and credentials each handshake carried (``requests``), a proxy that refuses
the connection with a SOCKS error code (``refuse``), and one that accepts TCP and then never
answers the handshake (``silent``).

After a successful handshake it relays bytes both ways until either side closes. Only loopback
origins are reached; anything else is refused, so no test can leave the machine. It serves
through tests/servers.py's ``RawServer``; an error in a handshake or relay fails the test when
the ``async with`` block ends (unless the block is already raising).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass

from yarl import URL

from tests.proxy import LOOPBACK, relay
from tests.servers import HOST, RawServer, describe_errors, drain_until_eof

_SOCKS4_GRANTED, _SOCKS4_REJECTED = 0x5A, 0x5B
_SOCKS5_CONNECTION_REFUSED = 0x05


@dataclass
class SocksRequest:
    """One CONNECT as the server received it."""

    version: int  # 4 or 5
    host: str  # an address in text form, or the name the client sent
    port: int
    by_name: bool  # the client sent a host name (socks4a, or socks5 address type 3)
    user: str | None  # socks4 user id or socks5 username
    password: str | None


class RecordingSocks:
    """socks5 takes RFC 1929 credentials whenever the client offers them, and with
    ``auth = (user, password)`` demands those; ``refuse`` answers every CONNECT with an error
    code; ``silent`` accepts TCP and never answers."""

    def __init__(
        self, *, auth: tuple[str, str] | None = None, refuse: bool = False, silent: bool = False
    ) -> None:
        self.auth = auth
        self.refuse = refuse
        self.silent = silent
        self.requests: list[SocksRequest] = []
        # Wrapped, not subclassed: RawServer's ``requests`` and ``url`` mean other things.
        self._server = RawServer(self._handle)

    @property
    def port(self) -> int:
        return self._server.port

    def url(self, scheme: str, userinfo: str = "") -> URL:
        at = f"{userinfo}@" if userinfo else ""
        return URL(f"{scheme}://{at}{HOST}:{self.port}")

    async def __aenter__(self) -> RecordingSocks:
        await self._server.start()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        await self._server.close()
        errors = self._server.errors
        if exc_type is None:  # the block's own exception says more than these would
            assert not errors, f"the SOCKS server raised:\n{describe_errors(errors)}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.silent:
            await drain_until_eof(reader)  # until the client gives up
            return
        version = (await reader.readexactly(1))[0]
        if version == 4:
            await self._socks4(reader, writer)
        elif version == 5:
            await self._socks5(reader, writer)

    async def _socks4(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readexactly(7)  # command, port, IPv4 address
        port = int.from_bytes(head[1:3], "big")
        user = (await reader.readuntil(b"\x00"))[:-1].decode("ascii")
        by_name = head[3:6] == b"\x00\x00\x00" and head[6] != 0  # 0.0.0.x: SOCKS4a
        if by_name:
            host = (await reader.readuntil(b"\x00"))[:-1].decode("ascii")
        else:
            host = socket.inet_ntoa(head[3:7])
        self.requests.append(SocksRequest(4, host, port, by_name, user or None, None))
        origin = None if self.refuse else await _open_origin(host, port)
        code = _SOCKS4_REJECTED if origin is None else _SOCKS4_GRANTED
        writer.write(bytes([0, code]) + bytes(6))
        await writer.drain()
        if origin is not None:
            await relay((reader, writer), origin, self._server.writers)

    async def _socks5(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        methods = await reader.readexactly((await reader.readexactly(1))[0])
        user = password = None
        if 2 in methods:  # credentials offered: take them (and check them under ``auth``)
            writer.write(b"\x05\x02")
            await reader.readexactly(1)  # sub-negotiation version
            user = (await reader.readexactly((await reader.readexactly(1))[0])).decode()
            password = (await reader.readexactly((await reader.readexactly(1))[0])).decode()
            if self.auth is not None and (user, password) != self.auth:
                writer.write(b"\x01\x01")
                return
            writer.write(b"\x01\x00")
        elif self.auth is not None:
            writer.write(b"\x05\xff")  # no acceptable method
            return
        else:
            writer.write(b"\x05\x00")
        await reader.readexactly(3)  # version, CONNECT, reserved
        host, by_name = await _read_socks5_address(reader)
        port = int.from_bytes(await reader.readexactly(2), "big")
        self.requests.append(SocksRequest(5, host, port, by_name, user, password))
        origin = None if self.refuse else await _open_origin(host, port)
        code = _SOCKS5_CONNECTION_REFUSED if origin is None else 0
        writer.write(bytes([5, code, 0, 1]) + bytes(6))
        await writer.drain()
        if origin is not None:
            await relay((reader, writer), origin, self._server.writers)


async def _read_socks5_address(reader: asyncio.StreamReader) -> tuple[str, bool]:
    kind = (await reader.readexactly(1))[0]
    if kind == 1:
        return str(ipaddress.IPv4Address(await reader.readexactly(4))), False
    if kind == 4:
        return str(ipaddress.IPv6Address(await reader.readexactly(16))), False
    name = await reader.readexactly((await reader.readexactly(1))[0])
    return name.decode("ascii"), True


async def _open_origin(
    host: str, port: int
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
    if host not in LOOPBACK:
        return None
    try:
        return await asyncio.open_connection(host, port)
    except OSError:
        return None
