"""Affinity groups: types, host anti-affinity and affinity placement, updates."""
import pytest

from marvin2 import resources as r
from marvin2.client import CloudStackError

from .helpers import host_of, ids, listed, only

pytestmark = pytest.mark.tags("affinity-groups", "deploy-vm", "smoke")


@pytest.mark.tags("quick-test")
def test_types_and_create(make, user_api):
    types = {t.type for t in user_api.listAffinityGroupTypes() or []}
    assert {"host anti-affinity", "host affinity"} <= types
    group = make.affinity_group(type="host anti-affinity", description="marvin2 spread")
    assert (group.type, group.description) == ("host anti-affinity", "marvin2 spread")
    assert group.id in ids(user_api.listAffinityGroups(id=group.id))


@pytest.mark.tags("multihost")
@pytest.mark.requires("live_migration")  # the zone has at least two hosts
def test_anti_affinity_spreads_vms_over_hosts(make, deploy_vm, user_api, cloud):
    group = make.affinity_group(type="host anti-affinity")
    first = deploy_vm(affinitygroupids=[group.id])
    second = deploy_vm(affinitygroupids=[group.id])
    assert host_of(cloud, first.id) != host_of(cloud, second.id)
    members = only(user_api.listAffinityGroups(id=group.id)).get("virtualmachineIds") or []
    assert sorted(members) == sorted([first.id, second.id])


def test_affinity_keeps_vms_together(make, deploy_vm, cloud):
    group = make.affinity_group(type="host affinity")
    first = deploy_vm(affinitygroupids=[group.id])
    second = deploy_vm(affinitygroupids=[group.id])
    assert host_of(cloud, first.id) == host_of(cloud, second.id)


def test_list_groups_of_a_vm(make, deploy_vm, user_api):
    group = make.affinity_group()
    vm = deploy_vm(affinitygroupids=[group.id])
    assert [g.id for g in vm.affinitygroup] == [group.id]
    assert ids(user_api.listAffinityGroups(virtualmachineid=vm.id)) == [group.id]


def test_update_groups_of_a_stopped_vm(make, deploy_vm, user_api):
    first, second = make.affinity_group(purpose="ag1"), make.affinity_group(purpose="ag2")
    vm = deploy_vm(affinitygroupids=[first.id])
    r.stop_vm(user_api, vm.id)
    updated = user_api.updateVMAffinityGroup(id=vm.id, affinitygroupids=[second.id])
    assert [g.id for g in updated.affinitygroup] == [second.id]


@pytest.mark.tags("negative")
def test_update_groups_of_a_running_vm_is_refused(make, deploy_vm, user_api):
    group = make.affinity_group()
    vm = deploy_vm()
    with pytest.raises(CloudStackError) as refused:
        user_api.updateVMAffinityGroup(id=vm.id, affinitygroupids=[group.id])
    assert refused.value.errorcode == 431


@pytest.mark.tags("negative")
def test_duplicate_name_is_refused(make, user_api):
    group = make.affinity_group()
    with pytest.raises(CloudStackError) as refused:
        user_api.createAffinityGroup(name=group.name, type="host anti-affinity")
    assert refused.value.errorcode == 431
    assert len(listed(user_api, "listAffinityGroups", name=group.name)) == 1


@pytest.mark.tags("negative")
def test_unknown_type_is_refused(make, user_api):
    name = make.name("ag-bad")
    with pytest.raises(CloudStackError) as refused:
        user_api.createAffinityGroup(name=name, type="rack affinity")
    assert refused.value.errorcode == 431
