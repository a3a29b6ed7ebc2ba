"""Capacity exhaustion: a zone whose public IP range is used up answers 533.

The module deploys its own small zone (three public addresses for the test,
plus the two its SSVM and CPVM take once it is enabled) so that using them
all up disturbs nobody else, registers a template there and implements a
network (its source NAT takes the first address). Then:
acquiring the remaining addresses works, the next one is refused with 533
"Insufficient address capacity", releasing one makes it available again,
and a second network cannot get a source NAT address.
"""
from __future__ import annotations

import pytest

from marvin2 import resources as r
from marvin2.pytest_plugin.session import hypervisor_name, uses_simulator

from .conftest import deploy_zone
from .helpers import expect_error, ids, only, wait_until

pytestmark = [pytest.mark.tags("component", "public-ip", "networks", "infrastructure", "advanced")]

PUBLIC_IPS = 3
SYSTEM_VM_IPS = 2       # the zone's secondary storage VM and console proxy hold one public address each
TEMPLATE_URL = "http://download.cloudstack.org/templates/builtin/centos56-x86_64.vhd.bz2"


@pytest.fixture(scope="module")
def small_zone(request, cloud, module_make):
    hypervisors = [h.get("name") for h in cloud.listHypervisors() or []]
    if not uses_simulator(request.config) and "Simulator" not in hypervisors:
        pytest.skip("needs a zone of its own with a tiny public IP range (deployable with the Simulator hypervisor)")
    zone = deploy_zone(request, module_make.stack, purpose="tiny", public_ips=PUBLIC_IPS + SYSTEM_VM_IPS)
    wait_until(lambda: len(system_vm_addresses(cloud, zone.id)) == SYSTEM_VM_IPS, timeout=600,
               what="the new zone's SSVM and CPVM running with their public addresses")
    return zone


def system_vm_addresses(cloud, zone_id: str) -> set:
    return {vm.publicip for vm in cloud.listSystemVms(zoneid=zone_id) or []
            if vm.state == "Running" and vm.get("publicip")}


@pytest.fixture(scope="module")
def zone_template(request, small_zone, user_api, template, marvin2_config, module_factory, run_context):
    data = marvin2_config.test_data or {}
    hypervisor = hypervisor_name(request.config) or "Simulator"
    record = r.register_template(
        user_api, url=data.get("template_url") or TEMPLATE_URL, zoneid=small_zone.id, ostypeid=template.ostypeid,
        hypervisor=hypervisor, format="VHD" if hypervisor.lower() in ("simulator", "xenserver") else "QCOW2",
        purpose="tiny", run_id=run_context.run_id, on_created=module_factory.tracker.on_created_by("user"))
    record = record[0] if isinstance(record, list) else record
    return r.wait_for_template_ready(user_api, record.id, zoneid=small_zone.id, timeout=600)


@pytest.fixture(scope="module")
def busy_network(small_zone, zone_template, module_factory, network_offering):
    """A network of the small zone with a running VM: its source NAT address is the first one used."""
    network = module_factory.network(zoneid=small_zone.id, networkofferingid=network_offering.id)
    module_factory.vm(zoneid=small_zone.id, templateid=zone_template.id, networkids=[network.id])
    return network


def addresses_in_zone(cloud, zone_id: str) -> list:
    """The zone's public addresses left for accounts (those of its system VMs set aside)."""
    system = system_vm_addresses(cloud, zone_id)
    listed = cloud.listPublicIpAddresses(zoneid=zone_id, allocatedonly=False, listall=True) or []
    return [ip for ip in listed if ip.ipaddress not in system]


def used(cloud, zone_id: str) -> int:
    return sum(1 for ip in addresses_in_zone(cloud, zone_id) if ip.state != "Free")


def test_the_last_address_then_533(busy_network, small_zone, acquire_public_ip, cloud, user_api):
    assert len(addresses_in_zone(cloud, small_zone.id)) == PUBLIC_IPS
    taken = [acquire_public_ip(networkid=busy_network.id) for _ in range(PUBLIC_IPS - used(cloud, small_zone.id))]
    assert used(cloud, small_zone.id) == PUBLIC_IPS
    error = expect_error(533, acquire_public_ip, networkid=busy_network.id)
    assert error.errortext.startswith("Insufficient address capacity")
    # Nothing was half-allocated by the refusal.
    mine = {ip.id for ip in user_api.listPublicIpAddresses(associatednetworkid=busy_network.id) or []}
    assert set(ids(taken)) <= mine and len(mine) == PUBLIC_IPS


def test_a_released_address_can_be_acquired_again(busy_network, small_zone, acquire_public_ip, cloud, user_api):
    taken = [acquire_public_ip(networkid=busy_network.id) for _ in range(PUBLIC_IPS - used(cloud, small_zone.id))]
    expect_error(533, acquire_public_ip, networkid=busy_network.id)
    user_api.disassociateIpAddress(id=taken[-1].id)
    wait_until(lambda: used(cloud, small_zone.id) < PUBLIC_IPS, timeout=120, what="the released address to be free")
    again = acquire_public_ip(networkid=busy_network.id)
    assert again.ipaddress == taken[-1].ipaddress        # the only free address of the zone


@pytest.mark.tags("deploy-vm")
def test_a_new_network_gets_no_source_nat_address(busy_network, small_zone, zone_template, acquire_public_ip,
                                                 create_network, deploy_vm, network_offering, cloud, user_api):
    for _ in range(PUBLIC_IPS - used(cloud, small_zone.id)):
        acquire_public_ip(networkid=busy_network.id)
    second = create_network(zoneid=small_zone.id, networkofferingid=network_offering.id)
    # Implementing the network needs a source NAT address: the deploy fails for lack of capacity.
    expect_error(533, deploy_vm, zoneid=small_zone.id, templateid=zone_template.id, networkids=[second.id])
    assert only(user_api.listNetworks(id=second.id)).state != "Implemented"


def test_the_zone_capacity_report(busy_network, small_zone, cloud):
    # 4 = CAPACITY_TYPE_VIRTUAL_NETWORK_PUBLIC_IP: the public ranges of an Advanced zone (8 is for the
    # direct-attached addresses of shared networks). fetchlatest: a real server refreshes its figures first.
    report = cloud.listCapacity(zoneid=small_zone.id, type=4, fetchlatest=True) or []
    capacity = only(report, "public IP capacity")
    assert (int(capacity.type), capacity.zoneid) == (4, small_zone.id)
    assert int(capacity.capacitytotal) == PUBLIC_IPS + SYSTEM_VM_IPS
    assert int(capacity.capacityused) == used(cloud, small_zone.id) + SYSTEM_VM_IPS
    assert 1 + SYSTEM_VM_IPS <= int(capacity.capacityused) <= PUBLIC_IPS + SYSTEM_VM_IPS
