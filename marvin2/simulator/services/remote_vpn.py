"""Remote-access VPN (L2TP/IPsec on a network's or VPC's public IP) and its VPN users: the rules.

Facts from CloudStack 4.20's RemoteAccessVpnManagerImpl:

- a VPN lives on an allocated public IP that is associated with an isolated network (whose offering has the
  Vpn service) or with a VPC; one per IP, and one per account and network;
- the client range is ``iprange`` or the account-scoped ``remote.access.vpn.client.iprange``; its first address
  is the server's own (``localip``), the clients get the rest (the ``iprange`` a response shows); it must not
  overlap the guest CIDR; the preshared key has ``remote.access.vpn.psk.length`` characters;
- create: state ``Added`` in the request, ``Running`` when the job has started it; lists show Running ones only;
- VPN users belong to an account (not to one VPN): ``Add`` when created, ``Active`` once applied to a running
  VPN of the account; removal marks ``Revoke`` and the row goes away once applied (or at once without a VPN);
  at most ``remote.access.vpn.user.limit`` per account; lists show Add and Active ones;
- deleting a VPN (or losing its public IP) stops it; its users stay with the account (and go with it).
"""
from __future__ import annotations

import ipaddress
import re
import secrets
import string

from marvin2.simulator import errors, facts
from marvin2.simulator.services import common

KIND = "remoteaccessvpn"
USER_KIND = "vpnuser"
ADDED, RUNNING, REMOVED = "Added", "Running", "Removed"
USER_ADD, USER_ACTIVE, USER_REVOKE = "Add", "Active", "Revoke"
LISTED_USER_STATES = (USER_ADD, USER_ACTIVE)

RANGE_SETTING = "remote.access.vpn.client.iprange"
PSK_SETTING = "remote.access.vpn.psk.length"
USER_LIMIT_SETTING = "remote.access.vpn.user.limit"

_USERNAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9@._-]{2,63}$")
_PASSWORD = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9@+=._-]{2,31}$")


def _setting(ctx, name: str, **scope) -> str:
    known = facts.settings().get(name)
    return ctx.config(name, known.default if known else None, **scope)


def _int_setting(ctx, name: str, fallback: int) -> int:
    try:
        return int(_setting(ctx, name))
    except (TypeError, ValueError):
        return fallback


# --- the server side ---------------------------------------------------------------------------------


def validate_ip_range(text: str) -> tuple[str, str]:
    """``a.b.c.d-e.f.g.h`` with both ends valid IPv4 and start <= end, else the Java's 431 texts."""
    parts = text.split("-")
    if len(parts) != 2:
        raise errors.invalid_value(f"IP range [{text}] is an invalid IP range.")
    try:
        start, end = (ipaddress.IPv4Address(p) for p in parts)
    except ValueError:
        raise errors.invalid_value(f"One or both IPs sets in the range [{text}] are invalid IPs.") from None
    if start > end:
        raise errors.invalid_value(f"Range of IPs [{text}] is invalid.")
    return parts[0], parts[1]


def forget_orphans(store) -> None:
    """A VPN whose public IP was released (disassociateIpAddress, network or VPC deleted) is gone, as the
    server destroys it with the address; the address module does not know VPNs, so they are pruned here."""
    for vpn in store.find(KIND):
        ip = store.get("publicipaddress", vpn["publicipid"])
        if ip is None or ip.get("state") == "Free" or ip.get("accountid") != vpn["accountid"]:
            store.delete(KIND, vpn["id"])
    # VPN users go with their account (4.20 removes them when it cleans the account up).
    for user in store.find(USER_KIND):
        account = store.get("account", user["accountid"])
        if account is None or account.get("removed"):
            store.delete(USER_KIND, user["id"])


def vpn_of_ip(store, ip_id: str) -> dict | None:
    forget_orphans(store)
    return store.find_one(KIND, publicipid=ip_id)


