"""Config plans: the same inputs give the same plan and hash (Hypothesis); the hash moves with
each input it covers; the patch turns the base into the proposal; the line diff is exact."""

from __future__ import annotations

import random
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cloudlysis_control.config.diff import apply_patch, hunks
from cloudlysis_control.config.documents import Flags
from cloudlysis_control.config.impact import Instance
from cloudlysis_control.config.model import ConfigId, as_builtins, canonical, sha256
from cloudlysis_control.config.plan import PlanInputs, make_plan, plan_hash, thresholds
from cloudlysis_control.placement.schemas import PlacementMap, RoutingConfig

CID = ConfigId("routing", "gateway", "platform")
TENANTS = [f"t{i:03d}" for i in range(40)]
MAPS = {
    k: msgspec.convert(
        {
            "schema_version": 1,
            "kind": k,
            "default_shard": f"{k}-1",
            "shards": {f"{k}-{n}": {"endpoints": [f"http://{k}-{n}:80"]} for n in (1, 2, 3)},
            "tenants": {t: f"{k}-{1 + i % 3}" for i, t in enumerate(TENANTS)},
        },
        PlacementMap,
    )
    for k in ("aggregate", "projection", "runner")
}
FLEET = [Instance("gateway", "gateway", "http://gw:80")] + [
    Instance(f"{k}-{n}", k, f"http://{k}-{n}:80") for k in MAPS for n in (1, 2, 3)
]

override = st.fixed_dictionaries(
    {
        "tenant": st.sampled_from(TENANTS),
        "kind": st.sampled_from(list(MAPS)),
        "shard": st.sampled_from(["1", "2", "3"]),
    }
).map(lambda o: {**o, "shard": f"{o['kind']}-{o['shard']}"})
overrides = st.lists(override, max_size=12, unique_by=lambda o: (o["tenant"], o["kind"]))


def _doc(ovs: list[dict[str, Any]]) -> RoutingConfig:
    return msgspec.convert(
        {
            "schema_version": 1,
            "routes": [{"path_prefix": "/v1", "kind": "aggregate"}],
            "overrides": ovs,
        },
        RoutingConfig,
    )


def _inputs(base: list[dict[str, Any]], new: list[dict[str, Any]], **kw: Any) -> PlanInputs:
    b, p = _doc(base), _doc(new)
    args: dict[str, Any] = {
        "cid": CID,
        "base_revision": "7",
        "base_sha256": sha256(canonical(b)),
        "base_value": b,
        "base_data": as_builtins(b),
        "proposed_value": p,
        "proposed_data": as_builtins(p),
        "proposed_sha256": sha256(canonical(p)),
        "flags": Flags(schema_version=1, max_impact_percent=100),
        "placement": MAPS,
        "routing": b,
        "tenants": TENANTS,
        "fleet": FLEET,
        "healthy": lambda url: True,
    }
    args.update(kw)
    return PlanInputs(**args)


@settings(max_examples=120, deadline=None)
@given(overrides, overrides)
def test_the_same_inputs_give_the_same_plan_byte_for_byte(base: Any, new: Any) -> None:
    first = make_plan(_inputs(base, new))
    shuffled = list(reversed(TENANTS))
    second = make_plan(_inputs(base, new, tenants=shuffled, fleet=list(reversed(FLEET))))
    assert msgspec.json.encode(first) == msgspec.json.encode(second)
    if first.changed:
        assert canonical(apply_patch(as_builtins(_doc(base)), first.patch)) == canonical(_doc(new))
        moved = {(c.tenant, c.kind) for c in first.impact.changes}
        for sample in first.verification:
            assert sample.changed == ((sample.tenant, sample.kind) in moved)
    else:
        assert first.patch == [] and first.diff == [] and not first.ok


def test_the_hash_moves_with_each_input_it_covers() -> None:
    limits = thresholds(Flags(schema_version=1))
    base = plan_hash(CID, "7", "a" * 64, limits)
    assert plan_hash(CID, "7", "a" * 64, limits) == base
    assert plan_hash(CID, "8", "a" * 64, limits) != base
    assert plan_hash(CID, None, "a" * 64, limits) != base
    assert plan_hash(CID, "7", "b" * 64, limits) != base
    assert plan_hash(ConfigId("routing", "gateway", "tenant:x"), "7", "a" * 64, limits) != base
    for field, value in [
        ("max_impact_percent", 26),
        ("verify_sample_changed", 21),
        ("verify_sample_unchanged", 11),
        ("verify_timeout", "11s"),
        ("block_unhealthy_targets", False),
        ("config_changes", "paused"),
    ]:
        other = thresholds(msgspec.structs.replace(Flags(schema_version=1), **{field: value}))
        assert plan_hash(CID, "7", "a" * 64, other) != base, field


def test_guardrails_block_a_wide_change_and_an_unhealthy_target() -> None:
    everyone = [{"tenant": t, "kind": "aggregate", "shard": "aggregate-3"} for t in TENANTS]
    wide = make_plan(_inputs([], everyone, flags=Flags(schema_version=1, max_impact_percent=10)))
    assert "config.guardrail.impact_radius" in {f.code for f in wide.findings} and not wide.ok
    one = [{"tenant": "t000", "kind": "aggregate", "shard": "aggregate-3"}]
    sick = make_plan(_inputs([], one, healthy=lambda url: "aggregate-3" not in url))
    finding = next(f for f in sick.findings if f.code == "config.guardrail.target_unhealthy")
    assert finding.severity == "error" and not sick.ok
    lenient = Flags(schema_version=1, max_impact_percent=100, block_unhealthy_targets=False)
    warned = make_plan(_inputs([], one, healthy=lambda url: False, flags=lenient))
    assert warned.ok and {f.severity for f in warned.findings} == {"warning"}
    paused = make_plan(
        _inputs(
            [], one, flags=Flags(schema_version=1, config_changes="paused", max_impact_percent=100)
        )
    )
    assert [f.code for f in paused.findings] == ["config.guardrail.changes_paused"]


def test_the_impact_names_from_and_to() -> None:
    plan = make_plan(_inputs([], [{"tenant": "t001", "kind": "aggregate", "shard": "aggregate-3"}]))
    (change,) = plan.impact.changes
    assert (change.from_shard, change.to_shard, change.from_source, change.to_source) == (
        "aggregate-2",
        "aggregate-3",
        "placement",
        "override",
    )
    assert plan.impact.tenants_changed == 1 and plan.impact.tenants_total == len(TENANTS)
    assert [s.instance for s in plan.impact.services] == ["gateway"]


@pytest.mark.parametrize("seed", range(200))
def test_the_line_diff_rebuilds_the_new_text(seed: int) -> None:
    rng = random.Random(seed)
    a = [rng.choice("abcdefghijklmnop") for _ in range(rng.randint(0, 60))]
    b = [rng.choice("abcdefghijklmnop") for _ in range(rng.randint(0, 60))]
    rebuilt, pos = [], 0
    for h in hunks("\n".join(a), "\n".join(b)):
        first = next((x.old for x in h.lines if x.old is not None), None)
        if first is not None:
            rebuilt += a[pos : first - 1]
            pos = first - 1
        for x in h.lines:
            if x.op != "insert":
                assert a[pos] == x.text
                pos += 1
            if x.op != "delete":
                rebuilt.append(x.text)
    assert rebuilt + a[pos:] == b
