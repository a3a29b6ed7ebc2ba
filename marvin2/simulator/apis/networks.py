"""Guest networks: createNetwork, listNetworks, updateNetwork, restartNetwork,
deleteNetwork, and the internal functions the VM module calls.

Internal contract for the VM module (apis/compute.py reaches these through
apis/_guestnet.py, which calls a function of this module when one of the same
name exists). All run inside the caller's store transaction, which holds the
store lock, so concurrent deploys never get the same IP or MAC.

``allocate_nic(ctx, network, vm, *, deviceid, isdefault, requested_ip=None, requested_mac=None) -> dict``
    Reserve a guest NIC (a ``nic`` row) of ``vm`` in ``network``: a free IP of
    the network's range (isolated / VPC tier: the CIDR minus the gateway;
    shared: startip..endip; L2: no IP) chosen at random like a real server, and
    a MAC ``02:00:xx:xx:xx:xx`` unique in the cloud. Row fields: ``id,
    networkid, virtualmachineid, ipaddress, macaddress, gateway, netmask,
    isdefault, deviceid, broadcasturi, isolationuri, type, traffictype,
    accountid, domainid``. Errors: 431 ``Invalid specified IPv4 address <ip>``
    / ``Mac address is not valid: <mac>``; 533 ``Unable to acquire Guest IP
    address for network Ntwk[...]`` (range used up, requested IP taken or
    outside the range).
``release_nic(store, nic)``: give the IP and MAC back (``nic`` row or id).
``implement_network(ctx, network) -> dict``
    Call when a VM starts on the network. Allocated -> Implemented: guest
    VLAN, source-NAT public IP (isolated, not VPC; an IP acquired earlier on
    the network is reused) and the virtual router record; shared networks
    (Setup) and VPC tiers get their router / router NIC. Idempotent. Returns
    the network row. May raise 533 (no public IP or guest VLAN left).
``default_network(ctx, zone, owner) -> dict``
    deployVirtualMachine without networkids: Basic zone -> the zone's default
    shared network; advanced -> the owner's only isolated source-NAT network,
    or a new ``<account>-network`` from the Required offering (431 when the
    owner has several).
``create_isolated_network(ctx, zone, owner, offering, name) -> dict``
``check_network_usable(ctx, network, account)``: 431 gone / 531 not the account's.
``render_nic(store, nic) -> dict``: the ``nic`` object of a VM response.
``nics_of_vm(store, vm_id)``, ``active_vm_nic_count(store, network_id)``.
"""
from __future__ import annotations

import ipaddress
import random

from marvin2.simulator import errors, ipalloc, limits, model
from marvin2.simulator.apis import netcommon as nc
from marvin2.simulator.apis.network_offerings import (
    offering_has,
    offering_services,
    uses_virtual_router,
)
from marvin2.simulator.apis.routers import create_router, destroy_router, routers_of
from marvin2.simulator.context import SUCCESS, Job
from marvin2.simulator.declare import ACCOUNT_SCOPE, PAGING, P, api, declare_object
from marvin2.simulator.tagging import delete_tags_of, register_taggable

register_taggable("Network", "network")

_random = random.SystemRandom()
USER_VM = "User"
ROUTER_VM = "DomainRouter"

# --- store indexes (once per store) -----------------------------------------------------------


def _indexed(store) -> None:
    if getattr(store, "_network_indexes", False):
        return
    for field in ("networkid", "ipaddress", "macaddress", "virtualmachineid"):
        store.index("nic", field)
    store.index("network", "accountid")
    store._network_indexes = True


# --- NICs -----------------------------------------------------------------------------------------


def network_label(network: dict) -> str:
    """How a real server prints a network in messages (``Ntwk[id|Guest|offering]``)."""
    return f"Ntwk[{network['id']}|Guest|{network.get('networkofferingid')}]"


def _ip_pool(store, network: dict) -> tuple[list[tuple[int, int]], set[int]] | None:
    """([(first, last)], excluded): the addresses a VM may get, or None for networks without IPs.

    Isolated networks and VPC tiers: the CIDR's hosts. Shared networks: their
    guest IP ranges (``vlan`` rows with the network's id: the one given at
    creation and any added with createVlanIpRange)."""
    if network.get("type") == "L2" or not network.get("cidr"):
        return None
    net = ipaddress.IPv4Network(network["cidr"], strict=False)
    ranges = [(int(ipaddress.IPv4Address(v["startip"])), int(ipaddress.IPv4Address(v["endip"])))
              for v in store.find("vlan", networkid=network["id"])]
    if not ranges and network.get("startip"):
        ranges = [(int(ipaddress.IPv4Address(network["startip"])), int(ipaddress.IPv4Address(network["endip"])))]
    if not ranges:
        if net.prefixlen >= 31:
            ranges = [(int(net.network_address), int(net.broadcast_address))]
        else:
            ranges = [(int(net.network_address) + 1, int(net.broadcast_address) - 1)]
    excluded = set()
    if network.get("gateway"):
        excluded.add(int(ipaddress.IPv4Address(network["gateway"])))
    return ranges, excluded


def _ip_taken(store, network_id: str, address: str) -> bool:
    return store.find_one("nic", networkid=network_id, ipaddress=address) is not None


def _pick_ip(store, network: dict, requested: str | None) -> str | None:
    pool = _ip_pool(store, network)
    if pool is None:
        return None
    ranges, excluded = pool
    failure = nc.capacity(f"Unable to acquire Guest IP address for network {network_label(network)}")
    if requested:
        value = int(ipaddress.IPv4Address(requested))
        inside = any(first <= value <= last for first, last in ranges)
        if not inside or value in excluded or _ip_taken(store, network["id"], requested):
            raise failure
        return requested
    sizes = [last - first + 1 for first, last in ranges]
    # Random probes first (cheap while the ranges are mostly free), then an exact scan.
    for _ in range(min(32, sum(sizes))):
        first, last = _random.choices(ranges, weights=sizes)[0]
        value = _random.randint(first, last)
        if value not in excluded and not _ip_taken(store, network["id"], str(ipaddress.IPv4Address(value))):
            return str(ipaddress.IPv4Address(value))
    used = {int(ipaddress.IPv4Address(n["ipaddress"])) for n in store.find("nic", networkid=network["id"])
            if n.get("ipaddress")}
    free = [v for first, last in ranges for v in range(first, last + 1) if v not in used and v not in excluded]
    if not free:
        raise failure
    return str(ipaddress.IPv4Address(_random.choice(free)))


