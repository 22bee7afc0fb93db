"""Bulk reads of a JetStream stream by sequence or time (issue 19: queries served from the
stream). nats-py's fetch() waits for each message with a task and a timer of its own, which is
most of the cost of reading a million messages; here a subscription callback collects the
messages of "no wait" pull requests, so a bulk read costs no task or timer per message."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig

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
                self._done.set()
            return
        tokens = msg.reply.split(".")
        # $JS.ACK.<stream>.<consumer>.<delivered>.<seq>.… or, with a domain and account hash,
        # $JS.ACK.<domain>.<hash>.<stream>.<consumer>.<delivered>.<seq>.…
        seq = int(tokens[5] if len(tokens) == 9 else tokens[7])
        self._got.append((msg.subject, seq, msg.data))
        if len(self._got) >= self._want:
            self._done.set()

    async def fetch(self, n: int) -> list[tuple[str, int, bytes]]:
        """Up to `n` next messages as (subject, sequence, data); fewer when the stream has no
        more. Raises asyncio.TimeoutError when the server does not answer in time."""
        self._got, self._want = [], n
        self._done.clear()
        await self._nc.publish(
            f"{self._js._prefix}.CONSUMER.MSG.NEXT.{self._stream}.{self._name}",
            f'{{"batch":{n},"no_wait":true}}'.encode(),
            reply=self._sub.subject,
        )
        await asyncio.wait_for(self._done.wait(), self._timeout_s)
        return self._got

    async def close(self) -> None:
        if self._sub is not None:
            with contextlib.suppress(Exception):
                await self._sub.unsubscribe()
        with contextlib.suppress(Exception):
            await self._js.delete_consumer(self._stream, self._name)
