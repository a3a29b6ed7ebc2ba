"""Guest networking of VMs: default network, NICs (IP + MAC), implementing a network.

The network module (``apis/networks.py``, another engineer's) owns networks.
VMs only need four things from it, and they are all here, so compute code
never reaches into network internals:

- ``default_network(ctx, zone, owner)``: the network a VM gets when no
  ``networkids`` are given (the account's single isolated network in the
  zone; created as ``<account>-network`` from the Required offering when the
  account has none, as a real server does; the zone's shared network in a
  Basic zone);
- ``allocate_nic(ctx, network, vm, ...)``: a ``nic`` row with a free IP of the
  network (or the requested one) and a MAC unique in the whole cloud;
- ``implement_network(ctx, network)``: Allocated → Implemented on the first VM
  start: VLAN, source-NAT public IP and the virtual router record;
- ``release_nic(store, nic)``.

When ``apis/networks.py`` provides a function of the same name, it is used
instead of the fallback below (same arguments, same return value), so the
network engineer can take over any of them without touching compute code.

``nic`` rows (owned by this module, read by the network module for
"network in use" checks and rules): ``virtualmachineid``, ``networkid``,
``ipaddress``, ``macaddress``, ``gateway``, ``netmask``, ``isdefault``,
``deviceid``, ``traffictype`` (Guest), ``type`` (Isolated/Shared/L2),
``broadcasturi``, ``isolationuri``, ``accountid``, ``domainid``.
All allocation happens inside the caller's store transaction, which holds the
store lock, so two concurrent deploys can never get the same IP or MAC.
"""
from __future__ import annotations

import importlib
import ipaddress
import random

from marvin2.simulator import errors, ipalloc
from marvin2.simulator.services.common import account_number, next_number

_rng = random.Random()


def _provided(name: str):
    """The network module's implementation of ``name``, if it has one."""
    try:
        module = importlib.import_module("marvin2.simulator.apis.networks")
    except ImportError:
        return None
    return getattr(module, name, None)


# --- networks ---------------------------------------------------------------------------------


def usable_network(ctx, network_id: str, owner: dict) -> dict:
    """A network the VM's owner may put a NIC in (431 / 531 with real texts otherwise)."""
    network = ctx.store.get("network", network_id)
    provided = _provided("check_network_usable")
    if provided is not None:
        provided(ctx, network, owner)
        return network
    if network is None or network.get("removed"):
        raise errors.invalid_value(f"Unable to find network by id {network_id}")
    if network.get("accountid") and network["accountid"] != owner["id"]:
        # Shared networks have no owner; account networks belong to one account.
        raise errors.permission_denied(
            f"Account {owner['name']} does not have permission to access network {network.get('name')} ({network['id']})")
    if network.get("state") in ("Destroy", "Shutdown"):
        raise errors.invalid_value(f"Network {network['id']} is in state {network['state']} and cannot be used")
    return network


def default_network(ctx, zone: dict, owner: dict) -> dict:
    provided = _provided("default_network")
    if provided is not None:
        return provided(ctx, zone, owner)
    store = ctx.store
    if zone.get("networktype") == "Basic":
        for network in store.find("network", zoneid=zone["id"], type="Shared"):
            if not network.get("removed"):
                return network
        raise errors.invalid_value(f"Unable to find a default network in zone {zone['name']} to deploy the vm in")
    candidates = [n for n in store.find("network", zoneid=zone["id"], accountid=owner["id"], type="Isolated")
                  if not n.get("removed") and not n.get("vpcid")]
    if len(candidates) > 1:
        raise errors.invalid_value(f"More than 1 default Isolated networks are found for account "
                                   f"Acct[{owner['id']}-{owner['name']}]; please specify networkIds")
    if candidates:
        return candidates[0]
    offering = next((o for o in store.find("networkoffering", availability="Required", guestiptype="Isolated")
                     if o.get("state") == "Enabled" and not o.get("forvpc")
                     and any(s["name"] == "SourceNat" for s in o.get("service", []))), None)
    if offering is None:
        raise errors.invalid_value("Unable to find a default network: specify networkids (no Required isolated "
                                   "network offering with source NAT is enabled)")
    return create_isolated_network(ctx, zone, owner, offering, f"{owner['name']}-network")


