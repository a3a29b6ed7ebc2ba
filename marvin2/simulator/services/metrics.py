"""The metrics plugin's figures (MetricsServiceImpl), computed from the simulator's own rows.

What a simulated cloud "uses" is a model, stated once here so every figure agrees:
a VM in an active state keeps its whole allocation busy (its host's used CPU and
memory are what ``hostcapacity`` counts for it, services/capacity.py), and
simulated VMs and volumes move no bytes over the network or to disk (their
I/O counters are zero). Totals, allocations, thresholds, instance counts and
states are the real state of the rows.

Usage history (listVirtualMachinesUsageHistory & co) is the stats collector's
time series: a sample every ``vm.stats.interval`` ms while a VM runs (its
running intervals come from its VM.START / VM.STOP events, services/usage.py),
kept ``vm.stats.max.retention.time`` minutes (0 keeps none); volume samples
every ``vm.disk.stats.interval`` s (0: not collected) while ``vm.disk.stats.
retention.enabled``, kept ``vm.disk.stats.max.retention.time`` minutes. The
collector's clock runs at the simulator's timing profile (expunge.scaled), so a
60 s interval takes 3 s under the ``fast`` profile.
"""
from __future__ import annotations

import datetime as dt
import os
import platform
import sqlite3
import threading
import time

from marvin2 import wire
from marvin2.simulator import facts
from marvin2.simulator.services import capacity, expunge
from marvin2.simulator.services import usage as _usage
from marvin2.simulator.services.common import MIB

GIB = 1024 * 1024 * 1024
_UTC = dt.timezone.utc
# No more samples than this per resource and request, whatever the settings say (a bound, not a rule).
MAX_SAMPLES = 2000
# The RAM of the system offerings (MiB): SSVM, CPVM and virtual router defaults of 4.20.
_SYSTEM_RAM_MB = {"secondarystoragevm": 512, "consoleproxy": 1024, "VIRTUAL_ROUTER": 256, "INTERNAL_LB_VM": 256}


def setting(ctx, name: str, **scope) -> str | None:
    """A setting's value (scoped when asked), or its 4.20 default."""
    known = facts.settings().get(name)
    return ctx.config(name, known.default if known else None, **scope)


def _number(ctx, name: str, default: float, **scope) -> float:
    try:
        return float(setting(ctx, name, **scope))
    except (TypeError, ValueError):
        return default


def _flag(ctx, name: str) -> bool:
    return str(setting(ctx, name)).lower() == "true"


def pct(value: float) -> str:
    return f"{value:.2f}%"


# --- hosts, clusters, zones ------------------------------------------------------------------------


def host_figures(store, host: dict) -> dict:
    """A host's CPU (MHz) and memory (bytes): total without overprovisioning, allocated, used."""
    total_cpu = host.get("cpunumber", 0) * host.get("cpuspeed", 0)
    held = capacity.usage(store, host["id"])
    running = [vm for vm in store.find("virtualmachine", hostid=host["id"]) if vm.get("state") == "Running"]
    used_cpu = sum(vm.get("cpunumber", 1) * vm.get("cpuspeed", 0) for vm in running)
    used_mem = sum(vm.get("memory", 0) for vm in running) * MIB
    return {"cpu_total": total_cpu, "cpu_allocated": held["cpuused"], "cpu_used": used_cpu,
            "mem_total": host.get("memorytotal", 0), "mem_allocated": held["memoryused"] * MIB, "mem_used": used_mem}


