"""Unit tests of the cookie jar: RFC 6265 storage, matching, expiry and persistence."""

from __future__ import annotations

import json
import time
from http.cookies import BaseCookie, CookieError, Morsel, SimpleCookie
from pathlib import Path

import pytest
from yarl import URL

from aiohttp_clone import cookiejar
from aiohttp_clone.abc import AbstractCookieJar
from aiohttp_clone.cookiejar import CookieJar, DummyCookieJar, parse_cookie_date, parse_set_cookie


def names(jar: CookieJar, url: str) -> dict[str, str]:
    return {k: m.value for k, m in jar.filter_cookies(URL(url)).items()}


def set_cookies(jar: CookieJar, url: str, *headers: str) -> None:
    jar.update_cookies_from_headers(list(headers), URL(url))


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """A controllable wall clock: append or assign clock[0] to move time."""
    now = [1_700_000_000.0]
    monkeypatch.setattr(cookiejar.time, "time", lambda: now[0])
    return now


# -- host-only and domain cookies ---------------------------------------------------------------


def test_host_only_cookie_goes_to_that_host_only() -> None:
    jar = CookieJar()
    set_cookies(jar, "http://example.com/", "a=1")
    assert names(jar, "http://example.com/") == {"a": "1"}
    assert names(jar, "http://www.example.com/") == {}
    assert names(jar, "http://other.com/") == {}
    assert jar.host_only_cookies == {("example.com", "", "a")}  # aiohttp's key: no trailing "/"


def test_domain_cookie_goes_to_subdomains_leading_dot_ignored() -> None:
    jar = CookieJar()
    set_cookies(
        jar, "http://www.example.com/", "a=1; Domain=.Example.COM", "b=2; Domain=example.com"
    )
    assert names(jar, "http://example.com/") == {"a": "1", "b": "2"}
    assert names(jar, "http://deep.sub.example.com/") == {"a": "1", "b": "2"}
    assert names(jar, "http://notexample.com/") == {}
    assert not jar.host_only_cookies


def test_domain_not_matching_response_host_is_rejected() -> None:
    jar = CookieJar()
    set_cookies(
        jar, "http://www.example.com/", "a=1; Domain=other.com", "b=2; Domain=sub.www.example.com"
    )
    assert len(jar) == 0


@pytest.mark.parametrize("domain", ["com", ".com", "org"])
def test_public_suffix_domain_is_refused(domain: str) -> None:
    jar = CookieJar()
    set_cookies(jar, "http://example.com/", f"a=1; Domain={domain}")
    assert len(jar) == 0
    assert names(jar, "http://other.com/") == {}


def test_localhost_domain_is_allowed() -> None:
    jar = CookieJar()
    set_cookies(jar, "http://localhost/", "a=1; Domain=localhost")
    assert names(jar, "http://localhost/") == {"a": "1"}


def test_dotless_domain_equal_to_host_becomes_host_only() -> None:
    jar = CookieJar()
    set_cookies(jar, "http://intranet/", "a=1; Domain=intranet")
    assert names(jar, "http://intranet/") == {"a": "1"}
    assert jar.host_only_cookies == {("intranet", "", "a")}


def test_shared_cookies_without_response_url_go_everywhere() -> None:
    jar = CookieJar()
    jar.update_cookies({"s": "1"})
    assert names(jar, "http://a.com/x/y") == {"s": "1"}
    assert names(jar, "https://127.0.0.1/") == {"s": "1"}


def test_user_domain_without_response_url_is_a_domain_cookie() -> None:
    jar = CookieJar()
    morsel: Morsel[str] = Morsel()
    morsel.set("d", "1", "1")
    morsel["domain"] = "example.com"
    jar.update_cookies({"d": morsel})
    assert names(jar, "http://www.example.com/") == {"d": "1"}
    assert names(jar, "http://other.com/") == {}


# -- IP-address hosts ---------------------------------------------------------------------------


def test_ip_host_cookies_refused_by_default() -> None:
    jar = CookieJar()
    set_cookies(jar, "http://127.0.0.1/", "a=1")
    jar.update_cookies({"b": "2"}, URL("http://[::1]/"))
    assert len(jar) == 0


def test_ip_host_cookies_with_unsafe_go_to_that_ip_only() -> None:
    jar = CookieJar(unsafe=True)
    set_cookies(jar, "http://10.1.2.3/", "a=1", "b=2; Domain=2.3", "c=3; Domain=10.1.2.3")
    assert names(jar, "http://10.1.2.3/") == {"a": "1", "c": "3"}
    assert names(jar, "http://10.1.2.4/") == {}
    assert names(jar, "http://9.1.2.3/") == {}


