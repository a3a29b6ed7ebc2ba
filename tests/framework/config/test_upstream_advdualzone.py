"""Upstream's Simulator CI set-up, unchanged: tests/data/upstream-ci/advdualzone.cfg (a verbatim copy of
CloudStack's setup/dev/advdualzone.cfg) deployed into a bare simulator (``marvin2 simulator --empty``),

(a) through ``marvin2 config import`` + ``marvin2 deploy-datacenter``, and
(b) by plain unsigned API calls on the integration port (``marvin2 simulator --integration-port``, Marvin's
    8096) in legacy Marvin's deployDataCenter order.

Both end with two usable zones: the file's global settings applied, 4 hosts per zone (zim2's two clusters
share their host URLs, as the Simulator discoverer allows), each zone's SSVM and CPVM Running, the built-in
template ready, and a VM deployed into zim1 seconds after the deployment ends.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import yaml

from marvin2.cli import main
from marvin2.client import connect
from marvin2.simulator import start_simulator

CFG = Path(__file__).resolve().parents[2] / "data" / "upstream-ci" / "advdualzone.cfg"
TEMPLATE = "CentOS 5.6 (64-bit) no GUI (Simulator)"
USABLE_WITHIN = 10.0       # seconds from the end of the deployment until the first VM runs in zim1


def legacy_config() -> dict:
    """The cfg as Marvin reads it: JSON once the lines starting with '#' are dropped."""
    lines = [line for line in CFG.read_text().splitlines() if not line.lstrip().startswith("#")]
    return json.loads("\n".join(lines))


@pytest.fixture
def bare():
    sim = start_simulator(seed=None, profile="fast", integration_port=0)
    api = connect(sim.endpoint, api_key=sim.admin_api_key, secret_key=sim.admin_secret_key)
    yield sim, api
    api.close()
    sim.stop()


def wait_for(what: str, probe, timeout: float = USABLE_WITHIN):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"{what}: not reached within {timeout}s")


def check_usable(api, cfg: dict, deployed_at: float) -> None:
    """What upstream's tests find after deployDataCenter: the settings, the zones and their parts, running
    system VMs, the template ready, and room to deploy a VM at once."""
    def value_of(name: str):
        listed = api.call("listConfigurations", {"name": name}) or []
        return next((c.get("value") for c in listed if c["name"] == name), "(not listed)")

    assert {item["name"]: value_of(item["name"]) for item in cfg["globalConfig"]} == \
        {item["name"]: item["value"] for item in cfg["globalConfig"]}
    zones = {z.name: z for z in api.listZones()}
    assert sorted(zones) == ["zim1", "zim2"] and {z.allocationstate for z in zones.values()} == {"Enabled"}
    for spec in cfg["zones"]:
        zone = zones[spec["name"]]
        expected = sorted(c["clustername"] for pod in spec["pods"] for c in pod["clusters"] for _ in c["hosts"])
        hosts = api.listHosts(zoneid=zone.id, type="Routing")
        assert sorted(h.clustername for h in hosts) == expected and {h.state for h in hosts} == {"Up"}
        pools = api.listStoragePools(zoneid=zone.id)
        assert sorted(p.name for p in pools) == sorted(s["name"] for pod in spec["pods"] for c in pod["clusters"]
                                                       for s in c["primaryStorages"])
        vms = wait_for(f"{spec['name']}: SSVM and CPVM Running", lambda: [
            vm for vm in api.listSystemVms(zoneid=zone.id) or [] if vm.state == "Running"] if len(
            [vm for vm in api.listSystemVms(zoneid=zone.id) or [] if vm.state == "Running"]) == 2 else None)
        assert sorted(vm.systemvmtype for vm in vms) == ["consoleproxy", "secondarystoragevm"]
        for host_type in ("SecondaryStorageVM", "ConsoleProxy"):
            assert len(api.listHosts(zoneid=zone.id, type=host_type)) == 1
    zim1 = zones["zim1"]
    template = wait_for("the built-in template ready in zim1", lambda: [
        t for t in api.listTemplates(templatefilter="featured", zoneid=zim1.id) or [] if t.name == TEMPLATE and t.isready])
    offering = api.listServiceOfferings(name="Small Instance")[0]
    vm = api.deployVirtualMachine(zoneid=zim1.id, templateid=template[0].id, serviceofferingid=offering.id)
    assert vm.state == "Running" and vm.zonename == "zim1"
    routers = api.listRouters(zoneid=zim1.id, listall=True) or []
    assert [r.state for r in routers] == ["Running"]          # the VM's new network got its router
    assert time.monotonic() - deployed_at < USABLE_WITHIN


def test_a_config_import_then_deploy_datacenter(bare, tmp_path, monkeypatch, capsys):
    sim, api = bare
    assert main(["config", "import", str(CFG), "-o", str(tmp_path / "dual.yaml")]) == 0
    capsys.readouterr()
    config = yaml.safe_load((tmp_path / "dual.yaml").read_text())
    # The imported config points at the file's management server (localhost:8096); aim it at this simulator.
    config["management_servers"] = [{"url": sim.endpoint, "api_key": "${SIM_KEY}", "secret_key": "${SIM_SECRET}"}]
    (tmp_path / "dual.yaml").write_text(yaml.safe_dump(config))
    monkeypatch.setenv("SIM_KEY", sim.admin_api_key)
    monkeypatch.setenv("SIM_SECRET", sim.admin_secret_key)
    monkeypatch.setenv("CS_HOST_PASSWORD", "password")

    assert main(["deploy-datacenter", str(tmp_path / "dual.datacenter.yaml"), "--config",
                 str(tmp_path / "dual.yaml")]) == 0
    deployed_at = time.monotonic()
    assert "deployed 2 zone(s): zim1, zim2" in capsys.readouterr().out
    check_usable(api, legacy_config(), deployed_at)


# --- (b): Marvin's deployDataCenter, call by call -------------------------------------------------------------


def _enable_provider(api, physnet_id: str, name: str) -> None:
    provider = api.call("listNetworkServiceProviders", {"name": name, "physicalnetworkid": physnet_id})[0]
    if name in ("VirtualRouter", "VpcVirtualRouter"):
        element = api.call("listVirtualRouterElements", {"nspid": provider["id"]})[0]
        api.call("configureVirtualRouterElement", {"id": element["id"], "enabled": True})
    elif name == "InternalLbVm":
        element = api.call("listInternalLoadBalancerElements", {"nspid": provider["id"]})[0]
        api.call("configureInternalLoadBalancerElement", {"id": element["id"], "enabled": True})
    api.call("updateNetworkServiceProvider", {"id": provider["id"], "state": "Enabled"})


def deploy_like_marvin(api, cfg: dict) -> None:
    """updateConfiguration for each global setting, then per zone: createZone, physical networks (create,
    configure providers, enable, traffic types), pods and public ranges, clusters, hosts, primary storage
    per cluster, secondary storage, enable the zone."""
    for item in cfg["globalConfig"]:
        api.call("updateConfiguration", {"name": item["name"], "value": item["value"]})
    for spec in cfg["zones"]:
        zone = api.call("createZone", {"name": spec["name"], "networktype": spec["networktype"], "dns1": spec["dns1"],
                                       "internaldns1": spec["internaldns1"],
                                       "guestcidraddress": spec["guestcidraddress"]})
        for pn in spec["physical_networks"]:
            physnet = api.call("createPhysicalNetwork", {
                "name": pn["name"], "zoneid": zone["id"], "vlan": pn["vlan"],
                "isolationmethods": ",".join(pn["isolationmethods"]),
                "broadcastdomainrange": pn["broadcastdomainrange"]})
            for provider in pn["providers"]:
                _enable_provider(api, physnet["id"], provider["name"])
            api.call("updatePhysicalNetwork", {"id": physnet["id"], "state": "Enabled"})
            for traffic in pn["traffictypes"]:
                api.call("addTrafficType", {"physicalnetworkid": physnet["id"], "traffictype": traffic["typ"]})
        physnet_id = api.call("listPhysicalNetworks", {"zoneid": zone["id"]})[0]["id"]
        pods = []
        for pod in spec["pods"]:
            pods.append(api.call("createPod", {"name": pod["name"], "zoneid": zone["id"], "gateway": pod["gateway"],
                                               "netmask": pod["netmask"], "startip": pod["startip"],
                                               "endip": pod["endip"]}))
        for r in spec["ipranges"]:
            api.call("createVlanIpRange", {"zoneid": zone["id"], "vlan": r["vlan"], "gateway": r["gateway"],
                                           "netmask": r["netmask"], "startip": r["startip"], "endip": r["endip"],
                                           "forvirtualnetwork": True, "physicalnetworkid": physnet_id})
        for pod, pod_spec in zip(pods, spec["pods"]):
            for c in pod_spec["clusters"]:
                cluster = api.call("addCluster", {"clustername": c["clustername"], "hypervisor": c["hypervisor"],
                                                  "clustertype": c["clustertype"], "zoneid": zone["id"],
                                                  "podid": pod["id"]})[0]
                for host in c["hosts"]:
                    api.call("addHost", {"url": host["url"], "username": host["username"],
                                         "password": host["password"], "hypervisor": c["hypervisor"],
                                         "zoneid": zone["id"], "podid": pod["id"], "clusterid": cluster["id"]})
                for ps in c["primaryStorages"]:
                    api.call("createStoragePool", {"name": ps["name"], "url": ps["url"], "zoneid": zone["id"],
                                                   "podid": pod["id"], "clusterid": cluster["id"]})
        for ss in spec["secondaryStorages"]:
            api.call("addImageStore", {"url": ss["url"], "provider": ss["provider"], "zoneid": zone["id"]})
        api.call("updateZone", {"id": zone["id"], "allocationstate": "Enabled"})


def test_b_plain_calls_in_marvins_order(bare):
    sim, api = bare
    cfg = legacy_config()
    unsigned = connect(sim.integration_endpoint)       # no keys, no session: the integration port's root admin
    try:
        deploy_like_marvin(unsigned, cfg)
    finally:
        unsigned.close()
    check_usable(api, cfg, time.monotonic())
    # zim2's second cluster reuses the first one's host URLs: both clusters got their own hosts.
    zim2 = next(z for z in api.listZones() if z.name == "zim2")
    by_cluster: dict[str, int] = {}
    for host in api.listHosts(zoneid=zim2.id, type="Routing"):
        by_cluster[host.clustername] = by_cluster.get(host.clustername, 0) + 1
    assert by_cluster == {"Z2P1C1": 2, "Z2P2C1": 2}
