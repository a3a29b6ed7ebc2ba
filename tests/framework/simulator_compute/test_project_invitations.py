"""Projects beyond create/join: updateProject (rename, ownership, member roles), addUserToProject /
deleteUserFromProject, and invitations with project.invite.required (list, accept, decline, delete, expiry);
their errors and permissions."""
from __future__ import annotations

import pytest
from compute_client import new_user, unique


@pytest.fixture()
def invites(admin, sim):
    admin.ok("updateConfiguration", name="project.invite.required", value="true")
    yield
    admin.ok("updateConfiguration", name="project.invite.required", value="false")


def _project(client) -> dict:
    return client.run("createProject", name=unique("prj"), displaytext="a project")["project"]


def _members(client, project_id: str) -> dict[str, str]:
    return {m["account"]: m["role"] for m in client.items("listProjectAccounts", "projectaccount", projectid=project_id)}


def test_update_project_renames_and_hands_over_ownership(admin, user, other_user):
    project = _project(user)
    updated = user.run("updateProject", id=project["id"], name="renamed", displaytext="new text")["project"]
    assert (updated["name"], updated["displaytext"]) == ("renamed", "new text")
    other = other_user.account["name"]
    code, text = user.failed("updateProject", id=project["id"], account=other)
    assert code == 431 and "doesn't belong to the project" in text
    user.run("addAccountToProject", projectid=project["id"], account=other)
    user.run("updateProject", id=project["id"], account=other)                   # swapowner defaults to true
    assert _members(admin, project["id"]) == {user.account["name"]: "Regular", other: "Admin"}
    assert other_user.items("listProjects", "project", id=project["id"])[0]["owner"][0]["account"] == other
    assert user.failed("updateProject", id=project["id"], name="x")[0] == 531     # no longer an admin of it (the job)
    code, text = other_user.error("updateProject", id=project["id"], account=other, userid=user.account["user"][0]["id"])
    assert code == 431 and "mutually exclusive" in text


def test_member_roles_without_swapping_owner(admin, user, other_user):
    project = _project(user)
    other = other_user.account["name"]
    user.run("addAccountToProject", projectid=project["id"], account=other)
    user.run("updateProject", id=project["id"], account=other, swapowner=False, roletype="Admin")
    assert _members(admin, project["id"]) == {user.account["name"]: "Admin", other: "Admin"}
    user.run("updateProject", id=project["id"], account=other, swapowner=False, roletype="Regular")
    assert _members(admin, project["id"])[other] == "Regular"
    assert user.failed("updateProject", id=project["id"], account=user.account["name"], swapowner=False,
                       roletype="Regular") == (431, "Cannot demote the only admin of the project")


def test_add_and_delete_a_user(admin, user):
    project = _project(user)
    newcomer = new_user(admin)
    username, user_id = newcomer.account["user"][0]["username"], newcomer.account["user"][0]["id"]
    assert user.run("addUserToProject", projectid=project["id"], username=username) == {"success": True}
    members = user.items("listProjectAccounts", "projectaccount", projectid=project["id"], userid=user_id)
    assert [(m["account"], m["username"], m["role"]) for m in members] == [(newcomer.account["name"], username, "Regular")]
    assert newcomer.items("listProjects", "project", id=project["id"])                 # the user now sees it
    assert user.run("deleteUserFromProject", projectid=project["id"], userid=user_id) == {"success": True}
    assert user.items("listProjectAccounts", "projectaccount", projectid=project["id"], userid=user_id) == []
    assert user.failed("deleteUserFromProject", projectid=project["id"], userid=user_id) == (
        431, f"User {username} is not assigned to the project with specified id")
    assert user.error("addUserToProject", projectid=project["id"], username="nobody-here") == (
        431, "Invalid user ID provided")
    assert newcomer.error("addUserToProject", projectid=project["id"], username=username)[0] == 531


def test_invitation_accepted_makes_a_member(admin, user, other_user, invites):
    project = _project(user)
    other = other_user.account["name"]
    assert user.run("addAccountToProject", projectid=project["id"], account=other) == {"success": True}
    assert other not in _members(admin, project["id"])                            # invited, not a member yet
    mine = other_user.items("listProjectInvitations", "projectinvitation")
    assert [(i["project"], i["account"], i["state"]) for i in mine] == [(project["name"], other, "Pending")]
    code, text = user.failed("addAccountToProject", projectid=project["id"], account=other)
    assert code == 431 and text.startswith("There is already a pending invitation for account id=")
    other_user.run("updateProjectInvitation", projectid=project["id"])
    assert _members(admin, project["id"])[other] == "Regular"
    assert other_user.items("listProjectInvitations", "projectinvitation", state="Completed")[0]["id"] == mine[0]["id"]
    assert other_user.items("listProjectInvitations", "projectinvitation", activeonly=True) == []


def test_invitation_declined_or_deleted(admin, user, invites):
    project = _project(user)
    invitee, second = new_user(admin), new_user(admin)
    user.run("addAccountToProject", projectid=project["id"], account=invitee.account["name"])
    invitee.run("updateProjectInvitation", projectid=project["id"], accept=False)
    assert invitee.account["name"] not in _members(admin, project["id"])
    assert invitee.items("listProjectInvitations", "projectinvitation")[0]["state"] == "Declined"
    assert invitee.error("updateProjectInvitation", projectid=project["id"]) == (
        431, f"Unable to find invitation for account name=None to the project={project['name']}")
    user.run("addAccountToProject", projectid=project["id"], account=second.account["name"])
    pending = user.items("listProjectInvitations", "projectinvitation", projectid=project["id"], state="Pending")
    assert [i["account"] for i in pending] == [second.account["name"]]            # project admins see them
    assert second.error("deleteProjectInvitation", id=pending[0]["id"])[0] == 531  # only project admins delete
    assert user.run("deleteProjectInvitation", id=pending[0]["id"]) == {"success": True}
    assert second.items("listProjectInvitations", "projectinvitation") == []
    assert user.error("deleteProjectInvitation", id=pending[0]["id"]) == (
        431, f"Unable to find project invitation by id {pending[0]['id']}")


def test_invitation_expires(admin, sim, user, invites):
    project = _project(user)
    invitee = new_user(admin)
    user.run("addAccountToProject", projectid=project["id"], account=invitee.account["name"])
    admin.ok("updateConfiguration", name="project.invite.timeout", value="0")
    try:
        assert invitee.items("listProjectInvitations", "projectinvitation")[0]["state"] == "Expired"
        assert invitee.error("updateProjectInvitation", projectid=project["id"])[0] == 431
    finally:
        admin.ok("updateConfiguration", name="project.invite.timeout", value="86400")


def test_email_invitations_and_suspended_projects(admin, user, invites):
    project = _project(user)
    assert user.run("addAccountToProject", projectid=project["id"], email="someone@example.org") == {"success": True}
    invitation = user.items("listProjectInvitations", "projectinvitation", projectid=project["id"])[0]
    assert (invitation["email"], invitation["state"]) == ("someone@example.org", "Pending") and "token" not in invitation
    user.run("suspendProject", id=project["id"])
    assert user.error("addAccountToProject", projectid=project["id"], account=admin_name(admin)) == (
        431, "Can't add account to the specified project id in state=Suspended as it's no longer active")


def admin_name(admin) -> str:
    return admin.items("listAccounts", "account", name="admin")[0]["name"]
