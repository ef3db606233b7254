"""The websocket mask, C twin or pure-Python twin, chosen once at import time.

``USING_C_EXTENSIONS`` says which one is active; nothing else imports a twin directly.
"""

from collections.abc import Callable

from ._extensions import NO_EXTENSIONS
from ._websocket_mask_py import websocket_mask as _py_websocket_mask

websocket_mask: Callable[[bytes, bytearray], None] = _py_websocket_mask
if not NO_EXTENSIONS:
    try:
        from ._websocket_mask import websocket_mask
    except ImportError:
        pass

USING_C_EXTENSIONS: bool = websocket_mask is not _py_websocket_mask

__all__ = ("USING_C_EXTENSIONS", "websocket_mask")