def test_ip_request_does_not_match_domain_cookie_by_suffix() -> None:
    jar = CookieJar(unsafe=True)
    jar.update_cookies({"odd": "1"}, URL())
    odd: Morsel[str] = Morsel()
    odd.set("x", "1", "1")
    odd["domain"] = "2.3.com"
    jar.update_cookies({"x": odd})
    assert names(jar, "http://1.2.3.com/") == {"odd": "1", "x": "1"}
    assert names(jar, "http://10.1.2.3/") == {"odd": "1"}


# -- paths --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("response_path", "expected"),
    [("/", "/"), ("", "/"), ("/a", "/"), ("/a/", "/a"), ("/a/b", "/a"), ("/a/b/c", "/a/b")],
)
def test_default_path(response_path: str, expected: str) -> None:
    jar = CookieJar()
    set_cookies(jar, "http://example.com" + response_path, "a=1")
    assert [m["path"] for m in jar] == [expected]


def test_path_attribute_without_slash_uses_default_path() -> None:
    jar = CookieJar()
    set_cookies(jar, "http://example.com/x/y", "a=1; Path=noslash", "b=2; Path=")
    assert {m["path"] for m in jar} == {"/x"}


@pytest.mark.parametrize(
    ("request_path", "sent"),
    [("/docs", True), ("/docs/", True), ("/docs/web", True), ("/docsx", False), ("/", False)],
)
def test_path_match(request_path: str, sent: bool) -> None:
    jar = CookieJar()
    set_cookies(jar, "http://example.com/", "a=1; Path=/docs")
    assert bool(names(jar, "http://example.com" + request_path)) is sent


def test_path_with_trailing_slash_matches_below_it() -> None:
    jar = CookieJar()
    set_cookies(jar, "http://example.com/", "a=1; Path=/docs/")
    assert names(jar, "http://example.com/docs/x") == {"a": "1"}
    assert names(jar, "http://example.com/docs") == {}


def test_name_clash_sends_the_longer_path_in_aiohttps_order() -> None:
    """aiohttp sends shorter paths first and, of one name, only the most specific cookie."""
    jar = CookieJar()
    set_cookies(jar, "http://example.com/", "a=root; Path=/", "a=deep; Path=/x", "b=1; Path=/")
    cookies = jar.filter_cookies(URL("http://example.com/x/y"))
    assert [(k, m.value) for k, m in cookies.items()] == [("b", "1"), ("a", "deep")]
    assert len(jar) == 3


def test_same_name_different_path_are_distinct_cookies() -> None:
    jar = CookieJar()
    set_cookies(jar, "http://example.com/", "a=1; Path=/p", "a=2; Path=/q")
    assert names(jar, "http://example.com/p") == {"a": "1"}
    assert names(jar, "http://example.com/q") == {"a": "2"}


# -- Secure -------------------------------------------------------------------------------------


def test_secure_not_sent_over_http() -> None:
    jar = CookieJar()
    set_cookies(jar, "https://example.com/", "s=1; Secure", "p=2")
    assert names(jar, "https://example.com/") == {"s": "1", "p": "2"}
    assert names(jar, "wss://example.com/") == {"s": "1", "p": "2"}
    assert names(jar, "http://example.com/") == {"p": "2"}


def test_treat_as_secure_origin() -> None:
    jar = CookieJar(treat_as_secure_origin=["http://trusted.test", URL("http://other.test:8080/x")])
    assert jar.treat_as_secure_origin == {URL("http://trusted.test"), URL("http://other.test:8080")}
    set_cookies(jar, "https://trusted.test/", "s=1; Secure")
    set_cookies(jar, "https://other.test/", "t=1; Secure")
    assert names(jar, "http://trusted.test/page") == {"s": "1"}
    assert names(jar, "http://other.test:8080/") == {"t": "1"}
    assert names(jar, "http://other.test/") == {}


def test_treat_as_secure_origin_single_string() -> None:
    jar = CookieJar(treat_as_secure_origin="http://trusted.test")
    assert jar.treat_as_secure_origin == {URL("http://trusted.test")}


# -- attributes ---------------------------------------------------------------------------------


def test_attributes_are_kept() -> None:
    jar = CookieJar()
    set_cookies(jar, "https://example.com/", "a=1; Secure; HttpOnly; SameSite=Strict; Partitioned")
    (morsel,) = jar
    assert morsel["secure"] is True
    assert morsel["httponly"] is True
    assert morsel["samesite"] == "Strict"
    assert morsel["partitioned"] is True
    assert "Partitioned" in morsel.OutputString()
    assert morsel["domain"] == "example.com"


