"""Public IP addresses: associateIpAddress, disassociateIpAddress,
listPublicIpAddresses, enableStaticNat, disableStaticNat.

Addresses are the core's ``publicipaddress`` rows (one per address of each
public range); the core's ``ipalloc`` hands them out and takes them back.
associateIpAddress is a create-style async command: the address is chosen
in the request (state ``Allocating``, its id answered at once) and the job
makes it ``Allocated``. The first address acquired on an isolated network
that has no source NAT address yet becomes its source NAT address, as on a
real server.
"""
from __future__ import annotations

import datetime as dt
import time

from marvin2 import wire
from marvin2.simulator import errors, ipalloc, limits
from marvin2.simulator.context import SUCCESS, Job, ListResult
from marvin2.simulator.declare import ACCOUNT_SCOPE, PAGING, P, api, declare_object
from marvin2.simulator.services import netcommon as nc
from marvin2.simulator.services import portable_ips, rules
from marvin2.simulator.services.addresses import (
    ip_label,
    owned_ip,
    quarantine,
    release_address,
    user_vm,
    vm_nic_in,
)
from marvin2.simulator.services.networks import check_network_usable, source_nat_ip
from marvin2.simulator.services.offerings import offering_has
from marvin2.simulator.tagging import register_taggable

register_taggable("PublicIpAddress", "publicipaddress")

declare_object("ipaddress", {
    "id": "address id", "ipaddress": "the address", "state": "Allocating, Allocated, Releasing or Free",
    "allocated": ("date", "when it was acquired"), "zoneid": "zone id", "zonename": "zone name",
    "issourcenat": ("boolean", "the source NAT address of its network/VPC"),
    "isstaticnat": ("boolean", "static NAT to a VM"), "issystem": ("boolean", "used by the system"),
    "account": "owner account", "domainid": "owner domain id", "domain": "owner domain",
    "forvirtualnetwork": ("boolean", "a public (virtual network) address"), "vlanid": "public range id",
    "vlanname": "VLAN of the range", "associatednetworkid": "the guest network using it",
    "associatednetworkname": "name of that network", "physicalnetworkid": "physical network",
    "virtualmachineid": "static NAT VM", "virtualmachinename": "static NAT VM name",
    "virtualmachinedisplayname": "static NAT VM display name", "vmipaddress": "the VM IP it is NATed to",
    "vpcid": "VPC id", "vpcname": "VPC name", "tags": ("list", "resource tags"), "fordisplay": ("boolean", "shown to users"),
})


def render_ip(ctx, row: dict) -> dict:
    store = ctx.store
    vlan = store.get("vlan", row.get("vlanid")) or {}
    network = store.get("network", row.get("associatednetworkid")) if row.get("associatednetworkid") else None
    vpc = store.get("vpc", row.get("vpcid")) if row.get("vpcid") else None
    vm = store.get("virtualmachine", row.get("virtualmachineid")) if row.get("virtualmachineid") else None
    out = {k: row.get(k) for k in ("id", "ipaddress", "state", "allocated", "vlanid", "associatednetworkid",
                                    "physicalnetworkid", "virtualmachineid", "vmipaddress", "vpcid")}
    out.update(nc.zone_fields(store, row.get("zoneid")))
    out.update(nc.owner_fields(ctx, row))
    out.update(issourcenat=bool(row.get("issourcenat")), isstaticnat=bool(row.get("isstaticnat")),
               issystem=bool(row.get("issystem")), forvirtualnetwork=bool(row.get("forvirtualnetwork", True)),
               vlanname=vlan.get("vlan"), associatednetworkname=network["name"] if network else None,
               vpcname=vpc["name"] if vpc else None, isportable=bool(row.get("isportable")), fordisplay=row.get("fordisplay", True),
               hasannotations=False, tags=ctx.tags_for(row["id"]),
               virtualmachinename=vm.get("name") if vm else None,
               virtualmachinedisplayname=(vm.get("displayname") or vm.get("name")) if vm else None)
    return out


# --- associate / disassociate ------------------------------------------------------------------


