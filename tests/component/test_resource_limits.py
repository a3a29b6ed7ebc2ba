"""Resource limits and counts per account and per domain.

updateResourceLimit / listResourceLimits / updateResourceCount, the
``<type>limit|total|available`` fields of accounts and domains, and the 532
ResourceAllocationException (with the server's own text) when a create would
exceed a limit. Every test makes its own account (and domain), so limits set
here never touch another test, even under ``-n 4``.
"""
from __future__ import annotations

import re

import pytest

from .helpers import expect_error, only, refused_api_text

pytestmark = [pytest.mark.tags("component", "limits", "accounts")]

# resourcetype numbers of updateResourceLimit
USER_VM, PUBLIC_IP, VOLUME, SNAPSHOT, TEMPLATE, PROJECT, NETWORK, VPC, CPU, MEMORY = range(10)


def account_limit_text(type_name: str, account: str, limit: int, current: int, requested: int) -> re.Pattern:
    """The ResourceAllocationException text of an account limit (the domain id's form varies by version)."""
    return re.compile(
        re.escape(f"Maximum amount of resources of Type = '{type_name}' for Account Name = {account} in Domain Id = ")
        + r"\S+"
        + re.escape(f" is exceeded: Account Resource Limit = {limit}, Current Account Resource Amount = {current}, "
                    f"Requested Resource Amount = {requested}."))


def amount(number: int) -> str:
    """A number as domain limit texts print it: bare, or with its byte size around it when the server's
    ``display.human.readable.sizes`` is on ("(1 bytes) 1" on 4.18.0, "1 (1 bytes)" on later versions)."""
    size = r"\(\d+(?:\.\d+)? (?:bytes|KB|MB|GB|TB)\)"
    return rf"(?:{size} )?{number}(?: {size})?"


def domain_limit_text(type_name: str, limit: int, current: int, requested: int) -> re.Pattern:
    """The ResourceAllocationException text of a domain limit (4.18.1+ adds the reserved amount)."""
    return re.compile(
        re.escape(f"Maximum domain resource limits of Type '{type_name}' for Domain Id = ") + r"\S+"
        + re.escape(" is exceeded: Domain Resource Limit = ") + amount(limit)
        + re.escape(", Current Domain Resource Amount = ") + amount(current)
        + r"(?:, Current Resource Reservation = " + amount(r"\d+") + ")?"
        + re.escape(", Requested Resource Amount = ") + amount(requested) + re.escape("."))


def names_domain_limit(text: str, type_name: str, limit: int) -> bool:
    return bool(re.search(re.escape(f"of Type '{type_name}' for Domain Id = ") + r"\S+"
                          + re.escape(" is exceeded: Domain Resource Limit = ") + amount(limit) + ",", text))


def set_account_limit(cloud, keys, resourcetype: int, maximum: int):
    return cloud.updateResourceLimit(account=keys.name, domainid=keys.domainid, resourcetype=resourcetype,
                                     max=maximum)


def account_record(cloud, keys):
    return only(cloud.listAccounts(id=keys.id, listall=True), f"account {keys.name}")


def as_number(value) -> int:
    return int(value)


@pytest.fixture
def limited(make, cloud):
    """A fresh user account and a client acting as it: limits set on it affect no other test."""
    keys = make.account(purpose="lim")
    return keys, make.api_for(keys)


@pytest.mark.tags("quick-test", "deploy-vm")
def test_vm_limit_refuses_the_next_deploy_with_532(limited, cloud, create_network, deploy_vm):
    keys, api = limited
    net = create_network(api=api)
    answer = set_account_limit(cloud, keys, USER_VM, 1)
    assert (int(answer.resourcetype), int(answer["max"]), answer.account) == (USER_VM, 1, keys.name)

    first = deploy_vm(api=api, networkids=[net.id])
    assert first.state == "Running"
    error = expect_error(532, deploy_vm, api=api, networkids=[net.id])
    assert account_limit_text("user_vm", keys.name, 1, 1, 1).fullmatch(error.errortext), error.errortext
    assert error.cserrorcode == 4370
    # The refused deploy left nothing behind.
    assert [vm.id for vm in api.listVirtualMachines() or []] == [first.id]
    assert as_number(account_record(cloud, keys).vmtotal) == 1


