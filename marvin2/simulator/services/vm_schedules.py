"""VM schedules (4.19+): cron schedules that start, stop or reboot a user VM when due. The rules of
CloudStack 4.20's VMScheduleManagerImpl and VMSchedulerImpl.

A ``vmschedule`` row keeps the VM, ``schedule`` (five cron fields), ``timezone`` (the Java time-zone id; an
unknown name becomes GMT, as ``TimeZone.getTimeZone`` makes it), ``action`` (START, STOP, REBOOT, FORCE_STOP,
FORCE_REBOOT), ``startdate``/``enddate`` (UTC, ISO), ``enabled`` and ``nextrun`` (UTC, ISO; absent while
disabled). Dates given as ``yyyy-MM-dd HH:mm:ss`` are wall-clock times in the schedule's zone; the start
defaults to one minute from now and neither date may lie in the past, nor the end before the start.

The scheduler (``vm_scheduler``) runs what is due: a STOP/FORCE_STOP/REBOOT/FORCE_REBOOT of a Running VM or a
START of a Stopped one becomes an ordinary async job of stopVirtualMachine/rebootVirtualMachine/
startVirtualMachine in the VM owner's name; other states skip the run. A schedule past its end date is disabled.
"""
from __future__ import annotations

import datetime as dt
import re
import zoneinfo

from marvin2.simulator import errors
from marvin2.simulator.services import cron

KIND = "vmschedule"
RUN_KIND = "vmscheduledjob"
ACTIONS = ("START", "STOP", "REBOOT", "FORCE_STOP", "FORCE_REBOOT")
EVENT_TYPES = {"START": "VM.SCHEDULE.START", "STOP": "VM.SCHEDULE.STOP", "REBOOT": "VM.SCHEDULE.REBOOT",
               "FORCE_STOP": "VM.SCHEDULE.FORCE.STOP", "FORCE_REBOOT": "VM.SCHEDULE.FORCE.REBOOT"}
_GMT_OFFSET = re.compile(r"^GMT([+-])(\d{1,2})(?::?(\d{2}))?$")


def utc_now() -> dt.datetime:
    """The scheduler's clock (a function so that tests can move time forward)."""
    return dt.datetime.now(dt.timezone.utc)


clock = utc_now


# --- time zones and dates -----------------------------------------------------------------------------


def resolve_zone(name: str) -> tuple[str, dt.tzinfo]:
    """(Java time-zone id, tzinfo): a region id as is, ``GMT+hh:mm`` normalised, anything else GMT."""
    match = _GMT_OFFSET.match(name or "")
    if match:
        sign, hours, minutes = match.group(1), int(match.group(2)), int(match.group(3) or 0)
        if hours <= 23 and minutes <= 59:
            offset = dt.timedelta(hours=hours, minutes=minutes) * (1 if sign == "+" else -1)
            return f"GMT{sign}{hours:02d}:{minutes:02d}", dt.timezone(offset)
    if name and not name.startswith("GMT+") and not name.startswith("GMT-"):
        try:
            return name, zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
            pass
    return "GMT", dt.timezone.utc


def zone_of(row: dict) -> dt.tzinfo:
    return resolve_zone(row["timezone"])[1]


def parse_wall_clock(text: str, zone: dt.tzinfo, param: str) -> dt.datetime:
    """A ``date`` parameter (``yyyy-MM-dd HH:mm:ss`` or ``yyyy-MM-dd``) as a wall-clock time in ``zone``."""
    cleaned = text.strip()
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(cleaned, fmt).replace(tzinfo=zone)
        except ValueError:
            continue
    raise errors.invalid_value(f"Unable to parse date {text} for command {param}: Unparseable date")


