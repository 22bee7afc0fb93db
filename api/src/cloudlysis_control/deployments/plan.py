"""What a deploy or rollback of a Swarm service would do, computed before anything is sent.

One place for the service's preflight, composed from the guardrails (no other job holds the
service, it exists, is not updating or paused, every desired task runs, and for a deploy it is
not crash-looping and the engine can resolve the target image) and for the spec the job would
send; the job kinds run the same checks and build the same spec, and the plan endpoints show the
diff (the one the deployment history shows afterwards) and the verdict before submit.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from typing import Any

from cloudlysis_control.core.checks import CheckResult, failed
from cloudlysis_control.core.errors import ControlError, ParamsInvalid, SwarmUnavailable
from cloudlysis_control.deployments.diff import JOB_LABEL, spec_diff
from cloudlysis_control.deployments.schemas import DeployTarget, RollbackTarget, ServicePlan
from cloudlysis_control.deployments.service import DeploymentService
from cloudlysis_control.guardrails import checks
from cloudlysis_control.guardrails.limits import LimitsSource, StaticLimits
from cloudlysis_control.locks.service import LockService
from cloudlysis_control.swarm.normalise import normalise_service, split_image
from cloudlysis_control.swarm.ports import Raw, SwarmEngine
from cloudlysis_control.swarm.schemas import SwarmService

VERSION_LABELS = ("cloudlysis.version", "cloudlysis.image_tag", "org.opencontainers.image.version")


def _relabel(container: dict[str, Any], image: str, git_sha: str | None) -> None:
    """Keep the build/version labels the stack set (scrape relabeling reads them) true for the
    new image; a git sha we were not told becomes `unknown` rather than staying stale."""
    labels = container.get("Labels")
    if not isinstance(labels, dict):
        return
    tag = split_image(image)[1]
    for key in VERSION_LABELS:
        if key in labels and tag:
            labels[key] = tag
    if "cloudlysis.git_sha" in labels or git_sha:
        labels["cloudlysis.git_sha"] = git_sha or "unknown"


def current_image(raw: Raw) -> str:
    return str(
        ((raw.get("Spec") or {}).get("TaskTemplate") or {}).get("ContainerSpec", {}).get("Image")
        or ""
    )


def target_image(raw: Raw, image: str | None, tag: str | None) -> str:
    """The reference a deploy sends: `image` as given, or the current repository with `tag`."""
    if image:
        return image
    if not tag:
        raise ParamsInvalid("give exactly one of image (a full reference) or tag")
    return f"{split_image(current_image(raw))[0]}:{tag}"


def deploy_spec(
    raw: Raw, image: str | None, tag: str | None, git_sha: str | None, job_id: str | None
) -> tuple[dict[str, Any], str]:
    """The spec a deploy sends (a copy of the current one with the new image, its version
    labels kept true, and the job's label) and the target image."""
    spec = copy.deepcopy(raw.get("Spec") or {})
    container = spec["TaskTemplate"]["ContainerSpec"]
    target = target_image(raw, image, tag)
    container["Image"] = target
    _relabel(container, target, git_sha)
    if job_id is not None:
        if not isinstance(spec.get("Labels"), dict):
            spec["Labels"] = {}  # the engine sends null for "no labels"
        spec["Labels"][JOB_LABEL] = job_id
    return spec, target


class ServicePlanner:
    def __init__(
        self,
        engine: SwarmEngine | None,
        deployments: DeploymentService | None,
        locks: LockService | None = None,
        limits: LimitsSource | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        # Built whether or not a Swarm is configured: without one, every use is a clear
        # 503 swarm_unavailable.
        self._engine = engine
        self._deployments = deployments
        self.locks = locks
        self.limits = limits or StaticLimits()
        self.clock = clock

    @property
    def engine(self) -> SwarmEngine:
        if self._engine is None:
            raise SwarmUnavailable("Swarm integration is off (CONTROL_SWARM_MODE=off)")
        return self._engine

    @property
    def deployments(self) -> DeploymentService:
        if self._deployments is None:
            raise SwarmUnavailable("Swarm integration is off (CONTROL_SWARM_MODE=off)")
        return self._deployments

    async def inspect(self, name: str) -> tuple[Raw, SwarmService]:
        raw = await self.engine.service(name)
        return raw, normalise_service(raw, await self.engine.tasks(str(raw.get("ID"))))

    async def failures(
        self, name: str, image: str | None = None, job_id: str | None = None
    ) -> list[CheckResult]:
        """Every failed guardrail of a deploy (to `image`) or rollback (image None) of `name`."""
        lock = await self._lock(name, job_id)
        try:
            _raw, s = await self.inspect(name)
        except ControlError as e:
            if e.status == 404:
                return failed([lock, checks.service_missing(name)])
            raise
        return failed([lock, *await self._checks(s, image)])

    async def rollback_failures(
        self, name: str, to_spec_version: int | None, job_id: str | None = None
    ) -> list[CheckResult]:
        """Every failed guardrail of a rollback of `name`, with its target spec's existence."""
        lock = await self._lock(name, job_id)
        try:
            raw, s = await self.inspect(name)
        except ControlError as e:
            if e.status == 404:
                return failed([lock, checks.service_missing(name)])
            raise
        spec = self.rollback_spec(raw, name, to_spec_version)
        return failed(
            [lock, *await self._checks(s, None), checks.rollback_target(name, spec is not None)]
        )

    async def _lock(self, name: str, job_id: str | None) -> CheckResult:
        return await checks.lock_free(self.locks, "service", name, job_id, self.clock)

    async def _checks(self, s: SwarmService, image: str | None) -> list[CheckResult]:
        """The service's guardrails: settled, healthy, and for a deploy not crash-looping and
        its image resolvable (docs/guardrails.md)."""
        out = [*checks.service_settled(s), checks.service_healthy(s)]
        if image is not None:
            limits = await self.limits.limits()
            out.append(checks.crash_loop(s, limits, self.clock()))
            out.append(checks.image_exists(image, await self.engine.image_exists(image)))
        return out

    async def plan_deploy(self, name: str, target: DeployTarget) -> ServicePlan:
        if (target.image is None) == (target.tag is None):
            raise ParamsInvalid("give exactly one of image (a full reference) or tag")
        raw, s = await self.inspect(name)
        spec, image = deploy_spec(raw, target.image, target.tag, target.git_sha, None)
        return ServicePlan(
            service=name,
            spec_version=s.spec_version,
            from_image=current_image(raw),
            to_image=image,
            changes=spec_diff(raw.get("Spec") or {}, spec),
            changes_available=True,
            failures=failed([await self._lock(name, None), *await self._checks(s, image)]),
        )

    def rollback_spec(self, raw: Raw, name: str, to_spec_version: int | None) -> Raw | None:
        """The spec a rollback lands on: the recorded `to_spec_version`, else Swarm's previous
        spec (None when the engine holds none)."""
        if to_spec_version is None:
            previous = raw.get("PreviousSpec")
            return previous if isinstance(previous, dict) else None
        recorded = self.deployments.recorded_spec(name, to_spec_version)
        if recorded is None:
            known = self.deployments.recorded_versions(name)
            raise ParamsInvalid(
                f"no recorded spec version {to_spec_version} for {name}"
                + (f" (recorded: {', '.join(map(str, known))})" if known else "")
            )
        return recorded

    async def plan_rollback(self, name: str, target: RollbackTarget) -> ServicePlan:
        raw, s = await self.inspect(name)
        spec = self.rollback_spec(raw, name, target.to_spec_version)
        failures = failed(
            [
                await self._lock(name, None),
                *await self._checks(s, None),
                checks.rollback_target(name, spec is not None),
            ]
        )
        to_image = current_image({"Spec": spec}) if spec is not None else None
        return ServicePlan(
            service=name,
            spec_version=s.spec_version,
            from_image=current_image(raw),
            to_image=to_image or None,
            changes=spec_diff(raw.get("Spec") or {}, spec) if spec is not None else [],
            changes_available=spec is not None,
            failures=failures,
        )
