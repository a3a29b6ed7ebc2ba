"""Public IP addresses and the rules on them (firewall, port forwarding, load balancing), egress rules."""
from __future__ import annotations

from typing import Any

from marvin2.resources.base import OnCreated, call, create_async
from marvin2.resources.errors import AlreadyGone, DependentResource, is_gone_error
from marvin2.resources.kinds import ResourceKind, find_by_id, ownership_of, register, simple_delete


def delete_public_ip(api: Any, ip_id: str, *, timeout: float | None = None) -> None:
    """disassociateIpAddress; a network's source NAT IP may have to go with its network instead.

    The first IP acquired for an isolated network that is not implemented
    yet becomes its source NAT IP; a server releases it on request only
    while the network is still Allocated, and with the network otherwise.
    """
    record = find_by_id(api, PUBLIC_IP, ip_id)
    if record is None or record.get("state") in PUBLIC_IP.gone_states:
        raise AlreadyGone(f"public IP {ip_id} is not allocated")
    try:
        call(api, "disassociateIpAddress", timeout=timeout, id=ip_id)
    except Exception as error:
        if is_gone_error(error) or record.get("issourcenat") is not True:
            raise
        # The network's delete releases it, and with it its tags (the run tag too).
        raise DependentResource(
            f"public IP {record.get('ipaddress', ip_id)} is the source NAT IP of network "
            f"{record.get('associatednetworkid') or record.get('vpcid')}; it is released when that network (or VPC) "
            f"is deleted ({getattr(error, 'errortext', error)})") from error


def public_ip_ownership(record: Any) -> dict:
    """Who an address is allocated to: its account (or project) and domain, and its VPC or else its network.

    A released address keeps its id (the row of its range stays, as on a real
    server) and the next acquisition, by anyone, gets the same id: these
    fields tell the allocation a test made from a later one. (A VPC address's
    network changes with its rules, so its VPC is what counts.)
    """
    owner = "projectid" if record.get("projectid") else "account"
    place = "vpcid" if record.get("vpcid") else "associatednetworkid"
    return {key: record.get(key) for key in ("domainid", owner, place) if record.get(key)}


PUBLIC_IP = register(ResourceKind(
    name="public_ip", label="public IP address", list_api="listPublicIpAddresses",
    delete=delete_public_ip, rank=50, tag_type="PublicIpAddress",
    gone_states=frozenset({"Free", "Releasing"}), name_searchable=False, ownership=public_ip_ownership,
))

FIREWALL_RULE = register(ResourceKind(
    name="firewall_rule", label="firewall rule", list_api="listFirewallRules",
    delete=simple_delete("deleteFirewallRule"), rank=25, tag_type="FirewallRule", name_searchable=False,
))

PORT_FORWARDING_RULE = register(ResourceKind(
    name="port_forwarding_rule", label="port forwarding rule", list_api="listPortForwardingRules",
    delete=simple_delete("deletePortForwardingRule"), rank=25, tag_type="PortForwardingRule", name_searchable=False,
))

LB_RULE = register(ResourceKind(
    name="lb_rule", label="load balancer rule", list_api="listLoadBalancerRules",
    delete=simple_delete("deleteLoadBalancerRule"), rank=25, tag_type="LoadBalancer",
))

EGRESS_RULE = register(ResourceKind(
    name="egress_rule", label="egress firewall rule", list_api="listEgressFirewallRules",
    delete=simple_delete("deleteEgressFirewallRule"), rank=25, name_searchable=False,
))


def acquire_public_ip(
    api: Any, *, networkid: str | None = None, vpcid: str | None = None, zoneid: str | None = None,
    run_id: str | None = None, on_created: OnCreated | None = None, timeout: float | None = None, **params: Any,
) -> Any:
    """associateIpAddress for a network or VPC; returns the public IP record.

    The new address's owner and network are looked up (one list call) before
    ``on_created`` hears of it: the address keeps its id once released and
    may then go to another account, so its cleanup checks it is still ours.
    """
    if not (networkid or vpcid or zoneid):
        raise ValueError("acquire_public_ip needs networkid=, vpcid= or zoneid=")
    params = {"networkid": networkid, "vpcid": vpcid, "zoneid": zoneid, **params}

    def identify(ip_id: str, record: Any) -> dict | None:
        try:
            found = ownership_of(PUBLIC_IP, record if record is not None else find_by_id(api, PUBLIC_IP, ip_id)) or {}
        except Exception:  # noqa: BLE001 - what the request named is still worth checking
            found = {}
        # A real server ties the address to its network or VPC only in the job: while it is Allocating the
        # record may not say yet where it goes; the request does.
        if not {"vpcid", "associatednetworkid"} & set(found):
            if vpcid:
                found["vpcid"] = vpcid
            elif networkid:
                found["associatednetworkid"] = networkid
        return found or None

    return create_async(api, "public_ip", "associateIpAddress", params, result_keys=("ipaddress",),
                        on_created=on_created, run_id=run_id, tag_type=PUBLIC_IP.tag_type, timeout=timeout,
                        identify=identify)


def create_firewall_rule(
    api: Any, *, ipaddressid: str, protocol: str = "tcp", startport: int | None = None, endport: int | None = None,
    cidrlist: list[str] | None = None, run_id: str | None = None, on_created: OnCreated | None = None,
    timeout: float | None = None, **params: Any,
) -> Any:
    params = {"ipaddressid": ipaddressid, "protocol": protocol, "startport": startport,
              "endport": endport if endport is not None else startport, "cidrlist": cidrlist, **params}
    return create_async(api, "firewall_rule", "createFirewallRule", params, result_keys=("firewallrule",),
                        on_created=on_created, run_id=run_id, tag_type=FIREWALL_RULE.tag_type, timeout=timeout)


def create_port_forwarding_rule(
    api: Any, *, ipaddressid: str, virtualmachineid: str, privateport: int, publicport: int | None = None,
    protocol: str = "tcp", run_id: str | None = None, on_created: OnCreated | None = None,
    timeout: float | None = None, **params: Any,
) -> Any:
    params = {"ipaddressid": ipaddressid, "virtualmachineid": virtualmachineid, "privateport": privateport,
              "publicport": publicport if publicport is not None else privateport, "protocol": protocol, **params}
    return create_async(api, "port_forwarding_rule", "createPortForwardingRule", params,
                        result_keys=("portforwardingrule",), on_created=on_created, run_id=run_id,
                        tag_type=PORT_FORWARDING_RULE.tag_type, timeout=timeout)


def create_lb_rule(
    api: Any, *, publicipid: str, name: str, privateport: int, publicport: int, algorithm: str = "roundrobin",
    run_id: str | None = None, on_created: OnCreated | None = None, timeout: float | None = None, **params: Any,
) -> Any:
    params = {"publicipid": publicipid, "name": name, "privateport": privateport, "publicport": publicport,
              "algorithm": algorithm, **params}
    return create_async(api, "lb_rule", "createLoadBalancerRule", params, result_keys=("loadbalancer",),
                        on_created=on_created, run_id=run_id, tag_type=LB_RULE.tag_type, timeout=timeout)


def create_egress_rule(
    api: Any, *, networkid: str, protocol: str = "tcp", on_created: OnCreated | None = None,
    timeout: float | None = None, **params: Any,
) -> Any:
    """createEgressFirewallRule (async) on an isolated network; returns the rule."""
    params = {"networkid": networkid, "protocol": protocol, **params}
    return create_async(api, EGRESS_RULE.name, "createEgressFirewallRule", params, result_keys=("firewallrule",),
                        on_created=on_created, timeout=timeout)
