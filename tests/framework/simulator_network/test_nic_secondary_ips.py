"""NIC secondary IPs: addIpToNic / removeIpFromNic / listNics with their rules and errors (4.20 texts)."""
from __future__ import annotations

import ipaddress

import pytest
from netclient import ISOLATED, L2, new_user


@pytest.fixture(scope="module")
def owner(admin):
    return new_user(admin, "nicip")


@pytest.fixture(scope="module")
def vm_and_nic(owner, cloud):
    network = owner.ok("createNetwork", name="nicnet", displaytext="nicnet", zoneid=cloud["zone"]["id"],
                       networkofferingid=cloud["offerings"][ISOLATED]["id"])["network"]
    vm = owner.run("deployVirtualMachine", zoneid=cloud["zone"]["id"], templateid=cloud["template"]["id"],
                   serviceofferingid=cloud["small"]["id"], networkids=[network["id"]])["virtualmachine"]
    return vm, vm["nic"][0], owner.ok("listNetworks", id=network["id"])["network"][0]


def test_secondary_ip_life_cycle(owner, vm_and_nic):
    vm, nic, network = vm_and_nic
    started = owner.start("addIpToNic", nicid=nic["id"])
    assert set(started) == {"id", "jobid"}
    first = owner.wait(started["jobid"])["jobresult"]["nicsecondaryip"]
    assert first["id"] == started["id"] and first["nicid"] == nic["id"] and first["networkid"] == network["id"]
    assert ipaddress.IPv4Address(first["ipaddress"]) in ipaddress.IPv4Network(network["cidr"])
    assert first["ipaddress"] not in (nic["ipaddress"], network["gateway"])
    wanted = str(ipaddress.IPv4Network(network["cidr"]).network_address + 200)
    second = owner.run("addIpToNic", nicid=nic["id"], ipaddress=wanted)["nicsecondaryip"]
    assert second["ipaddress"] == wanted

    nics = owner.items("listNics", "nic", virtualmachineid=vm["id"])
    assert [n["id"] for n in nics] == [nic["id"]]
    assert {s["ipaddress"] for s in nics[0]["secondaryip"]} == {first["ipaddress"], wanted}
    assert nics[0]["ipaddress"] == nic["ipaddress"] and nics[0]["isdefault"] is True
    assert owner.items("listNics", "nic", virtualmachineid=vm["id"], networkid=network["id"])[0]["id"] == nic["id"]
    assert owner.items("listNics", "nic", virtualmachineid=vm["id"], nicid=nic["id"])[0]["id"] == nic["id"]
    listed_vm = owner.items("listVirtualMachines", "virtualmachine", id=vm["id"])[0]
    assert {s["ipaddress"] for s in listed_vm["nic"][0]["secondaryip"]} == {first["ipaddress"], wanted}
    found = owner.items("listNics", "nic", virtualmachineid=vm["id"], nicid=nic["id"], keyword=wanted)
    assert [s["id"] for s in found[0]["secondaryip"]] == [second["id"]]

    assert owner.run("removeIpFromNic", id=second["id"])["success"] is True
    remaining = owner.items("listNics", "nic", virtualmachineid=vm["id"])[0]["secondaryip"]
    assert [s["id"] for s in remaining] == [first["id"]]
    owner.run("removeIpFromNic", id=first["id"])
    assert "secondaryip" not in owner.items("listNics", "nic", virtualmachineid=vm["id"])[0]


def test_requested_address_rules(owner, vm_and_nic):
    _vm, nic, network = vm_and_nic
    net = ipaddress.IPv4Network(network["cidr"])
    for bad in (nic["ipaddress"], network["gateway"], "172.16.99.9", "not-an-ip"):
        code, _, text = owner.error("addIpToNic", nicid=nic["id"], ipaddress=bad)
        assert (code, text) == (530, "Failed to assign secondary ip to nic"), bad
    taken = owner.run("addIpToNic", nicid=nic["id"], ipaddress=str(net.network_address + 150))["nicsecondaryip"]
    code, _, text = owner.error("addIpToNic", nicid=nic["id"], ipaddress=taken["ipaddress"])
    assert (code, text) == (530, "Failed to assign secondary ip to nic")
    owner.run("removeIpFromNic", id=taken["id"])


