"""Request bodies: one ``Payload`` per kind of data, chosen by ``get_payload``.

A payload knows its headers and, when it can, its size (None means "send chunked"). It writes
itself into anything with ``async write(chunk)``, usually the request's ``StreamWriter``.
Blocking file reads run in the default executor, so a large upload never stalls the loop.
"""

from __future__ import annotations

import asyncio
import builtins
import enum
import io
import json
import mimetypes
import os
import stat
from abc import ABC, abstractmethod
from collections.abc import AsyncIterable, Callable, Iterable
from itertools import chain
from typing import IO, Any, Protocol
from urllib.parse import quote

from multidict import CIMultiDict

from . import hdrs
from .helpers import _SENTINEL, content_disposition_header, guess_filename, parse_mimetype, sentinel

__all__ = (
    "PAYLOAD_REGISTRY",
    "AsyncIterablePayload",
    "BufferedReaderPayload",
    "BytesIOPayload",
    "BytesPayload",
    "IOBasePayload",
    "JsonPayload",
    "LookupError",
    "Order",
    "Payload",
    "PayloadRegistry",
    "StringIOPayload",
    "StringPayload",
    "TextIOPayload",
    "get_payload",
    "payload_type",
)

READ_CHUNK_SIZE = 2**16
# Text files up to this many bytes are read once more to learn their exact encoded size.
TEXT_SIZE_SCAN_LIMIT = 2**20


class _Writer(Protocol):
    async def write(self, chunk: bytes | bytearray | memoryview) -> None: ...


class LookupError(builtins.LookupError):  # shadows the builtin: aiohttp's public name
    """No payload type is registered for the given data."""


class Order(str, enum.Enum):  # noqa: UP042  aiohttp's type; StrEnum would change str()
    normal = "normal"
    try_first = "try_first"
    try_last = "try_last"


class _LimitedWriter:
    """Passes on only the first ``limit`` bytes: a body cut to a declared Content-Length."""

    def __init__(self, writer: _Writer, limit: int) -> None:
        self._writer = writer
        self._left = limit

    async def write(self, chunk: bytes | bytearray | memoryview) -> None:
        if self._left <= 0:
            return
        chunk = bytes(chunk[: self._left]) if len(chunk) > self._left else chunk
        self._left -= len(chunk)
        await self._writer.write(chunk)


class _Collector:
    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    async def write(self, chunk: bytes | bytearray | memoryview) -> None:
        self.chunks.append(bytes(chunk))


def _quote_filename(key: str, value: str, charset: str) -> str:
    """Percent-encode a filename (everything but ``A-Za-z0-9_.-~``), as aiohttp sends it.

    RFC 7578 §4.2 forbids ``filename*`` in form-data, so a non-ASCII or special-character
    name travels as ``filename="%C3%A9.txt"``; receivers see it percent-encoded, as they
    do from aiohttp. Other parameters are left to ``content_disposition_header``.
    """
    if key.lower() != "filename" or not isinstance(value, str):
        return value
    return quote(value, safe="", encoding=charset)


