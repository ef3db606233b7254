"""TLS against a uvicorn server with a trustme certificate."""

from __future__ import annotations

import hashlib
import ssl

import pytest

import aiohttp_clone as aiohttp


async def test_verification_on_by_default(https_server) -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientConnectorCertificateError) as info:
            await session.get(https_server.make_url("/hello"))
    assert isinstance(info.value, ssl.SSLCertVerificationError)
    assert info.value.host == "127.0.0.1"
    # As in aiohttp, the verification error is also the os_error (handlers log it).
    assert info.value.os_error is info.value.certificate_error
    assert isinstance(info.value.os_error, ssl.SSLCertVerificationError)
    assert info.value.errno == info.value.os_error.errno


async def test_ssl_context_trusting_the_ca(https_server, client_ssl_ctx) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(https_server.make_url("/hello"), ssl=client_ssl_ctx) as resp:
            assert await resp.text() == "Hello, world"


async def test_connector_ssl_context(https_server, client_ssl_ctx) -> None:
    connector = aiohttp.TCPConnector(ssl=client_ssl_ctx)
    async with aiohttp.ClientSession(connector=connector) as session:
        for _ in range(2):
            async with session.get(https_server.make_url("/hello")) as resp:
                assert resp.status == 200
                await resp.read()


async def test_ssl_false_skips_verification(https_server) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(https_server.make_url("/hello"), ssl=False) as resp:
            assert resp.status == 200


async def test_fingerprint_pinning(https_server, tls_certs) -> None:
    der = ssl.PEM_cert_to_DER_cert(tls_certs.server_cert.cert_chain_pems[0].bytes().decode())
    good = aiohttp.Fingerprint(hashlib.sha256(der).digest())
    bad = aiohttp.Fingerprint(b"\x00" * 32)
    async with aiohttp.ClientSession() as session:
        async with session.get(https_server.make_url("/hello"), ssl=good) as resp:
            assert resp.status == 200
        with pytest.raises(aiohttp.ServerFingerprintMismatch):
            await session.get(https_server.make_url("/hello"), ssl=bad)


def test_fingerprint_refuses_weak_digests() -> None:
    with pytest.raises(ValueError):
        aiohttp.Fingerprint(hashlib.md5(b"x").digest())
    with pytest.raises(ValueError):
        aiohttp.Fingerprint(hashlib.sha1(b"x").digest())


async def test_invalid_ssl_value() -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(TypeError):
            await session.get("https://127.0.0.1/", ssl="yes")


async def test_server_hostname_overrides_sni_and_verification(https_server, client_ssl_ctx) -> None:
    url = https_server.make_url("/hello")
    async with aiohttp.ClientSession() as session:
        async with session.get(url, ssl=client_ssl_ctx, server_hostname="localhost") as resp:
            assert resp.status == 200
        with pytest.raises(aiohttp.ClientConnectorCertificateError):
            await session.get(url, ssl=client_ssl_ctx, server_hostname="not-in-the-cert.test")