def _new_mac(store) -> str:
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


def reserve_nic(store, network: dict, *, vm_id: str | None, account: dict | None, vm_type: str = USER_VM,
                deviceid: int = 0, isdefault: bool = True, requested_ip: str | None = None,
                requested_mac: str | None = None) -> dict:
    """Insert a ``nic`` row with a free IP (or the requested one) and a unique MAC."""
    _indexed(store)
    network = store.get("network", network["id"])
    if network is None or network.get("removed"):
        raise errors.invalid_value("Unable to find the network: it does not exist or was removed")
    if requested_ip:
        try:
            ipaddress.IPv4Address(requested_ip)
        except ValueError:
            raise errors.invalid_value(f"Invalid specified IPv4 address {requested_ip}") from None
    mac = _check_mac(store, requested_mac) if requested_mac else _new_mac(store)
    address = _pick_ip(store, network, requested_ip)
    row = {
        "networkid": network["id"], "virtualmachineid": vm_id, "vmtype": vm_type, "ipaddress": address,
        "macaddress": mac, "gateway": network.get("gateway") if address else None,
        "netmask": network.get("netmask") if address else None, "isdefault": bool(isdefault),
        "broadcasturi": network.get("broadcasturi"), "isolationuri": network.get("broadcasturi"),
        "type": network.get("type"), "traffictype": "Guest", "deviceid": deviceid, "state": "Reserved",
        "zoneid": network.get("zoneid"),
    }
    if account is not None:
        row.update(accountid=account["id"], domainid=account["domainid"])
    return store.insert("nic", {k: v for k, v in row.items() if v is not None})


def allocate_nic(ctx, network: dict, vm: dict, *, deviceid: int, isdefault: bool, requested_ip: str | None = None,
                 requested_mac: str | None = None) -> dict:
    """A user VM's NIC in ``network`` (see the module docstring)."""
    owner = {"id": vm.get("accountid"), "domainid": vm.get("domainid")} if vm.get("accountid") else None
    return reserve_nic(ctx.store, network, vm_id=vm["id"], account=owner, deviceid=deviceid, isdefault=isdefault,
                       requested_ip=requested_ip, requested_mac=requested_mac)


def release_nic(store, nic) -> None:
    """Give a NIC's IP and MAC back; the VM's forwarding rules, LB mappings and static NAT in that network go too."""
    from marvin2.simulator.apis import rules  # late import: rules imports this module

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
        "deviceid": str(nic.get("deviceid", 0)), "secondaryip": [], "extradhcpoption": [],
        "virtualmachineid": nic.get("virtualmachineid"),
    }


# --- guest VLANs ----------------------------------------------------------------------------------


def guest_physical_network(store, zone_id: str) -> dict | None:
    for physnet in store.find("physicalnetwork", zoneid=zone_id):
        if store.find_one("traffictype", physicalnetworkid=physnet["id"], traffictype="Guest"):
            return physnet
    return store.find_one("physicalnetwork", zoneid=zone_id)


def _vnet_range(physnet: dict | None) -> list[int]:
    out: list[int] = []
    for part in str((physnet or {}).get("vlan") or "").split(","):
        part = part.strip()
        if not part:
            continue
        low, _, high = part.partition("-")
        try:
            out.extend(range(int(low), int(high or low) + 1))
        except ValueError:
            continue
    return out


def _vlans_in_use(store, zone_id: str) -> set[int]:
    used = set()
    for network in store.find("network", zoneid=zone_id):
        if not network.get("removed") and network.get("vlannumber") is not None:
            used.add(int(network["vlannumber"]))
    return used


def _allocate_vlan(store, network: dict) -> int:
    physnet = store.get("physicalnetwork", network.get("physicalnetworkid")) or guest_physical_network(store, network["zoneid"])
    used = _vlans_in_use(store, network["zoneid"])
    for vlan in _vnet_range(physnet):
        if vlan not in used:
            return vlan
    raise nc.capacity(f"Unable to allocate vnet as a part of network {network_label(network)} implement ")


# --- implementing networks -------------------------------------------------------------------------


def source_nat_ip(store, network: dict) -> dict | None:
    return store.find_one("publicipaddress", associatednetworkid=network["id"], issourcenat=True)


def implement_network(ctx, network) -> dict:
    """Allocated -> Implemented (VLAN, source NAT IP, router); Setup networks get their router. Idempotent."""
    store = ctx.store
    network_id = network["id"] if isinstance(network, dict) else network
    network = store.get("network", network_id)
    if network is None or network.get("removed"):
        raise errors.invalid_value(f"Unable to find network by id {network_id}")
    offering = store.get("networkoffering", network["networkofferingid"]) or {}
    account = store.get("account", network.get("accountid")) if network.get("accountid") else None
    changes: dict = {}
    if network["state"] == "Allocated":
        if network.get("vlannumber") is None and store.get("zone", network["zoneid"]).get("networktype") == "Advanced":
            vlan = _allocate_vlan(store, network)
            changes.update(vlannumber=vlan, vlan=str(vlan), broadcasturi=f"vlan://{vlan}")
        changes["state"] = "Implemented"
    public_ip = None
    if network.get("type") == "Isolated" and not network.get("vpcid") and offering_has(offering, "SourceNat"):
        public_ip = source_nat_ip(store, network)
        if public_ip is None:
            if account is None:
                raise errors.internal_error(f"{network_label(network)} has no owner account for its source NAT IP")
            public_ip = ipalloc.allocate(store, network["zoneid"], account, network_id=network["id"], source_nat=True)
            nc.event(ctx, "NET.IPASSIGN", f"Source NAT IP {public_ip['ipaddress']} for network {network['name']}",
                     resource=public_ip, resource_type="PublicIpAddress", account=account)
    if changes:
        network = store.update("network", network_id, **changes)
        for nic in store.find("nic", networkid=network_id):
            if network.get("broadcasturi"):
                store.update("nic", nic["id"], broadcasturi=network["broadcasturi"], isolationuri=network["broadcasturi"])
    if uses_virtual_router(offering):
        _ensure_router(ctx, network, public_ip)
    return network


