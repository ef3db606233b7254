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

    # what is sent
    params: Query
    json: Any
    headers: LooseHeaders | None
    skip_auto_headers: Iterable[str] | None
    cookies: LooseCookies | None
    auth: BasicAuth | None
    compress: str | bool | None
    chunked: bool | None
    expect100: bool
    upload_tracker: UploadTracker | None
    # where it goes, and how securely
    proxy: StrOrURL | None
    proxy_auth: BasicAuth | None
    proxy_headers: LooseHeaders | None
    ssl: SSLContext | bool | Fingerprint
    server_hostname: str | None
    # how the answer is read
    max_redirects: int
    raise_for_status: bool | Callable[[ClientResponse], Awaitable[None]] | None
    read_until_eof: bool
    read_bufsize: int | None
    auto_decompress: bool | None
    max_line_size: int | None
    max_field_size: int | None
    max_headers: int | None
    # around the call
    timeout: ClientTimeout | _SENTINEL | None
    middlewares: Sequence[ClientMiddlewareType] | None
    trace_request_ctx: object


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

    # the opening handshake
    method: str
    params: Query
    headers: LooseHeaders | None
    auth: BasicAuth | None
    origin: str | None
    protocols: Iterable[str]
    compress: int
    # the route and its security
    proxy: StrOrURL | None
    proxy_auth: BasicAuth | None
    proxy_headers: LooseHeaders | None
    ssl: SSLContext | bool | Fingerprint
    server_hostname: str | None
    verify_ssl: bool | None  # deprecated, as the two below: ssl= replaces them
    fingerprint: bytes | None
    ssl_context: SSLContext | None
    # the open connection
    timeout: ClientWSTimeout | _SENTINEL
    receive_timeout: float | None
    heartbeat: float | None
    autoping: bool
    autoclose: bool
    max_msg_size: int
    decode_text: bool
