"""Cron schedules as CloudStack 4.20 reads them (DateUtil.parseSchedule: Spring's CronExpression of
``"0 " + schedule``, so a schedule has five fields: minute, hour, day of month, month, day of week).

Each field takes ``*``/``?``, numbers, names (JAN-DEC, SUN-SAT), ranges ``a-b``, steps ``*/n`` ``a/n`` ``a-b/n``
and lists ``a,b``. Day of week counts 0 or 7 as Sunday. As in Spring, a time matches when every field matches
(day of month AND day of week). Spring's ``L``, ``W`` and ``#`` day forms are not supported here (refused with
a clear text). Errors carry Spring's texts, which the API answers as 431 (an IllegalArgumentException).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
# (java.time field name, minimum, maximum, names) per field of the full six-field expression.
_FIELDS = (("SecondOfMinute", 0, 59, None), ("MinuteOfHour", 0, 59, None), ("HourOfDay", 0, 23, None),
           ("DayOfMonth", 1, 31, None), ("MonthOfYear", 1, 12, MONTHS), ("DayOfWeek", 0, 7, DAYS))
SEARCH_YEARS = 5


class CronError(ValueError):
    """A schedule Spring's CronExpression.parse refuses; the text is Spring's."""


@dataclass(frozen=True)
class Cron:
    text: str                        # the five fields as given
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]         # 0 = Sunday ... 6 = Saturday

    def matches_day(self, day: dt.date) -> bool:
        return day.month in self.months and day.day in self.days and (day.isoweekday() % 7) in self.weekdays

    def next_after(self, moment: dt.datetime) -> dt.datetime | None:
        """The first matching minute strictly after ``moment`` (an aware datetime), in ``moment``'s zone."""
        zone = moment.tzinfo
        start = (moment.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)).replace(tzinfo=None)
        day = start.date()
        for _ in range(366 * SEARCH_YEARS):
            if self.matches_day(day):
                for hour in sorted(self.hours):
                    for minute in sorted(self.minutes):
                        local = dt.datetime(day.year, day.month, day.day, hour, minute)
                        if local >= start:
                            return local.replace(tzinfo=zone)
            day += dt.timedelta(days=1)
        return None


def parse(schedule: str) -> Cron:
    expression = f"0 {schedule}"
    fields = expression.split()
    if len(fields) != 6:
        raise CronError(f'Cron expression must consist of 6 fields (found {len(fields)} in "{expression}")')
    try:
        values = [_field(text, *spec) for text, spec in zip(fields, _FIELDS)]
    except CronError as error:
        raise CronError(f'{error} in cron expression "{expression}"') from None
    weekdays = frozenset(d % 7 for d in values[5])
    return Cron(" ".join(fields[1:]), frozenset(values[1]), frozenset(values[2]), frozenset(values[3]),
                frozenset(values[4]), weekdays)


def _number(text: str, name: str, low: int, high: int, names: list[str] | None) -> int:
    upper = text.upper()
    if names and upper in names:
        return names.index(upper) + (1 if name == "MonthOfYear" else 0)
    if any(mark in upper for mark in ("L", "W", "#")) and name in ("DayOfMonth", "DayOfWeek"):
        raise CronError(f"The simulator does not support the L, W and # day forms '{text}'")
    try:
        value = int(text)
    except ValueError:
        raise CronError(f'For input string: "{text}" \'{text}\'') from None
    if not low <= value <= high:
        raise CronError(f"Invalid value for {name} (valid values {low} - {high}): {value} '{text}'")
    return value


def _field(text: str, name: str, low: int, high: int, names: list[str] | None) -> set[int]:
    out: set[int] = set()
    for part in text.split(","):
        step, stepped = 1, "/" in part
        if stepped:
            part, step_text = part.split("/", 1)
            try:
                step = int(step_text)
            except ValueError:
                raise CronError(f'For input string: "{step_text}" \'{text}\'') from None
            if step <= 0:
                raise CronError(f"Incrementer delta must be 1 or higher: {step} '{text}'")
        if part in ("*", "?"):
            first, last = low, high
        elif "-" in part:
            a, b = part.split("-", 1)
            first, last = _number(a, name, low, high, names), _number(b, name, low, high, names)
            if first > last:
                raise CronError(f"Minimum value must be less than maximum value '{text}'")
        else:
            first = _number(part, name, low, high, names)
            last = high if stepped else first
        out.update(range(first, last + 1, step))
    return out


def describe(cron: Cron) -> str:
    """A short English reading of common schedules (the default description of a VM schedule)."""
    minute, hour, day, month, weekday = cron.text.split()
    if (day, month, weekday) == ("*", "*", "*"):
        if (minute, hour) == ("*", "*"):
            return "every minute"
        if hour == "*" and minute.startswith("*/"):
            return f"every {minute[2:]} minutes"
        if hour == "*" and minute.isdigit():
            return f"at minute {minute} of every hour"
        if minute.isdigit() and hour.isdigit():
            return f"at {int(hour):02d}:{int(minute):02d} every day"
    return f"at cron schedule {cron.text}"