def host_capacity_fields(store, host: dict) -> dict:
    """The capacity fields of HostResponse (listHosts shows them; the metrics derive from them)."""
    f = host_figures(store, host)
    cpu_total = f["cpu_total"] or 0
    cpu_factor = capacity._factor(store, "cpu.overprovisioning.factor")
    mem_factor = capacity._factor(store, "mem.overprovisioning.factor")
    return {
        "cpuallocated": pct(100.0 * f["cpu_allocated"] / cpu_total) if cpu_total else "0%",
        "cpuallocatedvalue": f["cpu_allocated"],
        "cpuallocatedpercentage": pct(100.0 * f["cpu_allocated"] / cpu_total) if cpu_total else "0%",
        "cpuallocatedwithoverprovisioning": pct(100.0 * f["cpu_allocated"] / (cpu_total * cpu_factor))
        if cpu_total else "0%",
        "cpuwithoverprovisioning": f"{cpu_total * cpu_factor:.2f}",
        "cpuused": pct(100.0 * f["cpu_used"] / cpu_total) if cpu_total else "0%",
        "memoryallocated": f["mem_allocated"], "memoryallocatedbytes": f["mem_allocated"],
        "memoryallocatedpercentage": pct(100.0 * f["mem_allocated"] / f["mem_total"]) if f["mem_total"] else "0%",
        "memorywithoverprovisioning": f"{f['mem_total'] * mem_factor:.0f}",
        "memoryused": f["mem_used"],
    }


def _instances(store, host_id: str) -> tuple[tuple[int, int], tuple[int, int]]:
    """(running, total) user VMs and (running, total) system VMs (SSVM, CPVM, routers) on a host."""
    users = [vm for vm in store.find("virtualmachine", hostid=host_id) if not vm.get("removed")]
    system = [*store.find("systemvm", hostid=host_id), *store.find("router", hostid=host_id)]
    system = [vm for vm in system if not vm.get("removed")]
    count = lambda rows: (sum(1 for r in rows if r.get("state") == "Running"), len(rows))  # noqa: E731
    return count(users), count(system)


def _thresholds(ctx, cluster_id: str | None) -> tuple[float, float, float, float]:
    """(cpu notify, cpu disable, memory notify, memory disable) for a cluster (global for None)."""
    scope = {"cluster": cluster_id} if cluster_id else {}
    return (_number(ctx, "cluster.cpu.allocated.capacity.notificationthreshold", 0.75, **scope),
            _number(ctx, "cluster.cpu.allocated.capacity.disablethreshold", 0.85, **scope),
            _number(ctx, "cluster.memory.allocated.capacity.notificationthreshold", 0.75, **scope),
            _number(ctx, "cluster.memory.allocated.capacity.disablethreshold", 0.85, **scope))


def host_metrics(ctx, host: dict, rendered: dict) -> dict:
    """HostMetricsResponse: the listHosts entry plus the metrics (MetricsServiceImpl.listHostMetrics)."""
    out = dict(rendered)
    for key, value in host_capacity_fields(ctx.store, host).items():
        out.setdefault(key, value)
    f = host_figures(ctx.store, host)
    cpu_notify, cpu_disable, mem_notify, mem_disable = _thresholds(ctx, host.get("clusterid"))
    (up, total), (sys_up, sys_total) = _instances(ctx.store, host["id"])
    used_pct = 100.0 * f["cpu_used"] / f["cpu_total"] if f["cpu_total"] else 0.0
    alloc_pct = 100.0 * f["cpu_allocated"] / f["cpu_total"] if f["cpu_total"] else 0.0
    used_pct, alloc_pct = round(used_pct, 2), round(alloc_pct, 2)   # the response's "#.##%" strings, parsed back
    cores_busy = f["cpu_used"] / host["cpuspeed"] if host.get("cpuspeed") else 0.0
    oobm = rendered.get("outofbandmanagement") or {}
    out.update(
        powerstate=oobm.get("powerstate", "Unknown"),
        instances=f"{up} / {total}", systeminstances=f"{sys_up} / {sys_total}",
        cputotalghz=f"{f['cpu_total'] / 1000.0:.2f} Ghz",
        cpuusedghz=f"{used_pct * f['cpu_total'] / 100000.0:.2f} Ghz",
        cpuallocatedghz=f"{alloc_pct * f['cpu_total'] / 100000.0:.2f} Ghz",
        cpuloadaverage=round(cores_busy, 2),
        memorytotalgb=f"{f['mem_total'] / GIB:.2f} GB", memoryusedgb=f"{f['mem_used'] / GIB:.2f} GB",
        memoryallocatedgb=f"{f['mem_allocated'] / GIB:.2f} GB",
        networkread=f"{0 / (1024.0 * 1024.0):.2f} GB", networkwrite=f"{0 / (1024.0 * 1024.0):.2f} GB",
        cputhreshold=used_pct > 100.0 * cpu_notify, cpudisablethreshold=used_pct > 100.0 * cpu_disable,
        cpuallocatedthreshold=alloc_pct > 100.0 * cpu_notify, cpuallocateddisablethreshold=alloc_pct > 100.0 * cpu_disable,
        memorythreshold=f["mem_used"] > f["mem_total"] * mem_notify,
        memorydisablethreshold=f["mem_used"] > f["mem_total"] * mem_disable,
        memoryallocatedthreshold=f["mem_allocated"] > f["mem_total"] * mem_notify,
        memoryallocateddisablethreshold=f["mem_allocated"] > f["mem_total"] * mem_disable,
    )
    return out


