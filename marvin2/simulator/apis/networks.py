"""Guest networks: createNetwork, listNetworks, updateNetwork, restartNetwork,
deleteNetwork, and the internal functions the VM module calls.

Internal contract for the VM module (apis/compute.py reaches these through
apis/_guestnet.py, which calls a function of this module when one of the same
name exists). All run inside the caller's store transaction, which holds the
store lock, so concurrent deploys never get the same IP or MAC.

``allocate_nic(ctx, network, vm, *, deviceid, isdefault, requested_ip=None, requested_mac=None) -> dict``
    Reserve a guest NIC (a ``nic`` row) of ``vm`` in ``network``: a free IP of
    the network's range (isolated / VPC tier: the CIDR minus the gateway;
    shared: its guest IP ranges; L2: no IP) chosen at random like a real server,
    and a MAC ``02:00:xx:xx:xx:xx`` unique in the cloud. A Basic zone's network
    gives no address until the VM starts (see ``prepare_nic``) unless the VM
    runs already or an address is requested. Row fields: ``id, networkid,
    virtualmachineid, ipaddress, macaddress, gateway, netmask, isdefault,
    deviceid, broadcasturi, isolationuri, type, traffictype, accountid,
    domainid`` (+ ``vlanid``, ``podid``: the guest range and pod of the
    address). Errors: 431 ``Invalid specified IPv4 address <ip>`` / ``Mac
    address is not valid: <mac>``; 533 ``Unable to acquire Guest IP address for
    network Ntwk[...]`` (range used up, requested IP taken or outside the range).
``prepare_nic(ctx, nic, network, host) -> dict``
    Call for each NIC when its VM starts on ``host``, after ``implement_network``.
    Basic zones: the NIC gets an address of a guest range of the host's pod
    (kept across stop/start in that pod, replaced on a pod change) and the pod
    gets its virtual router; 533 ``Unable to create a deployment for VM instance
    {...}`` when the pod's ranges are used up. Other networks: no change.
``release_nic(store, nic)``: give the IP and MAC back (``nic`` row or id).
``implement_network(ctx, network) -> dict``
    Call when a VM starts on the network, whatever its state (it does only
    what is missing). Allocated -> Implemented: guest VLAN, source-NAT public
    IP (isolated, not VPC; an IP acquired earlier on the network is reused) and
    the virtual router record; shared networks (Setup) and VPC tiers get their
    router / router NIC; a Basic zone's network a router in each pod with
    running VMs. Returns the network row. May raise 533 (no public IP or guest
    VLAN left).
``default_network(ctx, zone, owner) -> dict``
    deployVirtualMachine without networkids: Basic zone -> the zone's guest
    network (431 ``Unable to find network with trafficType Guest in zone <id>``
    without one); advanced -> the owner's only isolated source-NAT network, or a
    new ``<account>-network`` from the Required offering (431 when the owner
    has several).
``create_isolated_network(ctx, zone, owner, offering, name) -> dict``
``check_network_usable(ctx, network, account)``: 431 gone / 531 not the account's; 431 ``Can't specify
network Ids in Basic zone`` for a deploy into a Basic zone.
``render_nic(store, nic) -> dict``: the ``nic`` object of a VM response.
``nics_of_vm(store, vm_id)``, ``active_vm_nic_count(store, network_id)``.
"""
from __future__ import annotations

import ipaddress
import random

from marvin2.simulator import errors, ipalloc, limits, model
from marvin2.simulator.services import common as _common
from marvin2.simulator.services import netcommon as nc
from marvin2.simulator.services.capacity import (
    describe_vm,  # how the compute module names a VM in error texts
)
from marvin2.simulator.apis.network_offerings import (
    offering_has,
    offering_services,
    uses_virtual_router,
)
from marvin2.simulator.apis.routers import (
    create_router,
    destroy_router,
    routers_of,
    start_router_rows,
)
from marvin2.simulator.services.accounts import CLEANUP_NETWORKS, register_account_cleanup
from marvin2.simulator.context import SUCCESS, Job
from marvin2.simulator.declare import (
    ACCOUNT_SCOPE,
    PAGING,
    P,
    api,
    declare_object,
)
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


