"""Usage: listUsageTypes, generateUsageRecords, listUsageRecords, removeRawUsageRecords (rules in services/usage.py)."""
from __future__ import annotations

import time

from marvin2.simulator import errors
from marvin2.simulator.services.common import owner_fields
from marvin2.simulator.context import SUCCESS
from marvin2.simulator.declare import ADMIN_ONLY, PAGING, P, api, declare_object
from marvin2.simulator.services import usage

declare_object("usagetype", {"id": ("integer", "usage type id"), "name": "usage type name",
                             "description": "usage type description"})
declare_object("usagerecord", {
    "account": "owner", "accountid": "owner id", "projectid": "project", "project": "project name",
    "domainid": "domain id", "domain": "domain name", "domainpath": "domain path", "zoneid": "zone id",
    "description": "what was used", "usage": "usage in hours (display)", "usagetype": ("integer", "usage type id"),
    "rawusage": "usage in hours", "virtualmachineid": "the VM", "name": "resource name", "offeringid": "offering",
    "templateid": "template", "usageid": "the resource", "type": "resource type", "size": ("long", "size"),
    "cpunumber": ("long", "CPUs"), "cpuspeed": ("long", "CPU speed"), "memory": ("long", "memory"),
    "startdate": ("date", "period start"), "enddate": ("date", "period end"),
    "issourcenat": ("boolean", "source NAT IP"), "issystem": ("boolean", "system IP"), "networkid": "network",
    "vpcid": "VPC"})

_FIELDS = ("accountid", "zoneid", "description", "usage", "usagetype", "virtualmachineid", "name", "offeringid",
           "templateid", "usageid", "type", "size", "cpunumber", "cpuspeed", "memory", "startdate", "enddate",
           "issourcenat", "issystem", "networkid", "vpcid")


def _raw(ctx, name: str) -> str:
    """A parameter as sent: the time of day matters here, and the typed value is the date only."""
    return next(v for k, v in ctx.raw.items() if k.lower() == name)


def _render(ctx, row: dict) -> dict:
    out = {k: row.get(k) for k in _FIELDS}
    out["rawusage"] = usage.display_hours(row["rawusage"])
    out.update(owner_fields(ctx, row))
    return out


@api("listUsageTypes", roles=ADMIN_ONLY, response="usagetype", description="Lists CloudStack's usage types.")
def list_usage_types(ctx):
    return ctx.paginate([{"id": i, "name": n, "description": d} for i, n, d in usage.USAGE_TYPES])


@api("generateUsageRecords", roles=ADMIN_ONLY, response="success",
     description="Runs the usage job now: usage records up to this moment.",
     params=[P("domainid", "ignored, as by CloudStack"), P("startdate", "ignored, as by CloudStack"),
             P("enddate", "ignored, as by CloudStack")])
def generate_usage_records(ctx):
    usage.generate(ctx.store, ctx.config, time.time())
    return SUCCESS


@api("listUsageRecords", roles=ADMIN_ONLY, response="usagerecord",
     description="Lists the usage records whose period overlaps the dates.",
     params=[*PAGING, P("account"), P("domainid"), P("startdate", "start of the range"), P("enddate", "end of the range"),
             P("accountid"), P("projectid", entity="project"), P("type", "a usage type id"),
             P("usageid", "a resource (with type)"), P("includetags", "also the resources' tags"),
             P("oldformat", "older date format"), P("isrecursive", "with domainid: sub-domains too")])
def list_usage_records(ctx):
    store = ctx.store
    account_id = ctx.get("accountid")
    if ctx.has("projectid"):
        if account_id:
            raise errors.invalid_value("Projectid and accountId can't be specified together")
        account_id = store.get("project", ctx.get("projectid"))["projectaccountid"]
    elif not account_id and ctx.get("account") and ctx.get("domainid"):
        account = store.find_one("account", name=ctx.get("account"), domainid=ctx.get("domainid"), removed=None)
        if account is None:
            raise errors.invalid_value(f"Unable to find account {ctx.get('account')} in domain {ctx.get('domainid')}")
        account_id = account["id"]
    start = usage.parse_api_date(_raw(ctx, "startdate"), end=False)
    end = usage.parse_api_date(_raw(ctx, "enddate"), end=True)
    usage.check_dates(start, end)
    if ctx.has("usageid") and not ctx.has("type"):
        raise errors.invalid_value("Usageid must be specified together with usageType")
    rows = usage.records_between(store, start, end)
    if account_id:
        rows = [r for r in rows if r.get("accountid") == account_id]
    if ctx.has("domainid"):
        domain = store.get("domain", ctx.get("domainid"))
        if ctx.get("isrecursive") and not ctx.has("accountid") and not ctx.has("projectid"):
            inside = {d["id"] for d in store.all("domain")
                      if d["path"] == domain["path"] or d["path"].startswith(domain["path"] + "/")}
            rows = [r for r in rows if r.get("domainid") in inside]
        else:
            rows = [r for r in rows if r.get("domainid") == domain["id"]]
    if ctx.has("type"):
        rows = [r for r in rows if r["usagetype"] == ctx.get("type")]
    if ctx.has("usageid"):
        rows = [r for r in rows if r.get("usageid") == ctx.get("usageid")]
    keyword = (ctx.get("keyword") or "").lower()
    if keyword:
        rows = [r for r in rows if keyword in (r.get("description") or "").lower()]
    result = ctx.paginate([_render(ctx, r) for r in rows])
    if ctx.get("includetags"):
        for item in result.items:
            item["tags"] = ctx.tags_for(item["usageid"]) if item.get("usageid") else []
    return result


@api("removeRawUsageRecords", roles=ADMIN_ONLY, response="success",
     description="Removes usage records older than the interval (days).",
     params=[P("interval", "days of records to keep")])
def remove_raw_usage_records(ctx):
    if not usage.remove_raw(ctx.store, ctx.config, ctx.get("interval"), time.time()):
        raise errors.internal_error("Failed to remove old raw usage records from cloud_usage table, a job is likely "
                                    "running at this time. Please try again after 15 mins.")
    return SUCCESS
