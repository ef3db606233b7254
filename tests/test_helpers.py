"""helpers, helpers_env and hdrs: credentials, MIME parsing, dispositions, env lookups."""

import netrc
import pickle
import warnings

import pytest
from multidict import istr
from yarl import URL

from aiohttp_clone import hdrs, helpers
from aiohttp_clone.helpers import (
    BasicAuth,
    ChainMapProxy,
    ETag,
    basicauth_from_netrc,
    content_disposition_header,
    encode_basic_auth,
    get_env_proxy_for_url,
    guess_filename,
    is_ip_address,
    must_be_empty_body,
    netrc_from_env,
    parse_mimetype,
    proxies_from_env,
    sentinel,
    should_remove_content_length,
    strip_auth_from_url,
)

# --- hdrs ------------------------------------------------------------------------------------


def test_header_constants_are_istr_with_canonical_spelling() -> None:
    assert isinstance(hdrs.CONTENT_TYPE, istr)
    assert hdrs.CONTENT_TYPE == "Content-Type"
    assert hdrs.WWW_AUTHENTICATE == "WWW-Authenticate"
    assert hdrs.SEC_WEBSOCKET_ACCEPT == "Sec-WebSocket-Accept"
    assert hdrs.TE == "TE"
    assert hdrs.SET_COOKIE == "Set-Cookie"


def test_methods_and_host_spellings() -> None:
    expected = {"CONNECT", "HEAD", "GET", "DELETE", "OPTIONS", "PATCH", "POST", "PUT", "TRACE"}
    assert set(hdrs.METH_ALL) == expected
    assert hdrs.METH_ANY == "*"
    assert len(hdrs.HOST_ALL) == 16
    assert {"host", "HOST", "Host", "hOsT"} <= hdrs.HOST_ALL


# --- BasicAuth ------------------------------------------------------------------------------


def make_auth(*args: str) -> BasicAuth:
    with pytest.warns(DeprecationWarning, match="encode_basic_auth"):
        return BasicAuth(*args)


