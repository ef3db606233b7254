"""What ``ClientSession`` checks and normalises in the arguments it is given: ``base_url``,
proxy URLs and credentials, connectors, and the warnings of aiohttp 3.14's deprecated
arguments (same messages, so code filtering them keeps working)."""

from __future__ import annotations

import warnings

from yarl import URL

from ._values import BasicAuth, strip_auth_from_url
from .client_exceptions import InvalidURL
from .connector_tls import warn_ssl_shutdown_timeout
from .helpers import sentinel

__all__ = (
    "checked_base_url",
    "foreign_connector_message",
    "request_proxy",
    "split_proxy",
    "warn_auth_deprecated",
    "warn_deprecated_arguments",
)


def foreign_connector_message(connector: object) -> str:
    kind = type(connector)
    return (
        f"connector must be an aiohttp_clone connector (aiohttp_clone.TCPConnector, "
        f"UnixConnector or a BaseConnector subclass), not {kind.__module__}.{kind.__qualname__}."
        " aiohttp's connectors cannot drive aiohttp_clone's pool; for a SOCKS proxy pass "
        "proxy='socks5://host:port' to the session or the request instead of a ProxyConnector."
    )


def checked_base_url(base_url: str | URL | None) -> URL | None:
    """As aiohttp requires: an absolute URL whose path ends with a slash (or None)."""
    if base_url is None:
        return None
    url = base_url if isinstance(base_url, URL) else URL(base_url)
    if not url.absolute:
        # aiohttp asserts this (an AssertionError, gone under python -O); a ValueError here.
        raise ValueError("Only absolute URLs are supported")
    if not url.path.endswith("/"):
        raise ValueError("base_url must have a trailing '/'")
    return url


def warn_deprecated_arguments(
    auth: object, proxy_auth: object, ssl_shutdown_timeout: object
) -> None:
    """aiohttp 3.14's warnings for session arguments it plans to remove (``loop=`` is not one)."""
    if auth is not None:
        warn_auth_deprecated(stacklevel=4)
    if proxy_auth is not None:
        warn_proxy_auth_deprecated(stacklevel=4)
    if ssl_shutdown_timeout is not sentinel:
        warn_ssl_shutdown_timeout(stacklevel=4)


def warn_auth_deprecated(stacklevel: int) -> None:
    warnings.warn(
        "The 'auth' parameter is deprecated and will be removed in v4; pass "
        "headers={'Authorization': aiohttp.encode_basic_auth(login, password)} instead",
        DeprecationWarning,
        stacklevel=stacklevel,
    )


def request_proxy(
    proxy: str | URL | None, proxy_auth: BasicAuth | None
) -> tuple[URL | None, BasicAuth | None]:
    """A request's ``proxy=`` and ``proxy_auth=``, checked as aiohttp checks them."""
    if proxy_auth is not None:
        warn_proxy_auth_deprecated(stacklevel=5)
        if not isinstance(proxy_auth, BasicAuth):
            raise ValueError("proxy_auth must be None or BasicAuth() tuple")
    return split_proxy(proxy, proxy_auth)


def warn_proxy_auth_deprecated(stacklevel: int) -> None:
    warnings.warn(
        "The 'proxy_auth' parameter is deprecated and will be removed in v4; pass "
        "proxy_headers={'Proxy-Authorization': aiohttp.encode_basic_auth(login, password)} "
        "instead",
        DeprecationWarning,
        stacklevel=stacklevel,
    )


def split_proxy(
    proxy: str | URL | None, proxy_auth: BasicAuth | None
) -> tuple[URL | None, BasicAuth | None]:
    """A proxy URL without credentials; credentials in it stand in for a missing proxy_auth."""
    if proxy is None:
        return None, proxy_auth
    try:
        url = URL(proxy) if not isinstance(proxy, URL) else proxy
    except ValueError as exc:
        raise InvalidURL(proxy) from exc
    if not url.raw_host:
        raise InvalidURL(proxy)
    if url.raw_user or url.raw_password:
        url, url_auth = strip_auth_from_url(url)
        proxy_auth = proxy_auth or url_auth
    return url, proxy_auth
