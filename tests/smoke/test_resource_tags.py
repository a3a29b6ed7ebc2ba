"""Resource tags: createTags, listTags, ``tags`` filters of list APIs, deleteTags."""
import pytest

from marvin2.client import CloudStackError

from .helpers import ids, only

pytestmark = pytest.mark.tags("resource-tags", "smoke")


def _tags(api, resource_id, resourcetype, key):
    return [(t.key, t.value) for t in api.listTags(resourceid=resource_id, resourcetype=resourcetype, key=key) or []]


@pytest.mark.tags("quick-test", "deploy-vm", "basic")
def test_tag_a_vm_and_filter_by_tag(shared_vm, user_api, make):
    key = make.name("tier", max_length=40)
    user_api.createTags(resourceids=[shared_vm.id], resourcetype="UserVm", tags={key: "web"})
    try:
        assert _tags(user_api, shared_vm.id, "UserVm", key) == [(key, "web")]
        listed = only(user_api.listVirtualMachines(id=shared_vm.id))
        assert (key, "web") in [(t.key, t.value) for t in listed.tags]
        assert ids(user_api.listVirtualMachines(tags={key: "web"})) == [shared_vm.id]
        assert user_api.listVirtualMachines(tags={key: "db"}) in ([], None)
    finally:
        user_api.deleteTags(resourceids=[shared_vm.id], resourcetype="UserVm", tags={key: "web"})
    assert _tags(user_api, shared_vm.id, "UserVm", key) == []


@pytest.mark.tags("volumes", "networks")
@pytest.mark.zone_type("Advanced")
@pytest.mark.parametrize("kind", ["Volume", "Network"])
def test_tag_volumes_and_networks(kind, create_volume, create_network, user_api):
    resource = create_volume() if kind == "Volume" else create_network()
    user_api.createTags(resourceids=[resource.id], resourcetype=kind, tags={"marvin2-purpose": "smoke", "owner": "qa"})
    assert sorted(_tags(user_api, resource.id, kind, "owner")) == [("owner", "qa")]
    command = "listVolumes" if kind == "Volume" else "listNetworks"
    assert resource.id in ids(user_api.call(command, {"tags": {"marvin2-purpose": "smoke"}}))
    user_api.deleteTags(resourceids=[resource.id], resourcetype=kind, tags={"owner": "qa"})
    assert _tags(user_api, resource.id, kind, "owner") == []
    assert _tags(user_api, resource.id, kind, "marvin2-purpose") == [("marvin2-purpose", "smoke")]


@pytest.mark.tags("negative", "isolation", "basic")
def test_cannot_tag_another_accounts_resource(shared_vm, make):
    other = make.api_for(make.account(purpose="other"))
    with pytest.raises(CloudStackError) as refused:
        other.createTags(resourceids=[shared_vm.id], resourcetype="UserVm", tags={"stolen": "yes"})
    assert refused.value.errorcode == 531


@pytest.mark.tags("negative", "basic")
def test_unknown_resource_type_is_refused(shared_vm, user_api):
    with pytest.raises(CloudStackError) as refused:
        user_api.createTags(resourceids=[shared_vm.id], resourcetype="NoSuchType", tags={"k": "v"})
    assert refused.value.errorcode == 431
