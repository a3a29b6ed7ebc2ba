"""Guest OS management: addGuestOs, updateGuestOs, removeGuestOs, listGuestOsMapping, addGuestOsMapping,
updateGuestOsMapping, removeGuestOsMapping, getHypervisorGuestOsNames, listHypervisorCapabilities,
updateHypervisorCapabilities. The rules live in services/guest_os.py."""
from __future__ import annotations

from marvin2 import wire
from marvin2.simulator import errors
from marvin2.simulator.services.common import lower_details
from marvin2.simulator.context import SUCCESS, Job, ListResult
from marvin2.simulator.declare import ADMIN_ONLY, ADMINS, PAGING, P, api, declare_object
from marvin2.simulator.services import guest_os as service
from marvin2.simulator.services import resource_details

declare_object("guestosmapping", {
    "id": "mapping id", "hypervisor": "hypervisor type", "hypervisorversion": "hypervisor version",
    "ostypeid": "the guest OS", "osdisplayname": "its display name",
    "osnameforhypervisor": "the name the hypervisor knows it by", "isuserdefined": ("boolean", "added by an admin"),
})
declare_object("hypervisorCapabilities", {
    "id": "capabilities id", "hypervisor": "hypervisor type", "hypervisorversion": "hypervisor version",
    "maxguestslimit": ("long", "most guests per host"), "securitygroupenabled": ("boolean", "security groups"),
    "maxdatavolumeslimit": ("integer", "most data volumes per VM"),
    "maxhostspercluster": ("integer", "most hosts per cluster"),
    "storagemotionenabled": ("boolean", "storage live migration"), "vmsnapshotenabled": ("boolean", "VM snapshots"),
})
declare_object("hypervisorguestosnames", {"hypervisor": "hypervisor type", "hypervisorversion": "its version",
                                          "guestoslist": ("list", "OS names"), "guestoscount": ("integer", "count")})


def render_os(ctx, row: dict) -> dict:
    category = ctx.store.get("oscategory", row.get("oscategoryid")) if row.get("oscategoryid") else None
    return {"id": row["id"], "oscategoryid": row.get("oscategoryid"),
            "oscategoryname": category["name"] if category else None, "name": row.get("name"),
            "description": row["description"], "isuserdefined": bool(row.get("isuserdefined")),
            "fordisplay": row.get("fordisplay", True)}


def render_mapping(ctx, row: dict) -> dict:
    os_row = ctx.store.get("ostype", row["ostypeid"]) or {}
    return {"id": row["id"], "hypervisor": row["hypervisor"], "hypervisorversion": row["hypervisorversion"],
            "ostypeid": row["ostypeid"], "osdisplayname": os_row.get("description"),
            "osnameforhypervisor": row["osnameforhypervisor"], "isuserdefined": bool(row.get("isuserdefined"))}


def render_capability(row: dict) -> dict:
    return {"id": row["id"], "hypervisor": row["hypervisor"], "hypervisorversion": row["hypervisorversion"],
            **{f: row.get(f) for f in service.CAPABILITY_FIELDS}}


def _save_details(ctx, store, os_row: dict) -> None:
    details = lower_details(ctx.get("details"))
    if details:
        resource_details.add_details(store, "GuestOs", os_row, details, False)


# --- guest OS types -----------------------------------------------------------------------------------------------


@api("addGuestOs", response="ostype", roles=ADMIN_ONLY, instance_type="GuestOs",
     description="Adds a user-defined guest OS type.",
     params=[P("oscategoryid", "its category", entity="oscategory"), P("osdisplayname", "display name (unique)"),
             P("name", "an optional short name"), P("details", "details as details[i].key / details[i].value"),
             P("forDisplay", "shown to end users (default true)")])
def add_guest_os(ctx):
    row = service.add_os(ctx.store, ctx.get("oscategoryid"), ctx.get("osdisplayname"), ctx.get("name"),
                         ctx.get("forDisplay"))
    _save_details(ctx, ctx.store, row)
    ctx.event("GUEST.OS.ADD", "Adding new guest OS type")

    def run(jctx):
        return render_os(jctx, jctx.store.get("ostype", row["id"]))

    return Job(run, entity_id=row["id"])


@api("updateGuestOs", response="ostype", roles=ADMIN_ONLY, instance_type="GuestOs",
     description="Renames a user-defined guest OS type and updates its details.",
     params=[P("id", "the guest OS", entity="ostype"), P("osdisplayname", "the new display name"),
             P("details", "details to add"), P("forDisplay", "shown to end users")])
