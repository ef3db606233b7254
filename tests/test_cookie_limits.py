"""Secure cookies, the jar's bounds, send order and the public error (issue 13, #23, #24, #27).

Every number here was observed on aiohttp 3.14.5 with the same calls (see the issue's report).
"""

from __future__ import annotations

import warnings
from http.cookies import CookieError, Morsel

import pytest
from yarl import URL

import aiohttp_clone
from aiohttp_clone import CookieJar, InvalidCookieError, cookiejar


def sent(jar: CookieJar, url: str) -> list[str]:
    return list(jar.filter_cookies(URL(url)))


def fill(jar: CookieJar, url: str, names: list[str], attributes: str = "") -> None:
    for name in names:
        jar.update_cookies_from_headers([f"{name}=v{attributes}"], URL(url))


# -- #23: Secure cookies go over https and wss only ----------------------------------------------

LOOPBACK = ["localhost", "app.localhost", "127.0.0.1", "127.9.9.9", "[::1]", "example.com"]
LOOPBACK_SCHEMES = ("http", "ws", "https", "wss")


@pytest.mark.parametrize("host", LOOPBACK)
def test_secure_cookie_never_goes_over_plain_http_or_ws(host: str) -> None:
    jar = CookieJar(unsafe=True)
    jar.update_cookies_from_headers(["s=1; Secure", "p=1"], URL(f"https://{host}/"))
    assert {scheme: sorted(sent(jar, f"{scheme}://{host}/")) for scheme in LOOPBACK_SCHEMES} == {
        "http": ["p"],
        "ws": ["p"],
        "https": ["p", "s"],
        "wss": ["p", "s"],
    }


def test_shared_secure_cookie_stays_off_http_localhost() -> None:
    jar = CookieJar()
    morsel: Morsel[str] = Morsel()
    morsel.set("s", "1", "1")
    morsel["secure"] = True
    jar.update_cookies({"s": morsel})
    assert [sent(jar, f"{scheme}://localhost/") for scheme in LOOPBACK_SCHEMES] == [
        [],
        [],
        ["s"],
        ["s"],
    ]


def test_treat_as_secure_origin_is_the_way_to_send_them_over_http() -> None:
    jar = CookieJar(unsafe=True, treat_as_secure_origin=["http://127.0.0.1:8080"])
    jar.update_cookies_from_headers(["s=1; Secure"], URL("https://127.0.0.1/"))
    assert sent(jar, "http://127.0.0.1:8080/x") == ["s"]
    assert sent(jar, "ws://127.0.0.1:8080/") == []  # another origin: another scheme
    assert sent(jar, "http://127.0.0.1:8081/") == []


# -- #24: bounds ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stored", "left", "oldest_kept"),
    [(180, 180, 0), (181, 150, 31), (200, 169, 31), (300, 176, 124), (1000, 163, 837)],
)
def test_a_domain_over_180_cookies_keeps_its_150_most_recent(
    stored: int, left: int, oldest_kept: int
) -> None:
    jar = CookieJar()
    fill(jar, "http://example.com/", [f"c{i}" for i in range(stored)])
    kept = sorted(int(m.key[1:]) for m in jar)
    assert (len(kept), kept[0], kept[-1]) == (left, oldest_kept, stored - 1)


def test_paths_and_shared_cookies_count_per_domain() -> None:
    jar = CookieJar()
    for i in range(200):
        jar.update_cookies_from_headers([f"p{i}=v; Path=/p{i % 5}"], URL("http://example.com/"))
    assert len(jar) == 169
    shared = CookieJar()
    shared.update_cookies({f"s{i}": "v" for i in range(300)})
    assert len(shared) == 176
    hosts = CookieJar()
    fill(hosts, "http://www.example.com/", [f"d{i}" for i in range(100)], "; Domain=example.com")
    fill(hosts, "http://www.example.com/", [f"h{i}" for i in range(100)])
    assert len(hosts) == 200  # two domains: example.com and www.example.com


def test_setting_or_sending_a_cookie_makes_it_recent() -> None:
    jar = CookieJar()
    fill(jar, "http://example.com/", ["c0"], "; Path=/a")
    fill(jar, "http://example.com/", [f"c{i}" for i in range(1, 180)], "; Path=/b")
    assert sent(jar, "http://example.com/a") == ["c0"]
    fill(jar, "http://example.com/", ["new"])
    assert "c0" in {m.key for m in jar}
    replaced = CookieJar()
    fill(replaced, "http://example.com/", [f"c{i}" for i in range(180)])
    fill(replaced, "http://example.com/", ["c0", "new"])
    assert "c0" in {m.key for m in replaced}


def test_cookies_sent_together_are_evicted_by_name() -> None:
    """One request's cookies are equally recent; aiohttp then evicts the smallest names."""
    jar = CookieJar()
    fill(jar, "http://example.com/", [f"c{i}" for i in range(180)])
    assert len(sent(jar, "http://example.com/")) == 150  # c30..c179, all used now
    fill(jar, "http://example.com/", ["x"])
    gone = set(range(180)) - {int(m.key[1:]) for m in jar if m.key != "x"}
    assert gone == {*range(30), 100}


def test_expired_cookies_make_room_first(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1_700_000_000.0]
    monkeypatch.setattr(cookiejar.time, "time", lambda: now[0])
    jar = CookieJar()
    fill(jar, "http://example.com/", [f"e{i}" for i in range(100)], "; Max-Age=1")
    fill(jar, "http://example.com/", [f"l{i}" for i in range(80)])
    now[0] += 2
    fill(jar, "http://example.com/", ["new"])
    assert len(jar) == 81


