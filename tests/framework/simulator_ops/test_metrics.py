"""The metrics plugin: list*Metrics answer their base list plus figures that follow the capacity rows (a VM
deployed, stopped, a cluster added or unmanaged, a setting changed), listInfrastructure counts what the lists
show, and the usage history is the stats collector's samples of running VMs; errors and permissions."""
from __future__ import annotations

import time

import pytest

GIB = 1024 ** 3


def set_setting(admin, sim, name: str, value: str) -> None:
    """updateConfiguration; a 4.20 setting the simulator's settings table does not carry yet is stored as the
    full table will store it (the metrics read any 4.20 setting, with its default when unset)."""
    status, body = admin.call("updateConfiguration", name=name, value=value)
    if status == 200:
        return
    assert "doesn't exist" in str(body), body
    with sim.store.transaction():
        if sim.store.get("configuration", name):
            sim.store.update("configuration", name, value=value)
        else:
            sim.store.insert("configuration", {"id": name, "name": name, "value": value})


@pytest.fixture(scope="module")
def host_vm(admin, catalog, deploy):
    """A running admin VM on a known host."""
    host = admin.items("listHosts", "host", type="Routing", name="SimulatedAgent.c0.h0")[0]
    vm = deploy(admin, hostid=host["id"])
    return host, vm


def _one(client, command: str, key: str, **params) -> dict:
    items = client.items(command, key, **params)
    assert len(items) == 1, items
    return items[0]


def test_infrastructure_counts_what_the_lists_show(admin):
    counts = admin.ok("listInfrastructure")["infrastructure"]
    assert counts["zones"] == len(admin.items("listZones", "zone"))
    assert counts["pods"] == len(admin.items("listPods", "pod"))
    assert counts["clusters"] == len(admin.items("listClusters", "cluster"))
    assert counts["hosts"] == len(admin.items("listHosts", "host", type="Routing"))
    assert counts["storagepools"] == len(admin.items("listStoragePools", "storagepool"))
    assert counts["imagestores"] == len(admin.items("listImageStores", "imagestore"))
    assert counts["systemvms"] == len(admin.items("listSystemVms", "systemvm"))
    assert counts["managementservers"] == len(admin.items("listManagementServers", "managementserver")) >= 1
    assert counts["cpusockets"] >= counts["hosts"]


def test_a_new_cluster_is_counted_and_listed_with_empty_metrics(admin, catalog):
    before = admin.ok("listInfrastructure")["infrastructure"]["clusters"]
    pod = admin.items("listPods", "pod")[0]
    cluster = admin.ok("addCluster", zoneid=catalog["zone"]["id"], podid=pod["id"], clustername="metrics-c9",
                       clustertype="CloudManaged", hypervisor="Simulator")["cluster"][0]
    assert admin.ok("listInfrastructure")["infrastructure"]["clusters"] == before + 1
    metrics = _one(admin, "listClustersMetrics", "cluster", id=cluster["id"])
    assert (metrics["name"], metrics["hosts"], metrics["state"]) == ("metrics-c9", "0 / 0", "Enabled")
    assert metrics["cputotal"] == "0.00 Ghz" and metrics["memorytotal"] == "0.00 GB"
    assert "cpuused" not in metrics and "drsimbalance" not in metrics       # no host, nothing used, no imbalance
    admin.ok("updateCluster", id=cluster["id"], managedstate="Unmanaged")
    assert _one(admin, "listClustersMetrics", "cluster", id=cluster["id"])["state"] == "Unmanaged"
    zone = _one(admin, "listZonesMetrics", "zone", id=catalog["zone"]["id"])
    up, total = (int(x) for x in zone["clusters"].split(" / "))
    assert total == len(admin.items("listClusters", "cluster", zoneid=catalog["zone"]["id"])) and up == total - 1
    admin.ok("deleteCluster", id=cluster["id"])
    assert admin.ok("listInfrastructure")["infrastructure"]["clusters"] == before


def test_host_metrics_follow_the_vms_on_the_host(admin, host_vm):
    host, vm = host_vm
    metrics = _one(admin, "listHostsMetrics", "host", id=host["id"])
    assert metrics["name"] == host["name"] and metrics["state"] == "Up"       # the listHosts entry ...
    cpu_total = host["cpunumber"] * host["cpuspeed"]
    assert metrics["cputotalghz"] == f"{cpu_total / 1000:.2f} Ghz"           # ... plus the metrics
    assert metrics["instances"] == "1 / 1"
    assert metrics["cpuallocatedghz"] == f"{vm['cpunumber'] * vm['cpuspeed'] / 1000:.2f} Ghz"
    assert metrics["memoryallocatedgb"] == f"{vm['memory'] * 1024 ** 2 / GIB:.2f} GB"
    assert metrics["memorytotalgb"] == f"{host['memorytotal'] / GIB:.2f} GB"
    assert metrics["cputhreshold"] is False and metrics["memoryallocatedthreshold"] is False
    assert metrics["powerstate"] in ("Disabled", "Unknown", "On", "Off")
    hosts = admin.items("listHostsMetrics", "host", type="Routing")
    assert {h["id"] for h in hosts} == {h["id"] for h in admin.items("listHosts", "host", type="Routing")}


