"""Regions: listRegions, addRegion, updateRegion, removeRegion (rules in services/regions.py)."""
from __future__ import annotations

from marvin2.simulator.context import SUCCESS
from marvin2.simulator.declare import ADMIN_ONLY, PAGING, P, api, declare_object
from marvin2.simulator.services import regions

declare_object("region", {"id": ("integer", "the region id"), "name": "the region name",
                          "endpoint": "the region's API end point",
                          "gslbserviceenabled": ("boolean", "GSLB service enabled"),
                          "portableipserviceenabled": ("boolean", "portable IP service enabled")})


def render_region(row: dict) -> dict:
    return {"id": int(row["id"]), "name": row["name"], "endpoint": row["endpoint"],
            "gslbserviceenabled": row.get("gslbserviceenabled", True),
            "portableipserviceenabled": row.get("portableipserviceenabled", False)}


@api("listRegions", response="region", description="Lists the regions (a fresh cloud has region 1, Local).",
     params=[*PAGING, P("id", "the region id"), P("name", "the region name")])
def list_regions(ctx):
    rows = regions.list_regions(ctx.store, ctx.get("id"), ctx.get("name"))
    keyword = (ctx.get("keyword") or "").lower()
    if keyword:
        rows = [r for r in rows if keyword in r["name"].lower()]
    return ctx.paginate([render_region(r) for r in rows])


@api("addRegion", roles=ADMIN_ONLY, response="region", description="Adds a region with an id, a unique name and an end point.",
     params=[P("id", "the region id (unique)"), P("name", "the region name (unique)"),
             P("endpoint", "the region's API end point")])
def add_region(ctx):
    row = regions.add_region(ctx.store, ctx.get("id"), ctx.get("name"), ctx.get("endpoint"))
    ctx.event("REGION.ADD", f"added region {row['name']} ({row['id']})")
    return render_region(row)


@api("updateRegion", roles=ADMIN_ONLY, response="region", description="Renames a region or changes its end point.",
     params=[P("id", "the region id"), P("name", "the new name"), P("endpoint", "the new end point")])
def update_region(ctx):
    return render_region(regions.update_region(ctx.store, ctx.get("id"), ctx.get("name"), ctx.get("endpoint")))


@api("removeRegion", roles=ADMIN_ONLY, response="success", description="Removes a region.", params=[P("id", "the region id")])
def remove_region(ctx):
    regions.remove_region(ctx.store, ctx.get("id"))
    ctx.event("REGION.DELETE", f"removed region {ctx.get('id')}")
    return SUCCESS
