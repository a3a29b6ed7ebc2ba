"""Instance groups: createInstanceGroup, listInstanceGroups, updateInstanceGroup, deleteInstanceGroup.
The rules live in services/instance_groups.py."""
from __future__ import annotations

from marvin2.simulator.services.common import (
    check_owned,
    list_owned,
    owner_fields,
    owner_for_create,
)
from marvin2.simulator.services.accounts import register_account_cleanup
from marvin2.simulator.context import SUCCESS
from marvin2.simulator.declare import ACCOUNT_SCOPE, PAGING, P, api, declare_object
from marvin2.simulator.services import instance_groups as groups

declare_object("instancegroup", {
    "id": "group id", "name": "group name", "created": ("date", "when it was created"), "account": "owner account",
    "projectid": "owning project", "project": "its name", "domainid": "owner domain id", "domain": "owner domain",
    "domainpath": "owner domain path",
})

register_account_cleanup(groups.release_account)


def render_group(ctx, row: dict) -> dict:
    return {"id": row["id"], "name": row["name"], "created": row.get("created"), **owner_fields(ctx, row)}


@api("createInstanceGroup", response="instancegroup", description="Creates an instance group for an account.",
     params=[P("name", "group name, unique in the account"), P("account"), P("domainid"),
             P("projectid", entity="project")])
def create_instance_group(ctx):
    row = groups.create(ctx.store, owner_for_create(ctx), ctx.get("name"))
    return render_group(ctx, row)


@api("listInstanceGroups", response="instancegroup", related="createInstanceGroup",
     description="Lists the instance groups the caller may see (groups VMs were deployed into included).",
     params=[*PAGING, *ACCOUNT_SCOPE, P("id", entity="instancegroup"), P("name"),
             P("projectid", entity="project")])
def list_instance_groups(ctx):
    groups.adopt_vm_groups(ctx.store)
    return list_owned(ctx, groups.KIND, lambda row: render_group(ctx, row), keyword_fields=("name",))


@api("updateInstanceGroup", response="instancegroup", description="Renames an instance group.",
     params=[P("id", entity="instancegroup"), P("name", "the new name")])
def update_instance_group(ctx):
    group = groups.get(ctx.store, ctx.get("id"), "unable to find a vm group with specified groupId")
    check_owned(ctx, group, "instance group")
    return render_group(ctx, groups.rename(ctx.store, group, ctx.get("name")))


@api("deleteInstanceGroup", response="success", description="Deletes an instance group; its VMs leave it.",
     params=[P("id", entity="instancegroup")])
def delete_instance_group(ctx):
    group = groups.get(ctx.store, ctx.get("id"), f"unable to find a vm group with id {ctx.get('id')}")
    check_owned(ctx, group, "instance group")
    groups.delete(ctx.store, group)
    return SUCCESS
