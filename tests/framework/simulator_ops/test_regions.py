"""Regions: the fresh cloud's region 1, then add → list → update → remove, with RegionManagerImpl's errors."""
from __future__ import annotations


def test_fresh_cloud_has_the_local_region(admin):
    regions = admin.items("listRegions", "region")
    assert [(r["id"], r["name"], r["endpoint"]) for r in regions] == [(1, "Local", "http://localhost:8080/client/")]


def test_region_life_cycle(admin):
    added = admin.ok("addRegion", id=2, name="west", endpoint="http://west:8080/client/")["region"]
    assert (added["id"], added["name"], added["endpoint"]) == (2, "west", "http://west:8080/client/")
    assert [r["name"] for r in admin.items("listRegions", "region")] == ["Local", "west"]
    assert admin.items("listRegions", "region", name="west")[0]["id"] == 2

    updated = admin.ok("updateRegion", id=2, name="west2", endpoint="http://w2/client/")["region"]
    assert (updated["name"], updated["endpoint"]) == ("west2", "http://w2/client/")
    assert admin.items("listRegions", "region", id=2)[0]["name"] == "west2"

    assert admin.ok("removeRegion", id=2) == {"success": True}
    assert admin.items("listRegions", "region", id=2) == []
    assert admin.error("removeRegion", 431, id=2) == "Failed to delete Region: 2, Region not found"


def test_region_errors(admin):
    assert admin.error("addRegion", 431, id=1, name="dup", endpoint="e") == "Region with id: 1 already exists"
    assert admin.error("addRegion", 431, id=7, name="Local", endpoint="e") == "Region with name: Local already exists"
    assert admin.error("updateRegion", 431, id=99, name="x") == "Region with id: 99 does not exist"
    admin.ok("addRegion", id=3, name="east", endpoint="http://east/client/")
    assert admin.error("updateRegion", 431, id=3, name="Local") == "Region with name: Local already exists"
    assert "endpoint" in admin.error("addRegion", 431, id=8, name="n")
    assert "id" in admin.error("addRegion", 431, id="abc", name="n", endpoint="e")
    admin.ok("removeRegion", id=3)


def test_regions_are_admin_only(user):
    for command, params in (("addRegion", {"id": 5, "name": "u", "endpoint": "e"}), ("removeRegion", {"id": 1}),
                            ("updateRegion", {"id": 1, "name": "x"})):
        assert "does not exist or is not available" in user.error(command, 432, **params)


def test_users_list_regions(user):
    assert [r["name"] for r in user.items("listRegions", "region")] == ["Local"]
