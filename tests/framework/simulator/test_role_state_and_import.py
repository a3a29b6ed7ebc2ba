"""Roles beyond create/update/delete: enableRole/disableRole (state, listRoles state=), importRole (rules in one
call, forced replacement, private roles), their errors and permissions."""
from __future__ import annotations

import pytest

from sim_testlib import RawClient


@pytest.fixture(scope="module")
def user(admin) -> RawClient:
    account = admin.ok("createAccount", method="POST", username="roleuser", password="pw-x", email="r@x.org",
                       firstname="F", lastname="L", accounttype=0)["account"]
    keys = admin.ok("registerUserKeys", id=account["user"][0]["id"])["userkeys"]
    return RawClient(admin.endpoint, keys["apikey"], keys["secretkey"])


def _error(client, command: str, **params) -> tuple[int, str]:
    status, body = client.call(command, **params)
    assert status != 200, body
    return status, next(iter(body.values()))["errortext"]


def test_disable_and_enable_a_role(admin):
    role = admin.ok("createRole", name="disable-me", type="User")["role"]
    assert role["state"] == "ENABLED"
    assert admin.ok("disableRole", id=role["id"]) == {"success": True}
    assert admin.ok("listRoles", id=role["id"])["role"][0]["state"] == "DISABLED"
    disabled = {r["id"] for r in admin.ok("listRoles", state="disabled")["role"]}
    assert role["id"] in disabled and role["id"] not in {r["id"] for r in admin.ok("listRoles", state="ENABLED")["role"]}
    assert _error(admin, "disableRole", id=role["id"]) == (531, "Role is already DISABLED")
    assert admin.ok("enableRole", id=role["id"]) == {"success": True}
    assert admin.ok("listRoles", id=role["id"])["role"][0]["state"] == "ENABLED"
    assert _error(admin, "enableRole", id=role["id"]) == (531, "Role is already ENABLED")
    assert _error(admin, "listRoles", state="sleeping") == (431, "Unrecognized role state value")


def test_role_state_apis_are_root_admin_only(admin, user):
    role = admin.ok("createRole", name="not-yours", type="User")["role"]
    for command in ("enableRole", "disableRole"):
        status, text = _error(user, command, id=role["id"])
        assert status == 432 and command in text


def test_import_role_with_rules(admin):
    rules = [{"rule": "list*", "permission": "allow", "description": "listing"},
             {"rule": "deployVirtualMachine", "permission": "deny"}]
    role = admin.ok("importRole", name="imported", type="User", description="from elsewhere", rules=rules)["role"]
    assert (role["name"], role["type"], role["description"], role["ispublic"]) == ("imported", "User", "from elsewhere", True)
    listed = admin.ok("listRolePermissions", roleid=role["id"])["rolepermission"]
    assert [(r["rule"], r["permission"], r.get("description")) for r in listed] == [
        ("list*", "allow", "listing"), ("deployVirtualMachine", "deny", None)]
    assert _error(admin, "importRole", name="imported", type="User", rules=rules) == (530, "Role already exists")
    replaced = admin.ok("importRole", name="imported", type="User", forced=True, ispublic=False,
                        rules=[{"rule": "listZones", "permission": "allow"}])["role"]
    assert replaced["id"] == role["id"] and replaced["ispublic"] is False
    assert [r["rule"] for r in admin.ok("listRolePermissions", roleid=role["id"])["rolepermission"]] == ["listZones"]


def test_import_role_errors(admin, user):
    assert _error(admin, "importRole", name="bad", type="User", rules=[{"rule": "list*"}]) == (
        431, "Invalid permission: None provided in rules param")
    assert _error(admin, "importRole", name="bad", type="User", rules=[{"permission": "allow"}]) == (
        431, "Empty rule provided in rules param")
    status, text = _error(admin, "importRole", name="bad", type="Nobody", rules=[{"rule": "a", "permission": "allow"}])
    assert status == 431 and "Nobody" in text
    assert _error(admin, "importRole", name="User", type="User", forced=True,
                  rules=[{"rule": "a", "permission": "allow"}]) == (
        530, "Failed to import the role: User, default role cannot be overriden")
    status, text = _error(admin, "importRole", name="missing-rules", type="User")
    assert status == 431 and "rules" in text
    assert _error(user, "importRole", name="x", type="User", rules=[{"rule": "a", "permission": "allow"}])[0] == 432


def test_private_roles_are_hidden_from_other_admins(admin):
    admin.ok("importRole", name="hidden-role", type="User", ispublic=False, rules=[{"rule": "a*", "permission": "allow"}])
    domain = admin.ok("createDomain", name="roledomain")["domain"]
    account = admin.ok("createAccount", method="POST", username="roleboss", password="pw-x", email="b@x.org",
                       firstname="F", lastname="L", accounttype=2, domainid=domain["id"])["account"]
    keys = admin.ok("registerUserKeys", id=account["user"][0]["id"])["userkeys"]
    boss = RawClient(admin.endpoint, keys["apikey"], keys["secretkey"])
    assert "hidden-role" in {r["name"] for r in admin.ok("listRoles")["role"]}
    assert "hidden-role" not in {r["name"] for r in boss.ok("listRoles")["role"]}
