"""Lookups by name, and a Basic zone's guest network."""
from __future__ import annotations

import pytest
from resource_fakes import FakeCloud

from marvin2 import resources as r


def test_basic_zone_network_is_the_zones_shared_guest_network():
    cloud = FakeCloud()
    cloud.add("network", id="iso", name="an-isolated-one", type="Isolated", traffictype="Guest", zoneid="z1")
    cloud.add("network", id="guest", name="defaultGuestNetwork", type="Shared", traffictype="Guest", zoneid="z1")
    assert r.find_basic_zone_network(cloud, "z1")["id"] == "guest"
    (command, params), = [c for c in cloud.calls if c[0] == "listNetworks"]
    assert params == {"zoneid": "z1", "traffictype": "Guest", "listall": True}


def test_basic_zone_without_a_guest_network_says_what_it_found():
    cloud = FakeCloud()
    cloud.add("network", id="iso", name="an-isolated-one", type="Isolated", traffictype="Guest", zoneid="z1")
    with pytest.raises(r.ResourceNotFound) as missing:
        r.find_basic_zone_network(cloud, "z1")
    text = str(missing.value)
    assert "Basic zone z1 has no shared guest network" in text and "'an-isolated-one'" in text
