"""What the process environment says about proxies and credentials (``trust_env=True``).

Kept apart from ``helpers`` because these read files and variables outside the request; they
are re-exported from ``helpers``, where aiohttp users look for them.
"""

from __future__ import annotations

import ipaddress
import logging
import netrc
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.request import getproxies, proxy_bypass

from yarl import URL

from ._values import BasicAuth, make_basic_auth, strip_auth_from_url

client_logger = logging.getLogger("aiohttp_clone.client")

# Schemes whose proxy variables we honour: HTTP_PROXY, HTTPS_PROXY, WS_PROXY, WSS_PROXY; and
# ALL_PROXY (urllib's "all") for any of them that has no variable of its own.
_PROXY_SCHEMES = frozenset({"http", "https", "ws", "wss"})
_ALL = "all"
_PROXY_SCHEMES_AND_ALL = _PROXY_SCHEMES | {_ALL}


@dataclass(frozen=True)
class ProxyInfo:
    """A proxy URL without credentials, plus the credentials that were in it."""

    proxy: URL
    proxy_auth: BasicAuth | None


def netrc_from_env() -> netrc.netrc | None:
    """Load ``$NETRC`` or ``~/.netrc``; None (with a log line) when missing or unreadable."""
    env_path = os.environ.get("NETRC")
    if env_path:
        path = Path(env_path)
    else:
        try:
            home = Path.home()
        except RuntimeError:
            client_logger.debug("No home directory to look for a .netrc file in")
            return None
        path = home / ".netrc"
        if not path.is_file():
            return None
    try:
        return netrc.netrc(str(path))
    except netrc.NetrcParseError as exc:
        client_logger.warning("Could not parse .netrc file: %s", exc)
    except OSError as exc:
        # An explicit $NETRC that cannot be read is worth a warning; a missing default is not.
        client_logger.warning("Could not read .netrc file: %s", exc)
    return None


def basicauth_from_netrc(netrc_obj: netrc.netrc | None, host: str) -> BasicAuth:
    """Credentials for ``host`` (or the ``default`` entry); LookupError when there are none."""
    if netrc_obj is None:
        raise LookupError("No .netrc file found")
    entry = netrc_obj.authenticators(host)
    if entry is None:
        raise LookupError(f"No entry for {host!r} found in the .netrc file.")
    login, account, password = entry
    # A .netrc may name the user as "account" only; fall back to it like curl does.
    return make_basic_auth(login or account or "", password or "")


def proxies_from_env() -> dict[str, ProxyInfo]:
    """Proxy per scheme from ``*_PROXY`` variables (either case), credentials split off; a
    proxy whose URL has none takes them from ``.netrc``, as in aiohttp."""
    proxies = _proxies_from_env(_PROXY_SCHEMES)
    if any(_lacks_auth(info) for info in proxies.values()):
        netrc_obj = netrc_from_env()  # read once, even when there is none
        for scheme, info in proxies.items():
            if _lacks_auth(info):
                proxies[scheme] = _with_netrc_auth(info, netrc_obj)
    return proxies


def _proxies_from_env(schemes: frozenset[str]) -> dict[str, ProxyInfo]:
    """The proxies the variables of ``schemes`` name, with only the credentials in their URLs."""
    proxies: dict[str, ProxyInfo] = {}
    for scheme, value in getproxies().items():
        if scheme not in schemes:
            continue
        proxy, auth = strip_auth_from_url(URL(value))
        if proxy.scheme == "https":
            # TLS to the proxy itself is not supported by the connector; aiohttp skips it too.
            client_logger.warning("HTTPS proxies %s are not supported, ignoring", proxy)
            continue
        proxies[scheme] = ProxyInfo(proxy, auth)
    return proxies


def _lacks_auth(info: ProxyInfo) -> bool:
    """Whether ``.netrc`` may supply the proxy's credentials: its URL had none, and a host."""
    return info.proxy_auth is None and bool(info.proxy.host)


def _with_netrc_auth(info: ProxyInfo, netrc_obj: netrc.netrc | None) -> ProxyInfo:
    """``info`` with the ``.netrc`` credentials for its host; unchanged when there are none."""
    try:
        auth = basicauth_from_netrc(netrc_obj, info.proxy.host or "")
    except LookupError:
        return info
    return ProxyInfo(info.proxy, auth)


def _bypassed_by_cidr(host: str) -> bool:
    """NO_PROXY entries like ``10.0.0.0/8``, which curl honours and urllib does not."""
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    no_proxy = os.environ.get("no_proxy") or os.environ.get("NO_PROXY") or ""
    for entry in no_proxy.split(","):
        entry = entry.strip()
        if "/" not in entry:
            continue
        try:
            if address in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def get_env_proxy_for_url(url: URL) -> tuple[URL, BasicAuth | None]:
    """The proxy the environment names for ``url``; LookupError when none or NO_PROXY matches."""
    host = url.host
    if host and (proxy_bypass(host) or _bypassed_by_cidr(host)):
        raise LookupError(f"Proxying is disallowed for {host!r}")
    proxies = _proxies_from_env(_PROXY_SCHEMES_AND_ALL)
    info = proxies.get(url.scheme) or proxies.get(_ALL)
    if info is None:
        raise LookupError(f"No proxies found for `{url}` in the env")
    if _lacks_auth(info):  # only the chosen proxy's credentials are looked up
        info = _with_netrc_auth(info, netrc_from_env())
    return info.proxy, info.proxy_auth
