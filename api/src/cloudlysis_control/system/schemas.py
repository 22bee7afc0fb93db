from __future__ import annotations

from typing import Literal

import msgspec


class Health(msgspec.Struct):
    status: Literal["ok"]


class Readiness(msgspec.Struct):
    status: Literal["ready", "not_ready"]
    dependencies: dict[str, str]


class UiConfig(msgspec.Struct):
    dev_login_enabled: bool
    version: str
    git_sha: str
    grafana_base_url: str | None


class WhoAmI(msgspec.Struct):
    principal_id: str
    session_id: str
    rights: list[str]
