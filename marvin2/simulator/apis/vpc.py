"""VPCs, network ACL lists and their rules, and VPC private gateways.

A VPC is created ``Enabled``; its job (``start=true``, the default) acquires
the VPC's source NAT address and creates its virtual router. Tiers are
networks created with ``vpcid`` (see networks.py: gateway/netmask inside the
VPC CIDR, no overlap between tiers). Every tier has an ACL list; the global
``default_allow`` / ``default_deny`` lists (with their two rules each) exist
on every cloud, are listed with any VPC, and cannot be changed.

Kinds: ``vpc``, ``networkacllist``, ``networkaclitem``, ``privategateway``.
"""
from __future__ import annotations

import hashlib
import ipaddress

from marvin2.simulator import errors, ipalloc, limits
from marvin2.simulator.context import SUCCESS, Job
from marvin2.simulator.declare import (
    ACCOUNT_SCOPE,
    ADMIN_ONLY,
    PAGING,
    P,
    api,
    declare_object,
)
from marvin2.simulator.services import netcommon as nc
from marvin2.simulator.services.networks import (
    implement_network,
    render_network,
)
from marvin2.simulator.services.offerings import check_offering_access
from marvin2.simulator.services.routers import (
    create_router,
    destroy_router,
    routers_of,
    start_router_rows,
)
from marvin2.simulator.services.vpcs import (
    render_acl_list,
    default_acl,
    destroy_vpc_rows,
    ensure_default_acls,
    vpc_label,
)
from marvin2.simulator.tagging import delete_tags_of, register_taggable

register_taggable("Vpc", "vpc")
register_taggable("NetworkACL", "networkaclitem")
register_taggable("NetworkACLList", "networkacllist")
register_taggable("StaticRoute", "staticroute")


# --- default ACL lists -------------------------------------------------------------------------


def _is_default(acl: dict) -> bool:
    return bool(acl.get("isdefault"))


# --- VPCs ------------------------------------------------------------------------------------------

declare_object("vpc", {
    "id": "VPC id", "name": "VPC name", "displaytext": "description", "state": "Enabled or Inactive", "cidr": "VPC CIDR",
    "zoneid": "zone id", "zonename": "zone name", "vpcofferingid": "offering id", "vpcofferingname": "offering name",
    "account": "owner account", "domainid": "owner domain id", "domain": "owner domain", "networkdomain": "DNS domain",
    "network": ("list", "the VPC's tiers"), "service": ("list", "services and providers"),
    "restartrequired": ("boolean", "needs a restart"), "fordisplay": ("boolean", "shown to users"),
    "regionlevelvpc": ("boolean", "region-wide"), "distributedvpcrouter": ("boolean", "distributed router"),
    "redundantvpcrouter": ("boolean", "redundant router"), "created": ("date", "creation time"),
    "tags": ("list", "resource tags"), "dns1": "first DNS", "dns2": "second DNS", "publicmtu": ("integer", "public MTU"),
})


def render_vpc(ctx, row: dict) -> dict:
    store = ctx.store
    offering = store.get("vpcoffering", row.get("vpcofferingid")) or {}
    tiers = [n for n in store.find("network", vpcid=row["id"]) if not n.get("removed")]
    out = {k: row.get(k) for k in ("id", "name", "displaytext", "state", "cidr", "networkdomain", "created", "dns1",
                                    "dns2", "vpcofferingid")}
    out.update(nc.zone_fields(store, row.get("zoneid")))
    out.update(nc.owner_fields(ctx, row))          # projectid/project for a project's VPC
    out.update(vpcofferingname=offering.get("name"), network=[render_network(ctx, n) for n in tiers],
               service=nc.service_list(offering.get("service")), restartrequired=False,
               fordisplay=row.get("fordisplay", True), regionlevelvpc=False,
               distributedvpcrouter=bool(offering.get("distributedvpcrouter")), redundantvpcrouter=False,
               publicmtu=row.get("publicmtu", 1500), hasannotations=False, tags=ctx.tags_for(row["id"]))
    return out


def _owned_vpc(ctx, vpc_id: str) -> dict:
    vpc = ctx.store.get("vpc", vpc_id)
    if vpc.get("removed"):
        raise errors.invalid_value(f"Unable to find VPC by id {vpc_id}")
    nc.check_owned(ctx, vpc, "Vpc")
    return vpc


def start_vpc(ctx, vpc: dict) -> dict:
    """Source NAT address and router of a VPC (idempotent)."""
    store = ctx.store
    account = store.get("account", vpc["accountid"])
    public_ip = store.find_one("publicipaddress", vpcid=vpc["id"], issourcenat=True)
    if public_ip is None:
        public_ip = ipalloc.allocate(store, vpc["zoneid"], account, vpc_id=vpc["id"], source_nat=True)
        nc.event(ctx, "NET.IPASSIGN", f"Source NAT IP {public_ip['ipaddress']} for VPC {vpc['name']}",
                 resource=public_ip, resource_type="PublicIpAddress", account=account)
    routers = routers_of(store, vpc_id=vpc["id"])
    for router in routers:
        if router.get("state") == "Stopped":      # stopped by stopRouter or disableAccount: a start brings it back
            start_router_rows(store, router)
    if not routers:
        create_router(store, zone_id=vpc["zoneid"], owner=account, vpc=vpc, public_ip=public_ip)
        for tier in store.find("network", vpcid=vpc["id"]):
            if not tier.get("removed") and tier.get("state") == "Implemented":
                implement_network(ctx, tier)
    return store.get("vpc", vpc["id"])


@api("createVPC", response="vpc", instance_type="Vpc", related="listVPCs,updateVPC,deleteVPC",
     description="Creates a VPC: a CIDR, a source NAT address and a router for its tiers.",
     params=[P("name", "VPC name"), P("displaytext", "description"),
             P("cidr", "the VPC's CIDR (tiers are carved out of it)"),
             P("vpcofferingid", "the VPC offering"), P("zoneid", "the zone"),
             P("account", "owner account (admins; with domainid)"), P("domainid"),
             P("projectid", entity=""), P("dns1"), P("dns2"), P("ip6dns1"), P("ip6dns2"),
             P("fordisplay", "show to the end user"), P("networkdomain", "DNS domain"),
             P("publicmtu", "MTU of the public side"),
             P("start", "start the VPC (router, source NAT) at once (default true)")])
