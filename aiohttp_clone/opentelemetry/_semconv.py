"""What OpenTelemetry's HTTP client semantic conventions say a request's span carries.

Pure functions of the request and response: attribute names and values, the span name, when
a span is an error, which URLs are left untraced. No span, tracer or session here.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Final

from opentelemetry.semconv.attributes.error_attributes import ERROR_TYPE
from opentelemetry.semconv.attributes.http_attributes import (
    HTTP_REQUEST_METHOD,
    HTTP_REQUEST_METHOD_ORIGINAL,
    HTTP_RESPONSE_STATUS_CODE,
)
from opentelemetry.semconv.attributes.network_attributes import NETWORK_PROTOCOL_VERSION
from opentelemetry.semconv.attributes.server_attributes import SERVER_ADDRESS, SERVER_PORT
from opentelemetry.semconv.attributes.url_attributes import URL_FULL, URL_SCHEME
from opentelemetry.util.types import AttributeValue
from yarl import URL

from .._http.messages import HttpVersion
from ..client_exceptions import ClientResponseError

__all__ = (
    "ExcludedUrls",
    "SemconvMode",
    "failure_attributes",
    "is_error_status",
    "known_methods",
    "metric_attributes",
    "protocol_version",
    "redact_url",
    "request_attributes",
    "response_attributes",
    "span_name",
)

Attributes = dict[str, AttributeValue]

# The names the conventions used before HTTP went stable (v1.20 and older); emitted besides
# the stable ones only under OTEL_SEMCONV_STABILITY_OPT_IN=http/dup.
OLD_HTTP_METHOD: Final = "http.method"
OLD_HTTP_URL: Final = "http.url"
OLD_HTTP_STATUS_CODE: Final = "http.status_code"
OLD_NET_PEER_NAME: Final = "net.peer.name"
OLD_NET_PEER_PORT: Final = "net.peer.port"

KNOWN_METHODS_ENV: Final = "OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS"
DEFAULT_KNOWN_METHODS: Final = frozenset(
    ("CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE")
)
"""The methods of RFC 9110 and RFC 5789, as the conventions list them (case-sensitive)."""
OTHER_METHOD: Final = "_OTHER"

REDACTED: Final = "REDACTED"
SIGNATURE_PARAMS: Final = frozenset(("AWSAccessKeyId", "Signature", "sig", "X-Goog-Signature"))
"""Query parameters that carry credentials in presigned URLs; the conventions redact them."""

EXCLUDED_URLS_ENVS: Final = (
    "OTEL_PYTHON_AIOHTTP_CLONE_EXCLUDED_URLS",
    "OTEL_PYTHON_AIOHTTP_CLIENT_EXCLUDED_URLS",
    "OTEL_PYTHON_EXCLUDED_URLS",
)
"""Looked up in this order; the first one set wins (aiohttp's name works for its users)."""


class SemconvMode:
    """Which attribute names to emit: the stable ones, plus the old ones on request.

    A new instrumentation has no users of the old names to keep, so stable is the default;
    ``OTEL_SEMCONV_STABILITY_OPT_IN=http/dup`` adds the old names for dashboards built on them.
    """

    __slots__ = ("old",)

    def __init__(self, old: bool) -> None:
        self.old = old

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> SemconvMode:
        opted_in = environ.get("OTEL_SEMCONV_STABILITY_OPT_IN", "")
        return cls(old="http/dup" in (token.strip() for token in opted_in.split(",")))


def known_methods(environ: Mapping[str, str] = os.environ) -> frozenset[str]:
    """The conventions let a user replace the list of known methods through the environment."""
    listed = environ.get(KNOWN_METHODS_ENV)
    if listed is None:
        return DEFAULT_KNOWN_METHODS
    return frozenset(name.strip() for name in listed.split(",") if name.strip())


def span_name(method: str, known: frozenset[str]) -> str:
    """``{method}``; ``HTTP`` for a method the instrumentation does not know (no cardinality
    explosion from arbitrary method names)."""
    return method if method in known else "HTTP"


def redact_url(url: str) -> str:
    """``url.full`` as the conventions allow it: user and password replaced by ``REDACTED``,
    and so are the values of presigned-URL signature parameters."""
    try:
        parsed = URL(url)
    except (TypeError, ValueError):
        return url
    if parsed.user is not None or parsed.password is not None:
        parsed = parsed.with_user(REDACTED).with_password(REDACTED)
    query = parsed.query
    if not SIGNATURE_PARAMS.isdisjoint(query.keys()):
        redacted = [
            (name, REDACTED if name in SIGNATURE_PARAMS else value) for name, value in query.items()
        ]
        parsed = parsed.with_query(redacted)
    return str(parsed)


def request_attributes(
    method: str, url: URL, url_full: str, known: frozenset[str], mode: SemconvMode
) -> Attributes:
    """The attributes known when the request starts. ``server.*`` come from the URL actually
    requested, ``url.full`` from what the user's filter and the redaction made of it."""
    attributes: Attributes = {URL_FULL: url_full}
    if method in known:
        attributes[HTTP_REQUEST_METHOD] = method
    else:
        attributes[HTTP_REQUEST_METHOD] = OTHER_METHOD
        attributes[HTTP_REQUEST_METHOD_ORIGINAL] = method
    if url.host is not None:
        attributes[SERVER_ADDRESS] = url.host
    if url.port is not None:
        attributes[SERVER_PORT] = url.port
    if mode.old:
        attributes[OLD_HTTP_METHOD] = method
        attributes[OLD_HTTP_URL] = url_full
        if url.host is not None:
            attributes[OLD_NET_PEER_NAME] = url.host
        if url.port is not None:
            attributes[OLD_NET_PEER_PORT] = url.port
    return attributes


def response_attributes(status: int, version: HttpVersion | None, mode: SemconvMode) -> Attributes:
    """The attributes a response head adds, ``error.type`` included when the status is one."""
    attributes: Attributes = {HTTP_RESPONSE_STATUS_CODE: status}
    if version is not None:
        attributes[NETWORK_PROTOCOL_VERSION] = protocol_version(version)
    if is_error_status(status):
        attributes[ERROR_TYPE] = str(status)
    if mode.old:
        attributes[OLD_HTTP_STATUS_CODE] = status
    return attributes


def failure_attributes(exception: BaseException, mode: SemconvMode) -> Attributes:
    """A request that raised: ``error.type`` is the exception's class. An exception that
    carries the response status (``raise_for_status``, too many redirects) keeps it."""
    attributes: Attributes = {ERROR_TYPE: type(exception).__qualname__}
    status = exception.status if isinstance(exception, ClientResponseError) else 0
    if status:
        attributes[HTTP_RESPONSE_STATUS_CODE] = status
        if mode.old:
            attributes[OLD_HTTP_STATUS_CODE] = status
    return attributes


def metric_attributes(
    span_attributes: Mapping[str, AttributeValue], scheme: str | None
) -> Attributes:
    """The low-cardinality subset ``http.client.request.duration`` is recorded with."""
    kept = {
        name: value for name, value in span_attributes.items() if name in _METRIC_ATTRIBUTES
    }
    if scheme is not None:
        kept[URL_SCHEME] = scheme
    return kept


_METRIC_ATTRIBUTES = frozenset(
    (
        HTTP_REQUEST_METHOD, SERVER_ADDRESS, SERVER_PORT, HTTP_RESPONSE_STATUS_CODE, ERROR_TYPE,
        NETWORK_PROTOCOL_VERSION,
    )
)  # fmt: skip


def protocol_version(version: HttpVersion) -> str:
    """``1.1`` for HTTP/1.1; ``2`` style for a major-only version."""
    major, minor = version
    return f"{major}.{minor}" if major < 2 else str(major)


def is_error_status(status: int) -> bool:
    """For a client span, 4xx is an error as much as 5xx: the call did not get what it asked
    for. A status outside 100-599 is no valid answer at all."""
    return not 100 <= status < 400


class ExcludedUrls:
    """URLs left untraced: comma-separated regular expressions, any of which is searched for in
    the full URL (the convention of OpenTelemetry's other HTTP instrumentations)."""

    __slots__ = ("_pattern",)

    def __init__(self, patterns: str | None) -> None:
        parts = [part.strip() for part in (patterns or "").split(",") if part.strip()]
        self._pattern = re.compile("|".join(parts)) if parts else None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> ExcludedUrls:
        for name in EXCLUDED_URLS_ENVS:
            if name in environ:
                return cls(environ[name])
        return cls(None)

    def __contains__(self, url: str) -> bool:
        return self._pattern is not None and self._pattern.search(url) is not None
