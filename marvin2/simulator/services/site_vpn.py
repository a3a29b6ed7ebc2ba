"""Site-to-site VPN: VPN gateways of VPCs, customer gateways and the connections between them. The rules of
CloudStack 4.20's Site2SiteVpnManagerImpl.

- ``s2svpngateway``: one per VPC, on the VPC's source NAT address (``publicipid``), owned by the VPC's owner;
- ``s2scustomergateway``: the peer (``gateway`` IPv4 or DNS name, ``cidrlist``, IPsec PSK, IKE/ESP policies
  ``cipher-hash[;modpN]``, lifetimes at most a day, dpd, forceencap, splitconnections, ikeversion), unique name
  per account (default ``VPN-<gateway>``), at most ``site2site.vpn.customergateway.subnets.limit`` peer CIDRs that
  must not overlap each other;
- ``s2svpnconnection``: one per (VPN gateway, customer gateway) of the same account, at most
  ``site2site.vpn.vpngateway.connection.limit`` per VPN gateway, peer CIDRs not overlapping the VPC's nor the
  other connections' peers. Created Pending; starting makes a passive one Disconnected and an active one
  Connecting. The simulated peer always answers, so an active connection is Connected once its job has ended;
  reset stops and starts it again.
A gateway or customer gateway with connections cannot be deleted.
"""
from __future__ import annotations

import ipaddress
import re

from marvin2.simulator import errors, facts
from marvin2.simulator.services import java_text

GATEWAY_KIND = "s2svpngateway"
CUSTOMER_KIND = "s2scustomergateway"
CONNECTION_KIND = "s2svpnconnection"
_DOMAIN_NAME = re.compile(r"^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)*[a-zA-Z]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$")
_CIPHERS = ("3des", "aes128", "aes192", "aes256")
_HASHES = ("md5", "sha1", "sha256", "sha384", "sha512")
_GROUPS = ("modp1024", "modp1536", "modp2048", "modp3072", "modp4096", "modp6144", "modp8192")
DAY = 86400


def _setting_int(ctx, name: str, fallback: int) -> int:
    known = facts.settings().get(name)
    try:
        return int(ctx.config(name, known.default if known else str(fallback)))
    except (TypeError, ValueError):
        return fallback


def java_ref(store, label: str, kind: str, row: dict, with_name: bool = True) -> str:
    return java_text.ref(store, label, kind, row, name=with_name)


def _overlap(a: str, b: str) -> bool:
    return ipaddress.IPv4Network(a, strict=False).overlaps(ipaddress.IPv4Network(b, strict=False))


def valid_policy(kind: str, policies: str | None) -> bool:
    """NetUtils.isValidS2SVpnPolicy: ``cipher-hash[;group]`` items; IKE ones need the DH group."""
    if not policies:
        return False
    for policy in policies.split(","):
        cipher_hash, _, group = policy.partition(";")
        parts = cipher_hash.split("-")
        if not policy or len(parts) != 2 or parts[0] not in _CIPHERS or parts[1] not in _HASHES:
            return False
        if not group and kind == "ike":
            return False
        if group and group.split(";")[0] not in _GROUPS:
            return False
    return True


def _valid_cidr_list(text: str | None) -> bool:
    if not text or not text.strip():
        return False
    for cidr in text.split(","):
        try:
            ipaddress.IPv4Network(cidr.strip(), strict=False)
        except ValueError:
            return False
        if "/" not in cidr:
            return False
    return True


def forget_orphans(store) -> None:
    """What 4.20 cleans up elsewhere: a deleted VPC takes its VPN gateway and connections with it
    (cleanupVpnGatewayByVpc), a deleted account its customer gateways (deleteCustomerGatewayByAccount)."""
    def gone(kind: str, row_id: str | None) -> bool:
        row = store.get(kind, row_id) if row_id else None
        return row is None or bool(row.get("removed"))

    for gateway in store.find(GATEWAY_KIND):
        if gone("vpc", gateway["vpcid"]) or gone("account", gateway.get("accountid")):
            store.delete_where(CONNECTION_KIND, vpngatewayid=gateway["id"])
            store.delete(GATEWAY_KIND, gateway["id"])
    for customer in store.find(CUSTOMER_KIND):
        if gone("account", customer.get("accountid")):
            store.delete_where(CONNECTION_KIND, customergatewayid=customer["id"])
            store.delete(CUSTOMER_KIND, customer["id"])


# --- VPN gateways -------------------------------------------------------------------------------------------


