"""Request identity: x-request-id, x-correlation-id and W3C Trace Context.

Parsing follows https://www.w3.org/TR/trace-context-2/ (Level 2):
- an invalid traceparent (or more than one traceparent header) starts a new trace and drops
  tracestate;
- version ff is invalid; an unknown higher version is parsed by its first four fields when the
  header is at least 55 characters and, if longer, continues with '-';
- trace-flags: sampled (0x01) and random-trace-id (0x02) are kept as received, reserved bits are
  cleared; a trace we start has the random-trace-id flag (its id is random);
- every outbound call gets its own span id as the traceparent parent-id (`outbound_headers`);
- tracestate from several headers is joined with ','; an invalid list is dropped, never partly
  propagated.
"""

from __future__ import annotations

import contextvars
import os
import re
import threading
from dataclasses import dataclass

_ID_RE = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
_HEX = frozenset("0123456789abcdef")
_OWS = " \t"  # RFC 7230 3.2.3: *( SP / HTAB ), nothing else
# key              = simple-key / multi-tenant-key
# simple-key       = lcalpha 0*255( lcalpha / DIGIT / "_" / "-"/ "*" / "/" )
# multi-tenant-key = tenant-id "@" system-id
# tenant-id        = ( lcalpha / DIGIT ) 0*240( lcalpha / DIGIT / "_" / "-"/ "*" / "/" )
# system-id        = lcalpha 0*13( lcalpha / DIGIT / "_" / "-"/ "*" / "/" )
# Used with fullmatch only: '$' would also match before a trailing newline.
_TS_KEY = re.compile(
    r"[a-z][_0-9a-z\-*/]{0,255}|[a-z0-9][_0-9a-z\-*/]{0,240}@[a-z][_0-9a-z\-*/]{0,13}"
)
# value = 0*255(chr) nblk-chr; nblk-chr = %x21-2B / %x2D-3C / %x3E-7E; chr = %x20 / nblk-chr
_TS_VALUE = re.compile(r"[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]")
MAX_TRACESTATE_MEMBERS = 32
# trace-flags defined by Level 2: sampled (0x01) and random-trace-id (0x02). The other bits are
# reserved: "Vendors MUST set those to zero", so they are never propagated.
FLAG_SAMPLED = 0x01
FLAG_RANDOM_TRACE_ID = 0x02
KNOWN_TRACE_FLAGS = FLAG_SAMPLED | FLAG_RANDOM_TRACE_ID


def valid_id(value: str | None) -> bool:
    return value is not None and _ID_RE.match(value) is not None


class RandomHex:
    """Random lowercase hex from the OS's CSPRNG, read in batches.

    `secrets.token_hex` and `uuid4` make one getrandom(2) system call per id (and uuid4 builds a
    UUID object); a request mints up to four ids. Here one call fetches `batch` bytes, hex-encoded
    once, and ids are consecutive slices of it: every id is still os.urandom output, never
    reused, so ids are as unguessable as before (a W3C random trace id, flag 0x02, stays true)
    and unique with the probability of 128 random bits. The buffer is dropped in a forked child
    (os.register_at_fork), so two worker processes never hand out the same bytes.
    """

    def __init__(self, batch: int = 4096) -> None:
        self._batch = batch
        self._hex = ""
        self._pos = 0
        self._lock = threading.Lock()  # outbound calls may mint from worker threads
        os.register_at_fork(after_in_child=self._forget)

    def _forget(self) -> None:
        self._hex, self._pos = "", 0
        self._lock = threading.Lock()

    def take(self, nbytes: int) -> str:
        """2 * nbytes hex characters never handed out before."""
        if nbytes <= 0:
            return ""
        width = 2 * nbytes
        with self._lock:
            pos = self._pos
            end = pos + width
            if end > len(self._hex):
                self._hex = os.urandom(max(self._batch, nbytes)).hex()
                pos, end = 0, width
            self._pos = end
            return self._hex[pos:end]


_random_hex = RandomHex()
_ZERO_TRACE_ID = "0" * 32
_ZERO_SPAN_ID = "0" * 16


def mint_id() -> str:
    """A request or correlation id: 32 random hex characters (128 bits)."""
    return _random_hex.take(16)


def _is_hex(value: str) -> bool:
    return all(c in _HEX for c in value)


@dataclass(frozen=True, slots=True)
class TraceParent:
    trace_id: str  # 32 lowercase hex
    parent_id: str  # 16 lowercase hex
    flags: int

    @property
    def sampled(self) -> bool:
        return bool(self.flags & FLAG_SAMPLED)

    @property
    def random_trace_id(self) -> bool:
        return bool(self.flags & FLAG_RANDOM_TRACE_ID)

    def header(self) -> str:
        return f"00-{self.trace_id}-{self.parent_id}-{self.flags:02x}"


def parse_traceparent(values: list[str]) -> TraceParent | None:
    """Return the parsed traceparent, or None when a new trace must start."""
    if len(values) != 1:
        return None
    value = values[0].strip(_OWS)
    if len(value) < 55:
        return None
    version = value[0:2]
    if not _is_hex(version) or version == "ff":
        return None
    if version == "00" and len(value) != 55:
        return None
    if version != "00" and len(value) > 55 and value[55] != "-":
        return None
    if value[2] != "-" or value[35] != "-" or value[52] != "-":
        return None
    trace_id, parent_id, flags = value[3:35], value[36:52], value[53:55]
    if not (_is_hex(trace_id) and _is_hex(parent_id) and _is_hex(flags)):
        return None
    if trace_id == "0" * 32 or parent_id == "0" * 16:
        return None
    return TraceParent(trace_id, parent_id, int(flags, 16))


