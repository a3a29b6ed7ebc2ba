"""Site-to-site VPN: VPN gateways, customer gateways and connections (thin: the rules are in
services/site_vpn.py). The three creates are create-style async commands (the id at once, checks in the
request); deletes, updates and reset check when their job runs, as 4.20 does."""
from __future__ import annotations

from marvin2.simulator import errors
from marvin2.simulator.context import SUCCESS, Job
from marvin2.simulator.declare import ACCOUNT_SCOPE, PAGING, P, api, declare_object
from marvin2.simulator.services import site_vpn as s2s
from marvin2.simulator.services.common import (
    check_owned,
    list_owned,
    owner_fields,
    owner_for_create,
    record_event,
)

_POLICY_FIELDS = ("ipsecpsk", "ikepolicy", "esppolicy", "ikelifetime", "esplifetime", "dpd", "forceencap",
                  "splitconnections", "ikeversion")
_OWNER = {"account": "owner", "domainid": "owner domain id", "domain": "owner domain", "domainpath": "its path",
          "projectid": "owning project", "project": "its name"}
declare_object("vpngateway", {"id": "gateway id", "publicip": "the VPC's source NAT address", "vpcid": "VPC id",
                              "vpcname": "VPC name", "fordisplay": ("boolean", "shown to users"), **_OWNER})
declare_object("vpncustomergateway", {"id": "customer gateway id", "name": "name", "gateway": "peer address",
                                      "ipaddress": "peer address", "cidrlist": "peer CIDRs",
                                      **{f: f for f in _POLICY_FIELDS}, **_OWNER})
declare_object("vpnconnection", {"id": "connection id", "s2svpngatewayid": "VPN gateway", "publicip": "its address",
                                 "s2scustomergatewayid": "customer gateway", "gateway": "peer address",
                                 "cidrlist": "peer CIDRs", "state": "Pending, Connecting, Connected, Disconnected, Error",
                                 "passive": ("boolean", "waits for the peer"), "created": ("date", "created"),
                                 "fordisplay": ("boolean", "shown to users"), **{f: f for f in _POLICY_FIELDS},
                                 **_OWNER})

_CUSTOMER_PARAMS = [P("name", "name (default VPN-<gateway>)"), P("gateway", "peer IPv4 address or DNS name"),
                    P("cidrlist", "peer CIDRs, comma separated"), P("ipsecpsk", "IPsec preshared key"),
                    P("ikepolicy", "cipher-hash;modpN"), P("esppolicy", "cipher-hash[;modpN]"),
                    P("ikelifetime", "seconds (default 86400)"), P("esplifetime", "seconds (default 3600)"),
                    P("dpd", "dead peer detection"), P("forceencap", "force UDP encapsulation"),
                    P("splitconnections", "one connection per peer CIDR"), P("ikeversion", "ike, ikev1 or ikev2")]


def _ip_text(store, ip_id: str | None) -> str | None:
    ip = store.get("publicipaddress", ip_id) if ip_id else None
    return ip["ipaddress"] if ip else None


def render_gateway(ctx, row: dict) -> dict:
    vpc = ctx.store.get("vpc", row["vpcid"]) or {}
    return {"id": row["id"], "publicip": _ip_text(ctx.store, row["publicipid"]), "vpcid": row["vpcid"],
            "vpcname": vpc.get("name"), "fordisplay": row.get("fordisplay", True), **owner_fields(ctx, row)}


def render_customer(ctx, row: dict) -> dict:
    return {"id": row["id"], "name": row["name"], "gateway": row["gateway"], "ipaddress": row["gateway"],
            "cidrlist": row["cidrlist"], **{f: row.get(f) for f in _POLICY_FIELDS}, **owner_fields(ctx, row)}


def render_connection(ctx, row: dict) -> dict:
    store = ctx.store
    gateway = store.get(s2s.GATEWAY_KIND, row["vpngatewayid"]) or {}
    customer = store.get(s2s.CUSTOMER_KIND, row["customergatewayid"]) or {}
    return {"id": row["id"], "s2svpngatewayid": row["vpngatewayid"], "publicip": _ip_text(store, gateway.get("publicipid")),
            "s2scustomergatewayid": row["customergatewayid"], "gateway": customer.get("gateway"),
            "cidrlist": customer.get("cidrlist"), **{f: customer.get(f) for f in _POLICY_FIELDS},
            "state": row["state"], "passive": bool(row.get("passive")), "created": row.get("created"),
            "fordisplay": row.get("fordisplay", True), **owner_fields(ctx, row)}


