"""updateProject: the rules of CloudStack 4.20's ProjectManagerImpl.updateProject (both forms).

The project's name and display text change as given. With ``account``:
- ``swapowner`` true (the default): that member account becomes the owner (role Admin) and the previous owner
  becomes Regular; the project counts move between the two accounts' ``project`` resource counts (a new owner
  over its project limit is refused with 532);
- ``swapowner`` false: the member gets ``roletype`` (Admin or Regular, Regular by default); the only Admin of a
  project cannot be demoted.
``userid`` names a member user; the simulator keeps project membership per account, so no user is a member in
its own right and 4.20's "doesn't belong to the project" answer follows.
"""
from __future__ import annotations

from marvin2.simulator import errors, limits
from marvin2.simulator.services import java_text

ROLES = ("Admin", "Regular")


def parse_role(text: str | None) -> str:
    if not text:
        return "Regular"
    role = text[:1].upper() + text[1:].lower()
    if role not in ROLES:
        raise errors.invalid_value("Only Admin or Regular project role types are valid")
    return role


def check_manage(ctx, project: dict) -> None:
    """ModifyProject access: root admin, a domain admin over the project's domain, or an Admin member."""
    caller = ctx.caller
    if caller.is_root_admin or (caller.is_domain_admin and ctx.can_access(project)):
        return
    member = ctx.store.find_one("projectaccount", projectid=project["id"], accountid=caller.account_id)
    if member is None or member.get("role") != "Admin":
        raise errors.permission_denied(f"Account {caller.account['name']} does not have permission to operate within "
                                       f"project {project['name']}")


def _member_account(store, project: dict, account_name: str) -> tuple[dict, dict]:
    account = store.find_one("account", name=account_name, domainid=project["domainid"], state="enabled", removed=None)
    if account is None:
        domain_row = store.get("domain", project["domainid"]) or {}
        domain = domain_row.get("internalid") or java_text.internal_id(store, "domain", project["domainid"])
        raise errors.invalid_value(f"Unable to find account name={account_name} in domain id={domain}")
    member = store.find_one("projectaccount", projectid=project["id"], accountid=account["id"])
    if member is None:
        raise errors.invalid_value(f"Account {account_name} doesn't belong to the project. Add it to the project first "
                                   f"and then change the project's ownership")
    return account, member


def update(ctx, project: dict, *, name: str | None, displaytext: str | None, account_name: str | None,
           user_id: str | None, role_text: str | None, swap_owner: bool) -> dict:
    store = ctx.store
    if account_name is not None and user_id is not None:
        raise errors.invalid_value("Account name and user ID are mutually exclusive. Provide either account nameto "
                                   "update account or user ID to update the user of the project")
    role = parse_role(role_text) if not swap_owner else None
    check_manage(ctx, project)
    changes = {k: v for k, v in (("name", name), ("displaytext", displaytext)) if v is not None}
    if changes:
        project = store.update("project", project["id"], **changes)
    if account_name is not None and swap_owner:
        new_owner, new_member = _member_account(store, project, account_name)
        old_owner = store.get("account", project.get("owneraccountid"))
        if old_owner is None or old_owner["id"] != new_owner["id"]:
            limits.check(store, new_owner, "project")
            if old_owner is not None:
                old_member = store.find_one("projectaccount", projectid=project["id"], accountid=old_owner["id"])
                if old_member is not None:
                    store.update("projectaccount", old_member["id"], role="Regular")
                limits.release(store, old_owner, "project")
            store.update("projectaccount", new_member["id"], role="Admin")
            limits.charge(store, new_owner, "project")
            project = store.update("project", project["id"], owneraccountid=new_owner["id"])
    elif account_name is not None:
        account, member = _member_account(store, project, account_name)
        admins = store.find("projectaccount", projectid=project["id"], role="Admin")
        if len(admins) == 1 and admins[0]["accountid"] == account["id"] and role != "Admin":
            raise errors.invalid_value("Cannot demote the only admin of the project")
        store.update("projectaccount", member["id"], role=role)
    elif user_id is not None and not swap_owner:
        user = store.get("user", user_id)
        if user is None or user.get("removed") or user.get("domainid") != project["domainid"]:
            raise errors.invalid_value(f"Unable to find user= {user_id} in domain id = {project['domainid']}")
        raise errors.invalid_value(f"User {java_text.ref(store, 'User', 'user', user, name=False)} doesn't belong to "
                                   f"the project. Add it to the project first and then change the project's ownership")
    return project
