"""Content-Encoding codecs: bounded streaming decoders for bodies, compressors for uploads.

Sans-I/O: bytes in, bytes out. The connection drives a decoder like this::

    decoder = decoder_for(headers.get("Content-Encoding", ""))   # None: pass the body through
    reader.feed_data(decoder.decompress(piece))                   # for each body piece
    while not decoder.needs_input:                                # more output is pending;
        reader.feed_data(decoder.decompress(b""))                 # may wait for resume first
    reader.feed_data(decoder.flush())                             # at end of body

Every ``decompress`` call returns at most ``MAX_OUTPUT`` bytes, so a compression bomb never
expands by more than that per call; the input not yet decoded stays inside the decoder until the
caller asks again. Decoding errors and truncated streams raise ``ContentCodingError`` naming the
encoding. An unknown or unavailable coding anywhere in the header makes ``decoder_for`` return
None: the body is then handed over as received (as aiohttp does), never half-decoded.
``body_decoder`` builds a response's decoder: its transfer codings are always undone (RFC 9112
section 7), and the content codings over them only when all are known.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from types import ModuleType
from typing import Any, Protocol

from .errors import ContentCodingError

try:
    import brotli  # type: ignore[import-untyped]

    # Older brotli cannot bound its output, which would defeat the bomb protection.
    BROTLI_AVAILABLE = hasattr(brotli.Decompressor, "can_accept_more_data")
except ImportError:  # pragma: no cover - brotli is a declared dependency
    BROTLI_AVAILABLE = False

_zstd_std: Any = None
_zstandard: Any = None
try:
    from compression import zstd as _zstd_std  # type: ignore[import-not-found, no-redef]  # 3.14+
except ImportError:
    try:
        from backports import zstd as _zstd_std  # type: ignore[import-not-found, no-redef]
    except ImportError:
        try:
            import zstandard as _zstandard
        except ImportError:
            pass

__all__ = (
    "ACCEPT_ENCODING",
    "MAX_OUTPUT",
    "ZSTD_AVAILABLE",
    "ContentDecoder",
    "body_decoder",
    "compressor_for",
    "decoder_for",
    "set_zlib_backend",
    "transfer_codings",
)

MAX_OUTPUT = 4 * 1024 * 1024
"""Upper bound on the bytes one ``decompress`` call returns."""

ZSTD_AVAILABLE = _zstd_std is not None or _zstandard is not None
ACCEPT_ENCODING = ", ".join(
    ["gzip", "deflate"]
    + (["br"] if BROTLI_AVAILABLE else [])
    + (["zstd"] if ZSTD_AVAILABLE else [])
)

# RFC 9659: zstd content-coding windows are limited to 8 MiB; larger ones are refused.
_ZSTD_WINDOW_LOG_MAX = 23
# brotli's output_buffer_limit is a soft target (its buffer may grow to about twice it).
_BROTLI_LIMIT = MAX_OUTPUT // 4
_GZIP_WBITS = 16 + zlib.MAX_WBITS
_GZIP_MAGIC = b"\x1f\x8b"

_zlib: Any = zlib


def set_zlib_backend(new_zlib_backend: ModuleType) -> None:
    """Use another module with zlib's API (``zlib_ng.zlib_ng``, ``isal.isal_zlib``) from now on.

    Applies to decoders and compressors created after the call.
    """
    for name in ("compressobj", "decompressobj", "error", "MAX_WBITS"):
        if not hasattr(new_zlib_backend, name):
            raise TypeError(f"{new_zlib_backend!r} lacks zlib's {name!r}")
    global _zlib
    _zlib = new_zlib_backend


class ContentDecoder(Protocol):
    """A streaming decoder for one Content-Encoding value (one coding or a stack of them)."""

    encoding: str

    @property
    def needs_input(self) -> bool:
        """False while output is pending: call ``decompress(b"")`` again before ``flush``."""

    @property
    def eof(self) -> bool:
        """True once the compressed stream's end marker has been decoded."""

    def decompress(self, data: bytes) -> bytes:
        """Take ``data`` (may be empty) and return at most ``MAX_OUTPUT`` decoded bytes."""

    def decompress_iter(self, data: bytes) -> Iterator[bytes]:
        """``decompress(data)`` then drain: pieces of at most ``MAX_OUTPUT`` bytes."""

    def flush(self) -> bytes:
        """At the end of the body: the last bytes; raises if the stream was cut short."""


def _decode_error(encoding: str, detail: object) -> ContentCodingError:
    return ContentCodingError(f"Can not decode content-encoding: {encoding} ({detail})")


