"""The resource layer against the real simulator (instant profile): every kind is
created and deleted, failed creates are still cleaned up, waiters fail fast on
Error, a user who may not expunge still gets rid of a VM, sweeps find leftovers."""
from __future__ import annotations

import time

import pytest

import marvin2
from marvin2 import resources as r
from marvin2.client.errors import AsyncJobFailed
from marvin2.resources.base import unwrap_result

TEMPLATE = "CentOS 5.6 (64-bit) no GUI (Simulator)"
INVENTORY = {
    "vm": ("listVirtualMachines", {}), "volume": ("listVolumes", {}), "snapshot": ("listSnapshots", {}),
    "vm_snapshot": ("listVMSnapshot", {}), "network": ("listNetworks", {}), "vpc": ("listVPCs", {}),
    "public_ip": ("listPublicIpAddresses", {"allocatedonly": True}), "account": ("listAccounts", {}),
    "firewall_rule": ("listFirewallRules", {}), "port_forwarding_rule": ("listPortForwardingRules", {}),
    "template": ("listTemplates", {"templatefilter": "all"}), "tag": ("listTags", {}),
}
# `sim` (an instant simulator per module) and `admin` come from conftest.py.


@pytest.fixture(scope="module")
def env(admin):
    zone = r.find_zone(admin, "Sandbox-simulator")
    return {
        "zone": zone,
        "template": r.find_template(admin, TEMPLATE, zone.id),
        "offering": r.find_service_offering(admin, "Small Instance"),
        "disk": r.find_disk_offering(admin, "Small"),
        "netoffering": r.find_network_offering(admin, "DefaultIsolatedNetworkOfferingWithSourceNatService"),
        "vpcoffering": r.find_vpc_offering(admin, "Default VPC offering"),
    }


@pytest.fixture
def no_faults(admin):
    yield
    admin.configureSimulatorFaults(clear=True)


def inventory(api) -> dict[str, set]:
    out = {}
    for kind, (command, params) in INVENTORY.items():
        records = getattr(api, command)(listall=True, **params)
        out[kind] = {x.get("id") or f"{x['resourceid']}/{x['key']}" for x in records}
    return out


def test_every_kind_is_created_and_the_stack_removes_all_of_it(admin, env):
    before = inventory(admin)
    stack = r.CleanupStack()
    track = r.tracker(stack, admin)
    run = "simrun-all"
    zone = env["zone"]
    net = r.create_network(admin, zoneid=zone.id, networkofferingid=env["netoffering"].id, run_id=run, on_created=track)
    vm = r.deploy_vm(admin, zoneid=zone.id, serviceofferingid=env["offering"].id, templateid=env["template"].id,
                     networkids=[net.id], run_id=run, on_created=track)
    assert r.wait_for_vm_state(admin, vm.id, "Running", timeout=30)["state"] == "Running"
    vol = r.create_volume(admin, zoneid=zone.id, diskofferingid=env["disk"].id, run_id=run, on_created=track)
    r.attach_volume(admin, vol.id, vm.id)
    assert r.wait_for_volume_state(admin, vol.id, "Ready", timeout=30)["virtualmachineid"] == vm.id
    snap = r.create_snapshot(admin, vol.id, run_id=run, on_created=track)
    r.wait_for_snapshot_state(admin, snap.id, "BackedUp", timeout=30)
    vmsnap = r.create_vm_snapshot(admin, vm.id, run_id=run, on_created=track)
    ip = r.acquire_public_ip(admin, networkid=net.id, run_id=run, on_created=track)
    r.create_firewall_rule(admin, ipaddressid=ip.id, startport=22, run_id=run, on_created=track)
    r.create_port_forwarding_rule(admin, ipaddressid=ip.id, virtualmachineid=vm.id, privateport=22, run_id=run,
                                  on_created=track)
    tmpl = r.create_template(admin, snapshotid=snap.id, ostypeid=env["template"].ostypeid, run_id=run, on_created=track)
    vpc = r.create_vpc(admin, zoneid=zone.id, vpcofferingid=env["vpcoffering"].id, run_id=run, on_created=track)
    assert r.wait_for_vpc_state(admin, vpc.id, "Enabled", timeout=30)
    kinds = [e.kind for e in stack.entries]
    assert kinds == ["network", "vm", "volume", "snapshot", "vm_snapshot", "public_ip", "firewall_rule",
                     "port_forwarding_rule", "template", "vpc"]
    assert inventory(admin) != before
    assert stack.run() == []
    assert r.find_by_id(admin, "template", tmpl.id) is None and r.find_by_id(admin, "vm_snapshot", vmsnap.id) is None
    time.sleep(0.05)  # tag jobs were not waited for
    assert inventory(admin) == before


