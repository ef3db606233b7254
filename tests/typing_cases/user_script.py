"""A user's annotated code: ``mypy --strict`` must report nothing (tests/test_typing.py).

Written as an aiohttp user writes it; tests/test_typing.py also checks it against aiohttp
itself by swapping the import, so both packages must type it the same.
"""

from __future__ import annotations

import asyncio
from typing import Any, Unpack, assert_type

from multidict import CIMultiDictProxy
from yarl import URL

import aiohttp_clone as aiohttp
from aiohttp_clone import (
    BasicAuth,
    ClientResponse,
    ClientSession,
    ClientTimeout,
    ClientWebSocketResponse,
    ClientWSTimeout,
    WSMessage,
    WSMsgType,
)
from aiohttp_clone.client import _RequestContextManager, _RequestOptions
from aiohttp_clone.typedefs import LooseCookies, LooseHeaders, Query, StrOrURL


async def fetch_json(session: ClientSession, url: str) -> Any:
    async with session.get(url, params={"q": "x", "page": 2}, headers={"Accept": "json"}) as resp:
        assert_type(resp, ClientResponse)
        assert_type(resp.status, int)
        assert_type(resp.reason, str | None)
        assert_type(resp.ok, bool)
        assert_type(resp.url, URL)
        assert_type(resp.headers, CIMultiDictProxy[str])
        assert_type(resp.content_type, str)
        assert_type(resp.charset, str | None)
        resp.raise_for_status()
        return await resp.json()


async def every_verb(session: ClientSession, url: URL) -> None:
    timeout = ClientTimeout(total=5, connect=1)
    async with session.get(url, allow_redirects=False, timeout=timeout) as resp:
        assert_type(await resp.text(), str)
        assert_type(await resp.read(), bytes)
        assert_type(await resp.json(), Any)
    async with session.head(url, allow_redirects=True) as resp:
        assert_type(resp, ClientResponse)
    async with session.options(url, max_redirects=3) as resp:
        assert_type(resp, ClientResponse)

    posted = await session.post(url, json={"name": "x"}, compress="deflate")
    assert_type(posted, ClientResponse)
    posted.release()
    put = await session.put(url, data=b"body", chunked=True, expect100=True)
    assert_type(put, ClientResponse)
    put.release()
    async with session.patch(url, data={"a": "1"}, auth=BasicAuth("user", "pass")) as resp:
        assert_type(resp.status, int)
    async with session.delete(url, cookies={"session": "abc"}, ssl=False) as resp:
        assert_type(resp, ClientResponse)
    async with session.request("PROPFIND", str(url), read_until_eof=False) as resp:
        assert_type(resp, ClientResponse)


async def check_status(resp: ClientResponse) -> None:
    if resp.status >= 500:
        resp.raise_for_status()


async def with_options(session: ClientSession, url: str) -> int:
    async with session.get(
        url,
        raise_for_status=check_status,
        proxy="http://proxy.example:3128",
        proxy_auth=BasicAuth("p", "q"),
        proxy_headers={"X-Trace": "1"},
        skip_auto_headers=("User-Agent",),
        server_hostname="example.com",
        trace_request_ctx={"id": 1},
        read_bufsize=2**16,
        auto_decompress=False,
        max_line_size=8190,
        max_field_size=8190,
        max_headers=128,
        timeout=None,
    ) as resp:
        return resp.status


async def retrying_get(
    session: ClientSession, url: str, **kwargs: Unpack[_RequestOptions]
) -> ClientResponse:
    """A wrapper that forwards every request option, as retry helpers do."""
    return await session.request("GET", url, **kwargs)


async def fetch_with(
    session: ClientSession, url: StrOrURL, headers: LooseHeaders, cookies: LooseCookies, q: Query
) -> bytes:
    """A helper annotated with aiohttp's aliases passes them straight on."""
    async with session.get(url, headers=headers, cookies=cookies, params=q) as resp:
        return await resp.read()


def prepared(session: ClientSession, url: str) -> _RequestContextManager:
    """Handing the unawaited request on, annotated with the type aiohttp names."""
    return session.get(url, allow_redirects=False)


async def concurrently(session: ClientSession, url: str) -> None:
    first, second = await asyncio.gather(session.get(url), prepared(session, url))
    assert_type(first, ClientResponse)
    assert_type(second, ClientResponse)
    task = asyncio.create_task(session.head(url))
    assert_type(task, asyncio.Task[ClientResponse])
    (await task).release()


async def chat(session: ClientSession, url: str) -> list[str]:
    texts: list[str] = []
    timeout = ClientWSTimeout(ws_close=5.0)
    async with session.ws_connect(url, heartbeat=10.0, protocols=("chat",), timeout=timeout) as ws:
        assert_type(ws, ClientWebSocketResponse)
        await ws.send_str("hello")
        await ws.send_json({"op": "subscribe"})
        msg = await ws.receive()
        assert_type(msg, WSMessage)
        assert_type(msg.type, WSMsgType)
        if msg.type is WSMsgType.TEXT:
            texts.append(msg.data)
        async for message in ws:
            assert_type(message, WSMessage)
            if message.type is WSMsgType.CLOSE:
                break
        assert_type(await ws.receive_str(), str)
        assert_type(await ws.receive_bytes(), bytes)
        assert_type(ws.closed, bool)
    ws2 = await session.ws_connect(URL(url), method="GET", autoping=False, compress=15)
    assert_type(ws2, ClientWebSocketResponse)
    assert_type(await ws2.close(), bool)
    return texts


async def one_off(url: str) -> bytes:
    async with aiohttp.request("GET", url, timeout=ClientTimeout(total=2)) as resp:
        assert_type(resp, ClientResponse)
        return await resp.read()


async def main() -> None:
    async with ClientSession(base_url="http://127.0.0.1:8080") as session:
        await fetch_json(session, "/json")
        await every_verb(session, URL("http://127.0.0.1:8080/"))
        await with_options(session, "/")
        await concurrently(session, "/")
        await fetch_with(session, "/", [("Accept", "text/plain")], {"a": "b"}, [("q", 1)])
        (await retrying_get(session, "/", allow_redirects=False, timeout=None)).release()
        await chat(session, "/ws")
    await one_off("http://127.0.0.1:8080/")
