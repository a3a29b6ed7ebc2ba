"""VPCs with several tiers, network ACL lists and the order of their rules.

Rule order is the ``number`` field (lowest first): given explicitly, taken
as highest + 1 when omitted, unique within a list, changed by
updateNetworkACLItem and by moveNetworkAclItem (which renumbers the rules
it has to shift). Tier rules: inside the VPC CIDR, no overlap, at most
``vpc.max.networks`` tiers, and a VPC with tiers cannot be deleted.
"""
from __future__ import annotations

import hashlib
import ipaddress

import pytest

from .helpers import (
    JOB_PARAM_ERROR,
    deploy_parallel,
    expect_error,
    ids,
    only,
    setting_value,
)

pytestmark = [pytest.mark.tags("component", "vpc", "networks", "advanced"), pytest.mark.requires("vpc")]


def rules_by_number(api, aclid: str) -> list:
    """The ACL's rules in evaluation order (the server's list order is not the rule order)."""
    return sorted(api.listNetworkACLs(aclid=aclid) or [], key=lambda rule: int(rule.number))


def order(api, aclid: str) -> list[tuple[str, int]]:
    return [(rule.id, int(rule.number)) for rule in rules_by_number(api, aclid)]


@pytest.fixture
def vpc(create_vpc):
    return create_vpc(cidr="10.60.0.0/16")


@pytest.fixture
def acl(make, vpc):
    return make.acl_list(vpcid=vpc.id)


# --- tiers -------------------------------------------------------------------------------------


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


# --- ACL rule order ------------------------------------------------------------------------------


@pytest.mark.tags("firewall")
def test_rule_numbers_give_the_order_and_default_to_highest_plus_one(acl, make, user_api):
    web = make.acl_rule(aclid=acl.id, startport=80, endport=80, cidrlist=["0.0.0.0/0"], number=30,
                        traffictype="Ingress", action="Allow")
    ssh = make.acl_rule(aclid=acl.id, startport=22, endport=22, cidrlist=["10.0.0.0/8"], number=10,
                        traffictype="Ingress", action="Allow")
    deny = make.acl_rule(aclid=acl.id, protocol="all", cidrlist=["0.0.0.0/0"], number=20,
                         traffictype="Ingress", action="Deny")
    assert order(user_api, acl.id) == [(ssh.id, 10), (deny.id, 20), (web.id, 30)]
    auto = make.acl_rule(aclid=acl.id, startport=443, endport=443, cidrlist=["0.0.0.0/0"])
    assert int(auto.number) == 31
    assert (auto.traffictype, auto.action) == ("Ingress", "Allow")     # the defaults
    assert order(user_api, acl.id)[-1] == (auto.id, 31)


@pytest.mark.tags("negative", "firewall")
def test_a_rule_number_is_unique_in_its_list(acl, make):
    make.acl_rule(aclid=acl.id, startport=22, endport=22, number=10)
    error = expect_error(431, make.acl_rule, aclid=acl.id, startport=23, endport=23, number=10)
    assert error.errortext == f"ACL item with number 10 already exists in ACL: {acl.id}"


@pytest.mark.tags("firewall")
def test_the_same_number_in_two_lists(vpc, make):
    first, second = make.acl_list(vpcid=vpc.id), make.acl_list(vpcid=vpc.id)
    one = make.acl_rule(aclid=first.id, startport=22, endport=22, number=10)
    two = make.acl_rule(aclid=second.id, startport=22, endport=22, number=10)
    assert int(one.number) == int(two.number) == 10


@pytest.mark.tags("negative", "firewall")
def test_a_rule_number_below_one_is_refused(acl, make):
    expect_error(431, make.acl_rule, aclid=acl.id, startport=22, endport=22, number=0)


