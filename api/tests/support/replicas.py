"""Several API replicas as real processes (`python -m cloudlysis_control serve`) on one real
nats-server, with the devfleet's Gateway issuing the token and the rights and making up the
fleet (issue 19: every replica answers the same)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, ExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from subprocess import Popen

import httpx
from cloudlysis_devfleet import GatewayConfig, create_gateway_app, serve

from cloudlysis_control.adapters.nats.state import BUCKET_CONFIG, BUCKET_LOCKS, NatsState
from cloudlysis_control.bootstrap.placement import BUCKET_PLACEMENT
from tests.support.api_process import api_process, wait_ready
from tests.support.net import free_port


@dataclass
class Replicas:
    urls: list[str]
    procs: list[Popen[bytes]]
    logs: list[Path]
    headers: dict[str, str]  # an admin's bearer token


def peak_rss_kb(pid: int) -> int:
    """The peak resident set (VmHWM), in kB, of the process and its descendants summed: the API
    serves from worker processes (granian, or CONTROL_WORKERS > 1), whose memory is the API's."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int(
                    (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]
                )
            except OSError:
                continue
    tree, todo = [], [pid]
    while todo:
        p = todo.pop()
        tree.append(p)
        todo.extend(child for child, parent in parents.items() if parent == p)
    total = 0
    for p in tree:
        try:
            status = Path(f"/proc/{p}/status").read_text()
        except OSError:
            continue  # gone meanwhile
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                total += int(line.split()[1])
    assert total, f"no VmHWM for {pid}"
    return total


@asynccontextmanager
async def api_replicas(
    tmp_path: Path, nats_url: str, count: int = 2, **env: str
) -> AsyncIterator[Replicas]:
    state = NatsState(url=nats_url)
    await state.connect()
    await state.provision([BUCKET_PLACEMENT, BUCKET_LOCKS, BUCKET_CONFIG], [])
    await state.close()
    async with AsyncExitStack() as stack:
        gateway = create_gateway_app(
            GatewayConfig(data_dir=tmp_path / "gateway", nats_url=nats_url)
        )
        gateway_url = await stack.enter_async_context(serve(gateway))
        async with httpx.AsyncClient() as c:
            r = await c.post(f"{gateway_url}/auth/v1/dev-login", json={"principal": "admin"})
            r.raise_for_status()
            token = r.json()["access_token"]
        fleet_file = tmp_path / "fleet.json"
        fleet_file.write_text(
            json.dumps([{"name": "gateway", "kind": "gateway", "url": gateway_url}])
        )
        with ExitStack() as procs:
            urls, started, logs = [], [], []
            for i in range(count):
                port = free_port()
                log = tmp_path / f"api-{i}.log"
                proc = procs.enter_context(
                    api_process(
                        {
                            "CONTROL_NATS_URL": nats_url,
                            "CONTROL_PORT": str(port),
                            "CONTROL_HOST": "127.0.0.1",
                            "CONTROL_DATA_DIR": str(tmp_path / f"data-{i}"),
                            "CONTROL_JWKS_URL": f"{gateway_url}/.well-known/jwks.json",
                            "CONTROL_GATEWAY_URL": gateway_url,
                            "CONTROL_FLEET_FILE": str(fleet_file),
                            "CONTROL_LOG_LEVEL": "warning",
                            **env,
                        },
                        f"api-replica-{i}",
                        log,
                    )
                )
                urls.append(f"http://127.0.0.1:{port}")
                started.append(proc)
                logs.append(log)
            for url, proc, log in zip(urls, started, logs, strict=True):
                await wait_ready(url, proc, log)
            yield Replicas(urls, started, logs, {"authorization": f"Bearer {token}"})
