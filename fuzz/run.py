"""``make fuzz``: build the instrumented C twins, run each fuzz target, summarise.

``python -m fuzz.run [--seconds N] [--targets http_parser,websocket_reader]
[--sanitizer undefined|address|none]``

With clang on PATH the C twins are built again into ``build/fuzz-<sanitizer>/lib`` with
``-fsanitize=fuzzer-no-link`` (libFuzzer's edge counters and comparison hooks) plus the chosen
sanitizer, and the matching runtime shipped in the atheris wheel is preloaded, so libFuzzer is
guided by the C twin's own branches as well as by the Python code atheris instruments. Without
clang the in-place build is fuzzed uninstrumented (coverage from Python only) and this says so.

New corpus entries go to ``build/fuzz/corpus/<target>`` (the seeds in ``fuzz/corpus`` are only
read); a crash or divergence is saved under ``build/fuzz/artifacts/`` and fails the run.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from fuzz._native import C_TWINS, built_file

ROOT = Path(__file__).resolve().parent.parent
FUZZ = ROOT / "fuzz"
WORK = ROOT / "build" / "fuzz"
TARGETS = {
    "http_parser": ("fuzz.fuzz_http_parser", "http.dict"),
    "websocket_reader": ("fuzz.fuzz_websocket_reader", None),
}
SANITIZER_FLAGS = {
    "none": "-fsanitize=fuzzer-no-link",
    "undefined": "-fsanitize=undefined,fuzzer-no-link",
    "address": "-fsanitize=address,undefined,fuzzer-no-link",
}
RUNTIMES = {
    "none": "ubsan_with_fuzzer.so",
    "undefined": "ubsan_with_fuzzer.so",
    "address": "asan_with_fuzzer.so",
}


def log(message: str) -> None:
    print(f"[fuzz] {message}", flush=True)


def build_instrumented(sanitizer: str) -> Path | None:
    """The C twins built with clang's coverage instrumentation, or None without clang."""
    clang = shutil.which("clang")
    if clang is None:
        log(
            "clang not found: the C twin runs UNINSTRUMENTED; libFuzzer is guided by the "
            "Python twin's coverage only (apt-get install clang for native coverage)"
        )
        return None
    out = ROOT / "build" / f"fuzz-{sanitizer}"
    cflags = " ".join(
        [
            SANITIZER_FLAGS[sanitizer],
            f"-fsanitize-ignorelist={FUZZ / 'ubsan-ignorelist.txt'}",
            "-fno-omit-frame-pointer",
            "-g",
        ]
    )
    env = dict(os.environ, CC=clang, LDSHARED=f"{clang} -shared", CFLAGS=cflags)
    env.pop("AIOHTTP_CLONE_NO_EXTENSIONS", None)
    log(f"building the C twins with {cflags} into {out.relative_to(ROOT)}")
    subprocess.run(
        [
            sys.executable,
            "setup.py",
            "-q",
            "build_ext",
            "-b",
            str(out / "lib"),
            "-t",
            str(out / "temp"),
        ],
        cwd=ROOT,
        env=env,
        check=True,
    )
    for name in C_TWINS:
        if not built_file(out / "lib", name):
            sys.exit(f"[fuzz] the instrumented {name} was not built (see the compiler output)")
    return out / "lib"


def run_target(name: str, seconds: int, ext_dir: Path | None, sanitizer: str) -> dict[str, str]:
    module, dictionary = TARGETS[name]
    corpus = WORK / "corpus" / name
    artifacts = WORK / "artifacts" / name
    corpus.mkdir(parents=True, exist_ok=True)
    artifacts.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("AIOHTTP_CLONE_NO_EXTENSIONS", None)
    if ext_dir is not None:
        import atheris

        env["FUZZ_EXTENSION_DIR"] = str(ext_dir)
        env["LD_PRELOAD"] = str(Path(atheris.path()) / RUNTIMES[sanitizer])
        env["ASAN_OPTIONS"] = "detect_leaks=0:allocator_may_return_null=1"
        env["UBSAN_OPTIONS"] = "halt_on_error=1:print_stacktrace=1"
    cmd = [
        sys.executable,
        "-m",
        module,
        f"-max_total_time={seconds}",
        "-max_len=4096",
        "-timeout=10",
        "-rss_limit_mb=3072",
        "-print_final_stats=1",
        f"-artifact_prefix={artifacts}/",
    ]
    if dictionary:
        cmd.append(f"-dict={FUZZ / dictionary}")
    cmd += [str(corpus), str(FUZZ / "corpus" / name)]
    log_file = WORK / f"{name}.log"
    log(f"{name}: {seconds} s (libFuzzer's output goes to {log_file.relative_to(ROOT)})")
    started = time.monotonic()
    with log_file.open("w") as out:
        proc = subprocess.run(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    output = log_file.read_text(errors="replace")
    summary = summarise(output)
    summary["seconds"] = f"{time.monotonic() - started:.0f}"
    summary["exit"] = str(proc.returncode)
    if proc.returncode != 0:
        tail = "\n".join(output.splitlines()[-40:])
        log(
            f"{name} FAILED (exit {proc.returncode}); the input is in "
            f"{artifacts.relative_to(ROOT)}/\n{tail}"
        )
    return summary


def summarise(output: str) -> dict[str, str]:
    """The figures libFuzzer prints: executions, rate, coverage, corpus."""
    found: dict[str, str] = {}
    for key in (
        "number_of_executed_units",
        "average_exec_per_sec",
        "new_units_added",
        "peak_rss_mb",
    ):
        match = re.search(rf"stat::{key}:\s+(\d+)", output)
        if match:
            found[key] = match.group(1)
    lines = [line for line in output.splitlines() if re.match(r"#\d+\s+(DONE|INITED)", line)]
    for line in lines:
        kind = "done" if "DONE" in line else "start"
        for field in ("cov", "ft", "corp"):
            match = re.search(rf"{field}: (\S+)", line)
            if match:
                found[f"{kind}_{field}"] = match.group(1)
    instrumented = re.search(r"^(aiohttp_clone\.\S+: .*)$", output, re.MULTILINE)
    if instrumented:
        found["twin"] = instrumented.group(1)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=60, help="per target")
    parser.add_argument("--targets", default=",".join(TARGETS))
    parser.add_argument("--sanitizer", choices=sorted(SANITIZER_FLAGS), default="undefined")
    args = parser.parse_args(argv)
    ext_dir = build_instrumented(args.sanitizer)
    failed = False
    for name in args.targets.split(","):
        summary = run_target(name, args.seconds, ext_dir, args.sanitizer)
        failed |= summary["exit"] != "0"
        log(f"{name}: " + ", ".join(f"{key}={value}" for key, value in summary.items()))
    log("FAILED: see the artifacts above" if failed else "no crash, no divergence")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
