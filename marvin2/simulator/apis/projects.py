"""Projects: create/delete (async), list, members (addAccountToProject, listProjectAccounts ...).

As on a real server a project owns its resources through a hidden *project
account* (account type 5, ``PrjAcct-<name>-<owner>``): resources created
with ``projectid`` belong to that account, so limits, counts and isolation
work unchanged; members (``projectaccount`` rows, role Admin or Regular) may
use them. ``_common.owner_for_create``/``list_owned`` handle ``projectid``.
"""
from __future__ import annotations

from marvin2.simulator import errors, limits
from marvin2.simulator.services.common import (
    PROJECT_ACCOUNT_TYPE,
    apply_command_classes,
    check_owned,
    record_event,
)
from marvin2.simulator.context import SUCCESS, Job, ListResult
from marvin2.simulator.declare import PAGING, P, api, declare_object
from marvin2.simulator.services.accounts import ACCOUNT_CLEANUP_HOOKS
from marvin2.simulator.tagging import delete_tags_of

_COUNTED = (("vm", "user_vm"), ("ip", "public_ip"), ("volume", "volume"), ("snapshot", "snapshot"),
            ("template", "template"), ("network", "network"), ("vpc", "vpc"), ("cpu", "cpu"), ("memory", "memory"),
            ("primarystorage", "primary_storage"), ("secondarystorage", "secondary_storage"))

declare_object("project", {
    "id": "project id", "name": "project name", "displaytext": "description", "state": "Active or Suspended",
    "domainid": "domain id", "domain": "domain name", "owner": ("list", "owners"), "created": ("date", "created"),
    "projectaccountname": "the project's account", "vmtotal": ("long", "VMs"), "vmlimit": "VM limit",
    "vmavailable": "VMs still allowed", "tags": ("list", "tags"),
})
declare_object("projectaccount", {
    "account": "member account", "accountid": "its id", "projectid": "the project", "project": "its name",
    "role": "Admin or Regular", "domainid": "member's domain id", "domain": "member's domain", "userid": "member user",
})


def project_account(store, project: dict) -> dict:
    return store.get("account", project["projectaccountid"])


def render_project(ctx, row: dict) -> dict:
    store = ctx.store
    account = project_account(store, row)
    domain = store.get("domain", row["domainid"])
    owners = []
    for member in store.find("projectaccount", projectid=row["id"], role="Admin"):
        member_account = store.get("account", member["accountid"])
        if member_account:
            owners.append({"account": member_account["name"], "accountid": member_account["id"],
                           "domain": domain["name"] if domain else None, "domainid": row["domainid"]})
    out = {"id": row["id"], "name": row["name"], "displaytext": row.get("displaytext"), "state": row["state"],
           "domainid": row["domainid"], "domain": domain["name"] if domain else None, "created": row.get("created"),
           "owner": owners, "projectaccountname": account["name"] if account else None, "tags": ctx.tags_for(row["id"])}
    if account is not None:
        for prefix, resource in _COUNTED:
            total = limits.account_count(store, account["id"], resource)
            limit = limits.account_limit(store, account, resource)
            out[f"{prefix}total"] = total
            out[f"{prefix}limit"] = "Unlimited" if limit < 0 else str(limit)
            out[f"{prefix}available"] = "Unlimited" if limit < 0 else str(max(0, limit - total))
        vms = [v for v in store.find("virtualmachine", accountid=account["id"]) if not v.get("removed")]
        out["vmrunning"] = sum(1 for v in vms if v["state"] == "Running")
        out["vmstopped"] = sum(1 for v in vms if v["state"] == "Stopped")
    return out


def _project(ctx, project_id: str, *, manage: bool = False) -> dict:
    row = ctx.store.get("project", project_id)
    if row is None or row.get("removed"):
        raise errors.invalid_value(f"Unable to find project by id {project_id}")
    caller = ctx.caller
    if caller.is_root_admin or (caller.is_domain_admin and ctx.can_access(row)):
        return row
    member = ctx.store.find_one("projectaccount", projectid=row["id"], accountid=caller.account_id)
    if member is None or (manage and member.get("role") != "Admin"):
        raise errors.permission_denied(f"Account {caller.account['name']} does not have permission to "
                                       f"{'manage' if manage else 'access'} project {row['name']}")
    return row


