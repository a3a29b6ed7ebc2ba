"""Account behaviours that reach into compute, and the built-in template in zones added after seeding."""
from __future__ import annotations

from compute_client import new_user, unique


def _account_names(admin) -> set[str]:
    return {a["name"] for a in admin.items("listAccounts", "account", listall=True)}


def test_project_accounts_are_not_listed(admin):
    owner = new_user(admin)
    before = _account_names(admin)
    project = owner.run("createProject", name=unique("prj"), displaytext="hidden account")["project"]
    assert project["state"] == "Active"
    # The project owns its resources through an account of type 5 that no listAccounts shows.
    assert _account_names(admin) == before
    assert all(a["accounttype"] != 5 for a in admin.items("listAccounts", "account", listall=True))
    assert admin.items("listAccounts", "account", listall=True, accounttype=5) == []
    assert [a["name"] for a in owner.items("listAccounts", "account")] == [owner.account["name"]]


def test_disable_account_stops_its_running_vms(admin, deploy):
    owner = new_user(admin)
    running, stopped = deploy(owner), deploy(owner)
    owner.run("stopVirtualMachine", id=stopped["id"])
    bystander = deploy(new_user(admin))
    account = admin.run("disableAccount", id=owner.account["id"], lock=False)["account"]
    assert account["state"] == "disabled"
    states = {vm["id"]: vm["state"] for vm in admin.items("listVirtualMachines", "virtualmachine", listall=True)}
    assert states[running["id"]] == "Stopped" and states[stopped["id"]] == "Stopped"
    assert states[bystander["id"]] == "Running"
    listed = admin.items("listVirtualMachines", "virtualmachine", id=running["id"], listall=True)[0]
    assert "hostid" not in listed                   # off its host: its capacity is free again
    assert admin.ok("enableAccount", id=owner.account["id"])["account"]["state"] == "enabled"
    assert owner.run("startVirtualMachine", id=running["id"])["virtualmachine"]["state"] == "Running"


def test_lock_account_leaves_its_vms_running(admin, deploy):
    owner = new_user(admin)
    vm = deploy(owner)
    account = admin.run("disableAccount", id=owner.account["id"], lock=True)["account"]
    assert account["state"] == "locked"
    assert admin.items("listVirtualMachines", "virtualmachine", id=vm["id"], listall=True)[0]["state"] == "Running"
    admin.ok("enableAccount", id=owner.account["id"])


def test_builtin_template_waits_for_a_storage_vm_in_a_new_zone(admin, catalog):
    """The built-in template reaches a zone's secondary storage through its SSVM (test_zone_system_vms.py shows
    the copy): a disabled zone without hosts gets none, even with secondary storage."""
    builtin = catalog["template"]
    zone = admin.ok("createZone", name=unique("zone"), networktype="Advanced", dns1="8.8.8.8",
                    internaldns1="10.0.0.1", guestcidraddress="10.1.1.0/24")["zone"]
    try:
        assert admin.items("listTemplates", "template", templatefilter="featured", zoneid=zone["id"]) == []
        store = admin.ok("addImageStore", provider="NFS", name=unique("ss"), zoneid=zone["id"],
                         url="nfs://10.147.28.6/export/home/sandbox/secondary-new")["imagestore"]
        assert admin.items("listTemplates", "template", templatefilter="featured", zoneid=zone["id"]) == []
        assert admin.items("listSystemVms", "systemvm", zoneid=zone["id"]) == []
        everywhere = admin.items("listTemplates", "template", templatefilter="featured", id=builtin["id"])
        assert [t["zoneid"] for t in everywhere] == [catalog["zone"]["id"]] and everywhere[0]["isready"]
    finally:
        for row in admin.items("listImageStores", "imagestore", zoneid=zone["id"]):
            admin.ok("deleteImageStore", id=row["id"])
        admin.ok("deleteZone", id=zone["id"])
    assert store["zoneid"] == zone["id"]
    remaining = admin.items("listTemplates", "template", templatefilter="featured", id=builtin["id"])
    assert [t["zoneid"] for t in remaining] == [catalog["zone"]["id"]]