def test_thresholds_and_stopping_change_the_host_metrics(admin, sim, host_vm):
    host, vm = host_vm
    set_setting(admin, sim, "cluster.memory.allocated.capacity.notificationthreshold", "0.0001")
    try:
        assert _one(admin, "listHostsMetrics", "host", id=host["id"])["memoryallocatedthreshold"] is True
    finally:
        set_setting(admin, sim, "cluster.memory.allocated.capacity.notificationthreshold", "0.75")
    admin.job_ok("stopVirtualMachine", id=vm["id"])
    try:
        stopped = _one(admin, "listHostsMetrics", "host", id=host["id"])
        assert stopped["cpuusedghz"] == "0.00 Ghz" and stopped["memoryusedgb"] == "0.00 GB"
        assert stopped["instances"] in ("0 / 1", "0 / 0")       # a stopped VM may keep or leave its host
    finally:
        admin.job_ok("startVirtualMachine", id=vm["id"], hostid=host["id"])


def test_zone_and_cluster_metrics_add_up_their_hosts(admin, catalog, host_vm):
    host, vm = host_vm
    hosts = admin.items("listHosts", "host", type="Routing", zoneid=catalog["zone"]["id"])
    zone = _one(admin, "listZonesMetrics", "zone", id=catalog["zone"]["id"])
    total_mhz = sum(h["cpunumber"] * h["cpuspeed"] for h in hosts)
    assert zone["cputotal"] == f"{total_mhz / 1000:.2f} Ghz"
    assert zone["state"] == "Enabled" and "cpuused" in zone and "memorymaxdeviation" in zone
    running = admin.items("listVirtualMachines", "virtualmachine", listall=True, state="Running")
    allocated = sum(v["cpunumber"] * v["cpuspeed"] for v in running)
    assert zone["cpuallocated"] == f"{allocated * 100 / total_mhz:.2f}%"
    cluster = _one(admin, "listClustersMetrics", "cluster", id=host["clusterid"])
    assert cluster["hosts"] == "2 / 2" and cluster["drsimbalance"].endswith("%") and "cpuused" in cluster
    set_setting(admin, None, "cpu.overprovisioning.factor", "2")
    try:
        doubled = _one(admin, "listZonesMetrics", "zone", id=catalog["zone"]["id"])
        assert doubled["cputotal"] == f"{2 * total_mhz / 1000:.2f} Ghz"
    finally:
        set_setting(admin, None, "cpu.overprovisioning.factor", "1")


def test_storage_pool_and_volume_metrics(admin, user, deploy):
    pool = admin.items("listStoragePools", "storagepool")[0]
    metrics = _one(admin, "listStoragePoolsMetrics", "storagepool", id=pool["id"])
    assert metrics["disksizeallocated"] == pool["disksizeallocated"] and metrics["state"] == pool["state"]
    assert metrics["disksizeallocatedgb"] == f"{pool['disksizeallocated'] / GIB:.2f} GB"
    factor = float(pool["overprovisionfactor"])
    assert metrics["disksizetotalgb"] == f"{pool['disksizetotal'] * factor / GIB:.2f} GB"
    vm = deploy(user)
    volume = _one(user, "listVolumesMetrics", "volume", virtualmachineid=vm["id"])
    assert volume["sizegb"] == f"{volume['size'] / GIB:.2f} GiB" and volume["diskiopstotal"] == 0
    assert not volume.get("storagetype", "").endswith("(ROOT)")              # only admins get "Shared (ROOT)"
    as_admin = _one(admin, "listVolumesMetrics", "volume", virtualmachineid=vm["id"], listall=True)
    assert as_admin["storagetype"] == "Shared (ROOT)"


def test_vm_metrics_are_the_callers_vms_with_totals(user, other_user, deploy):
    vm = deploy(user)
    mine = user.items("listVirtualMachinesMetrics", "virtualmachine")
    assert [v["id"] for v in mine] == [v["id"] for v in user.items("listVirtualMachines", "virtualmachine")]
    entry = next(v for v in mine if v["id"] == vm["id"])
    assert entry["cputotal"] == f"{vm['cpunumber'] * vm['cpuspeed'] / 1000:.1f} Ghz"
    assert entry["memorytotal"] == f"{vm['memory'] / 1024:.2f} GiB"
    assert entry["networkread"] == "0.00 MiB" and entry["diskiopstotal"] == 0
    assert vm["id"] not in {v["id"] for v in other_user.items("listVirtualMachinesMetrics", "virtualmachine")}


