"""VM operations over HTTP: offerings, passwords, update (userdata, extraconfig), NICs, migration, capacity and
limit errors, isolation between accounts, IP/MAC allocation (also under concurrency)."""
from __future__ import annotations

import base64
import concurrent.futures
import urllib.parse

import cs
import pytest
from compute_client import Client, new_user, unique


def isolated_offering(admin) -> dict:
    return admin.items("listNetworkOfferings", "networkoffering",
                       name="DefaultIsolatedNetworkOfferingWithSourceNatService")[0]


def make_network(client, admin, catalog, **params) -> dict:
    return client.ok("createNetwork", name=unique("net"), displaytext="test network", zoneid=catalog["zone"]["id"],
                     networkofferingid=isolated_offering(admin)["id"], **params)["network"]


# --- offerings -----------------------------------------------------------------------------------------


def test_change_service_only_when_stopped(user, deploy, catalog):
    vm = deploy(user)
    code, text = user.error("changeServiceForVirtualMachine", id=vm["id"], serviceofferingid=catalog["medium"]["id"])
    assert code == 431 and text.startswith("Unable to upgrade virtual machine") and \
        text.endswith("in state Running; make sure the virtual machine is stopped")
    user.run("stopVirtualMachine", id=vm["id"])
    changed = user.ok("changeServiceForVirtualMachine", id=vm["id"], serviceofferingid=catalog["medium"]["id"])["virtualmachine"]
    assert changed["serviceofferingname"] == "Medium Instance" and (changed["cpuspeed"], changed["memory"]) == (1000, 1024)
    code, text = user.error("changeServiceForVirtualMachine", id=vm["id"], serviceofferingid=catalog["medium"]["id"])
    assert code == 431 and "already has the requested service offering" in text


def test_scale_running_vm_needs_dynamic_scaling(user, deploy, catalog):
    vm = deploy(user)
    code, text = user.failed("scaleVirtualMachine", id=vm["id"], serviceofferingid=catalog["medium"]["id"])
    assert code == 431 and "enable.dynamic.scale.vm" in text
    user.run("stopVirtualMachine", id=vm["id"])
    scaled = user.run("scaleVirtualMachine", id=vm["id"], serviceofferingid=catalog["medium"]["id"])["virtualmachine"]
    assert scaled["serviceofferingid"] == catalog["medium"]["id"] and scaled["memory"] == 1024


def test_custom_offering_takes_details(admin, user, deploy, catalog):
    custom = admin.ok("createServiceOffering", name=unique("custom"), displaytext="custom", customized=True,
                      mincpunumber=1, maxcpunumber=4, minmemory=256, maxmemory=4096)["serviceoffering"]
    assert custom["iscustomized"] is True
    code, text = user.error("deployVirtualMachine", zoneid=catalog["zone"]["id"], serviceofferingid=custom["id"],
                            templateid=catalog["template"]["id"])
    assert code == 431 and "custom parameter values" in text
    vm = deploy(user, serviceofferingid=custom["id"], details={"cpuNumber": 2, "cpuSpeed": 1000, "memory": 768})
    assert (vm["cpunumber"], vm["cpuspeed"], vm["memory"]) == (2, 1000, 768)
    assert vm["details"]["cpuNumber"] == "2"
    code, text = user.error("deployVirtualMachine", zoneid=vm["zoneid"], serviceofferingid=custom["id"],
                            templateid=vm["templateid"], details={"cpuNumber": 8, "cpuSpeed": 1000, "memory": 768})
    assert code == 431 and "between 1 and 4" in text


# --- passwords ----------------------------------------------------------------------------------------------


def test_reset_password_needs_a_stopped_vm(user, deploy):
    vm = deploy(user)
    code, text = user.failed("resetPasswordForVirtualMachine", id=vm["id"])
    assert code == 431 and text.endswith("should be stopped to do password reset")
    user.run("stopVirtualMachine", id=vm["id"])
    reset = user.run("resetPasswordForVirtualMachine", id=vm["id"])["virtualmachine"]
    assert reset["password"] and reset["password"] != vm["password"]


