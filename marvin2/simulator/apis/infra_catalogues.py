"""Infrastructure catalogue reads: listStorageTags, listHostTags, listStorageProviders, listDeploymentPlanners,
listNetworkIsolationMethods, getCloudIdentifier. The rules live in services/infra_catalogues.py."""
from __future__ import annotations

from marvin2.simulator import errors
from marvin2.simulator.context import ListResult
from marvin2.simulator.declare import ADMINS, PAGING, P, api, declare_object
from marvin2.simulator.services import infra_catalogues as service
from marvin2.simulator.services import network_protocols as protocols

declare_object("storagetag", {"id": "tag id", "poolid": "the pool", "name": "the tag"})
declare_object("hosttag", {"id": "tag id", "hostid": "the host", "name": "the tag",
                           "isimplicit": ("boolean", "an implicit host tag")})
declare_object("dataStoreProvider", {"name": "provider name", "type": "PRIMARY, IMAGE ..."})
declare_object("deploymentPlanner", {"name": "planner name"})
declare_object("isolationmethod", {"name": "isolation method"})
declare_object("cloudidentifier", {"cloudidentifier": "the cloud's identifier",
                                   "signature": "the identifier signed with the user's secret key"})


def _page(ctx, items: list[dict]) -> ListResult:
    page = ctx.paginate(items)
    return ListResult(page.items, page.count)


@api("listHostTags", response="hosttag", roles=ADMINS, description="Lists the tags of hosts.", params=[*PAGING])
def list_host_tags(ctx):
    keyword = (ctx.get("keyword") or "").lower()
    return _page(ctx, [t for t in service.host_tags(ctx.store) if keyword in t["name"].lower()])


@api("listDeploymentPlanners", response="deploymentPlanner", roles=ADMINS,
     description="Lists the deployment planners offerings may name.", params=[*PAGING])
def list_deployment_planners(ctx):
    return _page(ctx, [{"name": name} for name in service.DEPLOYMENT_PLANNERS])


@api("listNetworkIsolationMethods", response="isolationmethod", roles=ADMINS,
     description="Lists the network isolation types.", params=[*PAGING])
def list_network_isolation_methods(ctx):
    return _page(ctx, [{"name": name} for name in service.ISOLATION_TYPES])


@api("getCloudIdentifier", response="cloudidentifier",
     description="Answers the cloud's identifier, signed with the user's secret key.",
     params=[P("userid", "the user")])
def get_cloud_identifier(ctx):
    user = ctx.store.get("user", ctx.get("userid"))
    if user is None or user.get("removed"):
        raise errors.invalid_value("Unable to find active user of specified id")
    account = ctx.store.get("account", user["accountid"])
    ctx.check_access({**account, "accountid": account["id"]}, "account")
    identifier = service.cloud_identifier(ctx.store, ctx.config("cloud.identifier"))
    return {"cloudidentifier": identifier, "signature": service.identifier_signature(identifier, user.get("secretkey"))}


declare_object("networkservice", {"name": "service name", "capability": ("list", "its capabilities"),
                                  "provider": ("list", "the providers offering it")})


@api("listSupportedNetworkServices", response="networkservice", roles=ADMINS,
     description="Lists the network services, their capabilities and the providers offering them here.",
     params=[*PAGING, P("provider", "only services of this provider"), P("service", "only this service")])
def list_supported_network_services(ctx):
    return _page(ctx, service.network_services(ctx.store, ctx.get("provider"), ctx.get("service")))


declare_object("networkprotocol", {"index": ("integer", "protocol number or ICMP type"), "name": "protocol keyword",
                                   "description": "what it is", "details": ("map", "ICMP codes and their meaning")})


@api("listNetworkProtocols", response="networkprotocol",
     description="Lists IANA protocol numbers (option=ProtocolNumber) or ICMP types and codes (option=IcmpType).",
     params=[P("option", "ProtocolNumber or IcmpType")])
def list_network_protocols(ctx):
    option = next((o for o in ("ProtocolNumber", "IcmpType") if o.lower() == (ctx.get("option") or "").lower()), None)
    if option is None:
        raise errors.param_error(f"Option {ctx.get('option')} is not supported. Supported values are "
                                 f"[ProtocolNumber, IcmpType]")
    if option == "ProtocolNumber":
        items = [{"index": n, "name": k, "description": p} for n, k, p in protocols.PROTOCOL_NUMBERS]
    else:
        items = [{"index": t, "description": d, "details": {str(c): text for c, text in codes} or None}
                 for t, d, codes in protocols.ICMP_TYPES]
    return ListResult(items, len(items))          # not a paged list in CloudStack
