"""Project roles with their permission rules, and moveUser: life cycles, access rules and 4.20 texts."""
from __future__ import annotations

import pytest
from compute_client import Client, new_user, unique


@pytest.fixture()
def project_setup(admin):
    """(owner, regular member, outsider, project): the owner is the project's Admin member."""
    owner, member, outsider = new_user(admin), new_user(admin), new_user(admin)
    project = owner.run("createProject", name=unique("prj"), displaytext="roles")["project"]
    owner.run("addAccountToProject", projectid=project["id"], account=member.account["name"])
    return owner, member, outsider, project


def test_project_role_life_cycle(project_setup):
    owner, _, _, project = project_setup
    pid = project["id"]
    role = owner.ok("createProjectRole", projectid=pid, name="devops", description="runs things")["projectrole"]
    assert (role["name"], role["description"], role["projectid"]) == ("devops", "runs things", pid)
    other = owner.ok("createProjectRole", projectid=pid, name="viewer")["projectrole"]
    assert [r["id"] for r in owner.items("listProjectRoles", "projectrole", projectid=pid)] == [role["id"], other["id"]]
    assert [r["id"] for r in owner.items("listProjectRoles", "projectrole", projectid=pid, name="viewer")] == [other["id"]]
    assert [r["id"] for r in owner.items("listProjectRoles", "projectrole", projectid=pid, keyword="EVO")] == [role["id"]]
    assert owner.items("listProjectRoles", "projectrole", projectid=pid, projectroleid=role["id"])[0]["name"] == "devops"

    renamed = owner.ok("updateProjectRole", projectid=pid, id=role["id"], name="ops")["projectrole"]
    assert (renamed["name"], renamed["description"]) == ("ops", "runs things")

    rules = [owner.ok("createProjectRolePermission", projectid=pid, projectroleid=role["id"], rule=rule,
                      permission=permission)["projectrolepermission"]
             for rule, permission in (("listVirtualMachines", "allow"), ("deploy*", "DENY"), ("*", "allow"))]
    assert [(r["rule"], r["permission"], r["projectrolename"]) for r in rules] == \
        [("listVirtualMachines", "allow", "ops"), ("deploy*", "deny", "ops"), ("*", "allow", "ops")]
    listed = owner.items("listProjectRolePermissions", "projectrolepermission", projectid=pid, projectroleid=role["id"])
    assert [r["id"] for r in listed] == [r["id"] for r in rules]

    new_order = [rules[2]["id"], rules[0]["id"], rules[1]["id"]]
    assert owner.ok("updateProjectRolePermission", projectid=pid, projectroleid=role["id"],
                    ruleorder=new_order)["success"] is True
    listed = owner.items("listProjectRolePermissions", "projectrolepermission", projectid=pid, projectroleid=role["id"])
    assert [r["id"] for r in listed] == new_order
    owner.ok("updateProjectRolePermission", projectid=pid, projectroleid=role["id"],
             projectrolepermissionid=rules[1]["id"], permission="allow")
    changed = owner.items("listProjectRolePermissions", "projectrolepermission", projectid=pid)
    assert {r["id"]: r["permission"] for r in changed}[rules[1]["id"]] == "allow"

    assert owner.ok("deleteProjectRolePermission", projectid=pid, id=rules[0]["id"])["success"] is True
    assert len(owner.items("listProjectRolePermissions", "projectrolepermission", projectid=pid)) == 2
    assert owner.ok("deleteProjectRole", projectid=pid, id=role["id"])["success"] is True
    assert [r["id"] for r in owner.items("listProjectRoles", "projectrole", projectid=pid)] == [other["id"]]
    assert owner.items("listProjectRolePermissions", "projectrolepermission", projectid=pid) == []


