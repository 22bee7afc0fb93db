"""The committed api/openapi.json is what the code produces, and it follows our conventions."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from cloudlysis_control.bootstrap.openapi_export import render_schema

COMMITTED = Path(__file__).resolve().parents[2] / "openapi.json"
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
OPERATION_ID = re.compile(r"^[A-Z][A-Za-z0-9]+$")
PUBLIC_OPERATIONS = {"GetHealth", "GetReadiness", "GetMetrics", "GetUiConfig", "DevLogin"}
PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def rendered() -> str:
    return render_schema()


@pytest.fixture(scope="module")
def schema(rendered: str) -> dict[str, Any]:
    return json.loads(rendered)  # type: ignore[no-any-return]


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, item in schema["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


def test_committed_schema_is_current(rendered: str) -> None:
    committed = COMMITTED.read_text(encoding="utf-8")
    assert committed == rendered, (
        "api/openapi.json differs from what the code renders: run `just gen` and commit"
    )


def test_is_openapi_3_1(schema: dict[str, Any]) -> None:
    assert re.fullmatch(r"3\.1\.\d+", schema["openapi"]), schema["openapi"]


def test_there_are_operations(schema: dict[str, Any]) -> None:
    ops = operations(schema)
    assert len(ops) >= 10, ops
    ids = {op.get("operationId") for _m, _p, op in ops}
    assert ids >= PUBLIC_OPERATIONS, PUBLIC_OPERATIONS - ids


def test_operation_ids_are_unique_pascal_case(schema: dict[str, Any]) -> None:
    ops = operations(schema)
    bad = [
        f"{m} {p}: {op.get('operationId')!r}"
        for m, p, op in ops
        if not isinstance(op.get("operationId"), str) or not OPERATION_ID.match(op["operationId"])
    ]
    assert bad == []
    counts = Counter(op["operationId"] for _m, _p, op in ops)
    assert [i for i, n in counts.items() if n > 1] == []


def test_authenticated_operations_document_401_and_403_as_problems(
    schema: dict[str, Any],
) -> None:
    missing = []
    for method, path, op in operations(schema):
        if op["operationId"] in PUBLIC_OPERATIONS:
            continue
        for status in ("401", "403"):
            content = op.get("responses", {}).get(status, {}).get("content", {})
            if PROBLEM not in content:
                missing.append(f"{method} {path} ({op['operationId']}): {status}")
    assert missing == []
