"""A KV watcher / stream follower stops when cancelled, whenever the cancel lands.

nats-py turns a cancellation inside a request (creating the watcher) into its own TimeoutError,
and Python 3.11's wait_for can report a cancel racing its timeout as a timeout; the retry loops in
NatsKeyValue.watch_all and NatsEventLog.follow used to swallow both and never stop (app shutdown
hung). Cancels are landed at many different moments, including right after the task starts.
"""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from cloudlysis_control.adapters.nats.state import (
    BucketSpec,
    NatsEventLog,
    NatsKeyValue,
    NatsState,
    StreamSpec,
)

pytestmark = pytest.mark.integration


async def test_watch_and_follow_stop_on_cancel(nats_url: str) -> None:
    state = NatsState(url=nats_url)
    await state.connect()
    bucket = BucketSpec("test_watch_cancel")
    stream = StreamSpec("TEST_FOLLOW_CANCEL", ["test.follow.cancel"])
    await state.provision([bucket], [stream])
    kv = NatsKeyValue(state, bucket)
    log = NatsEventLog(state, stream, "test.follow.cancel")
    await kv.put("k", b"v")

    async def watch() -> None:
        async for _ in kv.watch_all():
            pass

    async def follow() -> None:
        async for _ in log.follow(1):
            pass

    try:
        for i in range(40):
            task = asyncio.create_task(watch() if i % 2 == 0 else follow())
            # 0, 1, 2 ... ms and around the watcher's 0.5 s poll timeout.
            delay = [0.0, 0.001, 0.003, 0.01, 0.05, 0.499, 0.5, 0.501][i % 8]
            await asyncio.sleep(delay)
            task.cancel()
            done, _ = await asyncio.wait([task], timeout=3)
            assert done, f"task {i} (delay {delay}) ignored its cancel"
            with contextlib.suppress(asyncio.CancelledError):
                await task
    finally:
        await state.close()
