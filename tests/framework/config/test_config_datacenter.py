"""Datacenter layouts: validation, deployment order, the record, teardown, failures.

These use a small in-memory cloud that enforces what a real management
server enforces (parents exist, nothing is deleted while children remain); the
end-to-end run against the embedded simulator is in test_config_datacenter_sim.py.
"""
from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from marvin2.cli import main
from marvin2.config import ConfigError
from marvin2.datacenter import DeployError, Deployment, default_record_path, deploy, load_layout, parse_layout, plan, teardown
from marvin2.legacy_config import import_legacy, render_yaml

DATA = Path(__file__).resolve().parent / "data"


class FakeError(Exception):
    def __init__(self, errorcode: int, errortext: str):
        super().__init__(errortext)
        self.errorcode, self.errortext = errorcode, errortext


class FakeCloud:
    """Just enough of a management server's infrastructure API, with its ordering rules."""

    endpoint = "http://fake/client/api"

    def __init__(self, fail_on: tuple[str, int] | None = None):
        self.calls: list[tuple[str, dict]] = []
        self.objects: dict[str, dict] = {}  # id -> {kind, parent, ...}
        self.settings = {"expunge.delay": "86400", "expunge.interval": "86400"}
        self.fail_on = fail_on
        self.counts: dict[str, int] = {}
        self._ids = itertools.count(1)

    def _new(self, kind: str, parent: str | None, **fields) -> dict:
        if parent is not None and parent not in self.objects:
            raise FakeError(431, f"parent {parent} of {kind} does not exist")
        obj = {"id": f"{kind}-{next(self._ids)}", "kind": kind, "parent": parent, **fields}
        self.objects[obj["id"]] = obj
        return obj

    def _delete(self, id: str, kind: str) -> dict:
        if id not in self.objects or self.objects[id]["kind"] != kind:
            raise FakeError(431, f"Unable to execute API command due to invalid value. Invalid parameter id value={id} due to incorrect long value format, or entity does not exist")
        children = [o for o in self.objects.values() if o["parent"] == id]
        if children:
            raise FakeError(536, f"{kind} {id} still has {len(children)} children")
        del self.objects[id]
        return {"success": True}

    def of_kind(self, kind: str) -> list[dict]:
        return [o for o in self.objects.values() if o["kind"] == kind]

    def call(self, command: str, params: dict):
        self.calls.append((command, dict(params)))
        self.counts[command] = self.counts.get(command, 0) + 1
        if self.fail_on and self.fail_on == (command, self.counts[command]):
            raise FakeError(530, f"simulated failure of {command}")
        p = params
        if command == "listConfigurations":
            return [{"name": k, "value": v} for k, v in self.settings.items() if p["name"] in k]
        if command == "updateConfiguration":
            self.settings[p["name"]] = p["value"]
            return {"name": p["name"], "value": p["value"]}
        if command == "createZone":
            assert {"name", "networktype", "dns1", "internaldns1"} <= set(p)
            return self._new("zone", None, name=p["name"], allocationstate="Disabled")
        if command == "createPhysicalNetwork":
            pnet = self._new("pnet", p["zoneid"], name=p["name"], state="Disabled")
            for name in ("VirtualRouter", "VpcVirtualRouter", "InternalLbVm", "SecurityGroupProvider"):
                nsp = self._new("nsp", pnet["id"], name=name, state="Disabled")
                if name != "SecurityGroupProvider":
                    self._new("element", nsp["id"], enabled=False)
            return pnet
        if command == "listNetworkServiceProviders":
            return [o for o in self.of_kind("nsp") if o["parent"] == p["physicalnetworkid"] and o["name"] == p["name"]]
        if command in ("listVirtualRouterElements", "listInternalLoadBalancerElements"):
            return [o for o in self.of_kind("element") if o["parent"] == p["nspid"]]
        if command in ("configureVirtualRouterElement", "configureInternalLoadBalancerElement"):
            self.objects[p["id"]]["enabled"] = p["enabled"]
            return self.objects[p["id"]]
        if command == "updateNetworkServiceProvider":
            element = [o for o in self.of_kind("element") if o["parent"] == p["id"]]
            if element and not element[0]["enabled"]:
                raise FakeError(431, "enable the element first")
            self.objects[p["id"]]["state"] = p["state"]
            return self.objects[p["id"]]
        if command == "updatePhysicalNetwork":
            self.objects[p["id"]]["state"] = p["state"]
            return self.objects[p["id"]]
        if command == "addTrafficType":
            return self._new("traffic", p["physicalnetworkid"], traffictype=p["traffictype"])
        if command == "listNetworkOfferings":
            return [{"id": "offering-sg", "name": "DefaultSharedNetworkOfferingWithSGService"},
                    {"id": "offering-sg2", "name": "DefaultSharedNetworkOfferingWithSGServiceX"}]
        if command == "createNetwork":
            return self._new("network", p["zoneid"], name=p["name"])
        if command == "createPod":
            return self._new("pod", p["zoneid"], name=p["name"])
        if command == "createVlanIpRange":
            parent = p.get("podid") or p.get("networkid") or p["zoneid"]
            return self._new("vlan", parent, forvirtualnetwork=p["forvirtualnetwork"])
        if command == "addCluster":
            assert p["zoneid"] == self.objects[p["podid"]]["parent"]
            return [self._new("cluster", p["podid"], name=p["clustername"])]
        if command == "addHost":
            return [self._new("host", p["clusterid"], url=p["url"])]
        if command == "createStoragePool":
            return self._new("pool", p.get("clusterid") or p["zoneid"], name=p["name"])
        if command == "addImageStore":
            return self._new("imagestore", p["zoneid"], url=p["url"])
        if command == "updateZone":
            self.objects[p["id"]]["allocationstate"] = p["allocationstate"]
            return self.objects[p["id"]]
        if command == "listSystemVms":          # this fake cloud runs no system VMs
            return []
        deletes = {
            "deleteZone": "zone", "deletePhysicalNetwork": "pnet", "deleteNetwork": "network", "deletePod": "pod",
            "deleteVlanIpRange": "vlan", "deleteCluster": "cluster", "deleteHost": "host",
            "deleteStoragePool": "pool", "deleteImageStore": "imagestore",
        }
        if command in deletes:
            if command == "deletePhysicalNetwork":
                # Like a real server: providers and traffic types go with the physical network.
                for child in [o for o in self.objects.values() if o["parent"] == p["id"]]:
                    for grandchild in [o for o in self.objects.values() if o["parent"] == child["id"]]:
                        del self.objects[grandchild["id"]]
                    del self.objects[child["id"]]
            return self._delete(p["id"], deletes[command])
        raise FakeError(432, f"Unknown API command: {command}")


