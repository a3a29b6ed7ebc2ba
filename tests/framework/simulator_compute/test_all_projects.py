"""``projectid=-1`` on list APIs: every project the caller can see, as CloudStack 4.18.0 reads it.

AccountManagerImpl.buildACLSearchParameters (the scope of every owned list): a user gets the rows of the
projects its account is a member of (its own rows when it is in none; ``listall`` adds nothing in 4.18.0); an
admin gets project rows only, and with ``listall=true`` everything it may see, projects included; ``account``
with ``projectid`` is refused (431). listNetworks has its own rule: a user sees its usual networks plus its
projects'. Elsewhere ``-1`` is no id: a create with ``projectid=-1`` is refused.
"""
from __future__ import annotations

import pytest
from compute_client import Client, new_user, unique

UNKNOWN_ID_TEXT = "due to invalid value. Invalid parameter projectid value=-1"


def _deploy(client: Client, catalog: dict, **params) -> dict:
    base = {"zoneid": catalog["zone"]["id"], "serviceofferingid": catalog["small"]["id"],
            "templateid": catalog["template"]["id"]}
    return client.run("deployVirtualMachine", **{**base, **params})["virtualmachine"]


def _ids(items: list[dict]) -> set[str]:
    return {item["id"] for item in items}


@pytest.fixture(scope="module")
def world(admin, catalog) -> dict:
    """alice: her own VM, owner of p1, member of bob's p2 (not of bob's p3); loner: in no project."""
    alice, bob, loner = new_user(admin, unique("alice")), new_user(admin, unique("bob")), new_user(admin, unique("loner"))
    p1 = alice.run("createProject", name=unique("p1"), displaytext="p1")["project"]
    p2 = bob.run("createProject", name=unique("p2"), displaytext="p2")["project"]
    p3 = bob.run("createProject", name=unique("p3"), displaytext="p3")["project"]
    assert bob.run("addAccountToProject", projectid=p2["id"], account=alice.account["name"]) == {"success": True}
    vms = {
        "alice": _deploy(alice, catalog), "loner": _deploy(loner, catalog), "admin": _deploy(admin, catalog),
        "p1": _deploy(alice, catalog, projectid=p1["id"]), "p2": _deploy(bob, catalog, projectid=p2["id"]),
        "p3": _deploy(bob, catalog, projectid=p3["id"]),
    }
    networks = {name: vm["nic"][0]["networkid"] for name, vm in vms.items()}
    return {"alice": alice, "bob": bob, "loner": loner, "projects": {"p1": p1, "p2": p2, "p3": p3}, "vms": vms,
            "networks": networks}


def _vm_ids(world: dict, *names: str) -> set[str]:
    return {world["vms"][name]["id"] for name in names}


def test_a_user_sees_the_vms_of_its_projects(world):
    alice = world["alice"]
    listed = alice.items("listVirtualMachines", "virtualmachine", projectid="-1")
    assert _ids(listed) == _vm_ids(world, "p1", "p2")
    assert {vm["projectid"] for vm in listed} == {world["projects"]["p1"]["id"], world["projects"]["p2"]["id"]}
    # 4.18.0: listall does not add the user's own VMs (issue #7642, changed in a later release).
    assert _ids(alice.items("listVirtualMachines", "virtualmachine", projectid="-1", listall=True)) == \
        _vm_ids(world, "p1", "p2")
    assert _ids(alice.items("listVirtualMachines", "virtualmachine")) == _vm_ids(world, "alice")


def test_a_user_in_no_project_sees_its_own_vms(world):
    loner = world["loner"]
    assert _ids(loner.items("listVirtualMachines", "virtualmachine", projectid="-1")) == _vm_ids(world, "loner")


def test_an_admin_sees_project_rows_only_and_everything_with_listall(admin, world):
    project_vms = admin.items("listVirtualMachines", "virtualmachine", projectid="-1")
    assert _vm_ids(world, "p1", "p2", "p3") <= _ids(project_vms)
    assert not _vm_ids(world, "alice", "loner", "admin") & _ids(project_vms)
    assert all(vm.get("projectid") for vm in project_vms)
    everything = admin.items("listVirtualMachines", "virtualmachine", projectid="-1", listall=True)
    assert set(_vm_ids(world, *world["vms"])) <= _ids(everything)
    code, text = admin.error("listVirtualMachines", projectid="-1", account=world["alice"].account["name"])
    assert (code, text) == (431, "Account and projectId can't be specified together")