def parse_tracestate(values: list[str]) -> str | None:
    """Return a normalised tracestate, or None when absent or invalid."""
    if not values:
        return None
    members: list[str] = []
    seen: set[str] = set()
    for raw in ",".join(values).split(","):
        member = raw.strip(_OWS)
        if not member:
            continue  # empty and whitespace-only list members are allowed, and not propagated
        key, sep, val = member.partition("=")
        if not sep or not _TS_KEY.fullmatch(key) or not _TS_VALUE.fullmatch(val):
            return None
        if key in seen:
            return None  # "Only one entry per key is allowed": the whole list is invalid
        seen.add(key)
        members.append(f"{key}={val}")
    if not members or len(members) > MAX_TRACESTATE_MEMBERS:
        return None
    return ",".join(members)


def new_trace_id() -> str:
    """16 random bytes as hex, never all zeros (an invalid trace id)."""
    while (value := _random_hex.take(16)) == _ZERO_TRACE_ID:
        pass
    return value


def new_span_id() -> str:
    """8 random bytes as hex, never all zeros (an invalid parent id)."""
    while (value := _random_hex.take(8)) == _ZERO_SPAN_ID:
        pass
    return value


@dataclass(slots=True)
class RequestIdentity:
    request_id: str
    correlation_id: str
    trace_id: str
    span_id: str
    parent_span_id: str | None
    trace_flags: int
    tracestate: str | None
    principal_id: str | None = None
    tenant_id: str | None = None

    def traceparent(self) -> str:
        """This request's own span (what the response echoes)."""
        return f"00-{self.trace_id}-{self.span_id}-{self.trace_flags:02x}"

    def child_traceparent(self) -> str:
        """A traceparent for one outbound call: a new child span id of this request's span.

        W3C processing model (a traceparent is received, step 4.1): for each outgoing request the
        parent-id is set to the ID of the current operation, the call itself; trace-id and flags
        are kept.
        """
        return f"00-{self.trace_id}-{new_span_id()}-{self.trace_flags:02x}"


current_identity: contextvars.ContextVar[RequestIdentity | None] = contextvars.ContextVar(
    "current_identity", default=None
)


def get_identity() -> RequestIdentity | None:
    return current_identity.get()


def identity_from_headers(
    request_ids: list[str],
    correlation_ids: list[str],
    traceparents: list[str],
    tracestates: list[str],
    span_id: str | None = None,
    sampled_default: bool = True,
) -> RequestIdentity:
    request_id = request_ids[0] if len(request_ids) == 1 and valid_id(request_ids[0]) else None
    correlation_id = (
        correlation_ids[0] if len(correlation_ids) == 1 and valid_id(correlation_ids[0]) else None
    )
    parent = parse_traceparent(traceparents)
    # Every id this request needs minted, from one draw of the random source.
    fresh = _random_hex.take(
        (16 if request_id is None else 0)
        + (16 if correlation_id is None else 0)
        + (16 if parent is None else 0)
        + (0 if span_id else 8)
    )
    at = 0
    if request_id is None:
        request_id, at = fresh[at : at + 32], at + 32
    if correlation_id is None:
        correlation_id, at = fresh[at : at + 32], at + 32
    new_trace = None
    if parent is None:
        new_trace, at = fresh[at : at + 32], at + 32
        if new_trace == _ZERO_TRACE_ID:
            new_trace = new_trace_id()
    if not span_id:
        span_id = fresh[at : at + 16]
        if span_id == _ZERO_SPAN_ID:
            span_id = new_span_id()
    if parent is None:
        # A new trace: its id is 16 random bytes, so the random-trace-id flag is set.
        return RequestIdentity(
            request_id=request_id,
            correlation_id=correlation_id,
            trace_id=new_trace or new_trace_id(),
            span_id=span_id,
            parent_span_id=None,
            trace_flags=FLAG_RANDOM_TRACE_ID | (FLAG_SAMPLED if sampled_default else 0),
            tracestate=None,
        )
    return RequestIdentity(
        request_id=request_id,
        correlation_id=correlation_id,
        trace_id=parent.trace_id,
        span_id=span_id,
        parent_span_id=parent.parent_id,
        # The trace continues: both defined flags are kept as received, reserved bits cleared.
        trace_flags=parent.flags & KNOWN_TRACE_FLAGS,
        tracestate=parse_tracestate(tracestates),
    )


def outbound_headers(identity: RequestIdentity | None = None) -> dict[str, str]:
    """Headers one outbound call carries (x-request-id, x-correlation-id, traceparent).

    Build them once per call: every call gets its own span id as the traceparent's parent-id.
    """
    ident = identity or current_identity.get()
    if ident is None:
        return {}
    headers = {
        "x-request-id": ident.request_id,
        "x-correlation-id": ident.correlation_id,
        "traceparent": ident.child_traceparent(),
    }
    if ident.tracestate:
        headers["tracestate"] = ident.tracestate
    return headers