def test_unknown_attributes_are_ignored_not_turned_into_cookies() -> None:
    jar = CookieJar()
    set_cookies(jar, "http://example.com/", "a=1; Foo=bar; Priority=High; Version=1")
    assert names(jar, "http://example.com/") == {"a": "1"}


def test_parse_set_cookie_rejects_malformed() -> None:
    assert parse_set_cookie("novalue") is None
    assert parse_set_cookie("=nameless") is None
    assert parse_set_cookie("a b=1") is None
    assert parse_set_cookie("a=1\x00") is None
    morsel = parse_set_cookie('  q = "x y" ; path=/p ')
    assert morsel is not None
    assert (morsel.key, morsel.value, morsel.coded_value, morsel["path"]) == (
        "q",
        "x y",
        '"x y"',
        "/p",
    )


# -- expiry -------------------------------------------------------------------------------------


def test_max_age_expires_cookie_lazily(clock: list[float]) -> None:
    jar = CookieJar()
    set_cookies(jar, "http://example.com/", "a=1; Max-Age=10", "b=2")
    assert len(jar) == 2
    clock[0] += 10
    assert names(jar, "http://example.com/") == {"b": "2"}
    assert len(jar) == 1
    assert [m.key for m in jar] == ["b"]


def test_max_age_wins_over_expires(clock: list[float]) -> None:
    jar = CookieJar()
    set_cookies(
        jar,
        "http://example.com/",
        "a=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=100",
        "b=2; Max-Age=0; Expires=Fri, 31 Dec 9999 23:59:59 GMT",
    )
    assert names(jar, "http://example.com/") == {"a": "1"}
    clock[0] += 101
    assert len(jar) == 0


def test_expires_in_future_then_passes(clock: list[float]) -> None:
    jar = CookieJar()
    set_cookies(jar, "http://example.com/", "a=1; Expires=Wed, 15 Nov 2023 00:00:00 GMT")
    assert len(jar) == 1
    clock[0] = 1_700_006_400.0  # exactly that date
    assert len(jar) == 0


@pytest.mark.parametrize(
    "deletion",
    [
        "a=; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
        "a=gone; Expires=Thu, 01-Jan-1970 00:00:01 GMT",
        "a=; Max-Age=0",
        "a=; Max-Age=-1",
        "a=; Expires=Sun, 06 Nov 1994 08:49:37 GMT",
    ],
)
def test_past_expiry_deletes_existing_cookie(deletion: str) -> None:
    jar = CookieJar()
    set_cookies(jar, "http://example.com/", "a=1", "keep=1")
    set_cookies(jar, "http://example.com/", deletion)
    assert names(jar, "http://example.com/") == {"keep": "1"}
    assert len(jar) == 1


def test_deletion_must_match_domain_and_path() -> None:
    jar = CookieJar()
    set_cookies(jar, "http://example.com/", "a=1; Path=/p")
    set_cookies(jar, "http://example.com/", "a=; Max-Age=0; Path=/other")
    assert len(jar) == 1
    set_cookies(jar, "http://example.com/", "a=; Max-Age=0; Path=/p")
    assert len(jar) == 0


def test_invalid_max_age_falls_back_to_expires() -> None:
    jar = CookieJar()
    set_cookies(
        jar, "http://example.com/", "a=1; Max-Age=abc; Expires=Thu, 01 Jan 1970 00:00:00 GMT"
    )
    set_cookies(jar, "http://example.com/", "b=1; Max-Age=+5")
    assert names(jar, "http://example.com/") == {"b": "1"}


def test_huge_max_age_is_capped(clock: list[float]) -> None:
    jar = CookieJar()
    set_cookies(jar, "http://example.com/", "a=1; Max-Age=" + "9" * 5000, "b=1; Max-Age=0007")
    assert len(jar) == 2
    clock[0] += 7
    assert [m.key for m in jar] == ["a"]


def test_replaced_cookie_keeps_new_expiry(clock: list[float]) -> None:
    jar = CookieJar()
    set_cookies(jar, "http://example.com/", "a=1; Max-Age=5")
    set_cookies(jar, "http://example.com/", "a=2; Max-Age=50")
    clock[0] += 10
    assert names(jar, "http://example.com/") == {"a": "2"}