def create_isolated_network(ctx, zone: dict, owner: dict, offering: dict, name: str) -> dict:
    """An isolated network in state Allocated, with the zone's guest CIDR (fallback of the network module)."""
    provided = _provided("create_isolated_network")
    if provided is not None:
        return provided(ctx, zone, owner, offering, name)
    cidr = ipaddress.IPv4Network(zone.get("guestcidraddress") or "10.1.1.0/24", strict=False)
    gateway = str(next(cidr.hosts()))
    physnet = ctx.store.find_one("physicalnetwork", zoneid=zone["id"])
    row = ctx.store.insert("network", {
        "name": name, "displaytext": name, "zoneid": zone["id"], "networkofferingid": offering["id"],
        "state": "Allocated", "type": "Isolated", "traffictype": "Guest", "cidr": str(cidr), "gateway": gateway,
        "netmask": str(cidr.netmask), "broadcastdomaintype": "Vlan", "acltype": "Account",
        "physicalnetworkid": physnet["id"] if physnet else None, "accountid": owner["id"], "domainid": owner["domainid"],
        "networkdomain": f"cs{account_number(ctx.store, owner)}cloud.internal", "dns1": zone.get("dns1"),
        "specifyipranges": False, "issystem": False, "isdefault": True, "canusefordeploy": True,
        "restartrequired": False, "ispersistent": False, "redundantrouter": False,
    })
    limits_charge(ctx.store, owner, "network")
    ctx.event("NETWORK.CREATE", f"created network {name} for VM deployment", account=owner)
    return row


def limits_charge(store, owner: dict, resource: str) -> None:
    from marvin2.simulator import limits

    limits.charge(store, owner, resource)


def implement_network(ctx, network: dict) -> dict:
    """Allocated → Implemented: VLAN, source NAT IP, virtual router record. No-op for other states."""
    provided = _provided("implement_network")
    if provided is not None:
        return provided(ctx, network)
    store = ctx.store
    network = store.get("network", network["id"])
    if network.get("state") != "Allocated" or network.get("type") != "Isolated":
        return network
    offering = store.get("networkoffering", network.get("networkofferingid")) or {}
    services = {s["name"] for s in offering.get("service", [])}
    vlan = _free_vlan(store, network)
    owner = store.get("account", network["accountid"]) if network.get("accountid") else None
    public_ip = None
    if "SourceNat" in services and owner is not None and not network.get("vpcid"):
        existing = store.find_one("publicipaddress", associatednetworkid=network["id"], issourcenat=True)
        public_ip = existing or ipalloc.allocate(store, network["zoneid"], owner, network_id=network["id"],
                                                 source_nat=True)
    network = store.update("network", network["id"], state="Implemented", vlan=str(vlan),
                           broadcasturi=f"vlan://{vlan}", isolationuri=f"vlan://{vlan}")
    if services & {"Dhcp", "Dns", "SourceNat", "Gateway"} and not network.get("vpcid"):
        _create_router(ctx, network, owner, public_ip)
    return network


def _free_vlan(store, network: dict) -> int:
    used = {int(n["vlan"]) for n in store.find("network", zoneid=network["zoneid"]) if str(n.get("vlan", "")).isdigit()}
    physnet = store.get("physicalnetwork", network.get("physicalnetworkid")) if network.get("physicalnetworkid") else None
    low, high = 100, 4094
    if physnet and physnet.get("vlan") and "-" in str(physnet["vlan"]):
        first, _, last = str(physnet["vlan"]).partition("-")
        low, high = int(first), int(last)
    for tag in range(low, high + 1):
        if tag not in used:
            return tag
    raise errors.insufficient_capacity(f"Unable to allocate a guest VLAN for network {network['name']}: "
                                       f"every VLAN of {low}-{high} is in use")


