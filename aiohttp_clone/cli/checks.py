"""Bad input, caught before anything is sent: the checks both commands share.

A usage error exits with ``EXIT_ERROR`` (1), as ``--help`` promises, not argparse's own 2, which
``--help`` gives to network errors.
"""

from __future__ import annotations

import argparse
import math
import sys
from typing import NoReturn

from yarl import URL

from .._http.rules import CTL_EXCEPT_HTAB_RE, TOKEN_RE
from .exits import EXIT_ERROR

__all__ = (
    "UsageParser",
    "check_header",
    "check_method",
    "check_url",
    "normalise_url",
    "positive_int",
    "positive_seconds",
)

_SCHEMES = ("http", "https")


class UsageParser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors exit 1, the code ``--help`` gives to bad input."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_ERROR, f"{self.prog}: error: {message}\n")


def positive_seconds(text: str) -> float:
    """An argparse type: a finite number of seconds above zero (0 would mean "no limit")."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"{text!r}: must be a number of seconds above 0")
    return value


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: must be at least 1")
    return value


def normalise_url(url: str) -> str:
    """Let people type what they mean: ``example.org`` and ``:8080/path`` (localhost)."""
    if url.startswith(":"):
        url = "localhost" + url
    if "://" not in url:
        url = "http://" + url
    return url


def check_url(text: str, what: str = "URL") -> str:
    """``text`` normalised; ValueError with a message for the user when it cannot be requested."""
    url_text = normalise_url(text)
    try:
        url = URL(url_text)
        host = url.host  # a port out of range is only noticed here
    except (ValueError, TypeError) as exc:
        raise ValueError(f"invalid {what} {text!r}: {exc}") from None
    if url.scheme.lower() not in _SCHEMES:
        raise ValueError(
            f"unsupported {what} scheme {url.scheme!r} in {text!r}: use http:// or https://"
        )
    if not host:
        raise ValueError(f"invalid {what} {text!r}: no host name")
    return url_text


def check_method(method: str) -> str:
    """``method`` if it is a token (RFC 9110 section 9.1); ValueError otherwise."""
    if not TOKEN_RE.fullmatch(method):
        raise ValueError(f"{method!r} is not an HTTP method name")
    return method


def check_header(name: str, value: str) -> tuple[str, str]:
    """The header when it can go on the wire; ValueError otherwise, before any connection."""
    if not TOKEN_RE.fullmatch(name):
        raise ValueError(f"invalid header name {name!r}: must be a token (no spaces, no ':')")
    if CTL_EXCEPT_HTAB_RE.search(value):
        raise ValueError(f"header {name!r}: a value cannot hold CR, LF or other control characters")
    return name, value
