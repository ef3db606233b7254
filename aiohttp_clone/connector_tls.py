"""TLS settings: the ``ssl=`` value a user passes, the contexts behind it, and pinning."""

from __future__ import annotations

import functools
import ssl
import warnings
from typing import Any

from ._values import Fingerprint, SSLValue

__all__ = (
    "Fingerprint",
    "SSLValue",
    "resolve_ssl",
    "ssl_context_for",
    "warn_ssl_shutdown_timeout",
)


def resolve_ssl(
    ssl_value: Any,
    verify_ssl: bool | None = None,
    ssl_context: ssl.SSLContext | None = None,
    fingerprint: bytes | None = None,
) -> SSLValue:
    """Fold the deprecated ``verify_ssl``/``ssl_context``/``fingerprint`` into one ``ssl``."""
    if ssl_value is None:
        ssl_value = True
    if verify_ssl is not None and verify_ssl is not True:
        warnings.warn("verify_ssl is deprecated, use ssl=False instead", DeprecationWarning,
                      stacklevel=3)
        if ssl_value is not True:
            raise ValueError("verify_ssl, ssl_context, fingerprint and ssl are mutually exclusive")
        ssl_value = False
    if ssl_context is not None:
        warnings.warn("ssl_context is deprecated, use ssl=context instead", DeprecationWarning,
                      stacklevel=3)
        if ssl_value is not True:
            raise ValueError("verify_ssl, ssl_context, fingerprint and ssl are mutually exclusive")
        ssl_value = ssl_context
    if fingerprint is not None:
        warnings.warn("fingerprint is deprecated, use ssl=Fingerprint(fingerprint) instead",
                      DeprecationWarning, stacklevel=3)
        if ssl_value is not True:
            raise ValueError("verify_ssl, ssl_context, fingerprint and ssl are mutually exclusive")
        ssl_value = Fingerprint(fingerprint)
    if not isinstance(ssl_value, (bool, Fingerprint, ssl.SSLContext)):
        raise TypeError(
            f"ssl should be SSLContext, Fingerprint, or bool, got {ssl_value!r} instead."
        )
    return ssl_value


def warn_ssl_shutdown_timeout(stacklevel: int) -> None:
    """aiohttp 3.14 deprecates ``ssl_shutdown_timeout`` (sessions and connectors); it still
    applies here."""
    warnings.warn(
        "The ssl_shutdown_timeout parameter is deprecated and will be removed in aiohttp 4.0",
        DeprecationWarning,
        stacklevel=stacklevel,
    )


# Offered in the handshake, as aiohttp does: some servers and load balancers require ALPN. A
# context the user passes is used as given.
_ALPN = ["http/1.1"]


@functools.cache
def _verified_context() -> ssl.SSLContext:
    # Built once: creating a context and loading the trust store costs milliseconds.
    context = ssl.create_default_context()
    context.set_alpn_protocols(_ALPN)
    return context


@functools.cache
def _unverified_context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_default_verify_paths()
    context.set_alpn_protocols(_ALPN)
    return context


def ssl_context_for(value: SSLValue) -> ssl.SSLContext:
    """The context to connect with: verified by default, unverified for False or a pin."""
    if isinstance(value, ssl.SSLContext):
        return value
    if value is True:
        return _verified_context()
    return _unverified_context()