def _ensure_router(ctx, network: dict, public_ip: dict | None) -> None:
    store = ctx.store
    if network.get("vpcid"):
        vpc = store.get("vpc", network["vpcid"])
        routers = routers_of(store, vpc_id=network["vpcid"])
        if vpc is None or not routers:
            return
        router = routers[0]
        if network["id"] not in (router.get("networkids") or []):
            store.update("router", router["id"], networkids=[*(router.get("networkids") or []), network["id"]])
        if not store.find_one("nic", networkid=network["id"], virtualmachineid=router["id"]):
            # The VPC router takes each tier's gateway address.
            store.insert("nic", {"networkid": network["id"], "virtualmachineid": router["id"], "vmtype": ROUTER_VM,
                                 "ipaddress": network.get("gateway"), "macaddress": _new_mac(store),
                                 "gateway": network.get("gateway"), "netmask": network.get("netmask"), "isdefault": False,
                                 "type": "Isolated", "traffictype": "Guest", "deviceid": 1, "state": "Reserved"})
        return
    if routers_of(store, network_id=network["id"]):
        return
    owner = store.get("account", network["accountid"]) if network.get("accountid") else None
    owner_fields = owner or {"id": None, "domainid": network.get("domainid")}
    if network.get("type") == "Isolated":
        guest_ip = network.get("gateway")
        router = create_router(store, zone_id=network["zoneid"], owner=_owner_dict(owner_fields), network=network,
                               public_ip=public_ip, guest_ip=guest_ip)
        store.insert("nic", {"networkid": network["id"], "virtualmachineid": router["id"], "vmtype": ROUTER_VM,
                             "ipaddress": guest_ip, "macaddress": _new_mac(store), "gateway": network.get("gateway"),
                             "netmask": network.get("netmask"), "isdefault": True, "type": "Isolated",
                             "traffictype": "Guest", "deviceid": 0, "state": "Reserved",
                             "broadcasturi": network.get("broadcasturi")})
    else:
        router = create_router(store, zone_id=network["zoneid"], owner=_owner_dict(owner_fields), network=network)
        nic = reserve_nic(store, network, vm_id=router["id"], account=owner, vm_type=ROUTER_VM, deviceid=0)
        store.update("router", router["id"], guestipaddress=nic.get("ipaddress"))
    nc.event(ctx, "ROUTER.CREATE", f"created router {router['name']} for network {network['name']}", resource=router,
             resource_type="DomainRouter", account=owner)


def _owner_dict(owner: dict) -> dict:
    if owner.get("id") is None:
        return {"accountid": None, "domainid": owner["domainid"]}
    return owner


def shutdown_routers(store, network: dict) -> None:
    if network.get("vpcid"):
        for router in routers_of(store, vpc_id=network["vpcid"]):
            store.delete_where("nic", networkid=network["id"], virtualmachineid=router["id"])
            store.update("router", router["id"], networkids=[n for n in router.get("networkids") or [] if n != network["id"]])
        return
    for router in routers_of(store, network_id=network["id"]):
        destroy_router(store, router["id"])


# --- access ---------------------------------------------------------------------------------------------


def _domain_visible(store, network: dict, domain_id: str) -> bool:
    """May an account of ``domain_id`` use a domain-wide (acltype Domain) network?"""
    if network.get("domainid") == domain_id:
        return True
    if not network.get("subdomainaccess", True):
        return False
    domain = store.get("domain", domain_id)
    owner = store.get("domain", network.get("domainid"))
    return bool(domain and owner and domain["path"].startswith(owner["path"] + "/"))


def check_network_usable(ctx, network: dict, account: dict) -> None:
    if network is None or network.get("removed"):
        raise errors.invalid_value("Unable to find the network: it does not exist or was removed")
    if network.get("accountid"):
        if network["accountid"] != account["id"]:
            raise errors.permission_denied(
                f"Account {account['name']} does not have permission to operate with resource Network {network['id']}")
        return
    if not _domain_visible(ctx.store, network, account["domainid"]):
        raise errors.permission_denied(
            f"Account {account['name']} does not have permission to operate with resource Network {network['id']}")


def network_visible(ctx, network: dict) -> bool:
    """listNetworks scope: owned rows by the usual account rules; domain networks by domain."""
    caller = ctx.caller
    if network.get("accountid"):
        return ctx.can_access(network)
    if caller is None or caller.is_root_admin:
        return True
    if caller.is_domain_admin and ctx.can_access(network):
        return True
    return _domain_visible(ctx.store, network, caller.domain_id)


# --- defaults for deployVirtualMachine ---------------------------------------------------------------


def basic_zone_network(ctx, zone_id: str) -> dict:
    """A Basic zone's default shared network (created on first use from the zone's guest range)."""
    store = ctx.store
    existing = store.find_one("network", zoneid=zone_id, isbasicdefault=True)
    if existing:
        return existing
    zone = store.get("zone", zone_id)
    offering_name = ("DefaultSharedNetworkOfferingWithSGService" if zone.get("securitygroupsenabled")
                     else "DefaultSharedNetworkOffering")
    offering = store.find_one("networkoffering", name=offering_name)
    vlan = store.find_one("vlan", zoneid=zone_id)
    root = store.find_one("domain", path="ROOT")
    row = {"name": "defaultGuestNetwork", "displaytext": "defaultGuestNetwork", "zoneid": zone_id, "type": "Shared",
           "networkofferingid": offering["id"] if offering else None, "state": "Setup", "acltype": "Domain",
           "domainid": root["id"], "subdomainaccess": True, "isbasicdefault": True, "isdefault": True,
           "physicalnetworkid": (guest_physical_network(store, zone_id) or {}).get("id"),
           "broadcastdomaintype": "Native", "specifyipranges": True}
    if vlan:
        row.update(gateway=vlan["gateway"], netmask=vlan["netmask"], cidr=nc.cidr_of(vlan["gateway"], vlan["netmask"]),
                   startip=vlan["startip"], endip=vlan["endip"])
    return store.insert("network", row)


def default_network(ctx, zone: dict, account: dict) -> dict:
    store = ctx.store
    zone_id = zone["id"]
    if zone.get("networktype") == "Basic":
        return basic_zone_network(ctx, zone_id)
    candidates = []
    for network in store.find("network", accountid=account["id"], zoneid=zone_id):
        offering = store.get("networkoffering", network.get("networkofferingid")) or {}
        if not network.get("removed") and network.get("type") == "Isolated" and not network.get("vpcid") \
                and offering_has(offering, "SourceNat"):
            candidates.append(network)
    if len(candidates) == 1:
        return candidates[0]
    if len(candidates) > 1:
        raise errors.invalid_value(f"More than 1 default Isolated networks are found for account {nc.account_label(account)}; "
                                   "please specify networkIds")
    required = store.find_one("networkoffering", availability="Required", guestiptype="Isolated", state="Enabled")
    if required is None:
        raise errors.invalid_value("Unable to find network offering with availability=Required to automatically create "
                                   "the network as a part of vm creation")
    return create_isolated_network(ctx, zone, account, required, f"{account['name']}-network")


