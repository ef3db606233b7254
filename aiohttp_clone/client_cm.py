"""The objects ``session.get()`` and ``aiohttp_clone.request()`` return: awaitable, and
usable with ``async with`` (which releases the response, or closes the one-off session)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Generator
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeAlias, TypeVar

from .client_reqrep import ClientResponse
from .client_ws import ClientWebSocketResponse

if TYPE_CHECKING:
    from .client import ClientSession

_Result_co = TypeVar("_Result_co", covariant=True)

_Yielded: TypeAlias = asyncio.Future[Any] | None
"""What an asyncio coroutine hands its task at each suspension: a future, or None to yield."""


class _BaseRequestContextManager(Coroutine[_Yielded, None, _Result_co], Generic[_Result_co]):
    """Lets ``session.get()`` be awaited or used with ``async with``: awaiting gives the result,
    ``async with`` binds it (the subclasses say how it is let go on exit)."""

    __slots__ = ("_coro", "_resp")

    def __init__(self, coro: Coroutine[_Yielded, None, _Result_co]) -> None:
        self._coro = coro
        self._resp: _Result_co | None = None

    def send(self, arg: None) -> _Yielded:
        return self._coro.send(arg)

    def throw(self, *args: Any) -> _Yielded:
        return self._coro.throw(*args)

    def close(self) -> None:
        self._coro.close()

    def __await__(self) -> Generator[_Yielded, None, _Result_co]:
        return self._coro.__await__()

    def __iter__(self) -> Generator[_Yielded, None, _Result_co]:
        return self.__await__()

    async def __aenter__(self) -> _Result_co:
        self._resp = await self._coro
        return self._resp


class _RequestContextManager(_BaseRequestContextManager[ClientResponse]):
    __slots__ = ()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        response = self._resp
        assert response is not None
        response.release()
        if response._writer is not None:
            await response.wait_for_close()


class _WSRequestContextManager(_BaseRequestContextManager[ClientWebSocketResponse]):
    __slots__ = ()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._resp is not None
        await self._resp.close()


class _SessionRequestContextManager:
    """``aiohttp_clone.request(...)``: a one-off session closed with the response."""

    __slots__ = ("_coro", "_resp", "_session")

    def __init__(
        self, coro: Coroutine[_Yielded, None, ClientResponse], session: ClientSession
    ) -> None:
        self._session = session
        self._coro = coro
        self._resp: ClientResponse | None = None

    async def __aenter__(self) -> ClientResponse:
        try:
            response = await self._coro
        except BaseException:
            await self._session.close()  # no response to hand back: the session goes now
            raise
        self._resp = response
        return response

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._resp is not None
        self._resp.release()
        await self._session.close()

    if not TYPE_CHECKING:  # type checkers must see no __await__: awaiting it is an error

        def __await__(self):
            """Refused, as in aiohttp: the one-off session must be closed, which only ``async
            with`` does. Nothing was sent, and nothing is left open."""
            self._coro.close()
            self._session.detach()  # its connector holds no connection yet
            raise TypeError(
                "aiohttp_clone.request() is not awaitable: use "
                "'async with aiohttp_clone.request(...) as response:'"
            )
