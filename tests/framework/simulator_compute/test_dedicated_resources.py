"""Dedicated zones, pods, clusters and hosts (the dedicated-resources plugin) and dedicated guest VLAN ranges."""
from __future__ import annotations

import pytest
from compute_client import new_user, unique


@pytest.fixture(scope="module")
def infra(admin, catalog) -> dict:
    zone = catalog["zone"]
    pod = admin.items("listPods", "pod", zoneid=zone["id"])[0]
    clusters = admin.items("listClusters", "cluster", podid=pod["id"])
    hosts = admin.items("listHosts", "host", clusterid=clusters[0]["id"], type="Routing")
    return {"zone": zone, "pod": pod, "cluster": clusters[0], "other_cluster": clusters[1], "host": hosts[0]}


@pytest.fixture(scope="module")
def domain(admin) -> dict:
    return admin.ok("createDomain", name=unique("ded"))["domain"]


@pytest.fixture(scope="module")
def tenant(admin, domain):
    return new_user(admin, domainid=domain["id"])


def test_dedicate_list_release_a_cluster_to_an_account(admin, infra, domain, tenant):
    cluster = infra["other_cluster"]
    result = admin.run("dedicateCluster", clusterid=cluster["id"], domainid=domain["id"],
                       account=tenant.account["name"])
    made = result["dedicatedcluster"][0]
    assert (made["clusterid"], made["clustername"], made["domainid"], made["accountid"]) == \
        (cluster["id"], cluster["name"], domain["id"], tenant.account["id"])
    group = admin.items("listAffinityGroups", "affinitygroup", id=made["affinitygroupid"], listall=True)[0]
    assert group["type"] == "ExplicitDedication" and group["name"] == f"DedicatedClusterGrp-{tenant.account['name']}"

    listed = admin.items("listDedicatedClusters", "dedicatedcluster", domainid=domain["id"])
    assert [d["id"] for d in listed] == [made["id"]]
    assert admin.items("listDedicatedClusters", "dedicatedcluster", affinitygroupid=made["affinitygroupid"])

    code, text = admin.failed("dedicateCluster", clusterid=cluster["id"], domainid=domain["id"])
    assert (code, text) == (530, f"Cluster {cluster['name']} is already dedicated")
    host = admin.items("listHosts", "host", clusterid=cluster["id"], type="Routing")[0]
    code, text = admin.failed("dedicateHost", hostid=host["id"], domainid=domain["id"])
    assert (code, text) == (530, f"Host's Cluster {cluster['name']} is already dedicated")

    assert admin.run("releaseDedicatedCluster", clusterid=cluster["id"])["success"] is True
    assert admin.items("listDedicatedClusters", "dedicatedcluster", domainid=domain["id"]) == []
    code, _ = admin.error("listAffinityGroups", id=made["affinitygroupid"], listall=True)
    assert code == 431                                          # the last dedication took its group with it
    code, text = admin.failed("releaseDedicatedCluster", clusterid=cluster["id"])
    assert (code, text) == (431, "No Dedicated Resource available to release")


def test_dedicating_a_zone_to_a_domain_folds_the_pods_below(admin, infra, domain, tenant):
    zone, pod = infra["zone"], infra["pod"]
    admin.run("dedicatePod", podid=pod["id"], domainid=domain["id"])
    assert [d["podid"] for d in admin.items("listDedicatedPods", "dedicatedpod")] == [pod["id"]]
    made = admin.run("dedicateZone", zoneid=zone["id"], domainid=domain["id"])["dedicatedzone"][0]
    assert (made["zoneid"], made["zonename"], made.get("accountid")) == (zone["id"], zone["name"], None)
    assert admin.items("listDedicatedPods", "dedicatedpod") == []          # folded into the zone's
    other = admin.ok("createDomain", name=unique("other"))["domain"]
    # The zone row carries the domain: listZones domainid= keeps it for that domain only.
    assert [z["id"] for z in admin.items("listZones", "zone", domainid=domain["id"])] == [zone["id"]]
    assert zone["id"] not in [z["id"] for z in admin.items("listZones", "zone", domainid=other["id"])]
    code, text = admin.failed("dedicateZone", zoneid=zone["id"], domainid=domain["id"])
    assert (code, text) == (530, f"Zone  {zone['name']} is already dedicated")
    # Below a zone dedicated to the domain, a pod may go to an account of it, not to another domain.
    code, text = admin.failed("dedicatePod", podid=pod["id"], domainid=other["id"])
    assert (code, text) == (530, f"Pod's Zone {zone['name']} is already dedicated")
    admin.run("dedicatePod", podid=pod["id"], domainid=domain["id"], account=tenant.account["name"])
    admin.run("releaseDedicatedPod", podid=pod["id"])

    admin.run("releaseDedicatedZone", zoneid=zone["id"])
    assert admin.items("listDedicatedZones", "dedicatedzone") == []
    assert zone["id"] in [z["id"] for z in admin.items("listZones", "zone", domainid=other["id"])]


