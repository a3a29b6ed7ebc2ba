"""Guest networks: implementation, usability, default networks, NICs of VMs, rendering and destruction.

Contract for the VM services (``services/guestnet.py`` calls these; the NIC
row functions ``release_nic``, ``render_nic``, ``nics_of_vm``,
``active_vm_nic_count`` live in ``services/nics.py``). All run inside the
caller's store transaction, which holds the store lock, so concurrent deploys
never get the same IP or MAC.

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

from marvin2.simulator import access_texts, errors, ipalloc, limits
from marvin2.simulator.services import netcommon as nc
from marvin2.simulator.services import rules
from marvin2.simulator.services.accounts import (
    CLEANUP_NETWORKS,
    register_account_cleanup,
)
from marvin2.simulator.services.capacity import (
    describe_vm,  # how the VM services name a VM in error texts
)
from marvin2.simulator.services.nics import (
    ROUTER_VM,
    USER_VM,
    address_fields,
    is_basic_zone,
    is_pod_based,
    network_label,
    new_mac,
    pick_ip,
    reserve_nic,
)
from marvin2.simulator.services.offerings import (
    offering_has,
    offering_services,
    uses_virtual_router,
)
from marvin2.simulator.services.routers import (
    create_router,
    destroy_router,
    routers_of,
    start_router_rows,
)
from marvin2.simulator.tagging import delete_tags_of


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
        picked = pick_ip(store, network, None, pod_id=pod_id, failure=failure)
        nic = store.update("nic", nic["id"], **address_fields(network, picked, pod_id))
    _ensure_pod_router(ctx, network, pod_id, failure=failure)
    return nic


def _address_fits_pod(store, nic: dict, pod_id: str | None) -> bool:
    if not nic.get("ipaddress"):
        return False
    vlan = store.get("vlan", nic["vlanid"]) if nic.get("vlanid") else None
    if vlan is None:
        return nic.get("podid") == pod_id
    return vlan.get("podid") in (None, pod_id)


def guest_physical_network(store, zone_id: str) -> dict | None:
    for physnet in store.find("physicalnetwork", zoneid=zone_id):
        if store.find_one("traffictype", physicalnetworkid=physnet["id"], traffictype="Guest"):
            return physnet
    return store.find_one("physicalnetwork", zoneid=zone_id)


def vnet_range(physnet: dict | None) -> list[int]:
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


def vlans_in_use(store, zone_id: str) -> set[int]:
    used = set()
    for network in store.find("network", zoneid=zone_id):
        if not network.get("removed") and network.get("vlannumber") is not None:
            used.add(int(network["vlannumber"]))
    return used


def _allocate_vlan(store, network: dict) -> int:
    physnet = store.get("physicalnetwork", network.get("physicalnetworkid")) or guest_physical_network(store, network["zoneid"])
    used = vlans_in_use(store, network["zoneid"])
    for vlan in vnet_range(physnet):
        if vlan not in used:
            return vlan
    raise nc.capacity(f"Unable to allocate vnet as a part of network {network_label(network)} implement ")


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
    elif network["state"] == "Setup" and offering.get("ispersistent") \
            and store.get("zone", network["zoneid"]).get("networktype") == "Advanced":
        # NetworkOrchestrator.isNetworkImplemented: a Setup network of a persistent offering is not implemented
        # yet; implementing it (at creation) makes it Implemented.
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
                                 "ipaddress": network.get("gateway"), "macaddress": new_mac(store),
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
                             "ipaddress": guest_ip, "macaddress": new_mac(store), "gateway": network.get("gateway"),
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
    # NetworkModelImpl.checkNetworkPermissions, for the account the resource is for.
    if network.get("accountid"):
        if network["accountid"] != account["id"]:
            raise access_texts.unable_to_use_network(network["id"])
        return
    if not _domain_visible(ctx.store, network, account["domainid"]):
        raise access_texts.shared_network_not_in_domain(network["id"], account["domainid"])


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


def zone_guest_network(store, zone_id: str) -> dict | None:
    """A Basic zone's guest network, if it has one."""
    for network in store.find("network", zoneid=zone_id):
        if not network.get("removed") and network.get("type") == "Shared":
            return network
    return None