def update_guest_os(ctx):
    row = service.live_os(ctx.store, ctx.get("id"))
    service.check_user_defined(row, "modify")

    def run(jctx):
        current = service.live_os(jctx.store, row["id"])
        _save_details(jctx, jctx.store, current)
        updated = service.rename_os(jctx.store, current, jctx.get("osdisplayname"), jctx.get("forDisplay"))
        jctx.event("GUEST.OS.UPDATE", "updating guest OS type")
        return render_os(jctx, updated)

    return Job(run, instance_id=row["id"])


@api("removeGuestOs", response="success", roles=ADMIN_ONLY, instance_type="GuestOs",
     description="Removes a user-defined guest OS type.", params=[P("id", "the guest OS", entity="ostype")])
def remove_guest_os(ctx):
    row = service.live_os(ctx.store, ctx.get("id"))
    service.check_user_defined(row, "remove")

    def run(jctx):
        service.remove_os(jctx.store, service.live_os(jctx.store, row["id"]), wire.now_text())
        jctx.event("GUEST.OS.REMOVE", "removing guest OS type")
        return SUCCESS

    return Job(run, instance_id=row["id"])


# --- mappings -----------------------------------------------------------------------------------------------------


@api("listGuestOsMapping", response="guestosmapping", roles=ADMINS,
     description="Lists guest OS to hypervisor name mappings.",
     params=[*PAGING, P("id", "the mapping", entity="guestosmapping"), P("ostypeid", "the guest OS", entity="ostype"),
             P("osdisplayname", "guest OS display name (substring)"),
             P("osnameforhypervisor", "hypervisor's OS name (substring)"), P("hypervisor", "hypervisor (substring)"),
             P("hypervisorversion", "hypervisor version (substring, with hypervisor)")])
def list_guest_os_mapping(ctx):
    rows = service.search_mappings(ctx.store, mapping_id=ctx.get("id"), os_type_id=ctx.get("ostypeid"),
                                   display_name=ctx.get("osdisplayname"),
                                   name_for_hypervisor=ctx.get("osnameforhypervisor"),
                                   hypervisor=ctx.get("hypervisor"), version=ctx.get("hypervisorversion"))
    page = ctx.paginate([render_mapping(ctx, r) for r in rows])
    return ListResult(page.items, page.count)


@api("addGuestOsMapping", response="guestosmapping", roles=ADMIN_ONLY, instance_type="GuestOsMapping",
     description="Maps a guest OS to the name a hypervisor version knows it by.",
     params=[P("ostypeid", "the guest OS", entity="ostype"), P("osdisplayname", "or its display name"),
             P("hypervisor", "KVM, XenServer or VMware"), P("hypervisorversion", "a version with capabilities"),
             P("osnameforhypervisor", "the hypervisor's name for the OS"),
             P("osmappingcheckenabled", "ask the hypervisor whether it knows the name"),
             P("forced", "replace an existing user-defined mapping")])
def add_guest_os_mapping(ctx):
    store = ctx.store
    service.ensure_capabilities(store)
    os_row = service.os_for_mapping(store, ctx.get("ostypeid"), ctx.get("osdisplayname"))
    hypervisor = service.check_mappable(store, service.hypervisor_type(ctx.get("hypervisor")),
                                        ctx.get("hypervisorversion"))
    if ctx.get("osmappingcheckenabled"):
        service.check_mapping_supported(hypervisor)
        service.hypervisor_host(store, hypervisor, ctx.get("hypervisorversion"))
    row = service.add_mapping(store, os_row, hypervisor, ctx.get("hypervisorversion"),
                              ctx.get("osnameforhypervisor"), bool(ctx.get("forced")))
    ctx.event("GUEST.OS.MAPPING.ADD", "Adding new guest OS to hypervisor name mapping")

    def run(jctx):
        return render_mapping(jctx, jctx.store.get("guestosmapping", row["id"]))

    return Job(run, entity_id=row["id"])


@api("updateGuestOsMapping", response="guestosmapping", roles=ADMIN_ONLY, instance_type="GuestOsMapping",
     description="Changes the hypervisor's name of a user-defined mapping.",
     params=[P("id", "the mapping", entity="guestosmapping"), P("osnameforhypervisor", "the new name"),
             P("osmappingcheckenabled", "ask the hypervisor whether it knows the name")])
