"""Cookie storage for the client, following RFC 6265 with aiohttp 3.14's bounds.

The jar is indexed by cookie domain so that choosing the cookies for a request walks only the
request host and its parent domains, never the whole jar: ``filter_cookies`` runs per request.
Expiry is tracked in a heap and applied lazily, whenever the jar is read.

Bounds, as in aiohttp: a domain holding more than 180 cookies keeps its 150 most recently used,
a jar holding more than 3300 drops its 300 least recently used, and a request gets at most 150
cookies in a Cookie header line of at most 8190 bytes (the most specific ones).

Files (``save``/``load``) are handled by ``_cookie_files``.
"""

from __future__ import annotations

import heapq
import ipaddress
import os
import time
import warnings
from collections.abc import Iterable, Iterator, Mapping
from functools import lru_cache
from http.cookies import BaseCookie, CookieError, Morsel, SimpleCookie
from types import MappingProxyType
from typing import Any

from yarl import URL

from . import _cookie_files
from ._http.set_cookie import (
    VALUE_CODEC,
    domain_match,
    is_valid_cookie,
    make_morsel,
    parse_cookie_date,
    parse_set_cookie,
    parse_set_cookies,
    settle_expiry,
)
from ._values import ReadOptions
from .abc import AbstractCookieJar, ClearCookiePredicate

__all__ = (
    "CookieJar",
    "DummyCookieJar",
    "InvalidCookieError",
    "parse_cookie_date",
    "parse_set_cookie",
)

_EMPTY_URL = URL()

_MAX_PER_DOMAIN = 180
_QUOTA_PER_DOMAIN = 150
_MAX_TOTAL = 3300
_EVICTED_AT_ONCE = 300
_MAX_PER_REQUEST = 150
# The whole "Cookie: ..." line fits in the default max_field_size; the last "; " is not sent,
# so it is given back.
_HEADER_BUDGET = ReadOptions().max_field_size - len("Cookie: ") + len("; ")

_SECURE_SCHEMES = frozenset({"https", "wss"})


class InvalidCookieError(CookieError, ValueError):
    """A cookie the caller gave cannot be sent: a bad name, or a control character in the value.

    Both a ``ValueError`` and the ``http.cookies.CookieError`` aiohttp raises for a bad name,
    so either ``except`` clause catches it.
    """


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
    return tuple(dict.fromkeys(("", *(".".join(parts[i:]) for i in range(len(parts))))))


@lru_cache(maxsize=256)
def _canonical_domain(domain: str) -> str | None:
    """RFC 6265 5.1.2: lower case, non-ASCII labels as IDNA A-labels; None if not a name."""
    if domain.isascii():
        return domain.lower()
    try:
        return URL.build(scheme="http", host=domain).raw_host
    except ValueError:
        return None


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
        "cost",
        "domain",
        "expires",
        "gen",
        "group",
        "host_only",
        "morsel",
        "name",
        "order",
        "path",
        "rank",
        "secure",
        "send",
        "used",
    )

    def __init__(
        self, morsel: Morsel[str], domain: str, path: str, host_only: bool, expires: float | None
    ) -> None:
        self.morsel = morsel
        self.name: str = morsel.key
        self.domain = domain
        self.path = path
        self.group = path.rstrip("/")  # aiohttp files cookies by the path without trailing "/"
        self.host_only = host_only
        self.expires = expires
        self.secure = bool(morsel["secure"])
        self.order = 0  # creation order: equal cookies are sent oldest first
        self.gen = 0  # identifies this version of the cookie in the expiry heap
        self.used = 0  # when it was last set or sent: the least recently used go first
        self.rank = (0, 0, 0)  # sending order: shared, parent domains, shorter paths first
        self.send: Morsel[str] = morsel  # replaced by the jar with the Morsel it hands out
        self.cost = 0  # its share of the Cookie header: "name=value; "


