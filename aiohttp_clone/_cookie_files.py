"""Cookie jar files: the JSON aiohttp 3.14 writes, our own earlier JSON, aiohttp's old pickles.

``save`` writes aiohttp 3.14's layout, so either library loads the other's files::

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

and the pickles of aiohttp 3.12 and older: a ``defaultdict`` of ``SimpleCookie`` keyed by
``(domain, path)``. Unpickling can run code, so those are read by an unpickler that knows only
the three classes such files hold and refuses any other with ``pickle.UnpicklingError``.
"""

from __future__ import annotations

import io
import json
import math
import os
import pickle
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from http.cookies import Morsel, SimpleCookie
from typing import Any, Protocol

from ._http.set_cookie import CookieMorsel, domain_match, settle_expiry

__all__ = ("JarFile", "Record", "load", "save")

_FORMAT = "aiohttp_clone.cookiejar"
_VERSION = 1
_NOT_A_JAR = "Not a cookie jar file"


@dataclass(frozen=True)
class Record:
    """One cookie as a file describes it, before the jar's rules are applied."""

    name: str
    value: str
    coded_value: str
    domain: str
    path: str
    host_only: bool
    expires: float | None
    attributes: dict[str, Any]


@dataclass
class JarFile:
    """What a file holds: described cookies, or (old pickles) cookies as a host set them."""

    records: list[Record] = field(default_factory=list)
    responses: list[tuple[str, str, Morsel[str]]] = field(default_factory=list)


class _Saved(Protocol):
    name: str
    domain: str
    path: str
    group: str  # the path without trailing "/": aiohttp's grouping
    host_only: bool
    expires: float | None
    morsel: Morsel[str]


# -- writing ---------------------------------------------------------------------------------


