"""Catalog: service offerings, disk offerings, templates, ISOs and OS types.

Templates and ISOs share the ``template`` kind, as they share a table on a
real server; ISOs have ``format: "ISO"``. Where a template exists is kept per
zone in ``zonestate``: ``{zone id: epoch when its download started}``. A
download takes ``DOWNLOAD_SECONDS[profile]``; until then lists show the real
progress texts (``35% Downloaded``, ``Installing Template``) and ``isready``
false, then ``Download Complete`` (ISOs: ``Successfully Installed``).
``template_ready_in(store, template, zone_id, profile)`` is what deploy and
attachIso ask.
"""
from __future__ import annotations

import secrets

from marvin2.simulator import access_texts, errors, limits, tagging
from marvin2.simulator.services.common import (
    GIB,
    all_projects_scope,
    apply_command_classes,
    asks_all_projects,
    check_owned,
    epoch,
    owner_for_create,
    project_for_param,
    record_event,
    zone_name,
)
from marvin2.simulator.context import SUCCESS, Job, ListResult
from marvin2.simulator.services import systemvm_urls
from marvin2.simulator.declare import ADMIN_ONLY, PAGING, P, api, declare_object
from marvin2.simulator.services.catalog import (
    render_template,
    shared_with as _shared_with,
    can_use_template,
    is_iso,
    zone_progress,
)

tagging.register_taggable("Template", "template")
tagging.register_taggable("ISO", "template")

IMAGE_FORMATS = ("QCOW2", "RAW", "VHD", "VHDX", "OVA", "ISO", "BAREMETAL", "VMDK", "VDI", "TAR", "ZIP", "DIR")
HYPERVISORS = ("XenServer", "KVM", "VMware", "Hyperv", "VirtualBox", "Parralels", "BareMetal", "Simulator", "Ovm",
               "Ovm3", "LXC", "Custom")
TEMPLATE_FILTERS = ("featured", "self", "selfexecutable", "sharedexecutable", "executable", "community", "all")


def _domain_visible(ctx, row: dict) -> bool:
    """Offerings limited to domains (``domainids``) are seen by accounts of those domains (and their sub-domains)."""
    ids = row.get("domainids") or []
    if not ids or ctx.caller is None or ctx.caller.is_root_admin:
        return True
    path = ctx.caller.domain["path"]
    for domain_id in ids:
        domain = ctx.store.get("domain", domain_id)
        if domain and (path == domain["path"] or path.startswith(domain["path"] + "/")):
            return True
    return False


def _domains_text(ctx, row: dict) -> dict:
    ids = row.get("domainids") or []
    if not ids:
        return {}
    names = [(ctx.store.get("domain", i) or {}).get("name", i) for i in ids]
    return {"domainid": ",".join(ids), "domain": ",".join(names)}


def _zones_text(ctx, row: dict) -> dict:
    ids = row.get("zonelist") or []
    if not ids:
        return {}
    return {"zoneid": ",".join(ids), "zone": ",".join(zone_name(ctx.store, i) or i for i in ids)}


def _list_param(ctx, name: str) -> list[str]:
    value = ctx.get(name)
    if value is None:
        return []
    items = value if isinstance(value, list) else [v.strip() for v in str(value).split(",") if v.strip()]
    return [i.lower() for i in items]


CACHE_MODES = ("none", "writeback", "writethrough")      # DiskOffering.DiskCacheMode


def _cache_mode(value: str) -> str:
    """A disk cache mode, checked as ConfigurationManagerImpl.validateCacheMode does (stored lower-case)."""
    if str(value).lower() not in CACHE_MODES:
        raise errors.invalid_value(f"Invalid cache mode ({value}). Please specify one of the following valid cache "
                                   "mode parameters: none, writeback or writethrough")
    return str(value).lower()


def _check_domains(ctx, ids: list[str]) -> list[str]:
    for domain_id in ids:
        if ctx.store.get("domain", domain_id) is None:
            raise errors.invalid_value(f"Unable to find domain by ID: {domain_id}")
    return ids


def _check_zones(ctx, ids: list[str]) -> list[str]:
    for zone_id in ids:
        if ctx.store.get("zone", zone_id) is None:
            raise errors.invalid_value(f"Unable to find zone by ID: {zone_id}")
    return ids


# --- service offerings ---------------------------------------------------------------------------

declare_object("serviceoffering", {
    "id": "offering id", "name": "offering name", "displaytext": "description", "cpunumber": ("integer", "CPUs"),
    "cpuspeed": ("integer", "MHz per CPU"), "memory": ("integer", "memory (MiB)"), "created": ("date", "created"),
    "storagetype": "shared or local", "offerha": ("boolean", "HA enabled"), "limitcpuuse": ("boolean", "CPU capped"),
    "isvolatile": ("boolean", "root disk reset on reboot"), "issystem": ("boolean", "for system VMs"),
    "defaultuse": ("boolean", "default system offering"), "iscustomized": ("boolean", "size chosen at deploy"),
    "provisioningtype": "thin, sparse or fat", "cacheMode": "disk cache mode", "hosttags": "host tags",
    "storagetags": "storage tags", "domainid": "domains it is limited to", "domain": "their names",
    "zoneid": "zones it is limited to", "zone": "their names", "rootdisksize": ("long", "root disk size (GB)"),
    "dynamicscalingenabled": ("boolean", "VMs may be scaled while running"), "encryptroot": ("boolean", "root disk encrypted"),
    "diskofferingstrictness": ("boolean", "disk offering fixed"), "serviceofferingdetails": ("map", "extra details"),
    "systemvmtype": "system VM type", "networkrate": ("integer", "network rate (Mb/s)"), "hasannotations": ("boolean", "has comments"),
})


def render_service_offering(ctx, row: dict) -> dict:
    keys = ("id", "name", "displaytext", "cpunumber", "cpuspeed", "memory", "created", "storagetype", "offerha",
            "limitcpuuse", "isvolatile", "issystem", "defaultuse", "iscustomized", "provisioningtype", "hosttags",
            "systemvmtype", "networkrate", "rootdisksize", "deploymentplanner", "miniops", "maxiops", "isrecursive")
    out = {k: row.get(k) for k in keys if k != "isrecursive"}
    out["cacheMode"] = row.get("cachemode", "none")
    out["storagetags"] = row.get("tags")
    out["dynamicscalingenabled"] = row.get("dynamicscalingenabled", True)
    out["diskofferingstrictness"] = row.get("diskofferingstrictness", False)
    out["encryptroot"] = row.get("encryptroot", False)
    out["iscustomizediops"] = row.get("customizediops", False)
    out["hasannotations"] = False
    if row.get("details"):
        out["serviceofferingdetails"] = row["details"]
    out.update(_domains_text(ctx, row))
    out.update(_zones_text(ctx, row))
    return out


@api("listServiceOfferings", response="serviceoffering", related="createServiceOffering,updateServiceOffering",
     description="Lists the compute offerings the caller may use (system offerings with issystem=true, admins only).",
     params=[*PAGING, P("id", entity="serviceoffering"), P("name"), P("domainid"),
             P("isrecursive"), P("listall"), P("issystem", "system VM offerings"),
             P("systemvmtype", "consoleproxy, secondarystoragevm or domainrouter"),
             P("virtualmachineid", "offerings this VM may change to", entity="virtualmachine"),
             P("zoneid"), P("cpunumber", "CPUs the offering must support"),
             P("cpuspeed", "CPU speed the offering must support"),
             P("memory", "memory (MiB) the offering must support"),
             P("encryptroot", "only offerings that encrypt (or not) the root disk")])
