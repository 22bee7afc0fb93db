"""Capture structured log entries whatever level an earlier test configured."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

import structlog
from structlog.testing import capture_logs


@contextlib.contextmanager
def captured_logs() -> Iterator[list[dict[str, Any]]]:
    """structlog's capture_logs with every level let through (an app built by an earlier test
    may have configured CONTROL_LOG_LEVEL=error); the configuration is restored afterwards."""
    saved = structlog.get_config()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG))
    try:
        with capture_logs() as logs:
            yield logs
    finally:
        structlog.configure(**saved)
