"""VM snapshots: create, revert, delete."""
import pytest

from marvin2 import resources as r
from marvin2.client import CloudStackError

from .helpers import ids, listed, only

pytestmark = [pytest.mark.tags("snapshots", "deploy-vm", "smoke", "advanced"), pytest.mark.requires("vm_snapshots")]


def test_create_vm_snapshot(deploy_vm, create_vm_snapshot, user_api):
    vm = deploy_vm()
    snapshot = create_vm_snapshot(vm.id, description="marvin2 disk snapshot", snapshotmemory=False)
    assert snapshot.state == "Ready"
    assert snapshot.virtualmachineid == vm.id
    assert snapshot.type == "Disk"
    assert snapshot.description == "marvin2 disk snapshot"
    assert snapshot.id in ids(user_api.listVMSnapshot(virtualmachineid=vm.id))


def test_revert_to_a_vm_snapshot(deploy_vm, create_vm_snapshot, user_api):
    vm = deploy_vm()
    snapshot = create_vm_snapshot(vm.id, snapshotmemory=False)
    r.stop_vm(user_api, vm.id)  # a disk-only snapshot is reverted with the VM stopped
    reverted = user_api.revertToVMSnapshot(vmsnapshotid=snapshot.id)
    assert reverted.id == vm.id
    assert only(user_api.listVirtualMachines(id=vm.id)).state == "Stopped"
    assert only(user_api.listVMSnapshot(vmsnapshotid=snapshot.id)).get("current") in (True, None)
    assert r.start_vm(user_api, vm.id).state == "Running"


def test_delete_vm_snapshot(deploy_vm, create_vm_snapshot, user_api):
    vm = deploy_vm()
    snapshot = create_vm_snapshot(vm.id)
    user_api.deleteVMSnapshot(vmsnapshotid=snapshot.id)
    remaining = [s for s in listed(user_api, "listVMSnapshot", vmsnapshotid=snapshot.id)
                 if s.get("state") not in ("Expunging", "Removed")]
    assert remaining == []


@pytest.mark.tags("negative")
def test_memory_snapshot_of_a_stopped_vm_is_refused(deploy_vm, create_vm_snapshot, user_api):
    vm = deploy_vm(startvm=False)
    with pytest.raises(CloudStackError) as refused:
        create_vm_snapshot(vm.id, snapshotmemory=True)
    assert refused.value.errorcode == 431
    assert listed(user_api, "listVMSnapshot", virtualmachineid=vm.id) == []
