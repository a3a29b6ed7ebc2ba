"""Network ACL rules in a VPC: the order of rules and their validation.

Rule order is the ``number`` field (lowest first): given explicitly, taken
as highest + 1 when omitted, unique within a list, changed by
updateNetworkACLItem and by moveNetworkAclItem (which renumbers the rules
it has to shift).

Every test gets an ACL list of its own, in ONE VPC made for the module: the
rules live in the lists, so the tests do not need a VPC each (a VPC is a
router deploy on a real cloud).
"""
from __future__ import annotations

import hashlib

import pytest

from .helpers import JOB_PARAM_ERROR, expect_error

pytestmark = [pytest.mark.tags("component", "vpc", "networks", "advanced"), pytest.mark.requires("vpc")]


def rules_by_number(api, aclid: str) -> list:
    """The ACL's rules in evaluation order (the server's list order is not the rule order)."""
    return sorted(api.listNetworkACLs(aclid=aclid) or [], key=lambda rule: int(rule.number))


def order(api, aclid: str) -> list[tuple[str, int]]:
    return [(rule.id, int(rule.number)) for rule in rules_by_number(api, aclid)]


@pytest.fixture(scope="module")
def vpc(module_factory):
    """The module's VPC (shared: tests only add ACL lists to it, each its own)."""
    return module_factory.vpc(cidr="10.64.0.0/16")


@pytest.fixture
def acl(make, vpc):
    return make.acl_list(vpcid=vpc.id)


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
