"""Remote-access VPN and VPN users (thin: the rules are in services/remote_vpn.py).

createRemoteAccessVpn is create-style (the VPN's id at once, Added; the job makes it Running),
deleteRemoteAccessVpn and updateRemoteAccessVpn are async, addVpnUser is create-style, removeVpnUser async.
"""
from __future__ import annotations

from marvin2.simulator import errors
from marvin2.simulator.context import SUCCESS, Job
from marvin2.simulator.declare import ACCOUNT_SCOPE, PAGING, P, api, declare_object
from marvin2.simulator.services import remote_vpn as vpns
from marvin2.simulator.services.common import (
    check_owned,
    list_owned,
    owner_fields,
    owner_for_create,
    record_event,
)

declare_object("remoteaccessvpn", {
    "id": "VPN id", "publicipid": "its public IP id", "publicip": "its public IP", "iprange": "client address range",
    "presharedkey": "IPsec preshared key", "account": "owner", "domainid": "owner domain id", "domain": "owner domain",
    "domainpath": "owner domain path", "projectid": "owning project", "project": "its name",
    "state": "Added, Running or Removed", "fordisplay": ("boolean", "shown to end users"),
})
declare_object("vpnuser", {
    "id": "VPN user id", "username": "user name", "account": "owner", "domainid": "owner domain id",
    "domain": "owner domain", "domainpath": "owner domain path", "projectid": "owning project", "project": "its name",
    "state": "Add, Active or Revoke",
})

_OWNER = [P("account"), P("domainid"), P("projectid", entity="project")]


def render_vpn(ctx, row: dict) -> dict:
    ip = ctx.store.get("publicipaddress", row["publicipid"]) or {}
    return {"id": row["id"], "publicipid": row["publicipid"], "publicip": ip.get("ipaddress"),
            "iprange": row["iprange"], "presharedkey": row["presharedkey"], "state": row["state"],
            "fordisplay": row.get("fordisplay", True), **owner_fields(ctx, row)}


def render_user(ctx, row: dict) -> dict:
    return {"id": row["id"], "username": row["username"], "state": row["state"], **owner_fields(ctx, row)}


def _public_ip(ctx, ip_id: str, missing: str) -> dict:
    ip = ctx.store.get("publicipaddress", ip_id)
    if ip is None or ip.get("state") == "Free" or not ip.get("accountid"):
        raise errors.invalid_value(missing)
    return ip


@api("createRemoteAccessVpn", response="remoteaccessvpn", instance_type="IpAddress",
     related="listRemoteAccessVpns,deleteRemoteAccessVpn,addVpnUser",
     description="Creates an L2TP/IPsec remote-access VPN on a network's or VPC's public IP and starts it.",
     params=[P("publicipid", "the public IP", entity="publicipaddress"),
             P("iprange", "client range (default: remote.access.vpn.client.iprange of the owner)"),
             P("account"), P("domainid"), P("openfirewall", "open UDP 500, 1701 and 4500"), P("fordisplay")])
def create_remote_access_vpn(ctx):
    ip = _public_ip(ctx, ctx.get("publicipid"), f"Unable to find ip address by id={ctx.get('publicipid')}")
    check_owned(ctx, ip, "PublicIpAddress")
    vpn, _new = vpns.create(ctx, ip, ctx.get("iprange"), ctx.get("fordisplay"))
    owner = ctx.store.get("account", vpn["accountid"])

    def run(jctx):
        row = vpns.start(jctx.store, vpn["id"])
        record_event(jctx, "VPN.REMOTE.ACCESS.CREATE", f"Create Remote Access VPN on {ip['ipaddress']}",
                     resource_id=row["id"], resource_type="RemoteAccessVpn", account=owner)
        return render_vpn(jctx, row)

    def failed(jctx, error):
        row = jctx.store.get(vpns.KIND, vpn["id"])
        if row is not None and row["state"] == vpns.ADDED:
            vpns.destroy(jctx.store, row)

    return Job(run, entity_id=vpn["id"], instance_id=ip.get("associatednetworkid") or ip["id"], on_failure=failed)


@api("deleteRemoteAccessVpn", response="success", instance_type="IpAddress",
     related="createRemoteAccessVpn,listRemoteAccessVpns",
     description="Stops and removes the remote-access VPN of a public IP (its VPN users stay with the account).",
     params=[P("publicipid", "the public IP", entity="")])
def delete_remote_access_vpn(ctx):
    vpn = vpns.vpn_of_ip(ctx.store, ctx.get("publicipid"))
    if vpn is None:
        raise errors.invalid_value("The specified public ip is not allocated to any account")
    check_owned(ctx, vpn, "RemoteAccessVpn")
    ctx.store.update(vpns.KIND, vpn["id"], state=vpns.REMOVED)
    owner = ctx.store.get("account", vpn["accountid"])

    def run(jctx):
        vpns.destroy(jctx.store, vpn)
        record_event(jctx, "VPN.REMOTE.ACCESS.DESTROY", "removing remote access vpn", resource_id=vpn["id"],
                     resource_type="RemoteAccessVpn", account=owner)
        return SUCCESS

    return Job(run, instance_id=vpn.get("networkid") or vpn["publicipid"])