def _address_owner(ctx) -> dict:
    """Who a new address belongs to, as AssociateIPAddrCmd decides: ``account``+``domainid`` or ``projectid`` when
    given, else the owner of the network (or VPC) it is acquired for, else the caller."""
    store = ctx.store
    if ctx.has("projectid") or (ctx.has("account") and ctx.has("domainid")):
        return nc.owner_for_create(ctx)
    for param, kind, what in (("networkid", "network", "Network"), ("vpcid", "vpc", "VPC")):
        if ctx.has(param):
            row = store.get(kind, ctx.get(param))
            if row is not None and not row.get("removed") and row.get("accountid"):
                nc.check_owned(ctx, row, what)
                return store.get("account", row["accountid"]) or nc.owner_for_create(ctx)
            break
    return nc.owner_for_create(ctx)


def _target_network(ctx, owner: dict) -> tuple[dict | None, dict | None, str]:
    """(network, vpc, zone id) the new address is for."""
    store = ctx.store
    if ctx.has("networkid"):
        network = store.get("network", ctx.get("networkid"))
        if network.get("removed"):
            raise errors.invalid_value(f"Unable to find network by id {network['id']}")
        if network.get("accountid"):
            nc.check_owned(ctx, network, "Network")
        check_network_usable(ctx, network, owner)
        offering = store.get("networkoffering", network["networkofferingid"]) or {}
        if network.get("type") != "Isolated" and not offering_has(offering, "SourceNat") \
                and not offering_has(offering, "StaticNat"):
            raise errors.invalid_value(f"Can't allocate public ip address for network {network['id']}: the network "
                                       f"offering does not support public IP services")
        vpc = store.get("vpc", network["vpcid"]) if network.get("vpcid") else None
        return network, vpc, network["zoneid"]
    if ctx.has("vpcid"):
        vpc = store.get("vpc", ctx.get("vpcid"))
        if vpc.get("removed"):
            raise errors.invalid_value(f"Unable to find VPC by id {vpc['id']}")
        nc.check_owned(ctx, vpc, "VPC")
        return None, vpc, vpc["zoneid"]
    if not ctx.has("zoneid"):
        raise errors.invalid_value("Either networkId, vpcId or zoneId has to be specified to associate an IP address")
    zone = store.get("zone", ctx.get("zoneid"))
    if zone.get("networktype") == "Basic":
        raise errors.invalid_value(f"Can't associate ip address in zone {zone['name']} of networktype Basic")
    networks = [n for n in store.find("network", zoneid=zone["id"], accountid=owner["id"])
                if not n.get("removed") and n.get("type") == "Isolated" and not n.get("vpcid")]
    if not networks:
        domain = store.get("domain", owner["domainid"]) or {}
        raise errors.invalid_value(f"Account name={owner['name']} domain={domain.get('name')} doesn't have virtual "
                                   f"networks in zone={zone['name']}")
    return networks[0], None, zone["id"]


@api("associateIpAddress", response="ipaddress", instance_type="IpAddress",
     related="disassociateIpAddress,listPublicIpAddresses",
     description="Acquires a public IP address for a network, a VPC or (the account's network in) a zone.",
     params=[P("networkid", "the isolated network", entity="network"),
             P("vpcid", "the VPC", entity="vpc"), P("zoneid"),
             P("ipaddress", "a specific free address to acquire"),
             P("account", "owner account (admins; with domainid)"), P("domainid"),
             P("projectid", entity=""), P("fordisplay", "show to the end user"),
             P("isportable", "a portable (region-wide) address"),
             P("regionid", "region of a portable address")])
