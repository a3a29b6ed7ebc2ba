"""Dedicating public IP ranges to an account (or a domain) after they were created, and releasing them.

A dedicated range is a ``vlan`` row with ``accountid`` (and ``domainid``), or with ``domainid`` alone for a
domain-wide pool, as createVlanIpRange records one. Dedicating checks what ConfigurationManagerImpl checks
(the range is not dedicated yet, the zone is Advanced, no address of it is reserved for system VMs or
allocated to someone else, and the account's public_ip limit leaves room for the whole range). The account's
public_ip count is not raised for the range as a whole: the simulator's allocator (ipalloc) counts addresses as
they are allocated. Releasing gives back the allocated addresses that nothing uses (no static NAT, not a
source NAT, no rules) and removes the dedication.
"""
from __future__ import annotations

from marvin2.simulator import errors, ipalloc, limits

RULE_KINDS = ("firewallrule", "portforwardingrule", "loadbalancerrule")


def owner_for(store, account_name: str | None, domain_id: str | None, project: dict | None) -> tuple[dict | None,
                                                                                                     dict | None]:
    """(account, domain) the range goes to: a project's account, a named account, or only a domain."""
    if project is not None:
        if account_name:
            raise errors.invalid_value("accountName and projectId are mutually exclusive")
        return store.get("account", project["projectaccountid"]), None
    if account_name and domain_id:
        account = store.find_one("account", name=account_name, domainid=domain_id, removed=None)
        if account is None:
            raise errors.invalid_value(f"Unable to find account by name {account_name}")
        return account, None
    return None, store.get("domain", domain_id)


def dedicate(store, vlan: dict, account: dict | None, domain: dict | None) -> dict:
    if vlan.get("accountid"):
        raise errors.invalid_value("Specified Public IP range has already been dedicated")
    if vlan.get("domainid"):
        raise errors.invalid_value("Specified Public IP range has already been dedicated to a domain")
    zone = store.get("zone", vlan["zoneid"])
    if zone is None:
        raise errors.invalid_value(f"Unable to find zone by id {vlan['zoneid']}")
    if zone.get("networktype") == "Basic":
        raise errors.invalid_value("Public IP range can be dedicated to an account only in the zone of type Advanced")
    addresses = store.find("publicipaddress", vlanid=vlan["id"])
    if account is not None:
        free = [a for a in addresses if a.get("state") == "Free"]
        limits.check(store, account, "public_ip", len(free))
    for address in addresses:
        if vlan.get("forsystemvms"):
            raise errors.invalid_value(f"{address['ipaddress']} Public IP address in range is dedicated to system vms ")
        holder = address.get("accountid") if address.get("state") != "Free" else None
        if holder is None:
            continue
        if account is not None and holder != account["id"]:
            raise errors.invalid_value(f"{address['ipaddress']} Public IP address in range is allocated to another "
                                       f"account ")
        holder_row = store.get("account", holder) or {}
        if account is None and domain is not None and holder_row.get("domainid") != domain["id"]:
            raise errors.invalid_value(f"{address['ipaddress']} Public IP address in range is allocated to another "
                                       f"domain/account ")
    if account is not None:
        return store.update("vlan", vlan["id"], accountid=account["id"], domainid=account["domainid"])
    return store.update("vlan", vlan["id"], domainid=domain["id"])


def _in_use(store, address: dict) -> bool:
    if address.get("isstaticnat") or address.get("issourcenat"):
        return True
    return any(r.get("state") != "Revoke" for kind in RULE_KINDS for r in store.find(kind, ipaddressid=address["id"]))


def release(store, vlan: dict) -> list[str]:
    """Remove the dedication; returns the addresses still in use (kept by their holders)."""
    if not vlan.get("accountid") and not vlan.get("domainid"):
        raise errors.invalid_value(f"Can't release Public IP range {vlan['id']} as it not dedicated to any domain "
                                   f"and any account")
    kept = []
    for address in store.find("publicipaddress", vlanid=vlan["id"]):
        if address.get("state") == "Free":
            continue
        if _in_use(store, address):
            kept.append(address["ipaddress"])
        else:
            ipalloc.release(store, address["id"])
    store.update("vlan", vlan["id"], accountid=None, domainid=None)
    return kept
