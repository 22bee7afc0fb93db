"""A KV watch resumes by revision, and starts over when its bucket is deleted and created again
(its revisions restart at 1: resuming at the old revision would skip every new change)."""

from __future__ import annotations

import asyncio

import nats
import pytest

from cloudlysis_control.adapters.nats.state import BucketSpec, NatsKeyValue, NatsState
from cloudlysis_control.ports import KVEntry
from tests.support.wait import eventually

pytestmark = pytest.mark.integration


async def test_a_watch_follows_its_bucket_through_delete_and_recreate(own_nats: str) -> None:
    state = NatsState(url=own_nats)
    await state.connect()
    bucket = BucketSpec("test_watch_recreate")
    await state.provision([bucket], [])
    kv = NatsKeyValue(state, bucket)
    for i in range(5):
        await kv.put(f"old{i}", b"x")
    seen: list[KVEntry] = []

    async def watch() -> None:
        async for e in kv.watch_all():
            seen.append(e)

    task = asyncio.create_task(watch())
    try:
        await eventually(lambda: _has(seen, "old4"), 10, "the current values")
        nc = await nats.connect(own_nats)
        try:
            await nc.jetstream().delete_key_value(bucket.name)
        finally:
            await nc.close()
        await state.provision([bucket], [])
        await kv.put("new", b"after")  # revision 1 of the new bucket
        entry = await eventually(lambda: _has(seen, "new"), 15, "a change after the recreate")
        assert entry.value == b"after" and entry.revision == 1
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await state.close()
    assert [e.key for e in seen] == [f"old{i}" for i in range(5)] + ["new"]


async def _has(seen: list[KVEntry], key: str) -> KVEntry | None:
    return next((e for e in seen if e.key == key), None)
