"""The sans-I/O websocket codec (RFC 6455, RFC 7692): bytes in, messages out, and back.

One concern per module: ``models`` (message types, close codes, messages, the protocol error),
``reader`` (frames to messages), ``writer`` (messages to masked frames, permessage-deflate
negotiation) and ``mask`` (the switch between the C twin ``mask_c`` and ``mask_py``). Nothing
here imports the client layers above.
"""

from .models import (
    WS_CLOSED_MESSAGE,
    WS_CLOSING_MESSAGE,
    WS_KEY,
    WebSocketError,
    WSCloseCode,
    WSMessage,
    WSMsgType,
)
from .reader import WebSocketReader
from .writer import WebSocketWriter, deflate_offer, negotiate_deflate

__all__ = (
    "WS_CLOSED_MESSAGE",
    "WS_CLOSING_MESSAGE",
    "WS_KEY",
    "WSCloseCode",
    "WSMessage",
    "WSMsgType",
    "WebSocketError",
    "WebSocketReader",
    "WebSocketWriter",
    "deflate_offer",
    "negotiate_deflate",
)