def test_failed_deploy_still_cleaned_up_and_waiter_fails_fast(admin, env, no_faults):
    before = inventory(admin)
    zone = env["zone"]
    stack = r.CleanupStack()
    net = r.create_network(admin, zoneid=zone.id, networkofferingid=env["netoffering"].id, on_created=r.tracker(stack, admin))
    admin.configureSimulatorFaults(apiname="deployVirtualMachine", jobfailurerate=1.0)
    with pytest.raises(AsyncJobFailed, match="failure injected"):
        r.deploy_vm(admin, zoneid=zone.id, serviceofferingid=env["offering"].id, templateid=env["template"].id,
                    networkids=[net.id], on_created=r.tracker(stack, admin))
    job = admin.deployVirtualMachine(zoneid=zone.id, serviceofferingid=env["offering"].id,
                                     templateid=env["template"].id, networkids=[net.id], wait=False)
    stack.push_resource(admin, "vm", job.id)
    started = time.monotonic()
    with pytest.raises(r.ResourceFailed) as caught:
        r.wait_for_vm_state(admin, job.id, "Running", timeout=120)
    assert time.monotonic() - started < 5  # not the 120 s timeout
    assert caught.value.state == "Error" and job.id in str(caught.value)
    states = sorted(v.state for v in admin.listVirtualMachines(listall=True) if v.id not in before["vm"])
    assert states == ["Error", "Error"]
    admin.configureSimulatorFaults(clear=True)
    assert stack.run() == []
    time.sleep(0.05)
    assert inventory(admin) == before


def test_timeout_names_the_resource_and_its_last_state(admin, env):
    stack = r.CleanupStack()
    with stack:
        net = r.create_network(admin, zoneid=env["zone"].id, networkofferingid=env["netoffering"].id,
                               on_created=r.tracker(stack, admin))
        with pytest.raises(r.WaitTimeout) as caught:
            r.wait_for_network_state(admin, net.id, "Implemented", timeout=0.3)
    assert caught.value.last_state == "Allocated"
    assert f"network {net.id} did not become Implemented within 0.3s" in str(caught.value)


def test_user_without_expunge_right_destroys_then_admin_expunges(admin, env, sim):
    keys = r.create_account_with_keys(admin, run_id="simrun-user")
    user = marvin2.connect(sim.endpoint, api_key=keys.api_key, secret_key=keys.secret_key)
    try:
        net = r.create_network(user, zoneid=env["zone"].id, networkofferingid=env["netoffering"].id)
        vm = r.deploy_vm(user, zoneid=env["zone"].id, serviceofferingid=env["offering"].id,
                         templateid=env["template"].id, networkids=[net.id])
        assert r.delete_resource(user, "vm", vm.id) is True
        assert r.find_by_id(admin, "vm", vm.id).state == "Destroyed"
        assert r.delete_resource(admin, "vm", vm.id) is True  # expunges the Destroyed VM
        assert r.find_by_id(admin, "vm", vm.id) is None
        assert r.delete_resource(user, "network", net.id) is True
    finally:
        user.close()
        r.delete_resource(admin, "account", keys.id)
    assert r.find_by_id(admin, "account", keys.id) is None


