"""Alerts (generate, list, archive, delete, types) and event housekeeping (archive, delete, types)."""
from __future__ import annotations

import datetime as dt

from compute_client import unique

_UTC_TODAY = dt.datetime.now(dt.timezone.utc).date()       # the server stamps events and alerts in UTC
TODAY = _UTC_TODAY.isoformat()
YESTERDAY = (_UTC_TODAY - dt.timedelta(days=1)).isoformat()


def _alert(admin, name=None, alert_type=101, **params) -> dict:
    name = name or unique("ALERT.TEST")
    admin.run("generateAlert", type=alert_type, name=name, description=f"about {name}", **params)
    return {a["name"]: a for a in admin.items("listAlerts", "alert", name=name)}[name]


def test_list_alert_types_gives_the_default_types(admin):
    types = {t["name"]: t["alerttypeid"] for t in admin.items("listAlertTypes", "alerttype")}
    assert types["ALERT.MEMORY"] == 0 and types["ALERT.COMPUTE.HOST"] == 7 and types["ALERT.HA.ACTION"] == 30
    assert len(types) >= 35


def test_generate_list_archive_delete_alerts(admin, catalog):
    first = _alert(admin, zoneid=catalog["zone"]["id"])
    second = _alert(admin)
    assert first["type"] == 101 and first["description"].startswith("about ") and first["sent"]
    listed = [a["id"] for a in admin.items("listAlerts", "alert", type=101)]
    assert listed.index(second["id"]) < listed.index(first["id"])          # newest first

    assert admin.ok("archiveAlerts", ids=first["id"])["success"] is True
    assert first["id"] not in [a["id"] for a in admin.items("listAlerts", "alert")]
    code, text = admin.error("archiveAlerts", ids=first["id"])                 # already archived: not found
    assert (code, text) == (530, "Unable to archive Alerts, one or more parameters has invalid values")

    assert admin.ok("deleteAlerts", ids=second["id"])["success"] is True
    code, text = admin.error("listAlerts", id=second["id"])                    # a deleted alert is gone
    assert code == 431 and f"Invalid parameter id value={second['id']}" in text
    code, text = admin.error("deleteAlerts", ids=second["id"])
    assert (code, text) == (530, "Unable to delete Alerts, one or more parameters has invalid values")


def test_archive_alerts_by_type_and_days(admin):
    kept = _alert(admin, alert_type=202)
    gone = _alert(admin, alert_type=203)
    admin.ok("archiveAlerts", type=203, startdate=YESTERDAY, enddate=TODAY)
    ids = {a["id"] for a in admin.items("listAlerts", "alert")}
    assert kept["id"] in ids and gone["id"] not in ids
    admin.ok("deleteAlerts", enddate=YESTERDAY)                                # nothing that old: nothing goes
    assert kept["id"] in {a["id"] for a in admin.items("listAlerts", "alert")}


def test_alert_errors(admin, user):
    code, text = admin.error("archiveAlerts")
    assert (code, text) == (431, "either ids, type, startdate or enddate must be specified")
    code, text = admin.error("deleteAlerts", startdate=TODAY, type=1)
    assert (code, text) == (431, "enddate must be specified with startdate parameter")
    code, text = admin.error("generateAlert", type=7, name="MY.HOST", description="x")
    assert (code, text) == (431, "There is a default alert having type 7 and name ALERT.COMPUTE.HOST")
    code, text = admin.error("generateAlert", type=300, name="X")
    assert code == 431 and "missing parameter description" in text
    for command in ("listAlerts", "archiveAlerts", "generateAlert"):
        code, text = user.error(command, type=1, name="x", description="y")
        assert code == 432, (command, text)


def test_event_types_are_the_java_constants(user):
    names = [t["name"] for t in user.items("listEventTypes", "eventtype")]
    assert "VM.CREATE" in names and "ALERT.GENERATE" in names and len(names) >= 400


def test_archive_and_delete_own_events(user, deploy):
    vm = deploy(user)
    created = [e for e in user.items("listEvents", "event", type="VM.CREATE") if e.get("resourceid") == vm["id"]]
    assert len(created) == 1
    event = created[0]
    assert user.ok("archiveEvents", ids=event["id"])["success"] is True
    assert event["id"] not in [e["id"] for e in user.items("listEvents", "event", type="VM.CREATE")]
    assert user.items("listEvents", "event", id=event["id"]) == []
    code, text = user.error("archiveEvents", ids=event["id"])
    assert (code, text) == (530, "Unable to archive Events, one or more parameters has invalid values")

    others = user.items("listEvents", "event")
    assert others
    assert user.ok("deleteEvents", type=others[0]["type"], enddate=TODAY)["success"] is True
    assert others[0]["type"] not in {e["type"] for e in user.items("listEvents", "event")}


def test_events_of_another_account_are_out_of_reach(user, other_user, admin, deploy):
    vm = deploy(other_user)
    theirs = next(e for e in other_user.items("listEvents", "event") if e.get("resourceid") == vm["id"])
    code, text = user.error("deleteEvents", ids=theirs["id"])
    assert (code, text) == (530, "Unable to delete Events, one or more parameters has invalid values")
    user.ok("archiveEvents", type=theirs["type"], enddate=TODAY)              # only the caller's own go
    assert theirs["id"] in [e["id"] for e in other_user.items("listEvents", "event")]
    admin.ok("deleteEvents", ids=theirs["id"])                                  # the root admin reaches it
    assert theirs["id"] not in [e["id"] for e in other_user.items("listEvents", "event")]


def test_event_selection_errors(user):
    code, text = user.error("archiveEvents")
    assert (code, text) == (431, "either ids, type or enddate must be specified")
    code, text = user.error("deleteEvents", type="VM.CREATE", startdate=TODAY)
    assert (code, text) == (431, "enddate must be specified with startdate parameter")
    code, text = user.error("deleteEvents", enddate="not-a-date")      # the request pipeline's date check
    assert (code, text) == (431, "Unable to parse date not-a-date for command deleteevents, please pass dates in "
                                 "the format mentioned in the api documentation")
