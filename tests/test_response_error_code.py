"""``ClientResponseError(code=...)`` and ``.code``: deprecated in aiohttp 3.x but still working.

Pinned against aiohttp 3.14.5 by experiment: the ``code=`` keyword sets ``status`` with a
DeprecationWarning pointing at the caller; giving both is a ValueError (even ``status=0``);
reading or writing the ``code`` attribute warns and goes to ``status``.
"""

from __future__ import annotations

import inspect
import pickle
import warnings

import pytest
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

import aiohttp_clone as aiohttp

ARGUMENT = "code argument is deprecated, use status instead"
PROPERTY = "code property is deprecated, use status instead"
URL_X = URL("http://example.com/x")
INFO = aiohttp.RequestInfo(URL_X, "GET", CIMultiDictProxy(CIMultiDict()), URL_X)


@pytest.mark.parametrize(
    "cls",
    [aiohttp.ClientResponseError, aiohttp.WSServerHandshakeError, aiohttp.ContentTypeError,
     aiohttp.ClientHttpProxyError, aiohttp.TooManyRedirects],
)
def test_code_keyword_sets_status_with_a_warning(cls: type[aiohttp.ClientResponseError]) -> None:
    with pytest.warns(DeprecationWarning, match=ARGUMENT) as record:
        err = cls(INFO, (), code=404, message="Not Found")
    assert record[0].filename == __file__  # the warning points at the caller
    assert (err.status, err.message) == (404, "Not Found")
    assert str(err) == "404, message='Not Found', url='http://example.com/x'"
    with pytest.warns(DeprecationWarning, match=ARGUMENT):
        plain = cls(None, (), code=404)
    assert pickle.loads(pickle.dumps(plain)).status == 404


@pytest.mark.parametrize("status", [404, 500, 0])
def test_code_and_status_together_are_refused(status: int) -> None:
    with pytest.raises(ValueError, match="Both code and status arguments are provided"):
        aiohttp.ClientResponseError(None, (), code=404, status=status)


def test_code_none_is_no_code() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert aiohttp.ClientResponseError(None, (), code=None).status == 0
        assert aiohttp.ClientResponseError(None, (), code=None, status=418).status == 418


def test_code_zero_is_a_code() -> None:
    with pytest.warns(DeprecationWarning, match=ARGUMENT):
        assert aiohttp.ClientResponseError(None, (), code=0).status == 0


def test_code_attribute_reads_and_writes_status_with_a_warning() -> None:
    err = aiohttp.ClientResponseError(None, (), status=418)
    with pytest.warns(DeprecationWarning, match=PROPERTY) as record:
        assert err.code == 418
    assert record[0].filename == __file__
    with pytest.warns(DeprecationWarning, match=PROPERTY):
        err.code = 500
    assert err.status == 500
    with pytest.raises(AttributeError):
        del err.code


def test_signature_matches_aiohttp() -> None:
    params = inspect.signature(aiohttp.ClientResponseError.__init__).parameters
    assert list(params) == ["self", "request_info", "history", "code", "status", "message",
                            "headers"]
    assert all(params[name].kind is inspect.Parameter.KEYWORD_ONLY
               for name in ("code", "status", "message", "headers"))
