"""Helpers for the Swarm tests: a per-test copy of the example fixture, an annotation receiver that
checks payloads against Grafana's annotation API, and polling helpers."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading
import uuid
from pathlib import Path
from typing import Any, TypeVar

import jsonschema
from litestar import Litestar, Request, Response, get, post

REPO = Path(__file__).resolve().parents[3]
EXAMPLE_FIXTURE = REPO / "config" / "swarm" / "example.json"
ENGINE_FIXTURE = Path(__file__).parent / "fixtures" / "engine.json"

# POST /api/annotations body, per Grafana's HTTP API docs
# (https://grafana.com/docs/grafana/latest/developer-resources/api-reference/http-api/annotations/):
# text is required; time/timeEnd are epoch milliseconds; tags a list of strings; dashboardUID and
# panelId scope it to a dashboard/panel (absent: an organisation annotation, shown by tag).
GRAFANA_ANNOTATION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["text"],
    "additionalProperties": False,
    "properties": {
        "dashboardUID": {"type": "string"},
        "dashboardId": {"type": "integer"},
        "panelId": {"type": "integer"},
        "time": {"type": "integer", "minimum": 0},
        "timeEnd": {"type": "integer", "minimum": 0},
        "tags": {"type": "array", "items": {"type": "string", "minLength": 1}},
        "text": {"type": "string", "minLength": 1},
    },
}

T = TypeVar("T")


def isolated_fixture(
    tmp_path: Path,
    source: Path = EXAMPLE_FIXTURE,
    admin_urls: dict[str, str] | None = None,
    **update_state: str,
) -> Path:
    """The example fixture with service ids made unique (deployment records in the session-wide
    stream are keyed by service id), optional UpdateStatus states per service name, and
    `cloudlysis.admin_url` labels pointing at real local servers."""
    doc = json.loads(source.read_text())
    for s in doc["services"]:
        url = (admin_urls or {}).get(s["Spec"]["Name"])
        if url is not None:
            s["Spec"]["Labels"]["cloudlysis.admin_url"] = url
    suffix = uuid.uuid4().hex[:8]
    ids = {}
    for s in doc["services"]:
        ids[s["ID"]] = f"{s['ID'][:16]}{suffix}"
        s["ID"] = ids[s["ID"]]
        state = update_state.get(s["Spec"]["Name"])
        if state is not None:
            s["UpdateStatus"] = {
                "State": state,
                "StartedAt": "2026-11-27T01:00:00.000000000Z",
                "Message": f"{state} (fixture)",
            }
    for t in doc["tasks"]:
        t["ServiceID"] = ids.get(t["ServiceID"], t["ServiceID"])
    path = tmp_path / f"swarm-{suffix}.json"
    path.write_text(json.dumps(doc))
    return path


def health_app(ready_status: int = 200) -> Litestar:
    """A service admin endpoint: /health 200, /ready `ready_status`."""

    @get("/health", sync_to_thread=False)
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @get("/ready", sync_to_thread=False)
    def ready() -> Response[dict[str, str]]:
        return Response({"status": "ready"}, status_code=ready_status)

    return Litestar([health, ready])


class AnnotationReceiver:
    """A stand-in for Grafana's POST /api/annotations that validates every payload. It can be
    told to fail the first N requests (to exercise retries)."""

    def __init__(self, fail_first: int = 0) -> None:
        self.fail_first = fail_first
        self.requests = 0
        self.accepted: list[dict[str, Any]] = []
        self.invalid: list[str] = []
        self.auth: list[str | None] = []
        self._lock = threading.Lock()

    def app(self) -> Litestar:
        receiver = self

        @post("/api/annotations", status_code=200)
        async def annotations(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
            body = await request.json()
            with receiver._lock:
                receiver.requests += 1
                receiver.auth.append(request.headers.get("authorization"))
                if receiver.requests <= receiver.fail_first:
                    return Response({"message": "database is locked"}, status_code=500)
                try:
                    jsonschema.validate(body, GRAFANA_ANNOTATION_SCHEMA)
                except jsonschema.ValidationError as e:
                    receiver.invalid.append(e.message)
                    return Response({"message": e.message}, status_code=400)
                receiver.accepted.append(body)
                ident = len(receiver.accepted)
            return Response({"message": "Annotation added", "id": ident})

        return Litestar([annotations])


# -- real engine (CONTROL_TEST_DOCKER=1) ----------------------------------------------------------

TEST_IMAGE = "cstest/app"
_DOCKERFILE = """FROM {base}
RUN mkdir -p /www && echo ok > /www/health && echo {version} > /www/version
LABEL cloudlysis.test.version={version}
CMD {cmd}
"""


def docker(*args: str, check: bool = True) -> str:
    """The docker CLI (tests only; the API itself talks to the engine through aiodocker)."""
    done = subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=120, check=False
    )
    if check and done.returncode != 0:
        raise AssertionError(f"docker {' '.join(args)} failed: {done.stderr.strip()[:500]}")
    return done.stdout.strip()


def _has_image(ref: str) -> bool:
    done = subprocess.run(
        ["docker", "image", "inspect", ref], capture_output=True, timeout=60, check=False
    )
    return done.returncode == 0


def ensure_test_images() -> None:
    """cstest/app:v1, :v2 (busybox httpd answering /health) and :bad (exits at once), built
    locally without any registry: the base is Debian's static busybox imported as a rootfs
    (`apt-get install busybox-static`), or `cloudlysis/base:bookworm` when the smoke build
    made one (it has no httpd, so the app is `sleep`)."""
    wanted = {v: f"{TEST_IMAGE}:{v}" for v in ("v1", "v2", "bad")}
    if all(_has_image(ref) for ref in wanted.values()):
        return
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        busybox = shutil.which("busybox") or "/bin/busybox"
        if (
            Path(busybox).is_file()
            and "static"
            in subprocess.run(
                ["file", "-L", busybox], capture_output=True, text=True, check=False
            ).stdout
        ):
            base = "cstest/busybox:base"
            if not _has_image(base):
                rootfs = root / "rootfs"
                (rootfs / "bin").mkdir(parents=True)
                shutil.copy(busybox, rootfs / "bin" / "busybox")
                for applet in ("sh", "sleep", "httpd", "echo", "cat", "wget", "mkdir"):
                    (rootfs / "bin" / applet).symlink_to("busybox")
                tar = subprocess.run(
                    ["tar", "-C", str(rootfs), "-c", "."], capture_output=True, check=True
                ).stdout
                subprocess.run(
                    ["docker", "import", "-c", "ENV PATH=/bin", "-", base],
                    input=tar,
                    capture_output=True,
                    check=True,
                )
            serve = '["httpd", "-f", "-p", "8080", "-h", "/www"]'
        elif _has_image("cloudlysis/base:bookworm"):
            base, serve = "cloudlysis/base:bookworm", '["sleep", "infinity"]'
        else:
            raise AssertionError(
                "no base for the test images: install busybox-static or build "
                "cloudlysis/base:bookworm (see docs/swarm.md)"
            )
        for version, ref in wanted.items():
            ctx = root / version
            ctx.mkdir()
            cmd = '["sh", "-c", "exit 3"]' if version == "bad" else serve
            (ctx / "Dockerfile").write_text(_DOCKERFILE.format(base=base, version=version, cmd=cmd))
            subprocess.run(
                ["docker", "build", "-q", "-t", ref, str(ctx)],
                env={**os.environ, "DOCKER_BUILDKIT": "0"},
                capture_output=True,
                check=True,
                timeout=300,
            )