class Payload(ABC):
    """A request body. Subclasses say how to write themselves and whether they can be replayed.

    ``reusable`` is True when every ``write`` produces the whole body again, so a redirect
    (307/308) or an auth retry may resend it; ``consumed`` is True once a one-shot body has
    been used up.
    """

    _default_content_type = "application/octet-stream"
    _size: int | None = None
    _autoclose = False  # holds something (a file) that close() must release

    def __init__(
        self,
        value: Any,
        headers: CIMultiDict[str] | dict[str, str] | Iterable[tuple[str, str]] | None = None,
        content_type: str | _SENTINEL | None = sentinel,
        filename: str | None = None,
        encoding: str | None = None,
        **kwargs: Any,
    ) -> None:
        self._value = value
        self._encoding = encoding
        self._filename = filename
        self._consumed = False
        extra: CIMultiDict[str] | None = None
        given_type = None
        if headers:  # most bodies (every json= and bytes one) come without extra headers
            extra = CIMultiDict(headers)
            given_type = extra.popall(hdrs.CONTENT_TYPE, [None])[0]
        if given_type is not None:  # the caller's own header wins, as in aiohttp
            content_type = given_type
        elif content_type is sentinel or content_type is None:
            content_type = self._default_content_type
        self._headers: CIMultiDict[str] = CIMultiDict(((hdrs.CONTENT_TYPE, content_type),))
        if extra:
            self._headers.extend(extra)

    @property
    def size(self) -> int | None:
        """Body length in bytes, or None when unknown (the request then goes chunked)."""
        return self._size

    @property
    def filename(self) -> str | None:
        return self._filename

    @property
    def headers(self) -> CIMultiDict[str]:
        """Headers that describe this body: Content-Type, maybe Content-Disposition."""
        return self._headers

    @property
    def encoding(self) -> str | None:
        return self._encoding

    @property
    def content_type(self) -> str:
        return self._headers[hdrs.CONTENT_TYPE]

    @property
    def reusable(self) -> bool:
        return True

    @property
    def consumed(self) -> bool:
        return self._consumed

    @property
    def autoclose(self) -> bool:
        """True when nothing needs releasing: dropping the payload unclosed leaks nothing."""
        return self._autoclose

    def set_content_disposition(
        self, disptype: str, quote_fields: bool = True, _charset: str = "utf-8", **params: str
    ) -> None:
        """Set Content-Disposition; a quoted filename is percent-encoded (``_quote_filename``)."""
        if quote_fields:
            params = {key: _quote_filename(key, value, _charset) for key, value in params.items()}
        self._headers[hdrs.CONTENT_DISPOSITION] = content_disposition_header(
            disptype, quote_fields=quote_fields, _charset=_charset, **params
        )

    @abstractmethod
    async def write(self, writer: _Writer) -> None:
        """Write the whole body into ``writer``."""

    async def write_with_length(self, writer: _Writer, content_length: int | None) -> None:
        """Write at most ``content_length`` bytes (all of it when None)."""
        if content_length is None:
            await self.write(writer)
        else:
            await self.write(_LimitedWriter(writer, content_length))

    async def as_bytes(self, encoding: str = "utf-8", errors: str = "strict") -> bytes:
        """The whole body in memory, e.g. for a digest over it."""
        collector = _Collector()
        await self.write(collector)
        return b"".join(collector.chunks)

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        """The body as text, for payloads that can produce it without awaiting."""
        raise TypeError(f"{type(self).__name__} cannot be decoded synchronously; await as_bytes()")

    async def close(self) -> None:
        """Release what the payload holds; a closed payload cannot be sent."""
        self._close()

    def _close(self) -> None:
        """``close()`` where awaiting is not possible (a callback); subclasses release here."""
        self._consumed = True


class BytesPayload(Payload):
    _value: bytes | bytearray | memoryview
    _autoclose = True  # memory only

    def __init__(self, value: bytes | bytearray | memoryview, *args: Any, **kwargs: Any) -> None:
        if not isinstance(value, (bytes, bytearray, memoryview)):
            raise TypeError(f"value argument must be byte-ish, not {type(value)!r}")
        super().__init__(value, *args, **kwargs)
        self._size = value.nbytes if isinstance(value, memoryview) else len(value)

    async def write(self, writer: _Writer) -> None:
        await writer.write(self._value)

    async def as_bytes(self, encoding: str = "utf-8", errors: str = "strict") -> bytes:
        return bytes(self._value)

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        return bytes(self._value).decode(self._encoding or encoding, errors)


def _text_charset(
    encoding: str | None, content_type: str | None, headers: Any
) -> tuple[str, str | None]:
    """The charset to encode a text body in, and the content type to give its payload.

    The Content-Type a caller passes in ``headers`` replaces ours (see Payload), so the text
    is encoded in the charset it names: the body must say what its label says.
    """
    declared = content_type
    if headers:  # most text bodies come without extra headers: no CIMultiDict for them
        declared = CIMultiDict(headers).get(hdrs.CONTENT_TYPE, content_type)
    if encoding is not None:
        return encoding, f"text/plain; charset={encoding}" if content_type is None else content_type
    if declared is None:
        return "utf-8", "text/plain; charset=utf-8"
    return parse_mimetype(declared).parameters.get("charset", "utf-8"), content_type


