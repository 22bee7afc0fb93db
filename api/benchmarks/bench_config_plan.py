"""Config plan for a routing config of 10,000 tenants with 100 changed, and apply → verified.

Starts a real nats-server, the devfleet (Gateway and platform instances, each in its own
process, reading their config from that NATS) and the API in its own process; this process is
the load generator. Placement holds 10,000 tenants; the routing config overrides every one of
them; the proposal moves 100 to the other shard.

* plan: `POST /admin/v1/plans/config/routing/gateway` (validation, patch, line diff, impact over
  all tenants, guardrails, verification sample, hash), p50/p99 over the HTTP round trip;
* baseline, same run, in this process: decode both documents (json) and compute their RFC 6902
  patch with `jsonpatch` — the least any plan must do; ratio = plan p50 / baseline p50;
* apply → verified: `POST …/apply` until the `config.apply` job has succeeded (CAS write, history,
  Gateway reload, 30 resolutions through the Gateway), p50/max; the change flips back and forth.

    uv run python benchmarks/bench_config_plan.py [--iterations 30] [--applies 6]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import jsonpatch  # type: ignore[import-untyped]
import nats
from _bench_support import pct, start_api, stop_api, token, wait_ready, write_secret

from cloudlysis_control.adapters.nats.server import EmbeddedNatsServer, free_port
from cloudlysis_control.adapters.nats.state import BUCKET_CONFIG, NatsState
from cloudlysis_control.bootstrap.placement import BUCKET_PLACEMENT

NAME = "config_plan"
TENANTS = 10_000
CHANGED = 100
ROUTES = [{"path_prefix": "/v1/tenants/{tenant}/commands", "kind": "aggregate"}]


def routing(gen: int) -> dict[str, Any]:
    """Every tenant overridden; `gen` odd moves the first CHANGED of them to the other shard."""
    overrides = []
    for i in range(TENANTS):
        flip = gen % 2 == 1 and i % (TENANTS // CHANGED) == 0
        shard = 1 + (i % 2)
        if flip:
            shard = 3 - shard
        overrides.append(
            {
                "tenant": f"t-{i:05d}",
                "kind": "aggregate",
                "shard": f"aggregate-{shard}",
                "endpoints": [],
            }
        )
    return {"schema_version": 1, "routes": ROUTES, "overrides": overrides}


def _spawn(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "cloudlysis_devfleet", *args],
        stdin=subprocess.DEVNULL,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


def _wait_file(path: Path, timeout_s: float = 60) -> list[dict[str, str]]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if path.is_file() and path.stat().st_size:
            found: list[dict[str, str]] = json.loads(path.read_text())
            return found
        time.sleep(0.1)
    raise RuntimeError(f"{path} was not written")


def baseline(base_text: str, new_text: str, iterations: int) -> list[float]:
    samples = []
    for _ in range(iterations):
        started = time.perf_counter()
        jsonpatch.make_patch(json.loads(base_text), json.loads(new_text))
        samples.append(time.perf_counter() - started)
    return samples


async def bench(iterations: int, applies: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        server = EmbeddedNatsServer(base / "nats")
        await server.start()
        gw_port = free_port()
        procs = [
            _spawn(
                [
                    "gateway",
                    "--port",
                    str(gw_port),
                    "--data-dir",
                    str(base / "gw"),
                    "--nats-url",
                    server.url,
                ],
                base / "gw.log",
            ),
            _spawn(
                [
                    "many",
                    "--aggregate",
                    "2",
                    "--runner",
                    "1",
                    "--fleet-file",
                    str(base / "platform.json"),
                    "--nats-url",
                    server.url,
                ],
                base / "platform.log",
            ),
        ]
        api = None
        try:
            gateway = f"http://127.0.0.1:{gw_port}"
            platform = await asyncio.to_thread(_wait_file, base / "platform.json")
            fleet = base / "fleet.json"
            await asyncio.to_thread(
                fleet.write_text,
                json.dumps([{"name": "gateway", "kind": "gateway", "url": gateway}, *platform]),
            )
            state = NatsState(url=server.url)
            await state.connect()
            await state.provision([BUCKET_PLACEMENT, BUCKET_CONFIG], [])
            await state.close()
            nc = await nats.connect(server.url)
            placement_kv = await nc.jetstream().key_value(BUCKET_PLACEMENT.name)
            shards = {
                p["name"]: {"endpoints": [p["url"]]} for p in platform if p["kind"] == "aggregate"
            }
            tenants = {f"t-{i:05d}": f"aggregate-{1 + i % 2}" for i in range(TENANTS)}
            await placement_kv.put(
                "aggregate_placement",
                json.dumps(
                    {
                        "schema_version": 1,
                        "kind": "aggregate",
                        "default_shard": "aggregate-1",
                        "shards": shards,
                        "tenants": tenants,
                    }
                ).encode(),
            )
            await placement_kv.put("routing", json.dumps(routing(0)).encode())
            port = free_port()
            api = start_api(
                {
                    "CONTROL_NATS_URL": server.url,
                    "CONTROL_TOKEN_HS256_SECRET_FILE": str(write_secret(base)),
                    "CONTROL_DATA_DIR": str(base / "data"),
                    "CONTROL_PORT": str(port),
                    "CONTROL_FLEET_FILE": str(fleet),
                    "CONTROL_GATEWAY_URL": gateway,
                },
                port,
            )
            url = f"http://127.0.0.1:{port}"
            await wait_ready(url)
            async with httpx.AsyncClient(timeout=60) as c:
                await c.post(f"{gateway}/admin/v1/config/reload")
            headers = {"authorization": f"Bearer {token()}"}
            results: dict[str, object] = {"name": NAME, "tenants": TENANTS, "changed": CHANGED}
            async with httpx.AsyncClient(base_url=url, headers=headers, timeout=120) as http:
                # The API's placement view must hold the 10,000 tenants before planning.
                while True:
                    page = (await http.get("/admin/v1/tenants", params={"limit": 1})).json()
                    if page["revisions"]["aggregate"] is not None:
                        break
                    await asyncio.sleep(0.1)
                current = (await http.get("/admin/v1/config/routing/gateway")).json()
                base_text = current["document"]
                # The proposal in the API's canonical form (keys sorted, every field present), so
                # the baseline diffs what the plan diffs: 100 changed overrides.
                new_text = json.dumps(routing(1), sort_keys=True, indent=2)
                plans = []
                plan: dict[str, Any] = {}
                for i in range(iterations + 3):
                    started = time.perf_counter()
                    r = await http.post(
                        "/admin/v1/plans/config/routing/gateway",
                        json={"base_revision": current["revision"], "document": new_text},
                    )
                    elapsed = time.perf_counter() - started
                    assert r.status_code == 200, r.text[:500]
                    plan = r.json()
                    if i >= 3:
                        plans.append(elapsed)
                assert plan["impact"]["tenants_changed"] == CHANGED, plan["impact"]["summary"]
                assert len(plan["patch"]) == CHANGED, len(plan["patch"])
                base_samples = baseline(base_text, new_text, iterations)
                results["plan_p50_ms"] = round(pct(plans, 50) * 1000, 2)
                results["plan_p99_ms"] = round(pct(plans, 99) * 1000, 2)
                results["baseline_p50_ms"] = round(pct(base_samples, 50) * 1000, 2)
                results["baseline_p99_ms"] = round(pct(base_samples, 99) * 1000, 2)
                results["ratio"] = round(pct(plans, 50) / pct(base_samples, 50), 2)

                ends = []
                for gen in range(1, applies + 1):
                    current = (await http.get("/admin/v1/config/routing/gateway")).json()
                    p = (
                        await http.post(
                            "/admin/v1/plans/config/routing/gateway",
                            json={
                                "base_revision": current["revision"],
                                "document": json.dumps(routing(gen)),
                            },
                        )
                    ).json()
                    started = time.perf_counter()
                    r = await http.post(
                        "/admin/v1/config/routing/gateway/apply",
                        json={
                            "reason": "bench",
                            "base_revision": p["base_revision"],
                            "patch": p["patch"],
                            "plan_hash": p["plan_hash"],
                            "confirm": "gateway",
                        },
                        headers={"Idempotency-Key": uuid.uuid4().hex},
                    )
                    assert r.status_code == 202, r.text[:500]
                    job_id = r.json()["id"]
                    while True:
                        job = (await http.get(f"/admin/v1/jobs/{job_id}")).json()
                        if job["status"] in ("succeeded", "failed"):
                            break
                        await asyncio.sleep(0.01)
                    assert job["status"] == "succeeded", job
                    ends.append(time.perf_counter() - started)
                results["apply_verified_p50_ms"] = round(pct(ends, 50) * 1000, 1)
                results["apply_verified_max_ms"] = round(max(ends) * 1000, 1)
                results["applies"] = applies
            await nc.close()
        finally:
            if api is not None:
                stop_api(api)
            for proc in procs:
                proc.terminate()
                proc.wait(10)
            await server.stop()
    results["iterations"] = iterations
    return results


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument("--applies", type=int, default=6)
    args = parser.parse_args()
    r = asyncio.run(bench(args.iterations, args.applies))
    print(
        f"config plan, {TENANTS:,} tenants / {CHANGED} changed: p50 {r['plan_p50_ms']} ms, p99 "
        f"{r['plan_p99_ms']} ms; baseline (decode both + jsonpatch) p50 {r['baseline_p50_ms']} ms, "
        f"p99 {r['baseline_p99_ms']} ms; ratio {r['ratio']}; apply → verified p50 "
        f"{r['apply_verified_p50_ms']} ms, max {r['apply_verified_max_ms']} ms"
    )
    print("BENCH_RESULT " + json.dumps(r, sort_keys=True), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