def test_basic_auth_fields_and_encode() -> None:
    auth = make_auth("user", "pass")
    assert auth == ("user", "pass", "latin1")
    assert (auth.login, auth.password, auth.encoding) == ("user", "pass", "latin1")
    assert auth.encode() == "Basic dXNlcjpwYXNz"
    assert make_auth("user", "pässword").encode() == "Basic dXNlcjpw5HNzd29yZA=="
    assert make_auth("u").password == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("a:b",), "not allowed in login"),
        ((None,), "None is not allowed as login"),
        (("a", None), "None is not allowed as password"),
    ],
)
def test_basic_auth_rejects(args: tuple[object, ...], message: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with pytest.raises(ValueError, match=message):
            BasicAuth(*args)  # type: ignore[arg-type]


def test_basic_auth_decode() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # library-made instances do not warn
        assert BasicAuth.decode("Basic dXNlcjpwYXNz") == ("user", "pass", "latin1")
        assert BasicAuth.decode("basic dXNlcjpwYXNz", encoding="utf-8").encoding == "utf-8"
        assert BasicAuth.decode("Basic dXNlcjo=") == ("user", "", "latin1")


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("Bearer abc", "Unknown authorization method"),
        ("Basic", "Could not parse"),
        ("Basic !!!", "Invalid base64"),
        ("Basic dXNlcg==", "Invalid credentials"),
    ],
)
def test_basic_auth_decode_errors(header: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BasicAuth.decode(header)


def test_basic_auth_from_url() -> None:
    assert BasicAuth.from_url(URL("http://u:p@h/")) == ("u", "p", "latin1")
    assert BasicAuth.from_url(URL("http://u@h/")) == ("u", "", "latin1")
    assert BasicAuth.from_url(URL("http://h/")) is None
    with pytest.raises(TypeError):
        BasicAuth.from_url("http://u:p@h/")  # type: ignore[arg-type]


def test_basic_auth_pickles_as_itself() -> None:
    auth = BasicAuth.decode("Basic dXNlcjpwYXNz")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        assert pickle.loads(pickle.dumps(auth)) == auth


def test_encode_basic_auth() -> None:
    assert encode_basic_auth("user", "pass") == "Basic dXNlcjpwYXNz"
    assert encode_basic_auth("ü", "p") == "Basic w7w6cA=="  # utf-8 by default
    assert encode_basic_auth("ü", "p", "latin1") == "Basic /Dpw"
    with pytest.raises(ValueError):
        encode_basic_auth("a:b", "p")


def test_strip_auth_from_url() -> None:
    url, auth = strip_auth_from_url(URL("http://u:p@h/x?q=1"))
    assert url == URL("http://h/x?q=1")
    assert auth == ("u", "p", "latin1")
    assert strip_auth_from_url(URL("http://h/")) == (URL("http://h/"), None)


# --- small value types -----------------------------------------------------------------------


def test_sentinel_is_an_enum_member() -> None:
    assert sentinel is helpers._SENTINEL.sentinel
    assert pickle.loads(pickle.dumps(sentinel)) is sentinel


def test_etag() -> None:
    assert ETag("x") == ETag("x", is_weak=False)
    assert ETag("x", is_weak=True) != ETag("x")
    assert hash(ETag("x")) == hash(ETag("x"))


def test_chain_map_proxy() -> None:
    proxy = ChainMapProxy([{"a": 1}, {"a": 2, "b": 3}])
    assert proxy["a"] == 1 and proxy["b"] == 3
    assert proxy.get("z") is None
    assert len(proxy) == 2 and list(proxy) == ["a", "b"]
    assert "b" in proxy and "z" not in proxy
    assert bool(proxy) and not ChainMapProxy([])
    assert repr(proxy) == "ChainMapProxy({'a': 1}, {'a': 2, 'b': 3})"
    with pytest.raises(KeyError):
        proxy["z"]
    with pytest.raises(TypeError, match="forbidden"):
        type("Sub", (ChainMapProxy,), {})


# --- parse_mimetype ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", ("", "", "", {})),
        ("*", ("*", "*", "", {})),
        ("application/json", ("application", "json", "", {})),
        ("Application/JSON; Charset=UTF-8", ("application", "json", "", {"charset": "UTF-8"})),
        ("application/rss+xml", ("application", "rss", "xml", {})),
        ('text/plain; q="a; b\\"c"', ("text", "plain", "", {"q": 'a; b"c'})),
        ("text/plain;base64", ("text", "plain", "", {"base64": ""})),
    ],
)
def test_parse_mimetype(value: str, expected: tuple[str, str, str, dict[str, str]]) -> None:
    mime = parse_mimetype(value)
    assert (mime.type, mime.subtype, mime.suffix, dict(mime.parameters)) == expected


def test_parse_mimetype_keeps_repeated_parameters() -> None:
    assert parse_mimetype("text/plain; a=1; a=2").parameters.getall("a") == ["1", "2"]


# --- content_disposition_header ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, "attachment"),
        ({"filename": "a b.txt"}, 'attachment; filename="a b.txt"'),
        ({"name": 'x"y\\z'}, 'attachment; name="x\\"y\\\\z"'),
        ({"name": "ä"}, "attachment; name*=utf-8''%C3%A4"),
        (
            {"filename": "ä.txt"},
            "attachment; filename=\"%C3%A4.txt\"; filename*=utf-8''%C3%A4.txt",
        ),
        (
            {"filename": "é", "_charset": "latin-1"},
            "attachment; filename=\"%E9\"; filename*=latin-1''%E9",
        ),
        ({"name": "ä b", "quote_fields": False}, 'attachment; name="ä b"'),
    ],
)
def test_content_disposition_header(kwargs: dict[str, str], expected: str) -> None:
    assert content_disposition_header("attachment", **kwargs) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("disptype", ["", "form data", "a;b"])
def test_content_disposition_rejects_bad_type(disptype: str) -> None:
    with pytest.raises(ValueError, match="bad content disposition type"):
        content_disposition_header(disptype)


