"""Portable public IP ranges of a region: the rules (CloudStack 4.20's ConfigurationManagerImpl).

A range belongs to a region (``regionid``, an integer: a ``region`` row of services/regions; 1 is the local
region of every fresh database) and has
one ``portableip`` row per address (state Free until an account acquires it with associateIpAddress
isportable=true). Creating a range checks the addresses, that both ends are in the gateway's subnet, that it
does not overlap the region's other ranges and, with a VLAN, that no zone uses that VLAN or any of its addresses
as public addresses. A range whose addresses are all Free can be deleted; the region's ``portableipserviceenabled``
follows whether it has ranges.
"""
from __future__ import annotations

import ipaddress

from marvin2 import wire
from marvin2.simulator import errors
from marvin2.simulator.services import regions

RANGE_KIND = "portableiprange"
IP_KIND = "portableip"
LOCAL_REGION = 1
UNTAGGED = "untagged"


def region_of(store, region_id: int) -> dict | None:
    """The region row (services/regions: kind ``region``, id = the number's text; region 1 is seeded)."""
    regions.ensure_seeded(store)
    return store.get("region", str(region_id))


def region_exists(store, region_id: int) -> bool:
    return region_of(store, region_id) is not None


def _sync_region_flag(store, region_id: int) -> None:
    """4.20 turns a region's portable IP service on with its first range and off when the last range goes."""
    region = region_of(store, region_id)
    if region is not None:
        store.update("region", region["id"], portableipserviceenabled=portable_enabled(store, region_id))


def _ip(text: str) -> ipaddress.IPv4Address | None:
    try:
        return ipaddress.IPv4Address(text)
    except ValueError:
        return None


def _same_subnet(address: ipaddress.IPv4Address, gateway: str, netmask: str) -> bool:
    try:
        network = ipaddress.IPv4Network(f"{gateway}/{netmask}", strict=False)
    except ValueError:
        return False
    return address in network


def _zone_vlan_tag(row: dict) -> str:
    tag = str(row.get("vlan") or "")
    return tag.removeprefix("vlan://")


def create_range(store, region_id: int, start: str, end: str, gateway: str, netmask: str, vlan: str | None) -> dict:
    if not region_exists(store, region_id):
        raise errors.invalid_value(f"Invalid region ID: {region_id}")
    first, last = _ip(start), _ip(end)
    if first is None or last is None or first > last:
        raise errors.invalid_value(f"Invalid portable ip  range: {start}-{end}")
    if not _same_subnet(first, gateway, netmask):
        raise errors.invalid_value("Please ensure that your start IP is in the same subnet as your portable IP range's "
                                   "gateway and as per the IP range's netmask.")
    if not _same_subnet(last, gateway, netmask):
        raise errors.invalid_value("Please ensure that your end IP is in the same subnet as your portable IP range's "
                                   "gateway and as per the IP range's netmask.")
    for other in store.find(RANGE_KIND, regionid=region_id):
        lo, hi = ipaddress.IPv4Address(other["startip"]), ipaddress.IPv4Address(other["endip"])
        if first <= hi and lo <= last:
            raise errors.invalid_value(f"Ip  range: {start}-{end} overlaps with a portable IP range already configured "
                                       f"in the region {region_id}")
    if vlan is None:
        vlan = UNTAGGED
    else:
        if not _valid_vlan(vlan):
            raise errors.invalid_value(f"Invalid vlan id {vlan}")
        for zone in store.find("zone"):
            for public_range in store.find("vlan", zoneid=zone["id"]):
                if _zone_vlan_tag(public_range) == vlan:
                    raise errors.invalid_value(
                        f"Found a VLAN id {vlan} already existing in zone {zone['name']} that conflicts with VLAN id of "
                        f"the portable ip range being configured")
            for address in store.find("publicipaddress", zoneid=zone["id"]):
                if first <= ipaddress.IPv4Address(address["ipaddress"]) <= last:
                    raise errors.invalid_value(f"The Start IP and endIP address range overlap with Public IP :"
                                               f"{address['ipaddress']}")
    row = store.insert(RANGE_KIND, {"regionid": region_id, "startip": start, "endip": end, "gateway": gateway,
                                    "netmask": netmask, "vlan": vlan})
    for number in range(int(first), int(last) + 1):
        store.insert(IP_KIND, {"rangeid": row["id"], "regionid": region_id, "ipaddress": str(ipaddress.IPv4Address(number)),
                               "state": "Free", "vlan": vlan, "gateway": gateway, "netmask": netmask})
    _sync_region_flag(store, region_id)
    return row


