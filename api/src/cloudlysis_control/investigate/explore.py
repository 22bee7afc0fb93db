"""Grafana Explore deep links (Grafana 11.6 URL format). Pure functions, no I/O.

Grafana 11 encodes Explore state as ``/explore?schemaVersion=1&panes=<json>&orgId=<n>`` where
``panes`` is a JSON object keyed by a pane id (Grafana generates a short random one; any string
works)::

    {"<paneId>": {"datasource": "<ds uid>",
                  "queries": [{"refId": "A", "datasource": {"type": "loki", "uid": "<uid>"}, ...}],
                  "range": {"from": "now-1h", "to": "now"}}}

This is what Grafana's own ``getExploreUrl`` (public/app/core/utils/explore.ts) renders with
``urlUtil.renderUrl('/explore', {panes, schemaVersion: 1})``; Grafana reads the parameters by
name, so their order does not matter. Relative times stay as written (``now-1h``); absolute
times are epoch milliseconds as strings, as Grafana's ``toURLRange`` produces.

Ids are validated by callers; everything is still escaped here: values are embedded in LogQL as
double-quoted strings (backslash, quote and control characters escaped) and the whole JSON is
percent-encoded.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlencode

DEFAULT_PANE_ID = "cl"
DEFAULT_LOKI_STREAM_SELECTOR = '{service=~".+"}'

_LOGQL_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def logql_string(value: str) -> str:
    """Quote ``value`` as a LogQL (Go-syntax) double-quoted string literal."""
    out = []
    for ch in value:
        if ch in _LOGQL_ESCAPES:
            out.append(_LOGQL_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def loki_query_for_ids(
    *,
    correlation_id: str | None = None,
    request_id: str | None = None,
    trace_id: str | None = None,
    service: str | None = None,
) -> str:
    """LogQL selecting the log lines of one request/correlation/trace.

    The ids are Loki *structured metadata* (see loki/alloy/config.alloy), not stream labels, so
    they are filtered with label filter expressions after a broad stream selector.
    """
    filters = [
        (name, value)
        for name, value in (
            ("correlation_id", correlation_id),
            ("request_id", request_id),
            ("trace_id", trace_id),
        )
        if value is not None
    ]
    if not filters:
        raise ValueError("at least one of correlation_id, request_id or trace_id is required")
    for name, value in filters:
        if value == "":
            raise ValueError(f"{name} must not be empty")
    selector = (
        "{service=" + logql_string(service) + "}" if service else DEFAULT_LOKI_STREAM_SELECTOR
    )
    return selector + "".join(f" | {name}={logql_string(value)}" for name, value in filters)


def explore_url(
    base_url: str,
    datasource_uid: str,
    queries: list[dict[str, Any]],
    *,
    from_: str = "now-1h",
    to: str = "now",
    org_id: int = 1,
    pane_id: str = DEFAULT_PANE_ID,
) -> str:
    """Generic Grafana 11 Explore URL for one pane."""
    if not datasource_uid:
        raise ValueError("datasource uid must not be empty")
    if not queries:
        raise ValueError("at least one query is required")
    if not isinstance(org_id, int) or isinstance(org_id, bool) or org_id < 1:
        raise ValueError("org_id must be a positive integer")
    panes = {
        pane_id: {
            "datasource": datasource_uid,
            "queries": queries,
            "range": {"from": from_, "to": to},
        }
    }
    params = urlencode(
        [
            ("schemaVersion", "1"),
            ("panes", json.dumps(panes, separators=(",", ":"), ensure_ascii=False)),
            ("orgId", str(org_id)),
        ],
        quote_via=quote,
        safe="",
    )
    return f"{base_url.rstrip('/')}/explore?{params}"


def loki_explore_url(
    base_url: str,
    loki_uid: str,
    *,
    correlation_id: str | None,
    request_id: str | None = None,
    trace_id: str | None = None,
    service: str | None = None,
    from_: str = "now-1h",
    to: str = "now",
    org_id: int = 1,
) -> str:
    """Explore URL showing the Loki logs of a correlation id and/or request id."""
    expr = loki_query_for_ids(
        correlation_id=correlation_id, request_id=request_id, trace_id=trace_id, service=service
    )
    query = {
        "refId": "A",
        "datasource": {"type": "loki", "uid": loki_uid},
        "expr": expr,
        "queryType": "range",
        "editorMode": "code",
    }
    return explore_url(base_url, loki_uid, [query], from_=from_, to=to, org_id=org_id)


def explore_home_urls(base_url: str, loki_uid: str, tempo_uid: str) -> tuple[str, str]:
    """Explore opened on every service's logs (Loki) and on a trace search (Tempo)."""
    logs = {
        "refId": "A",
        "datasource": {"type": "loki", "uid": loki_uid},
        "expr": DEFAULT_LOKI_STREAM_SELECTOR,
        "queryType": "range",
        "editorMode": "code",
    }
    search = {
        "refId": "A",
        "datasource": {"type": "tempo", "uid": tempo_uid},
        "queryType": "traceqlSearch",
        "limit": 20,
        "tableType": "traces",
        "filters": [],
    }
    return explore_url(base_url, loki_uid, [logs]), explore_url(base_url, tempo_uid, [search])


def tempo_explore_url(
    base_url: str,
    tempo_uid: str,
    trace_id: str,
    *,
    from_: str = "now-1h",
    to: str = "now",
    org_id: int = 1,
) -> str:
    """Explore URL opening one trace in Tempo (a TraceQL query that is a trace id)."""
    if not trace_id:
        raise ValueError("trace_id must not be empty")
    query = {
        "refId": "A",
        "datasource": {"type": "tempo", "uid": tempo_uid},
        "queryType": "traceql",
        "query": trace_id,
        "limit": 20,
        "tableType": "traces",
    }
    return explore_url(base_url, tempo_uid, [query], from_=from_, to=to, org_id=org_id)
