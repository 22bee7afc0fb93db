"""The Gateway's IAM API (docs/contracts/gateway-iam.md): rights lookup, dev login, pass-through."""

from __future__ import annotations

import httpx
import msgspec

from cloudlysis_control.adapters.http import decode_json, truncate, upstream_call
from cloudlysis_control.core.errors import UpstreamError, UpstreamUnavailable
from cloudlysis_control.core.metrics import Metrics
from cloudlysis_control.iam.ports import ForwardedResponse, RightsAnswer
from cloudlysis_control.operations.ports import RouteResolution, RoutingReload

# Hop-by-hop headers (RFC 9110 §7.6.1) and ones the HTTP client recomputes.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)


# What a sign-in refusal keeps of the Gateway's answer besides status and body.
_SIGN_IN_HEADERS = frozenset({"content-type", "retry-after", "www-authenticate"})


class GatewayClient:
    def __init__(self, base_url: str, client: httpx.AsyncClient, metrics: Metrics | None) -> None:
        self.base_url = base_url.rstrip("/")
        self.client = client
        self.metrics = metrics

    async def rights(self, authorization: str, sub: str, sid: str) -> RightsAnswer:
        with upstream_call(self.metrics, "gateway"):
            resp = await self.client.get(
                f"{self.base_url}/iam/v1/principals/{sub}/rights",
                params={"session_id": sid},
                headers={"authorization": authorization},
            )
        if resp.status_code == 401:
            return RightsAnswer(principal_id=sub, session_id=sid, session_status="unknown")
        if resp.status_code != 200:
            raise UpstreamUnavailable(
                f"gateway rights lookup answered {resp.status_code}: {truncate(resp.content)}"
            )
        try:
            return msgspec.json.decode(resp.content, type=RightsAnswer)
        except msgspec.DecodeError as e:
            raise UpstreamError("gateway rights lookup returned an invalid document") from e

    async def dev_login(self, principal: str) -> ForwardedResponse:
        with upstream_call(self.metrics, "gateway"):
            resp = await self.client.post(
                f"{self.base_url}/auth/v1/dev-login", json={"principal": principal}
            )
        return ForwardedResponse(
            resp.status_code,
            [("content-type", resp.headers.get("content-type", "application/json"))],
            resp.content,
        )

    async def sign_in(
        self, path: str, body: dict[str, str], authorization: str | None = None
    ) -> ForwardedResponse:
        headers = {"authorization": authorization} if authorization else {}
        with upstream_call(self.metrics, "gateway"):
            resp = await self.client.post(
                f"{self.base_url}/auth/v1/{path}", json=body, headers=headers
            )
        kept = [(k, v) for k, v in resp.headers.multi_items() if k.lower() in _SIGN_IN_HEADERS]
        return ForwardedResponse(resp.status_code, kept, resp.content)

    async def forward(
        self,
        method: str,
        path: str,
        query: bytes,
        headers: list[tuple[str, str]],
        body: bytes,
    ) -> ForwardedResponse:
        url = f"{self.base_url}/iam/v1/{path}"
        if query:
            url = f"{url}?{query.decode('latin-1')}"
        with upstream_call(self.metrics, "gateway"):
            resp = await self.client.request(method, url, headers=headers, content=body)
        out = [
            (k, v)
            for k, v in resp.headers.multi_items()
            if k.lower() not in HOP_BY_HOP and k.lower() != "content-encoding"
        ]
        return ForwardedResponse(resp.status_code, out, resp.content)

    async def reload_routing(self) -> RoutingReload:
        with upstream_call(self.metrics, "gateway"):
            resp = await self.client.post(f"{self.base_url}/admin/v1/config/reload")
        return decode_json(resp, RoutingReload, "gateway reload")

    async def resolve(self, tenant_id: str, kind: str) -> RouteResolution:
        with upstream_call(self.metrics, "gateway"):
            resp = await self.client.get(
                f"{self.base_url}/admin/routing/resolve",
                params={"tenant": tenant_id, "kind": kind},
            )
        return decode_json(resp, RouteResolution, "gateway resolve")
