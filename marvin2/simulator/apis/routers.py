"""Virtual routers: the records an isolated network, a shared network with
router services, or a VPC gets when it is implemented.

Rows live in the core's ``router`` kind (fields listed in HANDLERS.md).
The router APIs (listRouters, start/stop/reboot/destroyRouter) belong to the
core's infrastructure module; this module declares them only when the core
has not (it loads after ``infra`` because modules load in name order), so
there is exactly one declaration either way.
"""
from __future__ import annotations

from marvin2.simulator import errors
from marvin2.simulator.apis import infra
from marvin2.simulator.services import netcommon as nc
from marvin2.simulator.services.accounts import DISABLE_ROUTERS, register_account_disable
from marvin2.simulator.context import Job
from marvin2.simulator.declare import ADMINS, PAGING, REGISTRY, P, api, declare_object

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


register_account_disable(stop_account_routers, rank=DISABLE_ROUTERS)


def routers_of(store, *, network_id: str | None = None, vpc_id: str | None = None,
               pod_id: str | None = None) -> list[dict]:
    """The routers of a VPC or of a network (``pod_id``: only the one of that pod, Basic zones)."""
    if vpc_id:
        return [r for r in store.find("router", vpcid=vpc_id) if not r.get("removed")]
    return [r for r in store.find("router", guestnetworkid=network_id)
            if not r.get("removed") and (pod_id is None or r.get("podid") == pod_id)]


def render_router(ctx, row: dict) -> dict:
    store = ctx.store
    keys = ("id", "name", "state", "podid", "hostid", "publicip", "publicnetmask", "gateway", "guestipaddress",
            "guestnetmask", "guestnetworkid", "vpcid", "role", "isredundantrouter", "redundantstate", "version",
            "softwareversion", "scriptsversion", "requiresupgrade", "hypervisor", "linklocalip", "dns1", "dns2",
            "networkdomain", "created", "healthchecksfailed")
    out = {k: row.get(k) for k in keys}
    out.update(nc.zone_fields(store, row.get("zoneid")))
    out.update(ctx.owner_fields(row))
    host = store.get("host", row.get("hostid")) if row.get("hostid") else None
    pod = store.get("pod", row.get("podid")) if row.get("podid") else None
    network = store.get("network", row.get("guestnetworkid")) if row.get("guestnetworkid") else None
    vpc = store.get("vpc", row.get("vpcid")) if row.get("vpcid") else None
    out.update(hostname=host["name"] if host else None, podname=pod["name"] if pod else None,
               guestnetworkname=network["name"] if network else None, vpcname=vpc["name"] if vpc else None,
               linklocalnetmask="255.255.0.0", hasannotations=False)
    from marvin2.simulator.apis.networks import (
        render_nic,  # late: networks imports this module
    )

    out["nic"] = [render_nic(store, n) for n in store.find("nic", virtualmachineid=row["id"])]
    return out


def _render(ctx, row: dict) -> dict:
    """Routers look the same in every answer: the core's renderer when it has one."""
    core = getattr(infra, "render_router", None)
    return core(ctx, row) if core is not None else render_router(ctx, row)


