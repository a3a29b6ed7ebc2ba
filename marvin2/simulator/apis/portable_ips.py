"""Portable public IP ranges of a region (thin: the rules are in services/portable_ips.py).

associateIpAddress isportable=true is not served from these ranges yet (apis/addresses.py refuses it).
"""
from __future__ import annotations

from marvin2.simulator.context import SUCCESS, Job, ListResult
from marvin2.simulator.declare import ADMIN_ONLY, PAGING, P, api, declare_object
from marvin2.simulator.services import portable_ips as portable
from marvin2.simulator.services.common import record_event

declare_object("portableiprange", {
    "id": "range id", "regionid": ("integer", "region"), "gateway": "gateway", "netmask": "netmask",
    "vlan": "VLAN (untagged when none)", "startip": "first address", "endip": "last address",
    "portableipaddress": ("list", "the range's addresses (listPortableIpRanges)"),
})


def render_range(row: dict) -> dict:
    return {"id": row["id"], "regionid": row["regionid"], "gateway": row["gateway"], "netmask": row["netmask"],
            "vlan": row["vlan"], "startip": row["startip"], "endip": row["endip"]}


def render_address(ctx, row: dict) -> dict:
    out = {"regionid": row["regionid"], "ipaddress": row["ipaddress"], "state": row["state"],
           "allocated": row.get("allocated"), "zoneid": row.get("zoneid"), "networkid": row.get("networkid"),
           "vpcid": row.get("vpcid"), "physicalnetworkid": row.get("physicalnetworkid")}
    account = ctx.store.get("account", row.get("accountid")) if row.get("accountid") else None
    if account is not None:
        out["accountid"] = account["name"]          # 4.20 puts the account's name here
        out["domainid"] = account["domainid"]
    return out


@api("createPortableIpRange", response="portableiprange", roles=ADMIN_ONLY, instance_type="PortableIpAddress",
     related="listPortableIpRanges,deletePortableIpRange",
     description="Adds a range of portable public addresses to a region.",
     params=[P("regionid", "the region (1: the local region)"), P("startip", "first address"), P("endip", "last address"),
             P("gateway", "gateway"), P("netmask", "netmask"), P("vlan", "VLAN id (untagged when absent)")])
def create_portable_ip_range(ctx):
    row = portable.create_range(ctx.store, ctx.get("regionid"), ctx.get("startip"), ctx.get("endip"),
                                ctx.get("gateway"), ctx.get("netmask"), ctx.get("vlan"))

    def run(jctx):
        record_event(jctx, "PORTABLE.IP.RANGE.CREATE", f"creating portable ip range {row['startip']}-{row['endip']}",
                     resource_id=row["id"], resource_type="PortableIpAddress")
        return render_range(jctx.store.get(portable.RANGE_KIND, row["id"]))

    return Job(run, entity_id=row["id"])


@api("deletePortableIpRange", response="success", roles=ADMIN_ONLY, instance_type="PortableIpAddress",
     related="createPortableIpRange", description="Deletes a portable IP range none of whose addresses is in use.",
     params=[P("id", "the range", entity="portableiprange")])
def delete_portable_ip_range(ctx):
    range_id = ctx.get("id")

    def run(jctx):
        portable.delete_range(jctx.store, range_id)
        record_event(jctx, "PORTABLE.IP.RANGE.DELETE", "deleting portable ip range", resource_id=range_id,
                     resource_type="PortableIpAddress")
        return SUCCESS

    return Job(run, instance_id=range_id)


@api("listPortableIpRanges", response="portableiprange", roles=ADMIN_ONLY, related="createPortableIpRange",
     description="Lists the portable IP ranges (of a region) with their addresses.",
     params=[*PAGING, P("regionid", "the region"), P("id", "a range", entity="portableiprange")])
def list_portable_ip_ranges(ctx):
    rows = portable.ranges(ctx.store, ctx.get("regionid"), ctx.get("id"))
    items = []
    for row in rows:
        out = render_range(row)
        out["portableipaddress"] = [render_address(ctx, a) for a in portable.addresses(ctx.store, row["id"])] or None
        items.append(out)
    # As in 4.20 the whole list is answered (no paging of this list in ConfigurationManagerImpl).
    return ListResult(items, len(items))
