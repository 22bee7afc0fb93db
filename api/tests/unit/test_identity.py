"""W3C Trace Context (Level 2) and request-id rules of core.identity.

Examples are the spec's own (https://www.w3.org/TR/trace-context-2/): the traceparent
`00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01`, the tracestate
`rojo=00f067aa0ba902b7,congo=t61rcWkgMzE`, the multi-tenant key `fw529a3039@dt`.
"""

from __future__ import annotations

import re

import pytest

from cloudlysis_control.core.identity import (
    MAX_TRACESTATE_MEMBERS,
    TraceParent,
    identity_from_headers,
    outbound_headers,
    parse_traceparent,
    parse_tracestate,
    valid_id,
)

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"
SPEC_TP = f"00-{TRACE_ID}-{PARENT_ID}-01"
SPEC_TP_2 = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
SPEC_TS = "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"
HEX32 = re.compile(r"^[0-9a-f]{32}$")
HEX16 = re.compile(r"^[0-9a-f]{16}$")


# -- traceparent ---------------------------------------------------------------------------------


def test_spec_examples_parse() -> None:
    assert parse_traceparent([SPEC_TP]) == TraceParent(TRACE_ID, PARENT_ID, 1)
    tp = parse_traceparent([SPEC_TP_2])
    assert tp is not None and tp.trace_id == "0af7651916cd43dd8448eb211c80319c"
    assert tp.parent_id == "b7ad6b7169203331" and tp.sampled


def test_unsampled_flag_and_unknown_flag_bits() -> None:
    tp = parse_traceparent([f"00-{TRACE_ID}-{PARENT_ID}-00"])
    assert tp is not None and not tp.sampled
    # Unknown flag bits are tolerated on input; only the sampled bit is meaningful.
    tp = parse_traceparent([f"00-{TRACE_ID}-{PARENT_ID}-09"])
    assert tp is not None and tp.sampled and tp.flags == 9


def test_header_round_trip() -> None:
    tp = parse_traceparent([SPEC_TP])
    assert tp is not None and tp.header() == SPEC_TP


def test_surrounding_whitespace_is_tolerated() -> None:
    assert parse_traceparent([f"  {SPEC_TP}\t"]) == TraceParent(TRACE_ID, PARENT_ID, 1)


@pytest.mark.parametrize("junk", ["\x0b", "\x0c", "\r", "\n", "\x85", "\xa0", "\x1f"])
def test_only_space_and_tab_are_optional_whitespace(junk: str) -> None:
    # OWS (RFC 7230 3.2.3, which the spec uses) is *( SP / HTAB ): nothing else around the value.
    # Header bytes are decoded as latin-1, so 0x85 and 0xa0 reach the parser as they are.
    assert parse_traceparent([f"{junk}{SPEC_TP}"]) is None
    assert parse_traceparent([f"{SPEC_TP}{junk}"]) is None


@pytest.mark.parametrize(
    "value",
    [
        # uppercase hex is invalid (spec: lowercase only)
        f"00-{TRACE_ID.upper()}-{PARENT_ID}-01",
        f"00-{TRACE_ID}-{PARENT_ID.upper()}-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01",
        f"00-{TRACE_ID}-{PARENT_ID}-0A",
        f"0A-{TRACE_ID}-{PARENT_ID}-01",
        # version ff is forbidden
        f"ff-{TRACE_ID}-{PARENT_ID}-01",
        f"ff-{TRACE_ID}-{PARENT_ID}-01-extra",
        # version 00 must be exactly 55 characters
        f"{SPEC_TP}-extra",
        f"{SPEC_TP}-",
        f"{SPEC_TP}0",
        # all-zero ids are invalid
        f"00-{'0' * 32}-{PARENT_ID}-01",
        f"00-{TRACE_ID}-{'0' * 16}-01",
        # wrong lengths / delimiters / alphabet
        f"00-{TRACE_ID[:-1]}-{PARENT_ID}-01",
        f"00-{TRACE_ID}-{PARENT_ID[:-1]}-01",
        f"00-{TRACE_ID}-{PARENT_ID}-1",
        f"00_{TRACE_ID}_{PARENT_ID}_01",
        f"00-{TRACE_ID}-{PARENT_ID}.01",
        f"00-{TRACE_ID[:-1]}g-{PARENT_ID}-01",
        f"0-{TRACE_ID}-{PARENT_ID}-01",
        "",
        "garbage",
        # a future version continues only with '-' after the first 55 characters
        f"cc-{TRACE_ID}-{PARENT_ID}-01.what-the-future-will-be-like",
        f"cc-{TRACE_ID}-{PARENT_ID}-0",
    ],
)
def test_invalid_traceparent(value: str) -> None:
    assert parse_traceparent([value]) is None


