"""Password hashes, opaque tokens (refresh tokens, authorization codes) and the failed sign-in
limiter. Nothing here keeps a secret in clear: passwords are scrypt hashes, refresh tokens and
codes are kept as SHA-256 digests."""

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable

from cloudlysis_devfleet.common import Problem

MIN_PASSWORD = 10
MAX_PASSWORD = 256
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def check_password_rules(password: str) -> None:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise Problem(
            422,
            "weak_password",
            "Password refused",
            f"a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters",
        )


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32
    )
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str | None) -> bool:
    if stored is None:
        # Spend the same time as a real check: the answer must not tell unknown users apart.
        hash_password(password)
        return False
    try:
        _, n, r, p, salt, digest = stored.split("$")
        got = hashlib.scrypt(
            password.encode(), salt=_unb64(salt), n=int(n), r=int(r), p=int(p), dklen=32
        )
    except ValueError:
        return False
    return hmac.compare_digest(got, _unb64(digest))


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def same_digest(secret: str, stored: str | None) -> bool:
    return stored is not None and hmac.compare_digest(digest(secret), stored)


def pkce_s256(verifier: str) -> str:
    return _b64(hashlib.sha256(verifier.encode("ascii")).digest())


class SignInLimiter:
    """Failed sign-ins per user name: after `max_failures` within `window_s`, every attempt for
    that name (right or wrong) is refused with 429 until the oldest failure leaves the window."""

    def __init__(
        self, max_failures: int, window_s: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self.clock = clock
        self._failures: dict[str, list[float]] = {}

    def _recent(self, username: str) -> list[float]:
        cutoff = self.clock() - self.window_s
        kept = [t for t in self._failures.get(username, []) if t > cutoff]
        if kept:
            self._failures[username] = kept
        else:
            self._failures.pop(username, None)
        return kept

    def check(self, username: str) -> None:
        recent = self._recent(username)
        if len(recent) >= self.max_failures:
            retry_after = max(1, int(recent[0] + self.window_s - self.clock()) + 1)
            raise Problem(
                429,
                "too_many_attempts",
                "Too many failed sign-ins",
                f"too many failed sign-ins for this user; try again in {retry_after} s",
                headers={"Retry-After": str(retry_after)},
            )

    def failed(self, username: str) -> None:
        self._recent(username)
        self._failures.setdefault(username, []).append(self.clock())

    def succeeded(self, username: str) -> None:
        self._failures.pop(username, None)
