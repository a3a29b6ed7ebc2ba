"""Infrastructure (mostly admin): zones, pods, clusters, hosts, storage, physical
networks, providers, public IP ranges, system VMs, routers, configuration."""
from __future__ import annotations

from marvin2.simulator.declare import PAGING, P, api, declare_object

declare_object("zone", {
    "id": "zone id", "name": "zone name", "description": "zone description", "networktype": "Basic or Advanced",
    "securitygroupsenabled": ("boolean", "security groups on"), "allocationstate": "Enabled or Disabled",
    "dns1": "first public DNS", "dns2": "second public DNS", "internaldns1": "first internal DNS",
    "internaldns2": "second internal DNS", "guestcidraddress": "guest CIDR", "domain": "network domain",
    "domainid": "dedicated to this domain", "localstorageenabled": ("boolean", "local storage usable"),
    "type": "zone type (Core or Edge)", "tags": ("list", "resource tags"),
})


def render_zone(ctx, row: dict) -> dict:
    keys = ("id", "name", "description", "networktype", "securitygroupsenabled", "allocationstate", "dns1", "dns2",
            "internaldns1", "internaldns2", "guestcidraddress", "domain", "localstorageenabled", "type", "ip6dns1", "ip6dns2")
    out = {k: row.get(k) for k in keys}
    out["zonetoken"] = row["id"][:8]
    out["hasannotations"] = False
    out["tags"] = ctx.tags_for(row["id"])
    return out


@api("listZones", response="zone", related="createZone,listZones",
     description="Lists the zones the caller may use (available ones only, for non-admins).",
     params=[*PAGING, P("id", entity="zone"), P("name"), P("domainid"), P("networktype", "Basic or Advanced"),
             P("available", "only zones the caller can deploy into"),
             P("showcapacities", "include capacity figures"), P("showicon"),
             P("tags")])
def list_zones(ctx):
    def match(row):
        if ctx.caller and not ctx.caller.is_root_admin and row.get("allocationstate") != "Enabled":
            return False
        return not ctx.has("domainid") or row.get("domainid") in (None, ctx.get("domainid"))

    return ctx.list("zone", lambda row: render_zone(ctx, row), filters={"networktype": "networktype"}, match=match,
                    owned=False)


# =====================================================================================
# Zones, pods, clusters, hosts, storage
# =====================================================================================

import ipaddress
import re

from marvin2 import wire
from marvin2.simulator import der, errors, model, tagging
from marvin2.simulator.services import common as _common
from marvin2.simulator.services.netcommon import guest_range_in_use
from marvin2.simulator.context import SUCCESS, Job, ListResult
from marvin2.simulator.services.addresses import render_vlan
from marvin2.simulator.services.hosts import render_host
from marvin2.simulator.services.routers import render_router
from marvin2.simulator.declare import ADMIN_ONLY, ADMINS, DOMAIN_ADMINS
from marvin2.simulator.services import systemvms

ALLOCATION_STATES = ("Enabled", "Disabled")

declare_object("pod", {"id": "pod id", "name": "pod name", "zoneid": "zone id", "zonename": "zone name",
                       "gateway": "gateway", "netmask": "netmask", "startip": ("list", "start of the management IP range"),
                       "endip": ("list", "end of the management IP range"), "allocationstate": "Enabled or Disabled"})
declare_object("cluster", {"id": "cluster id", "name": "cluster name", "zoneid": "zone id", "zonename": "zone name",
                           "podid": "pod id", "podname": "pod name", "hypervisortype": "hypervisor",
                           "clustertype": "CloudManaged or ExternalManaged", "allocationstate": "Enabled or Disabled",
                           "managedstate": "Managed or Unmanaged"})
declare_object("host", {"id": "host id", "name": "host name", "zoneid": "zone id", "zonename": "zone name",
                        "podid": "pod id", "podname": "pod name", "clusterid": "cluster id", "clustername": "cluster name",
                        "hypervisor": "hypervisor", "type": "Routing, SecondaryStorageVM, ...", "state": "Up, Down, ...",
                        "resourcestate": "Enabled, Disabled, Maintenance ...", "ipaddress": "IP address",
                        "cpunumber": ("integer", "CPU cores"), "cpuspeed": ("long", "MHz per core"),
                        "memorytotal": ("long", "memory in bytes"), "version": "agent version", "hosttags": "host tags",
                        "created": ("date", "when added")})
declare_object("storagepool", {"id": "pool id", "name": "pool name", "zoneid": "zone id", "zonename": "zone name",
                               "podid": "pod id", "clusterid": "cluster id", "ipaddress": "server address",
                               "path": "export path", "type": "storage type", "scope": "CLUSTER or ZONE",
                               "state": "Up, Maintenance ...", "disksizetotal": ("long", "capacity in bytes"),
                               "disksizeallocated": ("long", "allocated bytes"), "tags": "storage tags"})
declare_object("imagestore", {"id": "store id", "name": "store name", "zoneid": "zone id", "zonename": "zone name",
                              "url": "store URL", "protocol": "nfs, http ...", "providername": "NFS, S3 ...",
                              "scope": "ZONE or REGION", "readonly": ("boolean", "read-only")})


def _zone_name(ctx, zone_id: str | None) -> str | None:
    zone = ctx.store.get("zone", zone_id) if zone_id else None
    return zone["name"] if zone else None


def _name_of(ctx, kind: str, row_id: str | None) -> str | None:
    row = ctx.store.get(kind, row_id) if row_id else None
    return row["name"] if row else None


def _check_allocation(value: str | None) -> str | None:
    if value is not None and value not in ALLOCATION_STATES:
        raise errors.invalid_value(f"Invalid allocation state {value}: use Enabled or Disabled")
    return value


def _ip(text: str, what: str) -> str:
    try:
        return str(ipaddress.IPv4Address(text))
    except ValueError:
        raise errors.invalid_value(f"Please specify a valid {what}: {text} is not an IPv4 address") from None


def _existing(ctx, kind: str, what: str) -> dict:
    row = ctx.store.get(kind, ctx.get("id"))
    if row is None or row.get("removed"):
        raise errors.invalid_value(f"Unable to find {what} by id {ctx.get('id')}")
    return row


@api("createZone", response="zone", roles=ADMIN_ONLY,
     description="Creates a zone, Advanced or Basic (securitygroupenabled for security groups); it starts Disabled.",
     params=[P("name", "zone name"), P("networktype", "Basic or Advanced"),
             P("dns1", "first public DNS"), P("internaldns1", "first internal DNS"),
             P("dns2"), P("internaldns2"), P("ip6dns1"), P("ip6dns2"), P("guestcidraddress", "guest CIDR (Advanced)"),
             P("domain", "network domain"), P("domainid", "dedicate to this domain"),
             P("allocationstate", "Enabled or Disabled (default Disabled)"),
             P("securitygroupenabled", "use security groups"),
             P("localstorageenabled", "allow local storage"),
             P("isedge", "an edge zone")])
def create_zone(ctx):
    networktype = ctx.get("networktype")
    if networktype.lower() not in ("basic", "advanced"):
        raise errors.invalid_value(f"Invalid network type {networktype}: use Basic or Advanced")
    networktype = networktype.capitalize()
    if ctx.store.find_one("zone", name=ctx.get("name")):
        raise errors.invalid_value(f"A zone with name {ctx.get('name')} already exists")
    for key in ("dns1", "internaldns1", "dns2", "internaldns2"):
        if ctx.has(key):
            _ip(ctx.get(key), key)
    if ctx.has("guestcidraddress"):
        try:
            ipaddress.IPv4Network(ctx.get("guestcidraddress"), strict=False)
        except ValueError:
            raise errors.invalid_value(f"Please enter a valid guest CIDR: {ctx.get('guestcidraddress')}") from None
    row = ctx.store.insert("zone", model.zone_row(
        ctx.get("name"), networktype, securitygroupenabled=bool(ctx.get("securitygroupenabled")) or networktype == "Basic",
        allocationstate=_check_allocation(ctx.get("allocationstate")) or "Disabled", dns1=ctx.get("dns1"),
        dns2=ctx.get("dns2"), internaldns1=ctx.get("internaldns1"), internaldns2=ctx.get("internaldns2"),
        ip6dns1=ctx.get("ip6dns1"), ip6dns2=ctx.get("ip6dns2"), guestcidraddress=ctx.get("guestcidraddress"),
        domain=ctx.get("domain"), domainid=ctx.get("domainid"), type="Edge" if ctx.get("isedge") else "Core"))
    if ctx.get("localstorageenabled"):
        row = ctx.store.update("zone", row["id"], localstorageenabled=True)
    ctx.event("ZONE.CREATE", f"created zone {row['name']}")
    return render_zone(ctx, row)


@api("updateZone", response="zone", roles=ADMIN_ONLY,
     description="Changes a zone's name, DNS servers, allocation state (Enabled/Disabled) and other settings.",
     params=[P("id", entity="zone"), P("name"), P("allocationstate"), P("dns1"), P("dns2"),
             P("internaldns1"), P("internaldns2"), P("ip6dns1"), P("ip6dns2"), P("guestcidraddress"), P("domain"),
             P("details"), P("dhcpprovider"), P("dnssearchorder"), P("ispublic"),
             P("localstorageenabled"), P("sortkey")])
