"""Mistakes a type checker must catch: each line marked ``# E: <code>`` has to get exactly that
mypy error under ``--strict``, and no other line may get one (tests/test_typing.py)."""

from __future__ import annotations

from typing import Any

from yarl import URL

import aiohttp_clone as aiohttp
from aiohttp_clone import ClientResponse, ClientSession, ClientTimeout


async def keyword_mistakes(session: ClientSession, url: str) -> None:
    session.get(url, alow_redirects=False)  # E: call-arg
    session.get(url, allow_redirects="no")  # E: arg-type
    session.head(url, max_redirects="10")  # E: arg-type
    session.post(url, timeout=5)  # E: arg-type
    session.put(url, headers=42)  # E: arg-type
    session.patch(url, params={"q": None})  # E: dict-item
    session.delete(url, auth=("user", "pass"))  # E: arg-type
    session.options(url, ssl="no")  # E: arg-type
    session.request("GET", url, proxy=8080)  # E: arg-type
    session.get(url, raise_for_status=lambda resp: None)  # E: arg-type, return-value
    session.get(url, verify_ssl=False)  # E: call-arg
    session.get(42)  # E: arg-type
    session.post(url, chunked="yes")  # E: arg-type
    session.ws_connect(url, heartbeat="30")  # E: arg-type
    session.ws_connect(url, protocol="chat")  # E: call-arg
    aiohttp.request("GET", url, timeout=10)  # E: arg-type


async def response_mistakes(session: ClientSession, url: str) -> None:
    pending = session.get(url)
    print(pending.status)  # E: attr-defined
    unawaited: ClientResponse = session.post(url)  # E: assignment
    print(unawaited)
    async with session.get(url) as resp:
        resp.status()  # E: operator
        await resp.status  # E: misc
        body: bytes = await resp.text()  # E: assignment
        resp.json()  # E: unused-coroutine
        payload: dict[str, Any] = resp.json()  # E: assignment
        print(body, payload)
    posted = await session.post(url, json={})
    async with posted.json() as doc:  # E: attr-defined
        print(doc)


async def websocket_mistakes(session: ClientSession, url: URL) -> None:
    session.ws_connect(url, timeout=ClientTimeout(total=5))  # E: arg-type
    pending = session.ws_connect(url)
    await pending.send_str("hello")  # E: attr-defined
    async with session.ws_connect(url) as ws:
        text: str = await ws.receive()  # E: assignment
        await ws.send_str(b"bytes")  # E: arg-type
        print(text)
