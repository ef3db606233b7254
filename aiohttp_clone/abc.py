"""Abstract base classes users subclass: resolvers and cookie jars."""

from __future__ import annotations

import socket
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sized
from http.cookies import BaseCookie, Morsel
from types import MappingProxyType
from typing import Any, TypedDict

from yarl import URL

from ._http.set_cookie import parse_set_cookies

__all__ = ("AbstractCookieJar", "AbstractResolver", "ResolveResult")


class ResolveResult(TypedDict):
    """One resolved address, shaped like aiohttp's (and getaddrinfo's) answer."""

    hostname: str  # the name that was resolved
    host: str  # one numeric address for it
    port: int
    family: int  # socket.AF_INET or AF_INET6
    flags: int  # getaddrinfo flags to connect with (numeric host and service)
    proto: int


class AbstractResolver(ABC):
    """Turns a host name into addresses; the connector caches what it returns."""

    @abstractmethod
    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """Return the addresses of ``host``; raise OSError when there are none."""

    @abstractmethod
    async def close(self) -> None:
        """Release what the resolver holds."""


_EMPTY_URL = URL()

ClearCookiePredicate = Callable[["Morsel[str]"], bool]


class AbstractCookieJar(Sized, Iterable["Morsel[str]"]):
    """The jar a session stores cookies in and takes them from."""

    def __init__(self, *, loop: Any = None) -> None:
        self._loop = loop

    @property
    @abstractmethod
    def quote_cookie(self) -> bool:
        """Whether cookie values are quoted when sent."""

    # aiohttp 3.14 declares these on the base class too; they have empty defaults here so
    # that jars written for older aiohttp releases keep working.
    @property
    def unsafe(self) -> bool:
        """Whether cookies from IP-address hosts are accepted."""
        return False

    @property
    def cookies(self) -> Mapping[tuple[str, str], BaseCookie[str]]:
        """The stored cookies keyed by ``(domain, path)``."""
        return MappingProxyType({})

    @property
    def host_only_cookies(self) -> frozenset[tuple[str, str, str]]:
        """The ``(domain, path, name)`` of every host-only cookie."""
        return frozenset()

    @property
    def treat_as_secure_origin(self) -> frozenset[URL]:
        """Origins that receive Secure cookies even over plain http."""
        return frozenset()

    @abstractmethod
    def clear(self, predicate: ClearCookiePredicate | None = None) -> None:
        """Remove every cookie, or those ``predicate`` accepts."""

    @abstractmethod
    def clear_domain(self, domain: str) -> None:
        """Remove the cookies of ``domain`` and its subdomains."""

    @abstractmethod
    def update_cookies(self, cookies: Any, response_url: URL = _EMPTY_URL) -> None:
        """Store cookies set by a response from ``response_url``."""

    def update_cookies_from_headers(self, headers: Iterable[str], response_url: URL) -> None:
        """Store cookies from raw Set-Cookie header values (at most 50, as aiohttp).

        Parsed by RFC 6265's rules rather than ``BaseCookie.load``, which would turn unknown
        attributes into cookies and drop a cookie marked Partitioned.
        """
        for morsel in parse_set_cookies(headers):
            self.update_cookies({morsel.key: morsel}, response_url)

    @abstractmethod
    def filter_cookies(self, request_url: URL) -> BaseCookie[str]:
        """Return the cookies to send to ``request_url``."""