def update_zone(ctx):
    zone = _existing(ctx, "zone", "zone")
    changes = {k: ctx.get(k) for k in ("name", "dns1", "dns2", "internaldns1", "internaldns2", "ip6dns1", "ip6dns2",
                                       "guestcidraddress", "domain", "localstorageenabled", "sortkey", "dhcpprovider")
               if ctx.has(k)}
    if ctx.has("allocationstate"):
        changes["allocationstate"] = _check_allocation(ctx.get("allocationstate"))
    if "name" in changes and changes["name"] != zone["name"] and ctx.store.find_one("zone", name=changes["name"]):
        raise errors.invalid_value(f"A zone with name {changes['name']} already exists")
    zone = ctx.store.update("zone", zone["id"], **changes) if changes else zone
    ctx.event("ZONE.EDIT", f"updated zone {zone['name']}")
    systemvms.ensure(ctx, zone["id"])        # an enabled, complete zone gets its SSVM and CPVM
    return render_zone(ctx, zone)


@api("deleteZone", response="success", roles=ADMIN_ONLY,
     description="Deletes an empty zone (no pods, physical networks, IP ranges or storage left).",
     params=[P("id", entity="zone")])
def delete_zone(ctx):
    zone = _existing(ctx, "zone", "zone")
    for kind, what in (("pod", "pods"), ("physicalnetwork", "physical networks"), ("vlan", "public IP ranges"),
                       ("imagestore", "secondary storages"), ("storagepool", "primary storages")):
        if any(not r.get("removed") for r in ctx.store.find(kind, zoneid=zone["id"])):
            raise errors.internal_error(f"The zone {zone['name']} is not deletable because it still has {what}")
    systemvms.forget_zone(ctx.store, zone["id"])
    _forget_zone_in_templates(ctx.store, zone["id"])
    tagging.delete_tags_of(ctx.store, zone["id"])
    ctx.store.delete("zone", zone["id"])
    ctx.event("ZONE.DELETE", f"deleted zone {zone['name']}")
    return SUCCESS


def _forget_zone_in_templates(store, zone_id: str) -> None:
    """Templates and ISOs are listed once per zone they are in; a deleted zone lists none of them."""
    for template in store.all("template"):
        zones = list(template.get("zoneids") or [])
        if zone_id in zones:
            states = {z: v for z, v in (template.get("zonestate") or {}).items() if z != zone_id}
            store.update("template", template["id"], zoneids=[z for z in zones if z != zone_id], zonestate=states)


def render_pod(ctx, row: dict) -> dict:
    out = {k: row.get(k) for k in ("id", "name", "zoneid", "gateway", "netmask", "startip", "endip", "allocationstate")}
    out["zonename"] = _zone_name(ctx, row["zoneid"])
    return out


def _check_pod_range(ctx) -> None:
    for key in ("gateway", "netmask", "startip", "endip"):
        if ctx.has(key):
            _ip(ctx.get(key), key)


@api("createPod", response="pod", roles=ADMIN_ONLY,
     description="Creates a pod in a zone, with its management IP range.",
     params=[P("name", "pod name"), P("zoneid", "the zone"), P("gateway"), P("netmask"),
             P("startip", "first management IP"), P("endip", "last management IP"),
             P("allocationstate")])
def create_pod(ctx):
    zone = ctx.store.get("zone", ctx.get("zoneid"))
    _check_pod_range(ctx)
    if zone["networktype"] == "Advanced" and not (ctx.has("gateway") and ctx.has("netmask") and ctx.has("startip")):
        raise errors.invalid_value("gateway, netmask and startip are required for a pod of an Advanced zone")
    if any(p["name"] == ctx.get("name") for p in ctx.store.find("pod", zoneid=zone["id"])):
        raise errors.invalid_value(f"A pod with name {ctx.get('name')} already exists in zone {zone['name']}")
    row = model.pod_row(zone, ctx.get("name"), ctx.get("gateway"), ctx.get("netmask"), ctx.get("startip"), ctx.get("endip"))
    row["allocationstate"] = _check_allocation(ctx.get("allocationstate")) or "Enabled"
    row = ctx.store.insert("pod", row)
    ctx.event("POD.CREATE", f"created pod {row['name']}")
    return render_pod(ctx, row)


@api("listPods", response="pod", roles=ADMINS, description="Lists pods.",
     params=[*PAGING, P("id", entity="pod"), P("name"), P("zoneid"), P("allocationstate"),
             P("showcapacities")])
def list_pods(ctx):
    return ctx.list("pod", lambda r: render_pod(ctx, r), filters={"zoneid": "zoneid", "allocationstate": "allocationstate"},
                    owned=False)


@api("updatePod", response="pod", roles=ADMIN_ONLY, description="Renames a pod or changes its IP range or allocation state.",
     params=[P("id", entity="pod"), P("name"), P("gateway"), P("netmask"), P("startip"), P("endip"),
             P("allocationstate")])
def update_pod(ctx):
    pod = _existing(ctx, "pod", "pod")
    _check_pod_range(ctx)
    changes = {k: ctx.get(k) for k in ("name", "gateway", "netmask") if ctx.has(k)}
    for key in ("startip", "endip"):
        if ctx.has(key):
            changes[key] = [ctx.get(key)]
    if ctx.has("allocationstate"):
        changes["allocationstate"] = _check_allocation(ctx.get("allocationstate"))
    pod = ctx.store.update("pod", pod["id"], **changes) if changes else pod
    return render_pod(ctx, pod)


@api("deletePod", response="success", roles=ADMIN_ONLY, description="Deletes a pod that has no clusters left.",
     params=[P("id", entity="pod")])
def delete_pod(ctx):
    pod = _existing(ctx, "pod", "pod")
    if ctx.store.find("cluster", podid=pod["id"]):
        raise errors.internal_error(f"The pod {pod['name']} is not deletable because it still has clusters")
    ctx.store.delete("pod", pod["id"])
    return SUCCESS


def render_cluster(ctx, row: dict) -> dict:
    out = {k: row.get(k) for k in ("id", "name", "zoneid", "podid", "hypervisortype", "clustertype", "allocationstate",
                                    "managedstate")}
    out.update(zonename=_zone_name(ctx, row["zoneid"]), podname=_name_of(ctx, "pod", row["podid"]), cpuovercommitratio="1.0",
               memoryovercommitratio="1.0")
    return out


def _check_hypervisor(text: str) -> str:
    if text.lower() != "simulator":
        raise errors.invalid_value(f"Unable to add hypervisor type {text}: this simulator only runs the Simulator hypervisor")
    return "Simulator"


@api("addCluster", response="cluster", roles=ADMIN_ONLY,
     description="Adds a cluster of hosts of one hypervisor to a pod.",
     params=[P("clustername", "cluster name"), P("clustertype", "CloudManaged or ExternalManaged"),
             P("hypervisor", "hypervisor type (Simulator)"), P("podid", "the pod"),
             P("zoneid", "the zone"), P("allocationstate"), P("url"), P("username"), P("password"),
             P("guestvswitchname"), P("guestvswitchtype"), P("publicvswitchname"), P("publicvswitchtype"),
             P("vsmipaddress"), P("vsmusername"), P("vsmpassword"), P("ovm3cluster"), P("ovm3pool"), P("ovm3vip")])
def add_cluster(ctx):
    pod = ctx.store.get("pod", ctx.get("podid"))
    if pod["zoneid"] != ctx.get("zoneid"):
        raise errors.invalid_value(f"Pod {pod['name']} does not belong to zone {ctx.get('zoneid')}")
    hypervisor = _check_hypervisor(ctx.get("hypervisor"))
    if ctx.get("clustertype") not in ("CloudManaged", "ExternalManaged"):
        raise errors.invalid_value(f"Invalid cluster type {ctx.get('clustertype')}: use CloudManaged or ExternalManaged")
    if any(c["name"] == ctx.get("clustername") for c in ctx.store.find("cluster", podid=pod["id"])):
        raise errors.invalid_value(f"A cluster with name {ctx.get('clustername')} already exists in pod {pod['name']}")
    row = model.cluster_row(pod, ctx.get("clustername"), hypervisor)
    row.update(clustertype=ctx.get("clustertype"), allocationstate=_check_allocation(ctx.get("allocationstate")) or "Enabled")
    row = ctx.store.insert("cluster", row)
    ctx.event("CLUSTER.CREATE", f"added cluster {row['name']}")
    return ListResult([render_cluster(ctx, row)], 1)


@api("listClusters", response="cluster", roles=ADMINS, description="Lists clusters.",
     params=[*PAGING, P("id", entity="cluster"), P("name"), P("zoneid"), P("podid"),
             P("hypervisor"), P("clustertype"), P("allocationstate"), P("managedstate"), P("showcapacities")])
