"""Cookie storage for the client, following RFC 6265.

The jar is indexed by cookie domain so that choosing the cookies for a request walks only the
request host and its parent domains, never the whole jar: ``filter_cookies`` runs per request.
Expiry is tracked in a heap and applied lazily, whenever the jar is read.

Persistence (``save``/``load``) uses JSON, never pickle, so loading a file cannot run code.
``save`` writes the layout aiohttp 3.14 writes, so either library loads the other's files::

    {"example.com|/x": {                  # "domain|path", the path without trailing "/"
        "a": {"key": "a", "value": "1", "coded_value": "1", "path": "/x",
              "domain": "example.com",    # then the other non-empty Morsel attributes
              "host_only": true,          # only for host-only cookies
              "expires_timestamp": 1.7e9  # POSIX seconds; absent for session cookies
        }}, ...}

``load`` also reads the layout earlier aiohttp_clone versions wrote::

    {"format": "aiohttp_clone.cookiejar", "version": 1, "cookies": [
        {"name": str, "value": str, "coded_value": str, "domain": str, "path": str,
         "host_only": bool, "expires_at": float | null, "attributes": {...}}, ...]}
"""

from __future__ import annotations

import heapq
import ipaddress
import json
import math
import os
import time
from collections.abc import Iterable, Iterator, Mapping
from functools import lru_cache
from http.cookies import BaseCookie, CookieError, Morsel, SimpleCookie
from types import MappingProxyType
from typing import Any

from yarl import URL

from ._http.set_cookie import (
    CookieMorsel,
    cookie_expiry,
    is_valid_cookie,
    make_morsel,
    parse_cookie_date,
    parse_set_cookie,
)
from .abc import AbstractCookieJar, ClearCookiePredicate

__all__ = ("CookieJar", "DummyCookieJar", "parse_cookie_date", "parse_set_cookie")

_EMPTY_URL = URL()
_FORMAT = "aiohttp_clone.cookiejar"
_VERSION = 1

# Beyond these a server could grow the jar without bound; the oldest cookies make room.
_MAX_PER_DOMAIN = 180
_MAX_TOTAL = 3300

_SECURE_SCHEMES = frozenset({"https", "wss"})
_ENCODER: SimpleCookie = SimpleCookie()  # quotes values the way the stdlib sends them


class _InvalidCookie(CookieError, ValueError):
    """Raised for a cookie the user supplied; both bases so aiohttp-era handlers still match."""


@lru_cache(maxsize=256)
def _ip_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


@lru_cache(maxsize=256)
def _candidate_domains(host: str, unsafe: bool) -> tuple[str, ...]:
    """The shared bucket, then the host and each parent domain (IP hosts: just the IP)."""
    if not host:
        return ("",)
    if _ip_address(host) is not None:
        return ("", host) if unsafe else ("",)
    parts = host.split(".")
    return ("", *(".".join(parts[i:]) for i in range(len(parts))))


def _domain_match(host: str, domain: str) -> bool:
    """RFC 6265 5.1.3, for a host already known not to be an IP address."""
    return host == domain or host.endswith("." + domain)


def _path_match(request_path: str, cookie_path: str) -> bool:
    """RFC 6265 5.1.4: a prefix that ends at a ``/`` boundary."""
    if request_path == cookie_path:
        return True
    # cookie_path is never empty: stored paths always start with "/".
    return request_path.startswith(cookie_path) and (
        cookie_path[-1] == "/" or request_path[len(cookie_path)] == "/"
    )


def _default_path(url: URL) -> str:
    """RFC 6265 5.1.4: the directory of the request path."""
    path = url.raw_path
    if not path.startswith("/"):
        return "/"
    return path[: path.rfind("/")] or "/"


