"""The Gateway's files in its data dir: written atomically and owner-only, read back whole."""

import os
import uuid
from pathlib import Path
from typing import TypeVar

import msgspec

S = TypeVar("S")


def write_private(path: Path, data: bytes) -> None:
    """Write atomically, readable by the owner only (the keys file holds private keys)."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def load(path: Path, model: type[S]) -> S:
    try:
        return msgspec.json.decode(path.read_bytes(), type=model)
    except msgspec.MsgspecError as e:
        raise RuntimeError(f"{path} is corrupt ({e}); remove it to start from a fresh state") from e
