"""The Gateway's Ed25519 signing keys, kept in the data dir, and the JWKS that publishes them."""

from pathlib import Path
from typing import Any

import msgspec
from joserfc.jwk import KeySet, OKPKey

from cloudlysis_devfleet.gateway.files import load, write_private

JWT_ALG = "Ed25519"
KEYS_FILE = "signing-keys.json"
# Previous keys stay published after a rotation so tokens they signed keep verifying.
MAX_PUBLISHED_PREVIOUS_KEYS = 2


class SigningKeys(msgspec.Struct):
    current_kid: str
    keys: list[dict[str, Any]]


class KeyStore:
    """Ed25519 signing keys, generated on first start and kept in the data dir."""

    def __init__(self, data_dir: Path) -> None:
        self._path = data_dir / KEYS_FILE
        if self._path.exists():
            self._keys = load(self._path, SigningKeys)
        else:
            key = self._generate()
            self._keys = SigningKeys(current_kid=key.kid or "", keys=[key.as_dict(private=True)])
            self._save()
        self._reload()

    @staticmethod
    def _generate() -> OKPKey:
        key = OKPKey.generate_key("Ed25519")
        # The RFC 7638 thumbprint makes a stable, collision-free kid.
        return OKPKey.import_key(
            key.as_dict(private=True), parameters={"kid": key.thumbprint(), "use": "sig"}
        )

    def _save(self) -> None:
        write_private(self._path, msgspec.json.encode(self._keys))

    def _reload(self) -> None:
        imported = [OKPKey.import_key(k) for k in self._keys.keys]
        current = [k for k in imported if k.kid == self._keys.current_kid]
        if not current:
            raise RuntimeError(f"{self._path} names a current key it does not hold")
        self.signing_key = current[0]
        self.verification_keys = KeySet(
            [OKPKey.import_key(k.as_dict(private=False)) for k in imported]
        )

    @property
    def current_kid(self) -> str:
        return self._keys.current_kid

    def jwks(self) -> dict[str, Any]:
        keys = []
        for key in self._keys.keys:
            public = OKPKey.import_key(key).as_dict(private=False)
            keys.append({**public, "use": "sig", "alg": JWT_ALG})
        return {"keys": keys}

    def rotate(self, retire_previous: bool) -> list[str]:
        key = self._generate()
        previous = [] if retire_previous else self._keys.keys[-MAX_PUBLISHED_PREVIOUS_KEYS:]
        self._keys = SigningKeys(
            current_kid=key.kid or "", keys=[*previous, key.as_dict(private=True)]
        )
        self._save()
        self._reload()
        return [str(k["kid"]) for k in self._keys.keys]
