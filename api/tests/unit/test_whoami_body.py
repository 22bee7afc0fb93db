"""The whoami answer encoded once per session: the same bytes as the WhoAmI struct, and a new
document as soon as the session's rights change (issue 19, request path)."""

from __future__ import annotations

import msgspec
import pytest

from cloudlysis_control.auth.principal import Principal
from cloudlysis_control.system import service
from cloudlysis_control.system.schemas import WhoAmI
from cloudlysis_control.system.service import whoami_body, whoami_document


def _principal(rights: frozenset[str], tenant_rights: dict[str, frozenset[str]]) -> Principal:
    return Principal(
        id="alice",
        session_id="s-1",
        rights=rights,
        authorization="Bearer x",
        tenant_rights=tenant_rights,
    )


def test_body_is_the_sorted_document() -> None:
    p = _principal(
        frozenset({"control.jobs.read", "control.access"}),
        {"control.tenants.read": frozenset({"t-b", "t-a"}), "control.audit.read": frozenset()},
    )
    decoded = msgspec.json.decode(whoami_body(p), type=WhoAmI)
    assert decoded == WhoAmI(
        principal_id="alice",
        session_id="s-1",
        rights=["control.access", "control.jobs.read"],
        tenant_rights={"control.audit.read": [], "control.tenants.read": ["t-a", "t-b"]},
    )
    assert list(msgspec.json.decode(whoami_body(p))["tenant_rights"]) == [
        "control.audit.read",
        "control.tenants.read",
    ]
    assert whoami_body(p) == msgspec.json.encode(whoami_document(p))


def test_changed_rights_give_a_new_document() -> None:
    before = _principal(frozenset({"control.access"}), {})
    assert msgspec.json.decode(whoami_body(before))["rights"] == ["control.access"]
    # Equal rights in new objects: the same document.
    same = _principal(frozenset({"control.access"}), {})
    assert whoami_body(same) == whoami_body(before)
    granted = _principal(frozenset({"control.access", "control.iam.read"}), {})
    assert msgspec.json.decode(whoami_body(granted))["rights"] == [
        "control.access",
        "control.iam.read",
    ]
    scoped = _principal(frozenset({"control.access"}), {"control.jobs.read": frozenset({"t-1"})})
    assert msgspec.json.decode(whoami_body(scoped))["tenant_rights"] == {
        "control.jobs.read": ["t-1"]
    }
    assert msgspec.json.decode(whoami_body(before))["tenant_rights"] == {}


def test_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "_WHOAMI", {})
    monkeypatch.setattr(service, "_WHOAMI_MAX", 3)
    for i in range(10):
        p = Principal(
            id=f"p{i}", session_id="s", rights=frozenset({"control.access"}), authorization="x"
        )
        assert msgspec.json.decode(whoami_body(p))["principal_id"] == f"p{i}"
    assert list(service._WHOAMI) == [("p7", "s"), ("p8", "s"), ("p9", "s")]


def test_the_whoami_response_is_built_once_per_document() -> None:
    from cloudlysis_control.system import controllers

    first, other = b'{"principal_id":"a"}', b'{"principal_id":"b"}'
    response = controllers._whoami_response(first)
    assert controllers._whoami_response(first) is response
    assert response.body == first
    assert dict(response.headers)["content-type"] == "application/json"
    assert controllers._whoami_response(other) is not response
    # a document with the same bytes but built anew (rights changed and back) gets its own
    assert controllers._whoami_response(bytes(bytearray(first))).body == first


def test_the_whoami_responses_are_bounded() -> None:
    from cloudlysis_control.system import controllers

    bodies = [b'{"n":%d}' % n for n in range(controllers._WHOAMI_RESPONSES_MAX + 10)]
    for body in bodies:
        controllers._whoami_response(body)
    assert len(controllers._WHOAMI_RESPONSES) <= controllers._WHOAMI_RESPONSES_MAX
