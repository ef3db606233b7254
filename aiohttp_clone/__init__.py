"""aiohttp_clone: a Cython-accelerated asyncio HTTP client with aiohttp's client API.

``import aiohttp_clone as aiohttp`` and use it as aiohttp's client documentation shows.
``USING_C_EXTENSIONS`` says whether every compiled twin is active (the response parser and the
websocket mask); ``_twins.ACTIVE`` says it per twin.
"""

__version__ = "0.1.0"

# http_*: aiohttp's ``import aiohttp`` leaves these faces reachable as attributes
# (``aiohttp.http_exceptions.HttpProcessingError``); code written that way keeps working.
from . import _twins, hdrs, http_exceptions, http_parser, http_websocket  # noqa: F401
from ._http.content_coding import set_zlib_backend
from ._http.messages import HttpVersion, HttpVersion10, HttpVersion11
from ._values import ClientTimeout, Fingerprint, RequestInfo
from ._websocket import WebSocketError, WSCloseCode, WSMessage, WSMsgType
from .client import ClientSession, request
from .client_exceptions import *  # noqa: F403
from .client_exceptions import __all__ as _exceptions_all
from .client_middleware_digest_auth import DigestAuthMiddleware
from .client_middleware_retry import RetryEvent, RetryMiddleware, RetryOptions
from .client_pipeline import ClientHandlerType, ClientMiddlewareType
from .client_reqrep import ClientRequest, ClientResponse
from .client_upload import UploadTracker
from .client_ws import ClientWebSocketResponse, ClientWSTimeout
from .connector import (
    AddrInfoType,
    BaseConnector,
    NamedPipeConnector,
    SocketFactoryType,
    TCPConnector,
    UnixConnector,
)
from .cookiejar import CookieJar, DummyCookieJar, InvalidCookieError
from .formdata import FormData
from .helpers import BasicAuth, ChainMapProxy, ETag, encode_basic_auth
from .multipart import (
    BadContentDispositionHeader,
    BadContentDispositionParam,
    BodyPartReader,
    MultipartReader,
    MultipartWriter,
    content_disposition_filename,
    parse_content_disposition,
)
from .payload import (
    PAYLOAD_REGISTRY,
    AsyncIterablePayload,
    BufferedReaderPayload,
    BytesIOPayload,
    BytesPayload,
    IOBasePayload,
    JsonPayload,
    Payload,
    StringIOPayload,
    StringPayload,
    TextIOPayload,
    get_payload,
    payload_type,
)
from .payload_streamer import streamer
from .resolver import AsyncResolver, DefaultResolver, ThreadedResolver
from .streams import EMPTY_PAYLOAD, DataQueue, EofStream, FlowControlDataQueue, StreamReader
from .tracing import (
    TraceConfig,
    TraceConnectionCreateEndParams,
    TraceConnectionCreateStartParams,
    TraceConnectionQueuedEndParams,
    TraceConnectionQueuedStartParams,
    TraceConnectionReuseconnParams,
    TraceDnsCacheHitParams,
    TraceDnsCacheMissParams,
    TraceDnsResolveHostEndParams,
    TraceDnsResolveHostStartParams,
    TraceRequestChunkSentParams,
    TraceRequestEndParams,
    TraceRequestExceptionParams,
    TraceRequestHeadersSentParams,
    TraceRequestRedirectParams,
    TraceRequestStartParams,
    TraceResponseChunkReceivedParams,
)

USING_C_EXTENSIONS: bool = all(_twins.ACTIVE.values())
"""True when every compiled twin is the one in use (and none failed to build or import)."""

__all__ = (
    *_exceptions_all,
    "USING_C_EXTENSIONS",
    "hdrs",
    "ClientHandlerType", "ClientMiddlewareType", "ClientSession", "ClientTimeout", "request",
    "DigestAuthMiddleware", "RetryEvent", "RetryMiddleware", "RetryOptions",
    "ClientRequest", "ClientResponse", "RequestInfo", "Fingerprint", "UploadTracker",
    "ClientWebSocketResponse", "ClientWSTimeout",
    "WebSocketError", "WSCloseCode", "WSMessage", "WSMsgType",
    "set_zlib_backend",
    "AddrInfoType", "BaseConnector", "NamedPipeConnector", "SocketFactoryType",
    "TCPConnector", "UnixConnector",
    "CookieJar", "DummyCookieJar", "InvalidCookieError",
    "FormData",
    "BasicAuth", "ChainMapProxy", "ETag", "encode_basic_auth",
    "HttpVersion", "HttpVersion10", "HttpVersion11",
    "BadContentDispositionHeader", "BadContentDispositionParam", "BodyPartReader",
    "MultipartReader", "MultipartWriter", "content_disposition_filename",
    "parse_content_disposition",
    "PAYLOAD_REGISTRY", "AsyncIterablePayload", "BufferedReaderPayload", "BytesIOPayload",
    "BytesPayload", "IOBasePayload", "JsonPayload", "Payload", "StringIOPayload",
    "StringPayload", "TextIOPayload", "get_payload", "payload_type", "streamer",
    "AsyncResolver", "DefaultResolver", "ThreadedResolver",
    "EMPTY_PAYLOAD", "DataQueue", "EofStream", "FlowControlDataQueue", "StreamReader",
    "TraceConfig", "TraceConnectionCreateEndParams", "TraceConnectionCreateStartParams",
    "TraceConnectionQueuedEndParams", "TraceConnectionQueuedStartParams",
    "TraceConnectionReuseconnParams", "TraceDnsCacheHitParams", "TraceDnsCacheMissParams",
    "TraceDnsResolveHostEndParams", "TraceDnsResolveHostStartParams",
    "TraceRequestChunkSentParams", "TraceRequestEndParams", "TraceRequestExceptionParams",
    "TraceRequestHeadersSentParams", "TraceRequestRedirectParams", "TraceRequestStartParams",
    "TraceResponseChunkReceivedParams",
)
