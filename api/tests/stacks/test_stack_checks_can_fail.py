"""Every check can fail: each case breaks a COPY of the stack files (never the committed ones),
runs `docker stack config` on the copy and expects the check to report the break."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.stacks import checks
from tests.support.stacks import (
    ALL_FILES,
    BASE_FILES,
    CI,
    DEVFLEET,
    REPO,
    STACKS,
    docker_bin,
    raw,
    run_stack_config,
    stack_config,
)

Files = dict[str, dict[str, Any]]
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def broken_copy(tmp: Path, mutate: Callable[[Files], None]) -> Path:
    """tmp/stacks holds the mutated stack files; the folders they reference are symlinked."""
    stacks = tmp / "stacks"
    stacks.mkdir()
    for folder in ("grafana", "vmagent", "loki", "tempo", "config"):
        (tmp / folder).symlink_to(REPO / folder)
    for folder in ("control", "nats", "ui"):
        (stacks / folder).symlink_to(STACKS / folder)
    files = {name: raw(name) for name in ALL_FILES}
    mutate(files)
    for name, data in files.items():
        (stacks / name).write_text(yaml.dump(data, Dumper=DUMPER, sort_keys=False))
    return stacks


def svc(files: Files, file: str, name: str) -> dict[str, Any]:
    service: dict[str, Any] = files[file]["services"][name]
    return service


def _set(path: str, value: Any) -> Callable[[Files], None]:
    """_set("control.yml:api.deploy.update_config.failure_action", "pause"); value DELETE
    removes the key."""

    def mutate(files: Files) -> None:
        file, dotted = path.split(":", 1)
        node: Any = files[file]["services"]
        *parents, last = dotted.split("|")
        for key in parents:
            node = node.setdefault(key, {})
        if value is DELETE:
            del node[last]
        else:
            node[last] = value

    return mutate


DELETE = object()
ALL = BASE_FILES
ALL_CI = (*BASE_FILES, CI)
ALL_DEV = (*BASE_FILES, DEVFLEET)


def _add_network(files: Files) -> None:
    svc(files, "control.yml", "api")["networks"].append("nowhere")


def _add_secret(files: Files) -> None:
    svc(files, "platform.yml", "gateway")["secrets"].append("missing_secret")


def _ghost_volume(files: Files) -> None:
    svc(files, "control.yml", "nats-1")["volumes"] = ["ghost:/data"]


def _missing_config_file(files: Files) -> None:
    files["control.yml"]["configs"]["control_fleet"]["file"] = "./control/missing.json"


def _devfleet_healthcheck(files: Files) -> None:
    svc(files, DEVFLEET, "gateway")["healthcheck"] = {"test": ["CMD", "true"]}


def _tempo_no_exemption(files: Files) -> None:
    del svc(files, "observability.yml", "tempo")["deploy"]["labels"][checks.HEALTHCHECK_EXEMPTION]


def _unencrypted(files: Files) -> None:
    for name in ALL_FILES:
        net = (files[name].get("networks") or {}).get("internal")
        if net:
            net.pop("driver_opts", None)


def _not_attachable(files: Files) -> None:
    for name in ALL_FILES:
        net = (files[name].get("networks") or {}).get("monitoring")
        if net:
            net["attachable"] = False


def _off_monitoring(files: Files) -> None:
    svc(files, "platform.yml", "aggregate-a-m")["networks"] = ["internal"]


def _inline_password(files: Files) -> None:
    svc(files, "observability.yml", "grafana")["environment"]["GF_SECURITY_ADMIN_PASSWORD"] = "x"


def _unmounted_secret(files: Files) -> None:
    svc(files, "observability.yml", "grafana")["secrets"] = []
    del files["observability.yml"]["secrets"]


def _wrong_range(files: Files) -> None:
    svc(files, "platform.yml", "runner-n-z")["deploy"]["placement"]["constraints"] = [
        "node.labels.cloudlysis.tenants.a-m == true"
    ]


def _no_role(files: Files) -> None:
    svc(files, "control.yml", "ui")["deploy"]["placement"]["constraints"] = []


def _ci_port_ingress(files: Files) -> None:
    svc(files, CI, "gateway")["ports"][0]["mode"] = "ingress"


def _ci_start_first(files: Files) -> None:
    del svc(files, CI, "ui")["deploy"]["update_config"]
    del svc(files, CI, "ui")["deploy"]["rollback_config"]
    del svc(files, CI, "ui")["deploy"]["labels"]


def _ci_global_alloy(files: Files) -> None:
    svc(files, CI, "alloy")["deploy"].pop("mode")


CASES: list[tuple[str, tuple[str, ...], Callable[[Files], None], str, str]] = [
    ("undefined network", ALL, _add_network, "references", "network 'nowhere'"),
    ("undefined secret", ALL, _add_secret, "references", "secret 'missing_secret'"),
    ("undefined volume", ALL, _ghost_volume, "references", "volume 'ghost'"),
    ("config file missing", ALL, _missing_config_file, "config_files", "missing.json"),
    (
        "no image",
        ("platform.yml",),
        _set("platform.yml:gateway|image", DELETE),
        "images",
        "no image",
    ),
    ("untagged image", ALL, _set("control.yml:nats-1|image", "nats"), "images", "no tag"),
    (
        "no healthcheck",
        ALL,
        _set("control.yml:nats-1|healthcheck", DELETE),
        "healthchecks",
        "no healthcheck",
    ),
    (
        "disabled healthcheck",
        ALL,
        _set("control.yml:api|healthcheck", {"disable": True}),
        "healthchecks",
        "disabled",
    ),
    (
        "healthcheck appended by an override",
        ALL_DEV,
        _devfleet_healthcheck,
        "healthchecks",
        "merged from several",
    ),
    ("exemption label removed", ALL, _tempo_no_exemption, "healthchecks", "tempo"),
    (
        "no limits",
        ALL,
        _set("platform.yml:runner-a-m|deploy|resources|limits", DELETE),
        "resources",
        "limits",
    ),
    (
        "no reservations",
        ALL,
        _set("observability.yml:cadvisor|deploy|resources|reservations", DELETE),
        "resources",
        "reservations",
    ),
    (
        "failure_action pause",
        ALL,
        _set("control.yml:api|deploy|update_config|failure_action", "pause"),
        "update_policy",
        "rollback",
    ),
    (
        "stop-first without reason",
        ALL,
        _set("control.yml:ui|deploy|update_config|order", "stop-first"),
        "update_policy",
        "stop-first",
    ),
    (
        "no rollback_config",
        ALL,
        _set("observability.yml:victoriametrics|deploy|rollback_config", DELETE),
        "update_policy",
        "no rollback_config",
    ),
    (
        "no update monitor",
        ALL,
        _set(
            "platform.yml:gateway|deploy|update_config",
            {"failure_action": "rollback", "order": "start-first"},
        ),
        "update_policy",
        "monitor",
    ),
    (
        "version label missing",
        ALL,
        _set("platform.yml:gateway|labels|cloudlysis.git_sha", DELETE),
        "version_labels",
        "git_sha",
    ),
    (
        "image tag != version",
        ALL,
        _set("control.yml:api|image", "cloudlysis/control-api:9.9.9"),
        "version_labels",
        "differs",
    ),
    (
        "scrape opt-in wrong service",
        ALL,
        _set("control.yml:api|labels|cloudlysis.service", "control"),
        "scrape_labels",
        "matches no opt-in job",
    ),
    (
        "scrape opt-in missing",
        ALL,
        _set("platform.yml:gateway|labels|cloudlysis.scrape", "false"),
        "scrape_labels",
        "only with cloudlysis.scrape",
    ),
    ("scraped but off monitoring", ALL, _off_monitoring, "scrape_labels", "monitoring"),
    ("internal not encrypted", ALL, _unencrypted, "networks", "encrypted"),
    ("monitoring not attachable", ALL, _not_attachable, "networks", "attachable"),
    (
        "inline password",
        ALL,
        _inline_password,
        "secrets",
        "GF_SECURITY_ADMIN_PASSWORD looks like a secret",
    ),
    ("_FILE without the secret", ALL, _unmounted_secret, "secrets", "not mounted"),
    ("wrong tenant range", ALL, _wrong_range, "placement", "runner-n-z"),
    ("no role constraint", ALL, _no_role, "placement", "ui: no node.labels"),
    (
        "no replicas",
        ALL,
        _set("control.yml:api|deploy|replicas", DELETE),
        "placement",
        "no replica default",
    ),
    (
        "ci: no dnsrr",
        ALL_CI,
        _set("ci-override.yml:api|deploy|endpoint_mode", DELETE),
        "ci",
        "dnsrr",
    ),
    ("ci: ingress port", ALL_CI, _ci_port_ingress, "ci", "mode host"),
    ("ci: host port start-first", ALL_CI, _ci_start_first, "ci", "stop-first"),
    ("ci: loki running", ALL_CI, _set("ci-override.yml:loki|deploy|replicas", 1), "ci", "loki"),
    ("ci: alloy still global", ALL_CI, _ci_global_alloy, "ci", "alloy"),
]


@pytest.mark.parametrize(
    ("files", "mutate", "check", "expected"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_check_reports_a_broken_copy(
    tmp_path: Path,
    files: tuple[str, ...],
    mutate: Callable[[Files], None],
    check: str,
    expected: str,
) -> None:
    stacks = broken_copy(tmp_path, mutate)
    cfg = stack_config(files, stacks)
    fn = checks.check_ci if check == "ci" else checks.CHECKS[check]
    problems = fn(cfg)
    assert any(expected in p for p in problems), problems


def test_unbroken_copy_passes(tmp_path: Path) -> None:
    """The harness itself (load, dump, symlinks) does not introduce problems."""
    stacks = broken_copy(tmp_path, lambda files: None)
    for files in (ALL, ALL_CI):
        cfg = stack_config(files, stacks)
        for name, fn in checks.CHECKS.items():
            assert fn(cfg) == [], name
    assert checks.check_ci(stack_config(ALL_CI, stacks)) == []


def test_docker_stack_config_rejects_invalid_yaml(tmp_path: Path) -> None:
    stacks = broken_copy(tmp_path, _set("control.yml:api|deploy|replicas", "two"))
    result = run_stack_config(ALL, stacks)
    assert result.returncode != 0
    assert "replicas" in result.stderr


def test_different_versions_are_reported() -> None:
    texts = {name: (STACKS / name).read_text() for name in ALL_FILES}
    texts[CI] = texts[CI].replace('version: "3.8"', 'version: "3.9"')
    assert checks.check_same_version(texts)


@pytest.mark.parametrize(
    "image",
    ["cloudlysis/gateway:latest", "cloudlysis/gateway", "nats", "grafana/grafana:${TAG}-latest"],
)
def test_latest_or_untagged_images_are_reported(image: str) -> None:
    assert checks.check_raw_images(f"services:\n  s:\n    image: {image}\n")


def test_a_missing_docker_cli_fails_the_test(tmp_path: Path) -> None:
    with pytest.raises(pytest.fail.Exception, match="docker CLI not found"):
        docker_bin(path=str(tmp_path), fallback=tmp_path / "docker")
    # and the real lookup finds the CLI on this machine
    assert os.access(docker_bin(), os.X_OK)
