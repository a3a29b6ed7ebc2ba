"""Deploy datacenter layouts into the embedded simulator, check with list APIs, tear down, check gone.

The simulator starts without a zone (an empty seed, or only the catalog a fresh
CloudStack install has: offerings and templates, which Basic zones need for
their shared security-group network).
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

import marvin2.simulator
from marvin2.cli import main
from marvin2.client import connect
from marvin2.datacenter import DeployError, default_record_path, deploy, load_layout, teardown
from marvin2.simulator import start_simulator

REPO = Path(__file__).resolve().parents[3]
DATA = Path(__file__).resolve().parent / "data"
LAYOUTS = REPO / "configs" / "datacenter"
INFRA_LISTS = ("listZones", "listPods", "listClusters", "listHosts", "listStoragePools", "listImageStores",
               "listPhysicalNetworks", "listVlanIpRanges")


@pytest.fixture
def catalog_seed(tmp_path) -> Path:
    """The default seed's catalog without its zone: what a freshly installed cloud has."""
    shipped = Path(marvin2.simulator.__file__).parent / "seeds" / "fresh" / "catalog.yaml"
    data = yaml.safe_load(shipped.read_text())
    path = tmp_path / "catalog-only.yaml"
    path.write_text(yaml.safe_dump({"catalog": data["catalog"]}))
    return path


def started(seed):
    sim = start_simulator(seed=seed, profile="instant")
    api = connect(sim.endpoint, api_key=sim.admin_api_key, secret_key=sim.admin_secret_key)
    return sim, api


def counts(api) -> dict[str, int]:
    return {command: len(api.call(command, {})) for command in INFRA_LISTS}