def _valid_vlan(text: str) -> bool:
    if text == UNTAGGED:
        return True
    try:
        return 0 <= int(text) < 4096
    except ValueError:
        return False


def delete_range(store, range_id: str) -> None:
    row = store.get(RANGE_KIND, range_id)
    if row is None:
        raise errors.invalid_value("Please specify a valid portable IP range id.")
    addresses = store.find(IP_KIND, rangeid=range_id)
    if any(a["state"] != "Free" for a in addresses):
        raise errors.invalid_value("Can't delete portable IP range as there are IP's assigned.")
    for address in addresses:
        store.delete(IP_KIND, address["id"])
    store.delete(RANGE_KIND, range_id)
    _sync_region_flag(store, row["regionid"])


def portable_enabled(store, region_id: int) -> bool:
    """The region's ``portableipserviceenabled``: it has at least one range."""
    return store.count(RANGE_KIND, regionid=region_id) > 0


def ranges(store, region_id: int | None, range_id: str | None) -> list[dict]:
    if region_id is not None:
        if not region_exists(store, region_id):
            raise errors.invalid_value(f"Invalid region ID: {region_id}")
        return store.find(RANGE_KIND, regionid=region_id)
    if range_id is not None:
        row = store.get(RANGE_KIND, range_id)
        if row is None:
            # 4.20 names the (absent) region id in this text.
            raise errors.invalid_value("Invalid portable IP range ID: null")
        return [row]
    return store.find(RANGE_KIND)


def addresses(store, range_id: str) -> list[dict]:
    return store.find(IP_KIND, rangeid=range_id)


# --- acquiring and releasing a portable address (IpAddressManagerImpl.allocatePortableIp / releasePortableIpAddress) --
#
# A portable address is region-wide; to use it in a zone 4.20 provisions it there as a one-address public range
# (a ``vlan`` row) holding one public address (a ``publicipaddress`` row, ``isportable``). associateIpAddress
# isportable=true and disassociateIpAddress of such an address call these.


def _public_physical_network(store, zone_id: str) -> str | None:
    for physnet in store.find("physicalnetwork", zoneid=zone_id):
        if store.find_one("traffictype", physicalnetworkid=physnet["id"], traffictype="Public") is not None:
            return physnet["id"]
    return None


def acquire(store, owner: dict, zone_id: str, *, network_id: str | None = None, vpc_id: str | None = None) -> dict:
    """The first Free portable address of region 1 becomes the owner's, provisioned in ``zone_id``; returns the
    zone's ``publicipaddress`` row (state Allocated). 533 when the region has none left."""
    free = store.find(IP_KIND, regionid=LOCAL_REGION, state="Free")
    if not free:
        raise errors.insufficient_capacity("Unable to find available portable IP addresses")
    portable = free[0]
    now = wire.now_text()
    store.update(IP_KIND, portable["id"], state="Allocated", accountid=owner["id"], domainid=owner["domainid"],
                 zoneid=zone_id, networkid=network_id, vpcid=vpc_id, allocated=now)
    physnet = _public_physical_network(store, zone_id)
    tag = portable["vlan"]
    vlan = store.insert("vlan", {"zoneid": zone_id, "physicalnetworkid": physnet,
                                 "vlan": tag if tag == UNTAGGED else f"vlan://{tag}",
                                 "startip": portable["ipaddress"], "endip": portable["ipaddress"],
                                 "gateway": portable["gateway"], "netmask": portable["netmask"],
                                 "forvirtualnetwork": True, "portableipid": portable["id"]})
    return store.insert("publicipaddress", {
        "ipaddress": portable["ipaddress"], "zoneid": zone_id, "vlanid": vlan["id"], "physicalnetworkid": physnet,
        "state": "Allocated", "accountid": owner["id"], "domainid": owner["domainid"],
        "associatednetworkid": network_id, "vpcid": vpc_id, "issourcenat": False, "isstaticnat": False,
        "forvirtualnetwork": True, "isportable": True, "allocated": now})


def release(store, public_ip: dict) -> None:
    """The portable address is Free in its region again; its zone range and public address row go."""
    portable = store.find_one(IP_KIND, ipaddress=public_ip["ipaddress"], state="Allocated")
    if portable is not None:
        store.update(IP_KIND, portable["id"], state="Free", accountid=None, domainid=None, zoneid=None,
                     networkid=None, vpcid=None, allocated=None)
    if public_ip.get("vlanid"):
        store.delete("vlan", public_ip["vlanid"])
    store.delete("publicipaddress", public_ip["id"])
