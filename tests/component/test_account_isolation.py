"""Cross-account isolation: a user can neither see nor touch another account's resources.

The test account (``user_api``) owns the resources; a second account made
for each test (``intruder``) tries to list them (it must see nothing: an
empty list, or 431 "entity does not exist" for an id filter) and to act on
them (the server must refuse with 531 PermissionDenied and change nothing).
"""
from __future__ import annotations

import pytest

from marvin2.client import CloudStackError

from .helpers import expect_error, ids, listed, only

pytestmark = [pytest.mark.tags("component", "isolation", "accounts", "selfservice")]


@pytest.fixture
def intruder(make):
    """Another user account in the same domain, and a client acting as it."""
    keys = make.account(purpose="intruder")
    return keys, make.api_for(keys)


def assert_refused(call, *args, **kwargs) -> CloudStackError:
    """An action on someone else's resource: 531, or 431 when the server hides that the entity exists."""
    with pytest.raises(CloudStackError) as caught:
        call(*args, **kwargs)
    assert caught.value.errorcode in (531, 431), f"expected a refusal (531), got {caught.value.errorcode}: " \
                                                f"{caught.value.errortext}"
    return caught.value


# --- nothing is visible -------------------------------------------------------------------------


@pytest.mark.tags("quick-test", "deploy-vm")
def test_vms_of_another_account_are_invisible(intruder, shared_vm, user_api):
    _, other = intruder
    assert shared_vm.id in ids(user_api.listVirtualMachines())
    assert shared_vm.id not in ids(other.listVirtualMachines())
    assert shared_vm.id not in ids(other.listVirtualMachines(listall=True))   # listall widens nothing for a user
    assert listed(other, "listVirtualMachines", id=shared_vm.id) == []
    assert listed(other, "listVirtualMachines", keyword=shared_vm.name) == []


@pytest.mark.tags("networks")
def test_networks_of_another_account_are_invisible(intruder, shared_network):
    _, other = intruder
    assert shared_network.id not in ids(other.listNetworks())
    assert shared_network.id not in ids(other.listNetworks(listall=True))
    assert listed(other, "listNetworks", id=shared_network.id) == []


@pytest.mark.tags("storage", "volumes")
def test_volumes_of_another_account_are_invisible(intruder, create_volume, shared_vm):
    _, other = intruder
    volume = create_volume()
    assert volume.id not in ids(other.listVolumes(listall=True))
    assert listed(other, "listVolumes", id=volume.id) == []
    # Not even the root volume of a VM, looked up through the VM.
    assert listed(other, "listVolumes", virtualmachineid=shared_vm.id) == []


@pytest.mark.tags("public-ip")
def test_public_ips_of_another_account_are_invisible(intruder, acquire_public_ip, shared_network, shared_vm):
    # shared_vm: a network gets public IPs once it is implemented (its first VM).
    _, other = intruder
    ip = acquire_public_ip(networkid=shared_network.id)
    assert ip.id not in ids(other.listPublicIpAddresses(listall=True))
    assert listed(other, "listPublicIpAddresses", id=ip.id) == []
    assert listed(other, "listPublicIpAddresses", associatednetworkid=shared_network.id) == []


@pytest.mark.tags("resource-tags")
def test_tags_of_another_account_are_invisible(intruder, make, shared_vm, user_api):
    _, other = intruder
    make.tags("UserVm", [shared_vm.id], {"m2-isolation": "secret"})
    assert [t.value for t in user_api.listTags(key="m2-isolation")] == ["secret"]
    assert other.listTags(key="m2-isolation") == []
    assert listed(other, "listVirtualMachines", tags={"m2-isolation": "secret"}) == []


@pytest.mark.tags("ssh-keys")
def test_ssh_key_pairs_of_another_account_are_invisible(intruder, make, user_api):
    _, other = intruder
    pair = make.keypair()
    assert [p.name for p in user_api.listSSHKeyPairs(name=pair.name)] == [pair.name]
    assert other.listSSHKeyPairs(name=pair.name) == []


@pytest.mark.tags("events")
def test_events_of_another_account_are_invisible(intruder, shared_vm, test_account, user_api):
    keys, other = intruder
    mine = user_api.listEvents() or []
    assert mine, "the test account has events (it created a network and a VM)"
    assert {e.account for e in mine} == {test_account.name}
    assert all(e.account == keys.name for e in other.listEvents() or [])


@pytest.mark.tags("async-jobs")
def test_jobs_of_another_account(intruder, user_api, shared_vm):
    _keys, other = intruder
    job = user_api.rebootVirtualMachine(id=shared_vm.id, wait=False)
    user_api.wait_for_job(job.jobid)
    assert job.jobid not in [j.jobid for j in other.list_all("listAsyncJobs")]
    expect_error(531, other.queryAsyncJobResult, jobid=job.jobid)


@pytest.mark.tags("accounts")
def test_a_user_cannot_list_in_the_name_of_another_account(intruder, test_account):
    _, other = intruder
    error = expect_error(531, other.listVirtualMachines, account=test_account.name, domainid=test_account.domainid)
    assert error.cserrorcode == 4365


