"""Public IP addresses of isolated networks: acquire, source NAT, release."""
import ipaddress

import pytest

from marvin2.client import CloudStackError

from .helpers import ids, listed, only

pytestmark = [pytest.mark.tags("public-ip", "networks", "smoke", "advanced"), pytest.mark.zone_type("Advanced")]


def _in_a_public_range(cloud, zone, address):
    ranges = cloud.listVlanIpRanges(zoneid=zone.id, forvirtualnetwork=True) or []
    ip = ipaddress.ip_address(address)
    return any(ipaddress.ip_address(v.startip) <= ip <= ipaddress.ip_address(v.endip) for v in ranges)


@pytest.mark.tags("quick-test")
def test_acquire_a_public_ip(implemented_network, acquire_public_ip, user_api, cloud, zone, test_account):
    network = implemented_network.network
    ip = acquire_public_ip(networkid=network.id)
    assert ip.state == "Allocated"
    assert ip.associatednetworkid == network.id
    assert ip.zoneid == zone.id
    assert ip.issourcenat is False
    assert ip.isstaticnat is False
    assert ip.account == test_account.name
    assert _in_a_public_range(cloud, zone, ip.ipaddress)
    assert ip.id in ids(user_api.listPublicIpAddresses(associatednetworkid=network.id))


def test_an_implemented_network_has_one_source_nat_ip(create_network, deploy_vm, user_api, cloud, zone):
    network = create_network()
    deploy_vm(networkids=[network.id])
    source_nat = only(user_api.listPublicIpAddresses(associatednetworkid=network.id, issourcenat=True),
                      "source NAT address")
    assert source_nat.state == "Allocated"
    assert _in_a_public_range(cloud, zone, source_nat.ipaddress)


def test_two_addresses_are_distinct(implemented_network, acquire_public_ip):
    network = implemented_network.network
    first, second = acquire_public_ip(networkid=network.id), acquire_public_ip(networkid=network.id)
    assert first.ipaddress != second.ipaddress


def test_release_a_public_ip(implemented_network, acquire_public_ip, user_api):
    network = implemented_network.network
    ip = acquire_public_ip(networkid=network.id)
    user_api.disassociateIpAddress(id=ip.id)
    remaining = listed(user_api, "listPublicIpAddresses", associatednetworkid=network.id)
    assert ip.id not in ids([i for i in remaining if i.get("state") == "Allocated"])


@pytest.mark.tags("negative")
def test_the_source_nat_ip_cannot_be_released(create_network, deploy_vm, user_api):
    network = create_network()
    deploy_vm(networkids=[network.id])
    source_nat = only(user_api.listPublicIpAddresses(associatednetworkid=network.id, issourcenat=True))
    with pytest.raises(CloudStackError) as refused:
        user_api.disassociateIpAddress(id=source_nat.id)
    assert refused.value.errorcode in (431, 530)
    assert only(user_api.listPublicIpAddresses(id=source_nat.id)).state == "Allocated"


@pytest.mark.tags("negative", "isolation")
def test_no_address_for_another_accounts_network(implemented_network, make):
    network = implemented_network.network
    other = make.api_for(make.account(purpose="other"))
    with pytest.raises(CloudStackError) as refused:
        other.associateIpAddress(networkid=network.id)
    assert refused.value.errorcode == 531