def _ip_taken(store, network_id: str, address: str) -> bool:
    return store.find_one("nic", networkid=network_id, ipaddress=address) is not None


def _pick_ip(store, network: dict, requested: str | None, *, pod_id: str | None = None,
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
    used = {int(ipaddress.IPv4Address(n["ipaddress"])) for n in store.find("nic", networkid=network["id"])
            if n.get("ipaddress")}
    free = [(v, vlan) for first, last, vlan in ranges for v in range(first, last + 1) if v not in used and v not in excluded]
    if not free:
        raise failure
    value, vlan = _random.choice(free)
    return str(ipaddress.IPv4Address(value)), vlan


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


def _address_fields(network: dict, picked: tuple[str, dict | None] | None, pod_id: str | None) -> dict:
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
    mac = _check_mac(store, requested_mac) if requested_mac else _new_mac(store)
    picked = _pick_ip(store, network, requested_ip, pod_id=pod_id, failure=failure) if assign_ip else None
    row = {
        "networkid": network["id"], "virtualmachineid": vm_id, "vmtype": vm_type, "macaddress": mac,
        "isdefault": bool(isdefault), "broadcasturi": network.get("broadcasturi"),
        "isolationuri": network.get("broadcasturi"), "type": network.get("type"), "traffictype": "Guest",
        "deviceid": deviceid, "state": "Reserved", "zoneid": network.get("zoneid"),
        **_address_fields(network, picked, pod_id),
    }
    if account is not None:
        row.update(accountid=account["id"], domainid=account["domainid"])
    return store.insert("nic", {k: v for k, v in row.items() if v is not None})


def allocate_nic(ctx, network: dict, vm: dict, *, deviceid: int, isdefault: bool, requested_ip: str | None = None,
                 requested_mac: str | None = None) -> dict:
    """A user VM's NIC in ``network`` (see the module docstring)."""
    store = ctx.store
    owner = {"id": vm.get("accountid"), "domainid": vm.get("domainid")} if vm.get("accountid") else None
    current = store.get("network", network["id"]) or network
    running_on = store.get("host", vm["hostid"]) if vm.get("state") == "Running" and vm.get("hostid") else None
    if running_on is not None and not current.get("removed"):
        # A NIC added to a running VM: its network gets what a VM start gives it (implemented, router).
        current = implement_network(ctx, current)
    if not is_pod_based(store, current):
        return reserve_nic(store, current, vm_id=vm["id"], account=owner, deviceid=deviceid, isdefault=isdefault,
                           requested_ip=requested_ip, requested_mac=requested_mac)
    # Basic zone: the address comes from the pod the VM runs in, so a VM that is not running gets none yet
    # (a requested address is reserved now, in whichever pod's range holds it).
    pod_id = running_on.get("podid") if running_on else None
    nic = reserve_nic(store, current, vm_id=vm["id"], account=owner, deviceid=deviceid, isdefault=isdefault,
                      requested_ip=requested_ip, requested_mac=requested_mac, pod_id=pod_id,
                      assign_ip=bool(requested_ip or running_on))
    if running_on is not None:
        _ensure_pod_router(ctx, current, pod_id)
    return nic


def prepare_nic(ctx, nic: dict, network: dict, host: dict) -> dict:
    """The VM's NIC as the VM starts on ``host`` (after ``implement_network``); returns the NIC row.

    Only Basic zones have work here: the NIC takes an address of a guest range of
    the host's pod, keeps it across stop/start in that pod and gets a new one when
    the VM lands in another pod; the pod's virtual router is created with the
    first VM there. No free address in the pod: 533 ``Unable to create a
    deployment for VM instance {...}`` (what a real server ends with once the
    deployment planner has no other pod to try)."""
    store = ctx.store
    network = store.get("network", network["id"])
    nic = store.get("nic", nic["id"]) or nic
    if network is None or network.get("removed") or not is_pod_based(store, network):
        return nic
    pod_id = host.get("podid")
    vm = store.get("virtualmachine", nic.get("virtualmachineid")) or {"id": nic.get("virtualmachineid")}
    failure = nc.capacity(f"Unable to create a deployment for {describe_vm(vm)}")
    if not _address_fits_pod(store, nic, pod_id):
        # A new address replaces the old one (given back by overwriting it), as a real server does on a pod change.
        picked = _pick_ip(store, network, None, pod_id=pod_id, failure=failure)
        nic = store.update("nic", nic["id"], **_address_fields(network, picked, pod_id))
    _ensure_pod_router(ctx, network, pod_id, failure=failure)
    return nic


def _address_fits_pod(store, nic: dict, pod_id: str | None) -> bool:
    if not nic.get("ipaddress"):
        return False
    vlan = store.get("vlan", nic["vlanid"]) if nic.get("vlanid") else None
    if vlan is None:
        return nic.get("podid") == pod_id
    return vlan.get("podid") in (None, pod_id)


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
    if is_pod_based(store, network):
        # Basic zones: one router per pod that has running VMs (restartNetwork brings them back);
        # a starting VM's pod gets its router in prepare_nic.
        for pod_id in _pods_with_running_vms(store, network):
            _ensure_pod_router(ctx, network, pod_id)
    elif uses_virtual_router(offering):
        _ensure_router(ctx, network, public_ip)
    return network


def _pods_with_running_vms(store, network: dict) -> list[str]:
    pods: list[str] = []
    for nic in store.find("nic", networkid=network["id"]):
        if nic.get("vmtype", USER_VM) != USER_VM or not nic.get("podid") or nic["podid"] in pods:
            continue
        vm = store.get("virtualmachine", nic.get("virtualmachineid"))
        if vm is not None and vm.get("state") == "Running":
            pods.append(nic["podid"])
    return pods


def _ensure_pod_router(ctx, network: dict, pod_id: str | None, *, failure: errors.ApiError | None = None) -> None:
    """The virtual router of a Basic zone's network in one pod (DHCP/DNS/user data), with an address of that pod."""
    store = ctx.store
    offering = store.get("networkoffering", network.get("networkofferingid")) or {}
    if pod_id is None or not uses_virtual_router(offering) or routers_of(store, network_id=network["id"], pod_id=pod_id):
        return
    router = create_router(store, zone_id=network["zoneid"], owner={"accountid": None, "domainid": network.get("domainid")},
                           network=network, pod_id=pod_id)
    nic = reserve_nic(store, network, vm_id=router["id"], account=None, vm_type=ROUTER_VM, deviceid=0, pod_id=pod_id,
                      failure=failure)
    store.update("router", router["id"], guestipaddress=nic.get("ipaddress"), guestnetmask=nic.get("netmask"))
    pod = store.get("pod", pod_id) or {}
    nc.event(ctx, "ROUTER.CREATE", f"created router {router['name']} for network {network['name']} in pod "
             f"{pod.get('name', pod_id)}", resource=router, resource_type="DomainRouter")


def _ensure_router(ctx, network: dict, public_ip: dict | None) -> None:
    store = ctx.store
    if network.get("vpcid"):
        vpc = store.get("vpc", network["vpcid"])
        routers = routers_of(store, vpc_id=network["vpcid"])
        if vpc is None or not routers:
            return
        router = _started(store, routers[0])
        if network["id"] not in (router.get("networkids") or []):
            store.update("router", router["id"], networkids=[*(router.get("networkids") or []), network["id"]])
        if not store.find_one("nic", networkid=network["id"], virtualmachineid=router["id"]):
            # The VPC router takes each tier's gateway address.
            store.insert("nic", {"networkid": network["id"], "virtualmachineid": router["id"], "vmtype": ROUTER_VM,
                                 "ipaddress": network.get("gateway"), "macaddress": _new_mac(store),
                                 "gateway": network.get("gateway"), "netmask": network.get("netmask"), "isdefault": False,
                                 "type": "Isolated", "traffictype": "Guest", "deviceid": 1, "state": "Reserved"})
        return
    existing = routers_of(store, network_id=network["id"])
    if existing:
        for router in existing:
            _started(store, router)
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


def _started(store, router: dict) -> dict:
    """A network in use needs its router running: one stopped (stopRouter, disableAccount) is started again, as a
    real server starts it when the network is implemented for a VM."""
    return start_router_rows(store, router) if router.get("state") == "Stopped" else router


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
    if ctx.command == "deployVirtualMachine" and is_basic_zone(ctx.store, ctx.get("zoneid")):
        # A Basic zone has exactly one guest network; the deploy command refuses to be told about it.
        raise errors.invalid_value("Can't specify network Ids in Basic zone")
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


# --- Basic zones -------------------------------------------------------------------------------------------
#
# A Basic zone has exactly one guest network: shared, Domain-wide (ROOT, sub-domains
# included), untagged, made by createNetwork with no VLAN and no IP range. Its
# addresses come from per-pod guest ranges (createVlanIpRange podid=...
# forvirtualnetwork=false networkid=...), and a VM takes one of the pod it starts
# in (CloudStack's DirectPodBasedNetworkGuru). The network stays in state Setup.

BASIC_OFFERING_TEXT = "For zone of type Basic only offerings of guestType Shared with disabled SourceNat service are allowed"


def is_basic_zone(store, zone_id: str | None) -> bool:
    zone = store.get("zone", zone_id) if zone_id else None
    return bool(zone and zone.get("networktype") == "Basic")


def is_pod_based(store, network: dict) -> bool:
    """Does this network take its addresses per pod (a Basic zone's guest network)?"""
    return network.get("type") == "Shared" and is_basic_zone(store, network.get("zoneid"))


def zone_guest_network(store, zone_id: str) -> dict | None:
    """A Basic zone's guest network, if it has one."""
    for network in store.find("network", zoneid=zone_id):
        if not network.get("removed") and network.get("type") == "Shared":
            return network
    return None


def _insert_basic_network(ctx, zone: dict, offering: dict | None, *, name: str, displaytext: str,
                          extra: dict | None = None) -> dict:
    store = ctx.store
    root = store.find_one("domain", path="ROOT")
    row = {
        "name": name, "displaytext": displaytext or name, "zoneid": zone["id"],
        "networkofferingid": offering["id"] if offering else None, "type": "Shared", "state": "Setup",
        "acltype": "Domain", "domainid": root["id"], "subdomainaccess": True, "isdefault": True,
        "physicalnetworkid": (guest_physical_network(store, zone["id"]) or {}).get("id"),
        "broadcastdomaintype": "Native", "broadcasturi": "vlan://untagged", "vlan": "untagged",
        "specifyipranges": bool((offering or {}).get("specifyipranges")), "networkdomain": _network_domain(ctx, None),
        "displaynetwork": True, **{k: v for k, v in (extra or {}).items() if v is not None},
    }
    return store.insert("network", {k: v for k, v in row.items() if v is not None})


def adopt_seeded_guest_ranges(ctx, zone: dict) -> dict | None:
    """A Basic zone's guest network, after giving it the zone's stray guest ranges; None when it has none.

    Seeds describe a Basic zone's guest range at zone level (their format has
    neither pod ranges nor networks); a range added without networkid belongs to
    the zone's guest network on a real server. Such ranges join the guest
    network (made as the UI names it, ``defaultGuestNetwork``, when the zone has
    none) and the zone's pod when it has only one."""
    store = ctx.store
    network = zone_guest_network(store, zone["id"])
    strays = [v for v in store.find("vlan", zoneid=zone["id"])
              if not v.get("networkid") and not v.get("forvirtualnetwork", True)]
    if not strays:
        return network
    if network is None:
        offering = store.find_one("networkoffering", name="DefaultSharedNetworkOfferingWithSGService"
                                  if zone.get("securitygroupsenabled") else "DefaultSharedNetworkOffering")
        network = _insert_basic_network(ctx, zone, offering, name="defaultGuestNetwork", displaytext="defaultGuestNetwork")
    pods = [p for p in store.find("pod", zoneid=zone["id"]) if not p.get("removed")]
    for vlan in strays:
        changes = {"networkid": network["id"]}
        if not vlan.get("podid") and len(pods) == 1:
            changes["podid"] = pods[0]["id"]
        store.update("vlan", vlan["id"], **changes)
    return network


def adopt_all_seeded_guest_ranges(ctx) -> None:
    for zone in ctx.store.find("zone", networktype="Basic"):
        if not zone.get("removed"):
            adopt_seeded_guest_ranges(ctx, zone)


def _create_basic_zone_network(ctx, zone: dict, offering: dict) -> dict:
    """createNetwork in a Basic zone, with a real server's checks in its order."""
    store = ctx.store
    caller = ctx.caller
    guest = offering.get("guestiptype")
    if guest != "Isolated" and not caller.is_admin:
        raise errors.permission_denied(f"Only Admins can create network with guest type {guest}")
    default_acl = "Domain" if guest != "Isolated" and not ctx.has("account") else "Account"
    if (ctx.get("acltype") or default_acl).capitalize() != "Domain":
        raise errors.invalid_value("Only AclType=Domain can be specified for network creation in Basic zone")
    if adopt_seeded_guest_ranges(ctx, zone) is not None:
        raise errors.invalid_value("Can't have more than one Guest network in zone with network type Basic")
    if guest != "Shared" or offering_has(offering, "SourceNat"):
        raise errors.invalid_value(BASIC_OFFERING_TEXT)
    domain_id = ctx.get("domainid") or caller.domain_id
    root = store.find_one("domain", path="ROOT")
    if domain_id != root["id"]:
        raise errors.invalid_value("Guest network in Basic zone should be dedicated to ROOT domain")
    if ctx.has("subdomainaccess") and not ctx.get("subdomainaccess"):
        raise errors.invalid_value("Subdomain access should be set to true for the guest network in the Basic zone")
    vlan = ctx.get("vlan")
    if vlan and str(vlan).lower().removeprefix("vlan://") != "untagged":
        raise errors.invalid_value("Only vlan untagged can be created in the zone of type Basic")
    if any(ctx.get(name) for name in ("gateway", "netmask", "startip", "endip")):
        raise errors.invalid_value("StartIp/endIp/gateway/netmask can't be specified for zone of type Basic")
    row = _insert_basic_network(ctx, zone, offering, name=ctx.get("name"), displaytext=ctx.get("displaytext"),
                                extra={"networkdomain": ctx.get("networkdomain"), "externalid": ctx.get("externalid"),
                                       "displaynetwork": ctx.get("displaynetwork", True)})
    nc.event(ctx, "NETWORK.CREATE", f"Successfully created network {row['name']}", resource=row, resource_type="Network")
    return row


def default_network(ctx, zone: dict, account: dict) -> dict:
    store = ctx.store
    zone_id = zone["id"]
    if zone.get("networktype") == "Basic":
        network = adopt_seeded_guest_ranges(ctx, zone)
        if network is None:
            raise errors.invalid_value(f"Unable to find network with trafficType Guest in zone {zone_id}")
        return network
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
    out.update(nc.owner_fields(ctx, row))
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
    acltype = (ctx.get("acltype") or ("Account" if ctx.has("account") or ctx.has("projectid") else "Domain")).capitalize()
    if acltype not in ("Account", "Domain"):
        raise errors.invalid_value("Invalid acltype: Account and Domain are the only values allowed")
    owner_fields: dict
    if acltype == "Account":
        account = nc.owner_for_create(ctx)
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
    nc.check_owned(ctx, vpc, "VPC")
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
    P("name", "network name"), P("networkofferingid", "the network offering"),
    P("zoneid", "the zone"), P("displaytext", "description (defaults to the name)"),
    P("account", "owner account (admins; with domainid)"), P("domainid", "owner domain"),
    P("projectid", "owner project", entity=""),
    P("aclid", "ACL list of a VPC tier", entity="networkacllist"),
    P("acltype", "Account or Domain (shared networks)"),
    P("associatednetworkid", "network to associate with", entity="network"),
    P("bypassvlanoverlapcheck", "skip the VLAN overlap check"),
    P("displaynetwork", "show to the end user"), P("dns1", "first DNS"),
    P("dns2", "second DNS"), P("endip", "last IP of a shared network's range"),
    P("endipv6", "last IPv6 address"), P("externalid", "ID of the network in an external system"),
    P("gateway", "gateway of the network"), P("hideipaddressusage", "hide IP usage"),
    P("ip6cidr", "IPv6 CIDR"), P("ip6dns1", "first IPv6 DNS"), P("ip6dns2", "second IPv6 DNS"),
    P("ip6gateway", "IPv6 gateway"), P("isolatedpvlan", "isolated private VLAN"),
    P("isolatedpvlantype", "private VLAN type"), P("netmask", "netmask of the network"),
    P("networkdomain", "DNS domain"), P("physicalnetworkid"),
    P("privatemtu", "MTU of the guest side"), P("publicmtu", "MTU of the public side"),
    P("routerip", "IPv4 address of the router"), P("routeripv6", "IPv6 address of the router"),
    P("startip", "first IP of a shared network's range"), P("startipv6", "first IPv6 address"),
    P("subdomainaccess", "sub-domains may use a domain network"),
    P("tungstenvirtualrouteruuid", "Tungsten router"), P("vlan", "VLAN of the network"),
    P("vpcid", "the VPC of a tier", entity="vpc"),
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
    if zone.get("networktype") == "Basic":
        return render_network(ctx, _create_basic_zone_network(ctx, zone, offering))
    if ctx.get("vlan") and not offering.get("specifyvlan"):
        raise errors.invalid_value("Can't specify vlan; corresponding offering says specifyVlan=false")
    if ctx.has("vpcid"):
        row = _create_vpc_tier(ctx, zone, offering, nc.owner_for_create(ctx))
        return render_network(ctx, row)
    if offering.get("forvpc"):
        raise errors.invalid_value("Network offering can be used for VPC networks only")
    guest = offering.get("guestiptype")
    if guest == "Shared" or (guest == "L2" and (ctx.get("vlan") or ctx.has("acltype"))):
        return render_network(ctx, _create_shared(ctx, zone, offering))
    if ctx.get("vlan") and not ctx.caller.is_root_admin:
        raise errors.permission_denied("Only ROOT admin is allowed to specify vlanId")
    account = nc.owner_for_create(ctx)
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
     params=[*PAGING, *ACCOUNT_SCOPE, P("id", entity="network"), P("zoneid"),
             P("acltype", "Account or Domain"), P("associatednetworkid", entity="network"),
             P("canusefordeploy", "networks VMs may be deployed on"),
             P("displaynetwork", "networks shown to the end user"),
             P("forvpc", "VPC tiers (true) or not (false)"),
             P("issystem", "system networks"),
             P("networkfilter", "Account, Domain, AccountDomain, Shared or All"),
             P("networkofferingid"), P("physicalnetworkid"), P("projectid", entity=""),
             P("restartrequired", "networks needing a restart"), P("showicon"),
             P("specifyipranges", "networks with their own IP ranges"),
             P("supportedservices", "networks whose offering has all these services"),
             P("tags"), P("traffictype", "traffic type"), P("type", "Isolated, Shared or L2"),
             P("vlan", "VLAN"), P("vpcid", entity="vpc")])
