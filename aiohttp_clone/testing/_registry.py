"""Registrations and how a request finds one: exact URLs, regular expressions, repeat counts.

Kept apart from the transport so the matching rules (aioresponses' rules) read in one place:
the first registration, in the order they were added, whose method and URL match answers, and
one that is used up (``repeat``) is skipped from then on.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from yarl import URL

from ._reply import CallbackResult

__all__ = ("Registration", "Registry", "normalize_url")

def normalize_url(url: str | URL) -> URL:
    """The form two URLs are compared in: no default port, no fragment or credentials, ``/`` for
    an empty path and the query sorted by name (as aioresponses keys its calls)."""
    url = URL(url)
    if not url.absolute:
        raise ValueError(f"an absolute URL (with scheme and host) is needed, not {str(url)!r}")
    return URL.build(
        scheme=url.scheme,
        host=url.raw_host or "",
        port=None if url.is_default_port() else url.port,
        path=url.raw_path or "/",
        query_string=url.with_query(sorted(url.query.items())).raw_query_string,
        encoded=True,
    )


@dataclass
class Registration:
    """One ``m.add(...)``: what it matches, how it answers, how many more times it may."""

    method: str
    url: URL | re.Pattern[str]
    response: CallbackResult
    exception: BaseException | None
    callback: Callable[..., Any] | None
    remaining: int | None
    """Answers left; None answers forever (``repeat=True``)."""
    delay: float
    """Seconds the server takes before it starts to answer."""

    def matches(self, method: str, url: URL, normalized: URL) -> bool:
        if method != self.method:
            return False
        if isinstance(self.url, URL):
            return self.url == normalized
        return self.url.match(str(url)) is not None

    def describe(self) -> str:
        target = self.url.pattern if isinstance(self.url, re.Pattern) else str(self.url)
        times = "always" if self.remaining is None else f"{self.remaining} more"
        return f"{self.method} {target} ({times})"


class Registry:
    """The registrations in the order they were added."""

    def __init__(self) -> None:
        self._entries: list[Registration] = []

    def add(self, registration: Registration) -> None:
        self._entries.append(registration)

    def clear(self) -> None:
        self._entries.clear()

    def find(self, method: str, url: URL, normalized: URL) -> Registration | None:
        """The registration that would answer ``method url`` (``normalized`` is
        ``normalize_url(url)``) now; nothing is used up."""
        for registration in self._entries:
            if registration.matches(method, url, normalized):
                return registration
        return None

    def use(self, registration: Registration) -> None:
        """Count one answer; a registration with none left is dropped."""
        if registration.remaining is None:
            return
        registration.remaining -= 1
        if registration.remaining <= 0:
            self._entries.remove(registration)

    def __iter__(self) -> Iterator[Registration]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)
