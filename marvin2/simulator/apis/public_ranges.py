"""Dedicating public IP ranges: dedicatePublicIpRange, releasePublicIpRange (rules in services/public_ranges.py).

A dedicated range's addresses go to its account first and to nobody else (ipalloc honours ``vlan.accountid``).
Unlike 4.20, which counts every address of a dedicated range against its account at once, the simulator counts
an address when the account holds it (as ipalloc counts every address); the limit check of the whole range at
dedication time is kept."""
from __future__ import annotations

from marvin2.simulator import errors, limits
from marvin2.simulator.context import SUCCESS
from marvin2.simulator.declare import ADMIN_ONLY, P, api
from marvin2.simulator.services import public_ranges


@api("dedicatePublicIpRange", response="vlan", roles=ADMIN_ONLY,
     description="Dedicates a public IP range to an account, a project or a domain.",
     params=[P("id", "the range", entity=""), P("account", "the account (with domainid)"),
             P("projectid", "the project", entity=""), P("domainid", "the domain (alone: dedicate to it)")])
def dedicate_public_ip_range(ctx):
    store = ctx.store
    owner = domain = None
    if ctx.has("projectid"):
        if ctx.has("account"):
            raise errors.invalid_value("accountName and projectId are mutually exclusive")
        project = store.get("project", ctx.get("projectid"))
        if project is None or project.get("removed"):
            raise errors.invalid_value(f"Unable to find project by id {ctx.get('projectid')}")
        owner = store.get("account", project["projectaccountid"])
    if ctx.has("account"):
        owner = store.find_one("account", name=ctx.get("account"), domainid=ctx.get("domainid"), removed=None)
        if owner is None or owner.get("state") != "enabled":
            raise errors.invalid_value(f"Unable to find account by name {ctx.get('account')}")
    elif owner is None:
        domain = store.get("domain", ctx.get("domainid"))
        if domain is None or domain.get("removed"):
            raise errors.invalid_value("Please specify a valid domain id")
    vlan = store.get("vlan", ctx.get("id"))
    if vlan is None:
        raise errors.invalid_value(f"Unable to find vlan by id {ctx.get('id')}")
    if owner is not None:
        limits.check(store, owner, "public_ip", store.count("publicipaddress", vlanid=vlan["id"], state="Free"))
    public_ranges.check_dedicable(store, vlan, owner, domain)
    if owner is not None:
        vlan = store.update("vlan", vlan["id"], accountid=owner["id"], domainid=owner["domainid"])
    else:
        vlan = store.update("vlan", vlan["id"], accountid=None, domainid=domain["id"])
    ctx.event("VLAN.IP.RANGE.DEDICATE", f"dedicated IP range {vlan['startip']}-{vlan['endip']}")
    return public_ranges.render_range(ctx, vlan)


@api("releasePublicIpRange", response="success", roles=ADMIN_ONLY,
     description="Ends a range's dedication; its held addresses without NAT or rules go back to the pool.",
     params=[P("id", "the range", entity="")])
def release_public_ip_range(ctx):
    vlan = ctx.store.get("vlan", ctx.get("id"))
    if vlan is None:
        return SUCCESS                          # 4.20 logs and answers true for an unknown range
    vlan = public_ranges.release_range(ctx, vlan)
    ctx.event("VLAN.IP.RANGE.RELEASE", f"released IP range {vlan['startip']}-{vlan['endip']}")
    return SUCCESS
