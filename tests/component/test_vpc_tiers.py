"""VPC tiers: a VPC with three tiers and a VM in each, and the rules tiers obey.

Tier rules: inside the VPC CIDR, no overlap, the gateway is not the subnet
address, at most ``vpc.max.networks`` tiers, and a VPC with tiers cannot be
deleted. (ACL lists and rules: test_vpc_acl_rules.py, test_vpc_acl_lists.py;
the three were one module, split so that their tests spread over workers.)
"""
from __future__ import annotations

import ipaddress

import pytest

from .helpers import JOB_PARAM_ERROR, deploy_parallel, expect_error, ids, only, setting_value

pytestmark = [pytest.mark.tags("component", "vpc", "networks", "advanced"), pytest.mark.requires("vpc")]


@pytest.fixture
def vpc(create_vpc):
    """A VPC of the test's own: tier tests fill it (up to vpc.max.networks) or delete it."""
    return create_vpc(cidr="10.60.0.0/16")


@pytest.mark.tags("deploy-vm")
def test_three_tiers_each_with_a_vm(create_vpc, make, resource_factory, user_api, cloud):
    vpc = create_vpc(cidr="10.61.0.0/16")
    tiers = [make.vpc_tier(vpc, gateway=f"10.61.{n}.1") for n in (1, 2, 3)]
    assert sorted(ids(user_api.listNetworks(vpcid=vpc.id))) == sorted(ids(tiers))
    vms = deploy_parallel(resource_factory, [{"networkids": [tier.id]} for tier in tiers], purpose="tier")
    for tier, vm in zip(tiers, vms):
        assert tier.vpcid == vpc.id
        nic = only(vm.nic, "NIC")
        assert nic.networkid == tier.id
        assert ipaddress.ip_address(nic.ipaddress) in ipaddress.ip_network(tier.cidr)
        assert nic.gateway == tier.gateway
    assert sorted(ids(user_api.listVirtualMachines(vpcid=vpc.id))) == sorted(ids(vms))
    # One router serves every tier of the VPC.
    router = only(cloud.listRouters(vpcid=vpc.id, listall=True), "VPC router")
    assert router.vpcid == vpc.id


def test_tier_must_lie_inside_the_vpc_cidr(vpc, make):
    error = expect_error(431, make.vpc_tier, vpc, gateway="10.99.1.1")
    assert "is not within vpc" in error.errortext


def test_tiers_must_not_overlap(vpc, make):
    make.vpc_tier(vpc, gateway="10.60.1.1", netmask="255.255.255.0")
    error = expect_error(431, make.vpc_tier, vpc, gateway="10.60.1.129", netmask="255.255.255.128")
    assert "crosses other network cidr" in error.errortext


def test_a_tier_gateway_cannot_be_the_subnet_address(vpc, make):
    expect_error(431, make.vpc_tier, vpc, gateway="10.60.7.0")


def test_at_most_vpc_max_networks_tiers(vpc, make, cloud):
    maximum = int(setting_value(cloud, "vpc.max.networks") or 3)
    if maximum > 5:
        pytest.skip(f"vpc.max.networks is {maximum}: too many tiers to fill for a test")
    for n in range(maximum):
        make.vpc_tier(vpc, gateway=f"10.60.{10 + n}.1")
    error = expect_error(530, make.vpc_tier, vpc, gateway="10.60.99.1")
    assert error.errortext == (f"Number of networks per VPC can't extend {maximum}; "
                               f"increase it using global config vpc.max.networks")


def test_a_vpc_with_tiers_cannot_be_deleted(vpc, make, user_api):
    make.vpc_tier(vpc, gateway="10.60.1.1")
    make.vpc_tier(vpc, gateway="10.60.2.1")
    error = expect_error(JOB_PARAM_ERROR, user_api.deleteVPC, id=vpc.id)
    assert "as its used by 2 networks" in error.errortext
    assert only(user_api.listVPCs(id=vpc.id)).state == "Enabled"


def test_deleting_the_tiers_then_the_vpc(create_vpc, make, user_api):
    vpc = create_vpc(cidr="10.62.0.0/16")
    tier = make.vpc_tier(vpc, gateway="10.62.1.1")
    user_api.deleteNetwork(id=tier.id)
    user_api.deleteVPC(id=vpc.id)
    assert user_api.listVPCs(id=vpc.id) == []
