"""Infrastructure (mostly admin): zones, pods, clusters, hosts, storage, physical
networks, providers, public IP ranges, system VMs, routers, configuration."""
from __future__ import annotations

from marvin2.simulator.declare import P, PAGING, api, declare_object

declare_object("zone", {
    "id": "zone id", "name": "zone name", "description": "zone description", "networktype": "Basic or Advanced",
    "securitygroupsenabled": ("boolean", "security groups on"), "allocationstate": "Enabled or Disabled",
    "dns1": "first public DNS", "dns2": "second public DNS", "internaldns1": "first internal DNS",
    "internaldns2": "second internal DNS", "guestcidraddress": "guest CIDR", "domain": "network domain",
    "domainid": "dedicated to this domain", "localstorageenabled": ("boolean", "local storage usable"),
    "type": "zone type (Core or Edge)", "tags": ("list", "resource tags"),
})


def render_zone(ctx, row: dict) -> dict:
    keys = ("id", "name", "description", "networktype", "securitygroupsenabled", "allocationstate", "dns1", "dns2",
            "internaldns1", "internaldns2", "guestcidraddress", "domain", "localstorageenabled", "type", "ip6dns1", "ip6dns2")
    out = {k: row.get(k) for k in keys}
    out["zonetoken"] = row["id"][:8]
    out["hasannotations"] = False
    out["tags"] = ctx.tags_for(row["id"])
    return out


@api("listZones", response="zone", related="createZone,listZones",
     description="Lists the zones the caller may use (available ones only, for non-admins).",
     params=[*PAGING, P("id", "uuid", entity="zone"), P("name"), P("domainid", "uuid"), P("networktype", description="Basic or Advanced"),
             P("available", "boolean", description="only zones the caller can deploy into"),
             P("showcapacities", "boolean", description="include capacity figures"), P("showicon", "boolean"),
             P("tags", "map")])
def list_zones(ctx):
    def match(row):
        if ctx.caller and not ctx.caller.is_root_admin and row.get("allocationstate") != "Enabled":
            return False
        return not ctx.has("domainid") or row.get("domainid") in (None, ctx.get("domainid"))

    return ctx.list("zone", lambda row: render_zone(ctx, row), filters={"networktype": "networktype"}, match=match,
                    owned=False)
