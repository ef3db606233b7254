"""Request-head serialization (RFC 9112 section 3): the request line and header lines, validated.

``serialize_request_head`` runs once per request, so it builds the text with one join and
validates it with a few C-level scans instead of a per-character loop; only a request that fails
validation pays for finding out which field is at fault.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Protocol

from .messages import HttpVersion, HttpVersion10, HttpVersion11
from .rules import TCHAR_CLASS, TOKEN_RE

__all__ = ("HeadCache", "HeaderSource", "check_field", "encode_head", "serialize_request_head")

# Header names joined by ":" (not a tchar); the caller also counts the colons.
_TOKENS_RE = re.compile(rf"{TCHAR_CLASS}+(?::{TCHAR_CLASS}+)*")
# RFC 9110 section 5.5: a field value holds no control character but HTAB (CR and LF are
# counted separately, as the line ends are legitimate ones).
_CTL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# RFC 9112 section 3.2: the request target holds neither whitespace nor control characters.
_BAD_TARGET_RE = re.compile(r"[\x00-\x20\x7f]")
_VERSIONS = {HttpVersion11: "HTTP/1.1", HttpVersion10: "HTTP/1.0"}
# Tokens already: these skip the method check.
_KNOWN_METHODS = frozenset(
    ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE")
)
_BLOCK_CACHE_SIZE = 256  # header sets (and heads) remembered per session; cleared when full


class HeaderSource(Protocol):
    """Anything with ``items()`` of (name, value): a multidict, a dict."""

    def items(self) -> Iterable[tuple[str, str]]: ...


def check_field(kind: str, value: str) -> None:
    """Refuse ``value`` (named ``kind`` in the error) if it holds CR, LF, NUL or another CTL."""
    if "\r" in value or "\n" in value:
        raise ValueError(f"Newline or carriage return character detected in {kind}")
    if "\0" in value:
        raise ValueError(f"NUL character detected in {kind}")
    control = _CTL_RE.search(value)
    if control is not None:
        raise ValueError(f"Control character {control.group()!r} detected in {kind}")


def _raise_invalid(items: tuple[tuple[str, str], ...]) -> None:
    """Slow path: name the field that made the fast validation fail."""
    for name, value in items:
        check_field(f"HTTP header name {name!r}", name)
        if not TOKEN_RE.fullmatch(name):
            raise ValueError(f"Invalid HTTP header name {name!r}: must be a token")
        check_field(f"HTTP header value {name!r}", str(value))
    raise AssertionError("head failed validation but no field is invalid")  # pragma: no cover


def _raise_not_str(items: tuple[tuple[str, str], ...]) -> None:
    """A name or value that is not a str: refused, never sent as its repr (b'x', 3)."""
    for name, value in items:
        if not isinstance(name, str):
            raise TypeError(f"Header name {name!r} must be str, not {type(name).__name__}")
        if not isinstance(value, str):
            raise TypeError(
                f"Header value of {name!r} must be str, not {type(value).__name__}"
            )
    raise AssertionError("a join failed but every field is a str")  # pragma: no cover


def _header_block(items: tuple[tuple[str, str], ...]) -> str:
    """The header lines joined by CRLF, once every name is a token and no field holds a control
    character other than HTAB; raises ``ValueError`` naming the first bad field."""
    try:
        block = "\r\n".join(map(": ".join, items))
    except TypeError:
        _raise_not_str(items)
    names = ":".join([k for k, _ in items])
    # Every CR and LF must be one of the line ends written above, so one inside a field adds
    # to the count. The names must be tokens, and a ":" inside one adds a colon.
    line_ends = len(items) - 1
    if items and (
        block.count("\n") != line_ends
        or block.count("\r") != line_ends
        or _CTL_RE.search(block) is not None
        or not _TOKENS_RE.fullmatch(names)
        or names.count(":") != line_ends
    ):
        _raise_invalid(items)
    return block


def encode_head(
    first_line: str, headers: HeaderSource, block_cache: dict[Any, str] | None = None
) -> bytes:
    """``first_line``, the validated header lines and the blank line, as bytes."""
    items = tuple(headers.items())
    if block_cache is None:
        block = _header_block(items)
    else:
        # A client sends the same fields over and over: validate each distinct set once.
        try:
            block = block_cache[items]
        except KeyError:
            block = _header_block(items)
            if len(block_cache) >= _BLOCK_CACHE_SIZE:
                block_cache.clear()
            block_cache[items] = block
        except TypeError:  # an unhashable value: validate it every time
            block = _header_block(items)
    text = f"{first_line}\r\n{block}\r\n\r\n" if items else f"{first_line}\r\n\r\n"
    return text.encode("utf-8", "surrogateescape")


class HeadCache:
    """What one session remembers of the heads it wrote: validated header blocks (keyed by the
    fields) and whole heads (keyed by method, target, version and fields), each bounded to
    ``_BLOCK_CACHE_SIZE`` entries and cleared when full. A client repeating a request pays one
    dict lookup for its head."""

    __slots__ = ("blocks", "heads")

    def __init__(self) -> None:
        self.blocks: dict[Any, str] = {}
        self.heads: dict[Any, bytes] = {}

    def clear(self) -> None:
        self.blocks.clear()
        self.heads.clear()


def serialize_request_head(
    method: str,
    target: str,
    version: HttpVersion,
    headers: HeaderSource,
    cache: HeadCache | None = None,
) -> bytes:
    """``METHOD target HTTP/x.y``, the header lines and the blank line, as bytes.

    Raises ``ValueError`` naming the field before anything is produced if the method or a header
    name is not a token, the target holds whitespace or a control character, or a name or a
    value holds a control character other than HTAB. With a ``cache``, a repeated set of fields
    is validated once and a repeated head built once.
    """
    if cache is None:
        return _serialize_head(method, target, version, headers, None)
    head_cache = cache.heads
    try:
        key = (method, target, version, tuple(headers.items()))
        return head_cache[key]
    except KeyError:
        head = _serialize_head(method, target, version, headers, cache.blocks)
        if len(head_cache) >= _BLOCK_CACHE_SIZE:
            head_cache.clear()
        head_cache[key] = head
        return head
    except TypeError:  # an unhashable value: built and validated every time
        return _serialize_head(method, target, version, headers, cache.blocks)


def _serialize_head(
    method: str,
    target: str,
    version: HttpVersion,
    headers: HeaderSource,
    block_cache: dict[Any, str] | None,
) -> bytes:
    if method not in _KNOWN_METHODS and not TOKEN_RE.fullmatch(method):
        raise ValueError(f"Invalid HTTP method {method!r}: must be a token")
    bad = _BAD_TARGET_RE.search(target)
    if bad is not None:
        check_field("HTTP request line", target)
        raise ValueError(f"Invalid character {bad.group()!r} in HTTP request target {target!r}")
    version_text = _VERSIONS.get(version) or f"HTTP/{version[0]}.{version[1]}"
    return encode_head(f"{method} {target} {version_text}", headers, block_cache)
