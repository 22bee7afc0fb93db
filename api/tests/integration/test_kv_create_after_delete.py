"""NatsKeyValue's create of a key it deleted itself (issue 19, job path): one conditional write
on the delete marker's revision instead of nats-py's fail → read back → write — and exactly
the same answers as before on a real nats-server: a live key is KeyExists, a key written by
someone else since the delete is decided by the general path, a delete on a revision that moved
on is RevisionMismatch (it was a bare APIError → StateUnavailable before)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from cloudlysis_control.adapters.nats.state import BucketSpec, NatsKeyValue, NatsState
from cloudlysis_control.ports import KeyExists, RevisionMismatch

pytestmark = pytest.mark.integration


@pytest.fixture
async def pair(nats_url: str) -> AsyncIterator[tuple[NatsKeyValue, NatsKeyValue, NatsState]]:
    """Two adapters on one bucket, as two replicas hold them — a bucket of this test's own: the
    server is shared with the whole session, and records that are no locks must not land in
    `control_locks`, which the API lists."""
    bucket = BucketSpec(f"test_recreate_{uuid.uuid4().hex[:10]}")
    a, b = NatsState(url=nats_url), NatsState(url=nats_url)
    await a.connect()
    await b.connect()
    await a.provision([bucket], [])
    try:
        yield NatsKeyValue(a, bucket), NatsKeyValue(b, bucket), a
    finally:
        await a.close()
        await b.close()


async def current(kv: NatsKeyValue, k: str) -> tuple[bytes | None, int] | None:
    """The key's value and revision as a read sees them (None: no value)."""
    entry = await kv.get(k)
    return None if entry is None else (entry.value, entry.revision)


def key() -> str:
    return f"config.svc-{uuid.uuid4().hex[:10]}"


class RequestCounter:
    """Counts the NATS requests (publishes awaiting an answer, API calls) one client makes."""

    def __init__(self, state: NatsState) -> None:
        self.count = 0
        nc: Any = state.nc
        original = nc.request

        async def counted(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return await original(*args, **kwargs)

        nc.request = counted


async def test_creating_again_a_key_it_deleted_is_one_round_trip(
    pair: tuple[NatsKeyValue, NatsKeyValue, NatsState],
) -> None:
    kv, _, state = pair
    k = key()
    first = await kv.create(k, b"job-1")
    await kv.delete(k, first)
    counter = RequestCounter(state)
    second = await kv.create(k, b"job-2")
    assert counter.count == 1  # nats-py's create alone: 3 (fails, reads back, writes)
    assert second > first
    assert await current(kv, k) == (b"job-2", second)
    # And the general path still answers for a key deleted by someone else.
    with pytest.raises(KeyExists):
        await kv.create(k, b"job-3")


async def test_a_key_another_replica_took_after_our_delete_is_key_exists(
    pair: tuple[NatsKeyValue, NatsKeyValue, NatsState],
) -> None:
    a, b, _ = pair
    k = key()
    await a.delete(k, await a.create(k, b"a-1"))
    await b.create(k, b"b-1")  # b takes it after a released it
    with pytest.raises(KeyExists):
        await a.create(k, b"a-2")  # a's remembered marker is no longer the last revision
    assert (await current(a, k) or (None, 0))[0] == b"b-1"


async def test_a_key_taken_and_released_by_another_replica_is_created_once_more(
    pair: tuple[NatsKeyValue, NatsKeyValue, NatsState],
) -> None:
    a, b, _ = pair
    k = key()
    await a.delete(k, await a.create(k, b"a-1"))
    await b.delete(k, await b.create(k, b"b-1"))
    revision = await a.create(k, b"a-2")  # through the general path: deleted, so created
    assert await current(a, k) == (b"a-2", revision)


async def test_a_delete_on_a_revision_that_moved_on_is_a_revision_mismatch(
    pair: tuple[NatsKeyValue, NatsKeyValue, NatsState],
) -> None:
    a, b, _ = pair
    k = key()
    first = await a.create(k, b"a-1")
    await b.update(k, b"b-took-over", first)
    with pytest.raises(RevisionMismatch):
        await a.delete(k, first)
    assert (await current(b, k) or (None, 0))[0] == b"b-took-over"  # nothing deleted


async def test_a_delete_is_seen_by_a_watch_as_a_delete(
    pair: tuple[NatsKeyValue, NatsKeyValue, NatsState],
) -> None:
    a, b, _ = pair
    k = key()
    await a.delete(k, await a.create(k, b"a-1"))
    assert await current(a, k) is None
    seen = []
    async for entry in b.watch_all():
        if entry.key == k:
            seen.append(entry.value)
        if entry.key == k and entry.value is None:
            break
    assert seen[-1] is None
