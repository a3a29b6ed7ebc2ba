"""listGuestVlans: VNETs of the guest ranges, taken by networks and held by dedicated ranges."""
from __future__ import annotations

from compute_client import unique


def test_a_network_takes_a_vnet_and_a_dedicated_range_shows(admin, user, catalog, deploy):
    zone = catalog["zone"]
    offering = admin.items("listNetworkOfferings", "networkoffering",
                           name="DefaultIsolatedNetworkOfferingWithSourceNatService")[0]
    network = user.ok("createNetwork", name=unique("net"), displaytext="n", zoneid=zone["id"],
                      networkofferingid=offering["id"])["network"]
    deploy(user, networkids=network["id"])
    vlan = user.items("listNetworks", "network", id=network["id"])[0]["vlan"]
    taken = admin.items("listGuestVlans", "guestvlan", zoneid=zone["id"], vnet=vlan)
    assert len(taken) == 1 and taken[0]["allocationstate"] == "Allocated" and taken[0]["taken"]
    assert taken[0]["account"] == user.account["name"]
    assert [n["id"] for n in taken[0]["network"]] == [network["id"]]
    allocated = admin.items("listGuestVlans", "guestvlan", allocatedonly=True, page=1, pagesize=500)
    assert vlan in {v["vlan"] for v in allocated} and all(v["allocationstate"] == "Allocated" for v in allocated)

    physnet = admin.items("listPhysicalNetworks", "physicalnetwork", zoneid=zone["id"])[0]
    top = int(physnet["vlan"].split(",")[0].split("-")[1])
    free = admin.items("listGuestVlans", "guestvlan", vnet=str(top))[0]
    assert (free["allocationstate"], free["isdedicated"]) == ("Free", False)
    admin.ok("dedicateGuestVlanRange", physicalnetworkid=physnet["id"], vlanrange=f"{top}-{top}",
             account=user.account["name"], domainid=user.account["domainid"])
    held = admin.items("listGuestVlans", "guestvlan", id=free["id"])[0]
    assert held["isdedicated"] is True and held["account"] == user.account["name"] and held["vlan"] == str(top)


def test_guest_vlans_are_for_admins(user):
    assert user.error("listGuestVlans")[0] == 432
