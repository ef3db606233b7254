"""Header field values a response carries: media types, Content-Disposition, Link.

Sans-I/O parsing of single values (RFC 9110 section 8.3, RFC 6266 with RFC 8187, RFC 8288),
on the grammar of ``rules``. aiohttp's paths re-export the public names (``helpers``,
``multipart``).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote

from multidict import MultiDict, MultiDictProxy
from yarl import URL

from .rules import QUOTED_PAIR_RE, QUOTED_STRING_PATTERN, TOKEN_RE

__all__ = (
    "BadContentDispositionHeader",
    "BadContentDispositionParam",
    "MimeType",
    "content_disposition_filename",
    "content_type_and_charset",
    "parse_content_disposition",
    "parse_links",
    "parse_mimetype",
    "split_outside_quotes",
)

# A parameter is a run of unquoted non-';' text and quoted strings (which may hold ';'),
# possibly empty, up to the next ';' or the end.
_PARAM_SPLIT_RE = re.compile(rf'(?<![^;])(?:[^;"]|{QUOTED_STRING_PATTERN})*')
_QUOTED_STRING_RE = re.compile(QUOTED_STRING_PATTERN, re.S)
# RFC 2231 continuations (``filename*0``, ``filename*1*``): kept raw until they are joined.
_CONTINUATION_RE = re.compile(r"\*\d+\*?$")
_PARAMS_RE = re.compile(rf'(?:;(?:[^;"]|{QUOTED_STRING_PATTERN})*)*')
# RFC 8187: ext-value = charset "'" [ language ] "'" value-chars
# (aiohttp also takes an empty charset, meaning UTF-8.)
_EXT_VALUE_RE = re.compile(r"^([!#$%&+\-^_`{}~0-9A-Za-z]*)'([0-9A-Za-z-]*)'(.*)$", re.S)


# --- media types (RFC 9110 section 8.3.1) ---------------------------------------------------


@dataclass(frozen=True)
class MimeType:
    """A parsed media type: ``application/rss+xml; charset=utf-8`` -> type, subtype, suffix."""

    type: str
    subtype: str
    suffix: str
    parameters: MultiDictProxy[str]


_PARAM_RE = re.compile(rf";\s*([^\s=;]+)\s*(?:=\s*({QUOTED_STRING_PATTERN}|[^;]*))?")


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return QUOTED_PAIR_RE.sub(r"\1", value[1:-1])
    return value


@lru_cache(maxsize=64)
def parse_mimetype(mimetype: str) -> MimeType:
    """Split a Content-Type value; cached because responses repeat the same few values."""
    if not mimetype:
        return MimeType("", "", "", MultiDictProxy(MultiDict()))
    semicolon = mimetype.find(";")
    full_type = (mimetype if semicolon < 0 else mimetype[:semicolon]).strip().lower()
    params: MultiDict[str] = MultiDict()
    if semicolon >= 0:
        for key, value in _PARAM_RE.findall(mimetype[semicolon:]):
            params.add(key.lower(), _unquote(value))
    if full_type == "*":
        full_type = "*/*"
    mtype, _, subtype = full_type.partition("/")
    subtype, _, suffix = subtype.partition("+")
    return MimeType(mtype, subtype, suffix, MultiDictProxy(params))


@lru_cache(maxsize=64)
def content_type_and_charset(raw: str | None) -> tuple[str, str | None]:
    """(type/subtype[+suffix], charset) of a Content-Type value; cached, as a client sees the
    same few values over and over."""
    if raw is None:
        return "application/octet-stream", None
    mime = parse_mimetype(raw)
    charset = mime.parameters.get("charset")
    if not (mime.type and mime.subtype):  # not type/subtype: say nothing was declared
        return "application/octet-stream", charset
    full = f"{mime.type}/{mime.subtype}"
    if mime.suffix:
        full += f"+{mime.suffix}"
    return full, charset



# --- Content-Disposition (RFC 6266, RFC 8187) -----------------------------------------------


class BadContentDispositionHeader(RuntimeWarning):
    """Warned (not raised) when a Content-Disposition header cannot be parsed at all."""


class BadContentDispositionParam(RuntimeWarning):
    """Warned (not raised) when one parameter is malformed; the others are kept."""


def _decode_ext_value(value: str) -> str | None:
    match = _EXT_VALUE_RE.match(value)
    if match is None:
        return None
    charset, _, encoded = match.groups()
    try:
        return unquote(encoded, encoding=charset or "utf-8", errors="strict")
    except (LookupError, UnicodeDecodeError):
        return None


def _unquoted(raw: str) -> str | None:
    """The text of a quoted-string, None unless ``raw`` is exactly one."""
    if len(raw) >= 2 and raw[0] == '"' and _QUOTED_STRING_RE.fullmatch(raw):
        return QUOTED_PAIR_RE.sub(r"\1", raw[1:-1])
    return None


def _parse_param(key: str, raw: str) -> str | bool | None:
    """A parameter's value; False when malformed (the header is bad), None when only the
    parameter is (it is dropped)."""
    if key.endswith("*") and not _CONTINUATION_RE.search(key):
        # RFC 8187 ext-value: never quoted, value-chars are tokens and %-escapes.
        match = _EXT_VALUE_RE.match(raw)
        if match is None or (match[3] and not TOKEN_RE.fullmatch(match[3])):
            return None
        return _decode_ext_value(raw)
    quoted = _unquoted(raw)
    if quoted is not None:
        # RFC 2231 pieces are joined later; a whole value loses leading slashes, as in aiohttp
        # (a path in a filename must not make it absolute).
        return quoted if _CONTINUATION_RE.search(key) else quoted.lstrip("/\\")
    return raw if TOKEN_RE.fullmatch(raw) else False


def parse_content_disposition(header: str | None) -> tuple[str | None, dict[str, str]]:
    """Split a Content-Disposition value into its type and parameters (lower-cased keys).

    A malformed header yields ``(None, {})`` with a BadContentDispositionHeader warning; a
    malformed parameter is dropped with a BadContentDispositionParam warning; an empty one
    (``a; ; b=1``) is skipped with a BadContentDispositionHeader warning, as in aiohttp.
    """
    if not header:
        return None, {}
    disptype, semicolon, rest = header.partition(";")
    disptype = disptype.strip()
    if not TOKEN_RE.fullmatch(disptype) or not _PARAMS_RE.fullmatch(";" + rest):
        warnings.warn(BadContentDispositionHeader(header), stacklevel=2)
        return None, {}
    params: dict[str, str] = {}
    for item in _split_params(rest) if semicolon else ():
        if not item:
            warnings.warn(BadContentDispositionHeader(header), stacklevel=2)
            continue
        key, sep, raw = item.partition("=")
        key = key.strip().lower()
        if not sep or key in params:
            warnings.warn(BadContentDispositionHeader(header), stacklevel=2)
            return None, {}
        value = _parse_param(key, raw.lstrip()) if TOKEN_RE.fullmatch(key) else None
        if value is False:
            warnings.warn(BadContentDispositionHeader(header), stacklevel=2)
            return None, {}
        if value is None:
            warnings.warn(BadContentDispositionParam(item), stacklevel=2)
            continue
        params[key] = str(value)
    return disptype.lower(), params


def _split_params(text: str) -> list[str]:
    """The parameters between ';' (outside quoted strings), empty ones included."""
    return [match.group(0) for match in _PARAM_SPLIT_RE.finditer(text)]


def content_disposition_filename(params: Mapping[str, str], name: str = "filename") -> str | None:
    """The value of ``name`` from parsed parameters, preferring the RFC 8187 ``name*`` form.

    Also joins RFC 2231 continuations (``name*0``, ``name*1``, ...).
    """
    if not params:
        return None
    for key in (f"{name}*", name):
        if key in params:
            return params[key]
    pieces = []
    index = 0
    while True:
        piece = params.get(f"{name}*{index}", params.get(f"{name}*{index}*"))
        if piece is None:
            break
        pieces.append(piece)
        index += 1
    if not pieces:
        return None
    joined = "".join(pieces)
    decoded = _decode_ext_value(joined) if "'" in joined else None
    return joined if decoded is None else decoded



# --- Link (RFC 8288) --------------------------------------------------------------------------


def parse_links(values: Iterable[str]) -> MultiDictProxy[MultiDictProxy[str | URL]]:
    """``Link`` headers (RFC 8288) keyed by rel (or url when no rel)."""
    links: MultiDict[MultiDictProxy[str | URL]] = MultiDict()
    for value in values:
        for item in split_outside_quotes(value, ","):
            url_part, _, params_part = item.partition(";")
            url_part = url_part.strip()
            if not (url_part.startswith("<") and url_part.endswith(">")):
                continue  # RFC 8288: a link value starts with "<" URI-Reference ">"
            url = url_part[1:-1]
            link: MultiDict[str | URL] = MultiDict()
            for param in split_outside_quotes(params_part, ";"):
                key, _, val = param.partition("=")
                if key.strip():
                    link.add(key.strip(), val.strip().strip('"'))
            key = str(link.get("rel", url))
            link.add("url", URL(url))
            links.add(key, MultiDictProxy(link))
    return MultiDictProxy(links)


def split_outside_quotes(text: str, separator: str) -> list[str]:
    """``text`` split at ``separator`` where it is not inside a quoted-string; blanks dropped."""
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char == separator and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [part for part in parts if part.strip()]