def create_isolated_network(ctx, zone: dict, owner: dict, offering: dict, name: str) -> dict:
    """An isolated network (state Allocated) with the zone's guest CIDR, as deploy's default network."""
    return _insert_isolated(ctx, zone, offering, owner, name=name, displaytext=name)


# --- rendering -----------------------------------------------------------------------------------------------

declare_object("network", {
    "id": "network id", "name": "network name", "displaytext": "description", "state": "Allocated, Setup, Implemented ...",
    "type": "Isolated, Shared or L2", "traffictype": "Guest", "broadcastdomaintype": "Vlan or Native",
    "broadcasturi": "broadcast URI (vlan://N once implemented)", "vlan": "VLAN", "gateway": "gateway", "netmask": "netmask",
    "cidr": "guest CIDR", "zoneid": "zone id", "zonename": "zone name", "networkofferingid": "offering id",
    "networkofferingname": "offering name", "networkofferingdisplaytext": "offering description",
    "networkofferingavailability": "offering availability", "networkofferingconservemode": ("boolean", "conserve mode"),
    "issystem": ("boolean", "a system network"), "acltype": "Account or Domain", "account": "owner account",
    "domainid": "owner domain id", "domain": "owner domain", "networkdomain": "DNS domain",
    "physicalnetworkid": "physical network", "restartrequired": ("boolean", "needs a restart"),
    "specifyipranges": ("boolean", "has its own IP ranges"), "vpcid": "VPC id", "vpcname": "VPC name",
    "aclid": "ACL list of a VPC tier", "aclname": "ACL list name", "canusefordeploy": ("boolean", "VMs may be deployed"),
    "ispersistent": ("boolean", "persistent"), "service": ("list", "services and providers"), "tags": ("list", "resource tags"),
    "displaynetwork": ("boolean", "shown to the user"), "created": ("date", "creation time"),
    "dns1": "first DNS", "dns2": "second DNS", "related": "related network id",
})


def render_network(ctx, row: dict) -> dict:
    store = ctx.store
    offering = store.get("networkoffering", row.get("networkofferingid")) or {}
    vpc = store.get("vpc", row["vpcid"]) if row.get("vpcid") else None
    acl = store.get("networkacllist", row["aclid"]) if row.get("aclid") else None
    zone = store.get("zone", row.get("zoneid")) or {}
    out = {k: row.get(k) for k in ("id", "name", "displaytext", "state", "type", "gateway", "netmask", "cidr",
                                    "broadcasturi", "vlan", "networkdomain", "physicalnetworkid", "vpcid", "aclid",
                                    "created", "externalid", "subdomainaccess")}
    out.update(nc.zone_fields(store, row.get("zoneid")))
    out.update(ctx.owner_fields(row))
    out.update(
        traffictype="Guest", broadcastdomaintype=row.get("broadcastdomaintype", "Vlan"),
        networkofferingid=offering.get("id"), networkofferingname=offering.get("name"),
        networkofferingdisplaytext=offering.get("displaytext"), networkofferingavailability=offering.get("availability"),
        networkofferingconservemode=offering.get("conservemode", True), issystem=False, related=row["id"],
        acltype=row.get("acltype", "Account"), dns1=row.get("dns1") or zone.get("dns1"), dns2=row.get("dns2") or zone.get("dns2"),
        restartrequired=False, specifyipranges=bool(row.get("specifyipranges")), canusefordeploy=row.get("state") != "Destroy",
        ispersistent=bool(offering.get("ispersistent")), displaynetwork=row.get("displaynetwork", True),
        isdefault=bool(row.get("isdefault")), service=nc.service_list(offering_services(offering)),
        redundantrouter=False, strechedl2subnet=False, supportsvmautoscaling=offering_has(offering, "Lb"),
        hasannotations=False, receivedbytes=0, sentbytes=0, publicmtu=row.get("publicmtu", 1500),
        privatemtu=row.get("privatemtu", 1500), internetprotocol="IPv4",
        egressdefaultpolicy=bool(offering.get("egressdefaultpolicy")) if offering_has(offering, "Firewall") else None,
        vpcname=vpc["name"] if vpc else None, aclname=acl["name"] if acl else None, tags=ctx.tags_for(row["id"]),
    )
    return out


# --- createNetwork ---------------------------------------------------------------------------------------


def _network_domain(ctx, account: dict | None) -> str:
    suffix = ctx.config("guest.domain.suffix", "cloud.internal") or "cloud.internal"
    return f"cs{(account or {}).get('id', 'root')[:6]}{suffix}" if account else suffix


def _insert_isolated(ctx, zone: dict, offering: dict, account: dict, *, name: str, displaytext: str,
                     gateway: str | None = None, netmask: str | None = None, vpc: dict | None = None,
                     aclid: str | None = None, extra: dict | None = None) -> dict:
    store = ctx.store
    if vpc is None:
        limits.charge(store, account, "network")
    if gateway and netmask:
        cidr = nc.cidr_of(gateway, netmask)
    elif offering.get("guestiptype") == "L2":
        cidr = None
    else:
        cidr = zone.get("guestcidraddress") or "10.1.1.0/24"
        gateway, netmask = nc.first_host(cidr), nc.netmask_of(cidr)
    row = {
        "name": name, "displaytext": displaytext or name, "zoneid": zone["id"], "networkofferingid": offering["id"],
        "type": offering["guestiptype"], "state": "Allocated", "acltype": "Account", "cidr": cidr,
        "gateway": gateway if cidr else None, "netmask": netmask if cidr else None,
        "networkdomain": (vpc or {}).get("networkdomain") or _network_domain(ctx, account),
        "physicalnetworkid": (guest_physical_network(store, zone["id"]) or {}).get("id"),
        "vpcid": vpc["id"] if vpc else None, "aclid": aclid, "specifyipranges": bool(offering.get("specifyipranges")),
        "displaynetwork": True, **ctx.owner_row_fields(account), **(extra or {}),
    }
    row = store.insert("network", {k: v for k, v in row.items() if v is not None})
    nc.event(ctx, "NETWORK.CREATE", f"Successfully created network {row['name']}", resource=row, resource_type="Network",
             account=account)
    if offering.get("ispersistent"):
        row = implement_network(ctx, row["id"])
    return row