class StringPayload(BytesPayload):
    """Text, encoded once up front; the charset comes from ``encoding`` or the content type."""

    def __init__(
        self,
        value: str,
        *args: Any,
        encoding: str | None = None,
        content_type: str | None = None,
        **kwargs: Any,
    ) -> None:
        encoding, content_type = _text_charset(encoding, content_type, kwargs.get("headers"))
        super().__init__(
            value.encode(encoding), *args, encoding=encoding, content_type=content_type, **kwargs
        )


class StringIOPayload(StringPayload):
    def __init__(self, value: io.StringIO, *args: Any, **kwargs: Any) -> None:
        super().__init__(value.read(), *args, **kwargs)


class IOBasePayload(Payload):
    """A file-like object, read in 64 KiB pieces off the event loop.

    Seekable files remember where they started, so the body can be sent again (redirects);
    others are one-shot.
    """

    _value: IO[Any]
    _blocking = True  # whether reads may block the loop and so belong in an executor

    def __init__(
        self, value: IO[Any], disposition: str = "attachment", *args: Any, **kwargs: Any
    ) -> None:
        if kwargs.get("filename") is None:
            kwargs["filename"] = guess_filename(value)
        filename = kwargs["filename"]
        if kwargs.get("content_type") in (None, sentinel) and filename is not None:
            guessed = mimetypes.guess_type(filename)[0]
            if guessed is not None and hdrs.CONTENT_TYPE not in CIMultiDict(
                kwargs.get("headers") or ()
            ):
                kwargs["content_type"] = guessed
        super().__init__(value, *args, **kwargs)
        # A Content-Disposition the caller passed in ``headers`` is theirs to keep.
        if (
            filename is not None
            and disposition is not None
            and hdrs.CONTENT_DISPOSITION not in self.headers
        ):
            self.set_content_disposition(disposition, filename=filename)
        self._start = self._tell()
        self._size = self._remaining_size()

    def _tell(self) -> int | None:
        try:
            return self._value.tell() if self._value.seekable() else None
        except (OSError, AttributeError, ValueError):
            return None

    def _remaining_size(self) -> int | None:
        if self._start is None:
            return None
        try:
            end = self._value.seek(0, os.SEEK_END)
            self._value.seek(self._start)
        except (OSError, ValueError):
            return None
        return max(end - self._start, 0)

    @property
    def reusable(self) -> bool:
        return self._start is not None

    def _read(self, rewind: bool, size: int) -> Any:
        if rewind and self._start is not None:
            self._value.seek(self._start)
        return self._value.read(size)

    def _read_size(self, remaining: int | None) -> int:
        """Bytes to ask for: never more than is left of a known size."""
        return READ_CHUNK_SIZE if remaining is None else min(READ_CHUNK_SIZE, remaining)

    def _encode(self, chunk: Any) -> bytes:
        data: bytes = chunk  # a binary file's read() gives bytes
        return data

    async def write(self, writer: _Writer) -> None:
        """Stream the file; with a known size, stop as soon as that much is written.

        Stopping without one more (EOF) read matters: the server may answer as soon as the
        announced length has arrived, and a read still pending then would stop the
        connection from being reused. A file that grew meanwhile is cut to the size.
        """
        if self._consumed:
            raise RuntimeError(f"{type(self).__name__} was already sent and cannot be replayed")
        if not self.reusable:
            self._consumed = True
        remaining = self._size
        rewind = True
        while remaining is None or remaining > 0:
            data = await self._next_chunk(rewind, remaining)
            rewind = False
            if not data:
                return
            if remaining is not None:
                data = data[:remaining]
                remaining -= len(data)
            await writer.write(data)

    async def _next_chunk(self, rewind: bool, remaining: int | None) -> bytes:
        size = self._read_size(remaining)
        if self._blocking:
            loop = asyncio.get_running_loop()
            chunk = await loop.run_in_executor(None, self._read, rewind, size)
        else:
            chunk = self._read(rewind, size)
        return self._encode(chunk) if chunk else b""

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        if self._start is None:
            raise TypeError("a non-seekable file cannot be decoded without consuming it")
        self._value.seek(self._start)
        data = self._value.read()
        self._value.seek(self._start)
        return data if isinstance(data, str) else data.decode(self._encoding or encoding, errors)

    def _close(self) -> None:
        super()._close()
        self._value.close()


