"""Projects: create/delete (async), list, members (addAccountToProject, listProjectAccounts ...).

As on a real server a project owns its resources through a hidden *project
account* (account type 5, ``PrjAcct-<name>-<owner>``): resources created
with ``projectid`` belong to that account, so limits, counts and isolation
work unchanged; members (``projectaccount`` rows, role Admin or Regular) may
use them. ``_common.owner_for_create``/``list_owned`` handle ``projectid``.
"""
from __future__ import annotations

import secrets
import time

from marvin2 import wire
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


def _invite_required(ctx) -> bool:
    """project.invite.required: members join by accepting an invitation (read per call; 4.20 reads it at start)."""
    return str(ctx.config("project.invite.required", "false")).lower() == "true"


def _role_of(ctx) -> str:
    role = (ctx.get("roletype") or "Regular").capitalize()
    if role not in ("Admin", "Regular"):
        raise errors.invalid_value(f"Invalid role type {ctx.get('roletype')}: use Admin or Regular")
    return role


def _check_active(project: dict, what: str) -> None:
    if project["state"] != "Active":
        ending = "as it isn't currently active" if what == "user" else "as it's no longer active"
        raise errors.invalid_value(f"Can't add {what} to the specified project id in state={project['state']} {ending}")


def _invite(jctx, project: dict, *, account: dict | None, user: dict | None, email: str | None, role: str) -> None:
    """A Pending invitation (createAccountInvitation / generateTokenBasedInvitation)."""
    store = jctx.store
    pending = [i for i in store.find("projectinvitation", projectid=project["id"], state="Pending")
               if (email and i.get("email") == email) or (not email and account and i.get("accountid") == account["id"]
                                                           and i.get("userid") == (user["id"] if user else None))]
    if pending and not _expired(jctx, pending[0]):
        if email:
            raise errors.invalid_value(f"There is already a pending invitation for email {email} to the project "
                                       f"{project['name']}")
        raise errors.invalid_value(f"There is already a pending invitation for account id={account['id']} to the "
                                   f"project id={project['name']}")
    store.insert("projectinvitation", {
        "projectid": project["id"], "accountid": account["id"] if account else None,
        "userid": user["id"] if user else None, "email": email, "role": role, "state": "Pending",
        "domainid": project["domainid"],
        # e-mailed to the invitee by a real server; the simulator sends no mail and never shows it
        "token": secrets.token_hex(5) if email else None})
    record_event(jctx, "PROJECT.INVITATION.CREATE", f"inviting {email or account['name']} to project "
                 f"{project['name']}", resource_id=project["id"], resource_type="Project")


def _expired(ctx, invitation: dict) -> bool:
    """Pending longer than project.invite.timeout seconds (default 86400) -> Expired."""
    try:
        timeout = float(ctx.config("project.invite.timeout", "86400"))
    except (TypeError, ValueError):
        timeout = 86400.0
    created = wire.parse_tzdate(invitation["created"]).timestamp()
    if invitation["state"] == "Pending" and time.time() - created > timeout:
        ctx.store.update("projectinvitation", invitation["id"], state="Expired")
        return True
    return invitation["state"] == "Expired"


def _add_member(store, project: dict, account: dict, role: str, user: dict | None = None) -> None:
    store.insert("projectaccount", {"projectid": project["id"], "accountid": account["id"], "role": role,
                                    "domainid": account["domainid"], "projectaccountid": project["projectaccountid"],
                                    "userid": user["id"] if user else None})


@api("addAccountToProject", response="success", instance_type="Project",
     description="Adds an account of the project's domain to the project (role Regular unless roletype=Admin); with "
                 "project.invite.required=true it invites the account (or an e-mail address) instead.",
     params=[P("projectid", "the project", entity="project"), P("account", "account name"),
             P("email", "invite by e-mail (with project.invite.required)"),
             P("roletype", "Admin or Regular"), P("projectroleid", "project role", entity="")])
