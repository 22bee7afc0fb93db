"""Bearer token verification: every rejection reason, key sources, leeway, cache, JWKS rotation."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import warnings
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from joserfc.jwk import ECKey, OctKey

from cloudlysis_control.auth.keys import (
    InvalidKeySet,
    JwksKeySource,
    KeySet,
    StaticKeySource,
    key_alg_problem,
    parse_jwks,
)
from cloudlysis_control.auth.tokens import (
    MAX_TOKEN_CHARS,
    TokenRejected,
    TokenVerifier,
    VerifiedToken,
)
from cloudlysis_control.core.errors import UpstreamTimeout, UpstreamUnavailable
from tests.support.tokens import (
    AUDIENCE,
    DROP,
    ISSUER,
    NOW,
    SECRET_16,
    SECRET_32,
    CountingKeySource,
    FakeClock,
    FakeFetcher,
    b64json,
    b64url,
    claims,
    ec_p256,
    ed25519_key,
    expect_rejected,
    hs256_raw,
    hs_verifier,
    public,
    public_jwk,
    rsa_1024,
    rsa_2048,
    rsa_2048_other,
    sign,
    static_source,
    verifier_for,
)

# --- accepted tokens ----------------------------------------------------------------------------

ASYMMETRIC_CASES = [
    pytest.param(rsa_2048, "RS256", id="RS256"),
    pytest.param(ec_p256, "ES256", id="ES256"),
    pytest.param(ed25519_key, "Ed25519", id="Ed25519"),
]


@pytest.mark.parametrize(("make_key", "alg"), ASYMMETRIC_CASES)
async def test_asymmetric_tokens_verify(make_key: Any, alg: str) -> None:
    key = make_key()
    token = sign(key, alg, kid="k1")
    verifier = verifier_for(static_source(public(key, kid="k1")))

    verified = await verifier.verify(f"Bearer {token}")

    assert verified == VerifiedToken(
        sub="user-1",
        sid="session-1",
        exp=int(NOW + 300),
        claims=verified.claims,
        token_hash=hashlib.sha256(token.encode()).hexdigest(),
    )
    assert verified.claims["iss"] == ISSUER


async def test_hs256_token_verifies_with_configured_secret() -> None:
    token = sign(OctKey.import_key(SECRET_32), "HS256")
    verified = await hs_verifier().verify(f"Bearer {token}")
    assert (verified.sub, verified.sid) == ("user-1", "session-1")


async def test_scheme_is_case_insensitive_and_bytes_headers_are_accepted() -> None:
    token = sign(OctKey.import_key(SECRET_32), "HS256")
    verifier = hs_verifier()
    assert (await verifier.verify(f"bearer {token}")).sub == "user-1"
    assert (await verifier.verify(f"BEARER  {token}\t".encode())).sub == "user-1"


async def test_audience_list_containing_ours_is_accepted() -> None:
    token = sign(OctKey.import_key(SECRET_32), "HS256", claims(aud=["other", AUDIENCE]))
    assert (await hs_verifier().verify(f"Bearer {token}")).sub == "user-1"


# --- missing / malformed / too_large / non_canonical --------------------------------------------


@pytest.mark.parametrize("header", [None, "", "   ", "\t"])
async def test_missing(header: str | None) -> None:
    await expect_rejected(hs_verifier(), header, "missing")


def _malformed_headers() -> list[Any]:
    good = sign(OctKey.import_key(SECRET_32), "HS256")
    h, p, s = good.split(".")
    duplicate_alg = b64url(b'{"alg":"HS256","alg":"HS256"}')
    not_utf8 = b64url(b"\xff\xfe")
    nan_payload = b64url(b'{"exp": NaN}')
    return [
        pytest.param(f"Basic {good}", id="wrong-scheme"),
        pytest.param("Bearer", id="scheme-only"),
        pytest.param("Bearer    ", id="empty-credentials"),
        pytest.param(f"Bearer{good}", id="no-space"),
        pytest.param(f"Bearer {h}.{p}", id="two-segments"),
        pytest.param(f"Bearer {good}.{s}", id="four-segments"),
        pytest.param(f"Bearer {b64url(b'not json')}.{p}.{s}", id="header-not-json"),
        pytest.param(f"Bearer {b64json(['alg', 'HS256'])}.{p}.{s}", id="header-not-object"),
        pytest.param(f"Bearer {b64json({'typ': 'JWT'})}.{p}.{s}", id="no-alg"),
        pytest.param(f"Bearer {b64json({'alg': 7})}.{p}.{s}", id="alg-not-string"),
        pytest.param(f"Bearer {duplicate_alg}.{p}.{s}", id="duplicate-header-member"),
        pytest.param(f"Bearer {not_utf8}.{p}.{s}", id="header-not-utf8"),
        pytest.param(f"Bearer {h}..{s}", id="empty-payload"),
        pytest.param(f"Bearer {h}.{p}.", id="empty-signature"),
        pytest.param("Bearer ..", id="all-empty"),
        pytest.param(
            f"Bearer {hs256_raw(SECRET_32, {'alg': 'HS256', 'kid': 5}, p)}", id="kid-not-string"
        ),
        pytest.param(
            f"Bearer {hs256_raw(SECRET_32, {'alg': 'HS256', 'crit': ['exp'], 'exp': 1}, p)}",
            id="crit-header",
        ),
        pytest.param(
            f"Bearer {hs256_raw(SECRET_32, {'alg': 'HS256'}, b64json([1, 2]))}",
            id="payload-not-object",
        ),
        pytest.param(
            f"Bearer {hs256_raw(SECRET_32, {'alg': 'HS256'}, nan_payload)}",
            id="payload-nan",
        ),
        pytest.param(
            f"Bearer {hs256_raw(SECRET_32, {'alg': 'HS256'}, b64json(claims(nbf='soon')))}",
            id="nbf-not-number",
        ),
        pytest.param(
            f"Bearer {hs256_raw(SECRET_32, {'alg': 'HS256'}, b64json(claims(iat=[1])))}",
            id="iat-not-number",
        ),
    ]


@pytest.mark.parametrize("header", _malformed_headers())
async def test_malformed(header: str) -> None:
    await expect_rejected(hs_verifier(), header, "malformed")


async def test_too_large_is_checked_before_parsing() -> None:
    verifier = hs_verifier()
    # Garbage that would be non_canonical or malformed if it were parsed at all.
    await expect_rejected(verifier, "Bearer " + "!" * (MAX_TOKEN_CHARS + 1), "too_large")
    await expect_rejected(verifier, "Bearer " + "a" * (MAX_TOKEN_CHARS + 1), "too_large")
    await expect_rejected(verifier, "Bearer " + "a" * 100_000, "too_large")
    big = sign(OctKey.import_key(SECRET_32), "HS256", claims(pad="x" * MAX_TOKEN_CHARS))
    await expect_rejected(verifier, f"Bearer {big}", "too_large")
    # At the limit it is parsed (and then fails for what it is: one segment).
    await expect_rejected(verifier, "Bearer " + "a" * MAX_TOKEN_CHARS, "malformed")


def _non_canonical_headers() -> list[Any]:
    good = sign(OctKey.import_key(SECRET_32), "HS256")
    h, p, s = good.split(".")
    # An HS256 signature is 32 bytes: 43 characters whose last one carries 2 unused bits.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(s[-1])
    assert last % 4 == 0  # the two unused low bits of a canonical encoding are zero
    trailing_bits = s[:-1] + alphabet[last | 1]
    return [
        pytest.param(f"Bearer {h}.{p}.{s}=", id="padding"),
        pytest.param(f"Bearer {h}=.{p}.{s}", id="padding-in-header"),
        pytest.param(f"Bearer {h}.{p[:10]} {p[10:]}.{s}", id="space-inside"),
        pytest.param(f"Bearer {h}.{p}\t.{s}", id="tab-inside"),
        pytest.param(f"Bearer {h}.{p}.\n{s}", id="newline-inside"),
        pytest.param(f"Bearer {h}.{p}.{s[:-1]}+", id="plus"),
        pytest.param(f"Bearer {h}.{p}.{s[:-1]}/", id="slash"),
        pytest.param(f"Bearer {h}.{p}.{s[:-1]}é", id="non-ascii"),
        pytest.param(f"Bearer {h}.{p}.{trailing_bits}", id="trailing-bits-set"),
        pytest.param(f"Bearer {h}.{p}.{s}AA", id="impossible-length"),
        pytest.param(f"Bearer {h}.{p}.{s}\x00", id="nul"),
    ]


@pytest.mark.parametrize("header", _non_canonical_headers())
async def test_non_canonical(header: str) -> None:
    await expect_rejected(hs_verifier(), header, "non_canonical")


# --- alg --------------------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
@pytest.mark.parametrize("signature", ["", "c2lnbmF0dXJl"])
async def test_alg_none_in_any_casing(alg: str, signature: str) -> None:
    token = f"{b64json({'alg': alg, 'typ': 'JWT'})}.{b64json(claims())}.{signature}"
    await expect_rejected(hs_verifier(), f"Bearer {token}", "alg_none")


@pytest.mark.parametrize("alg", ["HS512", "RS384", "PS256", "EdDSA", "hs256", ""])
async def test_alg_outside_allow_list(alg: str) -> None:
    token = hs256_raw(SECRET_32, {"alg": alg}, b64json(claims()))
    await expect_rejected(hs_verifier(), f"Bearer {token}", "alg_not_allowed")


async def test_alg_not_in_configured_allow_list() -> None:
    key = ec_p256()
    verifier = verifier_for(static_source(public(key)), algorithms=("RS256",))
    await expect_rejected(verifier, f"Bearer {sign(key, 'ES256')}", "alg_not_allowed")


async def test_hs256_signed_with_the_public_key_is_rejected(tmp_path: Path) -> None:
    """The classic RS/HS confusion: the attacker HMACs with the (public) RSA key."""
    key = rsa_2048()
    pem = key.as_pem(private=False)
    pem_file = tmp_path / "gateway.pem"
    pem_file.write_bytes(pem)
    verifier = verifier_for(StaticKeySource.from_pem_file(pem_file))
    for secret in (pem, pem.strip()):
        forged = hs256_raw(secret, {"alg": "HS256", "typ": "JWT"}, b64json(claims()))
        await expect_rejected(verifier, f"Bearer {forged}", "alg_not_allowed")
    # The same verifier does accept a genuine RS256 token: the refusal is about the alg.
    assert (await verifier.verify(f"Bearer {sign(key, 'RS256')}")).sub == "user-1"


async def test_hs256_rejected_with_jwks_of_asymmetric_keys() -> None:
    fetcher = FakeFetcher({"keys": [public_jwk(ed25519_key(), kid="k1")]})
    verifier = verifier_for(JwksKeySource(fetcher, "https://gw/jwks", clock=FakeClock()))
    forged = hs256_raw(b"x" * 32, {"alg": "HS256", "kid": "k1"}, b64json(claims()))
    await expect_rejected(verifier, f"Bearer {forged}", "alg_not_allowed")


# --- keys -------------------------------------------------------------------------------------


def _key_alg_mismatch_cases() -> list[Any]:
    return [
        pytest.param(
            [public_jwk(rsa_2048(), kid="k1", alg="RS384")], rsa_2048, "RS256", id="jwk-alg-differs"
        ),
        pytest.param(
            [public_jwk(ed25519_key(), kid="k1", alg="EdDSA")],
            ed25519_key,
            "Ed25519",
            id="jwk-alg-EdDSA-vs-Ed25519",
        ),
        pytest.param(
            [public_jwk(rsa_2048(), kid="k1", use="enc")], rsa_2048, "RS256", id="jwk-use-enc"
        ),
        pytest.param([public_jwk(rsa_2048(), kid="k1")], ec_p256, "ES256", id="EC-alg-RSA-key"),
        pytest.param(
            [public_jwk(ec_p256(), kid="k1")], ed25519_key, "Ed25519", id="Ed25519-alg-EC-key"
        ),
        pytest.param(
            [public_jwk(ECKey.generate_key("P-384"), kid="k1")],
            ec_p256,
            "ES256",
            id="ES256-alg-P384-key",
        ),
    ]


@pytest.mark.parametrize(("jwks_keys", "make_signing_key", "alg"), _key_alg_mismatch_cases())
async def test_key_alg_mismatch(jwks_keys: list[Any], make_signing_key: Any, alg: str) -> None:
    verifier = verifier_for(
        JwksKeySource(FakeFetcher({"keys": jwks_keys}), "https://gw/jwks", clock=FakeClock())
    )
    token = sign(make_signing_key(), alg, kid="k1")
    await expect_rejected(verifier, f"Bearer {token}", "key_alg_mismatch")


@pytest.mark.parametrize(("jwks_keys", "make_signing_key", "alg"), _key_alg_mismatch_cases())
def test_key_alg_problem_is_found_before_joserfc_is_asked(
    jwks_keys: list[Any], make_signing_key: Any, alg: str
) -> None:
    # joserfc's own check_key is a second line of defence; this one must stand on its own.
    key = parse_jwks({"keys": jwks_keys}).find("k1")
    assert key is not None
    assert key_alg_problem(key, alg) is not None


@pytest.mark.parametrize(("make_key", "alg"), ASYMMETRIC_CASES)
def test_key_alg_problem_accepts_matching_keys(make_key: Any, alg: str) -> None:
    assert key_alg_problem(public(make_key(), alg=alg, use="sig"), alg) is None


async def test_key_alg_mismatch_asymmetric_alg_with_configured_secret() -> None:
    token = sign(rsa_2048(), "RS256")
    await expect_rejected(hs_verifier(), f"Bearer {token}", "key_alg_mismatch")


@pytest.mark.parametrize(
    ("make_key", "alg"),
    [
        pytest.param(rsa_1024, "RS256", id="RSA-1024"),
        pytest.param(lambda: OctKey.import_key(SECRET_16), "HS256", id="HMAC-16-bytes"),
    ],
)
async def test_weak_key(make_key: Any, alg: str) -> None:
    key = make_key()
    signing_key = key
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # joserfc warns about the weak key; the verifier refuses it
        verify_key = key if alg == "HS256" else public(key)
    verifier = verifier_for(static_source(verify_key))
    await expect_rejected(verifier, f"Bearer {sign(signing_key, alg)}", "weak_key")


def _bad_jwks_documents() -> list[Any]:
    return [
        pytest.param(
            {"keys": [public_jwk(rsa_2048(), kid="k1"), public_jwk(rsa_2048_other(), kid="k1")]},
            id="duplicate-kid",
        ),
        pytest.param(
            {"keys": [public_jwk(rsa_2048(), kid="k1"), {"kty": "oct", "k": b64url(SECRET_32)}]},
            id="mixed-symmetric-asymmetric",
        ),
        pytest.param(
            {"keys": [public_jwk(rsa_2048(), kid="k1"), public_jwk(rsa_1024(), kid="weak")]},
            id="weak-rsa",
        ),
        pytest.param(
            {"keys": [{"kty": "oct", "k": b64url(SECRET_16), "kid": "k1"}]}, id="weak-hmac"
        ),
        pytest.param({"keys": [rsa_2048().as_dict(private=True, kid="k1")]}, id="private-key"),
        pytest.param({"keys": []}, id="empty"),
        pytest.param({"keys": "nope"}, id="keys-not-array"),
        pytest.param({}, id="no-keys"),
        pytest.param({"keys": [{"kty": "RSA", "kid": "k1", "n": "AQAB"}]}, id="broken-rsa"),
        pytest.param({"keys": [{"kty": "XYZ", "kid": "k1"}]}, id="unknown-kty"),
        pytest.param({"keys": [{**public_jwk(rsa_2048()), "kid": 1}]}, id="kid-not-string"),
        pytest.param({"keys": ["k1"]}, id="key-not-object"),
    ]


@pytest.mark.parametrize("document", _bad_jwks_documents())
async def test_bad_jwks(document: dict[str, Any]) -> None:
    fetcher = FakeFetcher(document)
    verifier = verifier_for(JwksKeySource(fetcher, "https://gw/jwks", clock=FakeClock()))
    await expect_rejected(verifier, f"Bearer {sign(rsa_2048(), 'RS256', kid='k1')}", "bad_jwks")


async def test_bad_jwks_replaces_a_good_set_fail_closed() -> None:
    clock = FakeClock()
    good = {"keys": [public_jwk(rsa_2048(), kid="k1")]}
    fetcher = FakeFetcher(good)
    verifier = verifier_for(
        JwksKeySource(fetcher, "https://gw/jwks", max_age_s=60, clock=clock),
        clock=clock,
        cache_size=0,
    )
    token = sign(rsa_2048(), "RS256", kid="k1")
    assert (await verifier.verify(f"Bearer {token}")).sub == "user-1"

    fetcher.document = {
        "keys": [public_jwk(rsa_2048(), kid="k1"), public_jwk(rsa_2048(), kid="k1")]
    }
    clock.now += 61
    await expect_rejected(verifier, f"Bearer {token}", "bad_jwks")

    fetcher.document = good
    clock.now += 31
    assert (await verifier.verify(f"Bearer {token}")).sub == "user-1"


@pytest.mark.parametrize(
    ("jwks_kids", "token_kid"),
    [
        pytest.param(["k1"], "k2", id="kid-not-in-set"),
        pytest.param(["k1", "k2"], None, id="no-kid-several-keys"),
    ],
)
async def test_unknown_kid(jwks_kids: list[str], token_kid: str | None) -> None:
    keys = [public_jwk(rsa_2048(), kid=kid) for kid in jwks_kids[:1]] + [
        public_jwk(rsa_2048_other(), kid=kid) for kid in jwks_kids[1:]
    ]
    verifier = verifier_for(JwksKeySource(FakeFetcher({"keys": keys}), "u", clock=FakeClock()))
    token = sign(rsa_2048(), "RS256", kid=token_kid)
    await expect_rejected(verifier, f"Bearer {token}", "unknown_kid")


async def test_unknown_kid_with_static_key_that_has_a_kid() -> None:
    verifier = verifier_for(StaticKeySource.from_hs256_secret(SECRET_32, kid="k1"))
    token = sign(OctKey.import_key(SECRET_32), "HS256", kid="k2")
    await expect_rejected(verifier, f"Bearer {token}", "unknown_kid")


async def test_static_key_without_kid_accepts_tokens_with_any_or_no_kid() -> None:
    verifier = hs_verifier()
    for kid in (None, "anything"):
        token = sign(OctKey.import_key(SECRET_32), "HS256", kid=kid)
        assert (await verifier.verify(f"Bearer {token}")).sub == "user-1"


# --- signature and claims -----------------------------------------------------------------------


@pytest.mark.parametrize(("make_key", "alg"), ASYMMETRIC_CASES)
async def test_bad_signature_other_key(make_key: Any, alg: str) -> None:
    other = {"RS256": rsa_2048_other}.get(alg)
    signer = other() if other else type(make_key()).generate_key(make_key().curve_name)
    verifier = verifier_for(static_source(public(make_key())))
    await expect_rejected(verifier, f"Bearer {sign(signer, alg)}", "bad_signature")


async def test_bad_signature_tampered_payload_and_other_secret() -> None:
    verifier = hs_verifier()
    h, _, s = sign(OctKey.import_key(SECRET_32), "HS256").split(".")
    tampered = f"{h}.{b64json(claims(sub='admin'))}.{s}"
    await expect_rejected(verifier, f"Bearer {tampered}", "bad_signature")
    other = sign(OctKey.import_key(b"another secret of 32 bytes......"), "HS256")
    await expect_rejected(verifier, f"Bearer {other}", "bad_signature")


async def _hs(payload: dict[str, Any], verifier: TokenVerifier) -> VerifiedToken:
    return await verifier.verify(f"Bearer {sign(OctKey.import_key(SECRET_32), 'HS256', payload)}")


@pytest.mark.parametrize(
    ("exp_offset", "leeway_s", "accepted"),
    [
        pytest.param(-20, 30, True, id="20s-ago-within-leeway"),
        pytest.param(-29, 30, True, id="29s-ago-within-leeway"),
        pytest.param(-30, 30, False, id="exactly-leeway-ago"),
        pytest.param(-40, 30, False, id="40s-ago"),
        pytest.param(-40, 120, False, id="leeway-120-clamped-to-30"),
        pytest.param(-20, 0, False, id="no-leeway"),
        pytest.param(-1, 0, False, id="no-leeway-1s"),
    ],
)
async def test_expiry_and_leeway(exp_offset: int, leeway_s: int, accepted: bool) -> None:
    verifier = hs_verifier(leeway_s=leeway_s)
    payload = claims(exp=NOW + exp_offset, iat=NOW - 100)
    if accepted:
        assert (await _hs(payload, verifier)).exp == int(NOW + exp_offset)
    else:
        with pytest.raises(TokenRejected) as info:
            await _hs(payload, verifier)
        assert info.value.reason == "expired"


def test_leeway_is_clamped() -> None:
    assert hs_verifier(leeway_s=120).leeway_s == 30
    assert hs_verifier(leeway_s=-5).leeway_s == 0


@pytest.mark.parametrize(
    ("payload", "accepted"),
    [
        pytest.param(claims(nbf=NOW + 20), True, id="nbf-20s-ahead"),
        pytest.param(claims(nbf=NOW + 40), False, id="nbf-40s-ahead"),
        pytest.param(claims(iat=NOW + 20), True, id="iat-20s-ahead"),
        pytest.param(claims(iat=NOW + 40), False, id="iat-40s-ahead"),
        pytest.param(claims(nbf=NOW - 5, iat=DROP), True, id="nbf-past-no-iat"),
    ],
)
async def test_not_yet_valid(payload: dict[str, Any], accepted: bool) -> None:
    verifier = hs_verifier()
    if accepted:
        assert (await _hs(payload, verifier)).sub == "user-1"
    else:
        with pytest.raises(TokenRejected) as info:
            await _hs(payload, verifier)
        assert info.value.reason == "not_yet_valid"


@pytest.mark.parametrize(
    "iss",
    [DROP, "https://evil.test", "", None, [ISSUER], ISSUER + "/"],
    ids=["missing", "other", "empty", "null", "list", "trailing-slash"],
)
async def test_bad_issuer(iss: Any) -> None:
    with pytest.raises(TokenRejected) as info:
        await _hs(claims(iss=iss), hs_verifier())
    assert info.value.reason == "bad_issuer"


@pytest.mark.parametrize(
    "aud",
    [DROP, "other", [], ["other"], [AUDIENCE, 5], None, {"aud": AUDIENCE}, AUDIENCE.upper()],
    ids=[
        "missing",
        "other",
        "empty-list",
        "list-without",
        "list-non-string",
        "null",
        "object",
        "case",
    ],
)
async def test_bad_audience(aud: Any) -> None:
    with pytest.raises(TokenRejected) as info:
        await _hs(claims(aud=aud), hs_verifier())
    assert info.value.reason == "bad_audience"


@pytest.mark.parametrize(
    "overrides",
    [
        {"sub": DROP},
        {"sub": ""},
        {"sub": 123},
        {"sid": DROP},
        {"sid": ""},
        {"sid": ["s"]},
        {"exp": DROP},
        {"exp": str(int(NOW + 300))},
        {"exp": True},
        {"exp": None},
        {"exp": 10**30},
        {"exp": -(10**30)},
    ],
    ids=lambda o: f"{next(iter(o))}={o[next(iter(o))]!r}"[:40],
)
async def test_missing_claim(overrides: dict[str, Any]) -> None:
    with pytest.raises(TokenRejected) as info:
        await _hs(claims(**overrides), hs_verifier())
    assert info.value.reason == "missing_claim"


# --- cache --------------------------------------------------------------------------------------


async def test_cache_returns_same_result_without_asking_the_key_source_again() -> None:
    source = CountingKeySource(StaticKeySource.from_hs256_secret(SECRET_32))
    verifier = verifier_for(source)
    header = f"Bearer {sign(OctKey.import_key(SECRET_32), 'HS256')}"

    first = await verifier.verify(header)
    second = await verifier.verify(header)

    assert second is first
    assert source.calls == 1


async def test_cache_never_serves_an_expired_entry() -> None:
    clock = FakeClock()
    source = CountingKeySource(StaticKeySource.from_hs256_secret(SECRET_32))
    verifier = verifier_for(source, clock=clock)
    header = f"Bearer {sign(OctKey.import_key(SECRET_32), 'HS256', claims(exp=NOW + 10))}"
    await verifier.verify(header)
    await verifier.verify(header)
    assert source.calls == 1

    # Past exp but within leeway: verified again from scratch (the entry is not served).
    clock.now = NOW + 15
    assert (await verifier.verify(header)).sub == "user-1"
    assert source.calls == 2
    # Past exp + leeway: rejected, however recently it was accepted.
    clock.now = NOW + 41
    await expect_rejected(verifier, header, "expired")


async def test_header_cache_serves_only_the_same_header_while_the_token_is_valid() -> None:
    """A header seen again skips the parse and the hash (issue 19, request path), never the
    expiry, and another spelling of the same token takes the full path."""
    clock = FakeClock()
    source = CountingKeySource(StaticKeySource.from_hs256_secret(SECRET_32))
    verifier = verifier_for(source, clock=clock)
    token = sign(OctKey.import_key(SECRET_32), "HS256", claims(exp=NOW + 10))
    header = f"Bearer {token}"
    first = await verifier.verify(header)
    assert await verifier.verify(header) is first
    assert await verifier.verify(f"bearer  {token}") is first  # same token, hash cache
    assert source.calls == 1
    # A header that is refused is never remembered: still refused the second time.
    await expect_rejected(verifier, f"Bearer {token}x", "bad_signature")
    await expect_rejected(verifier, f"Bearer {token}x", "bad_signature")
    clock.now = NOW + 15  # past exp, within leeway: the full check again
    assert (await verifier.verify(header)).sub == "user-1"
    assert source.calls == 4
    clock.now = NOW + 41
    await expect_rejected(verifier, header, "expired")
    await expect_rejected(verifier, header, "expired")


async def test_cache_is_bounded_and_evicts_least_recently_used() -> None:
    source = CountingKeySource(StaticKeySource.from_hs256_secret(SECRET_32))
    verifier = verifier_for(source, cache_size=2)
    headers = [
        f"Bearer {sign(OctKey.import_key(SECRET_32), 'HS256', claims(sub=f'u{i}'))}"
        for i in range(3)
    ]
    await verifier.verify(headers[0])
    await verifier.verify(headers[1])
    await verifier.verify(headers[0])  # most recently used now
    await verifier.verify(headers[2])  # evicts headers[1]
    assert source.calls == 3
    await verifier.verify(headers[0])
    assert source.calls == 3
    await verifier.verify(headers[1])
    assert source.calls == 4


async def test_cache_size_zero_disables_caching() -> None:
    source = CountingKeySource(StaticKeySource.from_hs256_secret(SECRET_32))
    verifier = verifier_for(source, cache_size=0)
    header = f"Bearer {sign(OctKey.import_key(SECRET_32), 'HS256')}"
    await verifier.verify(header)
    await verifier.verify(header)
    assert source.calls == 2


async def test_rejections_are_not_cached() -> None:
    clock = FakeClock(NOW - 100)
    verifier = hs_verifier(clock=clock)
    header = f"Bearer {sign(OctKey.import_key(SECRET_32), 'HS256', claims(nbf=NOW))}"
    await expect_rejected(verifier, header, "not_yet_valid")
    clock.now = NOW
    assert (await verifier.verify(header)).sub == "user-1"


# --- static key sources -------------------------------------------------------------------------


@pytest.mark.parametrize("ending", [b"", b"\n", b"\r\n"])
async def test_secret_file_strips_one_trailing_newline(tmp_path: Path, ending: bytes) -> None:
    path = tmp_path / "secret"
    path.write_bytes(SECRET_32 + ending)
    verifier = verifier_for(StaticKeySource.from_hs256_secret_file(path))
    token = sign(OctKey.import_key(SECRET_32), "HS256")
    assert (await verifier.verify(f"Bearer {token}")).sub == "user-1"


@pytest.mark.parametrize("content", [SECRET_16 + b"\n", b"", b"\n", SECRET_32[:31] + b"\n"])
def test_short_secret_file_is_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "secret"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=r"at least 32") as info:
        StaticKeySource.from_hs256_secret_file(path)
    assert str(path) in str(info.value)


def _pem(private_key: Any) -> bytes:
    return bytes(
        private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


@pytest.mark.parametrize(("make_key", "alg"), ASYMMETRIC_CASES)
async def test_pem_file_sources_verify(tmp_path: Path, make_key: Any, alg: str) -> None:
    key = make_key()
    path = tmp_path / "key.pem"
    path.write_bytes(key.as_pem(private=False))
    verifier = verifier_for(StaticKeySource.from_pem_file(path))
    assert (await verifier.verify(f"Bearer {sign(key, alg)}")).sub == "user-1"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(
            lambda: _pem(rsa.generate_private_key(65537, 1024)),  # noqa: S505 - weak on purpose
            "1024 bits",
            id="rsa1024",
        ),
        pytest.param(lambda: _pem(ec.generate_private_key(ec.SECP384R1())), "P-256", id="p384"),
        pytest.param(lambda: rsa_2048().as_pem(private=True), "private key", id="private"),
        pytest.param(lambda: b"not a pem", "not a PEM public key", id="garbage"),
        pytest.param(
            lambda: _pem(ed25519.Ed25519PrivateKey.generate())[:-40], "not a PEM", id="truncated"
        ),
    ],
)
def test_pem_file_refuses_unusable_keys(tmp_path: Path, content: Any, message: str) -> None:
    path = tmp_path / "key.pem"
    path.write_bytes(content())
    with pytest.raises(ValueError, match=message):
        StaticKeySource.from_pem_file(path)


def test_key_set_refuses_mixed_and_duplicate_keys() -> None:
    with pytest.raises(InvalidKeySet, match="mixes"):
        KeySet([public(rsa_2048()), OctKey.import_key(SECRET_32)])
    with pytest.raises(InvalidKeySet, match="more than once"):
        KeySet([public(rsa_2048(), kid="a"), public(ec_p256(), kid="a")])
    assert len(parse_jwks({"keys": [public_jwk(rsa_2048(), kid="a")]})) == 1


def test_verifier_refuses_bad_configuration() -> None:
    source = StaticKeySource.from_hs256_secret(SECRET_32)
    with pytest.raises(ValueError, match="unsupported"):
        TokenVerifier(key_source=source, issuer=ISSUER, audience=AUDIENCE, algorithms=["none"])
    with pytest.raises(ValueError, match="issuer"):
        TokenVerifier(key_source=source, issuer="", audience=AUDIENCE)
    with pytest.raises(ValueError, match="audience"):
        TokenVerifier(key_source=source, issuer=ISSUER, audience="")


# --- JWKS key source ----------------------------------------------------------------------------


def _jwks(*kids: str) -> dict[str, Any]:
    keys_by_kid = {"k1": rsa_2048, "k2": rsa_2048_other}
    return {"keys": [public_jwk(keys_by_kid[kid](), kid=kid) for kid in kids]}


def _rs256(kid: str) -> str:
    signer = {"k1": rsa_2048, "k2": rsa_2048_other}[kid]()
    return f"Bearer {sign(signer, 'RS256', kid=kid)}"


def _jwks_verifier(fetcher: FakeFetcher, clock: FakeClock, **source_kwargs: Any) -> TokenVerifier:
    source = JwksKeySource(fetcher, "https://gw/jwks", clock=clock, **source_kwargs)
    return verifier_for(source, clock=clock, cache_size=0)


async def test_jwks_is_fetched_once_and_reused() -> None:
    clock = FakeClock()
    fetcher = FakeFetcher(_jwks("k1"))
    verifier = _jwks_verifier(fetcher, clock)
    for _ in range(5):
        assert (await verifier.verify(_rs256("k1"))).sub == "user-1"
    assert fetcher.fetches == 1


async def test_rotation_new_kid_triggers_exactly_one_refetch() -> None:
    clock = FakeClock()
    fetcher = FakeFetcher(_jwks("k1"))
    verifier = _jwks_verifier(fetcher, clock)
    await verifier.verify(_rs256("k1"))
    fetcher.document = _jwks("k1", "k2")
    clock.now += 31

    assert (await verifier.verify(_rs256("k2"))).sub == "user-1"
    assert (await verifier.verify(_rs256("k2"))).sub == "user-1"
    assert (await verifier.verify(_rs256("k1"))).sub == "user-1"
    assert fetcher.fetches == 2


async def test_burst_of_unknown_kids_shares_one_fetch() -> None:
    clock = FakeClock()
    fetcher = FakeFetcher(_jwks("k1"))
    verifier = _jwks_verifier(fetcher, clock)
    await verifier.verify(_rs256("k1"))
    fetcher.document = _jwks("k1", "k2")
    fetcher.gate = asyncio.Event()
    clock.now += 31

    tasks = [asyncio.create_task(verifier.verify(_rs256("k2"))) for _ in range(20)]
    await asyncio.sleep(0.01)
    assert fetcher.fetches == 2  # one refetch, all 20 callers waiting on it
    fetcher.gate.set()
    results = await asyncio.gather(*tasks)

    assert {r.sub for r in results} == {"user-1"}
    assert fetcher.fetches == 2


async def test_burst_on_first_use_shares_one_fetch() -> None:
    fetcher = FakeFetcher(_jwks("k1"))
    fetcher.gate = asyncio.Event()
    verifier = _jwks_verifier(fetcher, FakeClock())
    tasks = [asyncio.create_task(verifier.verify(_rs256("k1"))) for _ in range(20)]
    await asyncio.sleep(0.01)
    fetcher.gate.set()
    assert len(await asyncio.gather(*tasks)) == 20
    assert fetcher.fetches == 1


async def test_unknown_kid_refresh_is_rate_limited() -> None:
    clock = FakeClock()
    fetcher = FakeFetcher(_jwks("k1"))
    verifier = _jwks_verifier(fetcher, clock, min_refresh_interval_s=30)
    await verifier.verify(_rs256("k1"))
    assert fetcher.fetches == 1

    # Within the interval of the initial fetch: no refetch, the kid is simply unknown.
    clock.now += 10
    for _ in range(5):
        await expect_rejected(verifier, _rs256("k2"), "unknown_kid")
    assert fetcher.fetches == 1

    clock.now += 21
    await expect_rejected(verifier, _rs256("k2"), "unknown_kid")
    assert fetcher.fetches == 2
    clock.now += 29
    await expect_rejected(verifier, _rs256("k2"), "unknown_kid")
    assert fetcher.fetches == 2
    clock.now += 1
    fetcher.document = _jwks("k1", "k2")
    assert (await verifier.verify(_rs256("k2"))).sub == "user-1"
    assert fetcher.fetches == 3


async def test_jwks_refetched_after_max_age() -> None:
    clock = FakeClock()
    fetcher = FakeFetcher(_jwks("k1"))
    verifier = _jwks_verifier(fetcher, clock, max_age_s=300)
    await verifier.verify(_rs256("k1"))
    clock.now += 299
    await verifier.verify(_rs256("k1"))
    assert fetcher.fetches == 1
    clock.now += 1
    await verifier.verify(_rs256("k1"))
    assert fetcher.fetches == 2


@pytest.mark.parametrize(
    "error",
    [UpstreamUnavailable("JWKS down", upstream="jwks"), UpstreamTimeout("slow", upstream="jwks")],
    ids=["unavailable", "timeout"],
)
async def test_jwks_upstream_errors_propagate_and_are_not_retried_in_a_burst(
    error: Exception,
) -> None:
    clock = FakeClock()
    fetcher = FakeFetcher(_jwks("k1"))
    fetcher.error = error
    verifier = _jwks_verifier(fetcher, clock)

    for _ in range(3):
        with pytest.raises(type(error)):
            await verifier.verify(_rs256("k1"))
    assert fetcher.fetches == 1

    fetcher.error = None
    clock.now += 30
    assert (await verifier.verify(_rs256("k1"))).sub == "user-1"
    assert fetcher.fetches == 2


async def test_failed_refetch_keeps_fresh_set_for_known_kids() -> None:
    clock = FakeClock()
    fetcher = FakeFetcher(_jwks("k1"))
    verifier = _jwks_verifier(fetcher, clock, max_age_s=300)
    await verifier.verify(_rs256("k1"))
    fetcher.error = UpstreamUnavailable("down", upstream="jwks")
    clock.now += 31

    # The unknown kid might be in the set we could not fetch: 503, not 401.
    with pytest.raises(UpstreamUnavailable):
        await verifier.verify(_rs256("k2"))
    assert (await verifier.verify(_rs256("k1"))).sub == "user-1"

    # Past max age the old set is not used any more: fail closed.
    clock.now += 300
    with pytest.raises(UpstreamUnavailable):
        await verifier.verify(_rs256("k1"))


async def test_cancelled_caller_does_not_cancel_the_shared_fetch() -> None:
    fetcher = FakeFetcher(_jwks("k1"))
    fetcher.gate = asyncio.Event()
    verifier = _jwks_verifier(fetcher, FakeClock())
    first = asyncio.create_task(verifier.verify(_rs256("k1")))
    second = asyncio.create_task(verifier.verify(_rs256("k1")))
    await asyncio.sleep(0.01)
    first.cancel()
    fetcher.gate.set()
    assert (await second).sub == "user-1"
    with pytest.raises(asyncio.CancelledError):
        await first
    assert fetcher.fetches == 1


# --- fuzz: nothing but TokenRejected ever escapes -------------------------------------------------

_FUZZ_VERIFIER = verifier_for(StaticKeySource.from_hs256_secret(SECRET_32), cache_size=16)
# A private loop: asyncio.run() would reset the global event loop under pytest-asyncio.
_FUZZ_LOOP = asyncio.new_event_loop()

_base64url_chars = st.sampled_from(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.="
)
_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=6,
)
_segments = st.one_of(
    st.binary(max_size=40).map(b64url),
    _json_values.map(lambda v: b64url(json.dumps(v).encode())),
    st.dictionaries(st.sampled_from(["alg", "kid", "crit"]), _json_values, max_size=3).map(b64json),
    st.text(_base64url_chars, max_size=20),
)
_claim_names = st.sampled_from(["iss", "aud", "sub", "sid", "exp", "nbf", "iat", "x"])


def _verify_only_rejects(header: str | bytes | None) -> None:
    with contextlib.suppress(TokenRejected):
        _FUZZ_LOOP.run_until_complete(_FUZZ_VERIFIER.verify(header))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.text(max_size=200),
        st.binary(max_size=200),
        st.builds(lambda t: "Bearer " + t, st.text(max_size=200)),
        st.builds(lambda t: "Bearer " + "".join(t), st.lists(_base64url_chars, max_size=200)),
        st.lists(_segments, min_size=2, max_size=4).map(lambda parts: "Bearer " + ".".join(parts)),
    )
)
def test_fuzz_random_headers_raise_only_token_rejected(header: str | bytes) -> None:
    _verify_only_rejects(header)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    header=st.dictionaries(
        st.sampled_from(["alg", "kid", "typ", "crit", "b64", "x"]), _json_values, max_size=4
    )
    | st.just({"alg": "HS256"}),
    payload=st.dictionaries(_claim_names, _json_values, max_size=7),
    base=st.booleans(),
)
def test_fuzz_signed_tokens_with_random_json_raise_only_token_rejected(
    header: dict[str, Any], payload: dict[str, Any], base: bool
) -> None:
    """Validly signed tokens whose header and claims hold anything JSON can express."""
    header = {"alg": "HS256", **header} if base else header
    payload = {**claims(), **payload} if base else payload
    try:
        payload_segment = b64url(json.dumps(payload).encode())
        token = hs256_raw(SECRET_32, header, payload_segment)
    except (ValueError, TypeError):  # pragma: no cover - json cannot encode it
        return
    _verify_only_rejects(f"Bearer {token}")