def test_get_vm_password_is_encrypted_with_the_key_pair(user, deploy):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    pair = user.ok("createSSHKeyPair", name=unique("key"))["keypair"]
    without_key = deploy(user)
    code, text = user.error("getVMPassword", id=without_key["id"])
    assert code == 431 and text.startswith("No password for VM with specified id found.")
    vm = deploy(user, keypair=pair["name"])
    assert vm["keypairs"] == pair["name"]
    encrypted = base64.b64decode(user.ok("getVMPassword", id=vm["id"])["password"]["encryptedpassword"])
    key = serialization.load_pem_private_key(pair["privatekey"].encode(), password=None)
    assert key.decrypt(encrypted, padding.PKCS1v15()).decode() == vm["password"]


# --- update, userdata, extraconfig ----------------------------------------------------------------------------


def test_update_vm_userdata_by_post_and_displayname(user, deploy):
    vm = deploy(user)
    userdata = base64.b64encode(b"#cloud-config\n" + b"x" * 6000).decode()      # too long for a comfortable GET
    updated = user.ok("updateVirtualMachine", method="POST", id=vm["id"], userdata=userdata,
                      displayname="renamed")["virtualmachine"]
    assert updated["displayname"] == "renamed" and "userdata" not in updated
    listed = user.items("listVirtualMachines", "virtualmachine", id=vm["id"], userdata=True)[0]
    assert listed["userdata"] == userdata
    code, text = user.error("updateVirtualMachine", id=vm["id"], userdata="not base64 !!")
    assert (code, text) == (431, "User data is not base64 encoded")
    code, text = user.error("updateVirtualMachine", id=vm["id"], name="new-name")
    assert code == 431 and "Stopped" in text


def test_deploy_with_userdata_by_post(user, catalog):
    userdata = base64.b64encode(b"#!/bin/sh\necho hello\n").decode()
    answer = user.ok("deployVirtualMachine", method="POST", zoneid=catalog["zone"]["id"],
                     serviceofferingid=catalog["small"]["id"], templateid=catalog["template"]["id"], userdata=userdata)
    assert user.wait(answer["jobid"])["jobstatus"] == 1
    assert user.items("listVirtualMachines", "virtualmachine", id=answer["id"], userdata=True)[0]["userdata"] == userdata


def test_extraconfig_needs_the_setting_and_is_stored_decoded(admin, user, deploy, catalog):
    config = ("dpdk-hugepages:\n<memoryBacking>\n  <hugepages/>\n</memoryBacking>\n\n"
              "dpdk-numa:\n<cpu mode='host-passthrough'>\n  <numa><cell id='0' cpus='0' memory='9437184' unit='KiB' "
              "memAccess='shared'/></numa>\n</cpu>")
    encoded = urllib.parse.quote(config)
    base = {"zoneid": catalog["zone"]["id"], "serviceofferingid": catalog["small"]["id"],
            "templateid": catalog["template"]["id"]}
    code, text = user.error("deployVirtualMachine", extraconfig=encoded, **base)
    assert (code, text) == (431, "attempted setting extraconfig but enable.additional.vm.configuration is disabled")
    admin.ok("updateConfiguration", name="enable.additional.vm.configuration", value="true")
    try:
        vm = deploy(user, extraconfig=encoded)
    finally:
        admin.ok("updateConfiguration", name="enable.additional.vm.configuration", value="false")
    assert vm["details"]["extraconfig-dpdk-hugepages"] == "<memoryBacking>\n  <hugepages/>\n</memoryBacking>"
    assert vm["details"]["extraconfig-dpdk-numa"].startswith("<cpu mode='host-passthrough'>")
    listed = user.items("listVirtualMachines", "virtualmachine", id=vm["id"])[0]
    assert listed["details"] == vm["details"]


def test_account_scoped_settings_apply_to_that_account_only(admin, deploy, catalog):
    # enable.additional.vm.configuration is account-scoped on a real server: the VM owner's value counts.
    enabled, other = new_user(admin), new_user(admin)
    encoded = urllib.parse.quote("dpdk-numa:\n<cpu/>")
    admin.ok("updateConfiguration", name="enable.additional.vm.configuration", value="true",
             accountid=enabled.account["id"])
    vm = deploy(enabled, extraconfig=encoded)
    assert vm["details"]["extraconfig-dpdk-numa"] == "<cpu/>"
    base = {"zoneid": catalog["zone"]["id"], "serviceofferingid": catalog["small"]["id"],
            "templateid": catalog["template"]["id"]}
    code, _ = other.error("deployVirtualMachine", extraconfig=encoded, **base)
    assert code == 431
    # The same goes for allow.user.view.destroyed.vm (read for the caller's account).
    admin.ok("updateConfiguration", name="allow.user.view.destroyed.vm", value="true", accountid=enabled.account["id"])
    enabled.run("destroyVirtualMachine", id=vm["id"])
    assert enabled.items("listVirtualMachines", "virtualmachine", id=vm["id"])[0]["state"] == "Destroyed"
    gone = other.run("destroyVirtualMachine", id=deploy(other)["id"])["virtualmachine"]
    assert other.items("listVirtualMachines", "virtualmachine", id=gone["id"]) == []


