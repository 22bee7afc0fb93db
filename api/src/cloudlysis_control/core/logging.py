"""structlog JSON logging with request identity and redaction.

Redaction runs last before rendering, over every key and value at any depth: keys that name a
credential are replaced, and values that look like a bearer token or JWT are replaced wherever they
appear, so a secret passed by mistake under an innocent key still never reaches a log line.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import re
import sys
import threading
import time
from collections.abc import Mapping, MutableMapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, BinaryIO, cast

import msgspec
import structlog

from cloudlysis_control.core.identity import current_identity

REDACTED = "[REDACTED]"
_SECRET_KEY = re.compile(
    r"(authorization|cookie|token|passw|secret|api[_-]?key|credential|jwt|private[_-]?key|"
    r"signature|session[_-]?key)",
    re.IGNORECASE,
)
_SECRET_VALUE = re.compile(
    r"(bearer\s+[A-Za-z0-9._~+/=\-]+|eyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]*"
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----)",
    re.IGNORECASE,
)
_MAX_DEPTH = 8


def redact(value: Any, depth: int = 0) -> Any:
    if depth > _MAX_DEPTH:
        return "[TRUNCATED]"
    if isinstance(value, str):
        return _SECRET_VALUE.sub(REDACTED, value)
    if isinstance(value, bytes):
        return redact(value.decode("utf-8", "replace"), depth)
    if isinstance(value, Mapping):
        return {
            k: (REDACTED if isinstance(k, str) and _SECRET_KEY.search(k) else redact(v, depth + 1))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [redact(v, depth + 1) for v in value]
    return value


@lru_cache(maxsize=4096)
def _is_secret_key(key: str) -> bool:
    return _SECRET_KEY.search(key) is not None


# Key -> does it name a credential: the keys of log lines are a small fixed set, so a plain dict
# lookup (bounded like the lru_cache behind it) instead of a cached call per key and line.
_SECRET_KEYS: dict[str, bool] = {}
_SECRET_KEYS_MAX = 4096
_PLAIN_TYPES = frozenset({int, float, bool, type(None)})


def _secret_key(key: Any) -> bool:
    found = _SECRET_KEYS.get(key)
    if found is None:
        found = isinstance(key, str) and _is_secret_key(key)
        if isinstance(key, str) and len(_SECRET_KEYS) < _SECRET_KEYS_MAX:
            _SECRET_KEYS[key] = found
    return found


def _redact_processor(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    # Fast path for the common flat line of short strings and numbers: one search over the
    # values joined by NUL (no pattern can match across it). Anything else takes the full walk.
    strings: list[str] = []
    secret_keys = _SECRET_KEYS
    for key, value in event_dict.items():
        secret = secret_keys.get(key)
        if secret is None:
            secret = _secret_key(key)
        if secret:
            return redact(dict(event_dict))  # type: ignore[no-any-return]
        kind = type(value)
        if kind is str:
            strings.append(value)
        elif kind in _PLAIN_TYPES:
            continue
        elif isinstance(value, str):
            strings.append(value)
        elif not (value is None or isinstance(value, int | float)):
            return redact(dict(event_dict))  # type: ignore[no-any-return]
    if not _may_hold_secret("\x00".join(strings)):
        return event_dict
    return redact(dict(event_dict))  # type: ignore[no-any-return]


def _may_hold_secret(text: str) -> bool:
    """Could _SECRET_VALUE match in `text`? Each of its alternatives starts with a literal
    ("bearer", "eyJ" — case-insensitive, letters without special Unicode case folding — or
    "-----"), so absent all three it cannot: substring tests instead of the regex for the
    common line."""
    if "-----" not in text:
        lowered = text.lower()
        if "bearer" not in lowered and "eyj" not in lowered:
            return False
    return _SECRET_VALUE.search(text) is not None


def _bind_identity(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    ident = current_identity.get()
    if ident is not None:
        event_dict.setdefault("request_id", ident.request_id)
        event_dict.setdefault("correlation_id", ident.correlation_id)
        event_dict.setdefault("trace_id", ident.trace_id)
        event_dict.setdefault("span_id", ident.span_id)
        event_dict.setdefault("principal_id", ident.principal_id)
        event_dict.setdefault("tenant_id", ident.tenant_id)
    return event_dict


_json_encoder = msgspec.json.Encoder(decimal_format="number")


def _encode_json(obj: Any, **_kw: Any) -> bytes:
    try:
        return _json_encoder.encode(obj)
    except TypeError:
        return _json_encoder.encode(
            {
                k: v if isinstance(v, str | int | float | bool | None) else repr(v)
                for k, v in obj.items()
            }
        )


class LineOutput:
    """The binary stream the JSON lines go to, with the access lines of one event-loop
    iteration written together.

    stdout is unbuffered in the image (PYTHONUNBUFFERED=1: no line waits in a buffer when the
    process dies), so every line was one write system call — ≈ 20 µs of an authenticated
    request's ≈ 150 µs of CPU under load (docs/performance.md, "Issue 19 — request path").
    An access line is kept here and written together with the others of the same loop
    iteration by a callback the loop runs right after that iteration (`call_soon`); at once
    when MAX_PENDING are waiting, outside an event loop, or when any other line is written
    (the pending ones go first: lines keep their order). What is pending at exit is written
    (atexit; a graceful shutdown's last line writes it too). What a SIGKILL can lose beyond
    today: the access lines of requests answered within the event-loop iteration it cuts.
    """

    MAX_PENDING = 256

    def __init__(self, stream: Any) -> None:
        # The text stream is kept too: a TextIOWrapper closes its binary buffer when collected.
        self._stream = stream
        self._raw = stream.buffer
        self._lock = threading.Lock()
        self._pending: list[bytes] = []
        # The loop a write of the pending lines is scheduled on (None: none scheduled). A loop
        # that closed before running it (tests run many) must not hold lines back.
        self._scheduled_on: asyncio.AbstractEventLoop | None = None

    def write(self, data: bytes) -> int:
        """Every line but the access line (structlog's BytesLogger writes here)."""
        with self._lock:
            if self._pending:
                self._write_pending()
            self._put(data)
            return len(data)

    def flush(self) -> None:
        with self._lock:
            if self._pending:
                self._write_pending()  # writes and flushes
                return
            with contextlib.suppress(ValueError, OSError):
                self._raw.flush()

    def access(self, line: bytes) -> None:
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        with self._lock:
            self._pending.append(line)
            if loop is not None and len(self._pending) < self.MAX_PENDING:
                if self._scheduled_on is loop:
                    return
                if self._scheduled_on is not None:  # scheduled on another loop: not waited for
                    self._write_pending(keep=1)
                self._scheduled_on = loop
                loop.call_soon(self._scheduled)
                return
            self._write_pending()

    def _scheduled(self) -> None:
        with self._lock:
            self._scheduled_on = None
            if self._pending:
                self._write_pending()

    def _write_pending(self, keep: int = 0) -> None:
        """Write what is pending but the last `keep` lines (under the lock)."""
        lines = self._pending[: len(self._pending) - keep]
        del self._pending[: len(lines)]
        self._put(b"".join(lines))

    def _put(self, data: bytes) -> None:
        """One write. A log line never raises into the code that logs it (a request, a NATS
        callback): a closed or broken stream loses the line, as the stdlib's handlers do."""
        with contextlib.suppress(ValueError, OSError):
            self._raw.write(data)
            self._raw.flush()


class _TextLines:
    """The stdlib logging handler's stream: its lines through the same LineOutput (in order
    with every other line)."""

    def __init__(self, output: LineOutput) -> None:
        self._output = output

    def write(self, text: str) -> int:
        return self._output.write(text.encode("utf-8", "backslashreplace"))

    def flush(self) -> None:
        self._output.flush()


# The output of the current configuration, written out at exit.
_OUTPUT: LineOutput | None = None


@atexit.register
def _write_pending_at_exit() -> None:
    if _OUTPUT is not None:
        _OUTPUT.flush()  # never raises: a closed stream loses the lines


def configure_logging(level: str = "info", fmt: str = "json", stream: Any = None) -> None:
    global _ACCESS, _OUTPUT
    _BOUND.clear()  # loggers bound under the previous configuration
    _ACCESS = None
    if _OUTPUT is not None:
        _OUTPUT.flush()  # what the previous configuration still holds
    _OUTPUT = None
    out = stream or sys.stdout
    if fmt == "json":
        renderer: Any = structlog.processors.JSONRenderer(serializer=_encode_json)
        _OUTPUT = LineOutput(out)
        # BytesLogger uses write() and flush() of its file, which LineOutput has.
        factory: Any = structlog.BytesLoggerFactory(file=cast("BinaryIO", _OUTPUT))
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=False)
        factory = structlog.PrintLoggerFactory(file=out)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _bind_identity,
            structlog.processors.format_exc_info,
            _redact_processor,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping()[level.upper()]
        ),
        logger_factory=factory,
        cache_logger_on_first_use=False,
    )
    _route_stdlib_logging(level, out if _OUTPUT is None else _TextLines(_OUTPUT))
    if fmt == "json":
        assert _OUTPUT is not None
        _ACCESS = _AccessWriter(
            _config_key(),
            logging.getLevelNamesMapping()[level.upper()] <= logging.INFO,
            _OUTPUT,
        )


