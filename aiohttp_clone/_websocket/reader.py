"""Sans-I/O websocket frame reader: bytes from the server in, ``WSMessage`` objects out.

RFC 6455 section 5 as a client sees it. Frames are parsed straight from each chunk the socket
delivers; a partial header (at most 14 bytes) is the only thing carried over between chunks,
and payload bytes are kept as zero-copy memoryview slices until the message is complete, so a
large message is copied once, when it is joined. Every check that can fail early does: the
size limit is applied to frame headers as they arrive (and to inflated output as it is
produced), text is validated chunk by chunk with an incremental UTF-8 decoder.
"""

from __future__ import annotations

import codecs
import zlib
from typing import Any

from .models import WebSocketError, WSCloseCode, WSMessage, WSMsgType

__all__ = ("WebSocketReader",)

_TEXT = 0x1
_BINARY = 0x2
_CLOSE = 0x8
_PING = 0x9
_PONG = 0xA
_CONTROL_OPCODES = frozenset((_CLOSE, _PING, _PONG))
_MSG_TYPES = {op: WSMsgType(op) for op in (_TEXT, _BINARY, _CLOSE, _PING, _PONG)}

# RFC 7692 section 7.2.2: the sender strips this from every compressed message.
_DEFLATE_TAIL = b"\x00\x00\xff\xff"
_MAX_HEADER = 14
_Utf8Decoder = codecs.getincrementaldecoder("utf-8")


def _valid_close_code(code: int) -> bool:
    """Codes a peer may put on the wire (RFC 6455 section 7.4, IANA registry)."""
    if 3000 <= code <= 4999:
        return True
    return 1000 <= code <= 1014 and code not in (1004, 1005, 1006)


def _protocol_error(message: str) -> WebSocketError:
    return WebSocketError(WSCloseCode.PROTOCOL_ERROR, message)