def java_zoned_text(moment: dt.datetime, zone_id: str) -> str:
    """How Java's ZonedDateTime.toString() prints a moment (``2026-12-06T10:00+05:30[Asia/Kolkata]``)."""
    text = moment.strftime("%Y-%m-%dT%H:%M")
    if moment.second or moment.microsecond:
        text += moment.strftime(":%S")
        if moment.microsecond:
            text += f".{moment.microsecond // 1000:03d}"
    offset = moment.utcoffset() or dt.timedelta(0)
    if offset == dt.timedelta(0):
        text += "Z"
    else:
        total = int(offset.total_seconds())
        sign = "+" if total >= 0 else "-"
        text += f"{sign}{abs(total) // 3600:02d}:{abs(total) % 3600 // 60:02d}"
    return text + ("" if zone_id.startswith(("GMT+", "GMT-")) else f"[{zone_id}]")


def validate_dates(start: dt.datetime, end: dt.datetime | None, zone_id: str, zone: dt.tzinfo) -> None:
    now = clock().astimezone(zone)
    start, end = start.astimezone(zone), end.astimezone(zone) if end else None
    if start < now:
        raise errors.invalid_value(f"Invalid value for start date. Start date [{java_zoned_text(start, zone_id)}] can't "
                                   f"be before current time [{java_zoned_text(now, zone_id)}].")
    if end is not None:
        if end < now:
            raise errors.invalid_value(f"Invalid value for end date. End date [{java_zoned_text(end, zone_id)}] can't "
                                       f"be before current time [{java_zoned_text(now, zone_id)}].")
        if end < start:
            raise errors.invalid_value(f"Invalid value for end date. End date [{java_zoned_text(end, zone_id)}] can't "
                                       f"be before start date [{java_zoned_text(start, zone_id)}].")


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(dt.timezone.utc).isoformat() if moment else None