def test_expiry_heap_does_not_grow_with_replacements() -> None:
    jar = CookieJar()
    for i in range(1000):
        set_cookies(jar, "http://example.com/", f"a={i}; Max-Age=3600")
    assert len(jar) == 1
    assert len(jar._heap) < 100


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Sun, 06 Nov 1994 08:49:37 GMT", 784111777.0),
        ("Sunday, 06-Nov-94 08:49:37 GMT", 784111777.0),
        ("Sun Nov  6 08:49:37 1994", 784111777.0),
        ("Thu, 01 Jan 1970 00:00:00 GMT", 0.0),
        ("06 nov 69 8:9:7", 3150950947.0),
        ("Feb 30 2020 00:00:00", None),
        ("Sun, 06 Nov 1994 24:00:00 GMT", None),
        ("Sun, 06 Nov 1600 08:49:37 GMT", None),
        ("not a date", None),
    ],
)
def test_parse_cookie_date(text: str, expected: float | None) -> None:
    assert parse_cookie_date(text) == expected


# -- values, quoting, refusal ----------------------------------------------------------------


def test_quote_cookie_true_quotes_special_values() -> None:
    jar = CookieJar()
    jar.update_cookies({"a": "b c;", "plain": "v"}, URL("http://example.com/"))
    set_cookies(jar, "http://example.com/", 'q="as sent"')
    cookies = jar.filter_cookies(URL("http://example.com/"))
    assert cookies["a"].coded_value == '"b c\\073"'
    assert cookies["plain"].coded_value == "v"
    assert cookies["q"].coded_value == '"as sent"'
    assert jar.quote_cookie is True


# (value given to update_cookies, coded value sent with quote_cookie=True), observed from aiohttp.
QUOTED_VALUES = [
    ('"x"', '"\\"x\\""'),
    ('""', '"\\"\\""'),
    ('"a b"', '"\\"a b\\""'),
    ('"', '"\\""'),
    ('a"b', '"a\\"b"'),
    ("a\\b", '"a\\\\b"'),
    ('\\"x\\"', '"\\\\\\"x\\\\\\""'),
    ('{"k":1}', '"{\\"k\\":1}"'),
    ("a,b", '"a\\054b"'),
    ("\u00e9", '"\\351"'),
    ("a(b)", '"a(b)"'),
    ("a'b", "a'b"),
]


@pytest.mark.parametrize(("value", "coded"), QUOTED_VALUES)
def test_user_values_that_look_quoted_are_still_quoted(value: str, coded: str) -> None:
    """A value set by the user is data: '"x"' must reach the server as "x" with its quotes."""
    jar = CookieJar()
    jar.update_cookies({"q": value})
    sent = jar.filter_cookies(URL("http://example.com/"))["q"]
    assert (sent.value, sent.coded_value) == (value, coded)
    assert SimpleCookie(f"q={sent.coded_value}")["q"].value == value  # a server decodes it back
    raw = CookieJar(quote_cookie=False)
    raw.update_cookies({"q": value})
    assert raw.filter_cookies(URL("http://example.com/"))["q"].coded_value == value


def test_server_quoted_values_go_back_as_received() -> None:
    jar = CookieJar()
    set_cookies(jar, "http://example.com/", 'a="\\"x\\""', 'b="', 'c="x', 'd=a"b')
    sent = jar.filter_cookies(URL("http://example.com/"))
    assert {k: m.coded_value for k, m in sent.items()} == {
        "a": '"\\"x\\""',
        "b": '"',
        "c": '"x',
        "d": '"a\\"b"',  # not opening with a quote: quoted like any special value
    }


def test_quote_cookie_false_sends_raw_values() -> None:
    jar = CookieJar(quote_cookie=False)
    jar.update_cookies({"a": "b c"}, URL("http://example.com/"))
    set_cookies(jar, "http://example.com/", 'q="x"')
    cookies = jar.filter_cookies(URL("http://example.com/"))
    assert cookies["a"].coded_value == "b c"
    assert cookies["q"].coded_value == "x"
    assert jar.quote_cookie is False


@pytest.mark.parametrize(
    ("name", "value"),
    [("a", "x\r\nSet-Cookie: evil=1"), ("a", "x\n"), ("a", "x\x00"), ("a\r", "x"), ("", "x")],
)
def test_user_cookie_with_control_chars_raises(name: str, value: str) -> None:
    jar = CookieJar()
    with pytest.raises(ValueError):
        jar.update_cookies({name: value}, URL("http://example.com/"))
    with pytest.raises(CookieError):
        jar.update_cookies([(name, value)])
    assert len(jar) == 0


def test_invalid_user_cookie_stores_none_of_the_batch() -> None:
    jar = CookieJar()
    with pytest.raises(ValueError):
        jar.update_cookies({"good": "1", "bad": "x\r\n"}, URL("http://example.com/"))
    assert len(jar) == 0