def _owner_account(ctx) -> dict:
    store = ctx.store
    if ctx.has("accountid"):
        account = store.get("account", ctx.get("accountid"))
        check_owned(ctx, account, "account")
        return account
    if ctx.has("userid"):
        user = store.get("user", ctx.get("userid"))
        account = store.get("account", user["accountid"])
        check_owned(ctx, account, "account")
        return account
    return ctx.resolve_owner()


@api("createProject", response="project", instance_type="Project",
     description="Creates a project owned by the caller (or by an account/user an admin names).",
     params=[P("name", "project name"), P("displaytext", "description"),
             P("account"), P("domainid"), P("accountid", "owner account"),
             P("userid", "owner user")])
def create_project(ctx):
    store = ctx.store
    owner = _owner_account(ctx)
    name = ctx.get("name")
    existing = [p for p in store.find("project", name=name, domainid=owner["domainid"]) if not p.get("removed")]
    if existing:
        raise errors.invalid_value(f"Project with name {name} already exists in domain id={owner['domainid']}")
    limits.charge(store, owner, "project")
    project = store.insert("project", {"name": name, "displaytext": ctx.get("displaytext") or ctx.get("name"), "state": "Active",
                                       "domainid": owner["domainid"], "owneraccountid": owner["id"]})
    account = store.insert("account", {"name": f"PrjAcct-{name}-{owner['name']}", "domainid": owner["domainid"],
                                       "accounttype": PROJECT_ACCOUNT_TYPE, "state": "enabled", "projectid": project["id"],
                                       "roleid": owner.get("roleid")})
    project = store.update("project", project["id"], projectaccountid=account["id"])
    store.insert("projectaccount", {"projectid": project["id"], "accountid": owner["id"], "role": "Admin",
                                    "domainid": owner["domainid"], "projectaccountid": account["id"]})

    def run(jctx):
        record_event(jctx, "PROJECT.CREATE", f"Creating project {name}", resource_id=project["id"],
                     resource_type="Project", account=owner)
        return render_project(jctx, jctx.store.get("project", project["id"]))

    return Job(run, instance_id=project["id"])


@api("listProjects", response="project", related="createProject",
     description="Lists the projects the caller is a member of (admins: of their domains with listall).",
     params=[*PAGING, P("id", entity="project"), P("name"), P("displaytext", "description"),
             P("state", "Active or Suspended"), P("account"), P("domainid"),
             P("isrecursive"), P("listall"), P("tags"), P("username", "member user name"),
             P("showicon"), P("details", "all or min")])
def list_projects(ctx):
    store = ctx.store
    caller = ctx.caller
    member_of = {m["projectid"] for m in store.find("projectaccount", accountid=caller.account_id)}
    if ctx.has("account"):
        account = store.find_one("account", name=ctx.get("account"), domainid=ctx.get("domainid") or caller.domain_id)
        member_of = {m["projectid"] for m in store.find("projectaccount", accountid=account["id"])} if account else set()

    def visible(row):
        if row["id"] in member_of:
            return True
        if not caller.is_admin or ctx.has("account"):
            return False
        if not (ctx.get("listall") or ctx.has("domainid") or ctx.has("id")):
            return False
        return ctx.can_access(row)

    def match(row):
        return (visible(row) and (not ctx.has("state") or row["state"].lower() == ctx.get("state").lower())
                and (not ctx.has("displaytext") or row.get("displaytext") == ctx.get("displaytext"))
                and (not ctx.has("domainid") or row["domainid"] == ctx.get("domainid") or ctx.get("isrecursive")))

    return ctx.list("project", lambda r: render_project(ctx, r), match=match, owned=False)


# What a project still holds that deleteProject without cleanup refuses to drop (4.18 checks templates, VM
# snapshots, VMs, detached volumes, networks and VPCs of the project account, in that order).
_LEFTOVER_KINDS = (("template", "VirtualMachineTemplate"), ("vmsnapshot", "VMSnapshot"),
                   ("virtualmachine", "VirtualMachine"), ("volume", "Volume"), ("network", "Network"), ("vpc", "Vpc"))


