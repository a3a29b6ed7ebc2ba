"""moveNetworkAclItem (rule order by drag and drop), and the ACL-list refusals
of replaceNetworkACLList / deleteNetworkACLList across VPCs and on the
default lists. Every check of a move happens in its job, as on a real server."""
from __future__ import annotations

import hashlib

import pytest

STALE_TEXT = ("It seems that the access control list in the database is not in the state that you used to apply the "
              "changed. Could you try it again?")

@pytest.fixture(scope="module")
def vpc(user_a, cloud):
    return user_a.run("createVPC", name="moves", displaytext="moves", cidr="10.110.0.0/16",
                      vpcofferingid=cloud["vpc_offering"]["id"], zoneid=cloud["zone"]["id"])["vpc"]


@pytest.fixture()
def acl(user_a, vpc):
    created = user_a.run("createNetworkACLList", name="moves", vpcid=vpc["id"])["networkacllist"]
    yield created
    for rule in user_a.items("listNetworkACLs", "networkacl", aclid=created["id"]):
        user_a.run("deleteNetworkACL", id=rule["id"])
    user_a.run("deleteNetworkACLList", id=created["id"])


def rules(client, acl, *numbers) -> list[dict]:
    """One tcp rule per number (port 1000 + number), created in the order given."""
    return [client.run("createNetworkACL", aclid=acl["id"], protocol="tcp", startport=1000 + n, number=n)["networkacl"]
            for n in numbers]


def order(client, acl) -> list[tuple[str, int]]:
    listed = client.items("listNetworkACLs", "networkacl", aclid=acl["id"])
    return sorted(((r["id"], r["number"]) for r in listed), key=lambda pair: pair[1])


def consistency_hash(client, acl) -> str:
    return hashlib.md5("".join(rule_id for rule_id, _ in order(client, acl)).encode()).hexdigest()


def test_move_between_two_adjacent_rules_pushes_only_the_colliding_ones(user_a, acl):
    a, b, c, d, e = rules(user_a, acl, 1, 2, 3, 12, 20)
    started = user_a.start("moveNetworkAclItem", id=d["id"], previousaclruleid=a["id"], nextaclruleid=b["id"])
    assert set(started) == {"jobid"}
    job = user_a.wait(started["jobid"])
    assert job["jobstatus"] == 1 and job["cmd"].endswith("MoveNetworkAclItemCmd")
    # Moves within one list are queued one after another (the server locks the list while it renumbers).
    assert (job["jobinstancetype"], job["jobinstanceid"]) == ("NetworkAcl", acl["id"])
    moved = job["jobresult"]["networkacl"]
    assert (moved["id"], moved["number"], moved["startport"], moved["aclid"]) == (d["id"], 2, "1012", acl["id"])
    # b and c are pushed by one each; e (20) is not in the way and keeps its number.
    assert order(user_a, acl) == [(a["id"], 1), (d["id"], 2), (b["id"], 3), (c["id"], 4), (e["id"], 20)]


def test_move_into_a_gap_changes_only_the_moved_rule(user_a, acl):
    a, b, c = rules(user_a, acl, 1, 5, 9)
    assert user_a.run("moveNetworkAclItem", id=c["id"], previousaclruleid=a["id"],
                      nextaclruleid=b["id"])["networkacl"]["number"] == 2
    assert order(user_a, acl) == [(a["id"], 1), (c["id"], 2), (b["id"], 5)]


def test_move_to_the_top_cascades_through_the_old_slot(user_a, acl):
    a, b, c, d = rules(user_a, acl, 1, 2, 3, 4)
    user_a.run("moveNetworkAclItem", id=c["id"], nextaclruleid=a["id"])
    # The server shifts on the numbers it read before the move: c's old 3 still counts as taken,
    # so the cascade runs on to d.
    assert order(user_a, acl) == [(c["id"], 1), (a["id"], 2), (b["id"], 3), (d["id"], 5)]


def test_move_to_the_bottom_takes_last_plus_one(user_a, acl):
    a, b, c = rules(user_a, acl, 1, 2, 7)
    assert user_a.run("moveNetworkAclItem", id=a["id"], previousaclruleid=c["id"])["networkacl"]["number"] == 8
    assert order(user_a, acl) == [(b["id"], 2), (c["id"], 7), (a["id"], 8)]
    # The last rule moved to the bottom still gets last + 1.
    assert user_a.run("moveNetworkAclItem", id=a["id"], previousaclruleid=c["id"])["networkacl"]["number"] == 9


def test_consistency_hash(user_a, acl):
    a, b = rules(user_a, acl, 1, 2)
    current = consistency_hash(user_a, acl)
    assert user_a.run_fails("moveNetworkAclItem", id=b["id"], nextaclruleid=a["id"],
                            aclconsistencyhash=hashlib.md5(b"stale").hexdigest()) == (
        431, STALE_TEXT)
    assert order(user_a, acl) == [(a["id"], 1), (b["id"], 2)]
    user_a.run("moveNetworkAclItem", id=b["id"], nextaclruleid=a["id"], aclconsistencyhash=current)
    assert order(user_a, acl) == [(b["id"], 1), (a["id"], 2)]
    # The old hash describes the old order now.
    code, text = user_a.run_fails("moveNetworkAclItem", id=b["id"], previousaclruleid=a["id"], aclconsistencyhash=current)
    assert code == 431 and text.startswith("It seems that the access control list")


