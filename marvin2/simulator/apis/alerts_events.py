"""Alerts and event housekeeping: listAlerts, listAlertTypes, archiveAlerts, deleteAlerts, generateAlert,
archiveEvents, deleteEvents, listEventTypes. The rules live in services/alerts_events.py."""
from __future__ import annotations

from marvin2.simulator import errors
from marvin2.simulator.context import SUCCESS, Job, ListResult
from marvin2.simulator.declare import ADMIN_ONLY, ADMINS, PAGING, P, api, declare_object
from marvin2.simulator.services import alerts_events as service
from marvin2.simulator.services.event_types import EVENT_TYPES

declare_object("alert", {
    "id": "alert id", "type": ("short", "alert type number (listAlertTypes)"), "name": "alert name",
    "description": "what the alert says", "sent": ("date", "when it was sent"),
})
declare_object("alerttype", {"alerttypeid": ("short", "alert type number"), "name": "alert type name"})
declare_object("eventtype", {"name": "an event type"})

def _failed(text: str) -> errors.ApiError:
    """The command's ServerApiException(INTERNAL_ERROR) when the service answers false."""
    return errors.ApiError(530, text, errors.CS_SERVER)


SELECTION = (P("ids", "the items by id"), P("type", "items of this type"),
             P("startdate", "items created on or after this day"), P("enddate", "items created up to this day"))


def render_alert(row: dict) -> dict:
    return {"id": row["id"], "type": row["type"], "name": row.get("name"), "description": row.get("description"),
            "sent": row.get("sent")}


@api("listAlerts", response="alert", roles=ADMINS, description="Lists the alerts not archived, newest first.",
     params=[*PAGING, P("id", entity="alert"), P("type", "alert type number"), P("name", "alert name")])
def list_alerts(ctx):
    def match(row):
        return ((not ctx.has("type") or str(row["type"]) == ctx.get("type"))
                and (not ctx.has("name") or row.get("name") == ctx.get("name")))

    rows = service.live_alerts(ctx.store)
    if ctx.has("id"):
        rows = [row for row in rows if row["id"] == ctx.get("id")]
    return ctx.list("alert", render_alert, rows=[r for r in rows if match(r)], keyword_fields=("description",),
                    owned=False)


@api("listAlertTypes", response="alerttype", roles=ADMINS, description="Lists CloudStack's default alert types.")
def list_alert_types(ctx):
    items = [{"alerttypeid": number, "name": name} for number, name in service.ALERT_TYPES]
    return ListResult(items, len(items))


def _selection(ctx, what: str):
    ids, kind, start, end = ctx.get("ids"), ctx.get("type"), ctx.get("startdate"), ctx.get("enddate")
    service.check_selection(ids, kind, start, end, what=what)
    return ids, kind, start, end


@api("archiveAlerts", response="success", roles=ADMIN_ONLY,
     description="Archives alerts (by ids, type or creation days): they no longer list.", params=[*SELECTION])
def archive_alerts(ctx):
    rows = service.alerts_to_change(ctx.store, *_selection(ctx, "archive alerts"))
    if rows is None:
        raise _failed("Unable to archive Alerts, one or more parameters has invalid values")
    service.archive_alerts(ctx.store, rows)
    return SUCCESS


@api("deleteAlerts", response="success", roles=ADMIN_ONLY,
     description="Deletes alerts (by ids, type or creation days).", params=[*SELECTION])
def delete_alerts(ctx):
    rows = service.alerts_to_change(ctx.store, *_selection(ctx, "delete alerts"))
    if rows is None:
        raise _failed("Unable to delete Alerts, one or more parameters has invalid values")
    service.delete_alerts(ctx.store, rows)
    return SUCCESS


@api("generateAlert", response="success", instance_type="None", roles=ADMIN_ONLY,
     description="Raises an alert of a default or custom type (a custom type may not reuse a default number).",
     params=[P("type", "alert type number"), P("name", "alert name"), P("description", "what the alert says"),
             P("zoneid", "zone the alert is about"), P("podid", "pod the alert is about")])
def generate_alert(ctx):
    alert_type, name = ctx.get("type"), ctx.get("name")
    service.check_alert_type(alert_type, name)

    def run(jctx):
        service.record_alert(jctx.store, alert_type, name, jctx.get("description"), jctx.get("zoneid"),
                             jctx.get("podid"))
        jctx.event("ALERT.GENERATE", f"Generating alert of type {alert_type}; name {name}")
        return SUCCESS

    return Job(run)


@api("archiveEvents", response="success",
     description="Archives events the caller may act on (by ids, type or creation days): they no longer list.",
     params=[*SELECTION])
def archive_events(ctx):
    rows = service.events_to_change(ctx.store, ctx.caller, *_selection(ctx, "archive events"))
    if rows is None:
        raise _failed("Unable to archive Events, one or more parameters has invalid values")
    service.archive_events(ctx.store, rows)
    return SUCCESS


@api("deleteEvents", response="success",
     description="Deletes events the caller may act on (by ids, type or creation days).", params=[*SELECTION])
def delete_events(ctx):
    rows = service.events_to_change(ctx.store, ctx.caller, *_selection(ctx, "delete events"))
    if rows is None:
        raise _failed("Unable to delete Events, one or more parameters has invalid values")
    service.delete_events(ctx.store, rows)
    return SUCCESS


@api("listEventTypes", response="eventtype", description="Lists every event type name CloudStack records.")
def list_event_types(ctx):
    items = [{"name": name} for name in EVENT_TYPES]
    return ListResult(items, len(items))