def create_vpc(ctx):
    store = ctx.store
    zone = store.get("zone", ctx.get("zoneid"))
    offering = store.get("vpcoffering", ctx.get("vpcofferingid"))
    if offering.get("state") != "Enabled":
        raise errors.invalid_value("Unable to find vpc offering in Enabled state by specified id")
    if zone.get("networktype") == "Basic":
        raise errors.invalid_value(f"Can't create VPC in zone {zone['name']} of networktype Basic")
    if zone.get("allocationstate") == "Disabled" and not ctx.caller.is_root_admin:
        raise errors.permission_denied(f"Cannot perform this operation, Zone is currently disabled: {zone['id']}")
    cidr_text = ctx.get("cidr")
    if cidr_text is None:       # 4.20: cidr became optional (a routed VPC may give cidrsize instead)
        raise errors.invalid_value("VPC cidr or cidr size must be specified")
    if not nc.is_valid_cidr(cidr_text):
        raise errors.invalid_value(f"Invalid CIDR specified {cidr_text}")
    if not nc.is_private(cidr_text):
        raise errors.invalid_value(f"Guest Cidr {cidr_text} is not RFC1918 compliant")
    owner = nc.owner_for_create(ctx)               # projectid: the project's account owns the VPC
    check_offering_access(store, "vpcoffering", offering, owner, zone["id"])   # VpcManagerImpl.createVpc
    limits.charge(store, owner, "vpc")
    suffix = ctx.config("guest.domain.suffix", "cloud.internal") or "cloud.internal"
    vpc = store.insert("vpc", {
        "name": ctx.get("name"), "displaytext": ctx.get("displaytext") or ctx.get("name"), "cidr": str(nc.parse_cidr(cidr_text)),
        "zoneid": zone["id"], "vpcofferingid": offering["id"], "state": "Enabled",
        "networkdomain": ctx.get("networkdomain") or f"cs{owner['id'][:6]}{suffix}",
        "dns1": ctx.get("dns1"), "dns2": ctx.get("dns2"), "fordisplay": ctx.get("fordisplay", True),
        "publicmtu": ctx.get("publicmtu", 1500), **ctx.owner_row_fields(owner),
    })
    start = ctx.get("start", True)

    def run(jctx):
        current = jctx.store.get("vpc", vpc["id"])
        if start:
            current = start_vpc(jctx, current)
        nc.event(jctx, "VPC.CREATE", f"Successfully created VPC {current['name']}", resource=current,
                 resource_type="Vpc", account=owner)
        return render_vpc(jctx, current)

    return Job(run, entity_id=vpc["id"], instance_id=vpc["id"])


@api("listVPCs", response="vpc", related="createVPC,updateVPC,deleteVPC",
     description="Lists VPCs the caller may see.",
     params=[*PAGING, *ACCOUNT_SCOPE, P("id", entity="vpc"), P("name"), P("displaytext"), P("cidr"),
             P("zoneid"), P("vpcofferingid"), P("state", "Enabled or Inactive"),
             P("supportedservices", "VPCs whose offering has all these services"),
             P("restartrequired"), P("fordisplay"), P("projectid", entity=""),
             P("showicon"), P("tags")])
def list_vpcs(ctx):
    store = ctx.store

    def match(row):
        if ctx.has("state") and str(row.get("state")).lower() != ctx.get("state").lower():
            return False
        if ctx.has("cidr") and row.get("cidr") != ctx.get("cidr"):
            return False
        if ctx.has("displaytext") and row.get("displaytext") != ctx.get("displaytext"):
            return False
        if ctx.has("restartrequired") and ctx.get("restartrequired"):
            return False
        if ctx.has("fordisplay") and row.get("fordisplay", True) != ctx.get("fordisplay"):
            return False
        if ctx.has("supportedservices"):
            offering = store.get("vpcoffering", row.get("vpcofferingid")) or {}
            if not nc.supports_all(offering.get("service"), ctx.get("supportedservices")):
                return False
        return True

    return nc.list_owned(ctx, "vpc", lambda row: render_vpc(ctx, row), match=match,
                         filters={"zoneid": "zoneid", "vpcofferingid": "vpcofferingid"})


@api("updateVPC", response="vpc", instance_type="Vpc", related="listVPCs",
     description="Changes a VPC's name, description or display flag.",
     params=[P("id", "the VPC", entity="vpc"), P("name"), P("displaytext"),
             P("customid", "custom id"), P("fordisplay"), P("publicmtu")])
def update_vpc(ctx):
    vpc = _owned_vpc(ctx, ctx.get("id"))

    def run(jctx):
        changes = {f: jctx.get(f) for f in ("name", "displaytext", "fordisplay", "publicmtu") if jctx.has(f)}
        if jctx.has("customid"):
            changes["customid"] = jctx.get("customid")
        current = jctx.store.update("vpc", vpc["id"], **changes)
        nc.event(jctx, "VPC.UPDATE", f"Successfully updated VPC {current['name']}", resource=current, resource_type="Vpc")
        return render_vpc(jctx, current)

    return Job(run, instance_id=vpc["id"])


@api("restartVPC", response="success", instance_type="Vpc", related="listVPCs",
     description="Restarts a VPC; cleanup=true replaces its router.",
     params=[P("id", "the VPC", entity="vpc"), P("cleanup", "make a new router"),
             P("livepatch", "live-patch the router"),
             P("makeredundant", "turn the router into a redundant pair")])
def restart_vpc(ctx):
    vpc = _owned_vpc(ctx, ctx.get("id"))

    def run(jctx):
        store = jctx.store
        if jctx.get("cleanup"):
            for router in routers_of(store, vpc_id=vpc["id"]):
                destroy_router(store, router["id"])
        current = start_vpc(jctx, store.get("vpc", vpc["id"]))
        nc.event(jctx, "VPC.RESTART", f"restarted VPC {current['name']}", resource=current, resource_type="Vpc")
        return SUCCESS

    return Job(run, instance_id=vpc["id"])


@api("deleteVPC", response="success", instance_type="Vpc", related="createVPC,listVPCs",
     description="Deletes a VPC that has no tiers left (its addresses, ACL lists and router go with it).",
     params=[P("id", "the VPC", entity="vpc")])
def delete_vpc(ctx):
    vpc = _owned_vpc(ctx, ctx.get("id"))

    def run(jctx):
        store = jctx.store
        current = store.get("vpc", vpc["id"])
        if current.get("removed"):
            raise nc.job_error(f"Unable to find VPC by id {vpc['id']}")
        tiers = [n for n in store.find("network", vpcid=vpc["id"]) if not n.get("removed") and not n.get("issystem")]
        if tiers:
            raise nc.job_invalid(f"Can't delete VPC {vpc_label(current)} as its used by {len(tiers)} networks")
        destroy_vpc_rows(store, current)
        nc.event(jctx, "VPC.DELETE", f"Successfully deleted VPC {current['name']}", resource=current, resource_type="Vpc")
        return SUCCESS

    return Job(run, instance_id=vpc["id"])