class _Entry:
    """One stored cookie with the facts ``filter_cookies`` needs precomputed."""

    __slots__ = (
        "domain",
        "expires",
        "gen",
        "host_only",
        "morsel",
        "name",
        "order",
        "path",
        "rank",
        "secure",
        "send",
    )

    def __init__(
        self, morsel: Morsel[str], domain: str, path: str, host_only: bool, expires: float | None
    ) -> None:
        self.morsel = morsel
        self.name: str = morsel.key
        self.domain = domain
        self.path = path
        self.host_only = host_only
        self.expires = expires
        self.secure = bool(morsel["secure"])
        self.order = 0  # creation order: RFC 6265 5.4 sends older cookies first
        self.gen = 0  # identifies this version of the cookie in the expiry heap
        self.rank = (0, 0, 0)  # sort key for sending: longer path, longer domain, older
        self.send: Morsel[str] = morsel  # replaced by the jar with the Morsel it hands out


class CookieJar(AbstractCookieJar):
    """RFC 6265 cookie storage: host-only and domain cookies, paths, Secure, expiry.

    ``unsafe=True`` accepts cookies from IP-address hosts (sent back only to that address).
    ``quote_cookie=False`` sends values as they are instead of quoting special characters.
    ``treat_as_secure_origin`` lists http origins that may receive Secure cookies, as
    localhost and loopback addresses always may.
    """

    def __init__(
        self,
        *,
        unsafe: bool = False,
        quote_cookie: bool = True,
        treat_as_secure_origin: str | URL | Iterable[str | URL] | None = None,
        loop: Any = None,
    ) -> None:
        super().__init__(loop=loop)
        self._unsafe = unsafe
        self._quote_cookie = quote_cookie
        if treat_as_secure_origin is None:
            origins: Iterable[str | URL] = ()
        elif isinstance(treat_as_secure_origin, (str, URL)):
            origins = (treat_as_secure_origin,)
        else:
            origins = treat_as_secure_origin
        self._secure_origins = frozenset(URL(origin).origin() for origin in origins)
        self._reset()

    def _reset(self) -> None:
        self._domains: dict[str, dict[tuple[str, str], _Entry]] = {}
        self._heap: list[tuple[float, int, str, str, str]] = []
        self._count = 0
        self._counter = 0

    @property
    def quote_cookie(self) -> bool:
        """Whether values with special characters are quoted when sent."""
        return self._quote_cookie

    @property
    def unsafe(self) -> bool:
        """Whether cookies from IP-address hosts are accepted."""
        return self._unsafe

    @property
    def treat_as_secure_origin(self) -> frozenset[URL]:
        """Origins that receive Secure cookies even over plain http."""
        return self._secure_origins

    @property
    def cookies(self) -> Mapping[tuple[str, str], SimpleCookie]:
        """A read-only snapshot of the jar keyed by ``(domain, path)``, as aiohttp shows it."""
        self._purge()
        view: dict[tuple[str, str], SimpleCookie] = {}
        for entry in self._entries():
            view.setdefault((entry.domain, entry.path), SimpleCookie())[entry.name] = entry.morsel
        return MappingProxyType(view)

    @property
    def host_only_cookies(self) -> frozenset[tuple[str, str, str]]:
        """The ``(domain, path, name)`` of every host-only cookie."""
        self._purge()
        return frozenset((e.domain, e.path, e.name) for e in self._entries() if e.host_only)

    def __len__(self) -> int:
        if self._heap:  # asked before every request: no call when nothing can expire
            self._purge()
        return self._count

    def __iter__(self) -> Iterator[Morsel[str]]:
        self._purge()
        return iter([entry.morsel for entry in self._entries()])

    def _entries(self) -> Iterator[_Entry]:
        for bucket in self._domains.values():
            yield from bucket.values()

    # -- storing ---------------------------------------------------------------------------

    def update_cookies(self, cookies: Any, response_url: URL = _EMPTY_URL) -> None:
        """Store cookies the user or a response set; a Morsel keeps its attributes.

        Without a response host, cookies without a Domain are shared: sent to every host.
        Raises ValueError for a name or value that could not be sent safely, storing none.
        """
        items = cookies.items() if isinstance(cookies, Mapping) else cookies
        morsels = [self._user_morsel(name, value) for name, value in items]
        host = (response_url.raw_host or "").lower()
        if host and not self._unsafe and _ip_address(host) is not None:
            return
        default_path = _default_path(response_url)
        for morsel in morsels:
            self._accept(morsel, host, default_path)

    def update_cookies_from_headers(self, headers: Iterable[str], response_url: URL) -> None:
        """Store cookies from raw Set-Cookie values; malformed ones are silently dropped."""
        host = (response_url.raw_host or "").lower()
        if host and not self._unsafe and _ip_address(host) is not None:
            return
        default_path = _default_path(response_url)
        for header in headers:
            morsel = parse_set_cookie(header)
            if morsel is not None:
                self._accept(morsel, host, default_path)

    @staticmethod
    def _user_morsel(name: str, value: Any) -> Morsel[str]:
        if isinstance(value, Morsel):
            key = value.key or name
            morsel = make_morsel(key, value.value, value.coded_value)
            morsel.update({k: v for k, v in value.items() if v != ""})
        else:
            # Encoded now, as aiohttp does: a value that merely looks quoted ('"x"') is data,
            # and must not be mistaken later for a value the server quoted.
            key, text = name, str(value)
            morsel = make_morsel(key, text, _ENCODER.value_encode(text)[1])
        if not isinstance(key, str) or not is_valid_cookie(key, morsel.value):
            raise _InvalidCookie(f"Invalid cookie name or value: {key!r}={morsel.value!r}")
        return morsel

    def _cookie_domain(self, attr: str, host: str) -> tuple[str, bool] | None:
        """The domain to store a cookie under and whether it is host-only; None rejects it."""
        domain = attr.strip().lower().lstrip(".")
        if not domain:
            return host, bool(host)
        if _ip_address(domain) is not None or (host and _ip_address(host) is not None):
            return (host, True) if domain == host else None
        if "." not in domain and domain != "localhost":
            # A public suffix such as "com": allowed only as its own host (RFC 6265 5.3.5).
            return (host, True) if domain == host else None
        if host and not _domain_match(host, domain):
            return None
        return domain, False

    def _accept(self, morsel: Morsel[str], host: str, default_path: str) -> None:
        """Apply RFC 6265 5.3's storage rules to one parsed cookie."""
        placement = self._cookie_domain(str(morsel["domain"]), host)
        if placement is None:
            return
        domain, host_only = placement
        path = str(morsel["path"])
        if not path.startswith("/"):
            path = default_path
        morsel["domain"], morsel["path"] = domain, path
        now = time.time()
        expires = cookie_expiry(morsel, now)
        if expires is not None and expires <= now:
            self._remove(domain, path, morsel.key)
            return
        self._put(_Entry(morsel, domain, path, host_only, expires))

    def _put(self, entry: _Entry) -> None:
        key = (entry.path, entry.name)
        old = self._domains.get(entry.domain, {}).get(key)
        self._counter += 1
        entry.gen = self._counter
        if old is not None:
            entry.order = old.order
        else:
            entry.order = self._counter
            self._make_room(entry.domain)
            self._count += 1
        entry.rank = (-len(entry.path), -len(entry.domain), entry.order)
        entry.send = self._send_morsel(entry.morsel)
        self._domains.setdefault(entry.domain, {})[key] = entry
        if entry.expires is not None:
            heap = self._heap
            heapq.heappush(heap, (entry.expires, entry.gen, entry.domain, entry.path, entry.name))
            if len(heap) > 2 * self._count + 64:
                self._rebuild_heap()

    def _rebuild_heap(self) -> None:
        """Drop the heap items of replaced cookies, which a busy server can pile up."""
        self._heap = [
            (e.expires, e.gen, e.domain, e.path, e.name)
            for e in self._entries()
            if e.expires is not None
        ]
        heapq.heapify(self._heap)

    def _send_morsel(self, morsel: Morsel[str]) -> Morsel[str]:
        """The bare name/value Morsel ``filter_cookies`` hands out, built once per cookie.

        With quoting on, a coded value that opens with a quote goes back exactly as it came
        (RFC 6265 treats values as opaque); anything else is quoted when it needs to be.
        """
        value, coded = morsel.value, morsel.coded_value
        if not self._quote_cookie:
            coded = value
        elif coded[:1] != '"':
            coded = _ENCODER.value_encode(value)[1]
        return make_morsel(morsel.key, value, coded, Morsel)

    def _make_room(self, domain: str) -> None:
        bucket = self._domains.get(domain)
        if bucket is not None and len(bucket) >= _MAX_PER_DOMAIN:
            self._evict(min(bucket.values(), key=_by_order))
        if self._count >= _MAX_TOTAL:
            self._evict(min(self._entries(), key=_by_order))

    def _evict(self, entry: _Entry) -> None:
        self._remove(entry.domain, entry.path, entry.name)

    def _remove(self, domain: str, path: str, name: str) -> None:
        bucket = self._domains.get(domain)
        if bucket is not None and bucket.pop((path, name), None) is not None:
            self._count -= 1
            if not bucket:
                del self._domains[domain]

    def _purge(self) -> None:
        """Drop expired cookies; O(1) when none are due."""
        heap = self._heap
        if not heap or heap[0][0] > (now := time.time()):
            return
        while heap and heap[0][0] <= now:
            _, gen, domain, path, name = heapq.heappop(heap)
            entry = self._domains.get(domain, {}).get((path, name))
            if entry is not None and entry.gen == gen:
                self._remove(domain, path, name)

    # -- choosing what to send ---------------------------------------------------------------

    def filter_cookies(self, request_url: URL = _EMPTY_URL) -> BaseCookie[str]:
        """The cookies to send to ``request_url``, most specific path first (RFC 6265 5.4).

        The Morsels are shared with the jar and must be treated as read-only.
        """
        filtered: BaseCookie[str] = BaseCookie()
        if not self._count:
            return filtered
        self._purge()
        host = (request_url.raw_host or "").lower()
        path = request_url.raw_path or "/"
        domains = self._domains
        insecure: bool | None = None
        matched: list[_Entry] = []
        for domain in _candidate_domains(host, self._unsafe):
            bucket = domains.get(domain)
            if bucket is None:
                continue
            for entry in bucket.values():
                if entry.host_only and domain != host:
                    continue
                if entry.path != "/" and not _path_match(path, entry.path):
                    continue
                if entry.secure:
                    if insecure is None:
                        insecure = not self._is_secure(request_url, host)
                    if insecure:
                        continue
                matched.append(entry)
        if len(matched) > 1:
            matched.sort(key=_by_rank)
        for entry in matched:
            if entry.name not in filtered:
                # The Morsel is already built, so skip BaseCookie.__setitem__'s type dispatch.
                dict.__setitem__(filtered, entry.name, entry.send)
        return filtered

    def _is_secure(self, url: URL, host: str) -> bool:
        """Whether Secure cookies may go to ``url``: https, loopback, or a listed origin."""
        if url.scheme in _SECURE_SCHEMES or host == "localhost" or host.endswith(".localhost"):
            return True
        ip = _ip_address(host)
        if ip is not None and ip.is_loopback:
            return True
        if not self._secure_origins or not url.absolute:
            return False
        return url.origin() in self._secure_origins

    # -- clearing ----------------------------------------------------------------------------

    def clear(self, predicate: ClearCookiePredicate | None = None) -> None:
        """Remove every cookie, or those whose Morsel ``predicate`` accepts."""
        if predicate is None:
            self._reset()
            return
        self._purge()
        for entry in [e for e in self._entries() if predicate(e.morsel)]:
            self._remove(entry.domain, entry.path, entry.name)

    def clear_domain(self, domain: str) -> None:
        """Remove the cookies of ``domain`` and of its subdomains."""
        domain = domain.lower().lstrip(".")
        self._purge()
        for entry in [e for e in self._entries() if e.domain and _domain_match(e.domain, domain)]:
            self._remove(entry.domain, entry.path, entry.name)

    # -- persistence -------------------------------------------------------------------------

    def save(self, file_path: str | os.PathLike[str]) -> None:
        """Write the jar as aiohttp 3.14 does (layout in the module docstring), owner-only."""
        self._purge()
        data: dict[str, dict[str, dict[str, Any]]] = {}
        for key, entry in _group_keys(sorted(self._entries(), key=_by_order)):
            data.setdefault(key, {})[entry.name] = _saved_cookie(entry)
        fd = os.open(file_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with open(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2)

    def load(self, file_path: str | os.PathLike[str]) -> None:
        """Replace the jar's contents with a saved file's; a malformed file changes nothing.

        Raises ValueError (or OSError) for a file that cannot be read as a cookie jar.
        """
        with open(file_path, encoding="utf-8") as f:
            data = json.load(f)
        if isinstance(data, dict) and data.get("format") == _FORMAT:
            if data.get("version") != _VERSION or not isinstance(data.get("cookies"), list):
                raise ValueError(f"Unsupported cookie file version: {data.get('version')!r}")
            records = data["cookies"]
        elif isinstance(data, dict):
            records = _records_from_aiohttp(data)
        else:
            raise ValueError("Not a cookie jar file")
        staging = CookieJar(unsafe=self._unsafe, quote_cookie=self._quote_cookie)
        now = time.time()
        for record in records:
            entry = staging._entry_from_record(record)
            if entry is not None and (entry.expires is None or entry.expires > now):
                staging._put(entry)
        self._domains, self._heap = staging._domains, staging._heap
        self._count, self._counter = staging._count, staging._counter

    def _entry_from_record(self, record: Any) -> _Entry | None:
        """Validate one saved cookie; None for one the jar's rules would not have accepted."""
        try:
            name, value, coded = record["name"], record["value"], record["coded_value"]
            domain, path = record["domain"], record["path"]
            host_only, expires = bool(record["host_only"]), record["expires_at"]
            attributes = dict(record.get("attributes") or {})
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"Malformed cookie record: {record!r}") from exc
        texts = (name, value, coded, domain, path)
        if not all(isinstance(t, str) for t in texts) or not isinstance(
            expires, (int, float, type(None))
        ):
            raise ValueError(f"Malformed cookie record: {record!r}")
        if not is_valid_cookie(name, value) or not path.startswith("/"):
            return None
        if domain and self._cookie_domain(domain, "" if not host_only else domain) is None:
            return None
        if not self._unsafe and _ip_address(domain) is not None:
            return None
        morsel = make_morsel(name, value, coded)
        try:
            morsel.update(attributes)
        except CookieError as exc:
            raise ValueError(f"Malformed cookie attributes: {attributes!r}") from exc
        morsel["domain"], morsel["path"] = domain, path
        return _Entry(morsel, domain, path, host_only, None if expires is None else float(expires))


