"""Bulk reads of a JetStream stream by sequence or time (issue 19: queries served from the
stream). nats-py's fetch() waits for each message with a task and a timer of its own, which is
most of the cost of reading a million messages; here a subscription callback collects the
messages of "no wait" pull requests, so a bulk read costs no task or timer per message."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import nats.errors
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig


class FetchFailed(nats.errors.Error):
    """A pull request ended with a status that is not "no more messages" (the adapter turns it
    into StateUnavailable: a read never silently ends early)."""


# A pull request answered 503 "no responders": the consumer was just created and is not yet
# serving on the cluster. Retried this many times, a little later each time.
_NO_RESPONDERS_RETRIES = 20
_END_STATUSES = ("404", "408")  # no messages (no wait), request expired (waited): the end

# One fetch's messages at most (a window of the audit stream is far smaller).
_PENDING_BYTES = 256 * 1024 * 1024


class StreamReader:
    """An ephemeral pull consumer over a stream: no acks, in memory, one replica, removed by the
    server if this process dies before deleting it."""

    def __init__(self, nc: Client, js: JetStreamContext, stream: str, timeout_s: float) -> None:
        self._nc = nc
        self._js = js
        self._stream = stream
        self._timeout_s = timeout_s
        self._name = nc._nuid.next().decode()
        self._sub: Any = None
        self._got: list[tuple[str, int, bytes]] = []
        self._want = 0
        self._done = asyncio.Event()
        self.status: str | None = None  # the status that ended the last fetch, if any

    @classmethod
    async def open(
        cls,
        nc: Client,
        js: JetStreamContext,
        stream: str,
        filter_subject: str,
        config: ConsumerConfig,
        timeout_s: float,
    ) -> StreamReader:
        reader = cls(nc, js, stream, timeout_s)
        config.name = reader._name
        config.filter_subject = filter_subject
        config.ack_policy = AckPolicy.NONE
        config.mem_storage = True
        config.num_replicas = 1
        config.inactive_threshold = 30.0
        reader._sub = await nc.subscribe(
            nc.new_inbox(), cb=reader._on_msg, pending_bytes_limit=_PENDING_BYTES
        )
        try:
            await js._jsm.add_consumer(stream, config=config)
        except BaseException:
            await reader.close()
            raise
        return reader

    async def _on_msg(self, msg: Any) -> None:
        status = msg.headers.get("Status") if msg.headers else None
        if status is not None:
            if status != "100":  # 404 no messages, 408 request expired: this fetch is over
                self.status = f"{status} {msg.headers.get('Description', '')}".strip()
                self._done.set()
            return
        tokens = msg.reply.split(".")
        # $JS.ACK.<stream>.<consumer>.<delivered>.<seq>.… or, with a domain and account hash,
        # $JS.ACK.<domain>.<hash>.<stream>.<consumer>.<delivered>.<seq>.…
        seq = int(tokens[5] if len(tokens) == 9 else tokens[7])
        self._got.append((msg.subject, seq, msg.data))
        if len(self._got) >= self._want:
            self._done.set()

    async def fetch(self, n: int, wait_s: float | None = None) -> list[tuple[str, int, bytes]]:
        """Up to `n` next messages as (subject, sequence, data). Without `wait_s` ("no wait"):
        what the consumer has at once (a seek). With `wait_s`: the server fills the batch,
        waiting up to `wait_s` for the rest — the bulk read asks only for sequences it knows
        exist, so it waits only when some were removed. A consumer not serving yet (503 no
        responders, just after its creation on a cluster) is asked again; any other early end
        raises FetchFailed, and a server that does not answer in time raises
        asyncio.TimeoutError."""
        for attempt in range(_NO_RESPONDERS_RETRIES + 1):
            got = await self._fetch_once(n, wait_s)
            status = self.status or ""
            if got or not status.startswith("503") or attempt == _NO_RESPONDERS_RETRIES:
                break
            await asyncio.sleep(0.02 * (attempt + 1))
        if len(got) < n and status and not status.startswith(_END_STATUSES):
            raise FetchFailed(f"pull request on {self._stream} ended with {status}")
        return got

    async def _fetch_once(self, n: int, wait_s: float | None) -> list[tuple[str, int, bytes]]:
        self._got, self._want = [], n
        self.status = None
        self._done.clear()
        request = (
            f'{{"batch":{n},"no_wait":true}}'
            if wait_s is None
            else f'{{"batch":{n},"expires":{int(wait_s * 1e9)}}}'
        )
        await self._nc.publish(
            f"{self._js._prefix}.CONSUMER.MSG.NEXT.{self._stream}.{self._name}",
            request.encode(),
            reply=self._sub.subject,
        )
        await asyncio.wait_for(self._done.wait(), self._timeout_s + (wait_s or 0.0))
        return self._got

    async def close(self) -> None:
        if self._sub is not None:
            with contextlib.suppress(Exception):
                await self._sub.unsubscribe()
        with contextlib.suppress(Exception):
            await self._js.delete_consumer(self._stream, self._name)
