"""Results files: where a run came from (commit, machine, load), their layout and their names.

Files under benchmarks/published/ are committed with the README that quotes them; their names
are ``DATE-COMMIT[-dirty]-KIND.json``, the date and commit taken when the run started.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import subprocess
import time
from pathlib import Path
from typing import Any

from benchmarks.runner import ROOT

RESULTS = Path(__file__).resolve().parent / "results"  # the latest run's files (ignored by git)
PUBLISHED = Path(__file__).resolve().parent / "published"
INLINE = 160  # a JSON value whose one-line form is this short stays on one line


def git(*args: str) -> str:
    try:
        out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""


def provenance() -> dict[str, Any]:
    """What a reader needs to judge the figures; taken before the run, as the code it ran."""
    versions: dict[str, str] = {}
    for dist in ("aiohttp", "httpx", "uvloop", "aiohttp_clone"):
        # From the installed metadata, not by importing: every worker is forked from this
        # process, and on Linux a child's ru_maxrss starts at its parent's peak.
        try:
            versions[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            versions[dist] = "not installed"
    return {
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "commit": git("rev-parse", "--short=12", "HEAD") or "unknown",
        "dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        # Other processes share the machine: a high load says the figures are noisy.
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "versions": versions,
    }


def dumps(value: Any, indent: int = 0) -> str:
    """JSON with one line per short value (a cell, a ceiling): small, and diffs read well."""
    flat = json.dumps(value)
    if len(flat) + indent <= INLINE or not isinstance(value, (dict, list)) or not value:
        return flat
    pad = " " * (indent + 1)
    if isinstance(value, dict):
        items = [f"{pad}{json.dumps(k)}: {dumps(v, indent + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    items = [pad + dumps(v, indent + 1) for v in value]
    return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"


def publish_name(meta: dict[str, Any], kind: str) -> str:
    dirty = "-dirty" if meta["dirty"] else ""
    return f"{meta['date'][:10]}-{meta['commit'][:9]}{dirty}-{kind}.json"


def write_results(data: dict[str, Any], latest: Path, publish_as: str | None) -> list[Path]:
    """Write ``latest`` (ignored by git) and, when asked, the same text under PUBLISHED."""
    text = dumps(data) + "\n"
    latest.parent.mkdir(parents=True, exist_ok=True)
    latest.write_text(text)
    written = [latest]
    if publish_as is not None:
        PUBLISHED.mkdir(exist_ok=True)
        (PUBLISHED / publish_as).write_text(text)
        written.append(PUBLISHED / publish_as)
    return written
