"""The Swarm smoke test's view of a deployed stack, through the docker CLI.

The stack is the real thing: `docker stack deploy` of the repository's stack files with
stacks/devfleet-override.yml and stacks/ci-override.yml, on images built locally by
scripts/build-images.sh. Nothing here fakes an answer; every helper shells out to the engine.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import subprocess
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest

REPO = Path(__file__).resolve().parents[3]
STACKS = REPO / "stacks"
STACK_FILES = (
    "control.yml",
    "platform.yml",
    "observability.yml",
    "devfleet-override.yml",
    "ci-override.yml",
)
# Node labels the base files' placement constraints ask for (one CI node carries them all).
NODE_LABELS = (
    "cloudlysis.role.control",
    "cloudlysis.role.platform",
    "cloudlysis.role.observability",
    "cloudlysis.tenants.a-m",
    "cloudlysis.tenants.n-z",
    # The three NATS nodes of control.yml (spread over three nodes in production).
    "cloudlysis.nats.1",
    "cloudlysis.nats.2",
    "cloudlysis.nats.3",
)
PLATFORM = (
    "gateway",
    "aggregate-a-m",
    "aggregate-n-z",
    "projection-a-m",
    "projection-n-z",
    "runner-a-m",
    "runner-n-z",
)
RUNNING = (
    "api",
    "ui",
    "nats-1",
    "nats-2",
    "nats-3",
    *PLATFORM,
    "victoriametrics",
    "vmagent",
    "vmalert",
    "node-exporter",
)
# Images that cannot be built or pulled here (docs/stacks.md): ci-override.yml scales them to 0.
NOT_RUNNING = ("grafana", "loki", "tempo", "alloy", "cadvisor")

T = TypeVar("T")


def docker(*args: str, timeout: float = 120, check: bool = True) -> str:
    out = subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and out.returncode != 0:
        raise AssertionError(
            f"docker {shlex.join(args)} exited {out.returncode}: {out.stderr.strip()[-2000:]}"
        )
    return out.stdout


def node_id() -> str:
    return docker("info", "--format", "{{.Swarm.NodeID}}").strip()


def node_labels() -> dict[str, str]:
    raw = docker("node", "inspect", node_id(), "--format", "{{json .Spec.Labels}}")
    labels = json.loads(raw) or {}
    return {str(k): str(v) for k, v in labels.items()}


@dataclass
class Stack:
    name: str
    env: dict[str, str]
    ui_url: str
    gateway_url: str
    added_labels: list[str] = field(default_factory=list)

    # ------------------------------------------------------------------ engine state
    def services(self) -> dict[str, dict[str, str]]:
        """short service name -> {mode, replicas} for this stack's services."""
        out = docker(
            "service",
            "ls",
            "--filter",
            f"label=com.docker.stack.namespace={self.name}",
            "--format",
            "{{json .}}",
        )
        found = {}
        for line in out.splitlines():
            row = json.loads(line)
            found[row["Name"].removeprefix(f"{self.name}_")] = row
        return found

    def containers(self) -> dict[str, list[str]]:
        """short service name -> `docker ps` status lines of its running containers."""
        out = docker(
            "ps",
            "--filter",
            f"label=com.docker.stack.namespace={self.name}",
            "--format",
            '{{.Label "com.docker.swarm.service.name"}}\t{{.Status}}',
        )
        found: dict[str, list[str]] = {}
        for line in out.splitlines():
            service, status = line.split("\t", 1)
            found.setdefault(service.removeprefix(f"{self.name}_"), []).append(status)
        return found

    def container_id(self, service: str) -> str:
        ids = docker(
            "ps",
            "-q",
            "--filter",
            f"label=com.docker.swarm.service.name={self.name}_{service}",
            "--filter",
            "status=running",
        ).split()
        assert ids, f"no running container for {service}"
        return ids[0]

    def exec(self, service: str, *command: str, timeout: float = 30) -> str:
        return docker("exec", self.container_id(service), *command, timeout=timeout)

    def diagnostics(self) -> str:
        ps = docker(
            "stack",
            "ps",
            self.name,
            "--no-trunc",
            "--format",
            "{{.Name}}  {{.CurrentState}}  {{.Error}}",
            check=False,
        )
        lines = [ln for ln in ps.splitlines() if "Running" not in ln][:40]
        return "tasks not running:\n" + "\n".join(lines)

    # ------------------------------------------------------------------ HTTP inside the stack
    def api_get(self, path: str) -> tuple[int, Any]:
        """GET http://127.0.0.1:8080{path} inside the API container (for endpoints the UI does
        not forward, such as /ready): the orchestrator's own view."""
        script = (
            "import json, sys, urllib.request, urllib.error\n"
            "try:\n"
            f"    r = urllib.request.urlopen('http://127.0.0.1:8080{path}', timeout=10)\n"
            "    code, body = r.status, r.read()\n"
            "except urllib.error.HTTPError as e:\n"
            "    code, body = e.code, e.read()\n"
            "print(json.dumps({'code': code, 'body': body.decode()}))\n"
        )
        answer = json.loads(self.exec("api", "python", "-c", script))
        body = answer["body"]
        with contextlib.suppress(ValueError):
            body = json.loads(body)
        return int(answer["code"]), body

    def vm_query(self, promql: str) -> list[dict[str, Any]]:
        """An instant query against VictoriaMetrics' HTTP API, from inside its container (the
        stack does not publish it)."""
        url = "http://127.0.0.1:8428/api/v1/query?" + urllib.parse.urlencode({"query": promql})
        doc = json.loads(self.exec("victoriametrics", "wget", "-qO-", url))
        assert doc.get("status") == "success", doc
        result: list[dict[str, Any]] = doc["data"]["result"]
        return result


def stack_env(
    images: dict[str, str], secrets_dir: Path, ui_port: int, gw_port: int
) -> dict[str, str]:
    env = dict(os.environ)
    env.update(images)
    env["CLOUDLYSIS_SECRETS_DIR"] = str(secrets_dir)
    env["UI_PUBLISHED_PORT"] = str(ui_port)
    env["GATEWAY_PUBLISHED_PORT"] = str(gw_port)
    # The API joins the engine socket's group (stacks/control.yml `user:`).
    env["DOCKER_GID"] = str(os.stat("/var/run/docker.sock").st_gid)
    return env


def image_env() -> dict[str, str]:
    """The image variables of scripts/build-images.sh; fails when an image is not built."""
    out = subprocess.run(
        [str(REPO / "scripts" / "build-images.sh"), "--env"],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        pytest.fail(f"images missing: {out.stderr.strip()} (just test-swarm builds them)")
    return dict(line.split("=", 1) for line in out.stdout.splitlines() if "=" in line)
