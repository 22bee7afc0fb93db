"""Render the OpenAPI document deterministically (the committed api/openapi.json)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from cloudlysis_control.bootstrap.app import create_app
from cloudlysis_control.core.settings import Settings


def render_schema() -> str:
    with tempfile.TemporaryDirectory() as tmp:
        secret = Path(tmp) / "secret"
        secret.write_bytes(b"x" * 32)
        settings = Settings.from_env(
            {"CONTROL_TOKEN_HS256_SECRET_FILE": str(secret), "CONTROL_LOG_LEVEL": "error"}
        )
        app = create_app(settings)
        schema = app.openapi_schema.to_schema()
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"
