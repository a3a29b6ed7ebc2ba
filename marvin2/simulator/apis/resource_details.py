"""Resource details and icons: addResourceDetail, removeResourceDetail, listResourceDetails, listDetailOptions,
uploadResourceIcon, deleteResourceIcon, listResourceIcon. The rules live in services/resource_details.py."""
from __future__ import annotations

from marvin2.simulator import errors
from marvin2.simulator.services.common import lower_details
from marvin2.simulator.context import SUCCESS, Job, ListResult
from marvin2.simulator.declare import ACCOUNT_SCOPE, PAGING, P, api, declare_object
from marvin2.simulator.services import java_text
from marvin2.simulator.services import resource_details as service

declare_object("resourcedetail", {
    "resourceid": "the resource", "resourcetype": "its type", "key": "detail key", "value": "detail value",
    "fordisplay": ("boolean", "shown to end users"),
})
declare_object("detailoptions", {"details": ("map", "detail names and the values they may take")})
declare_object("icon", {"resourcetype": "resource type", "resourceid": "the resource",
                        "base64image": "the icon, base64 encoded"})


def _target(ctx, proper: str) -> dict:
    """The resource a request names; 531 when the caller may not act on it."""
    row = service.find_resource(ctx.store, ctx.get("resourceid"), proper)
    owned = {**row, **service.ownership(service.kind_of(proper), row)}
    ctx.check_access(owned, proper)
    return row


def render_detail(entry: dict) -> dict:
    return {"resourceid": entry["resourceid"], "resourcetype": entry["resourcetype"], "key": entry["key"],
            "value": entry["value"], "fordisplay": bool(entry.get("fordisplay", True))}


@api("addResourceDetail", response="success", instance_type="None",
     description="Adds (or replaces) key/value details of a resource.",
     params=[P("details", "the details as details[i].key / details[i].value"),
             P("resourcetype", "the resource type (UserVm, Volume, Zone ...)"),
             P("resourceid", "the resource"), P("fordisplay", "shown to end users (default true)")])
def add_resource_detail(ctx):
    proper = service.resource_type(ctx.get("resourcetype"))
    service.check_metadata_type(proper)
    row = _target(ctx, proper)
    details = lower_details(ctx.get("details"))
    service.check_values(details)
    for_display = ctx.get("fordisplay", True)

    def run(jctx):
        current = jctx.store.get(service.kind_of(proper), row["id"])
        service.add_details(jctx.store, proper, current, details, for_display)
        jctx.event("CREATE_RESOURCE_DETAILS", f"creating resource meta data on {proper} {row['id']}")
        return SUCCESS

    return Job(run, instance_id=row["id"])


@api("removeResourceDetail", response="success", instance_type="None",
     description="Removes one detail (by key) or every detail of a resource.",
     params=[P("key", "the detail to remove (all of them when absent)"),
             P("resourcetype", "the resource type"), P("resourceid", "the resource")])
def remove_resource_detail(ctx):
    proper = service.resource_type(ctx.get("resourcetype"))
    service.check_metadata_type(proper)
    row = _target(ctx, proper)

    def run(jctx):
        current = jctx.store.get(service.kind_of(proper), row["id"])
        service.remove_details(jctx.store, proper, current, jctx.get("key"))
        jctx.event("DELETE_RESOURCE_DETAILS", f"deleting resource meta data from {proper} {row['id']}")
        return SUCCESS

    return Job(run, instance_id=row["id"])


@api("listResourceDetails", response="resourcedetail",
     description="Lists the details of a resource, or the resources of a type carrying a key/value pair.",
     params=[*PAGING, *ACCOUNT_SCOPE, P("resourcetype", "the resource type"), P("resourceid", "the resource"),
             P("key", "only this key"), P("value", "only this value (with key)"),
             P("fordisplay", "only details shown (true) or hidden (false) from end users"),
             P("projectid", entity="project")])
