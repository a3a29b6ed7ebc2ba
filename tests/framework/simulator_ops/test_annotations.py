"""Annotations: add → list (newest first, by entity, by author, keyword) → visibility → remove, with
AnnotationManagerImpl's checks; every annotation API is Admin-only in 4.20."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def host(admin) -> dict:
    return admin.items("listHosts", "host", type="Routing")[0]


def test_annotation_life_cycle(admin, host, catalog):
    zone = catalog["zone"]
    first = admin.ok("addAnnotation", annotation="rack 4, PDU B", entitytype="HOST", entityid=host["id"])["annotation"]
    assert (first["entitytype"], first["entityid"], first["entityname"], first["annotation"], first["adminsonly"],
            first["username"]) == ("HOST", host["id"], host["name"], "rack 4, PDU B", False, "admin")
    second = admin.ok("addAnnotation", annotation="firmware due", entitytype="HOST", entityid=host["id"],
                      adminsonly=True)["annotation"]
    on_zone = admin.ok("addAnnotation", annotation="main zone", entitytype="ZONE", entityid=zone["id"])["annotation"]
    assert on_zone["entityname"] == zone["name"]

    on_host = admin.items("listAnnotations", "annotation", entitytype="HOST", entityid=host["id"])
    assert [a["id"] for a in on_host] == [second["id"], first["id"]]                    # newest first
    assert [a["id"] for a in admin.items("listAnnotations", "annotation", entityid=zone["id"])] == [on_zone["id"]]
    assert [a["id"] for a in admin.items("listAnnotations", "annotation", keyword="pdu")] == [first["id"]]
    everything = admin.items("listAnnotations", "annotation")
    assert {first["id"], second["id"], on_zone["id"]} <= {a["id"] for a in everything}
    assert len(admin.items("listAnnotations", "annotation", annotationfilter="self")) == len(everything)

    hidden = admin.ok("updateAnnotationVisibility", id=first["id"], adminsonly=True)["annotation"]
    assert hidden["adminsonly"] is True
    by_id = admin.items("listAnnotations", "annotation", id=first["id"], userid=first["userid"])
    assert [a["id"] for a in by_id] == [first["id"]]

    removed = admin.ok("removeAnnotation", id=first["id"])["annotation"]
    assert removed["removed"]
    assert first["id"] not in {a["id"] for a in admin.items("listAnnotations", "annotation", entitytype="HOST")}
    for row in (second, on_zone):
        admin.ok("removeAnnotation", id=row["id"])


def test_errors(admin, user, host):
    assert admin.error("addAnnotation", 431, annotation="x", entitytype="host", entityid=host["id"]) == (
        "No enum constant org.apache.cloudstack.annotation.AnnotationService.EntityType.host")
    assert "does not exist" in admin.error("removeAnnotation", 530, id="no-such-annotation")
    assert "does not exist" in admin.error("updateAnnotationVisibility", 530, id="no-such", adminsonly=False)
    assert "adminsonly" in admin.error("updateAnnotationVisibility", 431, id="no-such")
    assert "not both" in admin.error("listAnnotations", 431, id="a", entitytype="HOST")
    for command, params in (("addAnnotation", {"annotation": "x", "entitytype": "VM", "entityid": "y"}),
                            ("listAnnotations", {}), ("removeAnnotation", {"id": "z"})):
        assert "does not exist or is not available" in user.error(command, 432, **params)