# --- ACL lists ----------------------------------------------------------------------------------------

declare_object("networkacllist", {
    "id": "ACL list id", "name": "name", "description": "description", "vpcid": "VPC id (absent for the defaults)",
    "vpcname": "VPC name", "fordisplay": ("boolean", "shown to users"),
})


def _acl_for_change(ctx, acl_id: str) -> dict:
    """An ACL list the caller may change (431 for a default list, 531 for someone else's)."""
    acl = ctx.store.get("networkacllist", acl_id)
    if _is_default(acl):
        raise errors.invalid_value("Default ACL cannot be modified")
    nc.check_owned(ctx, acl, "NetworkACL")
    return acl


@api("createNetworkACLList", response="networkacllist", instance_type="NetworkAclList",
     related="listNetworkACLLists,deleteNetworkACLList,replaceNetworkACLList",
     description="Creates an (empty) ACL list in a VPC.",
     params=[P("name", "list name"), P("vpcid", "the VPC", entity="vpc"),
             P("description", "description"), P("fordisplay")])
def create_network_acl_list(ctx):
    if ctx.has("vpcid"):
        vpc = _owned_vpc(ctx, ctx.get("vpcid"))
        owner = {"vpcid": vpc["id"], "accountid": vpc["accountid"], "domainid": vpc["domainid"]}
    else:                       # 4.20: no VPC makes a global list, which only the root admin may create
        if not ctx.caller.is_root_admin:
            raise errors.permission_denied("Only Root Admin can create global ACLs.")
        owner = {"vpcid": None, "accountid": ctx.caller.account_id, "domainid": ctx.caller.domain_id}
    acl = ctx.store.insert("networkacllist", {"name": ctx.get("name"), "description": ctx.get("description") or ctx.get("name"),
                                              **owner, "fordisplay": ctx.get("fordisplay", True)})

    def run(jctx):
        nc.event(jctx, "NETWORK.ACL.CREATE", f"created ACL list {acl['name']}", resource=acl,
                 resource_type="NetworkACLList")
        return render_acl_list(jctx, jctx.store.get("networkacllist", acl["id"]))

    return Job(run, entity_id=acl["id"], instance_id=acl["id"])


@api("listNetworkACLLists", response="networkacllist", related="createNetworkACLList",
     description="Lists ACL lists: the defaults (default_allow, default_deny) and those of the caller's VPCs.",
     params=[*PAGING, *ACCOUNT_SCOPE, P("id", entity="networkacllist"), P("name"),
             P("vpcid", "lists usable in this VPC (its own and the defaults)", entity="vpc"),
             P("networkid", "the list of this tier", entity="network"),
             P("fordisplay"), P("projectid", entity="")])
def list_network_acl_lists(ctx):
    store = ctx.store
    ensure_default_acls(store)
    from marvin2.simulator.listing import owner_filter

    allowed = owner_filter(ctx)
    network_acl = store.get("network", ctx.get("networkid")).get("aclid") if ctx.has("networkid") else None

    def match(row):
        if not _is_default(row) and not (allowed(row) or (ctx.has("id") and ctx.can_access(row))):
            return False
        if ctx.has("vpcid") and row.get("vpcid") not in (None, ctx.get("vpcid")):
            return False
        if ctx.has("networkid") and row["id"] != network_acl:
            return False
        return not ctx.has("fordisplay") or row.get("fordisplay", True) == ctx.get("fordisplay")

    return ctx.list("networkacllist", lambda row: render_acl_list(ctx, row), match=match, owned=False,
                    keyword_fields=("name", "description"))


@api("deleteNetworkACLList", response="success", instance_type="NetworkAclList",
     related="createNetworkACLList", description="Deletes an ACL list no tier uses (never a default list).",
     params=[P("id", "the list", entity="networkacllist")])
def delete_network_acl_list(ctx):
    acl = ctx.store.get("networkacllist", ctx.get("id"))
    if not _is_default(acl):
        nc.check_owned(ctx, acl, "NetworkACL")

    def run(jctx):
        store = jctx.store
        if _is_default(acl):
            raise nc.job_invalid("Default ACL cannot be removed")
        users = [n for n in store.find("network", aclid=acl["id"]) if not n.get("removed")]
        users += store.find("privategateway", aclid=acl["id"])
        if users:
            raise nc.job_error(f"ACL is still associated with {len(users)} tier(s). Cannot delete network ACL: {acl['id']}")
        for item in store.find("networkaclitem", aclid=acl["id"]):
            delete_tags_of(store, item["id"])
        store.delete_where("networkaclitem", aclid=acl["id"])
        store.delete("networkacllist", acl["id"])
        nc.event(jctx, "NETWORK.ACL.DELETE", f"deleted ACL list {acl['name']}", resource=acl,
                 resource_type="NetworkACLList")
        return SUCCESS

    return Job(run, instance_id=acl["id"])


@api("replaceNetworkACLList", response="success", instance_type="NetworkAclList",
     related="listNetworkACLLists", description="Makes a tier (or a private gateway) use another ACL list.",
     params=[P("aclid", "the ACL list", entity="networkacllist"),
             P("networkid", "the tier", entity="network"),
             P("gatewayid", "the private gateway", entity="privategateway")])
def replace_network_acl_list(ctx):
    store = ctx.store
    acl = store.get("networkacllist", ctx.get("aclid"))
    if not _is_default(acl):
        nc.check_owned(ctx, acl, "NetworkACL")
    if ctx.has("networkid") == ctx.has("gatewayid"):
        raise errors.invalid_value("Network ID and private gateway can't be passed at the same time" if ctx.has("networkid")
                                   else "Either networkId or private gateway ID is required")
    target_kind = "network" if ctx.has("networkid") else "privategateway"
    target = store.get(target_kind, ctx.get("networkid") or ctx.get("gatewayid"))
    nc.check_owned(ctx, target, "Network" if target_kind == "network" else "PrivateGateway")

    def run(jctx):
        if not target.get("vpcid"):
            raise nc.job_invalid(f"Network is not part of a VPC: {target['id']}")
        if acl.get("vpcid") not in (None, target["vpcid"]):
            # The server prints its internal ids here; the simulator has only the uuids.
            label = "Network" if target_kind == "network" else "private gateway"
            raise nc.job_invalid(f"{label}: {target['id']} and ACL: {acl['id']} do not belong to the same VPC")
        jctx.store.update(target_kind, target["id"], aclid=acl["id"])
        nc.event(jctx, "NETWORK.ACL.REPLACE", f"replaced the ACL list of {target_kind} {target['id']} with {acl['name']}",
                 resource=acl, resource_type="NetworkACLList", account=jctx.store.get("account", target.get("accountid")))
        return SUCCESS

    return Job(run, instance_id=acl["id"])


