"""What the system routes answer: readiness, metrics, the UI's bootstrap config, dev login."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

import msgspec

from cloudlysis_control.auth.principal import RIGHTS_CATALOG, Principal
from cloudlysis_control.core.errors import NotFound, NotReady
from cloudlysis_control.core.metrics import Metrics
from cloudlysis_control.core.settings import Settings
from cloudlysis_control.iam.schemas import DevLoginToken
from cloudlysis_control.iam.service import IamService
from cloudlysis_control.system.effective import effective_settings
from cloudlysis_control.system.schemas import (
    EffectiveSettings,
    Readiness,
    RightInfo,
    SsoConfig,
    StateReplication,
    UiConfig,
    WhoAmI,
)

# The encoded WhoAmI of each session: (principal, session) -> (the rights and tenant rights it
# was encoded from, the document). An answer is reused only for the same rights (the same objects
# — the rights cache hands out one per session and TTL — or equal ones), so a change of rights is
# seen on the request that brings it. Bounded: the oldest entry leaves first.
_WHOAMI: dict[tuple[str, str], tuple[frozenset[str], Mapping[str, frozenset[str]], bytes]] = {}
_WHOAMI_MAX = 10_000
_whoami_encoder = msgspec.json.Encoder()


def whoami_document(p: Principal) -> WhoAmI:
    return WhoAmI(
        principal_id=p.id,
        session_id=p.session_id,
        rights=sorted(p.rights),
        tenant_rights={r: sorted(t) for r, t in sorted(p.tenant_rights.items())},
    )


def whoami_body(p: Principal) -> bytes:
    """`whoami_document(p)` as JSON, encoded once per session and set of rights."""
    key = (p.id, p.session_id)
    hit = _WHOAMI.get(key)
    if (
        hit is not None
        and (hit[0] is p.rights or hit[0] == p.rights)
        and (hit[1] is p.tenant_rights or hit[1] == p.tenant_rights)
    ):
        return hit[2]
    body = _whoami_encoder.encode(whoami_document(p))
    if hit is None and len(_WHOAMI) >= _WHOAMI_MAX:
        del _WHOAMI[next(iter(_WHOAMI))]
    _WHOAMI[key] = (p.rights, p.tenant_rights, body)
    return body


class SystemService:
    def __init__(
        self,
        settings: Settings,
        metrics: Metrics,
        iam: IamService,
        # Failures (empty when ready) and the state's replication
        readiness: Callable[[], Awaitable[tuple[dict[str, str], StateReplication | None]]],
        explore: tuple[str, str] | None = None,
    ) -> None:
        self.settings = settings
        self.metrics = metrics
        self.iam = iam
        self._readiness = readiness
        self.explore = explore  # Grafana Explore on Loki and on Tempo

    @property
    def dev_login_enabled(self) -> bool:
        return self.settings.gateway.dev_login and self.iam.configured

    async def readiness(self) -> Readiness:
        failures, state = await self._readiness()
        if failures:
            raise NotReady("one or more dependencies are not available", dependencies=failures)
        return Readiness("ready", {}, state)

    def metrics_text(self) -> bytes:
        return self.metrics.render()

    @property
    def cookie_secure(self) -> bool:
        return self.settings.gateway.cookie_secure

    def ui_config(self) -> UiConfig:
        s = self.settings
        gw = s.gateway
        sso = (
            SsoConfig(f"{gw.public_url.rstrip('/')}/auth/v1/sso/authorize", gw.sso_client_id)
            if self.iam.configured and gw.sso_client_id and gw.public_url
            else None
        )
        return UiConfig(
            dev_login_enabled=self.dev_login_enabled,
            version=s.build.version,
            git_sha=s.build.git_sha,
            grafana_base_url=s.observability.grafana_url,
            password_login_enabled=gw.password_login and self.iam.configured,
            sso=sso,
        )

    def effective_settings(self) -> EffectiveSettings:
        return effective_settings(self.settings, self.explore)

    @staticmethod
    def rights_catalog() -> list[RightInfo]:
        return [RightInfo(r, area, text) for r, (area, text) in RIGHTS_CATALOG.items()]

    async def dev_login(self, principal: str) -> DevLoginToken:
        if not self.dev_login_enabled:
            raise NotFound("dev login is disabled")
        return await self.iam.dev_login(principal)