# --- NICs ------------------------------------------------------------------------------------------------------


def test_add_remove_and_switch_default_nic(admin, deploy, catalog):
    user = new_user(admin)          # its own account: a second isolated network makes the default ambiguous
    vm = deploy(user)
    first_nic = vm["nic"][0]
    second = make_network(user, admin, catalog)
    with_two = user.run("addNicToVirtualMachine", virtualmachineid=vm["id"], networkid=second["id"])["virtualmachine"]
    assert len(with_two["nic"]) == 2
    new_nic = next(n for n in with_two["nic"] if n["networkid"] == second["id"])
    assert new_nic["isdefault"] is False and new_nic["deviceid"] == "1"
    assert user.items("listNetworks", "network", id=second["id"])[0]["state"] == "Implemented"
    code, text = user.failed("addNicToVirtualMachine", virtualmachineid=vm["id"], networkid=second["id"])
    assert code == 431 and "already has a nic in Network" in text
    code, text = user.failed("removeNicFromVirtualMachine", virtualmachineid=vm["id"], nicid=first_nic["id"])
    assert code == 431 and text.endswith("nic is default.")
    switched = user.run("updateDefaultNicForVirtualMachine", virtualmachineid=vm["id"], nicid=new_nic["id"])["virtualmachine"]
    assert {n["id"]: n["isdefault"] for n in switched["nic"]} == {first_nic["id"]: False, new_nic["id"]: True}
    removed = user.run("removeNicFromVirtualMachine", virtualmachineid=vm["id"], nicid=first_nic["id"])["virtualmachine"]
    assert [n["id"] for n in removed["nic"]] == [new_nic["id"]]


def test_requested_ip_and_duplicate_ip(admin, deploy, catalog):
    user = new_user(admin)
    network = make_network(user, admin, catalog, gateway="10.9.0.1", netmask="255.255.255.0")
    vm = deploy(user, networkids=[network["id"]], ipaddress="10.9.0.50")
    assert vm["nic"][0]["ipaddress"] == "10.9.0.50"
    code, _ = user.error("deployVirtualMachine", zoneid=catalog["zone"]["id"], serviceofferingid=catalog["small"]["id"],
                         templateid=catalog["template"]["id"], networkids=[network["id"]], ipaddress="10.9.0.50")
    assert code == 533
    vm2 = deploy(user, iptonetworklist=[{"networkid": network["id"], "ip": "10.9.0.51"}])
    assert vm2["nic"][0]["ipaddress"] == "10.9.0.51"


def test_network_exhaustion_is_an_immediate_533(admin, deploy, catalog):
    user = new_user(admin)
    network = make_network(user, admin, catalog, gateway="10.8.0.1", netmask="255.255.255.248")   # 6 hosts, one gateway
    deployed = [deploy(user, networkids=[network["id"]], startvm=False) for _ in range(5)]
    assert len({v["nic"][0]["ipaddress"] for v in deployed}) == 5
    code, text = user.error("deployVirtualMachine", zoneid=catalog["zone"]["id"], serviceofferingid=catalog["small"]["id"],
                            templateid=catalog["template"]["id"], networkids=[network["id"]])
    assert code == 533 and "Unable to acquire Guest IP" in text
    # Expunging a VM gives its address back.
    admin.run("destroyVirtualMachine", id=deployed[0]["id"], expunge=True)
    assert deploy(user, networkids=[network["id"]], startvm=False)["nic"][0]["ipaddress"] == deployed[0]["nic"][0]["ipaddress"]