def list_clusters(ctx):
    return ctx.list("cluster", lambda r: render_cluster(ctx, r), owned=False,
                    filters={"zoneid": "zoneid", "podid": "podid", "hypervisor": "hypervisortype", "clustertype": "clustertype",
                             "allocationstate": "allocationstate", "managedstate": "managedstate"})


@api("updateCluster", response="cluster", roles=ADMIN_ONLY, description="Renames a cluster or changes its states.",
     params=[P("id", entity="cluster"), P("clustername"), P("clustertype"), P("hypervisor"),
             P("allocationstate"), P("managedstate")])
def update_cluster(ctx):
    cluster = _existing(ctx, "cluster", "cluster")
    changes = {}
    if ctx.has("clustername"):
        changes["name"] = ctx.get("clustername")
    if ctx.has("allocationstate"):
        changes["allocationstate"] = _check_allocation(ctx.get("allocationstate"))
    if ctx.has("managedstate"):
        changes["managedstate"] = ctx.get("managedstate")
    cluster = ctx.store.update("cluster", cluster["id"], **changes) if changes else cluster
    return render_cluster(ctx, cluster)


@api("deleteCluster", response="success", roles=ADMIN_ONLY, description="Deletes a cluster with no hosts or storage left.",
     params=[P("id", entity="cluster")])
def delete_cluster(ctx):
    cluster = _existing(ctx, "cluster", "cluster")
    if ctx.store.find("host", clusterid=cluster["id"]) or ctx.store.find("storagepool", clusterid=cluster["id"]):
        raise errors.internal_error(f"The cluster {cluster['name']} is not deletable because it still has hosts or primary storage")
    ctx.store.delete("cluster", cluster["id"])
    return SUCCESS


@api("addHost", response="host", roles=ADMIN_ONLY,
     description="Adds a hypervisor host to a cluster (Simulator hosts: URLs like http://sim/c0/h0).",
     params=[P("hypervisor", "hypervisor type (Simulator)"), P("podid", "the pod"),
             P("url", "host URL"), P("zoneid", "the zone"),
             P("clusterid", "the cluster"), P("clustername", "the cluster, by name"),
             P("username"), P("password"), P("hosttags", "host tags"), P("allocationstate")])
def add_host(ctx):
    store = ctx.store
    hypervisor = _check_hypervisor(ctx.get("hypervisor"))
    if ctx.has("clusterid"):
        cluster = store.get("cluster", ctx.get("clusterid"))
    elif ctx.has("clustername"):
        cluster = store.find_one("cluster", name=ctx.get("clustername"), podid=ctx.get("podid"))
        if cluster is None:
            raise errors.invalid_value(f"Unable to find cluster {ctx.get('clustername')} in pod {ctx.get('podid')}")
    else:
        raise errors.invalid_value("A cluster (clusterid or clustername) is required to add a Simulator host")
    if cluster["podid"] != ctx.get("podid") or cluster["zoneid"] != ctx.get("zoneid"):
        raise errors.invalid_value("The cluster does not belong to the given pod and zone")
    if cluster["hypervisortype"] != hypervisor:
        raise errors.invalid_value(f"Cannot add a {hypervisor} host to a {cluster['hypervisortype']} cluster")
    url = ctx.get("url")
    if not re.match(r"^https?://", url):
        url = "http://" + url
    # The Simulator discoverer invents a fresh agent per call, so the same URL may name hosts of several
    # clusters (upstream's advdualzone.cfg does that); within one cluster it would be the same host twice.
    if store.find_one("host", url=url, clusterid=cluster["id"]):
        raise errors.invalid_value(f"A host with URL {url} already exists in cluster {cluster['name']}")
    row = model.host_row(cluster, url, store.count("host"))
    row["hosttags"] = ",".join(ctx.get("hosttags") or []) or None
    if ctx.get("allocationstate") == "Disabled":
        row["resourcestate"] = "Disabled"
    row = store.insert("host", row)
    ctx.event("HOST.ADD", f"added host {row['name']}")
    systemvms.ensure(ctx, row["zoneid"])
    return ListResult([render_host(ctx, row)], 1)


@api("listHosts", response="host", roles=ADMINS, description="Lists hosts.",
     params=[*PAGING, P("id", entity="host"), P("name"), P("zoneid"), P("podid"),
             P("clusterid"), P("type"), P("state"), P("resourcestate"), P("hypervisor"),
             P("virtualmachineid", "the host running this VM", entity=""), P("hahost"),
             P("details"), P("outofbandmanagementenabled"), P("outofbandmanagementpowerstate")])
def list_hosts(ctx):
    match = None
    if ctx.has("virtualmachineid"):
        vm = ctx.store.get("virtualmachine", ctx.get("virtualmachineid")) or {}
        match = lambda row: row["id"] == vm.get("hostid")
    return ctx.list("host", lambda r: render_host(ctx, r), owned=False, match=match,
                    filters={"zoneid": "zoneid", "podid": "podid", "clusterid": "clusterid", "type": "type", "state": "state",
                             "resourcestate": "resourcestate", "hypervisor": "hypervisor"})


@api("updateHost", response="host", roles=ADMIN_ONLY, description="Renames a host, changes its tags or enables/disables it.",
     params=[P("id", entity="host"), P("name"), P("allocationstate", "Enable or Disable"),
             P("hosttags"), P("oscategoryid", entity="oscategory"), P("annotation"), P("url")])
def update_host(ctx):
    host = _existing(ctx, "host", "host")
    changes = {}
    if ctx.has("name"):
        changes["name"] = ctx.get("name")
    if ctx.has("hosttags"):
        changes["hosttags"] = ",".join(ctx.get("hosttags"))
    if ctx.has("allocationstate"):
        state = ctx.get("allocationstate")
        if state not in ("Enable", "Disable"):
            raise errors.invalid_value(f"Invalid allocation state {state}: use Enable or Disable")
        changes["resourcestate"] = "Enabled" if state == "Enable" else "Disabled"
    host = ctx.store.update("host", host["id"], **changes) if changes else host
    return render_host(ctx, host)


@api("deleteHost", response="success", roles=ADMIN_ONLY, description="Removes a host (forced=true even with VMs on it).",
     params=[P("id", entity="host"), P("forced"), P("forcedestroylocalstorage")])
def delete_host(ctx):
    host = _existing(ctx, "host", "host")
    running = [vm for vm in ctx.store.find("virtualmachine", hostid=host["id"]) if vm.get("state") not in ("Expunging", "Destroyed")]
    if running and not ctx.get("forced"):
        raise errors.resource_in_use(f"Host {host['name']} still has {len(running)} VM(s); use forced=true")
    ctx.store.delete("host", host["id"])
    return SUCCESS


def render_pool(ctx, row: dict) -> dict:
    out = {k: row.get(k) for k in ("id", "name", "zoneid", "podid", "clusterid", "ipaddress", "path", "type", "scope",
                                    "state", "disksizetotal", "disksizeallocated", "disksizeused", "tags", "hypervisor",
                                    "created", "provider")}
    out.update(zonename=_zone_name(ctx, row["zoneid"]), podname=_name_of(ctx, "pod", row.get("podid")),
               clustername=_name_of(ctx, "cluster", row.get("clusterid")), overprovisionfactor="2.0",
               provider=row.get("provider") or "DefaultPrimary", managed=False, hasannotations=False)
    return out


@api("createStoragePool", response="storagepool", roles=ADMIN_ONLY,
     description="Adds primary storage to a cluster (scope CLUSTER, the default) or a whole zone (scope ZONE).",
     params=[P("name", "pool name"), P("url", "e.g. nfs://server/path"),
             P("zoneid", "the zone"), P("podid"), P("clusterid"),
             P("scope", "CLUSTER or ZONE"), P("hypervisor"), P("tags", "storage tags"),
             P("provider"), P("managed"), P("capacitybytes"), P("capacityiops"),
             P("details")])
def create_storage_pool(ctx):
    store = ctx.store
    scope = (ctx.get("scope") or ("CLUSTER" if ctx.has("clusterid") else "ZONE")).upper()
    if scope not in ("CLUSTER", "ZONE", "HOST"):
        raise errors.invalid_value(f"Invalid scope {scope}: use CLUSTER or ZONE")
    if not re.match(r"^[a-zA-Z0-9+]+://", ctx.get("url")):
        raise errors.invalid_value(f"{ctx.get('url')} is not a valid storage URL (expected e.g. nfs://server/path)")
    zone = store.get("zone", ctx.get("zoneid"))
    if scope == "CLUSTER":
        if not (ctx.has("clusterid") and ctx.has("podid")):
            raise errors.invalid_value("podid and clusterid are required for a CLUSTER-scope primary storage")
        cluster = store.get("cluster", ctx.get("clusterid"))
        if cluster["podid"] != ctx.get("podid"):
            raise errors.invalid_value("The cluster does not belong to the given pod")
    else:
        cluster = {"zoneid": zone["id"]}
    if store.find_one("storagepool", name=ctx.get("name"), zoneid=zone["id"]):
        raise errors.invalid_value(f"A storage pool named {ctx.get('name')} already exists in zone {zone['name']}")
    row = model.storagepool_row(cluster, ctx.get("name"), ctx.get("url"), scope=scope)
    row.update(tags=ctx.get("tags"), provider=ctx.get("provider"))
    if ctx.has("capacitybytes"):
        row["disksizetotal"] = ctx.get("capacitybytes")
    row = store.insert("storagepool", row)
    ctx.event("STORAGE.POOL.CREATE", f"created primary storage {row['name']}")
    systemvms.ensure(ctx, row["zoneid"])
    return render_pool(ctx, row)