# --- nothing can be touched ---------------------------------------------------------------------------


@pytest.mark.tags("quick-test", "deploy-vm")
def test_vm_actions_on_another_accounts_vm_are_refused(intruder, shared_vm, user_api):
    _, other = intruder
    for action in (other.stopVirtualMachine, other.rebootVirtualMachine, other.destroyVirtualMachine):
        assert_refused(action, id=shared_vm.id)
    assert_refused(other.updateVirtualMachine, id=shared_vm.id, displayname="stolen")
    # And nothing happened to it.
    vm = only(user_api.listVirtualMachines(id=shared_vm.id))
    assert (vm.state, vm.displayname) == ("Running", shared_vm.displayname)


@pytest.mark.tags("deploy-vm", "networks")
def test_deploying_into_another_accounts_network_is_refused(intruder, shared_network, zone, service_offering,
                                                            template, deploy_vm):
    _, other = intruder
    error = assert_refused(deploy_vm, api=other, networkids=[shared_network.id])
    assert error.errorcode == 531
    assert other.listVirtualMachines() == []


@pytest.mark.tags("storage", "volumes")
def test_volume_actions_on_another_accounts_volume_are_refused(intruder, create_volume, create_network, deploy_vm,
                                                               user_api):
    _keys, other = intruder
    volume = create_volume()
    own_vm = deploy_vm(api=other, networkids=[create_network(api=other).id])
    assert_refused(other.attachVolume, id=volume.id, virtualmachineid=own_vm.id)
    assert_refused(other.deleteVolume, id=volume.id)
    assert_refused(other.resizeVolume, id=volume.id, size=10)
    still = only(user_api.listVolumes(id=volume.id))
    assert still.state == volume.state and not still.get("virtualmachineid")


@pytest.mark.tags("storage", "volumes")
def test_attaching_ones_volume_to_another_accounts_vm_is_refused(intruder, create_volume, shared_vm):
    _, other = intruder
    own_volume = create_volume(api=other)
    assert_refused(other.attachVolume, id=own_volume.id, virtualmachineid=shared_vm.id)


@pytest.mark.tags("networks", "public-ip")
def test_network_actions_on_another_accounts_network_are_refused(intruder, shared_network, user_api):
    _, other = intruder
    assert_refused(other.associateIpAddress, networkid=shared_network.id)
    assert_refused(other.restartNetwork, id=shared_network.id)
    assert_refused(other.updateNetwork, id=shared_network.id, displaytext="stolen")
    assert_refused(other.deleteNetwork, id=shared_network.id)
    assert only(user_api.listNetworks(id=shared_network.id)).displaytext == shared_network.displaytext


@pytest.mark.tags("nat", "public-ip")
def test_rules_on_another_accounts_address_are_refused(intruder, acquire_public_ip, shared_network, shared_vm,
                                                       create_network, deploy_vm):
    _, other = intruder
    ip = acquire_public_ip(networkid=shared_network.id)
    assert_refused(other.createFirewallRule, ipaddressid=ip.id, protocol="tcp", startport=22, endport=22)
    assert_refused(other.createPortForwardingRule, ipaddressid=ip.id, protocol="tcp", privateport=22,
                   publicport=22, virtualmachineid=shared_vm.id)
    assert_refused(other.enableStaticNat, ipaddressid=ip.id, virtualmachineid=shared_vm.id)
    assert_refused(other.disassociateIpAddress, id=ip.id)


@pytest.mark.tags("snapshots")
def test_snapshot_of_another_accounts_volume_is_refused(intruder, create_volume, deploy_vm, user_api):
    _, other = intruder
    vm = deploy_vm()
    root = only(user_api.listVolumes(virtualmachineid=vm.id, type="ROOT"), "root volume")
    assert_refused(other.createSnapshot, volumeid=root.id)
    assert user_api.listSnapshots(volumeid=root.id) == []


@pytest.mark.tags("ssh-keys", "negative")
def test_deleting_another_accounts_key_pair_deletes_nothing(intruder, make, user_api):
    _, other = intruder
    pair = make.keypair()
    # The name is looked up in the caller's own account: there is no such pair there.
    expect_error(431, other.deleteSSHKeyPair, name=pair.name)
    assert [p.name for p in user_api.listSSHKeyPairs(name=pair.name)] == [pair.name]


@pytest.mark.tags("accounts")
def test_the_admin_sees_both_accounts(intruder, cloud, shared_vm, create_network, deploy_vm, test_account):
    keys, other = intruder
    theirs = deploy_vm(api=other, networkids=[create_network(api=other).id])
    everything = ids(cloud.listVirtualMachines(listall=True, ids=[shared_vm.id, theirs.id]))
    assert sorted(everything) == sorted([shared_vm.id, theirs.id])
    by_account = cloud.listVirtualMachines(account=keys.name, domainid=keys.domainid)
    assert ids(by_account) == [theirs.id]
    # Without listall the root admin lists only its own account's VMs.
    assert shared_vm.id not in ids(cloud.listVirtualMachines(ids=[shared_vm.id]))