def _create_router(ctx, network: dict, owner: dict | None, public_ip: dict | None) -> dict:
    from marvin2.simulator.services import capacity as _capacity

    store = ctx.store
    number = next_number(store, "vm")
    host = _capacity.any_up_host(store, network["zoneid"])
    return store.insert("router", {
        "name": f"r-{number}-VM", "zoneid": network["zoneid"], "podid": host.get("podid") if host else None,
        "hostid": host["id"] if host else None, "state": "Running", "role": "VIRTUAL_ROUTER",
        "accountid": owner["id"] if owner else None, "domainid": owner["domainid"] if owner else network.get("domainid"),
        "guestnetworkid": network["id"], "guestipaddress": network.get("gateway"),
        "publicip": public_ip["ipaddress"] if public_ip else None, "publicipid": public_ip["id"] if public_ip else None,
        "linklocalip": f"169.254.{(number >> 8) & 255}.{number & 255}", "isredundantrouter": False,
        "redundantstate": "UNKNOWN", "version": "4.18.0", "requiresupgrade": False, "templateversion": "4.18.0",
        "hypervisor": "Simulator", "serviceofferingname": "System Offering For Software Router",
    })


# --- NICs ----------------------------------------------------------------------------------------


def _guest_addresses(network: dict) -> list[str]:
    if network.get("startip") and network.get("endip"):
        start, end = ipaddress.IPv4Address(network["startip"]), ipaddress.IPv4Address(network["endip"])
        return [str(ipaddress.IPv4Address(i)) for i in range(int(start), int(end) + 1)]
    if not network.get("cidr"):
        return []
    return [str(a) for a in ipaddress.IPv4Network(network["cidr"], strict=False).hosts()]


def used_addresses(store, network: dict) -> set[str]:
    used = {n["ipaddress"] for n in store.find("nic", networkid=network["id"]) if n.get("ipaddress")}
    used.update(r.get("guestipaddress") for r in store.find("router", guestnetworkid=network["id"]))
    if network.get("gateway"):
        used.add(network["gateway"])
    return used


def _pick_address(store, network: dict, requested: str | None) -> str | None:
    if network.get("type") == "L2" or not (network.get("cidr") or network.get("startip")):
        return None
    candidates = _guest_addresses(network)
    used = used_addresses(store, network)
    if requested:
        try:
            ipaddress.IPv4Address(requested)
        except ValueError:
            raise errors.invalid_value(f"Invalid format for IPv4 address: {requested}") from None
        if requested not in candidates or requested in used:
            raise errors.insufficient_capacity(
                f"Unable to acquire Guest IP address {requested} for network {network['name']}: it is "
                + ("already in use" if requested in used else "outside the network's range"))
        return requested
    free = [a for a in candidates if a not in used]
    if not free:
        raise errors.insufficient_capacity(f"Unable to acquire Guest IP address for network {network['name']}")
    return _rng.choice(free)


_MAC = "02:00:{:02x}:{:02x}:{:02x}:{:02x}"


def _new_mac(store) -> str:
    number = next_number(store, "mac")
    # 32 bits of counter after the locally administered 02:00 prefix: unique for 4 billion NICs.
    return _MAC.format((number >> 24) & 255, (number >> 16) & 255, (number >> 8) & 255, number & 255)


def _check_mac(store, network: dict, mac: str) -> str:
    cleaned = mac.strip().lower()
    parts = cleaned.split(":")
    if len(parts) != 6 or not all(len(p) == 2 and all(c in "0123456789abcdef" for c in p) for p in parts):
        raise errors.invalid_value(f"Mac address is not valid: {mac}")
    if store.find_one("nic", macaddress=cleaned) is not None:
        raise errors.invalid_value(f"Mac address {cleaned} is already in use (in network {network['name']} or another)")
    return cleaned


