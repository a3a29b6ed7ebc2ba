"""NICs: a VM's or router's place in a guest network, its IP and MAC addresses."""
from __future__ import annotations

import ipaddress
import random

from marvin2.simulator import errors
from marvin2.simulator.services import netcommon as nc
from marvin2.simulator.services import rules

_random = random.SystemRandom()


USER_VM = "User"


ROUTER_VM = "DomainRouter"


def _indexed(store) -> None:
    if getattr(store, "_network_indexes", False):
        return
    for field in ("networkid", "ipaddress", "macaddress", "virtualmachineid"):
        store.index("nic", field)
    store.index("network", "accountid")
    store._network_indexes = True


def network_label(network: dict) -> str:
    """How a real server prints a network in messages (``Ntwk[id|Guest|offering]``)."""
    return f"Ntwk[{network['id']}|Guest|{network.get('networkofferingid')}]"


def _guest_ranges(store, network: dict, pod_id: str | None = None) -> list[dict]:
    """A network's guest IP ranges (``vlan`` rows with its id): the one given at creation and any added
    with createVlanIpRange. ``pod_id``: only the ranges of that pod (and pod-less ones), Basic zones."""
    rows = store.find("vlan", networkid=network["id"])
    if pod_id is not None:
        rows = [r for r in rows if r.get("podid") in (None, pod_id)]
    return rows


def _ip_pool(store, network: dict, pod_id: str | None = None) -> tuple[list[tuple[int, int, dict | None]], set[int]] | None:
    """([(first, last, range row)], excluded): the addresses a NIC may get, or None for networks without IPs.

    Isolated networks and VPC tiers: the CIDR's hosts. Shared networks: their
    guest IP ranges. A Basic zone's network: the ranges of the pod (``pod_id``;
    every pod when None), and none at all when no range was added."""
    if network.get("type") == "L2":
        return None
    pod_based = is_pod_based(store, network)
    if not pod_based and not network.get("cidr"):
        return None
    vlans = _guest_ranges(store, network, pod_id if pod_based else None)
    ranges: list[tuple[int, int, dict | None]] = [
        (int(ipaddress.IPv4Address(v["startip"])), int(ipaddress.IPv4Address(v["endip"])), v) for v in vlans]
    if not ranges and not pod_based:
        if network.get("startip"):
            ranges = [(int(ipaddress.IPv4Address(network["startip"])), int(ipaddress.IPv4Address(network["endip"])), None)]
        else:
            net = ipaddress.IPv4Network(network["cidr"], strict=False)
            if net.prefixlen >= 31:
                ranges = [(int(net.network_address), int(net.broadcast_address), None)]
            else:
                ranges = [(int(net.network_address) + 1, int(net.broadcast_address) - 1, None)]
    # Gateways are never handed out, whether the network's or a range's own.
    excluded = {int(ipaddress.IPv4Address(g)) for g in [network.get("gateway"), *(v.get("gateway") for v in vlans)] if g}
    return ranges, excluded


# NIC secondary addresses (services/nic_ips, kind "nicsecondaryip") are taken too.
SECONDARY_KIND = "nicsecondaryip"


def _ip_taken(store, network_id: str, address: str) -> bool:
    return (store.find_one("nic", networkid=network_id, ipaddress=address) is not None
            or store.find_one(SECONDARY_KIND, networkid=network_id, ipaddress=address) is not None)


def pick_ip(store, network: dict, requested: str | None, *, pod_id: str | None = None,
             failure: errors.ApiError | None = None) -> tuple[str, dict | None] | None:
    """(a free address of the network, the guest range it belongs to) or None for networks without IPs."""
    pool = _ip_pool(store, network, pod_id)
    if pool is None:
        return None
    ranges, excluded = pool
    failure = failure or nc.capacity(f"Unable to acquire Guest IP address for network {network_label(network)}")
    if requested:
        value = int(ipaddress.IPv4Address(requested))
        holder = next((r for r in ranges if r[0] <= value <= r[1]), None)
        if holder is None or value in excluded or _ip_taken(store, network["id"], requested):
            raise failure
        return requested, holder[2]
    sizes = [last - first + 1 for first, last, _ in ranges]
    # Random probes first (cheap while the ranges are mostly free), then an exact scan.
    for _ in range(min(32, sum(sizes))):
        first, last, vlan = _random.choices(ranges, weights=sizes)[0]
        value = _random.randint(first, last)
        if value not in excluded and not _ip_taken(store, network["id"], str(ipaddress.IPv4Address(value))):
            return str(ipaddress.IPv4Address(value)), vlan
    used = {int(ipaddress.IPv4Address(n["ipaddress"])) for kind in ("nic", SECONDARY_KIND)
            for n in store.find(kind, networkid=network["id"]) if n.get("ipaddress")}
    free = [(v, vlan) for first, last, vlan in ranges for v in range(first, last + 1) if v not in used and v not in excluded]
    if not free:
        raise failure
    value, vlan = _random.choice(free)
    return str(ipaddress.IPv4Address(value)), vlan


def new_mac(store) -> str:
    while True:
        tail = _random.getrandbits(32)
        mac = "02:00:" + ":".join(f"{(tail >> s) & 255:02x}" for s in (24, 16, 8, 0))
        if store.find_one("nic", macaddress=mac) is None:
            return mac


