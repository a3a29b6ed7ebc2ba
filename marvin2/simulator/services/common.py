"""Helpers every API module and service may use (the lowest service: it imports only the core).

What lives here:

- numbering: CloudStack shows internal numbers in names (``i-2-15-VM``,
  ``ROOT-15``) and some error texts; ``next_number`` hands them out;
- events with the resource they are about (listEvents ``resourceid``);
- owned-row look-ups with the real "not found" / permission texts;
- projects: a project owns resources through a hidden *project account*
  (CloudStack's account type 5); ``owner_for_create``, ``owner_fields`` and
  ``list_owned`` make ``projectid`` work on any owned kind.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from marvin2.simulator import access_texts, errors
from marvin2.simulator.validation import ALL_PROJECTS

GIB = 1024 ** 3
MIB = 1024 ** 2
PROJECT_ACCOUNT_TYPE = 5


# --- numbering --------------------------------------------------------------------------------


def next_number(store, sequence: str) -> int:
    """The next value (1, 2, ...) of a named counter kept in the store (inside the request's transaction)."""
    key = f"seq.{sequence}"
    value = int(store.get_meta(key, 0)) + 1
    store.set_meta(key, value)
    return value


def account_number(store, account: dict) -> int:
    """A stable small number for an account (the ``2`` of ``i-2-15-VM``); kept with the texts that print it."""
    return access_texts.account_number(store, account)


_INDEXES = (("virtualmachine", "accountid"), ("virtualmachine", "state"), ("virtualmachine", "hostid"),
            ("volume", "virtualmachineid"), ("volume", "accountid"), ("nic", "virtualmachineid"),
            ("nic", "networkid"), ("resourcetag", "resourceid"), ("snapshot", "volumeid"),
            ("asyncjob", "jobinstanceid"))


def ensure_indexes(store) -> None:
    """Index the fields hot look-ups use (once per store): a VM list renders NICs, tags and volumes per VM."""
    if getattr(store, "_compute_indexes", False):
        return
    for kind, field in _INDEXES:
        store.index(kind, field)
    store._compute_indexes = True


def epoch() -> float:
    return time.time()


# --- events ------------------------------------------------------------------------------------


def record_event(ctx, event_type: str, description: str, *, resource_id: str | None = None,
                 resource_type: str | None = None, account: dict | None = None, level: str = "INFO") -> dict:
    """``ctx.event`` plus the resource the event is about (listEvents resourceid/resourcetype)."""
    row = ctx.event(event_type, description, level=level, account=account)
    if resource_id:
        row = ctx.store.update("event", row["id"], resourceid=resource_id, resourcetype=resource_type)
    return row


# --- look-ups ---------------------------------------------------------------------------------------


def get_live(ctx, kind: str, row_id: str, not_found: str) -> dict:
    """A row that exists and is not removed, else 431 with ``not_found``."""
    row = ctx.store.get(kind, row_id)
    if row is None or row.get("removed"):
        raise errors.invalid_value(not_found)
    return row


def check_owned(ctx, row: dict, what: str) -> dict:
    """531 when the caller may not act on ``row``; project members act on project resources."""
    if ctx.can_access(row):
        return row
    if is_project_member(ctx, row.get("accountid")):
        return row
    ctx.check_access(row, what)
    return row


def zone_name(store, zone_id: str | None) -> str | None:
    zone = store.get("zone", zone_id) if zone_id else None
    return zone["name"] if zone else None


def name_of(store, kind: str, row_id: str | None) -> str | None:
    row = store.get(kind, row_id) if row_id else None
    return row["name"] if row else None


# --- projects ----------------------------------------------------------------------------------------


def project_of_account(store, account_id: str | None) -> dict | None:
    if not account_id:
        return None
    account = store.get("account", account_id)
    if not account or account.get("accounttype") != PROJECT_ACCOUNT_TYPE:
        return None
    return store.get("project", account.get("projectid"))


def is_project_member(ctx, account_id: str | None) -> bool:
    project = project_of_account(ctx.store, account_id)
    if project is None or project.get("removed") or ctx.caller is None:
        return False
    return ctx.store.find_one("projectaccount", projectid=project["id"], accountid=ctx.caller.account_id) is not None


def project_for_param(ctx, project_id: str | None) -> dict | None:
    """The project a ``projectid`` names, checking that the caller may use it (531 otherwise)."""
    if not project_id:
        return None
    project = ctx.store.get("project", project_id)
    if project is None or project.get("removed"):
        raise errors.invalid_value(f"Unable to find project by id {project_id}")
    caller = ctx.caller
    if caller.is_root_admin or (caller.is_domain_admin and ctx.can_access(project)):
        return project
    if ctx.store.find_one("projectaccount", projectid=project["id"], accountid=caller.account_id) is None:
        raise errors.permission_denied(
            f"Account {caller.account['name']} does not have permission to access project {project['name']}")
    if project.get("state") != "Active":
        raise errors.permission_denied(f"Project {project['name']} is not active (state {project.get('state')})")
    return project


def owner_for_create(ctx) -> dict:
    """The account a create acts for: the project's account (``projectid``), else ``account``+``domainid`` or the caller."""
    if ctx.has("projectid"):
        project = project_for_param(ctx, ctx.get("projectid"))
        return ctx.store.get("account", project["projectaccountid"])
    return ctx.resolve_owner()


def owner_fields(ctx, row: dict) -> dict:
    """``account``/``domainid``/``domain`` of a response, or ``projectid``/``project`` for project resources."""
    out = ctx.owner_fields(row)
    project = project_of_account(ctx.store, row.get("accountid"))
    if project is not None:
        out.pop("account", None)
        out["projectid"] = project["id"]
        out["project"] = project["name"]
    return out


def project_account_ids(store) -> set[str]:
    return {a["id"] for a in store.find("account", accounttype=PROJECT_ACCOUNT_TYPE)}


# --- projectid=-1: every project the caller can see ---------------------------------------------------------
#
# On list APIs CloudStack reads ``projectid=-1`` as "all projects" (the API layer lets "-1" through any uuid
# parameter; validation.py accepts it for the lists that support it). 4.18.0's
# AccountManagerImpl.buildACLSearchParameters then decides:
# - ``account`` too: 431 "Account and projectId can't be specified together" (checked before the project);
# - a user (account type 0): the rows of the projects its account is a member of, or, when it is in none, its
#   own rows (``listall`` changes nothing: issue #7642, fixed after 4.18.0);
# - an admin: project rows only (ListProjectResourcesOnly); with ``listall=true`` every row of its listall
#   scope, projects included (ListAllIncludingProjectResources, 4.15+). ``domainid``/``isrecursive`` narrow
#   as usual. A domain admin stays in its domain subtree (the server code sets no domain bound here; bounded
#   on purpose). The user rule is the one issue #7642 reports on 4.18.0 (fixed later by PR #7667).

def asks_all_projects(ctx) -> bool:
    """Is this a list call with ``projectid=-1``?"""
    return "projectid" in ctx.api.by_param and ctx.get("projectid") == ALL_PROJECTS


def member_project_accounts(store, account_id: str) -> set[str]:
    """The project accounts of the (live) projects ``account_id`` is a member of (listPermittedProjectAccounts)."""
    out = set()
    for membership in store.find("projectaccount", accountid=account_id):
        project = store.get("project", membership["projectid"])
        if project is not None and not project.get("removed") and project.get("projectaccountid"):
            out.add(project["projectaccountid"])
    return out


def all_projects_scope(ctx) -> Callable[[dict], bool]:
    """Which owned rows a ``projectid=-1`` list shows (see above), as a row predicate."""
    from marvin2.simulator.listing import in_domain_tree, owner_filter

    if ctx.has("account") and "account" in ctx.api.by_param:
        raise errors.invalid_value("Account and projectId can't be specified together")
    store, caller = ctx.store, ctx.caller
    if not caller.is_admin:
        accounts = member_project_accounts(store, caller.account_id) or {caller.account_id}
        return lambda row: row.get("accountid") in accounts
    if ctx.get("listall"):
        return owner_filter(ctx)                      # root: everything; domain admin: its subtree
    if ctx.has("domainid"):
        allowed = owner_filter(ctx)                   # that domain (its subtree with isrecursive), access checked
    elif caller.is_root_admin:
        return _in_accounts(project_account_ids(store))
    else:
        allowed = in_domain_tree(store, caller.domain)
    projects = project_account_ids(store)
    return lambda row: row.get("accountid") in projects and allowed(row)


def _in_accounts(account_ids: set[str]) -> Callable[[dict], bool]:
    return lambda row: row.get("accountid") in account_ids


def list_owned(ctx, kind: str, render: Callable[[dict], dict], *, match: Callable[[dict], bool] | None = None,
               rows: list[dict] | None = None, **options: Any):
    """``ctx.list`` for owned kinds with CloudStack's project rule (AccountManagerImpl.buildACLSearchParameters).

    - ``projectid``: that project's rows only (members, root admins, domain admins of its domain; others 531);
      with ``account`` too: 431, the two cannot be combined;
    - no ``projectid`` and no ``id``: project rows are skipped (SkipProjectResources);
    - no ``projectid`` but an ``id``: no project rule, the caller's ordinary scope decides, so an admin
      looking a project's VM up by id finds it (a user still needs ``projectid``: its scope is its account);
    - ``projectid=-1``: every project the caller can see (``all_projects_scope``).
    """
    declared = ctx.api.by_param
    if asks_all_projects(ctx):
        scope = all_projects_scope(ctx)
        inner = match

        def in_all_projects(row):
            return scope(row) and (inner is None or inner(row))

        return ctx.list(kind, render, rows=rows, owned=False, match=in_all_projects, **options)
    if ctx.has("projectid") and "projectid" in declared:
        if ctx.has("account") and "account" in declared:
            raise errors.invalid_value("Account and projectId can't be specified together")
        project = project_for_param(ctx, ctx.get("projectid"))
        source = rows if rows is not None else ctx.store.find(kind, accountid=project["projectaccountid"])
        source = [r for r in source if r.get("accountid") == project["projectaccountid"]]
        return ctx.list(kind, render, rows=source, owned=False, match=match, **options)
    by_id = ctx.has("id") and "id" in declared
    hidden = set() if by_id else project_account_ids(ctx.store)
    if hidden:
        inner = match

        def match(row):
            return row.get("accountid") not in hidden and (inner is None or inner(row))

    return ctx.list(kind, render, rows=rows, owned=True, match=match, **options)


def lower_details(entries: list[dict] | None) -> dict[str, str]:
    """A ``details`` map parameter in the one-field-per-key convention → ``{key: value}``.

    ``details[0].cpuNumber=2&details[0].memory=512`` → ``{"cpuNumber": "2", "memory": "512"}``;
    also accepts the key/value convention (``details[0].key=k&details[0].value=v``).
    """
    out: dict[str, str] = {}
    for entry in entries or []:
        lowered = {k.lower(): v for k, v in entry.items()}
        if set(lowered) <= {"key", "value"} and "key" in lowered:
            out[lowered["key"]] = lowered.get("value", "")
        else:
            out.update(entry)
    return out


# --- job records: the Java command class a real server shows in "cmd" -------------------------------------

_PACKAGE = "org.apache.cloudstack.api.command."
COMMAND_CLASSES = {
    "deployVirtualMachine": "user.vm.DeployVMCmd", "startVirtualMachine": "user.vm.StartVMCmd",
    "stopVirtualMachine": "user.vm.StopVMCmd", "rebootVirtualMachine": "user.vm.RebootVMCmd",
    "destroyVirtualMachine": "user.vm.DestroyVMCmd", "expungeVirtualMachine": "admin.vm.ExpungeVMCmd",
    "scaleVirtualMachine": "user.vm.ScaleVMCmd", "resetPasswordForVirtualMachine": "user.vm.ResetVMPasswordCmd",
    "addNicToVirtualMachine": "user.vm.AddNicToVMCmd", "removeNicFromVirtualMachine": "user.vm.RemoveNicFromVMCmd",
    "updateDefaultNicForVirtualMachine": "user.vm.UpdateDefaultNicForVMCmd",
    "resetSSHKeyForVirtualMachine": "user.vm.ResetVMSSHKeyCmd", "migrateVirtualMachine": "admin.vm.MigrateVMCmd",
    "attachIso": "user.iso.AttachIsoCmd", "detachIso": "user.iso.DetachIsoCmd", "copyIso": "user.iso.CopyIsoCmd",
    "extractIso": "user.iso.ExtractIsoCmd", "deleteIso": "user.iso.DeleteIsoCmd",
    "copyTemplate": "user.template.CopyTemplateCmd", "createTemplate": "user.template.CreateTemplateCmd", "extractTemplate": "user.template.ExtractTemplateCmd",
    "deleteTemplate": "user.template.DeleteTemplateCmd", "createVolume": "user.volume.CreateVolumeCmd",
    "attachVolume": "user.volume.AttachVolumeCmd", "detachVolume": "user.volume.DetachVolumeCmd",
    "resizeVolume": "user.volume.ResizeVolumeCmd", "migrateVolume": "user.volume.MigrateVolumeCmd",
    "createSnapshot": "user.snapshot.CreateSnapshotCmd", "deleteSnapshot": "user.snapshot.DeleteSnapshotCmd",
    "revertSnapshot": "user.snapshot.RevertSnapshotCmd", "updateSnapshotPolicy": "user.snapshot.UpdateSnapshotPolicyCmd",
    "createVMSnapshot": "user.vmsnapshot.CreateVMSnapshotCmd", "revertToVMSnapshot": "user.vmsnapshot.RevertToVMSnapshotCmd",
    "deleteVMSnapshot": "user.vmsnapshot.DeleteVMSnapshotCmd",
    "createAffinityGroup": "user.affinitygroup.CreateAffinityGroupCmd",
    "deleteAffinityGroup": "user.affinitygroup.DeleteAffinityGroupCmd",
    "updateVMAffinityGroup": "user.affinitygroup.UpdateVMAffinityGroupCmd",
    "createProject": "user.project.CreateProjectCmd", "deleteProject": "user.project.DeleteProjectCmd",
    "addAccountToProject": "user.account.AddAccountToProjectCmd",
    "deleteAccountFromProject": "user.account.DeleteAccountFromProjectCmd",
    "suspendProject": "user.project.SuspendProjectCmd", "activateProject": "user.project.ActivateProjectCmd",
}


def apply_command_classes() -> None:
    """Give this package's async APIs the class names a real server records (idempotent)."""
    from marvin2.simulator.declare import REGISTRY

    for name, suffix in COMMAND_CLASSES.items():
        declared = REGISTRY.apis.get(name)
        if declared is not None and declared.cmd_class is None:
            declared.cmd_class = _PACKAGE + suffix
