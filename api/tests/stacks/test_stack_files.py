"""T7.1: the stack files validate with `docker stack config` and pass the structural checks.

Runs offline: docker CLI 28 (no engine). A missing docker CLI is a FAILURE, never a skip.
"""

from __future__ import annotations

import re

import pytest
import yaml

from tests.stacks import checks
from tests.support.stacks import (
    ALL_FILES,
    BASE_FILES,
    COMBOS,
    DEPLOYABLE,
    DEVFLEET,
    REPO,
    SINGLE,
    STACKS,
    WITH_CI,
    Combo,
    flags,
    merged,
    raw,
    run_stack_config,
    services,
)

DEVFLEET_ALL = (*BASE_FILES, DEVFLEET)


def _ids(combos: tuple[Combo, ...]) -> list[str]:
    return [c.name for c in combos]


@pytest.mark.parametrize("name", ALL_FILES)
def test_each_file_validates_alone(name: str) -> None:
    result = run_stack_config((name,))
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("combo", COMBOS, ids=_ids(COMBOS))
def test_combination_validates_and_merges(combo: Combo) -> None:
    result = run_stack_config(combo.files)
    assert result.returncode == 0, result.stderr
    assert services(yaml.safe_load(result.stdout))


def test_all_files_declare_the_same_version() -> None:
    texts = {name: (STACKS / name).read_text() for name in ALL_FILES}
    assert checks.check_same_version(texts) == []


@pytest.mark.parametrize("name", ALL_FILES)
def test_images_pinned_or_variable(name: str) -> None:
    assert checks.check_raw_images((STACKS / name).read_text()) == []


STRUCTURAL = [
    pytest.param(combo, check, id=f"{combo.name}-{check}")
    for combo in DEPLOYABLE
    for check in checks.CHECKS
]


@pytest.mark.parametrize(("combo", "check"), STRUCTURAL)
def test_structure(combo: Combo, check: str) -> None:
    cfg = merged(combo.files)
    if check == "version_labels":
        # The devfleet stand-in runs the devfleet image but reports the platform versions.
        problems = checks.check_version_labels(cfg, image_must_match=not combo.devfleet)
    else:
        problems = checks.CHECKS[check](cfg)
    assert problems == []


@pytest.mark.parametrize("combo", WITH_CI, ids=_ids(WITH_CI))
def test_ci_override(combo: Combo) -> None:
    assert checks.check_ci(merged(combo.files)) == []


def test_ci_override_only_adds_fragments_of_base_services() -> None:
    """With one base file the override leaves image-less fragments of the other files'
    services; they must be exactly the other base files' services (no typo'd names)."""
    base_services = {n for f in BASE_FILES for n in services(merged((f,)))}
    assert set(services(raw("ci-override.yml"))) <= base_services
    for name in BASE_FILES:
        cfg = merged((name, "ci-override.yml"))
        fragments = set(services(cfg)) - set(services(cfg, with_image=True))
        assert fragments == set(services(raw("ci-override.yml"))) - set(services(raw(name)))


def test_devfleet_override_names_platform_services() -> None:
    assert set(services(raw("devfleet-override.yml"))) <= set(services(merged(BASE_FILES)))
    cfg = merged((*BASE_FILES, "devfleet-override.yml"))
    for name in services(raw("platform.yml")):
        svc = services(cfg)[name]
        assert svc["image"].startswith("cloudlysis/devfleet:"), name
        cmd = svc["command"]
        assert cmd[:4] == ["python", "-m", "cloudlysis_devfleet", name.split("-")[0]], name
        if name != "gateway":
            assert cmd[cmd.index("--shard") + 1] == svc["environment"]["CLOUDLYSIS_SHARD"], name
        assert cmd[cmd.index("--port") + 1] == "8080", name


def test_all_scrape_jobs_have_targets() -> None:
    """Every task job of vmagent/scrape.yml matches a service, except the NATS exporter
    (not in the stacks yet, docs/stacks.md)."""
    names = {
        svc.get("labels", {}).get("cloudlysis.service")
        for svc in services(merged(BASE_FILES)).values()
    }
    unmatched = {
        job for job, rx in checks.scrape_jobs().items() if not any(rx.match(n or "") for n in names)
    }
    assert unmatched == {"nats"}


def test_vmagent_and_vmalert_flags_match_the_flag_files() -> None:
    svcs = services(merged(BASE_FILES))
    assert svcs["vmagent"]["command"] == flags(REPO / "vmagent" / "vmagent.flags")
    assert svcs["vmalert"]["command"] == flags(REPO / "vmagent" / "vmalert.flags")