def update_guest_os_mapping(ctx):
    row = service.live_mapping(ctx.store, ctx.get("id"), "modify")
    if ctx.get("osmappingcheckenabled"):
        service.check_mapping_supported(row["hypervisor"])
        service.hypervisor_host(ctx.store, row["hypervisor"], row["hypervisorversion"])

    def run(jctx):
        updated = jctx.store.update("guestosmapping", row["id"], osnameforhypervisor=jctx.get("osnameforhypervisor"))
        jctx.event("GUEST.OS.MAPPING.UPDATE", "updating guest OS mapping")
        return render_mapping(jctx, updated)

    return Job(run, instance_id=row["id"])


@api("removeGuestOsMapping", response="success", roles=ADMIN_ONLY, instance_type="GuestOsMapping",
     description="Removes a user-defined guest OS mapping.",
     params=[P("id", "the mapping", entity="guestosmapping")])
def remove_guest_os_mapping(ctx):
    row = service.live_mapping(ctx.store, ctx.get("id"), "remove")

    def run(jctx):
        jctx.store.delete("guestosmapping", row["id"])
        jctx.event("GUEST.OS.MAPPING.REMOVE", "removing guest OS mapping")
        return SUCCESS

    return Job(run, instance_id=row["id"])


@api("getHypervisorGuestOsNames", response="hypervisorguestosnames", instance_type="None",
     description="Asks a VMware or XenServer host of a version for the guest OS names it knows.",
     params=[P("hypervisor", "VMware or XenServer"), P("hypervisorversion", "its version"),
             P("keyword", "only names containing this")])
def get_hypervisor_guest_os_names(ctx):
    hypervisor = service.hypervisor_type(ctx.get("hypervisor"))
    if hypervisor not in service.NAME_LOOKUP:
        raise errors.invalid_value(f"Guest OS names cannot be fetched for hypervisor: {hypervisor or 'None'}, please "
                                   f"specify a valid hypervisor : VMware, XenServer")
    version = ctx.get("hypervisorversion")

    def run(jctx):
        service.hypervisor_host(jctx.store, hypervisor, version)
        # The simulated host knows the names its mappings give (there is no real hypervisor to ask).
        keyword = (jctx.get("keyword") or "").lower()
        names = [{"osdisplayname": (jctx.store.get("ostype", m["ostypeid"]) or {}).get("description"),
                  "osnameforhypervisor": m["osnameforhypervisor"]}
                 for m in service.search_mappings(jctx.store, hypervisor=hypervisor, version=version)
                 if keyword in m["osnameforhypervisor"].lower()]
        return {"hypervisor": hypervisor, "hypervisorversion": version, "guestoslist": names,
                "guestoscount": len(names)}

    return Job(run)


# --- hypervisor capabilities ----------------------------------------------------------------------------------------


@api("listHypervisorCapabilities", response="hypervisorCapabilities", roles=ADMINS,
     description="Lists the capabilities (limits and features) of each hypervisor version.",
     params=[*PAGING, P("id", "the capabilities row", entity="hypervisorcapability"), P("hypervisor")])
def list_hypervisor_capabilities(ctx):
    service.ensure_capabilities(ctx.store)
    wanted = service.hypervisor_type(ctx.get("hypervisor")) if ctx.has("hypervisor") else None

    def match(row):       # an unknown hypervisor is CloudStack's type None: it has no rows
        return not ctx.has("hypervisor") or row["hypervisor"] == wanted

    return ctx.list("hypervisorcapability", render_capability, match=match, keyword_fields=("hypervisor",),
                    owned=False)


@api("updateHypervisorCapabilities", response="hypervisorCapabilities", roles=ADMIN_ONLY,
     description="Changes the limits and features of a hypervisor version (by id, or hypervisor and version).",
     params=[P("id", "the capabilities row", entity="hypervisorcapability"), P("hypervisor"),
             P("hypervisorversion", "the version"), P("securitygroupenabled", "security groups"),
             P("maxguestslimit", "most guests per host"), P("maxdatavolumeslimit", "most data volumes per VM"),
             P("storagemotionenabled", "storage live migration"), P("maxhostspercluster", "most hosts per cluster"),
             P("vmsnapshotenabled", "VM snapshots")])
def update_hypervisor_capabilities(ctx):
    service.ensure_capabilities(ctx.store)
    row = service.capability_for_update(ctx.store, ctx.get("id"), ctx.get("hypervisor"), ctx.get("hypervisorversion"))
    changes = {f: ctx.get(f) for f in service.CAPABILITY_FIELDS if ctx.has(f)}
    return render_capability(service.update_capability(ctx.store, row, ctx.get("hypervisorversion"), changes))
