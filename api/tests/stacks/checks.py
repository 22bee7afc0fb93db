"""Structural checks on a merged stack config. Each returns the problems it found (empty: ok).

They are plain functions so that `test_stack_checks_can_fail.py` can run every one of them on a
deliberately broken copy of the stack files and show that it reports the break.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from tests.support.stacks import REPO, image_tag, services

Config = dict[str, Any]

VERSION_LABELS = (
    "org.opencontainers.image.version",
    "cloudlysis.service",
    "cloudlysis.version",
    "cloudlysis.image_tag",
    "cloudlysis.git_sha",
)
HEALTHCHECK_EXEMPTION = "cloudlysis.healthcheck-exemption"
STOP_FIRST_REASON = "cloudlysis.stop-first-reason"
PUBLIC_NETWORKS = {"public"}
ATTACHABLE_NETWORKS = {"internal", "monitoring"}
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|CREDENTIAL|PRIVATE|SIGNING_KEY|API_KEY|CREDS")
TENANT_SERVICE = re.compile(r"^(aggregate|projection|runner)-(?P<range>[a-z]-[a-z])$")
TENANT_CONSTRAINT = re.compile(
    r"^node\.labels\.cloudlysis\.tenants\.(?P<range>[a-z]-[a-z]) == true$"
)
ROLE_CONSTRAINT = re.compile(
    r"^node\.labels\.cloudlysis\.role\.(control|platform|observability) == true$"
)
CI_ZERO_REPLICAS = ("grafana", "loki", "tempo", "alloy", "cadvisor")
SCRAPE = REPO / "vmagent" / "scrape.yml"


def _labels(svc: dict[str, Any]) -> dict[str, str]:
    return {str(k): str(v) for k, v in (svc.get("labels") or {}).items()}


def _deploy_labels(svc: dict[str, Any]) -> dict[str, str]:
    return {str(k): str(v) for k, v in ((svc.get("deploy") or {}).get("labels") or {}).items()}


def _networks(svc: dict[str, Any]) -> list[str]:
    nets = svc.get("networks") or []
    return list(nets) if isinstance(nets, (list, dict)) else []


def _sources(items: list[Any] | None) -> list[str]:
    return [i["source"] if isinstance(i, dict) else str(i) for i in items or []]


def check_references(cfg: Config) -> list[str]:
    problems = []
    defined = {
        k: set((cfg.get(k) or {}).keys()) for k in ("networks", "secrets", "configs", "volumes")
    }
    for name, svc in services(cfg).items():
        for net in _networks(svc):
            if net not in defined["networks"]:
                problems.append(f"{name}: network {net!r} is not defined")
        for kind in ("secrets", "configs"):
            for src in _sources(svc.get(kind)):
                if src not in defined[kind]:
                    problems.append(f"{name}: {kind[:-1]} {src!r} is not defined")
        for vol in svc.get("volumes") or []:
            named = isinstance(vol, dict) and vol.get("type") == "volume" and vol.get("source")
            if named and vol["source"] not in defined["volumes"]:
                problems.append(f"{name}: volume {vol['source']!r} is not defined")
    return problems


def check_config_files(cfg: Config) -> list[str]:
    problems = []
    for name, conf in (cfg.get("configs") or {}).items():
        if conf.get("external"):
            problems.append(f"config {name}: external configs are not used by these stacks")
            continue
        path = Path(conf.get("file", ""))
        if not path.is_file():
            problems.append(f"config {name}: file {path} does not exist")
    return problems


def check_images(cfg: Config) -> list[str]:
    problems = []
    for name, svc in services(cfg).items():
        image = svc.get("image")
        if not image:
            problems.append(f"{name}: no image")
        elif not image_tag(image):
            problems.append(f"{name}: image {image!r} has no tag")
    return problems


def check_healthchecks(cfg: Config) -> list[str]:
    problems = []
    for name, svc in services(cfg).items():
        hc = svc.get("healthcheck") or {}
        exemption = _deploy_labels(svc).get(HEALTHCHECK_EXEMPTION, "").strip()
        if hc.get("disable"):
            if not exemption:
                problems.append(f"{name}: healthcheck disabled without {HEALTHCHECK_EXEMPTION}")
            continue
        test = hc.get("test")
        if not test:
            problems.append(f"{name}: no healthcheck")
            continue
        if isinstance(test, str):
            test = ["CMD-SHELL", test]
        if test[0] not in ("CMD", "CMD-SHELL"):
            problems.append(f"{name}: healthcheck test must start with CMD or CMD-SHELL: {test}")
        # Overrides APPEND list items: a second CMD token means two tests were merged.
        if sum(1 for t in test if t in ("CMD", "CMD-SHELL", "NONE")) != 1:
            problems.append(f"{name}: healthcheck test merged from several files: {test}")
        for key in ("interval", "timeout", "retries"):
            if key not in hc:
                problems.append(f"{name}: healthcheck without {key}")
        if exemption:
            problems.append(f"{name}: has a healthcheck but also an exemption label")
    return problems


def check_resources(cfg: Config) -> list[str]:
    problems = []
    for name, svc in services(cfg).items():
        res = (svc.get("deploy") or {}).get("resources") or {}
        for kind in ("limits", "reservations"):
            for key in ("cpus", "memory"):
                if not (res.get(kind) or {}).get(key):
                    problems.append(f"{name}: no resources.{kind}.{key}")
    return problems


def check_update_policy(cfg: Config) -> list[str]:
    problems = []
    for name, svc in services(cfg).items():
        deploy = svc.get("deploy") or {}
        reason = _deploy_labels(svc).get(STOP_FIRST_REASON, "").strip()
        upd = deploy.get("update_config") or {}
        rb = deploy.get("rollback_config") or {}
        if not upd:
            problems.append(f"{name}: no update_config")
        if upd.get("failure_action") != "rollback":
            problems.append(f"{name}: update_config.failure_action must be rollback")
        for key in ("parallelism", "delay", "monitor", "order"):
            if key not in upd:
                problems.append(f"{name}: update_config without {key}")
        for label, policy in (("update_config", upd), ("rollback_config", rb)):
            order = policy.get("order")
            if order == "stop-first" and not reason:
                problems.append(f"{name}: {label}.order stop-first without {STOP_FIRST_REASON}")
            elif order not in ("start-first", "stop-first"):
                problems.append(f"{name}: {label}.order is {order!r}")
        if not rb:
            problems.append(f"{name}: no rollback_config")
        for key in ("parallelism", "monitor", "failure_action"):
            if rb and key not in rb:
                problems.append(f"{name}: rollback_config without {key}")
        if upd.get("order") == "start-first" and reason:
            problems.append(f"{name}: {STOP_FIRST_REASON} set but the update is start-first")
    return problems


def check_version_labels(cfg: Config, *, image_must_match: bool = True) -> list[str]:
    problems = []
    for name, svc in services(cfg).items():
        labels = _labels(svc)
        missing = [k for k in VERSION_LABELS if not labels.get(k, "").strip()]
        if missing:
            problems.append(f"{name}: container labels missing {missing}")
            continue
        versions = {labels[k] for k in VERSION_LABELS if k.endswith(("version", "image_tag"))}
        if len(versions) != 1:
            problems.append(f"{name}: version labels disagree: {sorted(versions)}")
        tag = image_tag(svc.get("image") or "")
        if image_must_match and tag not in versions:
            problems.append(f"{name}: image tag {tag!r} differs from its version labels")
    return problems


def scrape_jobs() -> dict[str, re.Pattern[str]]:
    """job name -> the regex its relabelling keeps on the cloudlysis.service container label."""
    jobs = {}
    for job in yaml.safe_load(SCRAPE.read_text())["scrape_configs"]:
        for rule in job.get("relabel_configs") or []:
            src = rule.get("source_labels") or []
            if src == ["__meta_dockerswarm_container_label_cloudlysis_service"] and (
                rule.get("action") == "keep"
            ):
                jobs[job["job_name"]] = re.compile(f"^(?:{rule['regex']})$")
    return jobs


def check_scrape_labels(cfg: Config) -> list[str]:
    problems = []
    jobs = scrape_jobs()
    needs_opt_in = {"platform", "control-api"}
    for name, svc in services(cfg).items():
        labels = _labels(svc)
        service = labels.get("cloudlysis.service", "")
        matching = [job for job, rx in jobs.items() if rx.match(service)]
        opted_in = labels.get("cloudlysis.scrape") == "true"
        if opted_in and not any(job in needs_opt_in for job in matching):
            problems.append(f"{name}: cloudlysis.scrape=true but {service!r} matches no opt-in job")
        if any(job in needs_opt_in for job in matching) and not opted_in:
            problems.append(f"{name}: {service!r} is scraped only with cloudlysis.scrape=true")
        if matching and not any(n.endswith("monitoring") for n in _networks(svc)):
            problems.append(f"{name}: scraped by {matching} but not on a *monitoring network")
        port = labels.get("cloudlysis.metrics_port")
        if port is not None and not port.isdigit():
            problems.append(f"{name}: cloudlysis.metrics_port {port!r} is not a port")
    return problems


def check_networks(cfg: Config) -> list[str]:
    problems = []
    for name, net in (cfg.get("networks") or {}).items():
        net = net or {}
        if net.get("driver") != "overlay":
            problems.append(f"network {name}: driver must be overlay")
        encrypted = str((net.get("driver_opts") or {}).get("encrypted", "")).lower() == "true"
        if name not in PUBLIC_NETWORKS and not encrypted:
            problems.append(f"network {name}: internal network must be encrypted")
        if name in ATTACHABLE_NETWORKS and not net.get("attachable"):
            problems.append(f"network {name}: must be attachable (smoke tests attach to it)")
    return problems


def check_secrets(cfg: Config) -> list[str]:
    problems = []
    for name, sec in (cfg.get("secrets") or {}).items():
        keys = set(sec or {})
        if not keys & {"file", "external"} or keys - {"file", "external", "name", "labels"}:
            problems.append(f"secret {name}: must come from a file or be external, got {keys}")
        path = str((sec or {}).get("file", ""))
        if path and Path(path).resolve().is_relative_to(REPO) and _tracked(Path(path)):
            problems.append(f"secret {name}: {path} is committed to git")
    for name, svc in services(cfg).items():
        mounted = {}
        for item in svc.get("secrets") or []:
            src = item["source"] if isinstance(item, dict) else item
            target = item.get("target", src) if isinstance(item, dict) else item
            mounted[target if target.startswith("/") else f"/run/secrets/{target}"] = src
        for key, value in (svc.get("environment") or {}).items():
            if SECRET_NAME.search(key) and not key.endswith("_FILE"):
                problems.append(f"{name}: {key} looks like a secret set inline (use {key}_FILE)")
            in_secrets = key.endswith("_FILE") and str(value).startswith("/run/secrets/")
            if in_secrets and str(value) not in mounted:
                problems.append(f"{name}: {key}={value} but that secret is not mounted")
    return problems


def _tracked(path: Path) -> bool:
    import subprocess

    out = subprocess.run(
        ["git", "-C", str(REPO), "ls-files", "--error-unmatch", str(path)],
        capture_output=True,
        check=False,
    )
    return out.returncode == 0


def check_placement(cfg: Config) -> list[str]:
    problems = []
    for name, svc in services(cfg).items():
        deploy = svc.get("deploy") or {}
        constraints = (deploy.get("placement") or {}).get("constraints") or []
        tenant = TENANT_SERVICE.match(name)
        if tenant:
            ranges = [m["range"] for c in constraints if (m := TENANT_CONSTRAINT.match(c))]
            env_range = (svc.get("environment") or {}).get("CLOUDLYSIS_TENANT_RANGE")
            if ranges != [tenant["range"]] or env_range != tenant["range"]:
                problems.append(
                    f"{name}: needs exactly the tenant constraint for {tenant['range']} "
                    f"(constraints {constraints}, CLOUDLYSIS_TENANT_RANGE={env_range})"
                )
        elif (
            deploy.get("mode", "replicated") == "replicated"
            and deploy.get("replicas") != 0
            and not any(ROLE_CONSTRAINT.match(c) for c in constraints)
        ):
            problems.append(f"{name}: no node.labels.cloudlysis.role.* constraint")
        if deploy.get("mode", "replicated") == "replicated" and "replicas" not in deploy:
            problems.append(f"{name}: no replica default")
    return problems


def check_ci(cfg: Config) -> list[str]:
    problems = []
    for name, svc in services(cfg, with_image=True).items():
        deploy = svc.get("deploy") or {}
        if deploy.get("endpoint_mode") != "dnsrr":
            problems.append(f"{name}: CI needs endpoint_mode dnsrr (no IPVS)")
        ports = svc.get("ports") or []
        for port in ports:
            if not isinstance(port, dict) or port.get("mode") != "host":
                problems.append(f"{name}: CI needs published ports in mode host: {port}")
        running = deploy.get("mode") == "global" or deploy.get("replicas", 1) > 0
        order = (deploy.get("update_config") or {}).get("order")
        if ports and running and order != "stop-first":
            problems.append(f"{name}: a host-mode port needs a stop-first update on one node")
        if name in CI_ZERO_REPLICAS and (
            deploy.get("mode") != "replicated" or deploy.get("replicas") != 0
        ):
            problems.append(f"{name}: CI runs it with 0 replicas (its image is not available)")
    return problems


CHECKS = {
    "references": check_references,
    "config_files": check_config_files,
    "images": check_images,
    "healthchecks": check_healthchecks,
    "resources": check_resources,
    "update_policy": check_update_policy,
    "version_labels": check_version_labels,
    "scrape_labels": check_scrape_labels,
    "networks": check_networks,
    "secrets": check_secrets,
    "placement": check_placement,
}


# ------------------------------------------------------------------ raw (unmerged) files

IMAGE_LINE = re.compile(r"^\s*image:\s*(?P<image>\S+)\s*$", re.M)


def check_raw_images(text: str) -> list[str]:
    """No `latest` tag unless it is a variable's default; no image without a tag."""
    problems = []
    for m in IMAGE_LINE.finditer(text):
        image = m["image"].strip("\"'")
        bare = re.sub(r"\$\{[^}]*\}", "VAR", image)
        if ":" not in bare.rsplit("/", 1)[-1]:
            problems.append(f"image {image!r} has no tag")
        if re.search(r":latest$", image):
            problems.append(f"image {image!r}: a literal latest tag (use ${{VAR:-latest}})")
        if "latest" in image and not re.search(r"\$\{[A-Z0-9_]+:-latest\}", image):
            problems.append(f"image {image!r}: latest outside a variable default")
    return problems


def check_same_version(texts: dict[str, str]) -> list[str]:
    versions = {name: (yaml.safe_load(t) or {}).get("version") for name, t in texts.items()}
    if len(set(versions.values())) != 1 or None in versions.values():
        return [f"stack files declare different versions: {versions}"]
    return []
