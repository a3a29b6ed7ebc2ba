"""VPC static routes: createStaticRoute, listStaticRoutes, deleteStaticRoute. The rules live in
services/static_routes.py."""
from __future__ import annotations

from marvin2.simulator import errors, tagging
from marvin2.simulator.services.common import check_owned, list_owned, owner_fields
from marvin2.simulator.context import SUCCESS, Job
from marvin2.simulator.declare import ACCOUNT_SCOPE, PAGING, P, api, declare_object
from marvin2.simulator.services import static_routes as service

tagging.register_taggable("StaticRoute", service.KIND)

declare_object("staticroute", {
    "id": "route id", "state": "Add, Active or Revoke", "vpcid": "the VPC", "gatewayid": "the private gateway",
    "cidr": "the routed CIDR", "account": "owner account", "projectid": "owning project", "project": "its name",
    "domainid": "owner domain id", "domain": "owner domain", "domainpath": "owner domain path",
    "tags": ("list", "resource tags"),
})


def render_route(ctx, row: dict) -> dict:
    return {"id": row["id"], "state": row["state"], "vpcid": row["vpcid"], "gatewayid": row["gatewayid"],
            "cidr": row["cidr"], **owner_fields(ctx, row), "tags": ctx.tags_for(row["id"])}


@api("createStaticRoute", response="staticroute", instance_type="StaticRoute",
     description="Routes a CIDR through a private gateway of a VPC.",
     params=[P("gatewayid", "the private gateway", entity="privategateway"), P("cidr", "the CIDR to route")])
def create_static_route(ctx):
    store = ctx.store
    gateway = store.get("privategateway", ctx.get("gatewayid"))
    vpc = store.get("vpc", gateway["vpcid"])
    if vpc is not None:
        check_owned(ctx, vpc, "VPC")
    cidr = ctx.get("cidr")
    service.check_new(store, gateway, vpc, cidr, ctx.config("denied.routes", "", zone=vpc["zoneid"]) if vpc else "")
    row = service.add(store, gateway, vpc, cidr)

    def run(jctx):
        current = jctx.store.update(service.KIND, row["id"], state="Active")
        jctx.event("STATIC.ROUTE.CREATE", f"Static route Id: {row['id']}", account=jctx.store.get(
            "account", row["accountid"]))
        return render_route(jctx, current)

    def failed(jctx, error):
        jctx.store.delete(service.KIND, row["id"])

    return Job(run, entity_id=row["id"], instance_id=vpc["id"], on_failure=failed)


@api("listStaticRoutes", response="staticroute", related="createStaticRoute",
     description="Lists VPC static routes.",
     params=[*PAGING, *ACCOUNT_SCOPE, P("id", entity="staticroute"), P("vpcid", entity="vpc"),
             P("gatewayid", "the private gateway", entity="privategateway"), P("state", "Add, Active or Revoke"),
             P("tags"), P("projectid", entity="project")])
def list_static_routes(ctx):
    rows = list(reversed(service.live(ctx.store)))          # newest first, as the server orders them

    def match(row):
        return all(not ctx.has(p) or row.get(p) == ctx.get(p) for p in ("vpcid", "gatewayid", "state"))

    return list_owned(ctx, service.KIND, lambda row: render_route(ctx, row), rows=rows, match=match,
                      keyword_fields=("cidr",))


@api("deleteStaticRoute", response="success", instance_type="StaticRoute", description="Deletes a static route.",
     params=[P("id", entity="staticroute")])
def delete_static_route(ctx):
    route = ctx.store.get(service.KIND, ctx.get("id"))
    if route is None:
        raise errors.invalid_value("Unable to find static route by id")
    check_owned(ctx, route, "static route")
    ctx.store.update(service.KIND, route["id"], state="Revoke")

    def run(jctx):
        jctx.store.delete(service.KIND, route["id"])
        tagging.delete_tags_of(jctx.store, route["id"])
        jctx.event("STATIC.ROUTE.DELETE", f"Static route Id: {route['id']}", account=jctx.store.get(
            "account", route["accountid"]))
        return SUCCESS

    return Job(run, instance_id=route["vpcid"])