def _check_ip_range(network_cidr: str, startip: str, endip: str) -> None:
    net = ipaddress.IPv4Network(network_cidr, strict=False)
    start, end = nc.parse_ip(startip, "start IP"), nc.parse_ip(endip, "end IP")
    if start not in net or end not in net:
        raise errors.invalid_value(f"Start ip {startip} and end ip {endip} must belong to the network cidr {network_cidr}")
    if int(end) < int(start):
        raise errors.invalid_value(f"Start ip {startip} must be lower than end ip {endip}")


def _create_shared(ctx, zone: dict, offering: dict) -> dict:
    store = ctx.store
    caller = ctx.caller
    if not caller.is_admin:
        raise errors.permission_denied(f"Only Admins can create network with guest type {offering['guestiptype']}")
    vlan = ctx.get("vlan")
    if offering.get("specifyvlan") and not vlan:
        raise errors.invalid_value(f"Vlan id is required when the network offering {offering['name']} has specifyVlan=true")
    vlan_number = None
    if vlan:
        text = str(vlan).lower().removeprefix("vlan://")
        if text == "untagged":
            vlan_number = None
        else:
            try:
                vlan_number = int(text)
            except ValueError:
                raise errors.invalid_value(f"Invalid vlan {vlan}") from None
            if not 1 <= vlan_number <= 4094:
                raise errors.invalid_value(f"Invalid vlan {vlan}: a VLAN id is between 1 and 4094")
            physnet = guest_physical_network(store, zone["id"])
            if vlan_number in _vnet_range(physnet):
                raise errors.invalid_value(f"The VLAN tag {vlan_number} is already being used for dynamic vlan allocation "
                                           f"for the guest network in zone {zone['name']}")
            if vlan_number in _vlans_in_use(store, zone["id"]) and not ctx.get("bypassvlanoverlapcheck"):
                raise errors.invalid_value(f"Network with vlan {vlan_number} already exists or overlaps with other "
                                           f"network vlans in zone {zone['id']}")
    gateway, netmask = ctx.get("gateway"), ctx.get("netmask")
    startip, endip = ctx.get("startip"), ctx.get("endip")
    cidr = None
    if offering["guestiptype"] == "Shared":
        if offering.get("specifyipranges") and not (gateway and netmask and startip):
            raise errors.invalid_value("startip, gateway and netmask are required to create a network whose offering "
                                       "specifies IP ranges")
        if gateway and netmask:
            cidr = nc.cidr_of(gateway, netmask)
            endip = endip or startip
            if startip:
                _check_ip_range(cidr, startip, endip)
                for other in store.find("network", zoneid=zone["id"]):
                    if other.get("removed") or not other.get("cidr") or other.get("type") != "Shared":
                        continue
                    if other.get("vlannumber") == vlan_number and nc.overlaps(other["cidr"], cidr):
                        raise errors.invalid_value(f"The IP range with tag: {vlan} in zone {zone['name']} has overlapped "
                                                   "with the subnet. Please specify a different gateway/netmask.")
    acltype = (ctx.get("acltype") or ("Account" if ctx.has("account") else "Domain")).capitalize()
    if acltype not in ("Account", "Domain"):
        raise errors.invalid_value("Invalid acltype: Account and Domain are the only values allowed")
    owner_fields: dict
    if acltype == "Account":
        account = ctx.resolve_owner()
        owner_fields = ctx.owner_row_fields(account)
    else:
        domain_id = ctx.get("domainid") or caller.domain_id
        domain = store.get("domain", domain_id)
        if not ctx.can_access({"domainid": domain_id}) and not caller.is_root_admin:
            raise errors.permission_denied(f"Account {caller.account['name']} does not have permission to access domain {domain_id}")
        owner_fields = {"domainid": domain["id"]}
        account = None
    state = "Setup" if (vlan or offering["guestiptype"] == "Shared") else "Allocated"
    row = {
        "name": ctx.get("name"), "displaytext": ctx.get("displaytext") or ctx.get("name"), "zoneid": zone["id"],
        "networkofferingid": offering["id"], "type": offering["guestiptype"], "state": state, "acltype": acltype,
        "cidr": cidr, "gateway": gateway if cidr else None, "netmask": netmask if cidr else None,
        "startip": startip if cidr else None, "endip": endip if cidr else None,
        "vlannumber": vlan_number, "vlan": str(vlan_number) if vlan_number is not None else ("untagged" if vlan else None),
        "broadcasturi": f"vlan://{vlan_number}" if vlan_number is not None else ("vlan://untagged" if vlan else None),
        "subdomainaccess": ctx.get("subdomainaccess", True) if acltype == "Domain" else None,
        "networkdomain": ctx.get("networkdomain") or _network_domain(ctx, account),
        "physicalnetworkid": ctx.get("physicalnetworkid") or (guest_physical_network(store, zone["id"]) or {}).get("id"),
        "specifyipranges": bool(offering.get("specifyipranges")), "displaynetwork": ctx.get("displaynetwork", True),
        "externalid": ctx.get("externalid"), **owner_fields,
    }
    row = store.insert("network", {k: v for k, v in row.items() if v is not None})
    if cidr and startip:
        # The network's guest IP range, as listVlanIpRanges networkid=... shows it (not a public range).
        physnet = store.get("physicalnetwork", row.get("physicalnetworkid")) if row.get("physicalnetworkid") else None
        vlan_row = model.vlan_row(zone, physnet, startip, endip, gateway, netmask,
                                  str(vlan_number) if vlan_number is not None else None, forvirtualnetwork=False,
                                  networkid=row["id"], **({"domainid": owner_fields["domainid"]} if acltype == "Domain"
                                                          else owner_fields))
        model.add_public_ips(store, store.insert("vlan", vlan_row))
    nc.event(ctx, "NETWORK.CREATE", f"Successfully created network {row['name']}", resource=row, resource_type="Network",
             account=account)
    return row


