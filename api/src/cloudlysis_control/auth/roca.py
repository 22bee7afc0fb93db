"""The ROCA fingerprint of an RSA modulus (CVE-2017-15361), written from the paper."""

from __future__ import annotations

from typing import Final

# ROCA (CVE-2017-15361; Nemec et al., "The Return of Coppersmith's Attack", CCS 2017). Infineon's
# RSALib made primes of the form k * M + (65537**a mod M), M a primorial, and such a key's private
# key can be computed from its modulus. A modulus n made of such primes is, modulo each small prime
# p dividing M, a power of 65537: n mod p lies in the subgroup that 65537 generates mod p. The
# fingerprint is that this holds for every prime 3..167 (the primes of the public roca-detect
# tool). For a modulus not made that way the chance of passing all 38 is about 4 in a billion.
ROCA_GENERATOR: Final = 65537
ROCA_PRIMES: Final = (
    3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73,
    79, 83, 89, 97, 101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167,
)  # fmt: skip


def _subgroup_bits(generator: int, prime: int) -> int:
    """Bit r set for every r = generator**i mod prime (the subgroup `generator` generates)."""
    bits, element = 0, 1
    while True:
        bits |= 1 << element
        element = element * generator % prime
        if element == 1:
            return bits


_ROCA_MARKERS: Final = tuple((p, _subgroup_bits(ROCA_GENERATOR % p, p)) for p in ROCA_PRIMES)


def has_roca_fingerprint(modulus: int) -> bool:
    """True when the RSA `modulus` has the ROCA fingerprint: refuse the key."""
    return all((bits >> (modulus % prime)) & 1 for prime, bits in _ROCA_MARKERS)
