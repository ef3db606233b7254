"""One request sent through the library, and its answer written out for the command-line client.

Kept apart from argument parsing so that what the command does on the wire can be read in one
place: the plan in, an HTTP status out, exceptions left to the caller to turn into exit codes.
"""

from __future__ import annotations

import ssl
import sys
from dataclasses import dataclass
from types import SimpleNamespace
from typing import IO, Any

from .. import (
    ClientResponse,
    ClientSession,
    ClientTimeout,
    TraceConfig,
    TraceRequestHeadersSentParams,
    TraceRequestRedirectParams,
    hdrs,
)
from .download import CHUNK, Download
from .failures import CONNECT_TIMEOUT, Outcome
from .output import (
    BINARY_NOTE,
    Style,
    format_request_head,
    format_response_head,
    is_binary,
    render_body,
)

__all__ = ("Options", "RequestPlan", "perform")


@dataclass
class RequestPlan:
    """The request exactly as it will be sent, decided entirely from the command line."""

    method: str
    url: str
    headers: list[tuple[str, str]]
    query: list[tuple[str, str]]
    body: bytes | None


@dataclass
class Options:
    """How to send the request and how to show the answer."""

    follow: bool = False
    timeout: float | None = None
    proxy: str | None = None
    tls: bool | ssl.SSLContext = True  # the library's ssl= value, built by cli/tls.py
    verbose: bool = False
    body_only: bool = False
    output: str | None = None
    resume: bool = False  # --continue: extend the partial file at ``output``
    save_errors: bool = False  # save ``output`` even when the answer is not a 2xx


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


async def perform(
    plan: RequestPlan, options: Options, out: IO[bytes], style: Style, outcome: Outcome
) -> int:
    """Send the request, write the answer to ``out`` (or the body to ``-o``); return the status.

    ``outcome`` records how far the answer got, for the message if an exception escapes.
    """
    timeout = ClientTimeout(total=options.timeout, sock_connect=CONNECT_TIMEOUT)
    traces = [_Echo(plan.body, out, style).trace_config()] if options.verbose else None
    download = None
    headers = plan.headers
    if options.output is not None:
        download = Download(options.output, options.resume, options.save_errors)
        headers = download.request_headers(headers)
    async with ClientSession(timeout=timeout, trace_configs=traces) as session:
        request: dict[str, Any] = {
            "params": plan.query,
            "headers": headers,
            "data": plan.body,
            "allow_redirects": options.follow,
            "proxy": options.proxy,
            "ssl": options.tls,
        }
        async with session.request(plan.method, plan.url, **request) as response:
            outcome.head_received = True
            if hdrs.CONTENT_ENCODING not in response.headers:
                # Content-Length counts encoded bytes; the count here is of decoded ones
                outcome.expected_bytes = response.content_length
            if not options.body_only:
                out.write(response_head(response, style))
            out.flush()
            status = response.status
            if download is not None:
                status = await download.save(response, outcome, sys.stderr.isatty())
            else:
                await write_body(response, out, out.isatty(), outcome)
            out.flush()
            return status


async def write_body(
    response: ClientResponse, out: IO[bytes], for_terminal: bool, outcome: Outcome
) -> None:
    """Text and JSON in full (JSON has to be parsed whole); binary streamed, or refused on a TTY."""
    chunks = response.content.iter_chunked(CHUNK)
    first = await anext(chunks, b"")
    outcome.body_bytes += len(first)
    if not first:
        return
    if is_binary(first):
        if for_terminal:  # raw bytes would garble the terminal, and may be huge
            response.close()
            out.write(BINARY_NOTE)
            return
        out.write(first)
        async for chunk in chunks:
            outcome.body_bytes += len(chunk)
            out.write(chunk)
        return
    parts = [first]
    async for chunk in chunks:
        outcome.body_bytes += len(chunk)
        parts.append(chunk)
    body = b"".join(parts)
    out.write(render_body(body, response.content_type, response.charset, for_terminal))
