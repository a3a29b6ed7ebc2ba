"""A zone built through the API becomes usable as in real CloudStack: once it is enabled with secondary
storage, primary storage and a host, its SSVM and CPVM are created and boot, their agents connect as hosts,
and the built-in template is copied to the zone; migrateSystemVm moves them with the server's checks."""
from __future__ import annotations

import time

import pytest

from marvin2.simulator import start_simulator
from sim_testlib import RawClient

TIMEOUT = 10.0


@pytest.fixture(scope="module")
def cloud():
    sim = start_simulator(seed=None, profile="fast")
    yield RawClient(sim.endpoint, sim.admin_api_key, sim.admin_secret_key)
    sim.stop()


def wait_for(what: str, probe, timeout: float = TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"{what}: not reached within {timeout}s")


def build_zone(api: RawClient, name: str, octet: int, *, secondary: bool = True) -> dict:
    zone = api.ok("createZone", name=name, networktype="Advanced", dns1="8.8.8.8", internaldns1="10.0.0.1",
                  guestcidraddress="10.1.1.0/24")["zone"]
    physnet = api.wait_job(api.ok("createPhysicalNetwork", name=f"{name}-pnet", zoneid=zone["id"],
                                  isolationmethods="VLAN", vlan="100-200")["jobid"])["jobresult"]["physicalnetwork"]
    for traffic in ("Guest", "Management", "Public"):
        api.wait_job(api.ok("addTrafficType", physicalnetworkid=physnet["id"], traffictype=traffic)["jobid"])
    pod = api.ok("createPod", name=f"{name}-pod", zoneid=zone["id"], gateway=f"172.16.{octet}.1",
                 netmask="255.255.255.0", startip=f"172.16.{octet}.2", endip=f"172.16.{octet}.200")["pod"]
    api.ok("createVlanIpRange", zoneid=zone["id"], vlan="50", gateway=f"192.168.{octet}.1", netmask="255.255.255.0",
           startip=f"192.168.{octet}.2", endip=f"192.168.{octet}.20", forvirtualnetwork=True,
           physicalnetworkid=physnet["id"])
    cluster = api.ok("addCluster", clustername=f"{name}-c", clustertype="CloudManaged", hypervisor="Simulator",
                     podid=pod["id"], zoneid=zone["id"])["cluster"][0]
    for index in range(2):
        api.ok("addHost", hypervisor="Simulator", url=f"http://sim/{name}/h{index}", podid=pod["id"],
               zoneid=zone["id"], clusterid=cluster["id"], username="root", password="password")
    api.ok("createStoragePool", name=f"{name}-ps", url=f"nfs://10.0.0.5/export/{name}/primary", zoneid=zone["id"],
           podid=pod["id"], clusterid=cluster["id"])
    if secondary:
        api.ok("addImageStore", provider="NFS", name=f"{name}-ss", url=f"nfs://10.0.0.5/export/{name}/secondary",
               zoneid=zone["id"])
    return zone


def running_system_vms(api: RawClient, zone_id: str) -> list[dict]:
    vms = api.ok("listSystemVms", zoneid=zone_id).get("systemvm", [])
    return vms if len(vms) == 2 and all(vm["state"] == "Running" for vm in vms) else []