def list_service_offerings(ctx):
    issystem = bool(ctx.get("issystem"))
    if issystem and not ctx.caller.is_admin:
        raise errors.permission_denied("Only ROOT admins and Domain admins can list system service offerings.")
    current = None
    if ctx.has("virtualmachineid"):
        vm = ctx.store.get("virtualmachine", ctx.get("virtualmachineid"))
        check_owned(ctx, vm, "VM")
        current = vm.get("serviceofferingid")

    def supports(row, key, wanted):
        if wanted is None:
            return True
        if row.get(key):
            return int(row[key]) == wanted if key != "cpuspeed" else int(row[key]) >= wanted
        details = row.get("details") or {}
        low, high = details.get(f"min{key}"), details.get(f"max{key}")
        return (low is None or int(low) <= wanted) and (high is None or wanted <= int(high))

    def match(row):
        return (bool(row.get("issystem")) == issystem and row.get("state", "Active") == "Active"
                and (not ctx.has("systemvmtype") or row.get("systemvmtype") == ctx.get("systemvmtype"))
                and (not ctx.has("zoneid") or not row.get("zonelist") or ctx.get("zoneid") in row["zonelist"])
                and (not ctx.has("domainid") or ctx.get("domainid") in (row.get("domainids") or []))
                and (not ctx.has("encryptroot") or bool(row.get("encryptroot")) == ctx.get("encryptroot"))
                and row["id"] != current and _domain_visible(ctx, row)
                and supports(row, "cpunumber", ctx.get("cpunumber")) and supports(row, "memory", ctx.get("memory"))
                and supports(row, "cpuspeed", ctx.get("cpuspeed")))

    return ctx.list("serviceoffering", lambda r: render_service_offering(ctx, r), match=match, owned=False)


_IO_PARAMS = [P(n) for n in (
    "bytesreadrate", "bytesreadratemax", "bytesreadratemaxlength", "byteswriterate", "byteswriteratemax",
    "byteswriteratemaxlength", "iopsreadrate", "iopsreadratemax", "iopsreadratemaxlength", "iopswriterate",
    "iopswriteratemax", "iopswriteratemaxlength")]


@api("createServiceOffering", response="serviceoffering", roles=ADMIN_ONLY,
     description="Creates a compute offering (fixed size, or custom: CPU/memory chosen at deploy within limits).",
     params=[P("name", "offering name"), P("displaytext", "description"),
             P("cpunumber", "CPUs (omit for a custom offering)"),
             P("cpuspeed", "MHz per CPU"), P("memory", "memory (MiB)"),
             P("customized", "size chosen at deploy"),
             P("mincpunumber", "custom: fewest CPUs"), P("maxcpunumber", "custom: most CPUs"),
             P("minmemory", "custom: least memory (MiB)"), P("maxmemory", "custom: most memory (MiB)"),
             P("storagetype", "shared (default) or local"), P("offerha", "HA"),
             P("limitcpuuse", "cap CPU use"), P("isvolatile", "reset root disk on reboot"),
             P("issystem", "for system VMs"), P("systemvmtype", "system VM type"),
             P("hosttags", "host tags"), P("tags", "storage tags"),
             P("domainid", "domains it is limited to"), P("zoneid", "zones it is limited to"),
             P("networkrate", "network rate (Mb/s)"), P("provisioningtype", "thin, sparse or fat"),
             P("cachemode", "none, writeback or writethrough"), P("deploymentplanner", "deployment planner"),
             P("rootdisksize", "root disk size (GB)"), P("dynamicscalingenabled", "scalable while running"),
             P("diskofferingid", "disk offering of the root disk"),
             P("diskofferingstrictness", "root disk offering fixed"),
             P("encryptroot", "encrypt the root disk"), P("customizediops", "IOPS chosen at deploy"),
             P("miniops", "min IOPS"), P("maxiops", "max IOPS"),
             P("hypervisorsnapshotreserve", "hypervisor snapshot reserve (%)"),
             P("serviceofferingdetails", "extra details"), P("storagepolicy", "VMware storage policy", entity=""),
             *_IO_PARAMS])
def create_service_offering(ctx):
    name = ctx.get("name")
    cpunumber, cpuspeed, memory = ctx.get("cpunumber"), ctx.get("cpuspeed"), ctx.get("memory")
    if cpunumber is not None and cpunumber <= 0:
        raise errors.invalid_value(f"Failed to create service offering {name}: specify the cpu number value between 1 and 2147483647")
    if cpuspeed is not None and cpuspeed < 0:
        raise errors.invalid_value(f"Failed to create service offering {name}: specify the cpu speed value between 0 and 2147483647")
    if memory is not None and memory < 32:
        raise errors.invalid_value(f"Failed to create service offering {name}: specify the memory value between 32 and 2147483647 MB")
    customized = ctx.get("customized")
    if customized is None:
        customized = cpunumber is None or memory is None
    if not customized and (cpunumber is None or cpuspeed is None or memory is None):
        raise errors.invalid_value("For creating a fixed offering, cpunumber, cpuspeed and memory all must be specified")
    storagetype = (ctx.get("storagetype") or "shared").lower()
    if storagetype not in ("shared", "local"):
        raise errors.invalid_value(f"Invalid storage type {ctx.get('storagetype')} specified, valid types are: 'local' and 'shared'")
    details = {}
    for key in ("mincpunumber", "maxcpunumber", "minmemory", "maxmemory"):
        if ctx.has(key):
            details[key] = str(ctx.get(key))
    details.update(map_as_dict_loose(ctx.get("serviceofferingdetails")))
    row = ctx.store.insert("serviceoffering", {
        "name": name, "displaytext": ctx.get("displaytext") or ctx.get("name"), "cpunumber": cpunumber, "cpuspeed": cpuspeed,
        "memory": memory, "iscustomized": bool(customized), "storagetype": storagetype,
        "offerha": bool(ctx.get("offerha")), "limitcpuuse": bool(ctx.get("limitcpuuse")),
        "isvolatile": bool(ctx.get("isvolatile")), "issystem": bool(ctx.get("issystem")),
        "systemvmtype": ctx.get("systemvmtype"), "hosttags": ctx.get("hosttags"), "tags": ctx.get("tags"),
        "domainids": _check_domains(ctx, _list_param(ctx, "domainid")), "zonelist": _check_zones(ctx, _list_param(ctx, "zoneid")),
        "networkrate": ctx.get("networkrate"), "provisioningtype": ctx.get("provisioningtype", "thin"),
        "cachemode": _cache_mode(ctx.get("cachemode", "none")), "deploymentplanner": ctx.get("deploymentplanner"),
        "rootdisksize": ctx.get("rootdisksize"), "dynamicscalingenabled": ctx.get("dynamicscalingenabled", True),
        "diskofferingstrictness": bool(ctx.get("diskofferingstrictness")), "encryptroot": bool(ctx.get("encryptroot")),
        "customizediops": bool(ctx.get("customizediops")), "miniops": ctx.get("miniops"), "maxiops": ctx.get("maxiops"),
        "defaultuse": False, "details": details or None, "state": "Active",
    })
    record_event(ctx, "SERVICE.OFFERING.CREATE", f"Creating service offering {name}", resource_id=row["id"],
                 resource_type="ServiceOffering")
    return render_service_offering(ctx, row)


def map_as_dict_loose(entries) -> dict:
    """A details-style map given either way (key/value pairs or one field per key)."""
    out: dict[str, str] = {}
    for entry in entries or []:
        lowered = {k.lower(): v for k, v in entry.items()}
        if "key" in lowered and set(lowered) <= {"key", "value"}:
            out[lowered["key"]] = lowered.get("value", "")
        else:
            out.update(entry)
    return out


