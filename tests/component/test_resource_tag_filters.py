"""Resource tags as list filters, and the tag life cycle.

The ``tags`` map of a list API matches a resource carrying one of the given
key/value pairs (CloudStack joins the tag table with OR over the pairs);
listTags filters by type, resource, key and value; deleteTags matches keys
and values case-insensitively and a key alone removes any value; a key is
unique per resource; tags go with their resource. Volumes are the cheap
resource here; one VM checks listVirtualMachines.
"""
from __future__ import annotations

import pytest

from marvin2.client import CloudStackError

from .helpers import JOB_PARAM_ERROR, expect_error, ids, only

pytestmark = [pytest.mark.tags("component", "resource-tags")]


@pytest.fixture
def volumes(create_volume):
    return [create_volume() for _ in range(3)]


def tag(make, volume, **tags):
    make.tags("Volume", [volume.id], tags)


def delete_keys(api, resource_id: str, *keys: str):
    """deleteTags naming keys only (no value), in the wire form: tags[i].key=..."""
    params = {"resourcetype": "Volume", "resourceids": resource_id}
    params.update({f"tags[{n}].key": key for n, key in enumerate(keys)})
    return api.call("deleteTags", params)


@pytest.mark.tags("quick-test", "volumes")
def test_a_tag_filter_selects_exact_key_and_value(make, volumes, user_api):
    marker = make.name("env")
    tag(make, volumes[0], **{marker: "prod"})
    tag(make, volumes[1], **{marker: "test"})
    assert ids(user_api.listVolumes(tags={marker: "prod"})) == [volumes[0].id]
    assert ids(user_api.listVolumes(tags={marker: "test"})) == [volumes[1].id]
    assert user_api.listVolumes(tags={marker: "staging"}) == []


@pytest.mark.tags("volumes")
def test_several_pairs_match_any_of_them(make, volumes, user_api):
    env, tier = make.name("env"), make.name("tier")
    tag(make, volumes[0], **{env: "prod"})
    tag(make, volumes[1], **{tier: "web"})
    tag(make, volumes[2], **{env: "prod", tier: "web"})
    found = user_api.listVolumes(tags={env: "prod", tier: "web"})
    assert sorted(ids(found)) == sorted(ids(volumes))


@pytest.mark.tags("volumes")
def test_tags_appear_on_the_resource(make, volumes, user_api, test_account):
    marker = make.name("owner")
    tag(make, volumes[0], **{marker: "team-a", "m2-cost": "42"})
    record = only(user_api.listVolumes(id=volumes[0].id))
    mine = {t.key: t for t in record.tags if t.key in (marker, "m2-cost")}
    assert {k: t.value for k, t in mine.items()} == {marker: "team-a", "m2-cost": "42"}
    assert {(t.resourcetype, t.resourceid, t.account) for t in mine.values()} == {
        ("Volume", volumes[0].id, test_account.name)}


@pytest.mark.tags("deploy-vm")
def test_vm_tag_filter(make, deploy_vm, shared_network, user_api):
    vm = deploy_vm(networkids=[shared_network.id])
    marker = make.name("role")
    make.tags("UserVm", [vm.id], {marker: "db"})
    assert ids(user_api.listVirtualMachines(tags={marker: "db"})) == [vm.id]
    assert user_api.listVirtualMachines(tags={marker: "web"}) == []


def test_one_create_tags_call_tags_several_resources(make, volumes, user_api):
    marker = make.name("batch")
    make.tags("Volume", ids(volumes), {marker: "yes"})
    assert sorted(ids(user_api.listVolumes(tags={marker: "yes"}))) == sorted(ids(volumes))
    assert len(user_api.listTags(key=marker)) == 3


