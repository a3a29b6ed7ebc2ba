"""VM schedules: life cycle, validation texts, and the scheduler really starting/stopping/rebooting VMs when due."""
from __future__ import annotations

import datetime as dt
import time

import pytest

from marvin2.simulator.services import vm_schedules


def _later(minutes: int, zone: dt.tzinfo = dt.timezone.utc) -> str:
    return (dt.datetime.now(zone) + dt.timedelta(minutes=minutes)).strftime("%Y-%m-%d %H:%M:%S")


def _wait_for(predicate, timeout: float = 10.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture()
def advance(monkeypatch):
    """advance(minutes): the scheduler's clock jumps ahead (the simulator thread reads vm_schedules.clock)."""
    offset = {"minutes": 0}

    def fake_clock():
        return vm_schedules.utc_now() + dt.timedelta(minutes=offset["minutes"])

    monkeypatch.setattr(vm_schedules, "clock", fake_clock)

    def _advance(minutes: int) -> None:
        offset["minutes"] += minutes

    return _advance


def test_schedule_life_cycle(user, deploy):
    vm = deploy(user)
    made = user.ok("createVMSchedule", virtualmachineid=vm["id"], schedule="30 22 * * MON-FRI",
                   timezone="Asia/Kolkata", action="stop")["vmschedule"]
    assert made["action"] == "STOP" and made["schedule"] == "30 22 * * MON-FRI" and made["timezone"] == "Asia/Kolkata"
    assert made["enabled"] is True and made["virtualmachineid"] == vm["id"]
    assert made["description"].startswith("STOP - ") and made["startdate"] and made.get("enddate") is None
    second = user.ok("createVMSchedule", virtualmachineid=vm["id"], schedule="0 8 * * *", timezone="UTC",
                     action="START", description="morning", enabled=False,
                     startdate=_later(60), enddate=_later(60 * 24 * 30))["vmschedule"]
    assert second["description"] == "morning" and second["enabled"] is False and second["enddate"]

    listed = user.items("listVMSchedule", "vmschedule", virtualmachineid=vm["id"])
    assert [s["id"] for s in listed] == [made["id"], second["id"]]
    assert [s["id"] for s in user.items("listVMSchedule", "vmschedule", virtualmachineid=vm["id"],
                                        action="START")] == [second["id"]]
    assert [s["id"] for s in user.items("listVMSchedule", "vmschedule", virtualmachineid=vm["id"],
                                        enabled=False)] == [second["id"]]
    assert user.items("listVMSchedule", "vmschedule", virtualmachineid=vm["id"], id=made["id"])[0]["id"] == made["id"]

    updated = user.ok("updateVMSchedule", id=second["id"], schedule="15 9 * * SAT", enabled=True,
                      timezone="Europe/Paris", description="weekend")["vmschedule"]
    assert (updated["schedule"], updated["enabled"], updated["timezone"], updated["description"]) == \
        ("15 9 * * SAT", True, "Europe/Paris", "weekend")
    assert user.items("listVMSchedule", "vmschedule", virtualmachineid=vm["id"], id=second["id"])[0]["schedule"] == \
        "15 9 * * SAT"

    assert user.ok("deleteVMSchedule", virtualmachineid=vm["id"], id=made["id"])["success"] is True
    assert [s["id"] for s in user.items("listVMSchedule", "vmschedule", virtualmachineid=vm["id"])] == [second["id"]]
    user.ok("deleteVMSchedule", virtualmachineid=vm["id"], ids=[second["id"]])
    assert user.items("listVMSchedule", "vmschedule", virtualmachineid=vm["id"]) == []


def test_schedule_validation_texts(user, deploy):
    vm = deploy(user)
    base = {"virtualmachineid": vm["id"], "schedule": "0 1 * * *", "timezone": "UTC", "action": "STOP"}
    assert user.error("createVMSchedule", **{**base, "action": "pause"}) == (431, "Invalid value for action: pause")
    assert user.error("createVMSchedule", **{**base, "schedule": "* * *"}) == \
        (431, 'Cron expression must consist of 6 fields (found 4 in "0 * * *")')
    assert user.error("createVMSchedule", **{**base, "schedule": "61 * * * *"}) == \
        (431, "Invalid value for MinuteOfHour (valid values 0 - 59): 61 '61' in cron expression \"0 61 * * * *\"")
    code, text = user.error("createVMSchedule", **{**base, "startdate": "2020-01-01 10:00:00"})
    assert code == 431 and text.startswith("Invalid value for start date. Start date [2020-01-01T10:00Z[UTC]] can't "
                                           "be before current time [")
    code, text = user.error("createVMSchedule", **{**base, "startdate": _later(120), "enddate": _later(60)})
    assert code == 431 and "Invalid value for end date. End date [" in text and "can't be before start date [" in text
    code, text = user.error("createVMSchedule", **{**base, "enddate": "2020-01-01 10:00:00"})
    assert code == 431 and text.startswith("Invalid value for end date. End date [2020-01-01T10:00Z[UTC]] can't be "
                                           "before current time [")
    # An unknown time zone is GMT, as Java's TimeZone.getTimeZone makes it.
    assert user.ok("createVMSchedule", **{**base, "timezone": "Mars/Olympus"})["vmschedule"]["timezone"] == "GMT"
    assert user.error("listVMSchedule", virtualmachineid=vm["id"], action="stop") == \
        (431, "Invalid value for action: stop")
    assert user.error("deleteVMSchedule", virtualmachineid=vm["id"]) == \
        (431, "Either id or ids parameter must be specified")
    assert user.error("deleteVMSchedule", virtualmachineid=vm["id"], id="8a2b0e5c-0000-4000-8000-000000000000") == \
        (530, "Failed to delete VM Schedules")
    assert user.error("updateVMSchedule", id="8a2b0e5c-0000-4000-8000-000000000000") == \
        (530, "VM schedule doesn't exist")


def test_other_accounts_cannot_touch_schedules(user, other_user, admin, deploy):
    vm = deploy(user)
    made = user.ok("createVMSchedule", virtualmachineid=vm["id"], schedule="0 1 * * *", timezone="UTC",
                   action="REBOOT")["vmschedule"]
    for command, params in (("createVMSchedule", {"virtualmachineid": vm["id"], "schedule": "0 1 * * *",
                                                  "timezone": "UTC", "action": "STOP"}),
                            ("listVMSchedule", {"virtualmachineid": vm["id"]}),
                            ("updateVMSchedule", {"id": made["id"], "enabled": False}),
                            ("deleteVMSchedule", {"virtualmachineid": vm["id"], "id": made["id"]})):
        code, _ = other_user.error(command, **params)
        assert code == 531, command
    assert [s["id"] for s in admin.items("listVMSchedule", "vmschedule", virtualmachineid=vm["id"])] == [made["id"]]


def test_scheduler_stops_and_starts_the_vm_when_due(user, deploy, advance):
    vm = deploy(user)
    stop = user.ok("createVMSchedule", virtualmachineid=vm["id"], schedule="* * * * *", timezone="UTC",
                   action="STOP")["vmschedule"]
    # Not due yet: the start date is a minute from now.
    time.sleep(1.5)
    assert user.items("listVirtualMachines", "virtualmachine", id=vm["id"])[0]["state"] == "Running"
    advance(3)
    _wait_for(lambda: user.items("listVirtualMachines", "virtualmachine", id=vm["id"])[0]["state"] == "Stopped",
              what="the scheduled stop")
    user.ok("updateVMSchedule", id=stop["id"], enabled=False)
    user.ok("createVMSchedule", virtualmachineid=vm["id"], schedule="* * * * *", timezone="Asia/Tokyo",
            action="START")
    advance(3)
    _wait_for(lambda: user.items("listVirtualMachines", "virtualmachine", id=vm["id"])[0]["state"] == "Running",
              what="the scheduled start")
    events = {e["type"] for e in user.items("listEvents", "event")}
    assert {"VM.SCHEDULE.STOP", "VM.SCHEDULE.START"} <= events


def test_schedule_past_its_end_is_disabled(user, deploy, advance):
    vm = deploy(user)
    made = user.ok("createVMSchedule", virtualmachineid=vm["id"], schedule="0 3 * * *", timezone="UTC",
                   action="STOP", enddate=_later(10))["vmschedule"]
    assert made["enabled"] is True
    advance(60 * 24)
    _wait_for(lambda: not user.items("listVMSchedule", "vmschedule", virtualmachineid=vm["id"],
                                     id=made["id"])[0]["enabled"], what="the schedule to be disabled")
    assert user.items("listVirtualMachines", "virtualmachine", id=vm["id"])[0]["state"] == "Running"


def test_schedules_go_with_an_expunged_vm(user, admin, deploy):
    vm = deploy(user)
    user.ok("createVMSchedule", virtualmachineid=vm["id"], schedule="0 3 * * *", timezone="UTC", action="STOP")
    admin.run("destroyVirtualMachine", id=vm["id"], expunge=True)
    keeper = deploy(user)
    user.ok("listVMSchedule", virtualmachineid=keeper["id"])
    code, _ = user.error("listVMSchedule", virtualmachineid=vm["id"])
    assert code == 431