def allocate_nic(ctx, network: dict, vm: dict, *, deviceid: int, isdefault: bool, requested_ip: str | None = None,
                 requested_mac: str | None = None) -> dict:
    """Insert and return a ``nic`` row of ``vm`` in ``network`` (533 when no address is free)."""
    provided = _provided("allocate_nic")
    if provided is not None:
        return provided(ctx, network, vm, deviceid=deviceid, isdefault=isdefault, requested_ip=requested_ip,
                        requested_mac=requested_mac)
    store = ctx.store
    address = _pick_address(store, network, requested_ip)
    mac = _check_mac(store, network, requested_mac) if requested_mac else _new_mac(store)
    broadcast = network.get("broadcasturi") or (f"vlan://{network['vlan']}" if network.get("vlan") else None)
    return store.insert("nic", {
        "virtualmachineid": vm["id"], "networkid": network["id"], "ipaddress": address, "macaddress": mac,
        "gateway": network.get("gateway"), "netmask": network.get("netmask"), "isdefault": bool(isdefault),
        "deviceid": deviceid, "traffictype": "Guest", "type": network.get("type"), "broadcasturi": broadcast,
        "isolationuri": broadcast, "accountid": vm.get("accountid"), "domainid": vm.get("domainid"),
    })


def release_nic(store, nic: dict) -> None:
    provided = _provided("release_nic")
    if provided is not None:
        provided(store, nic)
        return
    store.delete("nic", nic["id"])


def render_nic(store, nic: dict) -> dict | None:
    """The network module's ``nic`` response object, or None to let the caller render it."""
    provided = _provided("render_nic")
    return provided(store, nic) if provided is not None else None


def prepare_nic(ctx, nic: dict, network: dict, host: dict) -> dict:
    """The NIC as its VM starts on ``host`` (Basic zones: an address of the host's pod). Returns the NIC row."""
    provided = _provided("prepare_nic")
    return provided(ctx, nic, network, host) if provided is not None else nic


def refresh_nic(store, nic: dict, network: dict) -> dict:
    """After implementing a network its NICs learn the VLAN (broadcast/isolation URIs)."""
    if network.get("broadcasturi") and nic.get("broadcasturi") != network["broadcasturi"]:
        return store.update("nic", nic["id"], broadcasturi=network["broadcasturi"],
                            isolationuri=network.get("isolationuri", network["broadcasturi"]))
    return nic


# --- security groups (apis/security_groups.py, the network engineer's) ------------------------------------


def _security_groups(name: str):
    try:
        module = importlib.import_module("marvin2.simulator.apis.security_groups")
    except ImportError:
        return None
    return getattr(module, name, None)


def assign_security_groups(ctx, vm: dict, owner: dict, zone: dict) -> None:
    """Security-group zones: the VM joins the groups asked for (default: the owner's ``default`` group)."""
    ids, names = ctx.get("securitygroupids"), ctx.get("securitygroupnames")
    if not zone.get("securitygroupsenabled"):
        if ids or names:
            raise errors.invalid_value("Can't create vm with security groups; security group feature is not enabled "
                                       "per zone")
        return
    if ids and names:
        raise errors.invalid_value("securitygroupids parameter is mutually exclusive with securitygroupnames parameter")
    provided = _security_groups("assign_security_groups")
    if provided is not None:
        provided(ctx, vm, owner, ids=ids, names=names)


def release_security_groups(store, vm_id: str) -> None:
    provided = _security_groups("release_security_groups")
    if provided is not None:
        provided(store, vm_id)


def vm_security_groups(ctx, vm_id: str) -> list[dict]:
    provided = _security_groups("vm_security_groups")
    return provided(ctx, vm_id) if provided is not None else []
