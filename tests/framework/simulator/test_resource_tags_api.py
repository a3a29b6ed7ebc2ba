"""Resource tags over HTTP as CloudStack 4.18 handles them: a ``tags`` filter with several pairs matches
ANY pair; deleteTags compares keys and values ignoring case and fails its job with 530 "Failed to delete
tags" when nothing matches; createTags fails its job (one transaction, nothing kept) on a key the
resource already has (530) or an empty value (431)."""
from __future__ import annotations

import pytest
from sim_testlib import RawClient


def _job(admin: RawClient, command: str, **params) -> dict:
    return admin.wait_job(admin.ok(command, **params)["jobid"])


def _tag(admin: RawClient, volume_id: str, **tags) -> None:
    job = _job(admin, "createTags", resourcetype="Volume", resourceids=volume_id, tags=tags)
    assert job["jobstatus"] == 1, job


def _tags_of(admin: RawClient, volume_id: str) -> dict:
    listed = admin.ok("listTags", resourceid=volume_id).get("tag", [])
    return {t["key"]: t["value"] for t in listed}


@pytest.fixture(scope="module")
def volumes(admin) -> list[str]:
    zone = admin.ok("listZones")["zone"][0]
    offering = next(d for d in admin.ok("listDiskOfferings")["diskoffering"] if d["name"] == "Small")
    made = []
    for index in range(3):
        answer = admin.ok("createVolume", name=f"tagged{index}", zoneid=zone["id"], diskofferingid=offering["id"])
        assert admin.wait_job(answer["jobid"])["jobstatus"] == 1
        made.append(answer["id"])
    return made


def _listed(admin: RawClient, **tags) -> list[str]:
    return sorted(v["id"] for v in admin.ok("listVolumes", tags=tags).get("volume", []))


def test_several_pairs_match_any_of_them(admin, volumes):
    _tag(admin, volumes[0], env="prod")
    _tag(admin, volumes[1], tier="web")
    _tag(admin, volumes[2], env="prod", tier="web")
    assert _listed(admin, env="prod", tier="web") == sorted(volumes)
    assert _listed(admin, env="prod") == sorted([volumes[0], volumes[2]])
    assert _listed(admin, env="prod", tier="db") == sorted([volumes[0], volumes[2]])
    assert _listed(admin, env="test", tier="db") == []
    answer = admin.ok("listVolumes", tags={"env": "prod", "tier": "web"}, page=1, pagesize=2)
    assert answer["count"] == 3 and len(answer["volume"]) == 2


def test_delete_ignores_the_case_of_keys_and_values(admin, volumes):
    _tag(admin, volumes[0], Owner="Alice")
    job = _job(admin, "deleteTags", resourcetype="Volume", resourceids=volumes[0], tags={"OWNER": "alice"})
    assert job["jobstatus"] == 1
    assert "Owner" not in _tags_of(admin, volumes[0])


def test_delete_with_a_key_alone_removes_any_value(admin, volumes):
    _tag(admin, volumes[1], colour="Blue")
    # deleteTags is async: the tag is gone once its job has run (checking earlier races the job thread).
    job = _job(admin, "deleteTags", resourcetype="Volume", resourceids=volumes[1], **{"tags[0].key": "COLOUR"})
    assert job["jobstatus"] == 1, job
    assert "colour" not in _tags_of(admin, volumes[1])


def test_delete_that_matches_nothing_fails_the_job(admin, volumes):
    _tag(admin, volumes[1], size="big")
    job = _job(admin, "deleteTags", resourcetype="Volume", resourceids=volumes[1], tags={"size": "small"})
    assert (job["jobstatus"], job["jobresultcode"]) == (2, 530)
    assert job["jobresult"]["errortext"] == "Failed to delete tags"
    assert _tags_of(admin, volumes[1])["size"] == "big"


def test_a_key_already_on_the_resource_fails_the_job(admin, volumes):
    _tag(admin, volumes[2], unique="one")
    job = _job(admin, "createTags", resourcetype="Volume", resourceids=",".join([volumes[0], volumes[2]]),
               tags={"unique": "two"})
    assert (job["jobstatus"], job["jobresultcode"]) == (2, 530)
    assert job["jobresult"]["errortext"] == f"tag unique already on Volume with id {volumes[2]}"
    # One transaction: the tag put on the first volume before the failure is gone too.
    assert "unique" not in _tags_of(admin, volumes[0])
    assert _tags_of(admin, volumes[2])["unique"] == "one"


def test_an_empty_value_fails_the_job(admin, volumes):
    status, body = admin.call("createTags", resourcetype="Volume", resourceids=volumes[0],
                              **{"tags[0].key": "first", "tags[0].value": "ok",
                                 "tags[1].key": "blank", "tags[1].value": ""})
    assert status == 200
    job = admin.wait_job(body["createtagsresponse"]["jobid"])
    assert (job["jobstatus"], job["jobresultcode"]) == (2, 431)
    assert job["jobresult"]["errortext"] == "Value for the key blank is either null or empty"
    assert not {"first", "blank"} & set(_tags_of(admin, volumes[0]))