def test_a_host_running_another_accounts_vm_cannot_be_dedicated(admin, user, deploy, domain, tenant):
    vm = deploy(user)
    host_id = admin.items("listVirtualMachines", "virtualmachine", id=vm["id"])[0]["hostid"]
    code, text = admin.failed("dedicateHost", hostid=host_id, domainid=domain["id"], account=tenant.account["name"])
    assert (code, text) == (530, (f"Host {host_id} found to be unsuitable for explicit dedication as it is running "
                                 f"instances of another account"))
    code, text = admin.failed("dedicateHost", hostid=host_id, domainid=domain["id"])
    assert code == 530 and text.endswith("running instances of another domain")
    assert admin.items("listDedicatedHosts", "dedicatedhost") == []


def test_dedication_errors(admin, user, infra, domain):
    code, text = admin.error("dedicateHost", hostid=infra["host"]["id"], domainid=domain["id"], account="nobody")
    assert (code, text) == (431, f"Unable to find account nobody in domain id={domain['id']}")
    code, text = admin.error("dedicateZone", zoneid=infra["zone"]["id"])
    assert code == 431 and "missing parameter domainid" in text
    code, text = admin.error("listDedicatedHosts", account="x")
    assert (code, text) == (431, "Please specify the domain id of the account: x")
    for command in ("dedicateZone", "listDedicatedZones", "releaseDedicatedZone"):
        code, _ = user.error(command, zoneid=infra["zone"]["id"], domainid=domain["id"])
        assert code == 432


def _physnet(admin, zone) -> dict:
    return admin.items("listPhysicalNetworks", "physicalnetwork", zoneid=zone["id"])[0]


def test_guest_vlan_range_life_cycle(admin, infra, tenant):
    physnet = _physnet(admin, infra["zone"])
    low = int(physnet["vlan"].split(",")[0].split("-")[1]) - 3        # the top of the range: no network uses it
    owner = {"account": tenant.account["name"], "domainid": tenant.account["domainid"]}
    first = admin.ok("dedicateGuestVlanRange", physicalnetworkid=physnet["id"], vlanrange=f"{low}-{low + 1}",
                     **owner)["dedicatedguestvlanrange"]
    assert (first["guestvlanrange"], first["account"], first["physicalnetworkid"]) == \
        (f"{low}-{low + 1}", tenant.account["name"], physnet["id"])
    merged = admin.ok("dedicateGuestVlanRange", physicalnetworkid=physnet["id"], vlanrange=f"{low + 2}-{low + 3}",
                      **owner)["dedicatedguestvlanrange"]
    assert merged["guestvlanrange"] == f"{low}-{low + 3}"               # next to the owner's range: one range
    listed = admin.items("listDedicatedGuestVlanRanges", "dedicatedguestvlanrange", physicalnetworkid=physnet["id"])
    assert [r["guestvlanrange"] for r in listed] == [f"{low}-{low + 3}"]

    code, text = admin.error("dedicateGuestVlanRange", physicalnetworkid=physnet["id"], vlanrange=f"{low + 1}-{low + 2}",
                             account="admin", domainid=admin.items("listDomains", "domain", name="ROOT")[0]["id"])
    assert (code, text) == (431, f"Vlan range is already dedicated. Cannot dedicate guest vlan range {low + 1}-{low + 2}")
    admin.run("releaseDedicatedGuestVlanRange", id=merged["id"])
    assert admin.items("listDedicatedGuestVlanRanges", "dedicatedguestvlanrange") == []
    code, _ = admin.error("releaseDedicatedGuestVlanRange", id=merged["id"])
    assert code == 431


def test_guest_vlan_range_errors(admin, infra, tenant, user):
    physnet = _physnet(admin, infra["zone"])
    owner = {"account": tenant.account["name"], "domainid": tenant.account["domainid"]}
    for vlan, text in (("5", ("Invalid format for parameter value vlan 5 .Vlan should be specified as "
                             "'startvlan-endvlan'")),
                       ("a-b", "Please provide valid guest vlan range"),
                       ("1-2", "Unable to find guest vlan by range 1-2")):
        assert admin.error("dedicateGuestVlanRange", physicalnetworkid=physnet["id"], vlanrange=vlan, **owner) \
            == (431, text)
    code, text = admin.error("dedicateGuestVlanRange", physicalnetworkid=physnet["id"], vlanrange="1-2")
    assert (code, text) == (431, "Unable to find account by name None")
    code, _ = user.error("dedicateGuestVlanRange", physicalnetworkid=physnet["id"], vlanrange="1-2", **owner)
    assert code == 432


def test_deleting_the_account_releases_its_dedications(admin, infra, domain):
    owner = new_user(admin, domainid=domain["id"])
    cluster = admin.ok("addCluster", zoneid=infra["zone"]["id"], podid=infra["pod"]["id"], clustername=unique("empty"),
                       clustertype="CloudManaged", hypervisor="Simulator")["cluster"][0]       # no hosts, no VMs
    admin.run("dedicateCluster", clusterid=cluster["id"], domainid=domain["id"], account=owner.account["name"])
    assert admin.items("listDedicatedClusters", "dedicatedcluster", clusterid=cluster["id"])
    admin.run("deleteAccount", id=owner.account["id"])
    assert admin.items("listDedicatedClusters", "dedicatedcluster", clusterid=cluster["id"]) == []
