"""Rights come from the Gateway's IAM state: the auth domain's RightsSource over the IAM port."""

from __future__ import annotations

from cloudlysis_control.auth.rights import SessionRights
from cloudlysis_control.core.errors import UpstreamUnavailable
from cloudlysis_control.iam.ports import IamGateway


class GatewayRightsSource:
    def __init__(self, gateway: IamGateway | None) -> None:
        self.gateway = gateway

    async def lookup(self, authorization: str, sub: str, sid: str) -> SessionRights:
        if self.gateway is None:
            raise UpstreamUnavailable("no Gateway is configured to resolve rights")
        answer = await self.gateway.rights(authorization, sub, sid)
        platform = frozenset(answer.rights)
        tenant_rights = {
            right: frozenset(tenants)
            for right, tenants in answer.tenant_rights.items()
            if right not in platform and tenants
        }
        return SessionRights(answer.session_status, platform, tenant_rights)