def _event(ctx, event_type: str, text: str, row: dict, kind: str) -> None:
    record_event(ctx, event_type, text, resource_id=row["id"], resource_type=kind,
                 account=ctx.store.get("account", row.get("accountid")))


def _owned(ctx, kind: str, row_id: str, missing: str, what: str) -> dict:
    row = ctx.store.get(kind, row_id)
    if row is None:
        raise errors.invalid_value(missing)
    check_owned(ctx, row, what)
    return row


# --- VPN gateways ---------------------------------------------------------------------------------------------


@api("createVpnGateway", response="vpngateway", instance_type="None", related="listVpnGateways,createVpnConnection",
     description="Creates the site-to-site VPN gateway of a VPC on its source NAT address.",
     params=[P("vpcid", "the VPC", entity="vpc"), P("fordisplay", "shown to users")])
def create_vpn_gateway(ctx):
    s2s.forget_orphans(ctx.store)
    vpc = ctx.store.get("vpc", ctx.get("vpcid"))
    if vpc.get("removed"):
        raise errors.invalid_value(f"Invalid VPC {vpc['id']} for site to site vpn gateway creation!")
    check_owned(ctx, vpc, "VPC")
    row = s2s.create_gateway(ctx, vpc, ctx.get("fordisplay"))

    def run(jctx):
        _event(jctx, "VPN.S2S.GATEWAY.CREATE", "creating s2s vpn gateway", row, "VpnGateway")
        return render_gateway(jctx, jctx.store.get(s2s.GATEWAY_KIND, row["id"]))

    return Job(run, entity_id=row["id"], on_failure=lambda jctx, error: jctx.store.delete(s2s.GATEWAY_KIND, row["id"]))


@api("listVpnGateways", response="vpngateway", related="createVpnGateway",
     description="Lists site-to-site VPN gateways.",
     params=[*PAGING, *ACCOUNT_SCOPE, P("id", entity=""), P("vpcid", entity=""), P("fordisplay"),
             P("projectid", entity="project")])
def list_vpn_gateways(ctx):
    s2s.forget_orphans(ctx.store)
    def match(row):
        return ((not ctx.has("vpcid") or row["vpcid"] == ctx.get("vpcid"))
                and (not ctx.has("fordisplay") or row.get("fordisplay", True) == ctx.get("fordisplay")))

    return list_owned(ctx, s2s.GATEWAY_KIND, lambda r: render_gateway(ctx, r), match=match, keyword_fields=("vpcid",))


@api("updateVpnGateway", response="vpngateway", instance_type="None", related="listVpnGateways",
     description="Changes whether a VPN gateway is shown to users.",
     params=[P("id", "the gateway", entity="s2svpngateway"), P("fordisplay"), P("customid")])
def update_vpn_gateway(ctx):
    s2s.forget_orphans(ctx.store)
    gateway_id = ctx.get("id")

    def run(jctx):
        row = _owned(jctx, s2s.GATEWAY_KIND, gateway_id, f"Fail to find vpn gateway with {gateway_id}", "VpnGateway")
        if jctx.has("fordisplay"):
            row = jctx.store.update(s2s.GATEWAY_KIND, row["id"], fordisplay=bool(jctx.get("fordisplay")))
        return render_gateway(jctx, row)

    return Job(run, instance_id=gateway_id)


@api("deleteVpnGateway", response="success", instance_type="None", related="createVpnGateway",
     description="Deletes a VPN gateway that has no connections.", params=[P("id", "the gateway", entity="s2svpngateway")])
def delete_vpn_gateway(ctx):
    s2s.forget_orphans(ctx.store)
    gateway_id = ctx.get("id")

    def run(jctx):
        row = _owned(jctx, s2s.GATEWAY_KIND, gateway_id,
                     f"Unable to find specified Site to Site VPN gateway {gateway_id} !", "VpnGateway")
        s2s.delete_gateway(jctx.store, row)
        _event(jctx, "VPN.S2S.GATEWAY.DELETE", "deleting s2s vpn gateway", row, "VpnGateway")
        return SUCCESS

    return Job(run, instance_id=gateway_id)


# --- customer gateways ------------------------------------------------------------------------------------------