def _summary(ctx, hosts: list[dict], cluster_id: str | None) -> dict:
    """HostMetricsSummary fields of a zone or a cluster (addHostCpu/MemoryMetricsToResponse)."""
    store = ctx.store
    total_cpu = total_mem = cpu_alloc = mem_alloc = mem_used = max_mem = 0
    cpu_used_pct = max_cpu = 0.0
    for host in hosts:
        f = host_figures(store, host)
        total_cpu += f["cpu_total"] * capacity._factor(store, "cpu.overprovisioning.factor")
        total_mem += f["mem_total"] * capacity._factor(store, "mem.overprovisioning.factor")
        cpu_alloc += f["cpu_allocated"]
        mem_alloc += f["mem_allocated"]
        util = 100.0 * f["cpu_used"] / f["cpu_total"] if f["cpu_total"] else 0.0
        cpu_used_pct += util
        max_cpu = max(max_cpu, util)
        mem_used += f["mem_used"]
        max_mem = max(max_mem, f["mem_used"])
    total_cpu, total_mem, n = int(total_cpu), int(total_mem), len(hosts)
    cpu_notify, cpu_disable, mem_notify, mem_disable = _thresholds(ctx, cluster_id)
    out = {"cputotal": f"{total_cpu / 1000.0:.2f} Ghz", "memorytotal": f"{total_mem / GIB:.2f} GB"}
    if total_cpu:
        out["cpuallocated"] = pct(cpu_alloc * 100.0 / total_cpu)
    if total_mem:
        out["memoryallocated"] = pct(mem_alloc * 100.0 / total_mem)
    if cpu_used_pct > 0 and n:
        average = cpu_used_pct / n
        out["cpuused"] = pct(cpu_used_pct / n)
        # As the Java prints it: the CPU deviation is not multiplied by 100, the memory one is.
        out["cpumaxdeviation"] = pct((max_cpu - average) / average)
    if mem_used > 0 and total_mem and n:
        out["memoryused"] = pct(mem_used * 100.0 / total_mem)
        average_mem = mem_used / n
        out["memorymaxdeviation"] = pct((max_mem - average_mem) * 100.0 / average_mem)
    if n:
        out["cputhreshold"] = cpu_used_pct / (100.0 * n) > cpu_notify
        out["cpudisablethreshold"] = cpu_used_pct / (100.0 * n) > cpu_disable
    if total_cpu:
        out["cpuallocatedthreshold"] = cpu_alloc / total_cpu > cpu_notify
        out["cpuallocateddisablethreshold"] = cpu_alloc / total_cpu > cpu_disable
    if total_mem:
        out["memorythreshold"] = mem_used / total_mem > mem_notify
        out["memorydisablethreshold"] = mem_used / total_mem > mem_disable
        out["memoryallocatedthreshold"] = mem_alloc / total_mem > mem_notify
        out["memoryallocateddisablethreshold"] = mem_alloc / total_mem > mem_disable
    return out


