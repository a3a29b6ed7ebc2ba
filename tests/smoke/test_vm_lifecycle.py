"""VM life cycle: deploy, stop, start, reboot, update, destroy, recover, expunge.

Marvin's test_vm_life_cycle, against CloudStack behaviour: states after each
step, the fields a deployed VM reports, and who may expunge or recover.
"""
import ipaddress

import pytest

from marvin2 import resources as r
from marvin2.client import CloudStackError

from .helpers import host_of, ids, only

pytestmark = pytest.mark.tags("deploy-vm", "smoke", "advanced", "basic")


@pytest.mark.tags("quick-test")
def test_deploy_vm_reports_its_placement_and_offering(deploy_vm, user_api, cloud, test_account, zone, template,
                                                      service_offering):
    vm = deploy_vm()

    assert vm.state == "Running"
    assert vm.account == test_account.name
    assert vm.zoneid == zone.id
    assert vm.templateid == template.id
    assert vm.serviceofferingid == service_offering.id
    assert vm.cpunumber == service_offering.cpunumber
    assert vm.memory == service_offering.memory
    assert "hostid" not in vm, "CloudStack shows the host of a VM to admins only"
    assert host_of(cloud, vm.id), "a running VM is placed on a host"
    nic = only(vm.nic, "NIC")
    assert nic.isdefault is True
    network = only(user_api.listNetworks(id=nic.networkid), "network")
    assert nic.get("ipaddress"), "the NIC has a guest address"
    if network.get("cidr"):  # a Basic zone's network has none: addresses come from pod ranges
        assert ipaddress.ip_address(nic.ipaddress) in ipaddress.ip_network(network.cidr)
    if network.type == "Isolated":
        assert network.state == "Implemented", "the first VM deployed into an isolated network implements it"

    listed = only(user_api.listVirtualMachines(id=vm.id), "VM")
    assert (listed.name, listed.state) == (vm.name, "Running")


def test_stop_then_start(deploy_vm, user_api, cloud):
    vm = deploy_vm()

    stopped = r.stop_vm(user_api, vm.id)
    assert stopped.state == "Stopped"
    assert only(user_api.listVirtualMachines(id=vm.id)).state == "Stopped"

    started = r.start_vm(user_api, vm.id)
    assert started.state == "Running"
    assert host_of(cloud, vm.id)


def test_reboot_keeps_the_vm_running(deploy_vm, user_api):
    vm = deploy_vm()
    rebooted = r.reboot_vm(user_api, vm.id)
    assert rebooted.state == "Running"
    assert rebooted.id == vm.id
    assert only(user_api.listVirtualMachines(id=vm.id)).state == "Running"


def test_list_by_state_filters(deploy_vm, user_api):
    running = deploy_vm()
    stopped = deploy_vm(startvm=False)
    assert stopped.state == "Stopped"

    running_ids = ids(user_api.listVirtualMachines(state="Running"))
    stopped_ids = ids(user_api.listVirtualMachines(state="Stopped"))
    assert running.id in running_ids and stopped.id not in running_ids
    assert stopped.id in stopped_ids and running.id not in stopped_ids


def test_update_display_name_and_group(deploy_vm, user_api):
    vm = deploy_vm()
    updated = user_api.updateVirtualMachine(id=vm.id, displayname="marvin2-renamed", group="marvin2-group")
    assert updated.displayname == "marvin2-renamed"
    assert updated.group == "marvin2-group"
    listed = only(user_api.listVirtualMachines(id=vm.id))
    assert (listed.displayname, listed.group) == ("marvin2-renamed", "marvin2-group")
    assert listed.name == vm.name, "the host name does not change with the display name"


def test_destroy_then_recover(deploy_vm, cloud):
    vm = deploy_vm()
    destroyed = cloud.destroyVirtualMachine(id=vm.id)
    assert destroyed.state == "Destroyed"
    assert only(cloud.listVirtualMachines(id=vm.id, listall=True)).state == "Destroyed"

    recovered = cloud.recoverVirtualMachine(id=vm.id)
    assert recovered.state == "Stopped", "a recovered VM comes back Stopped"
    started = cloud.startVirtualMachine(id=vm.id)
    assert started.state == "Running"


def test_destroy_with_expunge_removes_the_vm(deploy_vm, cloud, job_timeout):
    vm = deploy_vm()
    cloud.destroyVirtualMachine(id=vm.id, expunge=True)
    r.wait_for_vm_expunged(cloud, vm.id, timeout=job_timeout)
    assert not r.exists(cloud, "vm", vm.id)


def test_expunge_a_destroyed_vm(deploy_vm, cloud, job_timeout):
    vm = deploy_vm()
    cloud.destroyVirtualMachine(id=vm.id)
    cloud.expungeVirtualMachine(id=vm.id)
    r.wait_for_vm_expunged(cloud, vm.id, timeout=job_timeout)
    assert not r.exists(cloud, "vm", vm.id)


@pytest.mark.tags("negative", "selfservice")
def test_user_may_not_expunge_or_recover_by_default(deploy_vm, user_api, cloud, global_settings, test_account):
    # allow.user.expunge.recover.vm is false by default; make sure of it for this account
    global_settings.set("allow.user.expunge.recover.vm", "false", accountid=test_account.id)
    vm = deploy_vm()
    with pytest.raises(CloudStackError) as refused:
        user_api.destroyVirtualMachine(id=vm.id, expunge=True)
    assert refused.value.errorcode == 531
    assert only(user_api.listVirtualMachines(id=vm.id)).state == "Running", "a refused destroy changes nothing"

    user_api.destroyVirtualMachine(id=vm.id)  # a plain destroy is allowed
    with pytest.raises(CloudStackError) as refused:
        user_api.recoverVirtualMachine(id=vm.id)
    assert refused.value.errorcode == 531
    assert only(cloud.listVirtualMachines(id=vm.id, listall=True)).state == "Destroyed"


@pytest.mark.tags("negative")
def test_start_a_running_vm_is_refused(deploy_vm, user_api):
    vm = deploy_vm()
    with pytest.raises(CloudStackError) as refused:
        user_api.startVirtualMachine(id=vm.id)
    assert refused.value.errorcode == 431
    assert only(user_api.listVirtualMachines(id=vm.id)).state == "Running"


@pytest.mark.tags("negative")
def test_unknown_vm_id_is_a_parameter_error(user_api):
    with pytest.raises(CloudStackError) as refused:
        user_api.stopVirtualMachine(id="00000000-0000-0000-0000-000000000000")
    assert refused.value.errorcode == 431
    assert "invalid value" in refused.value.errortext.lower()