@api("createVpnCustomerGateway", response="vpncustomergateway", instance_type="None",
     related="listVpnCustomerGateways,createVpnConnection",
     description="Describes the peer of a site-to-site VPN: its address, CIDRs, preshared key and IPsec policies.",
     params=[*_CUSTOMER_PARAMS, P("account"), P("domainid"), P("projectid", entity="project")])
def create_vpn_customer_gateway(ctx):
    s2s.forget_orphans(ctx.store)
    owner = owner_for_create(ctx)
    row = s2s.create_customer(ctx, owner, ctx.params)

    def run(jctx):
        _event(jctx, "VPN.S2S.CUSTOMER.GATEWAY.CREATE", "creating s2s customer gateway", row, "VpnCustomerGateway")
        return render_customer(jctx, jctx.store.get(s2s.CUSTOMER_KIND, row["id"]))

    return Job(run, entity_id=row["id"], on_failure=lambda jctx, error: jctx.store.delete(s2s.CUSTOMER_KIND, row["id"]))


@api("listVpnCustomerGateways", response="vpncustomergateway", related="createVpnCustomerGateway",
     description="Lists site-to-site VPN customer gateways.",
     params=[*PAGING, *ACCOUNT_SCOPE, P("id", entity=""), P("projectid", entity="project")])
def list_vpn_customer_gateways(ctx):
    s2s.forget_orphans(ctx.store)
    return list_owned(ctx, s2s.CUSTOMER_KIND, lambda r: render_customer(ctx, r), keyword_fields=("name",))


@api("updateVpnCustomerGateway", response="vpncustomergateway", instance_type="None",
     related="listVpnCustomerGateways",
     description="Changes a customer gateway; its established connections restart with the new settings.",
     params=[P("id", "the customer gateway", entity="s2scustomergateway"), *_CUSTOMER_PARAMS, P("account"), P("domainid")])
def update_vpn_customer_gateway(ctx):
    s2s.forget_orphans(ctx.store)
    gateway_id = ctx.get("id")

    def run(jctx):
        row = _owned(jctx, s2s.CUSTOMER_KIND, gateway_id, f"Find to find customer gateway with id {gateway_id}",
                     "VpnCustomerGateway")
        row = s2s.update_customer(jctx, row, jctx.params)
        _event(jctx, "VPN.S2S.CUSTOMER.GATEWAY.UPDATE", "update s2s vpn customer gateway", row, "VpnCustomerGateway")
        return render_customer(jctx, row)

    return Job(run, instance_id=gateway_id)


@api("deleteVpnCustomerGateway", response="success", instance_type="None", related="createVpnCustomerGateway",
     description="Deletes a customer gateway that has no connections.",
     params=[P("id", "the customer gateway", entity="s2scustomergateway")])
def delete_vpn_customer_gateway(ctx):
    s2s.forget_orphans(ctx.store)
    gateway_id = ctx.get("id")

    def run(jctx):
        row = _owned(jctx, s2s.CUSTOMER_KIND, gateway_id,
                     f"Unable to find specified Site to Site VPN customer gateway {gateway_id} !", "VpnCustomerGateway")
        s2s.delete_customer(jctx.store, row)
        _event(jctx, "VPN.S2S.CUSTOMER.GATEWAY.DELETE", "deleting s2s vpn customer gateway", row, "VpnCustomerGateway")
        return SUCCESS

    return Job(run, instance_id=gateway_id)


# --- connections --------------------------------------------------------------------------------------------------


@api("createVpnConnection", response="vpnconnection", instance_type="None", related="listVpnConnections",
     description="Connects a VPC's VPN gateway to a customer gateway (Pending, then Connected, or Disconnected "
                 "when passive).",
     params=[P("s2svpngatewayid", "the VPN gateway", entity="s2svpngateway"), P("s2scustomergatewayid", "the customer gateway",
                                                                  entity="s2scustomergateway"),
             P("passive", "wait for the peer to connect"), P("fordisplay")])
