"""Security groups owned by a project (projectid), like project networks, over HTTP.

createSecurityGroup with ``projectid`` makes the group the project's (``projectid``/``project`` in the
answer instead of ``account``); listSecurityGroups with ``projectid`` shows the project's groups (its
``default`` one too) to members only, and leaves them out without it unless one is asked for by id;
members, not only the owner, authorize and revoke rules on them (by id, or by name with ``projectid``);
deleteProject cleanup=true removes them. The member's calls go through the PyPI ``cs`` client.
"""
from __future__ import annotations

import pytest
from cs import CloudStack, CloudStackApiException
from netclient import new_user


@pytest.fixture(scope="module")
def owner(admin):
    return new_user(admin, "sgowner")


@pytest.fixture(scope="module")
def member(admin):
    return new_user(admin, "sgmember")


@pytest.fixture(scope="module")
def stranger(admin):
    return new_user(admin, "sgstranger")


@pytest.fixture(scope="module")
def project(owner, member):
    project = owner.run("createProject", name="sgproj", displaytext="security groups")["project"]
    assert owner.run("addAccountToProject", projectid=project["id"], account=member.account["name"]) == {"success": True}
    return project


@pytest.fixture(scope="module")
def member_cs(sim, member) -> CloudStack:
    return CloudStack(endpoint=sim.endpoint, key=member.api_key, secret=member._secret, timeout=10, poll_interval=0.02)


def _names(groups: list[dict]) -> set[str]:
    return {g["name"] for g in groups}


def test_create_and_list_a_project_security_group(admin, owner, member, member_cs, stranger, project):
    group = member_cs.createSecurityGroup(name="web", description="web tier", projectid=project["id"])["securitygroup"]
    assert group["projectid"] == project["id"] and group["project"] == "sgproj" and "account" not in group

    listed = member_cs.listSecurityGroups(projectid=project["id"])["securitygroup"]
    assert _names(listed) == {"default", "web"} and all(g["projectid"] == project["id"] for g in listed)
    # Without projectid a member's (and the owner's) own list leaves the project's groups out.
    assert group["id"] not in {g["id"] for g in member_cs.listSecurityGroups().get("securitygroup", [])}
    assert group["id"] not in {g["id"] for g in owner.items("listSecurityGroups", "securitygroup")}
    # An admin finds it by id alone, not in a listall without id.
    assert [g["id"] for g in admin.items("listSecurityGroups", "securitygroup", id=group["id"])] == [group["id"]]
    assert group["id"] not in {g["id"] for g in admin.items("listSecurityGroups", "securitygroup", listall=True)}
    # The same name in the member's own account is another group.
    mine = member_cs.createSecurityGroup(name="web")["securitygroup"]
    assert mine["id"] != group["id"] and mine["account"] == member.account["name"] and "projectid" not in mine
    assert stranger.error("listSecurityGroups", projectid=project["id"])[0] == 531
    assert stranger.error("createSecurityGroup", name="x", projectid=project["id"])[0] == 531


def test_members_authorize_and_revoke_rules_on_project_groups(owner, member, member_cs, stranger, project):
    group = owner.ok("createSecurityGroup", name="db", projectid=project["id"])["securitygroup"]
    # A Regular member (not the project's owner) authorizes by id ...
    by_id = member_cs.authorizeSecurityGroupIngress(securitygroupid=group["id"], protocol="tcp", startport=5432,
                                                    endport=5432, cidrlist="10.0.0.0/8", fetch_result=True)
    rule = by_id["securitygroup"]["ingressrule"][0]
    assert rule["startport"] == 5432 and rule["cidr"] == "10.0.0.0/8"
    # ... and by name within the project.
    by_name = member_cs.authorizeSecurityGroupEgress(securitygroupname="db", projectid=project["id"], protocol="udp",
                                                     startport=53, endport=53, cidrlist="0.0.0.0/0", fetch_result=True)
    assert by_name["securitygroup"]["id"] == group["id"]
    egress = by_name["securitygroup"]["egressrule"][0]

    # Someone outside the project may not touch it.
    assert stranger.error("authorizeSecurityGroupIngress", securitygroupid=group["id"], protocol="tcp", startport=22,
                          endport=22, cidrlist="0.0.0.0/0")[0] == 531
    assert stranger.error("revokeSecurityGroupIngress", id=rule["ruleid"])[0] == 531
    with pytest.raises(CloudStackApiException) as caught:      # by name: the project is not the stranger's
        CloudStack(endpoint=member_cs.endpoint, key=stranger.api_key, secret=stranger._secret, timeout=10) \
            .authorizeSecurityGroupIngress(securitygroupname="db", projectid=project["id"], protocol="tcp",
                                           startport=22, endport=22, cidrlist="0.0.0.0/0")
    assert caught.value.error["errorcode"] == 531

    assert member_cs.revokeSecurityGroupIngress(id=rule["ruleid"], fetch_result=True) == {"success": True}
    assert member.run("revokeSecurityGroupEgress", id=egress["ruleid"]) == {"success": True}
    current = member_cs.listSecurityGroups(projectid=project["id"], id=group["id"])["securitygroup"][0]
    assert current["ingressrule"] == [] and current["egressrule"] == []
    assert member_cs.deleteSecurityGroup(name="db", projectid=project["id"]) == {"success": True}
    assert "db" not in _names(member_cs.listSecurityGroups(projectid=project["id"])["securitygroup"])


def test_delete_project_with_cleanup_removes_its_security_groups(admin, owner):
    project = owner.run("createProject", name="sgproj2", displaytext="gone")["project"]
    group = owner.ok("createSecurityGroup", name="tmp", projectid=project["id"])["securitygroup"]
    owner.run("authorizeSecurityGroupIngress", securitygroupid=group["id"], protocol="tcp", startport=80, endport=80,
              cidrlist="0.0.0.0/0")
    assert owner.run("deleteProject", id=project["id"], cleanup=True) == {"success": True}
    assert admin.error("listSecurityGroups", id=group["id"])[0] == 431       # gone: its id is unknown