def create_gateway(ctx, vpc: dict, for_display: bool | None) -> dict:
    store = ctx.store
    if store.find_one(GATEWAY_KIND, vpcid=vpc["id"]) is not None:
        raise errors.invalid_value(f"The VPN gateway of VPC {java_ref(store, 'VPC', 'vpc', vpc)} already existed!")
    ips = [ip for ip in store.find("publicipaddress", vpcid=vpc["id"], issourcenat=True) if ip.get("state") != "Free"]
    if len(ips) != 1:
        raise errors.internal_error(f"Cannot found source nat ip of vpc {java_ref(store, 'VPC', 'vpc', vpc)}")
    return store.insert(GATEWAY_KIND, {"vpcid": vpc["id"], "publicipid": ips[0]["id"],
                                       "fordisplay": True if for_display is None else bool(for_display),
                                       "accountid": vpc["accountid"], "domainid": vpc["domainid"]})


def delete_gateway(store, gateway: dict) -> None:
    if store.find_one(CONNECTION_KIND, vpngatewayid=gateway["id"]) is not None:
        raise errors.invalid_value(f"Unable to delete VPN gateway "
                                   f"{java_ref(store, 'Site2SiteVpnGateway', GATEWAY_KIND, gateway, False)} because "
                                   f"there is still related VPN connections!")
    store.delete(GATEWAY_KIND, gateway["id"])


# --- customer gateways --------------------------------------------------------------------------------------


def customer_fields(ctx, params: dict, *, update: bool) -> dict:
    """The checked fields of a create/update (InvalidParameterValueException texts of 4.20; update's two policy
    texts lack a space, as in 4.20)."""
    gateway = params["gateway"]
    try:
        ipaddress.IPv4Address(gateway)
    except ValueError:
        if not _DOMAIN_NAME.match(gateway or ""):
            raise errors.invalid_value(f"The customer gateway ip/Domain {gateway} is invalid!") from None
    name = params.get("name") or f"VPN-{gateway}"
    cidrs = params["cidrlist"]
    if not _valid_cidr_list(cidrs):
        raise errors.invalid_value(f"The customer gateway peer cidr list {cidrs} contains an invalid cidr!")
    space = "" if update else " "
    if not valid_policy("ike", params["ikepolicy"]):
        raise errors.invalid_value(f"The customer gateway IKE policy{space}{params['ikepolicy']} is invalid!  Verify the "
                                   f"required Diffie Hellman (DH) group is specified.")
    if not valid_policy("esp", params["esppolicy"]):
        raise errors.invalid_value(f"The customer gateway ESP policy{space}{params['esppolicy']} is invalid!")
    ike_lifetime = params.get("ikelifetime") if params.get("ikelifetime") is not None else DAY
    if ike_lifetime > DAY:
        raise errors.invalid_value(f"The IKE lifetime {ike_lifetime} of vpn connection is invalid!")
    esp_lifetime = params.get("esplifetime") if params.get("esplifetime") is not None else 3600
    if esp_lifetime > DAY:
        raise errors.invalid_value(f"The ESP lifetime {esp_lifetime} of vpn connection is invalid!")
    items = [c.strip() for c in cidrs.split(",")]
    limit = _setting_int(ctx, "site2site.vpn.customergateway.subnets.limit", 10)
    if len(items) > limit:
        raise errors.invalid_value(f"Too many subnets of customer gateway! The limit is {limit}")
    for i, first in enumerate(items):
        for second in items[i + 1:]:
            if _overlap(first, second):
                raise errors.invalid_value(f"The subnet of customer gateway {first} is overlapped with another subnet "
                                           f"{second} of customer gateway!")
    return {"name": name, "gateway": gateway, "cidrlist": cidrs, "ipsecpsk": params["ipsecpsk"],
            "ikepolicy": params["ikepolicy"], "esppolicy": params["esppolicy"], "ikelifetime": ike_lifetime,
            "esplifetime": esp_lifetime, "dpd": bool(params.get("dpd")), "forceencap": bool(params.get("forceencap")),
            "splitconnections": bool(params.get("splitconnections")),
            "ikeversion": params.get("ikeversion") or None}


def create_customer(ctx, owner: dict, params: dict) -> dict:
    fields = customer_fields(ctx, params, update=False)
    if ctx.store.find_one(CUSTOMER_KIND, accountid=owner["id"], name=fields["name"]) is not None:
        raise errors.invalid_value(f"The customer gateway with name {fields['name']} already existed!")
    fields["ikeversion"] = fields["ikeversion"] or "ike"
    return ctx.store.insert(CUSTOMER_KIND, {**fields, "accountid": owner["id"], "domainid": owner["domainid"]})