class _Decoder:
    """Shared bookkeeping: pending input, the drain flag and output beyond the bound."""

    encoding = ""

    def __init__(self) -> None:
        self._pending = b""
        self._more = False
        self._spill = b""
        self._fed = False

    @property
    def needs_input(self) -> bool:
        return not (self._more or self._spill)

    @property
    def eof(self) -> bool:
        raise NotImplementedError

    def _append(self, data: bytes) -> None:
        if data:
            self._fed = True
            self._pending = self._pending + data if self._pending else bytes(data)

    def _bounded(self, out: bytes) -> bytes:
        """Keep anything past ``MAX_OUTPUT`` for the next call."""
        if len(out) > MAX_OUTPUT:
            self._spill = out[MAX_OUTPUT:]
            return out[:MAX_OUTPUT]
        return out

    def _unspill(self) -> bytes:
        out, self._spill = self._spill[:MAX_OUTPUT], self._spill[MAX_OUTPUT:]
        return out

    def decompress_iter(self, data: bytes) -> Iterator[bytes]:
        piece = self.decompress(data)
        while True:
            if piece:
                yield piece
            if self.needs_input:
                return
            piece = self.decompress(b"")

    def flush(self) -> bytes:
        parts = []
        # Only loops when the caller flushed without draining.
        while not self.needs_input:
            parts.append(self.decompress(b""))
        parts.append(self._finish())
        return b"".join(parts)

    def decompress(self, data: bytes) -> bytes:
        raise NotImplementedError

    def _finish(self) -> bytes:
        raise NotImplementedError

    def _truncated(self) -> ContentCodingError:
        return _decode_error(self.encoding, "stream truncated")


class _ZlibDecoder(_Decoder):
    """gzip (every concatenated member) or deflate (zlib-wrapped or raw, detected)."""

    def __init__(self, encoding: str) -> None:
        super().__init__()
        self.encoding = encoding
        self._zlib = _zlib
        self._d: Any = None
        self._streams = 0
        self._discard = False

    @property
    def eof(self) -> bool:
        return self._streams > 0 and self._d is None

    def _start(self) -> bool:
        """Open the next stream; False if more bytes are needed or the rest is ignored."""
        if self._streams:
            return self._start_next_member()
        data = self._pending
        if self.encoding == "gzip":
            wbits = _GZIP_WBITS
        elif len(data) < 2:
            return False
        else:
            # RFC 1950 header: compression method 8 and a check value making it divisible by 31.
            zlib_wrapped = data[0] & 0x0F == 8 and ((data[0] << 8) | data[1]) % 31 == 0
            wbits = self._zlib.MAX_WBITS if zlib_wrapped else -self._zlib.MAX_WBITS
        self._d = self._zlib.decompressobj(wbits)
        return True

    def _start_next_member(self) -> bool:
        # After a gzip member, zero padding is skipped and another member decoded; any other
        # trailing bytes, and anything after a deflate stream, are ignored (as curl does).
        if self.encoding == "gzip" and not self._discard:
            data = self._pending.lstrip(b"\0")
            if data[:2] == _GZIP_MAGIC:
                self._pending = data
                self._d = self._zlib.decompressobj(_GZIP_WBITS)
                return True
            if data in (b"", _GZIP_MAGIC[:1]):
                self._pending = data
                return False
        self._discard = True
        self._pending = b""
        return False

    def decompress(self, data: bytes) -> bytes:
        self._append(data)
        self._more = False
        if self._d is None and not (self._pending and self._start()):
            return b""
        d = self._d
        try:
            out: bytes = d.decompress(self._pending, MAX_OUTPUT)
        except self._zlib.error as exc:
            raise _decode_error(self.encoding, exc) from exc
        if d.eof:
            self._streams += 1
            self._d = None
            self._pending = d.unused_data
            self._more = bool(self._pending)
        else:
            self._pending = d.unconsumed_tail
            # At the bound zlib may hold more output even with all input consumed.
            self._more = bool(self._pending) or len(out) >= MAX_OUTPUT
        return out

    def _finish(self) -> bytes:
        d = self._d
        if d is None:
            if self._fed and not self._streams:
                raise self._truncated()
            return b""
        try:
            out: bytes = d.flush()
        except self._zlib.error as exc:
            raise _decode_error(self.encoding, exc) from exc
        if not d.eof:
            raise self._truncated()
        return out