def test_sweep_finds_a_runs_leftovers_by_tag_and_name(admin, env):
    from marvin2.resources.sweep import collect_leftovers, delete_leftovers

    before = inventory(admin)
    run = "simrun-sweep"
    net = r.create_network(admin, zoneid=env["zone"].id, networkofferingid=env["netoffering"].id, run_id=run)
    vm = r.deploy_vm(admin, zoneid=env["zone"].id, serviceofferingid=env["offering"].id,
                     templateid=env["template"].id, networkids=[net.id], run_id=run)
    keys = r.create_account_with_keys(admin, run_id=run)
    time.sleep(0.05)
    leftovers = collect_leftovers(admin, run)
    assert [(x.kind, x.id) for x in leftovers] == [("vm", vm.id), ("network", net.id), ("account", keys.id)]
    assert leftovers[0].sources == {"tag", "name"} and leftovers[2].sources == {"name"}
    result = delete_leftovers(admin, leftovers)
    assert result.ok and len(result.deleted) == 3
    time.sleep(0.05)
    assert inventory(admin) == before


def test_source_nat_ip_goes_with_its_network_and_takes_its_run_tag_along(admin, env):
    # The first IP of a network that is not implemented yet becomes its source NAT IP; once a VM implemented the
    # network, only the network's delete releases it. Nothing of the run may stay behind, its run tag included.
    run = "simrun-snat"
    stack = r.CleanupStack()
    track = r.tracker(stack, admin)
    zone = env["zone"]
    net = r.create_network(admin, zoneid=zone.id, networkofferingid=env["netoffering"].id, run_id=run, on_created=track)
    ip = r.acquire_public_ip(admin, networkid=net.id, run_id=run, on_created=track)
    assert ip.issourcenat is True
    r.deploy_vm(admin, zoneid=zone.id, serviceofferingid=env["offering"].id, templateid=env["template"].id,
                networkids=[net.id], run_id=run, on_created=track)
    time.sleep(0.05)  # tag jobs were not waited for
    assert {t.resourceid for t in admin.listTags(key=r.RUN_TAG_KEY, value=run, listall=True)} >= {net.id, ip.id}
    assert stack.run() == []
    assert admin.listPublicIpAddresses(id=ip.id, allocatedonly=False)[0].state == "Free"
    assert list(admin.listTags(key=r.RUN_TAG_KEY, value=run, listall=True) or []) == []


def test_released_ip_handed_to_another_account_is_not_deleted_by_the_cleanup(admin, env, sim):
    # A released address keeps its id; whoever acquires the address next gets the same id. The admin cleanup of
    # the first acquisition must leave the new owner's address alone.
    stack = r.CleanupStack()
    outcomes = []
    stack.add_listener(lambda entry, outcome, error: outcomes.append((entry.kind, outcome)))
    owners = [r.create_account_with_keys(admin, run_id="simrun-reuse") for _ in range(2)]
    users = [marvin2.connect(sim.endpoint, api_key=k.api_key, secret_key=k.secret_key) for k in owners]
    try:
        first_net, second_net = (r.create_network(u, zoneid=env["zone"].id, networkofferingid=env["netoffering"].id)
                                 for u in users)
        ip = r.acquire_public_ip(users[0], networkid=first_net.id, on_created=r.tracker(stack, admin))
        users[0].disassociateIpAddress(id=ip.id)                      # the test let it go itself ...
        again = unwrap_result(users[1].associateIpAddress(networkid=second_net.id, ipaddress=ip.ipaddress),
                              "ipaddress")
        assert again["id"] == ip.id and again["account"] == owners[1].name   # ... and someone else has it now
        assert stack.run() == []
        assert outcomes == [("public_ip", "already-gone")]
        still = r.find_by_id(admin, "public_ip", ip.id)
        assert still.state == "Allocated" and still.account == owners[1].name
    finally:
        for user in users:
            user.close()
        for keys in owners:
            r.delete_resource(admin, "account", keys.id)
