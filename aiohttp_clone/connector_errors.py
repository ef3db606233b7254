"""What connecting raises, in aiohttp's terms: one mapping for direct, proxied and unix sockets."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ._values import active_timeout
from .client_exceptions import (
    ClientConnectorCertificateError,
    ClientConnectorError,
    ClientConnectorSSLError,
    ConnectionTimeoutError,
)

if TYPE_CHECKING:
    from ._values import ConnectionKey


@contextmanager
def connect_errors(
    key: ConnectionKey, error_class: type[ClientConnectorError] = ClientConnectorError
) -> Iterator[None]:
    """Certificate, TLS and socket failures become connector errors naming ``key``."""
    try:
        yield
    except ssl.SSLCertVerificationError as exc:
        raise ClientConnectorCertificateError(key, exc) from exc
    except ssl.SSLError as exc:
        raise ClientConnectorSSLError(key, exc) from exc
    except OSError as exc:
        if isinstance(exc, TimeoutError):  # a ConnectionTimeoutError from deadline()
            raise
        raise error_class(key, exc) from exc


class deadline:
    """``async with``: raise ConnectionTimeoutError when the block outlives ``seconds``."""

    __slots__ = ("_message", "_scope", "_seconds")

    def __init__(self, seconds: float | None, message: str) -> None:
        self._seconds = active_timeout(seconds)
        self._message = message
        self._scope: asyncio.Timeout | None = None

    async def __aenter__(self) -> None:
        if self._seconds is not None:
            self._scope = asyncio.timeout(self._seconds)
            await self._scope.__aenter__()

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if self._scope is None:
            return
        try:
            await self._scope.__aexit__(exc_type, exc, tb)
        except TimeoutError as timeout_exc:
            raise ConnectionTimeoutError(self._message) from timeout_exc