def _offering_scope_changes(ctx) -> dict:
    """domainid ("public" or a comma list) and zoneid ("all" or a comma list) of an update*Offering call."""
    changes: dict = {}
    if ctx.has("domainid"):
        text = ctx.get("domainid").strip().lower()
        changes["domainids"] = [] if text == "public" else _check_domains(ctx, [d.strip() for d in text.split(",") if d.strip()])
    if ctx.has("zoneid"):
        text = ctx.get("zoneid").strip().lower()
        changes["zonelist"] = [] if text == "all" else _check_zones(ctx, [z.strip() for z in text.split(",") if z.strip()])
    return changes


@api("updateServiceOffering", response="serviceoffering", roles=ADMIN_ONLY,
     description="Renames a compute offering or changes its description, sort key, tags, domains or zones.",
     params=[P("id", "the offering", entity="serviceoffering"), P("name"), P("displaytext"),
             P("sortkey", "display order"), P("hosttags", "host tags"),
             P("storagetags", "storage tags"), P("domainid", "comma-separated domain ids (public: all)"),
             P("zoneid", "comma-separated zone ids (all: every zone)")])
def update_service_offering(ctx):
    row = ctx.store.get("serviceoffering", ctx.get("id"))
    if row.get("removed") or row.get("state") == "Inactive":
        raise errors.invalid_value(f"Unable to find service offering {ctx.get('id')}")
    changes = {k: ctx.get(k) for k in ("name", "displaytext", "sortkey", "hosttags") if ctx.has(k)}
    if ctx.has("storagetags"):
        changes["tags"] = ctx.get("storagetags")
    changes.update(_offering_scope_changes(ctx))
    row = ctx.store.update("serviceoffering", row["id"], **changes)
    record_event(ctx, "SERVICE.OFFERING.EDIT", f"Updating service offering {row['name']}", resource_id=row["id"],
                 resource_type="ServiceOffering")
    return render_service_offering(ctx, row)


@api("deleteServiceOffering", response="success", roles=ADMIN_ONLY,
     description="Deletes a compute offering (VMs already using it keep running).",
     params=[P("id", "the offering", entity="serviceoffering")])
def delete_service_offering(ctx):
    row = ctx.store.get("serviceoffering", ctx.get("id"))
    if row.get("removed"):
        raise errors.invalid_value(f"unable to find service offering {row['id']}")
    if row.get("issystem") and row.get("defaultuse"):
        raise errors.invalid_value("Default service offerings cannot be deleted")
    ctx.store.update("serviceoffering", row["id"], removed=epoch_text(), state="Inactive")
    record_event(ctx, "SERVICE.OFFERING.DELETE", f"Deleting service offering {row['name']}", resource_id=row["id"],
                 resource_type="ServiceOffering")
    return SUCCESS


def epoch_text() -> str:
    from marvin2 import wire

    return wire.now_text()


# --- disk offerings ------------------------------------------------------------------------------------

declare_object("diskoffering", {
    "id": "offering id", "name": "offering name", "displaytext": "description", "disksize": ("long", "size (GB), 0 when custom"),
    "created": ("date", "created"), "iscustomized": ("boolean", "size chosen by the user"), "storagetype": "shared or local",
    "provisioningtype": "thin, sparse or fat", "tags": "storage tags", "domainid": "domains", "domain": "their names",
    "zoneid": "zones", "zone": "their names", "displayoffering": ("boolean", "shown to users"), "cacheMode": "cache mode",
    "encrypt": ("boolean", "encrypted volumes"), "disksizestrictness": ("boolean", "size fixed"),
    "iscustomizediops": ("boolean", "IOPS chosen by the user"), "miniops": ("long", "min IOPS"), "maxiops": ("long", "max IOPS"),
})


def render_disk_offering(ctx, row: dict) -> dict:
    keys = ("id", "name", "displaytext", "disksize", "created", "iscustomized", "storagetype", "provisioningtype", "tags",
            "miniops", "maxiops", "hypervisorsnapshotreserve")
    out = {k: row.get(k) for k in keys}
    out["displayoffering"] = row.get("displayoffering", True)
    out["cacheMode"] = row.get("cachemode", "none")
    out["encrypt"] = row.get("encrypt", False)
    out["disksizestrictness"] = row.get("disksizestrictness", False)
    out["iscustomizediops"] = row.get("customizediops", False)
    out["hasannotations"] = False
    out.update(_domains_text(ctx, row))
    out.update(_zones_text(ctx, row))
    return out


@api("listDiskOfferings", response="diskoffering", related="createDiskOffering,updateDiskOffering",
     description="Lists the disk offerings the caller may use.",
     params=[*PAGING, P("id", entity="diskoffering"), P("name"), P("domainid"), P("isrecursive"),
             P("listall"), P("zoneid"), P("storageid", "offerings usable on this pool"),
             P("volumeid", "offerings this volume may change to", entity="volume"),
             P("encrypt", "only offerings that encrypt (or not)")])
def list_disk_offerings(ctx):
    def match(row):
        return (row.get("state", "Active") == "Active" and _domain_visible(ctx, row)
                and (ctx.caller.is_admin or row.get("displayoffering", True))
                and (not ctx.has("zoneid") or not row.get("zonelist") or ctx.get("zoneid") in row["zonelist"])
                and (not ctx.has("domainid") or ctx.get("domainid") in (row.get("domainids") or []))
                and (not ctx.has("encrypt") or bool(row.get("encrypt")) == ctx.get("encrypt")))

    return ctx.list("diskoffering", lambda r: render_disk_offering(ctx, r), match=match, owned=False)


MAX_VOLUME_GB = 2000


@api("createDiskOffering", response="diskoffering", roles=ADMIN_ONLY,
     description="Creates a disk offering: a fixed size, or customized (size chosen when the volume is created).",
     params=[P("name", "offering name"), P("displaytext", "description"),
             P("disksize", "size (GB) of a fixed offering"), P("customized", "size chosen by the user"),
             P("storagetype", "shared (default) or local"), P("provisioningtype", "thin, sparse or fat"),
             P("tags", "storage tags"), P("domainid", "domains it is limited to"),
             P("zoneid", "zones it is limited to"), P("displayoffering", "shown to users"),
             P("cachemode", "none, writeback or writethrough"), P("encrypt", "encrypt volumes"),
             P("disksizestrictness", "size fixed"), P("customizediops", "IOPS chosen by user"),
             P("miniops", "min IOPS"), P("maxiops", "max IOPS"),
             P("hypervisorsnapshotreserve", "hypervisor snapshot reserve (%)"),
             P("details", "extra details"), P("storagepolicy", "VMware storage policy", entity=""),
             *_IO_PARAMS])
