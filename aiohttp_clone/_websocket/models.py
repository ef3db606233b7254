"""The websocket vocabulary shared by the codec and the client: message types, close codes,
messages and the protocol error.

Values match aiohttp's so code written against it (``msg.type == WSMsgType.TEXT``, comparing
``ws.close_code`` with ``WSCloseCode.OK``) works unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from enum import IntEnum
from typing import Any, NamedTuple

__all__ = ("WS_KEY", "WSCloseCode", "WSMessage", "WSMsgType", "WebSocketError")


WS_KEY = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
"""The GUID RFC 6455 section 1.3 appends to Sec-WebSocket-Key to compute the accept value."""


class WSCloseCode(IntEnum):
    """Close status codes (RFC 6455 section 7.4 and the IANA registry)."""

    # RFC 6455 section 7.4.1; 1004 is reserved and 1005 never travels in a frame.
    OK = 1000
    GOING_AWAY = 1001
    PROTOCOL_ERROR = 1002
    UNSUPPORTED_DATA = 1003
    ABNORMAL_CLOSURE = 1006  # the connection dropped without a close frame (local only)
    INVALID_TEXT = 1007
    POLICY_VIOLATION = 1008
    MESSAGE_TOO_BIG = 1009
    MANDATORY_EXTENSION = 1010
    INTERNAL_ERROR = 1011
    # Registered with IANA after the RFC.
    SERVICE_RESTART = 1012
    TRY_AGAIN_LATER = 1013
    BAD_GATEWAY = 1014


class WSMsgType(IntEnum):
    """Frame opcodes (RFC 6455 section 5.2) plus the client's own state markers (>= 256)."""

    # Opcodes as the frame header carries them. Iteration order is aiohttp's (observable:
    # list(WSMsgType)), which puts CLOSE after the ping/pong pair.
    CONTINUATION = 0
    TEXT = 1
    BINARY = 2
    PING = 9
    PONG = 10
    CLOSE = 8
    # States a receive() reports that no frame carries.
    CLOSING = 256
    CLOSED = 257
    ERROR = 258

    # aiohttp also accepts the lower-case spellings (``WSMsgType.text``).
    text, binary, close = TEXT, BINARY, CLOSE
    ping, pong = PING, PONG
    closing, closed, error = CLOSING, CLOSED, ERROR


class WSMessage(NamedTuple):
    """One received message: ``data`` is str (TEXT), bytes (BINARY, PING, PONG), the close
    code (CLOSE, with the reason in ``extra``) or the exception (ERROR)."""

    type: WSMsgType
    data: Any
    extra: str | None

    def json(self, *, loads: Callable[[Any], Any] = json.loads) -> Any:
        """Parse the payload of a TEXT or BINARY message as JSON."""
        return loads(self.data)


class WebSocketError(Exception):
    """A protocol violation by the peer; ``code`` is what the connection is closed with."""

    def __init__(self, code: int, message: str) -> None:
        self.code = code
        super().__init__(code, message)
        # Set by WebSocketReader.feed_data: the messages completed in that call before the
        # error, which are delivered ahead of it (they arrived intact).
        self.messages: list[WSMessage] = []

    def __str__(self) -> str:
        return str(self.args[1])


WS_CLOSED_MESSAGE = WSMessage(WSMsgType.CLOSED, None, None)
WS_CLOSING_MESSAGE = WSMessage(WSMsgType.CLOSING, None, None)
