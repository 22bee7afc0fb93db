"""Audit queries an operator can work with: substring search, include/exclude outcomes, a
count, and runs of denials collapsed into one row (in-memory event log, no NATS)."""

from __future__ import annotations

import asyncio

import pytest

from cloudlysis_control.audit.schemas import AuditFilter
from cloudlysis_control.audit.service import AuditService
from cloudlysis_control.core.metrics import Metrics
from tests.support.fakes import MemoryEventLog


@pytest.fixture
async def audit() -> AuditService:
    service = AuditService(MemoryEventLog(), Metrics())
    for i in range(3):
        await service.record(
            actor="alice", action="job.create.tenant.drain", target=f"job:j{i}", outcome="accepted"
        )
    for _ in range(5):
        await service.record(
            actor="mallory",
            action="authz.deny",
            target="POST /admin/v1/x",
            outcome="denied",
            detail={"missing_right": "control.jobs.run"},
        )
    await service.record(
        actor="mallory",
        action="authz.deny",
        target="POST /admin/v1/y",
        outcome="denied",
        detail={"missing_right": "control.iam.write"},
    )
    for _ in range(2):
        await service.record(
            actor="mallory",
            action="authz.deny",
            target="POST /admin/v1/x",
            outcome="denied",
            detail={"missing_right": "control.jobs.run"},
        )
    await service.record(actor="Bob", action="iam.post", target="iam:users/ALICE", outcome="failed")
    await asyncio.sleep(0)
    return service


async def test_substring_search_over_actor_action_and_target(audit: AuditService) -> None:
    found = (await audit.query(AuditFilter(text="alice"), None, 50)).items
    assert sorted(e.actor for e in found) == ["Bob", "alice", "alice", "alice"]  # target too
    assert [e.action for e in (await audit.query(AuditFilter(text="IAM.P"), None, 50)).items] == [
        "iam.post"
    ]


async def test_outcomes_are_included_or_excluded(audit: AuditService) -> None:
    only = (
        await audit.query(AuditFilter(outcomes=frozenset({"failed", "accepted"})), None, 50)
    ).items
    assert {e.outcome for e in only} == {"failed", "accepted"} and len(only) == 4
    without = (
        await audit.query(AuditFilter(exclude_outcomes=frozenset({"denied"})), None, 50)
    ).items
    assert all(e.outcome != "denied" for e in without) and len(without) == 4


async def test_runs_of_one_denial_collapse_into_a_row_with_its_count(audit: AuditService) -> None:
    rows = (await audit.query(AuditFilter(actor="mallory"), None, 50, collapse_denials=True)).items
    assert [(r.detail or {}).get("missing_right") for r in rows] == [
        "control.jobs.run",
        "control.iam.write",
        "control.jobs.run",
    ]
    assert [r.repeat for r in rows] == [2, 1, 5]
    assert rows[0].first_at is not None and rows[0].first_at <= rows[0].at
    plain = (await audit.query(AuditFilter(actor="mallory"), None, 50)).items
    assert len(plain) == 8 and all(r.repeat == 1 for r in plain)


async def test_a_collapsed_page_continues_after_everything_it_collapsed(
    audit: AuditService,
) -> None:
    first = await audit.query(AuditFilter(actor="mallory"), None, 2, collapse_denials=True)
    assert [r.repeat for r in first.items] == [2, 1] and first.next_cursor is not None
    rest = await audit.query(
        AuditFilter(actor="mallory"), first.next_cursor, 2, collapse_denials=True
    )
    assert [r.repeat for r in rest.items] == [5] and rest.next_cursor is None


async def test_the_total_counts_every_match(audit: AuditService) -> None:
    page = await audit.query(AuditFilter(outcomes=frozenset({"denied"})), None, 3, count=True)
    assert (page.total, page.total_capped, len(page.items)) == (8, False, 3)
    assert (await audit.query(AuditFilter(), None, 3)).total == 0  # not asked: not counted