def create_disk_offering(ctx):
    size = ctx.get("disksize")
    customized = bool(ctx.get("customized"))
    if size is not None and size < 1 and not customized:
        raise errors.invalid_value("Please specify a disk size of at least 1 GB.")
    if size is not None and size > MAX_VOLUME_GB:
        raise errors.invalid_value(f"The maximum size for a disk is {MAX_VOLUME_GB} GB.")
    if size is None and not customized:
        raise errors.invalid_value("Disksize is required for a non-customized disk offering")
    if customized and size:
        raise errors.invalid_value("Disksize cannot be specified for a customized disk offering")
    storagetype = (ctx.get("storagetype") or "shared").lower()
    if storagetype not in ("shared", "local"):
        raise errors.invalid_value(f"Invalid storage type {ctx.get('storagetype')} specified, valid types are: 'local' and 'shared'")
    row = ctx.store.insert("diskoffering", {
        "name": ctx.get("name"), "displaytext": ctx.get("displaytext") or ctx.get("name"), "disksize": 0 if customized else size,
        "iscustomized": customized, "storagetype": storagetype, "provisioningtype": ctx.get("provisioningtype", "thin"),
        "tags": ctx.get("tags"), "domainids": _check_domains(ctx, _list_param(ctx, "domainid")),
        "zonelist": _check_zones(ctx, _list_param(ctx, "zoneid")), "displayoffering": ctx.get("displayoffering", True),
        "cachemode": _cache_mode(ctx.get("cachemode", "none")), "encrypt": bool(ctx.get("encrypt")),
        "disksizestrictness": bool(ctx.get("disksizestrictness")), "customizediops": bool(ctx.get("customizediops")),
        "miniops": ctx.get("miniops"), "maxiops": ctx.get("maxiops"),
        "hypervisorsnapshotreserve": ctx.get("hypervisorsnapshotreserve"), "state": "Active",
    })
    record_event(ctx, "DISK.OFFERING.CREATE", f"Creating disk offering {row['name']}", resource_id=row["id"],
                 resource_type="DiskOffering")
    return render_disk_offering(ctx, row)


@api("updateDiskOffering", response="diskoffering", roles=ADMIN_ONLY,
     description="Renames a disk offering or changes its description, visibility, tags, domains or zones.",
     params=[P("id", "the offering", entity="diskoffering"), P("name"), P("displaytext"),
             P("sortkey", "display order"), P("displayoffering", "shown to users"),
             P("tags", "storage tags"), P("domainid", "comma-separated domain ids (public: all)"),
             P("zoneid", "comma-separated zone ids (all: every zone)"),
             P("cachemode", "cache mode"), *_IO_PARAMS])
def update_disk_offering(ctx):
    row = ctx.store.get("diskoffering", ctx.get("id"))
    if row.get("removed"):
        raise errors.invalid_value(f"Unable to find disk offering {row['id']}")
    changes = {k: ctx.get(k) for k in ("name", "displaytext", "sortkey", "displayoffering", "tags") if ctx.has(k)}
    if ctx.has("cachemode"):
        changes["cachemode"] = _cache_mode(ctx.get("cachemode"))
    changes.update(_offering_scope_changes(ctx))
    row = ctx.store.update("diskoffering", row["id"], **changes)
    record_event(ctx, "DISK.OFFERING.EDIT", f"Updating disk offering {row['name']}", resource_id=row["id"],
                 resource_type="DiskOffering")
    return render_disk_offering(ctx, row)


@api("deleteDiskOffering", response="success", roles=ADMIN_ONLY,
     description="Deletes a disk offering (existing volumes keep it).",
     params=[P("id", "the offering", entity="diskoffering")])
def delete_disk_offering(ctx):
    row = ctx.store.get("diskoffering", ctx.get("id"))
    if row.get("removed"):
        raise errors.invalid_value(f"Unable to find disk offering by id {row['id']}")
    ctx.store.update("diskoffering", row["id"], removed=epoch_text(), state="Inactive")
    record_event(ctx, "DISK.OFFERING.DELETE", f"Deleting disk offering {row['name']}", resource_id=row["id"],
                 resource_type="DiskOffering")
    return SUCCESS


# --- OS types ----------------------------------------------------------------------------------------

declare_object("ostype", {"id": "OS type id", "description": "OS name", "oscategoryid": "its category",
                          "isuserdefined": ("boolean", "added by an admin")})
declare_object("oscategory", {"id": "category id", "name": "category name"})


@api("listOsTypes", response="ostype", related="listOsCategories",
     description="Lists the guest OS types templates can be registered with.",
     params=[*PAGING, P("id", entity="ostype"), P("oscategoryid", entity="oscategory"),
             P("description", "OS type description (exact)")])
def list_os_types(ctx):
    def match(row):
        return not ctx.has("description") or row.get("description", "").lower() == ctx.get("description").lower()

    def render(row):
        return {"id": row["id"], "description": row["description"], "oscategoryid": row.get("oscategoryid"),
                "isuserdefined": bool(row.get("isuserdefined"))}

    return ctx.list("ostype", render, filters={"oscategoryid": "oscategoryid"}, match=match,
                    keyword_fields=("description",), owned=False)


@api("listOsCategories", response="oscategory", related="listOsTypes",
     description="Lists the guest OS categories.",
     params=[*PAGING, P("id", entity="oscategory"), P("name")])
def list_os_categories(ctx):
    return ctx.list("oscategory", lambda r: {"id": r["id"], "name": r["name"]}, keyword_fields=("name",), owned=False)


# --- templates and ISOs: state --------------------------------------------------------------------


def _filter_match(ctx, filter_name: str, row: dict) -> bool:
    caller = ctx.caller
    own = caller.account_id
    mine = row.get("accountid") == own
    if filter_name == "featured":
        return bool(row.get("isfeatured"))
    if filter_name in ("self", "selfexecutable"):
        return mine or (caller.is_admin and ctx.has("account") and ctx.can_access(row))
    if filter_name == "sharedexecutable":
        return _shared_with(row, own)
    if filter_name == "executable":
        return mine or bool(row.get("ispublic")) or bool(row.get("isfeatured")) or _shared_with(row, own)
    if filter_name == "community":
        return bool(row.get("ispublic")) and not row.get("isfeatured")
    if filter_name == "all":
        return caller.is_root_admin or ctx.can_access(row) or bool(row.get("ispublic"))
    return False


def _list_images(ctx, filter_name: str, iso: bool):
    if filter_name not in TEMPLATE_FILTERS:
        raise errors.invalid_value(f"Please specify a valid {'iso' if iso else 'template'} filter")
    if filter_name == "all" and not ctx.caller.is_admin:
        raise errors.invalid_value("Filter all can be specified by admin only")
    all_projects = asks_all_projects(ctx)
    project = project_for_param(ctx, ctx.get("projectid")) if ctx.has("projectid") and not all_projects else None
    executable = filter_name in ("selfexecutable", "sharedexecutable", "executable")
    rows = [r for r in ctx.store.find("template") if is_iso(r) == iso and not r.get("removed")]
    if all_projects:
        # projectid=-1: the images of every project the caller sees, as a single project's are listed.
        scope = all_projects_scope(ctx)
        rows = [r for r in rows if scope(r)]
    elif project is not None:
        rows = [r for r in rows if r.get("accountid") == project["projectaccountid"]]
    elif filter_name != "all" or ctx.has("account") or ctx.has("domainid"):
        rows = [r for r in rows if _filter_match(ctx, filter_name, r)]
    if ctx.has("account") or (ctx.has("domainid") and filter_name not in ("featured", "community", "executable")):
        from marvin2.simulator.listing import owner_filter

        allowed = owner_filter(ctx)
        rows = [r for r in rows if allowed(r)]
    for key, field in (("id", "id"), ("hypervisor", "hypervisor"), ("parenttemplateid", "parenttemplateid")):
        if ctx.has(key) and key in ctx.api.by_param:
            wanted = ctx.get(key)
            rows = [r for r in rows if str(r.get(field, "")).lower() == str(wanted).lower()]
    if ctx.has("ids"):
        wanted_ids = {i.lower() for i in ctx.get("ids")}
        rows = [r for r in rows if r["id"] in wanted_ids]
    if ctx.has("name"):
        rows = [r for r in rows if r["name"].lower() == ctx.get("name").lower()]
    if ctx.has("keyword"):
        keyword = ctx.get("keyword").lower()
        rows = [r for r in rows if keyword in r["name"].lower() or keyword in (r.get("displaytext") or "").lower()]
    for key in ("bootable", "ispublic"):
        if ctx.has(key) and key in ctx.api.by_param:
            rows = [r for r in rows if bool(r.get(key, key == "bootable")) == ctx.get(key)]
    if ctx.has("tags"):
        rows = [r for r in rows if tagging.has_tags(ctx, r["id"], ctx.get("tags"))]
    entries = []
    for row in rows:
        zones = list(row.get("zoneids") or [])
        if ctx.has("zoneid"):
            zones = [z for z in zones if z == ctx.get("zoneid")]
        if ctx.get("showunique"):
            zones = zones[:1]
        for zone_id in zones:
            ready = zone_progress(row, zone_id, ctx.sim.profile) == 100
            if (executable or (ctx.has("isready") and ctx.get("isready"))) and not ready:
                continue
            entries.append((row, zone_id))
    page = ctx.paginate(entries)
    return ListResult([render_template(ctx, row, zone_id) for row, zone_id in page.items], page.count)