def add_account_to_project(ctx):
    store = ctx.store
    project = ctx.store.get("project", ctx.get("projectid"))
    if project is None or project.get("removed"):
        raise errors.invalid_value("Unable to find project with specified id")
    _check_active(project, "account")
    account = None
    if ctx.has("account"):
        account = store.find_one("account", name=ctx.get("account"), domainid=project["domainid"], removed=None)
        if account is None:
            raise errors.invalid_value(f"Unable to find account name={ctx.get('account')} in specified domain id")
    project = _project(ctx, project["id"], manage=True)
    role = _role_of(ctx)
    invite = _invite_required(ctx)
    if not invite and account is None:
        raise errors.invalid_value("Account information is required for assigning account to the project")

    def run(jctx):
        if account is not None and jctx.store.find_one("projectaccount", projectid=project["id"],
                                                        accountid=account["id"]):
            return SUCCESS                      # already a member: nothing to do, as in 4.20
        if invite:
            if account is not None or ctx.has("email"):
                _invite(jctx, project, account=account, user=None, email=None if account else ctx.get("email"),
                        role=role)
            return SUCCESS
        _add_member(jctx.store, project, account, role)
        record_event(jctx, "PROJECT.ACCOUNT.ADD", f"Adding account {account['name']} to project {project['name']}",
                     resource_id=project["id"], resource_type="Project")
        return SUCCESS

    return Job(run, instance_id=project["id"])


@api("addUserToProject", response="success", instance_type="Project",
     description="Adds one user (by name) of the project's domain to the project, or invites it with "
                 "project.invite.required=true.",
     params=[P("projectid", "the project", entity="project"), P("username", "the user's name"),
             P("email", "invite by e-mail"), P("roletype", "Admin or Regular"),
             P("projectroleid", "project role", entity="")])
def add_user_to_project(ctx):
    store = ctx.store
    project = store.get("project", ctx.get("projectid"))
    if project is None or project.get("removed"):
        raise errors.invalid_value("Unable to find project with specified id")
    _check_active(project, "user")
    user = next((u for u in store.find("user", username=ctx.get("username")) if not u.get("removed")
                 and (store.get("account", u["accountid"]) or {}).get("domainid") == project["domainid"]), None)
    if user is None:
        raise errors.invalid_value("Invalid user ID provided")
    project = _project(ctx, project["id"], manage=True)
    account = store.get("account", user["accountid"])
    if store.find_one("projectaccount", projectid=project["id"], accountid=account["id"], userid=None):
        raise errors.invalid_value(f"User belongs to account {account['id']} which is already part of the project")
    role = _role_of(ctx)
    invite = _invite_required(ctx)

    def run(jctx):
        if jctx.store.find_one("projectaccount", projectid=project["id"], accountid=account["id"], userid=user["id"]):
            return SUCCESS
        if invite:
            _invite(jctx, project, account=account, user=user, email=ctx.get("email"), role=role)
            return SUCCESS
        _add_member(jctx.store, project, account, role, user)
        record_event(jctx, "PROJECT.USER.ADD", f"Adding user {user['username']} to project {project['name']}",
                     resource_id=project["id"], resource_type="Project")
        return SUCCESS

    return Job(run, instance_id=project["id"])


@api("deleteUserFromProject", response="success", instance_type="Project",
     description="Removes a user added with addUserToProject (and its pending invitation).",
     params=[P("projectid", "the project", entity="project"), P("userid", "the user", entity="")])
def delete_user_from_project(ctx):
    store = ctx.store
    project = store.get("project", ctx.get("projectid"))
    if project is None or project.get("removed"):
        raise errors.invalid_value("Unable to find project with specified id")
    user = store.get("user", ctx.get("userid"))
    if user is None or user.get("removed"):
        raise errors.invalid_value("Invalid userId provided")
    account = store.get("account", user["accountid"])
    if account is None or account.get("removed") or account["domainid"] != project["domainid"]:
        raise errors.invalid_value(f"Unable to find user {user['username']} in domain id={project['domainid']}")
    project = _project(ctx, project["id"], manage=True)

    def run(jctx):
        jstore = jctx.store
        member = jstore.find_one("projectaccount", projectid=project["id"], accountid=account["id"], userid=user["id"])
        pending = jstore.find_one("projectinvitation", projectid=project["id"], userid=user["id"], state="Pending")
        if member is None:
            if pending is not None:
                jstore.delete("projectinvitation", pending["id"])
            # the Java removes the pending invitation, then refuses
            raise errors.invalid_value(f"User {user['username']} is not assigned to the project with specified id")
        jstore.delete("projectaccount", member["id"])
        if pending is not None:
            jstore.delete("projectinvitation", pending["id"])
        record_event(jctx, "PROJECT.USER.REMOVE", f"Removing user {user['username']} from project {project['name']}",
                     resource_id=project["id"], resource_type="Project")
        return SUCCESS

    return Job(run, instance_id=project["id"])