def _declare_router_apis() -> None:
    """listRouters & co, each only when the core's infra module does not provide it."""
    have_list = REGISTRY.has("listRouters")

    def list_routers(ctx):
        def match(row):
            if ctx.has("networkid"):
                on_network = row.get("guestnetworkid") == ctx.get("networkid")
                tier = ctx.store.get("network", ctx.get("networkid"))
                on_vpc_tier = bool(tier and tier.get("vpcid") and tier["vpcid"] == row.get("vpcid"))
                if not (on_network or on_vpc_tier):
                    return False
            if ctx.has("forvpc") and bool(row.get("vpcid")) != ctx.get("forvpc"):
                return False
            if ctx.has("clusterid"):
                host = ctx.store.get("host", row.get("hostid"))
                if not host or host.get("clusterid") != ctx.get("clusterid"):
                    return False
            if ctx.has("state") and str(row.get("state")).lower() != ctx.get("state").lower():
                return False
            return not (ctx.has("healthchecksfailed") and bool(row.get("healthchecksfailed")) != ctx.get("healthchecksfailed"))

        return ctx.list("router", lambda row: _render(ctx, row), match=match, owned=True,
                        filters={"zoneid": "zoneid", "podid": "podid", "hostid": "hostid", "vpcid": "vpcid",
                                 "version": "version"})

    if not have_list:
        declare_object("router", {
            "id": "router id", "name": "router name", "state": "Running, Stopped ...", "zoneid": "zone id", "zonename": "zone name",
            "podid": "pod id", "hostid": "host id", "hostname": "host name", "publicip": "public (source NAT) IP",
            "guestipaddress": "guest IP", "guestnetworkid": "guest network id", "guestnetworkname": "guest network name",
            "vpcid": "VPC id", "vpcname": "VPC name", "role": "VIRTUAL_ROUTER", "account": "owner account",
            "domainid": "owner domain id", "domain": "owner domain", "isredundantrouter": ("boolean", "part of a redundant pair"),
            "redundantstate": "redundant state", "version": "router version", "requiresupgrade": ("boolean", "needs an upgrade"),
            "created": ("date", "creation time"), "nic": ("set", "the router's NICs"),
        })
        api("listRouters", response="router", roles=ADMINS, related="startRouter,stopRouter",
            description="Lists virtual routers (admin).",
            params=[*PAGING, P("account"), P("domainid"), P("listall"), P("isrecursive"),
                    P("id", entity="router"), P("name"), P("state"), P("zoneid"), P("podid"),
                    P("clusterid"), P("hostid"), P("networkid", entity="network"),
                    P("vpcid", entity="vpc"),
                    P("forvpc", "VPC routers only (true) or none (false)"),
                    P("version", "routers of this version"), P("projectid", entity=""),
                    P("fetchhealthcheckresults", "include health check results"),
                    P("healthchecksfailed", "only routers whose health checks failed")])(list_routers)

    def _router_action(name, event_type, target_state, description, params):
        if REGISTRY.has(name):
            return None

        @api(name, response="router", roles=ADMINS, instance_type="DomainRouter",
             description=description, params=params)
        def handler(ctx):
            row = ctx.store.get("router", ctx.get("id"))
            if row.get("removed"):
                raise errors.invalid_value(f"Unable to find router by id {row['id']}")

            def run(jctx):
                current = jctx.store.get("router", row["id"])
                if target_state == "Running" and current["state"] == "Running" and name == "startRouter":
                    raise nc.job_error(f"Router {current['name']} is already Running")
                if name == "rebootRouter" and current["state"] != "Running":
                    raise nc.job_error(f"Unable to reboot domR, it is not in right state {current['state']}")
                if name == "stopRouter":
                    current = stop_router_rows(jctx.store, current)
                elif name == "startRouter" and not current.get("hostid"):
                    current = start_router_rows(jctx.store, current)
                    if current["state"] != "Running":
                        raise errors.insufficient_capacity(f"Unable to start router {current['name']}: no host is Up")
                else:
                    current = jctx.store.update("router", row["id"], state=target_state)
                jctx.event(event_type, f"{name} {current['name']}")
                return _render(jctx, current)

            return Job(run, instance_id=row["id"])

        return handler

    _router_action("startRouter", "ROUTER.START", "Running", "Starts a stopped virtual router.",
                   [P("id", entity="router")])
    _router_action("stopRouter", "ROUTER.STOP", "Stopped", "Stops a virtual router.",
                   [P("id", entity="router"), P("forced", "force the stop")])
    _router_action("rebootRouter", "ROUTER.REBOOT", "Running", "Reboots a running virtual router.",
                   [P("id", entity="router"), P("forced", "force the reboot")])

    if REGISTRY.has("destroyRouter"):
        return

    @api("destroyRouter", response="router", roles=ADMINS, instance_type="DomainRouter",
         description="Destroys a virtual router (the next restart of its network makes a new one).",
         params=[P("id", entity="router")])
    def destroy_router_api(ctx):
        row = ctx.store.get("router", ctx.get("id"))

        def run(jctx):
            rendered = _render(jctx, row)
            rendered["state"] = "Destroyed"
            destroy_router(jctx.store, row["id"])
            jctx.event("ROUTER.DESTROY", f"destroyed router {row['name']}")
            return rendered

        return Job(run, instance_id=row["id"])


_declare_router_apis()
