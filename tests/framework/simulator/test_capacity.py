"""listCapacity over HTTP: the 4.18 capacity types summed per zone, pod or cluster from what the
simulator holds (hosts against VMs, pools, public/private address ranges, guest VLANs)."""
from __future__ import annotations

import pytest
from sim_testlib import RawClient

MEMORY, CPU, STORAGE, STORAGE_ALLOCATED, PUBLIC_IP, PRIVATE_IP, SECONDARY, VLAN, DIRECT_IP = range(9)
CPU_CORE = 90
MIB = 1024 ** 2


def _by_type(answer: dict) -> dict[int, dict]:
    return {c["type"]: c for c in answer.get("capacity", [])}


@pytest.fixture(scope="module")
def zone(admin) -> dict:
    return admin.ok("listZones", name="Sandbox-simulator")["zone"][0]


@pytest.fixture(scope="module")
def user(admin) -> RawClient:
    account = admin.ok("createAccount", method="POST", username="capuser", password="pw", email="c@x.org",
                       firstname="F", lastname="L", accounttype=0)["account"]
    keys = admin.ok("registerUserKeys", id=account["user"][0]["id"])["userkeys"]
    return RawClient(admin.endpoint, keys["apikey"], keys["secretkey"])


def test_zone_report_adds_up_the_infrastructure(admin, zone):
    report = _by_type(admin.ok("listCapacity", zoneid=zone["id"]))
    assert {MEMORY, CPU, STORAGE, STORAGE_ALLOCATED, PUBLIC_IP, PRIVATE_IP, SECONDARY, VLAN, DIRECT_IP,
            CPU_CORE} <= set(report)
    hosts = [h for h in admin.ok("listHosts", zoneid=zone["id"], type="Routing")["host"]]
    assert report[CPU_CORE]["capacitytotal"] == sum(h["cpunumber"] for h in hosts)
    assert report[CPU]["capacitytotal"] == sum(h["cpunumber"] * h["cpuspeed"] for h in hosts)
    assert report[MEMORY]["capacitytotal"] == sum(h["memorytotal"] for h in hosts)
    pools = admin.ok("listStoragePools", zoneid=zone["id"])["storagepool"]
    assert report[STORAGE]["capacitytotal"] == sum(p["disksizetotal"] for p in pools)
    addresses = admin.ok("listPublicIpAddresses", zoneid=zone["id"], allocatedonly=False, listall=True)
    # The SSVM and CPVM hold a public address each, which listPublicIpAddresses does not show (no owner account).
    system_ips = [vm["publicip"] for vm in admin.ok("listSystemVms", zoneid=zone["id"])["systemvm"] if vm.get("publicip")]
    assert len(system_ips) == 2
    assert report[PUBLIC_IP]["capacitytotal"] == addresses["count"] + len(system_ips)
    for capacity in report.values():
        assert capacity["zoneid"] == zone["id"] and capacity["zonename"] == zone["name"]
        assert "podid" not in capacity and "clusterid" not in capacity
    assert report[PUBLIC_IP]["name"] == "VIRTUAL_NETWORK_PUBLIC_IP" and report[CPU_CORE]["name"] == "CPU_CORE"


def test_a_running_vm_and_its_address_are_counted(admin, user, zone):
    before = _by_type(admin.ok("listCapacity", zoneid=zone["id"]))
    offering = admin.ok("listServiceOfferings", name="Small Instance")["serviceoffering"][0]
    template = admin.ok("listTemplates", templatefilter="featured")["template"][0]
    job = user.wait_job(user.ok("deployVirtualMachine", zoneid=zone["id"], serviceofferingid=offering["id"],
                                templateid=template["id"])["jobid"])
    assert job["jobstatus"] == 1, job
    after = _by_type(admin.ok("listCapacity", zoneid=zone["id"], fetchlatest=True))
    assert after[MEMORY]["capacityused"] - before[MEMORY]["capacityused"] == offering["memory"] * MIB
    assert after[CPU]["capacityused"] - before[CPU]["capacityused"] == offering["cpunumber"] * offering["cpuspeed"]
    assert after[CPU_CORE]["capacityused"] - before[CPU_CORE]["capacityused"] == offering["cpunumber"]
    allocated = admin.ok("listPublicIpAddresses", zoneid=zone["id"], allocatedonly=True, listall=True)["count"]
    system_ips = [vm for vm in admin.ok("listSystemVms", zoneid=zone["id"])["systemvm"] if vm.get("publicip")]
    assert after[PUBLIC_IP]["capacityused"] == allocated + len(system_ips) and allocated >= 1
    assert after[VLAN]["capacityused"] == before[VLAN]["capacityused"] + 1     # its network got a guest VLAN
    used, total = after[PUBLIC_IP]["capacityused"], after[PUBLIC_IP]["capacitytotal"]
    assert float(after[PUBLIC_IP]["percentused"]) == pytest.approx(used / total * 100, abs=0.005)


def test_type_filter_and_order(admin, zone):
    only_ips = admin.ok("listCapacity", zoneid=zone["id"], type=PUBLIC_IP)
    assert only_ips["count"] == 1 and only_ips["capacity"][0]["type"] == PUBLIC_IP
    everything = admin.ok("listCapacity")["capacity"]
    keys = [(c["zonename"], c["type"]) for c in everything]
    assert keys == sorted(keys)


def test_pod_and_cluster_levels(admin, zone):
    pod = admin.ok("listPods", zoneid=zone["id"])["pod"][0]
    clusters = admin.ok("listClusters", podid=pod["id"])["cluster"]
    by_pod = _by_type(admin.ok("listCapacity", podid=pod["id"]))
    assert by_pod[PRIVATE_IP]["podid"] == pod["id"] and by_pod[PRIVATE_IP]["podname"] == pod["name"]
    assert SECONDARY not in by_pod and PUBLIC_IP not in by_pod       # zone-wide only
    per_cluster = [_by_type(admin.ok("listCapacity", clusterid=c["id"])) for c in clusters]
    assert sum(r[MEMORY]["capacitytotal"] for r in per_cluster) == by_pod[MEMORY]["capacitytotal"]
    assert all(r[CPU]["clusterid"] in {c["id"] for c in clusters} for r in per_cluster)
    assert all(PRIVATE_IP not in r for r in per_cluster)


def test_sort_by_usage(admin, zone):
    top = admin.ok("listCapacity", sortby="Usage")["capacity"]
    assert any("clusterid" in c for c in top) and any("podid" in c and "clusterid" not in c for c in top)
    clipped = admin.ok("listCapacity", sortby="usage", page=1, pagesize=2)
    assert clipped["count"] == 2
    # The two most used places survive the cut.
    highest = sorted((float(c["percentused"]) for c in top), reverse=True)[:2]
    assert sorted(float(c["percentused"]) for c in clipped["capacity"]) == sorted(highest)


def test_refusals(admin, user, zone):
    cluster = admin.ok("listClusters")["cluster"][0]
    status, body = admin.call("listCapacity", sortby="name")
    assert (status, body["listcapacityresponse"]["errortext"]) == (431, "Only value supported for sortBy parameter is : usage")
    status, body = admin.call("listCapacity", sortby="usage", clusterid=cluster["id"])
    assert (status, body["listcapacityresponse"]["errortext"]) == (431, "Currently clusterId param is not suppoerted")
    assert user.call("listCapacity")[0] == 432
