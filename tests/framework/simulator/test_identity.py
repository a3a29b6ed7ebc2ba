"""Identity: domains, accounts, users, roles, isolation between accounts, limits."""
from __future__ import annotations

import pytest

from sim_testlib import RawClient


def _make_account(admin, name, *, accounttype=0, domainid=None, **extra):
    params = dict(username=name, password="pw-" + name, email=f"{name}@x.org", firstname="F", lastname="L",
                  accounttype=accounttype, **extra)
    if domainid:
        params["domainid"] = domainid
    account = admin.ok("createAccount", method="POST", **params)["account"]
    user = account["user"][0]
    keys = admin.ok("registerUserKeys", id=user["id"])["userkeys"]
    return account, RawClient(admin.endpoint, keys["apikey"], keys["secretkey"])


@pytest.fixture(scope="module")
def tree(admin):
    domain = admin.ok("createDomain", name="engineering")["domain"]
    sub = admin.ok("createDomain", name="qa", parentdomainid=domain["id"])["domain"]
    alice_acc, alice = _make_account(admin, "alice", domainid=domain["id"])
    bob_acc, bob = _make_account(admin, "bob", domainid=sub["id"])
    boss_acc, boss = _make_account(admin, "boss", accounttype=2, domainid=domain["id"])
    return {"domain": domain, "sub": sub, "alice": alice, "bob": bob, "boss": boss,
            "alice_acc": alice_acc, "bob_acc": bob_acc, "boss_acc": boss_acc}


def test_domain_paths_and_children(admin, tree):
    assert tree["sub"]["path"] == "ROOT/engineering/qa" and tree["sub"]["level"] == 2
    children = admin.ok("listDomainChildren", id=tree["domain"]["id"])["domain"]
    assert [d["name"] for d in children] == ["qa"]
    everything = admin.ok("listDomains", listall=True)
    assert {"ROOT", "engineering", "qa"} <= {d["name"] for d in everything["domain"]}
    status, body = admin.call("createDomain", name="qa", parentdomainid=tree["domain"]["id"])
    assert status == 431


def test_user_sees_only_itself(tree):
    accounts = tree["alice"].ok("listAccounts", listall=True)
    assert [a["name"] for a in accounts["account"]] == ["alice"]
    users = tree["alice"].ok("listUsers", listall=True)
    assert {u["username"] for u in users["user"]} == {"alice"}


def test_domain_admin_sees_its_subtree_only(tree, admin):
    names = {a["name"] for a in tree["boss"].ok("listAccounts", listall=True)["account"]}
    assert names == {"alice", "bob", "boss"}
    status, body = tree["boss"].call("listAccounts", domainid=admin.ok("listDomains")["domain"][0]["id"])
    assert status == 531


def test_admin_api_is_432_for_a_user(tree):
    # 4.20: under "errorresponse", cserrorcode 9999 (a ServerApiException), the text names the user's uuid.
    status, body = tree["alice"].call("listHosts")
    assert status == 432
    alice_user = tree["alice_acc"]["user"][0]
    assert body == {"errorresponse": {
        "uuidList": [], "errorcode": 432, "cserrorcode": 9999,
        "errortext": f"The API [listHosts] does not exist or is not available for the account for user id "
                     f"[{alice_user['id']}]."}}


def test_cross_account_access_is_denied(admin, tree):
    alice_user = tree["alice_acc"]["user"][0]
    status, body = tree["bob"].call("getUserKeys", id=alice_user["id"])
    assert status == 531
    status, body = tree["bob"].call("listAccounts", account="alice")   # not a listAccounts param: ignored
    assert status == 200 and [a["name"] for a in body["listaccountsresponse"]["account"]] == ["bob"]
    status, body = tree["bob"].call("listEvents", account="alice", domainid=tree["domain"]["id"])
    assert status == 531
    # tags of alice's account are invisible to bob, visible to alice
    job = admin.ok("createTags", resourceids=tree["alice_acc"]["id"], resourcetype="Account", tags={"team": "a"})
    admin.wait_job(job["jobid"])
    assert tree["bob"].ok("listTags") == {}
    assert tree["alice"].ok("listTags")["tag"][0]["key"] == "team"
    status, body = tree["bob"].call("createTags", resourceids=tree["alice_acc"]["id"], resourcetype="Account",
                                    tags={"x": "y"})
    assert status == 531