# --- ACL rules ------------------------------------------------------------------------------------------

declare_object("networkacl", {
    "id": "rule id", "aclid": "ACL list id", "aclname": "ACL list name", "number": ("integer", "position in the list"),
    "protocol": "tcp, udp, icmp, all or a number", "startport": "first port", "endport": "last port",
    "traffictype": "Ingress or Egress", "action": "Allow or Deny", "cidrlist": "CIDRs (comma list)",
    "icmptype": ("integer", "ICMP type"), "icmpcode": ("integer", "ICMP code"), "state": "Add, Active or Revoke",
    "reason": "why the rule exists", "tags": ("list", "resource tags"), "fordisplay": ("boolean", "shown to users"),
})


def render_acl_item(ctx, row: dict) -> dict:
    acl = ctx.store.get("networkacllist", row["aclid"]) or {}
    return {
        "id": row["id"], "aclid": row["aclid"], "aclname": acl.get("name"), "number": row["number"],
        "protocol": row["protocol"], "startport": str(row["startport"]) if row.get("startport") is not None else None,
        "endport": str(row["endport"]) if row.get("endport") is not None else None, "traffictype": row["traffictype"],
        "action": row["action"], "cidrlist": ",".join(row.get("cidrlist") or []), "icmptype": row.get("icmptype"),
        "icmpcode": row.get("icmpcode"), "state": row["state"], "reason": row.get("reason"),
        "tags": ctx.tags_for(row["id"]), "fordisplay": row.get("fordisplay", True),
    }


def _acl_item_fields(ctx, current: dict | None = None) -> dict:
    """Validated rule fields from the request (merged over ``current`` for updates)."""
    current = current or {}
    out: dict = {}
    if ctx.has("protocol") or not current:
        proto = ctx.get("protocol").strip().lower()
        if proto not in ("tcp", "udp", "icmp", "all"):
            try:
                number = int(proto)
            except ValueError:
                raise errors.invalid_value(f"Invalid protocol: {ctx.get('protocol')}") from None
            if not 0 <= number <= 255:
                raise errors.invalid_value(f"Invalid protocol number: {number}")
        out["protocol"] = proto
    proto = out.get("protocol", current.get("protocol"))
    if ctx.has("action") or not current:
        action = (ctx.get("action") or "Allow").capitalize()
        if action not in ("Allow", "Deny"):
            raise errors.invalid_value("Invalid action. Allowed actions are Allow and Deny")
        out["action"] = action
    if ctx.has("traffictype") or not current:
        traffic = (ctx.get("traffictype") or "Ingress").capitalize()
        if traffic not in ("Ingress", "Egress"):
            raise errors.invalid_value(f"Invalid traffic type {ctx.get('traffictype')}: Ingress or Egress")
        out["traffictype"] = traffic
    if ctx.has("cidrlist") or not current:
        out["cidrlist"] = nc.check_cidr_list(ctx.get("cidrlist"), "Source cidrs") or ["0.0.0.0/0"]
    start = ctx.get("startport", current.get("startport"))
    end = ctx.get("endport") if ctx.has("endport") else (start if ctx.has("startport") else current.get("endport"))
    icmptype = ctx.get("icmptype", current.get("icmptype"))
    icmpcode = ctx.get("icmpcode", current.get("icmpcode"))
    if proto == "icmp":
        if start is not None or end is not None:
            raise errors.invalid_value("Can't specify start/end port when protocol is ICMP")
        icmptype = -1 if icmptype is None else icmptype
        icmpcode = -1 if icmpcode is None else icmpcode
    else:
        if ctx.has("icmptype") or ctx.has("icmpcode"):
            raise errors.invalid_value("Can specify icmpCode and icmpType for ICMP protocol only")
        icmptype = icmpcode = None
        if proto == "all" and (ctx.has("startport") or ctx.has("endport")):
            raise errors.invalid_value("start port and end port must be null if protocol = 'all'")
    for value, label in ((start, "Start port"), (end, "End port")):
        if value is not None and not 0 <= value <= 65535:
            raise errors.invalid_value(f"{label} is an invalid value: {value}")
    if start is not None and end is not None and start > end:
        raise errors.invalid_value("Start port can't be bigger than end port")
    out.update(startport=start, endport=end, icmptype=icmptype, icmpcode=icmpcode)
    if ctx.has("reason"):
        out["reason"] = ctx.get("reason")
    if ctx.has("fordisplay"):
        out["fordisplay"] = ctx.get("fordisplay")
    return out


def _check_number(store, acl: dict, number: int, own_id: str | None = None) -> None:
    if number < 1:
        raise errors.invalid_value(f"Invalid ACL item number {number}: it must be at least 1")
    for item in store.find("networkaclitem", aclid=acl["id"], number=number):
        if item["id"] != own_id:
            raise errors.invalid_value(f"ACL item with number {number} already exists in ACL: {acl['id']}")


@api("createNetworkACL", response="networkacl", instance_type="NetworkAcl",
     related="listNetworkACLs,updateNetworkACLItem,deleteNetworkACL",
     description="Adds a rule to an ACL list (given directly or as a tier's list) at position number.",
     params=[P("protocol", "tcp, udp, icmp, all or a protocol number"),
             P("aclid", "the ACL list", entity="networkacllist"),
             P("networkid", "the tier whose ACL list gets the rule", entity="network"),
             P("action", "Allow (default) or Deny"), P("cidrlist", "CIDRs (default 0.0.0.0/0)"),
             P("startport", "first port"), P("endport", "last port"),
             P("icmptype", "ICMP type"), P("icmpcode", "ICMP code"),
             P("number", "position in the list (default: after the last rule)"),
             P("traffictype", "Ingress (default) or Egress"),
             P("reason", "why the rule exists"), P("fordisplay")])
