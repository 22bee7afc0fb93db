"""What a config is: its identity `{domain, name, scope}`, its canonical encoding and sha256,
and the rules that name one (the same constants feed the API's schema)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Annotated, Any, Final, Literal

import msgspec

from cloudlysis_control.core.validation import TENANT_ID_RULE

DomainName = Literal["routing", "placement", "runner.activation", "flags", "observability"]
DOMAINS: tuple[DomainName, ...] = (
    "routing",
    "placement",
    "runner.activation",
    "flags",
    "observability",
)
Format = Literal["json", "yaml"]

CONFIG_NAME_PATTERN: Final = r"^[a-z0-9][a-z0-9._-]{0,127}$"
SCOPE_PATTERN: Final = rf"^(platform|gateway|aggregate|projection|runner|tenant:{TENANT_ID_RULE})$"
SCOPE_RE: Final = re.compile(SCOPE_PATTERN)
REVISION_PATTERN: Final = r"^[0-9a-f]{1,64}$"
SHA256_PATTERN: Final = r"^[0-9a-f]{64}$"
MAX_DOCUMENT: Final = 1_500_000  # characters; the request body limit is 2 MiB

ConfigName = Annotated[str, msgspec.Meta(pattern=CONFIG_NAME_PATTERN, description="Config name")]
Scope = Annotated[
    str,
    msgspec.Meta(
        pattern=SCOPE_PATTERN,
        description="`platform`, a service kind, or `tenant:<id>` where the domain allows it",
    ),
]
Revision = Annotated[
    str,
    msgspec.Meta(
        pattern=REVISION_PATTERN,
        description="A config revision: the KV revision (decimal) or a file's content revision",
    ),
]


@dataclass(frozen=True, slots=True, order=True)
class ConfigId:
    domain: DomainName
    name: str
    scope: str

    def __str__(self) -> str:
        return f"{self.domain}/{self.name}@{self.scope}"

    @property
    def lock_name(self) -> str:
        """The `config` lock's name (locks allow [A-Za-z0-9_-])."""
        raw = f"{self.domain}-{self.name}-{self.scope}"
        return re.sub(r"[^A-Za-z0-9_-]", "_", raw)[:128]

    @property
    def key(self) -> str:
        """The key in the `control_config` bucket (KV keys allow [-/_=.a-zA-Z0-9])."""
        return f"{self.domain}/{self.name}/{self.scope.replace(':', '=')}"


def scope_tenant(scope: str) -> str | None:
    return scope.removeprefix("tenant:") if scope.startswith("tenant:") else None


def canonical(value: Any) -> bytes:
    """The one encoding a sha256 is taken over: JSON, keys sorted, no whitespace."""
    return msgspec.json.encode(value, order="sorted")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def pretty(value: Any) -> str:
    """The canonical value as text an operator reads and diffs (sorted keys, 2-space indent)."""
    return msgspec.json.format(canonical(value), indent=2).decode()


def as_builtins(value: Any) -> Any:
    """A typed value as plain JSON data in canonical key order."""
    return msgspec.json.decode(canonical(value))
