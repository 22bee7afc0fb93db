"""The config registry's integration environment: `ops_env` (NATS, devfleet platform reading
its config revisions from NATS, a devfleet Gateway routing from it, the API) plus a routing
document, and helpers to plan, apply and roll back through the API."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import nats

from cloudlysis_control.adapters.nats.state import BUCKET_CONFIG
from tests.support.auth import bearer
from tests.support.ops import OpsEnv, ops_env, wait_job

ROUTES = [
    {"path_prefix": "/v1/tenants/{tenant}/commands", "kind": "aggregate"},
    {"path_prefix": "/v1/tenants/{tenant}/queries", "kind": "projection"},
    {"path_prefix": "/v1/tenants/{tenant}/jobs", "kind": "runner"},
]
FLAGS = {"schema_version": 1, "max_impact_percent": 100, "verify_timeout": "3s"}
ROUTING_URL = "/admin/v1/config/routing/gateway"
PLAN_URL = "/admin/v1/plans/config/routing/gateway"


def routing_doc(overrides: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"schema_version": 1, "routes": ROUTES, "overrides": overrides or []}


@asynccontextmanager
async def config_env(tmp_path: Path, secret_file: Path, **env: str) -> AsyncIterator[OpsEnv]:
    async with ops_env(tmp_path, secret_file, **env) as e:
        await e.placement.put("routing", json.dumps(routing_doc()).encode())
        # Two tenants only: moving one is half of them, over the default impact threshold.
        nc = await nats.connect(e.nats_url)
        try:
            kv = await nc.jetstream().key_value(BUCKET_CONFIG.name)
            await kv.put("flags/control/platform", json.dumps(FLAGS).encode())
        finally:
            await nc.close()
        async with httpx.AsyncClient() as c:
            r = await c.post(f"{e.gateway_url}/admin/v1/config/reload")
            assert r.status_code == 200, r.text
        yield e


async def current(api: httpx.AsyncClient, url: str = ROUTING_URL, **params: str) -> dict[str, Any]:
    r = await api.get(url, params=params, headers=bearer())
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def plan(
    api: httpx.AsyncClient,
    doc: dict[str, Any],
    base: str | None,
    url: str = PLAN_URL,
    **params: str,
) -> dict[str, Any]:
    r = await api.post(
        url,
        params=params,
        json={"base_revision": base, "document": json.dumps(doc)},
        headers=bearer(),
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def job_headers() -> dict[str, str]:
    return {**bearer(), "Idempotency-Key": uuid.uuid4().hex}


async def apply(
    api: httpx.AsyncClient,
    p: dict[str, Any],
    url: str = ROUTING_URL,
    name: str = "gateway",
    **params: str,
) -> httpx.Response:
    return await api.post(
        f"{url}/apply",
        params=params,
        json={
            "reason": "test change",
            "base_revision": p["base_revision"],
            "patch": p["patch"],
            "plan_hash": p["plan_hash"],
            "confirm": name,
        },
        headers=job_headers(),
    )


async def apply_and_wait(api: httpx.AsyncClient, p: dict[str, Any], **kw: Any) -> dict[str, Any]:
    r = await apply(api, p, **kw)
    assert r.status_code == 202, r.text
    return await wait_job(api, r.json()["id"])


async def resolve(gateway_url: str, tenant: str, kind: str = "aggregate") -> dict[str, Any]:
    async with httpx.AsyncClient() as c:
        r = await c.get(
            f"{gateway_url}/admin/routing/resolve", params={"tenant": tenant, "kind": kind}
        )
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body