def create_network_acl(ctx):
    store = ctx.store
    if ctx.has("aclid"):
        acl_id = ctx.get("aclid")
    elif ctx.has("networkid"):
        network = store.get("network", ctx.get("networkid"))
        nc.check_owned(ctx, network, "Network")
        if not network.get("vpcid"):
            raise errors.invalid_value(f"Network: {network['id']} does not belong to VPC")
        acl_id = network.get("aclid") or default_acl(store, "default_deny")["id"]
    else:
        raise errors.invalid_value("Cannot create Network ACL Item. ACL Id or network Id is required")
    acl = _acl_for_change(ctx, acl_id)
    fields = _acl_item_fields(ctx)
    existing = store.find("networkaclitem", aclid=acl["id"])
    number = ctx.get("number") if ctx.has("number") else max([i["number"] for i in existing], default=0) + 1
    _check_number(store, acl, number)
    item = store.insert("networkaclitem", {**{k: v for k, v in fields.items() if v is not None}, "aclid": acl["id"],
                                           "number": number, "state": "Add", "accountid": acl.get("accountid"),
                                           "domainid": acl.get("domainid")})

    def run(jctx):
        current = jctx.store.update("networkaclitem", item["id"], state="Active")
        nc.event(jctx, "NETWORK.ACL.ITEM.CREATE", f"created ACL rule {current['number']} in {acl['name']}",
                 resource=current, resource_type="NetworkACL", account=jctx.store.get("account", acl.get("accountid")))
        return render_acl_item(jctx, current)

    def failed(jctx, error):
        jctx.store.delete("networkaclitem", item["id"])

    return Job(run, entity_id=item["id"], instance_id=item["id"], on_failure=failed)


@api("listNetworkACLs", response="networkacl", related="createNetworkACL",
     description="Lists ACL rules, ordered by their number.",
     params=[*PAGING, *ACCOUNT_SCOPE, P("id", entity="networkaclitem"),
             P("aclid", "rules of this ACL list", entity="networkacllist"),
             P("networkid", "rules of this tier's ACL list", entity="network"),
             P("action", "Allow or Deny"), P("protocol"), P("traffictype", "Ingress or Egress"),
             P("fordisplay"), P("projectid", entity=""), P("tags")])
def list_network_acls(ctx):
    store = ctx.store
    ensure_default_acls(store)
    from marvin2.simulator.listing import owner_filter

    allowed = owner_filter(ctx)
    acl_of_network = store.get("network", ctx.get("networkid")).get("aclid") if ctx.has("networkid") else None
    rows = sorted(store.find("networkaclitem"), key=lambda r: (r["aclid"], r["number"]))

    def match(row):
        if row.get("state") == "Revoke":
            return False
        if row.get("accountid") and not (allowed(row) or (ctx.has("id") and ctx.can_access(row))):
            return False
        if not row.get("accountid") and not row.get("isdefault"):
            return False
        if ctx.has("networkid") and row["aclid"] != acl_of_network:
            return False
        for param in ("action", "protocol", "traffictype"):
            if ctx.has(param) and str(row.get(param)).lower() != ctx.get(param).lower():
                return False
        return not ctx.has("fordisplay") or row.get("fordisplay", True) == ctx.get("fordisplay")

    return ctx.list("networkaclitem", lambda row: render_acl_item(ctx, row), rows=rows, match=match, owned=False,
                    keyword_fields=("protocol", "reason"), filters={"aclid": "aclid"})


@api("updateNetworkACLItem", response="networkacl", instance_type="NetworkAcl",
     related="listNetworkACLs", description="Changes an ACL rule (number, action, ports, CIDRs ...).",
     params=[P("id", "the rule", entity="networkaclitem"), P("action", "Allow or Deny"),
             P("cidrlist"), P("customid", "custom id"), P("endport"),
             P("startport"), P("fordisplay"), P("icmpcode"), P("icmptype"),
             P("number", "new position"),
             P("partialupgrade", "keep the fields not given (default true)"),
             P("protocol"), P("reason"), P("traffictype", "Ingress or Egress")])
def update_network_acl_item(ctx):
    store = ctx.store
    item = store.get("networkaclitem", ctx.get("id"))
    acl = store.get("networkacllist", item["aclid"])
    if not _is_default(acl):
        nc.check_owned(ctx, item, "NetworkACLItem")

    def run(jctx):
        if _is_default(acl):
            raise nc.job_invalid("Default ACL cannot be modified")
        current = jctx.store.get("networkaclitem", item["id"])
        try:
            fields = _acl_item_fields(jctx, current)
            if jctx.has("number"):
                _check_number(jctx.store, acl, jctx.get("number"), current["id"])
                fields["number"] = jctx.get("number")
        except errors.ApiError as exc:
            raise nc.job_invalid(exc.errortext) from None
        if jctx.has("customid"):
            fields["customid"] = jctx.get("customid")
        merged = {**current, **fields}
        jctx.store.put("networkaclitem", {k: v for k, v in merged.items() if v is not None})
        current = jctx.store.get("networkaclitem", item["id"])
        nc.event(jctx, "NETWORK.ACL.ITEM.UPDATE", f"updated ACL rule {current['number']} in {acl['name']}",
                 resource=current, resource_type="NetworkACL")
        return render_acl_item(jctx, current)

    return Job(run, instance_id=item["id"])


@api("deleteNetworkACL", response="success", instance_type="NetworkAcl", related="createNetworkACL",
     description="Deletes an ACL rule (rules of the default lists cannot be deleted).",
     params=[P("id", "the rule", entity="networkaclitem")])
def delete_network_acl(ctx):
    store = ctx.store
    item = store.get("networkaclitem", ctx.get("id"))
    acl = store.get("networkacllist", item["aclid"])
    if not _is_default(acl):
        nc.check_owned(ctx, item, "NetworkACLItem")

    def run(jctx):
        if _is_default(acl):
            raise nc.job_invalid("Default ACL cannot be modified")
        delete_tags_of(jctx.store, item["id"])
        jctx.store.delete("networkaclitem", item["id"])
        nc.event(jctx, "NETWORK.ACL.ITEM.DELETE", f"deleted ACL rule {item['number']} of {acl['name']}", resource=item,
                 resource_type="NetworkACL")
        return SUCCESS

    return Job(run, instance_id=item["id"])


# --- moving a rule (moveNetworkAclItem) --------------------------------------------------------------------
#
# A real server renumbers as little as it can: the moved rule takes the number
# right after the previous rule (1 at the top, last + 1 at the bottom), and only
# the rules standing in its way are pushed down by one, each pushing the next
# only if it collides in turn. Every check of the move runs inside the job (the
# command looks the ids up itself: they are declared as plain strings).