def test_max_secondary_ips_per_nic(sim, admin, owner, vm_and_nic):
    name = "vm.network.nic.max.secondary.ipaddresses"
    with sim.store.transaction():
        if sim.store.get("configuration", name) is None:
            sim.store.insert("configuration", {"id": name, "name": name, "value": "256", "category": "Network"})
    admin.ok("updateConfiguration", name=name, value="1")
    try:
        _, nic, _ = vm_and_nic
        one = owner.run("addIpToNic", nicid=nic["id"])["nicsecondaryip"]
        code, _, text = owner.error("addIpToNic", nicid=nic["id"])
        assert (code, text) == (431, ("Allocating guest ip for nic failed : Maximum Number of Ips per Nic has been "
                                     "crossed."))
        owner.run("removeIpFromNic", id=one["id"])
    finally:
        admin.ok("updateConfiguration", name=name, value="256")


def test_secondary_ip_in_use_by_static_nat_cannot_go(owner, vm_and_nic, sim):
    vm, nic, network = vm_and_nic
    extra = owner.run("addIpToNic", nicid=nic["id"])["nicsecondaryip"]
    public = owner.run("associateIpAddress", networkid=network["id"])["ipaddress"]
    if public["issourcenat"]:
        public = owner.run("associateIpAddress", networkid=network["id"])["ipaddress"]
    # Static NAT to a secondary address (white-box: enableStaticNat only knows primary addresses today).
    with sim.store.transaction():
        sim.store.update("publicipaddress", public["id"], isstaticnat=True, virtualmachineid=vm["id"],
                         vmipaddress=extra["ipaddress"])
    code, text = owner.run_fails("removeIpFromNic", id=extra["id"])
    assert (code, text) == (431, "Removing guest ip from nic failed")
    with sim.store.transaction():
        sim.store.update("publicipaddress", public["id"], isstaticnat=False, virtualmachineid=None, vmipaddress=None)
    owner.run("removeIpFromNic", id=extra["id"])


def test_l2_nic_and_permission_errors(owner, admin, user_b, vm_and_nic, cloud):
    vm, nic, _ = vm_and_nic
    assert user_b.error("addIpToNic", nicid=nic["id"])[0] == 531
    assert user_b.error("listNics", virtualmachineid=vm["id"])[0] == 531
    mine = owner.run("addIpToNic", nicid=nic["id"])["nicsecondaryip"]
    assert user_b.error("removeIpFromNic", id=mine["id"])[0] == 531
    assert admin.run("removeIpFromNic", id=mine["id"])["success"] is True      # root admin acts for the owner
    code, _, text = owner.error("removeIpFromNic", id=mine["id"])
    assert code == 431 and "id" in text
    assert owner.error("addIpToNic", nicid="00000000-0000-4000-8000-000000000000")[0] == 431
    assert owner.error("listNics")[0] == 431

    l2 = owner.ok("createNetwork", name="l2", displaytext="l2", zoneid=cloud["zone"]["id"],
                  networkofferingid=cloud["offerings"][L2]["id"])["network"]
    l2_vm = owner.run("deployVirtualMachine", zoneid=cloud["zone"]["id"], templateid=cloud["template"]["id"],
                      serviceofferingid=cloud["small"]["id"], networkids=[l2["id"]])["virtualmachine"]
    code, _, text = owner.error("addIpToNic", nicid=l2_vm["nic"][0]["id"])
    assert (code, text) == (530, "Failed to assign secondary ip to nic")


