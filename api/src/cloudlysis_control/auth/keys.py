"""Verification keys for Gateway-issued bearer tokens.

Control never mints tokens, so it only ever holds public keys or, for HS256 deployments, the shared
secret. Key material is checked once, where it enters (files at start-up, the JWKS on every fetch):
a bad key set is refused as a whole rather than partially used.

Key rules: HMAC secrets of at least 32 bytes; RSA moduli of at least 2048 bits and without the ROCA
fingerprint (CVE-2017-15361); EC keys on P-256; Ed25519.
"""

from __future__ import annotations

import asyncio
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Final, Protocol

from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from joserfc.errors import SecurityWarning
from joserfc.jwk import ECKey, JWKRegistry, KeyParameters, OctKey, OKPKey, RSAKey

from cloudlysis_control.auth.roca import has_roca_fingerprint
from cloudlysis_control.core.errors import ControlError, UpstreamError, UpstreamUnavailable
from cloudlysis_control.core.logging import get_logger

JoseKey = RSAKey | ECKey | OKPKey | OctKey

MIN_HMAC_KEY_BYTES: Final = 32
MIN_RSA_KEY_BITS: Final = 2048

# What each accepted JWS algorithm needs from a key: the joserfc key class and, for curve keys,
# the curve. Anything else is a key/algorithm mismatch.
_ALG_KEY_REQUIREMENTS: Final[dict[str, tuple[type[JoseKey], str | None]]] = {
    "RS256": (RSAKey, None),
    "ES256": (ECKey, "P-256"),
    "Ed25519": (OKPKey, "Ed25519"),
    "HS256": (OctKey, None),
}
SUPPORTED_ALGORITHMS: Final = frozenset(_ALG_KEY_REQUIREMENTS)

_JWKS_KEY_TYPES: Final = frozenset({"RSA", "EC", "OKP", "oct"})
_PRIVATE_JWK_MEMBERS: Final = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth"})
_MAX_JWKS_KEYS: Final = 100
_MAX_REPORTED_CHARS: Final = 64

_log = get_logger("control.auth.keys")


def rsa_key_problem(public_key: rsa.RSAPublicKey) -> str | None:
    """Why an RSA public key must not verify anything, or None if it may."""
    bits = public_key.key_size
    if bits < MIN_RSA_KEY_BITS:
        return f"RSA key is {bits} bits; at least {MIN_RSA_KEY_BITS} are required"
    if has_roca_fingerprint(public_key.public_numbers().n):
        return (
            "RSA key has the ROCA fingerprint (CVE-2017-15361): its private key can be "
            "computed from the public key; replace the key"
        )
    return None


