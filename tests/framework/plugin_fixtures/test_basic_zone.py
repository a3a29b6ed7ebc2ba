"""Basic zones: the simulator's listVirtualMachines securitygroupid filter, and fixtures that deploy as a Basic zone wants.

- ``listVirtualMachines securitygroupid=`` (4.15+) over HTTP with the PyPI
  ``cs`` client (signed requests, nothing of marvin2's client): VMs of that
  group only; an unknown group is the usual 431 entity error.
- A pytester pack against the Basic-zone simulator: ``shared_network`` is
  the zone's guest network (nothing made), ``shared_vm`` and ``deploy_vm()``
  name no network and land in it with the default security group; the
  ledger holds no network and the cloud ends as it started.
- Against the fake cloud: the config's ``zone_network_type: Basic`` decides
  when the zone record does not say, and Advanced zones still get an isolated
  network per owner.
"""
from __future__ import annotations

import pytest
from cs import CloudStack, CloudStackApiException

import marvin2
from marvin2.pytest_plugin.fixtures_discovery import is_basic_zone, zone_network_type


@pytest.fixture(scope="module")
def basic_sim():
    from marvin2.simulator import start_simulator

    sim = start_simulator(profile="instant", seed="basic")
    yield sim
    sim.stop()


@pytest.fixture(scope="module")
def admin(basic_sim):
    api = marvin2.connect(basic_sim.endpoint, api_key=basic_sim.admin_api_key, secret_key=basic_sim.admin_secret_key)
    yield api
    api.close()


@pytest.fixture(scope="module")
def cs_admin(basic_sim):
    return CloudStack(endpoint=basic_sim.endpoint, key=basic_sim.admin_api_key, secret=basic_sim.admin_secret_key,
                      timeout=10, poll_interval=0.05)


# --- simulator: listVirtualMachines securitygroupid --------------------------------------------------------


def _deploy(cs_admin, zone, **params):
    template = cs_admin.listTemplates(templatefilter="all", zoneid=zone["id"])["template"][0]
    offering = cs_admin.listServiceOfferings(name="Small Instance")["serviceoffering"][0]
    return cs_admin.deployVirtualMachine(zoneid=zone["id"], templateid=template["id"], serviceofferingid=offering["id"],
                                         fetch_result=True, **params)["virtualmachine"]


def test_list_vms_by_security_group_over_http(cs_admin):
    zone = cs_admin.listZones(name="Sandbox-simulator-basic")["zone"][0]
    web = cs_admin.createSecurityGroup(name="m2-sgfilter-web")["securitygroup"]
    db = cs_admin.createSecurityGroup(name="m2-sgfilter-db")["securitygroup"]
    empty = cs_admin.createSecurityGroup(name="m2-sgfilter-empty")["securitygroup"]
    in_web = _deploy(cs_admin, zone, securitygroupids=web["id"])
    in_both = _deploy(cs_admin, zone, securitygroupids=f"{web['id']},{db['id']}")
    in_default = _deploy(cs_admin, zone)
    try:
        def listed(group_id):
            answer = cs_admin.listVirtualMachines(securitygroupid=group_id, listall="true")
            return {vm["id"] for vm in answer.get("virtualmachine", [])}, answer.get("count", 0)

        assert listed(web["id"]) == ({in_web["id"], in_both["id"]}, 2)
        assert listed(db["id"]) == ({in_both["id"]}, 1)
        assert listed(empty["id"]) == (set(), 0)
        # without the filter every VM is there (the filter really narrows)
        everything = {vm["id"] for vm in cs_admin.listVirtualMachines(listall="true")["virtualmachine"]}
        assert {in_web["id"], in_both["id"], in_default["id"]} <= everything
        # combined with another filter: both must hold
        answer = cs_admin.listVirtualMachines(securitygroupid=web["id"], id=in_both["id"], listall="true")
        assert [vm["id"] for vm in answer["virtualmachine"]] == [in_both["id"]]

        with pytest.raises(CloudStackApiException) as refused:
            cs_admin.listVirtualMachines(securitygroupid="00000000-0000-0000-0000-000000000000")
        assert refused.value.error["errorcode"] == 431
        assert "securitygroupid" in refused.value.error["errortext"]
    finally:
        for vm in (in_web, in_both, in_default):
            cs_admin.destroyVirtualMachine(id=vm["id"], expunge="true", fetch_result=True)
        for group in (web, db, empty):
            cs_admin.deleteSecurityGroup(id=group["id"])


def test_securitygroupid_is_declared_as_in_the_capture(admin):
    declared = admin.spec.resolve("listVirtualMachines").params
    param = next(p for p in declared if p.name == "securitygroupid")
    assert (param.type, param.required, param.since) == ("uuid", False, "4.15")


# --- pure: which zone type -------------------------------------------------------------------------------