def _create_vpc_tier(ctx, zone: dict, offering: dict, account: dict) -> dict:
    from marvin2.simulator.apis import (
        vpc as vpcmod,  # late import: vpc imports this module
    )

    store = ctx.store
    vpc = store.get("vpc", ctx.get("vpcid"))
    ctx.check_access(vpc, "VPC")
    if vpc.get("removed"):
        raise errors.invalid_value(f"Unable to find VPC by id {vpc['id']}")
    if not offering.get("forvpc"):
        raise errors.invalid_value(f"Network offering {offering['id']} can't be used for VPC networks")
    gateway, netmask = ctx.get("gateway"), ctx.get("netmask")
    if not (gateway and netmask):
        raise errors.invalid_value("Gateway/netmask are required when create network for VPC")
    cidr = nc.cidr_of(gateway, netmask)
    label = vpcmod.vpc_label(vpc)
    if not nc.within(cidr, vpc["cidr"]):
        raise errors.invalid_value(f"Network cidr {cidr} is not within vpc {label} cidr")
    for tier in store.find("network", vpcid=vpc["id"]):
        if not tier.get("removed") and tier.get("cidr") and (nc.within(tier["cidr"], cidr) or nc.within(cidr, tier["cidr"])
                                                           or nc.overlaps(cidr, tier["cidr"])):
            raise errors.invalid_value(f"Network cidr {cidr} crosses other network cidr {network_label(tier)} belonging to "
                                       f"the same vpc {label}")
    if vpc.get("accountid") != account["id"]:
        raise errors.invalid_value(f"Vpc {label} owner is different from the network owner {nc.account_label(account)}")
    if str(ipaddress.IPv4Network(cidr, strict=False).network_address) == gateway:
        raise errors.invalid_value("Invalid gateway specified. It should never be equal to the cidr subnet value")
    if ctx.get("networkdomain") and ctx.get("networkdomain") != vpc.get("networkdomain"):
        raise errors.invalid_value(f"Network domain of the new network should match network domain of vpc {label}")
    max_tiers = int(ctx.config("vpc.max.networks", "3") or 3)
    if sum(1 for t in store.find("network", vpcid=vpc["id"]) if not t.get("removed")) >= max_tiers:
        raise errors.internal_error(f"Number of networks per VPC can't extend {max_tiers}; increase it using global config "
                                    "vpc.max.networks")
    aclid = ctx.get("aclid")
    if aclid:
        acl = store.get("networkacllist", aclid)
        if acl.get("vpcid") not in (None, vpc["id"]):
            raise errors.invalid_value("Network ACL and network should belong to the same VPC")
    else:
        aclid = vpcmod.default_acl(store, "default_deny")["id"]
    return _insert_isolated(ctx, zone, offering, account, name=ctx.get("name"), displaytext=ctx.get("displaytext"),
                            gateway=gateway, netmask=netmask, vpc=vpc, aclid=aclid)


CREATE_PARAMS = [
    P("name", "string", True, "network name"), P("networkofferingid", "uuid", True, "the network offering"),
    P("zoneid", "uuid", True, "the zone"), P("displaytext", description="description (defaults to the name)"),
    P("account", description="owner account (admins; with domainid)"), P("domainid", "uuid", description="owner domain"),
    P("projectid", "uuid", description="owner project", entity=""),
    P("aclid", "uuid", description="ACL list of a VPC tier", entity="networkacllist"),
    P("acltype", description="Account or Domain (shared networks)"),
    P("associatednetworkid", "uuid", description="network to associate with", entity="network"),
    P("bypassvlanoverlapcheck", "boolean", description="skip the VLAN overlap check"),
    P("displaynetwork", "boolean", description="show to the end user"), P("dns1", description="first DNS"),
    P("dns2", description="second DNS"), P("endip", description="last IP of a shared network's range"),
    P("endipv6", description="last IPv6 address"), P("externalid", description="ID of the network in an external system"),
    P("gateway", description="gateway of the network"), P("hideipaddressusage", "boolean", description="hide IP usage"),
    P("ip6cidr", description="IPv6 CIDR"), P("ip6dns1", description="first IPv6 DNS"), P("ip6dns2", description="second IPv6 DNS"),
    P("ip6gateway", description="IPv6 gateway"), P("isolatedpvlan", description="isolated private VLAN"),
    P("isolatedpvlantype", description="private VLAN type"), P("netmask", description="netmask of the network"),
    P("networkdomain", description="DNS domain"), P("physicalnetworkid", "uuid"),
    P("privatemtu", "integer", description="MTU of the guest side"), P("publicmtu", "integer", description="MTU of the public side"),
    P("routerip", description="IPv4 address of the router"), P("routeripv6", description="IPv6 address of the router"),
    P("startip", description="first IP of a shared network's range"), P("startipv6", description="first IPv6 address"),
    P("subdomainaccess", "boolean", description="sub-domains may use a domain network"),
    P("tungstenvirtualrouteruuid", description="Tungsten router"), P("vlan", description="VLAN of the network"),
    P("vpcid", "uuid", description="the VPC of a tier", entity="vpc"),
]


@api("createNetwork", response="network", related="listNetworks,updateNetwork,deleteNetwork",
     description="Creates a guest network: isolated (Allocated until its first VM), shared (admins; Setup) or L2.",
     params=CREATE_PARAMS)
def create_network(ctx):
    store = ctx.store
    zone = store.get("zone", ctx.get("zoneid"))
    offering = store.get("networkoffering", ctx.get("networkofferingid"))
    if offering.get("state") != "Enabled":
        raise errors.invalid_value("Network offering with specified id is not in Enabled state")
    if zone.get("allocationstate") == "Disabled" and not ctx.caller.is_root_admin:
        raise errors.permission_denied(f"Cannot perform this operation, Zone is currently disabled: {zone['id']}")
    if offering.get("zoneids") and zone["id"] not in offering["zoneids"]:
        raise errors.invalid_value(f"Network offering {offering['id']} is not available in zone {zone['id']}")
    if bool(ctx.get("gateway")) != bool(ctx.get("netmask")):
        raise errors.invalid_value("gateway and netmask should be defined together")
    if ctx.get("gateway"):
        nc.parse_ip(ctx.get("gateway"), "gateway")
    if ctx.get("vlan") and not offering.get("specifyvlan"):
        raise errors.invalid_value("Can't specify vlan; corresponding offering says specifyVlan=false")
    if ctx.has("vpcid"):
        row = _create_vpc_tier(ctx, zone, offering, ctx.resolve_owner())
        return render_network(ctx, row)
    if offering.get("forvpc"):
        raise errors.invalid_value("Network offering can be used for VPC networks only")
    guest = offering.get("guestiptype")
    if guest == "Shared" or (guest == "L2" and (ctx.get("vlan") or ctx.has("acltype"))):
        return render_network(ctx, _create_shared(ctx, zone, offering))
    if zone.get("networktype") == "Basic":
        raise errors.invalid_value(f"Can't create network of type {guest} in zone {zone['name']} of networktype Basic")
    if ctx.get("vlan") and not ctx.caller.is_root_admin:
        raise errors.permission_denied("Only ROOT admin is allowed to specify vlanId")
    account = ctx.resolve_owner()
    extra = {}
    if guest == "Isolated" and ctx.get("vlan"):
        try:
            number = int(str(ctx.get("vlan")).lower().removeprefix("vlan://"))
        except ValueError:
            raise errors.invalid_value(f"Invalid vlan {ctx.get('vlan')}") from None
        extra = {"vlannumber": number, "vlan": str(number), "broadcasturi": f"vlan://{number}"}
    row = _insert_isolated(ctx, zone, offering, account, name=ctx.get("name"), displaytext=ctx.get("displaytext"),
                           gateway=ctx.get("gateway"), netmask=ctx.get("netmask"),
                           extra={**extra, "externalid": ctx.get("externalid"), "dns1": ctx.get("dns1"),
                                  "dns2": ctx.get("dns2"), "networkdomain": ctx.get("networkdomain"),
                                  "displaynetwork": ctx.get("displaynetwork", True), "publicmtu": ctx.get("publicmtu"),
                                  "privatemtu": ctx.get("privatemtu")})
    return render_network(ctx, row)