def test_list_tags_filters(make, volumes, shared_network, user_api):
    marker = make.name("f")
    tag(make, volumes[0], **{marker: "a"})
    tag(make, volumes[1], **{marker: "b"})
    make.tags("Network", [shared_network.id], {marker: "a"})
    assert len(user_api.listTags(key=marker)) == 3
    assert {t.resourceid for t in user_api.listTags(key=marker, value="a")} == {volumes[0].id, shared_network.id}
    assert [t.resourceid for t in user_api.listTags(key=marker, resourcetype="Network")] == [shared_network.id]
    assert [t.value for t in user_api.listTags(resourceid=volumes[1].id, key=marker)] == ["b"]


def test_delete_by_key_removes_any_value(make, volumes, user_api):
    marker = make.name("gone")
    user_api.createTags(resourcetype="Volume", resourceids=[volumes[0].id], tags={marker: "whatever"})
    delete_keys(user_api, volumes[0].id, marker)
    assert user_api.listTags(key=marker) == []


def test_delete_matches_key_and_value_ignoring_case(make, volumes, user_api):
    marker = make.name("case")
    user_api.createTags(resourcetype="Volume", resourceids=[volumes[0].id], tags={marker: "Prod"})
    user_api.deleteTags(resourcetype="Volume", resourceids=[volumes[0].id], tags={marker.upper(): "PROD"})
    assert user_api.listTags(resourceid=volumes[0].id, key=marker) == []


def test_delete_with_another_value_keeps_the_tag(make, volumes, user_api):
    marker = make.name("keep")
    tag(make, volumes[0], **{marker: "blue"})
    with pytest.raises(CloudStackError):
        # Nothing matches: the server answers "Failed to delete tags".
        user_api.deleteTags(resourcetype="Volume", resourceids=[volumes[0].id], tags={marker: "green"})
    assert [t.value for t in user_api.listTags(resourceid=volumes[0].id, key=marker)] == ["blue"]


@pytest.mark.tags("negative")
def test_deleting_tags_that_do_not_exist(make, volumes, user_api):
    error = expect_error(530, delete_keys, user_api, volumes[0].id, make.name("none"))
    assert error.errortext == "Failed to delete tags"


@pytest.mark.tags("negative")
def test_a_key_is_unique_per_resource(make, volumes, user_api):
    marker = make.name("dup")
    tag(make, volumes[0], **{marker: "one"})
    # A database constraint, not a parameter check: the job fails with 530.
    error = expect_error(530, user_api.createTags, resourcetype="Volume", resourceids=[volumes[0].id],
                         tags={marker: "two"})
    assert error.errortext  # "tag <key> already on Volume with id <uuid>" in recent versions
    assert [t.value for t in user_api.listTags(resourceid=volumes[0].id, key=marker)] == ["one"]


@pytest.mark.tags("negative")
def test_an_empty_value_is_refused(make, volumes, user_api):
    marker = make.name("empty")
    error = expect_error(JOB_PARAM_ERROR, user_api.call, "createTags",
                         {"resourcetype": "Volume", "resourceids": volumes[0].id,
                          "tags[0].key": marker, "tags[0].value": ""}, validate=False)
    assert marker in error.errortext
    assert user_api.listTags(key=marker) == []


@pytest.mark.tags("negative", "isolation")
def test_another_account_cannot_tag_my_volume(make, volumes, user_api):
    other = make.api_for(make.account(purpose="tagger"))
    marker = make.name("intrude")
    with pytest.raises(CloudStackError) as refused:
        other.createTags(resourcetype="Volume", resourceids=[volumes[0].id], tags={marker: "x"})
    # The access check runs in the job on some versions (530 with the permission text), before it on others (531).
    assert refused.value.errorcode in (530, 531)
    assert user_api.listTags(key=marker) == []


@pytest.mark.tags("volumes")
def test_tags_go_with_their_resource(make, create_volume, user_api):
    volume = create_volume()
    marker = make.name("bye")
    user_api.createTags(resourcetype="Volume", resourceids=[volume.id], tags={marker: "x"})
    user_api.deleteVolume(id=volume.id)
    assert user_api.listTags(key=marker) == []