def test_server_cookie_with_control_chars_dropped() -> None:
    jar = CookieJar()
    set_cookies(jar, "http://example.com/", "a=x\x00y", "b=x\ry", "ok=1")
    assert names(jar, "http://example.com/") == {"ok": "1"}


def test_update_cookies_accepts_all_input_shapes() -> None:
    jar = CookieJar()
    url = URL("http://example.com/")
    simple: SimpleCookie = SimpleCookie("c=3; Path=/")
    morsel: Morsel[str] = Morsel()
    morsel.set("d", "4", "4")
    jar.update_cookies({"a": "1"}, url)
    jar.update_cookies([("b", "2")], url)
    jar.update_cookies(simple, url)
    jar.update_cookies({"d": morsel}, url)
    assert names(jar, "http://example.com/") == {"a": "1", "b": "2", "c": "3", "d": "4"}


def test_filter_cookies_returns_base_cookie_and_empty_fast_path() -> None:
    jar = CookieJar()
    assert isinstance(jar.filter_cookies(URL("http://example.com/")), BaseCookie)
    assert jar.filter_cookies() == BaseCookie()


def test_filter_cookies_for_relative_url_sends_shared_only() -> None:
    jar = CookieJar()
    jar.update_cookies({"s": "1"})
    set_cookies(jar, "http://example.com/", "h=1")
    assert {k for k in jar.filter_cookies(URL("/path"))} == {"s"}


# -- clear, len, iter, views ---------------------------------------------------------------------


def test_len_and_iter_yield_morsels() -> None:
    jar = CookieJar()
    set_cookies(jar, "http://example.com/", "a=1", "b=2")
    assert len(jar) == 2
    assert all(isinstance(m, Morsel) for m in jar)
    assert [m.key for m in jar] == ["a", "b"]


def test_clear_all_and_by_predicate() -> None:
    jar = CookieJar()
    set_cookies(jar, "http://example.com/", "a=1", "b=2", "c=3")
    jar.clear(lambda m: m.key == "b")
    assert [m.key for m in jar] == ["a", "c"]
    jar.clear()
    assert len(jar) == 0
    assert names(jar, "http://example.com/") == {}


def test_clear_domain_removes_domain_and_subdomains() -> None:
    jar = CookieJar()
    set_cookies(jar, "http://example.com/", "a=1")
    set_cookies(jar, "http://www.example.com/", "b=1")
    set_cookies(jar, "http://x.example.com/", "c=1; Domain=example.com")
    set_cookies(jar, "http://example.org/", "d=1")
    set_cookies(jar, "http://badexample.com/", "e=1")
    jar.update_cookies({"shared": "1"})
    jar.clear_domain(".Example.com")
    assert sorted(m.key for m in jar) == ["d", "e", "shared"]


def test_cookies_view() -> None:
    jar = CookieJar()
    set_cookies(jar, "http://example.com/a/b", "x=1", "y=2; Path=/")
    view = jar.cookies
    assert set(view) == {("example.com", "/a"), ("example.com", "")}  # aiohttp's keys
    assert view[("example.com", "/a")]["x"].value == "1"


# -- save / load ------------------------------------------------------------------------------


def without_expiry(morsel: Morsel[str]) -> dict[str, object]:
    return {k: v for k, v in morsel.items() if k not in ("max-age", "expires")}


def test_save_load_round_trip(tmp_path: Path, clock: list[float]) -> None:
    jar = CookieJar()
    set_cookies(
        jar,
        "https://www.example.com/app/page",
        "host=1",
        "dom=2; Domain=example.com; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=100",
        'quoted="a b"; Partitioned; Secure; Path=/',
    )
    jar.update_cookies({"shared": "s"})
    path = tmp_path / "jar.json"
    jar.save(path)
    assert path.stat().st_mode & 0o777 == 0o600
    data = json.loads(path.read_text())
    assert set(data) == {"www.example.com|/app", "example.com|", "www.example.com|", "|"}

    loaded = CookieJar()
    set_cookies(loaded, "http://old.com/", "old=1")
    loaded.load(path)
    # The absolute expiry is saved instead of Max-Age/Expires, as aiohttp does.
    assert [(m.key, without_expiry(m)) for m in loaded] == [(m.key, without_expiry(m)) for m in jar]
    assert loaded.host_only_cookies == jar.host_only_cookies
    for url in ("https://www.example.com/app/x", "https://example.com/", "http://z.org/"):
        assert loaded.filter_cookies(URL(url)) == jar.filter_cookies(URL(url))
    clock[0] += 100
    assert "dom" not in names(loaded, "https://www.example.com/")