def associate_ip_address(ctx):
    store = ctx.store
    owner = _address_owner(ctx)
    network, vpc, zone_id = _target_network(ctx, owner)
    tier_network = network if network is not None and network.get("vpcid") else None
    if tier_network is not None:
        network, vpc = None, None          # refused in the job, as a real server does
    if ctx.get("isportable"):              # a region-wide address, provisioned in this zone
        ip = portable_ips.acquire(store, owner, zone_id, network_id=network["id"] if network else None,
                                  vpc_id=vpc["id"] if vpc else None)
    else:
        source_nat = bool(network is not None and network.get("type") == "Isolated" and not network.get("vpcid")
                          and source_nat_ip(store, network) is None
                          and offering_has(store.get("networkoffering", network["networkofferingid"]) or {},
                                           "SourceNat"))
        ip = ipalloc.allocate(store, zone_id, owner, network_id=network["id"] if network else None,
                              vpc_id=vpc["id"] if vpc else None, source_nat=source_nat, address=ctx.get("ipaddress"))
    ip = store.update("publicipaddress", ip["id"], state="Allocating", fordisplay=ctx.get("fordisplay", True))

    def run(jctx):
        if tier_network is not None:
            release_address(jctx, jctx.store.get("publicipaddress", ip["id"]))
            raise nc.job_invalid("Can't assign ip to the network directly when network belongs to VPC.Specify vpcId to "
                                 "associate ip address to VPC")
        current = jctx.store.update("publicipaddress", ip["id"], state="Allocated")
        nc.event(jctx, "NET.IPASSIGN", f"Successfully associated IP {current['ipaddress']}", resource=current,
                 resource_type="PublicIpAddress", account=owner)
        return render_ip(jctx, current)

    def failed(jctx, error):
        current = jctx.store.get("publicipaddress", ip["id"])
        if current is not None and current.get("state") == "Allocating":
            release_address(jctx, current)

    return Job(run, entity_id=ip["id"], instance_id=ip["id"], on_failure=failed)


def _address_id(ctx) -> str:
    """disassociateIpAddress names the address by id or (4.19+) by the address itself, never both."""
    if ctx.has("id") and ctx.has("ipaddress"):
        raise errors.invalid_value("id parameter is mutually exclusive with ipaddress parameter")
    if ctx.has("id"):
        return ctx.get("id")
    if ctx.has("ipaddress"):
        row = ctx.store.find_one("publicipaddress", ipaddress=ctx.get("ipaddress"))
        if row is None or row.get("state") == "Free":
            raise errors.invalid_value(f"Unable to find IP address by IP address={ctx.get('ipaddress')}")
        return row["id"]
    raise errors.invalid_value("Please specify either IP address or IP address ID")


@api("disassociateIpAddress", response="success", instance_type="IpAddress",
     related="associateIpAddress,listPublicIpAddresses",
     description="Releases a public IP address (not a source NAT one) with all its rules.",
     params=[P("id", "the address", entity="publicipaddress"), P("ipaddress", "the address itself (4.19+)")])
def disassociate_ip_address(ctx):
    ip = owned_ip(ctx, _address_id(ctx))

    def run(jctx):
        current = jctx.store.get("publicipaddress", ip["id"])
        if current.get("state") == "Free":
            raise nc.job_error(f"Unable to find ip address by id {ip['id']}")
        network = jctx.store.get("network", current.get("associatednetworkid")) if current.get("associatednetworkid") else None
        # A source NAT address may go only while its network was never implemented (no router uses it yet).
        if current.get("issourcenat") and (current.get("vpcid") or network is None or network.get("state") != "Allocated"):
            raise nc.job_error("ip address is used for source nat purposes and can not be disassociated.")
        quarantine(jctx, current, network["domainid"] if network else jctx.caller.domain_id)
        release_address(jctx, current)
        nc.event(jctx, "NET.IPRELEASE", f"released IP {current['ipaddress']}", resource=current,
                 resource_type="PublicIpAddress")
        return SUCCESS

    return Job(run, instance_id=ip["id"])


# --- listPublicIpAddresses ------------------------------------------------------------------------


@api("listPublicIpAddresses", response="publicipaddress", related="associateIpAddress,disassociateIpAddress",
     description="Lists public IP addresses: the caller's allocated ones, or also free ones with allocatedonly=false.",
     params=[*PAGING, *ACCOUNT_SCOPE, P("id", entity="publicipaddress"), P("zoneid"),
             P("allocatedonly", "only allocated addresses (default true)"),
             P("associatednetworkid", "addresses of this guest network", entity="network"),
             P("networkid", "addresses of this guest network", entity="network"),
             P("fordisplay", "addresses shown to the end user"),
             P("forloadbalancing", "addresses usable for load balancing"),
             P("forvirtualnetwork", "public (virtual network) addresses"),
             P("ipaddress", "this address"), P("issourcenat", "source NAT addresses"),
             P("isstaticnat", "static NAT addresses"), P("physicalnetworkid"),
             P("projectid", entity=""), P("state", "Allocating, Allocated, Releasing or Free"),
             P("tags"), P("vlanid", "addresses of this public range"),
             P("vpcid", "addresses of this VPC", entity="vpc")])
