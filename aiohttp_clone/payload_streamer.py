"""``@streamer``: aiohttp's deprecated way to stream a request body from an async function.

::

    @aiohttp.streamer
    async def sender(writer, name):
        await writer.write(b"...")

    await session.post(url, data=sender(name="x"))

The decorated function is called with the request's writer each time the body is sent, so a
redirect (307/308) or an auth retry sends it again. Decorating warns, as in aiohttp 3.x; an
async generator passed as ``data=`` does the same job without the decorator.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from .payload import Payload, payload_type

if TYPE_CHECKING:
    from .payload import _Writer

__all__ = ("streamer",)

_StreamFunction = Callable[..., Awaitable[None]]


class streamer:  # lower case: aiohttp's public name, used as a decorator
    """Marks an async ``(writer, *args, **kwargs)`` function as a request body source."""

    def __init__(self, coro: _StreamFunction) -> None:
        warnings.warn(
            "@streamer is deprecated, use async generators instead",
            DeprecationWarning,
            stacklevel=2,
        )
        self.coro = coro
        functools.update_wrapper(self, coro)

    def __call__(self, *args: Any, **kwargs: Any) -> _BoundStreamer:
        """The body for one request: the arguments, waiting for the writer."""
        return _BoundStreamer(self.coro, args, kwargs)


class _BoundStreamer:
    """A decorated function with its arguments: ``sender(name="x")``."""

    def __init__(
        self, coro: _StreamFunction, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> None:
        self.coro = coro
        self.args = args
        self.kwargs = kwargs

    async def __call__(self, writer: _Writer) -> None:
        await self.coro(writer, *self.args, **self.kwargs)


@payload_type(_BoundStreamer)
class StreamWrapperPayload(Payload):
    """Size unknown (sent chunked); every write runs the function again."""

    _value: _BoundStreamer

    async def write(self, writer: _Writer) -> None:
        await self._value(writer)

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        raise TypeError("Unable to decode.")

    async def as_bytes(self, encoding: str = "utf-8", errors: str = "strict") -> bytes:
        raise TypeError("Unable to decode.")  # as aiohttp: the body is only ever streamed


@payload_type(streamer)
class StreamPayload(StreamWrapperPayload):
    """The decorated function itself as ``data=``: called with the writer alone."""

    def __init__(self, value: streamer, *args: Any, **kwargs: Any) -> None:
        super().__init__(value(), *args, **kwargs)
