"""/metrics parsing for the fleet snapshot: build info and the selected metrics only."""

from __future__ import annotations

import pytest

from cloudlysis_control.adapters.probe import parse_exposition, select_families

EXPOSITION = """\
# HELP runner_build_info Build of the running service; always 1.
# TYPE runner_build_info gauge
runner_build_info{git_sha="abc1234",service="runner",version="1.5.0"} 1.0
# HELP runner_http_requests_total HTTP requests handled, by route template.
# TYPE runner_http_requests_total counter
runner_http_requests_total{method="GET",route="/health",status="200"} 7.0
runner_http_requests_created{method="GET",route="/health",status="200"} 1.7e9
runner_http_requests_total{method="GET",route="/ready",status="503"} 2.0
# HELP runner_http_request_duration_seconds latency
# TYPE runner_http_request_duration_seconds histogram
runner_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/health"} 7.0
runner_http_request_duration_seconds_count{method="GET",route="/health"} 7.0
# TYPE runner_tenant_jobs_inflight gauge
runner_tenant_jobs_inflight{tenant="acme"} 3.0
runner_tenant_jobs_inflight{tenant="__other__"} 4.0
# TYPE runner_queue_depth gauge
runner_queue_depth{queue="default"} 12.0
runner_queue_depth{queue="bulk"} 1.0
# TYPE projection_lag_seconds gauge
projection_lag_seconds{projection="a"} 2.5
projection_lag_seconds{projection="b"} 4.0
# TYPE something_unrelated gauge
something_unrelated{x="y"} 1
"""


def test_build_info_and_selected_metrics() -> None:
    (name, version, sha), selected = parse_exposition(EXPOSITION)
    assert (name, version, sha) == ("runner_build_info", "1.5.0", "abc1234")
    assert selected == {
        "http_requests_total": 9.0,
        "tenant_inflight": 7.0,
        "queue_depth": 13.0,
        "lag_seconds": 4.0,
    }


def test_only_selected_families_reach_the_parser() -> None:
    kept = select_families(EXPOSITION)
    assert "duration_seconds" not in kept and "something_unrelated" not in kept
    assert "_created" not in kept and "runner_build_info{" in kept


def test_garbage_in_a_selected_family_is_an_error() -> None:
    with pytest.raises(ValueError, match=r".+"):
        parse_exposition("runner_queue_depth{queue=default} twelve\n")
