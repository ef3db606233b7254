"""Set-Cookie parsing and domain acceptance, pinned to what aiohttp 3.14.5 does (issue 13, #25).

Each expected value was observed by running aiohttp and this library side by side on the same
header; ``test_table_matches_aiohttp`` re-runs that comparison live when aiohttp is installed.
Rows marked ``DIFFERS`` are deliberate differences (docs/DIFFERENCES.md says why).
"""

from __future__ import annotations

from http.cookies import Morsel

import pytest
from yarl import URL

from aiohttp_clone import CookieJar
from aiohttp_clone._http.set_cookie import parse_set_cookie, parse_set_cookies


def attrs(morsel: Morsel[str]) -> dict[str, object]:
    return {k: v for k, v in morsel.items() if v}


# (Set-Cookie value, (name, value, coded value, attributes) or None when the cookie is ignored)
PARSED = [
    # Attributes separated by white space instead of ';'.
    ("a=1; Path=/ Max-Age=1", ("a", "1", "1", {"path": "/", "max-age": "1"})),
    ("a=1; Max-Age=1 Path=/", ("a", "1", "1", {"path": "/", "max-age": "1"})),
    ("a=1; Domain=example.com Path=/", ("a", "1", "1", {"domain": "example.com", "path": "/"})),
    ("a=1; Secure HttpOnly", ("a", "1", "1", {"secure": True, "httponly": True})),
    ("a=1; Secure x HttpOnly", ("a", "1", "1", {"secure": True, "httponly": True})),
    ("a=1; Secure=1 HttpOnly=2", ("a", "1", "1", {"secure": True, "httponly": True})),
    ("a=1; Path=/x y=z", ("a", "1", "1", {"path": "/x"})),
    ("a=1; Max-Age=1, Path=/x", ("a", "1", "1", {"path": "/x", "max-age": "1,"})),
    # The cookie value itself runs to the first ';' (or the closing quote).
    ("a=1 Path=/", ("a", "1 Path=/", "1 Path=/", {})),
    ("a=b c d=e; Path=/", ("a", "b c d=e", "b c d=e", {"path": "/"})),
    ('a="x; y"; Path=/', ("a", "x; y", '"x; y"', {"path": "/"})),
    ('a="a;b" c; Path=/', ("a", '"a', '"a', {"path": "/"})),
    ('a="x"y; Path=/', ("a", '"x"y', '"x"y', {"path": "/"})),
    ('a="x\\073y"', ("a", "x;y", '"x\\073y"', {})),
    (" a = b ; Path=/", ("a", "b", "b", {"path": "/"})),
    ("a==b", ("a", "=b", "=b", {})),
    # Dates keep their spaces; anything else stops at white space.
    (
        "a=1; Expires=Wed, 09 Jun 2100 10:18:14 GMT Path=/x",
        ("a", "1", "1", {"expires": "Wed, 09 Jun 2100 10:18:14 GMT", "path": "/x"}),
    ),
    (
        "a=1; Expires=Wednesday, 09-Jun-2100 10:18:14 GMT",
        ("a", "1", "1", {"expires": "Wednesday, 09-Jun-2100 10:18:14 GMT"}),
    ),
    (
        "a=1; Expires=Wed Jun  9 10:18:14 2100",
        ("a", "1", "1", {"expires": "Wed Jun  9 10:18:14 2100"}),
    ),
    ("a=1; Expires=09 Jun 2100 10:18:14 GMT", ("a", "1", "1", {"expires": "09"})),
    ("a=1; Expires=Wed, 09 Jun 2100 10:18:14 UTC", ("a", "1", "1", {"expires": "Wed,"})),
    ("a=1; Comment=hello world", ("a", "1", "1", {"comment": "hello"})),
    ("a=1; Domain=ex ample.com", ("a", "1", "1", {"domain": "ex"})),
    # Quoted attribute values are unquoted; an unclosed quote is kept as sent, up to ';'.
    ('a=1; Path="/q;r"', ("a", "1", "1", {"path": "/q;r"})),
    ('a=1; Domain="example.com"', ("a", "1", "1", {"domain": "example.com"})),
    ('a=1; Path="/a b; Secure', ("a", "1", "1", {"path": '"/a b', "secure": True})),
    ('a=1; Path="/a"b; Secure', ("a", "1", "1", {"secure": True})),
    # Malformed attribute values are skipped up to the next ';'; known ones are kept.
    ('a=1; Path=/a"b; Secure', ("a", "1", "1", {"secure": True})),
    ("a=1; Path=/x\u00e9y; Secure", ("a", "1", "1", {"secure": True})),
    ("a=1; \\ Secure", ("a", "1", "1", {})),
    ("a=1; =Secure", ("a", "1", "1", {})),
    ("a=1; Path=/x\ty", ("a", "1", "1", {"path": "/x"})),
    ("a=1; Version=1; Foo=bar", ("a", "1", "1", {"version": "1"})),
    ("a=1; Path=/x; Path", ("a", "1", "1", {})),
    # Control characters anywhere, and bad names, drop the cookie.
    ("a=1; Path=/\x7f", None),
    ("a=1; Foo=\x00", None),
    ("a=1\tb", None),
    ("\u00e9=1", None),
    ("a\\b=1", None),
    ("a b=1", None),
    ("a,b=1", None),
    ("a", None),
    ("=a", None),
    ("a{b}=1", ("a{b}", "1", "1", {})),
    ("$Version=1", ("$Version", "1", "1", {})),
    ("a=x\x85", ("a", "x\x85", "x\x85", {})),
]


