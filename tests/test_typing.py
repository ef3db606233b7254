"""Typed verbs: ``mypy --strict`` on user code types the clone as it types aiohttp 3.14.

Two files in tests/typing_cases/ (not collected by pytest: they are read by mypy, never run):
``user_script.py``, annotated aiohttp-style code with ``assert_type`` checks that must get no
error at all, and ``mistakes.py``, where each line marked ``# E: <codes>`` must get exactly
those error codes and no unmarked line may get one. The same two files, with the import
switched to ``aiohttp``, are held to the same lines against aiohttp's own types, so the files
cannot drift into checking something aiohttp does not.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

import aiohttp_clone

CASES = Path(__file__).parent / "typing_cases"
USER_SCRIPT = CASES / "user_script.py"
MISTAKES = CASES / "mistakes.py"
SOURCE_ROOT = Path(aiohttp_clone.__file__).parent.parent
"""mypy's working directory: it finds ``aiohttp_clone`` there (an editable install's import
hook is invisible to mypy)."""

_ERROR = re.compile(r"^(?P<path>.+?):(?P<line>\d+): error: .*?(?:\s+\[(?P<code>[\w-]+)\])?$")
_MARK = re.compile(r"#\s*E:\s*(?P<codes>[\w-]+(?:\s*,\s*[\w-]+)*)\s*$")

Report = dict[str, dict[int, set[str]]]
"""File name -> line -> the mypy error codes reported on it."""


def expected_errors(path: Path) -> dict[int, set[str]]:
    marks: dict[int, set[str]] = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        match = _MARK.search(line)
        if match:
            marks[number] = {code.strip() for code in match["codes"].split(",")}
    return marks


def run_mypy(files: list[Path], cwd: Path, cache: Path) -> Report:
    """``mypy --strict`` as a user runs it: no project config, the installed packages' types."""
    config = cache / "mypy.ini"
    config.write_text("[mypy]\n")
    result = subprocess.run(
        [
            sys.executable, "-m", "mypy", "--strict", "--config-file", str(config),
            "--cache-dir", str(cache / "cache"), "--show-error-codes", "--no-pretty",
            "--no-error-summary", "--hide-error-context", *map(str, files),
        ],
        cwd=cwd, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    # 0: clean, 1: errors found; anything else is mypy itself failing (a crash, bad flags).
    assert result.returncode in (0, 1), result.stdout + result.stderr
    report: Report = defaultdict(lambda: defaultdict(set))
    for line in result.stdout.splitlines():
        match = _ERROR.match(line)
        if match:
            report[Path(match["path"]).name][int(match["line"])].add(match["code"] or "?")
        else:
            assert ": note: " in line, f"unparsed mypy output: {line}"
    return {name: dict(lines) for name, lines in report.items()}


@pytest.fixture(scope="module")
def clone_report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    cache = tmp_path_factory.mktemp("mypy-clone")
    return run_mypy([USER_SCRIPT, MISTAKES], SOURCE_ROOT, cache)


@pytest.fixture(scope="module")
def aiohttp_report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    if importlib.util.find_spec("aiohttp") is None:
        pytest.skip("aiohttp is not installed (the bench extra brings aiohttp 3.14.5)")
    work = tmp_path_factory.mktemp("mypy-aiohttp")
    copies = []
    for case in (USER_SCRIPT, MISTAKES):
        copy = work / case.name
        copy.write_text(case.read_text().replace("aiohttp_clone", "aiohttp"))
        copies.append(copy)
    return run_mypy(copies, work, work)


def test_the_mistakes_file_holds_at_least_ten_mistakes() -> None:
    assert len(expected_errors(MISTAKES)) >= 10


def test_annotated_user_script_type_checks_clean(clone_report: Report) -> None:
    assert clone_report.get(USER_SCRIPT.name, {}) == {}


def test_every_mistake_is_reported_and_nothing_else(clone_report: Report) -> None:
    assert clone_report.get(MISTAKES.name, {}) == expected_errors(MISTAKES)


def test_aiohttp_types_the_user_script_the_same(aiohttp_report: Report) -> None:
    """The script is honest aiohttp code: aiohttp's own types accept it as they stand."""
    assert aiohttp_report.get(USER_SCRIPT.name, {}) == {}


def test_aiohttp_reports_the_same_mistakes(aiohttp_report: Report) -> None:
    """Line for line (the codes may differ: aiohttp's ``ws_connect`` is an overload)."""
    assert set(aiohttp_report.get(MISTAKES.name, {})) == set(expected_errors(MISTAKES))
