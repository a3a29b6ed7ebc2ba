"""SSH key pairs, affinity groups and projects over HTTP."""
from __future__ import annotations

import hashlib

import pytest
from compute_client import new_user, unique
from cryptography.hazmat.primitives import serialization

# --- SSH key pairs ----------------------------------------------------------------------------------------------


def md5_fingerprint(openssh_public_key: str) -> str:
    import base64

    digest = hashlib.md5(base64.b64decode(openssh_public_key.split()[1])).hexdigest()
    return ":".join(digest[i:i + 2] for i in range(0, 32, 2))


def test_create_ssh_key_pair_returns_a_working_private_key(user):
    name = unique("key")
    pair = user.ok("createSSHKeyPair", name=name)["keypair"]
    assert pair["name"] == name and pair["privatekey"].startswith("-----BEGIN RSA PRIVATE KEY-----")
    key = serialization.load_pem_private_key(pair["privatekey"].encode(), password=None)
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    assert pair["fingerprint"] == md5_fingerprint(public)
    listed = user.items("listSSHKeyPairs", "sshkeypair", name=name)
    assert [(p["name"], p["fingerprint"]) for p in listed] == [(name, pair["fingerprint"])]
    assert "privatekey" not in listed[0]
    code, text = user.error("createSSHKeyPair", name=name)
    assert (code, text) == (431, f"A key pair with name '{name}' already exists.")
    assert user.ok("deleteSSHKeyPair", name=name) == {"success": True}
    assert user.ok("listSSHKeyPairs", name=name) == {}
    code, _ = user.error("deleteSSHKeyPair", name=name)
    assert code == 431


def test_register_ssh_key_pair(user, other_user):
    from cryptography.hazmat.primitives.asymmetric import ed25519

    public = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode() + " me@laptop"
    name = unique("reg")
    pair = user.ok("registerSSHKeyPair", name=name, publickey=public)["keypair"]
    assert pair["fingerprint"] == md5_fingerprint(public) and "privatekey" not in pair
    code, text = user.error("registerSSHKeyPair", name="broken", publickey="ssh-rsa not-base64!")
    assert (code, text) == (431, "Public key is invalid")
    assert not other_user.items("listSSHKeyPairs", "sshkeypair", name=name)


# --- affinity groups ----------------------------------------------------------------------------------------------


def test_affinity_group_types(user):
    answer = user.ok("listAffinityGroupTypes")
    assert answer["count"] == 2 and {t["type"] for t in answer["affinityGroupType"]} == {"host anti-affinity", "host affinity"}


def test_anti_affinity_spreads_vms_then_533(admin, catalog):
    tenant = new_user(admin)
    group = tenant.run("createAffinityGroup", name=unique("ag"), type="host anti-affinity")["affinitygroup"]
    assert group["type"] == "host anti-affinity" and group["account"] == tenant.account["name"]
    base = {"zoneid": catalog["zone"]["id"], "serviceofferingid": catalog["small"]["id"],
            "templateid": catalog["template"]["id"], "affinitygroupids": [group["id"]]}
    hosts = admin.items("listHosts", "host", type="Routing")
    vms = [tenant.run("deployVirtualMachine", **base)["virtualmachine"] for _ in hosts]
    placed = {admin.items("listVirtualMachines", "virtualmachine", id=v["id"], listall=True)[0]["hostid"] for v in vms}
    assert len(placed) == len(hosts)
    assert vms[0]["affinitygroup"][0]["id"] == group["id"]
    code, text = tenant.failed("deployVirtualMachine", **base)
    assert code == 533 and "Please check the affinity groups provided" in text
    listed = tenant.items("listAffinityGroups", "affinitygroup", id=group["id"])[0]
    assert {v["id"] for v in vms} <= set(listed["virtualmachineIds"])
    code, text = tenant.failed("updateVMAffinityGroup", id=vms[0]["id"], affinitygroupids=[group["id"]])
    assert code == 431 and "make sure the virtual machine is stopped" in text
    # 4.20 deletes a group whatever VMs it holds, with their mappings: running and destroyed (recoverable) ones.
    tenant.run("destroyVirtualMachine", id=vms[0]["id"])
    assert tenant.run("deleteAffinityGroup", id=group["id"]) == {"success": True}
    assert group["id"] not in {g["id"] for g in tenant.items("listAffinityGroups", "affinitygroup")}
    for vm in vms:
        listed = admin.items("listVirtualMachines", "virtualmachine", id=vm["id"], listall=True)[0]
        assert listed.get("affinitygroup") in (None, []), listed["state"]
    admin.ok("recoverVirtualMachine", id=vms[0]["id"])
    recovered = admin.items("listVirtualMachines", "virtualmachine", id=vms[0]["id"], listall=True)[0]
    assert recovered["state"] == "Stopped" and not recovered.get("affinitygroup")
    assert tenant.error("listAffinityGroups", id=group["id"])[0] == 431        # the row is gone, as on a real server