class WebSocketReader:
    """Parses server frames. ``feed_data`` returns the messages completed by the chunk and
    raises ``WebSocketError`` (with the close code to use) on any protocol violation."""

    def __init__(
        self, max_msg_size: int = 4 * 1024 * 1024, *, compress: bool = False,
        decode_text: bool = True,
    ) -> None:
        self._max_msg_size = max_msg_size
        self._compress = compress
        self._decode_text = decode_text
        self._head = b""  # a frame header split across chunks
        self._in_frame = False
        self._remaining = 0  # payload bytes of the current frame still to arrive
        self._fin = False
        self._opcode = 0  # of the current frame
        self._control: list[Any] = []  # payload pieces of the current control frame
        self._msg_opcode = 0  # TEXT or BINARY while a data message is open, else 0
        self._msg_compressed = False
        self._msg_size = 0
        self._msg_parts: list[Any] = []
        self._text_decoder: codecs.IncrementalDecoder | None = None
        self._inflater: Any = None

    def feed_data(self, data: bytes | memoryview) -> list[WSMessage]:
        """Parse a chunk. ``data`` may be a memoryview of a buffer the caller reuses: nothing
        returned or kept refers to it. On a protocol error the messages the chunk completed
        before it are on the error's ``messages``."""
        out: list[WSMessage] = []
        try:
            pos = 0
            if not (self._head or self._in_frame or self._msg_opcode):
                # Between messages: take whole one-frame TEXT/BINARY messages inline, then
                # leave anything else (control frames, fragments, partial frames, RSV bits,
                # errors) to the general loop, which starts where this one stopped.
                pos = self._whole_frames(data, out)
                if pos == len(data):
                    return out
            return self._frames(data, pos, out)
        except WebSocketError as exc:
            exc.messages = out
            raise

    def _frames(self, data: bytes | memoryview, pos: int, out: list[WSMessage]) -> list[WSMessage]:
        """The general loop: any frame, split anywhere across chunks."""
        if type(data) is memoryview:
            # The general path keeps slices of ``data`` across chunks: they must be bytes.
            data = data[pos:].tobytes()
            pos = 0
        if self._head:  # never after the fast path, which only runs without one
            pos = self._complete_header(data)
            if pos < 0:
                return out
            self._after_header(out)
        end = len(data)
        view: memoryview | None = None
        while pos < end:
            if not self._in_frame:
                start = pos
                pos = self._parse_header(data, pos)
                if pos < 0:
                    self._head = bytes(data[start:])
                    break
                if self._fast_path(end - pos):
                    # The whole of a one-frame message is here: no bookkeeping, one copy.
                    out.append(self._single_frame_message(data[pos : pos + self._remaining]))
                    pos += self._remaining
                    self._in_frame = False
                    continue
                self._after_header(out)
                continue
            take = min(self._remaining, end - pos)
            if view is None:
                view = memoryview(data)
            self._payload(view[pos : pos + take], out)
            pos += take
        return out

    def _whole_frames(self, data: bytes | memoryview, out: list[WSMessage]) -> int:
        """The fast path: FIN, opcode TEXT or BINARY, no RSV, unmasked, complete in ``data``,
        within the size limit. Returns the position of the first frame it did not take."""
        end = len(data)
        pos = 0
        limit = self._max_msg_size
        decode = self._decode_text
        while end - pos >= 2:
            first = data[pos]
            if first != 0x81 and first != 0x82:
                break
            length = data[pos + 1]  # a set mask bit makes this >= 128: not taken here
            if length < 126:
                start = pos + 2
            elif length == 126:
                start = pos + 4
                if start > end:
                    break
                length = (data[pos + 2] << 8) | data[pos + 3]
            elif length == 127:
                start = pos + 10
                if start > end:
                    break
                length = int.from_bytes(data[pos + 2 : start], "big")
                if length >> 63:
                    break
            else:
                break
            stop = start + length
            if stop > end or (limit and length > limit):
                break
            payload = bytes(data[start:stop])  # a bytes slice is returned as is: no copy
            if first == 0x82:
                out.append(WSMessage(WSMsgType.BINARY, payload, ""))
            elif decode:
                try:
                    out.append(WSMessage(WSMsgType.TEXT, payload.decode("utf-8"), ""))
                except UnicodeDecodeError:
                    raise WebSocketError(
                        WSCloseCode.INVALID_TEXT, "Invalid UTF-8 text message"
                    ) from None
            else:
                out.append(WSMessage(WSMsgType.TEXT, payload, ""))
            pos = stop
        return pos

    def _complete_header(self, data: bytes) -> int:
        """Finish a header begun in the previous chunk; the position after it in ``data``."""
        head = self._head + bytes(data[:_MAX_HEADER])
        used = self._parse_header(head, 0)
        if used < 0:
            self._head = head  # data was shorter than a header: all of it is in ``head``
            return -1
        used -= len(self._head)
        self._head = b""
        return used

    def _parse_header(self, buf: Any, pos: int) -> int:
        """Read one frame header at ``pos``; -1 if it is not complete yet."""
        avail = len(buf) - pos
        if avail < 2:
            return -1
        first = buf[pos]
        second = buf[pos + 1]
        if second & 0x80:
            raise _protocol_error("Received a masked frame from the server")
        length = second & 0x7F
        if length == 126:
            if avail < 4:
                return -1
            length = (buf[pos + 2] << 8) | buf[pos + 3]
            pos += 4
        elif length == 127:
            if avail < 10:
                return -1
            length = int.from_bytes(buf[pos + 2 : pos + 10], "big")
            if length >> 63:
                raise _protocol_error("Frame length has the most significant bit set")
            pos += 10
        else:
            pos += 2
        self._begin_frame(first, length)
        return pos

    def _begin_frame(self, first: int, length: int) -> None:
        """Validate a frame header against the message state (RFC 6455 5.2, 5.4, 5.5)."""
        fin = bool(first & 0x80)
        opcode = first & 0x0F
        reserved = first & 0x70
        if opcode in _CONTROL_OPCODES:
            if not fin:
                raise _protocol_error("Received fragmented control frame")
            if length > 125:
                raise _protocol_error("Control frame payload cannot be larger than 125 bytes")
            if reserved:
                raise _protocol_error("Received frame with non-zero reserved bits")
        elif opcode in (_TEXT, _BINARY):
            if self._msg_opcode:
                raise _protocol_error(f"Expected a continuation frame, got opcode={opcode}")
            compressed = reserved == 0x40
            if reserved and not (compressed and self._compress):
                raise _protocol_error("Received frame with non-zero reserved bits")
            self._msg_opcode = opcode
            self._msg_compressed = compressed
        elif opcode == 0:
            if not self._msg_opcode:
                raise _protocol_error("Continuation frame for non started message")
            if reserved:
                raise _protocol_error("Received frame with non-zero reserved bits")
        else:
            raise _protocol_error(f"Unexpected opcode={opcode}")
        if opcode < 8 and not self._msg_compressed:
            self._msg_size += length
            self._check_size(self._msg_size)
        self._in_frame = True
        self._fin = fin
        self._opcode = opcode
        self._remaining = length

    def _check_size(self, size: int) -> None:
        limit = self._max_msg_size
        if limit and size > limit:
            raise WebSocketError(
                WSCloseCode.MESSAGE_TOO_BIG, f"Message size {size} exceeds limit {limit}"
            )

    def _fast_path(self, available: int) -> bool:
        return (
            self._fin
            and self._opcode != 0
            and self._opcode < 8
            and not self._msg_compressed
            and available >= self._remaining
        )

    def _single_frame_message(self, payload: bytes) -> WSMessage:
        opcode = self._msg_opcode
        self._msg_opcode = 0
        self._msg_size = 0
        if opcode == _TEXT and self._decode_text:
            try:
                return WSMessage(WSMsgType.TEXT, payload.decode("utf-8"), "")
            except UnicodeDecodeError:
                raise WebSocketError(
                    WSCloseCode.INVALID_TEXT, "Invalid UTF-8 text message"
                ) from None
        return WSMessage(_MSG_TYPES[opcode], payload, "")

    def _after_header(self, out: list[WSMessage]) -> None:
        """A frame with no payload is complete as soon as its header is."""
        if not self._remaining:
            self._end_frame(out)

    def _payload(self, chunk: memoryview, out: list[WSMessage]) -> None:
        self._remaining -= len(chunk)
        if self._opcode >= 8:
            self._control.append(chunk)
        else:
            self._data(chunk)
        if not self._remaining:
            self._end_frame(out)

    def _end_frame(self, out: list[WSMessage]) -> None:
        self._in_frame = False
        if self._opcode >= 8:
            payload = b"".join(self._control)
            self._control.clear()
            out.append(self._control_message(self._opcode, payload))
        elif self._fin:
            out.append(self._finish_message())

    def _data(self, chunk: Any) -> None:
        """One piece of a data message: inflated, then text-decoded, as it arrives."""
        if self._msg_compressed:
            chunk = self._inflate(chunk)
            if not chunk:
                return
        if self._msg_opcode == _TEXT and self._decode_text:
            decoder = self._text_decoder
            if decoder is None:
                decoder = self._text_decoder = _Utf8Decoder()
            try:
                chunk = decoder.decode(chunk)
            except UnicodeDecodeError:
                raise WebSocketError(
                    WSCloseCode.INVALID_TEXT, "Invalid UTF-8 text message"
                ) from None
        self._msg_parts.append(chunk)

    def _inflate(self, chunk: Any) -> bytes:
        inflater = self._inflater
        if inflater is None:
            # A 15-bit window inflates anything the server may send, whatever it negotiated.
            inflater = self._inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        limit = self._max_msg_size
        try:
            if not limit:
                return inflater.decompress(chunk)  # type: ignore[no-any-return]
            inflated: bytes = inflater.decompress(chunk, limit - self._msg_size + 1)
        except zlib.error as exc:
            raise _protocol_error(f"Invalid compressed data: {exc}") from None
        self._msg_size += len(inflated)
        self._check_size(self._msg_size)  # max_length stopped it one byte past the limit
        return inflated

    def _finish_message(self) -> WSMessage:
        if self._msg_compressed:
            self._data(_DEFLATE_TAIL)
        opcode = self._msg_opcode
        parts = self._msg_parts
        decoder = self._text_decoder
        if opcode == _TEXT and self._decode_text:
            if decoder is not None:
                try:
                    parts.append(decoder.decode(b"", final=True))
                except UnicodeDecodeError:
                    raise WebSocketError(
                        WSCloseCode.INVALID_TEXT, "Invalid UTF-8 text message"
                    ) from None
            data: Any = "".join(parts)
        else:
            data = b"".join(parts)
        self._msg_opcode = 0
        self._msg_size = 0
        self._msg_parts = []
        self._text_decoder = None
        return WSMessage(_MSG_TYPES[opcode], data, "")

    def _control_message(self, opcode: int, payload: bytes) -> WSMessage:
        if opcode != _CLOSE:
            return WSMessage(_MSG_TYPES[opcode], payload, "")
        if not payload:
            return WSMessage(WSMsgType.CLOSE, 0, "")
        if len(payload) == 1:
            raise _protocol_error("Invalid close frame: a one-byte payload")
        code = int.from_bytes(payload[:2], "big")
        if not _valid_close_code(code):
            raise _protocol_error(f"Invalid close code: {code}")
        try:
            reason = payload[2:].decode("utf-8")
        except UnicodeDecodeError:
            raise WebSocketError(WSCloseCode.INVALID_TEXT, "Invalid UTF-8 close reason") from None
        return WSMessage(WSMsgType.CLOSE, code, reason)