class TextIOPayload(IOBasePayload):
    """A text file, sent encoded with the payload's charset (UTF-8 unless told otherwise)."""

    def __init__(
        self,
        value: IO[str],
        *args: Any,
        encoding: str | None = None,
        content_type: str | None = None,
        **kwargs: Any,
    ) -> None:
        encoding, content_type = _text_charset(encoding, content_type, kwargs.get("headers"))
        super().__init__(value, *args, encoding=encoding, content_type=content_type, **kwargs)

    def _remaining_size(self) -> int | None:
        """The exact encoded length, learnt by reading small files through once.

        Decoding, newline translation and re-encoding can all change the byte count, so the
        size on disk is no promise (aiohttp sends it and gets the length wrong for CRLF
        files, a BOM or a different charset). Larger files go chunked.
        """
        start = self._start
        backing = _backing_size(self._value)
        if start is None or backing is None or backing > TEXT_SIZE_SCAN_LIMIT:
            return None
        try:
            size: int | None = self._encoded_length(start)
        except (OSError, ValueError):  # UnicodeError is a ValueError: send it chunked
            size = None
        self._value.seek(start)
        return size

    def _read_size(self, remaining: int | None) -> int:
        """Always whole chunks of characters, as ``_encoded_length`` counted them."""
        return READ_CHUNK_SIZE

    def _encoded_length(self, start: int) -> int:
        self._value.seek(start)
        total = 0
        while chunk := self._value.read(READ_CHUNK_SIZE):
            total += len(self._encode(chunk))  # encoded piece by piece, exactly as written
        return total

    def _encode(self, chunk: Any) -> bytes:
        data: bytes = chunk.encode(self._encoding)
        return data


def _backing_size(value: IO[str]) -> int | None:
    """Bytes behind a text stream: a regular file's size, or an in-memory buffer's length."""
    buffer = getattr(value, "buffer", None)
    if isinstance(buffer, io.BytesIO):
        return buffer.getbuffer().nbytes
    try:
        info = os.fstat(value.fileno())
    except (OSError, AttributeError, ValueError):
        return None
    return info.st_size if stat.S_ISREG(info.st_mode) else None


class BytesIOPayload(IOBasePayload):
    _value: io.BytesIO
    _blocking = False  # in memory: reading cannot block
    _autoclose = True

    def _remaining_size(self) -> int | None:
        return max(self._value.getbuffer().nbytes - (self._start or 0), 0)


class BufferedReaderPayload(IOBasePayload):
    """A binary file from ``open(path, 'rb')``; a regular file's size comes from fstat."""

    def _remaining_size(self) -> int | None:
        try:
            info = os.fstat(self._value.fileno())
        except (OSError, AttributeError, ValueError):
            return super()._remaining_size()
        if not stat.S_ISREG(info.st_mode) or self._start is None:
            return None  # pipes and sockets have no length to promise
        return max(info.st_size - self._start, 0)


class JsonPayload(BytesPayload):
    def __init__(
        self,
        value: Any,
        encoding: str = "utf-8",
        content_type: str = "application/json",
        dumps: Callable[[Any], str] = json.dumps,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            dumps(value).encode(encoding),
            *args,
            content_type=content_type,
            encoding=encoding,
            **kwargs,
        )