def create(ctx, ip: dict, ip_range: str | None, for_display: bool | None) -> tuple[dict, bool]:
    """The VPN row for ``ip`` (state Added) and whether it is new; an Added one is answered again, as Java does."""
    store = ctx.store
    if ip.get("state") != "Allocated":
        raise errors.invalid_value(f"The Ip address is not ready to be used yet: {ip['ipaddress']}")
    network_id, vpc_id = ip.get("associatednetworkid"), ip.get("vpcid")
    if not network_id and not vpc_id:
        raise errors.invalid_value(f"Unable to create remote access vpn for the ipAddress: {ip['ipaddress']} as ip is "
                                   f"not associated with any network or VPC")
    existing = vpn_of_ip(store, ip["id"])
    if existing is not None:
        if existing["state"] == ADDED:
            return existing, False
        raise errors.invalid_value(f"A remote Access VPN already exists for the public IP address [{ip['ipaddress']}].")
    if ip_range is None:
        ip_range = _setting(ctx, RANGE_SETTING, account=ip["accountid"])
    start, end = validate_ip_range(ip_range)
    if network_id:
        same = store.find_one(KIND, accountid=ip["accountid"], networkid=network_id)
        if same is not None:
            if same["state"] == ADDED:
                return same, False
            raise errors.invalid_value(f"A remote access VPN already exists for the account [{ip['accountid']}].")
        network = store.get("network", network_id) or {}
        offering = store.get("networkoffering", network.get("networkofferingid")) or {}
        services = {s.get("name", "").lower() for s in offering.get("service") or []}
        if "vpn" not in services:
            raise errors.invalid_value(f"Vpn service is not supported in network id={network_id}")
        cidr = network.get("cidr")
    else:
        cidr = (store.get("vpc", vpc_id) or {}).get("cidr")
    if cidr:
        guest = ipaddress.IPv4Network(cidr, strict=False)
        first, last = guest.network_address, guest.broadcast_address
        if ipaddress.IPv4Address(start) <= last and first <= ipaddress.IPv4Address(end):
            raise errors.invalid_value(f"Invalid ip range: {ip_range} overlaps with guest ip range {first}-{last}")
    client_start = ipaddress.IPv4Address(start) + 1
    psk_length = _int_setting(ctx, PSK_SETTING, 24)
    alphabet = string.ascii_letters + string.digits
    row = store.insert(KIND, {
        "publicipid": ip["id"], "ipaddress": ip["ipaddress"], "networkid": network_id, "vpcid": vpc_id, "localip": start,
        "iprange": f"{client_start}-{end}", "presharedkey": "".join(secrets.choice(alphabet) for _ in range(psk_length)),
        "state": ADDED, "fordisplay": True if for_display is None else bool(for_display),
        "accountid": ip["accountid"], "domainid": ip["domainid"],
    })
    return row, True


def start(store, vpn_id: str) -> dict:
    """The job of createRemoteAccessVpn: the router starts the VPN and gets the account's users."""
    vpn = store.update(KIND, vpn_id, state=RUNNING)
    apply_users(store, vpn["accountid"])
    return vpn


def destroy(store, vpn: dict) -> None:
    store.delete(KIND, vpn["id"])


def update(store, vpn: dict, custom_id: str | None, for_display: bool | None) -> dict:
    changes = {}
    if for_display is not None:
        changes["fordisplay"] = bool(for_display)
    if custom_id is not None:
        changes["customid"] = custom_id
    return store.update(KIND, vpn["id"], **changes) if changes else vpn


def running_vpns(store, account_id: str) -> list[dict]:
    """The account's VPNs the users are applied to (getValidRemoteAccessVpnForAccount: network Implemented)."""
    forget_orphans(store)
    out = []
    for vpn in store.find(KIND, accountid=account_id, state=RUNNING):
        network = store.get("network", vpn.get("networkid")) if vpn.get("networkid") else None
        if network is not None and network.get("state") != "Implemented":
            continue
        out.append(vpn)
    return out


# --- users -------------------------------------------------------------------------------------------------


def add_user(ctx, owner: dict, username: str, password: str) -> dict:
    if not _USERNAME.match(username):
        raise errors.invalid_value(f"Username [{username}] is invalid. Username has to begin with an alphabet have 3-64 "
                                   f"characters including alphabets, numbers and the set '@.-_'.")
    if not _PASSWORD.match(password):
        raise errors.invalid_value("Password has to be 3-32 characters including alphabets, numbers and the set '@+=.-_'")
    store = ctx.store
    if store.find_one(USER_KIND, accountid=owner["id"], username=username) is not None:
        raise errors.invalid_value(f"VPN User with name {username} is already added for account {account_text(store, owner)}")
    limit = _int_setting(ctx, USER_LIMIT_SETTING, 8)
    if store.count(USER_KIND, accountid=owner["id"]) >= limit:
        # AccountLimitException: the API layer answers 532 (ACCOUNT_RESOURCE_LIMIT_ERROR).
        raise errors.ApiError(532, f"Cannot add more than [{limit}] remote access VPN users to "
                                   f"{account_text(store, owner)}.", errors.CS_SERVER)
    # The password is kept for the router (it configures the VPN with it) and never rendered.
    return store.insert(USER_KIND, {"username": username, "password": password, "state": USER_ADD,
                                    "accountid": owner["id"], "domainid": owner["domainid"]})


def revoke_user(store, owner: dict, username: str) -> dict:
    row = store.find_one(USER_KIND, accountid=owner["id"], username=username)
    if row is None:
        raise errors.invalid_value(f"Could not find VPN user=[{username}]. VPN owner=[{account_text(store, owner)}]")
    return store.update(USER_KIND, row["id"], state=USER_REVOKE)


def apply_users(store, account_id: str) -> None:
    """applyVpnUsers: with a running VPN, Add users become Active and revoked ones go; without one, revoked
    users are removed at once and added ones wait in Add."""
    vpns = running_vpns(store, account_id)
    for user in store.find(USER_KIND, accountid=account_id):
        if user["state"] == USER_REVOKE:
            store.delete(USER_KIND, user["id"])
        elif vpns and user["state"] == USER_ADD:
            store.update(USER_KIND, user["id"], state=USER_ACTIVE)


def account_text(store, account: dict) -> str:
    """How Java's AccountVO.toString() names an account in these messages (JSON style, its selected fields)."""
    number = common.account_number(store, account)
    return f'Account [{{"id":{number},"accountName":"{account["name"]}","uuid":"{account["id"]}"}}]'