class InvalidKeySet(Exception):
    """A key set that must not be used at all (duplicate kid, mixed key kinds, weak keys, ...)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def _shorten(value: object) -> str:
    """repr() of an untrusted value, cut short enough to put in a message."""
    text = repr(value)
    if len(text) > _MAX_REPORTED_CHARS:
        return text[:_MAX_REPORTED_CHARS] + "...(truncated)"
    return text


def weak_key_problem(key: JoseKey) -> str | None:
    """Why `key` is too weak to verify anything, or None if it is strong enough."""
    if isinstance(key, OctKey):
        size = len(key.raw_value)
        if size < MIN_HMAC_KEY_BYTES:
            return f"HMAC key is {size} bytes; at least {MIN_HMAC_KEY_BYTES} are required"
    elif isinstance(key, RSAKey):
        return rsa_key_problem(key.public_key)
    return None


def key_alg_problem(key: JoseKey, alg: str) -> str | None:
    """Why `key` must not verify a token signed with `alg`, or None if it may."""
    use = key.get("use")
    if use is not None and use != "sig":
        return f"key is meant for use {_shorten(use)}, not signatures"
    declared_alg = key.alg
    if declared_alg is not None and declared_alg != alg:
        return f"key is declared for {_shorten(declared_alg)}, token uses {alg}"
    requirement = _ALG_KEY_REQUIREMENTS.get(alg)
    if requirement is None:
        return f"no key can verify {alg}"
    key_class, curve = requirement
    if not isinstance(key, key_class):
        return f"{alg} needs a {key_class.key_type} key, the key is {key.key_type}"
    if curve is not None and isinstance(key, ECKey | OKPKey) and key.curve_name != curve:
        return f"{alg} needs curve {curve}, the key uses {key.curve_name}"
    return None


class KeySet:
    """An immutable set of verification keys: all symmetric or all asymmetric, kids unique."""

    __slots__ = ("_by_kid", "_keys", "symmetric")

    def __init__(self, keys: Iterable[JoseKey]) -> None:
        key_tuple = tuple(keys)
        if not key_tuple:
            raise InvalidKeySet("key set is empty")
        kinds = {isinstance(key, OctKey) for key in key_tuple}
        if len(kinds) > 1:
            # A set that holds both lets an attacker pick which kind of verification happens.
            raise InvalidKeySet("key set mixes symmetric (oct) and asymmetric keys")
        by_kid: dict[str, JoseKey] = {}
        for key in key_tuple:
            kid = key.kid
            if kid is None:
                continue
            if kid in by_kid:
                raise InvalidKeySet(f"key set holds kid {_shorten(kid)} more than once")
            by_kid[kid] = key
        self._keys = key_tuple
        self._by_kid = by_kid
        self.symmetric: bool = kinds == {True}

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self) -> Iterator[JoseKey]:
        return iter(self._keys)

    def __contains__(self, kid: object) -> bool:
        return kid in self._by_kid

    def find(self, kid: str | None) -> JoseKey | None:
        """The key for a token's `kid`.

        A kid names exactly one key. A single key configured without a kid (a static PEM or
        secret) verifies every token, whatever kid it carries. Otherwise there is no key.
        """
        only_key = self._keys[0] if len(self._keys) == 1 else None
        if kid is None:
            return only_key
        found = self._by_kid.get(kid)
        if found is None and only_key is not None and only_key.kid is None:
            return only_key
        return found


def parse_jwks(document: Mapping[str, Any]) -> KeySet:
    """Build a KeySet from a JWKS document, refusing the whole document if any key is unusable."""
    if not isinstance(document, Mapping):
        raise InvalidKeySet("JWKS is not a JSON object")
    raw_keys = document.get("keys")
    if not isinstance(raw_keys, list):
        raise InvalidKeySet('JWKS has no "keys" array')
    if len(raw_keys) > _MAX_JWKS_KEYS:
        raise InvalidKeySet(f"JWKS holds {len(raw_keys)} keys; at most {_MAX_JWKS_KEYS} accepted")
    keys = [_parse_jwk(index, raw) for index, raw in enumerate(raw_keys)]
    return KeySet(keys)


def _parse_jwk(index: int, raw: object) -> JoseKey:
    if not isinstance(raw, dict):
        raise InvalidKeySet(f"JWKS key #{index} is not an object")
    kty = raw.get("kty")
    if kty not in _JWKS_KEY_TYPES:
        raise InvalidKeySet(f"JWKS key #{index} has unsupported kty {_shorten(kty)}")
    if kty != "oct" and _PRIVATE_JWK_MEMBERS.intersection(raw):
        raise InvalidKeySet(f"JWKS key #{index} contains private key material")
    for member in ("kid", "alg", "use"):
        if member in raw and not isinstance(raw[member], str):
            raise InvalidKeySet(f'JWKS key #{index} has a non-string "{member}"')
    try:
        with warnings.catch_warnings():
            # joserfc only warns about weak keys; they are refused below.
            warnings.simplefilter("ignore", SecurityWarning)
            key = JWKRegistry.import_key(raw, key_type=kty)
    except Exception as e:  # joserfc raises a variety of errors on hostile input
        raise InvalidKeySet(f"JWKS key #{index} cannot be imported ({type(e).__name__})") from e
    if not isinstance(key, RSAKey | ECKey | OKPKey | OctKey):  # pragma: no cover - defensive
        raise InvalidKeySet(f"JWKS key #{index} has an unsupported type")
    problem = weak_key_problem(key)
    if problem is not None:
        raise InvalidKeySet(f"JWKS key #{index}: {problem}")
    return key


def _kid_parameters(kid: str | None) -> KeyParameters | None:
    return KeyParameters(kid=kid) if kid is not None else None


class KeySource(Protocol):
    """Where the verifier gets keys from. `kid` is the token's; a source may refresh on a miss.

    Raises InvalidKeySet when the configured keys must not be used, and UpstreamError subclasses
    when it cannot reach where the keys live.
    """

    async def get_keys(self, kid: str | None) -> KeySet: ...


class StaticKeySource:
    """Keys fixed at start-up. Build it with a `from_*` factory, which validates the material."""

    def __init__(self, key_set: KeySet) -> None:
        self._key_set = key_set

    async def get_keys(self, kid: str | None) -> KeySet:
        return self._key_set

    @classmethod
    def from_hs256_secret(cls, secret: bytes, *, kid: str | None = None) -> StaticKeySource:
        if len(secret) < MIN_HMAC_KEY_BYTES:
            raise ValueError(
                f"HS256 secret is {len(secret)} bytes; at least {MIN_HMAC_KEY_BYTES} are required"
            )
        parameters = _kid_parameters(kid)
        return cls(KeySet([OctKey.import_key(secret, parameters)]))

    @classmethod
    def from_hs256_secret_file(cls, path: str | Path, *, kid: str | None = None) -> StaticKeySource:
        """Raw secret bytes; one trailing newline (LF or CRLF) is not part of the secret."""
        secret = Path(path).read_bytes()
        if secret.endswith(b"\r\n"):
            secret = secret[:-2]
        elif secret.endswith(b"\n"):
            secret = secret[:-1]
        try:
            return cls.from_hs256_secret(secret, kid=kid)
        except ValueError as e:
            raise ValueError(f"{path}: {e}") from None

    @classmethod
    def from_pem_file(cls, path: str | Path, *, kid: str | None = None) -> StaticKeySource:
        """A PEM public key: RSA (>= 2048 bits, no ROCA fingerprint), EC P-256 or Ed25519."""
        pem = Path(path).read_bytes()
        if b"PRIVATE KEY" in pem:
            raise ValueError(f"{path}: holds a private key; Control needs only the public key")
        try:
            public_key = load_pem_public_key(pem)
        except ValueError as e:
            raise ValueError(f"{path}: not a PEM public key ({e})") from None
        parameters = _kid_parameters(kid)
        key: JoseKey
        if isinstance(public_key, rsa.RSAPublicKey):
            problem = rsa_key_problem(public_key)
            if problem is not None:
                raise ValueError(f"{path}: {problem}")
            key = RSAKey.import_key(pem, parameters)
        elif isinstance(public_key, ec.EllipticCurvePublicKey):
            if not isinstance(public_key.curve, ec.SECP256R1):
                raise ValueError(f"{path}: EC key uses {public_key.curve.name}; only P-256 is used")
            key = ECKey.import_key(pem, parameters)
        elif isinstance(public_key, ed25519.Ed25519PublicKey):
            key = OKPKey.import_key(pem, parameters)
        else:
            raise ValueError(f"{path}: unsupported key type {type(public_key).__name__}")
        return cls(KeySet([key]))


class JwksFetcher(Protocol):
    """Fetches a JWKS document. Raises UpstreamUnavailable / UpstreamTimeout on failure."""

    async def fetch_jwks(self, url: str) -> Mapping[str, Any]: ...


class JwksKeySource:
    """Keys from the Gateway's JWKS endpoint.

    The set is fetched on first use and again when it is older than `max_age_s` or a token names
    a kid it does not hold (key rotation). Fetches are rate-limited to one per
    `min_refresh_interval_s`, so tokens with made-up kids cannot hammer the Gateway, and
    concurrent callers share one in-flight fetch. A bad document replaces the set: every token is
    refused until a good one is fetched (fail closed). An unreachable endpoint keeps a set that is
    still within `max_age_s`; past it, callers get the upstream error.
    """

    def __init__(
        self,
        fetcher: JwksFetcher,
        url: str,
        *,
        min_refresh_interval_s: float = 30.0,
        max_age_s: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if min_refresh_interval_s < 0:
            raise ValueError("min_refresh_interval_s must not be negative")
        if max_age_s <= 0 or max_age_s < min_refresh_interval_s:
            raise ValueError("max_age_s must be positive and at least min_refresh_interval_s")
        self._fetcher = fetcher
        self._url = url
        self._min_refresh_interval_s = min_refresh_interval_s
        self._max_age_s = max_age_s
        self._clock = clock
        self._key_set: KeySet | None = None
        self._fetched_at: float | None = None
        self._last_attempt_at: float | None = None
        self._set_error: InvalidKeySet | None = None
        self._fetch_error: UpstreamError | None = None
        self._inflight: asyncio.Task[None] | None = None

    async def get_keys(self, kid: str | None) -> KeySet:
        now = self._clock()
        if self._wants_refresh(kid, now):
            if self._inflight is not None:
                await asyncio.shield(self._inflight)
            elif self._may_fetch(now):
                self._last_attempt_at = now
                self._inflight = asyncio.get_running_loop().create_task(self._refresh())
                self._inflight.add_done_callback(_consume_task_exception)
                await asyncio.shield(self._inflight)
        return self._current(kid, self._clock())

    def _wants_refresh(self, kid: str | None, now: float) -> bool:
        if self._key_set is None or self._fetched_at is None:
            return True
        if now - self._fetched_at >= self._max_age_s:
            return True
        return kid is not None and kid not in self._key_set

    def _may_fetch(self, now: float) -> bool:
        return (
            self._last_attempt_at is None
            or now - self._last_attempt_at >= self._min_refresh_interval_s
        )

    async def _refresh(self) -> None:
        try:
            document = await self._fetcher.fetch_jwks(self._url)
            key_set = parse_jwks(document)
        except InvalidKeySet as e:
            # Fail closed: no token verifies until the Gateway publishes a usable set.
            _log.warning("jwks refused", jwks_url=self._url, problem=e.detail)
            self._key_set, self._fetched_at = None, None
            self._set_error, self._fetch_error = e, None
        except UpstreamError as e:
            self._fetch_error = e
        else:
            self._key_set, self._fetched_at = key_set, self._clock()
            self._set_error, self._fetch_error = None, None
        finally:
            self._inflight = None

    def _current(self, kid: str | None, now: float) -> KeySet:
        if self._set_error is not None:
            raise InvalidKeySet(self._set_error.detail) from self._set_error
        key_set = self._key_set
        fresh = self._fetched_at is not None and now - self._fetched_at < self._max_age_s
        # After a failed refetch, a kid the fresh set lacks might be in the set we could not
        # fetch: that is an upstream failure, not an unknown kid.
        if (
            key_set is not None
            and fresh
            and (self._fetch_error is None or kid is None or kid in key_set)
        ):
            return key_set
        if self._fetch_error is not None:
            # A fresh exception each time: re-raising one instance would grow its traceback.
            raise _copy_upstream_error(self._fetch_error) from self._fetch_error
        raise UpstreamUnavailable("JWKS has not been loaded", upstream="jwks")


def _copy_upstream_error(error: UpstreamError) -> ControlError:
    return type(error)(error.detail, **error.extra)


def _consume_task_exception(task: asyncio.Task[None]) -> None:
    # The fetch is shielded; if every waiter was cancelled nobody else reads its outcome.
    if not task.cancelled():
        task.exception()
