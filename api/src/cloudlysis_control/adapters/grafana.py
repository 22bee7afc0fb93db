"""Grafana annotations (POST /api/annotations) for deployments, sent in the background.

`submit()` never blocks and never raises: payloads go onto a bounded queue; one worker posts
them, retrying with exponential backoff (a Grafana that is down or restarting must not lose the
marker, and must never hold up a deployment). After `retries` failed attempts the payload is
dropped and counted (`control_upstream_requests{upstream="grafana",outcome="dropped"}`).
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import httpx

from cloudlysis_control.adapters.http import truncate, upstream_call
from cloudlysis_control.core.clock import cancel_and_wait
from cloudlysis_control.core.errors import UpstreamError
from cloudlysis_control.core.logging import get_logger
from cloudlysis_control.core.metrics import Metrics

_log = get_logger("control.grafana")


class GrafanaAnnotator:
    def __init__(
        self,
        client: httpx.AsyncClient,
        base_url: str,
        metrics: Metrics | None,
        *,
        token_file: Path | None = None,
        retries: int = 8,
        base_delay_s: float = 0.5,
        max_delay_s: float = 30.0,
        queue_size: int = 1000,
    ) -> None:
        self.client = client
        self.url = base_url.rstrip("/") + "/api/annotations"
        self.metrics = metrics
        self.token_file = token_file
        self.retries = retries
        self.base_delay_s = base_delay_s
        self.max_delay_s = max_delay_s
        self._queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(queue_size)
        self._worker: asyncio.Task[None] | None = None

    def _headers(self) -> dict[str, str]:
        if self.token_file is None:
            return {}
        # Read on each send: a rotated secret is picked up without a restart.
        token = self.token_file.read_text().strip()
        return {"authorization": f"Bearer {token}"}

    def submit(self, payload: dict[str, Any]) -> None:
        try:
            self._queue.put_nowait(payload)
        except asyncio.QueueFull:
            _log.warning("annotation queue full; dropping annotation")
            self._count("dropped")

    def _count(self, outcome: str) -> None:
        if self.metrics is not None:
            self.metrics.upstream_requests.labels("grafana", outcome).inc()

    async def send(self, payload: dict[str, Any]) -> int | None:
        """One attempt. Returns Grafana's annotation id; raises UpstreamError."""
        with upstream_call(self.metrics, "grafana"):
            resp = await self.client.post(self.url, json=payload, headers=self._headers())
        if resp.status_code != 200:
            raise UpstreamError(f"grafana answered {resp.status_code}: {truncate(resp.content)}")
        with contextlib.suppress(ValueError, AttributeError):
            ident = resp.json().get("id")
            return int(ident) if ident is not None else None
        return None

    async def _run(self) -> None:
        while True:
            payload = await self._queue.get()
            delay = self.base_delay_s
            for attempt in range(self.retries + 1):
                try:
                    await self.send(payload)
                    break
                except (UpstreamError, OSError) as e:
                    detail = getattr(e, "detail", type(e).__name__)
                    _log.warning("annotation not sent", attempt=attempt + 1, error=detail)
                    if attempt == self.retries:
                        self._count("dropped")
                        break
                    await asyncio.sleep(delay)
                    delay = min(self.max_delay_s, delay * 2)
            self._queue.task_done()

    async def start(self) -> None:
        self._worker = asyncio.create_task(self._run(), name="grafana-annotations")

    async def drain(self, timeout_s: float = 5.0) -> None:
        """Wait (bounded) until the queue is empty; for shutdown and tests."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout_s):
                await self._queue.join()

    async def stop(self) -> None:
        if self._worker is not None:
            await cancel_and_wait([self._worker])
