"""The keyword options of the request verbs and ``ws_connect``, as ``TypedDict`` s.

The verbs take ``**kwargs: Unpack[...]`` of these: a type checker then knows each option's
name and type (a misspelt option or a wrong type is an error in the user's code) while the
verbs still hand ``**kwargs`` to ``_request`` untouched, with no per-call cost. User wrappers
forward the same options with ``**kwargs: Unpack[aiohttp_clone.client._RequestOptions]``, as
they do with aiohttp's.

The keys are ``ClientSession._request`` 's keywords minus ``verify_ssl``, ``fingerprint`` and
``ssl_context``, which aiohttp deprecated in favour of ``ssl=`` and leaves out of its own
options type: the call still works at runtime, a type checker flags it, as with aiohttp.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from ssl import SSLContext
from typing import Any, TypedDict

from ._values import BasicAuth, ClientTimeout, Fingerprint
from .client_pipeline import ClientMiddlewareType
from .client_reqrep import ClientResponse
from .client_upload import UploadTracker
from .client_ws import ClientWSTimeout
from .helpers import _SENTINEL
from .typedefs import LooseCookies, LooseHeaders, Query, StrOrURL

__all__ = (
    "_GetOptions",
    "_OneOffRequestOptions",
    "_PostOptions",
    "_RequestOptions",
    "_WSConnectOptions",
)


class _CommonOptions(TypedDict, total=False):
    """Every request option but ``data`` and ``allow_redirects``, which some verbs name in their
    own signature (with the default that verb has)."""

    params: Query
    json: Any
    cookies: LooseCookies | None
    headers: LooseHeaders | None
    skip_auto_headers: Iterable[str] | None
    auth: BasicAuth | None
    max_redirects: int
    compress: str | bool | None
    chunked: bool | None
    expect100: bool
    raise_for_status: bool | Callable[[ClientResponse], Awaitable[None]] | None
    read_until_eof: bool
    proxy: StrOrURL | None
    proxy_auth: BasicAuth | None
    timeout: ClientTimeout | _SENTINEL | None
    ssl: SSLContext | bool | Fingerprint
    server_hostname: str | None
    proxy_headers: LooseHeaders | None
    trace_request_ctx: object
    read_bufsize: int | None
    auto_decompress: bool | None
    max_line_size: int | None
    max_field_size: int | None
    max_headers: int | None
    middlewares: Sequence[ClientMiddlewareType] | None
    upload_tracker: UploadTracker | None


class _RequestOptions(_CommonOptions, total=False):
    """``session.request(method, url, **options)`` and ``delete``."""

    data: Any
    allow_redirects: bool


class _OneOffRequestOptions(_RequestOptions, total=False):
    """``aiohttp_clone.request(method, url, **options)``: its throwaway session also takes
    ``trust_env`` (proxies and ``.netrc`` from the environment)."""

    trust_env: bool


class _GetOptions(_CommonOptions, total=False):
    """``get``, ``options`` and ``head``, whose signatures hold ``allow_redirects``."""

    data: Any


class _PostOptions(_CommonOptions, total=False):
    """``post``, ``put`` and ``patch``, whose signatures hold ``data``."""

    allow_redirects: bool


class _WSConnectOptions(TypedDict, total=False):
    """``session.ws_connect(url, **options)``."""

    method: str
    protocols: Iterable[str]
    timeout: ClientWSTimeout | _SENTINEL
    receive_timeout: float | None
    autoclose: bool
    autoping: bool
    heartbeat: float | None
    auth: BasicAuth | None
    origin: str | None
    params: Query
    headers: LooseHeaders | None
    proxy: StrOrURL | None
    proxy_auth: BasicAuth | None
    ssl: SSLContext | bool | Fingerprint
    verify_ssl: bool | None
    fingerprint: bytes | None
    ssl_context: SSLContext | None
    server_hostname: str | None
    proxy_headers: LooseHeaders | None
    compress: int
    max_msg_size: int
    decode_text: bool