@pytest.mark.tags("firewall")
def test_renumbering_with_update(acl, make, user_api):
    first = make.acl_rule(aclid=acl.id, startport=22, endport=22, number=1)
    second = make.acl_rule(aclid=acl.id, startport=80, endport=80, number=2)
    updated = user_api.updateNetworkACLItem(id=second.id, number=0 + 5, partialupgrade=True)
    assert int(updated.number) == 5
    assert (int(updated.startport), updated.protocol) == (80, "tcp")   # a partial update keeps the rest
    error = expect_error(JOB_PARAM_ERROR, user_api.updateNetworkACLItem, id=first.id, number=5, partialupgrade=True)
    assert error.errortext == f"ACL item with number 5 already exists in ACL: {acl.id}"
    assert order(user_api, acl.id) == [(first.id, 1), (second.id, 5)]


@pytest.mark.tags("firewall")
def test_moving_a_rule_between_two_others_shifts_the_rest(acl, make, user_api):
    a, b, c, d = (make.acl_rule(aclid=acl.id, startport=port, endport=port, number=number)
                  for port, number in ((21, 1), (22, 2), (23, 3), (24, 12)))
    moved = user_api.moveNetworkAclItem(id=d.id, previousaclruleid=a.id, nextaclruleid=b.id)
    assert int(moved.number) == 2
    assert order(user_api, acl.id) == [(a.id, 1), (d.id, 2), (b.id, 3), (c.id, 4)]


@pytest.mark.tags("firewall")
def test_moving_a_rule_to_the_top_and_to_the_bottom(acl, make, user_api):
    a, b, c = (make.acl_rule(aclid=acl.id, startport=port, endport=port, number=number)
               for port, number in ((21, 1), (22, 2), (23, 3)))
    user_api.moveNetworkAclItem(id=c.id, nextaclruleid=a.id)           # no previous rule: to the top
    assert [rule_id for rule_id, _ in order(user_api, acl.id)] == [c.id, a.id, b.id]
    assert order(user_api, acl.id)[0] == (c.id, 1)
    user_api.moveNetworkAclItem(id=c.id, previousaclruleid=b.id)       # no next rule: to the bottom
    assert [rule_id for rule_id, _ in order(user_api, acl.id)] == [a.id, b.id, c.id]


@pytest.mark.tags("negative", "firewall")
def test_a_move_with_a_stale_consistency_hash_is_refused(acl, make, user_api):
    a, b = (make.acl_rule(aclid=acl.id, startport=port, endport=port, number=n) for port, n in ((21, 1), (22, 2)))
    current = hashlib.md5("".join(rule_id for rule_id, _ in order(user_api, acl.id)).encode()).hexdigest()
    stale = hashlib.md5(b"something else").hexdigest()
    expect_error(JOB_PARAM_ERROR, user_api.moveNetworkAclItem, id=b.id, nextaclruleid=a.id, aclconsistencyhash=stale)
    assert order(user_api, acl.id) == [(a.id, 1), (b.id, 2)]
    user_api.moveNetworkAclItem(id=b.id, nextaclruleid=a.id, aclconsistencyhash=current)
    assert [rule_id for rule_id, _ in order(user_api, acl.id)] == [b.id, a.id]


# --- ACL rule validation -----------------------------------------------------------------------------


@pytest.mark.tags("negative", "firewall")
@pytest.mark.parametrize("rule, text", [
    ({"protocol": "icmp", "startport": 22, "endport": 22}, "Can't specify start/end port when protocol is ICMP"),
    ({"protocol": "tcp", "icmptype": 8, "icmpcode": 0}, "Can specify icmpCode and icmpType for ICMP protocol only"),
    ({"protocol": "all", "startport": 1, "endport": 10}, "start port and end port must be null if protocol = 'all'"),
    ({"protocol": "tcp", "startport": 90, "endport": 80}, "Start port can't be bigger than end port"),
    ({"protocol": "gre-ish"}, "Invalid protocol"),
    ({"protocol": "tcp", "startport": 22, "endport": 22, "action": "Maybe"}, "Invalid action"),
], ids=["icmp-with-ports", "icmp-type-on-tcp", "all-with-ports", "start-after-end", "bad-protocol", "bad-action"])
def test_invalid_rules_are_refused(acl, make, user_api, rule, text):
    error = expect_error(431, make.acl_rule, aclid=acl.id, **rule)
    assert text in error.errortext
    assert user_api.listNetworkACLs(aclid=acl.id) == []


# --- lists on tiers --------------------------------------------------------------------------------


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
