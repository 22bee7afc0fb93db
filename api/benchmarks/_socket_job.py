"""The job a plain-socket helper process (_loadgen.py, _sse_subscribers.py) reads on stdin:
typed, so a wrong field fails at decoding, not somewhere in the middle of a run."""

from __future__ import annotations

import msgspec


class SocketJob(msgspec.Struct, kw_only=True):
    host: str
    port: int
    headers: dict[str, str] = {}
    # _loadgen.py: GET these paths over `concurrency` keep-alive connections
    paths: list[str] = []
    concurrency: int = 1
    # _sse_subscribers.py: this many event streams
    subscribers: int = 0

    @property
    def header_lines(self) -> str:
        """The extra request headers, each ending with CRLF."""
        return "".join(f"{k}: {v}\r\n" for k, v in self.headers.items())


def decode_job(raw: bytes | str) -> SocketJob:
    return msgspec.json.decode(raw, type=SocketJob)