@pytest.mark.parametrize(
    "value",
    [
        f"cc-{TRACE_ID}-{PARENT_ID}-01",
        f"cc-{TRACE_ID}-{PARENT_ID}-01-what-the-future-will-be-like",
        f"01-{TRACE_ID}-{PARENT_ID}-01-extra",
        f"fe-{TRACE_ID}-{PARENT_ID}-01-x",
    ],
)
def test_future_version_is_parsed_by_its_first_four_fields(value: str) -> None:
    assert parse_traceparent([value]) == TraceParent(TRACE_ID, PARENT_ID, 1)


def test_future_version_still_rejects_invalid_fields() -> None:
    assert parse_traceparent([f"cc-{'0' * 32}-{PARENT_ID}-01-extra"]) is None
    assert parse_traceparent([f"cc-{TRACE_ID.upper()}-{PARENT_ID}-01-extra"]) is None


def test_duplicated_traceparent_headers_start_a_new_trace() -> None:
    assert parse_traceparent([]) is None
    assert parse_traceparent([SPEC_TP, SPEC_TP]) is None
    assert parse_traceparent([SPEC_TP, SPEC_TP_2]) is None
    ident = identity_from_headers([], [], [SPEC_TP, SPEC_TP_2], [SPEC_TS])
    assert ident.trace_id not in (TRACE_ID, "0af7651916cd43dd8448eb211c80319c")
    assert ident.parent_span_id is None
    assert ident.tracestate is None


# -- tracestate ----------------------------------------------------------------------------------


def test_tracestate_spec_examples() -> None:
    assert parse_tracestate([SPEC_TS]) == SPEC_TS
    assert parse_tracestate(["congo=t61rcWkgMzE"]) == "congo=t61rcWkgMzE"
    assert parse_tracestate(["fw529a3039@dt=abc,rojo=00f067aa0ba902b7"]) == (
        "fw529a3039@dt=abc,rojo=00f067aa0ba902b7"
    )


def test_tracestate_optional_whitespace_and_empty_members() -> None:
    assert parse_tracestate(["rojo=00f067aa0ba902b7 ,\t congo=t61rcWkgMzE"]) == SPEC_TS
    assert parse_tracestate(["rojo=00f067aa0ba902b7,,congo=t61rcWkgMzE,"]) == SPEC_TS


def test_multiple_tracestate_headers_are_joined() -> None:
    # The spec's own example: the same list split over two header fields.
    assert parse_tracestate(["rojo=00f067aa0ba902b7", "congo=t61rcWkgMzE"]) == SPEC_TS
    ident = identity_from_headers([], [], [SPEC_TP], ["rojo=00f067aa0ba902b7", "congo=t61rcWkgMzE"])
    assert ident.tracestate == SPEC_TS


def test_tracestate_member_limit() -> None:
    members = [f"k{i}=v{i}" for i in range(MAX_TRACESTATE_MEMBERS)]
    assert MAX_TRACESTATE_MEMBERS == 32
    assert parse_tracestate([",".join(members)]) == ",".join(members)
    assert parse_tracestate([",".join([*members, "k32=v32"])]) is None
    # also when the excess arrives in a second header
    assert parse_tracestate([",".join(members), "extra=1"]) is None


@pytest.mark.parametrize(
    "value",
    [
        "Rojo=00f067aa0ba902b7",  # uppercase key
        "rojo",  # no '='
        "=value",  # empty key
        "ro jo=1",  # space in key
        "rojo=a,rojo=b",  # duplicate key
        "_rojo=1",  # must start with a lowercase letter (a tenant-id: or a digit)
        "rojo=a=b",  # '=' is not allowed in a value
        "rojo=a,b",  # second member without '='
        "rojo=",  # empty value
        "rojo=a\x7f",  # DEL is not a value character
        "rojo=caf\u00e9",  # non-ASCII value
        "a" * 257 + "=1",  # key too long
        "rojo=" + "v" * 257,  # value too long
        "vendor@Dt=1",  # uppercase system id
        "@dt=1",
        "vendor@" + "d" * 15 + "=1",  # system id too long
    ],
)
def test_invalid_tracestate_is_dropped_entirely(value: str) -> None:
    assert parse_tracestate([value]) is None
    assert parse_tracestate([SPEC_TS, value]) is None  # never partly propagated