def test_concurrent_deploys_never_share_an_ip_or_mac(admin, catalog):
    tenant = new_user(admin)
    network = make_network(tenant, admin, catalog)
    base = {"zoneid": catalog["zone"]["id"], "serviceofferingid": catalog["small"]["id"],
            "templateid": catalog["template"]["id"], "networkids": [network["id"]]}
    for resource in (0, 2, 8, 9, 10):       # VMs, volumes, CPUs, memory, primary storage
        admin.ok("updateResourceLimit", resourcetype=resource, max=-1, account=tenant.account["name"],
                 domainid=tenant.account["domainid"])
    clients = [Client(tenant.endpoint, tenant.api_key, tenant._secret, f"t{i}") for i in range(8)]

    def deploy_some(client):
        return [client.ok("deployVirtualMachine", startvm=False, **base)["id"] for _ in range(5)]

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        ids = [i for batch in pool.map(deploy_some, clients) for i in batch]
    assert len(ids) == 40
    vms = tenant.items("listVirtualMachines", "virtualmachine", networkid=network["id"], pagesize=-1)
    assert {v["id"] for v in vms} == set(ids)
    ips = [v["nic"][0]["ipaddress"] for v in vms]
    macs = [n["macaddress"] for v in admin.items("listVirtualMachines", "virtualmachine", listall=True, pagesize=-1)
            for n in v["nic"]]
    assert len(set(ips)) == len(ips) == 40
    assert len(set(macs)) == len(macs)


# --- capacity, limits, isolation -------------------------------------------------------------------------------


def test_not_enough_capacity_fails_the_job_with_533_and_error_state(admin, user, catalog):
    huge = admin.ok("createServiceOffering", name=unique("huge"), displaytext="bigger than any host",
                    cpunumber=1, cpuspeed=500, memory=16384)["serviceoffering"]
    answer = user.ok("deployVirtualMachine", zoneid=catalog["zone"]["id"], serviceofferingid=huge["id"],
                     templateid=catalog["template"]["id"])
    job = user.wait(answer["jobid"])
    assert job["jobstatus"] == 2 and job["jobresultcode"] == 533
    assert job["jobresult"]["errortext"].startswith("Unable to create a deployment for VM instance {")
    assert user.items("listVirtualMachines", "virtualmachine", id=answer["id"])[0]["state"] == "Error"


def test_requested_host_disabled_is_534(admin, user, catalog):
    host = admin.items("listHosts", "host", type="Routing")[0]
    admin.ok("updateHost", id=host["id"], allocationstate="Disable")
    try:
        answer = admin.ok("deployVirtualMachine", zoneid=catalog["zone"]["id"], serviceofferingid=catalog["small"]["id"],
                          templateid=catalog["template"]["id"], hostid=host["id"])
        job = admin.wait(answer["jobid"])
        assert (job["jobstatus"], job["jobresultcode"]) == (2, 534)
        assert host["name"] in job["jobresult"]["errortext"]
    finally:
        admin.ok("updateHost", id=host["id"], allocationstate="Enable")
    code, _ = user.error("deployVirtualMachine", zoneid=catalog["zone"]["id"], serviceofferingid=catalog["small"]["id"],
                         templateid=catalog["template"]["id"], hostid=host["id"])
    assert code == 531


def test_hosts_fill_up_then_533(admin, catalog):
    # 4 hosts x 8 GiB: 5 VMs of 7 GiB cannot all run; the fifth fails, stopping one makes room again.
    tenant = new_user(admin)
    for resource in (0, 8, 9):
        admin.ok("updateResourceLimit", resourcetype=resource, max=-1, account=tenant.account["name"],
                 domainid=tenant.account["domainid"])
    big = admin.ok("createServiceOffering", name=unique("big"), displaytext="7 GiB", cpunumber=1, cpuspeed=100,
                   memory=7168)["serviceoffering"]
    base = {"zoneid": catalog["zone"]["id"], "serviceofferingid": big["id"], "templateid": catalog["template"]["id"]}
    running = admin.items("listVirtualMachines", "virtualmachine", listall=True, state="Running")
    for vm in running:                       # free the hosts used by other tests of this module
        admin.run("stopVirtualMachine", id=vm["id"])
    placed = [tenant.run("deployVirtualMachine", **base)["virtualmachine"] for _ in range(4)]
    hosts = {admin.items("listVirtualMachines", "virtualmachine", id=v["id"], listall=True)[0]["hostid"] for v in placed}
    assert len(hosts) == 4
    code, text = tenant.failed("deployVirtualMachine", **base)
    assert code == 533 and "Unable to create a deployment for" in text
    tenant.run("stopVirtualMachine", id=placed[0]["id"])
    assert tenant.run("deployVirtualMachine", **base)["virtualmachine"]["state"] == "Running"
    code, _ = tenant.failed("startVirtualMachine", id=placed[0]["id"])
    assert code == 533
    assert tenant.items("listVirtualMachines", "virtualmachine", id=placed[0]["id"])[0]["state"] == "Stopped"
    for vm in tenant.items("listVirtualMachines", "virtualmachine"):     # give the hosts back to later tests
        admin.run("destroyVirtualMachine", id=vm["id"], expunge=True)


