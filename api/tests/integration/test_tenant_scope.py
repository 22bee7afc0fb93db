"""The route table with tenant-scoped rights, against the real devfleet Gateway: every IAM
pass-through route and every tenant-scoped route (plus the platform-only ones) for a platform
admin, a viewer, and the tenant operator `acme-operator` (tenant-operator on acme-eu and acme-us)
in scope and out of scope. Every 403 names the missing right and its scope and is audited.

Mutations send a body that breaks the schema: a request the boundary lets through is refused
after it (400), one it stops is 403 — the table holds the boundary without side effects.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.support.iam_env import IamEnv, iam_env

pytestmark = pytest.mark.integration

IN, OUT = "acme-eu", "hooli-eu"
WHO = ("admin", "viewer", "op-in", "op-out")


@pytest.fixture(scope="module")
async def env(nats_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[IamEnv]:
    async with iam_env(nats_url, tmp_path_factory.mktemp("scope")) as e:
        yield e


def _row(
    method: str, path: str, statuses: tuple[int, int, int, int], body: Any = None, **kw: Any
) -> tuple[str, str, Any, tuple[int, int, int, int], dict[str, Any]]:
    return (method, path, body, statuses, kw)


# (method, path with {t} for the tenant, body, (admin, viewer, op in scope, op out of scope)).
ROUTES = [
    # The IAM pass-through: platform-wide rights only, whatever tenant the caller names.
    _row("GET", "/admin/v1/iam/users", (200, 200, 403, 403), tenant_header=True),
    _row("GET", "/admin/v1/iam/roles/viewer", (200, 200, 403, 403), tenant_header=True),
    _row("GET", "/admin/v1/iam/sessions?principal_id=nobody", (200, 200, 403, 403)),
    _row("POST", "/admin/v1/iam/users", (422, 403, 403, 403), {"id": "Bad Id", "name": "x"}),
    _row("PUT", "/admin/v1/iam/roles/viewer", (422, 403, 403, 403), {"rights": ["Not A Right"]}),
    _row("PATCH", "/admin/v1/iam/users/ghost", (404, 403, 403, 403), {"name": "x"}),
    _row("DELETE", "/admin/v1/iam/users/ghost", (404, 403, 403, 403)),
    _row("PUT", "/admin/v1/iam/users/ghost/bindings/viewer", (404, 403, 403, 403), {}),
    _row("DELETE", "/admin/v1/iam/roles/ghost", (404, 403, 403, 403)),
    # Tenant-scoped: the tenant in the path or in x-tenant-id.
    _row("GET", "/admin/v1/tenants/{t}", (200, 200, 200, 403)),
    _row("GET", "/admin/v1/tenant/activity", (200, 200, 200, 403), tenant_header=True),
    _row("POST", "/admin/v1/tenants/{t}/drain", (400, 403, 400, 403), {}),
    _row("POST", "/admin/v1/tenants/{t}/resume", (400, 403, 400, 403), {}),
    _row("POST", "/admin/v1/tenants/{t}/migrate", (400, 403, 400, 403), {}),
    _row("POST", "/admin/v1/plans/tenants/{t}/migrate", (400, 403, 400, 403), {}),
    _row("POST", "/admin/v1/jobs/kinds/tenant.drain", (400, 403, 400, 403), {}, tenant_header=True),
    _row(
        "POST", "/admin/v1/jobs/kinds/tenant.resume", (400, 403, 400, 403), {}, tenant_header=True
    ),
    _row(
        "POST", "/admin/v1/jobs/kinds/tenant.migrate", (400, 403, 400, 403), {}, tenant_header=True
    ),
    # Filtered to the caller's tenants: any tenant in scope will do.
    _row("GET", "/admin/v1/tenants", (200, 200, 200, 200)),
    _row("GET", "/admin/v1/jobs", (200, 200, 200, 200)),
    _row("GET", "/admin/v1/audit", (200, 200, 200, 200)),
    _row("GET", "/admin/v1/locks", (200, 200, 200, 200)),
    _row("GET", "/admin/v1/investigate?id=nothing-here", (200, 200, 200, 200)),
    _row("GET", "/admin/v1/whoami", (200, 200, 200, 200)),
    _row("GET", "/admin/v1/settings", (200, 200, 200, 200)),
    # Platform-only: a right held on some tenants is not enough.
    _row("GET", "/admin/v1/fleet", (200, 200, 403, 403)),
    _row("GET", "/admin/v1/placement", (200, 200, 403, 403)),
    _row("GET", "/admin/v1/routing", (200, 200, 403, 403)),
    _row("GET", "/admin/v1/deployments", (503, 503, 403, 403)),  # Swarm is off here
    _row("POST", "/admin/v1/config/reload", (400, 403, 403, 403), {}),
    _row("POST", "/admin/v1/jobs/kinds/platform.verify", (400, 403, 403, 403), {}),
    _row("GET", "/admin/v1/audit/export", (200, 403, 403, 403)),
    _row("POST", "/admin/v1/swarm/services/platform_gateway/deploy", (400, 403, 403, 403), {}),
    _row("POST", "/admin/v1/swarm/services/platform_gateway/rollback", (400, 403, 403, 403), {}),
    _row("POST", "/admin/v1/jobs/kinds/service.deploy", (400, 403, 403, 403), {}),
    _row("POST", "/admin/v1/config/routing/gateway/apply", (400, 403, 403, 403), {}),
    _row("POST", "/admin/v1/config/routing/gateway/rollback", (400, 403, 403, 403), {}),
    _row("POST", "/admin/v1/jobs/kinds/config.apply", (400, 403, 403, 403), {}),
    _row("POST", "/admin/v1/jobs/kinds/config.rollback", (400, 403, 403, 403), {}),
]


def _id(row: tuple[str, str, Any, Any, Any]) -> str:
    return f"{row[0]} {row[1]}"


@pytest.mark.parametrize(("method", "path", "body", "statuses", "kw"), ROUTES, ids=map(_id, ROUTES))
@pytest.mark.parametrize("who", WHO)
async def test_route_table(
    env: IamEnv,
    who: str,
    method: str,
    path: str,
    body: Any,
    statuses: tuple[int, int, int, int],
    kw: dict[str, Any],
) -> None:
    tenant = IN if who == "op-in" else OUT
    principal = "acme-operator" if who.startswith("op-") else who
    correlation = f"scope-{uuid.uuid4().hex}"
    headers = await env.headers(principal, **{"x-correlation-id": correlation})
    headers["Idempotency-Key"] = uuid.uuid4().hex
    if kw.get("tenant_header"):
        headers["x-tenant-id"] = tenant
    expected = statuses[WHO.index(who)]
    r = await env.api.request(method, path.replace("{t}", tenant), json=body, headers=headers)
    assert r.status_code == expected, (who, r.text)
    denials = await env.denials(correlation)
    if expected != 403:
        assert denials == []
        return
    problem = r.json()
    assert problem["missing_right"].startswith("control."), problem
    scope = problem["scope"]
    assert scope in ("platform", "any", f"tenant:{tenant}"), problem
    assert [(d["actor"], d["outcome"], d["detail"]) for d in denials] == [
        (principal, "denied", {"missing_right": problem["missing_right"], "scope": scope})
    ]
    assert denials[0]["tenant_id"] == (tenant if scope.startswith("tenant:") else None)