def test_load_skips_cookies_expired_since_save(tmp_path: Path, clock: list[float]) -> None:
    jar = CookieJar()
    set_cookies(jar, "http://example.com/", "a=1; Max-Age=5", "b=2")
    path = tmp_path / "jar.json"
    jar.save(str(path))
    clock[0] += 6
    loaded = CookieJar()
    loaded.load(str(path))
    assert [m.key for m in loaded] == ["b"]


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        "[1, 2]",
        '{"format": "aiohttp_clone.cookiejar", "version": 99, "cookies": []}',
        '{"format": "aiohttp_clone.cookiejar", "version": 1, "cookies": [{"name": "a"}]}',
        '{"format": "aiohttp_clone.cookiejar", "version": 1, "cookies": [1]}',
        '{"example.com|/": ["not a dict"]}',
    ],
)
def test_load_malformed_raises_and_keeps_jar(tmp_path: Path, content: str) -> None:
    jar = CookieJar()
    set_cookies(jar, "http://example.com/", "keep=1")
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(ValueError):
        jar.load(path)
    assert names(jar, "http://example.com/") == {"keep": "1"}


def test_load_applies_acceptance_rules(tmp_path: Path) -> None:
    def record(name: str, domain: str, host_only: bool = False) -> dict[str, object]:
        return {
            "name": name,
            "value": "1",
            "coded_value": "1",
            "domain": domain,
            "path": "/",
            "host_only": host_only,
            "expires_at": None,
            "attributes": {},
        }

    records = [record("tld", "com"), record("ip", "10.0.0.1", True), record("ok", "example.com")]
    path = tmp_path / "jar.json"
    path.write_text(
        json.dumps({"format": "aiohttp_clone.cookiejar", "version": 1, "cookies": records})
    )
    jar = CookieJar()
    jar.load(path)
    assert [m.key for m in jar] == ["ok"]


def test_load_reads_aiohttp_json(tmp_path: Path) -> None:
    future = time.time() + 3600
    data = {
        "example.com|/a": {
            "s": {
                "key": "s",
                "value": "1",
                "coded_value": "1",
                "path": "/a",
                "domain": "example.com",
                "secure": True,
                "host_only": True,
                "expires_timestamp": future,
            }
        },
        "example.com|": {
            "d": {
                "key": "d",
                "value": "2",
                "coded_value": "2",
                "path": "/",
                "domain": "example.com",
            }
        },
    }
    path = tmp_path / "aiohttp.json"
    path.write_text(json.dumps(data))
    jar = CookieJar()
    jar.load(path)
    assert names(jar, "https://example.com/a/b") == {"s": "1", "d": "2"}
    assert names(jar, "https://www.example.com/a/b") == {"d": "2"}


def filled_jar() -> CookieJar:
    """Cookies with every attribute the file keeps: host-only, domain, path, expiry, flags."""
    jar = CookieJar()
    set_cookies(jar, "http://example.com/x/y", "a=1")
    set_cookies(
        jar,
        "http://example.com/x/y",
        "b=2; Domain=example.com; Path=/; Secure; HttpOnly; SameSite=Lax",
    )
    set_cookies(jar, "https://sub.example.com/", "c=3; Max-Age=3600; Path=/p")
    set_cookies(
        jar,
        "https://sub.example.com/",
        "d=4; Expires=Wed, 01 Jan 2031 00:00:00 GMT; SameSite=Strict",
    )
    set_cookies(jar, "https://sub.example.com/", 'e="quoted value"; Path=/')
    jar.update_cookies({"shared": "s", "q": '"x"'})
    return jar


SAMPLE_URLS = (
    "http://example.com/x/y",
    "https://example.com/",
    "https://sub.example.com/p/q",
    "https://other.sub.example.com/p",
    "http://unrelated.org/",
)


def sent_everywhere(jar: object) -> list[list[tuple[str, str]]]:
    return [
        sorted((k, m.coded_value) for k, m in jar.filter_cookies(URL(url)).items())  # type: ignore[attr-defined]
        for url in SAMPLE_URLS
    ]