# --- listNetworks -----------------------------------------------------------------------------------------


@api("listNetworks", response="network", related="createNetwork,updateNetwork,deleteNetwork",
     description="Lists the guest networks the caller may see: its own, and domain-wide shared networks.",
     params=[*PAGING, *ACCOUNT_SCOPE, P("id", "uuid", entity="network"), P("zoneid", "uuid"),
             P("acltype", description="Account or Domain"), P("associatednetworkid", "uuid", entity="network"),
             P("canusefordeploy", "boolean", description="networks VMs may be deployed on"),
             P("displaynetwork", "boolean", description="networks shown to the end user"),
             P("forvpc", "boolean", description="VPC tiers (true) or not (false)"),
             P("issystem", "boolean", description="system networks"),
             P("networkfilter", description="Account, Domain, AccountDomain, Shared or All"),
             P("networkofferingid", "uuid"), P("physicalnetworkid", "uuid"), P("projectid", "uuid", entity=""),
             P("restartrequired", "boolean", description="networks needing a restart"), P("showicon", "boolean"),
             P("specifyipranges", "boolean", description="networks with their own IP ranges"),
             P("supportedservices", "list", description="networks whose offering has all these services"),
             P("tags", "map"), P("traffictype", description="traffic type"), P("type", description="Isolated, Shared or L2"),
             P("vlan", description="VLAN"), P("vpcid", "uuid", entity="vpc")])
def list_networks(ctx):
    store = ctx.store
    in_scope = _list_scope(ctx)

    def match(row):
        if bool(row.get("issystem")) != bool(ctx.get("issystem")):
            return False
        if not in_scope(row):
            return False
        if ctx.has("type") and str(row.get("type", "")).lower() != ctx.get("type").lower():
            return False
        if ctx.has("acltype") and str(row.get("acltype", "Account")).lower() != ctx.get("acltype").lower():
            return False
        if ctx.has("traffictype") and ctx.get("traffictype").lower() != "guest":
            return False
        if ctx.has("forvpc") and bool(row.get("vpcid")) != ctx.get("forvpc"):
            return False
        if ctx.has("specifyipranges") and bool(row.get("specifyipranges")) != ctx.get("specifyipranges"):
            return False
        if ctx.has("canusefordeploy") and (row.get("state") != "Destroy") != ctx.get("canusefordeploy"):
            return False
        if ctx.has("restartrequired") and ctx.get("restartrequired"):
            return False
        if ctx.has("displaynetwork") and row.get("displaynetwork", True) != ctx.get("displaynetwork"):
            return False
        if ctx.has("vlan") and str(row.get("vlan", "")) != str(ctx.get("vlan")).lower().removeprefix("vlan://"):
            return False
        if ctx.has("supportedservices"):
            offering = store.get("networkoffering", row.get("networkofferingid")) or {}
            if not nc.supports_all(offering_services(offering), ctx.get("supportedservices")):
                return False
        flt = (ctx.get("networkfilter") or "all").lower()
        if flt == "account" and not row.get("accountid"):
            return False
        return not (flt in ("domain", "shared") and row.get("accountid"))

    return ctx.list("network", lambda row: render_network(ctx, row), match=match, owned=False,
                    filters={"zoneid": "zoneid", "vpcid": "vpcid", "networkofferingid": "networkofferingid",
                             "physicalnetworkid": "physicalnetworkid", "associatednetworkid": "associatednetworkid"})


def _list_scope(ctx):
    """Which networks a listNetworks call covers (account scope + domain-wide networks)."""
    from marvin2.simulator.listing import owner_filter

    caller = ctx.caller
    owned_ok = owner_filter(ctx)         # raises the real 531/431 for bad account/domainid
    explicit = ctx.has("account") or ctx.has("domainid")

    def in_scope(row):
        if row.get("accountid"):
            if ctx.has("id") and not explicit:
                return ctx.can_access(row)
            return owned_ok(row)
        if ctx.has("account"):
            return False                   # domain networks belong to no account
        if ctx.has("domainid"):
            return owned_ok(row) or (row.get("domainid") == ctx.get("domainid"))
        return network_visible(ctx, row) or (caller is not None and caller.is_admin and ctx.get("listall")
                                             and ctx.can_access(row))

    return in_scope


# --- updateNetwork / restartNetwork / deleteNetwork ----------------------------------------------------------


def _owned_network(ctx) -> dict:
    network = ctx.store.get("network", ctx.get("id"))
    if network.get("removed"):
        raise errors.invalid_value(f"Unable to find network by id {network['id']}")
    if network.get("accountid"):
        ctx.check_access(network, "Network")
    elif not ctx.caller.is_admin or not ctx.can_access(network):
        raise errors.permission_denied(
            f"Account {ctx.caller.account['name']} does not have permission to operate with resource Network {network['id']}")
    return network


@api("updateNetwork", is_async=True, response="network", instance_type="Network", related="listNetworks",
     description="Changes a network's name, description, DNS domain, offering or guest CIDR.",
     params=[P("id", "uuid", True, "the network", entity="network"), P("name"), P("displaytext"),
             P("changecidr", "boolean", description="force the CIDR change"), P("customid", description="custom id"),
             P("displaynetwork", "boolean", description="show to the end user"), P("dns1"), P("dns2"),
             P("forced", "boolean", description="force the offering change"),
             P("guestvmcidr", description="new CIDR for guest VMs"), P("hideipaddressusage", "boolean"),
             P("ip6dns1"), P("ip6dns2"), P("networkdomain", description="new DNS domain"),
             P("networkofferingid", "uuid", description="new offering"), P("privatemtu", "integer"),
             P("publicmtu", "integer"), P("updateinsequence", "boolean", description="update redundant routers in turn")])