STALE_ACL_TEXT = ("It seems that the access control list in the database is not in the state that you used to apply "
                  "the changed. Could you try it again?")


def acl_consistency_hash(rules: list[dict]) -> str:
    """MD5 (hex) of the rule ids concatenated in number order: what a client sends as aclconsistencyhash."""
    ordered = sorted(rules, key=lambda rule: rule["number"])
    return hashlib.md5("".join(rule["id"] for rule in ordered).encode()).hexdigest()


def _find_rule(store, rule_id: str | None, missing_text: str) -> dict | None:
    if not rule_id or not rule_id.strip():
        return None
    rule = store.get("networkaclitem", rule_id.strip().lower())
    if rule is None:
        raise nc.job_invalid(missing_text.format(rule_id))
    return rule


def _renumbered(ordered: list[dict], moved_id: str, target: int, start: int) -> dict[str, int]:
    """New numbers (rule id -> number) after placing ``moved_id`` at ``target``.

    ``ordered`` is the list sorted by number before the move. Scanning from
    ``start``, a rule holding the wanted number is pushed to number + 1 (and
    pushes its own follower the same way); the first rule that does not collide
    ends the cascade. The moved rule's old slot is not freed while the cascade
    runs (the real server works on the numbers it read before the move), so a
    cascade may run through it; the moved rule's own new number is written last.
    """
    seen = {rule["id"]: rule["number"] for rule in ordered}
    writes: dict[str, int] = {}

    def place(rule_id: str, number: int, first: int, outermost: bool) -> None:
        if not outermost:
            seen[rule_id] = number
        for index in range(first, len(ordered)):
            other = ordered[index]["id"]
            if other == rule_id:
                continue
            if seen[other] != number:
                break
            place(other, number + 1, index, False)
        writes[rule_id] = number

    place(moved_id, target, start, True)
    writes[moved_id] = target
    return writes


@api("moveNetworkAclItem", response="networkacl", instance_type="NetworkAcl",
     related="listNetworkACLs,updateNetworkACLItem",
     description="Moves an ACL rule between two other rules of its list (to the top without a previous rule, "
                 "to the bottom without a next one), renumbering the rules in the way.",
     params=[P("id", "the rule to move"),
             P("previousaclruleid", "the rule that will come right before it (none: to the top)"),
             P("nextaclruleid", "the rule that will come right after it (none: to the bottom)"),
             P("aclconsistencyhash", "MD5 of the list's rule ids in number order, as the caller last "
                                                 "saw it; the move is refused if the list changed since"),
             P("customid", "custom id (accepted, not applied by a move)")])
def move_network_acl_item(ctx):
    moved_id = ctx.get("id").strip().lower()
    moved_row = ctx.store.get("networkaclitem", moved_id)

    def run(jctx):
        store = jctx.store
        previous_id, next_id = jctx.get("previousaclruleid"), jctx.get("nextaclruleid")
        if not (previous_id or "").strip() and not (next_id or "").strip():
            raise nc.job_invalid("Both previous and next ACL rule IDs cannot be blank.")
        moved = store.get("networkaclitem", moved_id)
        if moved is None:
            raise nc.job_invalid(f"Could not find a rule with ID[{jctx.get('id')}]")
        previous = _find_rule(store, previous_id, "Could not find rule with ID [{}]")
        following = _find_rule(store, next_id, "Could not find rule with ID [{}]")
        if any(rule is not None and rule["aclid"] != moved["aclid"] for rule in (previous, following)):
            raise nc.job_invalid("Cannot use ACL rules from differenting ACLs. Rule being moved.")
        acl = store.get("networkacllist", moved["aclid"])
        vpc = store.get("vpc", acl["vpcid"]) if acl.get("vpcid") else None
        if vpc is None:
            raise nc.job_invalid("Re-ordering rules for a default ACL is prohibited")
        nc.check_owned(jctx, vpc, "Vpc")
        rules = sorted(store.find("networkaclitem", aclid=acl["id"]), key=lambda rule: rule["number"])
        sent_hash = (jctx.get("aclconsistencyhash") or "").strip()
        if rules and sent_hash and sent_hash != acl_consistency_hash(rules):
            raise nc.job_invalid(STALE_ACL_TEXT)
        if previous is None:
            numbers = _renumbered(rules, moved["id"], 1, 0)
        elif following is None:
            numbers = {moved["id"]: rules[-1]["number"] + 1}
        elif previous["number"] + 1 != following["number"]:
            # Room between the two: the moved rule takes previous + 1 and nothing else changes.
            target = previous["number"] + 1
            if any(rule["number"] == target for rule in rules):
                raise nc.job_invalid("There are some inconsistencies with the data you sent. The new position "
                                     "calculated already has a ACL rule on it.")
            numbers = {moved["id"]: target}
        else:
            start = next(i for i, rule in enumerate(rules) if rule["id"] == previous["id"]) + 1
            numbers = _renumbered(rules, moved["id"], previous["number"] + 1, start)
        for rule_id, number in numbers.items():
            store.update("networkaclitem", rule_id, number=number)
        current = store.get("networkaclitem", moved["id"])
        nc.event(jctx, "NETWORK.ACL.ITEM.UPDATE", f"Placing network ACL item [{jctx.get('id')}] between "
                 f"[{previous_id or 'null'}] and [{next_id or 'null'}].", resource=current, resource_type="NetworkACL",
                 account=jctx.caller.account)
        return render_acl_item(jctx, current)

    # One ACL list at a time, like the server's lock on the list while it renumbers.
    return Job(run, instance_id=moved_row["aclid"] if moved_row else None)


# --- private gateways (admin) ---------------------------------------------------------------------------

declare_object("privategateway", {
    "id": "gateway id", "gateway": "gateway address", "netmask": "netmask", "ipaddress": "the VPC's address on it",
    "vlan": "VLAN", "vpcid": "VPC id", "vpcname": "VPC name", "zoneid": "zone id", "zonename": "zone name",
    "state": "Creating, Ready or Deleting", "aclid": "ACL list", "aclname": "ACL list name",
    "sourcenatsupported": ("boolean", "source NAT on this gateway"), "physicalnetworkid": "physical network",
    "account": "owner account", "domainid": "owner domain id", "domain": "owner domain",
})