def imported_layout(tmp_path: Path, name: str):
    result = import_legacy(DATA / f"{name}.cfg")
    path = tmp_path / f"{name}.datacenter.yaml"
    path.write_text(render_yaml(result.layout, "test layout"))
    return load_layout(path, environ={})


def commands(cloud: FakeCloud) -> list[str]:
    return [c for c, _ in cloud.calls if not c.startswith("list")]


# --- order --------------------------------------------------------------------------------


def test_advanced_order_follows_marvin(tmp_path):
    layout = imported_layout(tmp_path, "advanced-simulator")
    cloud = FakeCloud()
    record = deploy(cloud, layout, progress=lambda line: None)
    sequence = commands(cloud)
    assert sequence[:4] == ["updateConfiguration"] * 4
    first = {name: sequence.index(name) for name in dict.fromkeys(sequence)}
    order = ["updateConfiguration", "createZone", "createPhysicalNetwork", "configureVirtualRouterElement",
             "updateNetworkServiceProvider", "updatePhysicalNetwork", "addTrafficType", "createPod",
             "createVlanIpRange", "addCluster", "addHost", "createStoragePool", "addImageStore", "updateZone"]
    assert [first[n] for n in order] == sorted(first[n] for n in order), sequence
    assert sequence[-1] == "updateZone"
    assert sequence.count("addHost") == 4 and sequence.count("addCluster") == 2
    # primary storage per cluster, right after that cluster's hosts
    assert sequence[sequence.index("addCluster"):][:4] == ["addCluster", "addHost", "addHost", "createStoragePool"]
    zone = cloud.of_kind("zone")[0]
    assert zone["allocationstate"] == "Enabled"
    assert all(n["state"] == "Enabled" for n in cloud.of_kind("nsp") if n["name"] != "SecurityGroupProvider")
    assert cloud.settings["expunge.delay"] == "20"
    public = cloud.of_kind("vlan")
    assert len(public) == 1 and public[0]["forvirtualnetwork"] is True
    assert record.path == default_record_path(layout.source) and record.path.exists()