def _route_stdlib_logging(level: str, out: Any) -> None:
    """Library logs (stdlib logging) go through the same identity + redaction chain, as JSON.

    httpx logs every request URL at INFO, query string included: it is held at WARNING.
    """
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            structlog.stdlib.add_logger_name,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _bind_identity,
            structlog.processors.format_exc_info,
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            _redact_processor,
            structlog.processors.JSONRenderer(),
        ],
    )
    handler = logging.StreamHandler(out)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(logging.getLevelNamesMapping()[level.upper()])
    for noisy in ("httpx", "httpcore", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def get_logger(name: str = "control") -> Any:
    # Initial values, not .bind(): bind() on structlog's lazy proxy materialises the logger with
    # the configuration of that moment, so module-level loggers created at import (before
    # configure_logging) would skip redaction, identity binding and JSON rendering for good.
    return structlog.get_logger(name, service="control-api")


_BOUND: dict[str, tuple[tuple[int, int, int], Any]] = {}


def _config_key() -> tuple[int, int, int]:
    config = structlog.get_config()
    return (
        id(config["processors"]),
        id(config["wrapper_class"]),
        id(config["logger_factory"]),
    )


def bound_logger(name: str) -> Any:
    """`get_logger(name)`, materialised once per structlog configuration (for the hot path: the
    access line). The lazy proxy get_logger returns builds a new logger (and its output object)
    from the configuration on every line; this one is rebuilt only when the configuration
    changed (configure_logging, or structlog.configure elsewhere, e.g. structlog's
    capture_logs), so it never outlives the configuration it was built from."""
    key = _config_key()
    cached = _BOUND.get(name)
    if cached is not None and cached[0] == key:
        return cached[1]
    logger = get_logger(name).bind()
    _BOUND[name] = (key, logger)
    return logger


class _AccessWriter:
    """What the JSON access line needs, fixed by configure_logging."""

    __slots__ = ("config", "enabled", "output")

    def __init__(self, config: tuple[int, int, int], enabled: bool, output: Any) -> None:
        self.config = config
        self.enabled = enabled  # the access line is at info
        self.output: LineOutput = output  # the same output as every other line


_ACCESS: _AccessWriter | None = None
_merge_contextvars = structlog.contextvars.merge_contextvars
# structlog's registry of the context variables bind_contextvars created (None: an unknown
# structlog version without it, then the merge always runs).
_STRUCTLOG_CONTEXT_VARS: dict[str, Any] | None = getattr(
    structlog.contextvars, "_CONTEXT_VARS", None
)


# (second, its date and time of day): one tuple, so a reader in another thread never pairs a
# second with another second's text.
_TS_CACHE: tuple[int, str] = (-1, "")


def iso_timestamp(ns: int) -> str:
    """`datetime.now(UTC).isoformat()` with "Z" for "+00:00" (structlog's TimeStamper), for
    the clock reading `ns` (time.time_ns(); datetime floors to microseconds too), with the date
    and time of day formatted once per second."""
    global _TS_CACHE
    second, rest = divmod(ns, 1_000_000_000)
    cached = _TS_CACHE
    if cached[0] != second:
        cached = (second, datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S"))
        _TS_CACHE = cached
    micros = rest // 1000
    return f"{cached[1]}.{micros:06d}Z" if micros else f"{cached[1]}Z"


def access_line(method: str, route: str, status: int, duration_ms: float) -> None:
    """The access line of one request: what `get_logger("control.access").info("request", ...)`
    writes — the same fields in the same order, through the same identity binding, redaction
    and JSON encoding — without structlog's per-call dispatch (a fifth of an authenticated
    request's time went to it; docs/performance.md, issue 19). Under any other configuration
    than the JSON one configure_logging set up (console format, structlog reconfigured
    elsewhere, e.g. capture_logs) it goes through structlog."""
    writer = _ACCESS
    if writer is None or writer.config != _config_key():
        bound_logger("control.access").info(
            "request", method=method, route=route, status=status, duration_ms=duration_ms
        )
        return
    if not writer.enabled:
        return
    event: MutableMapping[str, Any] = {
        "service": "control-api",
        "method": method,
        "route": route,
        "status": status,
        "duration_ms": duration_ms,
        "event": "request",
    }
    # The processors of configure_logging's chain, in its order (format_exc_info: no exception).
    if _STRUCTLOG_CONTEXT_VARS is None or _STRUCTLOG_CONTEXT_VARS:
        # merge_contextvars walks every context variable of the request (≈ 3 µs); structlog
        # creates its own only through bind_contextvars, which registers each here: none
        # registered, nothing to merge.
        event = _merge_contextvars(None, "info", event)
    event["level"] = "info"
    event["timestamp"] = iso_timestamp(time.time_ns())
    event = _bind_identity(None, "info", event)
    event = _redact_processor(None, "info", event)
    writer.output.access(_encode_json(event) + b"\n")