def test_enabling_a_complete_zone_creates_and_boots_its_system_vms(cloud):
    zone = build_zone(cloud, "zsvm1", 31)
    # Still Disabled: nothing runs there, and the built-in template is not in the zone yet.
    assert cloud.ok("listSystemVms", zoneid=zone["id"]) == {}
    assert cloud.ok("listTemplates", templatefilter="featured", zoneid=zone["id"]) == {}

    cloud.ok("updateZone", id=zone["id"], allocationstate="Enabled")
    created = cloud.ok("listSystemVms", zoneid=zone["id"])["systemvm"]
    assert sorted(vm["systemvmtype"] for vm in created) == ["consoleproxy", "secondarystoragevm"]

    vms = {vm["systemvmtype"]: vm for vm in wait_for("system VMs Running", lambda: running_system_vms(cloud, zone["id"]))}
    for vm in vms.values():
        assert vm["publicip"].startswith("192.168.31.") and vm["gateway"] == "192.168.31.1"
        assert vm["privateip"].startswith("172.16.31.") and vm["agentstate"] == "Up" and vm["hostid"]
    for host_type, kind in (("SecondaryStorageVM", "secondarystoragevm"), ("ConsoleProxy", "consoleproxy")):
        (agent,) = cloud.ok("listHosts", zoneid=zone["id"], type=host_type)["host"]
        assert agent["name"] == vms[kind]["name"] and agent["state"] == "Up"
    assert cloud.ok("listHosts", zoneid=zone["id"], type="Routing")["count"] == 2

    ready = wait_for("built-in template ready in the new zone", lambda: [
        t for t in cloud.ok("listTemplates", templatefilter="featured", zoneid=zone["id"]).get("template", [])
        if t["name"] == "CentOS 5.6 (64-bit) no GUI (Simulator)" and t["isready"]])
    assert ready[0]["status"] == "Download Complete"

    # The system VMs hold two public addresses: the range cannot go while they run.
    (public_range,) = cloud.ok("listVlanIpRanges", zoneid=zone["id"])["vlaniprange"]
    status, body = cloud.call("deleteVlanIpRange", id=public_range["id"])
    assert status == 536 and "2 of its addresses are in use" in body["deletevlaniprangeresponse"]["errortext"]


def test_no_system_vms_without_secondary_storage_until_it_is_added(cloud):
    zone = build_zone(cloud, "zsvm2", 32, secondary=False)
    cloud.ok("updateZone", id=zone["id"], allocationstate="Enabled")
    assert cloud.ok("listSystemVms", zoneid=zone["id"]) == {}
    cloud.ok("addImageStore", provider="NFS", name="zsvm2-ss", url="nfs://10.0.0.5/export/zsvm2/secondary",
             zoneid=zone["id"])
    wait_for("system VMs Running after addImageStore", lambda: running_system_vms(cloud, zone["id"]))


def test_stop_start_and_destroy_follow_the_agent(cloud):
    zone = build_zone(cloud, "zsvm3", 33)
    cloud.ok("updateZone", id=zone["id"], allocationstate="Enabled")
    proxy = next(vm for vm in wait_for("Running", lambda: running_system_vms(cloud, zone["id"]))
                 if vm["systemvmtype"] == "consoleproxy")
    cloud.wait_job(cloud.ok("stopSystemVm", id=proxy["id"])["jobid"])
    (agent,) = cloud.ok("listHosts", zoneid=zone["id"], type="ConsoleProxy")["host"]
    assert agent["state"] == "Disconnected"
    cloud.wait_job(cloud.ok("startSystemVm", id=proxy["id"])["jobid"])
    assert cloud.ok("listHosts", zoneid=zone["id"], type="ConsoleProxy")["host"][0]["state"] == "Up"

    # A disabled zone gets no replacement for a destroyed system VM; its address goes back to the range.
    cloud.ok("updateZone", id=zone["id"], allocationstate="Disabled")
    for vm in cloud.ok("listSystemVms", zoneid=zone["id"])["systemvm"]:
        assert cloud.wait_job(cloud.ok("destroySystemVm", id=vm["id"])["jobid"])["jobstatus"] == 1
    assert cloud.ok("listSystemVms", zoneid=zone["id"]) == {}
    assert cloud.ok("listHosts", zoneid=zone["id"], type="ConsoleProxy") == {}
    (public_range,) = cloud.ok("listVlanIpRanges", zoneid=zone["id"])["vlaniprange"]
    cloud.ok("deleteVlanIpRange", id=public_range["id"])


