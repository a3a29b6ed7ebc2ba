"""listGuestVlans: the guest VNETs of the physical networks, which are taken and which are dedicated.
The rules live in services/guest_vlans.py."""
from __future__ import annotations

from marvin2.simulator.services.common import zone_name
from marvin2.simulator.services.networks import render_network
from marvin2.simulator.context import ListResult
from marvin2.simulator.declare import PAGING, P, api, declare_object
from marvin2.simulator.services import guest_vlans as service

declare_object("guestvlan", {
    "id": ("long", "vnet id"), "vlan": "the VNET", "account": "the account using or holding it",
    "domainid": "its domain id", "domain": "its domain", "domainpath": "its domain path",
    "zoneid": "zone id", "zonename": "zone name", "physicalnetworkid": "physical network id",
    "physicalnetworkname": "physical network name", "isdedicated": ("boolean", "in a dedicated range"),
    "allocationstate": "Allocated or Free", "taken": ("date", "when a network took it"),
    "network": ("list", "the networks using it"),
})


def render(ctx, row: dict) -> dict:
    owner = ctx.owner_fields({"accountid": row["accountid"], "domainid": (ctx.store.get(
        "account", row["accountid"]) or {}).get("domainid")}) if row["accountid"] else {}
    networks = [ctx.store.get("network", n) for n in row["networkids"]]
    return {"id": row["id"], "vlan": row["vnet"], **owner, "zoneid": row["zoneid"],
            "zonename": zone_name(ctx.store, row["zoneid"]), "physicalnetworkid": row["physicalnetworkid"],
            "physicalnetworkname": row["physicalnetworkname"], "isdedicated": row["isdedicated"],
            "allocationstate": "Allocated" if row["taken"] else "Free", "taken": row["taken"],
            "network": [render_network(ctx, n) for n in networks if n]}


@api("listGuestVlans", response="guestvlan", description="Lists the guest VNETs and who uses them.",
     params=[*PAGING, P("id", "the vnet id"), P("zoneid"), P("physicalnetworkid"), P("vnet", "the VNET"),
             P("allocatedonly", "only VNETs a network uses")])
def list_guest_vlans(ctx):
    rows = service.select(service.guest_vlans(ctx.store), vlan_id=ctx.get("id"), zone_id=ctx.get("zoneid"),
                          physnet_id=ctx.get("physicalnetworkid"), vnet=ctx.get("vnet"),
                          allocated_only=bool(ctx.get("allocatedonly")), keyword=ctx.get("keyword"))
    page = ctx.paginate(rows)
    return ListResult([render(ctx, r) for r in page.items], page.count)