@api("listStoragePools", response="storagepool", roles=ADMINS, description="Lists primary storage pools.",
     params=[*PAGING, P("id", entity="storagepool"), P("name"), P("zoneid"), P("podid"),
             P("clusterid"), P("ipaddress"), P("path"), P("scope")])
def list_storage_pools(ctx):
    return ctx.list("storagepool", lambda r: render_pool(ctx, r), owned=False,
                    filters={"zoneid": "zoneid", "podid": "podid", "clusterid": "clusterid", "ipaddress": "ipaddress",
                             "path": "path", "scope": "scope"})


@api("deleteStoragePool", response="success", roles=ADMIN_ONLY, description="Removes a primary storage pool without volumes.",
     params=[P("id", entity="storagepool"), P("forced")])
def delete_storage_pool(ctx):
    pool = _existing(ctx, "storagepool", "storage pool")
    volumes = [v for v in ctx.store.find("volume", storageid=pool["id"]) if not v.get("removed")]
    if volumes and not ctx.get("forced"):
        raise errors.resource_in_use(f"Cannot delete pool {pool['name']} as there are associated non-destroyed volumes")
    ctx.store.delete("storagepool", pool["id"])
    return SUCCESS


def render_image_store(ctx, row: dict) -> dict:
    out = {k: row.get(k) for k in ("id", "name", "zoneid", "url", "protocol", "providername", "scope", "readonly")}
    out["zonename"] = _zone_name(ctx, row.get("zoneid"))
    return out


@api("addImageStore", response="imagestore", roles=ADMIN_ONLY,
     description="Adds secondary storage (NFS) to a zone.",
     params=[P("provider", "NFS (or S3, Swift)"), P("url", "e.g. nfs://server/path"),
             P("zoneid"), P("name"), P("details")])
def add_image_store(ctx):
    if ctx.get("provider").upper() not in ("NFS", "S3", "SWIFT", "SMB"):
        raise errors.invalid_value(f"Invalid image store provider {ctx.get('provider')}")
    url = ctx.get("url") or ""
    if ctx.get("provider").upper() == "NFS" and not url.startswith("nfs://"):
        raise errors.invalid_value(f"Invalid NFS URL {url or '(none)'}: expected nfs://server/path")
    zone = ctx.store.get("zone", ctx.get("zoneid")) if ctx.has("zoneid") else None
    row = ctx.store.insert("imagestore", model.imagestore_row(zone, ctx.get("name") or url, url, ctx.get("provider")))
    zones = [zone] if zone is not None else ctx.store.all("zone")     # no zone: a region-wide store
    for each in zones:
        # The zone's SSVM copies the built-in templates to the new store (now, if it is running already).
        if systemvms.live_system_vms(ctx.store, each["id"], systemvms.SSVM):
            if any(vm["state"] == "Running" for vm in systemvms.live_system_vms(ctx.store, each["id"], systemvms.SSVM)):
                systemvms.copy_cross_zone_templates(ctx.store, each["id"])
        else:
            systemvms.ensure(ctx, each["id"])
    ctx.event("IMAGE.STORE.ADD", f"added secondary storage {row['name']}")
    return render_image_store(ctx, row)


@api("listImageStores", response="imagestore", roles=ADMINS, description="Lists secondary storage.",
     params=[*PAGING, P("id", entity="imagestore"), P("name"), P("zoneid"), P("protocol"), P("provider"),
             P("readonly")])
def list_image_stores(ctx):
    return ctx.list("imagestore", lambda r: render_image_store(ctx, r), owned=False,
                    filters={"zoneid": "zoneid", "protocol": "protocol", "provider": "providername", "readonly": "readonly"})


@api("deleteImageStore", response="success", roles=ADMIN_ONLY, description="Removes a secondary storage.",
     params=[P("id", entity="imagestore")])
def delete_image_store(ctx):
    store_row = _existing(ctx, "imagestore", "image store")
    ctx.store.delete("imagestore", store_row["id"])
    return SUCCESS


# =====================================================================================
# Physical networks, traffic types, providers, public IP ranges
# =====================================================================================

declare_object("physicalnetwork", {"id": "physical network id", "name": "name", "zoneid": "zone id", "zonename": "zone name",
                                   "state": "Enabled or Disabled", "isolationmethods": "VLAN, L3, GRE ...",
                                   "vlan": "guest VLAN range", "broadcastdomainrange": "ZONE or POD", "tags": "tags",
                                   "networkspeed": "speed", "domainid": "dedicated domain"})
declare_object("traffictype", {"id": "traffic type id", "physicalnetworkid": "physical network", "traffictype": "Guest, Public, Management or Storage",
                               "kvmnetworklabel": "KVM label", "xennetworklabel": "XenServer label", "vmwarenetworklabel": "VMware label",
                               "hypervnetworklabel": "Hyper-V label", "ovm3networklabel": "OVM3 label", "isolationmethods": "isolation"})
declare_object("networkserviceprovider", {"id": "provider id", "name": "provider name", "physicalnetworkid": "physical network",
                                          "state": "Enabled, Disabled or Shutdown", "servicelist": ("list", "services offered"),
                                          "destinationphysicalnetworkid": "destination physical network",
                                          "canenableindividualservice": ("boolean", "services can be switched one by one")})
declare_object("virtualrouterelement", {"id": "element id", "nspid": "its provider", "enabled": ("boolean", "enabled"),
                                        "account": "owner", "domainid": "owner domain", "domain": "owner domain name"})
declare_object("internalloadbalancerelement", {"id": "element id", "nspid": "its provider", "enabled": ("boolean", "enabled")})
declare_object("vlan", {"id": "range id", "zoneid": "zone id", "podid": "pod id", "podname": "pod name",
                        "physicalnetworkid": "physical network", "networkid": "guest network of a shared range",
                        "vlan": "VLAN", "startip": "first address", "endip": "last address", "gateway": "gateway",
                        "netmask": "netmask", "forvirtualnetwork": ("boolean", "public range (true) or guest range"),
                        "forsystemvms": ("boolean", "reserved for system VMs"), "account": "dedicated account",
                        "domainid": "dedicated domain", "domain": "dedicated domain name"})


def render_physnet(ctx, row: dict) -> dict:
    out = {k: row.get(k) for k in ("id", "name", "zoneid", "state", "isolationmethods", "vlan", "broadcastdomainrange",
                                    "tags", "networkspeed", "domainid")}
    out["zonename"] = _zone_name(ctx, row["zoneid"])
    return out


def _physnet_async(ctx, row_id: str, render):
    return Job(lambda jctx: render(jctx, jctx.store.get(render.kind, row_id)), instance_id=row_id)


@api("createPhysicalNetwork", response="physicalnetwork", roles=ADMIN_ONLY, instance_type="PhysicalNetwork",
     description="Creates a physical network in a zone (Disabled until updated to Enabled), with its default providers.",
     params=[P("name", "name"), P("zoneid", "the zone"),
             P("isolationmethods", "VLAN, L3, GRE, VXLAN ..."), P("vlan", "guest VLAN range, e.g. 100-200"),
             P("broadcastdomainrange", "ZONE or POD"), P("tags"), P("networkspeed"),
             P("domainid", "dedicate to this domain")])
def create_physical_network(ctx):
    zone = ctx.store.get("zone", ctx.get("zoneid"))
    vlan = ctx.get("vlan")
    if vlan and not re.match(r"^\d+(-\d+)?(,\d+(-\d+)?)*$", vlan):
        raise errors.invalid_value(f"Invalid VLAN range {vlan}: expected e.g. 100-200")
    row = ctx.store.insert("physicalnetwork", model.physicalnetwork_row(
        zone, ctx.get("name"), state="Disabled", isolationmethods=",".join(ctx.get("isolationmethods") or ["VLAN"]),
        vlan=vlan, tags=",".join(ctx.get("tags") or []) or None, networkspeed=ctx.get("networkspeed"),
        domainid=ctx.get("domainid"), broadcastdomainrange=(ctx.get("broadcastdomainrange") or "ZONE").upper()))
    for name in model.DEFAULT_PROVIDERS:
        model.add_provider(ctx.store, row, name, "Enabled" if name in ("ConfigDrive", "SecurityGroupProvider") else "Disabled")
    ctx.event("PHYSICAL.NETWORK.CREATE", f"created physical network {row['name']}")
    return Job(lambda jctx: render_physnet(jctx, jctx.store.get("physicalnetwork", row["id"])), entity_id=row["id"])


