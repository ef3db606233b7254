"""A mocked response, described (``CallbackResult``) and serialized to HTTP/1.1 bytes.

The bytes go through the client's real parser, so framing is written here as a server would:
Content-Length unless the description frames the body itself, chunked framing when it says
``Transfer-Encoding: chunked``, no body for HEAD, 204 and 304. A description that declares a
length its body does not have is sent as it is and the connection is then closed, so the
client meets a truncated body exactly as it would from a real server.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from multidict import CIMultiDict

from .. import hdrs
from .._http.head import check_field, encode_head

__all__ = ("CallbackResult", "Reply", "ResponseHeaders")

ResponseHeaders = Mapping[str, str] | Sequence[tuple[str, str]]
"""A dict, a multidict, or (name, value) pairs (several Set-Cookie fields need pairs)."""

_PIECE = 64 * 1024
"""A long body is handed to the connection in reads of this size, as a socket would."""

_NO_BODY_STATUSES = frozenset((204, 304))


class CallbackResult:
    """What a mocked response is: status, headers, body or JSON payload (aioresponses' class).

    A ``callback=`` returns one (or None for the registration's own); ``m.add`` builds one from
    its arguments. ``body`` may be a list of byte strings: each is then its own network read
    (and, with ``Transfer-Encoding: chunked``, its own chunk).
    """

    def __init__(
        self,
        method: str = "GET",
        status: int = 200,
        body: str | bytes | Sequence[bytes] = "",
        content_type: str = "application/json",
        payload: Any = None,
        headers: ResponseHeaders | None = None,
        reason: str | None = None,
    ) -> None:
        """``method`` is accepted as aioresponses accepts it; the request's method is the one
        on the wire, so it changes nothing."""
        if not isinstance(status, int) or not 200 <= status <= 999:
            raise ValueError(
                f"status must be a final status code (200-999), not {status!r}: interim 1xx "
                "responses cannot be mocked"
            )
        self.method = method
        self.status = status
        self.body = body
        self.content_type = content_type
        self.payload = payload
        self.headers: CIMultiDict[str] = _header_multidict(headers)
        self.reason = _reason(status) if reason is None else reason
        check_field("the reason phrase", self.reason)
        check_field("content_type", content_type)
        # Refused now, at registration, rather than when a request is answered.
        encode_head("HTTP/1.1 200 OK", self.headers)
        self.pieces = _body_pieces(body, payload)


@dataclass
class Reply:
    """The bytes of one answer, in the reads they arrive in, and whether the server hangs up
    after them."""

    pieces: list[bytes]
    close_after: bool


def serialize(result: CallbackResult, request_method: str, keep_alive: bool) -> Reply:
    """``result`` as the bytes a server would send in answer to ``request_method``."""
    headers = result.headers.copy()
    if hdrs.CONTENT_TYPE not in headers:
        headers[hdrs.CONTENT_TYPE] = result.content_type
    has_body = request_method != "HEAD" and result.status not in _NO_BODY_STATUSES
    pieces = result.pieces
    size = sum(map(len, pieces))
    close_after = not keep_alive or _asks_to_close(headers)
    if "chunked" in headers.get(hdrs.TRANSFER_ENCODING, "").lower():
        pieces = [b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces if piece]
        pieces.append(b"0\r\n\r\n")
    elif hdrs.CONTENT_LENGTH in headers:
        declared = headers[hdrs.CONTENT_LENGTH]
        if has_body and declared != str(size):
            close_after = True  # a wrong length leaves the stream unusable: hang up after it
    elif result.status not in _NO_BODY_STATUSES:
        headers[hdrs.CONTENT_LENGTH] = str(size)
    status_line = f"HTTP/1.1 {result.status} {result.reason}"  # the space stays (RFC 9112 4)
    head = encode_head(status_line, headers)
    if not has_body:
        return Reply([head], close_after)
    if len(pieces) == 1 and isinstance(result.body, (str, bytes)):
        # One body: sent with the head, split into socket-sized reads when long.
        data = head + pieces[0]
        return Reply([data[i : i + _PIECE] for i in range(0, len(data), _PIECE)], close_after)
    return Reply([head, *pieces], close_after)


def _asks_to_close(headers: CIMultiDict[str]) -> bool:
    return any(
        token.strip().lower() == "close"
        for value in headers.getall(hdrs.CONNECTION, ())
        for token in value.split(",")
    )


def _header_multidict(headers: ResponseHeaders | None) -> CIMultiDict[str]:
    if headers is None:
        return CIMultiDict()
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    result: CIMultiDict[str] = CIMultiDict()
    for name, value in pairs:
        if not isinstance(name, str) or not isinstance(value, str):
            raise TypeError(f"header names and values must be str, not {name!r}: {value!r}")
        result.add(name, value)
    return result


def _body_pieces(body: str | bytes | Sequence[bytes], payload: Any) -> list[bytes]:
    if payload is not None:
        return [json.dumps(payload).encode()]
    if isinstance(body, str):
        return [body.encode()]
    if isinstance(body, (bytes, bytearray, memoryview)):
        return [bytes(body)]
    pieces = list(body)
    for piece in pieces:
        if not isinstance(piece, (bytes, bytearray)):
            raise TypeError(f"each piece of a body must be bytes, not {type(piece).__name__}")
    return [bytes(piece) for piece in pieces] or [b""]


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
