"""Differential fuzz target: the C response parser twin against the pure-Python twin.

Run through ``make fuzz`` (see fuzz/README.md), or by hand:
``python -m fuzz.fuzz_http_parser [libFuzzer flags] [corpus dirs]``.

Input layout (so libFuzzer mutates the configuration and the splits along with the bytes):

- byte 0, configuration: bits 0-1 the request method (GET, HEAD, CONNECT, ``head`` which
  must count as GET), bit 2 set = ``read_until_eof=False``, bits 3-4 a set of limits
  (``LIMITS``);
- byte 1, how to cut the rest into ``feed_data`` calls: 0 = one call, 255 = one byte per call,
  anything else seeds a PRNG that picks 1 to 8 cut points;
- the rest: the bytes the server sent (followed by ``feed_eof``).

Each twin parses the bytes whole and cut. The C twin must agree with the Python twin (the
reference, docs/PARSER.md) on the events (body bytes joined per message), ``upgraded`` and
``tail``, or on the error's class, message and the events completed before it (whatever call
they were returned from, including those riding on ``exc.events``). The cut must change none
of that, and a broken or closed parser must keep raising the same error. Any difference raises
``Divergence``, which libFuzzer reports as a crash and saves the input for.
"""

from __future__ import annotations

import itertools
import random
import sys
from collections.abc import Callable
from typing import Any

import atheris

from aiohttp_clone._http import parser_py as _http_parser_py
from aiohttp_clone._http import rules as _http_rules
from aiohttp_clone._http.messages import RawResponseMessage
from aiohttp_clone.http_exceptions import HttpProcessingError
from fuzz._native import instrument_module, load_twin

METHODS = ("GET", "HEAD", "CONNECT", "head")
# (max_line_size, max_field_size, max_headers)
LIMITS = ((8190, 8190, 128), (30, 25, 3), (12, 12, 2), (64, 48, 8))

Outcome = tuple[Any, ...]


class Divergence(AssertionError):
    """The twins (or two cuts of the same input) disagree."""


def decode_input(data: bytes) -> tuple[dict[str, Any], list[int], bytes]:
    """The parser configuration, the cut points and the response bytes of one fuzz input."""
    config_byte = data[0] if data else 0
    split_byte = data[1] if len(data) > 1 else 0
    payload = data[2:]
    max_line, max_field, max_headers = LIMITS[(config_byte >> 3) & 3]
    config = {
        "method": METHODS[config_byte & 3],
        "read_until_eof": not config_byte & 4,
        "max_line_size": max_line,
        "max_field_size": max_field,
        "max_headers": max_headers,
    }
    return config, cut_points(split_byte, len(payload)), payload


def cut_points(seed: int, length: int) -> list[int]:
    if seed == 0 or length < 2:
        return []
    if seed == 255:
        return list(range(1, length))
    rng = random.Random(seed)
    return sorted({rng.randint(1, length - 1) for _ in range(rng.randint(1, 8))})


def comparable(event: object) -> object:
    if isinstance(event, RawResponseMessage):
        return event._replace(headers=list(event.headers.items()))
    return event


def coalesce(events: list[object]) -> list[object]:
    """Body pieces joined per message (their sizes depend on the cuts); heads made comparable."""
    out: list[object] = []
    for event in events:
        if isinstance(event, bytes | bytearray | memoryview):
            if type(event) is not bytes or not event:
                raise Divergence(f"body event must be non-empty bytes, got {event!r}")
            if out and type(out[-1]) is bytes:
                out[-1] += event
                continue
        out.append(comparable(event))
    return out


def run(
    parser_cls: Callable[..., Any], config: dict[str, Any], data: bytes, cuts: list[int]
) -> Outcome:
    """Feed ``data`` cut at ``cuts``, then EOF; the outcome in a comparable form."""
    options = dict(config)
    method = options.pop("method")
    parser = parser_cls(**options)
    parser.set_request_method(method)
    events: list[object] = []
    bounds = [0, *cuts, len(data)]
    try:
        for start, stop in itertools.pairwise(bounds):
            events += parser.feed_data(data[start:stop])
        events += parser.feed_eof()
    except HttpProcessingError as exc:
        events += exc.events
        return ("error", type(exc), exc.message, coalesce(events), after_error(parser))
    return ("ok", coalesce(events), parser.upgraded, parser.tail, after_eof(parser))


def after_error(parser: Any) -> list[object]:
    """A broken parser raises the same error again from every call."""
    seen = []
    for call in (lambda: parser.feed_data(b"x"), parser.feed_eof, lambda: parser.feed_data(b"")):
        try:
            call()
        except HttpProcessingError as exc:
            seen.append((type(exc), exc.message))
        else:
            seen.append("no error")
    return seen


def after_eof(parser: Any) -> list[object]:
    """A second feed_eof returns []; data after EOF is an error (upgraded parsers aside)."""
    seen: list[object] = [parser.feed_eof()]
    try:
        seen.append(parser.feed_data(b"x"))
    except HttpProcessingError as exc:
        seen.append((type(exc), exc.message))
    return seen


def check(c_parser: Callable[..., Any], data: bytes) -> None:
    config, cuts, payload = decode_input(data)
    py_whole = run(_http_parser_py.HttpResponseParser, config, payload, [])
    c_whole = run(c_parser, config, payload, [])
    if c_whole != py_whole:
        raise Divergence(
            f"C twin differs from Python twin (whole input)\n"
            f"config={config} data={payload!r}\nC:  {c_whole!r}\nPy: {py_whole!r}"
        )
    if not cuts:
        return
    py_cut = run(_http_parser_py.HttpResponseParser, config, payload, cuts)
    c_cut = run(c_parser, config, payload, cuts)
    if c_cut != py_cut:
        raise Divergence(
            f"C twin differs from Python twin (cut at {cuts})\n"
            f"config={config} data={payload!r}\nC:  {c_cut!r}\nPy: {py_cut!r}"
        )
    if py_cut != py_whole:
        raise Divergence(
            f"the outcome depends on the cuts {cuts}\n"
            f"config={config} data={payload!r}\ncut:   {py_cut!r}\n"
            f"whole: {py_whole!r}"
        )


def main(argv: list[str]) -> None:
    module, where = load_twin("aiohttp_clone._http_parser")
    print(where, file=sys.stderr, flush=True)
    c_parser = module.HttpResponseParser
    instrument_module(_http_parser_py)
    instrument_module(_http_rules)
    atheris.Setup(argv, lambda data: check(c_parser, data))
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