class AsyncIterablePayload(Payload):
    """A body streamed from an async iterator of bytes: size unknown, sent once.

    ``as_bytes()`` drains it into memory, after which it can be resent like bytes.
    """

    _value: AsyncIterable[bytes]
    _autoclose = True  # the iterator is the caller's to close

    def __init__(self, value: AsyncIterable[bytes], *args: Any, **kwargs: Any) -> None:
        if not isinstance(value, AsyncIterable):
            raise TypeError(f"value argument must support __aiter__, not {type(value)!r}")
        super().__init__(value, *args, **kwargs)
        self._cached: bytes | None = None

    @property
    def reusable(self) -> bool:
        return self._cached is not None

    async def write(self, writer: _Writer) -> None:
        if self._cached is not None:
            await writer.write(self._cached)
            return
        if self._consumed:
            raise RuntimeError("an async iterable body can only be sent once")
        self._consumed = True
        async for chunk in self._value:
            await writer.write(chunk)

    async def as_bytes(self, encoding: str = "utf-8", errors: str = "strict") -> bytes:
        if self._cached is None:
            self._cached = await super().as_bytes()
            self._size = len(self._cached)
        return self._cached


class PayloadRegistry:
    """Maps data types to payload classes; the first ``isinstance`` match wins."""

    def __init__(self) -> None:
        self._entries: dict[Order, list[tuple[Callable[..., Payload], Any]]] = {
            order: [] for order in Order
        }
        # Exact type -> factory: the common bytes/str bodies skip the isinstance scan.
        self._by_type: dict[type, Callable[..., Payload]] = {}

    def get(self, data: Any, *args: Any, **kwargs: Any) -> Payload:
        if isinstance(data, Payload):
            return data
        factory = self._by_type.get(type(data))
        if factory is None:
            factory = self._find(data)
            self._by_type[type(data)] = factory
        return factory(data, *args, **kwargs)

    def _find(self, data: Any) -> Callable[..., Payload]:
        entries = self._entries
        for factory, type_ in chain(
            entries[Order.try_first], entries[Order.normal], entries[Order.try_last]
        ):
            if isinstance(data, type_):
                return factory
        raise LookupError(f"no payload type for {type(data).__name__!r}")

    def register(
        self, factory: Callable[..., Payload], type: Any, *, order: Order = Order.normal
    ) -> None:
        if order not in self._entries:
            raise ValueError(f"Unsupported order {order!r}")
        self._entries[order].append((factory, type))
        self._by_type.clear()


PAYLOAD_REGISTRY = PayloadRegistry()


def get_payload(data: Any, *args: Any, **kwargs: Any) -> Payload:
    """Wrap ``data`` in the payload class registered for its type (LookupError if none)."""
    return PAYLOAD_REGISTRY.get(data, *args, **kwargs)


def register_payload(
    factory: Callable[..., Payload], type: Any, *, order: Order = Order.normal
) -> None:
    PAYLOAD_REGISTRY.register(factory, type, order=order)


class payload_type:  # lower case: aiohttp's public name, used as a decorator
    """``@payload_type(MyData)`` registers the decorated Payload class for ``MyData``."""

    def __init__(self, type: Any, *, order: Order = Order.normal) -> None:
        self.type = type
        self.order = order

    def __call__(self, factory: type[Payload]) -> type[Payload]:
        register_payload(factory, self.type, order=self.order)
        return factory


# Registration order matters within a tier: subclasses before the classes they refine.
register_payload(BytesPayload, (bytes, bytearray, memoryview))
register_payload(StringPayload, str)
register_payload(StringIOPayload, io.StringIO)
register_payload(TextIOPayload, io.TextIOBase)
register_payload(BytesIOPayload, io.BytesIO)
register_payload(BufferedReaderPayload, (io.BufferedReader, io.BufferedRandom))
register_payload(IOBasePayload, io.IOBase)
register_payload(AsyncIterablePayload, AsyncIterable, order=Order.try_last)
