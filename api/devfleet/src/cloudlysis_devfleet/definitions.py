"""The simulated Runners' definitions (effects and sagas): large immutable documents in the real
platform (object storage), a small fixed catalogue here. Every Runner holds the same catalogue;
`GET /admin/v1/definitions` lists them with their sha256 and the activation revisions the Runner
runs (read from the registry's `control_config` bucket on reload)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, Protocol

import msgspec
from litestar import Request, Response, get
from litestar.handlers import BaseRouteHandler
from litestar.params import FromPath

from cloudlysis_devfleet.common import Problem, json_response

CATALOGUE: list[dict[str, Any]] = [
    {
        "type": "effect",
        "name": "send-invoice-email",
        "version": 1,
        "description": "Email the invoice when an order is invoiced",
        "on": "OrderInvoiced",
        "steps": [{"call": "mailer.send", "template": "invoice-v1"}],
    },
    {
        "type": "effect",
        "name": "send-invoice-email",
        "version": 2,
        "description": "Email the invoice, with the PDF attached",
        "on": "OrderInvoiced",
        "steps": [
            {"call": "pdf.render", "template": "invoice-v2"},
            {"call": "mailer.send", "template": "invoice-v2", "attach": "pdf"},
        ],
    },
    {
        "type": "effect",
        "name": "sync-crm",
        "version": 1,
        "description": "Mirror customer changes to the CRM",
        "on": "CustomerChanged",
        "steps": [{"call": "crm.upsert"}],
    },
    {
        "type": "saga",
        "name": "order-fulfilment",
        "version": 1,
        "description": "Reserve stock, charge, ship; compensate in reverse",
        "steps": ["reserve-stock", "charge-card", "ship"],
        "compensation": ["release-stock", "refund-card"],
    },
    {
        "type": "saga",
        "name": "order-fulfilment",
        "version": 2,
        "description": "Adds a fraud check before charging",
        "steps": ["reserve-stock", "fraud-check", "charge-card", "ship"],
        "compensation": ["release-stock", "refund-card"],
    },
    {
        "type": "saga",
        "name": "refund",
        "version": 1,
        "description": "Refund a charge and restock the items",
        "steps": ["refund-card", "restock"],
        "compensation": [],
    },
]


def _sha(doc: dict[str, Any]) -> str:
    return hashlib.sha256(msgspec.json.encode(doc, order="sorted")).hexdigest()


def listing() -> list[dict[str, Any]]:
    return [
        {
            "type": d["type"],
            "name": d["name"],
            "version": d["version"],
            "sha256": _sha(d),
            "description": d["description"],
        }
        for d in CATALOGUE
    ]


def find(type_: str, name: str, version: int) -> dict[str, Any] | None:
    return next(
        (d for d in CATALOGUE if (d["type"], d["name"], d["version"]) == (type_, name, version)),
        None,
    )


def report(revisions: dict[str, str | None]) -> dict[str, Any]:
    """`GET /admin/v1/definitions`: the catalogue and the activation revisions run."""
    activation = {
        k.removeprefix("activation:"): v
        for k, v in revisions.items()
        if k.startswith("activation:")
    }
    return {"definitions": listing(), "activation": activation}


class _Runner(Protocol):
    def definitions(self) -> dict[str, Any]: ...


def handlers(instance: Callable[[Request[Any, Any, Any]], _Runner]) -> list[BaseRouteHandler]:
    @get("/admin/v1/definitions", operation_id="ListDefinitions", sync_to_thread=False)
    def list_definitions(request: Request[Any, Any, Any]) -> Response[bytes]:
        return json_response(instance(request).definitions())

    @get(
        "/admin/v1/definitions/{type_:str}/{name:str}/{version:int}",
        operation_id="GetDefinition",
        sync_to_thread=False,
    )
    def get_definition(
        request: Request[Any, Any, Any],
        type_: FromPath[str],
        name: FromPath[str],
        version: FromPath[int],
    ) -> Response[bytes]:
        instance(request).definitions()  # 404 unless a Runner
        doc = find(type_, name, version)
        if doc is None:
            raise Problem(404, "not_found", "Not found", f"no {type_} {name} v{version}")
        return json_response(doc)

    return [list_definitions, get_definition]