def test_a_domain_admin_stays_in_its_domain(admin, catalog, world):
    domain = admin.ok("createDomain", name=unique("dom"))["domain"]
    name = unique("domadmin")
    account = admin.ok("createAccount", username=name, password="password", email=f"{name}@example.com",
                       firstname="D", lastname="A", accounttype=2, domainid=domain["id"])["account"]
    keys = admin.ok("registerUserKeys", id=account["user"][0]["id"])["userkeys"]
    domain_admin = Client(admin.endpoint, keys["apikey"], keys["secretkey"], label=name)
    inner = new_user(admin, unique("inner"), domainid=domain["id"])
    project = inner.run("createProject", name=unique("pd"), displaytext="pd")["project"]
    vm = _deploy(inner, catalog, projectid=project["id"])
    assert _ids(domain_admin.items("listVirtualMachines", "virtualmachine", projectid="-1")) == {vm["id"]}
    assert _ids(domain_admin.items("listVirtualMachines", "virtualmachine", projectid="-1", listall=True)) == {vm["id"]}
    assert vm["id"] in _ids(admin.items("listVirtualMachines", "virtualmachine", projectid="-1"))


def test_other_owned_lists_take_all_projects(admin, world):
    alice, projects, networks = world["alice"], world["projects"], world["networks"]
    volumes = alice.items("listVolumes", "volume", projectid="-1")
    assert {v["virtualmachineid"] for v in volumes} == _vm_ids(world, "p1", "p2")
    addresses = alice.items("listPublicIpAddresses", "publicipaddress", projectid="-1")
    assert {a["associatednetworkid"] for a in addresses} == {networks["p1"], networks["p2"]}
    groups = alice.items("listSecurityGroups", "securitygroup", projectid="-1")
    assert {g["projectid"] for g in groups} == {projects["p1"]["id"], projects["p2"]["id"]}
    routers = admin.items("listRouters", "router", projectid="-1")
    assert {networks["p1"], networks["p2"], networks["p3"]} <= {r["guestnetworkid"] for r in routers}
    assert not {networks["alice"], networks["loner"], networks["admin"]} & {r["guestnetworkid"] for r in routers}


def test_list_networks_adds_the_projects_networks_to_the_users_own(world):
    alice, networks = world["alice"], world["networks"]
    listed = _ids(alice.items("listNetworks", "network", projectid="-1"))
    assert {networks["alice"], networks["p1"], networks["p2"]} <= listed
    assert not {networks["p3"], networks["loner"], networks["admin"]} & listed


def test_minus_one_is_no_project_id_outside_lists(catalog, world):
    alice = world["alice"]
    # The API layer lets "-1" through every uuid parameter; the service looking the project up refuses it.
    code, text = alice.error("createVolume", name="v", zoneid=catalog["zone"]["id"], projectid="-1",
                             diskofferingid=catalog["disk"]["Small"]["id"])
    assert (code, text) == (431, "Unable to find project by id -1")
    code, text = alice.error("listResourceLimits", projectid="-1")
    assert (code, text) == (431, "Unable to find project by id -1")
    # Any other number is an internal id (projectid predates 3.0), and ids start at 1.
    code, text = alice.error("listVirtualMachines", projectid="-2")
    assert (code, text) == (431, "Unable to execute API command listvirtualmachines due to invalid value. "
                                 "Invalid value provided for API arg: projectid")


def test_list_templates_takes_all_projects(admin, catalog, world):
    alice, projects = world["alice"], world["projects"]
    ostype = catalog["template"]["ostypeid"]
    registered = alice.ok("registerTemplate", name=unique("tpl"), displaytext="t", url="http://example.com/t.qcow2",
                          format="QCOW2", hypervisor="Simulator", ostypeid=ostype, zoneid=catalog["zone"]["id"],
                          projectid=projects["p1"]["id"])["template"][0]
    mine = alice.items("listTemplates", "template", templatefilter="self", projectid="-1")
    assert registered["id"] in _ids(mine) and {t["projectid"] for t in mine} == {projects["p1"]["id"]}
    assert registered["id"] not in _ids(alice.items("listTemplates", "template", templatefilter="self"))
    assert registered["id"] not in _ids(world["loner"].items("listTemplates", "template", templatefilter="self",
                                                               projectid="-1"))
