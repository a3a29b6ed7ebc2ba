"""Project roles and their permission rules (thin: the rules are in services/project_roles.py). All synchronous."""
from __future__ import annotations

from marvin2.simulator import errors
from marvin2.simulator.context import SUCCESS, Raw
from marvin2.simulator.declare import PAGING, P, api, declare_object
from marvin2.simulator.services import project_roles as roles
from marvin2.simulator.services.common import record_event

declare_object("projectrole", {"id": "role id", "name": "role name", "description": "description",
                               "projectid": "its project"})
declare_object("projectrolepermission", {
    "id": "rule id", "projectroleid": "its role", "projectid": "its project", "projectrolename": "role name",
    "rule": "API name or wildcard", "permission": "allow or deny", "description": "description"})


# 4.20 answers success=false when an update changes nothing (no rule order, no permission).
NOTHING_CHANGED = Raw({"success": False})


def render_role(row: dict) -> dict:
    return {"id": row["id"], "name": row["name"], "description": row.get("description"), "projectid": row["projectid"],
            "ispublic": True}


def render_rule(store, row: dict) -> dict:
    role = store.get(roles.ROLE_KIND, row["projectroleid"]) or {}
    return {"id": row["id"], "projectroleid": row["projectroleid"], "projectid": row["projectid"],
            "projectrolename": role.get("name"), "rule": row["rule"], "permission": row["permission"].lower(),
            "description": row.get("description")}


def _project(ctx) -> dict:
    project = ctx.store.get("project", ctx.get("projectid"))
    if project is None or project.get("removed"):
        raise errors.internal_error("Invalid project id provided")
    return project


def _event(ctx, event_type: str, text: str, project: dict) -> None:
    record_event(ctx, event_type, text, resource_id=project["id"], resource_type="Project")


@api("createProjectRole", response="projectrole", related="listProjectRoles,updateProjectRole,deleteProjectRole",
     description="Creates a role in a project (project admins and domain/root admins).",
     params=[P("name", "role name"), P("projectid", "the project", entity="project"), P("description", "description")])
def create_project_role(ctx):
    project = _project(ctx)
    roles.check_manage(ctx, project)
    row = roles.create_role(ctx.store, project, ctx.get("name"), ctx.get("description"))
    _event(ctx, "PROJECT.ROLE.CREATE", f"creating Project Role {row['name']}", project)
    return render_role(row)


@api("listProjectRoles", response="projectrole", related="createProjectRole",
     description="Lists a project's roles (one by id, by name, or matching a keyword).",
     params=[*PAGING, P("projectroleid", "one role", entity=""), P("projectid", "the project", entity="project"),
             P("name", "role name")])
def list_project_roles(ctx):
    store = ctx.store
    project = _project(ctx)
    if ctx.has("projectroleid"):
        found = roles.find_role(store, ctx.get("projectroleid"), project["id"])
        rows = [found] if found else []
    else:
        rows = roles.roles(store, project["id"], name=ctx.get("name"), keyword=ctx.get("keyword"))
    return ctx.paginate([render_role(r) for r in rows])


@api("updateProjectRole", response="projectrole", related="listProjectRoles",
     description="Renames a project role or changes its description.",
     params=[P("id", "the role", entity=""), P("name", "new name"), P("projectid", "the project", entity="project"),
             P("description", "new description")])
def update_project_role(ctx):
    project = _project(ctx)
    role = roles.find_role(ctx.store, ctx.get("id"), project["id"])
    if role is None:
        raise errors.invalid_value("Invalid project role id provided")
    roles.check_manage(ctx, project)
    row = roles.update_role(ctx.store, role, ctx.get("name"), ctx.get("description"))
    _event(ctx, "PROJECT.ROLE.UPDATE", f"updating Project Role {row['name']}", project)
    return render_role(row)


@api("deleteProjectRole", response="success", related="createProjectRole",
     description="Deletes a project role (and its rules) that no member holds.",
     params=[P("id", "the role", entity=""), P("projectid", "the project", entity="project")])
def delete_project_role(ctx):
    project = _project(ctx)
    role = roles.find_role(ctx.store, ctx.get("id"), project["id"])
    if role is None:
        raise errors.invalid_value("Cannot find project role with provided id")
    roles.check_manage(ctx, project)
    roles.delete_role(ctx.store, role)
    _event(ctx, "PROJECT.ROLE.DELETE", f"deleting Project Role {role['name']}", project)
    return SUCCESS


