"""``tags`` of listNetworkOfferings is a string (host tags), not a map of resource tags."""
from __future__ import annotations


def test_list_network_offerings_by_host_tags(admin):
    assert admin.items("listNetworkOfferings", "networkoffering", tags="x") == []   # was a 530 (AttributeError)
    created = admin.ok("createNetworkOffering", name="tagged-offering", displaytext="tagged", guestiptype="Isolated",
                       traffictype="Guest", supportedservices="Dhcp,Dns", tags="ssd-hosts")["networkoffering"]
    found = admin.items("listNetworkOfferings", "networkoffering", tags="ssd-hosts")
    assert [o["id"] for o in found] == [created["id"]]
    assert admin.items("listNetworkOfferings", "networkoffering", tags="other") == []
    # a real map of resource tags still goes to the resource-tag filter of other lists
    assert admin.items("listZones", "zone", **{"tags[0].key": "nope", "tags[0].value": "x"}) == []