def render_private_gateway(ctx, row: dict) -> dict:
    store = ctx.store
    vpc = store.get("vpc", row["vpcid"]) or {}
    acl = store.get("networkacllist", row.get("aclid")) if row.get("aclid") else None
    out = {k: row.get(k) for k in ("id", "gateway", "netmask", "ipaddress", "vpcid", "state", "aclid",
                                    "physicalnetworkid", "associatednetworkid")}
    out.update(nc.zone_fields(store, row.get("zoneid")))
    out.update(ctx.owner_fields(row))
    out.update(vlan=f"vlan://{row['vlan']}" if row.get("vlan") else None, vpcname=vpc.get("name"),
               aclname=acl["name"] if acl else None, sourcenatsupported=bool(row.get("sourcenatsupported")),
               hasannotations=False)
    return out


@api("createPrivateGateway", response="privategateway", roles=ADMIN_ONLY, instance_type="PrivateGateway",
     related="listPrivateGateways,deletePrivateGateway",
     description="Connects a VPC to a private network (a VLAN with its own gateway).",
     params=[P("vpcid", "the VPC", entity="vpc"), P("gateway", "the private gateway"),
             P("ipaddress", "the VPC's address on the private network"),
             P("netmask", "netmask of the private network"), P("vlan", "VLAN of the network"),
             P("aclid", "ACL list (default default_deny)", entity="networkacllist"),
             P("associatednetworkid", "use this network instead of a VLAN", entity="network"),
             P("bypassvlanoverlapcheck"), P("networkofferingid"), P("physicalnetworkid"),
             P("sourcenatsupported", "source NAT on this gateway")])
def create_private_gateway(ctx):
    store = ctx.store
    vpc = store.get("vpc", ctx.get("vpcid"))
    if vpc.get("removed"):
        raise errors.invalid_value(f"Unable to find VPC by id {vpc['id']}")
    cidr = nc.cidr_of(ctx.get("gateway"), ctx.get("netmask"))
    address = nc.parse_ip(ctx.get("ipaddress"), "private gateway ip address")
    if address not in ipaddress.IPv4Network(cidr):
        raise errors.invalid_value(f"The ip address {address} is not in the private gateway network {cidr}")
    if not ctx.has("vlan") and not ctx.has("associatednetworkid"):
        raise errors.invalid_value("Either vlan or associatednetworkid is required to create a private gateway")
    vlan = str(ctx.get("vlan") or "").lower().removeprefix("vlan://") or None
    for other in store.find("privategateway", zoneid=vpc["zoneid"]):
        if other.get("vlan") == vlan and other.get("ipaddress") == str(address):
            raise errors.invalid_value(f"Private ip address {address} already used for private gateway in zone "
                                       f"{vpc['zoneid']}")
        if other.get("vpcid") == vpc["id"] and other.get("gateway") == ctx.get("gateway") and other.get("vlan") == vlan:
            raise errors.invalid_value(f"Private gateway {ctx.get('gateway')} on vlan {vlan} already exists in VPC "
                                       f"{vpc_label(vpc)}")
    acl_id = ctx.get("aclid") or default_acl(store, "default_deny")["id"]
    acl = store.get("networkacllist", acl_id)
    if acl.get("vpcid") not in (None, vpc["id"]):
        raise errors.invalid_value("Network ACL and private gateway should belong to the same VPC")
    row = store.insert("privategateway", {
        "vpcid": vpc["id"], "zoneid": vpc["zoneid"], "gateway": ctx.get("gateway"), "netmask": ctx.get("netmask"),
        "ipaddress": str(address), "vlan": vlan, "aclid": acl_id, "state": "Creating",
        "sourcenatsupported": bool(ctx.get("sourcenatsupported")), "associatednetworkid": ctx.get("associatednetworkid"),
        "physicalnetworkid": ctx.get("physicalnetworkid"), "accountid": vpc["accountid"], "domainid": vpc["domainid"],
    })

    def run(jctx):
        current = jctx.store.update("privategateway", row["id"], state="Ready")
        nc.event(jctx, "PRIVATE.GATEWAY.CREATE", f"created private gateway {current['gateway']} of VPC {vpc['name']}",
                 resource=current, resource_type="PrivateGateway")
        return render_private_gateway(jctx, current)

    def failed(jctx, error):
        jctx.store.delete("privategateway", row["id"])

    return Job(run, entity_id=row["id"], instance_id=row["id"], on_failure=failed)


@api("listPrivateGateways", response="privategateway", related="createPrivateGateway",
     description="Lists VPC private gateways.",
     params=[*PAGING, *ACCOUNT_SCOPE, P("id", entity="privategateway"), P("ipaddress"), P("vlan"),
             P("vpcid", entity="vpc"), P("state"), P("projectid", entity="")])
def list_private_gateways(ctx):
    def match(row):
        if ctx.has("vlan") and row.get("vlan") != str(ctx.get("vlan")).lower().removeprefix("vlan://"):
            return False
        return not ctx.has("state") or str(row.get("state")).lower() == ctx.get("state").lower()

    return ctx.list("privategateway", lambda row: render_private_gateway(ctx, row), match=match, owned=True,
                    filters={"vpcid": "vpcid", "ipaddress": "ipaddress"})


@api("deletePrivateGateway", response="success", roles=ADMIN_ONLY, instance_type="PrivateGateway",
     related="createPrivateGateway", description="Deletes a VPC private gateway.",
     params=[P("id", "the gateway", entity="privategateway")])
def delete_private_gateway(ctx):
    row = ctx.store.get("privategateway", ctx.get("id"))

    def run(jctx):
        routes = jctx.store.count("staticroute", gatewayid=row["id"])
        if routes:
            raise nc.job_error(f"Can't delete private gateway {row['id']} as it has {routes} static routes applied. "
                               "Remove the routes first")
        jctx.store.delete("privategateway", row["id"])
        nc.event(jctx, "PRIVATE.GATEWAY.DELETE", f"deleted private gateway {row['gateway']}", resource=row,
                 resource_type="PrivateGateway")
        return SUCCESS

    return Job(run, instance_id=row["id"])



# --- ACL list updates ----------------------------------------------------------------------------------


@api("updateNetworkACLList", response="networkacllist", instance_type="NetworkAclList",
     description="Renames an ACL list or changes its description or display flag (global lists: root admin only).",
     params=[P("id", "the list", entity="networkacllist"), P("name", "new name"), P("description", "new description"),
             P("fordisplay", "shown to users"), P("customid", "a new uuid")])