def update_network(ctx):
    network = _owned_network(ctx)
    new_offering = ctx.store.get("networkoffering", ctx.get("networkofferingid")) if ctx.has("networkofferingid") else None

    def run(jctx):
        store = jctx.store
        current = store.get("network", network["id"])
        changes = {f: jctx.get(f) for f in ("name", "displaytext", "networkdomain", "dns1", "dns2", "displaynetwork",
                                             "privatemtu", "publicmtu") if jctx.has(f)}
        if jctx.has("customid"):
            changes["externalid"] = jctx.get("customid")
        if new_offering is not None and new_offering["id"] != current["networkofferingid"]:
            old = store.get("networkoffering", current["networkofferingid"]) or {}
            if (new_offering.get("guestiptype") != old.get("guestiptype") or new_offering.get("state") != "Enabled"
                    or bool(new_offering.get("forvpc")) != bool(current.get("vpcid"))):
                raise nc.job_invalid(f"Can't upgrade from network offering {old.get('id')} to {new_offering['id']}; check "
                                   "logs for more information")
            changes["networkofferingid"] = new_offering["id"]
        if jctx.has("guestvmcidr"):
            cidr = str(nc.parse_cidr(jctx.get("guestvmcidr"), "guest vm cidr"))
            if current.get("type") != "Isolated" or not current.get("cidr") or not nc.within(cidr, current["cidr"]):
                raise nc.job_invalid(f"Invalid guest vm cidr {cidr}: it must be within the network cidr {current.get('cidr')}")
            for nic in store.find("nic", networkid=current["id"]):
                if nic.get("ipaddress") and ipaddress.IPv4Address(nic["ipaddress"]) not in ipaddress.IPv4Network(cidr):
                    raise nc.job_invalid(f"The network {current['name']} has VM IPs outside the new guest vm cidr {cidr}")
            changes["cidr"] = cidr
        current = store.update("network", current["id"], **changes)
        nc.event(jctx, "NETWORK.UPDATE", f"Successfully updated network {current['name']}", resource=current,
                 resource_type="Network")
        return render_network(jctx, current)

    return Job(run, instance_id=network["id"])


def restart(ctx, network_id: str, cleanup: bool) -> dict:
    """restartNetwork's work on an Implemented/Setup network: re-apply, or replace the router (cleanup)."""
    store = ctx.store
    network = store.get("network", network_id)
    if cleanup:
        shutdown_routers(store, network)
    return implement_network(ctx, network_id)


@api("restartNetwork", is_async=True, response="success", instance_type="Network", related="listNetworks",
     description="Restarts a network (re-applies its rules); cleanup=true replaces its virtual router.",
     params=[P("id", "uuid", True, "the network", entity="network"),
             P("cleanup", "boolean", description="destroy the old router and make a new one"),
             P("livepatch", "boolean", description="live-patch the router instead of restarting it"),
             P("makeredundant", "boolean", description="turn the router into a redundant pair")])
def restart_network(ctx):
    network = _owned_network(ctx)

    def run(jctx):
        current = jctx.store.get("network", network["id"])
        if current.get("removed") or current.get("state") not in ("Implemented", "Setup"):
            raise nc.job_invalid("Network is not in the right state to be restarted. Correct states are: Implemented, Setup")
        current = restart(jctx, network["id"], bool(jctx.get("cleanup")))
        nc.event(jctx, "NETWORK.RESTART", f"restarted network {current['name']}", resource=current, resource_type="Network")
        return SUCCESS

    return Job(run, instance_id=network["id"])


def destroy_network(ctx, network: dict) -> None:
    """Release everything a network holds and remove it (deleteNetwork's work; deleteVPC uses it too)."""
    from marvin2.simulator.apis import rules  # late import: rules imports this module

    store = ctx.store
    for ip in store.find("publicipaddress", associatednetworkid=network["id"]):
        if ip.get("vpcid"):
            store.update("publicipaddress", ip["id"], associatednetworkid=None, isstaticnat=False,
                         virtualmachineid=None, vmipaddress=None)
            rules.remove_rules_of_ip(store, ip["id"])
            continue
        rules.remove_rules_of_ip(store, ip["id"])
        ipalloc.release(store, ip["id"])
    rules.remove_rules_of_network(store, network["id"])
    shutdown_routers(store, network)
    store.delete_where("nic", networkid=network["id"])
    for vlan in store.find("vlan", networkid=network["id"]):          # a shared network's guest IP ranges
        store.delete_where("publicipaddress", vlanid=vlan["id"])
        store.delete("vlan", vlan["id"])
    if network.get("accountid") and network.get("type") == "Isolated" and not network.get("vpcid"):
        limits.release(store, network["accountid"], "network")
    delete_tags_of(store, network["id"])
    from marvin2 import wire

    store.update("network", network["id"], state="Destroy", removed=wire.now_text())


@api("deleteNetwork", is_async=True, response="success", instance_type="Network", related="createNetwork,listNetworks",
     description="Deletes a network that no VM uses; its public IPs, rules and router go with it.",
     params=[P("id", "uuid", True, "the network", entity="network"),
             P("forced", "boolean", description="delete even if the network's resources cannot be shut down cleanly")])
def delete_network(ctx):
    network = _owned_network(ctx)
    if ctx.has("forced") and ctx.get("forced") and not ctx.caller.is_root_admin:
        raise errors.invalid_value("Parameter forced can only be specified by a Root Admin")

    def run(jctx):
        current = jctx.store.get("network", network["id"])
        if current.get("removed"):
            raise nc.job_invalid(f"unable to find network {network['id']}")
        if current.get("type") == "Shared" and not jctx.caller.is_admin:
            raise nc.job_invalid("Only Admins can delete network with guest type Shared")
        if active_vm_nic_count(jctx.store, network["id"]):
            # A real server only logs "...as it has active Nics" and answers the command's generic failure.
            raise nc.job_error("Failed to delete network")
        destroy_network(jctx, current)
        nc.event(jctx, "NETWORK.DELETE", f"Successfully deleted network {current['name']}", resource=current,
                 resource_type="Network")
        return SUCCESS

    return Job(run, instance_id=network["id"])
