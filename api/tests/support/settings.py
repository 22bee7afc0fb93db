from __future__ import annotations

import uuid
from pathlib import Path

from cloudlysis_control.core.settings import Settings


def app_settings(nats_url: str, secret_file: Path, tmp_path: Path, **env: str) -> Settings:
    base = {
        "CONTROL_NATS_URL": nats_url,
        "CONTROL_TOKEN_HS256_SECRET_FILE": str(secret_file),
        "CONTROL_DATA_DIR": str(tmp_path),
        "CONTROL_LOG_LEVEL": "warning",
        "CONTROL_INSTANCE_ID": f"test-{uuid.uuid4().hex[:8]}",
        "CONTROL_JOB_LEASE_S": "3",
    }
    base.update(env)
    return Settings.from_env(base)
