"""How an exchange that went wrong is told: one line on stderr, and the exit code ``--help`` gives.

The line names what happened as precisely as the library's exception and the CLI's own count
allow: which timeout fired, and how many body bytes had arrived of how many, so "timed out" on
a download that was 99 % done reads differently from one that never started.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from .. import (
    ClientConnectorError,
    ClientError,
    ClientPayloadError,
    ConnectionTimeoutError,
    InvalidURL,
    NonHttpUrlClientError,
    RedirectClientError,
    ServerTimeoutError,
    TooManyRedirects,
)
from .._values import DEFAULT_TIMEOUT
from .exits import (
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_NETWORK,
    EXIT_TOO_MANY_REDIRECTS,
    PROG,
)

__all__ = ("DownloadRefused", "Outcome", "describe", "exit_code_for", "report", "report_partial")


def _library_connect_timeout() -> float:
    """The library's default ``sock_connect``: without --timeout, the command still gives up on
    a host that never answers, as a session with default timeouts does."""
    seconds = DEFAULT_TIMEOUT.sock_connect
    assert seconds is not None, "the library's default timeout bounds connecting"
    return float(seconds)


CONNECT_TIMEOUT = _library_connect_timeout()


class DownloadRefused(Exception):
    """``-o`` would have saved something that is not the file; ``exit_code`` says what instead."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass
class Outcome:
    """How far the exchange got, filled in as it goes, for the message when it breaks off."""

    head_received: bool = False
    body_bytes: int = 0
    expected_bytes: int | None = None  # Content-Length, when the body is not content-coded
    partial_file: str | None = None  # a download that stopped with bytes on disk
    partial_size: int = 0
    full_size: int | None = None  # of that file, when the server said

    def body_progress(self) -> str:
        if self.expected_bytes is None:
            return f"{self.body_bytes} body bytes (length not announced)"
        return f"{self.body_bytes} of {self.expected_bytes} body bytes"


def report(kind: str, message: str) -> None:
    """One line on stderr, ``aiohttp-clone: error: ...``, whatever newlines the message held."""
    one_line = " ".join(message.split())
    print(f"{PROG}: {kind}: {one_line}", file=sys.stderr, flush=True)


def report_partial(outcome: Outcome) -> None:
    """Say where a broken download's bytes are and how to carry on from them."""
    if outcome.partial_file is None:
        return
    of_total = f" of {outcome.full_size}" if outcome.full_size is not None else ""
    report(
        "note",
        f"partial download kept: {outcome.partial_file} ({outcome.partial_size}{of_total} bytes);"
        " run the same command with --continue (-c) to resume it",
    )


def _what_happened(exc: BaseException, timeout: float | None) -> str:
    if isinstance(exc, KeyboardInterrupt):
        return "Interrupted"
    if isinstance(exc, ConnectionTimeoutError):
        return f"{exc} (no connection within {CONNECT_TIMEOUT:g} s)"
    if isinstance(exc, ServerTimeoutError):
        return str(exc) or type(exc).__name__  # the read timeout names its seconds
    if isinstance(exc, TimeoutError):
        return f"Request timed out after {timeout:g} s (--timeout)" if timeout else "Timed out"
    if isinstance(exc, RedirectClientError):
        why = "not http(s)" if isinstance(exc, NonHttpUrlClientError) else "not a valid URL"
        return f"Cannot follow the server's redirect to {exc}: {why}"
    if isinstance(exc, ClientConnectorError | ValueError | OSError | DownloadRefused):
        return str(exc)  # already "Cannot connect to host H:P ssl:... [reason]" and the like
    detail = str(exc)
    return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__


def describe(exc: BaseException, outcome: Outcome, timeout: float | None) -> str:
    """The message for ``exc``; once the answer had begun, how much of its body had arrived."""
    what = _what_happened(exc, timeout)
    if not outcome.head_received or isinstance(exc, DownloadRefused):
        return what
    if isinstance(exc, KeyboardInterrupt):
        return f"Interrupted after {outcome.body_progress()}"
    if isinstance(exc, ClientPayloadError):
        return f"The response broke off after {outcome.body_progress()}: {what}"
    return f"Transfer failed after {outcome.body_progress()}: {what}"


def exit_code_for(exc: BaseException) -> int | None:
    """The exit code for a failure the user can meet; None for a bug (let its traceback show)."""
    if isinstance(exc, DownloadRefused):
        return exc.exit_code
    if isinstance(exc, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    if isinstance(exc, TooManyRedirects):
        return EXIT_TOO_MANY_REDIRECTS
    if isinstance(exc, RedirectClientError):
        return EXIT_NETWORK  # the server's Location was unusable, not the user's URL
    if isinstance(exc, InvalidURL | NonHttpUrlClientError):
        return EXIT_ERROR
    if isinstance(exc, ClientError | TimeoutError):
        return EXIT_NETWORK
    if isinstance(exc, ValueError | OSError):  # a header the library refuses; a local file
        return EXIT_ERROR
    return None
