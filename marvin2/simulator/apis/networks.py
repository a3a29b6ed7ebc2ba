"""Guest networks: createNetwork, listNetworks, updateNetwork, restartNetwork, deleteNetwork.

The network rules (implementation, usability, default networks, NICs,
destruction) live in ``services/networks.py`` and ``services/nics.py``; the
VM services reach them through ``services/guestnet.py``.
"""
from __future__ import annotations

import ipaddress

from marvin2.simulator import access_texts, errors, model
from marvin2.simulator.context import SUCCESS, Job
from marvin2.simulator.declare import (
    ACCOUNT_SCOPE,
    PAGING,
    P,
    api,
    declare_object,
)
from marvin2.simulator.services import common as _common
from marvin2.simulator.services import netcommon as nc
from marvin2.simulator.services import vpcs
from marvin2.simulator.services.networks import (
    adopt_all_seeded_guest_ranges,
    adopt_seeded_guest_ranges,
    destroy_network,
    guest_physical_network,
    implement_network,
    insert_basic_network,
    insert_isolated_network,
    network_domain,
    network_visible,
    render_network,
    shutdown_routers,
    vlans_in_use,
    vnet_range,
)
from marvin2.simulator.services.nics import (
    active_vm_nic_count,
    network_label,
)
from marvin2.simulator.services.offerings import (
    check_offering_access,
    offering_has,
    offering_services,
)
from marvin2.simulator.tagging import register_taggable

register_taggable("Network", "network")


# --- store indexes (once per store) -----------------------------------------------------------


# --- NICs -----------------------------------------------------------------------------------------


# --- guest VLANs ----------------------------------------------------------------------------------


# --- implementing networks -------------------------------------------------------------------------


# --- access ---------------------------------------------------------------------------------------------


# --- defaults for deployVirtualMachine ---------------------------------------------------------------


# --- Basic zones -------------------------------------------------------------------------------------------
#
# A Basic zone has exactly one guest network: shared, Domain-wide (ROOT, sub-domains
# included), untagged, made by createNetwork with no VLAN and no IP range. Its
# addresses come from per-pod guest ranges (createVlanIpRange podid=...
# forvirtualnetwork=false networkid=...), and a VM takes one of the pod it starts
# in (CloudStack's DirectPodBasedNetworkGuru). The network stays in state Setup.

BASIC_OFFERING_TEXT = "For zone of type Basic only offerings of guestType Shared with disabled SourceNat service are allowed"


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
    row = insert_basic_network(ctx, zone, offering, name=ctx.get("name"), displaytext=ctx.get("displaytext"),
                                extra={"networkdomain": ctx.get("networkdomain"), "externalid": ctx.get("externalid"),
                                       "displaynetwork": ctx.get("displaynetwork", True)})
    nc.event(ctx, "NETWORK.CREATE", f"Successfully created network {row['name']}", resource=row, resource_type="Network")
    return row


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


# --- createNetwork ---------------------------------------------------------------------------------------


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
            if vlan_number in vnet_range(physnet):
                raise errors.invalid_value(f"The VLAN tag {vlan_number} is already being used for dynamic vlan allocation "
                                           f"for the guest network in zone {zone['name']}")
            if vlan_number in vlans_in_use(store, zone["id"]) and not ctx.get("bypassvlanoverlapcheck"):
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
        if domain is None:
            raise errors.invalid_value(f"Unable to find domain by id {domain_id}")
        if not ctx.can_access({"domainid": domain_id}) and not caller.is_root_admin:
            raise access_texts.outside_domain(store, caller.account, domain)
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
        "networkdomain": ctx.get("networkdomain") or network_domain(ctx, account),
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
    if offering.get("ispersistent"):
        row = implement_network(ctx, row["id"])        # NetworkServiceImpl: persistent offerings implement at once
    return row


