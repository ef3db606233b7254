"""Every runnable example in the README and the user guide, run as a reader would run it.

A block counts as an example when it is a ```python block that calls ``asyncio.run``; it runs
in a subprocess (inheriting the environment, so the pure-Python run covers the twins too)
against the test suite's real servers, which stand in for the addresses the pages use. Each
page also names lines its examples must print, so an example that stops doing what the page
says fails here.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import ProxyProcess, ServerInfo, TLSCerts, WebSocketThread

ROOT = Path(__file__).resolve().parent.parent
RUN_TIMEOUT = 30  # seconds; a hung example fails its test instead of the whole run
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)

# page -> what its examples must print (each a substring of stdout)
EXPECTED: dict[str, list[str]] = {
    "README.md": ["200 text/plain", "characters"],
    "docs/index.md": ["200 text/plain", "characters"],
    "docs/guide/sessions.md": ["[200, 200, 200, 200, 200, 200, 200, 200, 200, 200]"],
    "docs/guide/timeouts.md": [
        "200\n", "no byte for 0.2 s", "the whole request took longer than 0.2 s",
    ],
    "docs/guide/streaming.md": ["downloaded 1000000 bytes", "server received 15000 bytes"],
    "docs/guide/websockets.md": ["hello\n", "{'n': 1}", "binary b'\\x00\\x01'", "closed with 1000"],
    "docs/guide/proxies.md": ["200 {", "/echo\n"],
    "docs/guide/tls.md": ["200 https", "not trusted by the system store:"],
    "docs/guide/tracing.md": [
        "new connection", "reused a pooled connection", "server saw X-Request-Id 0",
        "server saw X-Request-Id 1", "-> 200 in",
    ],
}


def examples(page: str) -> list[str]:
    text = (ROOT / page).read_text(encoding="utf-8")
    return [block for block in _BLOCK.findall(text) if "asyncio.run(" in block]


def test_every_guide_page_is_checked() -> None:
    pages = {f"docs/guide/{path.name}" for path in (ROOT / "docs" / "guide").glob("*.md")}
    runnable = {page for page in pages if examples(page)}
    assert runnable == set(EXPECTED) & pages
    # Shell commands (run by tests/test_cli.py), and migration snippets (their features have
    # tests of their own: test_testing_*, test_socks, test_retry, test_opentelemetry).
    assert pages - runnable == {"docs/guide/cli.md", "docs/guide/coming-from-aiohttp.md"}


@pytest.mark.parametrize("page", sorted(EXPECTED))
def test_page_examples_run(
    page: str,
    http_server: ServerInfo,
    https_server: ServerInfo,
    websocket_server: WebSocketThread,
    proxy_server: ProxyProcess,
    tls_certs: TLSCerts,
) -> None:
    blocks = examples(page)
    assert blocks, f"{page} has no runnable example"
    stand_ins = {
        # The first-request example asks a plain file server for "/"; the test app says hello.
        '"http://127.0.0.1:8080/"': f'"{http_server.url}/hello"',
        "http://127.0.0.1:8080": str(http_server.url),
        "https://127.0.0.1:8443": str(https_server.url),
        "ws://127.0.0.1:8765": str(websocket_server.url),
        "http://127.0.0.1:3128": str(proxy_server.url),
        '"ca.pem"': repr(tls_certs.ca_file),
    }
    output = ""
    for block in blocks:
        for placeholder, real in stand_ins.items():
            block = block.replace(placeholder, real)
        result = subprocess.run(
            [sys.executable, "-c", block],
            capture_output=True,
            env=dict(os.environ),
            stdin=subprocess.DEVNULL,
            timeout=RUN_TIMEOUT,
            check=False,
            cwd=ROOT,
        )
        assert result.returncode == 0, result.stderr.decode(errors="replace")
        output += result.stdout.decode()
    for expected in EXPECTED[page]:
        assert expected in output, f"{page}: {expected!r} not in:\n{output}"