@api("listPhysicalNetworks", response="physicalnetwork", roles=ADMINS, description="Lists physical networks.",
     params=[*PAGING, P("id", entity="physicalnetwork"), P("name"), P("zoneid")])
def list_physical_networks(ctx):
    return ctx.list("physicalnetwork", lambda r: render_physnet(ctx, r), owned=False, filters={"zoneid": "zoneid"})


@api("updatePhysicalNetwork", response="physicalnetwork", roles=ADMIN_ONLY, instance_type="PhysicalNetwork",
     description="Enables/disables a physical network or changes its VLAN range, tags or speed.",
     params=[P("id", entity="physicalnetwork"), P("state", "Enabled or Disabled"), P("vlan"),
             P("tags"), P("networkspeed")])
def update_physical_network(ctx):
    row = _existing(ctx, "physicalnetwork", "physical network")
    changes = {}
    if ctx.has("state"):
        if ctx.get("state") not in ("Enabled", "Disabled"):
            raise errors.invalid_value(f"Invalid state {ctx.get('state')}: use Enabled or Disabled")
        changes["state"] = ctx.get("state")
    if ctx.has("vlan"):
        changes["vlan"] = ctx.get("vlan")
    if ctx.has("tags"):
        changes["tags"] = ",".join(ctx.get("tags"))
    if ctx.has("networkspeed"):
        changes["networkspeed"] = ctx.get("networkspeed")

    def run(jctx):
        updated = jctx.store.update("physicalnetwork", row["id"], **changes) if changes else row
        return render_physnet(jctx, updated)

    return Job(run, instance_id=row["id"])


@api("deletePhysicalNetwork", response="success", roles=ADMIN_ONLY, instance_type="PhysicalNetwork",
     description="Deletes a physical network (and its traffic types and providers).",
     params=[P("id", entity="physicalnetwork")])
def delete_physical_network(ctx):
    row = _existing(ctx, "physicalnetwork", "physical network")
    in_use = [n for n in ctx.store.find("network", physicalnetworkid=row["id"]) if not n.get("removed")]
    if in_use:
        raise errors.resource_in_use(f"Unable to remove the physical network {row['name']}: {len(in_use)} guest network(s) use it")

    def run(jctx):
        store = jctx.store
        for kind in ("traffictype", "networkserviceprovider", "virtualrouterelement", "internallbelement"):
            store.delete_where(kind, physicalnetworkid=row["id"])
        store.delete("physicalnetwork", row["id"])
        return SUCCESS

    return Job(run, instance_id=row["id"])


TRAFFIC_TYPES = ("Guest", "Public", "Management", "Storage")
LABEL_FIELDS = ("kvmnetworklabel", "xennetworklabel", "vmwarenetworklabel", "hypervnetworklabel", "ovm3networklabel")


def render_traffic(ctx, row: dict) -> dict:
    return {k: row.get(k) for k in ("id", "physicalnetworkid", "traffictype", "isolationmethods", "vlan", *LABEL_FIELDS)}


@api("addTrafficType", response="traffictype", roles=ADMIN_ONLY, instance_type="TrafficType",
     description="Carries a traffic type (Guest, Public, Management, Storage) on a physical network.",
     params=[P("physicalnetworkid", "the physical network"), P("traffictype", "the traffic type"),
             P("isolationmethod"), P("vlan"), *(P(label) for label in LABEL_FIELDS)])
def add_traffic_type(ctx):
    traffic = ctx.get("traffictype").capitalize()
    if traffic not in TRAFFIC_TYPES:
        raise errors.invalid_value(f"Invalid traffic type {ctx.get('traffictype')}: use one of {', '.join(TRAFFIC_TYPES)}")
    if ctx.store.find_one("traffictype", physicalnetworkid=ctx.get("physicalnetworkid"), traffictype=traffic):
        raise errors.invalid_value(f"The traffic type {traffic} is already on this physical network")
    row = ctx.store.insert("traffictype", {"physicalnetworkid": ctx.get("physicalnetworkid"), "traffictype": traffic,
                                           "vlan": ctx.get("vlan"), "isolationmethods": ctx.get("isolationmethod"),
                                           **{label: ctx.get(label) for label in LABEL_FIELDS}})
    return Job(lambda jctx: render_traffic(jctx, jctx.store.get("traffictype", row["id"])), entity_id=row["id"])


@api("listTrafficTypes", response="traffictype", roles=ADMINS, description="Lists the traffic types of a physical network.",
     params=[*PAGING, P("physicalnetworkid", "the physical network")])
def list_traffic_types(ctx):
    return ctx.list("traffictype", lambda r: render_traffic(ctx, r), owned=False,
                    filters={"physicalnetworkid": "physicalnetworkid"}, keyword_fields=("traffictype",))


@api("updateTrafficType", response="traffictype", roles=ADMIN_ONLY, instance_type="TrafficType",
     description="Changes the hypervisor network labels of a traffic type.",
     params=[P("id", entity="traffictype"), *(P(label) for label in LABEL_FIELDS)])
def update_traffic_type(ctx):
    row = _existing(ctx, "traffictype", "traffic type")
    changes = {label: ctx.get(label) for label in LABEL_FIELDS if ctx.has(label)}
    return Job(lambda jctx: render_traffic(jctx, jctx.store.update("traffictype", row["id"], **changes) if changes else row),
               instance_id=row["id"])


@api("deleteTrafficType", response="success", roles=ADMIN_ONLY, instance_type="TrafficType",
     description="Removes a traffic type from a physical network.",
     params=[P("id", entity="traffictype")])
def delete_traffic_type(ctx):
    row = _existing(ctx, "traffictype", "traffic type")

    def run(jctx):
        jctx.store.delete("traffictype", row["id"])
        return SUCCESS

    return Job(run, instance_id=row["id"])


def render_provider(ctx, row: dict) -> dict:
    return {k: row.get(k) for k in ("id", "name", "physicalnetworkid", "state", "servicelist", "destinationphysicalnetworkid",
                                    "canenableindividualservice")}


@api("listNetworkServiceProviders", response="networkserviceprovider", roles=ADMINS,
     description="Lists the network service providers of physical networks.",
     params=[*PAGING, P("name"), P("physicalnetworkid"), P("state")])
def list_network_service_providers(ctx):
    return ctx.list("networkserviceprovider", lambda r: render_provider(ctx, r), owned=False,
                    filters={"physicalnetworkid": "physicalnetworkid", "state": "state"})


@api("addNetworkServiceProvider", response="networkserviceprovider", roles=ADMIN_ONLY,
     instance_type="PhysicalNetworkServiceProvider",
     description="Adds a network service provider (VirtualRouter, ...) to a physical network, Disabled.",
     params=[P("name", "provider name"), P("physicalnetworkid", "the physical network"),
             P("destinationphysicalnetworkid", entity="physicalnetwork"), P("servicelist")])
def add_network_service_provider(ctx):
    physnet = ctx.store.get("physicalnetwork", ctx.get("physicalnetworkid"))
    if ctx.store.find_one("networkserviceprovider", physicalnetworkid=physnet["id"], name=ctx.get("name")):
        raise errors.invalid_value(f"The provider {ctx.get('name')} is already on physical network {physnet['name']}")
    row = model.add_provider(ctx.store, physnet, ctx.get("name"))
    if ctx.has("servicelist"):
        row = ctx.store.update("networkserviceprovider", row["id"], servicelist=ctx.get("servicelist"))
    return Job(lambda jctx: render_provider(jctx, jctx.store.get("networkserviceprovider", row["id"])), entity_id=row["id"])


@api("updateNetworkServiceProvider", response="networkserviceprovider", roles=ADMIN_ONLY,
     instance_type="PhysicalNetworkServiceProvider",
     description="Enables, disables or shuts down a network service provider, or changes its services.",
     params=[P("id", entity="networkserviceprovider"), P("state", "Enabled, Disabled or Shutdown"),
             P("servicelist")])
def update_network_service_provider(ctx):
    row = _existing(ctx, "networkserviceprovider", "network service provider")
    changes = {}
    if ctx.has("state"):
        if ctx.get("state") not in ("Enabled", "Disabled", "Shutdown"):
            raise errors.invalid_value(f"Invalid state {ctx.get('state')}: use Enabled, Disabled or Shutdown")
        kind = model.ELEMENT_KINDS.get(row["name"])
        if ctx.get("state") == "Enabled" and kind:
            element = ctx.store.find_one(kind, nspid=row["id"])
            if element is not None and not element.get("enabled"):
                raise errors.invalid_value(f"Provider {row['name']} is not ready: configure (enable) its element first")
        changes["state"] = ctx.get("state")
    if ctx.has("servicelist"):
        changes["servicelist"] = ctx.get("servicelist")
    return Job(lambda jctx: render_provider(jctx, jctx.store.update("networkserviceprovider", row["id"], **changes)
                                            if changes else row), instance_id=row["id"])