def _by_order(entry: _Entry) -> int:
    return entry.order


def _by_rank(entry: _Entry) -> tuple[int, int, int]:
    return entry.rank


def _group_keys(entries: list[_Entry]) -> list[tuple[str, _Entry]]:
    """Each cookie's ``"domain|path"`` group, aiohttp's (the path minus trailing slashes).

    aiohttp's own jar cannot hold ``a`` at both ``/p`` and ``/p/``; ours can, so the second
    such cookie is filed under its full path instead (loaders read the path from the cookie).
    """
    taken = {(e.domain, e.path, e.name) for e in entries if not e.path.endswith("/")}
    keyed = []
    for entry in entries:
        path = entry.path.rstrip("/")
        if path != entry.path:
            if (entry.domain, path, entry.name) in taken:
                path = entry.path
            taken.add((entry.domain, path, entry.name))
        keyed.append((f"{entry.domain}|{path}", entry))
    return keyed


def _saved_cookie(entry: _Entry) -> dict[str, Any]:
    """One cookie as aiohttp saves it; the expiry is absolute, so Max-Age/Expires are left out."""
    morsel = entry.morsel
    saved: dict[str, Any] = {
        "key": entry.name,
        "value": morsel.value,
        "coded_value": morsel.coded_value,
    }
    for attr, attr_value in morsel.items():
        if attr_value and attr not in ("expires", "max-age"):
            saved[attr] = attr_value
    if entry.host_only:
        saved["host_only"] = True
    if entry.expires is not None:
        whole = entry.expires.is_integer()
        saved["expires_timestamp"] = int(entry.expires) if whole else entry.expires
    return saved


