"""aiohttp's ``http_websocket`` path: the websocket codec's public names (``_websocket/``)."""

from ._websocket import (
    WS_CLOSED_MESSAGE,
    WS_CLOSING_MESSAGE,
    WS_KEY,
    WebSocketError,
    WebSocketReader,
    WebSocketWriter,
    WSCloseCode,
    WSMessage,
    WSMsgType,
)

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
)