@api("deleteNetworkServiceProvider", response="success", roles=ADMIN_ONLY,
     instance_type="PhysicalNetworkServiceProvider", description="Removes a network service provider.",
     params=[P("id", entity="networkserviceprovider")])
def delete_network_service_provider(ctx):
    row = _existing(ctx, "networkserviceprovider", "network service provider")

    def run(jctx):
        for kind in ("virtualrouterelement", "internallbelement"):
            jctx.store.delete_where(kind, nspid=row["id"])
        jctx.store.delete("networkserviceprovider", row["id"])
        return SUCCESS

    return Job(run, instance_id=row["id"])


def render_element(ctx, row: dict) -> dict:
    return {"id": row["id"], "nspid": row["nspid"], "enabled": bool(row.get("enabled"))}


def _elements(ctx, kind: str):
    def match(row):
        return ((not ctx.has("nspid") or row["nspid"] == ctx.get("nspid"))
                and (not ctx.has("enabled") or bool(row.get("enabled")) == ctx.get("enabled")))

    return ctx.list(kind, lambda r: render_element(ctx, r), owned=False, match=match)


def _configure_element(ctx, kind: str):
    row = ctx.store.get(kind, ctx.get("id"))
    enabled = ctx.get("enabled")
    return Job(lambda jctx: render_element(jctx, jctx.store.update(kind, row["id"], enabled=enabled)), instance_id=row["id"])


@api("listVirtualRouterElements", response="virtualrouterelement", roles=ADMIN_ONLY,
     description="Lists the virtual router elements (one per VirtualRouter/VpcVirtualRouter provider).",
     params=[*PAGING, P("id", entity="virtualrouterelement"), P("nspid", entity="networkserviceprovider"),
             P("enabled")])
def list_virtual_router_elements(ctx):
    return _elements(ctx, "virtualrouterelement")


@api("configureVirtualRouterElement", response="virtualrouterelement", roles=ADMIN_ONLY,
     instance_type="None", description="Enables or disables a virtual router element.",
     params=[P("id", entity="virtualrouterelement"), P("enabled", "true to enable")])
def configure_virtual_router_element(ctx):
    return _configure_element(ctx, "virtualrouterelement")


@api("listInternalLoadBalancerElements", response="internalloadbalancerelement", roles=ADMIN_ONLY,
     description="Lists the internal load balancer elements (one per InternalLbVm provider).",
     params=[*PAGING, P("id", entity="internallbelement"), P("nspid", entity="networkserviceprovider"),
             P("enabled")])
def list_internal_lb_elements(ctx):
    return _elements(ctx, "internallbelement")


@api("configureInternalLoadBalancerElement", response="internalloadbalancerelement", roles=ADMIN_ONLY,
     instance_type="None", description="Enables or disables an internal load balancer element.",
     params=[P("id", entity="internallbelement"), P("enabled", "true to enable")])
def configure_internal_lb_element(ctx):
    return _configure_element(ctx, "internallbelement")


def _overlaps(store, zone_id: str, start: str, end: str) -> dict | None:
    low, high = int(ipaddress.IPv4Address(start)), int(ipaddress.IPv4Address(end))
    for other in store.find("vlan", zoneid=zone_id):
        if int(ipaddress.IPv4Address(other["startip"])) <= high and low <= int(ipaddress.IPv4Address(other["endip"])):
            return other
    return None


@api("createVlanIpRange", response="vlan", roles=ADMIN_ONLY,
     description="Adds a public IP range to a zone (or a guest range to a shared network), optionally dedicated to an account.",
     params=[P("zoneid"), P("podid"), P("physicalnetworkid"), P("networkid", entity="network"),
             P("startip"), P("endip"), P("gateway"), P("netmask"), P("vlan", "VLAN id, vlan://id or untagged"),
             P("forvirtualnetwork", "true for a public range"), P("forsystemvms"),
             P("account", "dedicate to this account"), P("domainid"), P("projectid", entity="project"),
             P("startipv6"), P("endipv6"), P("ip6gateway"), P("ip6cidr")])
def create_vlan_ip_range(ctx):
    store = ctx.store
    network = store.get("network", ctx.get("networkid")) if ctx.has("networkid") else None
    zone_id = ctx.get("zoneid") or (network or {}).get("zoneid")
    if not zone_id:
        raise errors.invalid_value("Please specify a zone (zoneid) or a network (networkid) for the IP range")
    zone = store.get("zone", zone_id)
    if not ctx.has("startip"):
        raise errors.invalid_value("Please specify a start IP (startip) for the range")
    start = _ip(ctx.get("startip"), "start IP")
    end = _ip(ctx.get("endip") or start, "end IP")
    gateway = ctx.get("gateway") or (network or {}).get("gateway")
    netmask = ctx.get("netmask") or (network or {}).get("netmask")
    if not gateway or not netmask:
        raise errors.invalid_value("Gateway and netmask are required for an IP range")
    _ip(gateway, "gateway")
    _ip(netmask, "netmask")
    if ipaddress.IPv4Address(end) < ipaddress.IPv4Address(start):
        raise errors.invalid_value(f"Please specify a valid IP range: the end IP {end} is before the start IP {start}")
    clash = _overlaps(store, zone["id"], start, end)
    if clash:
        raise errors.invalid_value(f"The IP range {start}-{end} overlaps with the existing range "
                                   f"{clash['startip']}-{clash['endip']} of zone {zone['name']}")
    physnet_id = ctx.get("physicalnetworkid") or (network or {}).get("physicalnetworkid")
    if physnet_id is None:
        first = store.find_one("physicalnetwork", zoneid=zone["id"])
        physnet_id = first["id"] if first else None
    owner = {}
    if ctx.has("account"):
        owner_account = ctx.resolve_owner()
        owner = {"accountid": owner_account["id"], "domainid": owner_account["domainid"]}
    elif ctx.has("domainid"):
        owner = {"domainid": ctx.get("domainid")}
    for_virtual = ctx.get("forvirtualnetwork")
    if for_virtual is None:
        for_virtual = network is None and zone["networktype"] == "Advanced"
    physnet = store.get("physicalnetwork", physnet_id) if physnet_id else None
    try:
        row = model.vlan_row(zone, physnet, start, end, gateway, netmask, ctx.get("vlan"), forvirtualnetwork=bool(for_virtual),
                             podid=ctx.get("podid"), networkid=network["id"] if network else None, **owner)
        row["forsystemvms"] = bool(ctx.get("forsystemvms"))
        model.ip_addresses(start, end)
    except ValueError as exc:
        raise errors.invalid_value(str(exc)) from None
    row = store.insert("vlan", row)
    model.add_public_ips(store, row)
    ctx.event("VLAN.IP.RANGE.CREATE", f"created IP range {start}-{end}")
    return render_vlan(ctx, row)


@api("listVlanIpRanges", response="vlaniprange", roles=ADMIN_ONLY, description="Lists public and guest IP ranges.",
     params=[*PAGING, P("id", entity="vlan"), P("zoneid"), P("podid"), P("physicalnetworkid"),
             P("networkid", entity="network"), P("vlan"), P("forvirtualnetwork"), P("account"),
             P("domainid"), P("projectid", entity="project")])
def list_vlan_ip_ranges(ctx):
    def match(row):
        if ctx.has("vlan") and row.get("vlan") not in (ctx.get("vlan"), f"vlan://{ctx.get('vlan')}"):
            return False
        if ctx.has("account"):
            account = ctx.store.find_one("account", name=ctx.get("account"), domainid=ctx.get("domainid") or ctx.caller.domain_id)
            return bool(account) and row.get("accountid") == account["id"]
        return not ctx.has("domainid") or row.get("domainid") == ctx.get("domainid")

    return ctx.list("vlan", lambda r: render_vlan(ctx, r), owned=False, match=match,
                    filters={"zoneid": "zoneid", "podid": "podid", "physicalnetworkid": "physicalnetworkid",
                             "networkid": "networkid", "forvirtualnetwork": "forvirtualnetwork"})


@api("deleteVlanIpRange", response="success", roles=ADMIN_ONLY, description="Deletes an IP range none of whose addresses is in use.",
     params=[P("id", entity="vlan")])
def delete_vlan_ip_range(ctx):
    row = ctx.store.get("vlan", ctx.get("id"))
    # A guest range (shared network, Basic zone pod) whose addresses NICs hold: 431 with CloudStack's text
    # (two spaces and all) from ConfigurationManagerImpl.deleteVlanAndPublicIpRange.
    guests = guest_range_in_use(ctx.store, row)
    if guests:
        raise errors.invalid_value(f"{guests}  Ips are in use. Cannot delete this vlan")
    used = [ip for ip in ctx.store.find("publicipaddress", vlanid=row["id"]) if ip["state"] != "Free"]
    if used:
        raise errors.resource_in_use(f"The IP range {row['startip']}-{row['endip']} cannot be deleted: "
                                     f"{len(used)} of its addresses are in use (e.g. {used[0]['ipaddress']})")
    ctx.store.delete_where("publicipaddress", vlanid=row["id"])
    ctx.store.delete("vlan", row["id"])
    ctx.event("VLAN.IP.RANGE.DELETE", f"deleted IP range {row['startip']}-{row['endip']}")
    return SUCCESS


