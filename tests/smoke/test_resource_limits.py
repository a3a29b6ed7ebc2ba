"""Resource limits of an account: listed, updated, enforced with error 532."""
import pytest

from marvin2.client import CloudStackError

from .helpers import only

pytestmark = pytest.mark.tags("limits", "accounts", "smoke")

USER_VM, PUBLIC_IP, VOLUME = 0, 1, 2  # CloudStack resource type numbers


@pytest.mark.tags("quick-test", "deploy-vm")
def test_vm_limit_is_enforced(make, cloud, deploy_vm):
    keys = make.account()
    limit = cloud.updateResourceLimit(account=keys.name, domainid=keys.domainid, resourcetype=USER_VM, max=1)
    assert int(limit.max) == 1
    api = make.api_for(keys)
    deploy_vm(api=api)
    with pytest.raises(CloudStackError) as refused:
        deploy_vm(api=api)
    assert refused.value.errorcode == 532
    assert len(api.listVirtualMachines()) == 1


def test_list_limits_of_an_account(make, cloud):
    keys = make.account()
    cloud.updateResourceLimit(account=keys.name, domainid=keys.domainid, resourcetype=VOLUME, max=7)
    limits = make.api_for(keys).listResourceLimits(resourcetype=VOLUME)
    assert int(only(limits).max) == 7


@pytest.mark.tags("public-ip")
@pytest.mark.zone_type("Advanced")
def test_public_ip_limit(make, cloud, create_network, deploy_vm, acquire_public_ip):
    keys = make.account()
    api = make.api_for(keys)
    # two addresses: the network's source NAT address (taken when the first VM implements it) and one more
    cloud.updateResourceLimit(account=keys.name, domainid=keys.domainid, resourcetype=PUBLIC_IP, max=2)
    network = create_network(api=api)
    deploy_vm(api=api, networkids=[network.id])
    acquire_public_ip(api=api, networkid=network.id)
    with pytest.raises(CloudStackError) as refused:
        acquire_public_ip(api=api, networkid=network.id)
    assert refused.value.errorcode == 532
    assert len(api.listPublicIpAddresses(associatednetworkid=network.id)) == 2


@pytest.mark.tags("negative", "roles")
def test_users_may_not_raise_their_limits(user_api, user_api_full_spec, test_account):
    assert "updateResourceLimit" not in user_api.spec
    with pytest.raises(CloudStackError) as refused:
        user_api_full_spec.updateResourceLimit(account=test_account.name, domainid=test_account.domainid,
                                               resourcetype=USER_VM, max=1000)
    assert refused.value.errorcode == 432
