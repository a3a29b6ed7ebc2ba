"""Volumes and snapshots."""
from marvin2 import resources as r


def test_volume_attach_detach(create_volume, deploy_vm, user_api):
    vm = deploy_vm()
    volume = create_volume()
    r.attach_volume(user_api, volume.id, vm.id)
    attached = r.find_by_id(user_api, "volume", volume.id)
    assert attached.virtualmachineid == vm.id
    r.detach_volume(user_api, volume.id)


def test_attached_volume_is_still_cleaned_up(create_volume, deploy_vm, user_api):
    vm = deploy_vm()
    volume = create_volume()
    r.attach_volume(user_api, volume.id, vm.id)  # left attached on purpose


def test_snapshot_of_root_volume(deploy_vm, create_snapshot, user_api):
    vm = deploy_vm()
    (root,) = user_api.listVolumes(virtualmachineid=vm.id, type="ROOT")
    snapshot = create_snapshot(root.id)
    assert r.wait_for_snapshot_state(user_api, snapshot.id, "BackedUp", timeout=60)["state"] == "BackedUp"
