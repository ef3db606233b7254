"""The sans-I/O websocket codec in one import: models, frame reader, frame writer and the
permessage-deflate negotiation. Split over three modules to keep each one concern:
``websocket_models``, ``websocket_reader``, ``websocket_writer`` (mask: ``websocket_mask``).
"""

from .websocket_models import (
    WS_CLOSED_MESSAGE,
    WS_CLOSING_MESSAGE,
    WebSocketError,
    WSCloseCode,
    WSMessage,
    WSMsgType,
)
from .websocket_reader import WebSocketReader
from .websocket_writer import WebSocketWriter, deflate_offer, negotiate_deflate

__all__ = (
    "WS_CLOSED_MESSAGE",
    "WS_CLOSING_MESSAGE",
    "WSCloseCode",
    "WSMessage",
    "WSMsgType",
    "WebSocketError",
    "WebSocketReader",
    "WebSocketWriter",
    "deflate_offer",
    "negotiate_deflate",
)