def create_vpn_connection(ctx):
    s2s.forget_orphans(ctx.store)
    customer = _owned(ctx, s2s.CUSTOMER_KIND, ctx.get("s2scustomergatewayid"),
                      f"Unable to find specified Site to Site VPN customer gateway {ctx.get('s2scustomergatewayid')} !",
                      "VpnCustomerGateway")
    gateway = _owned(ctx, s2s.GATEWAY_KIND, ctx.get("s2svpngatewayid"),
                     f"Unable to find specified Site to Site VPN gateway {ctx.get('s2svpngatewayid')} !", "VpnGateway")
    row = s2s.create_connection(ctx, gateway, customer, bool(ctx.get("passive")), ctx.get("fordisplay"))

    def run(jctx):
        started = s2s.start_connection(jctx.store, row)
        answer = render_connection(jctx, started)          # 4.20 answers the state the start left (Connecting)
        s2s.settle(jctx.store, started)
        _event(jctx, "VPN.S2S.CONNECTION.CREATE", "starting s2s vpn connection", row, "VpnConnection")
        return answer

    def failed(jctx, error):
        current = jctx.store.get(s2s.CONNECTION_KIND, row["id"])
        if current is not None and current["state"] == "Pending":
            jctx.store.update(s2s.CONNECTION_KIND, row["id"], state="Error")

    return Job(run, entity_id=row["id"], on_failure=failed)


@api("listVpnConnections", response="vpnconnection", related="createVpnConnection",
     description="Lists site-to-site VPN connections.",
     params=[*PAGING, *ACCOUNT_SCOPE, P("id", entity=""), P("vpcid", entity=""), P("fordisplay"),
             P("projectid", entity="project")])
def list_vpn_connections(ctx):
    s2s.forget_orphans(ctx.store)
    store = ctx.store

    def match(row):
        if ctx.has("vpcid"):
            gateway = store.get(s2s.GATEWAY_KIND, row["vpngatewayid"]) or {}
            if gateway.get("vpcid") != ctx.get("vpcid"):
                return False
        return not ctx.has("fordisplay") or row.get("fordisplay", True) == ctx.get("fordisplay")

    return list_owned(ctx, s2s.CONNECTION_KIND, lambda r: render_connection(ctx, r), match=match,
                      keyword_fields=("state",))


@api("resetVpnConnection", response="vpnconnection", instance_type="None", related="listVpnConnections",
     description="Restarts a site-to-site VPN connection.",
     params=[P("id", "the connection", entity="s2svpnconnection"), P("account"), P("domainid")])
def reset_vpn_connection(ctx):
    s2s.forget_orphans(ctx.store)
    connection_id = ctx.get("id")

    def run(jctx):
        row = _owned(jctx, s2s.CONNECTION_KIND, connection_id,
                     f"Fail to find site to site VPN connection {connection_id} to reset!", "VpnConnection")
        row = s2s.settle(jctx.store, s2s.reset_connection(jctx.store, row))
        _event(jctx, "VPN.S2S.CONNECTION.RESET", "reseting s2s vpn connection", row, "VpnConnection")
        return render_connection(jctx, row)

    return Job(run, instance_id=connection_id)


@api("updateVpnConnection", response="vpnconnection", instance_type="None", related="listVpnConnections",
     description="Changes whether a site-to-site VPN connection is shown to users.",
     params=[P("id", "the connection", entity="s2svpnconnection"), P("fordisplay"), P("customid")])
def update_vpn_connection(ctx):
    s2s.forget_orphans(ctx.store)
    connection_id = ctx.get("id")

    def run(jctx):
        row = _owned(jctx, s2s.CONNECTION_KIND, connection_id,
                     f"Fail to find site to site VPN connection {connection_id}", "VpnConnection")
        if jctx.has("fordisplay"):
            row = jctx.store.update(s2s.CONNECTION_KIND, row["id"], fordisplay=bool(jctx.get("fordisplay")))
        return render_connection(jctx, row)

    return Job(run, instance_id=connection_id)


@api("deleteVpnConnection", response="success", instance_type="None", related="createVpnConnection",
     description="Stops and deletes a site-to-site VPN connection.",
     params=[P("id", "the connection", entity="s2svpnconnection")])
def delete_vpn_connection(ctx):
    s2s.forget_orphans(ctx.store)
    connection_id = ctx.get("id")

    def run(jctx):
        row = _owned(jctx, s2s.CONNECTION_KIND, connection_id,
                     f"Fail to find site to site VPN connection {connection_id} to delete!", "VpnConnection")
        s2s.delete_connection(jctx.store, row)
        _event(jctx, "VPN.S2S.CONNECTION.DELETE", "deleting s2s vpn connection", row, "VpnConnection")
        return SUCCESS

    return Job(run, instance_id=connection_id)
