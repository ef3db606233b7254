"""Set-Cookie parsing (RFC 6265 section 5.2, with 6265bis's control-character rule).

Sans-I/O and stateless: one header value in, one ``Morsel`` (or None) out. The jar decides what
to store and for whom (``cookiejar.py``).
"""

from __future__ import annotations

import calendar
import re
from http.cookies import Morsel, SimpleCookie

from .rules import CTL_EXCEPT_HTAB_RE

__all__ = (
    "CookieMorsel",
    "cookie_expiry",
    "is_valid_cookie",
    "make_morsel",
    "parse_cookie_date",
    "parse_set_cookie",
)

# RFC 6265bis 5.6: a control character (other than tab) anywhere in a cookie rejects it.
_CTL_RE = CTL_EXCEPT_HTAB_RE
# A name must also survive being written as ``name=value; `` in a Cookie header.
_BAD_NAME_RE = re.compile(r'[\x00-\x20\x7f;=,"]')
_FLAG_ATTRS = frozenset({"secure", "httponly", "partitioned"})
_VALUE_ATTRS = frozenset({"domain", "path", "expires", "max-age", "samesite"})
_ENCODER: SimpleCookie = SimpleCookie()

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
_MAX_AGE_CAP = 10**12


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
    return bool(name) and not _BAD_NAME_RE.search(name) and not _CTL_RE.search(value)


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


def cookie_expiry(morsel: Morsel[str], now: float) -> float | None:
    """Absolute expiry time; Max-Age wins over Expires (RFC 6265 5.3 step 3)."""
    max_age = str(morsel["max-age"]).strip()
    if max_age and _MAX_AGE_RE.fullmatch(max_age):
        digits = max_age.lstrip("-").lstrip("0")
        if max_age.startswith("-") or not digits:
            return 0.0
        # Cap absurd values so the sum stays a float (and int() never sees 5000 digits).
        return now + (int(digits) if len(digits) <= 12 else _MAX_AGE_CAP)
    expires = morsel["expires"]
    return parse_cookie_date(str(expires)) if expires else None


def parse_set_cookie(header: str) -> Morsel[str] | None:
    """Parse one Set-Cookie value per RFC 6265 5.2; None when the cookie must be ignored.

    Unknown attributes are skipped (the stdlib parser would turn them into cookies), and a
    value the server quoted is unquoted but remembered, so it can be sent back as received.
    """
    pair, _, attributes = header.partition(";")
    name, eq, coded = pair.partition("=")
    name, coded = name.strip(" \t"), coded.strip(" \t")
    if not eq or not is_valid_cookie(name, coded):
        return None
    value = coded
    if len(coded) >= 2 and coded[0] == coded[-1] == '"':
        value = _ENCODER.value_decode(coded)[0]
    morsel = make_morsel(name, value, coded)
    for attribute in attributes.split(";"):
        key, _, attr_value = attribute.partition("=")
        key = key.strip(" \t").lower()
        if key in _FLAG_ATTRS:
            morsel[key] = True
        elif key in _VALUE_ATTRS and not _CTL_RE.search(attr_value):
            morsel[key] = attr_value.strip(" \t")
    return morsel
