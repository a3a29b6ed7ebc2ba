"""Resource details (key/value metadata on resources) and resource icons.

Which resource types take details and icons is CloudStack 4.20's ResourceObjectType table (its metadata and
icon flags). A resource type names a store kind through the tag registry (``tagging``) plus the few kinds that
cannot be tagged. Details are ``resourcedetail`` rows (``resourceid``, ``resourcetype``, ``key``, ``value``,
``fordisplay``); a VM's details are also its row's ``details`` (what deploy stored and listVirtualMachines
shows), so both stay the same. Icons are ``resourceicon`` rows (``resourceid``, ``resourcetype``,
``base64image``), one per resource.
"""
from __future__ import annotations

import base64
import binascii

from marvin2.simulator import errors, tagging

# ResourceObjectType values whose metadata flag is set (ResourceMetaDataManagerImpl has a details table for them).
METADATA_TYPES = (
    "UserVm", "Template", "Volume", "Network", "Nic", "LoadBalancer", "PortForwardingRule", "FirewallRule",
    "PublicIpAddress", "Vpc", "NetworkACL", "RemoteAccessVpn", "Zone", "ServiceOffering", "Storage",
    "PrivateGateway", "NetworkACLList", "VpnGateway", "CustomerGateway", "VpnConnection", "User", "DiskOffering",
    "AutoScaleVmProfile", "AutoScaleVmGroup", "LBStickinessPolicy", "LBHealthCheckPolicy", "SnapshotPolicy",
    "GuestOs", "NetworkOffering",
)
# ResourceObjectType values whose icon flag is set.
ICON_TYPES = ("UserVm", "Template", "VnfTemplate", "ISO", "Network", "Project", "Account", "Vpc", "Zone", "User",
              "Domain", "ObjectStore")
# Every ResourceObjectType of 4.20 (the names getResourceObjectType accepts, in any case).
ALL_TYPES = (
    "UserVm", "Template", "VnfTemplate", "ISO", "Volume", "Snapshot", "Backup", "Network", "DomainRouter", "Nic",
    "LoadBalancer", "PortForwardingRule", "FirewallRule", "SecurityGroup", "SecurityGroupRule", "PublicIpAddress",
    "Project", "Account", "Vpc", "NetworkACL", "StaticRoute", "VMSnapshot", "RemoteAccessVpn", "Zone",
    "ServiceOffering", "Storage", "PrivateGateway", "NetworkACLList", "VpnGateway", "CustomerGateway",
    "VpnConnection", "User", "DiskOffering", "AutoScaleVmProfile", "AutoScaleVmGroup", "LBStickinessPolicy",
    "LBHealthCheckPolicy", "SnapshotPolicy", "GuestOs", "NetworkOffering", "VpcOffering", "Domain", "ObjectStore",
)
# Kinds the tag registry does not name.
UNTAGGED_KINDS = {"Nic": "nic", "Project": "project", "DomainRouter": "router", "VnfTemplate": "template"}

# listDetailOptions for a VM or template of a hypervisor without its own options (the Simulator's): UEFI boot
# modes, keyboards, cores per socket and root disk size (QueryManagerImpl.fillVMOrTemplateDetailOptions).
VM_DETAIL_OPTIONS = {"UEFI": ["LEGACY", "SECURE"], "keyboard": ["uk", "us", "jp", "fr"],
                     "cpu.corespersocket": [], "rootdisksize": []}
ROOT_ADMIN_ONLY_VM_SETTINGS = ("guest.cpu.mode", "guest.cpu.model")
IMAGE_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"BM")


def resource_type(name: str) -> str:
    """The proper spelling of a ResourceObjectType, or 431 "Invalid resource type"."""
    proper = next((t for t in ALL_TYPES if t.lower() == (name or "").lower()), None)
    if proper is None:
        raise errors.invalid_value(f"Invalid resource type {name}")
    return proper


def kind_of(proper: str) -> str | None:
    known = tagging.taggable(proper)
    return known[1] if known else UNTAGGED_KINDS.get(proper)


def find_resource(store, resource_id: str, proper: str) -> dict:
    """The row a resource id names (ResourceManagerUtil.getResourceId), else 431."""
    kind = kind_of(proper)
    row = store.get(kind, resource_id.lower()) if kind else None
    if row is None or row.get("removed"):
        raise errors.invalid_value(f"Unable to find resource by uuid {resource_id} and type {proper}")
    return row


def ownership(kind: str, row: dict) -> dict:
    """accountid/domainid a caller's access is judged by (an account owns itself, a domain is its own)."""
    if kind == "account":
        return {"accountid": row["id"], "domainid": row["domainid"]}
    if kind == "domain":
        return {"domainid": row["id"]}
    if kind == "project":
        return {"accountid": row.get("projectaccountid"), "domainid": row.get("domainid")}
    return {"accountid": row.get("accountid"), "domainid": row.get("domainid")}




# --- details -----------------------------------------------------------------------------------------------


def check_metadata_type(proper: str) -> None:
    if proper not in METADATA_TYPES:
        # ResourceMetaDataManagerImpl throws UnsupportedOperationException: a server error.
        raise errors.internal_error(f"ResourceType {proper} doesn't support metadata")


