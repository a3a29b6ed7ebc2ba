"""Portable IP ranges of a region: create (one Free address per IP), list with addresses, delete, errors."""
from __future__ import annotations

import pytest
from netclient import new_user

from marvin2.simulator.errors import ApiError


def test_portable_range_life_cycle(admin, sim):
    started = admin.start("createPortableIpRange", regionid=1, startip="10.50.0.10", endip="10.50.0.12",
                          gateway="10.50.0.1", netmask="255.255.255.0", vlan="77")
    assert set(started) == {"id", "jobid"}
    made = admin.wait(started["jobid"])["jobresult"]["portableiprange"]
    assert made == {"id": started["id"], "regionid": 1, "gateway": "10.50.0.1", "netmask": "255.255.255.0",
                    "vlan": "77", "startip": "10.50.0.10", "endip": "10.50.0.12"}
    listed = admin.items("listPortableIpRanges", "portableiprange", regionid=1)
    assert [r["id"] for r in listed] == [made["id"]]
    addresses = listed[0]["portableipaddress"]
    assert [(a["ipaddress"], a["state"], a["regionid"]) for a in addresses] == \
        [("10.50.0.10", "Free", 1), ("10.50.0.11", "Free", 1), ("10.50.0.12", "Free", 1)]
    assert admin.items("listPortableIpRanges", "portableiprange", id=made["id"])[0]["startip"] == "10.50.0.10"
    untagged = admin.run("createPortableIpRange", regionid=1, startip="10.50.1.1", endip="10.50.1.1",
                         gateway="10.50.1.254", netmask="255.255.255.0")["portableiprange"]
    assert untagged["vlan"] == "untagged"
    assert len(admin.items("listPortableIpRanges", "portableiprange")) == 2

    # A range with an address in use cannot go (white-box here; test_portable_address_acquire_and_release goes through associateIpAddress).
    with sim.store.transaction():
        row = sim.store.find_one("portableip", ipaddress="10.50.0.11")
        sim.store.update("portableip", row["id"], state="Allocated")
    code, text = admin.run_fails("deletePortableIpRange", id=made["id"])
    assert (code, text) == (431, "Can't delete portable IP range as there are IP's assigned.")
    with sim.store.transaction():
        sim.store.update("portableip", row["id"], state="Free")

    assert admin.run("deletePortableIpRange", id=made["id"])["success"] is True
    assert admin.run("deletePortableIpRange", id=untagged["id"])["success"] is True
    assert admin.items("listPortableIpRanges", "portableiprange") == []
    code, _, _ = admin.error("deletePortableIpRange", id=made["id"])
    assert code == 431


def test_portable_range_errors(admin):
    base = {"regionid": 1, "gateway": "10.60.0.1", "netmask": "255.255.255.0"}
    cases = [
        ({"startip": "10.60.0.20", "endip": "10.60.0.10"}, "Invalid portable ip  range: 10.60.0.20-10.60.0.10"),
        ({"startip": "10.60.0.x", "endip": "10.60.0.10"}, "Invalid portable ip  range: 10.60.0.x-10.60.0.10"),
        ({"startip": "10.59.0.2", "endip": "10.60.0.10"},
         ("Please ensure that your start IP is in the same subnet as your portable IP range's gateway and as per the "
         "IP range's netmask.")),
        ({"startip": "10.60.0.2", "endip": "10.61.0.10"},
         ("Please ensure that your end IP is in the same subnet as your portable IP range's gateway and as per the "
         "IP range's netmask.")),
        ({"startip": "10.60.0.2", "endip": "10.60.0.5", "vlan": "5000"}, "Invalid vlan id 5000"),
        ({"startip": "10.60.0.2", "endip": "10.60.0.5", "regionid": 7}, "Invalid region ID: 7"),
        ({"startip": "10.60.0.2", "endip": "10.60.0.5", "vlan": "50"},
         ("Found a VLAN id 50 already existing in zone Sandbox-simulator that conflicts with VLAN id of the portable "
         "ip range being configured")),
        ({"startip": "192.168.2.100", "endip": "192.168.2.120", "gateway": "192.168.2.1", "vlan": "90"},
         "The Start IP and endIP address range overlap with Public IP :192.168.2.100"),
    ]
    for params, text in cases:
        code, _, got = admin.error("createPortableIpRange", **{**base, **params})
        assert (code, got) == (431, text), params
    made = admin.run("createPortableIpRange", startip="10.60.0.2", endip="10.60.0.5", **base)["portableiprange"]
    code, _, text = admin.error("createPortableIpRange", startip="10.60.0.5", endip="10.60.0.9", **base)
    assert text == "Ip  range: 10.60.0.5-10.60.0.9 overlaps with a portable IP range already configured in the region 1"
    assert admin.error("listPortableIpRanges", regionid=9)[2] == "Invalid region ID: 9"
    admin.run("deletePortableIpRange", id=made["id"])