@api("createProjectRolePermission", response="projectrolepermission", related="listProjectRolePermissions",
     description="Adds an allow/deny rule for an API name or wildcard to a project role (appended last).",
     params=[P("projectroleid", "the role", entity=""), P("projectid", "the project", entity="project"),
             P("rule", "API name or wildcard"), P("permission", "allow or deny"), P("description", "description")])
def create_project_role_permission(ctx):
    store = ctx.store
    project = _project(ctx)
    role = roles.find_role(store, ctx.get("projectroleid"), project["id"])
    if role is None:
        raise errors.invalid_value("Invalid project role ID provided")
    rule = roles.check_rule(ctx.get("rule"))
    permission = roles.parse_permission(ctx.get("permission"))
    roles.check_manage(ctx, project)
    row = roles.create_rule(store, project, role, rule, permission, ctx.get("description"))
    _event(ctx, "PROJECT.ROLE.PERMISSION.CREATE", f"Creating Project Role Permission {rule}", project)
    return render_rule(store, row)


@api("listProjectRolePermissions", response="projectrolepermission", related="createProjectRolePermission",
     description="Lists the rules of a project's roles (of one role), in their order.",
     params=[P("projectid", "the project", entity="project"), P("projectroleid", "one role", entity="")])
def list_project_role_permissions(ctx):
    project = _project(ctx)
    rows = roles.rules_of(ctx.store, ctx.get("projectroleid"), project["id"])
    return ctx.paginate([render_rule(ctx.store, r) for r in rows])


@api("updateProjectRolePermission", response="success", related="listProjectRolePermissions",
     description="Re-orders a project role's rules (ruleorder) or changes one rule's permission.",
     params=[P("projectroleid", "the role", entity=""), P("projectid", "the project", entity="project"),
             P("ruleorder", "all the role's rule ids in the new order"),
             P("projectrolepermissionid", "the rule to change", entity=""), P("permission", "allow or deny")])
def update_project_role_permission(ctx):
    store = ctx.store
    project = _project(ctx)
    role = roles.find_role(store, ctx.get("projectroleid"), project["id"])
    if role is None:
        raise errors.invalid_value("Invalid role id provided")
    order = ctx.get("ruleorder")
    single = ctx.get("projectrolepermissionid")
    permission_text = ctx.get("permission")
    if order is not None:
        if single is not None or permission_text is not None:
            raise errors.invalid_value("Parameters permission and ruleid must be mutually exclusive with ruleorder")
        for rule_id in order:
            if store.get(roles.RULE_KIND, rule_id) is None:
                raise errors.invalid_value("Provided project role permission(s) do not exist")
        roles.check_manage(ctx, project)
        roles.reorder(store, role, list(order))
    elif single is not None or permission_text is not None:
        if permission_text is not None and permission_text.upper() not in roles.PERMISSIONS:
            raise errors.invalid_value("Values for permission parameter should be: allow or deny")
        rule = store.get(roles.RULE_KIND, single) if single else None
        if rule is None or rule["projectid"] != project["id"]:
            raise errors.invalid_value("Role permission doesn't exist in the project, probably because of invalid rule id")
        roles.check_manage(ctx, project)
        if permission_text is None:
            return NOTHING_CHANGED
        store.update(roles.RULE_KIND, rule["id"], permission=permission_text.upper())
    else:
        return NOTHING_CHANGED
    _event(ctx, "PROJECT.ROLE.PERMISSION.UPDATE", "updating Project Role Permission", project)
    return SUCCESS


@api("deleteProjectRolePermission", response="success", related="createProjectRolePermission",
     description="Deletes a rule of a project role.",
     params=[P("projectid", "the project", entity="project"), P("id", "the rule", entity="")])
def delete_project_role_permission(ctx):
    project = _project(ctx)
    rule = ctx.store.get(roles.RULE_KIND, ctx.get("id"))
    if rule is None or rule["projectid"] != project["id"]:
        raise errors.invalid_value("Invalid role permission id provided for the project")
    roles.check_manage(ctx, project)
    ctx.store.delete(roles.RULE_KIND, rule["id"])
    _event(ctx, "PROJECT.ROLE.PERMISSION.DELETE", f"deleting Project Role Permission {rule['rule']}", project)
    return SUCCESS
