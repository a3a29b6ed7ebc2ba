"""Resource limit rules of CloudStack 4.18 over HTTP: the domain 532 text, who may change which limit,
and a subdomain bounded by its parent (updateResourceLimit's own checks and texts)."""
from __future__ import annotations

import itertools

import pytest
from sim_testlib import RawClient

_names = itertools.count(1)
USER_VM, VOLUME, PRIMARY_STORAGE = 0, 2, 10


def _error(client: RawClient, command: str, **params) -> tuple[int, str]:
    status, body = client.call(command, **params)
    inner = body[f"{command.lower()}response"]
    return status, inner.get("errortext", "")


def _account(admin: RawClient, domain_id: str, accounttype: int = 0) -> tuple[dict, RawClient]:
    name = f"lim{next(_names)}"
    account = admin.ok("createAccount", method="POST", username=name, password="pw", email=f"{name}@x.org",
                       firstname="F", lastname="L", accounttype=accounttype, domainid=domain_id)["account"]
    keys = admin.ok("registerUserKeys", id=account["user"][0]["id"])["userkeys"]
    return account, RawClient(admin.endpoint, keys["apikey"], keys["secretkey"])


def _domain(admin: RawClient, parent: dict | None = None) -> dict:
    params = {"parentdomainid": parent["id"]} if parent else {}
    return admin.ok("createDomain", name=f"limdom{next(_names)}", **params)["domain"]


@pytest.fixture(scope="module")
def root(admin) -> dict:
    return next(d for d in admin.ok("listDomains", listall=True)["domain"] if d["level"] == 0)


def test_domain_limit_532_names_the_domain_like_4_18(admin):
    domain = _domain(admin)
    _, client = _account(admin, domain["id"])
    admin.ok("updateResourceLimit", domainid=domain["id"], resourcetype=VOLUME, max=0)
    zone = admin.ok("listZones")["zone"][0]
    offering = next(d for d in admin.ok("listDiskOfferings")["diskoffering"] if d["name"] == "Small")
    status, text = _error(client, "createVolume", name="v", zoneid=zone["id"], diskofferingid=offering["id"])
    assert status == 532
    prefix, _, rest = text.partition(" is exceeded: ")
    assert prefix.startswith("Maximum domain resource limits of Type 'volume' for Domain Id = ")
    assert prefix.rsplit(" ", 1)[1].isdigit()      # the internal id, not the uuid
    # Every amount is a byte size on 4.18 (display.human.readable.sizes defaults to true).
    assert rest == ("Domain Resource Limit = (0 bytes) 0, Current Domain Resource Amount = (0 bytes) 0, "
                    "Requested Resource Amount = (1 bytes) 1.")


def test_a_subdomain_without_a_limit_inherits_its_parents(admin):
    parent = _domain(admin)
    child = _domain(admin, parent)
    admin.ok("updateResourceLimit", domainid=parent["id"], resourcetype=USER_VM, max=3)
    listed = admin.ok("listResourceLimits", domainid=child["id"], resourcetype=USER_VM)["resourcelimit"]
    assert [item["max"] for item in listed] == [3]
    assert admin.ok("listDomains", id=child["id"])["domain"][0]["vmlimit"] == "3"


def test_a_subdomain_limit_may_not_exceed_its_parents(admin):
    parent = _domain(admin)
    child = _domain(admin, parent)
    admin.ok("updateResourceLimit", domainid=parent["id"], resourcetype=USER_VM, max=3)
    status, text = _error(admin, "updateResourceLimit", domainid=child["id"], resourcetype=USER_VM, max=4)
    assert status == 431
    assert text.startswith(f"Domain {child['name']}(id: ")
    assert text.endswith(") has maximum allowed resource limit 3 for user_vm, please specify a value less that "
                         "or equal to 3")
    assert admin.ok("updateResourceLimit", domainid=child["id"], resourcetype=USER_VM, max=3)["resourcelimit"]["max"] == 3
    # A grandchild is bounded by the nearest limit above it (here its parent's inherited one).
    grandchild = _domain(admin, child)
    status, _ = _error(admin, "updateResourceLimit", domainid=grandchild["id"], resourcetype=USER_VM, max=5)
    assert status == 431


