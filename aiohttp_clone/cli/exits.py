"""The exit codes of both commands, in one place so ``--help`` and the code cannot drift apart.

They follow httpie's where httpie has one (3/4/5 for answers, 6 for redirects) and the shell's
for an interrupt; 1 and 2 separate "fix your command" from "the network or server failed".
"""

from __future__ import annotations

__all__ = (
    "EXIT_CODES_HELP",
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_NETWORK",
    "EXIT_OK",
    "EXIT_TOO_MANY_REDIRECTS",
)

EXIT_OK = 0
EXIT_ERROR = 1  # bad input (usage, URL, option values), or a local file that cannot be written
EXIT_NETWORK = 2  # could not connect, TLS failed, timed out, or the transfer broke off
EXIT_TOO_MANY_REDIRECTS = 6  # httpie's code for the same failure
EXIT_INTERRUPTED = 130  # the shell's convention for SIGINT

EXIT_CODES_HELP = """\
exit codes:
  0      ok
  1      bad input (usage, URL, option values) or a local error (file cannot be written)
  2      network error: cannot connect, TLS failure, timeout, transfer broken off
  3/4/5  a 3xx/4xx/5xx answer with --check-status, or one that -o refused to save
  6      too many redirects
  130    interrupted (Ctrl-C)
"""
