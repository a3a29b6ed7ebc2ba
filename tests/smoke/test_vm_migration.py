"""Live migration of a running VM to another host of its cluster (admin)."""
import pytest

from marvin2 import resources as r
from marvin2.client import CloudStackError

from .helpers import host_of, only

pytestmark = [pytest.mark.tags("deploy-vm", "migration", "smoke", "advanced", "multihost"),
              pytest.mark.requires("live_migration")]


def _other_host(cloud, vm):
    host = only(cloud.listHosts(id=host_of(cloud, vm.id)), "host")
    candidates = [h for h in cloud.listHosts(clusterid=host.clusterid, type="Routing") or []
                  if h.id != host.id and h.state == "Up" and h.get("resourcestate", "Enabled") == "Enabled"]
    assert candidates, f"cluster {host.clusterid} has no second Up host to migrate to"
    return candidates[0]


def test_migrate_running_vm_to_another_host(deploy_vm, cloud, user_api):
    vm = deploy_vm()
    target = _other_host(cloud, vm)

    migrated = cloud.migrateVirtualMachine(virtualmachineid=vm.id, hostid=target.id)
    assert migrated.hostid == target.id
    assert migrated.state == "Running"
    listed = only(user_api.listVirtualMachines(id=vm.id))
    assert listed.state == "Running"


def test_hosts_for_migration_exclude_the_current_host(deploy_vm, cloud):
    vm = deploy_vm()
    hosts = cloud.findHostsForMigration(virtualmachineid=vm.id) or []
    assert hosts, "another host of the cluster is suitable"
    assert host_of(cloud, vm.id) not in [h.id for h in hosts]


@pytest.mark.tags("negative", "roles")
def test_users_may_not_migrate(deploy_vm, cloud, user_api, user_api_full_spec):
    vm = deploy_vm()
    target = _other_host(cloud, vm)
    before = host_of(cloud, vm.id)
    assert "migrateVirtualMachine" not in user_api.spec.names, "the user's listApis omits admin APIs"
    with pytest.raises(CloudStackError) as refused:
        user_api_full_spec.migrateVirtualMachine(virtualmachineid=vm.id, hostid=target.id)
    assert refused.value.errorcode == 432
    assert host_of(cloud, vm.id) == before


@pytest.mark.tags("negative")
def test_migrate_a_stopped_vm_to_a_host_is_refused(deploy_vm, cloud, user_api):
    vm = deploy_vm()
    target = _other_host(cloud, vm)
    r.stop_vm(user_api, vm.id)
    with pytest.raises(CloudStackError) as refused:
        cloud.migrateVirtualMachine(virtualmachineid=vm.id, hostid=target.id)
    assert refused.value.errorcode == 431  # "VM is not Running, unable to migrate"
    assert only(cloud.listVirtualMachines(id=vm.id, listall=True)).state == "Stopped"