def _routing_hosts(store, **where) -> list[dict]:
    return [h for h in store.find("host", **where) if h.get("type", "Routing") == "Routing" and not h.get("removed")]


def drs_imbalance(ctx, cluster_id: str, hosts: list[dict]) -> float | None:
    """ClusterDrsAlgorithm.getClusterImbalance: population standard deviation / mean of the hosts' metric."""
    metric = str(setting(ctx, "drs.metric", cluster=cluster_id) or "memory").lower()
    kind = str(setting(ctx, "drs.metric.type", cluster=cluster_id) or "used").lower()
    ratio = str(setting(ctx, "drs.metric.useratio", cluster=cluster_id)).lower() != "false"
    values = []
    for host in hosts:
        f = host_figures(ctx.store, host)
        used, total = (f["cpu_allocated"], f["cpu_total"]) if metric == "cpu" else (f["mem_allocated"], f["mem_total"])
        free = total - used
        if kind == "free":
            values.append(free / total if ratio and total else float(free))
        else:
            values.append(used / total if ratio and total else float(used))
    if not values:
        return None
    mean = sum(values) / len(values)
    if mean == 0:
        return None      # 0/0 is NaN in Java: no imbalance figure
    deviation = (sum((v - mean) ** 2 for v in values) / len(values)) ** 0.5
    return 100.0 * deviation / mean


def cluster_metrics(ctx, cluster: dict, rendered: dict) -> dict:
    hosts = _routing_hosts(ctx.store, clusterid=cluster["id"])
    out = dict(rendered)
    out.update(_summary(ctx, hosts, cluster["id"]))
    state = cluster.get("allocationstate", "Enabled")
    if cluster.get("managedstate", "Managed") == "Unmanaged":
        state = "Unmanaged"
    up = sum(1 for h in hosts if h.get("state") == "Up")
    imbalance = drs_imbalance(ctx, cluster["id"], hosts)
    out.update(state=state, hosts=f"{up} / {len(hosts)}",
               drsimbalance=pct(imbalance) if imbalance is not None else None)
    return out


def zone_metrics(ctx, zone: dict, rendered: dict) -> dict:
    store = ctx.store
    out = dict(rendered)
    out.update(_summary(ctx, _routing_hosts(store, zoneid=zone["id"]), None))
    clusters = [c for c in store.find("cluster", zoneid=zone["id"]) if not c.get("removed")]
    up = sum(1 for c in clusters if c.get("managedstate", "Managed") == "Managed"
             and c.get("allocationstate", "Enabled") == "Enabled")
    out.update(state=zone.get("allocationstate", "Enabled"), clusters=f"{up} / {len(clusters)}")
    return out


# --- storage pools and volumes ---------------------------------------------------------------------


def pool_metrics(ctx, pool: dict, rendered: dict) -> dict:
    out = dict(rendered)
    total = rendered.get("disksizetotal") or pool.get("disksizetotal") or 0
    used = rendered.get("disksizeused") or pool.get("disksizeused") or 0
    allocated = rendered.get("disksizeallocated") or pool.get("disksizeallocated") or 0
    factor = _number(ctx, "storage.overprovisioning.factor", 2.0, storagepool=pool["id"])
    scope = {"cluster": pool["clusterid"]} if pool.get("clusterid") else {}
    notify = _number(ctx, "cluster.storage.capacity.notificationthreshold", 0.75, **scope)
    disable = _number(ctx, "pool.storage.capacity.disablethreshold", 0.85, **scope)
    out.update(
        disksizeusedgb=f"{used / GIB:.2f} GB", disksizetotalgb=f"{total * factor / GIB:.2f} GB",
        disksizeallocatedgb=f"{allocated / GIB:.2f} GB",
        disksizeunallocatedgb=f"{(total * factor - allocated) / GIB:.2f} GB",
        storageusagethreshold=used > total * notify, storageusagedisablethreshold=used > total * disable,
        storageallocatedthreshold=allocated > total * factor * notify,
        storageallocateddisablethreshold=allocated > total * factor * disable,
    )
    return out


