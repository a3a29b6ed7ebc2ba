"""Instance groups: life cycle, per-account names, agreement with VMs deployed into a group, errors."""
from __future__ import annotations

from compute_client import unique


def _groups(client, **params) -> dict[str, dict]:
    return {g["name"]: g for g in client.items("listInstanceGroups", "instancegroup", **params)}


def test_create_list_rename_delete(user):
    name = unique("grp")
    group = user.ok("createInstanceGroup", name=name)["instancegroup"]
    assert group["name"] == name and group["account"] == user.account["name"] and group["created"]
    assert _groups(user, id=group["id"])[name]["id"] == group["id"]

    renamed = user.ok("updateInstanceGroup", id=group["id"], name=name + "-b")["instancegroup"]
    assert renamed["name"] == name + "-b"
    assert name not in _groups(user) and name + "-b" in _groups(user)

    assert user.ok("deleteInstanceGroup", id=group["id"])["success"] is True
    assert name + "-b" not in _groups(user)
    code, text = user.error("deleteInstanceGroup", id=group["id"])
    assert code == 431 and "Invalid parameter id" in text


def test_names_are_unique_per_account_only(user, other_user):
    name = unique("same")
    user.ok("createInstanceGroup", name=name)
    code, text = user.error("createInstanceGroup", name=name)
    assert code == 431
    assert text.startswith(f"Unable to create vm group, a group with name {name} already exists for account Account [")
    assert user.account["name"] in text
    other_user.ok("createInstanceGroup", name=name)          # another account may use the name
    assert name in _groups(other_user) and name in _groups(user)


def test_rename_to_a_taken_name_is_refused(user):
    first, second = unique("a"), unique("b")
    user.ok("createInstanceGroup", name=first)
    group = user.ok("createInstanceGroup", name=second)["instancegroup"]
    code, text = user.error("updateInstanceGroup", id=group["id"], name=first)
    assert (code, text) == (431, f"Unable to update vm group, a group with name {first} already exists for account")
    assert user.ok("updateInstanceGroup", id=group["id"], name=second)["instancegroup"]["name"] == second


def test_a_deployed_vm_group_is_listed_and_follows_rename_and_delete(user, deploy):
    name = unique("web")
    vm = deploy(user, group=name)
    group = _groups(user)[name]
    listed = user.items("listVirtualMachines", "virtualmachine", id=vm["id"])[0]
    assert listed["group"] == name and listed["groupid"] == group["id"]
    assert [v["id"] for v in user.items("listVirtualMachines", "virtualmachine", groupid=group["id"])] == [vm["id"]]

    user.ok("updateInstanceGroup", id=group["id"], name=name + "-2")
    assert user.items("listVirtualMachines", "virtualmachine", id=vm["id"])[0]["group"] == name + "-2"

    user.ok("deleteInstanceGroup", id=group["id"])
    listed = user.items("listVirtualMachines", "virtualmachine", id=vm["id"])[0]
    assert "group" not in listed and "groupid" not in listed
    assert name + "-2" not in _groups(user)


def test_other_accounts_groups_are_neither_listed_nor_changed(user, other_user, admin):
    group = user.ok("createInstanceGroup", name=unique("mine"))["instancegroup"]
    assert group["name"] not in _groups(other_user)
    assert group["name"] in _groups(admin, listall=True)
    for command, extra in (("updateInstanceGroup", {"name": "x"}), ("deleteInstanceGroup", {})):
        code, text = other_user.error(command, id=group["id"], **extra)
        assert code == 531 and "does not have permission" in text
    assert group["name"] in _groups(user)


def test_admin_creates_for_an_account_and_missing_name_is_refused(admin, user):
    name = unique("for-user")
    made = admin.ok("createInstanceGroup", name=name, account=user.account["name"],
                    domainid=user.account["domainid"])["instancegroup"]
    assert made["account"] == user.account["name"] and name in _groups(user)
    code, text = admin.error("createInstanceGroup")
    assert (code, text) == (431, "Unable to execute API command createinstancegroup due to missing parameter name")
    code, text = user.error("updateInstanceGroup", name="x")
    assert code == 431 and "missing parameter id" in text


def test_deploy_and_update_put_a_vm_in_its_group_at_once(user, deploy):
    # No listInstanceGroups call in between: the group row is made by the deploy itself, as CloudStack does.
    name = unique("db")
    grouped = deploy(user, group=name)
    loose = deploy(user)
    group_id = user.items("listVirtualMachines", "virtualmachine", id=grouped["id"])[0]["groupid"]
    assert [v["id"] for v in user.items("listVirtualMachines", "virtualmachine", groupid=group_id)] == [grouped["id"]]

    user.ok("updateVirtualMachine", id=loose["id"], group=name)           # joins the same group
    members = {v["id"] for v in user.items("listVirtualMachines", "virtualmachine", groupid=group_id)}
    assert members == {grouped["id"], loose["id"]}
    assert list(_groups(user)).count(name) == 1
