"""Security groups in a Basic zone: create, ingress/egress rules, VMs in groups.

Needs a zone with security groups: run with a Basic-zone config (for the
simulator: ``--marvin-config configs/simulator-basic.yaml --tags basic``).
In the default Advanced config these tests are skipped by the zone_type marker.
VMs are deployed with no network named, as a Basic zone wants (``deploy_vm``
does so there).
"""
import pytest

from marvin2.client import CloudStackError

from .helpers import ids, listed, only

pytestmark = [pytest.mark.tags("security-groups", "basic", "sg", "smoke"),
              pytest.mark.zone_type("Basic"), pytest.mark.requires("security_groups")]


@pytest.mark.tags("quick-test")
def test_create_group_with_ingress_and_egress_rules(make, user_api):
    group = make.security_group(description="marvin2 web")
    assert group.description == "marvin2 web"

    user_api.authorizeSecurityGroupIngress(securitygroupid=group.id, protocol="TCP", startport=22, endport=22,
                                           cidrlist=["192.0.2.0/24"])
    user_api.authorizeSecurityGroupEgress(securitygroupid=group.id, protocol="UDP", startport=53, endport=53,
                                          cidrlist=["0.0.0.0/0"])
    listed_group = only(user_api.listSecurityGroups(id=group.id))
    ingress = only(listed_group.ingressrule, "ingress rule")
    egress = only(listed_group.egressrule, "egress rule")
    assert (ingress.protocol.lower(), ingress.startport, ingress.endport, ingress.cidr) == ("tcp", 22, 22, "192.0.2.0/24")
    assert (egress.protocol.lower(), egress.startport, egress.endport, egress.cidr) == ("udp", 53, 53, "0.0.0.0/0")


def test_every_account_has_a_default_group(user_api):
    assert "default" in [g.name for g in user_api.listSecurityGroups() or []]


def test_revoke_ingress_rule(make, user_api):
    group = make.security_group()
    user_api.authorizeSecurityGroupIngress(securitygroupid=group.id, protocol="TCP", startport=80, endport=80,
                                           cidrlist=["0.0.0.0/0"])
    rule = only(only(user_api.listSecurityGroups(id=group.id)).ingressrule)
    user_api.revokeSecurityGroupIngress(id=rule.ruleid)
    assert not only(user_api.listSecurityGroups(id=group.id)).get("ingressrule")


def test_ingress_from_another_group(make, user_api, test_account):
    web, db = make.security_group(purpose="web"), make.security_group(purpose="db")
    user_api.authorizeSecurityGroupIngress(
        securitygroupid=db.id, protocol="TCP", startport=3306, endport=3306,
        usersecuritygrouplist=[{"account": test_account.name, "group": web.name}])
    rule = only(only(user_api.listSecurityGroups(id=db.id)).ingressrule)
    assert (rule.securitygroupname, rule.account) == (web.name, test_account.name)


def test_deploy_vm_into_groups(make, deploy_vm, user_api):
    group = make.security_group()
    vm = deploy_vm(securitygroupids=[group.id])
    assert group.id in [g.id for g in vm.securitygroup]
    assert vm.id in [v.id for v in user_api.listVirtualMachines(securitygroupid=group.id) or []]


@pytest.mark.tags("negative")
def test_group_in_use_cannot_be_deleted(make, deploy_vm, user_api):
    group = make.security_group()
    deploy_vm(securitygroupids=[group.id])
    with pytest.raises(CloudStackError) as refused:
        user_api.deleteSecurityGroup(id=group.id)
    assert refused.value.errorcode == 536
    assert group.id in ids(user_api.listSecurityGroups(id=group.id))


@pytest.mark.tags("negative")
def test_default_group_cannot_be_deleted(user_api):
    default = next(g for g in user_api.listSecurityGroups() or [] if g.name == "default")
    with pytest.raises(CloudStackError) as refused:
        user_api.deleteSecurityGroup(id=default.id)
    assert refused.value.errorcode == 431


@pytest.mark.tags("negative")
def test_duplicate_group_name_is_refused(make, user_api):
    group = make.security_group()
    with pytest.raises(CloudStackError) as refused:
        user_api.createSecurityGroup(name=group.name)
    assert refused.value.errorcode == 431
    assert len([g for g in listed(user_api, "listSecurityGroups", securitygroupname=group.name)]) == 1
