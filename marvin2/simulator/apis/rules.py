"""Network rules on public IPs and guest networks: firewall (ingress),
egress firewall, port forwarding and load balancing (with stickiness and
health-check policies).

Every create is a create-style async command, like on a real server: the
rule is stored in state ``Add`` and checked against the other rules of its
address (or, for egress rules, of its network) during the request, so a
conflict is an immediate HTTP 537; the job then makes the rule ``Active``.
The conflict check follows the real server's rules: overlapping port ranges
of the same protocol conflict, except between firewall rules whose CIDR
lists differ, port forwarding rules of different protocols, and a firewall
rule against a port forwarding / load balancing rule (conflicts are between
rules of one purpose). The firewall rule a PF/LB rule opens (openfirewall)
is a firewall rule like any other, except that an existing one of exactly
the same ports and protocol is used instead of making a second one.

Kinds: ``firewallrule`` (purpose Firewall, traffictype Ingress/Egress),
``portforwardingrule``, ``loadbalancerrule``, ``lbvmmap``,
``lbstickinesspolicy``. Each rule row keeps its public port range in
``startport``/``endport`` so the conflict check reads all kinds alike.
"""
from __future__ import annotations

from marvin2.simulator import errors
from marvin2.simulator.context import SUCCESS, Job, ListResult, Raw
from marvin2.simulator.declare import ACCOUNT_SCOPE, PAGING, P, api, declare_object
from marvin2.simulator.services import common as _common
from marvin2.simulator.services import netcommon as nc
from marvin2.simulator.services.addresses import ip_label, owned_ip, user_vm, vm_nic_in
from marvin2.simulator.services.offerings import offering_has
from marvin2.simulator.services.rules import (
    RULE_KINDS,
    active_rules,
    check_ip_for_service,
    remove_rule,
)
from marvin2.simulator.services.vms import render_vm
from marvin2.simulator.tagging import register_taggable

register_taggable("FirewallRule", "firewallrule")
register_taggable("PortForwardingRule", "portforwardingrule")
register_taggable("LoadBalancer", "loadbalancerrule")

PURPOSE = {"firewallrule": "Firewall", "portforwardingrule": "PortForwarding", "loadbalancerrule": "LoadBalancing"}
LB_ALGORITHMS = ("roundrobin", "leastconn", "source")
STICKINESS_METHODS = {"lbcookie": "LbCookie", "appcookie": "AppCookie", "sourcebased": "SourceBased"}
ALL_CIDRS = "0.0.0.0/0"


# --- shared helpers ----------------------------------------------------------------------------


def _rules_of_ip(store, ip_id: str) -> list[dict]:
    return [r for kind in RULE_KINDS for r in active_rules(store, kind, ipaddressid=ip_id)]


