"""VMs from the factories: deploy, stop/start, isolation between accounts."""

from marvin2 import resources as r


def test_deploy_vm_runs_in_the_test_account(deploy_vm, test_account, user_api):
    vm = deploy_vm()
    assert vm.state == "Running"
    assert vm.account == test_account.name
    listed = user_api.listVirtualMachines(id=vm.id)
    assert [v.id for v in listed] == [vm.id]


def test_stop_and_start(deploy_vm, user_api):
    vm = deploy_vm()
    r.stop_vm(user_api, vm.id)
    assert r.wait_for_vm_state(user_api, vm.id, "Stopped", timeout=60)["state"] == "Stopped"
    r.start_vm(user_api, vm.id)
    assert r.wait_for_vm_state(user_api, vm.id, "Running", timeout=60)["state"] == "Running"


def test_two_vms_on_one_network(create_network, deploy_vm):
    net = create_network()
    first = deploy_vm(networkids=[net.id])
    second = deploy_vm(networkids=[net.id])
    assert {n.networkid for n in first.nic} == {n.networkid for n in second.nic} == {net.id}


def test_a_vm_the_test_destroys_itself_is_not_a_cleanup_failure(deploy_vm, cloud):
    vm = deploy_vm()
    cloud.destroyVirtualMachine(id=vm.id, expunge=True)
    r.wait_for_vm_expunged(cloud, vm.id, timeout=60)


def test_the_admin_can_create_too(deploy_vm, create_network, cloud):
    net = create_network(api=cloud)
    vm = deploy_vm(api=cloud, networkids=[net.id])
    assert vm.account == "admin"


def test_the_test_user_cannot_see_the_admins_vm(deploy_vm, cloud, user_api):
    admin_vm = deploy_vm(api=cloud)
    own_vm = deploy_vm()
    visible = {v.id for v in user_api.listVirtualMachines(listall=True)}
    assert own_vm.id in visible and admin_vm.id not in visible
