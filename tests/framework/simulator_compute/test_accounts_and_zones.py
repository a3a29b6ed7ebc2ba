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


def test_builtin_template_is_ready_in_a_zone_once_it_has_secondary_storage(admin, catalog):
    builtin = catalog["template"]
    zone = admin.ok("createZone", name=unique("zone"), networktype="Advanced", dns1="8.8.8.8",
                    internaldns1="10.0.0.1", guestcidraddress="10.1.1.0/24")["zone"]
    try:
        # No secondary storage yet: the template is nowhere in the new zone.
        assert admin.items("listTemplates", "template", templatefilter="featured", zoneid=zone["id"]) == []
        store = admin.ok("addImageStore", provider="NFS", name=unique("ss"), zoneid=zone["id"],
                         url="nfs://10.147.28.6/export/home/sandbox/secondary-new")["imagestore"]
        found = admin.items("listTemplates", "template", templatefilter="featured", zoneid=zone["id"], id=builtin["id"])
        assert [(t["id"], t["zoneid"], t["isready"], t["status"]) for t in found] == \
            [(builtin["id"], zone["id"], True, "Download Complete")]
        # Still ready in the seeded zone; a second store in the same zone does not duplicate it.
        admin.ok("addImageStore", provider="NFS", name=unique("ss"), zoneid=zone["id"],
                 url="nfs://10.147.28.6/export/home/sandbox/secondary-new2")
        everywhere = admin.items("listTemplates", "template", templatefilter="featured", id=builtin["id"])
        assert sorted(t["zoneid"] for t in everywhere) == sorted([catalog["zone"]["id"], zone["id"]])
        assert all(t["isready"] for t in everywhere)
    finally:
        for row in admin.items("listImageStores", "imagestore", zoneid=zone["id"]):
            admin.ok("deleteImageStore", id=row["id"])
        admin.ok("deleteZone", id=zone["id"])
    assert store["zoneid"] == zone["id"]
    # A deleted zone lists no template entry any more: one entry per remaining zone.
    remaining = admin.items("listTemplates", "template", templatefilter="featured", id=builtin["id"])
    assert [t["zoneid"] for t in remaining] == [catalog["zone"]["id"]]