@pytest.mark.tags("deploy-vm")
def test_unlimited_again_after_minus_one(limited, cloud, create_network, deploy_vm):
    keys, api = limited
    net = create_network(api=api)
    set_account_limit(cloud, keys, USER_VM, 0)
    expect_error(532, deploy_vm, api=api, networkids=[net.id])
    set_account_limit(cloud, keys, USER_VM, -1)
    assert deploy_vm(api=api, networkids=[net.id]).state == "Running"
    assert account_record(cloud, keys).vmlimit == "Unlimited"


@pytest.mark.tags("storage", "volumes")
def test_volume_limit(limited, cloud, create_volume):
    keys, api = limited
    set_account_limit(cloud, keys, VOLUME, 2)
    create_volume(api=api)
    create_volume(api=api)
    error = expect_error(532, create_volume, api=api)
    assert account_limit_text("volume", keys.name, 2, 2, 1).fullmatch(error.errortext), error.errortext
    assert len(api.listVolumes() or []) == 2


@pytest.mark.tags("networks")
def test_network_limit(limited, cloud, create_network):
    keys, api = limited
    set_account_limit(cloud, keys, NETWORK, 1)
    create_network(api=api)
    error = expect_error(532, create_network, api=api)
    assert account_limit_text("network", keys.name, 1, 1, 1).fullmatch(error.errortext), error.errortext


@pytest.mark.tags("public-ip", "networks")
def test_public_ip_limit_counts_the_source_nat_address(limited, cloud, create_network, deploy_vm):
    keys, api = limited
    net = create_network(api=api)
    deploy_vm(api=api, networkids=[net.id])   # implements the network: its source NAT address is counted
    assert as_number(account_record(cloud, keys).iptotal) == 1
    set_account_limit(cloud, keys, PUBLIC_IP, 2)
    # Acquired and released by the account itself (not the factories): a released address may go to
    # another test at once, and the account's deletion releases whatever is left.
    extra = api.associateIpAddress(networkid=net.id)
    error = expect_error(532, api.associateIpAddress, networkid=net.id)
    assert account_limit_text("public_ip", keys.name, 2, 2, 1).fullmatch(error.errortext), error.errortext
    # Releasing one makes room again.
    api.disassociateIpAddress(id=extra.id)
    assert as_number(account_record(cloud, keys).iptotal) == 1
    assert api.associateIpAddress(networkid=net.id).state == "Allocated"