def _leftovers(store, account_id: str) -> dict[str, int]:
    """``{kind: count}`` of the live resources a project account still owns (VMs: any state until expunged)."""
    counts = {}
    for kind, _label in _LEFTOVER_KINDS:
        rows = [r for r in store.find(kind, accountid=account_id) if not r.get("removed")]
        if kind == "volume":
            rows = [r for r in rows if not r.get("virtualmachineid") and r.get("state") not in ("Destroy", "Expunged")]
        if rows:
            counts[kind] = len(rows)
    return counts


def delete_project_account(store, account: dict) -> None:
    """Remove a project's hidden account and everything it owns, as deleteAccount removes an account.

    A real server's project cleanup deletes the project account through AccountManager.deleteAccount, so the
    same cleanup runs: every module's deleteAccount hook (VMs, volumes, snapshots, networks, IPs, VPCs ...)."""
    for hook in ACCOUNT_CLEANUP_HOOKS:
        hook(store, account)
    store.delete_where("resourcelimit", accountid=account["id"])
    delete_tags_of(store, account["id"])
    store.update("account", account["id"], removed=store_now(), state="disabled")


@api("deleteProject", response="success", instance_type="Project",
     description="Deletes a project; with cleanup=true everything it owns (VMs, volumes, networks, IPs, VPCs ...) "
                 "goes with it, without it the project must hold none of them.",
     params=[P("id", "the project", entity="project"), P("cleanup", "delete its resources")])
def delete_project(ctx):
    project = _project(ctx, ctx.get("id"), manage=True)
    cleanup = bool(ctx.get("cleanup"))

    def run(jctx):
        store = jctx.store
        account = project_account(store, project)
        leftovers = _leftovers(store, account["id"])
        if leftovers and not cleanup:
            # As ProjectManagerImpl.deleteProject: the first kind found is named, and the CloudRuntimeException
            # fails the job with 530 (not 431: it is no InvalidParameterValueException) and exactly this text.
            kind, label = next((k, label) for k, label in _LEFTOVER_KINDS if k in leftovers)
            raise errors.internal_error(f"Can't delete the project yet because it has {leftovers[kind]} {label} "
                                        "to clean up")
        store.update("project", project["id"], state="Disabled")      # first, as a real server: no new resources
        delete_project_account(store, account)
        store.delete_where("projectaccount", projectid=project["id"])
        delete_tags_of(store, project["id"])
        store.update("project", project["id"], removed=store_now())
        owner = store.get("account", project.get("owneraccountid"))
        if owner:
            limits.release(store, owner, "project")
        record_event(jctx, "PROJECT.DELETE", f"Deleting project {project['name']}", resource_id=project["id"],
                     resource_type="Project")
        return SUCCESS

    return Job(run, instance_id=project["id"])


def store_now() -> str:
    from marvin2 import wire

    return wire.now_text()


def _set_state(ctx, state: str, event: str) -> Job:
    project = _project(ctx, ctx.get("id"), manage=True)

    def run(jctx):
        current = jctx.store.get("project", project["id"])
        if state == "Suspended" and current["state"] == "Suspended":
            raise errors.invalid_value(f"Project {current['name']} is already suspended")
        if state == "Active" and current["state"] == "Active":
            raise errors.invalid_value(f"Project {current['name']} is already active")
        current = jctx.store.update("project", current["id"], state=state)
        record_event(jctx, event, f"{event.split('.')[-1].title()} project {current['name']}", resource_id=current["id"],
                     resource_type="Project")
        return render_project(jctx, current)

    return Job(run, instance_id=project["id"])


@api("suspendProject", response="project", instance_type="Project",
     description="Suspends a project: its resources can no longer be created or used.",
     params=[P("id", "the project", entity="project")])
def suspend_project(ctx):
    return _set_state(ctx, "Suspended", "PROJECT.SUSPEND")


@api("activateProject", response="project", instance_type="Project",
     description="Activates a suspended project.", params=[P("id", "the project", entity="project")])
def activate_project(ctx):
    return _set_state(ctx, "Active", "PROJECT.ACTIVATE")


