"""Public IP ranges (``vlan`` rows) as dedication APIs see them: the VlanIpRangeResponse renderer and the rules of
dedicating a range to an account, a project or a domain and releasing it (ConfigurationManagerImpl)."""
from __future__ import annotations

from marvin2.simulator import errors
from marvin2.simulator.services import addresses, rules
from marvin2.simulator.services.common import name_of


def render_range(ctx, row: dict) -> dict:
    """VlanIpRangeResponse (object name "vlan")."""
    out = {k: row.get(k) for k in ("id", "zoneid", "podid", "physicalnetworkid", "networkid", "vlan", "startip", "endip",
                                    "gateway", "netmask", "forvirtualnetwork", "forsystemvms")}
    out.update(podname=name_of(ctx.store, "pod", row.get("podid")), description=f"{row['startip']}-{row['endip']}")
    if row.get("accountid"):
        out.update(ctx.owner_fields(row))
        out.pop("domainpath", None)
    elif row.get("domainid"):
        out.update(domainid=row["domainid"], domain=name_of(ctx.store, "domain", row["domainid"]))
    return out


def check_dedicable(store, vlan: dict, owner: dict | None, domain: dict | None) -> None:
    """The 431s of dedicatePublicIpRange once the range and its new owner are known."""
    if vlan.get("accountid"):
        raise errors.invalid_value("Specified Public IP range has already been dedicated")
    if vlan.get("domainid"):
        raise errors.invalid_value("Specified Public IP range has already been dedicated to a domain")
    zone = store.get("zone", vlan["zoneid"])
    if zone is None:
        raise errors.invalid_value(f"Unable to find zone by id {vlan['zoneid']}")
    if zone.get("networktype") == "Basic":
        raise errors.invalid_value("Public IP range can be dedicated to an account only in the zone of type Advanced")
    for ip in store.find("publicipaddress", vlanid=vlan["id"]):
        if vlan.get("forsystemvms") or ip.get("forsystemvms"):
            raise errors.invalid_value(f"{ip['ipaddress']} Public IP address in range is dedicated to system vms ")
        holder = ip.get("accountid")
        if holder and ip.get("state") != "Free":
            if owner is not None and holder != owner["id"]:
                raise errors.invalid_value(f"{ip['ipaddress']} Public IP address in range is allocated to another "
                                           "account ")
            holder_account = store.get("account", holder) or {}
            if owner is None and domain is not None and holder_account.get("domainid") != domain["id"]:
                raise errors.invalid_value(f"{ip['ipaddress']} Public IP address in range is allocated to another "
                                           "domain/account ")


def release_range(ctx, vlan: dict) -> dict:
    """releasePublicIpRange: the range's held addresses without static NAT, source NAT or rules go back to the
    pool (as disassociateIpAddress would), then the dedication ends."""
    store = ctx.store
    if not vlan.get("accountid") and not vlan.get("domainid"):
        raise errors.invalid_value(f"Can't release Public IP range {vlan['id']} as it not dedicated to any domain and "
                                   "any account")
    for ip in store.find("publicipaddress", vlanid=vlan["id"]):
        if ip.get("state") == "Free" or not ip.get("accountid"):
            continue
        in_use = ip.get("isstaticnat") or ip.get("issourcenat") or any(
            store.find(kind, ipaddressid=ip["id"]) for kind in rules.RULE_KINDS)
        if not in_use:
            addresses.release_address(ctx, ip)
    return store.update("vlan", vlan["id"], accountid=None, domainid=None)