def _overlap(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    return a_start <= b_end and b_start <= a_end


def _cidrs_conflict(first: list[str] | None, second: list[str] | None) -> bool:
    if not first and not second:
        return True
    if not first or not second:
        return False
    return bool(set(first) & set(second))


def detect_conflict(store, new: dict) -> None:
    """Raise the real 537 (or 431) when ``new`` (already stored) clashes with a rule of its address/network."""
    if new.get("ipaddressid"):
        existing = _rules_of_ip(store, new["ipaddressid"])
    else:
        existing = active_rules(store, "firewallrule", networkid=new["networkid"], traffictype="Egress")
    proto = new["protocol"].lower()
    for rule in existing:
        if rule["id"] == new["id"]:
            continue
        same_proto = rule["protocol"].lower() == proto
        one_is_firewall = ("Firewall" in (rule["purpose"], new["purpose"])) and (rule["purpose"] != new["purpose"] or not same_proto)
        both_firewall = rule["purpose"] == new["purpose"] == "Firewall"
        duplicated_cidrs = False
        if both_firewall:
            duplicated_cidrs = (_cidrs_conflict(rule.get("cidrlist"), new.get("cidrlist"))
                                and _cidrs_conflict(rule.get("destcidrlist"), new.get("destcidrlist")))
        if rule.get("networkid") != new.get("networkid"):
            raise nc.conflict(f"New rule is for a different network than what's specified in rule {rule['id']}")
        if proto == "icmp" and same_proto and duplicated_cidrs \
                and rule.get("icmptype", -1) == new.get("icmptype", -1) and rule.get("icmpcode", -1) == new.get("icmpcode", -1):
            raise errors.invalid_value(f"New rule conflicts with existing rule id={rule['id']}")
        ports = (new.get("startport"), new.get("endport"), rule.get("startport"), rule.get("endport"))
        if all(p is None for p in ports) and duplicated_cidrs and same_proto and proto != "icmp":
            raise nc.conflict(f"There is already a firewall rule specified with protocol = {new['protocol']} and no ports")
        if any(p is None for p in ports):
            continue
        if not one_is_firewall and not (both_firewall and not duplicated_cidrs) \
                and _overlap(rule["startport"], rule["endport"], new["startport"], new["endport"]):
            allow_pf = rule["purpose"] == new["purpose"] == "PortForwarding" and not same_proto
            if not allow_pf:
                raise nc.conflict(f"The range specified, {new['startport']}-{new['endport']}, conflicts with rule "
                                  f"{rule['id']} which has {rule['startport']}-{rule['endport']}")


def _check_port(value: int | None, label: str) -> None:
    if value is not None and not 1 <= value <= 65535:
        raise errors.invalid_value(f"{label} is an invalid value: {value}")


def _port_range(start: int | None, end: int | None, label: str = "publicPort") -> tuple[int | None, int | None]:
    end = start if end is None else end
    _check_port(start, label)
    _check_port(end, "Public port range")
    if start is not None and end is not None and start > end:
        raise errors.invalid_value("Start port can't be bigger than end port")
    return start, end


def _rule_network(ctx, ip: dict, service: str, *, network_id: str | None = None) -> dict:
    """The guest network a rule on ``ip`` applies to, which must offer ``service``."""
    store = ctx.store
    network_id = ip.get("associatednetworkid") or network_id
    if network_id is None:
        raise errors.invalid_value(f"Unable to create {service} rule: ip {ip_label(ip)} is not associated with any "
                                   "network; pass networkid")
    network = store.get("network", network_id)
    if network is None or network.get("removed"):
        raise errors.invalid_value(f"Unable to find network by id {network_id}")
    if ip.get("vpcid") and network.get("vpcid") != ip["vpcid"]:
        raise errors.invalid_value("Network and the ip address should belong to the same VPC")
    offering = store.get("networkoffering", network["networkofferingid"]) or {}
    if not offering_has(offering, service):
        raise errors.invalid_value(f"Service {service} is not supported in the network id={network['id']}")
    check_ip_for_service(store, ip, network, offering, service)
    return network


def _finish_create(ctx, kind: str, row: dict, render, event_type: str, *, related: list[dict] = ()):
    """The job half of a create-style rule command: Add -> Active."""
    ids = [row["id"]] + [r["id"] for r in related]

    def run(jctx):
        for rule_id, rule_kind in zip(ids, [kind] + ["firewallrule"] * len(related)):
            if jctx.store.get(rule_kind, rule_id) is not None:
                jctx.store.update(rule_kind, rule_id, state="Active")
        current = jctx.store.get(kind, row["id"])
        if current is None:
            raise nc.job_error(f"The rule {row['id']} was removed before it could be applied")
        nc.event(jctx, event_type, f"created {PURPOSE[kind]} rule {current['id']}", resource=current,
                 resource_type={"firewallrule": "FirewallRule", "portforwardingrule": "PortForwardingRule",
                                "loadbalancerrule": "LoadBalancer"}[kind])
        return render(jctx, current)

    def failed(jctx, error):
        for rule_id, rule_kind in zip(ids, [kind] + ["firewallrule"] * len(related)):
            jctx.store.delete(rule_kind, rule_id)

    return Job(run, entity_id=row["id"], instance_id=row["id"], on_failure=failed)


def _owned_rule(ctx, kind: str, label: str) -> dict:
    rule = ctx.store.get(kind, ctx.get("id"))
    if rule.get("state") == "Revoke":
        raise errors.invalid_value(f"Unable to find {label} rule {rule['id']}")
    nc.check_owned(ctx, rule, label)
    return rule


def _delete_job(ctx, kind: str, label: str, event_type: str) -> Job:
    rule = _owned_rule(ctx, kind, label)

    def run(jctx):
        if jctx.store.get(kind, rule["id"]) is None:
            raise nc.job_error(f"Unable to find {label} rule with id {rule['id']}")
        remove_rule(jctx.store, kind, rule["id"])
        nc.event(jctx, event_type, f"deleted {label} rule {rule['id']}", resource=rule, resource_type=label)
        return SUCCESS

    return Job(run, instance_id=rule["id"])


def _update_job(ctx, kind: str, label: str, render, event_type: str, extra=None) -> Job:
    rule = _owned_rule(ctx, kind, label)

    def run(jctx):
        changes = {}
        if jctx.has("customid"):
            changes["customid"] = jctx.get("customid")
        if jctx.has("fordisplay"):
            changes["fordisplay"] = jctx.get("fordisplay")
        if extra is not None:
            changes.update(extra(jctx, jctx.store.get(kind, rule["id"])))
        current = jctx.store.update(kind, rule["id"], **changes)
        nc.event(jctx, event_type, f"updated {label} rule {rule['id']}", resource=current, resource_type=label)
        return render(jctx, current)

    return Job(run, instance_id=rule["id"])


# --- firewall rules (ingress and egress) ------------------------------------------------------------

declare_object("firewallrule", {
    "id": "rule id", "protocol": "tcp, udp, icmp or all", "startport": ("integer", "first port"),
    "endport": ("integer", "last port"), "ipaddressid": "public IP id (ingress)", "ipaddress": "public IP (ingress)",
    "networkid": "guest network", "state": "Add, Active or Revoke", "cidrlist": "source CIDRs (comma list)",
    "destcidrlist": "destination CIDRs of an egress rule", "icmptype": ("integer", "ICMP type"),
    "icmpcode": ("integer", "ICMP code"), "traffictype": "Ingress or Egress", "tags": ("list", "resource tags"),
    "fordisplay": ("boolean", "shown to users"),
})


def render_firewall_rule(ctx, row: dict) -> dict:
    ip = ctx.store.get("publicipaddress", row.get("ipaddressid")) if row.get("ipaddressid") else None
    return {
        "id": row["id"], "protocol": row["protocol"], "startport": row.get("startport"), "endport": row.get("endport"),
        "ipaddressid": row.get("ipaddressid"), "ipaddress": ip["ipaddress"] if ip else None,
        "networkid": row.get("networkid"), "state": row["state"], "cidrlist": ",".join(row.get("cidrlist") or []),
        "destcidrlist": ",".join(row["destcidrlist"]) if row.get("destcidrlist") else None,
        "icmptype": row.get("icmptype"), "icmpcode": row.get("icmpcode"), "traffictype": row.get("traffictype"),
        "tags": ctx.tags_for(row["id"]), "fordisplay": row.get("fordisplay", True),
    }


def _firewall_fields(ctx, *, protocol: str, start: int | None, end: int | None) -> dict:
    proto = protocol.strip().lower()
    if proto not in ("tcp", "udp", "icmp", "all") and not proto.isdigit():
        raise errors.invalid_value(f"Invalid protocol {protocol}: tcp, udp, icmp, all or a protocol number")
    icmptype, icmpcode = ctx.get("icmptype"), ctx.get("icmpcode")
    if proto == "icmp":
        if start is not None or end is not None:
            raise errors.invalid_value("Can't specify start/end port when protocol is ICMP")
        icmptype = -1 if icmptype is None else icmptype
        icmpcode = -1 if icmpcode is None else icmpcode
    elif icmptype is not None or icmpcode is not None:
        raise errors.invalid_value("Can specify icmpCode and icmpType for ICMP protocol only")
    if proto == "all" and (start is not None or end is not None):
        raise errors.invalid_value("start port and end port must be null if protocol = 'all'")
    start, end = _port_range(start, end)
    return {"protocol": proto, "startport": start, "endport": end, "icmptype": icmptype, "icmpcode": icmpcode}


def _insert_rule(ctx, kind: str, fields: dict) -> dict:
    row = ctx.store.insert(kind, {k: v for k, v in {"purpose": PURPOSE[kind], "state": "Add", **fields}.items()
                                  if v is not None})
    detect_conflict(ctx.store, row)
    return row


def open_firewall_for(ctx, rule: dict, ip: dict, cidrs: list[str] | None) -> dict | None:
    """The firewall rule a PF/LB rule opens (openfirewall=true), linked so it goes with the rule.

    None when the address already has an ingress firewall rule of exactly these ports and protocol (whatever
    its CIDRs): a real server (FirewallManagerImpl.createRuleForAllCidrs) uses that one and makes none, so
    a firewall rule on port 22 and a forwarding rule of port 22 live side by side, and the firewall rule,
    not being the forwarding rule's own, stays when the forwarding rule is deleted."""
    for existing in active_rules(ctx.store, "firewallrule", ipaddressid=ip["id"], traffictype="Ingress"):
        if (existing["protocol"] == rule["protocol"] and existing.get("startport") == rule["startport"]
                and existing.get("endport") == rule["endport"]):
            return None
    return _insert_rule(ctx, "firewallrule", {
        "ipaddressid": ip["id"], "networkid": rule["networkid"], "protocol": rule["protocol"],
        "startport": rule["startport"], "endport": rule["endport"], "cidrlist": cidrs or [ALL_CIDRS],
        "traffictype": "Ingress", "relatedruleid": rule["id"], "accountid": ip["accountid"], "domainid": ip["domainid"],
    })


def _opened(firewall_rule: dict | None) -> list[dict]:
    return [firewall_rule] if firewall_rule is not None else []


@api("createFirewallRule", response="firewallrule", instance_type="FirewallRule",
     related="listFirewallRules,deleteFirewallRule",
     description="Opens a port range (or ICMP / all traffic) of a public IP address to a list of source CIDRs.",
     params=[P("ipaddressid", "the public IP address", entity="publicipaddress"),
             P("protocol", "tcp, udp, icmp or all"), P("startport", "first port"),
             P("endport", "last port (default: startport)"),
             P("cidrlist", "source CIDRs (default 0.0.0.0/0)"),
             P("icmptype", "ICMP type (-1: any)"), P("icmpcode", "ICMP code (-1: any)"),
             P("type", "user or system"), P("fordisplay", "show to the end user")])
def create_firewall_rule(ctx):
    cidrs = nc.check_cidr_list(ctx.get("cidrlist")) or [ALL_CIDRS]
    ip = owned_ip(ctx, ctx.get("ipaddressid"))
    if ip.get("vpcid"):
        raise errors.invalid_value(f"Firewall service is not supported in VPC: use network ACLs for {ip_label(ip)}")
    network = _rule_network(ctx, ip, "Firewall")
    fields = _firewall_fields(ctx, protocol=ctx.get("protocol"), start=ctx.get("startport"), end=ctx.get("endport"))
    row = _insert_rule(ctx, "firewallrule", {
        **fields, "ipaddressid": ip["id"], "networkid": network["id"], "cidrlist": cidrs, "traffictype": "Ingress",
        "accountid": ip["accountid"], "domainid": ip["domainid"], "fordisplay": ctx.get("fordisplay", True),
    })
    return _finish_create(ctx, "firewallrule", row, render_firewall_rule, "FIREWALL.OPEN")


def _list_firewall(ctx, traffic: str):
    def match(row):
        if row.get("traffictype") != traffic or row.get("state") == "Revoke":
            return False
        return not (ctx.has("fordisplay") and row.get("fordisplay", True) != ctx.get("fordisplay"))

    return nc.list_owned(ctx, "firewallrule", lambda row: render_firewall_rule(ctx, row), match=match,
                         keyword_fields=("protocol",),
                    filters={"ipaddressid": "ipaddressid", "networkid": "networkid"})


LIST_RULE_PARAMS = [*PAGING, *ACCOUNT_SCOPE, P("projectid", entity=""), P("tags"),
                    P("fordisplay", "rules shown to the end user"),
                    P("networkid", "rules of this guest network", entity="network")]


@api("listFirewallRules", response="firewallrule", related="createFirewallRule,deleteFirewallRule",
     description="Lists ingress firewall rules.",
     params=[*LIST_RULE_PARAMS, P("id", entity="firewallrule"),
             P("ipaddressid", "rules of this public IP", entity="publicipaddress")])
def list_firewall_rules(ctx):
    return _list_firewall(ctx, "Ingress")


@api("deleteFirewallRule", response="success", instance_type="FirewallRule",
     related="createFirewallRule,listFirewallRules", description="Deletes an ingress firewall rule.",
     params=[P("id", "the rule", entity="firewallrule")])
def delete_firewall_rule(ctx):
    return _delete_job(ctx, "firewallrule", "FirewallRule", "FIREWALL.CLOSE")


@api("updateFirewallRule", response="firewallrule", instance_type="FirewallRule",
     related="listFirewallRules", description="Changes the custom id or display flag of a firewall rule.",
     params=[P("id", "the rule", entity="firewallrule"), P("customid", "custom id"),
             P("fordisplay", "show to the end user")])
def update_firewall_rule(ctx):
    return _update_job(ctx, "firewallrule", "FirewallRule", render_firewall_rule, "FIREWALL.UPDATE")


@api("createEgressFirewallRule", response="firewallrule", instance_type="FirewallRule",
     related="listEgressFirewallRules,deleteEgressFirewallRule",
     description="Allows (or, with an allow-all default policy, denies) outgoing traffic of an isolated network.",
     params=[P("networkid", "the isolated network", entity="network"),
             P("protocol", "tcp, udp, icmp or all"), P("startport", "first port"),
             P("endport", "last port (default: startport)"),
             P("cidrlist", "source CIDRs inside the network (default: the network CIDR)"),
             P("destcidrlist", "destination CIDRs"),
             P("icmptype", "ICMP type (-1: any)"), P("icmpcode", "ICMP code (-1: any)"),
             P("type", "user or system"), P("fordisplay", "show to the end user")])
def create_egress_firewall_rule(ctx):
    store = ctx.store
    cidrs = nc.check_cidr_list(ctx.get("cidrlist"))
    dest = nc.check_cidr_list(ctx.get("destcidrlist"), "Destination CIDRs")
    network = store.get("network", ctx.get("networkid"))
    if network.get("removed"):
        raise errors.invalid_value(f"Unable to find network by id {network['id']}")
    nc.check_owned(ctx, network, "Network")
    offering = store.get("networkoffering", network["networkofferingid"]) or {}
    # CreateEgressFirewallRuleCmd.create / FirewallManagerImpl.createEgressFirewallRule texts.
    if network.get("vpcid"):
        raise errors.invalid_value(f"Unable to create firewall rule for the network id=[{network['id']}] as firewall "
                                   "egress rule can be created only for non VPC networks.")
    if network.get("type") == "Shared":
        raise errors.invalid_value("Egress firewall rules are not supported for Shared  networks")
    if network.get("type") != "Isolated" or not offering_has(offering, "Firewall"):
        raise errors.invalid_value(f"Egress firewall rules are not supported for the network id={network['id']}: it "
                                   "needs the Firewall service of an isolated network")
    # 4.20 (CreateEgressFirewallRuleCmd.validateCidrs, FirewallManagerImpl.createEgressFirewallRule): 0.0.0.0/0
    # means "the whole guest network" and is stored as the network CIDR; any other source must lie inside it.
    guest_cidr = network.get("cidr")
    for cidr in cidrs:
        if cidr != ALL_CIDRS and guest_cidr and not nc.within(cidr, guest_cidr):
            raise errors.param_error(f"[{cidr}] is not within the guest CIDR [{guest_cidr}]. ")
    if guest_cidr:
        cidrs = [guest_cidr if cidr == ALL_CIDRS else cidr for cidr in cidrs]
    fields = _firewall_fields(ctx, protocol=ctx.get("protocol"), start=ctx.get("startport"), end=ctx.get("endport"))
    row = _insert_rule(ctx, "firewallrule", {
        **fields, "networkid": network["id"], "cidrlist": cidrs or [network.get("cidr") or ALL_CIDRS],
        "destcidrlist": dest or None, "traffictype": "Egress", "accountid": network["accountid"],
        "domainid": network["domainid"], "fordisplay": ctx.get("fordisplay", True),
    })
    return _finish_create(ctx, "firewallrule", row, render_firewall_rule, "FIREWALL.EGRESS.OPEN")


@api("listEgressFirewallRules", response="firewallrule", related="createEgressFirewallRule,deleteEgressFirewallRule",
     description="Lists egress firewall rules (item key firewallrule).",
     params=[*LIST_RULE_PARAMS, P("id", entity="firewallrule"),
             P("ipaddressid", "(ignored for egress rules)", entity="publicipaddress")])
def list_egress_firewall_rules(ctx):
    return _list_firewall(ctx, "Egress")


@api("deleteEgressFirewallRule", response="success", instance_type="FirewallRule",
     related="createEgressFirewallRule,listEgressFirewallRules", description="Deletes an egress firewall rule.",
     params=[P("id", "the rule", entity="firewallrule")])
def delete_egress_firewall_rule(ctx):
    return _delete_job(ctx, "firewallrule", "FirewallRule", "FIREWALL.EGRESS.CLOSE")


@api("updateEgressFirewallRule", response="firewallrule", instance_type="FirewallRule",
     related="listEgressFirewallRules", description="Changes the custom id or display flag of an egress rule.",
     params=[P("id", "the rule", entity="firewallrule"), P("customid", "custom id"),
             P("fordisplay", "show to the end user")])
def update_egress_firewall_rule(ctx):
    return _update_job(ctx, "firewallrule", "FirewallRule", render_firewall_rule, "FIREWALL.EGRESS.UPDATE")


# --- port forwarding --------------------------------------------------------------------------------

declare_object("portforwardingrule", {
    "id": "rule id", "privateport": "first private port", "privateendport": "last private port", "protocol": "tcp or udp",
    "publicport": "first public port", "publicendport": "last public port", "virtualmachineid": "target VM",
    "virtualmachinename": "VM name", "virtualmachinedisplayname": "VM display name", "ipaddressid": "public IP id",
    "ipaddress": "public IP", "state": "Add, Active or Revoke", "cidrlist": "source CIDRs", "vmguestip": "VM IP",
    "networkid": "guest network", "tags": ("list", "resource tags"), "fordisplay": ("boolean", "shown to users"),
})


def _vm_names(store, vm_id: str | None) -> tuple[str | None, str | None]:
    vm = store.get("virtualmachine", vm_id) if vm_id else None
    if vm is None:
        return None, None
    return vm.get("name"), vm.get("displayname") or vm.get("name")


def render_port_forwarding_rule(ctx, row: dict) -> dict:
    ip = ctx.store.get("publicipaddress", row.get("ipaddressid")) or {}
    name, display = _vm_names(ctx.store, row.get("virtualmachineid"))
    return {
        "id": row["id"], "privateport": str(row["privateport"]), "privateendport": str(row["privateendport"]),
        "protocol": row["protocol"], "publicport": str(row["startport"]), "publicendport": str(row["endport"]),
        "virtualmachineid": row.get("virtualmachineid"), "virtualmachinename": name, "virtualmachinedisplayname": display,
        "ipaddressid": row.get("ipaddressid"), "ipaddress": ip.get("ipaddress"), "state": row["state"],
        "cidrlist": ",".join(row.get("cidrlist") or []), "vmguestip": row.get("vmguestip"),
        "networkid": row.get("networkid"), "tags": ctx.tags_for(row["id"]), "fordisplay": row.get("fordisplay", True),
    }


def _vm_guest_ip(ctx, vm: dict, network: dict, requested: str | None) -> str:
    nic = vm_nic_in(ctx.store, vm["id"], network["id"])
    if nic is None:
        raise errors.invalid_value("Vm doesn't belong to network associated with ipAddress")
    if requested and requested != nic.get("ipaddress"):
        raise errors.invalid_value(f"VM ip address of the specified guest ip {requested} doesn't belong to the vm")
    return requested or nic.get("ipaddress")


@api("createPortForwardingRule", response="portforwardingrule", instance_type="FirewallRule",
     related="listPortForwardingRules,deletePortForwardingRule",
     description="Forwards a public port range of an address to a VM of the address's network.",
     params=[P("ipaddressid", "the public IP address", entity="publicipaddress"),
             P("privateport", "first port on the VM"), P("publicport", "first public port"),
             P("protocol", "tcp or udp"),
             P("virtualmachineid", "the VM", entity="virtualmachine"),
             P("privateendport", "last port on the VM"),
             P("publicendport", "last public port"),
             P("cidrlist", "source CIDRs of the firewall rule it opens"),
             P("networkid", "the VM's network (VPC addresses)", entity="network"),
             P("openfirewall", "also open the public ports in the firewall (default true outside VPCs)"),
             P("vmguestip", "the VM IP to forward to"), P("fordisplay", "show to the end user")])
def create_port_forwarding_rule(ctx):
    store = ctx.store
    cidrs = nc.check_cidr_list(ctx.get("cidrlist"))
    ip = owned_ip(ctx, ctx.get("ipaddressid"))
    if ip.get("isstaticnat"):
        raise errors.invalid_value(f"Unable to create port forwarding rule; ip id={ip['id']} has static nat enabled")
    network = _rule_network(ctx, ip, "PortForwarding", network_id=ctx.get("networkid"))
    vm = user_vm(ctx, ctx.get("virtualmachineid"))
    if vm.get("accountid") != ip.get("accountid"):
        raise errors.permission_denied(f"Account of the vm {vm['id']} doesn't match the account of the ip {ip['id']}")
    guest_ip = _vm_guest_ip(ctx, vm, network, ctx.get("vmguestip"))
    proto = ctx.get("protocol").strip().lower()
    if proto not in ("tcp", "udp"):
        raise errors.invalid_value(f"Invalid protocol {ctx.get('protocol')}: port forwarding supports tcp and udp")
    start, end = _port_range(ctx.get("publicport"), ctx.get("publicendport"))
    _check_port(ctx.get("privateport"), "privatePort")
    private_end = ctx.get("privateendport") if ctx.has("privateendport") else ctx.get("privateport") + (end - start)
    _check_port(private_end, "privateEndPort")
    if private_end - ctx.get("privateport") != end - start:
        raise errors.invalid_value("Private port range and public port range should be of the same size")
    open_firewall = ctx.get("openfirewall")
    if open_firewall is None:
        open_firewall = not ip.get("vpcid")
    elif open_firewall and ip.get("vpcid"):
        raise errors.invalid_value("Can't have openFirewall=true when IP address belongs to VPC")
    if not ip.get("associatednetworkid"):
        store.update("publicipaddress", ip["id"], associatednetworkid=network["id"])
    row = _insert_rule(ctx, "portforwardingrule", {
        "ipaddressid": ip["id"], "networkid": network["id"], "protocol": proto, "startport": start, "endport": end,
        "privateport": ctx.get("privateport"), "privateendport": private_end, "virtualmachineid": vm["id"],
        "vmguestip": guest_ip, "cidrlist": cidrs, "accountid": ip["accountid"], "domainid": ip["domainid"],
        "fordisplay": ctx.get("fordisplay", True),
    })
    related = _opened(open_firewall_for(ctx, row, ip, cidrs) if open_firewall else None)
    return _finish_create(ctx, "portforwardingrule", row, render_port_forwarding_rule, "NET.RULEADD", related=related)


@api("listPortForwardingRules", response="portforwardingrule", related="createPortForwardingRule",
     description="Lists port forwarding rules.",
     params=[*LIST_RULE_PARAMS, P("id", entity="portforwardingrule"),
             P("ipaddressid", "rules of this public IP", entity="publicipaddress")])
def list_port_forwarding_rules(ctx):
    def match(row):
        return row.get("state") != "Revoke" and (not ctx.has("fordisplay") or row.get("fordisplay", True) == ctx.get("fordisplay"))

    return nc.list_owned(ctx, "portforwardingrule", lambda row: render_port_forwarding_rule(ctx, row), match=match,
                         keyword_fields=("protocol",), filters={"ipaddressid": "ipaddressid", "networkid": "networkid"})


@api("deletePortForwardingRule", response="success", instance_type="FirewallRule",
     related="createPortForwardingRule", description="Deletes a port forwarding rule (and the firewall rule it opened).",
     params=[P("id", "the rule", entity="portforwardingrule")])
def delete_port_forwarding_rule(ctx):
    return _delete_job(ctx, "portforwardingrule", "PortForwardingRule", "NET.RULEDELETE")


@api("updatePortForwardingRule", response="portforwardingrule", instance_type="FirewallRule",
     related="listPortForwardingRules", description="Changes the private ports or target VM of a port forwarding rule.",
     params=[P("id", "the rule", entity="portforwardingrule"), P("customid", "custom id"),
             P("fordisplay", "show to the end user"),
             P("privateport", "first port on the VM"),
             P("privateendport", "last port on the VM"),
             P("virtualmachineid", "the new target VM", entity="virtualmachine"),
             P("vmguestip", "the VM IP to forward to")])
def update_port_forwarding_rule(ctx):
    network = ctx.store.get("network", _owned_rule(ctx, "portforwardingrule", "PortForwardingRule")["networkid"])
    new_vm = user_vm(ctx, ctx.get("virtualmachineid")) if ctx.has("virtualmachineid") else None
    _check_port(ctx.get("privateport"), "privatePort")
    _check_port(ctx.get("privateendport"), "privateEndPort")

    def changes(jctx, current):
        out = {}
        if jctx.has("privateport"):
            out["privateport"] = jctx.get("privateport")
            out["privateendport"] = jctx.get("privateendport", jctx.get("privateport") + current["endport"] - current["startport"])
        elif jctx.has("privateendport"):
            out["privateendport"] = jctx.get("privateendport")
        first, last = out.get("privateport", current["privateport"]), out.get("privateendport", current["privateendport"])
        if last - first != current["endport"] - current["startport"]:
            raise nc.job_invalid("Private port range and public port range should be of the same size")
        vm = new_vm or jctx.store.get("virtualmachine", current["virtualmachineid"])
        if new_vm is not None or jctx.has("vmguestip"):
            try:
                out["vmguestip"] = _vm_guest_ip(jctx, vm, network, jctx.get("vmguestip"))
            except errors.ApiError as exc:
                raise nc.job_invalid(exc.errortext) from None
            out["virtualmachineid"] = vm["id"]
        return out

    return _update_job(ctx, "portforwardingrule", "PortForwardingRule", render_port_forwarding_rule, "NET.RULEMODIFY",
                       extra=changes)


# --- load balancing -------------------------------------------------------------------------------------

declare_object("loadbalancer", {
    "id": "rule id", "name": "rule name", "description": "description", "publicipid": "public IP id",
    "publicip": "public IP", "publicport": "public port", "privateport": "private port",
    "algorithm": "roundrobin, leastconn or source", "networkid": "guest network", "cidrlist": "source CIDRs",
    "account": "owner account", "domainid": "owner domain id", "domain": "owner domain", "state": "Add, Active or Revoke",
    "zoneid": "zone id", "zonename": "zone name", "protocol": "tcp, udp or tcp-proxy", "tags": ("list", "resource tags"),
    "fordisplay": ("boolean", "shown to users"),
})
declare_object("loadbalancerrule", {"id": "rule id", "name": "rule name", "publicip": "public IP",
                                    "publicport": "public port", "privateport": "private port", "algorithm": "algorithm",
                                    "state": "Add, Active or Revoke"})


def render_lb_rule(ctx, row: dict) -> dict:
    ip = ctx.store.get("publicipaddress", row.get("ipaddressid")) or {}
    out = {
        "id": row["id"], "name": row["name"], "description": row.get("description"), "publicipid": row.get("ipaddressid"),
        "publicip": ip.get("ipaddress"), "publicport": str(row["startport"]), "privateport": str(row["privateport"]),
        "algorithm": row["algorithm"], "networkid": row.get("networkid"), "cidrlist": ",".join(row.get("cidrlist") or []),
        "state": row["state"], "protocol": row.get("lbprotocol", "tcp"), "tags": ctx.tags_for(row["id"]),
        "fordisplay": row.get("fordisplay", True),
    }
    out.update(nc.zone_fields(ctx.store, row.get("zoneid")))
    out.update(nc.owner_fields(ctx, row))
    return out


def _lb_algorithm(value: str) -> str:
    if value.lower() not in LB_ALGORITHMS:
        raise errors.invalid_value(f"Invalid algorithm: {value}")
    return value.lower()


@api("createLoadBalancerRule", response="loadbalancer", instance_type="FirewallRule",
     related="listLoadBalancerRules,deleteLoadBalancerRule,assignToLoadBalancerRule",
     description="Creates a load balancer rule on a public IP address (assign VMs with assignToLoadBalancerRule).",
     params=[P("name", "rule name"), P("algorithm", "roundrobin, leastconn or source"),
             P("privateport", "port on the VMs"), P("publicport", "public port"),
             P("publicipid", "the public IP address", entity="publicipaddress"),
             P("networkid", "the guest network (VPC addresses)", entity="network"),
             P("zoneid", "zone of the rule"), P("account", "owner account (admins)"),
             P("domainid"), P("cidrlist", "source CIDRs"),
             P("description", "description"),
             P("openfirewall", "also open the public port in the firewall (default true outside VPCs)"),
             P("protocol", "tcp (default), udp or tcp-proxy"),
             P("fordisplay", "show to the end user")])
def create_load_balancer_rule(ctx):
    cidrs = nc.check_cidr_list(ctx.get("cidrlist"))
    if not ctx.has("publicipid"):
        raise errors.invalid_value("Unable to create load balancer rule: publicipid is required (the public IP to balance)")
    ip = owned_ip(ctx, ctx.get("publicipid"))
    if ip.get("isstaticnat"):
        raise errors.invalid_value(f"Unable to create load balancer rule; ip id={ip['id']} has static nat enabled")
    network = _rule_network(ctx, ip, "Lb", network_id=ctx.get("networkid"))
    algorithm = _lb_algorithm(ctx.get("algorithm"))
    protocol = (ctx.get("protocol") or "tcp").lower()
    if protocol not in ("tcp", "udp", "tcp-proxy", "ssl"):
        raise errors.invalid_value(f"Invalid protocol {ctx.get('protocol')}: tcp, udp, tcp-proxy or ssl")
    _check_port(ctx.get("publicport"), "publicPort")
    _check_port(ctx.get("privateport"), "privatePort")
    open_firewall = ctx.get("openfirewall")
    if open_firewall is None:
        open_firewall = not ip.get("vpcid")
    elif open_firewall and ip.get("vpcid"):
        raise errors.invalid_value("Can't have openFirewall=true when IP address belongs to VPC")
    if not ip.get("associatednetworkid"):
        ctx.store.update("publicipaddress", ip["id"], associatednetworkid=network["id"])
    row = _insert_rule(ctx, "loadbalancerrule", {
        "name": ctx.get("name"), "description": ctx.get("description"), "algorithm": algorithm,
        "ipaddressid": ip["id"], "networkid": network["id"], "protocol": "udp" if protocol == "udp" else "tcp",
        "lbprotocol": protocol, "startport": ctx.get("publicport"), "endport": ctx.get("publicport"),
        "privateport": ctx.get("privateport"), "cidrlist": cidrs, "zoneid": ip["zoneid"],
        "accountid": ip["accountid"], "domainid": ip["domainid"], "fordisplay": ctx.get("fordisplay", True),
    })
    related = _opened(open_firewall_for(ctx, row, ip, cidrs) if open_firewall else None)
    return _finish_create(ctx, "loadbalancerrule", row, render_lb_rule, "LB.CREATE", related=related)


@api("listLoadBalancerRules", response="loadbalancerrule", related="createLoadBalancerRule",
     description="Lists load balancer rules.",
     params=[*LIST_RULE_PARAMS, P("id", entity="loadbalancerrule"), P("name"),
             P("publicipid", "rules of this public IP", entity="publicipaddress"),
             P("virtualmachineid", "rules this VM is assigned to", entity=""),
             P("zoneid")])
def list_load_balancer_rules(ctx):
    store = ctx.store
    assigned = None
    if ctx.has("virtualmachineid"):
        assigned = {m["lbruleid"] for m in store.find("lbvmmap", virtualmachineid=ctx.get("virtualmachineid"))}

    def match(row):
        if row.get("state") == "Revoke" or (assigned is not None and row["id"] not in assigned):
            return False
        return not ctx.has("fordisplay") or row.get("fordisplay", True) == ctx.get("fordisplay")

    return nc.list_owned(ctx, "loadbalancerrule", lambda row: render_lb_rule(ctx, row), match=match,
                         filters={"publicipid": "ipaddressid", "networkid": "networkid", "zoneid": "zoneid"})


@api("updateLoadBalancerRule", response="loadbalancer", instance_type="FirewallRule",
     related="listLoadBalancerRules", description="Changes a load balancer rule's name, description, algorithm or protocol.",
     params=[P("id", "the rule", entity="loadbalancerrule"), P("name"),
             P("algorithm", "roundrobin, leastconn or source"), P("customid", "custom id"),
             P("description", "description"), P("fordisplay"),
             P("protocol", "tcp, udp or tcp-proxy")])
def update_load_balancer_rule(ctx):
    algorithm = _lb_algorithm(ctx.get("algorithm")) if ctx.has("algorithm") else None

    def changes(jctx, current):
        out = {f: jctx.get(f) for f in ("name", "description") if jctx.has(f)}
        if algorithm:
            out["algorithm"] = algorithm
        if jctx.has("protocol"):
            out["lbprotocol"] = jctx.get("protocol").lower()
        return out

    return _update_job(ctx, "loadbalancerrule", "LoadBalancer", render_lb_rule, "LB.UPDATE", extra=changes)


@api("deleteLoadBalancerRule", response="success", instance_type="FirewallRule",
     related="createLoadBalancerRule", description="Deletes a load balancer rule, its VM assignments and policies.",
     params=[P("id", "the rule", entity="loadbalancerrule")])
def delete_load_balancer_rule(ctx):
    return _delete_job(ctx, "loadbalancerrule", "LoadBalancer", "LB.DELETE")


def _requested_vms(ctx) -> dict[str, list[str]]:
    """virtualmachineids and vmidipmap[i].vmid/.vmip -> {vm id: [ips]} (an empty list: the VM's NIC IP)."""
    out: dict[str, list[str]] = {}
    for vm_id in ctx.get("virtualmachineids") or []:
        out.setdefault(vm_id.lower(), [])
    for entry in ctx.get("vmidipmap") or []:
        lowered = {k.lower(): v for k, v in entry.items()}
        if "vmid" not in lowered:
            raise errors.invalid_value("vmidipmap entries need .vmid (and optionally .vmip)")
        ips = out.setdefault(lowered["vmid"].lower(), [])
        if lowered.get("vmip"):
            ips.append(lowered["vmip"])
    if not out:
        raise errors.invalid_value("Either virtualmachineids or vmidipmap must be specified")
    return out


@api("assignToLoadBalancerRule", response="success", instance_type="FirewallRule",
     related="removeFromLoadBalancerRule,listLoadBalancerRuleInstances",
     description="Adds VMs (of the rule's network) to a load balancer rule.",
     params=[P("id", "the rule", entity="loadbalancerrule"),
             P("virtualmachineids", "the VMs"),
             P("vmidipmap", "VM and IP pairs: vmidipmap[i].vmid, vmidipmap[i].vmip")])
def assign_to_load_balancer_rule(ctx):
    lb = _owned_rule(ctx, "loadbalancerrule", "LoadBalancer")
    wanted = _requested_vms(ctx)

    def run(jctx):
        store = jctx.store
        for vm_id, ips in wanted.items():
            vm = store.get("virtualmachine", vm_id)
            if vm is None or vm.get("removed") or vm.get("state") in ("Destroyed", "Expunging"):
                raise nc.job_invalid(f"Invalid instance id specified: {vm_id}")
            if not (jctx.can_access(vm) or _common.is_project_member(jctx, vm.get("accountid"))) \
                    or vm.get("accountid") != lb.get("accountid"):
                raise nc.job_error(f"Account {jctx.caller.account['name']} does not have permission to operate with "
                                   f"VirtualMachine {vm_id}")
            nic = vm_nic_in(store, vm_id, lb["networkid"])
            if nic is None:
                raise nc.job_invalid(f"VM {vm.get('name')} cannot be added because it doesn't belong in the same network.")
            if store.find_one("lbvmmap", lbruleid=lb["id"], virtualmachineid=vm_id):
                raise nc.job_invalid(f"VM {vm.get('name')} is already mapped to load balancer.")
            for ip in ips:
                if ip != nic.get("ipaddress"):
                    raise nc.job_invalid(f"VM ip {ip} specified does not belong to nic in network {lb['networkid']}")
            store.insert("lbvmmap", {"lbruleid": lb["id"], "virtualmachineid": vm_id,
                                     "vmips": ips or [nic.get("ipaddress")], "state": "Active"})
        nc.event(jctx, "LB.ASSIGN.TO.RULE", f"assigned {len(wanted)} VM(s) to load balancer rule {lb['name']}",
                 resource=lb, resource_type="LoadBalancer")
        return SUCCESS

    return Job(run, instance_id=lb["id"])


@api("removeFromLoadBalancerRule", response="success", instance_type="FirewallRule",
     related="assignToLoadBalancerRule", description="Removes VMs from a load balancer rule.",
     params=[P("id", "the rule", entity="loadbalancerrule"),
             P("virtualmachineids", "the VMs"),
             P("vmidipmap", "VM and IP pairs: vmidipmap[i].vmid, vmidipmap[i].vmip")])
def remove_from_load_balancer_rule(ctx):
    lb = _owned_rule(ctx, "loadbalancerrule", "LoadBalancer")
    wanted = _requested_vms(ctx)

    def run(jctx):
        for vm_id in wanted:
            mapping = jctx.store.find_one("lbvmmap", lbruleid=lb["id"], virtualmachineid=vm_id)
            if mapping is None:
                raise nc.job_invalid(f"Vm {vm_id} is not assigned to lb rule {lb['id']}")
            jctx.store.delete("lbvmmap", mapping["id"])
        nc.event(jctx, "LB.REMOVE.FROM.RULE", f"removed {len(wanted)} VM(s) from load balancer rule {lb['name']}",
                 resource=lb, resource_type="LoadBalancer")
        return SUCCESS

    return Job(run, instance_id=lb["id"])


def _render_vm(ctx, vm: dict) -> dict:
    return render_vm(ctx, vm)


@api("listLoadBalancerRuleInstances", response="loadbalancerruleinstance", related="assignToLoadBalancerRule",
     description="Lists the VMs assigned to a load balancer rule (applied=false: the VMs that could be).",
     params=[*PAGING, P("id", "the rule", entity="loadbalancerrule"),
             P("applied", "assigned VMs (default true) or assignable ones (false)"),
             P("lbvmips", "also list the VM IPs used by the rule")])
def list_load_balancer_rule_instances(ctx):
    store = ctx.store
    lb = store.get("loadbalancerrule", ctx.get("id"))
    nc.check_owned(ctx, lb, "LoadBalancer")
    mappings = {m["virtualmachineid"]: m for m in store.find("lbvmmap", lbruleid=lb["id"])}
    if ctx.get("applied", True):
        vms = [store.get("virtualmachine", vm_id) for vm_id in mappings]
    else:
        vms = [store.get("virtualmachine", n["virtualmachineid"]) for n in store.find("nic", networkid=lb["networkid"])
               if n.get("virtualmachineid") not in mappings and n.get("vmtype", "User") == "User"]
    vms = [vm for vm in vms if vm is not None and not vm.get("removed")]
    page = ctx.paginate(vms)
    if ctx.get("lbvmips"):
        # With lbvmips the items are {loadbalancerruleinstance: VM, lbvmipaddresses: [...]} under "lbrulevmidip".
        items = [{"loadbalancerruleinstance": _render_vm(ctx, vm),
                  "lbvmipaddresses": (mappings.get(vm["id"]) or {}).get("vmips", [])} for vm in page.items]
        if not items:
            return Raw({"count": page.count} if page.count else {})
        return Raw({"count": page.count, "lbrulevmidip": items})
    return ListResult([_render_vm(ctx, vm) for vm in page.items], page.count)


# --- stickiness and health-check policies -------------------------------------------------------------------

declare_object("stickinesspolicies", {
    "lbruleid": "load balancer rule id", "name": "policy name", "description": "description", "account": "owner account",
    "domainid": "owner domain id", "domain": "owner domain", "zoneid": "zone id", "state": "state",
    "stickinesspolicy": ("list", "the policies: id, name, methodname, params, description, state"),
})
declare_object("healthcheckpolicies", {
    "lbruleid": "load balancer rule id", "account": "owner account", "domainid": "owner domain id",
    "domain": "owner domain", "zoneid": "zone id", "healthcheckpolicy": ("list", "the policies"),
})


def render_stickiness(ctx, lb: dict, policies: list[dict]) -> dict:
    out = {"lbruleid": lb["id"], "zoneid": lb.get("zoneid"), "state": lb["state"],
           "name": policies[0]["name"] if policies else None,
           "description": policies[0].get("description") if policies else None,
           "stickinesspolicy": [{"id": p["id"], "name": p["name"], "methodname": p["methodname"],
                                 "description": p.get("description"), "params": p.get("params") or {},
                                 "state": p["state"], "fordisplay": p.get("fordisplay", True)} for p in policies]}
    out.update(nc.owner_fields(ctx, lb))
    return out


@api("createLBStickinessPolicy", response="stickinesspolicies", instance_type="FirewallRule",
     related="listLBStickinessPolicies,deleteLBStickinessPolicy",
     description="Adds a stickiness policy (LbCookie, AppCookie or SourceBased) to a load balancer rule.",
     params=[P("lbruleid", "the load balancer rule", entity="loadbalancerrule"),
             P("methodname", "LbCookie, AppCookie or SourceBased"), P("name", "policy name"),
             P("description", "description"), P("fordisplay"),
             P("param", "method parameters: param[i].name, param[i].value")])
def create_lb_stickiness_policy(ctx):
    store = ctx.store
    lb = store.get("loadbalancerrule", ctx.get("lbruleid"))
    nc.check_owned(ctx, lb, "LoadBalancer")
    method = STICKINESS_METHODS.get(ctx.get("methodname").lower())
    if method is None:
        raise errors.invalid_value(f"Failed LB in validation rule id: {lb['id']} Cause: Stickiness method "
                                   f"{ctx.get('methodname')} is not supported (LbCookie, AppCookie, SourceBased)")
    if [p for p in store.find("lbstickinesspolicy", lbruleid=lb["id"]) if p.get("state") != "Revoke"]:
        raise errors.invalid_value(f"Failed to create Stickiness policy: Already policy attached to LB rule {lb['id']}")
    params = {}
    for entry in ctx.get("param") or []:
        lowered = {k.lower(): v for k, v in entry.items()}
        if "name" not in lowered:
            raise errors.invalid_value("param entries need .name and .value")
        params[lowered["name"]] = lowered.get("value", "")
    policy = store.insert("lbstickinesspolicy", {"lbruleid": lb["id"], "name": ctx.get("name"), "methodname": method,
                                                 "description": ctx.get("description"), "params": params, "state": "Add",
                                                 "accountid": lb["accountid"], "domainid": lb["domainid"],
                                                 "fordisplay": ctx.get("fordisplay", True)})

    def run(jctx):
        current = jctx.store.update("lbstickinesspolicy", policy["id"], state="Active")
        nc.event(jctx, "LB.STICKINESSPOLICY.CREATE", f"created stickiness policy {current['name']}", resource=current,
                 resource_type="LBStickinessPolicy")
        return render_stickiness(jctx, jctx.store.get("loadbalancerrule", lb["id"]), [current])

    def failed(jctx, error):
        jctx.store.delete("lbstickinesspolicy", policy["id"])

    return Job(run, entity_id=policy["id"], instance_id=policy["id"], on_failure=failed)


@api("listLBStickinessPolicies", response="stickinesspolicies", related="createLBStickinessPolicy",
     description="Lists the stickiness policies of a load balancer rule (item key stickinesspolicies).",
     params=[*PAGING, P("lbruleid", "the load balancer rule", entity="loadbalancerrule"),
             P("id", "a policy", entity="lbstickinesspolicy"), P("fordisplay")])
def list_lb_stickiness_policies(ctx):
    store = ctx.store
    if ctx.has("id"):
        lb_id = store.get("lbstickinesspolicy", ctx.get("id"))["lbruleid"]
    elif ctx.has("lbruleid"):
        lb_id = ctx.get("lbruleid")
    else:
        raise errors.invalid_value("Either lbruleid or id (of a stickiness policy) must be specified")
    lb = store.get("loadbalancerrule", lb_id)
    nc.check_owned(ctx, lb, "LoadBalancer")
    policies = [p for p in store.find("lbstickinesspolicy", lbruleid=lb_id) if p.get("state") != "Revoke"
                and (not ctx.has("id") or p["id"] == ctx.get("id"))]
    return ctx.paginate([render_stickiness(ctx, lb, policies)])


@api("deleteLBStickinessPolicy", response="success", instance_type="FirewallRule",
     related="createLBStickinessPolicy", description="Removes a stickiness policy from its load balancer rule.",
     params=[P("id", "the policy", entity="lbstickinesspolicy")])
def delete_lb_stickiness_policy(ctx):
    policy = ctx.store.get("lbstickinesspolicy", ctx.get("id"))
    nc.check_owned(ctx, policy, "LBStickinessPolicy")

    def run(jctx):
        jctx.store.delete("lbstickinesspolicy", policy["id"])
        nc.event(jctx, "LB.STICKINESSPOLICY.DELETE", f"deleted stickiness policy {policy['name']}", resource=policy,
                 resource_type="LBStickinessPolicy")
        return SUCCESS

    return Job(run, instance_id=policy["id"])


@api("createLBHealthCheckPolicy", response="healthcheckpolicies", instance_type="FirewallRule",
     related="listLBHealthCheckPolicies,deleteLBHealthCheckPolicy",
     description="Adds a health-check policy to a load balancer rule (the virtual router provider does not support "
                 "health checks, as on a real cloud).",
     params=[P("lbruleid", "the load balancer rule", entity="loadbalancerrule"),
             P("description", "description"), P("fordisplay"),
             P("healthythreshold", "successes before healthy"),
             P("intervaltime", "seconds between checks"),
             P("pingpath", "HTTP path to check"), P("responsetimeout", "seconds"),
             P("unhealthythreshold", "failures before unhealthy")])
def create_lb_health_check_policy(ctx):
    lb = ctx.store.get("loadbalancerrule", ctx.get("lbruleid"))
    nc.check_owned(ctx, lb, "LoadBalancer")
    raise errors.invalid_value("Failed to create HealthCheck policy: Validation Failed (HealthCheck Policy is not "
                               f"supported by LB Provider for the LB rule id :{lb['id']})")


@api("listLBHealthCheckPolicies", response="healthcheckpolicies", related="createLBHealthCheckPolicy",
     description="Lists the health-check policies of a load balancer rule.",
     params=[*PAGING, P("lbruleid", "the load balancer rule", entity="loadbalancerrule"),
             P("id", "a policy", entity="lbhealthcheckpolicy"), P("fordisplay")])
def list_lb_health_check_policies(ctx):
    if not (ctx.has("lbruleid") or ctx.has("id")):
        raise errors.invalid_value("Either lbruleid or id (of a health check policy) must be specified")
    if ctx.has("lbruleid"):
        nc.check_owned(ctx, ctx.store.get("loadbalancerrule", ctx.get("lbruleid")), "LoadBalancer")
    return ctx.paginate([])


@api("deleteLBHealthCheckPolicy", response="success", instance_type="FirewallRule",
     related="createLBHealthCheckPolicy", description="Removes a health-check policy.",
     params=[P("id", "the policy", entity="lbhealthcheckpolicy")])
def delete_lb_health_check_policy(ctx):
    policy = ctx.store.get("lbhealthcheckpolicy", ctx.get("id"))
    nc.check_owned(ctx, policy, "LBHealthCheckPolicy")

    def run(jctx):
        jctx.store.delete("lbhealthcheckpolicy", policy["id"])
        return SUCCESS

    return Job(run, instance_id=policy["id"])