def test_basic_order_creates_sg_network_before_pods(tmp_path):
    layout = imported_layout(tmp_path, "basic-sg")
    cloud = FakeCloud()
    deploy(cloud, layout, progress=lambda line: None)
    sequence = commands(cloud)
    assert sequence.index("createNetwork") < sequence.index("createPod") < sequence.index("createVlanIpRange") < sequence.index("addCluster")
    network_call = next(p for c, p in cloud.calls if c == "createNetwork")
    assert network_call["networkofferingid"] == "offering-sg"  # exact name, not the look-alike
    vlan_call = next(p for c, p in cloud.calls if c == "createVlanIpRange")
    assert vlan_call["forvirtualnetwork"] is False and vlan_call["podid"] and vlan_call["networkid"]
    sg = [n for n in cloud.of_kind("nsp") if n["name"] == "SecurityGroupProvider"]
    assert sg and sg[0]["state"] == "Enabled"
    zone_call = next(p for c, p in cloud.calls if c == "createZone")
    assert zone_call["networktype"] == "Basic" and zone_call["securitygroupenabled"] is True
    assert "guestcidraddress" not in zone_call


def test_progress_is_printed_per_step(tmp_path):
    layout = imported_layout(tmp_path, "advanced-simulator")
    lines: list[str] = []
    deploy(FakeCloud(), layout, progress=lines.append)
    total = len(plan(layout))
    assert lines[0] == f"[ 1/{total}] updateConfiguration expunge.delay=20"
    assert any(f"/{total}] addHost http://sim/c1/h1 in cluster C1" in line for line in lines)
    assert lines[-1].startswith("deployed 1 zone(s): Sandbox-simulator")


# --- record and teardown ---------------------------------------------------------------------------


def test_teardown_removes_everything_in_reverse(tmp_path):
    layout = imported_layout(tmp_path, "advdualzone")
    cloud = FakeCloud()
    record = deploy(cloud, layout, progress=lambda line: None)
    saved = json.loads(record.path.read_text())
    assert [e["kind"] for e in saved["created"]][:3] == ["global setting", "global setting", "zone"]
    assert sum(e["kind"] == "host" for e in saved["created"]) == 8
    assert cloud.objects
    failures = teardown(cloud, record.path, progress=lambda line: None)
    assert failures == []
    assert cloud.objects == {}
    assert not record.path.exists()
    assert cloud.settings["expunge.delay"] == "86400"  # previous value restored


def test_deploy_refuses_an_existing_record(tmp_path):
    layout = imported_layout(tmp_path, "basic-sg")
    deploy(FakeCloud(), layout, progress=lambda line: None)
    with pytest.raises(DeployError, match="already records a deployment"):
        deploy(FakeCloud(), layout, progress=lambda line: None)


def test_failure_reports_what_exists_and_teardown_cleans_it(tmp_path):
    layout = imported_layout(tmp_path, "advanced-simulator")
    cloud = FakeCloud(fail_on=("addHost", 3))
    with pytest.raises(DeployError) as excinfo:
        deploy(cloud, layout, progress=lambda line: None, teardown_hint="TEAR IT DOWN")
    text = str(excinfo.value)
    assert "failed: addHost http://sim/c1/h0 in cluster C1: simulated failure of addHost (error 530)" in text
    assert "zone Sandbox-simulator" in text and "cluster C1" in text and "host http://sim/c0/h1" in text
    assert str(default_record_path(layout.source)) in text and "TEAR IT DOWN" in text
    assert teardown(cloud, default_record_path(layout.source), progress=lambda line: None) == []
    assert cloud.objects == {}


def test_teardown_continues_past_failures_and_keeps_them(tmp_path):
    layout = imported_layout(tmp_path, "basic-sg")
    cloud = FakeCloud()
    record = deploy(cloud, layout, progress=lambda line: None)
    cloud.fail_on = ("deleteHost", 1)
    cloud.counts.clear()
    failures = teardown(cloud, record.path, progress=lambda line: None)
    assert any(f.startswith("deleteHost host http://sim/c0/h0") for f in failures)
    assert any(f.startswith("deleteCluster") for f in failures)  # it still has its host
    left = Deployment.load(record.path)
    assert {e["kind"] for e in left.created} >= {"host", "cluster", "pod", "zone"}
    cloud.fail_on = None
    assert teardown(cloud, record.path, progress=lambda line: None) == []
    assert cloud.objects == {} and not record.path.exists()


def test_teardown_treats_missing_objects_as_gone(tmp_path):
    layout = imported_layout(tmp_path, "basic-sg")
    cloud = FakeCloud()
    record = deploy(cloud, layout, progress=lambda line: None)
    store = next(o for o in cloud.objects.values() if o["kind"] == "imagestore")
    del cloud.objects[store["id"]]  # someone removed it by hand
    assert teardown(cloud, record.path, progress=lambda line: None) == []


def test_teardown_without_record(tmp_path):
    with pytest.raises(ConfigError, match="no deployment record"):
        teardown(FakeCloud(), tmp_path / "none.deployed.json")


# --- layout validation ------------------------------------------------------------------------------

