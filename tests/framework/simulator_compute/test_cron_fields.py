"""The cron reader of VM schedules: Spring's field rules (names, ranges, steps, AND of day fields) and next times."""
from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from marvin2.simulator.services import cron

KOLKATA = zoneinfo.ZoneInfo("Asia/Kolkata")


@pytest.mark.parametrize(("schedule", "after", "expected"), [
    ("30 10 * * MON-FRI", dt.datetime(2026, 12, 5, 12, 0), dt.datetime(2026, 12, 7, 10, 30)),   # Sat -> Mon
    ("*/15 * * * *", dt.datetime(2026, 12, 5, 12, 7), dt.datetime(2026, 12, 5, 12, 15)),
    ("5/20 * * * *", dt.datetime(2026, 12, 5, 12, 30), dt.datetime(2026, 12, 5, 12, 45)),
    ("0 0 1 JAN *", dt.datetime(2026, 12, 5), dt.datetime(2027, 1, 1)),
    ("0 12 13 * 5", dt.datetime(2026, 1, 1), dt.datetime(2026, 2, 13, 12, 0)),           # Friday the 13th: AND
    ("0 0 * * 7", dt.datetime(2026, 12, 5, 1, 0), dt.datetime(2026, 12, 6)),             # 7 is Sunday
    ("0,30 9-10 * * *", dt.datetime(2026, 12, 5, 9, 30), dt.datetime(2026, 12, 5, 10, 0)),
])
def test_next_time(schedule, after, expected):
    found = cron.parse(schedule).next_after(after.replace(tzinfo=KOLKATA))
    assert found == expected.replace(tzinfo=KOLKATA)


def test_next_time_is_strictly_after():
    at = dt.datetime(2026, 12, 5, 10, 30, tzinfo=KOLKATA)
    assert cron.parse("30 10 * * *").next_after(at) == at + dt.timedelta(days=1)


def test_impossible_schedule_has_no_next_time():
    assert cron.parse("0 0 31 2 *").next_after(dt.datetime(2026, 1, 1, tzinfo=KOLKATA)) is None


@pytest.mark.parametrize(("schedule", "text"), [
    ("* * *", 'Cron expression must consist of 6 fields (found 4 in "0 * * *")'),
    ("a * * * *", 'For input string: "a" \'a\' in cron expression "0 a * * * *"'),
    ("* 24 * * *", "Invalid value for HourOfDay (valid values 0 - 23): 24 '24' in cron expression \"0 * 24 * * *\""),
    ("* * * 13 *", "Invalid value for MonthOfYear (valid values 1 - 12): 13 '13' in cron expression \"0 * * * 13 *\""),
    ("5-1 * * * *", "Minimum value must be less than maximum value '5-1' in cron expression \"0 5-1 * * * *\""),
    ("*/0 * * * *", "Incrementer delta must be 1 or higher: 0 '*/0' in cron expression \"0 */0 * * * *\""),
])
def test_refused_schedules(schedule, text):
    with pytest.raises(cron.CronError) as caught:
        cron.parse(schedule)
    assert str(caught.value) == text
