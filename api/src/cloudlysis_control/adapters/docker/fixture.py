"""CONTROL_SWARM_MODE=file: a Swarm read from a fixture file, for deterministic development.

The file holds the Engine API's own JSON: `{"services": [...], "tasks": [...], "nodes": [...]}`
(what `GET /services?status=true`, `/tasks` and `/nodes` answer), plus `images`: the references
the fixture's "registry" has besides the ones its services run; so the same normaliser runs as
against a real engine. Updates and rollbacks are applied in memory and produce the events a real
engine would send (updating → completed, rollback_started → rollback_completed), so deploy and
rollback jobs and the deployment history work in the demo. Nothing is written back to the file.

Demo only: a service labelled `cloudlysis.dev.on_converge_url` is told when an update or rollback
of it converges, as `POST <url>` with `{"service", "image", "version", "git_sha", "state"}`, before
the engine reports it completed; that is how the demo's simulated instance starts running (and
reporting) the tag just deployed. A hook that fails pauses the update, as a task that fails to
start would (docs/decisions/0012-demo-swarm-from-the-devfleet.md). A real engine has no such hook.
"""

from __future__ import annotations

import asyncio
import copy
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx

from cloudlysis_control.core.clock import rfc3339
from cloudlysis_control.core.errors import Conflict, NotFound, SettingsError
from cloudlysis_control.core.logging import get_logger
from cloudlysis_control.swarm.normalise import normalise_service, service_labels
from cloudlysis_control.swarm.ports import Raw, StreamState

ON_CONVERGE_LABEL = "cloudlysis.dev.on_converge_url"
_PAUSED = {"completed": "paused", "rollback_completed": "rollback_paused"}
_log = get_logger("control.swarm.fixture")