@pytest.mark.parametrize(("header", "expected"), PARSED)
def test_set_cookie_parsing(header: str, expected: tuple[str, str, str, dict] | None) -> None:
    morsel = parse_set_cookie(header)
    got = None if morsel is None else (morsel.key, morsel.value, morsel.coded_value, attrs(morsel))
    assert got == expected


def test_bounds_of_one_cookie() -> None:
    """Name and value up to 4096 characters; values up to 1024; at most 32 attributes."""
    assert parse_set_cookie("ab=" + "x" * 4094) is not None
    assert parse_set_cookie("ab=" + "x" * 4095) is None
    assert parse_set_cookie('ab="' + "x" * 4093 + '"') is None
    long_path = "/" + "x" * 1023
    assert parse_set_cookie(f"a=1; Path={long_path}")["path"] == long_path  # type: ignore[index]
    too_long = parse_set_cookie(f"a=1; Path={long_path}x; Secure")
    assert too_long is not None and attrs(too_long) == {"secure": True}
    unknown = "; ".join(f"x{i}=1" for i in range(31))
    assert attrs(parse_set_cookie(f"a=1; {unknown}; Path=/x")) == {"path": "/x"}  # type: ignore[arg-type]
    assert attrs(parse_set_cookie(f"a=1; {unknown}; x=1; Path=/x")) == {}  # type: ignore[arg-type]


def test_at_most_50_cookies_per_response() -> None:
    morsels = parse_set_cookies(["bad"] * 10 + [f"c{i}=1" for i in range(60)])
    assert [m.key for m in morsels] == [f"c{i}" for i in range(50)]
    jar = CookieJar()
    jar.update_cookies_from_headers([f"c{i}=1" for i in range(60)], URL("http://example.com/"))
    assert len(jar) == 50


# (response URL, Domain attribute, domain stored or None, host-only), aiohttp's unless DIFFERS.
DOMAINS = [
    ("http://www.example.com/", ".example.com", "example.com", False),
    ("http://www.example.com/", "..example.com", None, False),
    ("http://www.example.com/", "example.com.", "www.example.com", True),
    ("http://www.example.com/", ".example.com.", "www.example.com", True),
    ("http://example.com/", ".", "example.com", True),
    ("http://www.example.com./", "example.com", None, False),
    ("http://www.example.com./", "example.com.", "www.example.com.", True),
    ("http://www.example.com/", "other.com", None, False),
    ("http://www.example.com/", "sub.www.example.com", None, False),
    ("http://www.example.com/", "ex%61mple.com", None, False),
    ("http://www.example.com/", "*.example.com", None, False),
    ("http://a.localhost/", "localhost", "localhost", False),
    ("http://example.com/", "127.0.0.1", None, False),
    # A non-ASCII Domain outside quotes is no attribute: the cookie stays with its host.
    ("http://www.b\u00fccher.example/", "B\u00dcCHER.example", "www.xn--bcher-kva.example", True),
    ("http://www.b\u00fccher.example/", "xn--bcher-kva.example", "xn--bcher-kva.example", False),
    # DIFFERS: aiohttp compares the Domain case-sensitively and refuses this cookie.
    ("http://www.example.com/", "EXAMPLE.COM", "example.com", False),
    # DIFFERS: aiohttp stores a cookie for every host under "com".
    ("http://www.example.com/", "com", None, False),
    ("http://www.example.com/", ".com", None, False),
    ("http://a.intranet/", "intranet", None, False),
    # DIFFERS (RFC 6265 5.3 step 5): a public suffix naming the host itself makes a host-only
    # cookie; aiohttp makes a domain cookie.
    ("http://intranet/", "intranet", "intranet", True),
]


