"""Passwords of VMs from password-enabled templates: given at deploy, reset
on a stopped VM, refused on a running one."""
import pytest

from marvin2 import resources as r
from marvin2.client import CloudStackError

from .helpers import only

pytestmark = pytest.mark.tags("deploy-vm", "smoke", "advanced")


def test_reset_password_of_a_stopped_vm(deploy_vm, user_api, template):
    vm = deploy_vm()
    r.stop_vm(user_api, vm.id)
    if not template.get("passwordenabled"):
        # CloudStack refuses to reset what the template cannot receive.
        with pytest.raises(CloudStackError) as refused:
            user_api.resetPasswordForVirtualMachine(id=vm.id)
        assert refused.value.errorcode == 431
        return
    assert vm.get("password"), "a VM of a password-enabled template gets a password at deploy"
    reset = user_api.resetPasswordForVirtualMachine(id=vm.id)
    assert reset.id == vm.id
    assert reset.password and reset.password != vm.password
    assert only(user_api.listVirtualMachines(id=vm.id)).state == "Stopped"


@pytest.mark.tags("negative")
def test_reset_password_of_a_running_vm_is_refused(deploy_vm, user_api):
    vm = deploy_vm()
    with pytest.raises(CloudStackError) as refused:
        user_api.resetPasswordForVirtualMachine(id=vm.id)
    assert refused.value.errorcode == 431
    assert only(user_api.listVirtualMachines(id=vm.id)).state == "Running"