class FixtureEngine:
    source = "file"

    def __init__(
        self, doc: dict[str, Any], converge_s: float = 0.3, hook_timeout_s: float = 5.0
    ) -> None:
        self._services: list[Raw] = list(doc.get("services") or [])
        self._tasks: list[Raw] = list(doc.get("tasks") or [])
        self._nodes: list[Raw] = list(doc.get("nodes") or [])
        self._images: list[str] = [str(i) for i in doc.get("images") or []]
        self.converge_s = converge_s
        self._events: list[Raw] = []
        self._new_event = asyncio.Condition()
        self._background: set[asyncio.Task[None]] = set()
        self.hook_timeout_s = hook_timeout_s
        self._http: httpx.AsyncClient | None = None

    @classmethod
    def from_file(cls, path: Path) -> FixtureEngine:
        try:
            doc = json.loads(path.read_text())
        except (OSError, ValueError) as e:
            raise SettingsError(f"CONTROL_SWARM_FILE={str(path)!r} is invalid: {e}") from e
        if not isinstance(doc, dict) or not isinstance(doc.get("services"), list):
            raise SettingsError(
                f"CONTROL_SWARM_FILE={str(path)!r} is invalid: expected an object with a "
                "'services' list (and optional 'tasks' and 'nodes')"
            )
        return cls(doc)

    async def ping(self) -> None:
        return None

    async def image_exists(self, reference: str) -> bool | None:
        """An image a service or task of the fixture runs or ran, or one of its `images`."""
        known = set(self._images)
        for s in self._services:
            image = ((s.get("Spec") or {}).get("TaskTemplate") or {}).get("ContainerSpec") or {}
            known.add(str(image.get("Image") or ""))
        for t in self._tasks:
            container = ((t.get("Spec") or {}).get("ContainerSpec")) or {}
            known.add(str(container.get("Image") or ""))
        return reference.split("@")[0] in {k.split("@")[0] for k in known if k}

    async def services(self) -> list[Raw]:
        return copy.deepcopy(self._services)

    def _find(self, name_or_id: str) -> Raw:
        for s in self._services:
            if s.get("ID") == name_or_id or (s.get("Spec") or {}).get("Name") == name_or_id:
                return s
        raise NotFound(f"no such service: {name_or_id}")

    async def service(self, name_or_id: str) -> Raw:
        return copy.deepcopy(self._find(name_or_id))

    async def tasks(self, service: str | None = None) -> list[Raw]:
        if service is None:
            return copy.deepcopy(self._tasks)
        sid = self._find(service)["ID"]
        return copy.deepcopy([t for t in self._tasks if t.get("ServiceID") == sid])

    async def nodes(self) -> list[Raw]:
        return copy.deepcopy(self._nodes)

    async def _emit(self, service: Raw, attributes: dict[str, str], action: str = "update") -> None:
        now = time.time_ns()
        event = {
            "Type": "service",
            "Action": action,
            "Actor": {
                "ID": service["ID"],
                "Attributes": {"name": service["Spec"]["Name"], **attributes},
            },
            "scope": "swarm",
            "time": now // 1_000_000_000,
            "timeNano": now,
        }
        async with self._new_event:
            self._events.append(event)
            self._new_event.notify_all()

    def _apply(self, service: Raw, spec: Raw, state: str, message: str) -> None:
        service["PreviousSpec"] = service.get("Spec")
        service["Spec"] = spec
        service["Version"] = {"Index": int((service.get("Version") or {}).get("Index", 0)) + 1}
        service["UpdatedAt"] = rfc3339()
        service["UpdateStatus"] = {"State": state, "StartedAt": rfc3339(), "Message": message}

    def _check_version(self, service: Raw, version: int) -> None:
        if int((service.get("Version") or {}).get("Index", 0)) != version:
            raise Conflict("update out of sequence")
        state = (service.get("UpdateStatus") or {}).get("State")
        if state in ("updating", "rollback_started"):
            raise Conflict("service is being updated")

    async def update(self, service_id: str, version: int, spec: Raw) -> None:
        service = self._find(service_id)
        self._check_version(service, version)
        old_image = service["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"]
        self._apply(service, copy.deepcopy(spec), "updating", "update in progress")
        new_image = spec["TaskTemplate"]["ContainerSpec"]["Image"]
        await self._emit(service, {"image.old": old_image, "image.new": new_image})
        await self._emit(service, {"updatestate.new": "updating"})
        self._later(self._finish(service, "updating", "completed", "update completed"))

    async def rollback(self, service_id: str, version: int) -> None:
        service = self._find(service_id)
        self._check_version(service, version)
        previous = service.get("PreviousSpec")
        if previous is None:
            raise Conflict("service has no previous spec to roll back to")
        self._apply(service, previous, "rollback_started", "manually requested rollback")
        await self._emit(
            service, {"updatestate.old": "completed", "updatestate.new": "rollback_started"}
        )
        self._later(
            self._finish(service, "rollback_started", "rollback_completed", "rollback completed")
        )

    async def create(self, spec: Raw) -> str:
        name = str(spec.get("Name") or "")
        if any((s.get("Spec") or {}).get("Name") == name for s in self._services):
            raise Conflict(f"service {name} already exists")
        sid = f"fx{time.time_ns():x}"[:25]
        now = rfc3339()
        service: Raw = {
            "ID": sid,
            "Version": {"Index": 1},
            "CreatedAt": now,
            "UpdatedAt": now,
            "Spec": copy.deepcopy(spec),
        }
        self._services.append(service)
        self._converge_tasks(service)
        await self._emit(service, {}, action="create")
        return sid

    async def remove(self, service_id: str) -> None:
        service = self._find(service_id)
        self._services.remove(service)
        self._tasks = [t for t in self._tasks if t.get("ServiceID") != service["ID"]]
        await self._emit(service, {}, action="remove")

    def _converge_tasks(self, service: Raw) -> None:
        """Running tasks up to the spec's replicas (a replicated service), the rest shut down:
        what the engine's orchestrator does, done at once."""
        spec = service.get("Spec") or {}
        replicas = ((spec.get("Mode") or {}).get("Replicated") or {}).get("Replicas")
        if not isinstance(replicas, int):
            return
        container = dict((spec.get("TaskTemplate") or {}).get("ContainerSpec") or {})
        mine = [t for t in self._tasks if t.get("ServiceID") == service["ID"]]
        running = [t for t in mine if t.get("DesiredState") == "running"]
        node = (self._nodes[0].get("ID") if self._nodes else None) or "fixture-node"
        for slot in range(len(running) + 1, replicas + 1):
            now = rfc3339()
            self._tasks.append(
                {
                    "ID": f"fxt{time.time_ns():x}{slot}"[:25],
                    "Version": {"Index": 1},
                    "CreatedAt": now,
                    "UpdatedAt": now,
                    "Labels": {},
                    "Spec": {"ContainerSpec": container},
                    "ServiceID": service["ID"],
                    "Slot": slot,
                    "NodeID": node,
                    "Status": {"Timestamp": now, "State": "running", "Message": "started"},
                    "DesiredState": "running",
                }
            )
        for t in running[replicas:]:
            t["DesiredState"] = "shutdown"
            t["Status"] = {"Timestamp": rfc3339(), "State": "shutdown", "Message": "shutdown"}

    def _later(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _on_converge(self, service: Raw, state: str) -> str | None:
        """Call the service's on-converge hook, if it has one; the error, if it failed."""
        url = service_labels(service).get(ON_CONVERGE_LABEL)
        if not url:
            return None
        s = normalise_service(service)
        body = {
            "service": s.service,
            "image": service["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"],
            "version": s.version or "",
            "git_sha": s.git_sha,
            "state": state,
        }
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=self.hook_timeout_s)
        try:
            r = await self._http.post(url, json=body)
        except httpx.HTTPError as e:
            return f"{ON_CONVERGE_LABEL} {url} failed: {type(e).__name__}"
        if r.status_code >= 300:
            return f"{ON_CONVERGE_LABEL} {url} answered {r.status_code}"
        return None

    async def _finish(self, service: Raw, old: str, new: str, message: str) -> None:
        await asyncio.sleep(self.converge_s)
        status = service["UpdateStatus"]
        failed = await self._on_converge(service, new)
        if failed is not None:
            _log.warning("fixture swarm hook failed", service=service["Spec"]["Name"], error=failed)
            new = _PAUSED[new]
            message = f"{new.replace('_', ' ')}: {failed}"
            status.update({"State": new, "Message": message})
            await self._emit(service, {"updatestate.old": old, "updatestate.new": new})
            return
        status.update({"State": new, "CompletedAt": rfc3339(), "Message": message})
        image = service["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"]
        self._converge_tasks(service)
        for t in self._tasks:
            if t.get("ServiceID") == service["ID"]:
                t.setdefault("Spec", {}).setdefault("ContainerSpec", {})["Image"] = image
                t["UpdatedAt"] = rfc3339()
        await self._emit(service, {"updatestate.old": old, "updatestate.new": new})

    async def events(
        self,
        since: float | None,
        types: tuple[str, ...] = ("service",),
        on_stream: StreamState | None = None,
    ) -> AsyncIterator[Raw]:
        since_ns = int(since * 1e9) if since is not None else 0
        index = 0
        if on_stream is not None:
            on_stream(True)  # in memory: the stream never breaks
        while True:
            async with self._new_event:
                while index >= len(self._events):
                    await self._new_event.wait()
                batch = self._events[index:]
                index = len(self._events)
            for event in batch:
                if event["timeNano"] >= since_ns and event["Type"] in types:
                    yield event

    async def close(self) -> None:
        for task in list(self._background):
            task.cancel()
        if self._http is not None:
            await self._http.aclose()
