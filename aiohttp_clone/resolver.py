"""Host name resolvers: the thread-pool default and an aiodns-based one."""

from __future__ import annotations

import asyncio
import socket
from typing import Any, cast

from .abc import AbstractResolver, ResolveResult

__all__ = ("AsyncResolver", "DefaultResolver", "ThreadedResolver")

_NUMERIC_FLAGS = socket.NI_NUMERICHOST | socket.NI_NUMERICSERV


def _result(
    hostname: str, family: int, address: tuple[Any, ...], port: int, proto: int
) -> ResolveResult:
    host = address[0]
    if isinstance(host, bytes):  # c-ares answers with bytes
        host = host.decode("ascii")
    return ResolveResult(
        hostname=hostname,
        host=host,
        port=port,
        family=family,
        proto=proto,
        flags=socket.AI_NUMERICHOST | socket.AI_NUMERICSERV,
    )


class ThreadedResolver(AbstractResolver):
    """Resolves with the system's getaddrinfo in the loop's default executor."""

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self._loop = loop

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        loop = asyncio.get_running_loop()
        infos = await loop.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, family=family, flags=socket.AI_ADDRCONFIG
        )
        results: list[ResolveResult] = []
        for fam, _, proto, _, address in infos:
            if fam == socket.AF_INET6 and len(address) >= 4 and address[3]:
                # A link-local address needs its scope id ("fe80::1%eth0") to be usable.
                scoped, _ = await loop.getnameinfo(address, _NUMERIC_FLAGS)
                results.append(_result(host, fam, (scoped,), port, proto))
            elif fam in (socket.AF_INET, socket.AF_INET6):
                # typeshed also allows (int, bytes) for AF_PACKET; INET answers carry an int port.
                results.append(_result(host, fam, address, cast(int, address[1]), proto))
        if not results:
            raise OSError(None, f"DNS lookup failed for {host}")
        return results

    async def close(self) -> None:
        """Nothing to release: the executor belongs to the loop."""


class AsyncResolver(AbstractResolver):
    """Resolves with c-ares through aiodns (the ``speedups`` extra)."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop | None = None, *args: Any, **kwargs: Any
    ) -> None:
        try:
            import aiodns
        except ImportError as exc:
            raise RuntimeError("AsyncResolver requires aiodns: pip install aiodns") from exc
        self._resolver = aiodns.DNSResolver(*args, **kwargs)

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        import aiodns

        try:
            answer = await self._resolver.getaddrinfo(
                host, port=port, type=socket.SOCK_STREAM, family=family, flags=socket.AI_ADDRCONFIG
            )
        except aiodns.error.DNSError as exc:
            message = exc.args[1] if len(exc.args) > 1 else "DNS lookup failed"
            raise OSError(None, message) from exc
        results = [
            _result(host, node.family, node.addr, node.addr[1], node.protocol)
            for node in answer.nodes
            if node.family in (socket.AF_INET, socket.AF_INET6)
        ]
        if not results:
            raise OSError(None, f"DNS lookup failed for {host}")
        return results

    async def close(self) -> None:
        close = getattr(self._resolver, "close", None)
        if close is not None:
            result = close()
            if asyncio.iscoroutine(result):
                await result


DefaultResolver = ThreadedResolver
