"""Property-based conformance: schemathesis against the real app served by uvicorn.

The app runs under uvicorn on a free loopback port (in a thread of this process, so the rights
fake can be injected) against the session's real nats-server. Every operation of the committed
schema is exercised with an admin token (all rights), with valid and invalid inputs.

The Gateway is configured but down (a reserved loopback port nobody listens on) and dev login is
enabled: the IAM pass-through and dev login must then answer a documented 503 problem, never an
undocumented status. The Swarm is the demo fixture (CONTROL_SWARM_MODE=file).

Checks, on every response:
- server_errors_are_by_design: no 5xx, except 503 `upstream_unavailable` from the two routes
  that need the (down) Gateway;
- status_code_conformance: every status a route answers is declared in the schema;
- content_type_conformance: the media type is the one declared for that status;
- response_schema_conformance: the body matches the declared schema;
- errors_are_problems: every 4xx/5xx is application/problem+json whose `status` is the HTTP
  status and whose `request_id` is the x-request-id header.

Deterministic (derandomized Hypothesis, fixed schemathesis seed) and bounded (25 examples per
operation, no coverage phase).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from cloudlysis_control.bootstrap.app import create_app
from tests.support.auth import FakeRights, make_token
from tests.support.net import free_port
from tests.support.settings import app_settings
from tests.support.swarm import isolated_fixture

pytestmark = pytest.mark.integration

# The committed contract (the UI's client is generated from it). tests/unit/test_openapi_schema.py
# proves it is what the code renders; test_served_schema_is_the_committed_one proves the running
# server publishes the same document.
COMMITTED_SCHEMA = Path(__file__).resolve().parents[2] / "openapi.json"
PROBLEM = "application/problem+json"
# Operations that call the Gateway; with the Gateway down they must answer 503 upstream_unavailable.
GATEWAY_OPERATIONS = {"IamRead", "IamPost", "IamPut", "IamPatch", "IamDelete", "DevLogin"}


def _operation_id(case: schemathesis.Case) -> str:
    return str(case.operation.definition.raw.get("operationId", case.operation.label))


def _json(response: schemathesis.Response) -> Any:
    try:
        return json.loads(response.content)
    except ValueError:
        return None


def server_errors_are_by_design(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> None:
    body = _json(response)
    if (
        response.status_code == 503
        and _operation_id(case) in GATEWAY_OPERATIONS
        and isinstance(body, dict)
        and body.get("code") == "upstream_unavailable"
    ):
        return
    not_a_server_error(ctx, response, case)


def errors_are_problems(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> None:
    if response.status_code < 400:
        return
    content_type = response.headers.get("content-type", [""])[0]
    assert content_type.startswith(PROBLEM), (
        f"{response.status_code} answered with content-type {content_type!r}, not {PROBLEM}"
    )
    body = _json(response)
    assert isinstance(body, dict), f"problem body is not a JSON object: {response.content[:200]!r}"
    for member in ("type", "title", "status", "code", "request_id"):
        assert member in body, f"problem lacks {member!r}: {body}"
    assert body["status"] == response.status_code, body
    assert [body["request_id"]] == response.headers.get("x-request-id"), body


CHECKS = [
    server_errors_are_by_design,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    errors_are_problems,
]


@pytest.fixture(scope="module")
def dead_gateway_url() -> Iterator[str]:
    """A loopback port that is bound (so nobody else takes it) but never listens: refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{s.getsockname()[1]}"


@pytest.fixture(scope="module")
def base_url(
    nats_url: str,
    secret_file: Path,
    tmp_path_factory: pytest.TempPathFactory,
    dead_gateway_url: str,
) -> Iterator[str]:
    settings_ = app_settings(
        nats_url,
        secret_file,
        tmp_path_factory.mktemp("schemathesis"),
        CONTROL_GATEWAY_URL=dead_gateway_url,
        CONTROL_DEV_LOGIN="true",
        CONTROL_SWARM_MODE="file",
        CONTROL_SWARM_FILE=str(isolated_fixture(tmp_path_factory.mktemp("swarm"))),
        CONTROL_SWARM_DISCOVERY="false",
    )
    app = create_app(settings_, rights_source=FakeRights())
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", lifespan="on", access_log=False
        )
    )
    thread = threading.Thread(target=server.run, name="schemathesis-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive(), "uvicorn exited during start-up (see the log above)"
        assert time.monotonic() < deadline, "uvicorn did not start within 20 s"
        time.sleep(0.02)
    url = f"http://127.0.0.1:{port}"
    try:
        assert httpx.get(f"{url}/ready", timeout=5).status_code == 200
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        assert not thread.is_alive(), "uvicorn did not stop"


@pytest.fixture(scope="module")
def admin_headers() -> dict[str, str]:
    return {"authorization": f"Bearer {make_token('admin', ttl=3600)}"}


def test_served_schema_is_the_committed_one(base_url: str) -> None:
    r = httpx.get(f"{base_url}/schema/openapi.json", timeout=10)
    assert r.status_code == 200, (r.status_code, r.headers.get("content-type"), r.text[:300])
    assert r.json() == json.loads(COMMITTED_SCHEMA.read_text(encoding="utf-8"))


schema = schemathesis.openapi.from_path(
    COMMITTED_SCHEMA,
    config=schemathesis.Config.from_dict(
        {
            "seed": 20261127,
            "generation": {"mode": "all"},
            "phases": {"coverage": {"enabled": False}},
        }
    ),
)


@schema.parametrize()
@settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api_conforms_to_its_schema(
    case: schemathesis.Case, base_url: str, admin_headers: dict[str, str]
) -> None:
    case.call_and_validate(base_url=base_url, headers=admin_headers, checks=CHECKS, timeout=10)