# --- invitations ------------------------------------------------------------------------------------------

declare_object("projectinvitation", {
    "id": "invitation id", "projectid": "the project", "project": "its name", "domainid": "its domain",
    "domain": "domain name", "account": "invited account", "userid": "invited user", "email": "invited address",
    "state": "Pending, Completed, Declined or Expired"})


def render_invitation(ctx, row: dict) -> dict:
    store = ctx.store
    project = store.get("project", row["projectid"]) or {}
    account = store.get("account", row.get("accountid")) if row.get("accountid") else None
    domain = store.get("domain", row.get("domainid")) or {}
    return {"id": row["id"], "projectid": row["projectid"], "project": project.get("name"),
            "domainid": row.get("domainid"), "domain": domain.get("name"), "domainpath": domain.get("path"),
            "account": account["name"] if account else None, "userid": row.get("userid"), "email": row.get("email"),
            "state": row["state"]}


@api("listProjectInvitations", response="projectinvitation",
     description="Lists project invitations: the caller's own, or (admins, listall) those of their domains.",
     params=[*PAGING, P("projectid", "the project", entity="project"), P("activeonly", "only Pending ones"),
             P("state", "Pending, Completed, Declined or Expired"), P("id", "the invitation", entity=""),
             P("userid", "the invited user", entity=""), P("account"), P("listall"), P("domainid"),
             P("isrecursive")])
def list_project_invitations(ctx):
    store = ctx.store
    caller = ctx.caller
    for row in store.find("projectinvitation", state="Pending"):
        _expired(ctx, row)                      # the expiry sweep of a real server, done when someone looks
    rows = store.all("projectinvitation")

    def visible(row: dict) -> bool:
        if caller.is_admin and (ctx.get("listall") or ctx.has("domainid") or ctx.has("id")):
            return ctx.can_access({"domainid": row["domainid"]})
        if row.get("accountid") == caller.account_id:
            return True
        # project admins see the invitations of their projects
        return store.find_one("projectaccount", projectid=row["projectid"], accountid=caller.account_id,
                              role="Admin") is not None

    def match(row: dict) -> bool:
        if ctx.has("projectid") and row["projectid"] != ctx.get("projectid"):
            return False
        if ctx.has("id") and row["id"] != ctx.get("id"):
            return False
        if ctx.has("userid") and row.get("userid") != ctx.get("userid"):
            return False
        if ctx.has("domainid") and row["domainid"] != ctx.get("domainid"):
            return False
        if ctx.has("account"):
            account = store.get("account", row.get("accountid")) if row.get("accountid") else None
            if account is None or account["name"] != ctx.get("account"):
                return False
        if ctx.get("activeonly") and row["state"] != "Pending":
            return False
        return not ctx.has("state") or row["state"].lower() == ctx.get("state").lower()

    chosen = [r for r in rows if visible(r) and match(r)]
    page = ctx.paginate(chosen)
    return ListResult([render_invitation(ctx, r) for r in page.items], page.count)


@api("updateProjectInvitation", response="success", instance_type="Project",
     description="Accepts (accept=true, default) or declines the caller's (or a named account's) pending invitation.",
     params=[P("projectid", "the project", entity=""), P("account", "the invited account"),
             P("userid", "the invited user", entity=""), P("token", "the e-mailed token"),
             P("accept", "accept (default) or decline")])