@api("addAccountToProject", response="success", instance_type="Project",
     description="Adds an account of the project's domain to the project (role Regular unless roletype=Admin).",
     params=[P("projectid", "the project", entity="project"), P("account", "account name"),
             P("email", "invite by e-mail (not supported by the simulator)"),
             P("roletype", "Admin or Regular"), P("projectroleid", "project role", entity="")])
def add_account_to_project(ctx):
    store = ctx.store
    project = _project(ctx, ctx.get("projectid"), manage=True)
    if not ctx.has("account"):
        raise errors.invalid_value("Either accountName or email is required" if not ctx.has("email") else
                                   "Invitations by e-mail need project.invite.required=true, which the simulator does not support")
    role = (ctx.get("roletype") or "Regular").capitalize()
    if role not in ("Admin", "Regular"):
        raise errors.invalid_value(f"Invalid role type {ctx.get('roletype')}: use Admin or Regular")
    account = store.find_one("account", name=ctx.get("account"), domainid=project["domainid"], removed=None)
    if account is None:
        raise errors.invalid_value(f"Unable to find account name={ctx.get('account')} in domain id={project['domainid']}")

    def run(jctx):
        if jctx.store.find_one("projectaccount", projectid=project["id"], accountid=account["id"]):
            raise errors.invalid_value(f"The account {account['name']} is already a member of project {project['name']}")
        jctx.store.insert("projectaccount", {"projectid": project["id"], "accountid": account["id"], "role": role,
                                             "domainid": account["domainid"], "projectaccountid": project["projectaccountid"]})
        record_event(jctx, "PROJECT.ACCOUNT.ADD", f"Adding account {account['name']} to project {project['name']}",
                     resource_id=project["id"], resource_type="Project")
        return SUCCESS

    return Job(run, instance_id=project["id"])


@api("deleteAccountFromProject", response="success", instance_type="Project",
     description="Removes an account from a project (not its owner).",
     params=[P("projectid", "the project", entity="project"), P("account", "account name")])
def delete_account_from_project(ctx):
    store = ctx.store
    project = _project(ctx, ctx.get("projectid"), manage=True)
    account = store.find_one("account", name=ctx.get("account"), domainid=project["domainid"], removed=None)
    if account is None:
        raise errors.invalid_value(f"Unable to find account name={ctx.get('account')} in domain id={project['domainid']}")

    def run(jctx):
        member = jctx.store.find_one("projectaccount", projectid=project["id"], accountid=account["id"])
        if member is None:
            raise errors.invalid_value(f"Account {account['name']} is not assigned to the project {project['name']}")
        if account["id"] == project.get("owneraccountid"):
            raise errors.invalid_value(f"Unable to delete account {account['name']} from the project "
                                       f"{project['name']} as it is the project owner")
        jctx.store.delete("projectaccount", member["id"])
        record_event(jctx, "PROJECT.ACCOUNT.REMOVE", f"Removing account {account['name']} from project "
                     f"{project['name']}", resource_id=project["id"], resource_type="Project")
        return SUCCESS

    return Job(run, instance_id=project["id"])


@api("listProjectAccounts", response="projectaccount",
     description="Lists the member accounts of a project with their roles.",
     params=[*PAGING, P("projectid", "the project", entity="project"), P("account", "account name"),
             P("role", "Admin or Regular"), P("userid", "member user"),
             P("projectroleid", "project role", entity="")])
def list_project_accounts(ctx):
    store = ctx.store
    project = _project(ctx, ctx.get("projectid"))
    items = []
    for member in store.find("projectaccount", projectid=project["id"]):
        account = store.get("account", member["accountid"])
        if account is None:
            continue
        if ctx.has("account") and account["name"] != ctx.get("account"):
            continue
        if ctx.has("role") and member["role"].lower() != ctx.get("role").lower():
            continue
        if ctx.has("keyword") and ctx.get("keyword").lower() not in account["name"].lower():
            continue
        domain = store.get("domain", account["domainid"])
        items.append({"account": account["name"], "accountid": account["id"], "projectid": project["id"],
                      "project": project["name"], "role": member["role"], "domainid": account["domainid"],
                      "domain": domain["name"] if domain else None})
    page = ctx.paginate(items)
    return ListResult(page.items, page.count)


apply_command_classes()
