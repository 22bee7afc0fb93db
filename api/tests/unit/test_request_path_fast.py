"""The request path's cheaper pieces answer exactly what the slower ones did (issue 19).

- the access line's redaction pre-check never says "no secret" where the regex finds one;
- ids from the batched random source are well-formed, never repeat, and a forked child does not
  hand out its parent's buffered bytes.
"""

from __future__ import annotations

import os
import re

from hypothesis import given
from hypothesis import strategies as st

from cloudlysis_control.core.identity import (
    RandomHex,
    identity_from_headers,
    mint_id,
    new_span_id,
    new_trace_id,
    parse_traceparent,
)
from cloudlysis_control.core.logging import _SECRET_VALUE, _may_hold_secret

# Letters of the patterns in every case, the Unicode characters Python's re folds onto ASCII
# letters (dotless i, long s, Kelvin sign), separators and token characters.
_ALPHABET = st.sampled_from(
    [*"bearBEARyjYJ eEiInNkKsS-.-_=/+09aZ\t", "\u0131", "\u0130", "\u017f", "\u212a"]
)
_SNIPPETS = st.sampled_from(
    [
        "bearer ",
        "Bearer x",
        "BEARER\tabc",
        "eyJabcd.efgh.",
        "EYJ0000.1111.2",
        "-----BEGIN ",
        "PRIVATE KEY-----",
        "-----BEG\u0131N EC PRIVATE KEY-----",
    ]
)


@given(st.lists(st.one_of(_ALPHABET, _SNIPPETS), max_size=30).map("".join))
def test_the_redaction_pre_check_agrees_with_the_regex(text: str) -> None:
    assert _may_hold_secret(text) == (_SECRET_VALUE.search(text) is not None)


def test_the_pre_check_lets_the_known_secret_shapes_through() -> None:
    for text in ("x Bearer abc", "eyJhbGci.eyJzdWIi.sig", "-----BEGIN RSA PRIVATE KEY-----"):
        assert _may_hold_secret(text)
    assert not _may_hold_secret("GET\x00/admin/v1/whoami\x00request")


def test_minted_ids_are_well_formed_and_unique() -> None:
    ids = [mint_id() for _ in range(5000)]
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)
    assert len(set(ids)) == len(ids)
    spans = [new_span_id() for _ in range(5000)]
    assert all(re.fullmatch(r"[0-9a-f]{16}", s) and s != "0" * 16 for s in spans)
    traces = [new_trace_id() for _ in range(5000)]
    assert all(re.fullmatch(r"[0-9a-f]{32}", t) and t != "0" * 32 for t in traces)
    assert len(set(traces)) == len(traces)


def test_a_new_trace_is_a_valid_w3c_traceparent() -> None:
    for _ in range(100):
        ident = identity_from_headers([], [], [], [])
        parsed = parse_traceparent([ident.traceparent()])
        assert parsed is not None and parsed.trace_id == ident.trace_id
        assert parsed.random_trace_id


def test_the_source_refills_across_batches_without_repeating() -> None:
    source = RandomHex(batch=64)
    taken = [source.take(16) for _ in range(200)]  # 50 refills
    assert all(len(t) == 32 for t in taken)
    assert len(set(taken)) == len(taken)


def test_a_forked_child_does_not_reuse_the_parents_buffer() -> None:
    source = RandomHex(batch=4096)
    source.take(8)  # the parent now holds a buffer with bytes not yet handed out
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: write what it would hand out next, then leave at once
        os.close(read)
        os.write(write, source.take(16).encode())
        os._exit(0)
    os.close(write)
    child = os.read(read, 64).decode()
    os.close(read)
    os.waitpid(pid, 0)
    assert len(child) == 32
    assert child != source.take(16)  # the parent's next id: the child did not take it too


def test_the_access_logger_follows_a_reconfiguration() -> None:
    """The access logger is cached per configuration: structlog's capture_logs (which
    reconfigures structlog) still sees its lines."""
    from cloudlysis_control.core.logging import bound_logger
    from tests.support.logs import captured_logs

    bound_logger("control.access").info("before")  # cached under the current configuration
    with captured_logs() as logs:
        bound_logger("control.access").info("request", route="/x")
    assert [e["event"] for e in logs] == ["request"]


