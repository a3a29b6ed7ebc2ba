"""Virtual routers: created, started, stopped and destroyed with the networks and VPCs they serve, and rendered."""
from __future__ import annotations

from marvin2.simulator.services import netcommon as nc
from marvin2.simulator.services.accounts import (
    DISABLE_ROUTERS,
    register_account_disable,
)
from marvin2.simulator.services.common import name_of, owner_fields, zone_name

ROUTER_VERSION = "4.18.0"


def _pick_host(store, zone_id: str, pod_id: str | None = None) -> dict | None:
    for host in store.find("host", zoneid=zone_id, type="Routing"):
        if pod_id and host.get("podid") != pod_id:
            continue
        if host.get("state") == "Up" and host.get("resourcestate", "Enabled") == "Enabled":
            return host
    return None


def create_router(store, *, zone_id: str, owner: dict, network: dict | None = None, vpc: dict | None = None,
                  public_ip: dict | None = None, guest_ip: str | None = None, pod_id: str | None = None) -> dict:
    """Store a Running virtual router for a network or a VPC; returns the row.

    ``pod_id``: the pod it runs in (Basic zones have one router per pod with VMs)."""
    host = _pick_host(store, zone_id, pod_id)
    number = nc.next_sequence(store, "vm")
    zone = store.get("zone", zone_id) or {}
    row = {
        "name": f"r-{number}-VM", "zoneid": zone_id, "podid": host["podid"] if host else pod_id,
        "hostid": host["id"] if host else None, "state": "Running" if host else "Stopped",
        "accountid": owner["accountid"] if "accountid" in owner else owner["id"],
        "domainid": owner["domainid"], "guestnetworkid": network["id"] if network else None,
        "vpcid": vpc["id"] if vpc else None, "publicip": public_ip["ipaddress"] if public_ip else None,
        "publicnetmask": None, "guestipaddress": guest_ip, "role": "VIRTUAL_ROUTER", "isredundantrouter": False,
        "redundantstate": "UNKNOWN", "version": ROUTER_VERSION, "softwareversion": ROUTER_VERSION,
        "scriptsversion": ROUTER_VERSION, "requiresupgrade": False, "hypervisor": "Simulator",
        "linklocalip": f"169.254.{(number >> 8) & 255}.{number & 255}", "dns1": zone.get("dns1"), "dns2": zone.get("dns2"),
        "networkdomain": network.get("networkdomain") if network else (vpc.get("networkdomain") if vpc else None),
        "healthchecksfailed": False,
    }
    if public_ip is not None:
        vlan = store.get("vlan", public_ip.get("vlanid")) or {}
        row["publicnetmask"] = vlan.get("netmask")
        row["gateway"] = vlan.get("gateway")
    if network is not None:
        row["guestnetmask"] = network.get("netmask")
    return store.insert("router", {k: v for k, v in row.items() if v is not None})


def destroy_router(store, router_id: str) -> None:
    """Remove a router and the guest NICs it held."""
    store.delete_where("nic", virtualmachineid=router_id)
    store.delete("router", router_id)


def stop_router_rows(store, router: dict) -> dict:
    """A router stopped: state Stopped and no host any more (a stopped system VM runs nowhere)."""
    return store.update("router", router["id"], state="Stopped", hostid=None)


def start_router_rows(store, router: dict) -> dict:
    """A stopped router started again on an Up, Enabled host of its zone (of its pod, for a Basic zone's)."""
    host = _pick_host(store, router["zoneid"], router.get("podid"))
    if host is None:
        return router            # nowhere to run: it stays Stopped, as create_router leaves it
    return store.update("router", router["id"], state="Running", hostid=host["id"], podid=host["podid"])


def stop_account_routers(store, account: dict) -> None:
    """disableAccount (lock=false) hook: a real server stops every VM of the account, its virtual routers too
    (AccountManagerImpl.doDisableAccount); lock=true only locks."""
    for router in store.find("router", accountid=account["id"]):
        if not router.get("removed") and router.get("state") in ("Running", "Starting", "Stopping"):
            stop_router_rows(store, router)


def routers_of(store, *, network_id: str | None = None, vpc_id: str | None = None,
               pod_id: str | None = None) -> list[dict]:
    """The routers of a VPC or of a network (``pod_id``: only the one of that pod, Basic zones)."""
    if vpc_id:
        return [r for r in store.find("router", vpcid=vpc_id) if not r.get("removed")]
    return [r for r in store.find("router", guestnetworkid=network_id)
            if not r.get("removed") and (pod_id is None or r.get("podid") == pod_id)]


def render_router(ctx, row: dict) -> dict:
    out = {k: v for k, v in row.items() if k not in ("accountid", "removed", "internal")}
    out.update(owner_fields(ctx, row))      # a project's router names the project, not its hidden account
    out.pop("domainpath", None)
    out.update(zonename=zone_name(ctx.store, row.get("zoneid")), hostname=name_of(ctx.store, "host", row.get("hostid")),
               podname=name_of(ctx.store, "pod", row.get("podid")))
    out.setdefault("role", "VIRTUAL_ROUTER")
    out.setdefault("requiresupgrade", False)
    out.setdefault("isredundantrouter", False)
    out.setdefault("redundantstate", "UNKNOWN")
    out.setdefault("hypervisor", "Simulator")
    return out


register_account_disable(stop_account_routers, rank=DISABLE_ROUTERS)
