"""One way in: for every job kind, the generic `POST /admin/v1/jobs/kinds/{kind}` and the kind's
dedicated endpoint answer a refused preflight, a missing Idempotency-Key, a held lock and a
missing right with the same status and the same problem body (issue #14). Both go through
JobService.create, so neither can skip a check the other runs.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import pytest

from cloudlysis_control.locks.schemas import LockRecord
from tests.support.auth import bearer
from tests.support.ops import TENANT, OpsEnv, ops_env, plan, switch
from tests.support.swarm import isolated_fixture

pytestmark = pytest.mark.integration

SERVICE = "platform_runner"
UPDATING = "platform_gateway"  # its fixture UpdateStatus is "updating": deploy preflight refuses


@dataclass(frozen=True)
class Route:
    """How each way creates one request of a kind: (path, body, extra headers)."""

    dedicated: Callable[[dict[str, Any]], tuple[str, dict[str, Any], dict[str, str]]]
    generic: Callable[[dict[str, Any]], tuple[str, dict[str, Any], dict[str, str]]]
    lock: tuple[str, str]  # the lock a job of this kind holds
    right: str


def tenant_op(kind: str, action: str) -> Route:
    return Route(
        dedicated=lambda p: (f"/admin/v1/tenants/{TENANT}/{action}", {"reason": "r", **p}, {}),
        generic=lambda p: (
            f"/admin/v1/jobs/kinds/{kind}",
            {"reason": "r", "params": p},
            {"x-tenant-id": TENANT},
        ),
        lock=("tenant", TENANT),
        right="control.tenants.operate",
    )


def service_op(kind: str, action: str) -> Route:
    def dedicated(p: dict[str, Any]) -> tuple[str, dict[str, Any], dict[str, str]]:
        change = {k: v for k, v in p.items() if k != "service"}
        return f"/admin/v1/swarm/services/{p['service']}/{action}", {"reason": "r", **change}, {}

    return Route(
        dedicated=dedicated,
        generic=lambda p: (f"/admin/v1/jobs/kinds/{kind}", {"reason": "r", "params": p}, {}),
        lock=("service", SERVICE),
        right="control.deployments.operate",
    )


ROUTES: dict[str, Route] = {
    "tenant.drain": tenant_op("tenant.drain", "drain"),
    "tenant.resume": tenant_op("tenant.resume", "resume"),
    "tenant.migrate": tenant_op("tenant.migrate", "migrate"),
    "config.reload": Route(
        dedicated=lambda p: ("/admin/v1/config/reload", {"reason": "r", **p}, {}),
        generic=lambda p: ("/admin/v1/jobs/kinds/config.reload", {"reason": "r", "params": p}, {}),
        lock=("config", "gateway"),
        right="control.config.write",
    ),
    "service.deploy": service_op("service.deploy", "deploy"),
    "service.rollback": service_op("service.rollback", "rollback"),
    "config.apply": Route(
        dedicated=lambda p: (
            f"/admin/v1/config/{p['domain']}/{p['name']}/apply",
            {"reason": "r", **{k: v for k, v in p.items() if k not in FLAGS}},
            {},
        ),
        generic=lambda p: ("/admin/v1/jobs/kinds/config.apply", {"reason": "r", "params": p}, {}),
        lock=("config", "flags-control-platform"),
        right="control.config.write",
    ),
    "config.rollback": Route(
        dedicated=lambda p: (
            f"/admin/v1/config/{p['domain']}/{p['name']}/rollback",
            {"reason": "r", **{k: v for k, v in p.items() if k not in FLAGS}},
            {},
        ),
        generic=lambda p: (
            "/admin/v1/jobs/kinds/config.rollback",
            {"reason": "r", "params": p},
            {},
        ),
        lock=("config", "flags-control-platform"),
        right="control.config.write",
    ),
}
FLAGS = {"domain": "flags", "name": "control", "scope": "platform"}


@pytest.fixture(scope="module")
def module_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("paths")


@pytest.fixture(scope="module")
async def env(module_tmp: Path, secret_file: Path) -> AsyncIterator[OpsEnv]:
    fixture = isolated_fixture(module_tmp, **{UPDATING: "updating"})
    async with ops_env(
        module_tmp,
        secret_file,
        CONTROL_SWARM_MODE="file",
        CONTROL_SWARM_FILE=str(fixture),
        CONTROL_SWARM_DISCOVERY="false",
    ) as e:
        yield e


async def params_of(env: OpsEnv, kind: str) -> dict[str, Any]:
    """Params that pass validation (and, with nothing held, every check)."""
    if kind in ("tenant.drain", "tenant.resume"):
        return {}
    if kind == "tenant.migrate":
        p = await plan(env.api)
        return {"kind": "aggregate", "target_shard": p["target_shard"], "plan_hash": p["plan_hash"]}
    if kind == "config.reload":
        return {"services": ["gateway"]}
    if kind == "service.deploy":
        return {"service": SERVICE, "confirm": SERVICE, "tag": "0.8.1"}
    if kind == "config.apply":
        doc = {"schema_version": 1, "max_impact_percent": 30}
        r = await env.api.post(
            "/admin/v1/plans/config/flags/control",
            json={"base_revision": None, "document": json.dumps(doc)},
            headers=bearer(),
        )
        assert r.status_code == 200, r.text
        p = r.json()
        change = {"base_revision": None, "patch": p["patch"], "plan_hash": p["plan_hash"]}
        return {**FLAGS, **change, "confirm": "control"}
    if kind == "config.rollback":
        # Schema-valid; the right, the Idempotency-Key and the lock are checked before the plan.
        change = {"base_revision": None, "target_revision": "1", "plan_hash": "0" * 64}
        return {**FLAGS, **change, "confirm": "control"}
    return {"service": SERVICE, "confirm": SERVICE}


def comparable(resp: Any) -> tuple[int, dict[str, Any]]:
    body = dict(resp.json())
    for per_request in ("request_id", "correlation_id"):
        body.pop(per_request, None)
    return resp.status_code, body


async def both(
    env: OpsEnv, kind: str, params: dict[str, Any], headers: dict[str, str]
) -> tuple[tuple[int, dict[str, Any]], tuple[int, dict[str, Any]]]:
    route = ROUTES[kind]
    answers = []
    for way in (route.dedicated, route.generic):
        path, body, extra = way(params)
        key = {"Idempotency-Key": uuid.uuid4().hex} if "authorization" in headers else {}
        answers.append(
            comparable(await env.api.post(path, json=body, headers={**headers, **key, **extra}))
        )
    return answers[0], answers[1]


@pytest.mark.parametrize("kind", sorted(ROUTES))
async def test_a_missing_idempotency_key(env: OpsEnv, kind: str) -> None:
    params = await params_of(env, kind)
    route = ROUTES[kind]
    answers = []
    for way in (route.dedicated, route.generic):
        path, body, extra = way(params)
        answers.append(
            comparable(await env.api.post(path, json=body, headers={**bearer(), **extra}))
        )
    dedicated, generic = answers
    assert dedicated == generic
    assert dedicated[0] == 400 and dedicated[1]["code"] == "idempotency_key_missing", dedicated


@pytest.mark.parametrize("kind", sorted(ROUTES))
async def test_a_missing_right(env: OpsEnv, kind: str) -> None:
    dedicated, generic = await both(env, kind, await params_of(env, kind), bearer("viewer"))
    assert dedicated == generic
    assert dedicated[0] == 403 and dedicated[1]["missing_right"] == ROUTES[kind].right


@pytest.mark.parametrize("kind", sorted(ROUTES))
async def test_a_held_lock(env: OpsEnv, kind: str) -> None:
    params = await params_of(env, kind)
    scope, name = ROUTES[kind].lock
    holder = f"j_{uuid.uuid4().hex}"
    record = LockRecord(
        scope=scope,
        name=name,
        job_id=holder,
        owner="other-replica",
        acquired_at="2026-01-01T00:00:00Z",
        expires_at=time.time() + 300,
    )
    revision = await env.locks.put(f"{scope}.{name}", msgspec.json.encode(record))
    try:
        dedicated, generic = await both(env, kind, params, bearer())
    finally:
        await env.locks.delete(f"{scope}.{name}", last=revision)
    assert dedicated == generic
    if kind == "config.rollback":
        # A revision the history does not hold is refused before the lock is looked at (the
        # same way both ways); the lock rule itself is config.apply's, on the same lock.
        assert (dedicated[0], dedicated[1]["code"]) == (404, "not_found"), dedicated
        return
    assert dedicated[0] == 409 and dedicated[1]["code"] == "lock_held", dedicated
    assert dedicated[1]["job_id"] == holder


REFUSALS: dict[str, tuple[int, str]] = {
    "tenant.drain": (422, "preflight_refused"),
    "tenant.migrate": (409, "plan_stale"),
    "config.apply": (409, "plan_stale"),
    "service.deploy": (422, "preflight_refused"),
    "service.rollback": (422, "preflight_refused"),
}


@pytest.mark.parametrize("kind", sorted(REFUSALS))
async def test_a_refused_preflight(env: OpsEnv, kind: str) -> None:
    params = await params_of(env, kind)
    if kind.startswith("service."):
        params = {**params, "service": UPDATING, "confirm": UPDATING}
    if kind in ("tenant.migrate", "config.apply"):
        params = {**params, "plan_hash": "0" * 64}
    runner = env.instances["runner-1"].url
    if kind == "tenant.drain":
        await switch(runner, hung=True)
    try:
        dedicated, generic = await both(env, kind, params, bearer())
    finally:
        if kind == "tenant.drain":
            await switch(runner, hung=False)
    assert dedicated == generic
    status, code = REFUSALS[kind]
    assert (dedicated[0], dedicated[1]["code"]) == (status, code), dedicated
    assert dedicated[1]["failures"] is not None or code == "plan_stale"
    for failure in dedicated[1].get("failures") or []:
        assert set(failure) == {"check", "ok", "value", "threshold", "detail"}, failure
