"""User data: registerUserData, listUserData, deleteUserData, linkUserDataToTemplate (rules in services/userdata.py).

Also resetUserDataForVirtualMachine (a stopped VM's user data from given/registered/template-linked user data).
Deploy's ``userdataid`` lives in the VM APIs (compute.py) and is not wired here."""
from __future__ import annotations

from marvin2.simulator import errors
from marvin2.simulator.services.catalog import render_template
from marvin2.simulator.services.common import (
    list_owned,
    owner_fields,
    owner_for_create,
    record_event,
)
from marvin2.simulator.services.vms import get_vm, render_vm
from marvin2.simulator.context import SUCCESS
from marvin2.simulator.declare import ACCOUNT_SCOPE, PAGING, P, api, declare_object
from marvin2.simulator.services import userdata

declare_object("userdata", {"id": "user data id", "name": "its name", "accountid": "owner id", "account": "owner",
                            "projectid": "project", "project": "project name", "domainid": "owner domain id",
                            "domain": "owner domain", "domainpath": "owner domain path",
                            "userdata": "base64 user data", "params": "the variables it declares"})

_OWNER = [P("account"), P("domainid"), P("projectid", entity="project")]


def render_userdata(ctx, row: dict) -> dict:
    return {"id": row["id"], "name": row["name"], "userdata": row["userdata"], "params": row.get("params"),
            "accountid": row["accountid"], **owner_fields(ctx, row)}


def _max_length(ctx) -> int:
    try:
        return int(ctx.config("vm.userdata.max.length", "32768") or 32768)
    except ValueError:
        return 32768


@api("registerUserData", response="userdata", description="Registers named user data for an account.",
     params=[P("name", "user data name"), *_OWNER, P("userdata", "base64 user data"),
             P("params", "comma-separated variables the user data declares")])
def register_user_data(ctx):
    owner = owner_for_create(ctx)
    row = userdata.register(ctx.store, owner, ctx.get("name"), ctx.get("userdata"), ctx.get("params"), _max_length(ctx))
    record_event(ctx, "REGISTER.USER.DATA", f"registering userdata {row['name']}", resource_id=row["id"],
                 resource_type="UserData", account=owner)
    return render_userdata(ctx, row)


@api("listUserData", response="userdata", description="Lists the user data the caller may see.",
     params=[*PAGING, *ACCOUNT_SCOPE, P("id", entity="userdata"), P("name"), P("projectid", entity="project")])
def list_user_data(ctx):
    return list_owned(ctx, "userdata", lambda r: render_userdata(ctx, r), keyword_fields=("name",))


@api("deleteUserData", response="success", description="Deletes user data no template or VM uses.",
     params=[P("id", "the user data", entity=""), *_OWNER])
def delete_user_data(ctx):
    owner = owner_for_create(ctx)
    row = ctx.store.get("userdata", ctx.get("id"))
    if row is not None:
        ctx.check_access(row, "user data")
    userdata.delete(ctx.store, row, ctx.get("id"), owner)
    record_event(ctx, "DELETE.USER.DATA", f"deleting userdata {row['name']}", resource_id=row["id"],
                 resource_type="UserData", account=owner)
    return SUCCESS


@api("linkUserDataToTemplate", response="template",
     description="Links user data to a template or ISO (or unlinks it without userdataid).",
     params=[P("templateid", "the template", entity=""), P("isoid", "the ISO", entity=""),
             P("userdataid", "the user data", entity="userdata"),
             P("userdatapolicy", "ALLOWOVERRIDE, APPEND or DENYOVERRIDE")])
def link_user_data_to_template(ctx):
    row, policy = userdata.link_to_template(ctx.store, ctx.get("templateid"), ctx.get("isoid"), ctx.get("userdataid"),
                                            ctx.get("userdatapolicy"))
    # checkAccess(OperateEntry) on the template: its owner (or whoever may act for it), or the root admin.
    owned = row.get("accountid") is not None and ctx.can_access(row)
    if not owned and not (ctx.caller and ctx.caller.is_root_admin):
        raise errors.permission_denied(f"Account {ctx.caller.account['name']} does not have permission to "
                                           f"operate with resource {row['id']}")
    linked = ctx.get("userdataid")
    if linked:
        data = ctx.store.get("userdata", linked)
        ctx.check_access(data, "user data")
    row = ctx.store.update("template", row["id"], userdataid=linked, userdatapolicy=policy)
    out = render_template(ctx, row, None)
    data = ctx.store.get("userdata", linked) if linked else None
    out.update(userdataid=linked, userdataname=data["name"] if data else None, userdatapolicy=policy,
               userdataparams=data.get("params") if data else None)
    return out


@api("resetUserDataForVirtualMachine", response="virtualmachine",
     description="Replaces a stopped VM's user data (given, registered, or its template's linked user data).",
     params=[P("id", "the VM", entity=""), P("userdata", "base64 user data"),
             P("userdataid", "registered user data", entity="userdata"), P("userdatadetails", "user data variables"),
             *_OWNER])
def reset_user_data_for_virtual_machine(ctx):
    vm = get_vm(ctx, ctx.get("id"))
    if vm["state"] != "Stopped":
        raise errors.invalid_value(f"VM {vm['instancename']} should be stopped to do UserData reset")
    data_id = ctx.get("userdataid")
    if data_id:
        ctx.check_access(ctx.store.get("userdata", data_id), "user data")
    template = ctx.store.get("template", vm.get("templateid"))
    text = userdata.finalize_userdata(ctx.store, ctx.get("userdata"), data_id, template)
    if text is not None:
        text = userdata.validate_userdata(text, _max_length(ctx))
    details = ctx.get("userdatadetails")
    row = ctx.store.update("virtualmachine", vm["id"], userdata=text, userdataid=data_id,
                           userdatadetails=str(details) if details else None)
    return render_vm(ctx, row, userdata=True)