def _json_lines(raw: bytes) -> list[dict[str, object]]:
    import json

    return [json.loads(line) for line in raw.splitlines() if line.strip()]


def test_the_access_line_is_the_structlog_line() -> None:
    """access_line writes what get_logger("control.access").info("request", ...) writes: the same
    keys in the same order, the same values but the time, the same redaction."""
    import io

    from cloudlysis_control.core.identity import current_identity
    from cloudlysis_control.core.logging import access_line, configure_logging, get_logger

    buffer = io.BytesIO()
    configure_logging("info", "json", stream=io.TextIOWrapper(buffer))
    ident = identity_from_headers(["eyJhbGciOi.eyJzdWIiOi.sig"], [], [], [])
    ident.principal_id = "admin"
    token = current_identity.set(ident)
    try:
        access_line("GET", "/admin/v1/whoami", 200, 1.25)
        get_logger("control.access").info(
            "request", method="GET", route="/admin/v1/whoami", status=200, duration_ms=1.25
        )
    finally:
        current_identity.reset(token)
    fast, slow = _json_lines(buffer.getvalue())
    assert list(fast) == list(slow)
    fast.pop("timestamp")
    slow.pop("timestamp")
    assert fast == slow
    assert fast["request_id"] == "[REDACTED]"  # a JWT-shaped id is redacted on both paths
    assert fast["principal_id"] == "admin" and fast["event"] == "request"


def test_the_access_line_follows_the_level_and_the_format() -> None:
    import io

    from cloudlysis_control.core.logging import access_line, configure_logging

    buffer = io.BytesIO()
    configure_logging("warning", "json", stream=io.TextIOWrapper(buffer))
    access_line("GET", "/x", 200, 1.0)
    assert buffer.getvalue() == b""
    text = io.StringIO()
    configure_logging("info", "console", stream=text)
    access_line("GET", "/x", 200, 1.0)
    assert "request" in text.getvalue() and "/x" in text.getvalue()
    configure_logging("info", "json")  # what the rest of the suite expects


def test_the_access_line_keeps_structlog_context_variables() -> None:
    """The access line skips structlog's context merge only while no context variable was ever
    bound; a bound one still reaches the line, as on structlog's own path."""
    import io

    import structlog

    from cloudlysis_control.core.logging import access_line, configure_logging, get_logger

    buffer = io.BytesIO()
    configure_logging("info", "json", stream=io.TextIOWrapper(buffer))
    tokens = structlog.contextvars.bind_contextvars(job_hint="j-1")
    try:
        access_line("GET", "/admin/v1/whoami", 200, 1.25)
        get_logger("control.access").info(
            "request", method="GET", route="/admin/v1/whoami", status=200, duration_ms=1.25
        )
    finally:
        structlog.contextvars.reset_contextvars(**tokens)
    access_line("GET", "/admin/v1/whoami", 200, 1.25)  # unbound again: not on the line
    fast, slow, after = _json_lines(buffer.getvalue())
    configure_logging("info", "json")
    assert fast["job_hint"] == "j-1" and list(fast) == list(slow)
    assert "job_hint" not in after


def test_iso_timestamp_is_structlogs_iso_time() -> None:
    """The access line's timestamp is what datetime.now(UTC).isoformat() gives for the same
    clock reading ("Z" for "+00:00"), microseconds or none included."""
    from datetime import UTC, datetime

    from cloudlysis_control.core.logging import iso_timestamp

    base = 1_796_000_000 * 1_000_000_000
    for ns in (
        base,
        base + 999,
        base + 1_000,
        base + 123_456_789,
        base + 999_999_999,
        base + 1_000_000_000,
        base + 86_399 * 1_000_000_000 + 500_000,
        0,
    ):
        dt = datetime.fromtimestamp(ns // 1_000_000_000, UTC).replace(
            microsecond=ns // 1000 % 1_000_000
        )
        assert iso_timestamp(ns) == dt.isoformat().replace("+00:00", "Z")
