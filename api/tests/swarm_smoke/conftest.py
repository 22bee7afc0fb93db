"""Swarm smoke (T7.2, T7.3): the real `docker stack deploy` of the control stack, NATS,
VictoriaMetrics, vmagent and the devfleet, on this machine's engine. Runs only with
CONTROL_TEST_DOCKER=1 (the issue's gate; `just test-swarm` sets it after scripts/docker-up.sh and
scripts/build-images.sh). With the variable set, a missing engine or image is a FAILURE."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.net import free_port
from tests.support.smoke import (
    NODE_LABELS,
    NOT_RUNNING,
    RUNNING,
    STACK_FILES,
    STACKS,
    Stack,
    docker,
    image_env,
    node_id,
    node_labels,
    stack_env,
)

ENABLED = os.environ.get("CONTROL_TEST_DOCKER") == "1"
DEPLOY_TIMEOUT_S = 300
REMOVE_TIMEOUT_S = 120


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.docker)
            if not ENABLED:
                item.add_marker(pytest.mark.skip(reason="needs CONTROL_TEST_DOCKER=1"))


def _engine_ready() -> None:
    try:
        state = docker("info", "--format", "{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}")
    except (AssertionError, FileNotFoundError, subprocess.TimeoutExpired) as e:
        pytest.fail(f"CONTROL_TEST_DOCKER=1 but no Docker engine answers: {e}")
    if state.split() != ["active", "true"]:
        pytest.fail(
            f"the engine is not a swarm manager ({state.strip()}): run scripts/docker-up.sh"
        )


def _converged(stack: Stack) -> bool:
    """Every service that should run has its one task running and healthy (a global service
    whose task keeps failing shows 0/0, so the count alone is not enough)."""
    services = stack.services()
    if set(services) != {*RUNNING, *NOT_RUNNING}:
        return False
    if any(not services[name]["Replicas"].startswith("1/1") for name in RUNNING):
        return False
    containers = stack.containers()
    return set(containers) == set(RUNNING) and all(
        len(statuses) == 1 and "(healthy)" in statuses[0] for statuses in containers.values()
    )


def remove_stack(stack: Stack) -> None:
    """`docker stack rm`, wait until its services, containers and networks are gone (Swarm
    frees the overlay networks some seconds after the services), then remove its named volumes
    (`docker stack rm` keeps them; a test run must not leave them behind)."""
    docker("stack", "rm", stack.name, check=False)
    deadline = time.monotonic() + REMOVE_TIMEOUT_S
    label = f"label=com.docker.stack.namespace={stack.name}"
    while True:
        left = (
            docker("service", "ls", "-q", "--filter", label)
            + docker("ps", "-aq", "--filter", label)
            + docker("network", "ls", "-q", "--filter", label)
        )
        if not left.strip():
            break
        if time.monotonic() > deadline:
            raise AssertionError(f"stack {stack.name} not gone after {REMOVE_TIMEOUT_S} s")
        time.sleep(1)
    volumes = docker("volume", "ls", "-q", "--filter", label).split()
    if volumes:
        docker("volume", "rm", *volumes)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    _engine_ready()
    images = image_env()
    secrets = tmp_path_factory.mktemp("secrets")
    subprocess.run(
        [str(STACKS / "make-dev-secrets.sh"), str(secrets)], check=True, capture_output=True
    )
    ui_port, gw_port = free_port("0.0.0.0"), free_port("0.0.0.0")  # host-mode publish
    stack = Stack(
        name=f"cltest-smoke-{os.getpid()}",
        env=stack_env(images, secrets, ui_port, gw_port),
        ui_url=f"http://127.0.0.1:{ui_port}",
        gateway_url=f"http://127.0.0.1:{gw_port}",
    )
    present = node_labels()
    stack.added_labels = [k for k in NODE_LABELS if present.get(k) != "true"]
    try:
        for key in stack.added_labels:
            docker("node", "update", "--label-add", f"{key}=true", node_id())
        args = ["stack", "deploy", "--resolve-image", "never", "--prune"]
        for name in STACK_FILES:
            args += ["-c", name]
        out = subprocess.run(
            ["docker", *args, stack.name],
            cwd=STACKS,
            env=stack.env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert out.returncode == 0, f"docker stack deploy failed: {out.stderr}"
        deadline = time.monotonic() + DEPLOY_TIMEOUT_S
        while not _converged(stack):
            if time.monotonic() > deadline:
                pytest.fail(
                    f"stack {stack.name} did not converge in {DEPLOY_TIMEOUT_S} s\n"
                    f"{stack.diagnostics()}"
                )
            time.sleep(3)
        yield stack
    finally:
        try:
            remove_stack(stack)
        finally:
            for key in stack.added_labels:
                docker("node", "update", "--label-rm", key, node_id(), check=False)
