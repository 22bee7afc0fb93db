"""Docker Engine (Swarm manager) over aiodocker.

Errors are translated once: a connection that cannot be made → SwarmUnavailable (503
`swarm_unavailable`), 404 → NotFound, "update out of sequence" → Conflict. Every call is timed
and counted as upstream `docker`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import quote

import aiodocker
import aiohttp

from cloudlysis_control.adapters.http import truncate
from cloudlysis_control.core.errors import (
    Conflict,
    NotFound,
    SwarmUnavailable,
    UpstreamError,
    UpstreamTimeout,
)
from cloudlysis_control.core.logging import get_logger
from cloudlysis_control.core.metrics import Metrics
from cloudlysis_control.swarm.ports import Raw, StreamState

_log = get_logger("control.docker")


@contextlib.contextmanager
def _docker_call(metrics: Metrics | None, what: str) -> Iterator[None]:
    started = time.perf_counter()
    outcome = "ok"
    try:
        yield
    except aiodocker.DockerError as e:
        outcome = "error"
        message = truncate(str(e.message), 200)
        if e.status == 404:
            raise NotFound(f"{what}: {message}") from e
        # aiodocker reports a failed connection as status 900 ("Cannot connect to Docker Engine")
        unreachable = e.status == 900 or message.startswith("Cannot connect")
        if unreachable or e.status == 503 or "not a swarm manager" in message:
            outcome = "unavailable"
            raise SwarmUnavailable(f"{what}: {message}") from e
        if e.status == 409 or "out of sequence" in message:
            raise Conflict(f"{what}: {message}") from e
        raise UpstreamError(f"{what}: docker answered {e.status}: {message}") from e
    except (TimeoutError, aiohttp.ServerTimeoutError) as e:
        outcome = "timeout"
        raise UpstreamTimeout(f"{what}: the Docker engine did not answer in time") from e
    except (aiohttp.ClientError, OSError) as e:
        outcome = "unavailable"
        raise SwarmUnavailable(
            f"{what}: the Docker engine is unreachable ({type(e).__name__})"
        ) from e
    finally:
        if metrics is not None:
            metrics.upstream_requests.labels("docker", outcome).inc()
            metrics.upstream_duration.labels("docker").observe(time.perf_counter() - started)


class DockerEngine:
    source = "engine"

    def __init__(self, url: str, metrics: Metrics | None, timeout_s: float = 10.0) -> None:
        self.url = url
        self.metrics = metrics
        self.timeout_s = timeout_s
        self._docker: aiodocker.Docker | None = None
        self.reconnect_delay_s = 0.5
        self.max_reconnect_delay_s = 10.0

    def _client(self) -> aiodocker.Docker:
        # Created lazily: no engine at start-up must not stop the API.
        if self._docker is None:
            self._docker = aiodocker.Docker(url=self.url)
        return self._docker

    async def _get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        with _docker_call(self.metrics, f"GET {path}"):
            return await self._client()._query_json(
                path, "GET", params=params, timeout=aiohttp.ClientTimeout(total=self.timeout_s)
            )

    async def ping(self) -> None:
        info = await self._get("info")
        state = ((info or {}).get("Swarm") or {}).get("LocalNodeState")
        if state != "active" or not ((info or {}).get("Swarm") or {}).get("ControlAvailable"):
            raise SwarmUnavailable(f"this engine is not a swarm manager (state {state})")

    async def services(self) -> list[Raw]:
        return list(await self._get("services", {"status": "true"}) or [])

    async def service(self, name_or_id: str) -> Raw:
        result: Raw = await self._get(f"services/{name_or_id}")
        return result

    async def tasks(self, service: str | None = None) -> list[Raw]:
        params = {"filters": json.dumps({"service": [service]})} if service else None
        return list(await self._get("tasks", params) or [])

    async def nodes(self) -> list[Raw]:
        return list(await self._get("nodes") or [])

    async def image_exists(self, reference: str) -> bool | None:
        """Present on this engine (a Swarm without a registry runs images built or loaded on
        its nodes), else the registry's answer (distribution inspect); None when neither can
        tell (no registry reachable, or it refused the question)."""
        name = quote(reference, safe=":/@")
        try:
            await self._get(f"images/{name}/json")
            return True
        except NotFound:
            pass
        try:
            await self._get(f"distribution/{name}/json")
            return True
        except NotFound:
            return False
        except (UpstreamError, UpstreamTimeout):
            return None

    async def _post_update(self, service_id: str, version: int, spec: Raw, rollback: bool) -> None:
        params: dict[str, Any] = {"version": str(version)}
        if rollback:
            params["rollback"] = "previous"
        with _docker_call(self.metrics, f"POST services/{service_id}/update"):
            await self._client()._query_json(
                f"services/{service_id}/update",
                "POST",
                params=params,
                data=json.dumps(spec),
                timeout=aiohttp.ClientTimeout(total=self.timeout_s),
            )

    async def update(self, service_id: str, version: int, spec: Raw) -> None:
        await self._post_update(service_id, version, spec, rollback=False)

    async def rollback(self, service_id: str, version: int) -> None:
        current = await self.service(service_id)
        await self._post_update(service_id, version, current.get("Spec") or {}, rollback=True)

    async def create(self, spec: Raw) -> str:
        with _docker_call(self.metrics, "POST services/create"):
            answer = await self._client()._query_json(
                "services/create",
                "POST",
                data=json.dumps(spec),
                timeout=aiohttp.ClientTimeout(total=self.timeout_s),
            )
        return str((answer or {}).get("ID") or "")

    async def remove(self, service_id: str) -> None:
        with _docker_call(self.metrics, f"DELETE services/{service_id}"):
            async with self._client()._query(
                f"services/{service_id}",
                "DELETE",
                timeout=aiohttp.ClientTimeout(total=self.timeout_s),
            ):
                pass

    async def events(
        self,
        since: float | None,
        types: tuple[str, ...] = ("service",),
        on_stream: StreamState | None = None,
    ) -> AsyncIterator[Raw]:
        """Follow `GET /events` (of these types). After a lost connection, reconnect with
        `since` set to the last event's time (seconds, nanosecond precision) and drop what was
        already delivered, so no update is lost and none is delivered twice."""
        last_nano = int(since * 1e9) if since is not None else None
        seen_at_last: set[str] = set()
        delay = self.reconnect_delay_s
        while True:
            params: dict[str, Any] = {"filters": json.dumps({"type": list(types)})}
            if last_nano is not None:
                params["since"] = f"{last_nano // 1_000_000_000}.{last_nano % 1_000_000_000:09d}"
            try:
                async with self._client()._query(
                    "events", "GET", params=params, timeout=aiohttp.ClientTimeout(total=None)
                ) as response:
                    delay = self.reconnect_delay_s  # connected: the next outage starts afresh
                    if on_stream is not None:
                        on_stream(True)
                    async for line in response.content:
                        if not line.strip():
                            continue
                        try:
                            event = json.loads(line)
                        except ValueError:
                            continue
                        nano = int(event.get("timeNano") or 0)
                        key = f"{nano}:{event.get('Action')}:{json.dumps(event.get('Actor'))}"
                        if last_nano is not None and nano < last_nano:
                            continue
                        if nano == last_nano and key in seen_at_last:
                            continue
                        if nano != last_nano:
                            last_nano, seen_at_last = nano, set()
                        seen_at_last.add(key)
                        yield event
            except asyncio.CancelledError:
                raise
            except (aiodocker.DockerError, aiohttp.ClientError, OSError, TimeoutError) as e:
                _log.warning("docker events interrupted; reconnecting", error=type(e).__name__)
            if on_stream is not None:
                on_stream(False)
            if self.metrics is not None:
                self.metrics.upstream_requests.labels("docker", "reconnect").inc()
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.max_reconnect_delay_s)

    async def close(self) -> None:
        if self._docker is not None:
            with contextlib.suppress(Exception):
                await self._docker.close()
            self._docker = None
