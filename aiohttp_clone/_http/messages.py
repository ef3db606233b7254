"""Value types the response parser twins hand to the connection layer."""

from typing import NamedTuple

from multidict import CIMultiDictProxy


class HttpVersion(NamedTuple):
    major: int
    minor: int


HttpVersion10 = HttpVersion(1, 0)
HttpVersion11 = HttpVersion(1, 1)


class RawResponseMessage(NamedTuple):
    """A parsed response head; the body follows as separate events."""

    version: HttpVersion
    code: int
    reason: str
    headers: "CIMultiDictProxy[str]"
    raw_headers: tuple[tuple[bytes, bytes], ...]
    should_close: bool
    compression: str | None
    upgrade: bool
    chunked: bool
    content_length: int | None


class _EndOfMessage:
    """Sentinel event: the current message's body is complete."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "END_OF_MESSAGE"

    def __reduce__(self) -> str:
        return "END_OF_MESSAGE"


END_OF_MESSAGE = _EndOfMessage()


class _EndOfChunk:
    """Sentinel event: an HTTP chunk of a chunked body is complete.

    It follows the CRLF after each chunk's data, and the trailer section of the last chunk
    (just before ``END_OF_MESSAGE``), so the reader can report chunk ends where aiohttp does.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "END_OF_CHUNK"

    def __reduce__(self) -> str:
        return "END_OF_CHUNK"


END_OF_CHUNK = _EndOfChunk()
