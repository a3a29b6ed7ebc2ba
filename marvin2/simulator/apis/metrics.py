"""The metrics plugin (plugins/metrics): list*Metrics, listInfrastructure, the DB / usage server metrics and
the usage history of VMs, system VMs and volumes. Figures come from services/metrics.py.

Each ``list<X>Metrics`` command extends its base list command in the Java (ListZonesMetricsCmd extends
ListZonesCmd ...): same parameters, same filtering, the base answer's entries plus the metrics fields. So
each handler here runs the base API's own handler (looked up in the declaration registry, not imported:
API modules never import each other) and adds the fields to every entry it answered.
"""
from __future__ import annotations

import datetime as dt

from marvin2.simulator import errors
from marvin2.simulator.context import ListResult
from marvin2.simulator.declare import PAGING, REGISTRY, P, api, declare_object
from marvin2.simulator.listing import domain_in_subtree
from marvin2.simulator.services import agent_lb, metrics

declare_object("infrastructure", {
    "zones": ("integer", "zones"), "pods": ("integer", "pods"), "clusters": ("integer", "clusters"),
    "hosts": ("integer", "routing hosts"), "cpusockets": ("integer", "CPU sockets of the routing hosts"),
    "storagepools": ("integer", "primary storage pools"), "imagestores": ("integer", "image stores"),
    "objectstores": ("integer", "object stores"), "systemvms": ("integer", "SSVMs and CPVMs"),
    "routers": ("integer", "virtual routers"), "ilbvms": ("integer", "internal LB VMs"),
    "alerts": ("integer", "alerts"), "managementservers": ("integer", "management servers")})


def _base(ctx, base_api: str, decorate) -> ListResult:
    """The base list's answer (its own handler, this request's parameters), each entry decorated."""
    result = REGISTRY.apis[base_api].handler(ctx)
    if not isinstance(result, ListResult):
        return result
    return ListResult([decorate(item) for item in result.items], result.count)


def _row(ctx, kind: str, item: dict) -> dict:
    return ctx.store.get(kind, item.get("id")) or {"id": item.get("id")}


@api("listInfrastructure", response="infrastructure",
     description="Counts the cloud's zones, pods, clusters, hosts, storage, system VMs, routers and alerts.")
def list_infrastructure(ctx):
    agent_lb.management_servers(ctx.store, ctx.config)     # the "host" setting's servers have rows
    return metrics.infrastructure(ctx.store)


@api("listZonesMetrics", response="zone", description="Lists zones with their CPU and memory metrics.",
     params=[*PAGING, P("id", "the zone", entity="zone")])
def list_zones_metrics(ctx):
    return _base(ctx, "listZones", lambda item: metrics.zone_metrics(ctx, _row(ctx, "zone", item), item))


@api("listClustersMetrics", response="cluster", description="Lists clusters with their CPU, memory and DRS metrics.",
     params=[*PAGING, P("id", "the cluster", entity="cluster")])
def list_clusters_metrics(ctx):
    return _base(ctx, "listClusters", lambda item: metrics.cluster_metrics(ctx, _row(ctx, "cluster", item), item))


@api("listHostsMetrics", response="host", description="Lists hosts with their capacity, instances and thresholds.",
     params=[*PAGING, P("id", "the host", entity="host")])
def list_hosts_metrics(ctx):
    return _base(ctx, "listHosts", lambda item: metrics.host_metrics(ctx, _row(ctx, "host", item), item))


@api("listStoragePoolsMetrics", response="storagepool", description="Lists primary storage pools with their metrics.",
     params=[*PAGING, P("id", "the pool", entity="storagepool")])
def list_storage_pools_metrics(ctx):
    return _base(ctx, "listStoragePools", lambda item: metrics.pool_metrics(ctx, _row(ctx, "storagepool", item), item))


@api("listVirtualMachinesMetrics", response="virtualmachine", description="Lists VMs with their metrics.",
     params=[*PAGING, P("id", "the VM", entity="virtualmachine")])
def list_vms_metrics(ctx):
    return _base(ctx, "listVirtualMachines", metrics.vm_metrics)


@api("listVolumesMetrics", response="volume", description="Lists volumes with their metrics.",
     params=[*PAGING, P("id", "the volume", entity="volume")])
def list_volumes_metrics(ctx):
    return _base(ctx, "listVolumes", lambda item: metrics.volume_metrics(ctx, item))


@api("listManagementServersMetrics", response="managementserver",
     description="Lists the management servers with the metrics of their process and machine.",
     params=[*PAGING, P("id", "the management server", entity="managementserver"),
             P("system", "include system level stats")])
def list_management_servers_metrics(ctx):
    hosts = [h for h in ctx.store.all("host") if not h.get("removed")]
    connected = [agent_lb.connected_ms_id(ctx, h) for h in hosts]
    # The simulator's login sessions (auth.Sessions keeps them in memory; read-only here).
    sessions = len(getattr(ctx.sim.sessions, "_by_id", {}))

    def decorate(item: dict) -> dict:
        return metrics.management_server_metrics(ctx, item, item, agent_count=connected.count(item["id"]),
                                                 sessions=sessions)

    return _base(ctx, "listManagementServers", decorate)


@api("listDbMetrics", response="dbMetrics", description="The metrics of the simulator's database (SQLite).")
def list_db_metrics(ctx):
    return metrics.db_metrics(ctx, agent_lb.server_facts(ctx.store).get("lastserverstart"))


@api("listUsageServerMetrics", response="usageMetrics",
     description="The usage server's state: Down (the simulator runs the usage job when generateUsageRecords asks).")