def check_values(details: dict[str, str]) -> None:
    for key, value in details.items():
        if not value:
            raise errors.invalid_value(f"Value for the key {key} is either null or empty")


def add_details(store, proper: str, row: dict, details: dict[str, str], for_display: bool) -> None:
    """Add or replace each key (a key already set takes the new value)."""
    for key, value in details.items():
        existing = store.find_one("resourcedetail", resourceid=row["id"], resourcetype=proper, key=key)
        if existing:
            store.update("resourcedetail", existing["id"], value=value, fordisplay=for_display)
        else:
            store.insert("resourcedetail", {"resourceid": row["id"], "resourcetype": proper, "key": key,
                                            "value": value, "fordisplay": for_display})
    if kind_of(proper) == "virtualmachine":
        store.update("virtualmachine", row["id"], details={**(row.get("details") or {}), **details})


def remove_details(store, proper: str, row: dict, key: str | None) -> None:
    """Remove one key, or every detail of the resource when no key is given."""
    if key is None:
        store.delete_where("resourcedetail", resourceid=row["id"], resourcetype=proper)
    else:
        store.delete_where("resourcedetail", resourceid=row["id"], resourcetype=proper, key=key)
    if kind_of(proper) == "virtualmachine":
        kept = {} if key is None else {k: v for k, v in (row.get("details") or {}).items() if k != key}
        store.update("virtualmachine", row["id"], details=kept or None)


def details_of(store, proper: str, resource_ids: list[str] | None) -> list[dict]:
    """Detail entries ``{resourceid, resourcetype, key, value, fordisplay}`` of the given resources (all of
    the type when None). A VM's come from its row, with the display flag addResourceDetail recorded."""
    stored = [d for d in store.find("resourcedetail", resourcetype=proper)
              if resource_ids is None or d["resourceid"] in resource_ids]
    if kind_of(proper) != "virtualmachine":
        return stored
    flags = {(d["resourceid"], d["key"]): d.get("fordisplay", True) for d in stored}
    vms = ([store.get("virtualmachine", i) for i in resource_ids] if resource_ids is not None
           else store.all("virtualmachine"))
    out = []
    for vm in vms:
        if vm is None or vm.get("removed"):
            continue
        for key, value in (vm.get("details") or {}).items():
            out.append({"resourceid": vm["id"], "resourcetype": proper, "key": key, "value": str(value),
                        "fordisplay": flags.get((vm["id"], key), True)})
    return out


def check_listing(resource_id: str | None, key: str | None, value: str | None) -> None:
    if resource_id is None and value is None:
        raise errors.invalid_value("Insufficient parameters passed for listing by resourceId OR key,value pair. "
                                   "Please check your params and try again.")
    if value is not None and key is None:
        raise errors.invalid_value("Listing by (key, value) but key is null. Please check the params and try again")


def select_details(entries: list[dict], key: str | None, value: str | None, for_display: bool | None) -> list[dict]:
    return [d for d in entries
            if (key is None or d["key"] == key) and (value is None or d["value"] == value)
            and (for_display is None or bool(d.get("fordisplay", True)) == for_display)]


def detail_options(proper: str, root_admin: bool, denied_for_users: str) -> dict[str, list[str]]:
    """listDetailOptions: the VM/template options (only those two types answer), without the settings users may
    not see (user.vm.denied.details and the root-admin-only ones) for everyone but root admins."""
    if proper not in ("UserVm", "Template"):
        raise errors.internal_error("Resource type not supported.")
    options = {k: list(v) for k, v in VM_DETAIL_OPTIONS.items()}
    if not root_admin:
        for name in [*(s.strip() for s in denied_for_users.split(",")), *ROOT_ADMIN_ONLY_VM_SETTINGS]:
            options.pop(name, None)
    return options


# --- icons ----------------------------------------------------------------------------------------------------


def check_image(base64_image: str) -> None:
    """What ImageIO would read: base64 of a PNG, JPEG, GIF or BMP image."""
    try:
        data = base64.b64decode(base64_image, validate=True)
    except (binascii.Error, ValueError):
        data = b""
    if not any(data.startswith(sig) for sig in IMAGE_SIGNATURES):
        raise errors.internal_error("Invalid image uploaded")


def check_icon_type(proper: str) -> None:
    if proper not in ICON_TYPES:
        raise errors.internal_error(f"The resource type {proper} doesn't support resource icons")


def set_icon(store, proper: str, row: dict, base64_image: str) -> dict:
    existing = store.find_one("resourceicon", resourceid=row["id"], resourcetype=proper)
    if existing:
        return store.update("resourceicon", existing["id"], base64image=base64_image)
    return store.insert("resourceicon", {"resourceid": row["id"], "resourcetype": proper,
                                         "base64image": base64_image})


def icons_of(store, proper: str, resource_ids: list[str]) -> list[dict]:
    wanted = {i.lower() for i in resource_ids}
    return [i for i in store.find("resourceicon", resourcetype=proper) if i["resourceid"] in wanted]