def test_project_role_access_rules(project_setup, admin):
    _owner, member, outsider, project = project_setup
    pid = project["id"]
    assert member.error("createProjectRole", projectid=pid, name="x") == \
        (531, "User unauthorized to perform operation in the project")
    assert outsider.error("createProjectRole", projectid=pid, name="x") == (531, "User/Account not part of project")
    role = admin.ok("createProjectRole", projectid=pid, name="by-admin")["projectrole"]
    assert outsider.error("deleteProjectRole", projectid=pid, id=role["id"]) == (531, "User/Account not part of project")
    assert member.error("createProjectRolePermission", projectid=pid, projectroleid=role["id"], rule="list*",
                        permission="allow") == (531, "User unauthorized to perform operation in the project")
    # Reading needs no membership in 4.20.
    assert [r["id"] for r in outsider.items("listProjectRoles", "projectrole", projectid=pid)] == [role["id"]]


def test_project_role_errors(project_setup):
    owner, _, _, project = project_setup
    pid = project["id"]
    role = owner.ok("createProjectRole", projectid=pid, name="r")["projectrole"]
    other_project = owner.run("createProject", name=unique("prj"), displaytext="other")["project"]
    foreign = owner.ok("createProjectRole", projectid=other_project["id"], name="f")["projectrole"]
    assert owner.error("updateProjectRole", projectid=pid, id=foreign["id"], name="x") == \
        (431, "Invalid project role id provided")
    assert owner.error("deleteProjectRole", projectid=pid, id=foreign["id"]) == \
        (431, "Cannot find project role with provided id")
    assert owner.error("createProjectRolePermission", projectid=pid, projectroleid=foreign["id"], rule="a",
                       permission="allow") == (431, "Invalid project role ID provided")
    assert owner.error("createProjectRolePermission", projectid=pid, projectroleid=role["id"], rule="list VMs",
                       permission="allow") == \
        (431, "Only API names and wildcards are allowed, invalid rule provided: list VMs")
    assert owner.error("createProjectRolePermission", projectid=pid, projectroleid=role["id"], rule="a",
                       permission="maybe") == \
        (431, "No enum constant org.apache.cloudstack.acl.RolePermissionEntity.Permission.MAYBE")
    rule = owner.ok("createProjectRolePermission", projectid=pid, projectroleid=role["id"], rule="a",
                    permission="allow")["projectrolepermission"]
    assert owner.error("createProjectRolePermission", projectid=pid, projectroleid=role["id"], rule="a",
                       permission="deny") == (530, "Project role permission for a seems to already exist.")
    assert owner.error("updateProjectRolePermission", projectid=pid, projectroleid=role["id"], ruleorder=[rule["id"]],
                       permission="deny") == \
        (431, "Parameters permission and ruleid must be mutually exclusive with ruleorder")
    assert owner.error("updateProjectRolePermission", projectid=pid, projectroleid=role["id"],
                       projectrolepermissionid=rule["id"], permission="perhaps") == \
        (431, "Values for permission parameter should be: allow or deny")
    assert owner.error("deleteProjectRolePermission", projectid=other_project["id"], id=rule["id"]) == \
        (431, "Invalid role permission id provided for the project")
    second = owner.ok("createProjectRolePermission", projectid=pid, projectroleid=role["id"], rule="b",
                      permission="deny")["projectrolepermission"]
    assert owner.error("updateProjectRolePermission", projectid=pid, projectroleid=role["id"],
                       ruleorder=[second["id"]])[0] == 530
    assert owner.ok("updateProjectRolePermission", projectid=pid, projectroleid=role["id"]) == {"success": False}