def test_portable_ranges_are_root_admin_only(admin):
    user = new_user(admin, "portable")
    for command, params in (("listPortableIpRanges", {}),
                            ("createPortableIpRange", {"regionid": 1, "startip": "10.70.0.2", "endip": "10.70.0.3",
                                                       "gateway": "10.70.0.1", "netmask": "255.255.255.0"})):
        code, _, text = user.error(command, **params)
        assert code == 432 and text.startswith(f"The API [{command}] does not exist or is not available")


def test_region_portable_service_follows_its_ranges(admin):
    def enabled(region_id):
        return admin.items("listRegions", "region", id=region_id)[0]["portableipserviceenabled"]

    assert enabled(1) is False
    made = admin.run("createPortableIpRange", regionid=1, startip="10.80.0.2", endip="10.80.0.3",
                     gateway="10.80.0.1", netmask="255.255.255.0")["portableiprange"]
    assert enabled(1) is True
    admin.ok("addRegion", id=2, name="Second", endpoint="http://second:8080/client/")
    other = admin.run("createPortableIpRange", regionid=2, startip="10.80.0.2", endip="10.80.0.3",
                      gateway="10.80.0.1", netmask="255.255.255.0")["portableiprange"]
    assert [r["id"] for r in admin.items("listPortableIpRanges", "portableiprange", regionid=2)] == [other["id"]]
    admin.run("deletePortableIpRange", id=made["id"])
    assert enabled(1) is False and enabled(2) is True
    admin.run("deletePortableIpRange", id=other["id"])
    assert enabled(2) is False


def test_portable_address_acquire_and_release(admin, cloud, make_network):
    """associateIpAddress isportable=true takes a region's portable address into the zone; disassociate gives it back."""
    made = admin.run("createPortableIpRange", regionid=1, startip="10.90.0.5", endip="10.90.0.5",
                     gateway="10.90.0.1", netmask="255.255.255.0", vlan="95")["portableiprange"]
    owner = new_user(admin, "portable-owner")
    network = make_network(owner)
    public = owner.run("associateIpAddress", networkid=network["id"], isportable=True)["ipaddress"]
    assert public["ipaddress"] == "10.90.0.5" and public["isportable"] is True and public["state"] == "Allocated"
    listed = owner.items("listPublicIpAddresses", "publicipaddress", ipaddress="10.90.0.5")
    assert [(p["ipaddress"], p["state"], p["isportable"]) for p in listed] == [("10.90.0.5", "Allocated", True)]
    addresses = admin.items("listPortableIpRanges", "portableiprange", id=made["id"])[0]["portableipaddress"]
    assert addresses[0]["state"] == "Allocated" and addresses[0]["accountid"] == owner.account["name"]
    assert addresses[0]["zoneid"] == cloud["zone"]["id"]
    code, _, text = owner.error("associateIpAddress", networkid=network["id"], isportable=True)   # in create()
    assert (code, text) == (533, "Unable to find available portable IP addresses")
    code, text = admin.run_fails("deletePortableIpRange", id=made["id"])
    assert (code, text) == (431, "Can't delete portable IP range as there are IP's assigned.")
    owner.run("disassociateIpAddress", id=public["id"])
    assert owner.items("listPublicIpAddresses", "publicipaddress", ipaddress="10.90.0.5") == []
    addresses = admin.items("listPortableIpRanges", "portableiprange", id=made["id"])[0]["portableipaddress"]
    assert addresses[0]["state"] == "Free"
    assert admin.run("deletePortableIpRange", id=made["id"])["success"] is True
