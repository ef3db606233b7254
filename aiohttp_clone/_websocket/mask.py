"""The websocket mask, C twin or pure-Python twin, chosen once at import time by ``_twins``."""

from collections.abc import Callable

from .._twins import ACTIVE, load

websocket_mask: Callable[[bytes, bytearray], None] = load(
    "websocket_mask", "aiohttp_clone._websocket.mask_c", "aiohttp_clone._websocket.mask_py"
).websocket_mask

USING_C_EXTENSIONS: bool = ACTIVE["websocket_mask"]
"""Whether the websocket mask is the C twin."""

__all__ = ("USING_C_EXTENSIONS", "websocket_mask")
