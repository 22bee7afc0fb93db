"""Shared outbound HTTP plumbing (httpx): identity propagation, error translation, metrics."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

import httpx

from cloudlysis_control.core.errors import UpstreamTimeout, UpstreamUnavailable
from cloudlysis_control.core.identity import outbound_headers
from cloudlysis_control.core.metrics import Metrics

MAX_ERROR_BODY = 300


async def _propagate(request: httpx.Request) -> None:
    for name, value in outbound_headers().items():
        request.headers[name] = value


def make_async_client(timeout_s: float, max_connections: int = 100) -> httpx.AsyncClient:
    """An AsyncClient whose every request carries x-request-id, x-correlation-id, traceparent."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout_s),
        limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=20),
        event_hooks={"request": [_propagate]},
        follow_redirects=False,
        trust_env=False,
    )


def truncate(body: bytes | str, limit: int = MAX_ERROR_BODY) -> str:
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    return text if len(text) <= limit else text[:limit] + "…"


@contextlib.contextmanager
def upstream_call(metrics: Metrics | None, upstream: str) -> Iterator[None]:
    """Time the call, count its outcome and translate httpx errors into ours."""
    started = time.perf_counter()
    outcome = "ok"
    try:
        yield
    except httpx.TimeoutException as e:
        outcome = "timeout"
        raise UpstreamTimeout(f"{upstream} did not answer in time") from e
    except httpx.TransportError as e:
        outcome = "unavailable"
        raise UpstreamUnavailable(f"{upstream} is unreachable: {type(e).__name__}") from e
    except Exception:
        outcome = "error"
        raise
    finally:
        if metrics is not None:
            metrics.upstream_requests.labels(upstream, outcome).inc()
            metrics.upstream_duration.labels(upstream).observe(time.perf_counter() - started)
