"""dedicatePublicIpRange / releasePublicIpRange: dedication of existing ranges, and what release gives back."""
from __future__ import annotations

import pytest
from compute_client import unique


@pytest.fixture()
def new_range(admin, catalog):
    made = []

    def _make(third_octet: int) -> dict:
        row = admin.ok("createVlanIpRange", zoneid=catalog["zone"]["id"], startip=f"10.{third_octet}.0.10",
                       endip=f"10.{third_octet}.0.12", gateway=f"10.{third_octet}.0.1", netmask="255.255.255.0",
                       vlan=str(third_octet), forvirtualnetwork=True)["vlan"]
        made.append(row)
        return row

    yield _make


def _network(admin, client, zone_id) -> str:
    offering = admin.items("listNetworkOfferings", "networkoffering",
                           name="DefaultIsolatedNetworkOfferingWithSourceNatService")[0]
    return client.ok("createNetwork", name=unique("net"), displaytext="n", zoneid=zone_id,
                     networkofferingid=offering["id"])["network"]["id"]


def test_dedicate_allocate_release(admin, user, catalog, new_range):
    vlan = new_range(91)
    dedicated = admin.ok("dedicatePublicIpRange", id=vlan["id"], account=user.account["name"],
                         domainid=user.account["domainid"])["vlan"]
    assert dedicated["account"] == user.account["name"]
    assert admin.items("listVlanIpRanges", "vlaniprange", id=vlan["id"])[0]["account"] == user.account["name"]
    network = _network(admin, user, catalog["zone"]["id"])
    first = user.run("associateIpAddress", networkid=network)["ipaddress"]
    ip = user.run("associateIpAddress", networkid=network)["ipaddress"]
    assert first["ipaddress"].startswith("10.91.0.") and ip["ipaddress"].startswith("10.91.0.")   # dedicated first
    source_nat = [a for a in user.items("listPublicIpAddresses", "publicipaddress", associatednetworkid=network)
                  if a.get("issourcenat")]
    assert admin.error("dedicatePublicIpRange", id=vlan["id"], domainid=user.account["domainid"]) == \
        (431, "Specified Public IP range has already been dedicated")

    assert admin.ok("releasePublicIpRange", id=vlan["id"])["success"] is True
    assert "account" not in admin.items("listVlanIpRanges", "vlaniprange", id=vlan["id"])[0]
    remaining = {a["id"] for a in user.items("listPublicIpAddresses", "publicipaddress", associatednetworkid=network)}
    assert remaining == {a["id"] for a in source_nat} and ip["id"] not in remaining   # unused ones given back
    assert admin.error("releasePublicIpRange", id=vlan["id"]) == \
        (431, f"Can't release Public IP range {vlan['id']} as it not dedicated to any domain and any account")


def test_dedicate_to_a_domain_and_refusals(admin, user, other_user, catalog, new_range):
    vlan = new_range(92)
    taken = other_user.run("associateIpAddress", networkid=_network(admin, other_user, catalog["zone"]["id"]),
                           ipaddress="10.92.0.10")["ipaddress"]
    assert admin.error("dedicatePublicIpRange", id=vlan["id"], account=user.account["name"],
                       domainid=user.account["domainid"]) == \
        (431, "10.92.0.10 Public IP address in range is allocated to another account ")
    assert admin.error("dedicatePublicIpRange", id=vlan["id"], account="nobody",
                       domainid=user.account["domainid"]) == (431, "Unable to find account by name nobody")
    domain = admin.ok("createDomain", name="ipdom")["domain"]
    assert admin.error("dedicatePublicIpRange", id=vlan["id"], domainid=domain["id"]) == \
        (431, "10.92.0.10 Public IP address in range is allocated to another domain/account ")
    other_user.run("disassociateIpAddress", id=taken["id"])
    made = admin.ok("dedicatePublicIpRange", id=vlan["id"], domainid=domain["id"])["vlan"]
    assert made["domainid"] == domain["id"] and "account" not in made
    assert admin.error("dedicatePublicIpRange", id=vlan["id"], domainid=domain["id"]) == \
        (431, "Specified Public IP range has already been dedicated to a domain")
    admin.ok("releasePublicIpRange", id=vlan["id"])
    assert user.error("dedicatePublicIpRange", id=vlan["id"], domainid=domain["id"])[0] == 432
    code, text = admin.error("dedicatePublicIpRange", id=vlan["id"])
    assert code == 431 and "missing parameter domainid" in text