def list_usage_server_metrics(ctx):
    return metrics.usage_server_metrics(ctx)


# --- usage history ---------------------------------------------------------------------------------


def _moment(ctx, name: str) -> dt.datetime | None:
    """A date parameter as the Java parses it: "yyyy-MM-dd HH:mm:ss" or "yyyy-MM-dd" (midnight), in UTC."""
    text = (ctx.raw.get(name) or next((v for k, v in ctx.raw.items() if k.lower() == name), None) or "").strip()
    if not text:
        return None
    for pattern in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text[:19], pattern).replace(tzinfo=dt.timezone.utc)
        except ValueError:
            continue
    raise errors.invalid_value(f"Unable to parse date {text} for command {ctx.api.name}, please pass dates in "
                               "the format mentioned in the api documentation")


def _dates(ctx) -> tuple[dt.datetime | None, dt.datetime | None]:
    start, end = _moment(ctx, "startdate"), _moment(ctx, "enddate")
    if start is not None and end is not None and start > end:
        raise errors.invalid_value("startDate cannot be after endDate.")
    return start, end


def _visible(ctx):
    """Who sees whose rows: every account for the root admin, the domain subtree for domain admins (always
    recursive, as for usage), one's own account for users."""
    caller = ctx.caller
    if caller is None or caller.is_root_admin:
        return lambda row: True
    if caller.is_admin:
        def in_subtree(row: dict) -> bool:
            domain = ctx.store.get("domain", row.get("domainid"))
            return domain is not None and domain_in_subtree(domain, caller.domain)
        return in_subtree
    return lambda row: row.get("accountid") == caller.account_id


def _ids(ctx) -> set[str] | None:
    wanted = set(ctx.get("ids") or [])
    if ctx.has("id"):
        wanted.add(ctx.get("id"))
    return wanted or None


def _keyword(ctx, row: dict, name_field: str) -> bool:
    keyword = ctx.get("keyword")
    return not keyword or keyword.lower() in str(row.get(name_field) or "").lower() or row.get("state") == keyword


@api("listVirtualMachinesUsageHistory", response="virtualmachine",
     description="Lists the stats collector's samples of VMs (vm.stats.interval, vm.stats.max.retention.time).",
     params=[*PAGING, P("id", "the VM", entity=""), P("ids", "the VMs"), P("name", "part of the display name"),
             P("startdate", "samples from"), P("enddate", "samples until")])
def list_vms_usage_history(ctx):
    start, end = _dates(ctx)
    wanted, visible, name = _ids(ctx), _visible(ctx), (ctx.get("name") or "").lower()
    rows = [vm for vm in ctx.store.find("virtualmachine") if not vm.get("removed") and visible(vm)
            and (wanted is None or vm["id"] in wanted)
            and (not name or name in str(vm.get("displayname") or vm.get("name") or "").lower())
            and _keyword(ctx, vm, "displayname")]
    page = ctx.paginate(sorted(rows, key=lambda r: r.get("internalid") or 0))
    return ListResult([{"id": vm["id"], "name": vm["name"], "displayname": vm.get("displayname") or vm["name"],
                        "stats": metrics.vm_samples(ctx, vm, "virtualmachine", start, end)}
                       for vm in page.items], page.count)


@api("listSystemVmsUsageHistory", response="systemvm",
     description="Lists the stats collector's samples of system VMs and routers (not with vm.stats.user.vm.only).",
     params=[*PAGING, P("id", "the system VM", entity=""), P("ids", "the system VMs"), P("name", "its name"),
             P("startdate", "samples from"), P("enddate", "samples until")])
def list_system_vms_usage_history(ctx):
    start, end = _dates(ctx)
    wanted = _ids(ctx)
    rows = [(kind, row) for kind in ("systemvm", "router") for row in ctx.store.find(kind)
            if not row.get("removed") and (wanted is None or row["id"] in wanted)
            and (not ctx.has("name") or row.get("name") == ctx.get("name")) and _keyword(ctx, row, "name")]
    page = ctx.paginate(rows)
    return ListResult([{"id": row["id"], "name": row["name"], "displayname": row["name"],
                        "stats": metrics.vm_samples(ctx, row, kind, start, end)}
                       for kind, row in page.items], page.count)


@api("listVolumesUsageHistory", response="volume",
     description="Lists the stats collector's samples of volumes (vm.disk.stats.* settings).",
     params=[*PAGING, P("id", "the volume", entity=""), P("ids", "the volumes"), P("name", "its name"),
             P("startdate", "samples from"), P("enddate", "samples until")])
def list_volumes_usage_history(ctx):
    start, end = _dates(ctx)
    wanted, visible = _ids(ctx), _visible(ctx)
    root = ctx.caller is None or ctx.caller.is_root_admin
    rows = [v for v in ctx.store.find("volume") if not v.get("removed") and visible(v)
            and (wanted is None or v["id"] in wanted) and _keyword(ctx, v, "name")
            and (root or not v.get("virtualmachineid") or ctx.store.get("virtualmachine", v["virtualmachineid"]))]
    if ctx.has("name"):
        # VolumeDao search: an EQ condition given "%name%", so only a name with those % signs matches (as in 4.20).
        rows = [v for v in rows if v.get("name") == f"%{ctx.get('name')}%"]
    page = ctx.paginate(rows)
    return ListResult([{"id": v["id"], "name": v["name"], "stats": metrics.volume_samples(ctx, v, start, end)}
                       for v in page.items], page.count)
