from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudlysis_control.core.bodies import MAX_JSON_DEPTH, json_depth_exceeds


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def real_depth(value: object) -> int:
    if isinstance(value, list):
        return 1 + max((real_depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((real_depth(v) for v in value.values()), default=0)
    return 0


def test_the_limit_itself_is_allowed_one_more_is_not() -> None:
    assert not json_depth_exceeds(nested(MAX_JSON_DEPTH))
    assert json_depth_exceeds(nested(MAX_JSON_DEPTH + 1))
    assert json_depth_exceeds(nested(100_000))


def test_many_siblings_are_not_depth() -> None:
    body = json.dumps([{"a": [1]} for _ in range(5000)]).encode()
    assert not json_depth_exceeds(body)


@pytest.mark.parametrize(
    "body",
    [
        json.dumps({"s": "[" * 500}).encode(),
        json.dumps({"s": '\\"' + "{" * 500}).encode(),
        b'{"s": "\\\\", "t": "' + b"[" * 500 + b'"}',
    ],
)
def test_brackets_in_strings_do_not_count(body: bytes) -> None:
    assert not json_depth_exceeds(body)


def test_an_escaped_quote_does_not_end_a_string() -> None:
    # If \" ended the string, the brackets after it would count and exceed the limit.
    body = b'["\\"' + b"[" * 100 + b'"]'
    assert not json_depth_exceeds(body)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\ab'),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.text(alphabet='[]{}"\\ab', max_size=3), children, max_size=3)
    ),
    max_leaves=40,
)


@given(json_values, st.integers(min_value=0, max_value=8))
def test_agrees_with_the_decoded_depth(value: object, limit: int) -> None:
    body = json.dumps(value).encode()
    assert json_depth_exceeds(body, limit) == (real_depth(value) > limit)


def test_a_document_sent_as_one_json_string_is_skipped_whole() -> None:
    inner = json.dumps({"o": [{"t": f"t{i}", "e": [[[]]]} for i in range(200)]})
    assert not json_depth_exceeds(json.dumps({"document": inner}).encode())
    escaped = b'{"document": "\\\\", "x": ' + b"[" * 70 + b"]" * 70 + b"}"
    assert json_depth_exceeds(escaped)