def list_resource_details(ctx):
    proper = service.resource_type(ctx.get("resourcetype"))
    resource_id, key, value = ctx.get("resourceid"), ctx.get("key"), ctx.get("value")
    service.check_listing(resource_id, key, value)
    if resource_id is not None:
        service.check_metadata_type(proper)
        ids = [_target(ctx, proper)["id"]]
    else:
        ids = None
    entries = service.select_details(service.details_of(ctx.store, proper, ids), key, value, ctx.get("fordisplay"))
    if ids is None:      # by key/value across resources: only those the caller may see
        kind = service.kind_of(proper)
        entries = [e for e in entries if ctx.can_access(service.ownership(kind, ctx.store.get(kind, e["resourceid"])
                                                                         or {}))]
    page = ctx.paginate([render_detail(e) for e in entries])
    return ListResult(page.items, page.count)


@api("listDetailOptions", response="detailoptions",
     description="Lists the detail names (and the values they may take) a VM or template accepts.",
     params=[P("resourcetype", "UserVm or Template"), P("resourceid", "the VM or template")])
def list_detail_options(ctx):
    proper = service.resource_type(ctx.get("resourcetype"))
    if ctx.has("resourceid"):
        service.find_resource(ctx.store, ctx.get("resourceid"), proper)
    denied = ctx.config("user.vm.denied.details",
                        "rootdisksize, cpuOvercommitRatio, memoryOvercommitRatio, Message.ReservedCapacityFreed.Flag")
    return {"details": service.detail_options(proper, ctx.caller.is_root_admin, denied or "")}


def _as_server_error(error: errors.ApiError) -> errors.ApiError:
    """The icon commands turn every failure into ServerApiException(INTERNAL_ERROR) with its message."""
    return errors.ApiError(530, error.errortext, errors.CS_SERVER)


def _icon_targets(ctx, proper: str, verb: str) -> list[tuple[str, dict]]:
    out = []
    for resource_id in ctx.get("resourceids"):
        row = service.find_resource(ctx.store, resource_id, proper)
        owned = service.ownership(service.kind_of(proper), row)
        if not ctx.can_access({**row, **owned}):
            raise errors.permission_denied(
                f"Account ' {java_text.account(ctx.store, ctx.caller.account)} ' doesn't have permissions to "
                f"{verb} icon for resource [id: {row.get('internalid', row['id'])}, uuid: {row['id']}] ")
        out.append((resource_id, row))
    return out


@api("uploadResourceIcon", response="success",
     description="Sets the icon (a base64 PNG, JPEG, GIF or BMP image) of resources of one type.",
     params=[P("resourceids", "the resources"), P("resourcetype", "their type (UserVm, Template, Zone ...)"),
             P("base64image", "the image, base64 encoded")])
def upload_resource_icon(ctx):
    try:
        service.check_image(ctx.get("base64image"))
        proper = service.resource_type(ctx.get("resourcetype"))
        service.check_icon_type(proper)
        for _, row in _icon_targets(ctx, proper, "upload"):
            service.set_icon(ctx.store, proper, row, ctx.get("base64image"))
    except errors.ApiError as error:
        raise _as_server_error(error) from None
    ctx.event("UPLOAD.RESOURCE.ICON", f"uploading icon for {proper}")
    return SUCCESS


@api("deleteResourceIcon", response="success", description="Removes the icon of resources of one type.",
     params=[P("resourceids", "the resources"), P("resourcetype", "their type")])
def delete_resource_icon(ctx):
    try:
        proper = service.resource_type(ctx.get("resourcetype"))
        targets = _icon_targets(ctx, proper, "upload")     # the server's text says "upload" here too
        icons = service.icons_of(ctx.store, proper, [row["id"] for _, row in targets])
        if not icons:
            raise errors.internal_error("Failed to delete resource image")
    except errors.ApiError as error:
        raise _as_server_error(error) from None
    for icon in icons:
        ctx.store.delete("resourceicon", icon["id"])
    ctx.event("DELETE.RESOURCE.ICON", f"deleting resource icon of {proper}")
    return SUCCESS


@api("listResourceIcon", response="icon", description="Lists the icons of resources of one type.",
     params=[P("resourceids", "the resources"), P("resourcetype", "their type")])
def list_resource_icon(ctx):
    proper = service.resource_type(ctx.get("resourcetype"))
    icons = service.icons_of(ctx.store, proper, ctx.get("resourceids"))
    items = [{"resourcetype": i["resourcetype"], "resourceid": i["resourceid"], "base64image": i["base64image"]}
             for i in icons]
    return ListResult(items, len(items))
