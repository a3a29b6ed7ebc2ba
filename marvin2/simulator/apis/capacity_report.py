"""listCapacity: what the zones, pods and clusters hold and how much of it is in use (CloudStack 4.18).

A real server keeps one ``op_host_capacity`` row per host (memory, CPU, CPU cores), per primary storage
pool (allocated storage), per zone (public IPs, VLANs) and per pod (private IPs); listCapacity sums them
per zone (per pod with ``podid``, per cluster with ``clusterid``) and adds the storage pools' usage and,
at zone level, secondary storage. Here the same rows are computed from the store on every call, so
``fetchlatest`` (recalculate first) changes nothing: the figures are always the latest.

Memory and CPU totals include the overprovisioning factors (as the server's query applies them); the
allocated-storage total includes ``storage.overprovisioning.factor``. Responses are sorted by zone name,
then capacity type, as ListCapacityCmd sorts them.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from marvin2.simulator import errors
from marvin2.simulator.services import capacity as _capacity
from marvin2.simulator.services.common import MIB
from marvin2.simulator.context import ListResult
from marvin2.simulator.declare import ADMINS, PAGING, P, api, declare_object
from marvin2.simulator.listing import page_window

# Capacity types (com.cloud.capacity.Capacity) and the names CapacityVO gives them.
MEMORY, CPU, STORAGE, STORAGE_ALLOCATED, PUBLIC_IP, PRIVATE_IP, SECONDARY_STORAGE, VLAN, DIRECT_IP = range(9)
LOCAL_STORAGE, GPU, CPU_CORE = 9, 19, 90
NAMES = {MEMORY: "MEMORY", CPU: "CPU", STORAGE: "STORAGE", STORAGE_ALLOCATED: "STORAGE_ALLOCATED",
         PUBLIC_IP: "VIRTUAL_NETWORK_PUBLIC_IP", PRIVATE_IP: "PRIVATE_IP", SECONDARY_STORAGE: "SECONDARY_STORAGE",
         VLAN: "VLAN", DIRECT_IP: "DIRECT_ATTACHED_PUBLIC_IP", LOCAL_STORAGE: "LOCAL_STORAGE", GPU: "GPU",
         CPU_CORE: "CPU_CORE"}
TYPE_HELP = ("* CAPACITY_TYPE_MEMORY = 0* CAPACITY_TYPE_CPU = 1* CAPACITY_TYPE_STORAGE = 2"
             "* CAPACITY_TYPE_STORAGE_ALLOCATED = 3* CAPACITY_TYPE_VIRTUAL_NETWORK_PUBLIC_IP = 4"
             "* CAPACITY_TYPE_PRIVATE_IP = 5* CAPACITY_TYPE_SECONDARY_STORAGE = 6* CAPACITY_TYPE_VLAN = 7"
             "* CAPACITY_TYPE_DIRECT_ATTACHED_PUBLIC_IP = 8* CAPACITY_TYPE_LOCAL_STORAGE = 9"
             "* CAPACITY_TYPE_GPU = 19* CAPACITY_TYPE_CPU_CORE = 90.")
SECONDARY_STORE_SIZE = 1024 ** 4     # what the simulator agent reports for an image store (1 TiB)
VM_FREE_STATES = ("Destroyed", "Expunging", "Error")

declare_object("capacity", {
    "type": ("short", "the capacity type"), "name": "the capacity name", "zoneid": "the Zone ID",
    "zonename": "the Zone name", "podid": "the Pod ID", "podname": "the Pod name", "clusterid": "the Cluster ID",
    "clustername": "the Cluster name", "capacitytotal": ("long", "the total capacity available"),
    "capacityused": ("long", "the capacity currently in use"),
    "capacityallocated": ("long", "the capacity currently in allocated"),
    "percentused": "the percentage of capacity currently in use",
})


@dataclass
class Entry:
    """One capacity row: where it is and how much of its total is used."""
    type: int
    zoneid: str
    podid: str | None
    clusterid: str | None
    used: int
    total: int


def _setting(store, name: str, default: float) -> float:
    row = store.get("configuration", name)
    try:
        return float(row["value"]) if row else default
    except ValueError:
        return default


def _host_entries(store) -> list[Entry]:
    cpu_factor = _setting(store, "cpu.overprovisioning.factor", 1.0)
    memory_factor = _setting(store, "mem.overprovisioning.factor", 1.0)
    cores: dict[str, int] = {}
    for vm in store.all("virtualmachine"):
        if vm.get("capacityhostid"):
            cores[vm["capacityhostid"]] = cores.get(vm["capacityhostid"], 0) + int(vm.get("cpunumber", 1))
    out = []
    for host in store.all("host"):
        # Only routing hosts carry compute capacity; a disabled or maintained host's rows are disabled.
        if host.get("removed") or host.get("type", "Routing") != "Routing" or host.get("resourcestate") != "Enabled":
            continue
        where = (host["zoneid"], host.get("podid"), host.get("clusterid"))
        usage = _capacity.usage(store, host["id"])
        out.append(Entry(MEMORY, *where, int(usage["memoryused"]) * MIB,
                         int(host.get("memorytotal", 0) * memory_factor)))
        out.append(Entry(CPU, *where, int(usage["cpuused"]),
                         int(host.get("cpunumber", 0) * host.get("cpuspeed", 0) * cpu_factor)))
        out.append(Entry(CPU_CORE, *where, cores.get(host["id"], 0), int(host.get("cpunumber", 0))))
    return out


def _pool_entries(store) -> list[Entry]:
    factor = _setting(store, "storage.overprovisioning.factor", 2.0)
    out = []
    for pool in store.all("storagepool"):
        if pool.get("removed"):
            continue
        where = (pool["zoneid"], pool.get("podid"), pool.get("clusterid"))
        total = int(pool.get("disksizetotal", 0))
        out.append(Entry(STORAGE, *where, int(pool.get("disksizeused", 0)), total))
        out.append(Entry(STORAGE_ALLOCATED, *where, int(pool.get("disksizeallocated", 0)), int(total * factor)))
    return out


def _address_count(startips: list, endips: list) -> int:
    from marvin2.simulator.model import ip_addresses

    return sum(len(ip_addresses(start, end)) for start, end in zip(startips or [], endips or []) if start and end)


def _vnets(physnet: dict) -> set[int]:
    out: set[int] = set()
    for part in str(physnet.get("vlan") or "").split(","):
        low, _, high = part.strip().partition("-")
        if low.strip().isdigit() and (not high or high.strip().isdigit()):
            out.update(range(int(low), int(high or low) + 1))
    return out


def _zone_entries(store, zone: dict) -> list[Entry]:
    zone_id = zone["id"]
    addresses = {True: [0, 0], False: [0, 0]}          # for virtual networks? -> [used, total]
    for ip in store.find("publicipaddress", zoneid=zone_id):
        counts = addresses[bool(ip.get("forvirtualnetwork", True))]
        counts[1] += 1
        counts[0] += ip.get("state", "Free") != "Free"
    out = []
    if zone.get("networktype") == "Advanced":
        out.append(Entry(PUBLIC_IP, zone_id, None, None, *addresses[True]))
    out.append(Entry(DIRECT_IP, zone_id, None, None, *addresses[False]))
    if zone.get("networktype") == "Advanced":
        vnets: set[int] = set()
        for physnet in store.find("physicalnetwork", zoneid=zone_id):
            vnets |= _vnets(physnet)
        taken = {int(n["vlannumber"]) for n in store.find("network", zoneid=zone_id)
                 if not n.get("removed") and n.get("vlannumber") is not None}
        out.append(Entry(VLAN, zone_id, None, None, len(taken & vnets), len(vnets)))
    for pod in store.find("pod", zoneid=zone_id):
        # System VMs take their private (management) address from the pod's range.
        total = _address_count(pod.get("startip"), pod.get("endip"))
        used = sum(1 for vm in store.find("systemvm", podid=pod["id"]) if vm.get("state") not in VM_FREE_STATES)
        out.append(Entry(PRIVATE_IP, zone_id, pod["id"], None, min(used, total), total))
    return out


def _secondary_storage(store, zone: dict) -> Entry:
    stores = [s for s in store.find("imagestore", zoneid=zone["id"]) if not s.get("removed")]
    total = sum(int(s.get("disksizetotal", SECONDARY_STORE_SIZE)) for s in stores)
    used = sum(int(t.get("size") or 0) for t in store.all("template")
               if not t.get("removed") and zone["id"] in (t.get("zoneids") or []))
    used += sum(int(s.get("size") or 0) for s in store.find("snapshot", zoneid=zone["id"])
                if not s.get("removed") and s.get("state") == "BackedUp")
    return Entry(SECONDARY_STORAGE, zone["id"], None, None, min(used, total) if total else used, total)


def all_entries(store) -> list[Entry]:
    """Every capacity row of the cloud (secondary storage included, one per zone)."""
    out = _host_entries(store) + _pool_entries(store)
    for zone in store.all("zone"):
        if not zone.get("removed"):
            out += _zone_entries(store, zone)
            out.append(_secondary_storage(store, zone))
    return out


def _float32(value: float) -> float:
    return struct.unpack("f", struct.pack("f", value))[0]


def percent_text(used: int, total: int) -> str:
    """Java's DecimalFormat("##.##") of (float) used / total * 100: "33.33", "12.5", "0", "100"."""
    if not total:
        return "0"
    value = _float32(_float32(_float32(used) / _float32(total)) * _float32(100.0))
    rounded = Decimal(repr(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
    text = format(rounded, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _group(entries: list[Entry], level: str) -> list[Entry]:
    """Sum entries per (place, type); ``level`` is zone, pod or cluster. Keeps first-seen order."""
    sums: dict[tuple, Entry] = {}
    for e in entries:
        place = {"zone": (e.zoneid, None, None), "pod": (e.zoneid, e.podid, None),
                 "cluster": (e.zoneid, e.podid, e.clusterid)}[level]
        if None in place[: {"zone": 1, "pod": 2, "cluster": 3}[level]]:
            continue                                    # a zone-wide row has no pod/cluster to group by
        key = (*place, e.type)
        if key in sums:
            sums[key].used += e.used
            sums[key].total += e.total
        else:
            sums[key] = Entry(e.type, *place, e.used, e.total)
    return list(sums.values())


def _render(ctx, entry: Entry) -> dict:
    store = ctx.store
    zone = store.get("zone", entry.zoneid) or {}
    pod = store.get("pod", entry.podid) if entry.podid else None
    cluster = store.get("cluster", entry.clusterid) if entry.clusterid else None
    return {"type": entry.type, "name": NAMES.get(entry.type), "zoneid": entry.zoneid, "zonename": zone.get("name"),
            "podid": pod["id"] if pod else None, "podname": pod["name"] if pod else None,
            "clusterid": cluster["id"] if cluster else None, "clustername": cluster["name"] if cluster else None,
            "capacitytotal": entry.total, "capacityused": entry.used, "percentused": percent_text(entry.used, entry.total)}


def _within(entry: Entry, zone_id, pod_id, cluster_id) -> bool:
    return ((not zone_id or entry.zoneid == zone_id) and (not pod_id or entry.podid == pod_id)
            and (not cluster_id or entry.clusterid == cluster_id))


def _top_consumed(ctx, entries: list[Entry], zone_id, pod_id) -> list[Entry]:
    """sortby=usage: sums per zone (when no zone/pod is given), per pod (no pod given) and per cluster,
    most used first, cut to the page size (the command then sorts the survivors by zone and type)."""
    secondary = [e for e in entries if e.type == SECONDARY_STORAGE]
    stored = [e for e in entries if e.type not in (SECONDARY_STORAGE, STORAGE)]
    summed: list[Entry] = []
    if not zone_id and not pod_id:
        summed += _group(stored, "zone")
    if not pod_id:
        summed += _group(stored, "pod") + secondary
    summed += _group(stored, "cluster")
    summed.sort(key=lambda e: -(e.used / e.total if e.total else 0.0))
    _, limit = page_window(ctx)
    return summed if limit is None else summed[:limit]


def _plain(ctx, entries: list[Entry], zone_id, pod_id, cluster_id) -> list[Entry]:
    """The sums at the level asked for; every zone (or the pod/cluster asked for) reports its primary
    storage, even with no pool (0 of 0), and whole zones their secondary storage."""
    store = ctx.store
    if pod_id or cluster_id:
        entries = [e for e in entries if e.type != SECONDARY_STORAGE]
        place = store.get("cluster", cluster_id) if cluster_id else store.get("pod", pod_id)
        empty = [Entry(STORAGE, place["zoneid"], place["podid"] if cluster_id else pod_id, cluster_id, 0, 0)]
    else:
        zones = [z["id"] for z in store.all("zone") if not z.get("removed") and (not zone_id or z["id"] == zone_id)]
        empty = [Entry(STORAGE, z, None, None, 0, 0) for z in zones]
    wanted_type = ctx.get("type")
    entries = entries + [e for e in empty if wanted_type is None or e.type == wanted_type]
    level = "cluster" if cluster_id else "pod" if pod_id else "zone"
    return _group([e for e in entries if _within(e, zone_id, pod_id, cluster_id)], level)


@api("listCapacity", response="capacity", roles=ADMINS,
     description="Reports, per zone (or pod, or cluster), each capacity type's total and how much of it is used.",
     params=[*PAGING, P("zoneid", "only this zone"), P("podid", "only this pod"),
             P("clusterid", "only this cluster"),
             P("type", "only this capacity type" + TYPE_HELP),
             P("fetchlatest", "recalculate first (figures here are always current)"),
             P("sortby", "usage: the most used places first, at zone, pod and cluster level")])
def list_capacity(ctx):
    sort_by = ctx.get("sortby")
    if sort_by is not None and sort_by.lower() != "usage":
        raise errors.invalid_value("Only value supported for sortBy parameter is : usage")
    zone_id, pod_id, cluster_id = ctx.get("zoneid"), ctx.get("podid"), ctx.get("clusterid")
    wanted_type = ctx.get("type")
    entries = [e for e in all_entries(ctx.store) if wanted_type is None or e.type == wanted_type]
    if sort_by is not None:
        if cluster_id:
            raise errors.invalid_value("Currently clusterId param is not suppoerted")
        chosen = _top_consumed(ctx, [e for e in entries if _within(e, zone_id, pod_id, None)], zone_id, pod_id)
    else:
        chosen = _plain(ctx, entries, zone_id, pod_id, cluster_id)
    rendered = [_render(ctx, e) for e in chosen]
    rendered.sort(key=lambda c: (c["zonename"] or "", c["type"]))          # stable: keeps usage order within
    return ListResult(rendered, len(rendered))