@pytest.mark.parametrize(
    "key",
    [
        "a",  # the shortest simple-key
        "z" * 256,  # simple-key = lcalpha 0*255( ... ): 256 characters at most
        "a0_-*/",  # every other character a simple-key may hold
        "fw529a3039@dt",  # the spec's multi-tenant example
        "9@a",  # tenant-id = ( lcalpha / DIGIT ) ...: a tenant-id may start with a digit
        "t" * 241 + "@" + "v" * 14,  # tenant-id up to 241, system-id up to 14 characters
        "0_-*/a@b0_-*/",
    ],
)
def test_tracestate_key_grammar_accepts(key: str) -> None:
    assert parse_tracestate([f"{key}=1"]) == f"{key}=1"


@pytest.mark.parametrize(
    "key",
    [
        # simple-key = lcalpha 0*255( lcalpha / DIGIT / "_" / "-"/ "*" / "/" ): a key without
        # '@' must start with a letter (only a multi-tenant tenant-id may start with a digit).
        "1abc",
        "0",
        "9vendor",
        "z" * 257,  # simple-key too long
        "t" * 242 + "@v",  # tenant-id = ( lcalpha / DIGIT ) 0*240( ... ): 241 at most
        "t@" + "v" * 15,  # system-id = lcalpha 0*13( ... ): 14 at most
        "t@1v",  # system-id starts with lcalpha
        "foo@",
        "foo@@bar",
        "foo@bar@baz",
        "foo.bar",
        "FOO",
        "foo ",  # 'foo =1': a space before '=' is part of the key
        "rojo\n",  # a line break is no key character, at the end either
    ],
)
def test_tracestate_key_grammar_refuses(key: str) -> None:
    assert parse_tracestate([f"{key}=1"]) is None
    assert parse_tracestate([f"{SPEC_TS},{key}=1"]) is None


@pytest.mark.parametrize("value", ["1\n", "a\rb", "a\tb", "\n"])
def test_tracestate_value_holds_printable_ascii_only(value: str) -> None:
    # value = 0*255(chr) nblk-chr; chr = %x20 / nblk-chr: no tab, CR or LF, also not last.
    assert parse_tracestate([f"rojo={value}"]) is None
    assert parse_tracestate([f"rojo={value},congo=t61rcWkgMzE"]) is None


def test_tracestate_value_keeps_leading_spaces_and_allows_every_printable_character() -> None:
    every = "".join(chr(c) for c in range(0x20, 0x7F) if chr(c) not in ",=")
    assert len(every) == 93
    assert parse_tracestate([f"rojo={every}"]) == f"rojo={every}"
    assert parse_tracestate(["rojo= x"]) == "rojo= x"  # a leading space is part of the value
    assert parse_tracestate(["rojo=" + "v" * 256]) == "rojo=" + "v" * 256  # 256 at most


@pytest.mark.parametrize(
    "headers",
    [
        ["foo=1,foo=1"],
        ["foo=1,foo=2"],
        ["foo=1", "foo=1"],  # the duplicate may come in a second header
        ["foo=1", "foo=2"],
        ["t@v=1,t@v=2"],  # multi-tenant keys alike
    ],
)
def test_tracestate_with_duplicate_keys_is_dropped(headers: list[str]) -> None:
    # Combined Header Value: "Only one entry per key is allowed"; a list that holds a key twice
    # is invalid and dropped whole (the W3C test suite: test_tracestate_duplicated_keys).
    assert parse_tracestate(headers) is None
    ident = identity_from_headers([], [], [SPEC_TP], headers)
    assert ident.trace_id == TRACE_ID and ident.tracestate is None


def test_distinct_multi_tenant_keys_are_not_duplicates() -> None:
    assert parse_tracestate(["a@v=1,b@v=2,a@w=3,v=4"]) == "a@v=1,b@v=2,a@w=3,v=4"


