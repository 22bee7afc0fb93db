"""Grafana 11.6 Explore URL builders: parse the URL back and check the pane structure."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from cloudlysis_control.investigate.explore import (
    explore_url,
    logql_string,
    loki_explore_url,
    loki_query_for_ids,
    tempo_explore_url,
)

BASE = "https://grafana.example.com"


def _parse(url: str) -> tuple[str, dict[str, list[str]], dict[str, Any]]:
    parts = urlsplit(url)
    # Grafana reads the query string with URLSearchParams: every parameter exactly once.
    params = parse_qs(parts.query, keep_blank_values=True, strict_parsing=True)
    panes = json.loads(params["panes"][0])
    return parts.scheme + "://" + parts.netloc + parts.path, params, panes


def _only_pane(panes: dict[str, Any]) -> dict[str, Any]:
    assert len(panes) == 1
    return next(iter(panes.values()))


def test_loki_url_by_correlation_id_has_grafana_11_shape() -> None:
    url = loki_explore_url(BASE, "loki", correlation_id="c-123")
    path, params, panes = _parse(url)
    assert path == f"{BASE}/explore"
    assert params["schemaVersion"] == ["1"]
    assert params["orgId"] == ["1"]
    assert set(params) == {"schemaVersion", "panes", "orgId"}
    pane = _only_pane(panes)
    assert pane["datasource"] == "loki"
    assert pane["range"] == {"from": "now-1h", "to": "now"}
    (query,) = pane["queries"]
    assert query["refId"] == "A"
    assert query["datasource"] == {"type": "loki", "uid": "loki"}
    assert query["expr"] == '{service=~".+"} | correlation_id="c-123"'
    assert query["queryType"] == "range"
    assert query["editorMode"] == "code"


def test_loki_url_query_string_order_and_encoding() -> None:
    url = loki_explore_url(BASE + "/", "loki", correlation_id="c-1")
    assert url.startswith(f"{BASE}/explore?schemaVersion=1&panes=%7B")
    assert url.endswith("&orgId=1")
    query = urlsplit(url).query
    # Everything in the pane JSON is percent-encoded: no raw braces, quotes, spaces or pipes.
    panes_value = query.split("&")[1].removeprefix("panes=")
    for ch in '{}" |=&#+':
        assert ch not in panes_value


def test_loki_url_by_request_id_and_both_ids() -> None:
    _, _, panes = _parse(loki_explore_url(BASE, "loki", correlation_id=None, request_id="r-9"))
    assert _only_pane(panes)["queries"][0]["expr"] == '{service=~".+"} | request_id="r-9"'
    _, _, panes = _parse(loki_explore_url(BASE, "logs-uid", correlation_id="c", request_id="r"))
    pane = _only_pane(panes)
    assert pane["datasource"] == "logs-uid"
    assert pane["queries"][0]["datasource"]["uid"] == "logs-uid"
    assert pane["queries"][0]["expr"] == '{service=~".+"} | correlation_id="c" | request_id="r"'


def test_loki_url_custom_range_org_and_service() -> None:
    url = loki_explore_url(
        BASE,
        "loki",
        correlation_id="c",
        service="gateway",
        from_="1700000000000",
        to="1700000600000",
        org_id=7,
    )
    _, params, panes = _parse(url)
    assert params["orgId"] == ["7"]
    pane = _only_pane(panes)
    assert pane["range"] == {"from": "1700000000000", "to": "1700000600000"}
    assert pane["queries"][0]["expr"] == '{service="gateway"} | correlation_id="c"'


@pytest.mark.parametrize(
    ("raw", "logql"),
    [
        ('a"b', '"a\\"b"'),
        ("a\\b", '"a\\\\b"'),
        ("line\nbreak\ttab\r", '"line\\nbreak\\ttab\\r"'),
        ("\x01", '"\\u0001"'),
        ("`} | drop", '"`} | drop"'),
        ("ünï", '"ünï"'),
    ],
)
def test_logql_string_escaping(raw: str, logql: str) -> None:
    assert logql_string(raw) == logql


def test_hostile_id_survives_the_round_trip_escaped() -> None:
    hostile = 'x"} |= "" or {job=~".+'
    _, _, panes = _parse(loki_explore_url(BASE, "loki", correlation_id=hostile + "&orgId=2#frag"))
    expr = _only_pane(panes)["queries"][0]["expr"]
    prefix = '{service=~".+"} | correlation_id='
    assert expr.startswith(prefix)
    literal = expr[len(prefix) :]
    # The literal is one closed string: an unescaped quote only at both ends.
    assert literal[0] == '"'
    assert literal[-1] == '"'
    body = literal[1:-1]
    assert body.replace('\\"', "").count('"') == 0
    assert json.loads(literal) == hostile + "&orgId=2#frag"
    url = loki_explore_url(BASE, "loki", correlation_id=hostile + "&orgId=2#frag")
    _, params, _ = _parse(url)
    assert params["orgId"] == ["1"]
    assert urlsplit(url).fragment == ""


def test_loki_requires_an_id() -> None:
    with pytest.raises(ValueError, match="at least one"):
        loki_explore_url(BASE, "loki", correlation_id=None)
    with pytest.raises(ValueError, match="empty"):
        loki_query_for_ids(correlation_id="")


def test_tempo_url_by_trace_id() -> None:
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    url = tempo_explore_url(BASE, "tempo", trace_id)
    path, params, panes = _parse(url)
    assert path == f"{BASE}/explore"
    assert params["schemaVersion"] == ["1"]
    assert params["orgId"] == ["1"]
    pane = _only_pane(panes)
    assert pane["datasource"] == "tempo"
    assert pane["range"] == {"from": "now-1h", "to": "now"}
    (query,) = pane["queries"]
    assert query == {
        "refId": "A",
        "datasource": {"type": "tempo", "uid": "tempo"},
        "queryType": "traceql",
        "query": trace_id,
        "limit": 20,
        "tableType": "traces",
    }


def test_tempo_requires_trace_id_and_valid_org() -> None:
    with pytest.raises(ValueError, match="trace_id"):
        tempo_explore_url(BASE, "tempo", "")
    with pytest.raises(ValueError, match="org_id"):
        tempo_explore_url(BASE, "tempo", "abc", org_id=0)


def test_generic_explore_url_validates_inputs() -> None:
    with pytest.raises(ValueError, match="datasource uid"):
        explore_url(BASE, "", [{"refId": "A"}])
    with pytest.raises(ValueError, match="at least one query"):
        explore_url(BASE, "x", [])


def test_base_url_with_sub_path_is_kept() -> None:
    url = tempo_explore_url("https://ops.example.com/grafana/", "tempo", "abc")
    assert url.startswith("https://ops.example.com/grafana/explore?schemaVersion=1&panes=")


def test_tempo_url_golden() -> None:
    """Exact string, so any change of the format is a deliberate, reviewed one."""
    assert tempo_explore_url(
        "http://localhost:3000", "tempo", "4bf92f3577b34da6a3ce929d0e0e4736"
    ) == (
        "http://localhost:3000/explore?schemaVersion=1&panes="
        "%7B%22cl%22%3A%7B%22datasource%22%3A%22tempo%22%2C%22queries%22%3A%5B%7B%22refId%22"
        "%3A%22A%22%2C%22datasource%22%3A%7B%22type%22%3A%22tempo%22%2C%22uid%22%3A%22tempo"
        "%22%7D%2C%22queryType%22%3A%22traceql%22%2C%22query%22%3A%224bf92f3577b34da6a3ce929d0"
        "e0e4736%22%2C%22limit%22%3A20%2C%22tableType%22%3A%22traces%22%7D%5D%2C%22range%22"
        "%3A%7B%22from%22%3A%22now-1h%22%2C%22to%22%3A%22now%22%7D%7D%7D&orgId=1"
    )