def volume_metrics(ctx, rendered: dict) -> dict:
    out = dict(rendered)
    size = rendered.get("size")
    if size is not None:
        out["sizegb"] = f"{size / GIB:.2f} GiB"
    out["diskiopstotal"] = (rendered.get("diskioread") or 0) + (rendered.get("diskiowrite") or 0)
    admin = ctx.caller is None or ctx.caller.is_admin
    storage_type, volume_type = rendered.get("storagetype"), rendered.get("type")
    if admin and storage_type and volume_type:
        out["storagetype"] = f"{storage_type[:1].upper()}{storage_type[1:]} ({volume_type})"
    return out


def vm_metrics(rendered: dict) -> dict:
    out = dict(rendered)
    for key in ("networkkbsread", "networkkbswrite", "diskkbsread", "diskkbswrite", "diskioread", "diskiowrite"):
        out.setdefault(key, 0)
    if rendered.get("cpunumber") is not None and rendered.get("cpuspeed") is not None:
        out["cputotal"] = f"{rendered['cpunumber'] * rendered['cpuspeed'] / 1000.0:.1f} Ghz"
    if rendered.get("memory") is not None:
        out["memorytotal"] = f"{rendered['memory'] / 1024.0:.2f} GiB"
    out.setdefault("cpuused", "100%" if rendered.get("state") == "Running" else "0%")
    out.update(networkread=f"{out['networkkbsread'] / 1024.0:.2f} MiB",
               networkwrite=f"{out['networkkbswrite'] / 1024.0:.2f} MiB",
               diskread=f"{out['diskkbsread'] / 1024.0:.2f} MiB", diskwrite=f"{out['diskkbswrite'] / 1024.0:.2f} MiB",
               diskiopstotal=out["diskioread"] + out["diskiowrite"])
    return out


# --- infrastructure, management servers, database, usage server ------------------------------------


def infrastructure(store) -> dict:
    def live(kind: str, **where) -> list[dict]:
        return [r for r in store.find(kind, **where) if not r.get("removed")]

    hosts = [h for h in live("host") if h.get("type", "Routing") == "Routing"]
    routers = live("router")
    return {
        "zones": len(live("zone")), "pods": len(live("pod")), "clusters": len(live("cluster")),
        "hosts": len(hosts), "cpusockets": sum(int(h.get("cpusockets") or 1) for h in hosts),
        "storagepools": len(live("storagepool")), "imagestores": len(live("imagestore")), "objectstores": 0,
        "systemvms": len(live("systemvm")),
        "routers": sum(1 for r in routers if r.get("role", "VIRTUAL_ROUTER") == "VIRTUAL_ROUTER"),
        "ilbvms": sum(1 for r in routers if r.get("role") == "INTERNAL_LB_VM"),
        "alerts": len(live("alert")), "managementservers": len(live("managementserver")),
    }


def _readable(size_bytes: float) -> str:
    """CloudStack's toReadableSize: bytes in the largest unit that keeps the number at least 1."""
    units = ("bytes", "KB", "MB", "GB", "TB")
    value, unit = float(size_bytes), 0
    while value >= 1024 and unit < len(units) - 1:
        value, unit = value / 1024, unit + 1
    return f"{value:.2f} {units[unit]}" if unit else f"{int(value)} bytes"