def list_public_ip_addresses(ctx):
    from marvin2.simulator.listing import owner_filter

    project = nc.project_filter(ctx)
    # With projectid the project's addresses replace the caller's scope (project_filter checked membership).
    allowed = (lambda row: True) if nc.for_project(ctx) else owner_filter(ctx)
    allocated_only = ctx.get("allocatedonly", True)
    network_filter = ctx.get("associatednetworkid") or ctx.get("networkid")

    def match(row):
        if row.get("accountid"):
            if project is not None and not project(row):
                return False
            if not (allowed(row) or (ctx.has("id") and ctx.can_access(row) and not ctx.has("account"))):
                return False
        elif allocated_only or row.get("state") != "Free" or ctx.has("account") or nc.for_project(ctx):
            return False
        if network_filter and row.get("associatednetworkid") != network_filter:
            return False
        for flag in ("issourcenat", "isstaticnat"):
            if ctx.has(flag) and bool(row.get(flag)) != ctx.get(flag):
                return False
        if ctx.has("forvirtualnetwork") and bool(row.get("forvirtualnetwork", True)) != ctx.get("forvirtualnetwork"):
            return False
        if ctx.has("forloadbalancing") and ctx.get("forloadbalancing") and (row.get("isstaticnat") or row.get("issourcenat")):
            return False
        if ctx.has("state") and str(row.get("state")).lower() != ctx.get("state").lower():
            return False
        return not (ctx.has("fordisplay") and row.get("fordisplay", True) != ctx.get("fordisplay"))

    return ctx.list("publicipaddress", lambda row: render_ip(ctx, row), match=match, owned=False,
                    keyword_fields=("ipaddress",),
                    filters={"zoneid": "zoneid", "vlanid": "vlanid", "vpcid": "vpcid", "ipaddress": "ipaddress",
                             "physicalnetworkid": "physicalnetworkid"})


# --- static NAT ---------------------------------------------------------------------------------------


@api("enableStaticNat", response="success", related="disableStaticNat",
     description="Maps a public IP address one-to-one to a VM of the address's network.",
     params=[P("ipaddressid", "the public IP address", entity="publicipaddress"),
             P("virtualmachineid", "the VM", entity="virtualmachine"),
             P("networkid", "the VM's network (VPC addresses)", entity="network"),
             P("vmguestip", "a secondary IP of the VM to NAT to")])
