"""Project roles and their API permission rules: the rules of CloudStack 4.20's ProjectRoleManagerImpl.

A ``projectrole`` row belongs to one project (``projectid``, ``name``, ``description``); its ``projectrolepermission``
rows (``rule``: an API name with ``*`` wildcards, ``permission`` allow/deny, ``description``, ``sortorder``) are
kept in order. Changing either needs a root or domain admin, or an Admin member of the project
(PermissionDeniedException texts otherwise). A role that a member holds (``projectaccount.projectroleid``)
cannot be deleted; deleting a role deletes its rules.
"""
from __future__ import annotations

import re

from marvin2.simulator import errors

ROLE_KIND = "projectrole"
RULE_KIND = "projectrolepermission"
_RULE = re.compile(r"^[a-zA-Z0-9*]+$")
PERMISSIONS = ("ALLOW", "DENY")


def check_manage(ctx, project: dict) -> None:
    """checkAccess: admins always; otherwise the caller's account must be an Admin member of the project."""
    caller = ctx.caller
    if caller.is_root_admin or caller.role_type == "DomainAdmin":
        return
    member = ctx.store.find_one("projectaccount", projectid=project["id"], accountid=caller.account_id)
    if member is None:
        raise errors.permission_denied("User/Account not part of project")
    if member.get("role") != "Admin":
        raise errors.permission_denied("User unauthorized to perform operation in the project")


def find_role(store, role_id: str | None, project_id: str) -> dict | None:
    """findProjectRole: the role when it belongs to the project, else None."""
    row = store.get(ROLE_KIND, role_id) if role_id else None
    if row is None or row.get("projectid") != project_id:
        return None
    return row


def roles(store, project_id: str, *, name: str | None = None, keyword: str | None = None) -> list[dict]:
    rows = store.find(ROLE_KIND, projectid=project_id)
    if name:
        return [r for r in rows if r["name"] == name]
    if keyword:
        return [r for r in rows if keyword.lower() in r["name"].lower()]
    return rows


def create_role(store, project: dict, name: str, description: str | None) -> dict:
    return store.insert(ROLE_KIND, {"projectid": project["id"], "name": name, "description": description})


def update_role(store, role: dict, name: str | None, description: str | None) -> dict:
    changes = {}
    if name:
        changes["name"] = name
    if description:
        changes["description"] = description
    return store.update(ROLE_KIND, role["id"], **changes) if changes else role


def delete_role(store, role: dict) -> None:
    if store.find_one("projectaccount", projectroleid=role["id"]) is not None:
        raise errors.permission_denied("Found users that have the project role in use, cannot delete the Project Role")
    for rule in store.find(RULE_KIND, projectroleid=role["id"]):
        store.delete(RULE_KIND, rule["id"])
    store.delete(ROLE_KIND, role["id"])


# --- permission rules ----------------------------------------------------------------------------------


def parse_permission(text: str | None) -> str | None:
    """Permission.valueOf(upper case); an unknown value is Java's IllegalArgumentException text (431)."""
    if not text:
        return None
    upper = text.upper()
    if upper not in PERMISSIONS:
        raise errors.invalid_value(f"No enum constant org.apache.cloudstack.acl.RolePermissionEntity.Permission.{upper}")
    return upper


def check_rule(rule: str) -> str:
    if not rule or not _RULE.match(rule):
        raise errors.invalid_value(f"Only API names and wildcards are allowed, invalid rule provided: {rule}")
    return rule


def rules_of(store, role_id: str | None, project_id: str) -> list[dict]:
    rows = store.find(RULE_KIND, projectid=project_id)
    if role_id:
        rows = [r for r in rows if r["projectroleid"] == role_id]
    return sorted(rows, key=lambda r: (r["projectroleid"], r["sortorder"]))


def create_rule(store, project: dict, role: dict, rule: str, permission: str, description: str | None) -> dict:
    if store.find_one(RULE_KIND, projectroleid=role["id"], rule=rule) is not None:
        raise errors.internal_error(f"Project role permission for {rule} seems to already exist.")
    order = 1 + max((r["sortorder"] for r in store.find(RULE_KIND, projectroleid=role["id"])), default=-1)
    return store.insert(RULE_KIND, {"projectid": project["id"], "projectroleid": role["id"], "rule": rule,
                                    "permission": permission, "description": description, "sortorder": order})


def reorder(store, role: dict, ordered_ids: list[str]) -> None:
    failed = ("Project role's rule permissions list has changed while you were making updates, aborted re-ordering of "
              "rules. Please try again.")
    current = {r["id"] for r in store.find(RULE_KIND, projectroleid=role["id"])}
    if len(ordered_ids) != len(current) or set(ordered_ids) != current:
        raise errors.internal_error(failed)
    for position, rule_id in enumerate(ordered_ids):
        store.update(RULE_KIND, rule_id, sortorder=position)