def test_save_writes_aiohttp_layout(tmp_path: Path, clock: list[float]) -> None:
    path = tmp_path / "jar.json"
    filled_jar().save(path)
    text = path.read_text()
    assert text.startswith('{\n  "example.com|/x": {\n    "a": {\n      "key": "a",')  # indent=2
    assert json.loads(text) == {
        "example.com|/x": {
            "a": {
                "key": "a",
                "value": "1",
                "coded_value": "1",
                "path": "/x",
                "domain": "example.com",
                "host_only": True,
            }
        },
        "example.com|": {
            "b": {
                "key": "b",
                "value": "2",
                "coded_value": "2",
                "path": "/",
                "domain": "example.com",
                "secure": True,
                "httponly": True,
                "samesite": "Lax",
            }
        },
        "sub.example.com|/p": {
            "c": {
                "key": "c",
                "value": "3",
                "coded_value": "3",
                "path": "/p",
                "domain": "sub.example.com",
                "host_only": True,
                "expires_timestamp": clock[0] + 3600,
            }
        },
        "sub.example.com|": {
            "d": {
                "key": "d",
                "value": "4",
                "coded_value": "4",
                "path": "/",
                "domain": "sub.example.com",
                "samesite": "Strict",
                "host_only": True,
                "expires_timestamp": 1924992000,
            },
            "e": {
                "key": "e",
                "value": "quoted value",
                "coded_value": '"quoted value"',
                "path": "/",
                "domain": "sub.example.com",
                "host_only": True,
            },
        },
        "|": {
            "shared": {"key": "shared", "value": "s", "coded_value": "s", "path": "/"},
            "q": {"key": "q", "value": '"x"', "coded_value": '"\\"x\\""', "path": "/"},
        },
    }
    assert '"expires_timestamp": 1924992000\n' in text  # a whole second is written as aiohttp does


def test_save_load_ours_keeps_host_only_and_expiry(tmp_path: Path, clock: list[float]) -> None:
    jar = filled_jar()
    path = tmp_path / "jar.json"
    jar.save(path)
    loaded = CookieJar()
    loaded.load(path)
    assert sent_everywhere(loaded) == sent_everywhere(jar)
    assert loaded.host_only_cookies == jar.host_only_cookies
    clock[0] += 3601
    assert "c" not in names(loaded, "https://sub.example.com/p")


def test_cookies_differing_by_a_trailing_slash_survive_a_round_trip(tmp_path: Path) -> None:
    """aiohttp files both under "h.example|/p"; the second one goes under its full path."""
    jar = CookieJar()
    set_cookies(jar, "http://h.example/", "a=1; Path=/p/", "a=2; Path=/p", "a=3; Path=/p//")
    path = tmp_path / "jar.json"
    jar.save(path)
    assert set(json.loads(path.read_text())) == {"h.example|/p", "h.example|/p/", "h.example|/p//"}
    loaded = CookieJar()
    loaded.load(path)
    assert sorted((m["path"], m.value) for m in loaded) == [
        ("/p", "2"),
        ("/p/", "1"),
        ("/p//", "3"),
    ]


async def test_our_file_loads_in_aiohttp(tmp_path: Path) -> None:
    real = pytest.importorskip("aiohttp")
    jar = filled_jar()
    path = tmp_path / "jar.json"
    jar.save(path)
    theirs = real.CookieJar()
    theirs.load(path)
    # SAMPLE_URLS include a sibling subdomain: host-only cookies must not reach it there either.
    assert sent_everywhere(theirs) == sent_everywhere(jar)


async def test_aiohttp_file_loads_here(tmp_path: Path, clock: list[float]) -> None:
    real = pytest.importorskip("aiohttp")
    theirs = real.CookieJar()
    theirs.update_cookies_from_headers(
        ["a=1", "b=2; Domain=example.com; Secure"], URL("http://example.com/x/y")
    )
    theirs.update_cookies_from_headers(
        ["c=3; Max-Age=3600; Path=/p", 'e="quoted value"; HttpOnly'],
        URL("https://sub.example.com/"),
    )
    theirs.update_cookies({"shared": "s", "q": '"x"'})
    path = tmp_path / "aiohttp.json"
    theirs.save(path)
    ours = CookieJar()
    ours.load(path)
    assert sent_everywhere(ours) == sent_everywhere(theirs)
    assert ours.host_only_cookies == theirs.host_only_cookies == {
        ("example.com", "/x", "a"),
        ("sub.example.com", "/p", "c"),
        ("sub.example.com", "", "e"),
    }
    expiry = json.loads(path.read_text())["sub.example.com|/p"]["c"]["expires_timestamp"]
    clock[0] = expiry - 1
    assert "c" in names(ours, "https://sub.example.com/p")
    clock[0] = expiry
    assert "c" not in names(ours, "https://sub.example.com/p")