def list_networks(ctx):
    store = ctx.store
    adopt_all_seeded_guest_ranges(ctx)
    if _common.asks_all_projects(ctx):
        project, in_scope = None, _all_projects_scope(ctx)
    else:
        project = nc.project_filter(ctx)
        # With projectid the project's networks replace the caller's scope (project_filter checked membership).
        in_scope = (lambda row: True) if nc.for_project(ctx) else _list_scope(ctx)

    def match(row):
        if bool(row.get("issystem")) != bool(ctx.get("issystem")):
            return False
        if (project is not None and not project(row)) or not in_scope(row):
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


def _all_projects_scope(ctx):
    """listNetworks projectid=-1 (NetworkServiceImpl.searchForNetworks, its own rule rather than the generic one):
    project networks are no longer skipped; a user sees what it sees without projectid plus the networks of its
    projects, an admin every network of its domain tree (project ones included)."""
    if ctx.caller.is_admin:
        return lambda row: network_visible(ctx, row)
    members = _common.member_project_accounts(ctx.store, ctx.caller.account_id)
    own = _list_scope(ctx)
    return lambda row: own(row) or row.get("accountid") in members


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
        nc.check_owned(ctx, network, "Network")
    elif not ctx.caller.is_admin or not ctx.can_access(network):
        raise errors.permission_denied(
            f"Account {ctx.caller.account['name']} does not have permission to operate with resource Network {network['id']}")
    return network