def test_storage_limits_are_compared_in_bytes(admin):
    parent = _domain(admin)
    child = _domain(admin, parent)
    admin.ok("updateResourceLimit", domainid=parent["id"], resourcetype=PRIMARY_STORAGE, max=10)
    status, text = _error(admin, "updateResourceLimit", domainid=child["id"], resourcetype=PRIMARY_STORAGE, max=11)
    assert status == 431 and "has maximum allowed resource limit 10737418240 for primary_storage" in text


def test_the_root_domain_limits_cannot_change(admin, root):
    status, text = _error(admin, "updateResourceLimit", domainid=root["id"], resourcetype=USER_VM, max=100)
    assert (status, text) == (531, "Cannot update resource limit for ROOT domain 1, permission denied")


def test_a_domain_admin_may_not_change_its_own_domain(admin):
    domain = _domain(admin)
    sub = _domain(admin, domain)
    _, boss = _account(admin, domain["id"], accounttype=2)
    status, text = _error(boss, "updateResourceLimit", domainid=domain["id"], resourcetype=USER_VM, max=5)
    assert status == 531
    assert text.startswith("Unable to update resource limit for domain ") and text.endswith(", permission denied")
    assert text.split()[-3].rstrip(",").isdigit()
    # Below its own domain it may.
    assert boss.ok("updateResourceLimit", domainid=sub["id"], resourcetype=USER_VM, max=5)["resourcelimit"]["max"] == 5


def test_account_limit_checks(admin, root):
    domain = _domain(admin)
    _, boss = _account(admin, domain["id"], accounttype=2)
    boss_account = boss.ok("listAccounts")["account"][0]
    status, text = _error(boss, "updateResourceLimit", account=boss_account["name"], domainid=domain["id"],
                          resourcetype=USER_VM, max=5)
    assert status == 531
    assert text.startswith("Unable to update resource limit for their own account ")
    status, text = _error(admin, "updateResourceLimit", account="admin", domainid=root["id"], resourcetype=USER_VM,
                          max=5)
    assert (status, text) == (431, "Only -1 limit is supported for Root Admin accounts")
    assert admin.ok("updateResourceLimit", account="admin", domainid=root["id"], resourcetype=USER_VM,
                    max=-1)["resourcelimit"]["max"] == -1
    status, text = _error(admin, "updateResourceLimit", resourcetype=USER_VM, max=5)
    assert (status, text) == (431, "AccountId or domainId have to be specified in order to update resource limit")
    status, text = _error(admin, "updateResourceLimit", domainid=domain["id"], resourcetype=USER_VM, max=-2)
    assert (status, text) == (431, "Please specify either '-1' for an infinite limit, or a limit that is at least '0'.")


def test_account_limit_532_text(admin):
    domain = _domain(admin)
    account, client = _account(admin, domain["id"])
    admin.ok("updateResourceLimit", account=account["name"], domainid=domain["id"], resourcetype=VOLUME, max=0)
    zone = admin.ok("listZones")["zone"][0]
    offering = next(d for d in admin.ok("listDiskOfferings")["diskoffering"] if d["name"] == "Small")
    status, text = _error(client, "createVolume", name="v", zoneid=zone["id"], diskofferingid=offering["id"])
    assert status == 532
    head, _, tail = text.partition(" is exceeded: ")
    assert head.startswith(f"Maximum amount of resources of Type = 'volume' for Account Name = {account['name']} "
                           "in Domain Id = ")
    assert head.rsplit(" ", 1)[1].isdigit()
    # Only storage amounts are printed as byte sizes in the account text.
    assert tail == "Account Resource Limit = 0, Current Account Resource Amount = 0, Requested Resource Amount = 1."
