"""Hosting simulated platform instances (``platform``) in one process.

``PlatformHost`` binds one socket per instance and serves them all from one Litestar app and one
uvicorn server, picking the instance by the local port. ``fleet_configs`` names a fleet of them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, cast

import uvicorn
from litestar.types import Scope

from cloudlysis_devfleet.common import Problem
from cloudlysis_devfleet.config_reader import ConfigReader
from cloudlysis_devfleet.platform import (
    PLATFORM_KINDS,
    PlatformConfig,
    PlatformInstance,
    PlatformKind,
    create_platform_app,
)
from cloudlysis_devfleet.serving import bind_listening_socket


@dataclass
class HostedInstance:
    config: PlatformConfig
    instance: PlatformInstance
    url: str
    port: int

    def fleet_entry(self) -> dict[str, str]:
        return {
            "name": self.config.instance,
            "kind": self.config.kind,
            "url": self.url,
            "service": self.config.kind,
            "shard": self.config.shard,
        }


class PlatformHost:
    """Many simulated instances in one process: one socket each, one app, one uvicorn server."""

    def __init__(
        self,
        configs: Sequence[PlatformConfig],
        host: str = "127.0.0.1",
        ports: Sequence[int] | None = None,
        nats_url: str | None = None,
    ) -> None:
        if ports is not None and len(ports) != len(configs):
            raise ValueError("ports must match configs")
        self.host = host
        self.reader = ConfigReader(nats_url) if nats_url else None
        self.configs = list(configs)
        self.ports = list(ports) if ports is not None else [0] * len(configs)
        self.instances: list[HostedInstance] = []
        self._by_port: dict[int, PlatformInstance] = {}
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    def _resolve(self, scope: Scope) -> PlatformInstance:
        server = cast(dict[str, Any], scope).get("server")
        port = server[1] if server else None
        found = self._by_port.get(port) if port is not None else None
        if found is None:
            raise Problem(
                404, "unknown_instance", "Unknown instance", f"no instance on port {port}"
            )
        return found

    async def start(self) -> list[HostedInstance]:
        if self.reader is not None:
            await self.reader.start()
        sockets = []
        try:
            for config, port in zip(self.configs, self.ports, strict=True):
                sock = bind_listening_socket(self.host, port)
                sockets.append(sock)
                bound = sock.getsockname()[1]
                inst = PlatformInstance(config, reader=self.reader)
                self._by_port[bound] = inst
                url_host = f"[{self.host}]" if ":" in self.host else self.host
                self.instances.append(
                    HostedInstance(config, inst, f"http://{url_host}:{bound}", bound)
                )
        except BaseException:
            for sock in sockets:
                sock.close()
            raise
        server_config = uvicorn.Config(
            create_platform_app(self._resolve),
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
            backlog=4096,
        )
        self._server = uvicorn.Server(server_config)
        self._task = asyncio.create_task(self._server.serve(sockets=sockets))
        while not self._server.started:
            if self._task.done():
                await self._task
                raise RuntimeError("platform host stopped during startup")
            await asyncio.sleep(0.01)
        return self.instances

    async def wait(self) -> None:
        if self._task is not None:
            await self._task

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task
        if self.reader is not None:
            await self.reader.stop()


@asynccontextmanager
async def serve_platform(
    configs: Sequence[PlatformConfig], host: str = "127.0.0.1", nats_url: str | None = None
) -> AsyncIterator[list[HostedInstance]]:
    """Run simulated instances inside the current event loop (tests, benchmarks)."""
    platform = PlatformHost(configs, host, nats_url=nats_url)
    instances = await platform.start()
    try:
        yield instances
    finally:
        await platform.stop()


def fleet_configs(
    counts: dict[PlatformKind, int],
    *,
    tenants: Sequence[str] = (),
    version: str = PlatformConfig.version,
    git_sha: str = PlatformConfig.git_sha,
    releases: Mapping[str, tuple[str, str]] | None = None,
    baseline_error_ratio: float = 0.0,
) -> list[PlatformConfig]:
    """`aggregate-1`, `aggregate-2`, ...: one shard per instance, named like the instance;
    `releases` gives a kind its own (version, git_sha)."""
    configs = []
    for kind in PLATFORM_KINDS:
        kind_version, kind_sha = (releases or {}).get(kind, (version, git_sha))
        for i in range(1, counts.get(kind, 0) + 1):
            name = f"{kind}-{i}"
            configs.append(
                PlatformConfig(
                    kind=kind,
                    shard=name,
                    instance=name,
                    version=kind_version,
                    git_sha=kind_sha,
                    tenants=tenants,
                    baseline_error_ratio=baseline_error_ratio,
                )
            )
    return configs