def copy_layout(tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    shutil.copy(LAYOUTS / name, target)
    return target


def quiet(line: str) -> None:
    pass


def write_config(tmp_path: Path, sim, **extra) -> Path:
    body = {"management_servers": [{"url": sim.endpoint, "api_key": "${SIM_KEY}", "secret_key": "${SIM_SECRET}"}], **extra}
    path = tmp_path / "cloud.yaml"
    path.write_text(yaml.safe_dump(body))
    return path


def test_advanced_layout_through_the_cli(tmp_path, capsys, monkeypatch):
    sim, api = started(None)
    try:
        assert all(n == 0 for n in counts(api).values())
        monkeypatch.setenv("SIM_KEY", sim.admin_api_key)
        monkeypatch.setenv("SIM_SECRET", sim.admin_secret_key)
        config = write_config(tmp_path, sim, zone="Sandbox-simulator", hypervisor="Simulator",
                              zone_network_type="Advanced", capabilities=["simulator", "live_migration", "vpc"])
        layout = copy_layout(tmp_path, "advanced-simulator.yaml")

        assert main(["deploy-datacenter", str(layout), "--config", str(config)]) == 0
        out = capsys.readouterr().out
        assert "[25/25] enable zone Sandbox-simulator" in out
        assert default_record_path(layout).exists()

        (zone,) = api.listZones()
        assert zone.name == "Sandbox-simulator" and zone.networktype == "Advanced"
        assert zone.allocationstate == "Enabled"
        assert [p.name for p in api.listPods(zoneid=zone.id)] == ["POD0"]
        assert sorted(c.name for c in api.listClusters(zoneid=zone.id)) == ["C0", "C1"]
        assert len(api.listHosts(zoneid=zone.id, type="Routing")) == 4
        assert sorted(p.name for p in api.listStoragePools(zoneid=zone.id)) == ["PS0", "PS1"]
        assert len(api.listImageStores(zoneid=zone.id)) == 1
        (pnet,) = api.listPhysicalNetworks(zoneid=zone.id)
        assert pnet.state == "Enabled"
        assert sorted(t.traffictype for t in api.listTrafficTypes(physicalnetworkid=pnet.id)) == ["Guest", "Management", "Public"]
        providers = {p.name: p.state for p in api.listNetworkServiceProviders(physicalnetworkid=pnet.id)}
        assert providers["VirtualRouter"] == providers["VpcVirtualRouter"] == providers["InternalLbVm"] == "Enabled"
        (public,) = api.listVlanIpRanges(zoneid=zone.id)
        assert public.startip == "192.168.2.2" and public.forvirtualnetwork is True
        settings = {c.name: c.value for c in api.listConfigurations(name="expunge.delay") if c.name == "expunge.delay"}
        assert settings == {"expunge.delay": "20"}

        # the deployed cloud is what the config claims (the rows this layout decides)
        main(["verify-config", "--config", str(config)])
        out = capsys.readouterr().out
        rows = {line.split("  ")[0].strip(): line.split() for line in out.splitlines() if "  " in line}
        for item in ("zone", "zone_network_type", "hypervisor", "capability simulator", "capability live_migration",
                     "capability vpc", "capability multiple_zones", "capability security_groups"):
            assert rows[item][-1] == "ok", out

        assert main(["deploy-datacenter", str(layout), "--config", str(config), "--teardown"]) == 0
        assert "teardown complete" in capsys.readouterr().out
        assert counts(api) == {command: 0 for command in INFRA_LISTS}
        assert not default_record_path(layout).exists()
    finally:
        api.close()
        sim.stop()


def test_basic_sg_layout(tmp_path, catalog_seed):
    sim, api = started(str(catalog_seed))
    try:
        layout = load_layout(copy_layout(tmp_path, "basic-sg-simulator.yaml"))
        record = deploy(api, layout, progress=quiet)
        (zone,) = api.listZones()
        assert zone.networktype == "Basic" and zone.securitygroupsenabled is True
        (network,) = api.listNetworks(zoneid=zone.id, listall=True)
        assert network.name == "guestNetworkForBasicZone"
        offering = api.listNetworkOfferings(id=network.networkofferingid)[0]
        assert offering.name == "DefaultSharedNetworkOfferingWithSGService"
        (pod,) = api.listPods(zoneid=zone.id)
        (guest_range,) = api.listVlanIpRanges(zoneid=zone.id)
        assert guest_range.startip == "172.16.20.101" and guest_range.podid == pod.id
        assert guest_range.networkid == network.id
        (pnet,) = api.listPhysicalNetworks(zoneid=zone.id)
        sg = [p for p in api.listNetworkServiceProviders(physicalnetworkid=pnet.id) if p.name == "SecurityGroupProvider"]
        assert sg and sg[0].state == "Enabled"
        assert len(api.listHosts(zoneid=zone.id, type="Routing")) == 1

        assert teardown(api, record.path, progress=quiet) == []
        assert counts(api) == {command: 0 for command in INFRA_LISTS}
        assert api.listNetworks(listall=True) == []
    finally:
        api.close()
        sim.stop()


def test_dual_zone_import_deploy_teardown(tmp_path, capsys):
    # legacy config -> layout -> deployed cloud -> nothing
    assert main(["config", "import", str(DATA / "advdualzone.cfg"), "-o", str(tmp_path / "dual.yaml")]) == 0
    capsys.readouterr()
    sim, api = started(None)
    try:
        layout = load_layout(tmp_path / "dual.datacenter.yaml")
        record = deploy(api, layout, progress=quiet)
        zones = {z.name: z for z in api.listZones()}
        assert sorted(zones) == ["zim1", "zim2"]
        for name, zone in zones.items():
            hosts = api.listHosts(zoneid=zone.id, type="Routing")
            assert sorted(h.clustername for h in hosts) == [f"{name}-c0", f"{name}-c0", f"{name}-c1", f"{name}-c1"]
        assert teardown(api, record.path, progress=quiet) == []
        assert counts(api) == {command: 0 for command in INFRA_LISTS}
    finally:
        api.close()
        sim.stop()


def test_failure_midway_then_teardown(tmp_path):
    sim, api = started(None)
    try:
        api.configureSimulatorFaults(apiname="createStoragePool", errorrate=1.0, errortext="pool is on fire")
        layout = load_layout(copy_layout(tmp_path, "advanced-simulator.yaml"))
        with pytest.raises(DeployError) as excinfo:
            deploy(api, layout, progress=quiet)
        text = str(excinfo.value)
        assert "step 19/25 failed: createStoragePool PS0 in cluster C0" in text and "pool is on fire" in text
        assert "zone Sandbox-simulator" in text and "host http://sim/c0/h1" in text
        assert len(api.listHosts(type="Routing")) == 2  # what exists matches the report

        api.configureSimulatorFaults(apiname="createStoragePool", clear=True)
        assert teardown(api, default_record_path(layout.source), progress=quiet) == []
        assert counts(api) == {command: 0 for command in INFRA_LISTS}
    finally:
        api.close()
        sim.stop()