# =====================================================================================
# System VMs and routers
# =====================================================================================

declare_object("systemvm", {"id": "system VM id", "name": "name", "systemvmtype": "secondarystoragevm or consoleproxy",
                            "zoneid": "zone id", "zonename": "zone name", "podid": "pod id", "hostid": "host id",
                            "hostname": "host name", "state": "Starting, Running, Stopping, Stopped, Destroyed",
                            "privateip": "private IP", "publicip": "public IP", "linklocalip": "link-local IP",
                            "created": ("date", "creation"), "activeviewersessions": ("integer", "console sessions"),
                            "hypervisor": "hypervisor"})
declare_object("router", {"id": "router id", "name": "name", "zoneid": "zone id", "zonename": "zone name", "podid": "pod id",
                          "hostid": "host id", "hostname": "host name", "state": "Running, Stopped ...",
                          "account": "owner account", "domainid": "owner domain", "domain": "owner domain name",
                          "guestnetworkid": "guest network", "vpcid": "VPC", "publicip": "public IP",
                          "guestipaddress": "guest IP", "role": "VIRTUAL_ROUTER or INTERNAL_LB_VM",
                          "isredundantrouter": ("boolean", "redundant"), "redundantstate": "PRIMARY, BACKUP or UNKNOWN",
                          "version": "template version", "requiresupgrade": ("boolean", "needs upgrade"),
                          "created": ("date", "creation")})


def _public_gateway(ctx, row: dict) -> tuple[str | None, str | None]:
    """(gateway, netmask) of the public range the system VM's public IP comes from."""
    address = ctx.store.get("publicipaddress", row["publicipid"]) if row.get("publicipid") else None
    vlan = ctx.store.get("vlan", address["vlanid"]) if address and address.get("vlanid") else None
    return (vlan.get("gateway"), vlan.get("netmask")) if vlan else (None, None)


def render_systemvm(ctx, row: dict) -> dict:
    out = {k: row.get(k) for k in ("id", "name", "systemvmtype", "zoneid", "podid", "hostid", "state", "privateip",
                                    "publicip", "linklocalip", "created", "activeviewersessions", "hypervisor")}
    zone = ctx.store.get("zone", row["zoneid"]) or {}
    gateway, netmask = _public_gateway(ctx, row)
    agent = next(iter(ctx.store.find("host", systemvmid=row["id"])), None)
    out.update(zonename=zone.get("name"), hostname=_name_of(ctx, "host", row.get("hostid")),
               podname=_name_of(ctx, "pod", row.get("podid")), dns1=zone.get("dns1"), dns2=zone.get("dns2"),
               gateway=gateway, publicnetmask=netmask, isdynamicallyscalable=False,
               agentstate=agent["state"] if agent else None)
    return out


@api("listSystemVms", response="systemvm", roles=ADMINS, description="Lists the secondary storage and console proxy VMs.",
     params=[*PAGING, P("id", entity="systemvm"), P("name"), P("zoneid"), P("podid"),
             P("hostid"), P("state"), P("systemvmtype", "secondarystoragevm or consoleproxy"),
             P("storageid")])
def list_system_vms(ctx):
    return ctx.list("systemvm", lambda r: render_systemvm(ctx, r), owned=False,
                    filters={"zoneid": "zoneid", "podid": "podid", "hostid": "hostid", "state": "state",
                             "systemvmtype": "systemvmtype"})


def _systemvm_transition(ctx, *, allowed_from: tuple[str, ...], middle: str, final: str, event: str):
    row = _existing(ctx, "systemvm", "system VM")
    if row["state"] not in allowed_from:
        raise errors.invalid_value(f"System VM {row['name']} is {row['state']}; this needs it {' or '.join(allowed_from)}")
    ctx.store.update("systemvm", row["id"], state=middle)

    def run(jctx):
        changes = {"state": final}
        if final == "Running" and not row.get("hostid"):
            hosts = systemvms.routing_hosts(jctx.store, row["zoneid"])
            changes["hostid"] = hosts[0]["id"] if hosts else None
        if final == "Stopped":
            changes["hostid"] = None
        updated = jctx.store.update("systemvm", row["id"], **changes)
        if final == "Running":
            systemvms.connect_agent(jctx.store, updated)
        elif final == "Stopped":
            systemvms.disconnect_agent(jctx.store, updated)
        elif final == "Destroyed":
            updated = jctx.store.update("systemvm", row["id"], removed=wire.now_text())
            systemvms.disconnect_agent(jctx.store, updated, removed=True)
            systemvms.release_public_ip(jctx.store, updated)
            systemvms.recreate_now(jctx, row["zoneid"])      # a real cloud re-creates a destroyed SSVM/CPVM
        jctx.event(event, f"{event.split('.')[-1].lower()} system VM {row['name']}")
        return render_systemvm(jctx, updated)

    def failed(jctx, error):
        jctx.store.update("systemvm", row["id"], state=row["state"])

    return Job(run, instance_id=row["id"], on_failure=failed)


@api("startSystemVm", response="systemvm", roles=ADMIN_ONLY, instance_type="SystemVm",
     description="Starts a stopped system VM.", params=[P("id", entity="systemvm")])
def start_system_vm(ctx):
    return _systemvm_transition(ctx, allowed_from=("Stopped",), middle="Starting", final="Running", event="SSVM.START")


@api("stopSystemVm", response="systemvm", roles=ADMIN_ONLY, instance_type="SystemVm",
     description="Stops a running system VM.", params=[P("id", entity="systemvm"), P("forced")])
def stop_system_vm(ctx):
    return _systemvm_transition(ctx, allowed_from=("Running",), middle="Stopping", final="Stopped", event="SSVM.STOP")


@api("rebootSystemVm", response="systemvm", roles=ADMIN_ONLY, instance_type="SystemVm",
     description="Reboots a running system VM.", params=[P("id", entity="systemvm"), P("forced")])
def reboot_system_vm(ctx):
    return _systemvm_transition(ctx, allowed_from=("Running",), middle="Starting", final="Running", event="SSVM.REBOOT")


@api("destroySystemVm", response="systemvm", roles=ADMIN_ONLY, instance_type="SystemVm",
     description="Destroys a system VM (a fresh one of the same type replaces it).",
     params=[P("id", entity="systemvm")])
def destroy_system_vm(ctx):
    return _systemvm_transition(ctx, allowed_from=("Starting", "Running", "Stopped", "Error"), middle="Stopping", final="Destroyed",
                                event="SSVM.DESTROY")


@api("migrateSystemVm", response="systemvm", roles=ADMIN_ONLY, instance_type="SystemVm",
     description="Moves a running system VM to another host of its pod (hostid, or autoselect=true), or a stopped "
                 "one's disk to another primary storage (storageid).",
     params=[P("virtualmachineid", "the system VM", entity="systemvm"), P("hostid", "destination host", entity="host"),
             P("storageid", "destination primary storage", entity="storagepool"),
             P("autoselect", "choose a destination host")])
def migrate_system_vm(ctx):
    row = ctx.store.get("systemvm", ctx.get("virtualmachineid"))
    if row is None or row.get("removed"):
        raise errors.invalid_value(f"Unable to find the VM by ID {ctx.get('virtualmachineid')}")
    pool = ctx.store.get("storagepool", ctx.get("storageid")) if ctx.has("storageid") else None
    host = ctx.store.get("host", ctx.get("hostid")) if ctx.has("hostid") else None
    autoselect = bool(ctx.get("autoselect", True))

    def run(jctx):      # MigrateSystemVMCmd.execute runs in the job: its refusals are failed jobs
        if host is not None and pool is not None:
            raise errors.invalid_value("Only one of hostId and storageId can be specified")
        current = jctx.store.get("systemvm", row["id"])
        if pool is not None:
            moved = systemvms.migrate_storage(jctx.store, current, pool)
        else:
            moved = systemvms.migrate(jctx.store, current, host, autoselect)
            systemvms.connect_agent(jctx.store, moved)
        jctx.event("VM.MIGRATE", f"migrated system VM {current['name']}")
        return render_systemvm(jctx, moved)

    return Job(run, instance_id=row["id"])


@api("listRouters", response="router", roles=DOMAIN_ADMINS,
     description="Lists virtual routers (created by the network and VPC modules).",
     params=[*PAGING, P("id", entity="router"), P("name"), P("zoneid"), P("podid"),
             P("clusterid"), P("hostid"), P("networkid", entity="network"),
             P("vpcid", entity="vpc"), P("state"), P("forvpc"), P("version"),
             P("account"), P("domainid"), P("listall"), P("isrecursive"),
             P("projectid", entity="project"), P("fetchhealthcheckresults"),
             P("healthchecksfailed")])