def test_host_affinity_keeps_vms_together_and_update_group(admin, catalog):
    tenant = new_user(admin)
    together = tenant.run("createAffinityGroup", name=unique("ag"), type="host affinity")["affinitygroup"]
    base = {"zoneid": catalog["zone"]["id"], "serviceofferingid": catalog["small"]["id"],
            "templateid": catalog["template"]["id"]}
    vms = [tenant.run("deployVirtualMachine", affinitygroupids=[together["id"]], **base)["virtualmachine"]
           for _ in range(3)]
    hosts = {admin.items("listVirtualMachines", "virtualmachine", id=v["id"], listall=True)[0]["hostid"] for v in vms}
    assert len(hosts) == 1
    code, _ = tenant.error("createAffinityGroup", name="x", type="host anti-affinity", account="admin")
    assert code == 531
    assert tenant.failed("createAffinityGroup", name=together["name"], type="host affinity")[0] == 431
    loose = tenant.run("deployVirtualMachine", **base)["virtualmachine"]
    tenant.run("stopVirtualMachine", id=loose["id"])
    moved = tenant.run("updateVMAffinityGroup", id=loose["id"], affinitygroupids=[together["id"]])["virtualmachine"]
    assert [g["id"] for g in moved["affinitygroup"]] == [together["id"]]
    assert {v["id"] for v in tenant.items("listVirtualMachines", "virtualmachine", affinitygroupid=together["id"])} == \
        {v["id"] for v in vms} | {loose["id"]}
    for vm in tenant.items("listVirtualMachines", "virtualmachine"):
        admin.run("destroyVirtualMachine", id=vm["id"], expunge=True)


# --- projects ---------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def project_owner(admin):
    return new_user(admin)


def test_project_life_cycle_and_resources(admin, project_owner, catalog):
    owner = project_owner
    member, outsider = new_user(admin), new_user(admin)
    answer = owner.ok("createProject", name=unique("prj"), displaytext="a project")
    assert set(answer) == {"jobid"}
    project = owner.wait(answer["jobid"])["jobresult"]["project"]
    assert project["state"] == "Active" and project["owner"][0]["account"] == owner.account["name"]
    assert [p["id"] for p in owner.items("listProjects", "project")] == [project["id"]]
    assert not outsider.items("listProjects", "project")
    vm = owner.run("deployVirtualMachine", zoneid=catalog["zone"]["id"], serviceofferingid=catalog["small"]["id"],
                   templateid=catalog["template"]["id"], projectid=project["id"])["virtualmachine"]
    assert vm["projectid"] == project["id"] and vm["project"] == project["name"] and "account" not in vm
    # Project resources are listed with projectid only.
    assert vm["id"] not in {v["id"] for v in owner.items("listVirtualMachines", "virtualmachine")}
    assert [v["id"] for v in owner.items("listVirtualMachines", "virtualmachine", projectid=project["id"])] == [vm["id"]]
    code, _ = outsider.error("listVirtualMachines", projectid=project["id"])
    assert code == 531
    code, _ = outsider.error("stopVirtualMachine", id=vm["id"])
    assert code == 531
    assert owner.run("addAccountToProject", projectid=project["id"], account=member.account["name"]) == {"success": True}
    accounts = owner.ok("listProjectAccounts", projectid=project["id"])
    assert accounts["count"] == 2
    assert {a["account"]: a["role"] for a in accounts["projectaccount"]} == \
        {owner.account["name"]: "Admin", member.account["name"]: "Regular"}
    assert [v["id"] for v in member.items("listVirtualMachines", "virtualmachine", projectid=project["id"])] == [vm["id"]]
    assert member.run("stopVirtualMachine", id=vm["id"])["virtualmachine"]["state"] == "Stopped"
    code, _ = member.error("addAccountToProject", projectid=project["id"], account=outsider.account["name"])
    assert code == 531
    listed = owner.items("listProjects", "project", id=project["id"])[0]
    assert listed["vmtotal"] == 1 and listed["vmstopped"] == 1
    code, text = owner.failed("deleteProject", id=project["id"])
    # ProjectManagerImpl.deleteProject throws a CloudRuntimeException: the job fails with 530 and its text.
    assert (code, text) == (530, "Can't delete the project yet because it has 1 VirtualMachine to clean up")
    assert owner.run("deleteProject", id=project["id"], cleanup=True) == {"success": True}
    assert owner.ok("listProjects", id=project["id"]) == {}
    assert not admin.items("listVirtualMachines", "virtualmachine", id=vm["id"], listall=True)


def test_project_suspend_and_activate(project_owner):
    project = project_owner.run("createProject", name=unique("prj"), displaytext="p")["project"]
    assert project_owner.run("suspendProject", id=project["id"])["project"]["state"] == "Suspended"
    code, _ = project_owner.error("createSSHKeyPair", name="k", projectid=project["id"])
    assert code == 531
    assert project_owner.run("activateProject", id=project["id"])["project"]["state"] == "Active"
    pair = project_owner.ok("createSSHKeyPair", name=unique("k"), projectid=project["id"])["keypair"]
    assert pair["projectid"] == project["id"]
    assert project_owner.run("deleteProject", id=project["id"]) == {"success": True}