def update_project_invitation(ctx):
    store = ctx.store
    project = store.get("project", ctx.get("projectid"))
    if project is None or project.get("removed"):
        raise errors.invalid_value(f"Unable to find the project id={ctx.get('projectid')}")
    account_name = ctx.get("account")
    user = None
    if account_name:
        account = store.find_one("account", name=account_name, domainid=project["domainid"], removed=None)
        if account is None:
            raise errors.invalid_value(f"Unable to find account name={account_name} in domain id={project['domainid']}")
        ctx.check_access(account, "account")
    elif ctx.has("userid"):
        user = store.get("user", ctx.get("userid"))
        if user is None:
            raise errors.invalid_value("Invalid user ID provided. Please provide a valid user ID or account name whose "
                                       "invitation is to be updated")
        account = store.get("account", user["accountid"])
        if account["domainid"] != project["domainid"]:
            raise errors.invalid_value(f"Unable to find user ={ctx.get('userid')} in domain id={project['domainid']}")
    else:
        account, user = ctx.caller.account, ctx.caller.user
    pending = store.find("projectinvitation", projectid=project["id"], state="Pending")
    if ctx.has("token"):
        invitation = next((i for i in pending if i.get("token") == ctx.get("token")), None)
    elif account_name:
        invitation = next((i for i in pending if i.get("accountid") == account["id"]), None)
    else:
        invitation = next((i for i in pending if i.get("accountid") == account["id"]
                           and i.get("userid") in (None, user["id"] if user else None)), None)
    if invitation is None:
        raise errors.invalid_value(f"Unable to find invitation for account name={account_name} to the "
                                   f"project={project['name']}")
    accept = ctx.get("accept") if ctx.has("accept") else True
    if accept and _expired(ctx, invitation):
        raise errors.invalid_value(f"Invitation is expired for account id={account_name} to the project "
                                   f"{project['name']}")

    def run(jctx):
        jstore = jctx.store
        current = jstore.update("projectinvitation", invitation["id"], state="Completed" if accept else "Declined")
        if accept:
            member_account = jstore.get("account", current.get("accountid") or account["id"])
            invited_user = jstore.get("user", current["userid"]) if current.get("userid") else None
            if not jstore.find_one("projectaccount", projectid=project["id"], accountid=member_account["id"],
                                   userid=invited_user["id"] if invited_user else None):
                _add_member(jstore, project, member_account, current.get("role") or "Regular", invited_user)
        record_event(jctx, "PROJECT.INVITATION.UPDATE", f"{'accepted' if accept else 'declined'} invitation to "
                     f"project {project['name']}", resource_id=project["id"], resource_type="Project")
        return SUCCESS

    return Job(run, instance_id=project["id"])


@api("deleteProjectInvitation", response="success", instance_type="Project",
     description="Removes an invitation (project admins).", params=[P("id", "the invitation", entity="")])
def delete_project_invitation(ctx):
    invitation = ctx.store.get("projectinvitation", ctx.get("id"))
    if invitation is None:
        raise errors.invalid_value(f"Unable to find project invitation by id {ctx.get('id')}")
    project = _project(ctx, invitation["projectid"], manage=True)

    def run(jctx):
        jctx.store.delete("projectinvitation", invitation["id"])
        record_event(jctx, "PROJECT.INVITATION.REMOVE", f"removed an invitation to project {project['name']}",
                     resource_id=project["id"], resource_type="Project")
        return SUCCESS

    return Job(run, instance_id=project["id"])


@api("updateProject", response="project", instance_type="Project",
     description="Renames a project, changes its description, or hands ownership to a member account (swapowner, "
                 "default) / sets a member's role (swapowner=false with account or userid and roletype).",
     params=[P("id", "the project", entity=""), P("name", "new name"), P("displaytext", "new description"),
             P("account", "member account"), P("userid", "member user", entity=""), P("roletype", "Admin or Regular"),
             P("swapowner", "make account the sole owner (default true)")])
