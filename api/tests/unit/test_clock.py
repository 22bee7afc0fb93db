"""RFC 3339 date-times as query parameters take them: the format and nothing else (an epoch
number like `0.5` was taken as a date-time: schemathesis, ST201), in UTC."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cloudlysis_control.core.clock import rfc3339, strict_rfc3339


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("2026-12-06T10:00:00Z", "2026-12-06T10:00:00.000Z"),
        ("2026-12-06t10:00:00z", "2026-12-06T10:00:00.000Z"),
        ("2026-12-06T12:00:00.5+02:00", "2026-12-06T10:00:00.500Z"),
        ("2026-12-06T10:00:00.123456789Z", "2026-12-06T10:00:00.123Z"),
        ("2016-12-31T23:59:60Z", "2016-12-31T23:59:59.999Z"),  # a leap second
    ],
)
def test_rfc3339_date_times_are_read_in_utc(text: str, utc: str) -> None:
    assert rfc3339(strict_rfc3339(text)) == utc


@pytest.mark.parametrize(
    "text",
    [
        "0.5",
        "1733480000",
        "2026-12-06",
        "2026-12-06T10:00Z",
        "2026-12-06T10:00:00",
        "yesterday",
        "2026-13-01T00:00:00Z",
        "2026-02-30T00:00:00Z",
        " 2026-12-06T10:00:00Z",
    ],
)
def test_anything_else_is_refused(text: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the message names the value; any is fine
        strict_rfc3339(text)


def test_the_result_is_aware_and_utc() -> None:
    assert strict_rfc3339("2026-12-06T10:00:00+05:30").tzinfo == UTC
    assert strict_rfc3339("2026-12-06T10:00:00+05:30") == datetime(2026, 12, 6, 4, 30, tzinfo=UTC)
