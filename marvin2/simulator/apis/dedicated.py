"""Dedicated resources: dedicateZone/Pod/Cluster/Host, listDedicatedZones/Pods/Clusters/Hosts,
releaseDedicatedZone/Pod/Cluster/Host; and dedicateGuestVlanRange, listDedicatedGuestVlanRanges,
releaseDedicatedGuestVlanRange. The rules live in services/dedicated.py."""
from __future__ import annotations

from marvin2.simulator import errors
from marvin2.simulator.services.common import owner_fields, project_for_param
from marvin2.simulator.services.accounts import register_account_cleanup
from marvin2.simulator.context import SUCCESS, Job, ListResult
from marvin2.simulator.declare import ADMIN_ONLY, PAGING, P, api, declare_object
from marvin2.simulator.services import dedicated as service

for _level in service.LEVELS:
    declare_object(f"dedicated{_level}", {
        "id": "dedication id", f"{_level}id": f"the {_level}", f"{_level}name": "its name",
        "domainid": "dedicated to this domain", "accountid": "and to this account",
        "affinitygroupid": "the ExplicitDedication affinity group",
    })
register_account_cleanup(service.release_account)

declare_object("dedicatedguestvlanrange", {
    "id": "range id", "account": "owner account", "domainid": "owner domain id", "domain": "owner domain",
    "domainpath": "owner domain path", "guestvlanrange": "the range (start-end)", "projectid": "owning project",
    "project": "its name", "physicalnetworkid": "the physical network", "zoneid": "its zone",
})


def render_dedication(ctx, row: dict) -> dict:
    level = row["level"]
    target = ctx.store.get(level, row["targetid"]) or {}
    return {"id": row["id"], f"{level}id": row["targetid"], f"{level}name": target.get("name"),
            "domainid": row["domainid"], "accountid": row.get("accountid"), "affinitygroupid": row.get("affinitygroupid")}


def _owner(ctx) -> tuple[dict, dict | None]:
    """The domain (and account, when named) a dedication is for."""
    domain = ctx.store.get("domain", ctx.get("domainid"))
    if not ctx.has("account"):
        return domain, None
    account = ctx.store.find_one("account", name=ctx.get("account"), domainid=domain["id"], removed=None)
    if account is None:
        raise errors.invalid_value(f"Unable to find account {ctx.get('account')} in domain id={domain['id']}")
    return domain, account


def _dedicate(level: str):
    def handler(ctx):
        target = ctx.store.get(level, ctx.get(f"{level}id"))
        domain, account = _owner(ctx)

        def run(jctx):
            row = service.dedicate(jctx.store, level, jctx.store.get(level, target["id"]), domain, account)
            jctx.event("DEDICATE.RESOURCE", f"dedicating a {level.capitalize()}")
            item = render_dedication(jctx, row)
            return ListResult([item], 1)

        return Job(run, instance_id=target["id"])

    return handler


def _list(level: str):
    def handler(ctx):
        domain_id, account_id = ctx.get("domainid"), None
        if ctx.has("account"):
            if not domain_id:
                raise errors.invalid_value(f"Please specify the domain id of the account: {ctx.get('account')}")
            account = ctx.store.find_one("account", name=ctx.get("account"), domainid=domain_id, removed=None)
            account_id = account["id"] if account else None
        rows = service.search(ctx.store, level, target_id=ctx.get(f"{level}id"), domain_id=domain_id,
                              account_id=account_id, group_id=ctx.get("affinitygroupid"))
        page = ctx.paginate([render_dedication(ctx, r) for r in rows])
        return ListResult(page.items, page.count)

    return handler


def _release(level: str):
    def handler(ctx):
        target_id = ctx.get(f"{level}id")

        def run(jctx):
            service.release_target(jctx.store, level, target_id)
            jctx.event("DEDICATE.RESOURCE.RELEASE", f"Releasing dedicated {level}")
            return SUCCESS

        return Job(run, instance_id=target_id)

    return handler


for _level in service.LEVELS:
    _title = service.TITLES[_level]
    api(f"dedicate{_title}", response=f"dedicated{_level}", roles=ADMIN_ONLY, instance_type="None",
        description=f"Dedicates a {_level} to a domain, or to an account of it.",
        params=[P(f"{_level}id", f"the {_level}"), P("domainid", "the domain"),
                P("account", "the account of that domain (else the whole domain)")])(_dedicate(_level))
    api(f"listDedicated{_title}s", response=f"dedicated{_level}", roles=ADMIN_ONLY,
        description=f"Lists the dedicated {_level}s.",
        params=[*PAGING, P(f"{_level}id", f"the {_level}"), P("domainid", "dedicated to this domain"),
                P("account", "dedicated to this account (with domainid)"),
                P("affinitygroupid", "of this dedication group", entity="affinitygroup")])(_list(_level))
    api(f"releaseDedicated{_title}", response="success", roles=ADMIN_ONLY, instance_type="None",
        description=f"Releases a dedicated {_level}.", params=[P(f"{_level}id", f"the {_level}")])(_release(_level))