def test_resource_limits_are_an_immediate_532(admin, catalog):
    tenant = new_user(admin)
    admin.ok("updateResourceLimit", resourcetype=0, max=1, account=tenant.account["name"],
             domainid=tenant.account["domainid"])
    base = {"zoneid": catalog["zone"]["id"], "serviceofferingid": catalog["small"]["id"],
            "templateid": catalog["template"]["id"]}
    tenant.run("deployVirtualMachine", **base)
    code, text = tenant.error("deployVirtualMachine", **base)
    assert code == 532 and "Type = 'user_vm'" in text
    account = tenant.items("listAccounts", "account", id=tenant.account["id"])[0]
    assert account["vmtotal"] == 1 and account["volumetotal"] == 1 and account["cputotal"] == 1
    assert account["memorytotal"] == 512


def test_other_accounts_cannot_see_or_touch_a_vm(user, other_user, deploy, catalog):
    vm = deploy(user)
    assert not other_user.items("listVirtualMachines", "virtualmachine", id=vm["id"])
    for command in ("stopVirtualMachine", "destroyVirtualMachine", "rebootVirtualMachine"):
        code, text = other_user.error(command, id=vm["id"])
        assert code == 531 and "does not have permission" in text
    code, _ = other_user.error("updateVirtualMachine", id=vm["id"], displayname="mine now")
    assert code == 531
    code, _ = other_user.error("deployVirtualMachine", zoneid=catalog["zone"]["id"], serviceofferingid=catalog["small"]["id"],
                               templateid=catalog["template"]["id"], networkids=[vm["nic"][0]["networkid"]])
    assert code == 531
    code, text = other_user.error("listVirtualMachines", account=user.account["name"])
    assert code == 531
    code, _ = other_user.error("migrateVirtualMachine", virtualmachineid=vm["id"], autoselect=True)
    assert code == 432


def test_migrate_moves_between_hosts(admin, user, deploy):
    vm = deploy(user)
    source = admin.items("listVirtualMachines", "virtualmachine", id=vm["id"], listall=True)[0]["hostid"]
    target = next(h for h in admin.items("listHosts", "host", type="Routing") if h["id"] != source)
    moved = admin.run("migrateVirtualMachine", virtualmachineid=vm["id"], hostid=target["id"])["virtualmachine"]
    assert moved["hostid"] == target["id"] and moved["state"] == "Running"
    code, text = admin.error("migrateVirtualMachine", virtualmachineid=vm["id"], hostid=target["id"])
    assert code == 431 and "already present on this host" in text
    user.run("stopVirtualMachine", id=vm["id"])
    code, text = admin.error("migrateVirtualMachine", virtualmachineid=vm["id"], hostid=source)
    assert code == 431 and text.startswith("VM is not Running, unable to migrate the vm")


def test_independent_cs_client_deploys_and_lists(sim, catalog):
    api = cs.CloudStack(endpoint=sim.endpoint, key=sim.admin_api_key, secret=sim.admin_secret_key, fetch_result=True,
                        poll_interval=0.05)
    vm = api.deployVirtualMachine(zoneid=catalog["zone"]["id"], serviceofferingid=catalog["small"]["id"],
                                  templateid=catalog["template"]["id"], name=unique("csvm"))["virtualmachine"]
    assert vm["state"] == "Running"
    listed = api.listVirtualMachines(id=vm["id"])["virtualmachine"]
    assert listed[0]["name"] == vm["name"]
    with pytest.raises(cs.CloudStackApiException) as caught:
        api.recoverVirtualMachine(id=vm["id"])
    assert caught.value.error["errorcode"] == 431


