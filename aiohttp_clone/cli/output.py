"""How the command-line client shows messages: heads (coloured on a terminal) and bodies.

Everything is written as bytes to one binary stream, so a body piped onward arrives exactly as the
server sent it, and only a person at a terminal gets colour, pretty JSON and a trailing newline.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from typing import IO

from yarl import URL

__all__ = (
    "Style",
    "format_request_head",
    "format_response_head",
    "is_binary",
    "render_body",
    "wants_colour",
)

BINARY_NOTE = (
    b"+-----------------------------------------+\n"
    b"| NOTE: binary data not shown in terminal |\n"
    b"| use -o FILE to save it                  |\n"
    b"+-----------------------------------------+\n"
)
_SNIFF = 1024  # a NUL byte in this much of the body marks it as binary, as httpie and git decide


def wants_colour(stream: IO[bytes] | IO[str]) -> bool:
    """Colour only for a terminal, and never when the user set NO_COLOR (https://no-color.org)."""
    return stream.isatty() and not os.environ.get("NO_COLOR")


class Style:
    """ANSI painting that turns itself off, so callers never test for colour themselves."""

    RESET = "\x1b[0m"
    BOLD, DIM, RED, GREEN, YELLOW, BLUE, CYAN = "1", "2", "31", "32", "33", "34", "36"

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def paint(self, text: str, *codes: str) -> str:
        if not self.enabled or not text:
            return text
        return f"\x1b[{';'.join(codes)}m{text}{self.RESET}"

    def status(self, status: int, text: str) -> str:
        """Green for success, yellow for redirects, red for errors: readable at a glance."""
        colour = self.GREEN if status < 300 else self.YELLOW if status < 400 else self.RED
        return self.paint(text, self.BOLD, colour)


def _header_lines(headers: Iterable[tuple[str, str]], style: Style) -> list[str]:
    return [f"{style.paint(name, style.CYAN)}: {value}" for name, value in headers]


def format_request_head(
    method: str, url: URL, headers: Iterable[tuple[str, str]], style: Style
) -> bytes:
    """The request line and headers as they went out (the target in origin form)."""
    target = url.raw_path_qs or "/"
    line = " ".join(
        (
            style.paint(method, style.BOLD, style.GREEN),
            style.paint(target, style.CYAN),
            style.paint("HTTP/1.1", style.BLUE),
        )
    )
    return "\n".join([line, *_header_lines(headers, style), "", ""]).encode()


def format_response_head(
    version: str, status: int, reason: str, raw_headers: Iterable[tuple[bytes, bytes]], style: Style
) -> bytes:
    """Status line and headers, in the server's own order and spelling."""
    status_text = f"{status} {reason}".rstrip()
    line = f"{style.paint(version, style.BLUE)} {style.status(status, status_text)}"
    pairs = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in raw_headers]
    return "\n".join([line, *_header_lines(pairs, style), "", ""]).encode()


def is_binary(first_chunk: bytes) -> bool:
    """Text never holds NUL bytes; nearly every binary format does, early on."""
    return b"\0" in first_chunk[:_SNIFF]


def _is_json_type(content_type: str) -> bool:
    return content_type.endswith(("/json", "+json"))


def render_body(body: bytes, content_type: str, charset: str | None, for_terminal: bool) -> bytes:
    """JSON pretty-printed (keys in the server's order); other text unchanged.

    On a terminal the text is decoded and re-encoded so invalid bytes cannot corrupt the display,
    and a final newline keeps the shell prompt on its own line.
    """
    if _is_json_type(content_type):
        try:
            document = json.loads(body)
        except ValueError:
            pass  # a server that says JSON but sends something else: show what it sent
        else:
            return json.dumps(document, indent=2, ensure_ascii=False).encode() + b"\n"
    if not for_terminal:
        return body
    try:
        text = body.decode(charset or "utf-8", errors="replace")
    except LookupError:  # a charset Python does not know: UTF-8 is the best guess left
        text = body.decode("utf-8", errors="replace")
    if text and not text.endswith("\n"):
        text += "\n"
    return text.encode("utf-8", errors="replace")
