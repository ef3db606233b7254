"""The exit codes of both commands, and the command's name, in one place so ``--help``, the
messages and the code cannot drift apart.

They follow httpie's where httpie has one (3/4/5 for answers, 6 for redirects) and the shell's
for an interrupt; 1 and 2 separate "fix your command" from "the network or server failed".
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = (
    "BENCH_EXIT_CODES_HELP",
    "BENCH_PROG",
    "EXIT_CODES_HELP",
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_NETWORK",
    "EXIT_OK",
    "EXIT_TOO_MANY_REDIRECTS",
    "PROG",
    "exit_code_for_refused",
    "exit_code_for_status",
)

PROG = "aiohttp-clone"  # in usage lines, error messages and the User-Agent
BENCH_PROG = f"{PROG} bench"

EXIT_OK = 0
EXIT_ERROR = 1  # bad input (usage, URL, option values), or a local file that cannot be written
EXIT_NETWORK = 2  # could not connect, TLS failed, timed out, or the transfer broke off
EXIT_TOO_MANY_REDIRECTS = 6  # httpie's code for the same failure
EXIT_INTERRUPTED = 130  # the shell's convention for SIGINT


def exit_code_for_status(status: int, followed: bool) -> int:
    """``--check-status``, httpie's convention: 3 for an unfollowed redirect, 4 for 4xx, 5 for
    5xx, else 0."""
    if 300 <= status < 400:
        return EXIT_OK if followed else 3
    if 400 <= status < 600:
        return status // 100
    return EXIT_OK


def exit_code_for_refused(status: int) -> int:
    """``-o`` refused an answer (status 300 or more) as not the file: 3 for 3xx, 4 for 4xx, 5
    otherwise. Agrees with ``exit_code_for_status`` on 300-599; above, the refusal still
    fails."""
    return min(max(status // 100, 3), 5)


def _exit_codes_help(rows: Sequence[tuple[object, str]]) -> str:
    """An ``exit codes:`` epilog section; the texts line up two spaces after the widest code."""
    width = max(len(str(code)) for code, _ in rows) + 2
    return "".join(["exit codes:\n", *(f"  {code!s:<{width}}{text}\n" for code, text in rows)])


EXIT_CODES_HELP = _exit_codes_help(
    [
        (EXIT_OK, "ok"),
        (
            EXIT_ERROR,
            "bad input (usage, URL, option values) or a local error (file cannot be written)",
        ),
        (EXIT_NETWORK, "network error: cannot connect, TLS failure, timeout, transfer broken off"),
        ("3/4/5", "a 3xx/4xx/5xx answer with --check-status, or one that -o refused to save"),
        (EXIT_TOO_MANY_REDIRECTS, "too many redirects"),
        (EXIT_INTERRUPTED, "interrupted (Ctrl-C)"),
    ]
)
BENCH_EXIT_CODES_HELP = _exit_codes_help(
    [
        (EXIT_OK, "every request got an answer (whatever its status)"),
        (EXIT_ERROR, "bad input (usage, URL, option values)"),
        (
            EXIT_NETWORK,
            "some or all requests failed: cannot connect, TLS failure, timeout, broken off",
        ),
        (EXIT_INTERRUPTED, "interrupted (Ctrl-C)"),
    ]
)
