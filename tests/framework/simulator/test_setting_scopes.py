"""Settings read at their real scope over HTTP: allow.user.expunge.recover.vm is an Account setting, so
updateConfiguration with accountid lets that account's users expunge and recover, and no one else's."""
from __future__ import annotations

import itertools

import pytest
from sim_testlib import RawClient

_names = itertools.count(1)
SETTING = "allow.user.expunge.recover.vm"


def _user(admin: RawClient) -> tuple[dict, RawClient]:
    name = f"scope{next(_names)}"
    account = admin.ok("createAccount", method="POST", username=name, password="pw", email=f"{name}@x.org",
                       firstname="F", lastname="L", accounttype=0)["account"]
    keys = admin.ok("registerUserKeys", id=account["user"][0]["id"])["userkeys"]
    return account, RawClient(admin.endpoint, keys["apikey"], keys["secretkey"])


def _run(client: RawClient, command: str, **params) -> dict:
    return client.wait_job(client.ok(command, **params)["jobid"])


@pytest.fixture(scope="module")
def deploy(admin):
    zone = admin.ok("listZones", name="Sandbox-simulator")["zone"][0]
    offering = admin.ok("listServiceOfferings", name="Small Instance")["serviceoffering"][0]
    template = admin.ok("listTemplates", templatefilter="featured")["template"][0]

    def _deploy(client: RawClient) -> dict:
        job = _run(client, "deployVirtualMachine", zoneid=zone["id"], serviceofferingid=offering["id"],
                   templateid=template["id"])
        assert job["jobstatus"] == 1, job
        return job["jobresult"]["virtualmachine"]

    return _deploy


def test_the_account_setting_lets_only_that_account_expunge(admin, deploy):
    allowed_account, allowed = _user(admin)
    _, other = _user(admin)
    admin.ok("updateConfiguration", name=SETTING, value="true", accountid=allowed_account["id"])
    listed = admin.ok("listConfigurations", name=SETTING, accountid=allowed_account["id"])["configuration"]
    assert [(c["value"], c.get("scope")) for c in listed] == [("true", "account")]
    assert admin.ok("listConfigurations", name=SETTING)["configuration"][0]["value"] == "false"

    mine, theirs = deploy(allowed), deploy(other)
    job = _run(allowed, "destroyVirtualMachine", id=mine["id"], expunge=True)
    assert job["jobstatus"] == 1, job
    assert admin.ok("listVirtualMachines", id=mine["id"], listall=True) == {}

    job = _run(other, "destroyVirtualMachine", id=theirs["id"], expunge=True)
    assert job["jobstatus"] == 2 and job["jobresultcode"] == 531
    assert SETTING in job["jobresult"]["errortext"]


def test_the_account_setting_lets_its_users_recover(admin, deploy):
    account, client = _user(admin)
    admin.ok("updateConfiguration", name=SETTING, value="true", accountid=account["id"])
    vm = deploy(client)
    assert _run(client, "destroyVirtualMachine", id=vm["id"])["jobstatus"] == 1
    assert client.ok("recoverVirtualMachine", id=vm["id"])["virtualmachine"]["state"] == "Stopped"