def enable_static_nat(ctx):
    store = ctx.store
    ip = owned_ip(ctx, ctx.get("ipaddressid"))
    vm = user_vm(ctx, ctx.get("virtualmachineid"))
    network_id = ctx.get("networkid") or ip.get("associatednetworkid")
    if network_id is None:
        raise errors.invalid_value(f"Unable to enable static nat for the ipAddress id={ip['id']} as ip is not associated "
                                   "with any network and no networkId is passed in")
    network = store.get("network", network_id)
    if ip.get("associatednetworkid") and ip["associatednetworkid"] != network_id:
        raise errors.invalid_value(f"Unable to enable static nat for the ipAddress id={ip['id']}: the ip is associated "
                                   f"with another network")
    if ip.get("vpcid") and network.get("vpcid") != ip["vpcid"]:
        raise errors.invalid_value("Network and the ip address should belong to the same VPC")
    nic = vm_nic_in(store, vm["id"], network_id)
    if nic is None:
        raise errors.invalid_value("Vm doesn't belong to network associated with ipAddress")
    if vm.get("accountid") != ip.get("accountid"):
        raise errors.permission_denied(f"Account of the vm {vm['id']} doesn't match the account of the ip {ip['id']}")
    if ip.get("issourcenat"):
        raise errors.invalid_value(f"Can't enable static, ip address {ip_label(ip)} is a sourceNat ip address")
    if not ip.get("isstaticnat"):
        if rules.active_rules(store, "portforwardingrule", ipaddressid=ip["id"]):
            raise nc.conflict(f"Failed to enable static nat for the ip address {ip_label(ip)} as it already has "
                              "PortForwarding rules assigned")
        if rules.active_rules(store, "loadbalancerrule", ipaddressid=ip["id"]):
            raise nc.conflict(f"Failed to enable static nat for the ip address {ip_label(ip)} as it already has "
                              "LoadBalancing rules assigned")
    elif ip.get("virtualmachineid") != vm["id"]:
        raise nc.conflict(f"Failed to enable static for the ip address {ip_label(ip)} and vm id={vm['id']} as it's "
                          "already assigned to antoher vm")
    vm_ip = ctx.get("vmguestip") or nic.get("ipaddress")
    for other in store.find("publicipaddress", virtualmachineid=vm["id"], isstaticnat=True):
        if other["id"] != ip["id"] and other.get("vmipaddress") == vm_ip:
            raise errors.invalid_value(f"Failed to enable static nat on the ip {ip['ipaddress']} for the vm "
                                       f"{vm.get('name')} as vm id={vm['id']} is already associated with ip id={other['id']}")
    ip = store.update("publicipaddress", ip["id"], isstaticnat=True, virtualmachineid=vm["id"], vmipaddress=vm_ip,
                      associatednetworkid=network_id)
    nc.event(ctx, "STATICNAT.ENABLE", f"enabled static NAT of {ip['ipaddress']} to VM {vm.get('name')}", resource=ip,
             resource_type="PublicIpAddress")
    return SUCCESS


@api("disableStaticNat", response="success", instance_type="IpAddress", related="enableStaticNat",
     description="Removes the static NAT of a public IP address.",
     params=[P("ipaddressid", "the public IP address", entity="publicipaddress")])
def disable_static_nat(ctx):
    ip = owned_ip(ctx, ctx.get("ipaddressid"))

    def run(jctx):
        current = jctx.store.get("publicipaddress", ip["id"])
        if not current.get("isstaticnat"):
            raise nc.job_invalid("Specified IP address id is not associated with any vm Id")
        changes = {"isstaticnat": False, "virtualmachineid": None, "vmipaddress": None}
        if current.get("vpcid") and not current.get("issourcenat"):
            if not rules.active_rules(jctx.store, "firewallrule", ipaddressid=current["id"]):
                changes["associatednetworkid"] = None
        current = jctx.store.update("publicipaddress", ip["id"], **changes)
        nc.event(jctx, "STATICNAT.DISABLE", f"disabled static NAT of {current['ipaddress']}", resource=current,
                 resource_type="PublicIpAddress")
        return SUCCESS

    return Job(run, instance_id=ip["id"])


# --- reserve / release / update ---------------------------------------------------------------------------


@api("reserveIpAddress", response="ipaddress",
     description="Reserves a Free public address of a virtual network range for an account (state Reserved, counted).",
     params=[P("id", "the address", entity=""), P("account"), P("domainid"), P("projectid", entity="project"),
             P("fordisplay", "shown to the end user")])
