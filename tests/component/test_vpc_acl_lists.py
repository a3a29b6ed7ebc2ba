"""Network ACL lists on VPC tiers: create a tier with a list, replace it, and what is refused.

A tier takes the list it is created with; replaceNetworkACLList swaps it;
a list of another VPC, the default lists (change or delete) and a list in use
(delete) are refused.

The tests share ONE VPC made for the module (a VPC is a router deploy on a
real cloud): each test's tier and list are deleted after it, so the next
test finds the VPC as it was.
"""
from __future__ import annotations

import pytest

from .helpers import JOB_PARAM_ERROR, expect_error, ids, only

pytestmark = [pytest.mark.tags("component", "vpc", "networks", "advanced"), pytest.mark.requires("vpc")]


@pytest.fixture(scope="module")
def vpc(module_factory):
    """The module's VPC (shared: each test's tiers and lists go after the test)."""
    return module_factory.vpc(cidr="10.60.0.0/16")


@pytest.fixture
def acl(make, vpc):
    return make.acl_list(vpcid=vpc.id)


def default_list(api, vpc, name: str):
    return only([a for a in api.listNetworkACLLists(vpcid=vpc.id) or [] if a.name == name], name)


def test_a_tier_takes_the_list_it_is_created_with(vpc, acl, make, user_api):
    tier = make.vpc_tier(vpc, gateway="10.60.1.1", aclid=acl.id)
    assert only(user_api.listNetworks(id=tier.id)).aclid == acl.id
    assert ids(user_api.listNetworkACLLists(networkid=tier.id)) == [acl.id]


def test_replacing_the_list_of_a_tier(vpc, acl, make, user_api):
    deny_all = default_list(user_api, vpc, "default_deny")
    tier = make.vpc_tier(vpc, gateway="10.60.1.1", aclid=deny_all.id)
    make.acl_rule(aclid=acl.id, startport=22, endport=22, number=1)
    user_api.replaceNetworkACLList(aclid=acl.id, networkid=tier.id)
    assert only(user_api.listNetworks(id=tier.id)).aclid == acl.id
    # Rules listed through the tier are those of its new list.
    assert [int(r.startport) for r in user_api.listNetworkACLs(networkid=tier.id)] == [22]


@pytest.mark.tags("negative")
def test_a_list_of_another_vpc_cannot_be_applied(vpc, make, create_vpc, user_api):
    tier = make.vpc_tier(vpc, gateway="10.60.1.1")
    other_vpc = create_vpc(cidr="10.63.0.0/16")
    foreign = make.acl_list(vpcid=other_vpc.id)
    error = expect_error(JOB_PARAM_ERROR, user_api.replaceNetworkACLList, aclid=foreign.id, networkid=tier.id)
    assert "do not belong to the same VPC" in error.errortext


@pytest.mark.tags("negative")
def test_default_lists_cannot_be_changed(vpc, user_api):
    allow_all = default_list(user_api, vpc, "default_allow")
    error = expect_error(431, user_api.createNetworkACL, aclid=allow_all.id, protocol="tcp", startport=22,
                         endport=22)
    assert error.errortext == "Default ACL cannot be modified"


@pytest.mark.tags("negative")
def test_default_lists_cannot_be_deleted(vpc, user_api):
    deny_all = default_list(user_api, vpc, "default_deny")
    error = expect_error(JOB_PARAM_ERROR, user_api.deleteNetworkACLList, id=deny_all.id)
    assert error.errortext == "Default ACL cannot be removed"
    assert default_list(user_api, vpc, "default_deny").id == deny_all.id


@pytest.mark.tags("negative")
def test_a_list_in_use_cannot_be_deleted(vpc, acl, make, user_api):
    make.vpc_tier(vpc, gateway="10.60.1.1", aclid=acl.id)
    error = expect_error(530, user_api.deleteNetworkACLList, id=acl.id)
    assert error.errortext == f"ACL is still associated with 1 tier(s). Cannot delete network ACL: {acl.id}"
    assert ids(user_api.listNetworkACLLists(id=acl.id)) == [acl.id]
