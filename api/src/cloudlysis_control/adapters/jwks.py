"""Fetches the Gateway's JWKS over HTTP. The only module that talks HTTP for token keys.

httpx errors never leave this module: they become UpstreamTimeout / UpstreamUnavailable, chained
with `from`. Response bodies are untrusted and are truncated before they reach any message.
"""

from __future__ import annotations

import json
import time
from typing import Any, Final

import httpx

from cloudlysis_control.core.errors import UpstreamTimeout, UpstreamUnavailable
from cloudlysis_control.core.metrics import Metrics

_UPSTREAM: Final = "jwks"
_MAX_QUOTED_CHARS: Final = 200
DEFAULT_MAX_BODY_BYTES: Final = 256 * 1024


def _truncate(text: str, limit: int = _MAX_QUOTED_CHARS) -> str:
    printable = "".join(ch if ch.isprintable() else "?" for ch in text[: limit + 1])
    if len(printable) > limit:
        return printable[:limit] + "...(truncated)"
    return printable


class HttpJwksFetcher:
    """Implements `auth.keys.JwksFetcher` with a shared httpx.AsyncClient (owned by the app)."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        timeout_s: float = 5.0,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        metrics: Metrics | None = None,
    ) -> None:
        self._metrics = metrics
        self._client = client
        self._timeout = httpx.Timeout(timeout_s)
        self._max_body_bytes = max_body_bytes

    async def fetch_jwks(self, url: str) -> dict[str, Any]:
        started = time.perf_counter()
        outcome = "error"
        try:
            document = await self._fetch(url)
            outcome = "ok"
            return document
        except UpstreamTimeout:
            outcome = "timeout"
            raise
        finally:
            if self._metrics is not None:
                self._metrics.upstream_requests.labels(_UPSTREAM, outcome).inc()
                self._metrics.upstream_duration.labels(_UPSTREAM).observe(
                    time.perf_counter() - started
                )

    async def _fetch(self, url: str) -> dict[str, Any]:
        try:
            async with self._client.stream(
                "GET",
                url,
                headers={"Accept": "application/jwk-set+json, application/json"},
                timeout=self._timeout,
                follow_redirects=False,
            ) as response:
                status = response.status_code
                body, complete = await self._read_capped(response)
        except httpx.TimeoutException as e:
            raise UpstreamTimeout(f"JWKS fetch from {url} timed out", upstream=_UPSTREAM) from e
        except httpx.HTTPError as e:
            raise UpstreamUnavailable(
                f"JWKS fetch from {url} failed: {type(e).__name__}: {_truncate(str(e))}",
                upstream=_UPSTREAM,
            ) from e

        if status != 200:
            quoted = _truncate(body.decode("utf-8", errors="replace"))
            raise UpstreamUnavailable(
                f"JWKS endpoint {url} answered HTTP {status}: {quoted}",
                upstream=_UPSTREAM,
                upstream_status=status,
            )
        if not complete:
            raise UpstreamUnavailable(
                f"JWKS from {url} exceeds {self._max_body_bytes} bytes", upstream=_UPSTREAM
            )
        try:
            document = json.loads(body)
        except (ValueError, RecursionError) as e:
            raise UpstreamUnavailable(
                f"JWKS from {url} is not valid JSON: {_truncate(body.decode('utf-8', 'replace'))}",
                upstream=_UPSTREAM,
            ) from e
        if not isinstance(document, dict):
            raise UpstreamUnavailable(f"JWKS from {url} is not a JSON object", upstream=_UPSTREAM)
        return document

    async def _read_capped(self, response: httpx.Response) -> tuple[bytes, bool]:
        """The body, up to the cap, and whether it was read completely."""
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if size > self._max_body_bytes:
                return b"".join(chunks)[: self._max_body_bytes], False
        return b"".join(chunks), True
