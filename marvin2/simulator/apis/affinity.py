"""Affinity groups: host affinity / host anti-affinity, honoured when VMs are placed (see _capacity)."""
from __future__ import annotations

from marvin2.simulator import errors
from marvin2.simulator.services.common import (
    apply_command_classes,
    check_owned,
    list_owned,
    owner_fields,
    owner_for_create,
    record_event,
)
from marvin2.simulator.context import SUCCESS, Job, ListResult
from marvin2.simulator.declare import ACCOUNT_SCOPE, PAGING, P, api, declare_object

GROUP_TYPES = ("host anti-affinity", "host affinity")

declare_object("affinitygroup", {
    "id": "group id", "name": "group name", "description": "description", "type": "host anti-affinity or host affinity",
    "account": "owner", "domainid": "owner domain id", "domain": "owner domain", "projectid": "owning project",
    "project": "its name", "virtualmachineIds": ("list", "VMs in the group"),
})
declare_object("affinityGroupType", {"type": "an affinity group type"})


def render_group(ctx, row: dict) -> dict:
    vms = [v for v in row.get("virtualmachineids", []) if (ctx.store.get("virtualmachine", v) or {}).get("removed") is None]
    return {"id": row["id"], "name": row["name"], "description": row.get("description"), "type": row["type"],
            "virtualmachineIds": vms or None, **owner_fields(ctx, row)}


@api("listAffinityGroupTypes", response="affinityGroupType", description="Lists the affinity group types.",
     params=[*PAGING])
def list_affinity_group_types(ctx):
    page = ctx.paginate([{"type": t} for t in GROUP_TYPES])
    return ListResult(page.items, page.count)


@api("createAffinityGroup", response="affinitygroup", instance_type="AffinityGroup",
     description="Creates an affinity group of a type (host anti-affinity or host affinity).",
     params=[P("name", "group name"), P("type", "group type"),
             P("description", "description"), P("account"), P("domainid"),
             P("projectid", entity="project")])
def create_affinity_group(ctx):
    owner = owner_for_create(ctx)
    name, group_type = ctx.get("name"), ctx.get("type")

    def run(jctx):
        store = jctx.store
        if group_type not in GROUP_TYPES:
            raise errors.invalid_value(f"Unable to create affinity group, invalid affinity group type{group_type}")
        if store.find_one("affinitygroup", accountid=owner["id"], name=name) is not None:
            raise errors.invalid_value(f"Unable to create affinity group, a group with name {name} already exists.")
        row = store.insert("affinitygroup", {"name": name, "type": group_type, "description": jctx.get("description"),
                                             "virtualmachineids": [], **jctx.owner_row_fields(owner)})
        record_event(jctx, "AG.CREATE", f"Creating affinity group {name}", resource_id=row["id"],
                     resource_type="AffinityGroup", account=owner)
        return render_group(jctx, row)

    return Job(run)


@api("listAffinityGroups", response="affinitygroup", related="createAffinityGroup",
     description="Lists the affinity groups the caller may see.",
     params=[*PAGING, *ACCOUNT_SCOPE, P("id", entity="affinitygroup"), P("name"), P("type", "group type"),
             P("virtualmachineid", "groups of this VM", entity="virtualmachine"),
             P("projectid", entity="project")])
def list_affinity_groups(ctx):
    vm_id = ctx.get("virtualmachineid")
    if vm_id:
        check_owned(ctx, ctx.store.get("virtualmachine", vm_id), "VM")

    def match(row):
        return (not ctx.has("type") or row["type"].lower() == ctx.get("type").lower()) and \
            (vm_id is None or vm_id in row.get("virtualmachineids", []))

    return list_owned(ctx, "affinitygroup", lambda r: render_group(ctx, r), match=match, keyword_fields=("name",))


