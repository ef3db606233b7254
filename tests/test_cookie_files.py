"""CookieJar.load of aiohttp's files, old pickles included, and the views after it (#26).

The pickles in tests/data were written by aiohttp 3.12.15 and 3.8.6's own ``save`` (see
tests/data/make_legacy_cookie_pickles.py); what is expected of them is what aiohttp 3.14.5's
``load`` makes of the same files.
"""

from __future__ import annotations

import json
import os
import pickle
from collections import defaultdict
from http.cookies import Morsel, SimpleCookie
from pathlib import Path

import pytest
from yarl import URL

from aiohttp_clone import CookieJar

DATA = Path(__file__).parent / "data"
LEGACY = ["cookiejar-aiohttp-3.12.15.pickle", "cookiejar-aiohttp-3.8.6.pickle"]

# What aiohttp 3.14.5 sends from those files: the pickles do not say which cookies were
# host-only, so every cookie with a Domain becomes a domain cookie, as there.
LEGACY_SENT = {
    "http://www.example.com/app/x/y": ["deep", "host", "later", "quoted", "shared", "until"],
    "https://www.example.com/": ["dom", "later", "quoted", "shared", "until"],
    "https://sub.www.example.com/app/x/y": [
        "deep",
        "dom",
        "host",
        "later",
        "quoted",
        "shared",
        "until",
    ],
    "https://other.example.com/": ["dom", "shared"],
    "http://unrelated.org/": ["shared"],
}


@pytest.mark.parametrize("name", LEGACY)
def test_old_aiohttp_pickles_load(name: str) -> None:
    jar = CookieJar()
    jar.load(DATA / name)
    assert {url: sorted(jar.filter_cookies(URL(url))) for url in LEGACY_SENT} == LEGACY_SENT
    assert jar.host_only_cookies == frozenset()
    view = jar.cookies
    assert set(view) == {
        ("www.example.com", "/app"),
        ("www.example.com", "/app/x"),
        ("www.example.com", ""),
        ("example.com", ""),
        ("", ""),
    }
    dom = view[("example.com", "")]["dom"]
    assert (dom.value, dom["secure"], dom["httponly"], dom["samesite"]) == ("2", True, True, "")
    quoted = view[("www.example.com", "")]["quoted"]
    assert (quoted.value, quoted.coded_value) == ("a b", '"a b"')
    assert view[("www.example.com", "/app/x")]["deep"]["path"] == "/app/x/"


@pytest.mark.parametrize("name", LEGACY)
async def test_old_aiohttp_pickles_load_as_in_aiohttp(name: str) -> None:
    aiohttp = pytest.importorskip("aiohttp")
    theirs, ours = aiohttp.CookieJar(), CookieJar()
    theirs.load(DATA / name)
    ours.load(DATA / name)
    for url in LEGACY_SENT:
        assert ours.filter_cookies(URL(url)) == theirs.filter_cookies(URL(url))
    assert ours.host_only_cookies == theirs.host_only_cookies
    assert view_of(ours) == view_of(theirs)


def view_of(jar: object) -> dict[tuple[str, str], dict[str, str]]:
    """``jar.cookies`` as comparable text (our Morsels also know Partitioned, on any Python)."""
    return {
        key: {name: morsel.OutputString() for name, morsel in cookie.items()}
        for key, cookie in jar.cookies.items()  # type: ignore[attr-defined]
    }


def test_a_loaded_pickle_is_saved_as_json(tmp_path: Path) -> None:
    jar = CookieJar()
    jar.load(DATA / LEGACY[0])
    path = tmp_path / "jar.json"
    jar.save(path)
    again = CookieJar()
    again.load(path)
    assert {url: sorted(again.filter_cookies(URL(url))) for url in LEGACY_SENT} == LEGACY_SENT
    assert json.loads(path.read_text())["example.com|"]["dom"]["secure"] is True


