"""Shared fixtures. ``AIOHTTP_CLONE_REQUIRE_EXTENSIONS=1`` makes the run fail unless C is active."""

import os

import pytest

import aiohttp_clone


def pytest_sessionstart(session: pytest.Session) -> None:
    if os.environ.get("AIOHTTP_CLONE_REQUIRE_EXTENSIONS") and not aiohttp_clone.USING_C_EXTENSIONS:
        pytest.exit("the C extensions were required but the pure-Python twins are active", 3)


def pytest_report_header(config: pytest.Config) -> str:
    kind = "C extensions" if aiohttp_clone.USING_C_EXTENSIONS else "pure Python"
    return f"aiohttp_clone implementation: {kind}"