@api("updateRemoteAccessVpn", response="remoteaccessvpn", instance_type="RemoteAccessVpn",
     related="listRemoteAccessVpns", description="Changes whether a remote-access VPN is shown to end users.",
     params=[P("id", "the VPN", entity=""), P("fordisplay"), P("customid")])
def update_remote_access_vpn(ctx):
    vpns.forget_orphans(ctx.store)
    vpn = ctx.store.get(vpns.KIND, ctx.get("id"))
    if vpn is None:
        raise errors.invalid_value("The specified id is invalid")
    check_owned(ctx, vpn, "RemoteAccessVpn")

    def run(jctx):
        row = jctx.store.get(vpns.KIND, vpn["id"])
        if row is None:
            raise errors.ApiError(431, f"Can't find remote access vpn by id {vpn['id']}", errors.CS_SERVER)
        return render_vpn(jctx, vpns.update(jctx.store, row, ctx.get("customid"), ctx.get("fordisplay")))

    return Job(run, instance_id=vpn["id"])


@api("listRemoteAccessVpns", response="remoteaccessvpn", related="createRemoteAccessVpn",
     description="Lists the running remote-access VPNs the caller may see.",
     params=[*PAGING, *ACCOUNT_SCOPE, P("publicipid", "the public IP", entity=""), P("id", entity=""),
             P("networkid", entity=""), P("fordisplay"), P("projectid", entity="project")])
def list_remote_access_vpns(ctx):
    store = ctx.store
    vpns.forget_orphans(store)
    if ctx.has("publicipid"):
        ip = store.get("publicipaddress", ctx.get("publicipid"))
        if ip is None:
            raise errors.invalid_value(f"Unable to list remote access vpns, IP address {ctx.get('publicipid')} not found.")
        if not ip.get("accountid"):
            raise errors.invalid_value(f"Unable to list remote access vpns, IP address {ctx.get('publicipid')} is not "
                                       f"associated with an account.")
        check_owned(ctx, ip, "PublicIpAddress")

    def match(row):
        return (row["state"] == vpns.RUNNING
                and (not ctx.has("publicipid") or row["publicipid"] == ctx.get("publicipid"))
                and (not ctx.has("networkid") or row.get("networkid") == ctx.get("networkid"))
                and (not ctx.has("fordisplay") or row.get("fordisplay", True) == ctx.get("fordisplay")))

    # 4.20 ignores keyword here; the simulator matches it against the public IP rather than drop every row.
    return list_owned(ctx, vpns.KIND, lambda r: render_vpn(ctx, r), match=match, keyword_fields=("ipaddress",))


@api("addVpnUser", response="vpnuser", instance_type="VpnUser", related="removeVpnUser,listVpnUsers",
     description="Adds a VPN user to an account; it becomes Active on the account's running VPNs.",
     params=[P("username", "VPN user name"), P("password", "its password (never shown again)"), *_OWNER])
def add_vpn_user(ctx):
    vpns.forget_orphans(ctx.store)
    owner = owner_for_create(ctx)
    user = vpns.add_user(ctx, owner, ctx.get("username"), ctx.get("password"))

    def run(jctx):
        vpns.apply_users(jctx.store, owner["id"])
        record_event(jctx, "VPN.USER.ADD", f"Add Remote Access VPN user {user['username']}", resource_id=user["id"],
                     resource_type="VpnUser", account=owner)
        return render_user(jctx, jctx.store.get(vpns.USER_KIND, user["id"]))

    def failed(jctx, error):
        jctx.store.delete(vpns.USER_KIND, user["id"])

    return Job(run, entity_id=user["id"], instance_id=owner["id"], on_failure=failed)


@api("removeVpnUser", response="success", instance_type="VpnUser", related="addVpnUser,listVpnUsers",
     description="Revokes a VPN user of an account; it is removed from the account's VPNs.",
     params=[P("username", "VPN user name"), *_OWNER])
def remove_vpn_user(ctx):
    owner = owner_for_create(ctx)
    row = ctx.store.find_one(vpns.USER_KIND, accountid=owner["id"], username=ctx.get("username"))
    if row is not None:
        check_owned(ctx, row, "VpnUser")
    user = vpns.revoke_user(ctx.store, owner, ctx.get("username"))

    def run(jctx):
        vpns.apply_users(jctx.store, owner["id"])
        record_event(jctx, "VPN.USER.REMOVE", f"Remove Remote Access VPN user {user['username']}",
                     resource_id=user["id"], resource_type="VpnUser", account=owner)
        return SUCCESS

    return Job(run, instance_id=owner["id"])


@api("listVpnUsers", response="vpnuser", related="addVpnUser",
     description="Lists the VPN users (states Add and Active) the caller may see.",
     params=[*PAGING, *ACCOUNT_SCOPE, P("id", entity=""), P("username"), P("projectid", entity="project")])
def list_vpn_users(ctx):
    vpns.forget_orphans(ctx.store)

    def match(row):
        return (row["state"] in vpns.LISTED_USER_STATES
                and (not ctx.has("username") or row["username"] == ctx.get("username")))

    return list_owned(ctx, vpns.USER_KIND, lambda r: render_user(ctx, r), match=match, keyword_fields=("username",))