class _BrotliDecoder(_Decoder):
    encoding = "br"

    def __init__(self) -> None:
        super().__init__()
        self._d = brotli.Decompressor()

    @property
    def eof(self) -> bool:
        return bool(self._d.is_finished())

    def decompress(self, data: bytes) -> bytes:
        self._append(data)
        if self._spill:
            return self._unspill()
        d = self._d
        if d.is_finished():
            self._pending = b""
            self._more = False
            return b""
        feed = b""
        if self._pending and d.can_accept_more_data():
            feed, self._pending = self._pending, b""
        try:
            out = d.process(feed, output_buffer_limit=_BROTLI_LIMIT)
        except brotli.error as exc:
            raise _decode_error(self.encoding, exc) from exc
        # brotli may hold output even when it accepts more input: drain until it yields nothing.
        self._more = not d.is_finished() and bool(
            out or self._pending or not d.can_accept_more_data()
        )
        return self._bounded(out)

    def _finish(self) -> bytes:
        if self._fed and not self._d.is_finished():
            raise self._truncated()
        return b""


class _ZstdDecoder(_Decoder):
    """zstd with the PEP 784 API (``compression.zstd`` or ``backports.zstd``); every frame."""

    encoding = "zstd"

    def __init__(self) -> None:
        super().__init__()
        self._d: Any = None
        self._frames = 0

    @property
    def eof(self) -> bool:
        return self._frames > 0 and self._d is None

    def decompress(self, data: bytes) -> bytes:
        self._append(data)
        d = self._d
        if d is None:
            if not self._pending:
                self._more = False
                return b""
            options = {_zstd_std.DecompressionParameter.window_log_max: _ZSTD_WINDOW_LOG_MAX}
            d = self._d = _zstd_std.ZstdDecompressor(options=options)
        feed = b""
        if d.needs_input:
            feed, self._pending = self._pending, b""
        try:
            out: bytes = d.decompress(feed, MAX_OUTPUT)
        except _zstd_std.ZstdError as exc:
            raise _decode_error(self.encoding, exc) from exc
        if d.eof:
            self._frames += 1
            self._d = None
            self._pending = d.unused_data + self._pending
        self._more = bool(self._pending) or (self._d is not None and not d.needs_input)
        return out

    def _finish(self) -> bytes:
        if self._d is not None or (self._fed and not self._frames):
            raise self._truncated()
        return b""