def _create_vpc_tier(ctx, zone: dict, offering: dict, account: dict) -> dict:
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
    label = vpcs.vpc_label(vpc)
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
        aclid = vpcs.default_acl(store, "default_deny")["id"]
    return insert_isolated_network(ctx, zone, offering, account, name=ctx.get("name"), displaytext=ctx.get("displaytext"),
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


def _check_gateway(ctx, zone: dict, offering: dict) -> None:
    """createNetwork's IPv4 gateway/netmask rules (NetworkServiceImpl.createGuestNetwork and
    NetworkOrchestrator.createGuestNetwork)."""
    gateway, netmask = ctx.get("gateway"), ctx.get("netmask")
    if gateway:
        try:
            ipaddress.ip_address(str(gateway).strip())
        except ValueError:
            raise errors.invalid_value("Gateway parameter is invalid") from None
    if ctx.get("startip") and not (gateway and netmask):
        raise errors.invalid_value("gateway and netmask should be defined when startIP/endIP are passed in")
    if bool(gateway) != bool(netmask):
        raise errors.invalid_value("gateway and netmask should be defined together")
    if gateway and netmask:
        try:
            network = ipaddress.IPv4Network(f"0.0.0.0/{netmask}")
        except ValueError:
            raise errors.invalid_value("Invalid netmask") from None
        subnet = ipaddress.IPv4Network(f"{gateway}/{network.prefixlen}", strict=False)
        if network.prefixlen < 31 and ipaddress.IPv4Address(gateway) in (subnet.network_address, subnet.broadcast_address):
            raise errors.invalid_value("Invalid gateway IP provided. Either the IP is broadcast or network IP.")
        return
    # An advanced zone's shared networks, and isolated ones with neither SourceNat nor Gateway, need a CIDR.
    guest = offering.get("guestiptype")
    if zone.get("networktype") == "Advanced" and not ctx.has("vpcid") and not ctx.get("ip6cidr"):
        if guest == "Shared":
            raise errors.invalid_value("Gateway/netmask are required when creating Shared networks.")
        if guest == "Isolated" and not offering_has(offering, "SourceNat") and not offering_has(offering, "Gateway"):
            raise errors.invalid_value("gateway/netmask are required when create network of type Isolated with "
                                       "service SourceNat disabled")


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
    # NetworkServiceImpl.createGuestNetwork: the owner (finalizeOwner: the caller unless account/projectid name
    # another) must be allowed the offering's domains and zones.
    owner = nc.owner_for_create(ctx) if ctx.has("account") or ctx.has("projectid") else ctx.caller.account
    check_offering_access(store, "networkoffering", offering, owner, zone["id"])
    _check_gateway(ctx, zone, offering)
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
    row = insert_isolated_network(ctx, zone, offering, account, name=ctx.get("name"), displaytext=ctx.get("displaytext"),
                           gateway=ctx.get("gateway"), netmask=ctx.get("netmask"),
                           extra={**extra, "externalid": ctx.get("externalid"), "dns1": ctx.get("dns1"),
                                  "dns2": ctx.get("dns2"), "networkdomain": ctx.get("networkdomain"),
                                  "displaynetwork": ctx.get("displaynetwork", True), "publicmtu": ctx.get("publicmtu"),
                                  "privatemtu": ctx.get("privatemtu")},
                           source_nat_address=ctx.get("sourcenatipaddress"))
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
    caller = ctx.caller
    if network.get("accountid"):
        if not (ctx.can_access(network) or _common.is_project_member(ctx, network["accountid"])):
            if _is_project_network(ctx, network):
                raise access_texts.unable_to_use_network(network["id"])
            kind = "domain admin" if caller.is_domain_admin else "normal user"
            raise access_texts.network_not_operable(ctx.store, network, caller.account, kind)
    elif not caller.is_admin or not ctx.can_access(network):
        raise access_texts.no_access_to_resource()
    return network


def _is_project_network(ctx, network: dict) -> bool:
    owner = ctx.store.get("account", network.get("accountid")) or {}
    return owner.get("accounttype") == 5


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
    owner = ctx.store.get("account", network.get("accountid")) if network.get("accountid") else None
    if new_offering is not None and owner is not None:
        # NetworkServiceImpl.updateGuestNetwork: the network's owner must be allowed the new offering.
        check_offering_access(ctx.store, "networkoffering", new_offering, owner, network["zoneid"])

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
