"""VM schedules (thin: the rules are in services/vm_schedules.py, the timer in services/vm_scheduler.py).

All four APIs are synchronous, as in 4.20; the actions a schedule takes run later as async VM jobs.
"""
from __future__ import annotations

from marvin2 import wire
from marvin2.simulator import errors
from marvin2.simulator.context import SUCCESS
from marvin2.simulator.declare import PAGING, P, api, declare_object
from marvin2.simulator.services import vm_scheduler
from marvin2.simulator.services import vm_schedules as schedules
from marvin2.simulator.services.common import check_owned, record_event

declare_object("vmschedule", {
    "id": "schedule id", "virtualmachineid": "its VM", "description": "description", "schedule": "cron (5 fields)",
    "timezone": "time zone of the schedule", "action": "START, STOP, REBOOT, FORCE_STOP or FORCE_REBOOT",
    "enabled": ("boolean", "active"), "startdate": ("date", "active from"), "enddate": ("date", "active until"),
    "created": ("date", "created"),
})


def render_schedule(row: dict) -> dict:
    def when(text):
        moment = schedules.from_iso(text)
        return wire.format_tzdate(moment) if moment else None

    return {"id": row["id"], "virtualmachineid": row["virtualmachineid"], "description": row.get("description"),
            "schedule": row["schedule"], "timezone": row["timezone"], "action": row["action"],
            "enabled": bool(row.get("enabled")), "startdate": when(row.get("startdate")),
            "enddate": when(row.get("enddate")), "created": row.get("created")}


def _raw(ctx, name: str) -> str | None:
    """A date parameter as sent: the typed value keeps only the day, a schedule needs the time too."""
    for key, value in ctx.raw.items():
        if key.lower() == name:
            return value
    return None


def _user_vm(ctx, vm_id: str) -> dict:
    vm = ctx.store.get("virtualmachine", vm_id)
    if vm is None or vm.get("removed"):
        raise errors.invalid_value(f"Invalid value for vmId: {vm_id}")
    check_owned(ctx, vm, "VM")
    return vm


@api("createVMSchedule", response="vmschedule", related="listVMSchedule,updateVMSchedule,deleteVMSchedule",
     description="Creates a cron schedule that starts, stops or reboots a VM when due.",
     params=[P("virtualmachineid", "the VM", entity="virtualmachine"), P("description", "description"),
             P("schedule", "cron: minute hour day-of-month month day-of-week"),
             P("timezone", "time zone of the schedule and its dates"), P("action", "START, STOP, REBOOT, FORCE_STOP or FORCE_REBOOT"),
             P("startdate", "active from (yyyy-MM-dd HH:mm:ss; default: in one minute)"),
             P("enddate", "active until (yyyy-MM-dd HH:mm:ss)"), P("enabled", "active (default true)")])
def create_vm_schedule(ctx):
    vm_scheduler.ensure_running(ctx.sim)
    schedules.forget_orphans(ctx.store)
    vm = _user_vm(ctx, ctx.get("virtualmachineid"))
    row = schedules.create(ctx.store, vm, schedule=ctx.get("schedule"), timezone=ctx.get("timezone"),
                           action=ctx.get("action"), description=ctx.get("description"),
                           start_text=_raw(ctx, "startdate"), end_text=_raw(ctx, "enddate"),
                           enabled=ctx.get("enabled", True))
    record_event(ctx, "VM.SCHEDULE.CREATE", "Creating VM Schedule", resource_id=vm["id"],
                 resource_type="VirtualMachine", account=ctx.store.get("account", vm["accountid"]))
    return render_schedule(row)


@api("listVMSchedule", response="vmschedule", related="createVMSchedule",
     description="Lists the schedules of a VM.",
     params=[*PAGING, P("virtualmachineid", "the VM", entity="virtualmachine"), P("id", "one schedule", entity=""),
             P("action", "only this action"), P("enabled", "only enabled (true) or disabled (false) ones")])
def list_vm_schedule(ctx):
    vm_scheduler.ensure_running(ctx.sim)
    schedules.forget_orphans(ctx.store)
    vm = _user_vm(ctx, ctx.get("virtualmachineid"))
    action = ctx.get("action")
    if action is not None and action not in schedules.ACTIONS:
        raise errors.invalid_value(f"Invalid value for action: {action}")
    rows = [r for r in ctx.store.find(schedules.KIND, virtualmachineid=vm["id"])
            if (not ctx.has("id") or r["id"] == ctx.get("id"))
            and (action is None or r["action"] == action)
            and (not ctx.has("enabled") or bool(r.get("enabled")) == ctx.get("enabled"))]
    keyword = (ctx.get("keyword") or "").lower()
    if keyword:
        rows = [r for r in rows if keyword in (r.get("description") or "").lower()]
    return ctx.paginate([render_schedule(r) for r in rows])


@api("updateVMSchedule", response="vmschedule", related="listVMSchedule",
     description="Changes a VM schedule (cron, time zone, dates, description, enabled).",
     params=[P("id", "the schedule", entity=""), P("description", "description"), P("schedule", "cron (5 fields)"),
             P("timezone", "time zone"), P("startdate", "active from"), P("enddate", "active until"),
             P("enabled", "active")])
def update_vm_schedule(ctx):
    vm_scheduler.ensure_running(ctx.sim)
    schedules.forget_orphans(ctx.store)
    row = ctx.store.get(schedules.KIND, ctx.get("id"))
    if row is None:
        raise errors.internal_error("VM schedule doesn't exist")
    vm = _user_vm(ctx, row["virtualmachineid"])
    row = schedules.update(ctx.store, row, schedule=ctx.get("schedule"), timezone=ctx.get("timezone"),
                           description=ctx.get("description"), start_text=_raw(ctx, "startdate"),
                           end_text=_raw(ctx, "enddate"), enabled=ctx.get("enabled"))
    record_event(ctx, "VM.SCHEDULE.UPDATE", "Updating VM Schedule", resource_id=vm["id"],
                 resource_type="VirtualMachine", account=ctx.store.get("account", vm["accountid"]))
    return render_schedule(row)


@api("deleteVMSchedule", response="success", related="createVMSchedule",
     description="Deletes schedules of a VM (id or ids).",
     params=[P("virtualmachineid", "the VM", entity="virtualmachine"), P("id", "one schedule", entity=""),
             P("ids", "several schedules")])
def delete_vm_schedule(ctx):
    vm = _user_vm(ctx, ctx.get("virtualmachineid"))
    if ctx.has("id") and ctx.get("ids"):
        raise errors.invalid_value("Specify either id or ids but not both parameters")
    ids = [ctx.get("id")] if ctx.has("id") else list(ctx.get("ids") or [])
    if not ids:
        raise errors.invalid_value("Either id or ids parameter must be specified")
    if schedules.delete(ctx.store, vm, ids) == 0:
        raise errors.internal_error("Failed to delete VM Schedules")
    record_event(ctx, "VM.SCHEDULE.DELETE", "Deleting VM Schedule", resource_id=vm["id"],
                 resource_type="VirtualMachine", account=ctx.store.get("account", vm["accountid"]))
    return SUCCESS
