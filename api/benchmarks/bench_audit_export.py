"""Audit export read from the CONTROL_AUDIT stream against the same export from the in-memory
cache and against reading the stream alone, in the same run (issue 19: queries from JetStream).

A real nats-server (the embedded one) holds N audit events appended with nats-py. Each phase
runs in its own process (spawn), so its peak RSS is its own:

* raw: `NatsEventLog.read` over the whole log, nothing decoded (the baseline: what the stream
  delivers to one Python client);
* stream: `AuditService.export` with no cache, encoded as NDJSON (what the API serves);
* cache: the same export with every event in the cache (CONTROL_AUDIT_CACHE_EVENTS ≥ N), the
  cache filled first by following the stream.

Prints events/s and MB/s of NDJSON, peak RSS, and the ratios stream/raw and stream/cache.

    uv run python benchmarks/bench_audit_export.py [--events 200000] [--repeat 2]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cloudlysis_control.adapters.nats.server import EmbeddedNatsServer
from cloudlysis_control.adapters.nats.state import (
    STREAM_AUDIT,
    NatsEventLog,
    NatsState,
)
from cloudlysis_control.audit.export import as_ndjson
from cloudlysis_control.audit.schemas import AuditFilter
from cloudlysis_control.audit.service import AuditService
from cloudlysis_control.core.metrics import Metrics


async def _phase(url: str, phase: str, events: int) -> dict[str, Any]:
    state = NatsState(url=url, op_timeout_s=30)
    await state.connect()
    log = NatsEventLog(state, STREAM_AUDIT, "control.audit.events")
    try:
        n = size = 0
        if phase == "raw":
            started = time.perf_counter()
            async for m in log.read(1, events, batch=4096):
                n += 1
                size += len(m.data) + 1
        else:
            service = AuditService(log, Metrics(), max_indexed=events if phase == "cache" else 0)
            await service.start()
            await service.caught_up.wait()
            started = time.perf_counter()
            async for chunk in as_ndjson(await service.export(AuditFilter())):
                n += chunk.count(b"\n")
                size += len(chunk)
            await service.stop()
        took = time.perf_counter() - started
    finally:
        await state.close()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"phase": phase, "events": n, "mb": size / 1e6, "s": took, "rss_mb": rss_mb}


def _run(url: str, phase: str, events: int, out: Any) -> None:
    out.put(asyncio.run(_phase(url, phase, events)))


def _in_process(url: str, phase: str, events: int) -> dict[str, Any]:
    ctx = multiprocessing.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=_run, args=(url, phase, events, q))
    p.start()
    result: dict[str, Any] = q.get(timeout=1800)
    p.join(60)
    return result


async def _fill(url: str, events: int) -> None:
    import nats
    from tests.support.audit_stream import append_events

    state = NatsState(url=url)
    await state.connect()
    await state.provision([], [STREAM_AUDIT])
    await state.close()
    nc = await nats.connect(url)
    try:
        await append_events(nc.jetstream(), 0, events)
    finally:
        await nc.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = EmbeddedNatsServer(Path(tmp) / "nats")
        await server.start()
        try:
            started = time.perf_counter()
            await _fill(server.url, args.events)
            print(f"appended {args.events:,} events in {time.perf_counter() - started:.1f} s")
            for run in range(args.repeat):
                rows = {
                    phase: await asyncio.to_thread(_in_process, server.url, phase, args.events)
                    for phase in ("raw", "stream", "cache")
                }
                print(f"run {run + 1}:")
                for r in rows.values():
                    assert r["events"] == args.events, r
                    print(
                        f"  {r['phase']:<7} {r['events'] / r['s']:>10,.0f} events/s "
                        f"{r['mb'] / r['s']:>7.1f} MB/s  peak RSS {r['rss_mb']:>6.0f} MB"
                    )
                rate = {k: r["events"] / r["s"] for k, r in rows.items()}
                print(
                    f"  ratio stream/raw {rate['stream'] / rate['raw']:.2f}  "
                    f"stream/cache {rate['stream'] / rate['cache']:.2f}"
                )
        finally:
            await server.stop()


if __name__ == "__main__":
    asyncio.run(main())