def list_routers(ctx):
    def match(row):
        if ctx.has("networkid") and ctx.get("networkid") not in (row.get("guestnetworkid"), *(row.get("networkids") or [])):
            return False
        if ctx.has("forvpc") and bool(row.get("vpcid")) != ctx.get("forvpc"):
            return False
        if ctx.has("clusterid"):
            host = ctx.store.get("host", row.get("hostid")) or {}
            if host.get("clusterid") != ctx.get("clusterid"):
                return False
        return not row.get("internal")

    # QueryManagerImpl.searchForRoutersInternal scopes routers with buildACLSearchParameters, as every owned list:
    # projectid lists that project's routers, none (and no id) skips project routers (_common.list_owned).
    return _common.list_owned(ctx, "router", lambda r: render_router(ctx, r), match=match,
                              filters={"zoneid": "zoneid", "podid": "podid", "hostid": "hostid", "vpcid": "vpcid",
                                       "state": "state", "version": "version"})


# =====================================================================================
# Global settings and certificates
# =====================================================================================

from marvin2.simulator import configs

declare_object("configuration", {"name": "setting name", "value": "current value", "category": "category",
                                 "description": "what it does", "scope": "scope of a scoped value (zone, account ...)",
                                 "id": "id of the scope object", "isdynamic": ("boolean", "takes effect without restart"),
                                 "defaultvalue": "default value", "type": "value type", "component": "owning component"})
declare_object("customcertificate", {"message": "what happened"})
# (request parameter, store kind / scope key, ConfigKey.Scope name), in the order the server reads them.
SCOPES = (("zoneid", "zone", "Zone"), ("clusterid", "cluster", "Cluster"), ("accountid", "account", "Account"),
          ("domainid", "domain", "Domain"), ("storageid", "storagepool", "StoragePool"),
          ("imagestoreuuid", "imagestore", "ImageStore"))
VALUE_TYPES = {"Integer": "Number", "Long": "Number", "Short": "Number", "Float": "Decimal", "Double": "Decimal",
               "Boolean": "Boolean"}


def _scope_of(ctx) -> tuple[str, str, str] | None:
    """(scope key, id, ConfigKey scope name) of a scoped call, or None for the global value."""
    given = [(key, ctx.get(param), java) for param, key, java in SCOPES if ctx.has(param)]
    if len(given) > 1:
        raise errors.invalid_value("cannot handle multiple IDs, provide only one ID corresponding to the scope")
    return given[0] if given else None


def _value_type(row: dict) -> str:
    if row["name"] in configs.WEIGHTS:
        return "Range"
    return VALUE_TYPES.get(row.get("type"), "String")


def render_configuration(row: dict, scope: tuple | None = None) -> dict:
    out = {k: row.get(k) for k in ("name", "value", "category", "description", "isdynamic", "defaultvalue", "component")}
    out["type"] = _value_type(row)
    if scope is not None:
        scope_name, scope_id = scope[0], scope[1]
        out.update(value=(row.get("scoped") or {}).get(f"{scope_name}:{scope_id}", row.get("value")),
                   scope=scope_name, id=scope_id)
    return out


def _account_settings_for_domain(ctx) -> bool:
    return str(ctx.config("enable.account.settings.for.domain", "false")).lower() == "true"


@api("listConfigurations", response="configuration", roles=ADMIN_ONLY,
     description="Lists global settings (or their values for a zone, cluster, account ... scope).",
     params=[*PAGING, P("name", "settings whose name contains this"), P("category"),
             P("zoneid"), P("clusterid"), P("storageid"), P("accountid"),
             P("domainid"), P("imagestoreuuid", entity="imagestore"), P("group"), P("subgroup"),
             P("parent")])
def list_configurations(ctx):
    scope = _scope_of(ctx)
    # ManagementServerImpl.searchForConfigurations: Hidden settings are never listed; a scoped call lists
    # the settings of that scope only (a Domain call also the Account ones with enable.account.settings.for.domain).
    rows = [r for r in ctx.store.all("configuration") if r.get("category") != "Hidden"]
    if scope is not None:
        wanted = {scope[2]}
        if scope[2] == "Domain" and _account_settings_for_domain(ctx):
            wanted.add("Account")
        rows = [r for r in rows if r.get("scope", "Global") in wanted]
    if ctx.has("name"):
        rows = [r for r in rows if ctx.get("name").lower() in r["name"].lower()]
    if ctx.has("category"):
        rows = [r for r in rows if r.get("category", "").lower() == ctx.get("category").lower()]
    if ctx.has("keyword"):
        word = ctx.get("keyword").lower()
        rows = [r for r in rows if any(word in str(r.get(k) or "").lower()
                                       for k in ("name", "component", "description", "category", "value"))]
    rows.sort(key=lambda r: r["name"])
    page = ctx.paginate(rows)
    return ListResult([render_configuration(r, scope) for r in page.items], page.count)


@api("updateConfiguration", response="configuration", roles=ADMIN_ONLY,
     description="Changes a global setting, or its value for one zone, cluster, pool, account or domain.",
     params=[P("name", "the setting"), P("value", "the new value"),
             P("zoneid"), P("clusterid"), P("storageid"), P("accountid"),
             P("domainid"), P("imagestoreuuid", entity="imagestore")])
def update_configuration(ctx):
    # ConfigurationManagerImpl.updateConfiguration / validateConfigurationValue, in their order.
    name = ctx.get("name")
    row = ctx.store.get("configuration", name)
    if row is None:
        raise errors.invalid_value(f"Config parameter with name {name} doesn't exist")
    # An empty value= clears the setting (the generic parameter parsing drops empty values: read the raw one).
    raw_value = ctx.get("value") if ctx.has("value") else next(
        (v for k, v in ctx.raw.items() if k.lower() == "value"), None)
    if raw_value is None:
        return render_configuration(row)
    scope = _scope_of(ctx)
    value = str(raw_value).strip()
    if value in ("", "null"):
        value = None if scope is None else ""
    if value is not None and row.get("type") == "Boolean":
        value = value.lower()
    problem = configs.validate(name, value, scope[2] if scope else None, _account_settings_for_domain(ctx))
    if problem:
        raise errors.invalid_value(problem)
    if scope is None:
        row = ctx.store.update("configuration", name, value=value)
    else:
        scoped = dict(row.get("scoped") or {})
        scoped[f"{scope[0]}:{scope[1]}"] = value
        row = ctx.store.update("configuration", name, scoped=scoped)
    ctx.event("CONFIGURATION.VALUE.EDIT", f"updated {name}")
    return render_configuration(row, scope)


CERTIFICATE_UPDATED = ("Certificate has been successfully updated, if its the server certificate we would reboot all "
                       "running console proxy VMs and secondary storage VMs to propagate the new certificate, please "
                       "give a few minutes for console access and storage services service to be up and working again")


@api("uploadCustomCertificate", response="customcertificate", roles=ADMIN_ONLY, instance_type="None",
     description="Uploads the console proxy / secondary storage certificate chain: the root and intermediate "
                 "certificates first (with id and name), then the site certificate with its private key.",
     params=[P("certificate", "PEM certificate"),
             P("domainsuffix", "the DNS suffix the certificate covers, e.g. *.example.com"),
             P("id", "position in the chain (1 = root) for chain certificates"),
             P("name", "alias of a chain certificate"),
             P("privatekey", "PEM PKCS#8 RSA private key of the site certificate")])
def upload_custom_certificate(ctx):
    # As on a real server, every check happens in the job: a refused upload is a failed job (431).
    certificate = ctx.get("certificate").replace("\\n", "\n").strip()
    key = (ctx.get("privatekey") or "").replace("\\n", "\n").strip() or None
    suffix, alias, index = ctx.get("domainsuffix"), ctx.get("name"), ctx.get("id")

    def run(jctx):
        if key is not None and alias is not None:
            raise errors.invalid_value("Can't change the alias for private key certification")
        if key is None and alias is None:
            raise errors.invalid_value("alias can't be empty, if it's a certification chain")
        if key is None and index is None:
            raise errors.invalid_value("index can't be empty, if it's a certifciation chain")
        if key is not None:
            # The server loads both into a key store: an X.509 certificate and a PKCS#8 RSA key. Like that
            # key store, it does not check that the key belongs to the certificate.
            if not (der.is_x509_certificate(der.pem_body(certificate, "CERTIFICATE"))
                    and der.is_pkcs8_rsa_key(der.key_body(key))):
                raise errors.invalid_value("Failed to pass certificate validation check")
            row = {"kind": "site", "position": None, "name": "CPVMCertificate"}
        else:
            row = {"kind": "chain", "position": index, "name": alias}
        # The key itself is a secret: keep only that one was given.
        jctx.store.delete_where("certificate", domainsuffix=suffix, kind=row["kind"], name=row["name"])
        jctx.store.insert("certificate", {**row, "domainsuffix": suffix, "certificate": certificate,
                                          "haskey": key is not None})
        jctx.event("UPLOAD.CUSTOM.CERTIFICATE", f"uploaded {row['kind']} certificate for {suffix}")
        return {"message": CERTIFICATE_UPDATED}

    return Job(run)
