"""The TLS options (``--verify``, ``--cert``, ``--cert-key``, ``-k``) as the library's ``ssl=``.

Files are loaded before anything is sent, so a wrong path is a usage error naming the option, not
a handshake failure later. Without ``--verify`` the system's trust store is used, which OpenSSL
lets ``SSL_CERT_FILE`` and ``SSL_CERT_DIR`` replace.
"""

from __future__ import annotations

import os
import ssl

__all__ = ("ssl_setting",)


def _trusting(verify: str | None, insecure: bool) -> ssl.SSLContext:
    if insecure:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    if verify is None:
        return ssl.create_default_context()
    if os.path.isdir(verify):  # OpenSSL's hashed directory, as `openssl rehash` lays it out
        return ssl.create_default_context(capath=verify)
    if not os.path.exists(verify):
        raise FileNotFoundError(f"no such file or directory: {verify!r}")
    return ssl.create_default_context(cafile=verify)


def ssl_setting(
    verify: str | None, cert: str | None, cert_key: str | None, insecure: bool
) -> bool | ssl.SSLContext:
    """``True``/``False`` for the library's own contexts, or one built from the given files.

    Raises ValueError naming the option when a file is missing or not what it should be.
    """
    if verify is not None and insecure:
        raise ValueError("--verify and --insecure contradict each other: choose one")
    if cert_key is not None and cert is None:
        raise ValueError("--cert-key needs --cert (the certificate it belongs to)")
    if verify is None and cert is None:
        return not insecure
    try:
        context = _trusting(verify, insecure)
    except (OSError, ssl.SSLError) as exc:  # SSLError: the file holds no usable certificate
        raise ValueError(f"--verify {verify}: {exc.strerror or exc}") from None
    if cert is not None:
        try:
            context.load_cert_chain(cert, cert_key)
        except (OSError, ssl.SSLError) as exc:
            given = f"--cert {cert}" + (f" --cert-key {cert_key}" if cert_key else "")
            raise ValueError(f"{given}: {exc.strerror or exc}") from None
    return context