def test_disabled_account_and_user_are_rejected(admin, tree):
    account, client = _make_account(admin, "carol", domainid=tree["domain"]["id"])
    assert client.call("listZones")[0] == 200
    job = admin.ok("disableAccount", id=account["id"], lock=False)
    assert admin.wait_job(job["jobid"])["jobresult"]["account"]["state"] == "disabled"
    status, body = client.call("listZones")
    assert status == 401 and "cserrorcode" not in body["listzonesresponse"]
    admin.ok("enableAccount", id=account["id"])
    assert client.call("listZones")[0] == 200
    user = account["user"][0]
    admin.wait_job(admin.ok("disableUser", id=user["id"])["jobid"])
    assert client.call("listZones")[0] == 401
    admin.ok("enableUser", id=user["id"])
    assert client.call("listZones")[0] == 200
    admin.wait_job(admin.ok("deleteAccount", id=account["id"])["jobid"])
    assert client.call("listZones")[0] == 401
    assert admin.ok("listAccounts", name="carol", listall=True) == {}


def test_login_into_a_subdomain(admin, tree):
    client = RawClient(admin.endpoint)
    login = client.login("bob", "pw-bob", domain="/engineering/qa")
    assert login["type"] == "0" and login["account"] == "bob"
    status, body = client.session_call("listAccounts")
    assert status == 200 and body["listaccountsresponse"]["account"][0]["name"] == "bob"
    status, body = client.session_call("listHosts")
    assert status == 432


def test_custom_role_rules(admin, tree):
    role = admin.ok("createRole", name="no-zones", type="User")["role"]
    admin.ok("createRolePermission", roleid=role["id"], rule="listZones", permission="deny")
    admin.ok("createRolePermission", roleid=role["id"], rule="list*", permission="allow")
    rules = admin.ok("listRolePermissions", roleid=role["id"])["rolepermission"]
    assert [r["rule"] for r in rules] == ["listZones", "list*"]
    account, client = _make_account(admin, "dave", accounttype=None, roleid=role["id"], domainid=tree["domain"]["id"])
    status, body = client.call("listZones")
    assert status == 432 and "listZones" in body["errorresponse"]["errortext"]
    assert client.call("listAccounts")[0] == 200
    assert client.call("registerUserKeys", id=account["user"][0]["id"])[0] == 432   # no matching rule: denied
    roles = {r["name"] for r in admin.ok("listRoles")["role"]}
    assert {"Root Admin", "Resource Admin", "Domain Admin", "User", "no-zones"} <= roles
    status, body = admin.call("createRolePermission", roleid=admin.ok("listRoles", name="User")["role"][0]["id"],
                              rule="listZones", permission="deny")
    assert status == 531


def test_resource_limits(admin, tree):
    acc = tree["alice_acc"]
    limit = admin.ok("updateResourceLimit", resourcetype=0, max=3, account="alice", domainid=acc["domainid"])
    assert limit["resourcelimit"]["max"] == 3 and limit["resourcelimit"]["resourcetypename"] == "user_vm"
    limits = tree["alice"].ok("listResourceLimits")["resourcelimit"]
    assert len(limits) == 12
    assert {l["resourcetypename"]: l["max"] for l in limits}["user_vm"] == 3
    account = admin.ok("listAccounts", id=acc["id"])["account"][0]
    assert account["vmlimit"] == "3" and account["vmtotal"] == 0
    status, body = admin.call("updateResourceLimit", resourcetype=42, max=1, account="alice", domainid=acc["domainid"])
    assert status == 431
    counts = admin.ok("updateResourceCount", domainid=acc["domainid"], account="alice")["resourcecount"]
    assert len(counts) == 12 and all("resourcecount" in c for c in counts)
    assert tree["alice"].call("updateResourceLimit", resourcetype=0, max=100)[0] == 432


def test_create_account_validation(admin):
    status, body = admin.call("createAccount", method="POST", username="x", password="p", email="e", firstname="f",
                              lastname="l")
    assert status == 431 and "account type or role ID" in body["createaccountresponse"]["errortext"]
    status, body = admin.call("createAccount", method="POST", username="x", password="p", email="e", firstname="f")
    assert status == 431
    assert body["createaccountresponse"]["errortext"] == \
        "Unable to execute API command createaccount due to missing parameter lastname"


def test_get_user_finds_the_owner_of_an_api_key(admin, tree):
    alice_user = tree["alice_acc"]["user"][0]
    found = admin.ok("getUser", userapikey=tree["alice"].api_key)["user"]
    assert (found["id"], found["account"], found["username"]) == (alice_user["id"], "alice", "alice")
    assert "secretkey" not in found
    status, body = admin.call("getUser", userapikey="no-such-key")
    assert (status, body["getuserresponse"]["errortext"]) == (431, "User with specified API key does not exist")
    # Root admins only: others do not have the API.
    status, body = tree["boss"].call("getUser", userapikey=tree["alice"].api_key)
    assert status == 432
