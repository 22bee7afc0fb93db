"""T5.2: a migration plan's hash is a pure function of its inputs, and sensitive to each one."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from cloudlysis_control.operations.plan import MIGRATE_STEPS, plan_hash
from cloudlysis_control.operations.schemas import Thresholds

tenants = st.from_regex(r"[a-z0-9][a-z0-9-]{0,20}", fullmatch=True)
shards = st.from_regex(r"[a-z0-9][a-z0-9._-]{0,20}", fullmatch=True)
kinds = st.sampled_from(["aggregate", "projection", "runner"])
revisions = st.one_of(st.none(), st.integers(1, 10**9).map(str))
counts = st.integers(0, 10**9)

FIELDS = (
    "tenant_id",
    "kind",
    "placement_revision",
    "source_shard",
    "target_shard",
    "max_lag",
    "max_inflight",
)
inputs = st.fixed_dictionaries(
    {
        "tenant_id": tenants,
        "kind": kinds,
        "placement_revision": revisions,
        "source_shard": st.one_of(st.none(), shards),
        "target_shard": shards,
        "max_lag": counts,
        "max_inflight": counts,
    }
)


def _hash(i: dict[str, Any]) -> str:
    return plan_hash(
        i["tenant_id"],
        i["kind"],
        i["placement_revision"],
        i["source_shard"],
        i["target_shard"],
        Thresholds(max_lag=i["max_lag"], max_inflight=i["max_inflight"]),
    )


@given(inputs)
def test_same_inputs_give_the_same_hash(i: dict[str, Any]) -> None:
    assert _hash(i) == _hash(dict(i))
    assert len(_hash(i)) == 64


@given(inputs, inputs, st.sampled_from(FIELDS))
def test_changing_any_one_input_changes_the_hash(
    a: dict[str, Any], b: dict[str, Any], field: str
) -> None:
    changed = {**a, field: b[field]}
    if changed[field] == a[field]:
        return  # hypothesis drew the same value: nothing changed
    assert _hash(changed) != _hash(a)


def test_the_steps_are_fixed_and_ordered() -> None:
    assert [n for n, _ in MIGRATE_STEPS] == [
        "preflight",
        "drain_source",
        "update_placement",
        "reload_routing",
        "verify_routing",
        "resume_target",
    ]