@api("deleteAffinityGroup", response="success", instance_type="AffinityGroup",
     description="Deletes an affinity group (by id, or by name for an account) and its VM mappings.",
     params=[P("id", entity="affinitygroup"), P("name"), P("account"), P("domainid"),
             P("projectid", entity="project")])
def delete_affinity_group(ctx):
    store = ctx.store
    if ctx.has("id"):
        row = store.get("affinitygroup", ctx.get("id"))
    elif ctx.has("name"):
        owner = owner_for_create(ctx)
        row = store.find_one("affinitygroup", accountid=owner["id"], name=ctx.get("name"))
        if row is None:
            raise errors.invalid_value(f"Unable to find affinity group by name {ctx.get('name')}")
    else:
        raise errors.invalid_value("Either the affinity group's ID or name must be specified")
    check_owned(ctx, row, "affinity group")

    def run(jctx):
        current = jctx.store.get("affinitygroup", row["id"])
        if current is None:
            raise errors.invalid_value(f"Unable to find affinity group by id {row['id']}")
        # AffinityGroupServiceImpl.deleteAffinityGroup: no in-use check; every VM mapping goes with the group
        # (running, stopped and destroyed-but-recoverable VMs alike), then the row is expunged.
        for vm_id in current.get("virtualmachineids", []):
            vm = jctx.store.get("virtualmachine", vm_id)
            if vm is not None and current["id"] in (vm.get("affinitygroupids") or []):
                jctx.store.update("virtualmachine", vm_id,
                                  affinitygroupids=[g for g in vm["affinitygroupids"] if g != current["id"]])
        jctx.store.delete("affinitygroup", current["id"])
        record_event(jctx, "AG.DELETE", f"Deleting affinity group {current['name']}", resource_id=current["id"],
                     resource_type="AffinityGroup")
        return SUCCESS

    return Job(run, instance_id=row["id"])


@api("updateVMAffinityGroup", response="virtualmachine", instance_type="VirtualMachine",
     description="Replaces the affinity groups of a stopped VM.",
     params=[P("id", "the VM", entity="virtualmachine"),
             P("affinitygroupids", "the new groups (empty list: none)"),
             P("affinitygroupnames", "the new groups by name")])
def update_vm_affinity_group(ctx):
    from marvin2.simulator.services.vms import (
        affinity_groups_for as _affinity_groups,
        get_vm,
        render_vm,
        touch,
    )

    vm = get_vm(ctx, ctx.get("id"))
    if ctx.has("affinitygroupids") and ctx.has("affinitygroupnames"):
        raise errors.invalid_value("affinitygroupids parameter is mutually exclusive with affinitygroupnames parameter")
    owner = ctx.store.get("account", vm["accountid"])
    wanted = _affinity_groups(ctx, owner)

    def run(jctx):
        store = jctx.store
        current = store.get("virtualmachine", vm["id"])
        if current["state"] != "Stopped":
            raise errors.invalid_value(f"Unable to update affinity groups of the virtual machine {current['name']} in "
                                       f"state {current['state']}; make sure the virtual machine is stopped and not in "
                                       "an error state before updating.")
        for group_id in set(current.get("affinitygroupids") or []) - set(wanted):
            group = store.get("affinitygroup", group_id)
            if group:
                store.update("affinitygroup", group_id,
                             virtualmachineids=[v for v in group.get("virtualmachineids", []) if v != current["id"]])
        for group_id in set(wanted) - set(current.get("affinitygroupids") or []):
            group = store.get("affinitygroup", group_id)
            store.update("affinitygroup", group_id, virtualmachineids=[*group.get("virtualmachineids", []), current["id"]])
        current = touch(store, current["id"], affinitygroupids=wanted)
        record_event(jctx, "AG.UPDATE.FOR.VM", f"Updating the affinity groups of VM {current['instancename']}",
                     resource_id=current["id"], resource_type="VirtualMachine")
        return render_vm(jctx, current)

    return Job(run, instance_id=vm["id"])


apply_command_classes()
