"""HTML form bodies: urlencoded when every field is a plain value, multipart otherwise."""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlencode

from multidict import MultiDict, MultiDictProxy

from . import hdrs, multipart
from ._http.rules import CTL_EXCEPT_HTAB
from .helpers import guess_filename
from .payload import BytesPayload, Payload, get_payload

__all__ = ("FormData",)

def _check_header_safe(what: str, value: str) -> None:
    """These strings end up inside part headers, where CR/LF would start a new header."""
    if not CTL_EXCEPT_HTAB.isdisjoint(value):
        raise ValueError(
            f"{what} must not contain CR, LF or NUL (nor another control character): {value!r}"
        )


def _initial_fields(fields: Any) -> tuple[Any, ...]:
    """What the constructor accepts: a mapping, a sequence of fields or pairs, or one field."""
    if isinstance(fields, Mapping):
        return tuple(fields.items())
    if isinstance(fields, (list, tuple)):
        return tuple(fields)
    return (fields,)


class FormData:
    """Collects form fields and renders them as the body ``ClientSession`` sends for ``data=``."""

    def __init__(
        self,
        fields: Iterable[Any] = (),
        quote_fields: bool = True,
        charset: str | None = None,
        *,
        default_to_multipart: bool = False,
    ) -> None:
        # (name, part options, value) in the order added: both renderings keep that order.
        self._entries: list[tuple[str, dict[str, str], Any]] = []
        self._needs_multipart = default_to_multipart
        self._quote = quote_fields
        self._text_charset = charset
        self.add_fields(*_initial_fields(fields))

    @property
    def is_multipart(self) -> bool:
        return self._needs_multipart

    def add_field(
        self,
        name: str,
        value: Any,
        *,
        content_type: str | None = None,
        filename: str | None = None,
        content_transfer_encoding: str | None = None,
    ) -> None:
        """Add one field; a file object, bytes or a filename makes the form multipart."""
        _check_header_safe("field name", name)
        if isinstance(value, (io.IOBase, bytes, bytearray, memoryview)):
            # Files and raw bytes are sent as file parts, named after the field if need be.
            self._needs_multipart = True
            if filename is None:
                filename = guess_filename(value, name)
        options: dict[str, str] = {}
        if filename is not None:
            if not isinstance(filename, str):
                raise TypeError(f"filename must be an instance of str. Got: {filename!r}")
            _check_header_safe("filename", filename)
            options["filename"] = filename
            self._needs_multipart = True
        if content_type is not None:
            if not isinstance(content_type, str):
                raise TypeError(f"content_type must be an instance of str. Got: {content_type!r}")
            _check_header_safe("content_type", content_type)
            options["content_type"] = content_type
            self._needs_multipart = True
        if content_transfer_encoding is not None:
            # aiohttp 3.14 ignores it too: nothing would encode the part to match the header.
            warnings.warn(
                "content_transfer_encoding is deprecated and ignored; pass a BytesPayload",
                DeprecationWarning,
                stacklevel=2,
            )
        self._entries.append((name, options, value))

    def add_fields(self, *fields: Any) -> None:
        """Add ``(name, value)`` pairs, mappings/multidicts, or bare file objects."""
        for field in fields:
            if isinstance(field, io.IOBase):
                self.add_field(guess_filename(field, "unknown") or "unknown", field)
            elif isinstance(field, (Mapping, MultiDictProxy, MultiDict)):
                for name, value in field.items():
                    self.add_field(name, value)
            elif isinstance(field, (list, tuple)) and len(field) == 2:
                self.add_field(*field)
            else:
                raise TypeError(
                    "Only io.IOBase, multidict and (name, file) pairs allowed, use "
                    f".add_field() for passing more complex parameters, got {field!r}"
                )

    def _urlencoded(self) -> BytesPayload:
        charset = self._text_charset or "utf-8"
        pairs = [(name, value) for name, _, value in self._entries]
        content_type = "application/x-www-form-urlencoded"
        if charset != "utf-8":
            content_type += f"; charset={charset}"
        return BytesPayload(
            urlencode(pairs, doseq=True, encoding=charset).encode("ascii"),
            content_type=content_type,
        )

    def _multipart(self) -> multipart.MultipartWriter:
        writer = multipart.MultipartWriter("form-data")
        for name, options, value in self._entries:
            part = self._part(value, options)
            params = {"name": name}
            if "filename" in options:
                params["filename"] = options["filename"]
            part.set_content_disposition("form-data", quote_fields=self._quote, **params)
            writer.append_payload(part)
        return writer

    def _part(self, value: Any, options: dict[str, str]) -> Payload:
        # The form's filename goes only into Content-Disposition: as in aiohttp, a file part's
        # Content-Type is guessed from the file's own name (none for BytesIO: octet-stream).
        kwargs: dict[str, Any] = {}
        if "content_type" in options:
            kwargs["content_type"] = options["content_type"]
        if isinstance(value, str) and self._text_charset:
            kwargs["encoding"] = self._text_charset
        try:
            part = get_payload(value, **kwargs)
        except LookupError:
            raise TypeError(f"Can not serialize value type: {type(value)!r}") from None
        # Payloads built from files add their own disposition; the form's one replaces it.
        part.headers.popall(hdrs.CONTENT_DISPOSITION, None)
        return part

    def __call__(self) -> Payload:
        """Render the fields as a body: a new payload on every call."""
        if self._needs_multipart:
            return self._multipart()
        return self._urlencoded()