def from_iso(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


def parse_cron(schedule: str) -> cron.Cron:
    try:
        return cron.parse(schedule)
    except cron.CronError as error:
        raise errors.invalid_value(str(error)) from None


# --- life cycle ---------------------------------------------------------------------------------------------


def next_run(row: dict, after: dt.datetime) -> dt.datetime | None:
    """scheduleNextJob: the first cron time after ``after`` (or after the start date when that is later)."""
    zone = zone_of(row)
    start = from_iso(row["startdate"])
    base = max(after, start) if start else after
    found = parse_cron(row["schedule"]).next_after(base.astimezone(zone))
    return found.astimezone(dt.timezone.utc) if found else None


def reschedule(store, row: dict, after: dt.datetime) -> dict:
    """Plan the next run (nothing while disabled); past its end date (or without a next time) it is disabled."""
    if not row.get("enabled"):
        return store.update(KIND, row["id"], nextrun=None)
    end = from_iso(row.get("enddate"))
    if end is not None and after > end:
        return store.update(KIND, row["id"], enabled=False, nextrun=None)
    upcoming = next_run(row, after)
    if upcoming is None:
        return store.update(KIND, row["id"], enabled=False, nextrun=None)
    return store.update(KIND, row["id"], nextrun=_iso(upcoming))


def create(store, vm: dict, *, schedule: str, timezone: str, action: str, description: str | None,
           start_text: str | None, end_text: str | None, enabled: bool) -> dict:
    upper = action.upper()
    if upper not in ACTIONS:
        raise errors.invalid_value(f"Invalid value for action: {action}")
    zone_id, zone = resolve_zone(timezone)
    now = clock()
    start = parse_wall_clock(start_text, zone, "startdate") if start_text else now + dt.timedelta(minutes=1)
    end = parse_wall_clock(end_text, zone, "enddate") if end_text else None
    parsed = parse_cron(schedule)
    validate_dates(start, end, zone_id, zone)
    if not description or not description.strip():
        description = f"{upper} - {cron.describe(parsed)}"
    row = store.insert(KIND, {"virtualmachineid": vm["id"], "description": description, "schedule": parsed.text,
                              "timezone": zone_id, "action": upper, "startdate": _iso(start), "enddate": _iso(end),
                              "enabled": bool(enabled), "accountid": vm.get("accountid"), "domainid": vm.get("domainid")})
    return reschedule(store, row, now)


def update(store, row: dict, *, schedule: str | None, timezone: str | None, description: str | None,
           start_text: str | None, end_text: str | None, enabled: bool | None) -> dict:
    parsed = parse_cron(schedule) if schedule is not None else parse_cron(row["schedule"])
    now = clock()
    if timezone is not None:
        zone_id, zone = resolve_zone(timezone)
    else:
        zone_id, zone = row["timezone"], zone_of(row)
    original_start, original_end = from_iso(row["startdate"]), from_iso(row.get("enddate"))
    # As in 4.20: a start date already (nearly) past moves to one minute from now.
    start = max(original_start, now + dt.timedelta(minutes=1))
    end = original_end
    if end_text is not None:
        end = parse_wall_clock(end_text, zone, "enddate")
    if start_text is not None:
        start = parse_wall_clock(start_text, zone, "startdate")
    if any(v is not None for v in (start_text, end_text, timezone)) and \
            (zone_id != row["timezone"] or start != original_start or end != original_end):
        validate_dates(start, end, zone_id, zone)
    changes: dict = {"schedule": parsed.text, "timezone": zone_id}
    if enabled is not None:
        changes["enabled"] = bool(enabled)
    if description is not None:
        changes["description"] = description
    elif not row.get("description"):
        changes["description"] = f"{row['action']} - {cron.describe(parsed)}"
    if end_text is not None:
        changes["enddate"] = _iso(end)
    if start_text is not None:
        changes["startdate"] = _iso(start)
    row = store.update(KIND, row["id"], **changes)
    return reschedule(store, row, now)


def forget_orphans(store) -> None:
    """Schedules of expunged VMs go with them (4.20 removes them when the VM is expunged)."""
    for row in store.find(KIND):
        vm = store.get("virtualmachine", row["virtualmachineid"])
        if vm is None or vm.get("removed"):
            store.delete(KIND, row["id"])


def delete(store, vm: dict, ids: list[str]) -> int:
    removed = 0
    for schedule_id in ids:
        row = store.get(KIND, schedule_id)
        if row is not None and row["virtualmachineid"] == vm["id"]:
            store.delete(KIND, schedule_id)
            removed += 1
    return removed


def due(store, now: dt.datetime) -> list[dict]:
    """Enabled schedules whose next run has come, oldest first; one per VM (the others are skipped, as 4.20
    runs a single scheduled job per VM at a time)."""
    chosen: dict[str, dict] = {}
    skipped = []
    rows = []
    for row in store.find(KIND, enabled=True):
        if not row.get("nextrun") or from_iso(row["nextrun"]) > now:
            continue
        end = from_iso(row.get("enddate"))
        if end is not None and from_iso(row["nextrun"]) > end:
            reschedule(store, row, now)           # a run planned past the end date never happens
            continue
        rows.append(row)
    rows.sort(key=lambda r: r["nextrun"])
    for row in rows:
        if row["virtualmachineid"] in chosen:
            skipped.append(row)
        else:
            chosen[row["virtualmachineid"]] = row
    for row in skipped:
        reschedule(store, row, now)
    return list(chosen.values())


def command_for(action: str, vm_state: str) -> tuple[str, dict] | None:
    """processJob: the API a due action becomes for a VM in this state (None: skipped)."""
    if vm_state == "Running":
        return {"STOP": ("stopVirtualMachine", {}), "FORCE_STOP": ("stopVirtualMachine", {"forced": "true"}),
                "REBOOT": ("rebootVirtualMachine", {}),
                "FORCE_REBOOT": ("rebootVirtualMachine", {"forced": "true"})}.get(action)
    if vm_state == "Stopped" and action == "START":
        return "startVirtualMachine", {}
    return None