class CookieJar(AbstractCookieJar):
    """RFC 6265 cookie storage: host-only and domain cookies, paths, Secure, expiry.

    ``unsafe=True`` accepts cookies from IP-address hosts (sent back only to that address).
    ``quote_cookie=False`` sends values as they are instead of quoting special characters.
    ``treat_as_secure_origin`` lists http origins that may receive Secure cookies; no other
    plain http or ws origin does, not even localhost.
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
        """A read-only snapshot keyed by ``(domain, path without trailing "/")``, as aiohttp's."""
        self._purge()
        view: dict[tuple[str, str], SimpleCookie] = {}
        for entry in self._listed():
            view.setdefault((entry.domain, entry.group), SimpleCookie())[entry.name] = entry.morsel
        return MappingProxyType(view)

    @property
    def host_only_cookies(self) -> frozenset[tuple[str, str, str]]:
        """The ``(domain, path without trailing "/", name)`` of every host-only cookie."""
        self._purge()
        return frozenset((e.domain, e.group, e.name) for e in self._entries() if e.host_only)

    def __len__(self) -> int:
        if self._heap:  # asked before every request: no call when nothing can expire
            self._purge()
        return self._count

    def __iter__(self) -> Iterator[Morsel[str]]:
        self._purge()
        return iter([entry.morsel for entry in self._listed()])

    def _entries(self) -> Iterator[_Entry]:
        for bucket in self._domains.values():
            yield from bucket.values()

    def _listed(self) -> list[_Entry]:
        """The cookies as aiohttp lists them: grouped by domain and path, oldest group first."""
        first: dict[tuple[str, str], int] = {}
        for entry in self._entries():
            key = (entry.domain, entry.group)
            first[key] = min(first.get(key, entry.order), entry.order)
        return sorted(self._entries(), key=lambda e: (first[e.domain, e.group], e.order))

    # -- storing ---------------------------------------------------------------------------

    def update_cookies(self, cookies: Any, response_url: URL = _EMPTY_URL) -> None:
        """Store cookies the user or a response set; a Morsel keeps its attributes.

        Without a response host, cookies without a Domain are shared: sent to every host.
        Raises InvalidCookieError (a ValueError) for a name or value that could not be sent
        safely, storing none of the batch.
        """
        items = cookies.items() if isinstance(cookies, Mapping) else cookies
        morsels = [self._user_morsel(name, value) for name, value in items]
        self._store(morsels, response_url)

    def update_cookies_from_headers(self, headers: Iterable[str], response_url: URL) -> None:
        """Store cookies from raw Set-Cookie values (the first 50 valid ones); malformed ones
        are silently dropped."""
        self._store(parse_set_cookies(headers), response_url)

    def _store(self, morsels: list[Morsel[str]], response_url: URL) -> None:
        host = (response_url.raw_host or "").lower()
        if host and not self._unsafe and _ip_address(host) is not None:
            return
        default_path = _default_path(response_url)
        self._purge()  # expired cookies make room before live ones are evicted
        for morsel in morsels:
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
            morsel = make_morsel(key, text, VALUE_CODEC.value_encode(text)[1])
        # The coded value too: one that opens with a quote is sent as it is.
        valid = isinstance(key, str) and is_valid_cookie(key, morsel.value + morsel.coded_value)
        if not valid:
            raise InvalidCookieError(f"Invalid cookie name or value: {key!r}={morsel.value!r}")
        return morsel

    def _cookie_domain(self, attr: str, host: str) -> tuple[str, bool] | None:
        """The domain to store a cookie under and whether it is host-only; None rejects it."""
        raw = attr.strip()
        if raw.endswith("."):
            raw = ""  # aiohttp ignores such a Domain: the cookie stays with its host
        domain = _canonical_domain(raw[1:] if raw.startswith(".") else raw)
        if domain is None:
            return None
        if not domain:
            return host, bool(host)
        if _ip_address(domain) is not None or (host and _ip_address(host) is not None):
            return (domain, False) if domain == host else None
        if "." not in domain and domain != "localhost":
            # A public suffix such as "com": allowed only as its own host (RFC 6265 5.3.5).
            return (host, True) if domain == host else None
        if host and not domain_match(host, domain):
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
        expires = settle_expiry(morsel, now)
        if expires is not None and expires <= now:
            self._remove(domain, path, morsel.key)
            return
        self._put(_Entry(morsel, domain, path, host_only, expires))

    def _put(self, entry: _Entry) -> None:
        key = (entry.path, entry.name)
        old = self._domains.get(entry.domain, {}).get(key)
        self._counter += 1
        entry.gen = entry.used = self._counter
        entry.order = self._counter if old is None else old.order
        entry.rank = (len(entry.domain), len(entry.group), entry.order)
        entry.send = self._send_morsel(entry.morsel)
        entry.cost = len(entry.name) + len(entry.send.coded_value) + 3  # "=" and "; "
        bucket = self._domains.setdefault(entry.domain, {})
        bucket[key] = entry
        if entry.expires is not None:
            heap = self._heap
            heapq.heappush(heap, (entry.expires, entry.gen, entry.domain, entry.path, entry.name))
            if len(heap) > 2 * self._count + 64:
                self._rebuild_heap()
        if old is None:
            self._count += 1
            if len(bucket) > _MAX_PER_DOMAIN:
                self._evict(bucket.values(), len(bucket) - _QUOTA_PER_DOMAIN)
            if self._count > _MAX_TOTAL:
                self._evict(self._entries(), _EVICTED_AT_ONCE)

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
            coded = VALUE_CODEC.value_encode(value)[1]
        return make_morsel(morsel.key, value, coded, Morsel)

    def _evict(self, entries: Iterable[_Entry], number: int) -> None:
        """Remove the ``number`` least recently used; one request's cookies by name order."""
        for entry in heapq.nsmallest(number, entries, key=_by_use):
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
        """The cookies to send to ``request_url``: shared ones first, then parent domains and
        shorter paths; of two cookies with one name the more specific is sent.

        The Morsels are shared with the jar and must be treated as read-only.
        """
        if not isinstance(request_url, URL):
            warnings.warn(
                "filter_cookies expects yarl.URL instances only, and will stop working in "
                f"aiohttp 4.x, got {type(request_url)}",
                DeprecationWarning,
                stacklevel=2,
            )
            request_url = URL(request_url)
        filtered: BaseCookie[str] = BaseCookie()
        if not self._count:
            return filtered
        self._purge()
        for entry in self._within_limits(self._matching(request_url)):
            # The Morsel is already built, so skip BaseCookie.__setitem__'s type dispatch.
            dict.__setitem__(filtered, entry.name, entry.send)
        return filtered

    def _matching(self, request_url: URL) -> list[_Entry]:
        """RFC 6265 5.4: the stored cookies whose domain, path and Secure flag fit the URL."""
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
                        insecure = not self._is_secure(request_url)
                    if insecure:
                        continue
                matched.append(entry)
        return matched

    def _within_limits(self, matched: list[_Entry]) -> list[_Entry]:
        """The most specific cookie of each name, most specific first, while at most 150 fit
        in the header; returned in sending order and marked as just used."""
        self._counter += 1
        if len(matched) == 1:  # the common case, kept cheap: filter_cookies runs per request
            entry = matched[0]
            if entry.cost > _HEADER_BUDGET:
                return []
            entry.used = self._counter
            return matched
        matched.sort(key=_by_rank)
        chosen: list[_Entry] = []
        names: set[str] = set()
        budget = _HEADER_BUDGET
        for entry in reversed(matched):
            if entry.name in names or entry.cost > budget:
                continue
            names.add(entry.name)
            chosen.append(entry)
            budget -= entry.cost
            if len(chosen) == _MAX_PER_REQUEST:
                break
        for entry in chosen:
            entry.used = self._counter
        chosen.reverse()
        return chosen

    def _is_secure(self, url: URL) -> bool:
        """Whether Secure cookies may go to ``url``: https and wss, or a listed origin."""
        if url.scheme in _SECURE_SCHEMES:
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
        for entry in [e for e in self._entries() if e.domain and domain_match(e.domain, domain)]:
            self._remove(entry.domain, entry.path, entry.name)

    # -- persistence -------------------------------------------------------------------------

    def save(self, file_path: str | os.PathLike[str]) -> None:
        """Write the jar in aiohttp 3.14's JSON layout (see ``_cookie_files``), owner-only."""
        self._purge()
        entries = sorted(self._entries(), key=_by_order)
        _cookie_files.save(entries, file_path)

    def load(self, file_path: str | os.PathLike[str]) -> None:
        """Replace the jar's contents with a saved file's; a malformed file changes nothing.

        Reads aiohttp's JSON, the JSON earlier versions of this library wrote, and the pickle
        files aiohttp 3.12 and older wrote (through an unpickler that refuses any class but
        the cookie types such files hold: pickle.UnpicklingError). Raises ValueError (or
        OSError) for a file that cannot be read as a cookie jar.
        """
        content = _cookie_files.load(file_path)
        staging = CookieJar(unsafe=self._unsafe, quote_cookie=self._quote_cookie)
        now = time.time()
        for record in content.records:
            entry = staging._entry_from_record(record)
            if entry is not None and (entry.expires is None or entry.expires > now):
                staging._put(entry)
        for host, name, pickled in content.responses:
            staging._load_pickled(host, name, pickled)
        self._domains, self._heap = staging._domains, staging._heap
        self._count, self._counter = staging._count, staging._counter

    def _load_pickled(self, host: str, name: str, pickled: Morsel[str]) -> None:
        """An old aiohttp file's cookie, stored as if ``host`` had just set it: a Domain makes
        it a domain cookie, none a host-only one (those files do not say which)."""
        try:
            morsel = self._user_morsel(name, pickled)
        except InvalidCookieError:
            return
        host = host.lower().lstrip(".")
        if not host or self._unsafe or _ip_address(host) is None:
            self._accept(morsel, host, "/")

    def _entry_from_record(self, record: _cookie_files.Record) -> _Entry | None:
        """A saved cookie; None for one the jar's rules would not have accepted."""
        name, value, domain, path = record.name, record.value, record.domain, record.path
        if not is_valid_cookie(name, value + record.coded_value) or not path.startswith("/"):
            return None
        if _ip_address(domain) is not None:
            if not self._unsafe:
                return None
        elif domain and self._cookie_domain(domain, domain if record.host_only else "") is None:
            return None
        morsel = make_morsel(name, value, record.coded_value)
        try:
            morsel.update(record.attributes)
        except CookieError as exc:
            raise ValueError(f"Malformed cookie attributes: {record.attributes!r}") from exc
        morsel["domain"], morsel["path"] = domain, path
        return _Entry(morsel, domain, path, record.host_only, record.expires)


def _by_order(entry: _Entry) -> int:
    return entry.order


def _by_rank(entry: _Entry) -> tuple[int, int, int]:
    return entry.rank


def _by_use(entry: _Entry) -> tuple[int, str, str, str]:
    return (entry.used, entry.domain, entry.group, entry.name)


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
