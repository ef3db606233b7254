"""The packaged artifacts work away from the source tree.

One test, run in the C pass of ``make test`` only, walks the path a user's ``pip install`` takes:
the sdist is built, a platform wheel is compiled from that sdist (so the sdist is complete and
Cython builds it from source), auditwheel repairs it to a manylinux tag when auditwheel is
installed, and the result is installed with its runtime dependencies into a fresh venv. A script
in that venv then checks that the compiled twins are the ones in use and makes real requests to
a small server this test runs on 127.0.0.1.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import aiohttp_clone

ROOT = Path(__file__).resolve().parent.parent
BUILD_TIMEOUT = 300  # seconds for one build or install step; a cold pip cache is the slow case

pytestmark = [
    pytest.mark.wheel,
    pytest.mark.timeout(900),
    pytest.mark.skipif(
        bool(os.environ.get("AIOHTTP_CLONE_NO_EXTENSIONS")),
        reason="the wheel check belongs to the C run (this run forbids building extensions)",
    ),
    pytest.mark.skipif(
        not aiohttp_clone.USING_C_EXTENSIONS, reason="no C build on this machine to package"
    ),
    pytest.mark.skipif(
        importlib.util.find_spec("build") is None, reason="needs `build` (the lint extra)"
    ),
]

# Runs inside the fresh venv, with the venv's interpreter, away from the source tree.
CHECK_SCRIPT = """
import asyncio, importlib, json, sys
from pathlib import Path

import aiohttp_clone
import aiohttp_clone._twins
import aiohttp_clone._websocket.mask

package = Path(aiohttp_clone.__file__).parent
assert str(package).startswith(sys.prefix), f"imported from {package}, not the venv"
active = aiohttp_clone._twins.ACTIVE
assert aiohttp_clone.USING_C_EXTENSIONS, f"C twins not all active: {active}"
assert active == {"http_parser": True, "websocket_mask": True}, active
for name in ("_http_parser", "_websocket/mask_c"):
    module = importlib.import_module("aiohttp_clone." + name.replace("/", "."))
    assert module.__file__.endswith(".so"), module.__file__
    assert (package / f"{name}.pyi").is_file(), f"{name}.pyi not installed"
assert (package / "py.typed").is_file(), "py.typed not installed"

data = bytearray(range(256)) * 3
expected = bytes(b ^ b"\\x01\\x02\\x03\\x04"[i % 4] for i, b in enumerate(data))
aiohttp_clone._websocket.mask.websocket_mask(b"\\x01\\x02\\x03\\x04", data)
assert bytes(data) == expected, "C websocket mask gave a wrong result"

async def main(base):
    async with aiohttp_clone.ClientSession() as session:
        async with session.get(base + "/json") as resp:
            assert resp.status == 200, resp.status
            assert await resp.json() == {"hello": "wheel"}
        async with session.get(base + "/chunked") as resp:
            assert resp.status == 200, resp.status
            assert resp.headers["Transfer-Encoding"] == "chunked"
            assert await resp.read() == b"abc" * 1000
    print("WHEEL-OK", aiohttp_clone.__version__, package)

asyncio.run(main(sys.argv[1]))
"""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        if self.path == "/json":
            body = json.dumps({"hello": "wheel"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif self.path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for _ in range(10):
                piece = b"abc" * 100
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.send_error(404)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def local_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _clean_env(bin_dir: Path | None = None) -> dict[str, str]:
    """The caller's environment minus whatever could make the fresh venv see the source tree."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "AIOHTTP_CLONE_NO_EXTENSIONS"}
    }
    # A compiler failure must fail this test, not quietly produce a pure wheel.
    env["AIOHTTP_CLONE_REQUIRE_EXTENSIONS"] = "1"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    if bin_dir is not None:
        env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    return env


def _run(*args: str | Path, cwd: Path) -> str:
    proc = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=_clean_env(Path(sys.executable).parent),
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
    )
    if proc.returncode != 0:
        pytest.fail(
            f"{' '.join(map(str, args))} exited {proc.returncode}\n"
            f"--- stdout\n{proc.stdout[-4000:]}\n--- stderr\n{proc.stderr[-4000:]}"
        )
    return proc.stdout


def _only(directory: Path, pattern: str) -> Path:
    found = sorted(directory.glob(pattern))
    assert len(found) == 1, f"expected one {pattern} in {directory}, found {found}"
    return found[0]


def test_platform_wheel_from_sdist_works_in_fresh_venv(tmp_path: Path, local_server: str) -> None:
    python = sys.executable
    _run(python, "-m", "build", "-q", "--sdist", "--outdir", tmp_path / "sdist", ROOT, cwd=ROOT)
    sdist = _only(tmp_path / "sdist", "aiohttp_clone-*.tar.gz")

    # pip compiles the sdist in an isolated build env: the "builds from source" check.
    _run(
        python, "-m", "pip", "wheel", "-q", "--no-deps", "-w", tmp_path / "raw", sdist, cwd=tmp_path
    )
    wheel = _only(tmp_path / "raw", "aiohttp_clone-*.whl")
    assert "-cp3" in wheel.name and "none-any" not in wheel.name, wheel.name

    auditwheel = shutil.which("auditwheel", path=str(Path(python).parent))
    if auditwheel is not None and sys.platform == "linux":
        _run(auditwheel, "repair", "-w", tmp_path / "repaired", wheel, cwd=tmp_path)
        wheel = _only(tmp_path / "repaired", "aiohttp_clone-*.whl")
        assert "manylinux" in wheel.name, wheel.name

    venv = tmp_path / "venv"
    _run(python, "-m", "venv", venv, cwd=tmp_path)
    venv_python = venv / "bin" / "python"
    # Runtime dependencies come from the wheel's own metadata: this checks Requires-Dist too.
    _run(venv_python, "-m", "pip", "install", "-q", wheel, cwd=tmp_path)

    out = _run(venv_python, "-c", CHECK_SCRIPT, local_server, cwd=tmp_path)
    assert "WHEEL-OK" in out, out
