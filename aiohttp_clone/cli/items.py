"""Request items on the command line: ``Name:value``, ``key==value``, ``key=value``, ``key:=json``.

The separators follow httpie's, so muscle memory carries over: the earliest separator in an item
wins, and at one position the longest (``:=`` before ``:``). A backslash makes the next ``:`` or
``=`` literal, for keys that contain one (``a\\:b=c`` is the field ``a:b``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ("ItemError", "RequestItems", "parse_items")

HEADER, QUERY, FIELD, RAW_JSON = ":", "==", "=", ":="
_SEPARATORS = (RAW_JSON, QUERY, FIELD, HEADER)  # longest first where two start at one place


class ItemError(ValueError):
    """An item the user typed cannot be understood; the message says which one and why."""


@dataclass
class RequestItems:
    """What the items ask for, in the order they were given."""

    headers: list[tuple[str, str]] = field(default_factory=list)
    query: list[tuple[str, str]] = field(default_factory=list)
    fields: list[tuple[str, Any]] = field(default_factory=list)
    raw_json_keys: list[str] = field(default_factory=list)  # a form cannot carry these


def split_item(item: str) -> tuple[str, str, str]:
    """Split one item into (key, separator, value); raise ItemError when it has no separator."""
    key: list[str] = []
    i = 0
    while i < len(item):
        char = item[i]
        if char == "\\" and item[i + 1 : i + 2] in (":", "="):
            key.append(item[i + 1])
            i += 2
            continue
        for sep in _SEPARATORS:
            if item.startswith(sep, i):
                if not key:
                    raise ItemError(f"{item!r}: the name before {sep!r} is empty")
                return "".join(key), sep, item[i + len(sep) :]
        key.append(char)
        i += 1
    raise ItemError(
        f"{item!r} is not a request item (Name:value, key==value, key=value or key:=json)"
    )


def parse_items(items: list[str]) -> RequestItems:
    """Sort the items into headers, query parameters and body fields."""
    result = RequestItems()
    for item in items:
        key, sep, value = split_item(item)
        if sep == HEADER:
            result.headers.append((key, value.strip()))
        elif sep == QUERY:
            result.query.append((key, value))
        elif sep == FIELD:
            result.fields.append((key, value))
        else:
            try:
                result.fields.append((key, json.loads(value)))
            except ValueError as exc:
                raise ItemError(f"{item!r}: {value!r} is not valid JSON ({exc})") from None
            result.raw_json_keys.append(key)
    return result