@pytest.mark.parametrize("value", ["a\r\nX-Evil: 1", "a\nb", "a\x00b"])
@pytest.mark.parametrize("quote_fields", [True, False])
def test_content_disposition_rejects_header_splitting(value: str, quote_fields: bool) -> None:
    with pytest.raises(ValueError, match="CR, LF and NUL"):
        content_disposition_header("form-data", quote_fields=quote_fields, name=value)


def test_content_disposition_rejects_bad_param_name() -> None:
    with pytest.raises(ValueError, match="bad content disposition parameter"):
        content_disposition_header("form-data", **{"bad key": "x"})


# --- small predicates -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", True),
        ("::1", True),
        ("[::1]", True),
        ("fe80::1%eth0", True),
        ("example.com", False),
        ("1.2.3", False),
        ("", False),
        (None, False),
    ],
)
def test_is_ip_address(host: str | None, expected: bool) -> None:
    assert is_ip_address(host) is expected


def test_guess_filename(tmp_path: object) -> None:
    class Named:
        def __init__(self, name: object) -> None:
            self.name = name

    assert guess_filename(Named("/some/dir/file.bin")) == "file.bin"
    assert guess_filename(Named("<stdin>"), "d") == "d"
    assert guess_filename(Named(3), "d") == "d"
    assert guess_filename(object()) is None


@pytest.mark.parametrize(
    ("method", "code", "empty", "drop_length"),
    [
        ("HEAD", 200, True, False),
        ("GET", 100, True, True),
        ("GET", 101, True, True),
        ("GET", 204, True, True),
        ("GET", 304, True, False),
        ("GET", 200, False, False),
        ("CONNECT", 200, True, True),
        ("CONNECT", 201, True, True),
        ("CONNECT", 300, False, False),
    ],
)
def test_body_framing_rules(method: str, code: int, empty: bool, drop_length: bool) -> None:
    assert must_be_empty_body(method, code) is empty
    assert should_remove_content_length(method, code) is drop_length


# --- netrc -------------------------------------------------------------------------------------

NETRC_TEXT = (
    "machine example.com login u password p\n"
    "machine nopass.example login onlyuser\n"
    "default login d password dp\n"
)


