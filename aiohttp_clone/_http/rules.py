"""The rulebook shared by both response parser twins: byte classes, limits, names, messages.

``docs/PARSER.md`` states the rules in prose; this module holds the parts both twins must agree
on byte for byte. The C twin imports it for its constants at import time and for its error
messages on the (cold) error path, so a message can never drift between the twins.
"""

import re

# --- byte classes (RFC 9110 section 5.6.2, RFC 9112 section 4) -------------------------------
# One grammar for the whole package: the parser twins use the byte forms, the modules that write
# or read header values (request heads, media types, Content-Disposition, Digest challenges,
# cookies, form fields) the str forms below.

DIGIT = b"0123456789"
HEXDIG = b"0123456789abcdefABCDEF"
OWS = b" \t"
"""OWS / BWS / RWS bytes: SP and HTAB (RFC 9110 section 5.6.3)."""

TCHAR = b"!#$%&'*+-.^_`|~" + DIGIT + b"ABCDEFGHIJKLMNOPQRSTUVWXYZ" + b"abcdefghijklmnopqrstuvwxyz"
"""tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" /
"~" / DIGIT / ALPHA  (RFC 9110 section 5.6.2); a field-name is 1*tchar."""

TCHAR_CLASS = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]"
"""``tchar`` as a regular-expression character class (str)."""
TOKEN_PATTERN = TCHAR_CLASS + "+"
"""token = 1*tchar, as regular-expression text, for patterns that embed a token."""
TOKEN_RE = re.compile(TOKEN_PATTERN)
"""``TOKEN_RE.fullmatch(text)``: whether ``text`` is a token."""
QUOTED_STRING_PATTERN = r'"(?:[^"\\]|\\.)*"'
"""quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE, as regular-expression text, read
leniently (any character but DQUOTE and "\\", or any escaped one); patterns that embed it pick
their own flags (``re.S`` lets an escaped newline match)."""
QUOTED_PAIR_RE = re.compile(r"\\(.)", re.DOTALL)
"""quoted-pair = "\\" ( HTAB / SP / VCHAR / obs-text ): ``sub(r"\\1", inner)`` unescapes the
inside of a quoted-string."""
CTL_EXCEPT_HTAB = frozenset(map(chr, (*range(0x09), *range(0x0A, 0x20), 0x7F)))
"""The control characters a field value may not hold (RFC 9110 section 5.5): all but HTAB."""
CTL_EXCEPT_HTAB_RE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
"""Finds the first character of ``CTL_EXCEPT_HTAB`` in a str."""

FIELD_VALUE_BYTES = b"\t" + bytes(range(0x20, 0x7F)) + bytes(range(0x80, 0x100))
"""HTAB / SP / VCHAR / obs-text: what a field value or a reason-phrase may contain.
Everything else (0x00-0x08, 0x0A-0x1F, 0x7F) is rejected."""

# chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-value ] )      (RFC 9112 section 7.1.1)
# ext-value = token / quoted-string                                     (RFC 9110 section 5.6.4)
# quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE
# qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
# quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
_TOKEN_BYTES = TOKEN_PATTERN.encode("ascii")
_QUOTED_RE = rb'"(?:[\t !\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\t\x20-\x7e\x80-\xff])*"'
CHUNK_EXT_RE = re.compile(
    rb"(?:[ \t]*;[ \t]*"
    + _TOKEN_BYTES
    + rb"(?:[ \t]*=[ \t]*(?:"
    + _TOKEN_BYTES
    + rb"|"
    + _QUOTED_RE
    + rb"))?)*"
)
"""Matches (with ``fullmatch``) everything after the chunk-size on a chunk-size line."""

IDEMPOTENT_METHODS = frozenset(("GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"))
"""Methods whose repetition has the effect of one request (RFC 9110 section 9.2.2): those a
client may send again when no answer came."""

# --- limits ----------------------------------------------------------------------------------

MAX_CHUNK_SIZE_DIGITS = 16
MAX_CHUNK_SIZE = 2**63 - 1
MAX_CONTENT_LENGTH_DIGITS = 18

# --- names -----------------------------------------------------------------------------------

COMMON_HEADER_NAMES: tuple[str, ...] = (
    "Accept-Ranges",
    "Access-Control-Allow-Credentials",
    "Access-Control-Allow-Headers",
    "Access-Control-Allow-Methods",
    "Access-Control-Allow-Origin",
    "Access-Control-Expose-Headers",
    "Access-Control-Max-Age",
    "Age",
    "Allow",
    "Alt-Svc",
    "Cache-Control",
    "Connection",
    "Content-Disposition",
    "Content-Encoding",
    "Content-Language",
    "Content-Length",
    "Content-Location",
    "Content-Range",
    "Content-Security-Policy",
    "Content-Type",
    "Date",
    "ETag",
    "Expires",
    "Keep-Alive",
    "Last-Modified",
    "Link",
    "Location",
    "Pragma",
    "Proxy-Authenticate",
    "Referrer-Policy",
    "Retry-After",
    "Server",
    "Set-Cookie",
    "Strict-Transport-Security",
    "Trailer",
    "Transfer-Encoding",
    "Upgrade",
    "Vary",
    "Via",
    "WWW-Authenticate",
    "X-Content-Type-Options",
    "X-Frame-Options",
    "X-Request-Id",
    "X-XSS-Protection",
)
"""Header names interned by both twins (in this spelling and all-lowercase), so the common
ones cost no decode and share one str object."""

