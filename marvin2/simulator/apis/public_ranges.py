"""Public IP range changes: dedicatePublicIpRange, releasePublicIpRange, updateVlanIpRange (rules in
services/public_ranges.py).

A dedicated range's addresses go to its account first and to nobody else (ipalloc honours ``vlan.accountid``).
Unlike 4.20, which counts every address of a dedicated range against its account at once, the simulator counts
an address when the account holds it (as ipalloc counts every address); the limit check of the whole range at
dedication time is kept."""
from __future__ import annotations

import ipaddress

from marvin2.simulator import errors, limits
from marvin2.simulator.context import SUCCESS
from marvin2.simulator.declare import ADMIN_ONLY, P, api
from marvin2.simulator.services import public_ranges


@api("dedicatePublicIpRange", response="vlan", roles=ADMIN_ONLY,
     description="Dedicates a public IP range to an account, a project or a domain.",
     params=[P("id", "the range", entity=""), P("account", "the account (with domainid)"),
             P("projectid", "the project", entity=""), P("domainid", "the domain (alone: dedicate to it)")])
def dedicate_public_ip_range(ctx):
    store = ctx.store
    owner = domain = None
    if ctx.has("projectid"):
        if ctx.has("account"):
            raise errors.invalid_value("accountName and projectId are mutually exclusive")
        project = store.get("project", ctx.get("projectid"))
        if project is None or project.get("removed"):
            raise errors.invalid_value(f"Unable to find project by id {ctx.get('projectid')}")
        owner = store.get("account", project["projectaccountid"])
    if ctx.has("account"):
        owner = store.find_one("account", name=ctx.get("account"), domainid=ctx.get("domainid"), removed=None)
        if owner is None or owner.get("state") != "enabled":
            raise errors.invalid_value(f"Unable to find account by name {ctx.get('account')}")
    elif owner is None:
        domain = store.get("domain", ctx.get("domainid"))
        if domain is None or domain.get("removed"):
            raise errors.invalid_value("Please specify a valid domain id")
    vlan = store.get("vlan", ctx.get("id"))
    if vlan is None:
        raise errors.invalid_value(f"Unable to find vlan by id {ctx.get('id')}")
    if owner is not None:
        limits.check(store, owner, "public_ip", store.count("publicipaddress", vlanid=vlan["id"], state="Free"))
    public_ranges.check_dedicable(store, vlan, owner, domain)
    if owner is not None:
        vlan = store.update("vlan", vlan["id"], accountid=owner["id"], domainid=owner["domainid"])
    else:
        vlan = store.update("vlan", vlan["id"], accountid=None, domainid=domain["id"])
    ctx.event("VLAN.IP.RANGE.DEDICATE", f"dedicated IP range {vlan['startip']}-{vlan['endip']}")
    return public_ranges.render_range(ctx, vlan)


@api("releasePublicIpRange", response="success", roles=ADMIN_ONLY,
     description="Ends a range's dedication; its held addresses without NAT or rules go back to the pool.",
     params=[P("id", "the range", entity="")])
def release_public_ip_range(ctx):
    vlan = ctx.store.get("vlan", ctx.get("id"))
    if vlan is None:
        return SUCCESS                          # 4.20 logs and answers true for an unknown range
    vlan = public_ranges.release_range(ctx, vlan)
    ctx.event("VLAN.IP.RANGE.RELEASE", f"released IP range {vlan['startip']}-{vlan['endip']}")
    return SUCCESS


def _ip4(text: str) -> ipaddress.IPv4Address | None:
    try:
        return ipaddress.IPv4Address(text)
    except ValueError:
        return None


@api("updateVlanIpRange", response="vlan",
     description="Changes a public range's addresses, gateway or netmask (addresses in use must stay inside it) or its "
                 "forsystemvms flag.",
     params=[P("id", "the range", entity=""), P("startip"), P("endip"), P("gateway"), P("netmask"),
             P("forsystemvms", "for system VMs only"), P("startipv6"), P("endipv6"), P("ip6gateway"), P("ip6cidr")])