# zstandard cannot bound a call's output, so input goes in slices small enough to bound it: a
# zstd block (at most 128 KiB of output) costs at least 4 bytes of input, and one earlier block
# may complete in a slice, so a slice yields at most (SLICE // 4 + 1) * 128 KiB.
_ZSTD_SLICE = 64
_ZSTD_SLICE_BOUND = (_ZSTD_SLICE // 4 + 1) * 128 * 1024


class _ZstandardDecoder(_ZstdDecoder):
    """zstd through the ``zstandard`` package, for Pythons without ``compression.zstd``."""

    def decompress(self, data: bytes) -> bytes:
        self._append(data)
        if self._spill:
            return self._unspill()
        pending = memoryview(self._pending)
        parts = []
        produced = pos = 0
        while pos < len(pending) and produced + _ZSTD_SLICE_BOUND <= MAX_OUTPUT:
            if self._d is None:
                dctx = _zstandard.ZstdDecompressor(max_window_size=1 << _ZSTD_WINDOW_LOG_MAX)
                self._d = dctx.decompressobj()
            piece = pending[pos : pos + _ZSTD_SLICE]
            try:
                out = self._d.decompress(piece)
            except _zstandard.ZstdError as exc:
                raise _decode_error(self.encoding, exc) from exc
            pos += len(piece)
            if self._d.eof:
                # Bytes after the frame's end belong to the next frame: step back over them.
                pos -= len(self._d.unused_data)
                self._frames += 1
                self._d = None
            parts.append(out)
            produced += len(out)
        self._pending = self._pending[pos:] if pos else self._pending
        self._more = bool(self._pending)
        return self._bounded(b"".join(parts))


class _ChainDecoder(_Decoder):
    """Stacked codings, outermost first; a stage is fed only once it has drained."""

    def __init__(self, encoding: str, stages: Sequence[ContentDecoder]) -> None:
        super().__init__()
        self.encoding = encoding
        self._stages = stages

    @property
    def needs_input(self) -> bool:
        return not self._pending and all(stage.needs_input for stage in self._stages)

    @property
    def eof(self) -> bool:
        return all(stage.eof for stage in self._stages)

    def _pull(self, index: int) -> bytes:
        stage = self._stages[index]
        if not stage.needs_input:
            return stage.decompress(b"")
        if index == 0:
            data, self._pending = self._pending, b""
            return stage.decompress(data)
        return stage.decompress(self._pull(index - 1))

    def decompress(self, data: bytes) -> bytes:
        self._append(data)
        return self._pull(len(self._stages) - 1)

    def _finish(self) -> bytes:
        carry = b""
        for stage in self._stages:
            head = stage.decompress(carry) if carry else b""
            carry = head + stage.flush()
        return carry


def _factories() -> dict[str, Callable[[], _Decoder]]:
    table: dict[str, Callable[[], _Decoder]] = {
        "gzip": partial(_ZlibDecoder, "gzip"),
        "deflate": partial(_ZlibDecoder, "deflate"),
    }
    if BROTLI_AVAILABLE:
        table["br"] = _BrotliDecoder
    if _zstd_std is not None:
        table["zstd"] = _ZstdDecoder
    elif _zstandard is not None:
        table["zstd"] = _ZstandardDecoder
    return table


_DECODERS = _factories()
_ALIASES = {"x-gzip": "gzip"}


def _codings(header: str, skipped: tuple[str, ...]) -> list[str]:
    """The header's codings in the order applied: lower-cased, de-aliased, ``skipped`` left out."""
    codings = []
    for token in header.split(","):
        coding = token.strip(" \t").lower()
        if coding and coding not in skipped:
            codings.append(_ALIASES.get(coding, coding))
    return codings


def _known_content_codings(content_encoding: str) -> list[str]:
    """The Content-Encoding codings, or none at all if one is unknown or unavailable (the body
    is then passed on as received, never half-decoded)."""
    codings = _codings(content_encoding, ("identity",))
    if any(coding not in _DECODERS for coding in codings):
        return []
    return codings


def _decoder_from(codings: Sequence[str]) -> ContentDecoder | None:
    """A decoder undoing ``codings`` (in the order applied, all known), or None when empty."""
    if not codings:
        return None
    stages = [_DECODERS[coding]() for coding in reversed(codings)]
    if len(stages) == 1:
        return stages[0]
    return _ChainDecoder(", ".join(codings), stages)


def decoder_for(content_encoding: str) -> ContentDecoder | None:
    """A decoder undoing the header's codings (last applied, first undone), or None.

    None means there is nothing to decode (empty or ``identity``) or a coding is unknown or
    unavailable, in which case the body should be passed on as received.
    """
    factory = _DECODERS.get(content_encoding)
    if factory is not None:
        return factory()
    return _decoder_from(_known_content_codings(content_encoding))


def transfer_codings(transfer_encoding: str) -> list[str]:
    """The codings of a Transfer-Encoding value the body must be decoded from: all but
    ``chunked`` (framing, undone by the parser) and ``identity``, in the order applied.

    Unlike a content coding, a transfer coding cannot be passed on undecoded (RFC 9112
    section 7): one this client cannot undo raises ``ContentCodingError`` naming it.
    """
    codings = _codings(transfer_encoding, ("chunked", "identity"))
    for coding in codings:
        if coding not in _DECODERS:
            raise ContentCodingError(f"Unsupported transfer coding {coding!r}")
    return codings


def body_decoder(
    content_encoding: str, transfer_encoding: str, decode_content: bool
) -> ContentDecoder | None:
    """A decoder for a response body, or None when there is nothing to undo.

    The transfer codings are always undone (an unknown one raises ``ContentCodingError``); the
    content codings, applied before them, only with ``decode_content`` and only if all are known.
    """
    undo = transfer_codings(transfer_encoding)
    if not decode_content:
        return _decoder_from(undo)
    if not undo:
        return decoder_for(content_encoding)
    return _decoder_from(_known_content_codings(content_encoding) + undo)


class _BrotliCompressor:
    __slots__ = ("_c",)

    def __init__(self) -> None:
        self._c = brotli.Compressor()

    def compress(self, data: bytes | bytearray | memoryview) -> bytes:
        return self._c.process(data)  # type: ignore[no-any-return]

    def flush(self) -> bytes:
        return self._c.finish()  # type: ignore[no-any-return]


class Compressor(Protocol):
    def compress(self, data: bytes | bytearray | memoryview) -> bytes: ...

    def flush(self) -> bytes: ...


def compressor_for(encoding: str) -> Compressor:
    """A compressor for a request body: ``deflate`` (zlib-wrapped), ``gzip`` or ``br``."""
    coding = encoding.strip().lower()
    coding = _ALIASES.get(coding, coding)
    if coding == "deflate":
        return _zlib.compressobj(wbits=_zlib.MAX_WBITS)  # type: ignore[no-any-return]
    if coding == "gzip":
        return _zlib.compressobj(wbits=16 + _zlib.MAX_WBITS)  # type: ignore[no-any-return]
    if coding == "br" and BROTLI_AVAILABLE:
        return _BrotliCompressor()
    raise ValueError(f"Unsupported content encoding for compression: {encoding!r}")
