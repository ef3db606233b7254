"""HTTP Digest authentication (RFC 7616) as a client middleware: ``DigestAuthMiddleware``.

On a 401 whose ``WWW-Authenticate`` offers a Digest challenge the request is sent once more
with an ``Authorization: Digest ...`` answer. Later requests answer the remembered challenge
up front (``preemptive=True``), counting the nonce's uses in ``nc`` as RFC 7616 asks.

The credentials belong to the origin of the first request the middleware sees (and to the URLs
that origin lists in a challenge's ``domain``); requests anywhere else pass through untouched,
so a redirect to another host never receives an answer computed from them.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from yarl import URL

from . import hdrs
from ._http.rules import QUOTED_PAIR_RE, QUOTED_STRING_PATTERN, TOKEN_PATTERN

if TYPE_CHECKING:
    from .client_pipeline import ClientHandlerType
    from .client_reqrep import ClientRequest, ClientResponse

__all__ = ("DigestAuthMiddleware",)

_HASHES: dict[str, Callable[[bytes], Any]] = {
    "MD5": hashlib.md5,
    "SHA": hashlib.sha1,
    "SHA-256": hashlib.sha256,
    "SHA256": hashlib.sha256,
    "SHA-512": hashlib.sha512,
    "SHA512": hashlib.sha512,
}

# RFC 9110 11.2: auth-param = token BWS "=" BWS ( token / quoted-string ), comma separated.
_PARAM_RE = re.compile(
    rf"\s*({TOKEN_PATTERN})\s*=\s*({QUOTED_STRING_PATTERN}|{TOKEN_PATTERN})\s*(?:,|$)"
)
_SCHEME_RE = re.compile(rf"(?:^|,)\s*({TOKEN_PATTERN})(?:\s+|$)")


def parse_digest_challenge(header: str) -> dict[str, str] | None:
    """The parameters of the Digest challenge in one ``WWW-Authenticate`` value, lowercased
    names; None when it offers no Digest challenge."""
    for scheme in _SCHEME_RE.finditer(header):
        if scheme.group(1).lower() != "digest":
            continue
        params: dict[str, str] = {}
        pos = scheme.end()
        while pos < len(header):
            match = _PARAM_RE.match(header, pos)
            if match is None:
                break  # the next challenge's scheme, or junk
            name, value = match.group(1).lower(), match.group(2)
            if value.startswith('"'):
                value = QUOTED_PAIR_RE.sub(r"\1", value[1:-1])
            params.setdefault(name, value)
            pos = match.end()
        return params
    return None


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class DigestAuthMiddleware:
    """``ClientSession(middlewares=(DigestAuthMiddleware(login, password),))``."""

    def __init__(self, login: str, password: str, preemptive: bool = True) -> None:
        if login is None or password is None:
            raise ValueError("login and password are required")
        if ":" in login:
            raise ValueError('A ":" is not allowed in login (RFC 7616 section 3.4)')
        self._login = str(login)
        self._password = str(password)
        self._preemptive = preemptive
        self._challenge: dict[str, str] = {}
        self._nonce_count = 0
        self._anchor: URL | None = None
        # The protection space of the remembered challenge (RFC 7616 section 3.3, domain=):
        # absolute URI prefixes; the challenged origin when the challenge names none.
        self._space: tuple[str, ...] = ()

    # -- scope ----------------------------------------------------------------------------

    def _in_scope(self, url: URL) -> bool:
        """The first origin seen, and whatever the challenge's protection space adds."""
        origin = url.origin()
        if self._anchor is None:
            self._anchor = origin
        return origin == self._anchor or self._in_space(url)

    def _in_space(self, url: URL) -> bool:
        """Whether a URI of the protection space is a prefix of ``url`` (at a path boundary):
        only there is the challenge answered before the server asks."""
        target = str(url.with_fragment(None))
        for prefix in self._space:
            if target.startswith(prefix) and (
                len(target) == len(prefix) or prefix.endswith("/") or target[len(prefix)] in "/?"
            ):
                return True
        return False

    def _remember(self, challenge: dict[str, str], url: URL) -> None:
        self._challenge = challenge
        self._nonce_count = 0
        space = []
        for item in challenge.get("domain", "").split():
            try:
                space.append(str(url.join(URL(item.strip('"')))))
            except ValueError:
                continue
        self._space = tuple(space) or (str(url.origin()),)

    # -- the answer -----------------------------------------------------------------------

    async def _authorization(self, request: ClientRequest) -> str | None:
        """``Digest ...`` answering the remembered challenge; None if it cannot be answered."""
        challenge = self._challenge
        realm, nonce = challenge.get("realm", ""), challenge.get("nonce")
        if not nonce:
            return None
        algorithm = challenge.get("algorithm", "MD5")
        name = algorithm.upper()
        session = name.endswith("-SESS")
        hash_factory = _HASHES.get(name[:-5] if session else name)
        if hash_factory is None:
            return None

        def digest(text: str | bytes) -> str:
            data = text.encode("utf-8") if isinstance(text, str) else text
            hexdigest: str = hash_factory(data).hexdigest()
            return hexdigest

        offered = {q.strip().lower() for q in challenge.get("qop", "").split(",") if q.strip()}
        qop = "auth" if "auth" in offered else "auth-int" if "auth-int" in offered else ""
        if offered and not qop:
            return None
        uri = request.url.raw_path_qs or "/"
        self._nonce_count += 1
        nc = f"{self._nonce_count:08x}"
        cnonce = os.urandom(8).hex()
        ha1 = digest(f"{self._login}:{realm}:{self._password}")
        if session:
            ha1 = digest(f"{ha1}:{nonce}:{cnonce}")
        ha2_source = f"{request.method}:{uri}"
        if qop == "auth-int":
            body = request.body
            body_bytes = await body.as_bytes() if body else b""
            ha2_source += ":" + digest(body_bytes)
        ha2 = digest(ha2_source)
        if qop:
            response = digest(f"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}")
        else:  # RFC 2069 compatibility
            response = digest(f"{ha1}:{nonce}:{ha2}")
        fields = [
            f"username={_quote(self._login)}",
            f"realm={_quote(realm)}",
            f"nonce={_quote(nonce)}",
            f"uri={_quote(uri)}",
            f"response={_quote(response)}",
            f"algorithm={algorithm}",
        ]
        if "opaque" in challenge:
            fields.append(f"opaque={_quote(challenge['opaque'])}")
        if qop:
            fields += [f"qop={qop}", f"nc={nc}", f"cnonce={_quote(cnonce)}"]
        return "Digest " + ", ".join(fields)

    # -- the middleware -------------------------------------------------------------------

    async def __call__(self, request: ClientRequest, handler: ClientHandlerType) -> ClientResponse:
        if not self._in_scope(request.url):
            return await handler(request)
        sent_nonce = None
        if self._preemptive and self._challenge and self._in_space(request.url):
            answer = await self._authorization(request)
            if answer is not None:
                request.headers[hdrs.AUTHORIZATION] = answer
                sent_nonce = self._challenge.get("nonce")
        response = await handler(request)
        if response.status != 401:
            return response
        challenge = None
        for header in response.headers.getall(hdrs.WWW_AUTHENTICATE, ()):
            challenge = parse_digest_challenge(header)
            if challenge is not None:
                break
        if challenge is None or not challenge.get("nonce"):
            return response
        stale = challenge.get("stale", "").lower() == "true"
        if sent_nonce is not None and challenge["nonce"] == sent_nonce and not stale:
            return response  # the credentials themselves were refused
        if not request.body_replayable:
            return response  # the body cannot be sent a second time
        self._remember(challenge, request.url)
        answer = await self._authorization(request)
        if answer is None:
            return response
        await response.read()  # so the connection can serve the retry
        response.release()
        request.headers[hdrs.AUTHORIZATION] = answer
        return await handler(request)