@pytest.mark.tags("deploy-vm", "service-offerings")
def test_cpu_and_memory_limits(limited, cloud, create_network, deploy_vm, service_offering):
    keys, api = limited
    net = create_network(api=api)
    cpus, memory = int(service_offering.cpunumber), int(service_offering.memory)
    set_account_limit(cloud, keys, CPU, cpus)       # room for exactly one VM's CPUs
    deploy_vm(api=api, networkids=[net.id])
    error = expect_error(532, deploy_vm, api=api, networkids=[net.id])
    assert account_limit_text("cpu", keys.name, cpus, cpus, cpus).fullmatch(error.errortext), error.errortext

    set_account_limit(cloud, keys, CPU, -1)
    set_account_limit(cloud, keys, MEMORY, memory + memory // 2)
    error = expect_error(532, deploy_vm, api=api, networkids=[net.id])
    assert account_limit_text("memory", keys.name, memory + memory // 2, memory, memory).fullmatch(error.errortext), \
        error.errortext


@pytest.mark.tags("deploy-vm")
def test_counts_follow_creates_and_deletes(limited, cloud, create_network, deploy_vm, create_volume):
    keys, api = limited
    net = create_network(api=api)
    before = account_record(cloud, keys)
    assert (as_number(before.vmtotal), as_number(before.volumetotal), as_number(before.networktotal)) == (0, 0, 1)

    vms = [deploy_vm(api=api, networkids=[net.id]) for _ in range(2)]
    create_volume(api=api)
    during = account_record(cloud, keys)
    # Each VM has a root volume, counted with the data volume.
    assert (as_number(during.vmtotal), as_number(during.volumetotal)) == (2, 3)
    assert as_number(during.cputotal) == 2 * int(vms[0].cpunumber)
    assert as_number(during.memorytotal) == 2 * int(vms[0].memory)

    cloud.destroyVirtualMachine(id=vms[0].id, expunge=True)
    after = account_record(cloud, keys)
    assert (as_number(after.vmtotal), as_number(after.volumetotal)) == (1, 2)
    assert as_number(after.cputotal) == int(vms[0].cpunumber)


@pytest.mark.tags("deploy-vm")
def test_available_is_limit_minus_total(limited, cloud, create_network, deploy_vm):
    keys, api = limited
    net = create_network(api=api)
    set_account_limit(cloud, keys, USER_VM, 5)
    deploy_vm(api=api, networkids=[net.id])
    deploy_vm(api=api, networkids=[net.id])
    record = account_record(cloud, keys)
    assert (record.vmlimit, as_number(record.vmtotal), record.vmavailable) == ("5", 2, "3")


def test_list_resource_limits_of_an_account(limited, cloud):
    keys, api = limited
    set_account_limit(cloud, keys, SNAPSHOT, 7)
    # The account's own user sees its limits (read-only).
    mine = {int(item.resourcetype): int(item["max"]) for item in api.listResourceLimits() or []}
    assert mine[SNAPSHOT] == 7
    assert {USER_VM, PUBLIC_IP, VOLUME, SNAPSHOT, TEMPLATE, NETWORK, VPC, CPU, MEMORY} <= set(mine)
    only_snapshots = api.listResourceLimits(resourcetype=SNAPSHOT)
    assert [(int(i.resourcetype), int(i["max"])) for i in only_snapshots] == [(SNAPSHOT, 7)]
    # The admin lists the same through account + domainid.
    seen_by_admin = cloud.listResourceLimits(account=keys.name, domainid=keys.domainid, resourcetype=SNAPSHOT)
    assert [int(i["max"]) for i in seen_by_admin] == [7]


@pytest.mark.tags("negative", "roles")
def test_a_user_cannot_change_limits(make, cloud, limited):
    keys, _ = limited
    api = make.api_for(keys, spec=cloud.spec)   # able to send the admin API, so the server decides
    error = expect_error(432, api.updateResourceLimit, resourcetype=USER_VM, max=100)
    assert refused_api_text("updateResourceLimit", keys.name).fullmatch(error.errortext), error.errortext


@pytest.mark.tags("negative")
def test_limit_below_minus_one_is_refused(limited, cloud):
    keys, _ = limited
    expect_error(431, set_account_limit, cloud, keys, USER_VM, -2)


@pytest.mark.tags("domains", "deploy-vm")
def test_domain_limit_applies_to_all_its_accounts(make, cloud, create_network, deploy_vm):
    domain = make.domain(purpose="limdom")
    first, second = make.account(domainid=domain.id, purpose="a"), make.account(domainid=domain.id, purpose="b")
    first_api, second_api = make.api_for(first), make.api_for(second)
    cloud.updateResourceLimit(domainid=domain.id, resourcetype=USER_VM, max=1)

    deploy_vm(api=first_api, networkids=[create_network(api=first_api).id])
    second_net = create_network(api=second_api)
    # The second account's own limit (the max.account.user.vms default) leaves room, but its domain is full.
    own_limit = account_record(cloud, second).vmlimit
    assert own_limit == "Unlimited" or int(own_limit) > 1
    error = expect_error(532, deploy_vm, api=second_api, networkids=[second_net.id])
    assert names_domain_limit(error.errortext, "user_vm", 1), error.errortext

    record = only(cloud.listDomains(id=domain.id), "domain")
    assert (record.vmlimit, as_number(record.vmtotal), record.vmavailable) == ("1", 1, "0")


@pytest.mark.tags("domains", "deploy-vm")
def test_parent_domain_limit_covers_its_subdomains(make, cloud, create_network, deploy_vm):
    parent = make.domain(purpose="parent")
    child = make.domain(parentdomainid=parent.id, purpose="child")
    keys = make.account(domainid=child.id, purpose="deep")
    api = make.api_for(keys)
    cloud.updateResourceLimit(domainid=parent.id, resourcetype=USER_VM, max=1)

    net = create_network(api=api)
    deploy_vm(api=api, networkids=[net.id])
    error = expect_error(532, deploy_vm, api=api, networkids=[net.id])
    assert names_domain_limit(error.errortext, "user_vm", 1), error.errortext
    # The parent's count includes what its subdomains use.
    assert as_number(only(cloud.listDomains(id=parent.id), "domain").vmtotal) == 1


@pytest.mark.tags("domains")
def test_account_limit_above_its_domain_limit_is_still_bounded_by_the_domain(make, cloud, create_volume):
    domain = make.domain(purpose="bound")
    keys = make.account(domainid=domain.id, purpose="big")
    api = make.api_for(keys)
    cloud.updateResourceLimit(domainid=domain.id, resourcetype=VOLUME, max=1)
    set_account_limit(cloud, keys, VOLUME, 10)
    create_volume(api=api)
    error = expect_error(532, create_volume, api=api)
    assert names_domain_limit(error.errortext, "volume", 1), error.errortext


@pytest.mark.tags("domains", "deploy-vm")
def test_domain_limit_error_text(make, cloud, create_network, deploy_vm):
    domain = make.domain(purpose="limtext")
    keys = make.account(domainid=domain.id, purpose="txt")
    api = make.api_for(keys)
    cloud.updateResourceLimit(domainid=domain.id, resourcetype=USER_VM, max=0)
    error = expect_error(532, deploy_vm, api=api, networkids=[create_network(api=api).id])
    assert domain_limit_text("user_vm", 0, 0, 1).fullmatch(error.errortext), error.errortext
    assert error.cserrorcode == 4370


@pytest.mark.tags("deploy-vm")
def test_update_resource_count_reports_the_real_usage(limited, cloud, create_network, deploy_vm):
    keys, api = limited
    net = create_network(api=api)
    deploy_vm(api=api, networkids=[net.id])
    counts = cloud.updateResourceCount(account=keys.name, domainid=keys.domainid)
    by_type = {int(c.resourcetype): int(c.resourcecount) for c in counts}
    assert by_type[USER_VM] == 1
    assert by_type[NETWORK] == 1
    assert by_type[VOLUME] == 1          # the root volume
    only_vms = cloud.updateResourceCount(account=keys.name, domainid=keys.domainid, resourcetype=USER_VM)
    assert [(int(c.resourcetype), int(c.resourcecount)) for c in only_vms] == [(USER_VM, 1)]


@pytest.mark.tags("domains", "negative")
def test_subdomain_limit_above_its_parents_is_refused(make, cloud):
    parent = make.domain(purpose="cap")
    child = make.domain(parentdomainid=parent.id, purpose="capchild")
    cloud.updateResourceLimit(domainid=parent.id, resourcetype=USER_VM, max=3)
    error = expect_error(431, cloud.updateResourceLimit, domainid=child.id, resourcetype=USER_VM, max=4)
    assert "has maximum allowed resource limit 3 for user_vm" in error.errortext
    assert int(cloud.updateResourceLimit(domainid=child.id, resourcetype=USER_VM, max=3)["max"]) == 3


@pytest.mark.tags("domains", "negative")
def test_the_root_domain_limits_cannot_be_changed(cloud, domain):
    root = only([d for d in cloud.listDomains(listall=True) or [] if d.level == 0], "ROOT domain")
    error = expect_error(531, cloud.updateResourceLimit, domainid=root.id, resourcetype=USER_VM, max=100)
    assert error.errortext.startswith("Cannot update resource limit for ROOT domain")
