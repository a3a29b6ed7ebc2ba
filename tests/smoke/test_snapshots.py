"""Volume snapshots: create, list, volumes and templates from snapshots, delete."""
import pytest

from marvin2 import resources as r
from marvin2.client import CloudStackError

from .helpers import ids, listed, only

pytestmark = pytest.mark.tags("snapshots", "storage", "smoke", "advanced")


@pytest.fixture
def root_volume(deploy_vm, user_api):
    vm = deploy_vm()
    return only(user_api.listVolumes(virtualmachineid=vm.id, type="ROOT"), "ROOT volume")


@pytest.mark.tags("quick-test")
def test_snapshot_of_a_root_volume(root_volume, create_snapshot, user_api, test_account):
    snapshot = create_snapshot(root_volume.id)
    assert snapshot.state == "BackedUp"
    assert snapshot.volumeid == root_volume.id
    assert snapshot.volumetype == "ROOT"
    assert snapshot.snapshottype == "MANUAL"
    assert snapshot.account == test_account.name
    assert snapshot.id in ids(user_api.listSnapshots(volumeid=root_volume.id))


def test_volume_from_a_snapshot(root_volume, create_snapshot, create_volume, user_api):
    snapshot = create_snapshot(root_volume.id)
    volume = create_volume(snapshotid=snapshot.id)
    assert volume.type == "DATADISK"
    assert int(volume.size) == int(root_volume.size)


@pytest.mark.tags("templates")
def test_template_from_a_snapshot(root_volume, create_snapshot, create_template, deploy_vm):
    snapshot = create_snapshot(root_volume.id)
    template = create_template(snapshotid=snapshot.id)
    assert template.isready is True
    vm = deploy_vm(templateid=template.id)
    assert (vm.state, vm.templateid) == ("Running", template.id)


def test_snapshot_of_a_data_volume(deploy_vm, create_volume, create_snapshot, user_api):
    vm = deploy_vm()
    volume = create_volume()
    r.attach_volume(user_api, volume.id, vm.id)
    snapshot = create_snapshot(volume.id)
    assert (snapshot.volumeid, snapshot.volumetype, snapshot.state) == (volume.id, "DATADISK", "BackedUp")


def test_delete_snapshot(root_volume, create_snapshot, user_api):
    snapshot = create_snapshot(root_volume.id)
    user_api.deleteSnapshot(id=snapshot.id)
    remaining = [s for s in listed(user_api, "listSnapshots", id=snapshot.id) if s.get("state") != "Destroyed"]
    assert remaining == []


@pytest.mark.tags("negative")
def test_snapshot_of_an_allocated_volume_is_refused(create_volume, create_snapshot, user_api):
    volume = create_volume()  # never attached: nothing on primary storage to snapshot
    with pytest.raises(CloudStackError) as refused:
        create_snapshot(volume.id)
    assert refused.value.errorcode == 431
    assert listed(user_api, "listSnapshots", volumeid=volume.id) == []
