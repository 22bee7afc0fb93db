"""T4.1 (parsing): placement documents, the state swap, the tenant index, the file source."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import msgspec
import pytest

from cloudlysis_control.placement.schemas import (
    PlacementInvalid,
    decode_file,
    decode_map,
    decode_routing,
)
from cloudlysis_control.placement.service import PlacementService, TenantIndex
from cloudlysis_control.placement.sources import (
    FilePlacementSource,
    content_revision,
    seed_values,
    write_atomic,
)


def pmap(
    kind: str = "aggregate", tenants: dict[str, str] | None = None, **kw: Any
) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "kind": kind,
        "default_shard": f"{kind}-a",
        "shards": {
            f"{kind}-a": {"endpoints": ["http://127.0.0.1:9001"]},
            f"{kind}-b": {"endpoints": ["http://127.0.0.1:9002", "https://b.example:443/x"]},
        },
        "tenants": tenants if tenants is not None else {"acme": f"{kind}-b"},
        **kw,
    }


def enc(doc: Any) -> bytes:
    return json.dumps(doc).encode()


def test_valid_map_decodes() -> None:
    m = decode_map(enc(pmap()), "aggregate")
    assert m.default_shard == "aggregate-a"
    assert m.tenants == {"acme": "aggregate-b"}
    assert m.shards["aggregate-b"].endpoints[1] == "https://b.example:443/x"


@pytest.mark.parametrize(
    ("doc", "needle"),
    [
        (pmap(kind="runner"), "expected 'aggregate'"),
        ({**pmap(), "default_shard": "nope"}, "default_shard"),
        (pmap(tenants={"acme": "aggregate-z"}), "unknown shard"),
        (pmap(tenants={"Bad Tenant": "aggregate-a"}), "tenant id"),
        ({**pmap(), "shards": {}}, "shards must not be empty"),
        ({**pmap(), "shards": {"aggregate-a": {"endpoints": []}}}, "no endpoints"),
        ({**pmap(), "shards": {"aggregate-a": {"endpoints": ["ftp://x"]}}}, "invalid endpoint"),
        ({**pmap(), "schema_version": 2}, "schema_version"),
        ({**pmap(), "surprise": 1}, "surprise"),
    ],
)
def test_invalid_maps_are_refused(doc: dict[str, Any], needle: str) -> None:
    with pytest.raises(PlacementInvalid, match=needle):
        decode_map(enc(doc), "aggregate")


def test_not_json_is_refused() -> None:
    with pytest.raises(PlacementInvalid):
        decode_map(b"{not json", "aggregate")


def test_routing() -> None:
    r = decode_routing(
        enc({"schema_version": 1, "routes": [{"path_prefix": "/v1/a", "kind": "aggregate"}]})
    )
    assert r.upstream_timeout_ms == 5000
    with pytest.raises(PlacementInvalid, match="listed twice"):
        decode_routing(
            enc(
                {
                    "schema_version": 1,
                    "routes": [{"path_prefix": "/a", "kind": "runner"}] * 2,
                }
            )
        )


def test_file_and_seed_values() -> None:
    raw = enc(
        {"schema_version": 1, "aggregate_placement": pmap(), "runner_placement": pmap("runner")}
    )
    doc = decode_file(raw)
    assert doc.projection_placement is None
    values = seed_values(raw)
    assert set(values) == {"aggregate_placement", "runner_placement"}
    assert msgspec.json.decode(values["runner_placement"])["kind"] == "runner"
    with pytest.raises(PlacementInvalid, match="runner_placement"):
        decode_file(enc({"schema_version": 1, "runner_placement": pmap("aggregate")}))


def test_refused_value_keeps_last_known_good() -> None:
    svc = PlacementService("nats")
    assert svc.apply("aggregate_placement", enc(pmap()), "3")
    good = svc.state
    assert not svc.apply("aggregate_placement", b"{broken", "4")
    view = svc.map_view("aggregate")
    assert view.revision == "3" and view.tenants == {"acme": "aggregate-b"}
    assert view.last_error is not None and view.last_error.revision == "4"
    assert svc.state.index is good.index  # the index is not rebuilt for a refusal
    # Re-sent older revisions (a watcher recreated after a reconnect) are ignored.
    assert not svc.apply("aggregate_placement", enc(pmap(tenants={})), "2")
    assert svc.map_view("aggregate").tenant_count == 1
    # A newer good value replaces it and clears the error.
    assert svc.apply("aggregate_placement", enc(pmap(tenants={})), "5")
    assert svc.map_view("aggregate").last_error is None
    # A delete removes the map.
    assert svc.apply("aggregate_placement", None, "6")
    assert not svc.map_view("aggregate").present


def test_stale_flag_and_ages() -> None:
    now = [100.0]
    svc = PlacementService("nats", clock=lambda: now[0])
    svc.apply("runner_placement", enc(pmap("runner")), "1")
    now[0] = 101.5
    assert svc.map_view("runner").age_s == 1.5
    assert not svc.overview().stale
    svc.set_live(False)
    now[0] = 104.0
    svc.set_live(False)  # a second "down" does not reset the start of staleness
    over = svc.overview()
    assert over.stale and over.stale_for_s == 2.5
    assert over.maps[2].stale and over.maps[2].tenants == {"acme": "runner-b"}
    svc.set_live(True)
    assert not svc.overview().stale and svc.overview().stale_for_s is None


def test_tenant_index_search_and_order() -> None:
    svc = PlacementService("nats")
    tenants = {f"t-{i:04d}": "aggregate-b" for i in range(300)}
    svc.apply("aggregate_placement", enc(pmap(tenants=tenants)), "1")
    svc.apply("runner_placement", enc(pmap("runner", tenants={"zeta": "runner-b"})), "1")
    index = svc.state.index
    assert len(index.tenants) == 301 and index.tenants[-1] == "zeta"
    assert index.placement("zeta", "aggregate").explicit is False
    assert index.placement("zeta", "aggregate").shard == "aggregate-a"
    assert index.placement("zeta", "runner").shard == "runner-b"
    assert index.placement("nobody", "projection").shard is None  # no projection map
    assert list(index.iter_from(None, "t-001", "prefix")) == [f"t-{i:04d}" for i in range(10, 20)]
    assert next(iter(index.iter_from("t-0015", "t-001", "prefix"))) == "t-0016"
    assert list(index.iter_from(None, "099", "substring")) == ["t-0099"]
    assert list(index.iter_from("t-0298", None, "prefix")) == ["t-0299", "zeta"]


async def test_file_source_hot_reload_and_refusal(tmp_path: Path) -> None:
    path = tmp_path / "placement" / "dev.json"
    svc = PlacementService("file")
    source = FilePlacementSource(path, svc, poll_s=0.05)
    source.load_once()  # missing file: nothing served, stale, error reported
    assert svc.stale and svc.map_view("aggregate").last_error is not None
    first = enc({"schema_version": 1, "aggregate_placement": pmap()})
    write_atomic(path, first)
    source.load_once()
    view = svc.map_view("aggregate")
    assert view.revision == content_revision(first) and not svc.stale
    assert view.last_error is None
    write_atomic(path, b'{"schema_version": 1, "aggregate_placement": {"kind": 1}}')
    source.load_once()
    view = svc.map_view("aggregate")
    assert view.revision == content_revision(first) and view.last_error is not None
    assert list(tmp_path.joinpath("placement").iterdir()) == [path]  # no temp files left


@pytest.mark.parametrize("tenant", ["a\nb", "ok\n", "-x", "A", "a" * 64, ""])
def test_every_tenant_id_is_checked(tenant: str) -> None:
    tenants = {f"t-{i}": "aggregate-a" for i in range(50)} | {tenant: "aggregate-a"}
    with pytest.raises(PlacementInvalid, match="tenant id"):
        decode_map(enc(pmap(tenants=tenants)), "aggregate")


def test_dev_file_matches_the_json_schemas() -> None:
    import jsonschema

    root = Path(__file__).resolve().parents[3]
    dev = json.loads((root / "config" / "placement" / "dev.json").read_text())
    decode_file(json.dumps(dev).encode())
    map_schema = json.loads((root / "docs/contracts/placement-map.schema.json").read_text())
    routing_schema = json.loads((root / "docs/contracts/routing-config.schema.json").read_text())
    for key in ("aggregate_placement", "projection_placement", "runner_placement"):
        jsonschema.validate(dev[key], map_schema)
    jsonschema.validate(dev["routing"], routing_schema)


def test_a_substring_search_finds_each_matching_id_once_and_in_order() -> None:
    rng = random.Random(7)
    ids = {f"t-{rng.randrange(10**5):05d}" for _ in range(5000)} | {"a", "aa", "aaa", "ba", "ab"}
    index = TenantIndex(tuple(sorted(ids)))
    for q in ["0", "a", "aa", "00", "123", "t-9", "-", "zz", "5-"]:
        assert index.substring(q) == tuple(t for t in index.tenants if q in t), q
    assert index.substring("\n") == () and index.substring("") == ()
    assert list(index.iter_from("t-5", "12", "substring")) == [
        t for t in index.tenants if "12" in t and t > "t-5"
    ]
    assert TenantIndex().substring("a") == ()