def update_vlan_ip_range(ctx):
    store = ctx.store
    vlan = store.get("vlan", ctx.get("id"))
    if vlan is None:
        raise errors.invalid_value("Please specify a valid IP range id.")
    if not vlan.get("ip6gateway") and any(ctx.has(k) for k in ("startipv6", "endipv6", "ip6gateway", "ip6cidr")):
        raise errors.invalid_value("IPv6 is not support in this IP range.")
    for_system = ctx.get("forsystemvms") if ctx.has("forsystemvms") else None
    if for_system is not None and bool(vlan.get("forsystemvms")) != for_system:
        if not vlan.get("forvirtualnetwork", True):
            raise errors.invalid_value("forSystemVms is not available for this IP range with vlan type: DirectAttached")
        if vlan.get("accountid"):
            raise errors.invalid_value("Specified Public IP range has already been dedicated to an account")
        if vlan.get("domainid"):
            raise errors.invalid_value("Specified Public IP range has already been dedicated to a domain")
    addresses = store.find("publicipaddress", vlanid=vlan["id"])
    in_use = sorted((ip for ip in addresses if ip.get("state") == "Allocated"),
                    key=lambda ip: int(ipaddress.IPv4Address(ip["ipaddress"])))
    gateway, netmask = ctx.get("gateway"), ctx.get("netmask")
    if gateway is not None and gateway != vlan["gateway"] and in_use:
        raise errors.invalid_value(f"Unable to change gateway to {gateway} because some IPs are in use")
    if netmask is not None and netmask != vlan["netmask"] and in_use:
        raise errors.invalid_value(f"Unable to change netmask to {netmask} because some IPs are in use")
    gateway, netmask = gateway or vlan["gateway"], netmask or vlan["netmask"]
    start, end = ctx.get("startip") or vlan["startip"], ctx.get("endip") or vlan["endip"]
    try:
        cidr = ipaddress.IPv4Network(f"{gateway}/{netmask}", strict=False)
    except ValueError:
        raise errors.invalid_value(f"Invalid gateway ({gateway}) or netmask ({netmask})") from None
    first, last = _ip4(start), _ip4(end)
    if first is None:
        raise errors.invalid_value("The start address of the IP range is not a valid IP address.")
    if last is None:
        raise errors.invalid_value("The end address of the IP range is not a valid IP address.")
    if first not in cidr:
        raise errors.invalid_value("The start address of the IP range is not in the CIDR subnet.")
    if last not in cidr:
        raise errors.invalid_value("The end address of the IP range is not in the CIDR subnet.")
    if first > last:
        raise errors.invalid_value("The start IP address must have a lower value than the end IP address.")
    if first <= ipaddress.IPv4Address(gateway) <= last:
        raise errors.invalid_value("The gateway shouldn't overlap the new start/end ip addresses")
    for ip in in_use:
        address = ipaddress.IPv4Address(ip["ipaddress"])
        if address < first or address > last:
            raise errors.invalid_value(
                f"The start IP address must be less than or equal to {in_use[0]['ipaddress']} which is already in use. "
                f"The end IP address must be greater than or equal to {in_use[-1]['ipaddress']} which is already in use. "
                f"There are {len(in_use)} IPs already allocated in this range.")
        if for_system is not None and bool(vlan.get("forsystemvms")) != for_system:
            raise errors.invalid_value(f"IP {ip['ipaddress']} is in use, cannot change forSystemVms of the IP range")
    wanted = {str(ipaddress.IPv4Address(i)) for i in range(int(first), int(last) + 1)}
    have = {ip["ipaddress"]: ip for ip in addresses}
    taken_elsewhere = [ip for ip in store.find("publicipaddress", zoneid=vlan["zoneid"])
                       if ip["vlanid"] != vlan["id"] and ip["ipaddress"] in wanted]
    if taken_elsewhere or len(wanted) > 65536:
        raise errors.internal_error("Failed to edit VlanRange. Please contact Cloud Support.")
    for address, ip in have.items():
        if address not in wanted and ip.get("state") == "Free":
            store.delete("publicipaddress", ip["id"])
    for address in sorted(wanted - set(have), key=lambda a: int(ipaddress.IPv4Address(a))):
        store.insert("publicipaddress", {"ipaddress": address, "zoneid": vlan["zoneid"], "vlanid": vlan["id"],
                                         "physicalnetworkid": vlan.get("physicalnetworkid"), "state": "Free",
                                         "forvirtualnetwork": vlan.get("forvirtualnetwork", True),
                                         "issourcenat": False, "isstaticnat": False, "issystem": False})
    changes = {"startip": str(first), "endip": str(last), "gateway": gateway, "netmask": netmask}
    if for_system is not None:
        changes["forsystemvms"] = for_system
    vlan = store.update("vlan", vlan["id"], **changes)
    ctx.event("VLAN.IP.RANGE.UPDATE", f"updated IP range to {vlan['startip']}-{vlan['endip']}")
    return public_ranges.render_range(ctx, vlan)
