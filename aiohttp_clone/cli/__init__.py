"""The ``aiohttp-clone`` command: HTTP requests from the shell, in the spirit of httpie and curl.

This module turns the command line into a request plan and the outcome into an exit code; the
request itself is made in ``cli/transfer.py`` and the load generator lives in ``cli/bench.py``.
Failures a user can meet (refused connections, timeouts, bad URLs) become one line on stderr and
an exit code a script can test, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
from collections.abc import Sequence
from urllib.parse import urlencode

from .. import USING_C_EXTENSIONS, __version__
from ..client_exceptions import ClientConnectorError, ClientError, InvalidURL, TooManyRedirects
from ..helpers import BasicAuth
from . import bench as cli_bench
from .items import ItemError, RequestItems, parse_items
from .output import Style, wants_colour
from .transfer import Options, RequestPlan, perform

__all__ = ("build_parser", "build_plan", "exit_code_for_status", "main")

PROG = "aiohttp-clone"
EXIT_OK = 0
EXIT_ERROR = 1  # bad input, or a local file that cannot be written
EXIT_NETWORK = 2  # could not connect, timed out, or the connection broke
EXIT_TOO_MANY_REDIRECTS = 6  # httpie's code for the same failure
EXIT_INTERRUPTED = 130  # the shell's convention for SIGINT
JSON_TYPE = "application/json"
JSON_ACCEPT = "application/json, */*;q=0.5"
FORM_TYPE = "application/x-www-form-urlencoded; charset=utf-8"
_METHOD = re.compile(r"[A-Z]+")
_KNOWN_METHODS = frozenset(("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"))

_EPILOG = """\
request items:
  Name:value     a request header
  key==value     a query string parameter
  key=value      a body field (a JSON string, or a form field with --form)
  key:=json      a body field holding raw JSON (numbers, booleans, lists, objects)

examples:
  aiohttp-clone example.org/json
  aiohttp-clone :8080/items name=widget price:=9.5 X-Trace:abc
  aiohttp-clone --form POST localhost/login user=ann pass=secret
  aiohttp-clone https://example.org/big.iso -o big.iso
  aiohttp-clone bench http://127.0.0.1:8080/ -n 10000 -c 64

exit codes: 0 ok, 1 bad input or local error, 2 network error or timeout,
  3/4/5 for a 3xx/4xx/5xx answer with --check-status, 6 too many redirects
"""


def build_parser() -> argparse.ArgumentParser:
    """The request command's options; ``bench`` has its own parser in ``cli/bench.py``."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        usage="%(prog)s [options] [METHOD] URL [ITEM ...]",
        description="Send one HTTP request and show the answer. "
        f"Run '{PROG} bench --help' for the load generator.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "words",
        nargs="+",
        metavar="[METHOD] URL [ITEM ...]",
        help="the method (default GET, or POST when body fields are given), "
        "the URL (scheme defaults to http://, ':8080/x' means localhost), items",
    )
    _add_request_options(parser)
    _add_output_options(parser)
    build = "C extensions" if USING_C_EXTENSIONS else "pure Python"
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__} ({build})")
    return parser


def _add_request_options(parser: argparse.ArgumentParser) -> None:
    body = parser.add_mutually_exclusive_group()
    body.add_argument(
        "-j",
        "--json",
        action="store_true",
        help="send fields as a JSON object (the default) and ask for JSON back",
    )
    body.add_argument(
        "-f", "--form", action="store_true", help="send fields URL-encoded, as an HTML form does"
    )
    parser.add_argument("-a", "--auth", metavar="USER:PASS", help="HTTP Basic credentials")
    parser.add_argument(
        "--timeout",
        type=float,
        metavar="SECONDS",
        help="give up when the whole exchange takes longer than this",
    )
    parser.add_argument("--proxy", metavar="URL", help="send the request through this proxy")
    parser.add_argument(
        "-k", "--insecure", action="store_true", help="do not verify the server's TLS certificate"
    )
    parser.add_argument(
        "--follow",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="follow redirects (default: show the redirect itself)",
    )


def _add_output_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="stream the body to FILE (progress on stderr when it is a terminal)",
    )
    parser.add_argument(
        "-b",
        "--body",
        dest="body_only",
        action="store_true",
        help="print only the body, not the status line and headers",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="also print the request head and body as sent"
    )
    parser.add_argument(
        "--check-status",
        action="store_true",
        help="exit 3, 4 or 5 when the final answer is a 3xx, 4xx or 5xx",
    )


def split_words(words: Sequence[str]) -> tuple[str | None, str, list[str]]:
    """Split the positionals into (method, URL, items).

    The first word is a method when it is a standard one in any case, or any all-capitals word
    (WebDAV's PROPFIND, say), and something follows it; otherwise it is the URL.
    """
    first, rest = words[0], list(words[1:])
    if rest and (first.upper() in _KNOWN_METHODS or _METHOD.fullmatch(first)):
        return first.upper(), rest[0], rest[1:]
    return None, first, rest