_TEMPLATE_FIELDS = {
    "id": "template id", "name": "template name", "displaytext": "description", "ispublic": ("boolean", "public"),
    "isfeatured": ("boolean", "featured"), "isready": ("boolean", "ready to use in this zone"), "status": "download status",
    "zoneid": "the zone of this entry", "zonename": "its name", "format": "image format", "ostypeid": "OS type",
    "ostypename": "OS type name", "size": ("long", "size (bytes)"), "templatetype": "BUILTIN, USER, SYSTEM ...",
    "hypervisor": "hypervisor", "passwordenabled": ("boolean", "password reset enabled"), "account": "owner",
    "domain": "owner domain", "domainid": "owner domain id", "created": ("date", "registered"),
    "isextractable": ("boolean", "may be downloaded"), "crossZones": ("boolean", "in every zone"), "tags": ("set", "tags"),
    "bootable": ("boolean", "bootable"), "url": "source URL", "checksum": "checksum", "details": ("map", "details"),
}
declare_object("template", _TEMPLATE_FIELDS)
declare_object("iso", _TEMPLATE_FIELDS)


@api("listTemplates", response="template", related="registerTemplate,updateTemplate",
     description="Lists templates (one entry per zone a template is in) chosen by templatefilter.",
     params=[*PAGING, P("templatefilter", "featured, self, selfexecutable, sharedexecutable, executable, community or all"),
             P("id", entity="template"), P("ids", "template ids"), P("name"), P("zoneid"),
             P("hypervisor"), P("account"), P("domainid"), P("isrecursive"), P("listall"),
             P("projectid", entity="project"), P("tags"), P("showremoved", "include removed"),
             P("showunique", "one entry per template"), P("showicon"),
             P("parenttemplateid", "child templates of this one", entity="template"),
             P("details", "all or min")])
def list_templates(ctx):
    return _list_images(ctx, ctx.get("templatefilter"), iso=False)


@api("listIsos", response="iso", related="registerIso,updateIso",
     description="Lists ISOs (one entry per zone) chosen by isofilter (default selfexecutable).",
     params=[*PAGING, P("isofilter", "featured, self, selfexecutable, sharedexecutable, executable, community or all"),
             P("id", entity="template"), P("name"), P("zoneid"), P("hypervisor"), P("account"),
             P("domainid"), P("isrecursive"), P("listall"), P("projectid", entity="project"),
             P("tags"), P("bootable", "bootable ISOs only"), P("ispublic"),
             P("isready", "ready ISOs only"), P("showremoved"), P("showunique"),
             P("showicon")])
def list_isos(ctx):
    return _list_images(ctx, ctx.get("isofilter") or "selfexecutable", iso=True)


def _check_url(url: str) -> str:
    lowered = url.lower()
    if not lowered.startswith(("http://", "https://")):
        raise errors.invalid_value(f"Unsupported scheme for url: {url}")
    return url


def _target_zones(ctx, required: bool = True) -> list[str]:
    zones = []
    if ctx.has("zoneids"):
        zones = [z.lower() for z in ctx.get("zoneids")]
    elif ctx.has("zoneid"):
        zones = [ctx.get("zoneid")]
    if not zones and required:
        zones = [z["id"] for z in ctx.store.all("zone")]
    return _check_zones(ctx, zones)


def _register(ctx, *, iso: bool) -> dict:
    owner = owner_for_create(ctx)
    url = _check_url(ctx.get("url"))
    if iso:
        image_format, hypervisor = "ISO", None
    else:
        image_format = ctx.get("format").upper()
        if image_format not in IMAGE_FORMATS or image_format == "ISO":
            raise errors.invalid_value(f"Image format: {ctx.get('format')} is incorrect. Supported formats are "
                                       + ", ".join(f for f in IMAGE_FORMATS if f != "ISO"))
        wanted = ctx.get("hypervisor").lower()
        hypervisor = next((h for h in HYPERVISORS if h.lower() == wanted), None)
        if hypervisor is None:
            raise errors.invalid_value(f"Hypervisor Type: {ctx.get('hypervisor')} is invalid. Supported Hypervisore "
                                       f"types are {', '.join(HYPERVISORS)}")
    ostype = ctx.get("ostypeid")
    if ostype is None and not (iso and ctx.get("bootable") is False):
        raise errors.invalid_value("Please pass a valid GuestOS Id")
    if ctx.get("isfeatured") and not ctx.caller.is_admin:
        raise errors.permission_denied("Only admins can register a featured template or ISO")
    zones = _target_zones(ctx)
    limits.charge(ctx.store, owner, "template")
    now = epoch()
    row = ctx.store.insert("template", {
        "name": ctx.get("name"), "displaytext": ctx.get("displaytext") or ctx.get("name"), "format": image_format, "hypervisor": hypervisor,
        "url": url, "ostypeid": ostype, "ispublic": bool(ctx.get("ispublic")), "isfeatured": bool(ctx.get("isfeatured")),
        "isextractable": bool(ctx.get("isextractable")), "passwordenabled": bool(ctx.get("passwordenabled")),
        "sshkeyenabled": bool(ctx.get("sshkeyenabled")), "isdynamicallyscalable": bool(ctx.get("isdynamicallyscalable")),
        "requireshvm": ctx.get("requireshvm", True), "bits": ctx.get("bits", 64), "checksum": ctx.get("checksum"),
        "templatetag": ctx.get("templatetag"), "directdownload": bool(ctx.get("directdownload")),
        "deployasis": bool(ctx.get("deployasis")), "bootable": ctx.get("bootable", True),
        "details": map_as_dict_loose(ctx.get("details")) or None, "templatetype": "USER",
        "crossZones": False, "zoneids": zones, "zonestate": {z: now for z in zones},
        "size": (2 if not iso else 1) * GIB, "sharedaccounts": [], **ctx.owner_row_fields(owner),
    })
    kind = "ISO" if iso else "TEMPLATE"
    record_event(ctx, f"{kind}.CREATE", f"Successfully registered {kind.lower()} {row['name']}", resource_id=row["id"],
                 resource_type="Iso" if iso else "Template", account=owner)
    return row


@api("registerTemplate", response="template", related="listTemplates,updateTemplate",
     description="Registers a template from a URL; it downloads in the background (see listTemplates status). "
                 "Answers a list of one entry per zone.",
     params=[P("name", "template name"), P("displaytext", "description"),
             P("format", "image format (QCOW2, RAW, VHD, OVA ...)"),
             P("hypervisor", "target hypervisor"), P("url", "where to download it"),
             P("ostypeid"), P("zoneid"), P("zoneids", "several zones"),
             P("account"), P("domainid"), P("projectid", entity="project"), P("bits", "32 or 64"),
             P("checksum", "checksum of the image"), P("details", "template details"),
             P("isdynamicallyscalable", "has tools for scaling"), P("isextractable", "may be downloaded"),
             P("isfeatured", "featured (admins)"), P("ispublic", "public"),
             P("isrouting", "a router template"), P("passwordenabled", "password reset"),
             P("requireshvm", "needs HVM"), P("sshkeyenabled", "SSH key reset"),
             P("templatetag", "tag"), P("directdownload", "bypass secondary storage"),
             P("deployasis", "VMware deploy-as-is")])
