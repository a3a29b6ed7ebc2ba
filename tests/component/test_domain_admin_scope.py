"""Domain admin scope: a domain admin sees and manages its domain's subtree, and nothing else.

Layout made for each test (all under the test domain, deleted afterwards)::

    <test domain>/top          <- the domain admin lives here, with user "top"
    <test domain>/top/child    <- user "child"
    <test domain>/sibling      <- user "sibling" (outside the admin's subtree)

``listall``/``isrecursive``/``domainid`` semantics are checked on accounts,
domains, VMs and networks; actions outside the subtree answer 531.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from .helpers import deploy_parallel, expect_error, ids, listed, only, refused_api_text

pytestmark = [pytest.mark.tags("component", "domains", "accounts", "isolation")]


@dataclass
class Tree:
    top: Any
    child: Any
    sibling: Any
    admin: Any           # AccountKeys of the domain admin (in top)
    admin_api: Any
    users: dict          # "top" / "child" / "sibling" -> (AccountKeys, api)
    networks: dict       # same keys -> network
    vms: dict            # same keys -> VM


@pytest.fixture(scope="module")
def tree(module_make, module_factory, domain) -> Tree:
    """Made once for the module; tests that change something put it back."""
    make = module_make
    top = make.domain(parentdomainid=domain.id, purpose="top")
    child = make.domain(parentdomainid=top.id, purpose="child")
    sibling = make.domain(parentdomainid=domain.id, purpose="sibling")
    admin = make.domain_admin(top.id)
    users, networks = {}, {}
    for label, where in (("top", top), ("child", child), ("sibling", sibling)):
        keys = make.account(domainid=where.id, purpose=label)
        api = make.api_for(keys)
        users[label] = (keys, api)
        networks[label] = module_factory.network(api=api)
    labels = list(users)
    deployed = deploy_parallel(module_factory, [{"api": users[label][1], "networkids": [networks[label].id]}
                                                for label in labels], purpose="scope")
    vms = dict(zip(labels, deployed))
    return Tree(top, child, sibling, admin, make.api_for(admin), users, networks, vms)


def test_domain_admin_lists_its_subtree_accounts(tree):
    names = {a.name for a in tree.admin_api.listAccounts(listall=True)}
    assert {tree.users["top"][0].name, tree.users["child"][0].name, tree.admin.name} <= names
    assert tree.users["sibling"][0].name not in names
    # Without listall, only its own account.
    assert [a.name for a in tree.admin_api.listAccounts()] == [tree.admin.name]


def test_domain_admin_lists_its_subtree_domains(tree):
    found = {d.id for d in tree.admin_api.listDomains(listall=True)}
    assert found == {tree.top.id, tree.child.id}
    children = tree.admin_api.listDomainChildren(id=tree.top.id)
    assert ids(children) == [tree.child.id]


@pytest.mark.tags("deploy-vm")
def test_domain_admin_lists_vms_of_its_subtree(tree):
    admin = tree.admin_api
    everything = set(ids(admin.listVirtualMachines(listall=True)))
    assert everything == {tree.vms["top"].id, tree.vms["child"].id}
    assert admin.listVirtualMachines() == []          # its own account has none


@pytest.mark.tags("deploy-vm")
def test_domainid_with_and_without_isrecursive(tree):
    admin = tree.admin_api
    direct = ids(admin.listVirtualMachines(domainid=tree.top.id))
    assert direct == [tree.vms["top"].id]
    recursive = ids(admin.listVirtualMachines(domainid=tree.top.id, isrecursive=True))
    assert sorted(recursive) == sorted([tree.vms["top"].id, tree.vms["child"].id])
    assert ids(admin.listVirtualMachines(domainid=tree.child.id)) == [tree.vms["child"].id]


@pytest.mark.tags("networks")
def test_account_filter_names_one_account(tree):
    keys, _ = tree.users["child"]
    found = tree.admin_api.listNetworks(account=keys.name, domainid=tree.child.id)
    assert ids(found) == [tree.networks["child"].id]


@pytest.mark.tags("negative")
def test_a_domain_outside_the_subtree_is_refused(tree):
    expect_error(531, tree.admin_api.listVirtualMachines, domainid=tree.sibling.id)
    expect_error(531, tree.admin_api.listAccounts, domainid=tree.sibling.id, listall=True)
    keys, _ = tree.users["sibling"]
    expect_error(531, tree.admin_api.listVirtualMachines, account=keys.name, domainid=tree.sibling.id)


@pytest.mark.tags("negative", "deploy-vm")
def test_domain_admin_cannot_touch_a_vm_outside_its_subtree(tree):
    error = expect_error(531, tree.admin_api.stopVirtualMachine, id=tree.vms["sibling"].id)
    assert error.cserrorcode == 4365
    _, sibling_api = tree.users["sibling"]
    assert only(sibling_api.listVirtualMachines(id=tree.vms["sibling"].id)).state == "Running"
    assert listed(tree.admin_api, "listVirtualMachines", id=tree.vms["sibling"].id, listall=True) == []


@pytest.mark.tags("deploy-vm")
def test_domain_admin_manages_a_vm_in_a_subdomain(tree):
    vm = tree.vms["child"]
    stopped = tree.admin_api.stopVirtualMachine(id=vm.id)
    assert stopped.state == "Stopped"
    started = tree.admin_api.startVirtualMachine(id=vm.id)
    assert started.state == "Running"


@pytest.mark.tags("deploy-vm")
def test_domain_admin_deploys_for_an_account_of_a_subdomain(tree, deploy_vm):
    keys, child_api = tree.users["child"]
    vm = deploy_vm(api=tree.admin_api, account=keys.name, domainid=tree.child.id,
                   networkids=[tree.networks["child"].id])
    assert (vm.account, vm.domainid) == (keys.name, tree.child.id)
    assert vm.id in ids(child_api.listVirtualMachines())


@pytest.mark.tags("users")
def test_domain_admin_creates_accounts_in_its_subtree_only(tree, make):
    name = make.name("sub")
    created = tree.admin_api.createAccount(account=name, username=name, email=f"{name}@marvin2.test",
                                           firstname="m2", lastname="sub", password="Marvin2-password",
                                           accounttype=0, domainid=tree.child.id)
    make.track("account", created, command="createAccount", api=tree.admin_api)
    assert (created.name, created.domainid) == (name, tree.child.id)

    other = make.name("out")
    expect_error(531, tree.admin_api.createAccount, account=other, username=other, email=f"{other}@marvin2.test",
                 firstname="m2", lastname="out", password="Marvin2-password", accounttype=0,
                 domainid=tree.sibling.id)


@pytest.mark.tags("limits")
def test_domain_admin_sets_subdomain_limits_but_not_its_own(tree, cloud):
    answer = tree.admin_api.updateResourceLimit(domainid=tree.child.id, resourcetype=0, max=5)
    assert (answer.domainid, int(answer["max"])) == (tree.child.id, 5)
    keys, _ = tree.users["top"]
    answer = tree.admin_api.updateResourceLimit(account=keys.name, domainid=tree.top.id, resourcetype=0, max=3)
    assert int(answer["max"]) == 3
    error = expect_error(531, tree.admin_api.updateResourceLimit, domainid=tree.top.id, resourcetype=0, max=50)
    assert error.cserrorcode == 4365
    expect_error(531, tree.admin_api.updateResourceLimit, domainid=tree.sibling.id, resourcetype=0, max=5)


@pytest.mark.tags("limits")
def test_own_domain_limit_refusal_text(tree):
    error = expect_error(531, tree.admin_api.updateResourceLimit, domainid=tree.top.id, resourcetype=0, max=50)
    # CloudStack names the domain by its id (internal or uuid, by version).
    assert error.errortext.startswith("Unable to update resource limit for domain ")
    assert error.errortext.endswith(", permission denied")


@pytest.mark.tags("negative", "roles")
def test_domain_admin_cannot_use_root_admin_apis(tree, make, cloud):
    api = make.api_for(tree.admin, spec=cloud.spec)
    error = expect_error(432, api.createZone, name="m2-never", dns1="8.8.8.8", internaldns1="8.8.8.8",
                         networktype="Advanced")
    assert refused_api_text("createZone", tree.admin.name).fullmatch(error.errortext), error.errortext


def test_a_plain_user_in_the_subtree_still_sees_only_itself(tree):
    keys, api = tree.users["top"]
    assert ids(api.listVirtualMachines(listall=True)) == [tree.vms["top"].id]
    assert [a.name for a in api.listAccounts(listall=True)] == [keys.name]