def reserve_ip_address(ctx):
    store = ctx.store
    ip = store.get("publicipaddress", ctx.get("id"))
    if ip is None:
        raise errors.invalid_value(f"Unable to find IP address by ID={ctx.get('id')}")
    account = nc.owner_for_create(ctx)          # account+domainid / projectid checked against the caller there
    vlan = store.get("vlan", ip.get("vlanid")) or {}
    if not vlan.get("forvirtualnetwork", True):
        raise errors.invalid_value("only ip addresses that belong to a virtual network may be reserved.")
    if ip["state"] == "Reserved":
        if ip.get("accountid") == account["id"]:
            return render_ip(ctx, ip)
        raise errors.invalid_value("Unable to reserve a IP because it has already been reserved for another account.")
    if ip["state"] != "Free":
        raise errors.invalid_value(f"Unable to reserve a IP in {ip['state']} state.")
    if vlan.get("domainid") and not vlan.get("accountid") and vlan["domainid"] != account["domainid"]:
        raise errors.invalid_value("Unable to reserve a IP because it is dedicated to another domain.")
    if vlan.get("accountid") and vlan["accountid"] != account["id"]:
        raise errors.invalid_value("Unable to reserve a IP because it is dedicated to another account.")
    # Counted like any held address (ipalloc counts dedicated ranges' addresses too, and releases them alike).
    try:
        limits.charge(store, account, "public_ip")
    except errors.ApiError as exc:
        if exc.errorcode != 532:
            raise
        raise errors.resource_limit(f"Maximum number of public IP addresses for account: {account['name']} has "
                                    "been exceeded.") from None
    changes = {"state": "Reserved", "accountid": account["id"], "domainid": account["domainid"],
               "allocated": wire.now_text()}
    if ctx.has("fordisplay"):
        changes["fordisplay"] = ctx.get("fordisplay")
    ip = store.update("publicipaddress", ip["id"], **changes)
    nc.event(ctx, "NET.IPRESERVE", f"reserved {ip['ipaddress']}", resource=ip, resource_type="PublicIpAddress")
    return render_ip(ctx, ip)


@api("releaseIpAddress", response="success",
     description="Releases a reserved public address (an Allocated one is released with disassociateIpAddress).",
     params=[P("id", "the address", entity="")])
def release_ip_address(ctx):
    store = ctx.store
    ip = store.get("publicipaddress", ctx.get("id"))
    if ip is None:
        raise errors.invalid_value(f"Unable to find IP address by ID={ctx.get('id')}")
    if ip["state"] == "Allocated":
        raise errors.invalid_value("Unable to release a public IP in Allocated state, please use disassociateIpAddress "
                                   "instead")
    if not ip.get("allocated"):
        return SUCCESS                          # never handed out: nothing to release
    if ip.get("accountid"):
        nc.check_owned(ctx, ip, "PublicIpAddress")
    release_address(ctx, ip)
    nc.event(ctx, "NET.IPRELEASE", f"released {ip['ipaddress']}", resource=ip, resource_type="PublicIpAddress")
    return SUCCESS


@api("updateIpAddress", response="ipaddress", instance_type="IpAddress",
     description="Shows or hides a public address from its end user (fordisplay).",
     params=[P("id", "the address", entity=""), P("fordisplay", "shown to the end user"),
             P("customid", "a new uuid")])
def update_ip_address(ctx):
    store = ctx.store
    ip = store.get("publicipaddress", ctx.get("id"))
    if ip is None:
        raise errors.invalid_value("Unable to find ip address by id")
    if ip.get("accountid"):
        nc.check_owned(ctx, ip, "PublicIpAddress")
    elif not ctx.caller.is_root_admin:
        raise errors.permission_denied("Only Root admin can update non-allocated ip addresses")
    if ctx.has("customid"):
        raise errors.invalid_value("customid: the marvin2 simulator keys addresses by their uuid and cannot change it")

    def run(jctx):
        current = jctx.store.get("publicipaddress", ip["id"])
        if jctx.has("fordisplay"):
            current = jctx.store.update("publicipaddress", ip["id"], fordisplay=jctx.get("fordisplay"))
        nc.event(jctx, "NET.IPUPDATE", f"updated {current['ipaddress']}", resource=current,
                 resource_type="PublicIpAddress")
        return render_ip(jctx, current)

    return Job(run, instance_id=ip["id"])


# --- public IP quarantine -----------------------------------------------------------------------------------

declare_object("quarantinedip", {
    "id": "quarantine id", "ipaddress": "the address", "previousownerid": "its previous owner",
    "previousownername": "that account's name", "created": ("date", "quarantine start"),
    "removed": ("date", "ended early"), "enddate": ("date", "quarantine end"), "removalreason": "why it ended early",
    "removeraccountid": "who ended it"})