def register_template(ctx):
    row = _register(ctx, iso=False)
    items = [render_template(ctx, row, z) for z in row["zoneids"]]
    return ListResult(items, len(items))


@api("registerIso", response="iso", related="listIsos,updateIso",
     description="Registers an ISO from a URL; it downloads in the background. Answers a list of one entry per zone.",
     params=[P("name", "ISO name"), P("displaytext", "description"),
             P("url", "where to download it"), P("zoneid", "the zone"),
             P("ostypeid"), P("account"), P("domainid"), P("projectid", entity="project"),
             P("bootable", "bootable (default true)"), P("checksum", "checksum"),
             P("isextractable", "may be downloaded"), P("isfeatured", "featured"),
             P("ispublic", "public"), P("isdynamicallyscalable", "has tools for scaling"),
             P("passwordenabled", "password reset"), P("directdownload", "bypass secondary storage"),
             P("imagestoreuuid", "image store to use")])
def register_iso(ctx):
    row = _register(ctx, iso=True)
    items = [render_template(ctx, row, z) for z in row["zoneids"]]
    return ListResult(items, len(items))


def _own_image(ctx, row_id: str, iso: bool, write: bool = True) -> dict:
    row = ctx.store.get("template", row_id)
    label = "ISO" if iso else "template"
    if row is None or row.get("removed") or is_iso(row) != iso:
        raise errors.invalid_value(f"unable to find {label} with id {row_id}")
    if write and not ctx.can_access(row):
        # DomainChecker.checkAccess(caller, template, OperateEntry).
        if row.get("ispublic"):
            raise access_texts.only_own_public_templates()
        raise access_texts.no_launch_permission(ctx.store, ctx.caller.account, row)
    return row


def _update_image(ctx, iso: bool) -> dict:
    row = _own_image(ctx, ctx.get("id"), iso)
    changes = {k: ctx.get(k) for k in ("name", "displaytext", "ostypeid", "passwordenabled", "bootable", "sortkey",
                                       "isdynamicallyscalable", "sshkeyenabled", "requireshvm", "isrouting")
               if ctx.has(k)}
    if ctx.has("format"):
        image_format = ctx.get("format").upper()
        if image_format not in IMAGE_FORMATS:
            raise errors.invalid_value(f"Image format: {ctx.get('format')} is incorrect. Supported formats are "
                                       + ", ".join(IMAGE_FORMATS))
        changes["format"] = image_format
    if ctx.has("templatetype"):
        ctx.require_root_admin()
        changes["templatetype"] = ctx.get("templatetype").upper()
    details = dict(row.get("details") or {})
    if ctx.get("cleanupdetails"):
        details = {}
    details.update(map_as_dict_loose(ctx.get("details")))
    changes["details"] = details
    row = ctx.store.update("template", row["id"], **changes)
    record_event(ctx, "ISO.UPDATE" if iso else "TEMPLATE.UPDATE", f"updated {row['name']}", resource_id=row["id"],
                 resource_type="Iso" if iso else "Template")
    zone = (row.get("zoneids") or [None])[0]
    return render_template(ctx, row, zone)


_UPDATE_PARAMS = [P("id", "the template or ISO", entity="template"), P("name"), P("displaytext"),
                  P("ostypeid"), P("format", "image format"), P("passwordenabled", "password reset"),
                  P("bootable", "bootable"), P("sortkey", "display order"),
                  P("isdynamicallyscalable", "has tools for scaling"),
                  P("sshkeyenabled", "SSH key reset"), P("requireshvm", "needs HVM"),
                  P("isrouting", "router template"), P("details", "details to set"),
                  P("cleanupdetails", "remove every detail first")]


@api("updateTemplate", response="template", description="Changes a template's name, description, OS type, flags or details.",
     params=[*_UPDATE_PARAMS, P("templatetype", "template type (root admin)")])
def update_template(ctx):
    return _update_image(ctx, iso=False)


@api("updateIso", response="iso", description="Changes an ISO's name, description, OS type, flags or details.",
     params=_UPDATE_PARAMS)
def update_iso(ctx):
    return _update_image(ctx, iso=True)


def _update_permissions(ctx, iso: bool):
    row = _own_image(ctx, ctx.get("id"), iso)
    label = "ISO" if iso else "template"
    if row.get("templatetype") in ("SYSTEM", "BUILTIN") and not ctx.caller.is_root_admin:
        raise errors.invalid_value(f"Unable to update permissions for {label} with id {row['id']}")
    if ctx.has("isextractable") and not ctx.caller.is_root_admin:
        raise errors.invalid_value("Only ROOT admins are allowed to modify isExtractable attribute.")
    if ctx.has("isfeatured") and ctx.get("isfeatured") and not ctx.caller.is_admin:
        raise errors.permission_denied("Only admins can mark a template or ISO as featured")
    names, projects = ctx.get("accounts") or [], ctx.get("projectids") or []
    op = (ctx.get("op") or "").lower()
    if (names or projects) and not op:
        raise errors.invalid_value("Operation must be specified when accounts or projectids are given")
    if op and op not in ("add", "remove", "reset"):
        raise errors.invalid_value(f"Invalid operation {ctx.get('op')}: use add, remove or reset")
    shared = list(row.get("sharedaccounts") or [])
    targets = []
    for name in names:
        account = ctx.store.find_one("account", name=name, domainid=row["domainid"], removed=None)
        if account is None:
            raise errors.invalid_value(f"Unable to find account {name} in domain id={row['domainid']}")
        targets.append(account["id"])
    for project_id in projects:
        project = ctx.store.get("project", project_id.lower())
        if project is None:
            raise errors.invalid_value(f"Unable to find project by id {project_id}")
        targets.append(project["projectaccountid"])
    if op == "add":
        shared += [t for t in targets if t not in shared]
    elif op == "remove":
        shared = [s for s in shared if s not in targets]
    elif op == "reset":
        shared = []
    changes = {"sharedaccounts": shared}
    for key in ("ispublic", "isfeatured", "isextractable"):
        if ctx.has(key):
            changes[key] = ctx.get(key)
    if op == "reset":
        changes["ispublic"] = False
    ctx.store.update("template", row["id"], **changes)
    record_event(ctx, f"{label.upper()}.UPDATE", f"updated permissions of {label} {row['name']}", resource_id=row["id"],
                 resource_type="Iso" if iso else "Template")
    return SUCCESS


_PERMISSION_PARAMS = [P("id", "the template or ISO", entity="template"),
                      P("accounts", "account names of the owner's domain"),
                      P("projectids", "project ids"), P("op", "add, remove or reset"),
                      P("ispublic", "public"), P("isfeatured", "featured"),
                      P("isextractable", "may be downloaded (root admin)")]


@api("updateTemplatePermissions", response="success", related="listTemplatePermissions",
     description="Shares a template with accounts or projects (op add/remove/reset) or makes it public/featured.",
     params=_PERMISSION_PARAMS)
def update_template_permissions(ctx):
    return _update_permissions(ctx, iso=False)


@api("updateIsoPermissions", response="success", related="listIsoPermissions",
     description="Shares an ISO with accounts or projects (op add/remove/reset) or makes it public/featured.",
     params=_PERMISSION_PARAMS)
