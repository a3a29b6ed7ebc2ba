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
from marvin2.simulator.context import Job
from marvin2.simulator.declare import ADMINS, PAGING, REGISTRY, P, api, declare_object
from marvin2.simulator.services import netcommon as nc
from marvin2.simulator.services.routers import (
    destroy_router,
    render_router,
    start_router_rows,
    stop_router_rows,
)


def _render(ctx, row: dict) -> dict:
    """Routers look the same in every answer (listRouters and the router commands): one renderer."""
    return render_router(ctx, row)


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