def _records_from_aiohttp(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Convert aiohttp 3.14's JSON layout ``{"domain|path": {name: {...}}}`` to our records."""
    records = []
    for compound, group in data.items():
        if "|" not in compound or not isinstance(group, dict):
            raise ValueError("Not a cookie jar file")
        group_domain = compound.split("|", 1)[0].lower()
        for name, saved in group.items():
            if not isinstance(saved, dict):
                raise ValueError("Not a cookie jar file")
            record = _record_from_aiohttp(group_domain, name, saved)
            if record is not None:
                records.append(record)
    return records


def _record_from_aiohttp(
    group_domain: str, name: str, saved: dict[str, Any]
) -> dict[str, Any] | None:
    """One saved aiohttp cookie as our record; None for one aiohttp's load would refuse.

    As in aiohttp, a cookie without a Domain (or marked host-only) belongs to its group's
    host only (or, in the hostless ``"|"`` group, to every host), and one with a Domain
    must domain-match that host.
    """
    cookie_domain = "" if saved.get("host_only") else str(saved.get("domain") or "")
    cookie_domain = cookie_domain.lower().lstrip(".")
    host_only = not cookie_domain and bool(group_domain)
    domain = group_domain if host_only else cookie_domain
    if group_domain and cookie_domain and not _domain_match(group_domain, cookie_domain):
        return None
    path = saved.get("path")
    attributes = {k: v for k, v in saved.items() if k in CookieMorsel._reserved}
    for key in ("domain", "path"):
        attributes.pop(key, None)
    return {
        "name": saved.get("key", name),
        "value": saved.get("value"),
        "coded_value": saved.get("coded_value", saved.get("value")),
        "domain": domain,
        "path": path if isinstance(path, str) and path.startswith("/") else "/",
        "host_only": host_only,
        "expires_at": _saved_expiry(name, saved, attributes),
        "attributes": attributes,
    }


def _saved_expiry(name: str, saved: dict[str, Any], attributes: dict[str, Any]) -> float | None:
    """``expires_timestamp`` when present (a finite number), else any Max-Age/Expires."""
    raw = saved.get("expires_timestamp")
    if raw is None:
        if "max-age" not in attributes and "expires" not in attributes:
            return None
        relative: dict[str, str] = {
            k: str(attributes[k]) for k in ("max-age", "expires") if k in attributes
        }
        probe = CookieMorsel()
        probe.update(relative)
        return cookie_expiry(probe, time.time())
    try:
        expires = float(raw)
    except (TypeError, ValueError, OverflowError) as exc:
        raise ValueError(f"Cookie {name!r}: expiration timestamp must be a number") from exc
    if not math.isfinite(expires):
        raise ValueError(f"Cookie {name!r}: expiration timestamp must be finite")
    return expires


class DummyCookieJar(AbstractCookieJar):
    """A jar that stores nothing: for clients that must not keep cookies."""

    def __init__(self, *, loop: Any = None) -> None:
        super().__init__(loop=loop)

    @property
    def quote_cookie(self) -> bool:
        """Always True; there is nothing to quote."""
        return True

    def __len__(self) -> int:
        return 0

    def __iter__(self) -> Iterator[Morsel[str]]:
        return iter(())

    def clear(self, predicate: ClearCookiePredicate | None = None) -> None:
        """Nothing to clear."""

    def clear_domain(self, domain: str) -> None:
        """Nothing to clear."""

    def update_cookies(self, cookies: Any, response_url: URL = _EMPTY_URL) -> None:
        """Discard the cookies."""

    def update_cookies_from_headers(self, headers: Iterable[str], response_url: URL) -> None:
        """Discard the cookies."""

    def filter_cookies(self, request_url: URL = _EMPTY_URL) -> BaseCookie[str]:
        """Always empty."""
        return BaseCookie()
