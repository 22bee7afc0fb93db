"""T4.1/T4.2: placement endpoints over a real nats-server and the dev file source.

* the API serves what is in NATS KV (revision = KV revision) and hot-reloads every change;
* a bad value is refused and the last known good one keeps being served, with the refusal shown;
* stress: while one writer rewrites a map continuously, concurrent readers never see a mix of two
  revisions (content always matches the revision it is served with; revisions never go back);
* a dedicated nats-server is killed and restarted: placement keeps serving the last known good
  maps marked stale, and is live again (and follows new writes) within 3 s of the server's return.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
from cloudlysis_devfleet import serve
from litestar import Litestar
from litestar.testing import AsyncTestClient
from nats.js.kv import KeyValue

from cloudlysis_control.adapters.nats.server import EmbeddedNatsServer
from cloudlysis_control.bootstrap.app import create_app
from cloudlysis_control.placement.sources import write_atomic
from tests.support.auth import FakeRights, bearer
from tests.support.net import free_port
from tests.support.settings import app_settings
from tests.support.wait import eventually

pytestmark = pytest.mark.integration

Client = AsyncTestClient[Litestar]
BUCKET = "control_placement"


def pmap(kind: str, tenants: dict[str, str], default: str = "a", **shards: str) -> bytes:
    names = {"a", "b", default, *tenants.values(), *shards}
    return json.dumps(
        {
            "schema_version": 1,
            "kind": kind,
            "default_shard": default,
            "shards": {n: {"endpoints": [shards.get(n, f"http://127.0.0.1:1/{n}")]} for n in names},
            "tenants": tenants,
        }
    ).encode()


@pytest.fixture
async def raw_kv(nats_url: str, client: Client) -> AsyncIterator[KeyValue]:
    """A second writer (raw nats-py) on the bucket the app provisioned."""
    nc = await nats.connect(nats_url)
    try:
        yield await nc.jetstream().key_value(BUCKET)
    finally:
        await nc.close()


async def get_map(client: Client, kind: str = "aggregate") -> dict[str, Any]:
    r = await client.get(f"/admin/v1/placement/{kind}", headers=bearer())
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


async def test_serves_kv_values_and_hot_reloads(client: Client, raw_kv: KeyValue) -> None:
    rev = await raw_kv.put("aggregate_placement", pmap("aggregate", {"acme": "b"}))
    routing = {"schema_version": 1, "routes": [{"path_prefix": "/v1/x", "kind": "runner"}]}
    rrev = await raw_kv.put("routing", json.dumps(routing).encode())

    async def at_rev() -> Any:
        body = await get_map(client)
        return body if body["revision"] == str(rev) else None

    body = await eventually(at_rev, 3, "the API serving the new revision")
    assert body["source"] == "nats" and body["key"] == "aggregate_placement"
    assert body["tenants"] == {"acme": "b"} and body["default_shard"] == "a"
    assert body["stale"] is False and body["updated_at"].endswith("Z")
    assert set(body["shards"]) == {"a", "b"}

    r = await client.get("/admin/v1/routing", headers=bearer())
    assert r.status_code == 200 and r.json()["revision"] == str(rrev)
    assert r.json()["config"]["routes"] == routing["routes"]
    over = (await client.get("/admin/v1/placement", headers=bearer())).json()
    assert [m["kind"] for m in over["maps"]] == ["aggregate", "projection", "runner"]
    assert over["routing"]["present"] is True

    # A bad value is refused; the last known good one stays, with the refusal beside it.
    bad = await raw_kv.put("aggregate_placement", pmap("aggregate", {"acme": "zz"}, default="q"))
    await raw_kv.put("aggregate_placement", b"{")

    async def refused() -> Any:
        b = await get_map(client)
        return b if b["last_error"] and int(b["last_error"]["revision"]) > rev else None

    body = await eventually(refused, 3, "the refusal being reported")
    assert body["revision"] == str(bad)  # "zz" is a valid shard: this one was accepted
    assert body["tenants"] == {"acme": "zz"}
    assert body["last_error"]["revision"] == str(bad + 1)


async def test_placement_errors_are_problems(client: Client) -> None:
    r = await client.get("/admin/v1/placement/gateway", headers=bearer())
    assert r.status_code == 400
    assert r.headers["content-type"].startswith("application/problem+json")
    assert (await client.get("/admin/v1/placement")).status_code == 401
    r = await client.get("/admin/v1/placement", headers=bearer("nobody"))
    assert r.status_code == 403 and r.json()["missing_right"] == "control.placement.read"
    r = await client.get("/admin/v1/routing", headers=bearer("viewer"))
    assert r.status_code == 200


async def test_concurrent_readers_never_see_mixed_revisions(
    nats_url: str, secret_file: Path, tmp_path: Path, rights: FakeRights
) -> None:
    """T4.2: revision N maps every tenant (and the default) to shard `s{N % 3}` and names itself
    in tenant `gen-N`; a response mixing two writes would break one of those invariants.

    The app runs under uvicorn in this event loop and readers use real HTTP, so the writer and
    the readers genuinely interleave (the Litestar test client would serialise them).
    """
    app = create_app(app_settings(nats_url, secret_file, tmp_path), rights_source=rights)
    async with serve(app) as url, httpx.AsyncClient(base_url=url, timeout=10) as http:
        nc = await nats.connect(nats_url)
        try:
            raw_kv = await nc.jetstream().key_value(BUCKET)
            await _stress(http, raw_kv)  # type: ignore[arg-type]
        finally:
            await nc.close()


async def _stress(client: Client, raw_kv: KeyValue) -> None:
    tenants = [f"t-{i:03d}" for i in range(300)]
    rev_to_gen: dict[int, int] = {}
    stop = asyncio.Event()

    def doc(gen: int) -> bytes:
        shard = f"s{gen % 3}"
        return pmap(
            "aggregate",
            {**dict.fromkeys(tenants, shard), f"gen-{gen}": shard},
            default=shard,
            s0="http://127.0.0.1:1/s0",
            s1="http://127.0.0.1:1/s1",
            s2="http://127.0.0.1:1/s2",
        )

    async def writer() -> None:
        gen = 0
        while not stop.is_set():
            gen += 1
            rev_to_gen[await raw_kv.put("aggregate_placement", doc(gen))] = gen
            await asyncio.sleep(0.005)

    observed: list[tuple[str, int, str, int]] = []  # (reader, revision, shard, gen)

    async def map_reader(name: str) -> None:
        last = 0
        while not stop.is_set():
            body = await get_map(client)
            if body["revision"] is None or not body["tenants"].get("t-000"):
                await asyncio.sleep(0.005)
                continue
            gens = [int(t[4:]) for t in body["tenants"] if t.startswith("gen-")]
            assert len(gens) == 1, gens
            shards = set(body["tenants"].values())
            assert shards == {body["default_shard"]}, shards
            rev = int(body["revision"])
            assert rev >= last, (rev, last)
            last = rev
            observed.append((name, rev, body["default_shard"], gens[0]))

    async def list_reader() -> None:
        while not stop.is_set():
            r = await client.get("/admin/v1/tenants", params={"limit": 400}, headers=bearer())
            assert r.status_code == 200, r.text
            page = r.json()
            items = [i for i in page["items"] if i["tenant_id"].startswith(("t-", "gen-"))]
            if not items:
                await asyncio.sleep(0.005)
                continue
            shards = {i["placement"]["aggregate"]["shard"] for i in items}
            assert len(shards) == 1, shards
            gens = [int(i["tenant_id"][4:]) for i in items if i["tenant_id"].startswith("gen-")]
            assert len(gens) == 1, gens
            observed.append(("list", int(page["revisions"]["aggregate"]), shards.pop(), gens[0]))

    tasks = [asyncio.create_task(writer())]
    tasks += [asyncio.create_task(map_reader(f"r{i}")) for i in range(3)]
    tasks.append(asyncio.create_task(list_reader()))
    # Run until enough has happened (not for a fixed time: a loaded machine is slower, not wrong).
    async with asyncio.timeout(120):
        while not (
            len(rev_to_gen) > 50
            and len(observed) > 50
            and len({rev for _, rev, _, _ in observed}) > 10
            and any(name == "list" for name, _, _, _ in observed)
        ):
            if any(t.done() for t in tasks):
                break  # a reader failed: gather() below raises its assertion
            await asyncio.sleep(0.05)
    stop.set()
    await asyncio.gather(*tasks)

    assert len(rev_to_gen) > 50, "the writer should have made many revisions"
    assert len(observed) > 50
    distinct = {rev for _, rev, _, _ in observed}
    assert len(distinct) > 10, "readers should have seen many different revisions"
    for _reader, rev, shard, gen in observed:
        assert rev_to_gen[rev] == gen, (rev, gen)  # the content belongs to the revision served
        assert shard == f"s{gen % 3}"
    final = max(rev_to_gen)

    async def at_final() -> bool:
        return (await get_map(client))["revision"] == str(final)

    await eventually(at_final, 2, "the last write being served")


async def test_file_source_hot_reload(
    nats_url: str, secret_file: Path, tmp_path: Path, rights: FakeRights
) -> None:
    path = tmp_path / "config" / "placement" / "dev.json"
    first = {"schema_version": 1, "runner_placement": json.loads(pmap("runner", {"acme": "b"}))}
    write_atomic(path, json.dumps(first).encode())
    settings = app_settings(
        nats_url,
        secret_file,
        tmp_path,
        CONTROL_PLACEMENT_SOURCE="file",
        CONTROL_PLACEMENT_FILE=str(path),
        CONTROL_PLACEMENT_FILE_POLL_S="0.05",
    )
    async with AsyncTestClient(app=create_app(settings, rights_source=rights)) as client:
        body = await get_map(client, "runner")
        assert body["source"] == "file" and body["tenants"] == {"acme": "b"}
        assert len(body["revision"]) == 16
        assert (await get_map(client, "aggregate"))["present"] is False
        second = {**first, "runner_placement": json.loads(pmap("runner", {"acme": "a"}))}
        write_atomic(path, json.dumps(second).encode())

        async def reloaded() -> bool:
            return (await get_map(client, "runner"))["tenants"] == {"acme": "a"}

        await eventually(reloaded, 2, "the file change being served")
        write_atomic(path, b'{"schema_version": 1, "runner_placement": 7}')

        async def refused() -> Any:
            b = await get_map(client, "runner")
            return b if b["last_error"] else None

        body = await eventually(refused, 2, "the bad file being refused")
        assert body["tenants"] == {"acme": "a"}


async def test_nats_restart_serves_last_known_good_then_recovers(
    secret_file: Path, tmp_path: Path, rights: FakeRights
) -> None:
    store = tmp_path / "nats-store"
    port = free_port()
    server = EmbeddedNatsServer(store, port=port)
    await server.start()
    seed = tmp_path / "seed.json"
    seed.write_text(
        json.dumps(
            {
                "schema_version": 1,
                "aggregate_placement": json.loads(pmap("aggregate", {"acme": "b"})),
                "projection_placement": json.loads(pmap("projection", {"acme": "a"})),
            }
        )
    )
    settings = app_settings(
        server.url, secret_file, tmp_path / "data", CONTROL_PLACEMENT_SEED_FILE=str(seed)
    )
    try:
        async with AsyncTestClient(app=create_app(settings, rights_source=rights)) as client:
            # Seeded on first start because the bucket was empty.
            body = await eventually(
                lambda: _present(client, "projection"), 3, "the seeded projection map"
            )
            assert body["tenants"] == {"acme": "a"} and body["revision"] is not None
            assert (await get_map(client))["tenants"] == {"acme": "b"}

            assert server.process is not None
            server.process.kill()
            await asyncio.to_thread(server.process.wait)

            async def stale() -> Any:
                b = await get_map(client)
                return b if b["stale"] else None

            body = await eventually(stale, 5, "placement marked stale")
            assert body["tenants"] == {"acme": "b"}  # last known good, still served
            await asyncio.sleep(0.3)
            body = await get_map(client)
            assert body["stale"] and body["stale_for_s"] >= 0.3
            over = (await client.get("/admin/v1/placement", headers=bearer())).json()
            assert over["stale"] is True and all(m["stale"] for m in over["maps"])
            tenants = (await client.get("/admin/v1/tenants", headers=bearer())).json()
            assert tenants["stale"] is True and tenants["items"][0]["tenant_id"] == "acme"

            server = EmbeddedNatsServer(store, port=port)
            await server.start()
            back = time.monotonic()

            async def live() -> bool:
                return not (await get_map(client))["stale"]

            await eventually(live, 3, "placement live again")
            # New writes are followed again (the KV watcher was recreated).
            nc = await nats.connect(server.url)
            try:
                kv = await nc.jetstream().key_value(BUCKET)
                rev = await kv.put("aggregate_placement", pmap("aggregate", {"acme": "a"}))
            finally:
                await nc.close()

            async def followed() -> bool:
                return (await get_map(client))["revision"] == str(rev)

            await eventually(followed, 3, "a write after the restart being served")
            assert time.monotonic() - back < 3 + 0.5
    finally:
        await server.stop()


async def _present(client: Client, kind: str) -> Any:
    body = await get_map(client, kind)
    return body if body["present"] else None
