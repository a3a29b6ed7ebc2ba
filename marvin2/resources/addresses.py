"""Public IP addresses and the rules on them (firewall, port forwarding, load balancing)."""
from __future__ import annotations

from typing import Any

from marvin2.resources.base import OnCreated, call, create_async
from marvin2.resources.errors import AlreadyGone, DependentResource, is_gone_error
from marvin2.resources.kinds import ResourceKind, find_by_id, register, simple_delete


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


PUBLIC_IP = register(ResourceKind(
    name="public_ip", label="public IP address", list_api="listPublicIpAddresses",
    delete=delete_public_ip, rank=50, tag_type="PublicIpAddress",
    gone_states=frozenset({"Free", "Releasing"}), name_searchable=False,
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


def acquire_public_ip(
    api: Any, *, networkid: str | None = None, vpcid: str | None = None, zoneid: str | None = None,
    run_id: str | None = None, on_created: OnCreated | None = None, timeout: float | None = None, **params: Any,
) -> Any:
    """associateIpAddress for a network or VPC; returns the public IP record."""
    if not (networkid or vpcid or zoneid):
        raise ValueError("acquire_public_ip needs networkid=, vpcid= or zoneid=")
    params = {"networkid": networkid, "vpcid": vpcid, "zoneid": zoneid, **params}
    return create_async(api, "public_ip", "associateIpAddress", params, result_keys=("ipaddress",),
                        on_created=on_created, run_id=run_id, tag_type=PUBLIC_IP.tag_type, timeout=timeout)


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
