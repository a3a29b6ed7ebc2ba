"""Secondary IP addresses of a user VM's NIC: the rules (CloudStack 4.20's NetworkServiceImpl).

NICs are the compute module's ``nic`` rows; their secondary addresses are ``nicsecondaryip`` rows (``nicid``,
``virtualmachineid``, ``networkid``, ``ipaddress``, owner). A secondary address comes from the NIC's network:
isolated networks from the guest CIDR, shared networks from their address range; L2 networks have none. The
requested address must be free (not a NIC's, not another secondary one, not the gateway) and inside the network;
at most ``vm.network.nic.max.secondary.ipaddresses`` per NIC. Removing one from an isolated network of an
advanced zone is refused while a port forwarding, static NAT or load balancing rule uses it.
"""
from __future__ import annotations

import ipaddress

from marvin2.simulator import errors, facts
from marvin2.simulator.services import java_text, nics

KIND = "nicsecondaryip"
MAX_SETTING = "vm.network.nic.max.secondary.ipaddresses"
FAILED_TO_ASSIGN = "Failed to assign secondary ip to nic"


def _max_per_nic(ctx) -> int:
    known = facts.settings().get(MAX_SETTING)
    try:
        return int(ctx.config(MAX_SETTING, known.default if known else "10"))
    except (TypeError, ValueError):
        return 10


def forget_orphans(store) -> None:
    """Secondary addresses of NICs that are gone (VM expunged, NIC removed) go with them."""
    for row in store.find(KIND):
        if store.get("nic", row["nicid"]) is None:
            store.delete(KIND, row["id"])


def secondary_ips(store, nic_id: str) -> list[dict]:
    return store.find(KIND, nicid=nic_id)


def _pick(store, network: dict, requested: str | None) -> str:
    """acquireGuestIpAddress: a free address of the network (the requested one when it is free and inside); the
    guest IP allocator of services/nics, which counts NIC, secondary and gateway addresses as taken."""
    failure = errors.internal_error(FAILED_TO_ASSIGN)
    if requested is not None:
        try:
            ipaddress.IPv4Address(requested)
        except ValueError:
            raise failure from None
    picked = nics.pick_ip(store, network, requested, failure=failure)
    if picked is None:
        raise failure
    return picked[0]


def allocate(ctx, nic: dict, vm: dict, network: dict, requested: str | None) -> dict:
    store = ctx.store
    if store.count(KIND, nicid=nic["id"]) >= _max_per_nic(ctx):
        raise errors.invalid_value("Allocating guest ip for nic failed : Maximum Number of Ips per Nic has been crossed.")
    if network.get("type") not in ("Isolated", "Shared"):
        raise errors.internal_error(FAILED_TO_ASSIGN)
    address = _pick(store, network, requested)
    return store.insert(KIND, {"nicid": nic["id"], "virtualmachineid": vm["id"], "networkid": network["id"],
                               "ipaddress": address, "accountid": vm.get("accountid"), "domainid": vm.get("domainid")})


def check_removable(store, row: dict) -> None:
    """The rules that keep a secondary address in use; each is an InvalidParameterValueException, which the
    command turns into "Removing guest ip from nic failed"."""
    network = store.get("network", row["networkid"]) or {}
    zone = store.get("zone", network.get("zoneid")) or {}
    refused = errors.invalid_value("Removing guest ip from nic failed")
    if zone.get("networktype") == "Advanced" and network.get("type") == "Isolated":
        address = row["ipaddress"]
        for rule in store.find("portforwardingrule", networkid=network["id"]):
            if rule.get("vmguestip") == address and rule.get("state") != "Revoke":
                raise refused
        for ip in store.find("publicipaddress", associatednetworkid=network["id"]):
            if ip.get("vmipaddress") == address:
                raise refused
        for mapping in store.find("lbvmmap", virtualmachineid=row["virtualmachineid"]):
            if address in (mapping.get("vmips") or []):
                raise refused
    elif zone.get("networktype") != "Basic" and network.get("type") != "Shared":
        raise refused


def release(store, row: dict) -> None:
    store.delete(KIND, row["id"])


# --- the NIC's own (primary) address: updateVmNicIp -----------------------------------------------------------


def _nic_text(store, nic: dict) -> str:
    """How NicVO.toString() names a NIC in 4.20's messages (its selected fields, JSON style)."""
    return java_text.ref(store, "Nic", "nic", nic, name=False, deviceId=nic.get("deviceid", 0),
                         iPv4Address=nic.get("ipaddress"))


def update_primary(store, nic: dict, vm: dict, network: dict, requested: str | None) -> dict:
    """updateNicIpForVirtualMachine: a new address for a stopped VM's NIC (any VM on a network without services);
    static NAT, load balancing and port forwarding rules that pointed at the old address follow it."""
    if network.get("state") not in ("Allocated", "Implemented", "Setup"):
        raise errors.invalid_value("Network is not in the right state to update vm nic ip. Correct states are: "
                                   "Allocated, Implemented, Setup")
    offering = store.get("networkoffering", network.get("networkofferingid")) or {}
    if offering.get("service") and vm["state"] != "Stopped":
        raise errors.invalid_value("VM is not Stopped, unable to update the vm nic having the specified id")
    zone = store.get("zone", network.get("zoneid")) or {}
    if not (network.get("type") in ("Isolated", "Shared") or zone.get("networktype") == "Basic"):
        raise errors.invalid_value("UpdateVmNicIpCmd is not supported in L2 network")
    old = nic.get("ipaddress")
    if requested is not None and requested == old:
        return nic
    try:
        address = _pick(store, network, requested)
    except errors.ApiError:
        if network.get("type") == "Isolated":
            raise errors.invalid_value(f"Allocating ip to guest nic {_nic_text(store, nic)} failed, please choose "
                                       f"another ip") from None
        raise errors.invalid_value(f"Allocating ip to guest nic {nic['id']} failed, please choose another ip") from None
    if old and network.get("type") == "Isolated":
        for ip in store.find("publicipaddress", virtualmachineid=vm["id"]):
            if ip.get("vmipaddress") == old and ip.get("associatednetworkid") == network["id"]:
                store.update("publicipaddress", ip["id"], vmipaddress=address)
        for rule in store.find("portforwardingrule", virtualmachineid=vm["id"]):
            if rule.get("vmguestip") == old:
                store.update("portforwardingrule", rule["id"], vmguestip=address)
        for mapping in store.find("lbvmmap", virtualmachineid=vm["id"]):
            if old in (mapping.get("vmips") or []):
                store.update("lbvmmap", mapping["id"], vmips=[address if ip == old else ip for ip in mapping["vmips"]])
    return store.update("nic", nic["id"], ipaddress=address)