def normalise_url(url: str) -> str:
    """Let people type what they mean: ``example.org`` and ``:8080/path`` (localhost)."""
    if url.startswith(":"):
        url = "localhost" + url
    if "://" not in url:
        url = "http://" + url
    return url


def encode_body(items: RequestItems, form: bool) -> tuple[bytes | None, str | None]:
    """The body bytes and their Content-Type; serialised here so --verbose shows exact bytes."""
    if not items.fields:
        return None, None
    if form:
        if items.raw_json_keys:
            raise ItemError(
                f"raw JSON fields ({', '.join(items.raw_json_keys)}) need --json, not --form"
            )
        return urlencode(items.fields).encode(), FORM_TYPE
    return json.dumps(dict(items.fields), ensure_ascii=False).encode(), JSON_TYPE


def _default_headers(json_mode: bool, content_type: str | None) -> list[tuple[str, str]]:
    headers = [("User-Agent", f"{PROG}/{__version__}")]
    if json_mode:
        headers.append(("Accept", JSON_ACCEPT))
    if content_type is not None:
        headers.append(("Content-Type", content_type))
    return headers


def build_plan(parser: argparse.ArgumentParser, args: argparse.Namespace) -> RequestPlan:
    """Everything about the request, decided before any I/O; bad input ends in a usage error."""
    method, url, words = split_words(args.words)
    try:
        items = parse_items(words)
        body, content_type = encode_body(items, args.form)
    except ItemError as exc:
        parser.error(str(exc))
    auth = None
    if args.auth is not None:
        user, sep, password = args.auth.partition(":")
        if not sep:
            parser.error("--auth expects USER:PASS")
        auth = BasicAuth(user, password)
    json_mode = args.json or (body is not None and not args.form)
    given = {name.lower() for name, _ in items.headers}
    defaults = [
        (k, v) for k, v in _default_headers(json_mode, content_type) if k.lower() not in given
    ]
    return RequestPlan(
        method=method or ("POST" if body is not None else "GET"),
        url=normalise_url(url),
        headers=defaults + items.headers,
        query=items.query,
        body=body,
        auth=auth,
    )


def exit_code_for_status(status: int, followed: bool) -> int:
    """httpie's convention: 3 for an unfollowed redirect, 4 for 4xx, 5 for 5xx, else 0."""
    if 300 <= status < 400:
        return 0 if followed else 3
    if 400 <= status < 600:
        return status // 100
    return EXIT_OK


def _report(kind: str, message: str) -> None:
    one_line = " ".join(message.split())
    print(f"{PROG}: {kind}: {one_line}", file=sys.stderr)


def _describe(exc: BaseException, timeout: float | None) -> str:
    if isinstance(exc, TimeoutError) and not str(exc):
        return f"Request timed out after {timeout:g} s" if timeout else "Request timed out"
    if isinstance(exc, ClientConnectorError):
        return str(exc)  # already "Cannot connect to host H:P ssl:... [reason]"
    detail = str(exc)
    return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__


def run(plan: RequestPlan, options: Options, check_status: bool) -> int:
    """Make the request and map every way it can end onto an exit code."""
    out = sys.stdout.buffer
    style = Style(wants_colour(out))
    try:
        status = asyncio.run(perform(plan, options, out, style))
    except TooManyRedirects as exc:
        _report("error", _describe(exc, options.timeout))
        return EXIT_TOO_MANY_REDIRECTS
    except InvalidURL as exc:
        _report("error", f"invalid URL: {exc}")
        return EXIT_ERROR
    except (ClientError, TimeoutError) as exc:
        _report("error", _describe(exc, options.timeout))
        return EXIT_NETWORK
    except ValueError as exc:  # a header or method the library refuses to put on the wire
        _report("error", str(exc))
        return EXIT_ERROR
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, and keep Python's exit-time flush of
        # stdout from failing again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_ERROR
    except OSError as exc:
        _report("error", str(exc))
        return EXIT_ERROR
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    code = exit_code_for_status(status, options.follow) if check_status else EXIT_OK
    if code:
        _report("warning", f"HTTP {status}")
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``aiohttp-clone`` and ``python -m aiohttp_clone``; returns the exit code."""
    words = list(sys.argv[1:] if argv is None else argv)
    if words[:1] == ["bench"]:
        return cli_bench.main(words[1:])
    parser = build_parser()
    args = parser.parse_intermixed_args(words)
    plan = build_plan(parser, args)
    options = Options(
        follow=args.follow,
        timeout=args.timeout,
        proxy=args.proxy,
        insecure=args.insecure,
        verbose=args.verbose,
        body_only=args.body_only,
        output=args.output,
    )
    return run(plan, options, args.check_status)