def test_a_jar_over_3300_cookies_drops_its_300_least_recent() -> None:
    jar = CookieJar()
    fill(jar, "http://d0.example/", ["first"])
    for d in range(1, 3300):
        fill(jar, f"http://d{d}.example/", ["c"])
    assert len(jar) == 3300
    assert sent(jar, "http://d0.example/") == ["first"]  # used now: survives the trim
    fill(jar, "http://dnew.example/", ["c"])
    assert len(jar) == 3001
    assert sent(jar, "http://d0.example/") == ["first"]
    assert sent(jar, "http://d1.example/") == []
    assert sent(jar, "http://d301.example/") == ["c"]


def test_a_request_gets_at_most_150_cookies_the_most_specific() -> None:
    jar = CookieJar()
    for domain in ("a.b.example.com", "b.example.com", "example.com"):
        fill(
            jar, f"http://{domain}/", [f"{domain[0]}{i}" for i in range(100)], f"; Domain={domain}"
        )
    got = sent(jar, "http://a.b.example.com/")
    assert len(got) == 150
    assert got == [f"b{i}" for i in range(50, 100)] + [f"a{i}" for i in range(100)]


@pytest.mark.parametrize("count", [1, 2, 3, 10])
def test_the_cookie_header_line_fits_8190_bytes(count: int) -> None:
    """``Cookie: `` plus the value stays within 8190 bytes, whatever the number of cookies."""
    total = 8182 - 3 * count + 2  # name+value lengths that fill "n=v; n=v" to 8182 exactly
    for extra, fits in ((0, True), (1, False)):
        jar = CookieJar()
        sizes = [total // count] * (count - 1) + [total - total // count * (count - 1) + extra]
        jar.update_cookies({chr(97 + i): "x" * (size - 1) for i, size in enumerate(sizes)})
        cookies = jar.filter_cookies(URL("http://example.com/"))
        assert (len(cookies) == count) is fits
        if fits:
            assert len("; ".join(f"{k}={m.coded_value}" for k, m in cookies.items())) == 8182


def test_a_cookie_that_does_not_fit_is_skipped_not_the_rest() -> None:
    jar = CookieJar()
    fill(jar, "http://example.com/", ["s0"])
    fill(jar, "http://example.com/", ["big1", "big2"], "x" * 4090)
    assert sent(jar, "http://example.com/") == ["s0", "big2"]


def test_the_most_specific_cookie_of_a_name_is_sent_in_aiohttps_order() -> None:
    jar = CookieJar()
    url = URL("http://www.example.com/a/x")
    jar.update_cookies_from_headers(["a=1; Path=/", "c=1; Domain=example.com; Path=/a/x"], url)
    jar.update_cookies_from_headers(["e=1; Domain=example.com; Path=/"], url)
    jar.update_cookies({"shared": "1"})
    assert sent(jar, "http://www.example.com/a/x/y") == ["shared", "e", "c", "a"]
    clash = CookieJar()
    clash.update_cookies_from_headers(["n=host; Path=/"], url)
    clash.update_cookies_from_headers(["n=dom; Domain=example.com; Path=/a/x"], url)
    assert clash.filter_cookies(URL("http://www.example.com/a/x/y"))["n"].value == "host"


def test_filter_cookies_with_a_str_url_warns_as_aiohttp() -> None:
    jar = CookieJar()
    jar.update_cookies({"s": "1"})
    jar.update_cookies_from_headers(["a=1"], URL("http://www.example.com/p/q"))
    with pytest.warns(DeprecationWarning, match="filter_cookies expects yarl.URL"):
        cookies = jar.filter_cookies("http://www.example.com/p/")  # type: ignore[arg-type]
    assert list(cookies) == ["s", "a"]


# -- #27: a public exception for cookies that cannot be sent -------------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("a", "x\r\nSet-Cookie: evil=1"),
        ("a", "x\n"),
        ("a", "x\ty"),
        ("a", "x\x7f"),
        ("a\\b", "x"),
        ("\u00e9", "x"),
        ("a b", "x"),
        ("", "x"),
    ],
)
def test_invalid_cookie_error_is_public_and_catchable(name: str, value: str) -> None:
    jar = CookieJar()
    with pytest.raises(aiohttp_clone.InvalidCookieError) as caught:
        jar.update_cookies({name: value}, URL("http://example.com/"))
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, CookieError)  # what aiohttp raises for a bad name
    assert aiohttp_clone.cookiejar.InvalidCookieError is InvalidCookieError
    assert "InvalidCookieError" in aiohttp_clone.__all__
    assert len(jar) == 0


def test_values_aiohttp_accepts_still_work() -> None:
    jar = CookieJar()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        jar.update_cookies({"a": "\u00e9", "n": 5, "a{b}": "1"}, URL("http://example.com/"))
    assert {
        k: m.coded_value for k, m in jar.filter_cookies(URL("http://example.com/")).items()
    } == {
        "a": '"\\351"',
        "n": "5",
        "a{b}": "1",
    }


def test_a_morsel_whose_coded_value_holds_crlf_is_refused() -> None:
    """A coded value that opens with a quote is sent as it is, so it is checked too (aiohttp
    drops such a cookie silently; this raises, as for any other value)."""
    morsel: Morsel[str] = Morsel()
    morsel.set("a", "x", '"x\r\nX-Evil: 1"')
    jar = CookieJar()
    with pytest.raises(InvalidCookieError):
        jar.update_cookies({"a": morsel})
    assert len(jar) == 0
