"""Where the mock plugs into the connectors, and how it lets go.

While a mock is active, two connector methods are replaced at class level (so sessions the code
under test creates itself are covered too), and put back when the last mock stops:

- ``_create_connection`` of ``TCPConnector``, ``UnixConnector`` and ``NamedPipeConnector``: a
  new connection is a real ``ResponseHandler`` on a ``MockTransport`` (or a real connection,
  for a request the mock passes through);
- ``BaseConnector._take_idle``: the pool hands out only connections the active mock may serve,
  so a socket opened before the mock started never carries a mocked request;
- ``ClientRequest.dispatch``: a mocked connection is told which request it is about to carry,
  whose bytes alone cannot say whether the pipeline would send it again (``_mock._outcome``).

The innermost active mock answers; mocks may nest.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..client_reqrep import ClientRequest
from ..connector import BaseConnector, NamedPipeConnector, TCPConnector, UnixConnector
from ._transport import MockTransport

if TYPE_CHECKING:
    from .._values import ClientTimeout, ConnectionKey
    from ..client_proto import ResponseHandler
    from ..client_reqrep import ClientResponse
    from ..connector import Connection
    from ..tracing import Trace
    from ._mock import MockResponses

__all__ = ("activate", "deactivate")

_CONNECTOR_CLASSES = (TCPConnector, UnixConnector, NamedPipeConnector)
_active: list[MockResponses] = []
_originals: dict[tuple[type, str], Any] = {}


def activate(mock: MockResponses) -> None:
    if not _active:
        _install()
    _active.append(mock)


def deactivate(mock: MockResponses) -> None:
    _active.remove(mock)
    if not _active:
        _uninstall()


def _install() -> None:
    for cls in _CONNECTOR_CLASSES:
        original = cls.__dict__["_create_connection"]
        _originals[cls, "_create_connection"] = original
        setattr(cls, "_create_connection", _mocked_create_connection(original))  # noqa: B010
    take_idle = BaseConnector.__dict__["_take_idle"]
    _originals[BaseConnector, "_take_idle"] = take_idle
    setattr(BaseConnector, "_take_idle", _filtered_take_idle(take_idle))  # noqa: B010
    dispatch = ClientRequest.__dict__["dispatch"]
    _originals[ClientRequest, "dispatch"] = dispatch
    setattr(ClientRequest, "dispatch", _noting_dispatch(dispatch))  # noqa: B010


def _uninstall() -> None:
    for (cls, name), original in _originals.items():
        setattr(cls, name, original)
    _originals.clear()


CreateConnection = Callable[
    [BaseConnector, "ClientRequest", "list[Trace]", "ClientTimeout"], Any
]


def _mocked_create_connection(original: CreateConnection) -> CreateConnection:
    async def _create_connection(
        connector: BaseConnector, req: ClientRequest, traces: list[Trace], timeout: ClientTimeout
    ) -> ResponseHandler:
        mock = _active[-1] if _active else None
        if mock is None or mock._passes_through(req):
            protocol: ResponseHandler = await original(connector, req, traces, timeout)
            return protocol
        return mock._open(connector._loop, req)

    return _create_connection


def _filtered_take_idle(
    original: Callable[[BaseConnector, ConnectionKey], ResponseHandler | None],
) -> Callable[[BaseConnector, ConnectionKey], ResponseHandler | None]:
    def _take_idle(connector: BaseConnector, key: ConnectionKey) -> ResponseHandler | None:
        mock = _active[-1] if _active else None
        if mock is not None and mock._wants_fresh(key):
            return None  # the idle connections stay pooled; this request opens a new one
        while True:
            protocol = original(connector, key)
            if protocol is None or mock is None or mock._owns(protocol):
                return protocol
            protocol.close()  # not the active mock's: it may be real, it must not be reused

    return _take_idle


def _noting_dispatch(
    original: Callable[[ClientRequest, Connection], ClientResponse],
) -> Callable[[ClientRequest, Connection], ClientResponse]:
    def dispatch(request: ClientRequest, conn: Connection) -> ClientResponse:
        protocol = conn.protocol
        transport = None if protocol is None else protocol.transport
        if isinstance(transport, MockTransport):
            transport.client_request = request
        return original(request, conn)

    return dispatch
