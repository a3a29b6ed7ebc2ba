"""User data: register → list → link to a template → unlink → delete, ownership between accounts, and the
checks of ManagementServerImpl / UserDataManagerImpl / TemplateManagerImpl."""
from __future__ import annotations

import base64

import pytest

SCRIPT = base64.b64encode(b"#!/bin/sh\necho {{ds.meta_data.hostname}}\n").decode()


@pytest.fixture(scope="module")
def own_template(admin, user, catalog):
    """A template the user owns (linking needs the right to operate on it)."""
    return user.items(
        "registerTemplate", "template", name="ud-tpl", displaytext="ud", format="QCOW2", hypervisor="Simulator",
        ostypeid=catalog["template"]["ostypeid"], zoneid=catalog["zone"]["id"], url="http://example.org/ud.qcow2")[0]


def test_user_data_life_cycle(user, user_account, own_template):
    account = user_account[0]
    made = user.ok("registerUserData", name="boot", userdata=SCRIPT, params="hostname,role")["userdata"]
    assert (made["name"], made["userdata"], made["params"], made["account"]) == ("boot", SCRIPT, "hostname,role",
                                                                                 account["name"])
    assert [u["id"] for u in user.items("listUserData", "userdata")] == [made["id"]]
    assert user.items("listUserData", "userdata", name="boot")[0]["id"] == made["id"]
    assert user.items("listUserData", "userdata", keyword="oo")[0]["id"] == made["id"]

    linked = user.ok("linkUserDataToTemplate", templateid=own_template["id"], userdataid=made["id"],
                     userdatapolicy="append")["template"]
    assert (linked["id"], linked["userdataid"], linked["userdataname"], linked["userdatapolicy"]) == (
        own_template["id"], made["id"], "boot", "APPEND")
    assert "linked to active template" in user.error("deleteUserData", 530, id=made["id"])

    unlinked = user.ok("linkUserDataToTemplate", templateid=own_template["id"])["template"]
    assert unlinked.get("userdataid") is None and unlinked.get("userdatapolicy") is None
    assert user.ok("deleteUserData", id=made["id"]) == {"success": True}
    assert user.items("listUserData", "userdata") == []


def test_padding_is_restored(user):
    made = user.ok("registerUserData", name="nopad", userdata="aGk")["userdata"]   # "hi" without its '='
    assert made["userdata"] == "aGk="
    user.ok("deleteUserData", id=made["id"])


def test_register_errors(user):
    user.ok("registerUserData", name="one", userdata=SCRIPT)
    assert user.error("registerUserData", 431, name="one", userdata="b3RoZXI=") == (
        "A userdata with name one already exists for this account.")
    assert user.error("registerUserData", 431, name="two", userdata=SCRIPT) == (
        "Userdata one with same content already exists for this account.")
    assert user.error("registerUserData", 431, name="bad", userdata="not base64!") == "User data is not base64 encoded."
    assert user.error("registerUserData", 431, name="p", userdata="eA==", params="public-keys,x") == (
        "Params passed here have a few virtual router metadata file names [public-keys]")
    assert "userdata" in user.error("registerUserData", 431, name="missing")
    assert "name" in user.error("registerUserData", 431, userdata="eA==")


def test_other_accounts_cannot_see_or_delete(user, other_user, admin):
    mine = user.ok("registerUserData", name="private", userdata="cHJpdmF0ZQ==")["userdata"]
    assert other_user.items("listUserData", "userdata") == []
    assert other_user.error("deleteUserData", 531, id=mine["id"])
    assert mine["id"] in {u["id"] for u in admin.items("listUserData", "userdata", listall=True)}
    assert "does not exist" in user.error("deleteUserData", 431, id="5f1e4b39-0000-4000-8000-000000000000")