def test_empty_members_do_not_count_towards_the_limit() -> None:
    # Empty and whitespace-only list members are allowed (they appear when headers are joined)
    # and are not propagated; 32 real members are still accepted.
    members = [f"k{i}=v{i}" for i in range(MAX_TRACESTATE_MEMBERS)]
    assert parse_tracestate(["", ",".join(members), " , ", "\t"]) == ",".join(members)


def test_tracestate_absent_or_blank() -> None:
    assert parse_tracestate([]) is None
    assert parse_tracestate([""]) is None
    assert parse_tracestate([" , "]) is None


def test_tracestate_dropped_when_traceparent_invalid() -> None:
    ident = identity_from_headers(
        [], [], [f"00-{TRACE_ID.upper()}-{PARENT_ID}-01"], ["rojo=00f067aa0ba902b7"]
    )
    assert ident.tracestate is None
    assert ident.parent_span_id is None
    assert ident.trace_id != TRACE_ID.upper().lower()
    ident = identity_from_headers([], [], [], [SPEC_TS])
    assert ident.tracestate is None


def test_invalid_tracestate_keeps_a_valid_traceparent() -> None:
    ident = identity_from_headers([], [], [SPEC_TP], ["Bad=1"])
    assert ident.trace_id == TRACE_ID and ident.parent_span_id == PARENT_ID
    assert ident.tracestate is None


# -- identity_from_headers -----------------------------------------------------------------------


def test_identity_continues_a_valid_trace() -> None:
    ident = identity_from_headers(["req-1"], ["corr-1"], [SPEC_TP], [SPEC_TS])
    assert ident.request_id == "req-1" and ident.correlation_id == "corr-1"
    assert ident.trace_id == TRACE_ID
    assert ident.parent_span_id == PARENT_ID
    assert HEX16.match(ident.span_id) and ident.span_id != PARENT_ID
    assert ident.trace_flags == 1
    assert ident.tracestate == SPEC_TS
    out = ident.traceparent().split("-")
    assert out == ["00", TRACE_ID, ident.span_id, "01"]


def test_identity_keeps_the_unsampled_decision() -> None:
    ident = identity_from_headers([], [], [f"00-{TRACE_ID}-{PARENT_ID}-00"], [])
    assert ident.trace_flags == 0 and ident.traceparent().endswith("-00")


@pytest.mark.parametrize(
    ("flags", "kept"),
    [
        ("01", "01"),  # sampled
        ("02", "02"),  # random-trace-id, not sampled
        ("03", "03"),  # both
    ],
)
def test_random_trace_id_flag_is_propagated(flags: str, kept: str) -> None:
    # Level 2, trace-flags: "The second least significant bit of the trace-flags field denotes
    # the random-trace-id flag"; a participant that continues the trace (same trace-id) keeps
    # the flag as it received it. Both defined bits travel on: response and outbound calls.
    ident = identity_from_headers([], [], [f"00-{TRACE_ID}-{PARENT_ID}-{flags}"], [])
    assert ident.trace_flags == int(kept, 16)
    assert ident.traceparent().endswith(f"-{kept}")
    assert outbound_headers(ident)["traceparent"].endswith(f"-{kept}")


@pytest.mark.parametrize(
    ("flags", "kept"),
    [
        ("ff", "03"),
        ("09", "01"),  # the spec's own example: 00001000 with the sampled flag
        ("0a", "02"),
        ("04", "00"),
        ("fc", "00"),
    ],
)
def test_reserved_flag_bits_are_not_propagated(flags: str, kept: str) -> None:
    # Level 2, Other Flags: "The behavior of other flags, such as (00000100) is not defined and
    # is reserved for future use. Vendors MUST set those to zero." The two defined bits stay.
    ident = identity_from_headers([], [], [f"00-{TRACE_ID}-{PARENT_ID}-{flags}"], [])
    assert ident.traceparent().endswith(f"-{kept}")
    assert outbound_headers(ident)["traceparent"].endswith(f"-{kept}")


def test_future_version_keeps_the_flags_this_version_knows() -> None:
    # Versioning: a higher version is parsed by the version-00 fields; only the trace-flags this
    # version defines are kept, unknown ones are set to 0 on outgoing requests.
    ident = identity_from_headers([], [], [f"cc-{TRACE_ID}-{PARENT_ID}-ff-future"], [])
    assert ident.traceparent() == f"00-{TRACE_ID}-{ident.span_id}-03"


