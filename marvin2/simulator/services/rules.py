"""Firewall, port forwarding and load balancer rules as other services remove them: when an address is released, a network goes or a VM leaves a network."""
from __future__ import annotations

from marvin2.simulator import errors
from marvin2.simulator.tagging import delete_tags_of

RULE_KINDS = ("firewallrule", "portforwardingrule", "loadbalancerrule")


def active_rules(store, kind: str, **equal) -> list[dict]:
    return [r for r in store.find(kind, **equal) if r.get("state") != "Revoke"]


def remove_rule(store, kind: str, rule_id: str) -> None:
    if kind == "loadbalancerrule":
        store.delete_where("lbvmmap", lbruleid=rule_id)
        store.delete_where("lbstickinesspolicy", lbruleid=rule_id)
    for related in store.find("firewallrule", relatedruleid=rule_id):
        delete_tags_of(store, related["id"])
        store.delete("firewallrule", related["id"])
    delete_tags_of(store, rule_id)
    store.delete(kind, rule_id)


def remove_rules_of_ip(store, ip_id: str) -> None:
    """Every rule on a public IP (releasing the address, deleting its network)."""
    for kind in RULE_KINDS:
        for rule in store.find(kind, ipaddressid=ip_id):
            remove_rule(store, kind, rule["id"])


def remove_rules_of_network(store, network_id: str) -> None:
    """Egress rules and any rule left on a network that goes away."""
    for kind in RULE_KINDS:
        for rule in store.find(kind, networkid=network_id):
            remove_rule(store, kind, rule["id"])


def remove_rules_of_vm(store, vm_id: str, network_id: str | None = None) -> None:
    """A VM leaves a network (NIC released): its forwarding rules, LB mappings and static NAT go."""
    for rule in store.find("portforwardingrule", virtualmachineid=vm_id):
        if network_id is None or rule.get("networkid") == network_id:
            remove_rule(store, "portforwardingrule", rule["id"])
    for mapping in store.find("lbvmmap", virtualmachineid=vm_id):
        lb = store.get("loadbalancerrule", mapping["lbruleid"]) or {}
        if network_id is None or lb.get("networkid") == network_id:
            store.delete("lbvmmap", mapping["id"])
    for ip in store.find("publicipaddress", virtualmachineid=vm_id, isstaticnat=True):
        if network_id is None or ip.get("associatednetworkid") == network_id:
            store.update("publicipaddress", ip["id"], isstaticnat=False, virtualmachineid=None, vmipaddress=None)


# --- conserve mode --------------------------------------------------------------------------------------
#
# An isolated network whose offering has conservemode=false lets each public IP serve one service only
# (NetworkModelImpl.checkIpForService / canIpUsedForNonConserveService); firewall rules do not count and
# may always be added.

_SERVICE_OF_KIND = {"portforwardingrule": "PortForwarding", "loadbalancerrule": "Lb"}


def ip_services(store, ip: dict) -> set[str]:
    """The services a public IP is used for, firewall rules aside (NetworkModelImpl.getIpToServices; the
    simulator has no remote-access VPN yet, so Vpn is not among them)."""
    used = set()
    if ip.get("issourcenat"):
        used.add("SourceNat")
    if ip.get("isstaticnat"):
        used.add("StaticNat")
    for kind, service in _SERVICE_OF_KIND.items():
        if active_rules(store, kind, ipaddressid=ip["id"]):
            used.add(service)
    return used


def check_ip_for_service(store, ip: dict, network: dict, offering: dict, service: str) -> None:
    """431 when a non-conserve-mode isolated network's IP is already used for another service."""
    if network.get("type") != "Isolated" or offering.get("conservemode", True):
        return
    used = ip_services(store, ip)
    if not used:
        return
    if len(used) != 1:
        raise errors.invalid_value(f"There are multiple services used ip {ip.get('ipaddress')}.")
    current = next(iter(used))
    if service not in (current, "Firewall"):
        raise errors.invalid_value(f"The IP {ip.get('ipaddress')} is already used as {current} rather than {service}")
