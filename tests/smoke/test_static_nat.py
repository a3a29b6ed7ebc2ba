"""Static NAT: one public IP mapped to one VM."""
import pytest

from marvin2.client import CloudStackError

from .helpers import only

pytestmark = [pytest.mark.tags("nat", "public-ip", "smoke", "advanced"), pytest.mark.zone_type("Advanced")]


def test_enable_and_disable_static_nat(create_network, deploy_vm, acquire_public_ip, make, user_api):
    network = create_network()
    vm = deploy_vm(networkids=[network.id])
    ip = acquire_public_ip(networkid=network.id)

    make.static_nat(ipaddressid=ip.id, virtualmachineid=vm.id)
    mapped = only(user_api.listPublicIpAddresses(id=ip.id))
    assert mapped.isstaticnat is True
    assert mapped.virtualmachineid == vm.id
    assert only(user_api.listPublicIpAddresses(isstaticnat=True, associatednetworkid=network.id)).id == ip.id

    user_api.disableStaticNat(ipaddressid=ip.id)
    unmapped = only(user_api.listPublicIpAddresses(id=ip.id))
    assert unmapped.isstaticnat is False
    assert not unmapped.get("virtualmachineid")


@pytest.mark.tags("negative")
def test_static_nat_on_the_source_nat_ip_is_refused(create_network, deploy_vm, user_api):
    network = create_network()
    vm = deploy_vm(networkids=[network.id])
    source_nat = only(user_api.listPublicIpAddresses(associatednetworkid=network.id, issourcenat=True))
    with pytest.raises(CloudStackError) as refused:
        user_api.enableStaticNat(ipaddressid=source_nat.id, virtualmachineid=vm.id)
    assert refused.value.errorcode == 431
    assert only(user_api.listPublicIpAddresses(id=source_nat.id)).isstaticnat is False


@pytest.mark.tags("negative")
def test_static_nat_to_a_vm_of_another_network_is_refused(create_network, deploy_vm, acquire_public_ip, user_api):
    first, second = create_network(), create_network()
    deploy_vm(networkids=[first.id])
    vm = deploy_vm(networkids=[second.id])
    ip = acquire_public_ip(networkid=first.id)
    with pytest.raises(CloudStackError) as refused:
        user_api.enableStaticNat(ipaddressid=ip.id, virtualmachineid=vm.id)
    assert refused.value.errorcode == 431
    assert only(user_api.listPublicIpAddresses(id=ip.id)).isstaticnat is False
