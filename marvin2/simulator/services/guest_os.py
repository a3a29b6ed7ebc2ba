"""Guest OS management: user-defined guest OS types, their hypervisor name mappings, and hypervisor capabilities.

Guest OS types are the catalogue's ``ostype`` rows (``description`` is the display name, ``oscategoryid``,
``isuserdefined``); the ones addGuestOs makes also carry ``name`` and ``fordisplay``, and their details are
GuestOs resource details (services/resource_details.py). Only user-defined types and mappings may be changed or
removed, as CloudStack refuses the system-defined ones. A removed type keeps its row with ``removed`` set, so
templates registered with it still show its name.

Mappings are ``guestosmapping`` rows (``ostypeid``, ``hypervisor``, ``hypervisorversion``,
``osnameforhypervisor``, ``isuserdefined``). Hypervisor capabilities are ``hypervisorcapability`` rows; the
simulator starts with the ``default`` row of each hypervisor the 4.20 schema creates one for (the per-version
rows of VMware and XenServer are not loaded: add them with updateHypervisorCapabilities, which copies a row to
a new version as CloudStack does).
"""
from __future__ import annotations

from marvin2.simulator import errors

HYPERVISOR_TYPES = ("XenServer", "KVM", "VMware", "Hyperv", "VirtualBox", "Parralels", "BareMetal", "Simulator",
                    "Ovm", "Ovm3", "LXC", "Custom", "Any")
MAPPABLE = ("KVM", "XenServer", "VMware")          # addGuestOsMapping takes these
NAME_LOOKUP = ("VMware", "XenServer")              # the hypervisors CloudStack can ask for their OS names

# (hypervisor, version, maxguestslimit, securitygroupenabled, maxdatavolumeslimit, maxhostspercluster,
#  storagemotionenabled, vmsnapshotenabled): the 'default' rows of the 4.20 schema (Simulator's from
#  hypervisor_capabilities.simulator.sql; the others as create-schema.sql inserts them).
DEFAULT_CAPABILITIES = (
    ("Simulator", "default", 50, True, 6, None, True, True),
    ("XenServer", "default", 50, True, None, None, False, True),
    ("VMware", "default", 128, False, None, 32, False, True),
    ("KVM", "default", 50, True, None, None, False, False),
    ("Ovm", "default", 25, True, None, None, False, False),
    ("LXC", "default", 50, True, None, None, False, False),
)
CAPABILITY_FIELDS = ("maxguestslimit", "securitygroupenabled", "maxdatavolumeslimit", "maxhostspercluster",
                     "storagemotionenabled", "vmsnapshotenabled")


def hypervisor_type(name: str | None) -> str | None:
    """HypervisorType.getType: the proper name in any case, None (CloudStack's "None") when unknown."""
    return next((h for h in HYPERVISOR_TYPES if h.lower() == (name or "").lower()), None)


# --- guest OS types ----------------------------------------------------------------------------------------------


def _by_display_name(store, display_name: str) -> dict | None:
    return next((r for r in store.all("ostype")
                 if not r.get("removed") and r.get("description", "").lower() == display_name.lower()), None)


def add_os(store, category_id: str, display_name: str, name: str | None, for_display: bool | None) -> dict:
    category = store.get("oscategory", category_id)
    if category is None:
        raise errors.invalid_value("Guest OS category not found. Please specify a valid Guest OS category")
    if _by_display_name(store, display_name) is not None:
        raise errors.invalid_value(f"The specified Guest OS name : {display_name} already exists. Please specify a "
                                   f"unique name")
    return store.insert("ostype", {"description": display_name, "oscategoryid": category_id, "name": name,
                                   "isuserdefined": True, "fordisplay": True if for_display is None else for_display})


def live_os(store, os_id: str) -> dict:
    row = store.get("ostype", os_id)
    if row is None or row.get("removed"):
        raise errors.invalid_value("Guest OS not found. Please specify a valid ID for the Guest OS")
    return row


def check_user_defined(row: dict, verb: str) -> None:
    if not row.get("isuserdefined"):
        raise errors.invalid_value(f"Unable to {verb} system defined guest OS")


def rename_os(store, row: dict, display_name: str, for_display: bool | None) -> dict:
    if display_name == row["description"]:
        return row
    if _by_display_name(store, display_name) is not None:
        raise errors.invalid_value(f"The specified Guest OS name : {display_name} already exists. Please specify a "
                                   f"unique guest OS name")
    changes = {"description": display_name}
    if for_display is not None:
        changes["fordisplay"] = for_display
    return store.update("ostype", row["id"], **changes)


def remove_os(store, row: dict, when: str) -> None:
    store.update("ostype", row["id"], removed=when)


# --- mappings ----------------------------------------------------------------------------------------------------


def find_capability(store, hypervisor: str, version: str | None) -> dict | None:
    return store.find_one("hypervisorcapability", hypervisor=hypervisor, hypervisorversion=version or "default")


def add_mapping(store, os_row: dict | None, hypervisor: str, version: str, name_for_hypervisor: str,
                forced: bool) -> dict:
    if os_row is None:
        raise errors.invalid_value("Unable to find the guest OS by name or UUID")
    duplicate = store.find_one("guestosmapping", ostypeid=os_row["id"], hypervisor=hypervisor,
                               hypervisorversion=version, isuserdefined=True)
    if duplicate is not None:
        if not forced:
            raise errors.invalid_value(f"Mapping from hypervisor : {hypervisor}, version : {version} and guest OS : "
                                       f"{os_row['description']} already exists!")
        return store.update("guestosmapping", duplicate["id"], osnameforhypervisor=name_for_hypervisor)
    return store.insert("guestosmapping", {"ostypeid": os_row["id"], "hypervisor": hypervisor,
                                           "hypervisorversion": version, "osnameforhypervisor": name_for_hypervisor,
                                           "isuserdefined": True})