MINIMAL = """
zones:
  - name: z1
    network_type: Advanced
    dns1: 8.8.8.8
    internal_dns1: 10.0.0.1
    physical_networks: [{name: p1, traffic_types: [Guest, Management, Public], providers: [VirtualRouter]}]
    pods:
      - name: pod1
        start_ip: 10.0.0.10
        end_ip: 10.0.0.20
        netmask: 255.255.255.0
        gateway: 10.0.0.1
        clusters:
          - name: c1
            hypervisor: simulator
            hosts: [{url: "http://sim/c1/h0", username: root, password: "${HOST_PW:-password}"}]
"""


def test_minimal_layout_and_secrets_hidden():
    layout = parse_layout(MINIMAL, environ={"HOST_PW": "hunter2"})
    cluster = layout.zones[0].pods[0].clusters[0]
    assert cluster.hypervisor == "Simulator"
    assert cluster.hosts[0].password == "hunter2"
    assert "hunter2" not in repr(layout)
    assert [t.type for t in layout.zones[0].physical_networks[0].traffic_types] == ["Guest", "Management", "Public"]


def test_layout_errors_are_collected_with_paths(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(MINIMAL.replace("providers: [VirtualRouter]", "providers: [VirtualRoutr]")
                    .replace("hypervisor: simulator", "hypervisor: simulator\n            hots: []")
                    .replace("network_type: Advanced", "network_type: Advanced\n    public_ip_range: []"))
    with pytest.raises(ConfigError) as excinfo:
        load_layout(path, environ={})
    text = str(excinfo.value)
    assert "3 problems" in text
    assert "zones[0].physical_networks[0].providers[0]: expected one of" in text and "did you mean 'VirtualRouter'" in text
    assert "zones[0].pods[0].clusters[0].hots: unknown key; did you mean 'hosts'?" in text
    assert "zones[0].public_ip_range: unknown key; did you mean 'public_ip_ranges'?" in text


def test_layout_cross_checks():
    basic = MINIMAL.replace("network_type: Advanced", "network_type: Basic\n    public_ip_ranges: [{start_ip: a, end_ip: b, netmask: c, gateway: d}]")
    with pytest.raises(ConfigError) as excinfo:
        parse_layout(basic, environ={})
    text = str(excinfo.value)
    assert "Basic zones have no public IP ranges" in text
    assert "zones[0].guest_network: required when security_groups is true" in text
    duplicate = MINIMAL.replace("zones:\n", "zones:\n  - {name: z1, network_type: Basic}\n", 1)
    with pytest.raises(ConfigError, match="duplicate zone name 'z1'"):
        parse_layout(duplicate, environ={})


# --- the command -----------------------------------------------------------------------------------


def test_cli_dry_run(tmp_path, capsys):
    path = tmp_path / "dc.yaml"
    path.write_text(MINIMAL)
    assert main(["deploy-datacenter", str(path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "[ 1/11] createZone z1 (Advanced)"
    assert "addHost http://sim/c1/h0 in cluster c1" in out
    assert "nothing was called" in out
    assert not default_record_path(path).exists()


def test_cli_rejects_a_bad_layout(tmp_path, capsys):
    path = tmp_path / "dc.yaml"
    path.write_text("zones: [{name: z}]\n")
    assert main(["deploy-datacenter", str(path), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "zones[0].network_type: required" in err and "zones[0].dns1: required" in err


def test_cli_refuses_a_throwaway_simulator(tmp_path, capsys):
    path = tmp_path / "dc.yaml"
    path.write_text(MINIMAL)
    config = Path(__file__).resolve().parents[3] / "configs" / "simulator.yaml"
    assert main(["deploy-datacenter", str(path), "--config", str(config)]) == 2
    assert "throwaway" in capsys.readouterr().err


def test_addresses_are_checked_before_deploying():
    bad = MINIMAL.replace("start_ip: 10.0.0.10", "start_ip: 10.0.0.300").replace("netmask: 255.255.255.0", "netmask: 255.0.255.0")
    with pytest.raises(ConfigError) as excinfo:
        parse_layout(bad, environ={})
    text = str(excinfo.value)
    assert "zones[0].pods[0].start_ip: expected an IPv4 address, got '10.0.0.300'" in text
    assert "zones[0].pods[0].netmask: expected a netmask" in text
    reversed_range = MINIMAL.replace("end_ip: 10.0.0.20", "end_ip: 10.0.0.5")
    with pytest.raises(ConfigError, match=r"zones\[0\]\.pods\[0\]\.end_ip: end_ip 10.0.0.5 comes before start_ip 10.0.0.10"):
        parse_layout(reversed_range, environ={})