# --- guest VLAN ranges ----------------------------------------------------------------------------------------------


def render_range(ctx, row: dict) -> dict:
    return {"id": row["id"], "guestvlanrange": row["guestvlanrange"], "physicalnetworkid": row["physicalnetworkid"],
            "zoneid": row.get("zoneid"), **owner_fields(ctx, row)}


def _vlan_owner(ctx) -> dict:
    if ctx.has("projectid"):
        if ctx.has("account"):
            raise errors.invalid_value("accountName and projectId are mutually exclusive")
        project = project_for_param(ctx, ctx.get("projectid"))
        return ctx.store.get("account", project["projectaccountid"])
    owner = None
    if ctx.has("account") and ctx.has("domainid"):
        owner = ctx.store.find_one("account", name=ctx.get("account"), domainid=ctx.get("domainid"), removed=None)
    if owner is None:
        raise errors.invalid_value(f"Unable to find account by name {ctx.get('account')}")
    return owner


@api("dedicateGuestVlanRange", response="dedicatedguestvlanrange", roles=ADMIN_ONLY,
     description="Dedicates a guest VLAN range of a physical network to an account or project.",
     params=[P("vlanrange", "start-end"), P("account", "the account (with domainid)"),
             P("projectid", entity="project"), P("domainid", "the account's domain"),
             P("physicalnetworkid", "the physical network")])
def dedicate_guest_vlan_range(ctx):
    owner = _vlan_owner(ctx)
    physnet = ctx.store.get("physicalnetwork", ctx.get("physicalnetworkid"))
    row = service.dedicate_vlan_range(ctx.store, physnet, owner, ctx.get("vlanrange"))
    ctx.event("GUESTVLANRANGE.DEDICATE", f"dedicating guest vlan range {row['guestvlanrange']}", account=owner)
    return render_range(ctx, row)


@api("listDedicatedGuestVlanRanges", response="dedicatedguestvlanrange", roles=ADMIN_ONLY,
     description="Lists the dedicated guest VLAN ranges.",
     params=[*PAGING, P("id", entity="dedicatedvlanrange"), P("account", "owner account (with domainid)"),
             P("projectid", entity="project"), P("domainid", "owner domain"),
             P("guestvlanrange", "the range"), P("physicalnetworkid", "the physical network"), P("zoneid")])
def list_dedicated_guest_vlan_ranges(ctx):
    account_id = None
    if ctx.has("account") and ctx.has("domainid"):
        if ctx.has("projectid"):
            raise errors.invalid_value("Account and projectId can't be specified together")
        account = ctx.store.find_one("account", name=ctx.get("account"), domainid=ctx.get("domainid"), removed=None)
        if account is None:
            raise errors.invalid_value(f"Unable to find account {ctx.get('account')}")
        account_id = account["id"]
    if ctx.has("projectid"):
        account_id = project_for_param(ctx, ctx.get("projectid"))["projectaccountid"]

    def match(row):
        return ((account_id is None or row["accountid"] == account_id)
                and (not ctx.has("domainid") or row["domainid"] == ctx.get("domainid"))
                and all(not ctx.has(f) or row.get(f) == ctx.get(f)
                        for f in ("guestvlanrange", "physicalnetworkid", "zoneid")))

    return ctx.list(service.VLAN_KIND, lambda row: render_range(ctx, row), match=match, owned=False,
                    keyword_fields=("guestvlanrange",))


@api("releaseDedicatedGuestVlanRange", response="success", roles=ADMIN_ONLY, instance_type="None",
     description="Releases a dedicated guest VLAN range.", params=[P("id", entity="dedicatedvlanrange")])
def release_dedicated_guest_vlan_range(ctx):
    range_id = ctx.get("id")

    def run(jctx):
        service.release_vlan_range(jctx.store, range_id)
        jctx.event("GUESTVLANRANGE.RELEASE", f"Releasing a dedicated guest vlan range {range_id}")
        return SUCCESS

    return Job(run, instance_id=range_id)