def update_network_acl_list(ctx):
    store = ctx.store
    ensure_default_acls(store)
    acl = store.get("networkacllist", ctx.get("id"))
    if not acl.get("vpcid"):            # a global list (the defaults included): vpc_id 0 in 4.20
        if not ctx.caller.is_root_admin:
            raise errors.permission_denied("Must be Root Admin to update a global ACL.")
    else:
        vpc = store.get("vpc", acl["vpcid"])
        if vpc is None or vpc.get("removed"):
            raise errors.invalid_value(f"Re-trying with a valid VPC: the ACL {acl['id']} belongs to no live VPC")
        nc.check_owned(ctx, vpc, "Vpc")
    if ctx.has("customid"):
        raise errors.invalid_value("customid: the marvin2 simulator keys ACL lists by their uuid and cannot change it")
    changes = {k: ctx.get(k) for k in ("name", "description") if (ctx.get(k) or "").strip()}
    if ctx.has("fordisplay"):
        changes["fordisplay"] = ctx.get("fordisplay")

    def run(jctx):
        current = jctx.store.update("networkacllist", acl["id"], **changes) if changes else acl
        nc.event(jctx, "NETWORK.ACL.UPDATE", f"updated ACL list {current['name']}", resource=current,
                 resource_type="NetworkACLList")
        return render_acl_list(jctx, current)

    return Job(run, instance_id=acl["id"])


# --- static routes -------------------------------------------------------------------------------------

declare_object("staticroute", {
    "id": "static route id", "state": "Add, Active or Revoke", "vpcid": "the VPC", "gatewayid": "the private gateway",
    "cidr": "destination CIDR", "account": "owner", "domainid": "owner domain id", "domain": "owner domain",
    "tags": ("list", "tags")})

LINK_LOCAL_CIDR = "169.254.0.0/16"


def render_static_route(ctx, row: dict) -> dict:
    out = {k: row.get(k) for k in ("id", "state", "vpcid", "gatewayid", "cidr")}
    out.update(ctx.owner_fields(row))
    out["tags"] = ctx.tags_for(row["id"])
    return out


def _overlap(a: str, b: str) -> bool:
    return ipaddress.IPv4Network(a, strict=False).overlaps(ipaddress.IPv4Network(b, strict=False))


@api("createStaticRoute", response="staticroute", instance_type="StaticRoute",
     description="Routes a CIDR outside the VPC through one of its private gateways (Add, then Active).",
     params=[P("gatewayid", "the private gateway", entity=""), P("cidr", "destination CIDR")])
def create_static_route(ctx):
    store = ctx.store
    gateway = store.get("privategateway", ctx.get("gatewayid"))
    if gateway is None:
        raise errors.invalid_value("Invalid gateway id is given")
    if gateway.get("state") != "Ready":
        raise errors.invalid_value(f"Gateway is not in the Ready state: {gateway.get('state')}")
    vpc = store.get("vpc", gateway["vpcid"])
    if vpc is None or vpc.get("removed") or vpc.get("state") == "Inactive":
        raise errors.invalid_value("Can't add static route to VPC that is being deleted")
    nc.check_owned(ctx, vpc, "Vpc")
    cidr = ctx.get("cidr")
    try:
        ipaddress.IPv4Network(cidr, strict=False)       # only its validity matters here
        if "/" not in cidr:
            raise ValueError(cidr)
    except ValueError:
        raise errors.invalid_value(f"Invalid format for cidr {cidr}") from None
    if _overlap(vpc["cidr"], cidr):
        raise errors.invalid_value(f"CIDR should be outside of VPC cidr {vpc['cidr']}")
    if _overlap(cidr, LINK_LOCAL_CIDR):
        raise errors.invalid_value(f"CIDR should be outside of link local cidr {LINK_LOCAL_CIDR}")
    denied = str(ctx.config("denied.routes", "", zone=vpc["zoneid"]) or "")
    if any(route.strip() and _overlap(route.strip(), cidr) for route in denied.split(",")):
        raise errors.invalid_value("The static gateway cidr overlaps with one of the denied routes of the zone the "
                                   "VPC belongs to")
    for other in store.find("staticroute", vpcid=vpc["id"]):
        if other.get("state") != "Revoke" and _overlap(other["cidr"], cidr):
            raise errors.ApiError(537, "New static route cidr conflicts with existing route "
                                       f"StaticRoute[{other['id']}|{other['cidr']}|{other['gatewayid']}]")
    row = store.insert("staticroute", {"gatewayid": gateway["id"], "vpcid": vpc["id"], "cidr": cidr,
                                       "state": "Add", "accountid": vpc["accountid"], "domainid": vpc["domainid"]})

    def run(jctx):
        current = jctx.store.update("staticroute", row["id"], state="Active")     # applied on the VPC router
        nc.event(jctx, "STATIC.ROUTE.CREATE", f"created static route {cidr} via {gateway['gateway']}",
                 resource=current, resource_type="StaticRoute")
        return render_static_route(jctx, current)

    def failed(jctx, error):
        jctx.store.delete("staticroute", row["id"])

    return Job(run, entity_id=row["id"], instance_id=row["id"], on_failure=failed)


@api("listStaticRoutes", response="staticroute", related="createStaticRoute",
     description="Lists static routes of the caller's VPCs.",
     params=[*PAGING, *ACCOUNT_SCOPE, P("id", "the route", entity=""), P("vpcid", "the VPC", entity="vpc"),
             P("gatewayid", "the private gateway", entity=""), P("state", "Add, Active or Revoke"), P("tags"),
             P("projectid", entity="")])
def list_static_routes(ctx):
    def match(row):
        return not ctx.has("state") or str(row.get("state")).lower() == ctx.get("state").lower()

    return ctx.list("staticroute", lambda row: render_static_route(ctx, row), match=match, owned=True,
                    filters={"vpcid": "vpcid", "gatewayid": "gatewayid"})


@api("deleteStaticRoute", response="success", instance_type="StaticRoute", related="createStaticRoute",
     description="Revokes a static route (removed once the router applied it).",
     params=[P("id", "the route", entity="")])
def delete_static_route(ctx):
    store = ctx.store
    route = store.get("staticroute", ctx.get("id"))
    if route is None:
        raise errors.invalid_value("Unable to find static route by id")
    nc.check_owned(ctx, route, "StaticRoute")
    store.update("staticroute", route["id"], state="Revoke")

    def run(jctx):
        delete_tags_of(jctx.store, route["id"])
        jctx.store.delete("staticroute", route["id"])
        nc.event(jctx, "STATIC.ROUTE.DELETE", f"deleted static route {route['cidr']}", resource=route,
                 resource_type="StaticRoute")
        return SUCCESS

    return Job(run, instance_id=route["id"])