def update_iso_permissions(ctx):
    return _update_permissions(ctx, iso=True)


declare_object("templatepermission", {"id": "template id", "ispublic": ("boolean", "public"), "domainid": "owner domain",
                                      "account": ("list", "accounts it is shared with"),
                                      "projectids": ("list", "projects it is shared with")})


def _list_permissions(ctx, iso: bool) -> dict:
    row = _own_image(ctx, ctx.get("id"), iso)
    if not ctx.can_access(row) and not row.get("ispublic"):
        raise errors.permission_denied(f"Account {ctx.caller.account['name']} does not have permission to access "
                                       f"{'ISO' if iso else 'template'} {row['id']}")
    names, projects = [], []
    for account_id in row.get("sharedaccounts") or []:
        account = ctx.store.get("account", account_id)
        if account is None:
            continue
        if account.get("accounttype") == 5:
            projects.append(account.get("projectid"))
        else:
            names.append(account["name"])
    return {"id": row["id"], "ispublic": bool(row.get("ispublic")), "domainid": row.get("domainid"),
            "account": names, "projectids": projects or None}


@api("listTemplatePermissions", response="templatepermission",
     description="Shows who a template is shared with.", params=[P("id", "the template", entity="template")])
def list_template_permissions(ctx):
    return _list_permissions(ctx, iso=False)


@api("listIsoPermissions", response="templatepermission",
     description="Shows who an ISO is shared with.", params=[P("id", "the ISO", entity="template")])
def list_iso_permissions(ctx):
    return _list_permissions(ctx, iso=True)


# --- copy, extract, delete (async) ------------------------------------------------------------------

_COPY_PARAMS = [P("id", "the template or ISO", entity="template"),
                P("destzoneid", "destination zone", entity="zone"),
                P("destzoneids", "destination zones"),
                P("sourcezoneid", "source zone (default: any where it is ready)", entity="zone")]


def _copy(ctx, iso: bool) -> Job:
    row = _own_image(ctx, ctx.get("id"), iso, write=False)
    label = "ISO" if iso else "template"
    if not can_use_template(ctx, row, ctx.caller.account):
        raise errors.permission_denied(f"Account {ctx.caller.account['name']} does not have permission to copy {label} {row['id']}")
    destinations = [z.lower() for z in (ctx.get("destzoneids") or [])] or ([ctx.get("destzoneid")] if ctx.has("destzoneid") else [])
    if not destinations:
        raise errors.invalid_value("Please specify valid destination zone(s).")
    _check_zones(ctx, destinations)
    source = ctx.get("sourcezoneid")
    profile = ctx.sim.profile

    def run(jctx):
        current = jctx.store.get("template", row["id"])
        ready = [z for z in current.get("zoneids") or [] if zone_progress(current, z, profile) == 100]
        src = source or (ready[0] if ready else None)
        if src is None or src not in ready:
            raise errors.invalid_value(f"The {label} {current['name']} is not ready in the source zone "
                                       f"{zone_name(jctx.store, src) or src}; it cannot be copied")
        if src in destinations:
            raise errors.invalid_value("Please specify different source and destination zones.")
        zones = list(current.get("zoneids") or [])
        state = dict(current.get("zonestate") or {})
        for zone_id in destinations:
            if zone_id not in zones:
                zones.append(zone_id)
                state.pop(zone_id, None)      # the copy job ran for the whole transfer: ready now
        current = jctx.store.update("template", current["id"], zoneids=zones, zonestate=state)
        record_event(jctx, f"{label.upper()}.COPY", f"copied {label} {current['name']} to {len(destinations)} zone(s)",
                     resource_id=current["id"], resource_type="Iso" if iso else "Template")
        return render_template(jctx, current, destinations[0])

    return Job(run, instance_type="Iso" if iso else "Template", instance_id=row["id"])


@api("copyTemplate", response="template", instance_type="Template",
     description="Copies a template to other zones.", params=_COPY_PARAMS)
def copy_template(ctx):
    return _copy(ctx, iso=False)


@api("copyIso", response="iso", instance_type="Iso",
     description="Copies an ISO to other zones.", params=_COPY_PARAMS)
def copy_iso(ctx):
    return _copy(ctx, iso=True)


declare_object("extract", {"id": "template or ISO id", "name": "its name", "extractId": "the extraction id",
                           "extractMode": "HTTP_DOWNLOAD or FTP_UPLOAD", "state": "DOWNLOAD_URL_CREATED ...",
                           "status": "status", "uploadpercentage": ("integer", "progress"), "url": "download URL",
                           "zoneid": "zone", "zonename": "zone name", "accountid": "owner", "created": ("date", "created"),
                           "storagetype": "storage type", "resultstring": "result"})


def _extract(ctx, iso: bool) -> Job:
    row = _own_image(ctx, ctx.get("id"), iso, write=False)
    label = "ISO" if iso else "template"
    mode = ctx.get("mode").upper()
    if mode not in ("HTTP_DOWNLOAD", "FTP_UPLOAD"):
        raise errors.invalid_value("Please specify a valid extract Mode. Supported modes: HTTP_DOWNLOAD, FTP_UPLOAD")
    if mode == "FTP_UPLOAD" and not ctx.has("url"):
        raise errors.invalid_value("Please specify a valid URL for FTP_UPLOAD mode")
    if not ctx.can_access(row) and not (row.get("ispublic") and row.get("isextractable")):
        raise errors.permission_denied(f"Account {ctx.caller.account['name']} does not have permission to extract {label} {row['id']}")
    zone_id = ctx.get("zoneid") or next(iter(row.get("zoneids") or []), None)
    profile = ctx.sim.profile

    def run(jctx):
        current = jctx.store.get("template", row["id"])
        if current.get("templatetype") in ("SYSTEM", "BUILTIN"):
            raise errors.invalid_value(f"Unable to extract the {label} {current['name']} as it is a system {label}")
        if not current.get("isextractable") and not jctx.caller.is_root_admin:
            raise errors.invalid_value(f"Unable to extract {label} id={current['id']} as it's not extractable")
        if zone_id not in (current.get("zoneids") or []) or zone_progress(current, zone_id, profile) != 100:
            raise errors.invalid_value(f"The {label} {current['name']} is not ready in zone {zone_name(jctx.store, zone_id)}")
        token = secrets.token_hex(16)
        if mode == "FTP_UPLOAD":
            url = ctx.get("url")
        else:   # served by the zone's SSVM, over https on its name when the operator set that up
            url = systemvm_urls.download_url(jctx, zone_id, current["name"], "ISO" if iso else current.get("format") or "VHD",
                                             f"template/tmpl/{current.get('accountid')}/{current['id']}")
        record_event(jctx, f"{label.upper()}.EXTRACT", f"extracted {label} {current['name']}", resource_id=current["id"],
                     resource_type="Iso" if iso else "Template")
        return {"id": current["id"], "name": current["name"], "extractId": token, "extractMode": mode,
                "state": "DOWNLOAD_URL_CREATED" if mode == "HTTP_DOWNLOAD" else "UPLOADED", "status": "DOWNLOAD_URL_CREATED",
                "uploadpercentage": 100, "url": url, "zoneid": zone_id, "zonename": zone_name(jctx.store, zone_id),
                "accountid": jctx.caller.account_id, "created": epoch_text(), "storagetype": "Image"}

    return Job(run, instance_type="Iso" if iso else "Template", instance_id=row["id"])


@api("extractTemplate", response="template", instance_type="Template",
     description="Makes a template downloadable: the job result carries its URL.",
     params=[P("id", "the template", entity="template"), P("mode", "HTTP_DOWNLOAD or FTP_UPLOAD"),
             P("url", "FTP_UPLOAD target"), P("zoneid")])