def test_refused_moves(user_a, user_b, vpc, acl):
    a, b, c, d = rules(user_a, acl, 1, 2, 4, 6)
    other = user_a.run("createNetworkACLList", name="other", vpcid=vpc["id"])["networkacllist"]
    foreign = rules(user_a, other, 1)[0]
    try:
        assert user_a.run_fails("moveNetworkAclItem", id=a["id"]) == (
            431, "Both previous and next ACL rule IDs cannot be blank.")
        assert user_a.run_fails("moveNetworkAclItem", id="no-such-rule", nextaclruleid=a["id"]) == (
            431, "Could not find a rule with ID[no-such-rule]")
        assert user_a.run_fails("moveNetworkAclItem", id=a["id"], nextaclruleid="nope") == (
            431, "Could not find rule with ID [nope]")
        assert user_a.run_fails("moveNetworkAclItem", id=a["id"], nextaclruleid=foreign["id"]) == (
            431, "Cannot use ACL rules from differenting ACLs. Rule being moved.")
        # a and c are not adjacent (1, 4) but a + 1 is b's number: the server refuses rather than shift.
        code, text = user_a.run_fails("moveNetworkAclItem", id=d["id"], previousaclruleid=a["id"], nextaclruleid=c["id"])
        assert code == 431
        assert text == ("There are some inconsistencies with the data you sent. The new position calculated already "
                        "has a ACL rule on it.")
        code, _ = user_b.run_fails("moveNetworkAclItem", id=b["id"], nextaclruleid=a["id"])
        assert code == 531
        assert order(user_a, acl) == [(a["id"], 1), (b["id"], 2), (c["id"], 4), (d["id"], 6)]
    finally:
        user_a.run("deleteNetworkACL", id=foreign["id"])
        user_a.run("deleteNetworkACLList", id=other["id"])


def test_default_list_rules_cannot_be_moved(user_a, vpc):
    deny = next(a for a in user_a.items("listNetworkACLLists", "networkacllist", vpcid=vpc["id"])
                if a["name"] == "default_deny")
    first, second = user_a.items("listNetworkACLs", "networkacl", aclid=deny["id"])
    assert user_a.run_fails("moveNetworkAclItem", id=second["id"], nextaclruleid=first["id"]) == (
        431, "Re-ordering rules for a default ACL is prohibited")
    assert [r["number"] for r in user_a.items("listNetworkACLs", "networkacl", aclid=deny["id"])] == [1, 2]


def test_move_is_an_acl_item_update_event(user_a, acl):
    a, b = rules(user_a, acl, 1, 2)
    user_a.run("moveNetworkAclItem", id=b["id"], nextaclruleid=a["id"])
    events = [e for e in user_a.items("listEvents", "event", type="NETWORK.ACL.ITEM.UPDATE")
              if b["id"] in e["description"]]
    assert events and events[0]["description"] == f"Placing network ACL item [{b['id']}] between [null] and [{a['id']}]."


def test_a_list_of_another_vpc_cannot_be_applied(user_a, cloud, vpc):
    from netclient import VPC_TIER

    other_vpc = user_a.run("createVPC", name="other", displaytext="other", cidr="10.111.0.0/16",
                           vpcofferingid=cloud["vpc_offering"]["id"], zoneid=cloud["zone"]["id"])["vpc"]
    foreign = user_a.run("createNetworkACLList", name="foreign", vpcid=other_vpc["id"])["networkacllist"]
    tier = user_a.ok("createNetwork", name="t", displaytext="t", zoneid=cloud["zone"]["id"], vpcid=vpc["id"],
                     networkofferingid=cloud["offerings"][VPC_TIER]["id"], gateway="10.110.1.1",
                     netmask="255.255.255.0")["network"]
    try:
        assert user_a.run_fails("replaceNetworkACLList", aclid=foreign["id"], networkid=tier["id"]) == (
            431, f"Network: {tier['id']} and ACL: {foreign['id']} do not belong to the same VPC")
        assert user_a.items("listNetworks", "network", id=tier["id"])[0]["aclname"] == "default_deny"
    finally:
        user_a.run("deleteNetwork", id=tier["id"])
        user_a.run("deleteNetworkACLList", id=foreign["id"])
        user_a.run("deleteVPC", id=other_vpc["id"])


def test_default_lists_cannot_be_deleted(user_a, vpc):
    lists = user_a.items("listNetworkACLLists", "networkacllist", vpcid=vpc["id"])
    for name in ("default_allow", "default_deny"):
        default = next(a for a in lists if a["name"] == name)
        assert user_a.run_fails("deleteNetworkACLList", id=default["id"]) == (431, "Default ACL cannot be removed")
    assert {"default_allow", "default_deny"} <= {a["name"] for a in
                                                 user_a.items("listNetworkACLLists", "networkacllist", vpcid=vpc["id"])}
