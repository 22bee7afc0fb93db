"""ROCA (CVE-2017-15361): RSA keys with Infineon RSALib's fingerprint are refused.

Two vulnerable keys are used. One is published: the 2048-bit modulus `mod03.txt` of the public
roca-detect tool's test data (github.com/crocs-muni/roca, roca/tests/data), one of its positive
samples. The other is built here the way RSALib built its keys, p = k * M + (65537**a mod M) with
M a primorial, so that the test also has its private key and can sign tokens with it.
"""

from __future__ import annotations

import math
import random
import warnings
from functools import cache
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc.jwk import RSAKey

from cloudlysis_control.auth import roca
from cloudlysis_control.auth.keys import (
    InvalidKeySet,
    JwksKeySource,
    KeySet,
    StaticKeySource,
    parse_jwks,
    weak_key_problem,
)
from cloudlysis_control.bootstrap.keys import static_key_source
from cloudlysis_control.core.errors import SettingsError
from cloudlysis_control.core.settings import Settings
from tests.support.logs import captured_logs
from tests.support.tokens import (
    FakeClock,
    FakeFetcher,
    expect_rejected,
    public_jwk,
    rsa_2048,
    rsa_2048_other,
    sign,
    verifier_for,
)

# roca/tests/data/mod03.txt of github.com/crocs-muni/roca: a 2048-bit RSALib modulus.
PUBLISHED_ROCA_MODULUS = int(
    "9dcd7420e420c270a68060eb8b5aa7457a9f6648f86fafed2775cc1f79ae962f"
    "1e63f1b9e51c55f9ea6fdc7332e9b0058c9ff2eb1fc89855029cf6aafe21e689"
    "feb38ac9ffb12f1ce371bb5d0e9aae64161abce74b4244bf68f1edb4411f756a"
    "097c8929c14740245ea355f8332d1aa36bb50c7dcb4505da8de02e4e53d38f8d"
    "f06097da7524df0df93db48eac8cc4af2d3a16257eb2b2adca6ba464e5974fa9"
    "2550d31b1babf161e7692d00b86e3dd886ecab4abfbe1a8f8cc263ff4af55cdb"
    "45f4249a5193925f5e983d762f0b6800943eb0267b08f42ed311ce1f5c86eacb"
    "c8ce4d3cb7a2fee1ef5641423a1cf4114e5ecf50034a60a412523af9e6f4aa11",
    16,
)
E = 65537
# The primes of the fingerprint (and of the public roca-detect tool): the odd primes up to 167.
FINGERPRINT_PRIMES = tuple(
    n for n in range(3, 168, 2) if all(n % d for d in range(3, math.isqrt(n) + 1, 2))
)


# --- building an RSALib-style key ---------------------------------------------------------------


def _is_probable_prime(n: int, rng: random.Random, rounds: int = 32) -> bool:
    """Miller-Rabin."""
    if n < 4:
        return n in (2, 3)
    if n % 2 == 0:
        return False
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for _ in range(rounds):
        x = pow(rng.randrange(2, n - 1), d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def _rsalib_prime(rng: random.Random, bits: int) -> int:
    """A prime p = k * M + (65537**a mod M), M = 2 * 3 * 5 * ... * 167, as RSALib made them.

    p >= sqrt(2) * 2**(bits - 1), so that the product of two such primes has 2 * bits bits.
    """
    m = math.prod((2, *FINGERPRINT_PRIMES))
    k_min = math.isqrt(2 ** (2 * bits - 1)) // m + 1
    k_max = (2**bits - 1) // m - 1
    while True:
        p = rng.randrange(k_min, k_max) * m + pow(E, rng.randrange(1, 2**64), m)
        if p % E != 1 and _is_probable_prime(p, rng):
            return p


@cache
def rsalib_private_key() -> rsa.RSAPrivateKey:
    rng = random.Random(20171016)  # deterministic: the same key on every run
    p, q = _rsalib_prime(rng, 1024), _rsalib_prime(rng, 1024)
    assert p != q and (p * q).bit_length() == 2048
    d = pow(E, -1, (p - 1) * (q - 1))
    numbers = rsa.RSAPrivateNumbers(
        p=p,
        q=q,
        d=d,
        dmp1=d % (p - 1),
        dmq1=d % (q - 1),
        iqmp=pow(q, -1, p),
        public_numbers=rsa.RSAPublicNumbers(E, p * q),
    )
    return numbers.private_key()


def rsalib_key() -> RSAKey:
    return RSAKey.import_key(rsalib_private_key())


def published_public_key() -> rsa.RSAPublicKey:
    return rsa.RSAPublicNumbers(E, PUBLISHED_ROCA_MODULUS).public_key()


def _pem(public_key: rsa.RSAPublicKey) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _public_jwk(public_key: rsa.RSAPublicKey, kid: str) -> dict[str, str]:
    return {**RSAKey.import_key(public_key).as_dict(private=False), "kid": kid}


# --- the fingerprint ----------------------------------------------------------------------------


def test_the_fingerprint_primes_are_the_odd_primes_up_to_167() -> None:
    assert len(FINGERPRINT_PRIMES) == 38 and FINGERPRINT_PRIMES[-1] == 167
    assert roca.ROCA_PRIMES == FINGERPRINT_PRIMES


def test_published_rsalib_modulus_has_the_fingerprint() -> None:
    assert PUBLISHED_ROCA_MODULUS.bit_length() == 2048
    assert roca.has_roca_fingerprint(PUBLISHED_ROCA_MODULUS)


def test_constructed_rsalib_key_has_the_fingerprint() -> None:
    key = rsalib_private_key()
    assert key.key_size == 2048
    assert roca.has_roca_fingerprint(key.public_key().public_numbers().n)
    # ... and it is a working RSA key
    assert key.private_numbers().p * key.private_numbers().q == (
        key.public_key().public_numbers().n
    )


def test_one_residue_outside_the_subgroup_clears_the_fingerprint() -> None:
    # For p = 167, 65537 mod p generates a proper subgroup: a modulus moved by p-multiples of
    # the rest's modulus keeps every other residue and leaves the subgroup mod 167.
    n = PUBLISHED_ROCA_MODULUS
    rest = math.prod(FINGERPRINT_PRIMES[:-1])
    for step in range(1, 167):
        candidate = n + step * rest
        if not roca.has_roca_fingerprint(candidate):
            assert all(candidate % p == n % p for p in FINGERPRINT_PRIMES[:-1])
            return
    pytest.fail("every residue mod 167 is in the subgroup")  # pragma: no cover


def test_keys_from_cryptography_and_random_moduli_do_not_have_it() -> None:
    for key in (rsa_2048(), rsa_2048_other()):
        assert not roca.has_roca_fingerprint(key.public_key.public_numbers().n)
    rng = random.Random(7)
    assert not any(roca.has_roca_fingerprint(rng.getrandbits(2048) | 1) for _ in range(20_000))


def test_weak_key_problem_names_roca() -> None:
    problem = weak_key_problem(rsalib_key())
    assert problem is not None and "ROCA" in problem and "CVE-2017-15361" in problem
    assert weak_key_problem(RSAKey.import_key(published_public_key())) == problem
    assert weak_key_problem(rsa_2048()) is None


# --- PEM at start-up ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make_public_key",
    [
        pytest.param(published_public_key, id="published"),
        pytest.param(lambda: rsalib_private_key().public_key(), id="constructed"),
    ],
)
def test_pem_file_with_roca_key_is_refused(tmp_path: Path, make_public_key: object) -> None:
    path = tmp_path / "gateway.pem"
    path.write_bytes(_pem(make_public_key()))  # type: ignore[operator]
    with pytest.raises(ValueError, match="ROCA") as info:
        StaticKeySource.from_pem_file(path)
    assert str(path) in str(info.value)
    # at start-up it is a configuration error that names the variable
    settings = Settings.from_env({"CONTROL_TOKEN_PUBLIC_KEY_FILE": str(path)})
    with pytest.raises(SettingsError, match=r"^CONTROL_TOKEN_PUBLIC_KEY_FILE is invalid: .*ROCA"):
        static_key_source(settings)


