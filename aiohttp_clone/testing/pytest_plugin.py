"""The ``mock_http`` fixture, registered with pytest through the ``pytest11`` entry point.

The client is imported only when a test asks for the fixture: pytest loads this module at
start-up, before a project's conftest has had its say (environment switches, import paths).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from . import MockResponses


@pytest.fixture
def mock_http() -> Iterator[MockResponses]:
    """An active ``MockResponses`` for the test; set ``mock_http.passthrough`` (URL prefixes)
    or ``mock_http.passthrough_unmatched = True`` to let requests reach real servers."""
    from . import MockResponses

    with MockResponses() as mock:
        yield mock
