"""Guest VLANs (listGuestVlans): one entry per VNET of the physical networks' guest ranges, built from the
simulator's state on each call: a VNET is Allocated while a live network of its zone uses it (``vlannumber``;
its "taken" time is that network's creation, the simulator records no other), and dedicated while it lies in a
dedicated guest VLAN range (services/dedicated.py). The numeric ids follow the ranges' order, as a fresh
database numbers its vnet rows."""
from __future__ import annotations

from marvin2.simulator.services.dedicated import (
    VLAN_KIND,
    physical_vlan_ranges,
    vlan_bounds,
)


def guest_vlans(store) -> list[dict]:
    out, number = [], 0
    for physnet in store.all("physicalnetwork"):
        zone_id = physnet.get("zoneid")
        users: dict[int, list[dict]] = {}
        for network in store.find("network", zoneid=zone_id):
            if not network.get("removed") and network.get("vlannumber") is not None:
                users.setdefault(int(network["vlannumber"]), []).append(network)
        dedicated = [(vlan_bounds(r["guestvlanrange"]), r) for r in store.find(VLAN_KIND, physicalnetworkid=physnet["id"])]
        for low, high in physical_vlan_ranges(physnet):
            for vnet in range(low, high + 1):
                number += 1
                networks = users.get(vnet, [])
                holder = next((r for (lo, hi), r in dedicated if lo <= vnet <= hi), None)
                owner = networks[0].get("accountid") if networks else (holder or {}).get("accountid")
                out.append({"id": number, "vnet": str(vnet), "zoneid": zone_id, "physicalnetworkid": physnet["id"],
                            "physicalnetworkname": physnet.get("name"), "accountid": owner,
                            "isdedicated": holder is not None,
                            "taken": min(n.get("created", "") for n in networks) if networks else None,
                            "networkids": [n["id"] for n in networks]})
    return out


def select(rows: list[dict], *, vlan_id=None, zone_id=None, physnet_id=None, vnet=None, allocated_only=False,
           keyword=None) -> list[dict]:
    chosen = [r for r in rows
              if (vlan_id is None or r["id"] == vlan_id) and (zone_id is None or r["zoneid"] == zone_id)
              and (physnet_id is None or r["physicalnetworkid"] == physnet_id) and (vnet is None or r["vnet"] == vnet)
              and (not allocated_only or r["taken"]) and (keyword is None or keyword in r["vnet"])]
    return sorted(chosen, key=lambda r: r["vnet"])          # the server orders by the vnet text