class _Config:
    def __init__(self, zone_network_type=None):
        self.zone_network_type = zone_network_type


@pytest.mark.parametrize("zone, config_type, expected", [
    ({"networktype": "Basic"}, None, "Basic"),
    ({"networktype": "basic"}, "Advanced", "Basic"),          # the cloud's answer wins over the config's claim
    ({"networktype": "Advanced"}, "Basic", "Advanced"),
    ({}, "Basic", "Basic"),                                   # a zone record without the field: the config decides
    ({"networktype": ""}, "basic", "Basic"),
    ({}, None, "Advanced"),
    (None, None, "Advanced"),
])
def test_zone_network_type(zone, config_type, expected):
    assert zone_network_type(zone, _Config(config_type)) == expected
    assert is_basic_zone(zone, _Config(config_type)) is (expected == "Basic")


# --- the fixtures against the Basic-zone simulator ------------------------------------------------------------

BASIC_PACK = """
def _nic_networks(vm):
    return [nic["networkid"] for nic in vm["nic"]]

def test_shared_network_is_the_zone_guest_network(shared_network, basic_zone_network, zone):
    assert shared_network["id"] == basic_zone_network["id"]
    assert shared_network["type"] == "Shared" and shared_network["zoneid"] == zone["id"]

def test_shared_vm_runs_in_the_guest_network(shared_vm, shared_network, user_api):
    assert shared_vm["state"] == "Running"
    assert _nic_networks(shared_vm) == [shared_network["id"]]
    assert [g["name"] for g in shared_vm["securitygroup"]] == ["default"]

def test_deploy_vm_names_no_network(deploy_vm, shared_network, shared_vm):
    vm = deploy_vm()
    assert vm["state"] == "Running" and vm["id"] != shared_vm["id"]
    assert _nic_networks(vm) == [shared_network["id"]]

def test_public_ip_default_is_the_guest_network(resource_factory, basic_zone_network):
    assert resource_factory.default_network()["id"] == basic_zone_network["id"]
"""


def _vm_and_network_ids(api) -> tuple[set, set]:
    vms = {vm.id for vm in api.listVirtualMachines(listall=True) or []}
    networks = {n.id for n in api.listNetworks(listall=True) or []}
    return vms, networks


def test_fixtures_deploy_the_basic_zone_way(pytester, basic_sim, admin, sim_config):
    vms_before, networks_before = _vm_and_network_ids(admin)
    pytester.makefile(".yaml", marvin=sim_config(basic_sim, zone="Sandbox-simulator-basic",
                                                 extra="zone_network_type: Basic\n"))
    pytester.makepyfile(test_basic_pack=BASIC_PACK)
    results = pytester.path / "results"
    result = pytester.runpytest("--marvin-config", "marvin.yaml", "--results-dir", str(results), "--run-id", "basic",
                                "-p", "no:cacheprovider", "-p", "no:benchmark")
    result.assert_outcomes(passed=4)

    from marvin2.resources.ledger import read_ledger

    made = sorted((r.kind, r.status) for r in read_ledger(results, run_id="basic"))
    # the account, shared_vm and one deploy_vm VM; no network at all, everything deleted
    assert made == [("account", "deleted"), ("vm", "deleted"), ("vm", "deleted")]
    assert _vm_and_network_ids(admin) == (vms_before, networks_before)


# --- the fake cloud: the config decides when the zone record does not say -------------------------------------

FAKE_PACK = """
import pytest
from conftest import FAKE

@pytest.fixture(autouse=True, scope="module")
def zone_record_without_networktype():
    # a zone record that does not say its type (before any fixture looks the zone up)
    FAKE.resources["zone"]["zone-1"].pop("networktype", None)
    FAKE.add("network", id="guest-net", name="defaultGuestNetwork", type="Shared", traffictype="Guest",
             zoneid="zone-1")

def test_vms(shared_vm, deploy_vm):
    deploy_vm(name="vm-plain")
"""


@pytest.mark.parametrize("zone_type", ["Basic", "Advanced"])
def test_config_zone_network_type_decides_without_a_zone_field(fake_pack, zone_type):
    fake_pack.config(f"zone_network_type: {zone_type}\n")
    result = fake_pack.run(tests=FAKE_PACK)
    result.assert_outcomes(passed=1)
    calls = fake_pack.state()["calls"]
    deploys = [params for command, params in calls if command == "deployVirtualMachine"]
    assert len(deploys) == 2
    created_networks = [params for command, params in calls if command == "createNetwork"]
    if zone_type == "Basic":
        assert all("networkids" not in params for params in deploys), deploys
        assert created_networks == []
    else:
        # one isolated network per scope: the module's (shared_vm) and the test's (deploy_vm)
        assert len(created_networks) == 2, created_networks
        assert all(params.get("networkids") for params in deploys), deploys
