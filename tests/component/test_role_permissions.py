"""Custom roles: rule order decides, changes apply at once, listApis follows the role.

A role's rules are checked in their order; the first rule whose pattern
matches the API decides (allow or deny). Each test makes its own role and an
account with it; a client built with the admin's API list SENDS anything,
so that the server's refusal (432) is what is checked.
"""
from __future__ import annotations

import pytest

from .helpers import expect_error, refused_api_text

pytestmark = [pytest.mark.tags("component", "roles", "accounts")]


def refused_text(api_name: str, account: str):
    return refused_api_text(api_name, account)


@pytest.fixture
def role(make):
    """An empty custom role of type User (deleted after the test, after its account)."""
    return make.role(type="User", description="marvin2 component test role")


def add_rules(cloud, role, *rules: tuple[str, str]) -> list:
    return [cloud.createRolePermission(roleid=role.id, rule=rule, permission=permission) for rule, permission in rules]


def member(make, cloud, role):
    """An account with the role, and two clients: its own API list, and the admin's (to send anything)."""
    keys = make.account(roleid=role.id, accounttype=None, purpose="rolemember")
    return keys, make.api_for(keys), make.api_for(keys, spec=cloud.spec)


@pytest.mark.tags("quick-test")
def test_allow_list_deny_the_rest(role, make, cloud):
    add_rules(cloud, role, ("list*", "allow"), ("*", "deny"))
    keys, own, sender = member(make, cloud, role)
    assert isinstance(sender.listVirtualMachines(), list)
    error = expect_error(432, sender.deployVirtualMachine, zoneid="x", serviceofferingid="y", templateid="z")
    assert refused_text("deployVirtualMachine", keys.name).fullmatch(error.errortext), error.errortext
    # Its own listApis offers exactly what the role allows.
    names = set(own.spec.names)
    assert "listVirtualMachines" in names and "listVolumes" in names
    assert not {"deployVirtualMachine", "createVolume", "createNetwork"} & names


def test_the_first_matching_rule_wins(role, make, cloud):
    deny_vms, allow_lists, deny_rest = add_rules(cloud, role, ("listVirtualMachines", "deny"), ("list*", "allow"),
                                                 ("*", "deny"))
    keys, _, sender = member(make, cloud, role)
    error = expect_error(432, sender.listVirtualMachines)
    assert refused_text("listVirtualMachines", keys.name).fullmatch(error.errortext), error.errortext
    assert isinstance(sender.listVolumes(), list)
    # Put the wildcard allow first: now it decides for listVirtualMachines too.
    cloud.updateRolePermission(roleid=role.id, ruleorder=[allow_lists.id, deny_vms.id, deny_rest.id])
    assert isinstance(sender.listVirtualMachines(), list)
    order = [p.rule for p in cloud.listRolePermissions(roleid=role.id)]
    assert order == ["list*", "listVirtualMachines", "*"]


def test_changing_a_rule_applies_at_once(role, make, cloud):
    allow_lists, _ = add_rules(cloud, role, ("list*", "allow"), ("*", "deny"))
    keys, _, sender = member(make, cloud, role)
    assert isinstance(sender.listVolumes(), list)
    cloud.updateRolePermission(roleid=role.id, ruleid=allow_lists.id, permission="deny")
    error = expect_error(432, sender.listVolumes)
    assert refused_text("listVolumes", keys.name).fullmatch(error.errortext), error.errortext
    assert [p.permission for p in cloud.listRolePermissions(roleid=role.id)] == ["deny", "deny"]


def test_deleting_a_rule(role, make, cloud):
    # listCapabilities and listApis: what any client asks first when it connects.
    allow_zones, *_ = add_rules(cloud, role, ("listZones", "allow"), ("listCapabilities", "allow"),
                                ("listApis", "allow"), ("*", "deny"))
    _, _, sender = member(make, cloud, role)
    assert sender.listZones()
    cloud.deleteRolePermission(id=allow_zones.id)
    expect_error(432, sender.listZones)


def test_a_clone_of_the_user_role_has_its_rules(make, cloud):
    user_role = next(r for r in cloud.listRoles(type="User") or [] if r.get("isdefault") or r.name == "User")
    clone = make.role(purpose="clone", roleid=user_role.id, description="clone of User")
    assert clone.type == "User"
    original = [(p.rule, p.permission) for p in cloud.listRolePermissions(roleid=user_role.id) or []]
    copied = [(p.rule, p.permission) for p in cloud.listRolePermissions(roleid=clone.id) or []]
    assert copied == original
    _, own, _ = member(make, cloud, clone)
    assert "deployVirtualMachine" in own.spec.names


@pytest.mark.tags("negative")
@pytest.mark.parametrize("rule, permission", [("list vms", "allow"), ("listZones", "maybe")],
                         ids=["space-in-rule", "bad-permission"])
def test_invalid_rules_are_refused(role, cloud, rule, permission):
    expect_error(431, cloud.createRolePermission, roleid=role.id, rule=rule, permission=permission)
    assert cloud.listRolePermissions(roleid=role.id) == []


@pytest.mark.tags("negative")
def test_ruleorder_must_name_every_rule(role, cloud):
    first, _ = add_rules(cloud, role, ("listZones", "allow"), ("*", "deny"))
    expect_error(431, cloud.updateRolePermission, roleid=role.id, ruleorder=[first.id])


@pytest.mark.tags("negative")
def test_a_user_cannot_manage_roles(user_api_full_spec, test_account, role):
    for call, params in ((user_api_full_spec.createRole, {"name": "m2-never", "type": "User"}),
                         (user_api_full_spec.createRolePermission, {"roleid": role.id, "rule": "*",
                                                                    "permission": "allow"})):
        error = expect_error(432, call, **params)
        assert error.errortext.startswith("The API [")
