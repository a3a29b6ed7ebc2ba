"""Data volumes moving between VMs: attach, detach, re-attach, delete, destroy with the VM.

A data volume is Allocated until it is attached to a started VM (then Ready
on primary storage); it keeps its state when detached; it can be attached
to one VM at a time and deleted only when detached.
"""
from __future__ import annotations

import pytest

from .helpers import JOB_PARAM_ERROR, deploy_parallel, expect_error, ids, listed, only

pytestmark = [pytest.mark.tags("component", "storage", "volumes", "deploy-vm")]


@pytest.fixture
def two_vms(resource_factory, shared_network):
    return deploy_parallel(resource_factory, [{"networkids": [shared_network.id]}] * 2, purpose="disk")


def volume_of(api, volume_id: str):
    return only(api.listVolumes(id=volume_id), "volume")


@pytest.mark.tags("quick-test")
def test_attach_to_a_running_vm_makes_it_ready(create_volume, two_vms, user_api):
    vm = two_vms[0]
    volume = create_volume()
    assert (volume.state, volume.get("virtualmachineid")) == ("Allocated", None)
    attached = user_api.attachVolume(id=volume.id, virtualmachineid=vm.id)
    assert (attached.state, attached.virtualmachineid) == ("Ready", vm.id)
    assert int(attached.deviceid) >= 1             # 0 is the root disk
    on_vm = {v.id: v.type for v in user_api.listVolumes(virtualmachineid=vm.id)}
    assert on_vm[volume.id] == "DATADISK" and "ROOT" in on_vm.values()


def test_attach_to_a_stopped_vm_then_start_it(create_volume, deploy_vm, shared_network, user_api):
    vm = deploy_vm(networkids=[shared_network.id], startvm=False)
    assert vm.state == "Stopped"
    volume = create_volume()
    user_api.attachVolume(id=volume.id, virtualmachineid=vm.id)
    assert volume_of(user_api, volume.id).state == "Allocated"      # nothing on primary storage yet
    user_api.startVirtualMachine(id=vm.id)
    assert volume_of(user_api, volume.id).state == "Ready"


def test_detach_keeps_the_volume_and_it_moves_to_another_vm(create_volume, two_vms, user_api):
    first, second = two_vms
    volume = create_volume()
    user_api.attachVolume(id=volume.id, virtualmachineid=first.id)
    detached = user_api.detachVolume(id=volume.id)
    assert detached.state == "Ready" and not detached.get("virtualmachineid")
    assert volume.id not in ids(user_api.listVolumes(virtualmachineid=first.id))
    moved = user_api.attachVolume(id=volume.id, virtualmachineid=second.id)
    assert moved.virtualmachineid == second.id
    assert volume.id in ids(user_api.listVolumes(virtualmachineid=second.id))


@pytest.mark.tags("negative")
def test_a_volume_is_attached_to_one_vm_at_a_time(create_volume, two_vms, user_api):
    first, second = two_vms
    volume = create_volume()
    user_api.attachVolume(id=volume.id, virtualmachineid=first.id)
    error = expect_error(JOB_PARAM_ERROR, user_api.attachVolume, id=volume.id, virtualmachineid=second.id)
    assert error.errortext == "Please specify a volume that is not attached to any VM."
    assert volume_of(user_api, volume.id).virtualmachineid == first.id


@pytest.mark.tags("negative")
def test_an_attached_volume_cannot_be_deleted(create_volume, two_vms, user_api):
    volume = create_volume()
    user_api.attachVolume(id=volume.id, virtualmachineid=two_vms[0].id)
    error = expect_error(431, user_api.deleteVolume, id=volume.id)
    assert error.errortext == "Please specify a volume that is not attached to any VM."
    user_api.detachVolume(id=volume.id)
    user_api.deleteVolume(id=volume.id)
    assert [v.state for v in listed(user_api, "listVolumes", id=volume.id)] in ([], ["Destroy"], ["Expunged"])


def test_several_data_volumes_on_one_vm(create_volume, two_vms, user_api):
    vm = two_vms[0]
    volumes = [create_volume() for _ in range(3)]
    devices = [int(user_api.attachVolume(id=v.id, virtualmachineid=vm.id).deviceid) for v in volumes]
    assert len(set(devices)) == 3 and 0 not in devices
    data = [v for v in user_api.listVolumes(virtualmachineid=vm.id) if v.type == "DATADISK"]
    assert sorted(ids(data)) == sorted(ids(volumes))


def test_destroying_a_vm_with_its_data_volumes(create_volume, deploy_vm, shared_network, user_api, cloud):
    vm = deploy_vm(networkids=[shared_network.id])
    keep, drop = create_volume(), create_volume()
    for volume in (keep, drop):
        user_api.attachVolume(id=volume.id, virtualmachineid=vm.id)
    cloud.destroyVirtualMachine(id=vm.id, volumeids=[drop.id], expunge=True)
    # The named volume went with the VM; the other one is detached and kept.
    assert [v.state for v in listed(cloud, "listVolumes", id=drop.id, listall=True)] in (
        [], ["Destroy"], ["Expunging"], ["Expunged"])
    kept = volume_of(user_api, keep.id)
    assert kept.state == "Ready" and not kept.get("virtualmachineid")