def test_root_disk_size_and_data_disk_at_deploy(admin, catalog, deploy):
    tenant = new_user(admin)
    vm = deploy(tenant, rootdisksize=12, diskofferingid=catalog["disk"]["Medium"]["id"])
    volumes = {v["type"]: v for v in tenant.items("listVolumes", "volume", virtualmachineid=vm["id"])}
    assert volumes["ROOT"]["size"] == 12 * 1024 ** 3 and volumes["ROOT"]["state"] == "Ready"
    assert volumes["DATADISK"]["size"] == 20 * 1024 ** 3 and volumes["DATADISK"]["deviceid"] == 1
    assert vm["diskofferingid"] == catalog["disk"]["Medium"]["id"]
    code, text = tenant.error("deployVirtualMachine", zoneid=catalog["zone"]["id"], serviceofferingid=catalog["small"]["id"],
                              templateid=catalog["template"]["id"], rootdisksize=1)
    assert code == 431 and "Unsupported: rootdisksize override (1 GB) is smaller than template size" in text
    account = tenant.items("listAccounts", "account", id=tenant.account["id"])[0]
    assert account["volumetotal"] == 2 and account["primarystoragetotal"] == 32


def test_basic_zone_deploy_joins_the_default_security_group():
    from marvin2.simulator import start_simulator

    simulator = start_simulator(port=0, profile="instant", seed="basic")
    try:
        admin = Client(simulator.endpoint, simulator.admin_api_key, simulator.admin_secret_key, label="admin")
        tenant = new_user(admin)
        zone = admin.items("listZones", "zone")[0]
        base = {"zoneid": zone["id"], "templateid": admin.items("listTemplates", "template", templatefilter="featured")[0]["id"],
                "serviceofferingid": admin.items("listServiceOfferings", "serviceoffering")[0]["id"]}
        vm = tenant.run("deployVirtualMachine", **base)["virtualmachine"]
        assert vm["nic"][0]["type"] == "Shared" and [g["name"] for g in vm["securitygroup"]] == ["default"]
        code, _ = tenant.error("deployVirtualMachine", securitygroupnames=["no-such-group"], **base)
        assert code == 431
    finally:
        simulator.stop()


def test_security_groups_need_a_security_group_zone(user, catalog):
    code, text = user.error("deployVirtualMachine", zoneid=catalog["zone"]["id"], serviceofferingid=catalog["small"]["id"],
                            templateid=catalog["template"]["id"], securitygroupnames=["default"])
    assert (code, text) == (431, "Can't create vm with security groups; security group feature is not enabled per zone")


def test_user_data_ssh_key_reset_and_hosts_for_migration(admin, user, deploy):
    userdata = base64.b64encode(b"#cloud-config\nruncmd: [true]\n").decode()
    first, second = (user.ok("createSSHKeyPair", name=unique("key"))["keypair"] for _ in range(2))
    vm = deploy(user, userdata=userdata, keypair=first["name"])
    assert user.ok("getVirtualMachineUserData", virtualmachineid=vm["id"])["virtualmachineuserdata"] == \
        {"virtualmachineid": vm["id"], "userdata": userdata}
    code, text = user.failed("resetSSHKeyForVirtualMachine", id=vm["id"], keypair=second["name"])
    assert code == 431 and text.endswith("should be stopped to do SSH Key reset")
    hosts = admin.items("findHostsForMigration", "host", virtualmachineid=vm["id"])
    current = admin.items("listVirtualMachines", "virtualmachine", id=vm["id"], listall=True)[0]["hostid"]
    assert hosts and current not in {h["id"] for h in hosts} and all(h["suitableformigration"] for h in hosts)
    assert user.error("findHostsForMigration", virtualmachineid=vm["id"])[0] == 432
    user.run("stopVirtualMachine", id=vm["id"])
    reset = user.run("resetSSHKeyForVirtualMachine", id=vm["id"], keypair=second["name"])["virtualmachine"]
    assert reset["keypairs"] == second["name"] and reset["password"]
    code, text = user.error("resetSSHKeyForVirtualMachine", id=vm["id"], keypair="no-such-key")
    assert (code, text) == (431, "A key pair with name 'no-such-key' was not found.")
