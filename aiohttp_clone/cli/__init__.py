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

from .. import USING_C_EXTENSIONS, __version__, encode_basic_auth
from . import bench as cli_bench
from .checks import UsageParser, check_header, check_url, positive_seconds
from .exits import BENCH_PROG, EXIT_CODES_HELP, EXIT_ERROR, EXIT_OK, PROG, exit_code_for_status
from .failures import Outcome, describe, exit_code_for, report, report_partial
from .items import ItemError, RequestItems, parse_items
from .output import Style, wants_colour
from .tls import ssl_setting
from .transfer import Options, RequestPlan, perform

__all__ = ("build_options", "build_parser", "build_plan", "exit_code_for_status", "main")

JSON_TYPE = "application/json"
JSON_ACCEPT = "application/json, */*;q=0.5"
FORM_TYPE = "application/x-www-form-urlencoded; charset=utf-8"
_METHOD = re.compile(r"[A-Z]+")
_KNOWN_METHODS = frozenset(("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"))

_EPILOG = f"""\
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
  aiohttp-clone https://example.org/big.iso -o big.iso --continue   # after a broken download
  aiohttp-clone --verify ca.pem --cert me.pem --cert-key me.key https://intranet.example/
  aiohttp-clone bench http://127.0.0.1:8080/ -n 10000 -c 64

environment:
  SSL_CERT_FILE  CA bundle OpenSSL trusts instead of its default file (when no --verify)
  SSL_CERT_DIR   hashed CA directory OpenSSL trusts instead of its default one
  NO_COLOR       never colour the output

{EXIT_CODES_HELP}"""


def build_parser() -> argparse.ArgumentParser:
    """The request command's options; ``bench`` has its own parser in ``cli/bench.py``."""
    parser = UsageParser(
        prog=PROG,
        usage="%(prog)s [options] [METHOD] URL [ITEM ...]",
        description="Send one HTTP request and show the answer. "
        f"Run '{BENCH_PROG} --help' for the load generator.",
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
    _add_tls_options(parser)
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
        type=positive_seconds,
        metavar="SECONDS",
        help="give up when the whole exchange takes longer than this",
    )
    parser.add_argument("--proxy", metavar="URL", help="send the request through this proxy")
    parser.add_argument(
        "--follow",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="follow redirects (default: yes with -o, otherwise show the redirect itself)",
    )


def _add_tls_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--verify",
        metavar="PATH",
        help="trust only the CAs in this PEM bundle, or hashed directory (`openssl rehash`), "
        "instead of the system's (see SSL_CERT_FILE below)",
    )
    parser.add_argument(
        "--cert",
        metavar="PATH",
        help="client certificate (PEM), with its private key unless --cert-key is given",
    )
    parser.add_argument("--cert-key", metavar="PATH", help="the client certificate's private key")
    parser.add_argument(
        "-k", "--insecure", action="store_true", help="do not verify the server's TLS certificate"
    )


def _add_output_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="stream the body to FILE (progress on stderr when it is a terminal); follows "
        "redirects, and saves nothing for a 3xx, 4xx or 5xx answer (exit 3, 4 or 5)",
    )
    parser.add_argument(
        "-c",
        "--continue",
        dest="resume",
        action="store_true",
        help="with -o: resume a partial FILE (Range: bytes=SIZE-); "
        "starts over if the server cannot resume",
    )
    parser.add_argument(
        "--save-errors",
        action="store_true",
        help="with -o: save the body of a 3xx, 4xx or 5xx answer to FILE too",
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
    method, url_text, words = split_words(args.words)
    try:
        url = check_url(url_text)
        items = parse_items(words)
        for name, value in items.headers:
            check_header(name, value)
        body, content_type = encode_body(items, args.form)
    except ValueError as exc:  # ItemError included
        parser.error(str(exc))
    given = {name.lower() for name, _ in items.headers}
    json_mode = args.json or (body is not None and not args.form)
    defaults = [
        (k, v) for k, v in _default_headers(json_mode, content_type) if k.lower() not in given
    ]
    if args.auth is not None:
        defaults.append(("Authorization", _basic_credentials(parser, args.auth, given)))
    return RequestPlan(
        method=method or ("POST" if body is not None else "GET"),
        url=url,
        headers=defaults + items.headers,
        query=items.query,
        body=body,
    )


def _basic_credentials(parser: argparse.ArgumentParser, text: str, given: set[str]) -> str:
    user, sep, password = text.partition(":")
    if not sep:
        parser.error("--auth expects USER:PASS")
    if "authorization" in given:
        parser.error("--auth and an Authorization header item: give one of them")
    try:
        return encode_basic_auth(user, password)  # UTF-8, as curl and browsers send it
    except ValueError as exc:
        parser.error(f"--auth: {exc}")


def _check_output(parser: argparse.ArgumentParser, path: str) -> None:
    if os.path.isdir(path):
        parser.error(f"-o {path}: is a directory")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        parser.error(f"-o {path}: no such directory {folder}")
    if not os.access(path if os.path.exists(path) else folder, os.W_OK):
        parser.error(f"-o {path}: not writable")


def build_options(parser: argparse.ArgumentParser, args: argparse.Namespace) -> Options:
    """How to send and show, every option checked here: a usage error before anything is sent."""
    if args.output is None and (args.resume or args.save_errors):
        parser.error("--continue and --save-errors go with -o FILE")
    if args.output is not None:
        _check_output(parser, args.output)
    try:
        proxy = None if args.proxy is None else check_url(args.proxy, "proxy URL")
        tls = ssl_setting(args.verify, args.cert, args.cert_key, args.insecure)
    except ValueError as exc:
        parser.error(str(exc))
    downloading = args.output is not None
    return Options(
        follow=downloading if args.follow is None else args.follow,
        timeout=args.timeout,
        proxy=proxy,
        tls=tls,
        verbose=args.verbose,
        body_only=args.body_only,
        output=args.output,
        resume=args.resume,
        save_errors=args.save_errors,
    )


def run(plan: RequestPlan, options: Options, check_status: bool) -> int:
    """Make the request and map every way it can end onto an exit code."""
    out = sys.stdout.buffer
    style = Style(wants_colour(out))
    outcome = Outcome()
    try:
        status = asyncio.run(perform(plan, options, out, style, outcome))
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, and keep Python's exit-time flush of
        # stdout from failing again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_ERROR
    except (Exception, KeyboardInterrupt) as exc:
        code = exit_code_for(exc)
        if code is None:
            raise  # a bug: its traceback is the useful report
        report("error", describe(exc, outcome, options.timeout))
        report_partial(outcome)
        return code
    code = exit_code_for_status(status, options.follow) if check_status else EXIT_OK
    if code:
        report("warning", f"HTTP {status}")
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``aiohttp-clone`` and ``python -m aiohttp_clone``; returns the exit code."""
    words = list(sys.argv[1:] if argv is None else argv)
    if words[:1] == ["bench"]:
        return cli_bench.main(words[1:])
    parser = build_parser()
    args = parser.parse_intermixed_args(words)
    plan = build_plan(parser, args)
    options = build_options(parser, args)
    return run(plan, options, args.check_status)
