"""The public IP allocator: hands out addresses of a zone's public ranges.

Every address of every range is a ``publicipaddress`` row (state Free) from
the moment the range is created, as on a real server; allocating one marks
it Allocated for an account and charges that account's ``public_ip`` count.
Under the store lock (each request is one transaction) no address can be
handed out twice. No Free address left -> 533, like a real server.
"""
from __future__ import annotations

import time

from marvin2 import wire
from marvin2.simulator import errors, limits

_OWNERSHIP_FIELDS = ("accountid", "domainid", "associatednetworkid", "vpcid", "virtualmachineid", "allocated",
                     "vmipaddress")


def allocate(store, zone_id: str, account: dict, *, network_id: str | None = None, vpc_id: str | None = None,
             source_nat: bool = False, vlan_id: str | None = None, address: str | None = None) -> dict:
    """Allocate a Free public IP of the zone (a given ``address`` if asked) to ``account``."""
    candidates = store.find("publicipaddress", zoneid=zone_id, state="Free")
    if address:
        # An address the account reserved (reserveIpAddress) is acquired by asking for it; it is counted already.
        reserved = store.find_one("publicipaddress", zoneid=zone_id, ipaddress=address, state="Reserved",
                                  accountid=account["id"])
        if reserved is not None:
            return store.update("publicipaddress", reserved["id"], state="Allocated", associatednetworkid=network_id,
                                vpcid=vpc_id, issourcenat=bool(source_nat), isstaticnat=False,
                                allocated=wire.now_text())
    if vlan_id:
        candidates = [c for c in candidates if c["vlanid"] == vlan_id]
    else:     # guest ranges of shared networks are handed out by their network, not here
        candidates = [c for c in candidates if c.get("forvirtualnetwork", True)]
    if address:
        candidates = [c for c in candidates if c["ipaddress"] == address]
        if not candidates:
            raise errors.invalid_value(f"IP address {address} is not a free public IP address of zone {zone_id}")
    dedicated = {v["id"]: v.get("accountid") for v in store.find("vlan", zoneid=zone_id)}
    candidates = [c for c in candidates if dedicated.get(c["vlanid"]) in (None, account["id"])]
    # Public IP quarantine (4.19+): a released address stays with its previous owner until the quarantine ends.
    held = _quarantined(store)
    if address and candidates and held.get(candidates[0]["id"], account["id"]) != account["id"]:
        raise errors.insufficient_capacity(f"Failed to allocate public IP address [{address}] as it is in quarantine.")
    candidates = [c for c in candidates if held.get(c["id"], account["id"]) == account["id"]]
    if not candidates:
        raise errors.insufficient_capacity("Insufficient address capacity")
    limits.charge(store, account, "public_ip")
    # Addresses of a range dedicated to this account go first, as on a real server.
    candidates.sort(key=lambda c: dedicated.get(c["vlanid"]) is None)
    chosen = candidates[0]
    if chosen["id"] in held:       # its previous owner takes it back: the quarantine ends
        for row in store.find("ipquarantine", publicipaddressid=chosen["id"], endedearly=None):
            store.update("ipquarantine", row["id"], endedearly=wire.now_text(),
                         removalreason="IP was removed from quarantine because it has been allocated by the previous "
                                       "owner")
    return store.update("publicipaddress", chosen["id"], state="Allocated", accountid=account["id"],
                        domainid=account["domainid"], associatednetworkid=network_id, vpcid=vpc_id,
                        issourcenat=bool(source_nat), isstaticnat=False, allocated=wire.now_text())


def _quarantined(store) -> dict[str, str]:
    """Addresses in an active quarantine -> their previous owner's account id."""
    now = time.time()
    return {row["publicipaddressid"]: row["previousownerid"] for row in store.find("ipquarantine", endedearly=None)
            if row.get("endts", 0) > now}


def release(store, ip_id: str) -> dict:
    """Give an address back (state Free) and release the owner's ``public_ip`` count."""
    row = store.get("publicipaddress", ip_id)
    if row is None:
        raise errors.invalid_value(f"Unable to find public IP address with id {ip_id}")
    if row.get("accountid") and row.get("state") != "Free":
        limits.release(store, row["accountid"], "public_ip")
    changes = {field: None for field in _OWNERSHIP_FIELDS}
    return store.update("publicipaddress", ip_id, state="Free", issourcenat=False, isstaticnat=False, **changes)


def free_count(store, zone_id: str) -> int:
    return store.count("publicipaddress", zoneid=zone_id, state="Free")