def extract_template(ctx):
    return _extract(ctx, iso=False)


@api("extractIso", response="iso", instance_type="Iso",
     description="Makes an ISO downloadable: the job result carries its URL.",
     params=[P("id", "the ISO", entity="template"), P("mode", "HTTP_DOWNLOAD or FTP_UPLOAD"),
             P("url", "FTP_UPLOAD target"), P("zoneid")])
def extract_iso(ctx):
    return _extract(ctx, iso=True)


def _delete(ctx, iso: bool) -> Job:
    row = _own_image(ctx, ctx.get("id"), iso)
    label = "ISO" if iso else "template"
    zone_id = ctx.get("zoneid")
    forced = bool(ctx.get("forced"))

    def run(jctx):
        store = jctx.store
        current = store.get("template", row["id"])
        if current.get("templatetype") in ("SYSTEM",):
            raise errors.invalid_value(f"Unable to delete the {label} {current['name']} as it is a system {label}")
        if zone_id and zone_id not in (current.get("zoneids") or []):
            raise errors.invalid_value(f"The {label} {current['name']} is not in zone {zone_id}")
        if not iso and not forced:
            users = [vm for vm in store.find("virtualmachine", templateid=current["id"]) if not vm.get("removed")]
            if users:
                raise errors.invalid_value(
                    f"Unable to delete template with id: {current['id']} because VM instances: "
                    f"[{','.join(vm['instancename'] for vm in users)}] are using it.")
        if iso:
            attached = [vm for vm in store.find("virtualmachine", isoid=current["id"]) if not vm.get("removed")]
            if attached:
                raise errors.resource_in_use(f"Unable to delete ISO {current['name']}: it is attached to VM "
                                             f"{attached[0]['name']}; detach it first")
        remaining = [z for z in current.get("zoneids") or [] if zone_id and z != zone_id]
        if remaining:
            state = {k: v for k, v in (current.get("zonestate") or {}).items() if k in remaining}
            store.update("template", current["id"], zoneids=remaining, zonestate=state)
        else:
            store.update("template", current["id"], removed=epoch_text(), zoneids=[])
            tagging.delete_tags_of(store, current["id"])
            if current.get("accountid"):
                limits.release(store, current["accountid"], "template")
        record_event(jctx, f"{label.upper()}.DELETE", f"deleted {label} {current['name']}", resource_id=current["id"],
                     resource_type="Iso" if iso else "Template")
        return SUCCESS

    return Job(run, instance_type="Iso" if iso else "Template", instance_id=row["id"])


@api("deleteTemplate", response="success", instance_type="Template",
     description="Deletes a template (from one zone with zoneid, else everywhere); forced=true even when VMs use it.",
     params=[P("id", "the template", entity="template"), P("zoneid"),
             P("forced", "delete even when VMs use it")])
def delete_template(ctx):
    return _delete(ctx, iso=False)


@api("deleteIso", response="success", instance_type="Iso",
     description="Deletes an ISO (from one zone with zoneid, else everywhere).",
     params=[P("id", "the ISO", entity="template"), P("zoneid")])
def delete_iso(ctx):
    return _delete(ctx, iso=True)


# --- createTemplate (from a volume or a snapshot) ------------------------------------------------------------


@api("createTemplate", response="template", instance_type="Template",
     description="Creates a template from a volume of a stopped VM, or from a volume snapshot; the id is answered at "
                 "once, the template is ready in the volume's zone when the job ends.",
     params=[P("name", "template name"), P("displaytext", "description"),
             P("ostypeid", "OS type"), P("volumeid", entity="volume"),
             P("snapshotid", entity="snapshot"), P("virtualmachineid", "VM of the volume (VMware)", entity="virtualmachine"),
             P("projectid", entity="project"), P("bits", "32 or 64"),
             P("details", "template details"), P("isdynamicallyscalable", "scalable"),
             P("isfeatured", "featured (admins)"), P("ispublic", "public"),
             P("passwordenabled", "password reset"), P("requireshvm", "needs HVM"),
             P("sshkeyenabled", "SSH key reset"), P("templatetag", "tag"),
             P("url", "URL of the volume (swift/S3 only)")])
def create_template(ctx):
    store = ctx.store
    volume = snapshot = None
    if ctx.has("snapshotid"):
        snapshot = check_owned(ctx, store.get("snapshot", ctx.get("snapshotid")), "snapshot")
        if snapshot.get("removed") or snapshot["state"] != "BackedUp":
            raise errors.invalid_value(f"Snapshot {snapshot['id']} is not in BackedUp state and cannot be used")
        volume = store.get("volume", snapshot["volumeid"]) or {}
    elif ctx.has("volumeid"):
        volume = check_owned(ctx, store.get("volume", ctx.get("volumeid")), "volume")
        if volume.get("removed"):
            raise errors.invalid_value(f"Unable to find volume with ID: {volume['id']}")
        vm = store.get("virtualmachine", volume.get("virtualmachineid")) if volume.get("virtualmachineid") else None
        if vm is not None and vm["state"] not in ("Stopped", "Destroyed"):
            raise errors.invalid_value(f"Volume {volume['name']} is attached to a non-stopped VM, please stop the VM "
                                       "first")
        if volume.get("state") != "Ready":
            raise errors.invalid_value(f"Volume {volume['name']} is not in Ready state (it is {volume.get('state')})")
    else:
        raise errors.invalid_value("Failed to create private template record, neither volume ID nor snapshot ID "
                                   "were specified.")
    if ctx.get("isfeatured") and not ctx.caller.is_admin:
        raise errors.permission_denied("Only admins can create a featured template")
    owner = owner_for_create(ctx) if ctx.has("projectid") else (store.get("account", (snapshot or volume)["accountid"]))
    limits.charge(store, owner, "template")
    source = store.get("template", volume.get("templateid")) if volume.get("templateid") else {}
    zone_id = (snapshot or volume)["zoneid"]
    row = store.insert("template", {
        "name": ctx.get("name"), "displaytext": ctx.get("displaytext") or ctx.get("name"), "format": (source or {}).get("format") or "VHD",
        "hypervisor": (source or {}).get("hypervisor") or "Simulator", "ostypeid": ctx.get("ostypeid"),
        "ispublic": bool(ctx.get("ispublic")), "isfeatured": bool(ctx.get("isfeatured")), "isextractable": False,
        "passwordenabled": bool(ctx.get("passwordenabled")), "sshkeyenabled": bool(ctx.get("sshkeyenabled")),
        "isdynamicallyscalable": bool(ctx.get("isdynamicallyscalable")), "requireshvm": ctx.get("requireshvm", True),
        "bits": ctx.get("bits", 64), "templatetag": ctx.get("templatetag"), "bootable": True,
        "details": map_as_dict_loose(ctx.get("details")) or None, "templatetype": "USER", "crossZones": False,
        "zoneids": [], "zonestate": {}, "size": volume.get("size") or (snapshot or {}).get("size"),
        "sourcetemplateid": (source or {}).get("id"), "sharedaccounts": [], **ctx.owner_row_fields(owner),
    })
    record_event(ctx, "TEMPLATE.CREATE", f"Creating template {row['name']}", resource_id=row["id"],
                 resource_type="Template", account=owner)

    def run(jctx):
        done = jctx.store.update("template", row["id"], zoneids=[zone_id], zonestate={})
        return render_template(jctx, done, zone_id)

    def failed(jctx, error):
        jctx.store.update("template", row["id"], removed=epoch_text())
        limits.release(jctx.store, owner, "template")

    return Job(run, entity_id=row["id"], instance_id=row["id"], on_failure=failed)


apply_command_classes()