def test_identity_future_version_is_answered_as_version_00() -> None:
    ident = identity_from_headers([], [], [f"cc-{TRACE_ID}-{PARENT_ID}-01-extra"], [])
    assert ident.trace_id == TRACE_ID and ident.traceparent().startswith(f"00-{TRACE_ID}-")


def test_identity_new_trace_has_valid_ids() -> None:
    a = identity_from_headers([], [], [], [])
    b = identity_from_headers([], [], [], [])
    for ident in (a, b):
        assert HEX32.match(ident.trace_id) and ident.trace_id != "0" * 32
        assert HEX16.match(ident.span_id) and ident.span_id != "0" * 16
        # sampled, and random-trace-id: our trace ids are 16 random bytes (secrets.token_hex)
        assert ident.parent_span_id is None and ident.trace_flags == 0x03
        assert ident.traceparent().endswith("-03")
        assert valid_id(ident.request_id) and valid_id(ident.correlation_id)
    assert a.trace_id != b.trace_id and a.request_id != b.request_id
    assert identity_from_headers([], [], [], [], sampled_default=False).trace_flags == 0x02
    assert identity_from_headers([], [], [], [], span_id="1" * 16).span_id == "1" * 16


@pytest.mark.parametrize(
    "good",
    ["a", "A-Z.a_z:0-9", "x" * 128, "4bf92f3577b34da6a3ce929d0e0e4736", "req:1.2_3-4"],
)
def test_valid_request_and_correlation_ids_are_kept(good: str) -> None:
    ident = identity_from_headers([good], [good], [], [])
    assert ident.request_id == good and ident.correlation_id == good


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "x" * 129,
        "has space",
        "semi;colon",
        "slash/no",
        "comma,no",
        "ünïcode",
        "tab\tno",
        "new\nline",
        'quote"',
        "eq=no",
        "plus+no",
        "at@no",
        "pct%20",
    ],
)
def test_invalid_request_and_correlation_ids_are_minted(bad: str) -> None:
    ident = identity_from_headers([bad], [bad], [], [])
    assert ident.request_id != bad and valid_id(ident.request_id)
    assert ident.correlation_id != bad and valid_id(ident.correlation_id)
    assert ident.request_id != ident.correlation_id


def test_duplicated_request_id_headers_are_replaced() -> None:
    ident = identity_from_headers(["a", "b"], ["c", "d"], [], [])
    assert ident.request_id not in ("a", "b") and ident.correlation_id not in ("c", "d")


def test_outbound_headers() -> None:
    ident = identity_from_headers(["req-9"], ["corr-9"], [SPEC_TP], [SPEC_TS])
    headers = outbound_headers(ident)
    version, trace_id, parent_id, flags = headers.pop("traceparent").split("-")
    assert headers == {
        "x-request-id": "req-9",
        "x-correlation-id": "corr-9",
        "tracestate": SPEC_TS,
    }
    assert (version, trace_id, flags) == ("00", TRACE_ID, "01")
    assert HEX16.match(parent_id) and parent_id != "0" * 16
    assert outbound_headers(None) == {}  # no request in context


def test_each_outbound_call_is_a_child_span_of_the_request() -> None:
    # Spec 4.3, step 4.1 (processing model, a traceparent is received): for each outgoing request
    # the parent-id "MUST be set to a value representing the ID of the current operation" -- the
    # outbound call, a child of our request's span: same trace-id and flags, a new parent-id.
    ident = identity_from_headers([], [], [SPEC_TP], [])
    calls = [outbound_headers(ident)["traceparent"].split("-") for _ in range(3)]
    assert {(v, t, f) for v, t, _, f in calls} == {("00", TRACE_ID, "01")}
    parent_ids = [p for _, _, p, _ in calls]
    assert len(set(parent_ids)) == 3  # one span id per call
    assert ident.span_id not in parent_ids  # not the request's own span id ...
    assert PARENT_ID not in parent_ids  # ... nor the caller's
    assert all(HEX16.match(p) and p != "0" * 16 for p in parent_ids)
    # the response still names the request's span
    assert ident.traceparent() == f"00-{TRACE_ID}-{ident.span_id}-01"