@pytest.mark.parametrize(("url", "domain", "stored", "host_only"), DOMAINS)
def test_domain_attribute(url: str, domain: str, stored: str | None, host_only: bool) -> None:
    jar = CookieJar()
    jar.update_cookies_from_headers([f"a=1; Domain={domain}"], URL(url))
    assert [m["domain"] for m in jar] == ([] if stored is None else [stored])
    assert bool(jar.host_only_cookies) is host_only


@pytest.mark.parametrize("unsafe", [False, True])
def test_ip_address_domains(unsafe: bool) -> None:
    """As aiohttp: with unsafe=True a Domain equal to the IP makes a (domain) cookie for it."""
    jar = CookieJar(unsafe=unsafe)
    jar.update_cookies_from_headers(
        ["a=1; Domain=127.0.0.1", "b=1; Domain=0.0.1", "c=1"], URL("http://127.0.0.1/")
    )
    jar.update_cookies_from_headers(["d=1; Domain=::1"], URL("http://[::1]/"))
    expected = [("a", "127.0.0.1"), ("c", "127.0.0.1"), ("d", "::1")] if unsafe else []
    assert sorted((m.key, m["domain"]) for m in jar) == expected
    assert jar.host_only_cookies == ({("127.0.0.1", "", "c")} if unsafe else frozenset())


def test_idna_domain_of_a_morsel_is_canonicalised() -> None:
    """DIFFERS: aiohttp refuses a non-ASCII Domain; RFC 6265 5.1.2 turns it into A-labels."""
    jar = CookieJar()
    morsel: Morsel[str] = Morsel()
    morsel.set("a", "1", "1")
    morsel["domain"] = "B\u00fccher.example"
    jar.update_cookies({"a": morsel}, URL("http://www.b\u00fccher.example/"))
    assert [m["domain"] for m in jar] == ["xn--bcher-kva.example"]
    assert list(jar.filter_cookies(URL("http://other.xn--bcher-kva.example/"))) == ["a"]


EXPIRY = [
    ("Max-Age=abc", {}),
    ("Max-Age=5.0", {}),
    ("Max-Age=05", {"max-age": "05"}),
    ("Expires=garbage", {}),
    ("Max-Age=100; Expires=garbage", {"max-age": "100", "expires": "garbage"}),
    (
        "Max-Age=abc; Expires=Wed, 09 Jun 2100 10:18:14 GMT",
        {"expires": "Wed, 09 Jun 2100 10:18:14 GMT"},
    ),
]


@pytest.mark.parametrize(("attribute", "kept"), EXPIRY)
def test_ignored_max_age_and_expires_are_not_stored(attribute: str, kept: dict) -> None:
    jar = CookieJar()
    jar.update_cookies_from_headers([f"a=1; Path=/; {attribute}"], URL("http://example.com/"))
    (morsel,) = jar
    assert {k: v for k, v in attrs(morsel).items() if k in ("max-age", "expires")} == kept


def test_max_age_beyond_year_9999_is_capped(tmp_path) -> None:  # type: ignore[no-untyped-def]
    jar = CookieJar()
    jar.update_cookies_from_headers(["a=1; Max-Age=" + "9" * 30], URL("http://example.com/"))
    path = tmp_path / "jar.json"
    jar.save(path)
    assert '"expires_timestamp": 253402300799' in path.read_text()


async def test_table_matches_aiohttp() -> None:
    """The pinned rows above, re-observed on aiohttp itself through its public jar API."""
    aiohttp = pytest.importorskip("aiohttp")
    for header, _ in PARSED:
        theirs = aiohttp.CookieJar()
        theirs.update_cookies_from_headers([header], URL("http://example.com/p"))
        ours = CookieJar()
        ours.update_cookies_from_headers([header], URL("http://example.com/p"))
        assert [(m.key, m.coded_value, m["path"]) for m in theirs] == [
            (m.key, m.coded_value, m["path"]) for m in ours
        ], header
    for url, domain, _, _ in DOMAINS[:15]:
        theirs = aiohttp.CookieJar()
        theirs.update_cookies_from_headers([f"a=1; Domain={domain}"], URL(url))
        ours = CookieJar()
        ours.update_cookies_from_headers([f"a=1; Domain={domain}"], URL(url))
        assert [m["domain"] for m in theirs] == [m["domain"] for m in ours], (url, domain)
        assert theirs.host_only_cookies == ours.host_only_cookies, (url, domain)