def test_old_aiohttp_clone_format_still_loads(tmp_path: Path, clock: list[float]) -> None:
    old = {
        "format": "aiohttp_clone.cookiejar",
        "version": 1,
        "cookies": [
            {
                "name": "a",
                "value": "1",
                "coded_value": "1",
                "domain": "example.com",
                "path": "/x",
                "host_only": True,
                "expires_at": None,
                "attributes": {},
            },
            {
                "name": "b",
                "value": "2",
                "coded_value": "2",
                "domain": "example.com",
                "path": "/",
                "host_only": False,
                "expires_at": clock[0] + 10,
                "attributes": {"secure": True, "samesite": "Lax"},
            },
        ],
    }
    path = tmp_path / "old.json"
    path.write_text(json.dumps(old))
    jar = CookieJar()
    jar.load(path)
    assert names(jar, "https://example.com/x") == {"a": "1", "b": "2"}
    assert names(jar, "https://www.example.com/x") == {"b": "2"}
    assert names(jar, "http://www.example.com/x") == {}
    assert jar.host_only_cookies == {("example.com", "/x", "a")}
    clock[0] += 11
    assert names(jar, "https://example.com/x") == {"a": "1"}


def test_aiohttp_layout_rules(tmp_path: Path, clock: list[float]) -> None:
    """What aiohttp's load does: no Domain means host-only; a foreign Domain is dropped."""
    data = {
        "example.com|": {
            "nodomain": {"key": "nodomain", "value": "1", "coded_value": "1", "path": "/"},
            "foreign": {"key": "foreign", "value": "2", "coded_value": "2", "domain": "other.org"},
            "later": {"key": "later", "value": "3", "coded_value": "3", "max-age": "5"},
            "stamp": {
                "key": "stamp",
                "value": "4",
                "coded_value": "4",
                "expires_timestamp": "1e10",
            },
        },
        "|": {
            # Hostless group: host_only drops the Domain, leaving a cookie for every host.
            "h": {
                "key": "h",
                "value": "5",
                "coded_value": "5",
                "host_only": True,
                "domain": "x.org",
            },
            "dd": {"key": "dd", "value": "6", "coded_value": "6", "domain": "x.org"},
        },
    }
    path = tmp_path / "hand.json"
    path.write_text(json.dumps(data))
    jar = CookieJar()
    jar.load(path)
    everywhere = {"h": "5"}
    assert names(jar, "http://example.com/") == {
        "nodomain": "1",
        "later": "3",
        "stamp": "4",
        **everywhere,
    }
    assert names(jar, "http://www.example.com/") == everywhere
    assert names(jar, "http://a.x.org/") == {"dd": "6", **everywhere}
    clock[0] += 6
    assert names(jar, "http://example.com/") == {"nodomain": "1", "stamp": "4", **everywhere}


@pytest.mark.parametrize("stamp", ["soon", float("inf"), [1]])
def test_aiohttp_layout_bad_expiry_raises(tmp_path: Path, stamp: object) -> None:
    path = tmp_path / "bad.json"
    cookie = {"key": "a", "value": "1", "coded_value": "1", "expires_timestamp": stamp}
    path.write_text(json.dumps({"example.com|": {"a": cookie}}))
    jar = CookieJar()
    set_cookies(jar, "http://example.com/", "keep=1")
    with pytest.raises(ValueError, match="expiration timestamp"):
        jar.load(path)
    assert names(jar, "http://example.com/") == {"keep": "1"}


# -- DummyCookieJar and the abstract base ------------------------------------------------------


def test_dummy_cookie_jar_stores_nothing() -> None:
    jar = DummyCookieJar()
    jar.update_cookies({"a": "1"}, URL("http://example.com/"))
    jar.update_cookies_from_headers(["b=2"], URL("http://example.com/"))
    assert len(jar) == 0
    assert list(jar) == []
    assert jar.filter_cookies(URL("http://example.com/")) == BaseCookie()
    assert jar.quote_cookie is True
    jar.clear()
    jar.clear_domain("example.com")
    assert isinstance(jar, AbstractCookieJar)
    assert (jar.unsafe, dict(jar.cookies), jar.host_only_cookies) == (False, {}, frozenset())
    assert jar.treat_as_secure_origin == frozenset()


def test_abstract_default_update_from_headers_parses_rfc6265() -> None:
    class Recording(DummyCookieJar):
        def __init__(self) -> None:
            super().__init__()
            self.seen: list[tuple[str, str]] = []

        def update_cookies(self, cookies, response_url=None):  # type: ignore[no-untyped-def]
            self.seen += [(k, m["samesite"]) for k, m in cookies.items()]

    jar = Recording()
    AbstractCookieJar.update_cookies_from_headers(
        jar, ["a=1; Foo=bar; SameSite=Lax", "p=1; Partitioned", "bad"], URL("http://x.com/")
    )
    assert jar.seen == [("a", "Lax"), ("p", "")]
