"""The OpenAPI document: Litestar renders it from the handlers and types; a few rules Litestar
does not render are added here, each derived from the code that enforces it, so the published
schema is the server's behaviour and nothing else."""

from __future__ import annotations

import dataclasses
from typing import Any, cast

import msgspec
from litestar import Litestar, Router
from litestar.enums import ParamType
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin
from litestar.openapi.spec import (
    Components,
    OpenAPIType,
    Operation,
    Parameter,
    Schema,
    SecurityScheme,
)

from cloudlysis_control.core.openapi import PUBLIC
from cloudlysis_control.core.settings import Settings

API_VERSION = "1.0.0"
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def openapi_config(settings: Settings) -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Cloudlysis Control API",
        version=API_VERSION,
        description="Admin API of the Cloudlysis control plane. Errors are RFC 9457 "
        "problem+json with a stable `code`.",
        path="/schema",
        render_plugins=[ScalarRenderPlugin()],
        openapi_router=Router(
            path="/schema", route_handlers=[], opt=PUBLIC, include_in_schema=False
        ),
        components=Components(
            security_schemes={
                "bearer": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")
            }
        ),
        security=[{"bearer": []}],
        use_handler_docstrings=False,
    )


def _public_operation_ids(app: Litestar) -> set[str]:
    ids = set()
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if handler.opt.get("public") and isinstance(handler.operation_id, str):
                ids.add(handler.operation_id)
    return ids


def _strict_structs() -> dict[str, type[msgspec.Struct]]:
    """Every request type that refuses unknown fields, by its component name."""
    found: dict[str, type[msgspec.Struct]] = {}
    stack: list[type[msgspec.Struct]] = [msgspec.Struct]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if (
            cls.__module__.startswith("cloudlysis_control.")
            and cls.__struct_config__.forbid_unknown_fields
        ):
            found[cls.__name__] = cls
    return found


def _structs() -> dict[str, type[msgspec.Struct]]:
    found: dict[str, type[msgspec.Struct]] = {}
    stack: list[type[msgspec.Struct]] = [msgspec.Struct]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.__module__.startswith("cloudlysis_control."):
            found[cls.__name__] = cls
    return found


def finalize_openapi(app: Litestar) -> None:
    """Make the rendered document exactly what the server enforces:

    * every body and response type is described by msgspec's own JSON schema of it — the
      decoder that validates the request is the definition (Litestar's rendering drops the
      constraints of list items and of optional fields, e.g. an item pattern or `ge=0`);
    * `additionalProperties: false` on every type that refuses unknown fields;
    * `security: []` on the public routes (Litestar drops an empty list, so they would inherit
      the global bearer requirement although the server never asks them for a token);
    * no `null` in a header's schema: an optional header is absent, never the text "null"
      (which the server refuses: it does not match the header's rule). Query parameters keep
      it: the server reads `?x=null` as "not given".
    """
    document = app.openapi_schema
    public = _public_operation_ids(app)
    for item in (document.paths or {}).values():
        for method in _METHODS:
            operation = getattr(item, method, None)
            if not isinstance(operation, Operation):
                continue
            if operation.operation_id in public:
                operation.security = []
            for parameter in operation.parameters or []:
                if (
                    isinstance(parameter, Parameter)
                    and parameter.param_in == ParamType.HEADER
                    and isinstance(parameter.schema, Schema)
                ):
                    _drop_null(parameter.schema)
    if document.components is None or not document.components.schemas:
        return
    ours = _structs()
    named = [ours[name] for name in document.components.schemas if name in ours]
    _, exact = msgspec.json.schema_components(named, ref_template="#/components/schemas/{name}")
    for schema in exact.values():
        _open_free_form_objects(schema)
    for name, schema in exact.items():
        cls = ours.get(name)
        if cls is not None and cls.__struct_config__.forbid_unknown_fields:
            schema["additionalProperties"] = False
        # A plain dict serialises as it is (Litestar normalises nested dicts verbatim).
        document.components.schemas[name] = cast(Any, schema)


def _drop_null(schema: Schema) -> None:
    if isinstance(schema.type, list | tuple) and OpenAPIType.NULL in schema.type:
        rest = [t for t in schema.type if t != OpenAPIType.NULL]
        schema.type = rest[0] if len(rest) == 1 else rest
    if schema.enum is not None and None in schema.enum:
        schema.enum = [v for v in schema.enum if v is not None]
    if schema.one_of:
        rest = [
            s for s in schema.one_of if not (isinstance(s, Schema) and s.type == OpenAPIType.NULL)
        ]
        if len(rest) == 1 and isinstance(rest[0], Schema):
            schema.one_of = None
            for field in dataclasses.fields(Schema):
                value = getattr(rest[0], field.name)
                if value is not None and getattr(schema, field.name) is None:
                    setattr(schema, field.name, value)
        else:
            schema.one_of = rest


def _open_free_form_objects(node: Any) -> None:
    """A free-form object (`dict[str, Any]`: msgspec writes `{"type": "object"}`) says so
    explicitly (`additionalProperties: {}`): generators read a bare object as "no members"."""
    if isinstance(node, dict):
        if (
            node.get("type") == "object"
            and "properties" not in node
            and "additionalProperties" not in node
        ):
            node["additionalProperties"] = {}
        for value in node.values():
            _open_free_form_objects(value)
    elif isinstance(node, list):
        for value in node:
            _open_free_form_objects(value)