@api("updateNetwork", response="network", instance_type="Network", related="listNetworks",
     description="Changes a network's name, description, DNS domain, offering or guest CIDR.",
     params=[P("id", "the network", entity="network"), P("name"), P("displaytext"),
             P("changecidr", "force the CIDR change"), P("customid", "custom id"),
             P("displaynetwork", "show to the end user"), P("dns1"), P("dns2"),
             P("forced", "force the offering change"),
             P("guestvmcidr", "new CIDR for guest VMs"), P("hideipaddressusage"),
             P("ip6dns1"), P("ip6dns2"), P("networkdomain", "new DNS domain"),
             P("networkofferingid", "new offering"), P("privatemtu"),
             P("publicmtu"), P("updateinsequence", "update redundant routers in turn")])
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


@api("restartNetwork", response="success", instance_type="Network", related="listNetworks",
     description="Restarts a network (re-applies its rules); cleanup=true replaces its virtual router.",
     params=[P("id", "the network", entity="network"),
             P("cleanup", "destroy the old router and make a new one"),
             P("livepatch", "live-patch the router instead of restarting it"),
             P("makeredundant", "turn the router into a redundant pair")])
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
    destroy_network_rows(ctx.store, network)


def destroy_network_rows(store, network: dict) -> None:
    """``destroy_network`` on the store alone (account cleanup hooks have no request context)."""
    from marvin2.simulator.apis import rules  # late import: rules imports this module

    for ip in store.find("publicipaddress", associatednetworkid=network["id"]):
        if ip.get("vpcid"):
            store.update("publicipaddress", ip["id"], associatednetworkid=None, isstaticnat=False,
                         virtualmachineid=None, vmipaddress=None)
            rules.remove_rules_of_ip(store, ip["id"])
            continue
        # Released like disassociateIpAddress does it: rules and resource tags go with the address, since the
        # row (and its id) is handed out again to whoever acquires the address next.
        rules.remove_rules_of_ip(store, ip["id"])
        delete_tags_of(store, ip["id"])
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


def cleanup_account(store, account: dict) -> None:
    """deleteAccount hook: the account's networks go (addresses, rules, routers with them) and its other public
    addresses are released, as a real server's account cleanup does. VPCs and their tiers are the VPC module's."""
    from marvin2.simulator.apis import rules  # late import: rules imports this module

    for network in store.find("network", accountid=account["id"]):
        if not network.get("removed") and not network.get("vpcid"):
            destroy_network_rows(store, network)
    for ip in store.find("publicipaddress", accountid=account["id"]):
        if ip.get("state") != "Free" and not ip.get("vpcid"):
            rules.remove_rules_of_ip(store, ip["id"])
            delete_tags_of(store, ip["id"])
            ipalloc.release(store, ip["id"])


register_account_cleanup(cleanup_account, rank=CLEANUP_NETWORKS)


@api("deleteNetwork", response="success", instance_type="Network", related="createNetwork,listNetworks",
     description="Deletes a network that no VM uses; its public IPs, rules and router go with it.",
     params=[P("id", "the network", entity="network"),
             P("forced", "delete even if the network's resources cannot be shut down cleanly")])
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
