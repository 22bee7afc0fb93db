"""What must never be in the product: the devfleet, or any code that mints tokens."""

from __future__ import annotations

import re

# Minting a token takes signing (joserfc/authlib) or making a key to sign with.
MINTING = re.compile(
    rb"jwt\.encode\(|jws\.serialize_compact\(|\.generate_key\(|JsonWebSignature\(|cloudlysis_devfleet"
)


def minting_in(files: dict[str, bytes]) -> list[str]:
    """The Python files that mint tokens or import the devfleet."""
    return sorted(
        name for name, data in files.items() if name.endswith(".py") and MINTING.search(data)
    )
