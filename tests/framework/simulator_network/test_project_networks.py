"""Networks, public IPs and rules owned by a project (projectid), over signed HTTP.

A project owns resources through its project account: they show ``projectid``/
``project`` instead of ``account``, are listed only with ``projectid`` (a
member's own lists leave them out) and only members may use them."""
from __future__ import annotations

import pytest
from netclient import ISOLATED, new_user


@pytest.fixture(scope="module")
def member(admin):
    return new_user(admin, "projmember")


@pytest.fixture(scope="module")
def stranger(admin):
    return new_user(admin, "projstranger")


@pytest.fixture(scope="module")
def project(member):
    return member.run("createProject", name="netproj", displaytext="network project")["project"]


@pytest.fixture(scope="module")
def project_network(member, project, cloud):
    return member.ok("createNetwork", name="projnet", displaytext="projnet", zoneid=cloud["zone"]["id"],
                     networkofferingid=cloud["offerings"][ISOLATED]["id"], projectid=project["id"])["network"]


def test_create_network_for_a_project(member, project, project_network):
    assert project_network["projectid"] == project["id"] and project_network["project"] == "netproj"
    assert "account" not in project_network
    listed = member.items("listNetworks", "network", projectid=project["id"])
    assert [n["id"] for n in listed] == [project_network["id"]] and listed[0]["projectid"] == project["id"]
    # The member's own list leaves project networks out, as a real server does without projectid.
    assert project_network["id"] not in {n["id"] for n in member.items("listNetworks", "network")}


def test_project_network_is_for_members_only(admin, stranger, project, project_network, cloud):
    code, _, _ = stranger.error("listNetworks", projectid=project["id"])
    assert code == 531
    code, _, _ = stranger.error("createNetwork", name="x", displaytext="x", zoneid=cloud["zone"]["id"],
                                networkofferingid=cloud["offerings"][ISOLATED]["id"], projectid=project["id"])
    assert code == 531
    assert stranger.error("associateIpAddress", networkid=project_network["id"])[0] == 531
    # An admin finds it by id (no projectid needed), and with projectid.
    assert [n["id"] for n in admin.items("listNetworks", "network", id=project_network["id"])] == [project_network["id"]]
    assert project_network["id"] not in {n["id"] for n in admin.items("listNetworks", "network", listall=True)}
    assert project_network["id"] in {n["id"] for n in admin.items("listNetworks", "network", projectid=project["id"])}


def test_public_ip_and_rules_of_a_project(member, project, project_network):
    ip = member.run("associateIpAddress", networkid=project_network["id"], projectid=project["id"])["ipaddress"]
    assert ip["projectid"] == project["id"] and "account" not in ip
    listed = member.items("listPublicIpAddresses", "publicipaddress", projectid=project["id"])
    assert [x["id"] for x in listed] == [ip["id"]]
    assert ip["id"] not in {x["id"] for x in member.items("listPublicIpAddresses", "publicipaddress")}
    # Without projectid, an address acquired for the project's network is the network owner's: the project's.
    second = member.run("associateIpAddress", networkid=project_network["id"])["ipaddress"]
    assert second["projectid"] == project["id"]
    rule = member.run("createFirewallRule", ipaddressid=second["id"], protocol="tcp", startport=22)["firewallrule"]
    assert [r["id"] for r in member.items("listFirewallRules", "firewallrule", projectid=project["id"])] == [rule["id"]]
    assert rule["id"] not in {r["id"] for r in member.items("listFirewallRules", "firewallrule")}
    assert member.run("deleteFirewallRule", id=rule["id"]) == {"success": True}
    assert member.run("disassociateIpAddress", id=second["id"]) == {"success": True}


def test_deploy_into_the_project_network_then_delete_it(admin, member, project, cloud):
    network = member.ok("createNetwork", name="projnet2", displaytext="projnet2", zoneid=cloud["zone"]["id"],
                        networkofferingid=cloud["offerings"][ISOLATED]["id"], projectid=project["id"])["network"]
    vm = member.run("deployVirtualMachine", zoneid=cloud["zone"]["id"], templateid=cloud["template"]["id"],
                    serviceofferingid=cloud["small"]["id"], networkids=network["id"], projectid=project["id"])["virtualmachine"]
    assert vm["projectid"] == project["id"]
    nat = member.items("listPublicIpAddresses", "publicipaddress", projectid=project["id"], issourcenat=True,
                       associatednetworkid=network["id"])
    assert len(nat) == 1 and nat[0]["projectid"] == project["id"]
    admin.run("destroyVirtualMachine", id=vm["id"], expunge=True)
    assert member.run("deleteNetwork", id=network["id"]) == {"success": True}
    assert member.items("listNetworks", "network", projectid=project["id"], id=network["id"]) == []


def test_list_routers_follows_the_project_rule(admin, member, project, cloud):
    # QueryManagerImpl.searchForRoutersInternal scopes routers with buildACLSearchParameters like every owned list:
    # without projectid (and without id) project routers are skipped even with listall; projectid lists them.
    network = member.ok("createNetwork", name="projrouted", displaytext="projrouted", zoneid=cloud["zone"]["id"],
                        networkofferingid=cloud["offerings"][ISOLATED]["id"], projectid=project["id"])["network"]
    vm = member.run("deployVirtualMachine", zoneid=cloud["zone"]["id"], templateid=cloud["template"]["id"],
                    serviceofferingid=cloud["small"]["id"], networkids=network["id"], projectid=project["id"])["virtualmachine"]
    assert admin.items("listRouters", "router", listall=True, networkid=network["id"]) == []
    (router,) = admin.items("listRouters", "router", projectid=project["id"], networkid=network["id"])
    assert router["guestnetworkid"] == network["id"]
    assert router["projectid"] == project["id"] and router["project"] == "netproj" and "account" not in router
    assert router["id"] not in {r["id"] for r in admin.items("listRouters", "router", listall=True)}
    # Asked for by id, the router is found without projectid (no project rule then, as for VMs).
    assert [r["id"] for r in admin.items("listRouters", "router", id=router["id"])] == [router["id"]]
    code, _, text = admin.error("listRouters", projectid=project["id"], account="admin")
    assert (code, text) == (431, "Account and projectId can't be specified together")
    admin.run("destroyVirtualMachine", id=vm["id"], expunge=True)
    admin.run("deleteNetwork", id=network["id"])