def _check_mac(store, mac: str) -> str:
    cleaned = mac.strip().lower()
    parts = cleaned.split(":")
    if len(parts) != 6 or not all(len(p) == 2 and all(c in "0123456789abcdef" for c in p) for p in parts):
        raise errors.invalid_value(f"Mac address is not valid: {mac}")
    if store.find_one("nic", macaddress=cleaned) is not None:
        raise errors.invalid_value(f"Mac address {cleaned} is already in use")
    return cleaned


def address_fields(network: dict, picked: tuple[str, dict | None] | None, pod_id: str | None) -> dict:
    """A NIC's address, gateway and netmask (a guest range's own when it has them), range and pod."""
    if picked is None:
        return {}
    address, vlan = picked
    vlan = vlan or {}
    return {"ipaddress": address, "gateway": vlan.get("gateway") or network.get("gateway"),
            "netmask": vlan.get("netmask") or network.get("netmask"), "vlanid": vlan.get("id"),
            "podid": vlan.get("podid") or pod_id}


def reserve_nic(store, network: dict, *, vm_id: str | None, account: dict | None, vm_type: str = USER_VM,
                deviceid: int = 0, isdefault: bool = True, requested_ip: str | None = None,
                requested_mac: str | None = None, pod_id: str | None = None, assign_ip: bool = True,
                failure: errors.ApiError | None = None) -> dict:
    """Insert a ``nic`` row with a free IP (or the requested one) and a unique MAC.

    ``assign_ip=False``: no address yet (a Basic zone's NIC gets one when its VM starts, in the VM's pod);
    ``pod_id``: take the address from that pod's guest ranges (Basic zones)."""
    _indexed(store)
    network = store.get("network", network["id"])
    if network is None or network.get("removed"):
        raise errors.invalid_value("Unable to find the network: it does not exist or was removed")
    if requested_ip:
        try:
            ipaddress.IPv4Address(requested_ip)
        except ValueError:
            raise errors.invalid_value(f"Invalid specified IPv4 address {requested_ip}") from None
    mac = _check_mac(store, requested_mac) if requested_mac else new_mac(store)
    picked = pick_ip(store, network, requested_ip, pod_id=pod_id, failure=failure) if assign_ip else None
    row = {
        "networkid": network["id"], "virtualmachineid": vm_id, "vmtype": vm_type, "macaddress": mac,
        "isdefault": bool(isdefault), "broadcasturi": network.get("broadcasturi"),
        "isolationuri": network.get("broadcasturi"), "type": network.get("type"), "traffictype": "Guest",
        "deviceid": deviceid, "state": "Reserved", "zoneid": network.get("zoneid"),
        **address_fields(network, picked, pod_id),
    }
    if account is not None:
        row.update(accountid=account["id"], domainid=account["domainid"])
    return store.insert("nic", {k: v for k, v in row.items() if v is not None})


def release_nic(store, nic) -> None:
    """Give a NIC's IP and MAC back; the VM's forwarding rules, LB mappings and static NAT in that network go too."""
    row = store.get("nic", nic["id"] if isinstance(nic, dict) else nic)
    if row is None:
        return
    if row.get("virtualmachineid") and row.get("vmtype", USER_VM) == USER_VM:
        rules.remove_rules_of_vm(store, row["virtualmachineid"], row.get("networkid"))
    store.delete("nic", row["id"])


def release_nics_of_vm(store, vm_id: str) -> int:
    return store.delete_where("nic", virtualmachineid=vm_id)


def nics_of_vm(store, vm_id: str) -> list[dict]:
    _indexed(store)
    return store.find("nic", virtualmachineid=vm_id)


def active_vm_nic_count(store, network_id: str) -> int:
    _indexed(store)
    return sum(1 for n in store.find("nic", networkid=network_id) if n.get("vmtype", USER_VM) == USER_VM)


def render_nic(store, nic: dict) -> dict:
    network = store.get("network", nic.get("networkid")) or {}
    vpc = store.get("vpc", network["vpcid"]) if network.get("vpcid") else None
    return {
        "vpcid": network.get("vpcid"), "vpcname": vpc["name"] if vpc else None,
        "id": nic["id"], "networkid": nic.get("networkid"), "networkname": network.get("name"),
        "netmask": nic.get("netmask"), "gateway": nic.get("gateway"), "ipaddress": nic.get("ipaddress"),
        "isolationuri": network.get("broadcasturi") or nic.get("isolationuri"),
        "broadcasturi": network.get("broadcasturi") or nic.get("broadcasturi"), "traffictype": "Guest",
        "type": nic.get("type"), "isdefault": bool(nic.get("isdefault")), "macaddress": nic.get("macaddress"),
        "deviceid": str(nic.get("deviceid", 0)), "secondaryip": [{"id": r["id"], "ipaddress": r["ipaddress"]} for r in store.find(SECONDARY_KIND, nicid=nic["id"])],
        "extradhcpoption": [],
        "virtualmachineid": nic.get("virtualmachineid"),
    }


def is_basic_zone(store, zone_id: str | None) -> bool:
    zone = store.get("zone", zone_id) if zone_id else None
    return bool(zone and zone.get("networktype") == "Basic")


def is_pod_based(store, network: dict) -> bool:
    """Does this network take its addresses per pod (a Basic zone's guest network)?"""
    return network.get("type") == "Shared" and is_basic_zone(store, network.get("zoneid"))
