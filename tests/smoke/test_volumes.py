"""Data volumes: create, attach, detach, resize, delete."""
import pytest

from marvin2 import resources as r
from marvin2.client import CloudStackError

from .helpers import GIB, ids, listed, only

pytestmark = pytest.mark.tags("volumes", "storage", "smoke", "advanced")


def test_create_volume(create_volume, user_api, disk_offering, zone, test_account):
    volume = create_volume()
    assert volume.type == "DATADISK"
    assert volume.state == "Allocated", "a volume is only allocated until it is attached"
    assert volume.diskofferingid == disk_offering.id
    assert volume.zoneid == zone.id
    assert volume.account == test_account.name
    assert int(volume.size) == int(disk_offering.disksize) * GIB
    assert not volume.get("virtualmachineid")
    assert volume.id in ids(user_api.listVolumes(id=volume.id))


@pytest.mark.tags("quick-test")
def test_attach_and_detach(create_volume, deploy_vm, user_api):
    vm = deploy_vm()
    volume = create_volume()

    attached = r.attach_volume(user_api, volume.id, vm.id)
    assert attached.virtualmachineid == vm.id
    assert attached.state == "Ready", "attaching to a running VM creates the volume on primary storage"
    assert int(attached.deviceid) >= 1, "device 0 is the root disk"
    assert sorted(v.type for v in user_api.listVolumes(virtualmachineid=vm.id)) == ["DATADISK", "ROOT"]

    detached = r.detach_volume(user_api, volume.id)
    assert not detached.get("virtualmachineid")
    assert detached.state == "Ready"
    assert [v.type for v in user_api.listVolumes(virtualmachineid=vm.id)] == ["ROOT"]


def test_resize_a_custom_volume(create_volume, deploy_vm, make, user_api):
    custom = make.disk_offering(customized=True, disksize=None)
    volume = create_volume(diskofferingid=custom.id, size=2)
    assert int(volume.size) == 2 * GIB
    vm = deploy_vm()
    r.attach_volume(user_api, volume.id, vm.id)
    r.stop_vm(user_api, vm.id)  # every hypervisor can resize a volume of a stopped VM

    resized = user_api.resizeVolume(id=volume.id, size=3)
    assert int(resized.size) == 3 * GIB
    assert int(only(user_api.listVolumes(id=volume.id)).size) == 3 * GIB


@pytest.mark.tags("negative")
def test_shrinking_needs_shrinkok(create_volume, deploy_vm, make, user_api):
    custom = make.disk_offering(customized=True, disksize=None)
    volume = create_volume(diskofferingid=custom.id, size=4)
    vm = deploy_vm()
    r.attach_volume(user_api, volume.id, vm.id)
    r.stop_vm(user_api, vm.id)
    with pytest.raises(CloudStackError) as refused:
        user_api.resizeVolume(id=volume.id, size=2)
    assert refused.value.errorcode == 431
    assert int(only(user_api.listVolumes(id=volume.id)).size) == 4 * GIB


@pytest.mark.tags("negative")
def test_custom_offering_needs_a_size(make, create_volume):
    custom = make.disk_offering(customized=True, disksize=None)
    with pytest.raises(CloudStackError) as refused:
        create_volume(diskofferingid=custom.id)
    assert refused.value.errorcode == 431


def test_delete_volume(create_volume, user_api):
    volume = create_volume()
    user_api.deleteVolume(id=volume.id)
    assert volume.id not in ids([v for v in listed(user_api, "listVolumes", id=volume.id)
                                 if v.get("state") not in ("Destroy", "Expunging", "Expunged")])


@pytest.mark.tags("negative")
def test_delete_an_attached_volume_is_refused(create_volume, deploy_vm, user_api):
    vm = deploy_vm()
    volume = create_volume()
    r.attach_volume(user_api, volume.id, vm.id)
    with pytest.raises(CloudStackError) as refused:
        user_api.deleteVolume(id=volume.id)
    assert refused.value.errorcode == 431
    assert only(user_api.listVolumes(id=volume.id)).virtualmachineid == vm.id


@pytest.mark.tags("negative", "isolation")
def test_attach_to_another_accounts_vm_is_refused(create_volume, deploy_vm, make, user_api):
    volume = create_volume()
    other_keys = make.account(purpose="other")
    other_vm = deploy_vm(api=make.api_for(other_keys))
    with pytest.raises(CloudStackError) as refused:
        user_api.attachVolume(id=volume.id, virtualmachineid=other_vm.id)
    assert refused.value.errorcode == 531
    assert not only(user_api.listVolumes(id=volume.id)).get("virtualmachineid")


def test_root_volume_of_a_vm(deploy_vm, user_api, template):
    vm = deploy_vm()
    root = only(user_api.listVolumes(virtualmachineid=vm.id, type="ROOT"))
    assert root.state == "Ready"
    assert int(root.deviceid) == 0
    assert root.virtualmachineid == vm.id
    if template.get("size"):
        assert int(root.size) >= int(template.size)
