"""Keys, signed tokens and verifiers for the token-verification tests (no server)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import warnings
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc import jwt
from joserfc.jwk import ECKey, OKPKey, RSAKey

from cloudlysis_control.auth.keys import JoseKey, KeySet, StaticKeySource
from cloudlysis_control.auth.tokens import TokenRejected, TokenVerifier
from tests.support.clock import FakeClock as _Clock

ISSUER = "https://gateway.test"
AUDIENCE = "cloudlysis-control"
NOW = 1_800_000_000.0
SECRET_32 = b"0123456789abcdef0123456789abcdef"
SECRET_16 = b"0123456789abcdef"


# --- keys and tokens ----------------------------------------------------------------------------


def _rsa_key(bits: int) -> RSAKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # joserfc warns about the deliberately weak 1024-bit key
        return RSAKey.import_key(pem)


@cache
def rsa_2048() -> RSAKey:
    return _rsa_key(2048)


@cache
def rsa_2048_other() -> RSAKey:
    return _rsa_key(2048)


@cache
def rsa_1024() -> RSAKey:
    return _rsa_key(1024)


@cache
def ec_p256() -> ECKey:
    return ECKey.generate_key("P-256")


@cache
def ed25519_key() -> OKPKey:
    return OKPKey.generate_key("Ed25519")


def public(key: JoseKey, **members: str) -> JoseKey:
    """The public half of `key` with extra JWK members (kid, alg, use)."""
    data = {**key.as_dict(private=False), **members}
    return type(key).import_key(data)


def public_jwk(key: JoseKey, **members: str) -> dict[str, Any]:
    return {**key.as_dict(private=False), **members}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64json(value: object) -> str:
    return b64url(json.dumps(value).encode())


def claims(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "user-1",
        "sid": "session-1",
        "iat": NOW - 10,
        "exp": NOW + 300,
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not DROP}


DROP = object()


def sign(
    key: JoseKey,
    alg: str,
    payload: Mapping[str, Any] | None = None,
    *,
    kid: str | None = None,
    **header: Any,
) -> str:
    full_header: dict[str, Any] = {"alg": alg, **header}
    if kid is not None:
        full_header["kid"] = kid
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # short HMAC / RSA keys are signed with on purpose
        return jwt.encode(
            full_header, dict(payload if payload is not None else claims()), key, algorithms=[alg]
        )


def hs256_raw(secret: bytes, header: Mapping[str, Any], payload_segment: str) -> str:
    """An HS256 token over arbitrary header/payload bytes, signed with a real HMAC."""

    signing_input = f"{b64json(header)}.{payload_segment}"
    mac = hmac.new(secret, signing_input.encode("ascii"), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(mac)}"


class FakeClock(_Clock):
    """Starts at NOW, the time the test tokens are issued around."""

    def __init__(self, now: float = NOW) -> None:
        super().__init__(now)


class CountingKeySource:
    """Wraps a key source and counts how often the verifier asked it."""

    def __init__(self, inner: StaticKeySource) -> None:
        self.inner = inner
        self.calls = 0

    async def get_keys(self, kid: str | None) -> KeySet:
        self.calls += 1
        return await self.inner.get_keys(kid)


def verifier_for(
    key_source: Any,
    *,
    clock: FakeClock | None = None,
    leeway_s: int = 30,
    algorithms: Sequence[str] = ("RS256", "ES256", "Ed25519", "HS256"),
    cache_size: int = 10_000,
) -> TokenVerifier:
    return TokenVerifier(
        key_source=key_source,
        issuer=ISSUER,
        audience=AUDIENCE,
        leeway_s=leeway_s,
        algorithms=algorithms,
        cache_size=cache_size,
        clock=clock or FakeClock(),
    )


def hs_verifier(**kwargs: Any) -> TokenVerifier:
    return verifier_for(StaticKeySource.from_hs256_secret(SECRET_32), **kwargs)


def static_source(key: JoseKey) -> StaticKeySource:
    return StaticKeySource(KeySet([key]))


async def expect_rejected(verifier: TokenVerifier, header: str | None, reason: str) -> None:
    with pytest.raises(TokenRejected) as info:
        await verifier.verify(header)
    assert info.value.reason == reason, info.value.detail
    if header:
        token = header.partition(" ")[2].strip()
        # The token never leaks into messages; its signature part is the sensitive bit.
        for part in {token, *(p for p in token.split(".") if len(p) > 20)}:
            if part:
                assert part not in info.value.detail
                assert part not in str(info.value)


class FakeFetcher:
    """An in-memory JWKS endpoint. `gate` holds fetches open to make callers overlap."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document: Mapping[str, Any] = document
        self.fetches = 0
        self.error: Exception | None = None
        self.gate: asyncio.Event | None = None

    async def fetch_jwks(self, url: str) -> Mapping[str, Any]:
        self.fetches += 1
        if self.gate is not None:
            await self.gate.wait()
        if self.error is not None:
            raise self.error
        return self.document
