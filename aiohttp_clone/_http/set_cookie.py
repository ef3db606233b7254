"""Set-Cookie parsing: RFC 6265 section 5.2, read as leniently as aiohttp 3.14 reads it.

Sans-I/O and stateless: header values in, ``Morsel`` objects out. The jar decides what to store
and for whom (``cookiejar.py``).

Where servers stray from the grammar, aiohttp's reading is followed: attributes may be separated
by white space as well as by ``;`` (``Path=/ Max-Age=1``), values may be quoted, an Expires date
keeps its spaces, and unknown attributes are skipped. Its bounds are kept too: 50 cookies per
response, 32 attributes per cookie, 1024 characters per attribute value and 4096 for the
name and value together; beyond them a cookie (or an attribute) is dropped.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from http.cookies import Morsel, SimpleCookie

from .rules import CTL_EXCEPT_HTAB_RE, QUOTED_STRING_PATTERN

__all__ = (
    "MAX_COOKIE_TIME",
    "VALUE_CODEC",
    "CookieMorsel",
    "domain_match",
    "is_valid_cookie",
    "make_morsel",
    "parse_cookie_date",
    "parse_set_cookie",
    "parse_set_cookies",
    "settle_expiry",
)

MAX_COOKIE_TIME = 253402300799.0  # 9999-12-31 23:59:59 UTC: no expiry lies beyond it

_MAX_COOKIES_PER_RESPONSE = 50
_MAX_PAIR_LENGTH = 4096
_MAX_ATTRIBUTES = 32
_MAX_ATTRIBUTE_VALUE_LENGTH = 1024

# Printable ASCII but white space, '"', ',', ';', '=' and '\': what aiohttp accepts in a name.
_NAME_RE = re.compile(r"[!#-+\--:<>-\[\]-~]+")
# A value may hold anything but control characters (tab included, as in aiohttp).
_VALUE_CTL_RE = re.compile(r"[\x00-\x1f\x7f]")
# A quoted cookie value may hold ';', but only when the quotes close the value.
_QUOTED_VALUE_RE = re.compile(rf"[ \t]*({QUOTED_STRING_PATTERN})[ \t]*(?:;|\Z)", re.S)
# RFC 1123 / RFC 850 dates (``Wed, 09 Jun 2100 10:18:14 GMT``) and asctime ones.
_DATE = (
    r"\w{3}(?:\w*day)?,\s[\w\s-]{9,11}\s[\d:]{8}\sGMT"
    r"|\w{3}\s\w{3}\s[\s\d]\d\s[\d:]{8}\s\d{4}"
)
# One attribute: a name, then maybe "=" and a value: a quoted string, an unclosed quote (kept
# as sent, up to ';'), a date, or a word.
_SEPARATORS_RE = re.compile(r"[\s;]*", re.A)
_ATTRIBUTE_RE = re.compile(
    rf"""(?P<key>[!#-:<>-\[\]-~]+)
    (?:\s*=\s*(?:
        (?P<quoted>{QUOTED_STRING_PATTERN})(?=[\s;]|\Z)
        |(?P<open>"[^;"]*)(?=;|\Z)
        |(?P<date>{_DATE})(?=[\s;]|\Z)
        |(?P<plain>[!#-:<-\[\]-~]*)(?=[\s;]|\Z)
    ))?(?=[\s;]|\Z)""",
    re.X | re.A | re.S,
)
_FLAG_ATTRS = frozenset({"secure", "httponly", "partitioned"})
_VALUE_ATTRS = frozenset({"domain", "path", "expires", "max-age", "samesite", "version", "comment"})
# Quotes and unquotes cookie values the way the stdlib sends and reads them.
VALUE_CODEC: SimpleCookie = SimpleCookie()

# RFC 6265 5.1.1: the cookie-date grammar.
_DATE_TOKEN_RE = re.compile(r"[^\x09\x20-\x2f\x3b-\x40\x5b-\x60\x7b-\x7e]+")
_TIME_RE = re.compile(r"(\d{1,2}):(\d{1,2}):(\d{1,2})(?!\d)")
_DAY_RE = re.compile(r"(\d{1,2})(?!\d)")
_YEAR_RE = re.compile(r"(\d{2,4})(?!\d)")
_MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_MAX_AGE_RE = re.compile(r"-?[0-9]+")


class CookieMorsel(Morsel):  # type: ignore[type-arg]
    """A Morsel that also knows ``Partitioned``, which the stdlib only learned in 3.14."""

    _reserved = {**Morsel._reserved, "partitioned": "Partitioned"}  # type: ignore[attr-defined]
    _flags = Morsel._flags | {"partitioned"}  # type: ignore[attr-defined]


def make_morsel(
    name: str, value: str, coded_value: str, cls: type[Morsel[str]] = CookieMorsel
) -> Morsel[str]:
    """A Morsel holding ``name`` as given (names are checked by ``is_valid_cookie`` first)."""
    # __setstate__ sets the key without Morsel.set's legal-character table, which rejects
    # names browsers accept (``cart[1]``); our own checks run before this.
    morsel = cls()
    state = {"key": name, "value": value, "coded_value": coded_value}
    morsel.__setstate__(state)  # type: ignore[attr-defined]
    return morsel


def is_valid_cookie(name: str, value: str) -> bool:
    """Whether ``name=value`` can be stored and sent back in a Cookie header unchanged."""
    return bool(_NAME_RE.fullmatch(name)) and not _VALUE_CTL_RE.search(value)


def domain_match(host: str, domain: str) -> bool:
    """RFC 6265 5.1.3 for a host name: the domain itself or a subdomain of it (IP hosts are
    the caller's to tell apart)."""
    return host == domain or host.endswith("." + domain)


def parse_cookie_date(text: str) -> float | None:
    """Parse an Expires value with RFC 6265's lenient algorithm; None when it is no date."""
    hms = day = month = year = None
    for token in _DATE_TOKEN_RE.findall(text):
        if hms is None and (m := _TIME_RE.match(token)):
            hms = tuple(int(part) for part in m.groups())
        elif day is None and (m := _DAY_RE.match(token)):
            day = int(m.group(1))
        elif month is None and token[:3].lower() in _MONTHS:
            month = _MONTHS[token[:3].lower()]
        elif year is None and (m := _YEAR_RE.match(token)):
            year = int(m.group(1))
    if hms is None or day is None or month is None or year is None:
        return None
    if 70 <= year <= 99:
        year += 1900
    elif year <= 69:
        year += 2000
    hour, minute, second = hms
    if year < 1601 or hour > 23 or minute > 59 or second > 59:
        return None
    if not 1 <= day <= calendar.monthrange(year, month)[1]:
        return None
    return float(calendar.timegm((year, month, day, hour, minute, second)))


def max_age_seconds(text: str) -> int | None:
    """RFC 6265 5.2.2: an optional '-' and digits (``+5`` and ``5.0`` are ignored)."""
    text = text.strip()
    if not _MAX_AGE_RE.fullmatch(text):
        return None
    digits = text.lstrip("-").lstrip("0")
    if text.startswith("-") or not digits:
        return 0
    # Past the last representable date anyway; int() never sees 5000 digits.
    return int(digits) if len(digits) <= 12 else int(MAX_COOKIE_TIME)


def settle_expiry(morsel: Morsel[str], now: float) -> float | None:
    """The absolute expiry time, Max-Age winning over Expires (RFC 6265 5.3 step 3).

    The attribute RFC 6265 ignores is cleared, as aiohttp's jar does, so that a stored Morsel
    shows only what governs it: Max-Age when it is no number, Expires too when it is no date.
    """
    max_age = max_age_seconds(str(morsel["max-age"]))
    if max_age is not None:
        return 0.0 if max_age <= 0 else min(now + max_age, MAX_COOKIE_TIME)
    morsel["max-age"] = ""
    expires = morsel["expires"]
    if not expires:
        return None
    when = parse_cookie_date(str(expires))
    if when is None:
        morsel["expires"] = ""
    return when


def parse_set_cookies(headers: Iterable[str]) -> list[Morsel[str]]:
    """The cookies of one response's Set-Cookie values, at most 50 (the first valid ones)."""
    morsels: list[Morsel[str]] = []
    for header in headers:
        morsel = parse_set_cookie(header)
        if morsel is not None:
            morsels.append(morsel)
            if len(morsels) == _MAX_COOKIES_PER_RESPONSE:
                break
    return morsels


def parse_set_cookie(header: str) -> Morsel[str] | None:
    """Parse one Set-Cookie value; None when the cookie must be ignored.

    A value the server quoted is unquoted but remembered, so it can be sent back as received.
    """
    pair = _split_pair(header)
    if pair is None:
        return None
    name, coded, attributes = pair
    value = coded
    if len(coded) >= 2 and coded[0] == coded[-1] == '"':
        value = VALUE_CODEC.value_decode(coded)[0]
    morsel = make_morsel(name, value, coded)
    _apply_attributes(morsel, attributes)
    return morsel


def _split_pair(header: str) -> tuple[str, str, str] | None:
    """(name, value as sent, the attribute text) of a valid cookie, else None."""
    name, eq, rest = header.partition("=")
    if not eq or ";" in name:
        return None
    name = name.strip(" \t")
    quoted = _QUOTED_VALUE_RE.match(rest)
    if quoted is not None:
        coded, attributes = quoted.group(1), rest[quoted.end() :]
    else:
        coded, _, attributes = rest.partition(";")
        coded = coded.strip(" \t")
    if not _NAME_RE.fullmatch(name) or _VALUE_CTL_RE.search(coded):
        return None
    # A control character anywhere among the attributes drops the cookie (RFC 6265bis 5.6).
    if len(name) + len(coded) > _MAX_PAIR_LENGTH or CTL_EXCEPT_HTAB_RE.search(attributes):
        return None
    return name, coded, attributes


def _apply_attributes(morsel: Morsel[str], attributes: str) -> None:
    """Set the known attributes; the last of each wins, the 33rd and later are ignored.

    Text that is no attribute (a stray quote, a backslash, non-ASCII outside quotes) makes
    the parser skip to the next ``;``, as aiohttp does.
    """
    count = pos = 0
    while count < _MAX_ATTRIBUTES:
        pos = _SEPARATORS_RE.match(attributes, pos).end()  # type: ignore[union-attr]
        if pos == len(attributes):
            return
        match = _ATTRIBUTE_RE.match(attributes, pos)
        value = None if match is None else _attribute_value(match)
        if match is None or value is False or not match["key"]:
            semicolon = attributes.find(";", pos)
            if semicolon < 0:
                return
            pos = semicolon + 1
            continue
        pos = match.end()
        count += 1
        key = match["key"].lower()
        if key in _FLAG_ATTRS:
            morsel[key] = True
        elif key in _VALUE_ATTRS:
            morsel[key] = "" if value is None else value  # a bare ``Path`` clears it


def _attribute_value(match: re.Match[str]) -> str | bool | None:
    """The text of an attribute's value; None when it has none, False when it is malformed."""
    raw = match["quoted"] or match["open"] or match["date"] or match["plain"]
    if raw is None:
        return None
    if len(raw) > _MAX_ATTRIBUTE_VALUE_LENGTH or "\t" in raw:
        return False
    return VALUE_CODEC.value_decode(raw)[0] if match["quoted"] else raw