def update_project(ctx):
    store = ctx.store
    if ctx.has("account") and ctx.has("userid"):
        raise errors.invalid_value("Account name and user ID are mutually exclusive. Provide either account name"
                                   "to update account or user ID to update the user of the project")
    project = store.get("project", ctx.get("id"))
    if project is None or project.get("removed"):
        raise errors.invalid_value(f"Unable to find the project id={ctx.get('id')}")
    swap = ctx.get("swapowner") if ctx.has("swapowner") else True
    new_role = (ctx.get("roletype") or "").capitalize() or None

    def run(jctx):
        # UpdateProjectCmd.execute reads the role type, and ProjectManagerImpl.updateProject checks the caller's
        # right to manage the project, inside the job: both refusals are failed jobs.
        if new_role not in (None, "Admin", "Regular"):
            raise errors.invalid_value("Only Admin or Regular project role types are valid")
        _project(jctx, project["id"], manage=True)
        jstore = jctx.store
        changes = {k: jctx.get(k) for k in ("name", "displaytext") if jctx.has(k)}
        current = jstore.update("project", project["id"], **changes) if changes else jstore.get("project", project["id"])
        members = jstore.find("projectaccount", projectid=project["id"])
        owners = [m for m in members if m["role"] == "Admin"]
        if ctx.has("account"):
            target = jstore.find_one("account", name=ctx.get("account"), domainid=project["domainid"], removed=None)
            if target is None:
                raise errors.invalid_value(f"Unable to find account name={ctx.get('account')} in domain "
                                           f"id={project['domainid']}")
            member = next((m for m in members if m["accountid"] == target["id"] and not m.get("userid")), None)
            if member is None:
                raise errors.invalid_value(f"Account {ctx.get('account')} doesn't belong to the project. Add it to the "
                                           "project first and then change the project's ownership")
            if swap:
                if member["role"] != "Admin":
                    limits.charge(jstore, target, "project")
                    for owner in owners:
                        jstore.update("projectaccount", owner["id"], role="Regular")
                        limits.release(jstore, owner["accountid"], "project")
                    jstore.update("projectaccount", member["id"], role="Admin")
                    current = jstore.update("project", current["id"], owneraccountid=target["id"])
            else:
                if len(owners) == 1 and owners[0]["id"] == member["id"] and new_role != "Admin":
                    raise errors.invalid_value("Cannot demote the only admin of the project")
                _set_member_role(jstore, member, new_role, target)
        elif ctx.has("userid") and not swap:
            user = jstore.get("user", ctx.get("userid"))
            member = next((m for m in members if user and m.get("userid") == user["id"]), None)
            if user is None or member is None:
                raise errors.invalid_value(f"User {ctx.get('userid')} doesn't belong to the project. Add it to the "
                                           "project first and then change the project's ownership")
            if len(owners) == 1 and owners[0]["id"] == member["id"] and new_role != "Admin":
                raise errors.invalid_value("Cannot demote the only admin of the project")
            _set_member_role(jstore, member, new_role, jstore.get("account", user["accountid"]))
        record_event(jctx, "PROJECT.UPDATE", f"updating project {current['name']}", resource_id=current["id"],
                     resource_type="Project")
        return render_project(jctx, current)

    return Job(run, instance_id=project["id"])


def _set_member_role(store, member: dict, role: str | None, account: dict) -> None:
    """updateProjectAccount: the role changes and the member's project count follows (Admins are counted)."""
    if role == member["role"]:
        return
    if role == "Admin":
        limits.charge(store, account, "project")
    else:
        limits.release(store, account["id"], "project")
    store.update("projectaccount", member["id"], role=role)


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
        if ctx.has("userid") and member.get("userid") != ctx.get("userid"):
            continue
        user = store.get("user", member["userid"]) if member.get("userid") else None
        items.append({"account": account["name"], "accountid": account["id"], "projectid": project["id"],
                      "project": project["name"], "role": member["role"], "domainid": account["domainid"],
                      "domain": domain["name"] if domain else None, "userid": member.get("userid"),
                      "username": user["username"] if user else None})
    page = ctx.paginate(items)
    return ListResult(page.items, page.count)


apply_command_classes()
