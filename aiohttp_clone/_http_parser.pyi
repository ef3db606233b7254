"""Stub for the C twin of the response parser; same interface as ``_http/parser_py.py``."""

from typing_extensions import disjoint_base

@disjoint_base  # a cdef class: it cannot share a subclass with another such base
class HttpResponseParser:
    """Parses a stream of HTTP/1.1 responses into events: heads, body bytes, END_OF_CHUNK
    (after each chunk of a chunked body) and END_OF_MESSAGE."""

    def __init__(
        self,
        max_line_size: int = 8190,
        max_field_size: int = 8190,
        max_headers: int = 128,
        read_until_eof: bool = True,
    ) -> None: ...
    @property
    def upgraded(self) -> bool: ...
    @property
    def tail(self) -> bytes: ...
    @property
    def held_bytes(self) -> int: ...
    @property
    def idle(self) -> bool: ...
    def set_request_method(self, method: str) -> None: ...
    def feed_data(self, data: bytes | bytearray | memoryview) -> list[object]: ...
    def feed_eof(self) -> list[object]: ...