async def test_pem_file_with_a_normal_rsa_key_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "gateway.pem"
    path.write_bytes(rsa_2048().as_pem(private=False))
    settings = Settings.from_env({"CONTROL_TOKEN_PUBLIC_KEY_FILE": str(path)})
    source = static_key_source(settings)
    assert source is not None
    verifier = verifier_for(source)
    assert (await verifier.verify(f"Bearer {sign(rsa_2048(), 'RS256')}")).sub == "user-1"


async def test_token_signed_with_a_roca_key_is_refused_even_if_the_key_got_in() -> None:
    # The verifier checks the chosen key again on every token: a ROCA key that reached a key set
    # some other way still verifies nothing.
    verifier = verifier_for(StaticKeySource(KeySet([RSAKey.import_key(rsalib_key().public_key)])))
    await expect_rejected(verifier, f"Bearer {sign(rsalib_key(), 'RS256')}", "weak_key")


# --- JWKS ---------------------------------------------------------------------------------------


def test_jwks_with_a_roca_key_is_refused() -> None:
    for jwk in (
        _public_jwk(published_public_key(), "infineon"),
        _public_jwk(rsalib_private_key().public_key(), "infineon"),
    ):
        with pytest.raises(InvalidKeySet, match=r"JWKS key #1: .*ROCA"):
            parse_jwks({"keys": [public_jwk(rsa_2048(), kid="k1"), jwk]})


async def test_jwks_key_source_refuses_a_set_with_a_roca_key_and_logs_it() -> None:
    # Like a too-short key, a ROCA key makes the whole published set unusable (fail closed): a
    # Gateway that publishes one must replace it. The refusal is logged with the reason.
    document = {
        "keys": [
            public_jwk(rsa_2048(), kid="k1"),
            _public_jwk(rsalib_private_key().public_key(), "infineon"),
        ]
    }
    clock = FakeClock()
    source = JwksKeySource(FakeFetcher(document), "https://gw/jwks", clock=clock)
    verifier = verifier_for(source, clock=clock, cache_size=0)
    with captured_logs() as logs:
        for signer, kid in ((rsalib_key(), "infineon"), (rsa_2048(), "k1")):
            await expect_rejected(verifier, f"Bearer {sign(signer, 'RS256', kid=kid)}", "bad_jwks")
    refused = [entry for entry in logs if entry["event"] == "jwks refused"]
    assert refused, logs
    assert refused[0]["log_level"] == "warning"
    assert refused[0]["jwks_url"] == "https://gw/jwks"
    assert "ROCA" in refused[0]["problem"] and "#1" in refused[0]["problem"]


async def test_jwks_with_normal_rsa_keys_is_accepted() -> None:
    document = {"keys": [public_jwk(rsa_2048(), kid="k1"), public_jwk(rsa_2048_other(), kid="k2")]}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no SecurityWarning either
        assert len(parse_jwks(document)) == 2
    clock = FakeClock()
    verifier = verifier_for(
        JwksKeySource(FakeFetcher(document), "https://gw/jwks", clock=clock), clock=clock
    )
    for signer, kid in ((rsa_2048(), "k1"), (rsa_2048_other(), "k2")):
        assert (await verifier.verify(f"Bearer {sign(signer, 'RS256', kid=kid)}")).sub == "user-1"