def insert_basic_network(ctx, zone: dict, offering: dict | None, *, name: str, displaytext: str,
                          extra: dict | None = None) -> dict:
    store = ctx.store
    root = store.find_one("domain", path="ROOT")
    row = {
        "name": name, "displaytext": displaytext or name, "zoneid": zone["id"],
        "networkofferingid": offering["id"] if offering else None, "type": "Shared", "state": "Setup",
        "acltype": "Domain", "domainid": root["id"], "subdomainaccess": True, "isdefault": True,
        "physicalnetworkid": (guest_physical_network(store, zone["id"]) or {}).get("id"),
        "broadcastdomaintype": "Native", "broadcasturi": "vlan://untagged", "vlan": "untagged",
        "specifyipranges": bool((offering or {}).get("specifyipranges")), "networkdomain": network_domain(ctx, None),
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
        network = insert_basic_network(ctx, zone, offering, name="defaultGuestNetwork", displaytext="defaultGuestNetwork")
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
    return insert_isolated_network(ctx, zone, offering, owner, name=name, displaytext=name)


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


def network_domain(ctx, account: dict | None) -> str:
    suffix = ctx.config("guest.domain.suffix", "cloud.internal") or "cloud.internal"
    return f"cs{(account or {}).get('id', 'root')[:6]}{suffix}" if account else suffix


def insert_isolated_network(ctx, zone: dict, offering: dict, account: dict, *, name: str, displaytext: str,
                     gateway: str | None = None, netmask: str | None = None, vpc: dict | None = None,
                     aclid: str | None = None, extra: dict | None = None,
                     source_nat_address: str | None = None) -> dict:
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
        "networkdomain": (vpc or {}).get("networkdomain") or network_domain(ctx, account),
        "physicalnetworkid": (guest_physical_network(store, zone["id"]) or {}).get("id"),
        "vpcid": vpc["id"] if vpc else None, "aclid": aclid, "specifyipranges": bool(offering.get("specifyipranges")),
        "displaynetwork": True, **ctx.owner_row_fields(account), **(extra or {}),
    }
    row = store.insert("network", {k: v for k, v in row.items() if v is not None})
    nc.event(ctx, "NETWORK.CREATE", f"Successfully created network {row['name']}", resource=row, resource_type="Network",
             account=account)
    if source_nat_address:
        _take_source_nat_address(ctx, row, offering, account, str(source_nat_address).strip())
    if offering.get("ispersistent"):
        row = implement_network(ctx, row["id"])
    return row


def _take_source_nat_address(ctx, network: dict, offering: dict, account: dict, address: str) -> None:
    """createNetwork sourcenatipaddress (4.19+, NetworkServiceImpl.checkAndSetRouterSourceNatIp): that public
    address is acquired for the owner and associated with the new network before it is implemented, so it is
    the network's source NAT address."""
    if network.get("type") != "Isolated" or network.get("vpcid") or not offering_has(offering, "SourceNat"):
        raise errors.invalid_value(f"can´t use {address} as sourcenat IP address for network "
                                   f"{network['name']}/{network['id']}: it has no SourceNat service of its own")
    ip = ipalloc.allocate(ctx.store, network["zoneid"], account, network_id=network["id"], source_nat=True,
                          address=address)
    nc.event(ctx, "NET.IPASSIGN", f"Source NAT IP {ip['ipaddress']} for network {network['name']}", resource=ip,
             resource_type="PublicIpAddress", account=account)


def destroy_network(ctx, network: dict) -> None:
    """Release everything a network holds and remove it (deleteNetwork's work; deleteVPC uses it too)."""
    destroy_network_rows(ctx.store, network)


def destroy_network_rows(store, network: dict) -> None:
    """``destroy_network`` on the store alone (account cleanup hooks have no request context)."""
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
    for network in store.find("network", accountid=account["id"]):
        if not network.get("removed") and not network.get("vpcid"):
            destroy_network_rows(store, network)
    for ip in store.find("publicipaddress", accountid=account["id"]):
        if ip.get("state") != "Free" and not ip.get("vpcid"):
            rules.remove_rules_of_ip(store, ip["id"])
            delete_tags_of(store, ip["id"])
            ipalloc.release(store, ip["id"])


register_account_cleanup(cleanup_account, rank=CLEANUP_NETWORKS)
