"""Mocked HTTP responses for tests, at the connection level.

::

    from aiohttp_clone.testing import MockResponses

    with MockResponses() as m:
        m.get("https://api.example.com/items", payload={"items": []})
        async with aiohttp_clone.ClientSession() as session:
            async with session.get("https://api.example.com/items") as resp:
                assert await resp.json() == {"items": []}
        m.assert_called_once_with("https://api.example.com/items")

The API is aioresponses' (``aioresponses`` is an alias of ``MockResponses``), but the answers
are bytes on an in-memory connection, so the whole client runs on them: redirects, cookies,
``raise_for_status``, middlewares, tracing, decompression, timeouts and streaming. A request no
registration matches raises ``UnmockedRequestError``; nothing reaches the network unless it is
passed through. The ``mock_http`` pytest fixture (``aiohttp_clone.testing.pytest_plugin``) gives
an active ``MockResponses``.
"""

from ._mock import MockResponses, UnmockedRequestError
from ._reply import CallbackResult
from ._request import RequestCall

aioresponses = MockResponses
"""aioresponses' name, so ``from aiohttp_clone.testing import aioresponses`` migrates a test."""

__all__ = ("CallbackResult", "MockResponses", "RequestCall", "UnmockedRequestError", "aioresponses")
