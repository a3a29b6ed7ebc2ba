"""Zones, pods, clusters and hosts as the admin lists them; what users see."""
import pytest

from marvin2.client import CloudStackError

from .helpers import host_of, ids, only

pytestmark = pytest.mark.tags("infrastructure", "smoke")


@pytest.mark.tags("quick-test")
def test_zone_matches_the_config(cloud, zone, marvin2_config):
    listed = only(cloud.listZones(id=zone.id))
    assert listed.allocationstate == "Enabled"
    if marvin2_config.zone_network_type:
        assert listed.networktype == marvin2_config.zone_network_type
    assert listed.name == zone.name
    assert listed.get("dns1"), "a zone has a public DNS server"


def test_pods_clusters_and_hosts_of_the_zone(cloud, zone, marvin2_config):
    pods = cloud.listPods(zoneid=zone.id) or []
    assert pods, "the zone has a pod"
    assert all(p.zoneid == zone.id and p.gateway and p.netmask for p in pods)

    clusters = cloud.listClusters(zoneid=zone.id) or []
    assert clusters, "the zone has a cluster"
    assert {c.podid for c in clusters} <= set(ids(pods))
    if marvin2_config.hypervisor:
        assert {c.hypervisortype for c in clusters} == {marvin2_config.hypervisor}

    hosts = cloud.listHosts(zoneid=zone.id, type="Routing") or []
    assert hosts, "the zone has a hypervisor host"
    assert {h.clusterid for h in hosts} <= set(ids(clusters))
    assert any(h.state == "Up" for h in hosts)
    for host in hosts:
        assert host.type == "Routing"
        assert int(host.cpunumber) > 0 and int(host.memorytotal) > 0


def test_filters_narrow_the_lists(cloud, zone):
    clusters = cloud.listClusters(zoneid=zone.id)
    first = clusters[0]
    assert ids(cloud.listClusters(id=first.id)) == [first.id]
    in_cluster = cloud.listHosts(clusterid=first.id) or []
    assert in_cluster and {h.clusterid for h in in_cluster} == {first.id}


@pytest.mark.tags("pagination")
def test_host_pages(cloud, zone):
    everything = cloud.listHosts(zoneid=zone.id) or []
    first_page = cloud.listHosts(zoneid=zone.id, page=1, pagesize=1)
    assert len(first_page) == 1
    assert first_page[0].id in ids(everything)
    assert [h.id for h in cloud.list_all("listHosts", zoneid=zone.id, pagesize=1)] == ids(everything)


@pytest.mark.tags("deploy-vm")
def test_a_vm_runs_on_a_host_of_the_zone(shared_vm, cloud, zone):
    host = only(cloud.listHosts(id=host_of(cloud, shared_vm.id)))
    assert host.zoneid == zone.id
    assert host.state == "Up"


@pytest.mark.tags("negative", "roles")
def test_users_see_zones_but_not_hosts(user_api, user_api_full_spec, zone):
    assert zone.id in ids(user_api.listZones())
    assert "listHosts" not in user_api.spec and "listClusters" not in user_api.spec
    with pytest.raises(CloudStackError) as refused:
        user_api_full_spec.listClusters()
    assert refused.value.errorcode == 432


def test_capabilities_and_hypervisors(cloud, marvin2_config):
    capabilities = cloud.listCapabilities()
    capability = capabilities[0] if isinstance(capabilities, list) else capabilities
    assert capability.get("cloudstackversion")
    hypervisors = [h.name for h in cloud.listHypervisors() or []]
    if marvin2_config.hypervisor:
        assert marvin2_config.hypervisor in hypervisors
