"""Changing a VM's compute offering: changeServiceForVirtualMachine and
scaleVirtualMachine on a stopped VM (a running VM needs dynamic scaling,
which depends on the template, the offering and the hypervisor).
"""
import pytest

from marvin2 import resources as r
from marvin2.client import CloudStackError

from .helpers import only

pytestmark = pytest.mark.tags("deploy-vm", "service-offerings", "smoke", "advanced")


def test_change_offering_of_a_stopped_vm(deploy_vm, user_api, large_service_offering):
    vm = deploy_vm()
    r.stop_vm(user_api, vm.id)

    changed = user_api.changeServiceForVirtualMachine(id=vm.id, serviceofferingid=large_service_offering.id)
    assert changed.serviceofferingid == large_service_offering.id
    assert changed.memory == large_service_offering.memory
    assert changed.cpuspeed == large_service_offering.cpuspeed

    started = r.start_vm(user_api, vm.id)
    assert started.state == "Running"
    assert started.serviceofferingid == large_service_offering.id


def test_scale_a_stopped_vm(deploy_vm, user_api, large_service_offering, service_offering):
    vm = deploy_vm()
    r.stop_vm(user_api, vm.id)

    user_api.scaleVirtualMachine(id=vm.id, serviceofferingid=large_service_offering.id)
    listed = only(user_api.listVirtualMachines(id=vm.id))
    assert listed.serviceofferingid == large_service_offering.id
    assert listed.memory == large_service_offering.memory
    assert listed.state == "Stopped", "scaling a stopped VM does not start it"

    user_api.scaleVirtualMachine(id=vm.id, serviceofferingid=service_offering.id)
    assert only(user_api.listVirtualMachines(id=vm.id)).serviceofferingid == service_offering.id


def test_scale_to_a_custom_offering_with_details(deploy_vm, user_api, make):
    custom = make.service_offering(customized=True, cpunumber=None, cpuspeed=None, memory=None)
    assert custom.iscustomized is True
    vm = deploy_vm(startvm=False)

    user_api.scaleVirtualMachine(id=vm.id, serviceofferingid=custom.id,
                                 details=[{"cpuNumber": "2", "cpuSpeed": "1000", "memory": "1024"}])
    listed = only(user_api.listVirtualMachines(id=vm.id))
    assert (listed.serviceofferingid, listed.cpunumber, listed.cpuspeed, listed.memory) == (custom.id, 2, 1000, 1024)


@pytest.mark.tags("negative")
def test_change_to_the_same_offering_is_refused(deploy_vm, user_api, service_offering):
    vm = deploy_vm(startvm=False)
    with pytest.raises(CloudStackError) as refused:
        user_api.changeServiceForVirtualMachine(id=vm.id, serviceofferingid=service_offering.id)
    assert refused.value.errorcode == 431
    assert only(user_api.listVirtualMachines(id=vm.id)).serviceofferingid == service_offering.id