def test_migrate_system_vm(cloud):
    zone = build_zone(cloud, "zsvm4", 34)
    cloud.ok("updateZone", id=zone["id"], allocationstate="Enabled")
    ssvm = next(vm for vm in wait_for("Running", lambda: running_system_vms(cloud, zone["id"]))
                if vm["systemvmtype"] == "secondarystoragevm")
    hosts = cloud.ok("listHosts", zoneid=zone["id"], type="Routing")["host"]
    other = next(h for h in hosts if h["id"] != ssvm["hostid"])

    job = cloud.wait_job(cloud.ok("migrateSystemVm", virtualmachineid=ssvm["id"], hostid=other["id"])["jobid"])
    assert job["jobstatus"] == 1 and job["jobresult"]["systemvm"]["hostid"] == other["id"]
    assert cloud.ok("listSystemVms", id=ssvm["id"])["systemvm"][0]["hostid"] == other["id"]

    again = cloud.wait_job(cloud.ok("migrateSystemVm", virtualmachineid=ssvm["id"], hostid=other["id"])["jobid"])
    assert again["jobstatus"] == 2 and again["jobresult"]["errortext"] == (
        "Cannot migrate VM, VM is already present on this host, please specify valid destination host to migrate the VM")
    agent = cloud.ok("listHosts", zoneid=zone["id"], type="SecondaryStorageVM")["host"][0]
    refused = cloud.wait_job(cloud.ok("migrateSystemVm", virtualmachineid=ssvm["id"], hostid=agent["id"])["jobid"])
    assert refused["jobstatus"] == 2 and "is not suitable to migrate the VM" in refused["jobresult"]["errortext"]
    auto = cloud.wait_job(cloud.ok("migrateSystemVm", virtualmachineid=ssvm["id"], autoselect=True)["jobid"])
    assert auto["jobresult"]["systemvm"]["hostid"] not in (other["id"], None)
    off = cloud.wait_job(cloud.ok("migrateSystemVm", virtualmachineid=ssvm["id"], autoselect=False)["jobid"])
    assert off["jobstatus"] == 2 and "pass 'autoselect=true'" in off["jobresult"]["errortext"]

    pool = cloud.ok("listStoragePools", zoneid=zone["id"])["storagepool"][0]
    running = cloud.wait_job(cloud.ok("migrateSystemVm", virtualmachineid=ssvm["id"], storageid=pool["id"])["jobid"])
    assert running["jobresult"]["errortext"] == "VM is not Stopped, unable to migrate the vm having the specified id"
    both = cloud.wait_job(cloud.ok("migrateSystemVm", virtualmachineid=ssvm["id"], storageid=pool["id"],
                                   hostid=other["id"])["jobid"])
    assert both["jobresult"]["errortext"] == "Only one of hostId and storageId can be specified"
    cloud.wait_job(cloud.ok("stopSystemVm", id=ssvm["id"])["jobid"])
    stopped = cloud.wait_job(cloud.ok("migrateSystemVm", virtualmachineid=ssvm["id"], hostid=other["id"])["jobid"])
    assert stopped["jobresult"]["errortext"] == "VM is not Running, unable to migrate the vm with specified id"
    moved = cloud.wait_job(cloud.ok("migrateSystemVm", virtualmachineid=ssvm["id"], storageid=pool["id"])["jobid"])
    assert moved["jobstatus"] == 1 and moved["jobresult"]["systemvm"]["state"] == "Stopped"

    status, body = cloud.call("migrateSystemVm", virtualmachineid="not-a-uuid", hostid=other["id"])
    assert status == 431


def test_users_may_not_migrate_system_vms(admin, sim):
    account = admin.ok("createAccount", username="svm-user", password="p", email="u@x.org", firstname="F",
                       lastname="L", accounttype=0)["account"]
    keys = admin.ok("registerUserKeys", id=account["user"][0]["id"])["userkeys"]
    user = RawClient(admin.endpoint, keys["apikey"], keys["secretkey"])
    vm = admin.ok("listSystemVms")["systemvm"][0]
    status, _ = user.call("migrateSystemVm", virtualmachineid=vm["id"], autoselect=True)
    assert status == 432