def update_customer(ctx, row: dict, params: dict) -> dict:
    store = ctx.store
    fields = customer_fields(ctx, params, update=True)
    same = store.find_one(CUSTOMER_KIND, accountid=row["accountid"], name=fields["name"])
    if same is not None and same["id"] != row["id"]:
        raise errors.invalid_value(f"The customer gateway with name {fields['name']} already existed!")
    if fields["ikeversion"] is None:
        fields.pop("ikeversion")
    row = store.update(CUSTOMER_KIND, row["id"], **fields)
    for connection in store.find(CONNECTION_KIND, customergatewayid=row["id"]):
        if connection["state"] != "Pending" and ctx.can_access(connection):
            settle(store, start_connection(store, connection))     # restarted with the new settings
    return row


def delete_customer(store, row: dict) -> None:
    if store.find_one(CONNECTION_KIND, customergatewayid=row["id"]) is not None:
        raise errors.invalid_value(f"Unable to delete VPN customer gateway "
                                   f"{java_ref(store, 'Site2SiteCustomerGateway', CUSTOMER_KIND, row)} because there "
                                   f"is still related VPN connections!")
    store.delete(CUSTOMER_KIND, row["id"])


# --- connections ---------------------------------------------------------------------------------------------


def create_connection(ctx, gateway: dict, customer: dict, passive: bool, for_display: bool | None) -> dict:
    store = ctx.store
    if customer["accountid"] != gateway["accountid"] or customer["domainid"] != gateway["domainid"]:
        raise errors.invalid_value("VPN connection can only be established between same account's VPN gateway and "
                                   "customer gateway!")
    if store.find_one(CONNECTION_KIND, vpngatewayid=gateway["id"], customergatewayid=customer["id"]) is not None:
        raise errors.invalid_value(
            f"The vpn connection with customer gateway {java_ref(store, 'Site2SiteCustomerGateway', CUSTOMER_KIND, customer)} "
            f"and vpn gateway {java_ref(store, 'Site2SiteVpnGateway', GATEWAY_KIND, gateway, False)} already existed!")
    vpc = store.get("vpc", gateway["vpcid"]) or {}
    cidrs = [c.strip() for c in customer["cidrlist"].split(",")]
    for cidr in cidrs:
        if vpc.get("cidr") and _overlap(vpc["cidr"], cidr):
            raise errors.invalid_value(
                f"The subnets of customer gateway {java_ref(store, 'Site2SiteCustomerGateway', CUSTOMER_KIND, customer)} "
                f"subnet {cidr} is overlapped with VPC cidr {vpc['cidr']}!")
    existing = store.find(CONNECTION_KIND, vpngatewayid=gateway["id"])
    limit = _setting_int(ctx, "site2site.vpn.vpngateway.connection.limit", 4)
    if len(existing) >= limit:
        raise errors.invalid_value(f"There are too many VPN connections with current VPN gateway! The limit is {limit}")
    for connection in existing:
        other = store.get(CUSTOMER_KIND, connection["customergatewayid"]) or {"cidrlist": "", "name": None}
        for old in filter(None, (c.strip() for c in other["cidrlist"].split(","))):
            for cidr in cidrs:
                if _overlap(cidr, old):
                    raise errors.invalid_value(f"The new connection's remote subnet {cidr} is overlapped with existed "
                                               f"VPN connection to customer gateway {other['name']}'s subnet {old}")
    return store.insert(CONNECTION_KIND, {
        "vpngatewayid": gateway["id"], "customergatewayid": customer["id"], "passive": bool(passive),
        "state": "Pending", "fordisplay": True if for_display is None else bool(for_display),
        "accountid": gateway["accountid"], "domainid": gateway["domainid"]})


def start_connection(store, connection: dict) -> dict:
    """startVpnConnection: Pending/Disconnected → Disconnected (passive) or Connecting (active)."""
    current = store.get(CONNECTION_KIND, connection["id"])
    if current["state"] in ("Connected", "Connecting", "Error"):
        current = store.update(CONNECTION_KIND, current["id"], state="Disconnected")
    if current["state"] not in ("Pending", "Disconnected"):
        raise errors.invalid_value("Site to site VPN connection with specified connectionId not in correct state(pending "
                                   "or disconnected) to process!")
    return store.update(CONNECTION_KIND, current["id"], state="Disconnected" if current.get("passive") else "Connecting")


def settle(store, connection: dict) -> dict:
    """The simulated peer answers: an active connection that is Connecting becomes Connected."""
    current = store.get(CONNECTION_KIND, connection["id"])
    if current is not None and current["state"] == "Connecting":
        current = store.update(CONNECTION_KIND, current["id"], state="Connected")
    return current


def reset_connection(store, connection: dict) -> dict:
    store.update(CONNECTION_KIND, connection["id"], state="Disconnected")
    return start_connection(store, connection)


def delete_connection(store, connection: dict) -> None:
    store.delete(CONNECTION_KIND, connection["id"])
