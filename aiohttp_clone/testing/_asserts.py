"""What ``assert_called_with`` compares: the parts of a request that reach the server.

aioresponses compares the keyword arguments given to ``session.request``; a mock at the
connection level sees the request as sent instead, so each expectation is checked against
that: ``headers`` (each given field among those sent), ``json`` (the body parsed as JSON),
``data`` (a form as its fields, text or bytes as the body) and ``params`` (merged into the URL).
Client-side options (``allow_redirects``, ``timeout``, ...) never reach the wire and are
refused with a ``TypeError`` rather than silently ignored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl

from multidict import MultiDict
from yarl import URL

from ._registry import normalize_url
from ._request import RequestCall

__all__ = ("CHECKED", "expected_url", "mismatches")

CHECKED = frozenset(("headers", "json", "data", "params"))


def expected_url(url: str | URL, params: Any) -> URL:
    """``url`` with ``params`` added to its query (as the session adds them), normalized."""
    url = URL(url)
    if params:
        query = MultiDict(url.query)
        query.extend(url.with_query(params).query)
        url = url.with_query(query)
    return normalize_url(url)


def check_names(names: Iterable[str]) -> None:
    unknown = sorted(set(names) - CHECKED)
    if unknown:
        raise TypeError(
            f"cannot check {', '.join(map(repr, unknown))}: the mock sees the request as sent, "
            f"so it can check {', '.join(sorted(CHECKED))}; client options never reach the "
            "server (and each redirect hop is a request of its own)"
        )


def mismatches(call: RequestCall, expected: Mapping[str, Any]) -> list[str]:
    """How ``call`` differs from ``expected`` (empty when it matches)."""
    found: list[str] = []
    for name, value in expected.items():
        if value is None or name == "params":
            continue  # None: not given (aioresponses' default); params: part of the URL
        if name == "headers":
            found.extend(_header_mismatches(call, value))
        elif name == "json" and _json_of(call) != value:
            found.append(f"json: sent {call.body!r}, expected {value!r}")
        elif name == "data" and not _data_matches(call, value):
            found.append(f"data: sent {call.body!r}, expected {value!r}")
    return found


def _header_mismatches(call: RequestCall, headers: Any) -> list[str]:
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    return [
        f"header {name}: sent {call.headers.getall(name, [])!r}, expected {value!r}"
        for name, value in pairs
        if value not in call.headers.getall(name, [])
    ]


def _json_of(call: RequestCall) -> Any:
    try:
        return call.json()
    except ValueError:
        return _NOT_JSON


_NOT_JSON = object()


def _data_matches(call: RequestCall, data: Any) -> bool:
    if isinstance(data, str):
        return call.body == data.encode()
    if isinstance(data, (bytes, bytearray)):
        return call.body == bytes(data)
    if isinstance(data, (Mapping, list, tuple)):
        pairs = data.items() if isinstance(data, Mapping) else data
        sent = parse_qsl(call.body.decode("latin-1"), keep_blank_values=True)
        return sent == [(str(name), str(value)) for name, value in pairs]
    raise TypeError(
        f"data={type(data).__name__} cannot be compared; give the form as a dict or pairs, "
        "or the body as str or bytes"
    )
