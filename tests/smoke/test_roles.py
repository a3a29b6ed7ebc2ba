"""Roles and role permissions: the default roles, a custom role whose rules
decide which APIs its accounts may call, and what users may not call."""
import pytest

from marvin2.client import CloudStackError
from marvin2.pytest_plugin.session import connect_api

from .helpers import ids, listed

pytestmark = pytest.mark.tags("roles", "smoke")

# What any client needs to connect (the version and the API list) plus what the test calls.
CONNECT_RULES = ("listCapabilities", "listApis")


@pytest.mark.tags("quick-test")
def test_default_roles_exist(cloud):
    by_type = {}
    for role in cloud.listRoles() or []:
        by_type.setdefault(role.type, []).append(role.name)
    for role_type, name in (("Admin", "Root Admin"), ("ResourceAdmin", "Resource Admin"),
                            ("DomainAdmin", "Domain Admin"), ("User", "User")):
        assert name in by_type.get(role_type, []), f"default role {name!r} of type {role_type}"


def test_user_api_list_excludes_admin_apis(user_api):
    names = set(user_api.spec.names)
    assert {"deployVirtualMachine", "listVirtualMachines", "createNetwork", "listZones"} <= names
    assert not names & {"createZone", "addHost", "updateConfiguration", "listHosts", "createServiceOffering"}


@pytest.mark.tags("negative")
def test_admin_api_called_by_a_user_is_refused(user_api_full_spec):
    with pytest.raises(CloudStackError) as refused:
        user_api_full_spec.listHosts()
    assert refused.value.errorcode == 432
    assert "listHosts" in refused.value.errortext


def test_custom_role_limits_the_api_list(make, cloud):
    role = make.role(type="User", description="marvin2 read-only VMs")
    assert (role.type, role.description) == ("User", "marvin2 read-only VMs")
    for rule in (*CONNECT_RULES, "listVirtualMachines", "listZones"):
        cloud.createRolePermission(roleid=role.id, rule=rule, permission="allow")
    cloud.createRolePermission(roleid=role.id, rule="*", permission="deny")
    rules = [p.rule for p in cloud.listRolePermissions(roleid=role.id)]
    assert rules == [*CONNECT_RULES, "listVirtualMachines", "listZones", "*"], "rules keep their order"

    api = make.api_for(make.account(roleid=role.id))
    names = set(api.spec.names)
    assert {"listVirtualMachines", "listZones"} <= names
    assert "deployVirtualMachine" not in names
    assert api.listVirtualMachines() == []


def test_permission_change_takes_effect(make, cloud, request):
    role = make.role(type="User")
    for rule in (*CONNECT_RULES, "listZones"):
        cloud.createRolePermission(roleid=role.id, rule=rule, permission="allow")
    keys = make.account(roleid=role.id)
    assert make.api_for(keys).listZones()

    permission = next(p for p in cloud.listRolePermissions(roleid=role.id) if p.rule == "listZones")
    cloud.updateRolePermission(roleid=role.id, ruleid=permission.id, permission="deny")
    fresh = connect_api(request.config, api_key=keys.api_key, secret_key=keys.secret_key, spec=cloud.spec)
    try:
        with pytest.raises(CloudStackError) as refused:
            fresh.listZones()
        assert refused.value.errorcode == 432
    finally:
        fresh.close()


def test_wildcard_rules(make, cloud):
    role = make.role(type="User")
    for rule in (*CONNECT_RULES, "list*"):
        cloud.createRolePermission(roleid=role.id, rule=rule, permission="allow")
    names = set(make.api_for(make.account(roleid=role.id)).spec.names)
    assert {"listVirtualMachines", "listVolumes", "listNetworks"} <= names
    assert not {n for n in names if n.startswith(("create", "delete", "deploy"))}


def test_update_and_delete_role(make, cloud):
    role = make.role(type="User")
    updated = cloud.updateRole(id=role.id, name=role.name + "-x", description="renamed")
    assert (updated.name, updated.description) == (role.name + "-x", "renamed")
    rule = cloud.createRolePermission(roleid=role.id, rule="listZones", permission="allow")
    cloud.deleteRolePermission(id=rule.id)
    assert rule.id not in ids(cloud.listRolePermissions(roleid=role.id))
    cloud.deleteRole(id=role.id)
    assert role.id not in ids(listed(cloud, "listRoles", id=role.id))


@pytest.mark.tags("negative")
def test_invalid_permission_value_is_refused(make, cloud):
    role = make.role(type="User")
    with pytest.raises(CloudStackError) as refused:
        cloud.createRolePermission(roleid=role.id, rule="listZones", permission="maybe")
    assert refused.value.errorcode == 431
    assert listed(cloud, "listRolePermissions", roleid=role.id) == []
