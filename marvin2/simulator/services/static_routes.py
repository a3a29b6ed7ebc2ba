"""VPC static routes: a CIDR routed through one of the VPC's private gateways.

A route is a ``staticroute`` row (``gatewayid``, ``vpcid``, ``cidr``, ``state``, owner = the VPC's owner). It
is ``Add`` once created and ``Active`` when the job has applied it; deleting marks it ``Revoke`` and the job
removes it. A route whose gateway is gone (deletePrivateGateway and deleteVPC remove gateways without looking
at routes) is dropped the next time routes are read.
"""
from __future__ import annotations

import ipaddress

from marvin2.simulator import errors

KIND = "staticroute"
LINK_LOCAL = "169.254.0.0/16"


def _overlap(a: str, b: str) -> bool:
    return ipaddress.ip_network(a, strict=False).overlaps(ipaddress.ip_network(b, strict=False))


def _valid_ipv4_cidr(text: str) -> bool:
    if "/" not in text:
        return False
    try:
        ipaddress.IPv4Network(text, strict=False)
    except ValueError:
        return False
    return True


def check_new(store, gateway: dict, vpc: dict | None, cidr: str, denied_routes: str) -> None:
    """VpcManagerImpl.createStaticRoute's checks, in its order (the caller checks access to the VPC)."""
    if gateway.get("state") != "Ready":
        raise errors.invalid_value(f"Gateway is not in the Ready state: {gateway.get('state')}")
    if vpc is None or vpc.get("removed"):
        raise errors.invalid_value("Can't add static route to VPC that is being deleted")
    if not _valid_ipv4_cidr(cidr):
        raise errors.invalid_value(f"Invalid format for cidr {cidr}")
    if _overlap(vpc["cidr"], cidr):
        raise errors.invalid_value(f"CIDR should be outside of VPC cidr {vpc['cidr']}")
    if _overlap(cidr, LINK_LOCAL):
        raise errors.invalid_value(f"CIDR should be outside of link local cidr {LINK_LOCAL}")
    for denied in (d.strip() for d in (denied_routes or "").split(",")):
        if denied and _valid_ipv4_cidr(denied) and _overlap(denied, cidr):
            raise errors.invalid_value("The static gateway cidr overlaps with one of the denied routes of the zone "
                                       "the VPC belongs to")


def add(store, gateway: dict, vpc: dict, cidr: str) -> dict:
    for route in live(store, vpcid=vpc["id"]):
        if route.get("state") != "Revoke" and _overlap(route["cidr"], cidr):
            raise errors.ApiError(537, f"New static route cidr conflicts with existing route "
                                       f"StaticRoute[{route['id']}|{route['cidr']}|{route['gatewayid']}]",
                                  errors.CS_SERVER)
    return store.insert(KIND, {"gatewayid": gateway["id"], "vpcid": vpc["id"], "cidr": cidr, "state": "Add",
                               "accountid": vpc["accountid"], "domainid": vpc["domainid"]})


def live(store, **equal) -> list[dict]:
    """Routes whose gateway still exists (the others are dropped)."""
    out = []
    for route in store.find(KIND, **equal):
        if store.get("privategateway", route["gatewayid"]) is None:
            store.delete(KIND, route["id"])
            continue
        out.append(route)
    return out