def test_link_errors(user, admin, catalog, own_template):
    data = user.ok("registerUserData", name="linkme", userdata="bGluaw==")["userdata"]
    assert user.error("linkUserDataToTemplate", 431, templateid=own_template["id"], isoid=own_template["id"]) == (
        "Both template ID and ISO ID are passed, API accepts only one")
    assert user.error("linkUserDataToTemplate", 431, userdataid=data["id"]) == (
        "Atleast one of template ID or ISO ID needs to be passed")
    assert "UserDataOverridePolicy.SOMETIMES" in user.error("linkUserDataToTemplate", 431, templateid=own_template["id"],
                                                            userdataid=data["id"], userdatapolicy="sometimes")
    assert user.error("linkUserDataToTemplate", 531, templateid=catalog["template"]["id"], userdataid=data["id"])


CONFIG = base64.b64encode(b"#cloud-config\npackages: [nginx]\n").decode()


@pytest.fixture(scope="module")
def stopped_vm(user, deploy):
    vm = deploy(user)
    assert "should be stopped" in user.error("resetUserDataForVirtualMachine", 431, id=vm["id"], userdata=SCRIPT)
    user.job_ok("stopVirtualMachine", id=vm["id"])
    return vm


def _vm_userdata(client, vm_id) -> str:
    return client.ok("getVirtualMachineUserData", virtualmachineid=vm_id)["virtualmachineuserdata"]["userdata"]


def test_reset_user_data(user, stopped_vm):
    vm = user.ok("resetUserDataForVirtualMachine", id=stopped_vm["id"], userdata=CONFIG)["virtualmachine"]
    assert vm["userdata"] == CONFIG and _vm_userdata(user, vm["id"]) == CONFIG
    data = user.ok("registerUserData", name="for-reset", userdata="I2Nsb3VkLWNvbmZpZwpydW5jbWQ6IFtscF0K")["userdata"]
    vm = user.ok("resetUserDataForVirtualMachine", id=stopped_vm["id"], userdataid=data["id"])["virtualmachine"]
    assert (vm["userdataid"], _vm_userdata(user, vm["id"])) == (data["id"], data["userdata"])
    assert user.error("resetUserDataForVirtualMachine", 431, id=stopped_vm["id"], userdata=CONFIG,
                      userdataid=data["id"]) == "Both userdata and userdata ID inputs are not allowed, please provide only one"


def test_reset_follows_the_template_policy(admin, user, stopped_vm):
    linked = admin.ok("registerUserData", name="tpl-script", userdata=SCRIPT)["userdata"]
    template = stopped_vm["templateid"]
    try:
        admin.ok("linkUserDataToTemplate", templateid=template, userdataid=linked["id"], userdatapolicy="DENYOVERRIDE")
        assert "configured to deny any userdata" in user.error("resetUserDataForVirtualMachine", 530,
                                                               id=stopped_vm["id"], userdata=CONFIG)
        user.ok("resetUserDataForVirtualMachine", id=stopped_vm["id"])
        assert _vm_userdata(user, stopped_vm["id"]) == SCRIPT                 # the template's own

        admin.ok("linkUserDataToTemplate", templateid=template, userdataid=linked["id"], userdatapolicy="APPEND")
        user.ok("resetUserDataForVirtualMachine", id=stopped_vm["id"], userdata=CONFIG)
        merged = base64.b64decode(_vm_userdata(user, stopped_vm["id"])).decode()
        assert "multipart/mixed" in merged and "text/x-shellscript" in merged and "text/cloud-config" in merged
        assert "does not contain a header" in user.error(
            "resetUserDataForVirtualMachine", 530, id=stopped_vm["id"], userdata=base64.b64encode(b"plain").decode())
        assert "Cannot recognise the user data format type from the header line: #weird" in user.error(
            "resetUserDataForVirtualMachine", 530, id=stopped_vm["id"], userdata=base64.b64encode(b"#weird\n").decode())
    finally:
        admin.ok("linkUserDataToTemplate", templateid=template)