@pytest.fixture
def netrc_file(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    path = tmp_path / "netrc"
    path.write_text(NETRC_TEXT)
    path.chmod(0o600)
    monkeypatch.setenv("NETRC", str(path))
    return path


def test_netrc_from_env_and_lookup(netrc_file: object) -> None:
    obj = netrc_from_env()
    assert isinstance(obj, netrc.netrc)
    assert basicauth_from_netrc(obj, "example.com") == ("u", "p", "latin1")
    assert basicauth_from_netrc(obj, "nopass.example") == ("onlyuser", "", "latin1")
    assert basicauth_from_netrc(obj, "elsewhere") == ("d", "dp", "latin1")


def test_netrc_without_default_entry(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "netrc"
    path.write_text("machine example.com login u password p\n")
    monkeypatch.setenv("NETRC", str(path))
    with pytest.raises(LookupError, match="elsewhere"):
        basicauth_from_netrc(netrc_from_env(), "elsewhere")
    with pytest.raises(LookupError, match=r"No \.netrc"):
        basicauth_from_netrc(None, "example.com")


def test_netrc_missing_or_broken(tmp_path, monkeypatch, caplog) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("NETRC", str(tmp_path / "absent"))
    assert netrc_from_env() is None
    broken = tmp_path / "broken"
    broken.write_text("machine")
    monkeypatch.setenv("NETRC", str(broken))
    assert netrc_from_env() is None
    assert "Could not parse .netrc" in caplog.text


def test_netrc_from_home(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("NETRC", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert netrc_from_env() is None
    (tmp_path / ".netrc").write_text(NETRC_TEXT)
    (tmp_path / ".netrc").chmod(0o600)
    assert basicauth_from_netrc(netrc_from_env(), "example.com").login == "u"


# --- proxies from the environment ---------------------------------------------------------------

def test_proxies_from_env_split_credentials(clean_env) -> None:  # type: ignore[no-untyped-def]
    clean_env.setenv("HTTP_PROXY", "http://user:pw@proxy:3128")
    clean_env.setenv("https_proxy", "http://secure-proxy:8080")
    clean_env.setenv("WS_PROXY", "http://ws-proxy:1")
    clean_env.setenv("WSS_PROXY", "http://wss-proxy:2")
    clean_env.setenv("FTP_PROXY", "http://ftp-proxy:3")
    proxies = proxies_from_env()
    assert set(proxies) == {"http", "https", "ws", "wss"}
    assert proxies["http"].proxy == URL("http://proxy:3128")
    assert proxies["http"].proxy_auth == ("user", "pw", "latin1")
    assert proxies["https"].proxy_auth is None


def test_https_proxy_urls_are_ignored(clean_env, caplog) -> None:  # type: ignore[no-untyped-def]
    clean_env.setenv("HTTPS_PROXY", "https://tls-proxy:443")
    assert proxies_from_env() == {}
    assert "not supported" in caplog.text


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://a.example/", "http://p-http:1"),
        ("https://a.example/", "http://p-https:2"),
        ("ws://a.example/", "http://p-ws:3"),
        ("wss://a.example/", None),  # no WSS_PROXY set: no fallback to HTTPS_PROXY
        ("http://svc.internal/", None),  # domain suffix in NO_PROXY
        ("http://internal/", None),  # the bare domain itself too
        ("http://notinternal/", "http://p-http:1"),
        ("http://localhost:8080/", None),
        ("http://10.1.2.3/", None),  # CIDR entry
        ("http://11.1.2.3/", "http://p-http:1"),
        ("http://[::1]/", None),
    ],
)
def test_get_env_proxy_for_url(clean_env, url: str, expected: str | None) -> None:  # type: ignore[no-untyped-def]
    clean_env.setenv("http_proxy", "http://p-http:1")
    clean_env.setenv("HTTPS_PROXY", "http://p-https:2")
    clean_env.setenv("ws_proxy", "http://p-ws:3")
    clean_env.setenv("NO_PROXY", ".internal, localhost,10.0.0.0/8,::1")
    if expected is None:
        with pytest.raises(LookupError):
            get_env_proxy_for_url(URL(url))
    else:
        assert get_env_proxy_for_url(URL(url)) == (URL(expected), None)


def test_no_proxy_star_disables_all(clean_env) -> None:  # type: ignore[no-untyped-def]
    clean_env.setenv("http_proxy", "http://p:1")
    clean_env.setenv("no_proxy", "*")
    with pytest.raises(LookupError, match="disallowed"):
        get_env_proxy_for_url(URL("http://a.example/"))


def test_env_proxy_auth_is_returned(clean_env) -> None:  # type: ignore[no-untyped-def]
    clean_env.setenv("http_proxy", "http://u:p@p:1")
    assert get_env_proxy_for_url(URL("http://a/")) == (URL("http://p:1"), ("u", "p", "latin1"))


def test_env_proxy_netrc_is_read_for_the_chosen_proxy_only(  # type: ignore[no-untyped-def]
    clean_env, tmp_path, caplog
) -> None:
    broken = tmp_path / "broken"
    broken.write_text("machine")
    clean_env.setenv("NETRC", str(broken))
    clean_env.setenv("http_proxy", "http://u:p@p:1")
    clean_env.setenv("ws_proxy", "http://no-credentials:2")
    assert get_env_proxy_for_url(URL("http://a/")) == (URL("http://p:1"), ("u", "p", "latin1"))
    assert "Could not parse .netrc" not in caplog.text  # ws_proxy's lookup was not made
    assert get_env_proxy_for_url(URL("ws://a/")) == (URL("http://no-credentials:2"), None)
    assert "Could not parse .netrc" in caplog.text


def test_proxies_from_env_reads_netrc_once(  # type: ignore[no-untyped-def]
    clean_env, tmp_path, caplog
) -> None:
    broken = tmp_path / "broken"
    broken.write_text("machine")
    clean_env.setenv("NETRC", str(broken))
    clean_env.setenv("http_proxy", "http://first:1")
    clean_env.setenv("ws_proxy", "http://second:2")
    assert {info.proxy_auth for info in proxies_from_env().values()} == {None}
    assert caplog.text.count("Could not parse .netrc") == 1  # a missing file is not re-read
