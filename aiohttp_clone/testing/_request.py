"""The requests the client writes, read back from its bytes, and the record kept of each.

The reader only ever reads what ``ClientRequest`` wrote (a request line, header lines, a body
framed by Content-Length or chunked), so it is small; anything else is reported as an error
rather than guessed at.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from multidict import CIMultiDict, CIMultiDictProxy, MultiDict
from yarl import URL

from .. import hdrs

__all__ = ("RequestCall", "RequestReader")

_FORM = "application/x-www-form-urlencoded"


class RequestCall:
    """One request the mock received, as it went over the wire.

    ``args`` and ``kwargs`` keep the shape of aioresponses' record: ``kwargs["headers"]`` (every
    header sent, automatic ones included), ``kwargs["json"]`` (the parsed body of a JSON
    request, else None) and ``kwargs["data"]`` (a form body as a ``MultiDict``, any other body
    as bytes, None when there is none or it is JSON).
    """

    __slots__ = ("args", "body", "headers", "kwargs", "method", "url")

    def __init__(self, method: str, url: URL, headers: CIMultiDict[str], body: bytes) -> None:
        self.method = method
        self.url = url
        self.headers = CIMultiDictProxy(headers)
        self.body = body
        self.args: tuple[Any, ...] = ()
        self.kwargs: dict[str, Any] = {
            "headers": self.headers, "data": self._data(), "json": self._json(),
        }  # fmt: skip

    def __repr__(self) -> str:
        return f"<RequestCall {self.method} {self.url} body={len(self.body)} bytes>"

    @property
    def content_type(self) -> str:
        return self.headers.get(hdrs.CONTENT_TYPE, "").partition(";")[0].strip().lower()

    def text(self, encoding: str = "utf-8") -> str:
        return self.body.decode(encoding)

    def json(self) -> Any:
        """The body parsed as JSON (raises ``ValueError`` if it is not JSON)."""
        return json.loads(self.body)

    def _json(self) -> Any:
        if not self.body or not _is_json(self.content_type):
            return None
        try:
            return self.json()
        except ValueError:
            return None

    def _data(self) -> Any:
        if not self.body or _is_json(self.content_type):
            return None
        if self.content_type == _FORM:
            return MultiDict(parse_qsl(self.body.decode("latin-1"), keep_blank_values=True))
        return self.body


def _is_json(content_type: str) -> bool:
    return content_type == "application/json" or content_type.endswith("+json")


class ParsedRequest:
    """A complete request: its head and its whole body (chunked framing removed)."""

    __slots__ = ("body", "headers", "method", "target")

    def __init__(self, method: str, target: str, headers: CIMultiDict[str], body: bytes) -> None:
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body


class RequestReader:
    """Collects written bytes and returns each request once its body is complete."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._head: tuple[str, str, CIMultiDict[str]] | None = None
        self._length: int | None = None  # Content-Length of the body being read
        self._chunks: list[bytes] = []
        self.continue_wanted = False
        """Set when a head asked for ``100 Continue``; the transport clears it after answering."""

    def feed(self, data: bytes) -> list[ParsedRequest]:
        """Take ``data``; return the requests it completes. Raises ``ValueError`` on bytes no
        client request could hold."""
        self._buffer += data
        done: list[ParsedRequest] = []
        while True:
            if self._head is None and not self._read_head():
                return done
            body = self._read_body()
            if body is None:
                return done
            method, target, headers = self._head  # type: ignore[misc]
            done.append(ParsedRequest(method, target, headers, body))
            self._head = None

    def _read_head(self) -> bool:
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            return False
        lines = bytes(self._buffer[:end]).decode("utf-8", "surrogateescape").split("\r\n")
        del self._buffer[: end + 4]
        method, target, _version = lines[0].split(" ")
        headers: CIMultiDict[str] = CIMultiDict()
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if not sep:
                raise ValueError(f"a header line without a colon: {line!r}")
            headers.add(name, value.strip(" \t"))
        self._head = (method, target, headers)
        chunked = "chunked" in headers.get(hdrs.TRANSFER_ENCODING, "").lower()
        self._length = None if chunked else int(headers.get(hdrs.CONTENT_LENGTH, "0"))
        self._chunks = []
        expect = headers.get(hdrs.EXPECT, "").lower() == "100-continue"
        self.continue_wanted = expect and (chunked or bool(self._length))
        return True

    def _read_body(self) -> bytes | None:
        if self._length is not None:
            if len(self._buffer) < self._length:
                return None
            body = bytes(self._buffer[: self._length])
            del self._buffer[: self._length]
            return body
        return self._read_chunks()

    def _read_chunks(self) -> bytes | None:
        while True:
            line_end = self._buffer.find(b"\r\n")
            if line_end < 0:
                return None
            size = int(bytes(self._buffer[:line_end]).partition(b";")[0], 16)
            if size == 0:
                trailer_end = self._buffer.find(b"\r\n\r\n", line_end)
                if trailer_end < 0:
                    return None
                del self._buffer[: trailer_end + 4]
                return b"".join(self._chunks)
            start = line_end + 2
            if len(self._buffer) < start + size + 2:
                return None
            self._chunks.append(bytes(self._buffer[start : start + size]))
            del self._buffer[: start + size + 2]
