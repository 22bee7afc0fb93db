"""Deployment history: the records of the CONTROL_DEPLOYMENTS stream folded into deployments,
and the queries over them (list, detail with what changed, recorded specs for rollbacks).

Every replica folds the same stream, so every replica answers the same."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec

from cloudlysis_control.core.clock import parse_rfc3339
from cloudlysis_control.core.errors import NotFound
from cloudlysis_control.core.pagination import decode_cursor, encode_cursor
from cloudlysis_control.deployments.diff import spec_diff
from cloudlysis_control.deployments.schemas import (
    TERMINAL_STATUSES,
    Deployment,
    DeploymentDetail,
    DeploymentPage,
    DeploymentRecord,
    TimelineEntry,
)
from cloudlysis_control.swarm.normalise import LABEL_GIT_SHA, service_labels, split_image

_STATUS_AFTER: dict[str, str] = {
    "started": "in_progress",
    "paused": "paused",
    "completed": "completed",
    "rollback_started": "rolling_back",
    "rollback_paused": "rollback_paused",
    "rollback_completed": "rolled_back",
}


class DeploymentFilter(msgspec.Struct, kw_only=True):
    service: str | None = None
    stack: str | None = None
    status: str | None = None
    kind: str | None = None
    since: str | None = None
    until: str | None = None

    def matches(self, d: Deployment) -> bool:
        return (
            (self.service is None or d.service == self.service)
            and (self.stack is None or d.stack == self.stack)
            and (self.status is None or d.status == self.status)
            and (self.kind is None or d.kind == self.kind)
            and (self.since is None or d.started_at >= self.since)
            and (self.until is None or d.started_at < self.until)
        )


def _image(spec: dict[str, Any] | None) -> str | None:
    container = ((spec or {}).get("TaskTemplate") or {}).get("ContainerSpec") or {}
    image = container.get("Image")
    return image if isinstance(image, str) else None


def epoch_ms(ts: str) -> int:
    return int(parse_rfc3339(ts).timestamp() * 1000)


class DeploymentHistory:
    def __init__(self) -> None:
        self.deployments: dict[str, Deployment] = {}
        self.records: dict[str, list[DeploymentRecord]] = {}
        self._alias: dict[str, str] = {}  # deployment id of a rollback's StartedAt → update's id
        self.open: dict[str, str] = {}  # service id → its deployment in progress
        self._listeners: list[Callable[[Deployment], None]] = []

    def on_change(self, listener: Callable[[Deployment], None]) -> None:
        """Called with a deployment each time a record changes it."""
        self._listeners.append(listener)

    def alias(self, deployment_id: str) -> str:
        return self._alias.get(deployment_id, deployment_id)

    def set_alias(self, deployment_id: str, to: str) -> None:
        self._alias[deployment_id] = to

    def has(self, deployment_id: str, record_type: str) -> bool:
        return any(r.type == record_type for r in self.records.get(deployment_id, []))

    def fold(self, rec: DeploymentRecord) -> None:
        if rec.status_key and rec.status_key != rec.deployment_id:
            self._alias[rec.status_key] = rec.deployment_id
        records = self.records.setdefault(rec.deployment_id, [])
        if any(r.type == rec.type for r in records):
            return
        records.append(rec)
        d = self.deployments.get(rec.deployment_id)
        if d is None:
            spec, previous = rec.spec, rec.previous_spec
            to_image = _image(spec)
            tag = split_image(to_image)[1] if to_image else None
            labels = service_labels({"Spec": spec or {}})
            d = Deployment(
                id=rec.deployment_id,
                service=rec.service,
                service_id=rec.service_id,
                stack=rec.stack,
                kind=rec.kind,
                status="in_progress",
                started_at=rec.at,
                from_spec_version=rec.previous_spec_version,
                to_spec_version=rec.spec_version,
                from_image=_image(previous),
                to_image=to_image,
                version=tag or labels.get("cloudlysis.version"),
                git_sha=labels.get(LABEL_GIT_SHA),
            )
            self.deployments[rec.deployment_id] = d
        if rec.job_id and d.job_id is None:
            d.job_id = rec.job_id
        d.timeline.append(
            TimelineEntry(
                type=rec.type,
                at=rec.at,
                spec_version=rec.spec_version,
                message=rec.message,
                source=rec.source,
            )
        )
        d.timeline.sort(key=lambda e: e.at)
        d.status = _STATUS_AFTER[d.timeline[-1].type]  # type: ignore[assignment]
        d.message = rec.message or d.message
        if d.status in TERMINAL_STATUSES:
            d.finished_at = d.timeline[-1].at
            d.duration_s = round((epoch_ms(d.finished_at) - epoch_ms(d.started_at)) / 1000, 3)
        else:
            d.finished_at = d.duration_s = None
        # A paused update stays open: the rollback that usually follows belongs to it.
        if d.status in ("completed", "rolled_back"):
            if self.open.get(d.service_id) == d.id:
                del self.open[d.service_id]
        else:
            self.open[d.service_id] = d.id
        for listener in self._listeners:
            listener(d)

    def last_control_image(self, service: str) -> str | None:
        """The image the control plane last made `service` run: the newest finished deployment
        a job made (an update that completed, or a rollback: the image it landed on; an update
        that was rolled back: the image it went back to)."""
        mine = [d for d in self.deployments.values() if d.service == service and d.job_id]
        for d in sorted(mine, key=lambda d: d.started_at, reverse=True):
            if d.kind == "rollback" and d.status in ("completed", "rolled_back") and d.to_image:
                return d.to_image
            if d.kind == "update" and d.status == "completed" and d.to_image:
                return d.to_image
            if d.kind == "update" and d.status == "rolled_back" and d.from_image:
                return d.from_image
        return None

    def previous_version(self, service_id: str, version: Any) -> int | None:
        """The spec version the service ran before this one, when a deployment recorded it."""
        if not isinstance(version, int):
            return None
        known = [
            d.to_spec_version
            for d in self.deployments.values()
            if d.service_id == service_id
            and d.to_spec_version is not None
            and d.to_spec_version < version
            and d.status != "rolled_back"
        ]
        return max(known) if known else None

    def page(self, flt: DeploymentFilter, cursor: str | None, limit: int) -> DeploymentPage:
        after = decode_cursor(cursor)
        items = sorted(
            (d for d in self.deployments.values() if flt.matches(d)),
            key=lambda d: (d.started_at, d.id),
            reverse=True,
        )
        if after is not None:
            items = [d for d in items if f"{d.started_at}|{d.id}" < after]
        page = items[:limit]
        more = len(items) > limit
        cursor_out = encode_cursor(f"{page[-1].started_at}|{page[-1].id}") if more else None
        return DeploymentPage(page, cursor_out)

    def get(self, did: str) -> DeploymentDetail:
        d = self.deployments.get(did[:64])
        if d is None:
            raise NotFound(f"no deployment {did[:64]}")
        first = self.records[d.id][0]
        if first.spec is None or first.previous_spec is None:
            return DeploymentDetail(deployment=d, changes=[], changes_available=False)
        return DeploymentDetail(
            deployment=d, changes=spec_diff(first.previous_spec, first.spec), changes_available=True
        )

    def recorded_spec(self, service: str, spec_version: int) -> dict[str, Any] | None:
        """A spec this service ran at `spec_version`, as recorded by a deployment."""
        for records in self.records.values():
            for r in records:
                if r.service != service and r.service_id != service:
                    continue
                if r.spec is not None and r.spec_version == spec_version:
                    return r.spec
        return None

    def recorded_versions(self, service: str) -> list[int]:
        return sorted(
            {
                r.spec_version
                for records in self.records.values()
                for r in records
                if r.spec is not None and r.spec_version is not None and r.service == service
            }
        )
