"""Shared outbound HTTP plumbing (httpx, aiohttp): identity propagation, errors, metrics."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Collection, Iterator, Mapping
from typing import Any, TypeVar

import aiohttp
import httpx
import msgspec

from cloudlysis_control.core.errors import UpstreamError, UpstreamTimeout, UpstreamUnavailable
from cloudlysis_control.core.identity import outbound_headers
from cloudlysis_control.core.metrics import Metrics

MAX_ERROR_BODY = 300
T = TypeVar("T")


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


def decode_json(resp: httpx.Response, model: type[T], what: str, ok: Collection[int] = (200,)) -> T:
    """The body as `model` when the status is one of `ok`; UpstreamError (truncated) otherwise."""
    if resp.status_code not in ok:
        raise UpstreamError(f"{what}: HTTP {resp.status_code}: {truncate(resp.content, 120)}")
    try:
        return msgspec.json.decode(resp.content, type=model)
    except (msgspec.DecodeError, msgspec.ValidationError) as e:
        raise UpstreamError(f"invalid {what} body: {str(e)[:120]}") from e


class PooledSession:
    """One pooled aiohttp session for an adapter, created on first use inside the running loop
    (aiohttp binds a session to its loop) and again after it was closed: the caller's pool
    (connector limits, keep-alive) with the settings every outbound client shares — a total
    timeout, no cookies, no proxies from the environment, statuses left to the caller."""

    def __init__(
        self, timeout_s: float, connector: Callable[[], aiohttp.TCPConnector], **options: Any
    ) -> None:
        self.timeout_s = timeout_s
        self._connector = connector
        self._options = options
        self._session: aiohttp.ClientSession | None = None

    def get(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=self._connector(),
                timeout=aiohttp.ClientTimeout(total=self.timeout_s),
                cookie_jar=aiohttp.DummyCookieJar(),
                trust_env=False,
                raise_for_status=False,
                **self._options,
            )
        return self._session

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


async def aio_request(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    metrics: Metrics | None,
    upstream: str,
    timeout_detail: str,
    unreachable_detail: str,
    params: Mapping[str, str] | None = None,
    timeout_s: float | None = None,
) -> tuple[int, bytes]:
    """One request on a pooled aiohttp session: the caller's identity headers, no redirects,
    timed and counted under `upstream` like `upstream_call`; a timeout is
    UpstreamTimeout(timeout_detail), a transport error
    UpstreamUnavailable(f"{unreachable_detail}: <error type>"). `timeout_s` overrides the
    session's total timeout for this request."""
    started = time.perf_counter()
    outcome = "ok"
    timeout = aiohttp.ClientTimeout(total=timeout_s) if timeout_s is not None else session.timeout
    try:
        async with session.request(
            method,
            url,
            params=params,
            headers=outbound_headers(),
            allow_redirects=False,
            timeout=timeout,
        ) as resp:
            return resp.status, await resp.read()
    except TimeoutError as e:
        outcome = "timeout"
        raise UpstreamTimeout(timeout_detail) from e
    except aiohttp.ClientError as e:
        outcome = "unavailable"
        raise UpstreamUnavailable(f"{unreachable_detail}: {type(e).__name__}") from e
    except Exception:
        outcome = "error"
        raise
    finally:
        if metrics is not None:
            metrics.upstream_requests.labels(upstream, outcome).inc()
            metrics.upstream_duration.labels(upstream).observe(time.perf_counter() - started)


async def aio_get(
    session: aiohttp.ClientSession,
    url: str,
    *,
    metrics: Metrics | None,
    upstream: str,
    timeout_detail: str,
    unreachable_detail: str,
    params: Mapping[str, str] | None = None,
) -> tuple[int, bytes]:
    """One GET on a pooled aiohttp session (the probe and metrics-store clients): see
    `aio_request`."""
    return await aio_request(
        session,
        "GET",
        url,
        metrics=metrics,
        upstream=upstream,
        timeout_detail=timeout_detail,
        unreachable_detail=unreachable_detail,
        params=params,
    )


def decode_body(
    status: int, body: bytes, model: type[T], what: str, ok: Collection[int] = (200,)
) -> T:
    """`decode_json` for an (aiohttp) status and body."""
    if status not in ok:
        raise UpstreamError(f"{what}: HTTP {status}: {truncate(body, 120)}")
    try:
        return msgspec.json.decode(body, type=model)
    except (msgspec.DecodeError, msgspec.ValidationError) as e:
        raise UpstreamError(f"invalid {what} body: {str(e)[:120]}") from e