def os_for_mapping(store, os_type_id: str | None, display_name: str | None) -> dict | None:
    if os_type_id is None and not display_name:
        raise errors.invalid_value("Please specify either a guest OS name or UUID")
    if os_type_id is not None:
        row = store.get("ostype", os_type_id)
        return row if row and not row.get("removed") else None
    return _by_display_name(store, display_name)


def check_mappable(store, hypervisor: str | None, version: str) -> str:
    if hypervisor not in MAPPABLE:
        raise errors.invalid_value("Please specify a valid hypervisor : XenServer, KVM or VMware")
    if find_capability(store, hypervisor, version) is None:
        raise errors.invalid_value("Please specify a valid hypervisor and supported version")
    return hypervisor


def live_mapping(store, mapping_id: str, verb: str) -> dict:
    row = store.get("guestosmapping", mapping_id)
    if row is None:
        raise errors.invalid_value("Guest OS Mapping not found. Please specify a valid ID for the Guest OS Mapping")
    if not row.get("isuserdefined"):
        raise errors.invalid_value(f"Unable to {verb} system defined Guest OS mapping")
    return row


def check_mapping_supported(hypervisor: str) -> None:
    """osmappingcheckenabled asks the hypervisor; CloudStack can ask VMware and XenServer only."""
    if hypervisor not in NAME_LOOKUP:
        raise errors.invalid_value(f"Guest OS mapping check is not supported for hypervisor: {hypervisor}, please "
                                   f"specify a valid hypervisor : VMware, XenServer")


def hypervisor_host(store, hypervisor: str, version: str) -> dict:
    """A host of that hypervisor and version to ask; the simulator's hosts report no VMware/XenServer versions
    unless a host was added with them."""
    host = next((h for h in store.all("host") if h.get("hypervisor") == hypervisor
                 and str(h.get("hypervisorversion") or "") == version and not h.get("removed")), None)
    if host is None:
        raise errors.internal_error(f"No {hypervisor} hypervisor with version: {version} exists, please specify "
                                    f"available hypervisor and version")
    return host


def search_mappings(store, *, mapping_id=None, os_type_id=None, display_name=None, name_for_hypervisor=None,
                    hypervisor=None, version=None) -> list[dict]:
    """listGuestOsMapping: substring matches on names, hypervisor and version; ordered by hypervisor, then
    version (newest first), then guest OS."""
    if version is not None and not hypervisor:
        raise errors.invalid_value("Hypervisor version parameter cannot be used without specifying a hypervisor : "
                                   "XenServer, KVM or VMware")
    os_ids = None
    if display_name is not None:
        matching = {r["id"] for r in store.all("ostype") if display_name.lower() in r.get("description", "").lower()}
        os_ids = matching or None          # CloudStack ignores a display name that matches no OS

    def chosen(row):
        return ((mapping_id is None or row["id"] == mapping_id)
                and (os_type_id is None or row["ostypeid"] == os_type_id)
                and (os_ids is None or row["ostypeid"] in os_ids)
                and (name_for_hypervisor is None or name_for_hypervisor.lower() in row["osnameforhypervisor"].lower())
                and (hypervisor is None or hypervisor.lower() in row["hypervisor"].lower())
                and (version is None or version.lower() in row["hypervisorversion"].lower()))

    rows = [r for r in store.all("guestosmapping") if chosen(r)]
    rows.sort(key=lambda r: r["hypervisorversion"], reverse=True)
    rows.sort(key=lambda r: r["hypervisor"])
    return rows


# --- hypervisor capabilities ----------------------------------------------------------------------------------------


def ensure_capabilities(store) -> None:
    """Load the default rows once per store."""
    if store.get_meta("hypervisorcapabilities.loaded"):
        return
    for hypervisor, version, *values in DEFAULT_CAPABILITIES:
        store.insert("hypervisorcapability", {"hypervisor": hypervisor, "hypervisorversion": version,
                                              **dict(zip(CAPABILITY_FIELDS, values))})
    store.set_meta("hypervisorcapabilities.loaded", True)


def capability_for_update(store, cap_id: str | None, hypervisor: str | None, version: str | None) -> dict:
    if cap_id is None and not hypervisor and not version:
        raise errors.invalid_value("Either ID or hypervisor and hypervisor version must be specified")
    if cap_id is not None:
        if (hypervisor or "").strip() or (version or "").strip():
            raise errors.invalid_value("ID can not be specified together with hypervisor and hypervisor version")
        row = store.get("hypervisorcapability", cap_id)
        if row is None:
            raise errors.invalid_value("unable to find the hypervisor capabilities for specified id")
        return row
    if not (hypervisor or "").strip() or not (version or "").strip():
        raise errors.invalid_value("Hypervisor and hypervisor version must be specified together")
    proper = hypervisor_type(hypervisor)
    if proper is None:
        raise errors.invalid_value("Invalid hypervisor specified")
    row = find_capability(store, proper, version)
    if row is None:
        raise errors.invalid_value("Unable to find the hypervisor capabilities for specified hypervisor and "
                                   "hypervisor version")
    return row


def update_capability(store, row: dict, version: str | None, changes: dict) -> dict:
    """Apply the given limits; asking for another version first copies the row to it."""
    if not changes:
        return row
    if version and version.strip() and row["hypervisorversion"] != version:
        copy = {k: v for k, v in row.items() if k not in ("id", "created")}
        row = store.insert("hypervisorcapability", {**copy, "hypervisorversion": version})
    return store.update("hypervisorcapability", row["id"], **changes)