def _meminfo() -> dict[str, int]:
    out = {}
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                name, _, rest = line.partition(":")
                out[name] = int(rest.split()[0]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return out


def _cpu_cycles() -> list[int]:
    """(user, system, idle) jiffies of the machine, as the Java reads them from /proc/stat."""
    try:
        with open("/proc/stat", encoding="ascii") as handle:
            fields = handle.readline().split()[1:]
        user, nice, system, idle = (int(x) for x in fields[:4])
        return [user + nice, system, idle]
    except (OSError, ValueError):
        return [0, 0, 1]


def _process_memory() -> tuple[int, int]:
    """(resident, virtual) bytes of the simulator's process."""
    rss = vsz = 0
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1]) * 1024
                elif line.startswith("VmSize:"):
                    vsz = int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return rss, vsz


def management_server_metrics(ctx, server: dict, rendered: dict, *, agent_count: int, sessions: int) -> dict:
    """ManagementServerMetricsResponse: the simulator's own process and machine are this server's."""
    out = dict(rendered)
    if _number(ctx, "management.server.stats.interval", 60) <= 0:
        return out      # the Java copies the status only when the collector runs
    threads = threading.enumerate()
    rss, vsz = _process_memory()
    mem = _meminfo()
    cycles = _cpu_cycles()
    busy = sum(cycles[:2])
    try:
        load = list(os.getloadavg())
    except OSError:
        load = [0.0, 0.0, 0.0]
    out.update(
        availableprocessors=os.cpu_count() or 1, agentcount=agent_count, sessions=sessions,
        heapmemoryused=rss, heapmemorytotal=max(rss, vsz),
        threadsblockedcount=0, threadsdaemoncount=sum(1 for t in threads if t.daemon),
        threadsrunnablecount=sum(1 for t in threads if t.is_alive()), threadsteminatedcount=0,
        threadstotalcount=len(threads), threadswaitingcount=0,
        systemmemorytotal=_readable(mem.get("MemTotal", 0)), systemmemoryfree=_readable(mem.get("MemFree", 0)),
        systemmemoryvirtualsize=_readable(vsz),
        loginfo=f"marvin2 simulator {platform.python_implementation()} {platform.python_version()} (logging to stderr)",
        systemtotalcpucycles=float(sum(cycles)), systemloadaverages=load, systemcycleusage=cycles,
        dbislocal=True, usageislocal=True, cpuload=100.0 * busy / (sum(cycles) or 1),
        collectiontime=wire.now_text(),
    )
    return out


def db_metrics(ctx, started: str | None) -> dict:
    """DbMetricsResponse for the simulator's SQLite store."""
    uptime = 0
    if started:
        uptime = max(0, int(time.time() - wire.parse_tzdate(started).timestamp()))
    retention = int(_number(ctx, "database.server.stats.retention", 3))
    try:
        load = list(os.getloadavg())[:max(0, retention)]
    except OSError:
        load = []
    return {"collectiontime": wire.now_text(), "hostname": "localhost",
            "replicas": [""],     # "".split(",") in Java: no db.cloud.replicas gives one empty name
            "connections": 1, "uptime": uptime, "tlsversions": "", "version": sqlite3.sqlite_version,
            "versioncomment": "SQLite (the marvin2 simulator's store)", "queries": ctx.store.count("event"),
            "dbloadaverages": load}


def usage_server_metrics(ctx) -> dict:
    """UsageServerMetricsResponse: the usage job runs in-process when generateUsageRecords asks (no server)."""
    last = ctx.store.get_meta(_usage._LAST_END)      # when generateUsageRecords last ran its job
    out = {"collectiontime": wire.now_text(), "hostname": "N/A", "state": "Down",
           "lastsuccessfuljob": _fmt(0)}
    if last is not None:
        out.update(hostname=platform.node() or "localhost", lastsuccessfuljob=_fmt(float(last)),
                   lastheartbeat=_fmt(float(last)))
    return out


# --- the stats collector: usage history ------------------------------------------------------------