COMPRESSIONS: dict[bytes, str] = {
    b"gzip": "gzip",
    b"x-gzip": "gzip",
    b"deflate": "deflate",
    b"br": "br",
    b"zstd": "zstd",
}
"""Lowercased single Content-Encoding value -> ``RawResponseMessage.compression``."""

# --- error messages --------------------------------------------------------------------------
# Every message both twins raise is built here. ``show`` bounds how much of a line is echoed.

SHOW_LIMIT = 64


def show(data: bytes) -> str:
    """repr() of at most SHOW_LIMIT bytes, with '...' when cut, so a 8 KB line stays readable."""
    if len(data) > SHOW_LIMIT:
        return repr(bytes(data[:SHOW_LIMIT])) + "..."
    return repr(bytes(data))


def byte_repr(byte: int) -> str:
    """The offending byte as a bytes repr, e.g. b'\\x01'."""
    return repr(bytes((byte,)))


# Where a line-level error happened: indexed by the reader that was reading the line.
WHERE_STATUS_LINE = "the status line"
WHERE_HEADERS = "the header section"
WHERE_CHUNK_SIZE = "a chunk-size line"
WHERE_TRAILERS = "the trailer section"

# What a LineTooLong was reading.
WHAT_STATUS_LINE = "the status line"
WHAT_HEADER = "a header field"
WHAT_CHUNK_SIZE = "a chunk-size line"
WHAT_TRAILER = "a trailer field"


def line_too_long(limit: int, what: str) -> str:
    return f"Got more than {limit} bytes when reading {what}"


def bare_lf(where: str) -> str:
    return f"Bare LF (LF without CR) in {where}"


def bare_cr(where: str) -> str:
    return f"Bare CR (CR not followed by LF) in {where}"


def bad_version(line: bytes) -> str:
    return f"Invalid HTTP version in status line {show(line)}"


def unsupported_version(major: int, minor: int) -> str:
    return f"Unsupported HTTP version {major}.{minor}"


def bad_status_code(line: bytes) -> str:
    return f"Invalid status code in status line {show(line)}"


def bad_reason_char(byte: int) -> str:
    return f"Invalid character {byte_repr(byte)} in the reason phrase"


def fold_without_field(kind: str) -> str:
    """kind is 'header' or 'trailer'."""
    return f"Line folding (a line starting with whitespace) before the first {kind} field"


def no_colon(kind: str, line: bytes) -> str:
    return f"No colon in {kind} line {show(line)}"


def empty_name(kind: str) -> str:
    return f"Empty {kind} name"


def bad_name_char(kind: str, byte: int, name: bytes) -> str:
    return f"Invalid character {byte_repr(byte)} in {kind} name {show(name)}"


def bad_value_char(kind: str, byte: int, name: bytes) -> str:
    return f"Invalid character {byte_repr(byte)} in value of {kind} {show_name(name)}"


def show_name(name: bytes) -> str:
    """A validated (ASCII token) field name as a str repr, e.g. 'X-Foo'."""
    name_str = name[:SHOW_LIMIT].decode("ascii")
    return repr(name_str) + ("..." if len(name) > SHOW_LIMIT else "")


def too_many_fields(kind: str, limit: int) -> str:
    return f"Too many {kind} fields: more than {limit}"


TE_AND_CL = "Transfer-Encoding and Content-Length are both present"
TE_IN_HTTP10 = "Transfer-Encoding in an HTTP/1.0 response"


def te_chunked_twice(value: bytes) -> str:
    """RFC 9112 section 6.1: a sender MUST NOT apply chunked more than once."""
    return f"Transfer-Encoding {show(value)} applies 'chunked' more than once"


def bad_content_length(value: bytes) -> str:
    return f"Invalid Content-Length value {show(value)}"


def conflicting_content_length(first: bytes, other: bytes) -> str:
    return f"Conflicting Content-Length values {show(first)} and {show(other)}"


def bad_chunk_size(line: bytes) -> str:
    return f"Invalid chunk size in chunk-size line {show(line)}"


def chunk_size_too_large(size: bytes) -> str:
    return f"Chunk size {show(size)} is too large"


def bad_chunk_ext(ext: bytes) -> str:
    return f"Invalid chunk extension {show(ext)}"


def missing_chunk_crlf(byte: int) -> str:
    return f"Chunk data is not followed by CRLF: got {byte_repr(byte)}"


EOF_IN_HEAD = "Connection closed in the middle of the response head"
EOF_IN_CHUNKED = "Connection closed in the middle of the chunked body"
DATA_AFTER_EOF = "Data fed after feed_eof()"


def eof_in_length_body(received: int, expected: int) -> str:
    return (
        f"Connection closed after {received} of the {expected} body bytes "
        "announced by Content-Length"
    )
