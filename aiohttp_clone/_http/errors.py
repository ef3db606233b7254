"""Errors raised by the codecs: the response parser twins and the content decoders.

They are protocol-level errors, independent of asyncio and of the client above; the connection
layer turns head errors into ``ClientResponseError`` and body errors (parser or decoder) into
``ClientPayloadError``. Both parser twins raise the same class with the same message for the same
input.
"""


class HttpProcessingError(Exception):
    """Base of every parser error; ``message`` says what was wrong and where."""

    code = 400

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message
        # Set by feed_data: the events completed in that call before the error.
        self.events: list[object] = []

    def __str__(self) -> str:
        return f"{self.code}, message: {self.message!r}"


class BadHttpMessage(HttpProcessingError):
    """The response head breaks the RFC 9112 grammar."""


class BadStatusLine(BadHttpMessage):
    """The status line is malformed (version, status code or reason)."""


class LineTooLong(BadHttpMessage):
    """A status line, header field, chunk-size line or trailer exceeds its configured limit."""


class InvalidHeader(BadHttpMessage):
    """A header field name or value contains a forbidden character, or framing headers conflict."""


class PayloadEncodingError(BadHttpMessage):
    """The body framing is broken."""


class ContentLengthError(PayloadEncodingError):
    """The connection ended before the declared Content-Length arrived."""


class TransferEncodingError(PayloadEncodingError):
    """Chunked framing is malformed or ended early."""


class ContentCodingError(ValueError):
    """A body could not be decoded per its Content-Encoding: corrupt, truncated or over a limit.

    The message names the coding; the connection reports it as ``ClientPayloadError``.
    """