def test_secondary_ips_go_with_the_vm(owner, admin, cloud, vm_and_nic):
    _, _, network = vm_and_nic
    vm = owner.run("deployVirtualMachine", zoneid=cloud["zone"]["id"], templateid=cloud["template"]["id"],
                   serviceofferingid=cloud["small"]["id"], networkids=[network["id"]])["virtualmachine"]
    extra = owner.run("addIpToNic", nicid=vm["nic"][0]["id"])["nicsecondaryip"]
    admin.run("destroyVirtualMachine", id=vm["id"], expunge=True)
    code, _, _ = owner.error("removeIpFromNic", id=extra["id"])
    assert code in (431, 530)
    # The address is free again: it can be requested on another NIC of the network.
    _, nic, _ = vm_and_nic
    again = owner.run("addIpToNic", nicid=nic["id"], ipaddress=extra["ipaddress"])["nicsecondaryip"]
    owner.run("removeIpFromNic", id=again["id"])


def test_update_vm_nic_ip(owner, user_b, cloud, vm_and_nic):
    _, _, network = vm_and_nic
    vm = owner.run("deployVirtualMachine", zoneid=cloud["zone"]["id"], templateid=cloud["template"]["id"],
                   serviceofferingid=cloud["small"]["id"], networkids=[network["id"]])["virtualmachine"]
    nic = vm["nic"][0]
    code, text = owner.run_fails("updateVmNicIp", nicid=nic["id"], ipaddress="10.1.1.77")
    assert (code, text) == (431, "VM is not Stopped, unable to update the vm nic having the specified id")
    owner.run("stopVirtualMachine", id=vm["id"])
    wanted = str(ipaddress.IPv4Network(network["cidr"]).network_address + 177)
    answer = owner.run("updateVmNicIp", nicid=nic["id"], ipaddress=wanted)["virtualmachine"]
    assert answer["id"] == vm["id"] and answer["nic"][0]["ipaddress"] == wanted
    assert owner.items("listNics", "nic", virtualmachineid=vm["id"])[0]["ipaddress"] == wanted
    listed = owner.items("listVirtualMachines", "virtualmachine", id=vm["id"])[0]
    assert listed["nic"][0]["ipaddress"] == wanted
    # The old address is free again; the gateway and addresses in use are refused.
    code, text = owner.run_fails("updateVmNicIp", nicid=nic["id"], ipaddress=network["gateway"])
    assert code == 431 and text.startswith('Allocating ip to guest nic Nic {"id":') and \
        text.endswith("failed, please choose another ip")
    code, text = owner.run_fails("updateVmNicIp", nicid=nic["id"], ipaddress="not-an-ip")
    assert (code, text) == (530, "Invalid ip address not-an-ip")
    assert user_b.run_fails("updateVmNicIp", nicid=nic["id"], ipaddress=nic["ipaddress"])[0] == 531
    moved_back = owner.run("updateVmNicIp", nicid=nic["id"], ipaddress=nic["ipaddress"])["virtualmachine"]
    assert moved_back["nic"][0]["ipaddress"] == nic["ipaddress"]
    free = owner.run("updateVmNicIp", nicid=nic["id"])["virtualmachine"]["nic"][0]["ipaddress"]
    assert free != nic["ipaddress"] and ipaddress.IPv4Address(free) in ipaddress.IPv4Network(network["cidr"])
    owner.run("startVirtualMachine", id=vm["id"])
    assert owner.items("listVirtualMachines", "virtualmachine", id=vm["id"])[0]["nic"][0]["ipaddress"] == free


def test_a_secondary_address_is_not_handed_to_another_vm(owner, cloud, vm_and_nic):
    _, nic, network = vm_and_nic
    extra = owner.run("addIpToNic", nicid=nic["id"])["nicsecondaryip"]
    code, _, text = owner.error("deployVirtualMachine", zoneid=cloud["zone"]["id"], templateid=cloud["template"]["id"],
                                serviceofferingid=cloud["small"]["id"], networkids=[network["id"]],
                                ipaddress=extra["ipaddress"])
    assert code == 533 and text.startswith("Unable to acquire Guest IP address for network")
    owner.run("removeIpFromNic", id=extra["id"])