class _Touch:
    """Unpickling this would create a file: the loader must refuse it first."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (Path.touch, (str(self.marker),))  # type: ignore[return-value]


def dump(path: Path, obj: object, protocol: int = pickle.HIGHEST_PROTOCOL) -> Path:
    path.write_bytes(pickle.dumps(obj, protocol))
    return path


@pytest.mark.parametrize(
    "payload",
    ["alone", "nested", "ordered", "basecookie", "protocol2"],
)
def test_a_pickle_with_any_other_class_is_refused(tmp_path: Path, payload: str) -> None:
    marker = tmp_path / "ran"
    cookie = SimpleCookie("a=1; Path=/; Domain=example.com")
    objects: dict[str, tuple[object, int]] = {
        "alone": (_Touch(marker), pickle.HIGHEST_PROTOCOL),
        "nested": (defaultdict(SimpleCookie, {("x", ""): cookie, "y": _Touch(marker)}), 5),
        "ordered": (__import__("collections").OrderedDict({("x", ""): cookie}), 5),
        "basecookie": ({("x", ""): __import__("http.cookies").cookies.BaseCookie("a=1")}, 5),
        "protocol2": (defaultdict(SimpleCookie, {("x", ""): cookie}), 2),  # "Cookie" module
    }
    obj, protocol = objects[payload]
    path = dump(tmp_path / "evil.pickle", obj, protocol)
    jar = CookieJar()
    jar.update_cookies({"keep": "1"})
    with pytest.raises(pickle.UnpicklingError, match="Forbidden class"):
        jar.load(path)
    assert not marker.exists()
    assert [m.key for m in jar] == ["keep"]


@pytest.mark.parametrize("content", [b"", b"\x80\x05garbage", pickle.dumps([1, 2]), b"{not json"])
def test_a_damaged_file_raises_value_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="Not a cookie jar file"):
        CookieJar().load(path)


def test_pickle_variants_aiohttp_wrote(tmp_path: Path) -> None:
    """Plain dicts, Morsels without a Domain (host-only) and domain-only keys all load."""
    m: Morsel[str] = Morsel()
    m.set("h", "1", "1")
    m["path"] = "/"
    old = defaultdict(SimpleCookie, {"a.com": SimpleCookie("d=2; Domain=a.com; Path=/")})
    jar = CookieJar()
    jar.load(dump(tmp_path / "plain.pickle", {("a.com", ""): {"h": m}}))
    assert jar.host_only_cookies == {("a.com", "", "h")}
    jar.load(dump(tmp_path / "old.pickle", old))
    assert sorted(jar.filter_cookies(URL("http://www.a.com/"))) == ["d"]
    expired = SimpleCookie("x=1; Path=/; Domain=a.com; Expires=Thu, 01 Jan 2015 00:00:00 GMT")
    jar.load(dump(tmp_path / "expired.pickle", defaultdict(SimpleCookie, {("a.com", ""): expired})))
    assert len(jar) == 0


def test_json_cookie_is_named_by_its_key(tmp_path: Path) -> None:
    cookie = {"key": "b", "value": "1", "coded_value": "1", "path": "/", "domain": "example.com"}
    path = tmp_path / "jar.json"
    path.write_text(json.dumps({"example.com|": {"a": cookie}}))
    jar = CookieJar()
    jar.load(path)
    assert list(jar.filter_cookies(URL("http://example.com/"))) == ["a"]


@pytest.mark.parametrize("stamp", ["soon", float("inf"), float("nan"), [1]])
def test_bad_expiry_message_matches_aiohttp(tmp_path: Path, stamp: object) -> None:
    cookie = {"key": "a", "value": "1", "coded_value": "1", "expires_timestamp": stamp}
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"example.com|": {"a": cookie}}))
    with pytest.raises(
        ValueError,
        match=r"^Cookie 'a' in 'example.com\|': expiration timestamp must be a finite number$",
    ):
        CookieJar().load(path)


def test_load_reads_a_path_like_and_keeps_the_jar_on_missing_file(tmp_path: Path) -> None:
    jar = CookieJar()
    jar.update_cookies({"keep": "1"})
    with pytest.raises(OSError):
        jar.load(os.fspath(tmp_path / "missing"))
    assert len(jar) == 1


def test_a_file_cannot_smuggle_crlf_in_a_coded_value(tmp_path: Path) -> None:
    cookie = {"key": "a", "value": "x", "coded_value": '"x\r\nX-Evil: 1"', "path": "/"}
    path = tmp_path / "jar.json"
    path.write_text(json.dumps({"example.com|": {"a": cookie}}))
    jar = CookieJar()
    jar.load(path)
    assert len(jar) == 0


def test_ip_cookies_of_an_unsafe_jar_survive_a_round_trip(tmp_path: Path) -> None:
    jar = CookieJar(unsafe=True)
    jar.update_cookies_from_headers(["a=1; Domain=127.0.0.1", "b=2"], URL("http://127.0.0.1/"))
    path = tmp_path / "jar.json"
    jar.save(path)
    again = CookieJar(unsafe=True)
    again.load(path)
    assert sorted(again.filter_cookies(URL("http://127.0.0.1/"))) == ["a", "b"]
    assert again.host_only_cookies == jar.host_only_cookies == {("127.0.0.1", "", "b")}
    safe = CookieJar()
    safe.load(path)
    assert len(safe) == 0
