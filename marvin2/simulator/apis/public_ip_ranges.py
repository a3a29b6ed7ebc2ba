"""dedicatePublicIpRange and releasePublicIpRange. The rules live in services/public_ip_ranges.py."""
from __future__ import annotations

from marvin2.simulator.services.common import project_for_param
from marvin2.simulator.services.addresses import render_vlan
from marvin2.simulator.context import SUCCESS
from marvin2.simulator.declare import ADMIN_ONLY, P, api
from marvin2.simulator.services import public_ip_ranges as service


@api("dedicatePublicIpRange", response="vlan", roles=ADMIN_ONLY,
     description="Dedicates an existing public IP range to an account (or project), or to a domain.",
     params=[P("id", "the range", entity="vlan"), P("account", "the account (with domainid)"),
             P("projectid", entity="project"), P("domainid", "the domain")])
def dedicate_public_ip_range(ctx):
    project = project_for_param(ctx, ctx.get("projectid")) if ctx.has("projectid") else None
    account, domain = service.owner_for(ctx.store, ctx.get("account"), ctx.get("domainid"), project)
    row = service.dedicate(ctx.store, ctx.store.get("vlan", ctx.get("id")), account, domain)
    ctx.event("VLAN.IP.RANGE.DEDICATE", f"dedicated IP range {row['startip']}-{row['endip']}", account=account)
    return render_vlan(ctx, row)


@api("releasePublicIpRange", response="success", roles=ADMIN_ONLY,
     description="Releases a dedicated public IP range (addresses nothing uses go back to the pool).",
     params=[P("id", "the range", entity="vlan")])
def release_public_ip_range(ctx):
    vlan = ctx.store.get("vlan", ctx.get("id"))
    service.release(ctx.store, vlan)
    ctx.event("VLAN.IP.RANGE.RELEASE", f"released IP range {vlan['startip']}-{vlan['endip']}")
    return SUCCESS