def save(entries: Sequence[_Saved], file_path: str | os.PathLike[str]) -> None:
    """Write ``entries`` (oldest first) in aiohttp 3.14's layout, readable by the owner only."""
    data: dict[str, dict[str, dict[str, Any]]] = {}
    for key, entry in _group_keys(entries):
        data.setdefault(key, {})[entry.name] = _saved_cookie(entry)
    fd = os.open(file_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with open(fd, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2)


def _group_keys(entries: Sequence[_Saved]) -> list[tuple[str, _Saved]]:
    """Each cookie's ``"domain|path"`` group, aiohttp's (the path minus trailing slashes).

    aiohttp's own jar cannot hold ``a`` at both ``/p`` and ``/p/``; ours can, so the second
    such cookie is filed under its full path instead (loaders read the path from the cookie).
    """
    taken = {(e.domain, e.path, e.name) for e in entries if not e.path.endswith("/")}
    keyed = []
    for entry in entries:
        path = entry.group
        if path != entry.path:
            if (entry.domain, path, entry.name) in taken:
                path = entry.path
            taken.add((entry.domain, path, entry.name))
        keyed.append((f"{entry.domain}|{path}", entry))
    return keyed


def _saved_cookie(entry: _Saved) -> dict[str, Any]:
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


# -- reading ---------------------------------------------------------------------------------


def load(file_path: str | os.PathLike[str]) -> JarFile:
    """Read a jar file of any known layout; ValueError when it is none of them."""
    with open(file_path, "rb") as f:
        raw = f.read()
    try:
        data = json.loads(raw)
    except ValueError:  # not JSON (nor text): an old aiohttp pickle, or nothing we know
        return JarFile(responses=_from_pickle(raw))
    if isinstance(data, dict) and data.get("format") == _FORMAT:
        if data.get("version") != _VERSION or not isinstance(data.get("cookies"), list):
            raise ValueError(f"Unsupported cookie file version: {data.get('version')!r}")
        return JarFile(records=[_record_from_ours(record) for record in data["cookies"]])
    if not isinstance(data, dict):
        raise ValueError(_NOT_A_JAR)
    return JarFile(records=_records_from_aiohttp(data))


def _record_from_ours(record: Any) -> Record:
    try:
        name, value, coded = record["name"], record["value"], record["coded_value"]
        domain, path = record["domain"], record["path"]
        host_only, expires = bool(record["host_only"]), record["expires_at"]
        attributes = dict(record.get("attributes") or {})
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ValueError(f"Malformed cookie record: {record!r}") from exc
    texts = (name, value, coded, domain, path)
    if not all(isinstance(t, str) for t in texts) or not isinstance(
        expires, (int, float, type(None))
    ):
        raise ValueError(f"Malformed cookie record: {record!r}")
    stamp = None if expires is None else float(expires)
    return Record(name, value, coded, domain, path, host_only, stamp, attributes)


def _records_from_aiohttp(data: dict[str, Any]) -> list[Record]:
    """aiohttp 3.14's layout ``{"domain|path": {name: {...}}}``; a cookie is named by its key."""
    records = []
    for compound, group in data.items():
        if "|" not in compound or not isinstance(group, dict):
            raise ValueError(_NOT_A_JAR)
        group_domain = compound.split("|", 1)[0].lower()
        for name, saved in group.items():
            if not isinstance(saved, dict):
                raise ValueError(_NOT_A_JAR)
            record = _record_from_aiohttp(compound, group_domain, name, saved)
            if record is not None:
                records.append(record)
    return records


def _record_from_aiohttp(
    compound: str, group_domain: str, name: str, saved: dict[str, Any]
) -> Record | None:
    """One saved aiohttp cookie; None for one aiohttp's load would refuse.

    As in aiohttp, a cookie without a Domain (or marked host-only) belongs to its group's
    host only (or, in the hostless ``"|"`` group, to every host), and one with a Domain
    must domain-match that host.
    """
    value, path = saved.get("value"), saved.get("path", "/")
    coded = saved.get("coded_value", value)
    cookie_domain = "" if saved.get("host_only") else saved.get("domain") or ""
    if not (
        isinstance(value, str)
        and isinstance(coded, str)
        and isinstance(path, str)
        and isinstance(cookie_domain, str)
    ):
        raise ValueError(f"Cookie {name!r} in {compound!r}: malformed value, path or domain")
    cookie_domain = cookie_domain.lower().lstrip(".")
    host_only = not cookie_domain and bool(group_domain)
    domain = group_domain if host_only else cookie_domain
    if group_domain and cookie_domain and not domain_match(group_domain, cookie_domain):
        return None
    attributes = {k: v for k, v in saved.items() if k in CookieMorsel._reserved}
    for key in ("domain", "path"):
        attributes.pop(key, None)
    path = path if path.startswith("/") else "/"
    expires = _saved_expiry(compound, name, saved, attributes)
    return Record(name, value, coded, domain, path, host_only, expires, attributes)


def _saved_expiry(
    compound: str, name: str, saved: dict[str, Any], attributes: dict[str, Any]
) -> float | None:
    """``expires_timestamp`` when present (a finite number), else any Max-Age/Expires."""
    raw = saved.get("expires_timestamp")
    if raw is None:
        if "max-age" not in attributes and "expires" not in attributes:
            return None
        probe = CookieMorsel()
        relative: dict[str, str] = {
            k: str(attributes[k]) for k in ("max-age", "expires") if k in attributes
        }
        probe.update(relative)
        return settle_expiry(probe, time.time())
    try:
        expires = float(raw)
    except (TypeError, ValueError, OverflowError):
        expires = math.nan
    if not math.isfinite(expires):
        raise ValueError(
            f"Cookie {name!r} in {compound!r}: expiration timestamp must be a finite number"
        )
    return expires


# -- old aiohttp pickles ---------------------------------------------------------------------

_PICKLED_CLASSES: dict[tuple[str, str], type] = {
    ("collections", "defaultdict"): defaultdict,
    ("http.cookies", "SimpleCookie"): SimpleCookie,
    ("http.cookies", "Morsel"): Morsel,
}


class _ForbiddenClassError(pickle.UnpicklingError):
    """A class no cookie jar pickle holds: the file is refused before anything is built."""


class _CookieUnpickler(pickle.Unpickler):
    """Builds only ``defaultdict``, ``SimpleCookie`` and ``Morsel``: all a jar pickle holds."""

    def find_class(self, module: str, name: str) -> Any:
        cls = _PICKLED_CLASSES.get((module, name))
        if cls is None:
            raise _ForbiddenClassError(
                f"Forbidden class: {module}.{name}. CookieJar.load() reads only cookie types "
                "(collections.defaultdict, http.cookies.SimpleCookie, http.cookies.Morsel) "
                "from a pickle, since unpickling anything else could run code."
            )
        return cls


def _from_pickle(raw: bytes) -> list[tuple[str, str, Morsel[str]]]:
    """``(host, name, Morsel)`` for each cookie of an old aiohttp pickle."""
    try:
        data = _CookieUnpickler(io.BytesIO(raw)).load()
    except _ForbiddenClassError:
        raise
    except Exception as exc:  # a damaged pickle fails in many ways: all mean "not a jar"
        raise ValueError(f"{_NOT_A_JAR}: neither JSON nor an aiohttp pickle") from exc
    if not isinstance(data, Mapping):
        raise ValueError(f"{_NOT_A_JAR}: the pickle holds a {type(data).__name__}")
    return [cookie for key, group in data.items() for cookie in _pickled_group(key, group)]


def _pickled_group(key: Any, group: Any) -> Iterable[tuple[str, str, Morsel[str]]]:
    # aiohttp keys its store by (domain, path); a bare domain key is read as that domain.
    domain = key[0] if isinstance(key, tuple) and len(key) == 2 else key
    if not isinstance(domain, str) or not isinstance(group, Mapping):
        raise ValueError(f"{_NOT_A_JAR}: unexpected entry {key!r}")
    for name, morsel in group.items():
        if not isinstance(name, str) or not isinstance(morsel, Morsel):
            raise ValueError(f"{_NOT_A_JAR}: unexpected cookie {name!r} under {key!r}")
        yield domain, name, morsel
