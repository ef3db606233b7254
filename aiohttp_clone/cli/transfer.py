"""One request sent through the library, and its answer written out for the command-line client.

Kept apart from argument parsing so that what the command does on the wire can be read in one
place: the plan in, an HTTP status out, exceptions left to the caller to turn into exit codes.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from types import SimpleNamespace
from typing import IO, Any

from .. import hdrs
from ..client import ClientSession, ClientTimeout
from ..client_reqrep import ClientResponse
from ..helpers import BasicAuth
from ..tracing import TraceConfig, TraceRequestHeadersSentParams, TraceRequestRedirectParams
from .output import (
    BINARY_NOTE,
    Style,
    format_request_head,
    format_response_head,
    is_binary,
    render_body,
)
from .progress import Progress

__all__ = ("Options", "RequestPlan", "perform")

CHUNK = 65536  # bytes per read when streaming a body: large enough to keep syscalls rare
CONNECT_TIMEOUT = 30.0  # without --timeout, still give up on a host that never answers


@dataclass
class RequestPlan:
    """The request exactly as it will be sent, decided entirely from the command line."""

    method: str
    url: str
    headers: list[tuple[str, str]]
    query: list[tuple[str, str]]
    body: bytes | None
    auth: BasicAuth | None


@dataclass
class Options:
    """How to send the request and how to show the answer."""

    follow: bool = False
    timeout: float | None = None
    proxy: str | None = None
    insecure: bool = False
    verbose: bool = False
    body_only: bool = False
    output: str | None = None


class _Echo:
    """Writes each request head as it goes out (``--verbose``) and each redirect it answers."""

    def __init__(self, body: bytes | None, out: IO[bytes], style: Style) -> None:
        self._body = body
        self._out = out
        self._style = style
        self._hops = 0

    def trace_config(self) -> TraceConfig:
        config = TraceConfig()
        config.on_request_headers_sent.append(self._on_headers_sent)
        config.on_request_redirect.append(self._on_redirect)
        return config

    async def _on_headers_sent(
        self, session: ClientSession, ctx: SimpleNamespace, params: TraceRequestHeadersSentParams
    ) -> None:
        self._out.write(
            format_request_head(params.method, params.url, params.headers.items(), self._style)
        )
        if self._body and not self._hops:  # a redirect may drop the body; show it once
            self._out.write(self._body + b"\n\n")
        self._hops += 1
        self._out.flush()

    async def _on_redirect(
        self, session: ClientSession, ctx: SimpleNamespace, params: TraceRequestRedirectParams
    ) -> None:
        self._out.write(response_head(params.response, self._style) + b"\n")


def response_head(response: ClientResponse, style: Style) -> bytes:
    version = response.version
    version_text = f"HTTP/{version.major}.{version.minor}" if version else "HTTP/1.1"
    return format_response_head(
        version_text, response.status, response.reason or "", response.raw_headers, style
    )


async def perform(plan: RequestPlan, options: Options, out: IO[bytes], style: Style) -> int:
    """Send the request, write the answer to ``out`` (or the body to ``-o``); return the status."""
    timeout = ClientTimeout(total=options.timeout, sock_connect=CONNECT_TIMEOUT)
    traces = [_Echo(plan.body, out, style).trace_config()] if options.verbose else None
    async with ClientSession(timeout=timeout, trace_configs=traces) as session:
        request: dict[str, Any] = {
            "params": plan.query,
            "headers": plan.headers,
            "data": plan.body,
            "auth": plan.auth,
            "allow_redirects": options.follow,
            "proxy": options.proxy,
            "ssl": not options.insecure,
        }
        async with session.request(plan.method, plan.url, **request) as response:
            if not options.body_only:
                out.write(response_head(response, style))
            out.flush()
            if options.output is not None:
                await download(response, options.output, sys.stderr.isatty())
            else:
                await write_body(response, out, out.isatty())
            out.flush()
            return response.status


async def write_body(response: ClientResponse, out: IO[bytes], for_terminal: bool) -> None:
    """Text and JSON in full (JSON has to be parsed whole); binary streamed, or refused on a TTY."""
    first = await response.content.read(CHUNK)
    if not first:
        return
    if is_binary(first):
        if for_terminal:  # raw bytes would garble the terminal, and may be huge
            response.close()
            out.write(BINARY_NOTE)
            return
        out.write(first)
        async for chunk in response.content.iter_chunked(CHUNK):
            out.write(chunk)
        return
    body = first + await response.content.read()
    out.write(render_body(body, response.content_type, response.charset, for_terminal))


async def download(response: ClientResponse, path: str, show_progress: bool) -> None:
    """Stream the body to ``path`` a chunk at a time, so its size never matters."""
    total = response.content_length
    if hdrs.CONTENT_ENCODING in response.headers:
        total = None  # Content-Length counts encoded bytes; the file gets decoded ones
    progress = Progress(total, sys.stderr) if show_progress else None
    with open(path, "wb") as file:
        async for chunk in response.content.iter_chunked(CHUNK):
            file.write(chunk)
            if progress is not None:
                progress.update(len(chunk))
    if progress is not None:
        progress.finish()