def test_configs_are_mounted_where_the_flags_and_provisioning_expect() -> None:
    cfg = merged(BASE_FILES)
    svcs = services(cfg)
    files = {name: c["file"] for name, c in cfg["configs"].items()}

    def mounts(service: str) -> dict[str, str]:
        return {files[c["source"]]: c["target"] for c in svcs[service]["configs"]}

    scrape_flag = next(f for f in svcs["vmagent"]["command"] if f.startswith("-promscrape.config="))
    assert mounts("vmagent") == {str(REPO / "vmagent/scrape.yml"): scrape_flag.split("=", 1)[1]}
    rule_glob = next(f for f in svcs["vmalert"]["command"] if f.startswith("-rule="))
    rule_dir = rule_glob.split("=", 1)[1].rsplit("/", 1)[0]
    rules = sorted((REPO / "vmagent/rules").glob("*.yml"))
    assert mounts("vmalert") == {str(p): f"{rule_dir}/{p.name}" for p in rules}

    provider = yaml.safe_load((REPO / "grafana/provisioning/dashboards/cloudlysis.yml").read_text())
    dash_dir = provider["providers"][0]["options"]["path"]
    grafana = mounts("grafana")
    for dash in sorted((REPO / "grafana/dashboards").glob("*.json")):
        assert grafana.get(str(dash)) == f"{dash_dir}/{dash.name}", dash.name
    assert grafana[str(REPO / "grafana/grafana.ini")] == "/etc/grafana/grafana.ini"
    ds = "grafana/provisioning/datasources/datasources.yml"
    assert grafana[str(REPO / ds)] == "/etc/grafana/provisioning/datasources/datasources.yml"

    for service, path, flag in (
        ("loki", "loki/loki-config.yml", "-config.file="),
        ("tempo", "tempo/tempo.yml", "-config.file="),
    ):
        target = mounts(service)[str(REPO / path)]
        assert f"{flag}{target}" in svcs[service]["command"], service
    assert mounts("alloy")[str(REPO / "loki/alloy/config.alloy")] in svcs["alloy"]["command"]


def test_hostnames_used_by_configs_are_services() -> None:
    """The repo's configs address victoriametrics, loki, tempo, nats, api, gateway by name."""
    svcs = set(services(merged(BASE_FILES)))
    texts = [
        (REPO / p).read_text()
        for p in (
            "vmagent/vmagent.flags",
            "grafana/provisioning/datasources/datasources.yml",
            "tempo/tempo.yml",
            "loki/alloy/config.alloy",
            "stacks/control/fleet.json",
        )
    ]
    texts += [str(svc.get("environment")) for svc in services(merged(BASE_FILES)).values()]
    texts += [str(svc.get("command")) for svc in services(merged(DEVFLEET_ALL)).values()]
    hosts = set()
    for text in texts:
        hosts.update(re.findall(r"(?:https?|nats)://([a-z][a-z0-9-]*):\d+", text))
    hosts -= {"localhost"}
    # A network alias names a service too (`nats`: any node of the NATS cluster).
    aliases = {
        alias
        for svc in services(merged(BASE_FILES)).values()
        if isinstance(svc.get("networks"), dict)
        for net in svc["networks"].values()
        for alias in (net or {}).get("aliases") or []
    }
    # alertmanager is referenced by vmalert/loki flags but not deployed (docs/stacks.md).
    assert hosts - svcs - aliases <= {"alertmanager"}, hosts - svcs - aliases
    assert hosts >= {"victoriametrics", "loki", "tempo", "nats", "nats-1", "gateway"}


NATS_NODES = ("nats-1", "nats-2", "nats-3")


def test_control_runs_a_three_node_nats_cluster_spread_over_nodes() -> None:
    svcs = services(merged(BASE_FILES))
    assert {n for n in svcs if n.startswith("nats")} == set(NATS_NODES)
    volumes, labels = set(), set()
    for i, name in enumerate(NATS_NODES, 1):
        svc = svcs[name]
        deploy = svc["deploy"]
        assert svc["environment"] == {"NATS_SERVER_NAME": name}
        assert deploy["replicas"] == 1
        assert deploy["update_config"]["order"] == "stop-first"
        assert deploy["rollback_config"]["order"] == "stop-first"
        constraints = deploy["placement"]["constraints"]
        own = [c for c in constraints if c.startswith("node.labels.cloudlysis.nats.")]
        assert own == [f"node.labels.cloudlysis.nats.{i} == true"], constraints
        labels.update(own)
        (volume,) = svc["volumes"]
        assert volume["target"] == "/data"
        volumes.add(volume["source"])
        assert svc["networks"]["internal"]["aliases"] == ["nats"]
        assert svc["configs"][0]["source"] == "nats_cluster_conf"
    assert len(volumes) == 3 and len(labels) == 3  # own store, own node

    conf = (STACKS / "nats" / "nats-cluster.conf").read_text()
    assert "server_name: $NATS_SERVER_NAME" in conf
    assert "store_dir: /data/jetstream" in conf
    routes = re.findall(r"nats-route://([a-z0-9-]+):(\d+)", conf)
    assert routes == [(n, "6222") for n in NATS_NODES]
    assert re.search(r"^\s*port: 6222$", conf, re.M)

    api = svcs["api"]
    assert api["environment"]["CONTROL_NATS_URL"] == ",".join(
        f"nats://{n}:4222" for n in NATS_NODES
    )
    assert api["environment"]["CONTROL_NATS_REPLICAS"] == "auto"
    assert api["deploy"]["replicas"] >= 2


def test_the_single_server_layout_differs_only_in_nats() -> None:
    cluster = services(merged(("control.yml",)))
    single = services(merged((SINGLE,)))
    assert set(single) == {"api", "ui", "nats"}
    assert single["nats"]["deploy"]["replicas"] == 1
    assert single["api"]["environment"]["CONTROL_NATS_URL"] == "nats://nats:4222"
    assert single["ui"] == cluster["ui"]

    def without_nats_url(svc: dict[str, object]) -> dict[str, object]:
        env = dict(svc["environment"])  # type: ignore[call-overload]
        env.pop("CONTROL_NATS_URL")
        return {**svc, "environment": env}

    assert without_nats_url(single["api"]) == without_nats_url(cluster["api"])