def render_quarantine(ctx, row: dict) -> dict:
    owner = ctx.store.get("account", row["previousownerid"]) or {}
    return {"id": row["id"], "ipaddress": row["ipaddress"], "previousownerid": row["previousownerid"],
            "previousownername": owner.get("name"), "created": row.get("created"), "removed": row.get("endedearly"),
            "enddate": row.get("enddate"), "removalreason": row.get("removalreason"),
            "removeraccountid": row.get("removeraccountid")}


def _quarantine_for(ctx) -> dict:
    """retrievePublicIpQuarantine + checkCallerForPublicIpQuarantineAccess (530s as in 4.20)."""
    store = ctx.store
    if ctx.has("id"):
        row = store.get("ipquarantine", ctx.get("id"))
    elif ctx.has("ipaddress"):
        row = next((r for r in store.find("ipquarantine", ipaddress=ctx.get("ipaddress"), endedearly=None)), None)
    else:
        raise errors.internal_error("Either the ID or the address of the IP in quarantine must be informed.")
    if row is None or row.get("endedearly"):
        raise errors.internal_error("There is no active quarantine for the specified IP address.")
    owner = store.get("account", row["previousownerid"]) or {}
    if not ctx.can_access({"domainid": owner.get("domainid"), "accountid": None}) and not ctx.caller.is_root_admin:
        raise errors.permission_denied(f"Account {ctx.caller.account['name']} does not have permission to operate "
                                       f"within domain id={owner.get('domainid')}")
    return row


@api("listQuarantinedIps", response="quarantinedip",
     description="Lists public addresses in quarantine (showinactive: ended ones too; showremoved: removed early).",
     params=[*PAGING, P("showremoved", "also quarantines ended early"), P("showinactive", "also ended ones")])
def list_quarantined_ips(ctx):
    now = time.time()

    def match(row):
        if row.get("endedearly"):
            return bool(ctx.get("showremoved"))
        if row.get("endts", 0) <= now and not ctx.get("showinactive"):
            return False
        keyword = (ctx.get("keyword") or "").lower()
        return keyword in row["ipaddress"].lower()

    page = ctx.paginate([row for row in ctx.store.all("ipquarantine") if match(row)])
    return ListResult([render_quarantine(ctx, row) for row in page.items], page.count)


@api("updateQuarantinedIp", response="quarantinedip", description="Moves the end of an active quarantine.",
     params=[P("id", "the quarantine", entity=""), P("ipaddress", "or the address"), P("enddate", "the new end")])
def update_quarantined_ip(ctx):
    text = (ctx.raw.get("enddate") or next((v for k, v in ctx.raw.items() if k.lower() == "enddate"), "")).strip()
    end = None
    for pattern in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"):
        try:
            end = dt.datetime.strptime(text[:19], pattern).replace(tzinfo=dt.timezone.utc)
            break
        except ValueError:
            continue
    if end is None:
        raise errors.invalid_value(f"Unable to parse date {text} for command updateQuarantinedIp, please pass dates in "
                                   "the format mentioned in the api documentation")
    if time.time() > end.timestamp():
        raise errors.invalid_value(f"The given end date [{text}] is invalid as it is before the current date.")
    row = _quarantine_for(ctx)
    if time.time() > row.get("endts", 0):
        raise errors.internal_error(f"The quarantine for the public IP address [{row['ipaddress']}] is no longer "
                                    "active; thus, it cannot be updated.")
    row = ctx.store.update("ipquarantine", row["id"], endts=end.timestamp(), enddate=wire.format_tzdate(end))
    return render_quarantine(ctx, row)


@api("removeQuarantinedIp", response="success", description="Ends a quarantine early (a reason is required).",
     params=[P("id", "the quarantine", entity=""), P("ipaddress", "or the address"),
             P("removalreason", "why it ends early")])
def remove_quarantined_ip(ctx):
    row = _quarantine_for(ctx)
    if not (ctx.get("removalreason") or "").strip():
        raise errors.internal_error(f"The given reason for removing the public IP address [{row['ipaddress']}] from "
                                    "quarantine is blank.")
    ctx.store.update("ipquarantine", row["id"], endedearly=wire.now_text(),
                     removalreason=ctx.get("removalreason"), removeraccountid=ctx.caller.account_id)
    return SUCCESS
