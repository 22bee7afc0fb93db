"""Config domains: decode → encode is stable for every domain (Hypothesis), and a table of
unsafe configs, each refused with its stable code at its JSON pointer."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cloudlysis_control.config.documents import Flags, RunnerActivation
from cloudlysis_control.config.domains import DOMAINS, validate_text
from cloudlysis_control.config.model import ConfigId, canonical
from cloudlysis_control.config.rules import World
from cloudlysis_control.placement.schemas import PlacementMap, RoutingConfig, Shard

tenant = st.from_regex(r"[a-z0-9][a-z0-9-]{0,10}", fullmatch=True)
shard_name = st.from_regex(r"[a-z0-9][a-z0-9._-]{0,10}", fullmatch=True)
kind = st.sampled_from(["aggregate", "projection", "runner"])
url = st.builds(lambda p: f"http://10.0.0.1:{p}", st.integers(1, 65535))

routing = st.builds(
    lambda routes, overrides, timeout: {
        "schema_version": 1,
        "routes": routes,
        "upstream_timeout_ms": timeout,
        "overrides": overrides,
    },
    st.lists(
        st.fixed_dictionaries(
            {"path_prefix": st.from_regex(r"/[a-z/{}]{0,20}", fullmatch=True), "kind": kind}
        ),
        max_size=4,
    ),
    st.lists(
        st.fixed_dictionaries(
            {
                "tenant": tenant,
                "kind": kind,
                "shard": shard_name,
                "endpoints": st.lists(url, max_size=2),
            }
        ),
        max_size=5,
    ),
    st.integers(1, 600_000),
)
placement = st.builds(
    lambda k, shards, tenants: {
        "schema_version": 1,
        "kind": k,
        "default_shard": sorted(shards)[0],
        "shards": {s: {"endpoints": e} for s, e in shards.items()},
        "tenants": {t: sorted(shards)[0] for t in tenants},
    },
    kind,
    st.dictionaries(shard_name, st.lists(url, min_size=1, max_size=2), min_size=1, max_size=3),
    st.lists(tenant, max_size=10),
)
activation = st.builds(
    lambda items: {"schema_version": 1, "activations": items},
    st.lists(
        st.fixed_dictionaries(
            {
                "type": st.sampled_from(["effect", "saga"]),
                "name": shard_name,
                "version": st.integers(1, 1_000_000),
            }
        ),
        max_size=5,
    ),
)
flags = st.fixed_dictionaries(
    {"schema_version": st.just(1)},
    optional={
        "config_changes": st.sampled_from(["enabled", "paused"]),
        "max_impact_percent": st.integers(0, 100),
        "verify_sample_changed": st.integers(1, 1000),
        "verify_sample_unchanged": st.integers(0, 1000),
        "verify_timeout": st.from_regex(r"[0-9]{1,4}(ms|s|m)", fullmatch=True),
        "block_unhealthy_targets": st.booleans(),
    },
)
CASES = [
    (RoutingConfig, routing),
    (PlacementMap, placement),
    (RunnerActivation, activation),
    (Flags, flags),
]


@pytest.mark.parametrize(("model", "strategy"), CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_decode_encode_round_trip_is_stable(model: type[Any], strategy: Any) -> None:
    @settings(max_examples=150, deadline=None)
    @given(strategy)
    def check(doc: dict[str, Any]) -> None:
        once = canonical(msgspec.convert(doc, model, strict=True))
        twice = canonical(msgspec.json.decode(once, type=model))
        assert once == twice
        # Key order and whitespace of the input never change the canonical bytes.
        shuffled = json.dumps(doc, sort_keys=False, indent=3)
        assert canonical(msgspec.json.decode(shuffled.encode(), type=model)) == once

    check()


def test_every_domain_but_observability_has_a_model() -> None:
    assert {d for d, s in DOMAINS.items() if s.model is None} == {"observability"}


AGG = {
    "schema_version": 1,
    "kind": "aggregate",
    "default_shard": "aggregate-1",
    "shards": {
        "aggregate-1": {"endpoints": ["http://a1:8080"]},
        "aggregate-2": {"endpoints": ["http://a2:8080"]},
    },
    "tenants": {"acme": "aggregate-2"},
}
WORLD = World(
    placement={"aggregate": msgspec.convert(AGG, PlacementMap), "projection": None, "runner": None},
    instance_urls=frozenset({"http://a1:8080", "http://a2:8080"}),
    definitions={("saga", "order-fulfilment"): frozenset({1, 2})},
)
ROUTES = [{"path_prefix": "/v1/c", "kind": "aggregate"}]


def _routing(**kw: Any) -> dict[str, Any]:
    return {"schema_version": 1, "routes": ROUTES, **kw}


def _placement(**kw: Any) -> dict[str, Any]:
    return {**AGG, **kw}


UNSAFE: list[tuple[str, str, str | dict[str, Any], str, str]] = [
    ("routing", "platform", "{not json", "config.routing.parse", ""),
    (
        "routing",
        "platform",
        {"schema_version": 1, "routes": []},
        "config.routing.empty_directory",
        "/routes",
    ),
    (
        "routing",
        "platform",
        _routing(upstream_timeout_ms="5s"),
        "config.routing.schema",
        "/upstream_timeout_ms",
    ),
    (
        "routing",
        "platform",
        _routing(overrides=[{"tenant": "acme", "kind": "aggregate", "shard": "nope"}]),
        "config.routing.unknown_shard",
        "/overrides/0/shard",
    ),
    (
        "routing",
        "platform",
        _routing(overrides=[{"tenant": "acme", "kind": "aggregate", "shard": "aggregate-1"}] * 2),
        "config.routing.tenant_routed_twice",
        "/overrides/1",
    ),
    (
        "routing",
        "platform",
        _routing(
            overrides=[
                {
                    "tenant": "acme",
                    "kind": "aggregate",
                    "shard": "aggregate-1",
                    "endpoints": ["ftp://x"],
                }
            ]
        ),
        "config.routing.endpoint_invalid",
        "/overrides/0/endpoints/0",
    ),
    (
        "routing",
        "platform",
        _routing(
            overrides=[
                {
                    "tenant": "acme",
                    "kind": "aggregate",
                    "shard": "aggregate-1",
                    "endpoints": ["http://a2:8080"],
                }
            ]
        ),
        "config.routing.endpoint_not_in_shard",
        "/overrides/0/endpoints/0",
    ),
    (
        "routing",
        "platform",
        _routing(overrides=[{"tenant": "acme", "kind": "runner", "shard": "r1"}]),
        "config.routing.no_placement",
        "/overrides/0/kind",
    ),
    (
        "routing",
        "platform",
        _routing(auth_token="x"),
        "config.routing.secret_refused",
        "/auth_token",
    ),
    (
        "placement",
        "aggregate",
        _placement(kind="runner"),
        "config.placement.kind_mismatch",
        "/kind",
    ),
    ("placement", "aggregate", _placement(shards={}), "config.placement.empty_targets", "/shards"),
    (
        "placement",
        "aggregate",
        _placement(shards={"aggregate-1": {"endpoints": []}}),
        "config.placement.empty_targets",
        "/shards/aggregate-1/endpoints",
    ),
    (
        "placement",
        "aggregate",
        _placement(shards={"aggregate-1": {"endpoints": ["http://a9:1"]}}),
        "config.placement.unknown_instance",
        "/shards/aggregate-1/endpoints/0",
    ),
    (
        "placement",
        "aggregate",
        _placement(default_shard="x"),
        "config.placement.default_shard_unknown",
        "/default_shard",
    ),
    (
        "placement",
        "aggregate",
        _placement(tenants={"acme": "x"}),
        "config.placement.unknown_shard",
        "/tenants/acme",
    ),
    (
        "placement",
        "aggregate",
        _placement(tenants={"Bad_Id": "aggregate-1"}),
        "config.placement.tenant_id_invalid",
        "/tenants/Bad_Id",
    ),
    (
        "placement",
        "aggregate",
        json.dumps(AGG)[:-1] + ', "tenants": {"acme": "aggregate-1", "acme": "aggregate-2"}}',
        "config.placement.tenant_on_two_shards",
        "/tenants/acme",
    ),
    (
        "placement",
        "aggregate",
        _placement(
            shards={
                "aggregate-1": {"endpoints": ["http://a1:8080"]},
                "aggregate-2": {"endpoints": ["http://a1:8080"]},
            }
        ),
        "config.placement.endpoint_in_two_shards",
        "/shards/aggregate-2/endpoints/0",
    ),
    (
        "placement",
        "aggregate",
        _placement(shards={"aggregate-1": {"endpoints": ["http://a1:8080"], "password": "x"}}),
        "config.placement.secret_refused",
        "/shards/aggregate-1/password",
    ),
    (
        "runner.activation",
        "platform",
        {
            "schema_version": 1,
            "activations": [{"type": "saga", "name": "order-fulfilment", "version": 3}],
        },
        "config.runner.activation.unknown_definition",
        "/activations/0/version",
    ),
    (
        "runner.activation",
        "platform",
        {"schema_version": 1, "activations": [{"type": "effect", "name": "nope", "version": 1}]},
        "config.runner.activation.unknown_definition",
        "/activations/0",
    ),
    (
        "runner.activation",
        "platform",
        {
            "schema_version": 1,
            "activations": [{"type": "saga", "name": "order-fulfilment", "version": 1}] * 2,
        },
        "config.runner.activation.duplicate",
        "/activations/1",
    ),
    (
        "flags",
        "platform",
        {"schema_version": 1, "max_impact_percent": 101},
        "config.flags.schema",
        "/max_impact_percent",
    ),
    (
        "flags",
        "platform",
        {"schema_version": 1, "verify_timeout": "20m"},
        "config.flags.duration_out_of_range",
        "/verify_timeout",
    ),
    (
        "flags",
        "platform",
        {"schema_version": 1, "verify_timeout": "soon"},
        "config.flags.schema",
        "/verify_timeout",
    ),
    (
        "flags",
        "platform",
        {"schema_version": 1, "note": "-----BEGIN RSA PRIVATE KEY-----"},
        "config.flags.secret_refused",
        "/note",
    ),
]


@pytest.mark.parametrize(
    ("domain", "scope", "doc", "code", "pointer"), UNSAFE, ids=[c[3] + c[4] for c in UNSAFE]
)
def test_unsafe_configs_are_refused_with_their_stable_code(
    domain: str, scope: str, doc: str | dict[str, Any], code: str, pointer: str
) -> None:
    spec = DOMAINS[domain]  # type: ignore[index]
    cid = ConfigId(domain, spec.names[0], scope)  # type: ignore[arg-type]
    text = doc if isinstance(doc, str) else json.dumps(doc)
    checked = validate_text(spec, cid, text, "json", WORLD)
    assert not checked.ok
    assert (code, pointer) in {(f.code, f.pointer) for f in checked.findings}, checked.findings


def test_activation_without_any_runner_answering_cannot_be_checked() -> None:
    spec = DOMAINS["runner.activation"]
    cid = ConfigId("runner.activation", "activation", "tenant:acme")
    doc = json.dumps(
        {"schema_version": 1, "activations": [{"type": "saga", "name": "x", "version": 1}]}
    )
    checked = validate_text(spec, cid, doc, "json", World())
    assert [f.code for f in checked.findings] == [
        "config.runner.activation.definitions_unavailable"
    ]


def test_yaml_only_where_the_domain_allows_it() -> None:
    flags_ = validate_text(
        DOMAINS["flags"],
        ConfigId("flags", "control", "platform"),
        "schema_version: 1\n",
        "yaml",
        WORLD,
    )
    assert flags_.ok and flags_.value == Flags(schema_version=1)
    routing_ = validate_text(
        DOMAINS["routing"], ConfigId("routing", "gateway", "platform"), "a: 1", "yaml", WORLD
    )
    assert [f.code for f in routing_.findings] == ["config.routing.format_unsupported"]


def test_a_valid_placement_has_no_findings_and_a_stable_sha() -> None:
    cid = ConfigId("placement", "map", "aggregate")
    a = validate_text(DOMAINS["placement"], cid, json.dumps(AGG), "json", WORLD)
    b = validate_text(
        DOMAINS["placement"], cid, json.dumps(AGG, indent=4, sort_keys=True), "json", WORLD
    )
    assert a.ok and a.findings == [] and a.sha256 == b.sha256
    assert isinstance(a.value, PlacementMap) and a.value.shards["aggregate-1"] == Shard(
        ["http://a1:8080"]
    )


FLAGS_ID = ConfigId("flags", "control", "platform")


def _yaml_findings(text: str) -> list[tuple[str, str, str]]:
    checked = validate_text(DOMAINS["flags"], FLAGS_ID, text, "yaml", WORLD)
    return [(f.code, f.pointer, f.message) for f in checked.findings]


def test_yaml_aliases_are_refused_before_they_expand() -> None:
    # Nine levels of nine aliases: 387 bytes that a plain safe_load expands to 9**9 items
    # (found by review: 6 levels took 2.5 s on the request loop, each level 10x more).
    levels = ['l0: &l0 ["x","x","x","x","x","x","x","x","x"]']
    levels += [f"l{i}: &l{i} [{','.join([f'*l{i - 1}'] * 9)}]" for i in range(1, 9)]
    found = _yaml_findings("\n".join(levels))
    assert len(found) == 1
    code, pointer, message = found[0]
    assert (code, pointer) == ("config.flags.parse", "")
    assert message.startswith("aliases (*name) are not allowed in a config (line 2")


def test_yaml_nested_too_deeply_is_a_finding_not_a_crash() -> None:
    found = _yaml_findings("a: " + "[" * 5000 + "]" * 5000)
    assert found == [("config.flags.parse", "", "nested too deeply")]


def test_yaml_keys_given_twice_are_found_as_in_json() -> None:
    text = "schema_version: 1\nschema_version: 1\n"
    as_json = validate_text(
        DOMAINS["flags"], FLAGS_ID, '{"schema_version": 1, "schema_version": 1}', "json", WORLD
    )
    as_yaml = validate_text(DOMAINS["flags"], FLAGS_ID, text, "yaml", WORLD)
    assert [(f.code, f.pointer) for f in as_yaml.findings] == [
        (f.code, f.pointer) for f in as_json.findings
    ]
    assert as_yaml.findings, "a key given twice passed silently"


def test_a_yaml_key_that_is_not_a_name_is_a_finding() -> None:
    assert _yaml_findings("? [a]\n: 1\n") == [("config.flags.parse", "", "a key is not a name")]
