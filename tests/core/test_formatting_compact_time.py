"""The compact date and time of narrow columns (Positions "Opened"): no seconds, no year for
this year's dates; another year's dates keep it (a December position seen in January)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from mesodesk.core.formatting import fmt_time_compact

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


@given(st.datetimes(min_value=datetime(2000, 1, 2), max_value=datetime(2098, 12, 30), timezones=st.just(UTC)))
def test_compact_time_is_the_local_minute_with_the_year_only_when_it_differs(value: datetime) -> None:
    local = value.astimezone()
    now = NOW.astimezone()
    text = fmt_time_compact(value, now=now)
    month_day_time = f"{local.month:02d}-{local.day:02d} {local.hour:02d}:{local.minute:02d}"
    expected = month_day_time if local.year == now.year else f"{local.year:04d}-{month_day_time}"
    assert text == expected
    assert len(text) == (11 if local.year == now.year else 16)


def test_examples() -> None:
    assert fmt_time_compact(datetime(2026, 11, 24, 14, 30, 59, tzinfo=UTC).astimezone(), now=NOW) == \
        datetime(2026, 11, 24, 14, 30, tzinfo=UTC).astimezone().strftime("%m-%d %H:%M")
    assert fmt_time_compact(NOW - timedelta(days=400), now=NOW).startswith("2025-")
    assert fmt_time_compact(None) == "" and fmt_time_compact("n/a") == "n/a"
