"""Domains: create nested domains, rename, domain admins see only their subtree, delete."""
import pytest

from marvin2.client import CloudStackError

from .helpers import ids, listed, only

pytestmark = pytest.mark.tags("domains", "accounts", "smoke")


@pytest.mark.tags("quick-test")
def test_nested_domains(make, cloud, domain):
    parent = make.domain(parentdomainid=domain.id)
    child = make.domain(parentdomainid=parent.id)
    assert parent.parentdomainid == domain.id
    assert parent.path == f"{domain.path}/{parent.name}"
    assert int(parent.level) == int(domain.level) + 1
    assert child.path == f"{parent.path}/{child.name}"
    assert int(child.level) == int(parent.level) + 1
    assert ids(cloud.listDomainChildren(id=parent.id)) == [child.id]


def test_rename_domain(make, cloud, domain):
    created = make.domain(parentdomainid=domain.id)
    renamed = cloud.updateDomain(id=created.id, name=created.name + "-x")
    assert renamed.name == created.name + "-x"
    assert renamed.path == f"{domain.path}/{created.name}-x"


def test_domain_admin_sees_only_its_subtree(make, domain, test_account):
    branch = make.domain(parentdomainid=domain.id)
    leaf = make.domain(parentdomainid=branch.id)
    sibling = make.domain(parentdomainid=domain.id)
    admin_keys = make.account(domainid=branch.id, accounttype=2)
    member = make.account(domainid=leaf.id)
    stranger = make.account(domainid=sibling.id)
    admin = make.api_for(admin_keys)

    visible_domains = set(ids(admin.listDomains(listall=True)))
    assert {branch.id, leaf.id} <= visible_domains
    assert sibling.id not in visible_domains and domain.id not in visible_domains
    visible_accounts = set(ids(admin.listAccounts(listall=True)))
    assert {admin_keys.id, member.id} <= visible_accounts
    assert stranger.id not in visible_accounts and test_account.id not in visible_accounts


def test_delete_empty_domain(make, cloud, domain):
    created = make.domain(parentdomainid=domain.id)
    cloud.deleteDomain(id=created.id)
    assert created.id not in ids(listed(cloud, "listDomains", id=created.id))


def test_delete_domain_with_cleanup_removes_its_accounts(make, cloud, domain):
    created = make.domain(parentdomainid=domain.id)
    keys = make.account(domainid=created.id)
    cloud.deleteDomain(id=created.id, cleanup=True)
    assert created.id not in ids(listed(cloud, "listDomains", id=created.id))
    assert keys.id not in ids(listed(cloud, "listAccounts", id=keys.id))


@pytest.mark.tags("negative")
def test_delete_domain_with_accounts_needs_cleanup(make, cloud, domain):
    created = make.domain(parentdomainid=domain.id)
    make.account(domainid=created.id)
    with pytest.raises(CloudStackError) as refused:
        cloud.deleteDomain(id=created.id, cleanup=False)
    assert refused.value.errorcode in (431, 530)
    assert only(cloud.listDomains(id=created.id)).id == created.id


@pytest.mark.tags("negative")
def test_duplicate_name_under_one_parent_is_refused(make, cloud, domain):
    created = make.domain(parentdomainid=domain.id)
    with pytest.raises(CloudStackError) as refused:
        cloud.createDomain(name=created.name, parentdomainid=domain.id)
    assert refused.value.errorcode == 431
