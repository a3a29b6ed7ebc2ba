"""updateSecurityGroup (rename, 'default' rules) and updateNetworkACLList (name, description, access)."""
from __future__ import annotations

from compute_client import unique


def test_rename_security_group(admin, user):
    group = user.ok("createSecurityGroup", name=unique("sg"))["securitygroup"]
    renamed = admin.ok("updateSecurityGroup", id=group["id"], name=group["name"] + "-b")["securitygroup"]
    assert renamed["name"] == group["name"] + "-b"
    assert [g["name"] for g in user.items("listSecurityGroups", "securitygroup", id=group["id"])] == [renamed["name"]]
    assert admin.error("updateSecurityGroup", id=group["id"], name="Default") == \
        (431, "The security group name default is reserved")
    assert admin.error("updateSecurityGroup", id=group["id"], name=" ") == (431, "Security group name cannot be empty")
    assert user.error("updateSecurityGroup", id=group["id"], name="x")[0] == 432
    default = user.items("listSecurityGroups", "securitygroup", securitygroupname="default")
    assert len(default) == 1                       # made with the account's first security group
    assert admin.error("updateSecurityGroup", id=default[0]["id"], name="other") == \
        (431, "The default security group cannot be renamed")


def test_update_network_acl_list(admin, user, other_user, catalog):
    offering = admin.items("listVPCOfferings", "vpcoffering", name="Default VPC offering")[0]
    vpc = user.run("createVPC", name=unique("vpc"), displaytext="v", cidr="10.80.0.0/16",
                   zoneid=catalog["zone"]["id"], vpcofferingid=offering["id"])["vpc"]
    acl = user.run("createNetworkACLList", name="web", description="web tier", vpcid=vpc["id"])["networkacllist"]
    updated = user.run("updateNetworkACLList", id=acl["id"], name="web2", description="the web tier",
                       fordisplay=False)["networkacllist"]
    assert (updated["name"], updated["description"], updated["fordisplay"]) == ("web2", "the web tier", False)
    assert user.items("listNetworkACLLists", "networkacllist", id=acl["id"])[0]["name"] == "web2"
    assert other_user.error("updateNetworkACLList", id=acl["id"], name="x")[0] == 531
    global_list = admin.items("listNetworkACLLists", "networkacllist", name="default_allow")[0]
    assert user.error("updateNetworkACLList", id=global_list["id"], name="x") == \
        (531, "Must be Root Admin to update a global ACL.")