def _fmt(ts: float) -> str:
    return wire.format_tzdate(dt.datetime.fromtimestamp(ts, _UTC))


def _ts(text: str | None) -> float | None:
    return wire.parse_tzdate(text).timestamp() if text else None


def _running(store, row: dict, kind: str, now: float) -> list[tuple[float, float]]:
    if kind == "virtualmachine":
        return _usage._running_intervals(store, row, now)
    # System VMs and routers keep no start events: running since their row was created.
    start = _ts(row.get("created")) or now
    return [(start, now)] if row.get("state") == "Running" else []


def _ticks(intervals: list[tuple[float, float]], step: float, oldest: float, start: float | None,
           end: float | None) -> list[float]:
    out: list[float] = []
    for lo, hi in intervals:
        t = lo + step
        if t < oldest:
            t += ((oldest - t) // step + 1) * step
        while t <= hi and len(out) < MAX_SAMPLES:
            if (start is None or t >= start) and (end is None or t <= end):
                out.append(t)
            t += step
    return out


def vm_samples(ctx, row: dict, kind: str, start: dt.datetime | None, end: dt.datetime | None) -> list[dict]:
    """The stats collector's samples of one VM (StatsResponse entries), oldest first."""
    interval_ms = _number(ctx, "vm.stats.interval", 60000)
    retention_min = _number(ctx, "vm.stats.max.retention.time", 720)
    if interval_ms <= 0 or retention_min <= 0:
        return []
    if kind != "virtualmachine" and _flag(ctx, "vm.stats.user.vm.only"):
        return []
    now = time.time()
    step = max(0.05, expunge.scaled(ctx.sim, interval_ms / 1000.0))
    oldest = now - expunge.scaled(ctx.sim, retention_min * 60.0)
    memory_kb = int(row.get("memory") or _SYSTEM_RAM_MB.get(row.get("systemvmtype") or row.get("role"), 0)) * 1024
    return [{"timestamp": _fmt(t), "cpuused": "100.00%", "diskioread": 0, "diskiowrite": 0, "diskiopstotal": 0,
             "diskkbsread": 0, "diskkbswrite": 0, "memoryintfreekbs": 0, "memorykbs": memory_kb,
             "memorytargetkbs": memory_kb, "networkkbsread": 0, "networkkbswrite": 0,
             "networkread": "0.00 MiB", "networkwrite": "0.00 MiB"}
            for t in _ticks(_running(ctx.store, row, kind, now), step, oldest,
                            start.timestamp() if start else None, end.timestamp() if end else None)]


def volume_samples(ctx, volume: dict, start: dt.datetime | None, end: dt.datetime | None) -> list[dict]:
    interval_s = _number(ctx, "vm.disk.stats.interval", 0)
    retention_min = _number(ctx, "vm.disk.stats.max.retention.time", 720)
    if interval_s <= 0 or retention_min <= 0 or not _flag(ctx, "vm.disk.stats.retention.enabled"):
        return []
    vm = ctx.store.get("virtualmachine", volume.get("virtualmachineid")) if volume.get("virtualmachineid") else None
    if vm is None:
        return []
    now = time.time()
    born = _ts(volume.get("created")) or now
    intervals = [(max(lo, born), hi) for lo, hi in _running(ctx.store, vm, "virtualmachine", now) if hi > born]
    step = max(0.05, expunge.scaled(ctx.sim, max(interval_s, _number(ctx, "vm.disk.stats.interval.min", 300))))
    oldest = now - expunge.scaled(ctx.sim, retention_min * 60.0)
    return [{"timestamp": _fmt(t), "diskioread": 0, "diskiowrite": 0, "diskiopstotal": 0,
             "diskkbsread": 0, "diskkbswrite": 0}
            for t in _ticks(intervals, step, oldest, start.timestamp() if start else None,
                            end.timestamp() if end else None)]
