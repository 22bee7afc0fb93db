"""Verification of the bearer tokens the Gateway issues. Control never mints tokens.

`TokenVerifier.verify` turns an Authorization header into a `VerifiedToken` or raises
`TokenRejected` with a stable reason; no other exception escapes for any client input. The only
other exceptions are the key source's upstream errors (JWKS unreachable), which must become a 503,
never an allow.

The token is taken apart here, so that the cheap and strict checks (size, canonical base64url,
`alg`) happen first and each failure has its own reason. joserfc's algorithm then only checks the
signature, with the one key chosen for the token.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final, Literal, NoReturn, TypeGuard

from joserfc.errors import JoseError
from joserfc.jws import JWSRegistry

from cloudlysis_control.auth.keys import (
    SUPPORTED_ALGORITHMS,
    InvalidKeySet,
    JoseKey,
    KeySet,
    KeySource,
    key_alg_problem,
    weak_key_problem,
)

__all__ = [
    "MAX_LEEWAY_S",
    "MAX_TOKEN_CHARS",
    "KeySet",
    "KeySource",
    "RejectReason",
    "TokenRejected",
    "TokenVerifier",
    "VerifiedToken",
]

MAX_TOKEN_CHARS: Final = 8 * 1024
MAX_LEEWAY_S: Final = 30
# Room for the scheme and surrounding whitespace; anything longer is refused before parsing.
_MAX_HEADER_CHARS: Final = MAX_TOKEN_CHARS + 64

RejectReason = Literal[
    "missing",
    "malformed",
    "too_large",
    "non_canonical",
    "alg_none",
    "alg_not_allowed",
    "key_alg_mismatch",
    "weak_key",
    "bad_jwks",
    "unknown_kid",
    "bad_signature",
    "expired",
    "not_yet_valid",
    "bad_issuer",
    "bad_audience",
    "missing_claim",
]

# Claims outside +-2**53 (the JSON-safe integer range, far beyond any real timestamp) are refused.
_MAX_TIMESTAMP: Final = 2**53

_BASE64URL_TOKEN: Final = re.compile(r"[A-Za-z0-9_\-.]+")


class TokenRejected(Exception):
    """The token does not authenticate anyone. Maps to 401 with WWW-Authenticate.

    `reason` is one of RejectReason; `detail` is for humans and logs and never holds the token.
    """

    def __init__(self, reason: RejectReason, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason: RejectReason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class VerifiedToken:
    sub: str
    sid: str
    exp: int
    claims: Mapping[str, Any]
    # sha256 hex of the raw token: a safe cache key. Never log the token itself.
    token_hash: str


def _reject(reason: RejectReason, detail: str) -> NoReturn:
    raise TokenRejected(reason, detail)


class TokenVerifier:
    def __init__(
        self,
        *,
        key_source: KeySource,
        issuer: str,
        audience: str,
        leeway_s: int = 30,
        algorithms: Sequence[str] = ("RS256", "ES256", "Ed25519", "HS256"),
        cache_size: int = 10_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not issuer:
            raise ValueError("issuer must not be empty")
        if not audience:
            raise ValueError("audience must not be empty")
        if not algorithms:
            raise ValueError("algorithms must not be empty")
        unsupported = sorted(set(algorithms) - SUPPORTED_ALGORITHMS)
        if unsupported:
            raise ValueError(
                f"unsupported algorithms {unsupported}; supported: {sorted(SUPPORTED_ALGORITHMS)}"
            )
        if cache_size < 0:
            raise ValueError("cache_size must not be negative")
        self._key_source = key_source
        self._issuer = issuer
        self._audience = audience
        self.leeway_s: int = min(max(int(leeway_s), 0), MAX_LEEWAY_S)
        self._algorithms = frozenset(algorithms)
        # The token is already taken apart and its header checked, so joserfc is asked only for
        # the signature check itself: no second parse on the hot path.
        self._signature_algorithms = {
            alg: JWSRegistry(algorithms=[alg]).get_alg(alg) for alg in algorithms
        }
        self._cache_size = cache_size
        self._cache: OrderedDict[str, VerifiedToken] = OrderedDict()
        # Authorization header -> its verified token, for headers seen again (a console polls
        # with one token): bounded lower than the cache, a header is up to 8 KiB.
        self._header_cache_size = min(cache_size, 1024)
        self._by_header: dict[str, VerifiedToken] = {}
        self._clock = clock

    async def verify(self, authorization_header: str | bytes | None) -> VerifiedToken:
        if type(authorization_header) is str:
            # The same header as a recent request: its token was taken apart, hashed and
            # checked then (the parse, the charset check and sha256 are most of a cached
            # request's cost here). Only accepted headers are kept, until exp like the cache.
            known = self._by_header.get(authorization_header)
            if known is not None:
                if self._clock() < known.exp and known.token_hash in self._cache:
                    self._cache.move_to_end(known.token_hash)  # the cache stays LRU
                    return known
                del self._by_header[authorization_header]
        token = _extract_bearer_token(authorization_header)
        token_hash = hashlib.sha256(token.encode("ascii")).hexdigest()
        cached = self._cached(token_hash)
        if cached is not None:
            verified = cached
        else:
            verified = await self._verify_uncached(token, token_hash)
            self._remember(verified)
        if (
            type(authorization_header) is str
            and self._header_cache_size > 0
            and verified.token_hash in self._cache
        ):
            if len(self._by_header) >= self._header_cache_size:
                del self._by_header[next(iter(self._by_header))]
            self._by_header[authorization_header] = verified
        return verified

    def _cached(self, token_hash: str) -> VerifiedToken | None:
        entry = self._cache.get(token_hash)
        if entry is None:
            return None
        if self._clock() >= entry.exp:
            # Past exp the token gets the full check again (leeway, then rejection).
            del self._cache[token_hash]
            return None
        self._cache.move_to_end(token_hash)
        return entry

    def _remember(self, verified: VerifiedToken) -> None:
        if self._cache_size == 0 or self._clock() >= verified.exp:
            return
        self._cache[verified.token_hash] = verified
        self._cache.move_to_end(verified.token_hash)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    async def _verify_uncached(self, token: str, token_hash: str) -> VerifiedToken:
        segments = token.split(".")
        if len(segments) != 3:
            _reject("malformed", f"token has {len(segments)} segments, expected 3")
        header_b64, payload_b64, signature_b64 = segments
        header_bytes = _decode_segment(header_b64, "header")
        payload_bytes = _decode_segment(payload_b64, "payload")
        signature = _decode_segment(signature_b64, "signature")

        header = _parse_json_object(header_bytes, "header")
        alg, kid = self._check_header(header)
        if not payload_b64:
            _reject("malformed", "token has an empty payload")
        if not signature_b64:
            _reject("malformed", "token has an empty signature")

        try:
            key_set = await self._key_source.get_keys(kid)
        except InvalidKeySet as e:
            _reject("bad_jwks", f"the configured key set is refused: {e.detail}")
        key = self._select_key(key_set, alg, kid)

        signing_input = f"{header_b64}.{payload_b64}".encode("ascii")
        self._check_signature(signing_input, signature, key, alg)
        claims = _parse_json_object(payload_bytes, "payload")
        return self._check_claims(claims, token_hash)

    def _check_header(self, header: dict[str, Any]) -> tuple[str, str | None]:
        alg = header.get("alg")
        if not isinstance(alg, str):
            _reject("malformed", 'header has no string "alg"')
        if alg.lower() == "none":
            _reject("alg_none", "unsecured tokens are never accepted")
        if alg not in self._algorithms:
            _reject("alg_not_allowed", f"alg {_shorten(alg)} is not allowed")
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            _reject("malformed", 'header "kid" is not a string')
        if "crit" in header or "b64" in header:
            _reject("malformed", "header extensions (crit, b64) are not supported")
        return alg, kid

    def _select_key(self, key_set: KeySet, alg: str, kid: str | None) -> JoseKey:
        if alg == "HS256" and not key_set.symmetric:
            # The RS/HS confusion attack: an HMAC "signed" with the public key. Only a configured
            # secret may verify HS256.
            _reject("alg_not_allowed", "HS256 is only accepted with a configured shared secret")
        key = key_set.find(kid)
        if key is None:
            if kid is None:
                _reject("unknown_kid", f"token has no kid and {len(key_set)} keys are configured")
            _reject("unknown_kid", f"no key with kid {_shorten(kid)}")
        mismatch = key_alg_problem(key, alg)
        if mismatch is not None:
            _reject("key_alg_mismatch", mismatch)
        weakness = weak_key_problem(key)
        if weakness is not None:
            _reject("weak_key", weakness)
        return key

    def _check_signature(
        self, signing_input: bytes, signature: bytes, key: JoseKey, alg: str
    ) -> None:
        algorithm = self._signature_algorithms[alg]
        try:
            # joserfc's own key check repeats key_alg_problem(); kept as a second line of defence.
            algorithm.check_key(key)
        except JoseError as e:
            _reject("key_alg_mismatch", f"key cannot verify {alg} ({type(e).__name__})")
        try:
            valid = algorithm.verify(signing_input, signature, key)
        except (JoseError, ValueError, TypeError) as e:
            _reject("bad_signature", f"{alg} signature cannot be checked ({type(e).__name__})")
        if not valid:
            _reject("bad_signature", f"{alg} signature does not verify")

    def _check_claims(self, claims: dict[str, Any], token_hash: str) -> VerifiedToken:
        exp = claims.get("exp")
        if not _is_number(exp):
            _reject("missing_claim", '"exp" is missing or not a number in range')
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub:
            _reject("missing_claim", '"sub" is missing or not a non-empty string')
        sid = claims.get("sid")
        if not isinstance(sid, str) or not sid:
            _reject("missing_claim", '"sid" is missing or not a non-empty string')

        if claims.get("iss") != self._issuer:
            _reject("bad_issuer", f'"iss" is {_shorten(claims.get("iss"))}, not the Gateway')
        if not self._audience_matches(claims.get("aud")):
            _reject("bad_audience", f'"aud" does not name {self._audience!r}')

        now = self._clock()
        if now >= exp + self.leeway_s:
            _reject("expired", f"token expired {int(now - exp)} s ago")
        for name in ("nbf", "iat"):
            if name not in claims:
                continue
            value = claims[name]
            if not _is_number(value):
                _reject("malformed", f'"{name}" is not a number in range')
            if value > now + self.leeway_s:
                _reject("not_yet_valid", f'"{name}" is {int(value - now)} s in the future')

        return VerifiedToken(
            sub=sub,
            sid=sid,
            exp=math.floor(exp),
            claims=MappingProxyType(claims),
            token_hash=token_hash,
        )

    def _audience_matches(self, aud: object) -> bool:
        if isinstance(aud, str):
            return aud == self._audience
        if isinstance(aud, list):
            return all(isinstance(item, str) for item in aud) and self._audience in aud
        return False


def _extract_bearer_token(authorization_header: str | bytes | None) -> str:
    if authorization_header is None:
        _reject("missing", "no Authorization header")
    if isinstance(authorization_header, bytes):
        # ASGI hands headers over as bytes; latin-1 maps every byte, and the charset check
        # below refuses anything outside base64url.
        authorization_header = authorization_header.decode("latin-1")
    if len(authorization_header) > _MAX_HEADER_CHARS:
        _reject("too_large", f"Authorization header exceeds {_MAX_HEADER_CHARS} characters")
    header = authorization_header.strip(" \t")
    if not header:
        _reject("missing", "empty Authorization header")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        _reject("malformed", "Authorization scheme is not Bearer")
    token = token.lstrip(" ")
    if not token:
        _reject("malformed", "Bearer credentials are empty")
    if len(token) > MAX_TOKEN_CHARS:
        _reject("too_large", f"token exceeds {MAX_TOKEN_CHARS} characters")
    if _BASE64URL_TOKEN.fullmatch(token) is None:
        _reject("non_canonical", "token holds characters outside unpadded base64url")
    return token


def _decode_segment(segment: str, name: str) -> bytes:
    # Only one encoding of each value is accepted: no padding, no stray trailing bits. A token
    # that verifies under several spellings would defeat caching by hash and replay detection.
    if len(segment) % 4 == 1:
        _reject("non_canonical", f"{name} segment has an impossible base64url length")
    padded = segment + "=" * (-len(segment) % 4)
    try:
        decoded = base64.urlsafe_b64decode(padded)
    except (binascii.Error, ValueError):  # pragma: no cover - charset and length checked above
        _reject("non_canonical", f"{name} segment is not base64url")
    if base64.urlsafe_b64encode(decoded).rstrip(b"=").decode("ascii") != segment:
        _reject("non_canonical", f"{name} segment is not canonical base64url")
    return decoded


def _reject_duplicate_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("duplicate member")
    return result


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


_STRICT_JSON: Final = json.JSONDecoder(
    object_pairs_hook=_reject_duplicate_members, parse_constant=_reject_constant
)


def _parse_json_object(data: bytes, name: str) -> dict[str, Any]:
    try:
        # Decode as UTF-8 explicitly: json.loads(bytes) would also accept UTF-16 and UTF-32.
        value = _STRICT_JSON.decode(data.decode("utf-8"))
    except (ValueError, RecursionError):
        _reject("malformed", f"{name} is not valid JSON")
    if not isinstance(value, dict):
        _reject("malformed", f"{name} is not a JSON object")
    return value


def _is_number(value: object) -> TypeGuard[int | float]:
    # Bounded so that time arithmetic can neither overflow nor meet NaN or infinity.
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and -_MAX_TIMESTAMP <= value <= _MAX_TIMESTAMP
    )


def _shorten(value: object, limit: int = 64) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "...(truncated)"