def test_management_server_metrics_are_the_simulators_process(admin):
    servers = admin.items("listManagementServers", "managementserver")
    metrics = admin.items("listManagementServersMetrics", "managementserver")
    assert [m["id"] for m in metrics] == [s["id"] for s in servers]
    first = metrics[0]
    hosts = admin.items("listHosts", "host")
    assert first["agentcount"] == sum(1 for h in hosts if h.get("managementserverid") == first["id"])
    assert 0 < first["heapmemoryused"] <= first["heapmemorytotal"]
    assert first["threadsdaemoncount"] <= first["threadstotalcount"] and first["threadstotalcount"] >= 1
    assert len(first["systemloadaverages"]) == 3 and len(first["systemcycleusage"]) == 3
    assert isinstance(first["dbislocal"], bool) and first["state"] == "Up" and first["collectiontime"]


def test_db_and_usage_server_metrics(admin):
    db = admin.ok("listDbMetrics")["dbMetrics"]
    assert isinstance(db["connections"], int) and isinstance(db["queries"], int) and isinstance(db["uptime"], int)
    assert isinstance(db["replicas"], list) and len(db["dbloadaverages"]) <= 3 and db["version"]
    usage = admin.ok("listUsageServerMetrics")["usageMetrics"]
    assert usage["state"] in ("Up", "Down") and usage["hostname"]
    assert admin.ok("generateUsageRecords") == {"success": True}
    after = admin.ok("listUsageServerMetrics")["usageMetrics"]
    assert after["lastsuccessfuljob"] > usage["lastsuccessfuljob"] and after["hostname"] != "N/A"


def test_admin_only_metrics_refuse_users(user):
    for command in ("listInfrastructure", "listZonesMetrics", "listClustersMetrics", "listHostsMetrics",
                    "listStoragePoolsMetrics", "listManagementServersMetrics", "listDbMetrics",
                    "listUsageServerMetrics", "listSystemVmsUsageHistory"):
        assert "does not exist or is not available" in user.error(command, 432)


# --- usage history ---------------------------------------------------------------------------------


def _samples(client, vm_id: str, **params) -> list[dict]:
    return _one(client, "listVirtualMachinesUsageHistory", "virtualmachine", id=vm_id, **params)["stats"]


def test_vm_usage_history_samples_while_running(admin, user, other_user, deploy):
    vm = deploy(user)
    deadline = time.monotonic() + 10
    while not _samples(user, vm["id"]) and time.monotonic() < deadline:
        time.sleep(0.3)                        # vm.stats.interval 60 s is 1 s under the instant profile
    samples = _samples(user, vm["id"])
    assert samples, "no sample within 10 s of a 1 s stats interval"
    assert samples[0]["memorykbs"] == vm["memory"] * 1024 and samples[0]["timestamp"].endswith("+0000")
    user.job_ok("stopVirtualMachine", id=vm["id"])
    stopped = len(_samples(user, vm["id"]))
    time.sleep(1.5)
    assert len(_samples(user, vm["id"])) == stopped           # a stopped VM is not sampled
    assert _samples(user, vm["id"], enddate="2000-01-01 00:00:00") == []
    assert other_user.items("listVirtualMachinesUsageHistory", "virtualmachine", id=vm["id"]) == []
    assert "startDate cannot be after endDate." in user.error(
        "listVirtualMachinesUsageHistory", 431, startdate="2030-01-02", enddate="2030-01-01")


def test_retention_zero_keeps_no_samples(admin, sim, host_vm):
    _, vm = host_vm
    time.sleep(1.1)
    assert _samples(admin, vm["id"])
    set_setting(admin, sim, "vm.stats.max.retention.time", "0")
    try:
        assert _samples(admin, vm["id"]) == []
    finally:
        set_setting(admin, sim, "vm.stats.max.retention.time", "720")


def test_system_vm_and_volume_history(admin, sim, host_vm):
    _, vm = host_vm
    system = admin.items("listSystemVmsUsageHistory", "systemvm")
    running = {s["id"] for s in admin.items("listSystemVms", "systemvm") if s["state"] == "Running"}
    assert running <= {s["id"] for s in system}
    assert all(s["stats"] for s in system if s["id"] in running)
    set_setting(admin, sim, "vm.stats.user.vm.only", "true")
    try:
        assert all(s["stats"] == [] for s in admin.items("listSystemVmsUsageHistory", "systemvm"))
    finally:
        set_setting(admin, sim, "vm.stats.user.vm.only", "false")
    volume = admin.items("listVolumes", "volume", virtualmachineid=vm["id"], listall=True)[0]
    history = lambda: _one(admin, "listVolumesUsageHistory", "volume", id=volume["id"])["stats"]  # noqa: E731
    assert history() == []                      # vm.disk.stats.interval 0 / retention disabled by default
    set_setting(admin, sim, "vm.disk.stats.interval", "60")
    set_setting(admin, sim, "vm.disk.stats.interval.min", "60")
    set_setting(admin, sim, "vm.disk.stats.retention.enabled", "true")
    try:
        deadline = time.monotonic() + 10
        while not history() and time.monotonic() < deadline:
            time.sleep(0.3)
        stats = history()
        assert stats and {"diskioread", "diskiowrite", "diskiopstotal", "diskkbsread", "diskkbswrite",
                          "timestamp"} <= set(stats[0])
    finally:
        set_setting(admin, sim, "vm.disk.stats.retention.enabled", "false")