def test_move_user_keeps_id_and_keys(admin):
    source, target = new_user(admin), new_user(admin)
    extra = admin.ok("createUser", account=source.account["name"], domainid=source.account["domainid"],
                     username=unique("mover"), password="password", email="m@example.com", firstname="M",
                     lastname="V")["user"]
    keys = admin.ok("registerUserKeys", id=extra["id"])["userkeys"]
    mover = Client(admin.endpoint, keys["apikey"], keys["secretkey"], label="mover")
    assert admin.ok("moveUser", id=extra["id"], account=target.account["name"])["success"] is True
    moved = admin.items("listUsers", "user", id=extra["id"])[0]
    assert moved["account"] == target.account["name"] and moved["accountid"] == target.account["id"]
    assert {u["id"] for u in admin.items("listUsers", "user", account=source.account["name"],
                                         domainid=source.account["domainid"])} == {source.account["user"][0]["id"]}
    # The moved user still signs with its keys and now acts as the target account.
    assert mover.items("listAccounts", "account")[0]["id"] == target.account["id"]
    # Back by account id; to its own account again is a no-op success.
    admin.ok("moveUser", id=extra["id"], accountid=source.account["id"])
    admin.ok("moveUser", id=extra["id"], accountid=source.account["id"])
    assert admin.items("listUsers", "user", id=extra["id"])[0]["accountid"] == source.account["id"]


def test_move_user_errors(admin):
    user = new_user(admin)
    user_id = user.account["user"][0]["id"]
    root_admin = admin.items("listUsers", "user", username="admin")[0]
    assert admin.error("moveUser", id=root_admin["id"], account="whatever") == \
        (431, "The user is default and can't be (re)moved")
    assert admin.error("moveUser", id=user_id, account="no-such-account") == \
        (530, "no account name or account id. this should have been caught before this point")
    assert admin.error("moveUser", id=user_id)[0] == 530
    sub = admin.ok("createDomain", name=unique("dom"))["domain"]
    elsewhere = new_user(admin, domainid=sub["id"])
    assert admin.error("moveUser", id=user_id, accountid=elsewhere.account["id"]) == \
        (431, "moving a user from an account in one domain to an account in another domain is not supported!")
    code, text = user.error("moveUser", id=user_id, account=elsewhere.account["name"])
    assert code == 432 and text.startswith("The API [moveUser] does not exist or is not available")


def test_update_project_names_and_owners(project_setup, admin):
    owner, member, outsider, project = project_setup
    pid = project["id"]
    renamed = owner.run("updateProject", id=pid, name="renamed-prj", displaytext="new text")["project"]
    assert (renamed["name"], renamed["displaytext"]) == ("renamed-prj", "new text")
    assert owner.items("listProjects", "project", id=pid)[0]["name"] == "renamed-prj"

    swapped = owner.run("updateProject", id=pid, account=member.account["name"])["project"]
    assert [o["account"] for o in swapped["owner"]] == [member.account["name"]]
    roles = {a["account"]: a["role"] for a in admin.items("listProjectAccounts", "projectaccount", projectid=pid)}
    assert roles == {owner.account["name"]: "Regular", member.account["name"]: "Admin"}
    # The old owner is Regular now: it may no longer manage the project.
    assert owner.failed("updateProject", id=pid, displaytext="x")[0] == 531

    promoted = member.run("updateProject", id=pid, account=owner.account["name"], swapowner=False,
                          roletype="admin")["project"]
    assert {o["account"] for o in promoted["owner"]} == {owner.account["name"], member.account["name"]}
    member.run("updateProject", id=pid, account=owner.account["name"], swapowner=False, roletype="Regular")
    code, text = member.failed("updateProject", id=pid, account=member.account["name"], swapowner=False,
                               roletype="Regular")
    assert (code, text) == (431, "Cannot demote the only admin of the project")
    code, text = member.failed("updateProject", id=pid, account=member.account["name"], swapowner=False,
                               roletype="boss")
    assert (code, text) == (431, "Only Admin or Regular project role types are valid")
    code, text = member.failed("updateProject", id=pid, account=outsider.account["name"])
    assert (code, text) == (431, (f"Account {outsider.account['name']} doesn't belong to the project. Add it to the "
                                 f"project first and then change the project's ownership"))
    code, text = member.failed("updateProject", id=pid, account="nobody-here")
    assert code == 431 and text.startswith("Unable to find account name=nobody-here in domain id=")
    assert outsider.failed("updateProject", id=pid, displaytext="x")[0] == 531
