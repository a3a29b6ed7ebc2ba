"""VPCs: create, tiers, network ACL lists and rules, public IPs, restart, delete."""
import ipaddress

import pytest

from marvin2.client import CloudStackError

from .helpers import ids, listed, only

pytestmark = [pytest.mark.zone_type("Advanced"),
              pytest.mark.tags("vpc", "smoke", "advanced"), pytest.mark.requires("vpc")]


@pytest.mark.tags("quick-test")
def test_vpc_with_two_tiers_and_a_vm(create_vpc, make, deploy_vm, user_api, vpc_offering, zone):
    vpc = create_vpc(cidr="10.50.0.0/16")
    assert vpc.state == "Enabled"
    assert (vpc.cidr, vpc.vpcofferingid, vpc.zoneid) == ("10.50.0.0/16", vpc_offering.id, zone.id)

    web = make.vpc_tier(vpc, gateway="10.50.1.1")
    db = make.vpc_tier(vpc, gateway="10.50.2.1")
    assert (web.vpcid, web.cidr) == (vpc.id, "10.50.1.0/24")
    assert (db.vpcid, db.cidr) == (vpc.id, "10.50.2.0/24")
    assert sorted(ids(user_api.listNetworks(vpcid=vpc.id))) == sorted([web.id, db.id])

    vm = deploy_vm(networkids=[web.id])
    assert ipaddress.ip_address(only(vm.nic).ipaddress) in ipaddress.ip_network("10.50.1.0/24")
    assert vm.id in ids(user_api.listVirtualMachines(vpcid=vpc.id))


def test_vpc_has_a_source_nat_ip_and_a_router(create_vpc, cloud, user_api):
    vpc = create_vpc(cidr="10.51.0.0/16")
    only(user_api.listPublicIpAddresses(vpcid=vpc.id, issourcenat=True), "source NAT address")
    router = only(cloud.listRouters(vpcid=vpc.id, listall=True), "VPC router")
    assert router.state == "Running"
    assert router.vpcid == vpc.id


def test_update_and_restart(create_vpc, user_api):
    vpc = create_vpc(cidr="10.52.0.0/16")
    updated = user_api.updateVPC(id=vpc.id, name=vpc.name + "-x", displaytext="marvin2 vpc")
    assert (updated.name, updated.displaytext) == (vpc.name + "-x", "marvin2 vpc")
    user_api.restartVPC(id=vpc.id, cleanup=True)
    assert only(user_api.listVPCs(id=vpc.id)).state == "Enabled"


@pytest.mark.tags("negative")
def test_tier_outside_the_vpc_cidr_is_refused(create_vpc, make):
    vpc = create_vpc(cidr="10.53.0.0/16")
    with pytest.raises(CloudStackError) as refused:
        make.vpc_tier(vpc, gateway="10.99.1.1")
    assert refused.value.errorcode == 431


@pytest.mark.tags("negative")
def test_overlapping_tiers_are_refused(create_vpc, make):
    vpc = create_vpc(cidr="10.54.0.0/16")
    make.vpc_tier(vpc, gateway="10.54.1.1")
    with pytest.raises(CloudStackError) as refused:
        make.vpc_tier(vpc, gateway="10.54.1.129", netmask="255.255.255.128")
    assert refused.value.errorcode == 431


def test_default_acl_lists_exist(create_vpc, user_api):
    vpc = create_vpc(cidr="10.55.0.0/16")
    names = {acl.name for acl in user_api.listNetworkACLLists(vpcid=vpc.id) or []}
    assert {"default_allow", "default_deny"} <= names


def test_acl_list_with_rules_on_a_tier(create_vpc, make, user_api):
    vpc = create_vpc(cidr="10.56.0.0/16")
    acl = make.acl_list(vpcid=vpc.id)
    assert acl.vpcid == vpc.id
    ssh = make.acl_rule(aclid=acl.id, protocol="tcp", startport=22, endport=22, cidrlist=["0.0.0.0/0"],
                        traffictype="Ingress", action="Allow", number=10)
    deny_web = make.acl_rule(aclid=acl.id, protocol="tcp", startport=80, endport=80, cidrlist=["0.0.0.0/0"],
                             traffictype="Egress", action="Deny", number=20)
    assert (ssh.traffictype, ssh.action, int(ssh.number)) == ("Ingress", "Allow", 10)
    assert (deny_web.traffictype, deny_web.action) == ("Egress", "Deny")
    rules = user_api.listNetworkACLs(aclid=acl.id) or []
    assert sorted(ids(rules)) == sorted([ssh.id, deny_web.id])

    tier = make.vpc_tier(vpc, gateway="10.56.1.1", aclid=acl.id)
    assert tier.aclid == acl.id


def test_replace_the_acl_list_of_a_tier(create_vpc, make, user_api):
    vpc = create_vpc(cidr="10.57.0.0/16")
    acl = make.acl_list(vpcid=vpc.id)  # made first, so that it is deleted after the tier that uses it
    tier = make.vpc_tier(vpc, gateway="10.57.1.1")
    user_api.replaceNetworkACLList(aclid=acl.id, networkid=tier.id)
    assert only(user_api.listNetworks(id=tier.id)).aclid == acl.id


@pytest.mark.tags("negative")
def test_acl_rule_numbers_are_unique_in_a_list(create_vpc, make):
    vpc = create_vpc(cidr="10.58.0.0/16")
    acl = make.acl_list(vpcid=vpc.id)
    make.acl_rule(aclid=acl.id, protocol="tcp", startport=22, endport=22, number=5)
    with pytest.raises(CloudStackError) as refused:
        make.acl_rule(aclid=acl.id, protocol="tcp", startport=23, endport=23, number=5)
    assert refused.value.errorcode == 431


@pytest.mark.tags("public-ip", "nat")
def test_vpc_public_ip_with_static_nat(create_vpc, make, deploy_vm, acquire_public_ip, user_api):
    vpc = create_vpc(cidr="10.59.0.0/16")
    tier = make.vpc_tier(vpc, gateway="10.59.1.1")
    vm = deploy_vm(networkids=[tier.id])
    ip = acquire_public_ip(vpcid=vpc.id)
    assert ip.vpcid == vpc.id
    make.static_nat(ipaddressid=ip.id, virtualmachineid=vm.id, networkid=tier.id)
    mapped = only(user_api.listPublicIpAddresses(id=ip.id))
    assert (mapped.isstaticnat, mapped.virtualmachineid, mapped.associatednetworkid) == (True, vm.id, tier.id)


@pytest.mark.tags("negative")
def test_delete_vpc_with_tiers_is_refused(create_vpc, make, user_api):
    vpc = create_vpc(cidr="10.60.0.0/16")
    make.vpc_tier(vpc, gateway="10.60.1.1")
    with pytest.raises(CloudStackError) as refused:
        user_api.deleteVPC(id=vpc.id)
    assert refused.value.errorcode == 431
    assert only(user_api.listVPCs(id=vpc.id)).state == "Enabled"


def test_delete_vpc(create_vpc, user_api):
    vpc = create_vpc(cidr="10.61.0.0/16")
    user_api.deleteVPC(id=vpc.id)
    assert vpc.id not in ids(listed(user_api, "listVPCs", id=vpc.id))
