"""Behaviour that suites written against a real CloudStack 4.20 rely on (issue 10 item 3).

Each test pins what 4.20's Java does: permission texts (AccountManagerImpl, DomainChecker, NetworkModelImpl),
the domainid/isrecursive list scope, case-insensitive enum filters, the root disk size detail on deploy and
the deploy job's VM naming its job.
"""
from __future__ import annotations

import pytest
from compute_client import Client, new_user, unique

GIB = 1024 ** 3


@pytest.fixture(scope="module")
def tree(admin):
    """A domain with a child domain, one user account in each (and their VMs' owners)."""
    parent = admin.ok("createDomain", name=unique("parent"))["domain"]
    child = admin.ok("createDomain", name=unique("child"), parentdomainid=parent["id"])["domain"]
    return {"parent": parent, "child": child,
            "in_parent": new_user(admin, domainid=parent["id"]), "in_child": new_user(admin, domainid=child["id"])}


def _volume_ids(client: Client, **params) -> set[str]:
    return {v["id"] for v in client.items("listVolumes", "volume", **params)}


def test_domainid_with_listall_is_not_recursive_without_isrecursive(admin, tree, deploy):
    parent_vm = deploy(tree["in_parent"])
    child_vm = deploy(tree["in_child"])
    parent = tree["parent"]["id"]
    flat = {v["id"] for v in admin.items("listVirtualMachines", "virtualmachine", domainid=parent, listall=True)}
    assert parent_vm["id"] in flat and child_vm["id"] not in flat
    deep = {v["id"] for v in admin.items("listVirtualMachines", "virtualmachine", domainid=parent, listall=True,
                                         isrecursive=True)}
    assert {parent_vm["id"], child_vm["id"]} <= deep
    # The same scope rule for every owned list (volumes here).
    assert _volume_ids(admin, domainid=parent, listall=True) & _volume_ids(tree["in_child"]) == set()
    assert _volume_ids(tree["in_child"]) <= _volume_ids(admin, domainid=parent, listall=True, isrecursive=True)


def test_permission_texts_are_cloudstacks(admin, tree, catalog, deploy):
    in_parent, in_child = tree["in_parent"], tree["in_child"]
    # A user naming another domain: DomainChecker.checkAccess(Account, Domain).
    code, text = in_child.error("listVirtualMachines", domainid=tree["parent"]["id"])
    assert code == 531 and "does not have permission to operate within domain id=" + tree["parent"]["id"] in text
    assert in_child.account["name"] in text
    # A user creating for another account: AccountManagerImpl.finalizeOwner.
    code, text = in_child.error("createNetwork", name="n", displaytext="n", zoneid=catalog["zone"]["id"],
                                networkofferingid=_isolated_offering(admin)["id"],
                                account=in_parent.account["name"], domainid=tree["parent"]["id"])
    assert code == 531 and text.startswith(f"Can't create/list resources for account {in_parent.account['name']} "
                                           "in domain ") and text.endswith(", permission denied")
    # Acting on another account's VM: DomainChecker.validateCallerHasAccessToEntityOwner.
    vm = deploy(in_parent)
    code, text = in_child.error("stopVirtualMachine", id=vm["id"])
    assert (code, text) == (531, "Caller does not have permission to operate with provided resource.")
    # Deploying into another account's network: NetworkModelImpl.checkAccountNetworkPermissions.
    network = in_parent.ok("createNetwork", name=unique("net"), displaytext="net", zoneid=catalog["zone"]["id"],
                           networkofferingid=_isolated_offering(admin)["id"])["network"]
    code, text = in_child.error("deployVirtualMachine", zoneid=catalog["zone"]["id"],
                                serviceofferingid=catalog["small"]["id"], templateid=catalog["template"]["id"],
                                networkids=network["id"])
    assert code == 531 and "Unable to use network" in text
    # A domain admin of the child domain naming the parent domain.
    child_admin = _domain_admin(admin, tree["child"]["id"])
    code, text = child_admin.error("listVolumes", domainid=tree["parent"]["id"], listall=True)
    assert code == 531 and "does not have permission to operate within domain" in text


def test_enum_filters_ignore_case(admin):
    hosts = admin.items("listHosts", "host", type="Routing")
    assert hosts, "the seeded zone has routing hosts"
    for variant in ("simulator", "SIMULATOR", "Simulator"):
        assert {h["id"] for h in admin.items("listHosts", "host", hypervisor=variant, type="routing")} == \
            {h["id"] for h in hosts if h["hypervisor"] == "Simulator"}
    assert admin.items("listHosts", "host", hypervisor="kvm") == []


def test_vm_state_and_affinity_type_filters_ignore_case(user, deploy):
    vm = deploy(user)
    for state in ("running", "RUNNING"):
        assert vm["id"] in {v["id"] for v in user.items("listVirtualMachines", "virtualmachine", state=state)}
    group = user.run("createAffinityGroup", name=unique("ag"), type="host anti-affinity")["affinitygroup"]
    found = user.items("listAffinityGroups", "affinitygroup", type="Host Anti-Affinity")
    assert group["id"] in {g["id"] for g in found}


def test_root_disk_size_detail_sizes_the_root_disk(user, catalog, deploy):
    template_bytes = catalog["template"]["size"]
    wanted = template_bytes // GIB + 5
    vm = deploy(user, details=[{"rootdisksize": str(wanted)}])
    root = [v for v in user.items("listVolumes", "volume", virtualmachineid=vm["id"]) if v["type"] == "ROOT"]
    assert root[0]["size"] == wanted * GIB
    assert vm["details"]["rootdisksize"] == str(wanted)
    # The detail wins over the parameter (DeployVMCmd.getDetails).
    vm = deploy(user, rootdisksize=wanted + 1, details=[{"rootdisksize": str(wanted + 2)}])
    root = [v for v in user.items("listVolumes", "volume", virtualmachineid=vm["id"]) if v["type"] == "ROOT"]
    assert root[0]["size"] == (wanted + 2) * GIB
    base = {"zoneid": catalog["zone"]["id"], "serviceofferingid": catalog["small"]["id"],
            "templateid": catalog["template"]["id"]}
    code, text = user.error("deployVirtualMachine", **base, details=[{"rootdisksize": "1"}])
    assert code == 431 and "Unsupported: rootdisksize override (1 GB) is smaller than template size" in text
    code, text = user.error("deployVirtualMachine", **base, details=[{"rootdisksize": "0"}])
    assert (code, text) == (431, "Root disk size should be a positive number.")
    code, text = user.error("deployVirtualMachine", **base, details=[{"rootdisksize": "big"}])
    assert (code, text) == (431, "Root disk size should be a positive number.")


def test_deploy_job_vm_names_its_job(user, catalog):
    job = user.job("deployVirtualMachine", zoneid=catalog["zone"]["id"], serviceofferingid=catalog["small"]["id"],
                   templateid=catalog["template"]["id"])
    vm = job["jobresult"]["virtualmachine"]
    assert vm["jobid"] == job["jobid"] and vm["jobstatus"] == 0
    # Once the job is over, the VM names no job.
    listed = user.items("listVirtualMachines", "virtualmachine", id=vm["id"])[0]
    assert "jobid" not in listed and "jobstatus" not in listed


def _isolated_offering(admin) -> dict:
    return admin.items("listNetworkOfferings", "networkoffering",
                       name="DefaultIsolatedNetworkOfferingWithSourceNatService")[0]


def _domain_admin(admin, domain_id: str) -> Client:
    name = unique("dadmin")
    account = admin.ok("createAccount", username=name, password="password", email=f"{name}@example.com",
                       firstname="D", lastname="A", accounttype=2, domainid=domain_id)["account"]
    keys = admin.ok("registerUserKeys", id=account["user"][0]["id"])["userkeys"]
    client = Client(admin.endpoint, keys["apikey"], keys["secretkey"], label=name)
    client.account = account
    return client


def test_offerings_limited_to_domains_and_zones(admin, tree, catalog):
    """Offerings carry domainid/zoneid; the owner of what is created must be allowed them (DomainChecker)."""
    zone = catalog["zone"]["id"]
    parent, child = tree["parent"], tree["child"]
    outsider = new_user(admin)
    # Network offering for the parent domain (and its subdomains).
    template = _isolated_offering(admin)
    offering = admin.ok("createNetworkOffering", name=unique("no"), displaytext="limited", guestiptype="Isolated",
                        traffictype="Guest", supportedservices="Dhcp,Dns,SourceNat,Firewall", enable=True,
                        domainid=parent["id"], zoneid=zone)["networkoffering"]
    assert (offering["domainid"], offering["zoneid"]) == (parent["id"], zone)
    assert offering["domain"] == parent["name"] and offering["zone"] == catalog["zone"]["name"]
    made = tree["in_child"].ok("createNetwork", name=unique("n"), displaytext="n", zoneid=zone,
                               networkofferingid=offering["id"])["network"]
    assert made["networkofferingid"] == offering["id"]
    code, text = outsider.error("createNetwork", name="n", displaytext="n", zoneid=zone, networkofferingid=offering["id"])
    assert code == 531 and text.startswith("There's no way to confirm Account [") \
        and 'has access to NetworkOffering {"id":' in text and offering["id"] in text
    # Nor may the outsider move a network of its own to it.
    own = outsider.ok("createNetwork", name=unique("n"), displaytext="n", zoneid=zone,
                      networkofferingid=template["id"])["network"]
    code, text = outsider.error("updateNetwork", id=own["id"], networkofferingid=offering["id"])
    assert code == 531 and "has access to NetworkOffering {" in text
    # Opening it to everyone (domainid=public) lets the outsider in.
    opened = admin.ok("updateNetworkOffering", id=offering["id"], domainid="public")["networkoffering"]
    assert "domainid" not in opened
    outsider.ok("createNetwork", name=unique("n"), displaytext="n", zoneid=zone, networkofferingid=offering["id"])
    assert template["id"] != offering["id"]
    # Service offering limited to the child domain: a user of the parent domain may not deploy with it.
    small = admin.ok("createServiceOffering", name=unique("so"), displaytext="so", cpunumber=1, cpuspeed=100,
                     memory=128, domainid=child["id"])["serviceoffering"]
    base = {"zoneid": zone, "templateid": catalog["template"]["id"], "serviceofferingid": small["id"]}
    code, text = tree["in_parent"].error("deployVirtualMachine", **base)
    assert code == 531 and "has access to Service offering {" in text
    vm = tree["in_child"].run("deployVirtualMachine", **base, networkids=made["id"])["virtualmachine"]
    assert vm["serviceofferingid"] == small["id"]
    # A zone restriction binds even the root admin.
    other_zone = admin.ok("createZone", name=unique("z"), networktype="Advanced", dns1="8.8.8.8",
                          internaldns1="10.0.0.1", guestcidraddress="10.1.0.0/16")["zone"]
    elsewhere = admin.ok("createDiskOffering", name=unique("do"), displaytext="do", disksize=1,
                         zoneid=other_zone["id"])["diskoffering"]
    code, text = admin.error("deployVirtualMachine", zoneid=zone, templateid=catalog["template"]["id"],
                             serviceofferingid=catalog["small"]["id"], diskofferingid=elsewhere["id"])
    assert code == 531 and "has access to DiskOffering {" in text


def test_vpc_offering_gets_source_nat_and_acl_and_is_limited(admin, tree, catalog):
    zone = catalog["zone"]["id"]
    offering = admin.run("createVPCOffering", name=unique("vo"), displaytext="vo", supportedservices="Dhcp,Dns",
                         enable=True, domainid=tree["child"]["id"])["vpcoffering"]
    services = {s["name"]: [p["name"] for p in s["provider"]] for s in offering["service"]}
    assert services == {"Dhcp": ["VpcVirtualRouter"], "Dns": ["VpcVirtualRouter"], "SourceNat": ["VpcVirtualRouter"],
                        "NetworkACL": ["VpcVirtualRouter"], "Gateway": ["VpcVirtualRouter"]}
    assert offering["domainid"] == tree["child"]["id"]
    listed = admin.items("listVPCOfferings", "vpcoffering", domainid=tree["child"]["id"], id=offering["id"])
    assert [o["id"] for o in listed] == [offering["id"]]
    base = {"name": "v", "displaytext": "v", "cidr": "10.70.0.0/16", "vpcofferingid": offering["id"], "zoneid": zone}
    code, text = tree["in_parent"].error("createVPC", **base)
    assert code == 531 and "has access to VPCOffering {" in text
    vpc = tree["in_child"].run("createVPC", **base)["vpc"]
    assert vpc["vpcofferingid"] == offering["id"]
    code, text = admin.error("createVPCOffering", name=unique("vo"), displaytext="vo", supportedservices="Dhcp,Firewall")
    assert (code, text) == (431, "Service Firewall is not supported in VPC")
    code, text = admin.error("createVPCOffering", name=unique("vo"), displaytext="vo", supportedservices="Dhcp",
                             serviceproviderlist=[{"service": "Lb", "provider": "VpcVirtualRouter"}])
    assert code == 431 and text == "Service Lb is not enabled for the network offering, can't add a provider to it"


def test_user_keys_for_users_of_the_same_account(admin, user, other_user):
    """AccountManagerImpl.getKeys/createApiKeyAndSecretKey: the users of one account may handle each other's keys
    (allow.operations.on.users.in.same.account, default true); another account's users are refused."""
    name = unique("second")
    second = admin.ok("createUser", account=user.account["name"], domainid=user.account["domainid"], username=name,
                      password="password", email=f"{name}@example.com", firstname="S", lastname="U")["user"]
    registered = user.ok("registerUserKeys", id=second["id"])["userkeys"]
    assert set(registered) == {"apikey", "secretkey"}
    assert user.ok("getUserKeys", id=second["id"])["userkeys"]["apikey"] == registered["apikey"]
    code, text = other_user.error("getUserKeys", id=second["id"])
    assert (code, text) == (531, "Caller does not have permission to operate with provided resource.")
    code, text = other_user.error("registerUserKeys", id=second["id"])
    assert code == 531
    # A user may not read the root admin's keys.
    root_user = admin.items("listUsers", "user", username="admin")[0]
    assert user.error("getUserKeys", id=root_user["id"])[0] == 531


def test_offering_cache_mode_is_checked(admin):
    for command, extra in (("createDiskOffering", {"disksize": 1}),
                           ("createServiceOffering", {"cpunumber": 1, "cpuspeed": 100, "memory": 128})):
        code, text = admin.error(command, name=unique("c"), displaytext="c", cachemode="fast", **extra)
        expected = ("Invalid cache mode (fast). Please specify one of the following valid cache mode parameters: "
                    "none, writeback or writethrough")
        assert (code, text) == (431, expected)
    offering = admin.ok("createDiskOffering", name=unique("c"), displaytext="c", disksize=1,
                        cachemode="WriteBack")["diskoffering"]
    assert offering["cacheMode"] == "writeback"
    code, _ = admin.error("updateDiskOffering", id=offering["id"], cachemode="sometimes")
    assert code == 431
    assert admin.ok("updateDiskOffering", id=offering["id"], cachemode="writethrough")["diskoffering"]["cacheMode"] \
        == "writethrough"


def test_update_account_refuses_an_empty_or_taken_name(admin, user, other_user):
    code, text = admin.error("updateAccount", id=user.account["id"], newname="")
    assert code == 431 and text.startswith("The new account name for account 'Account [{") \
        and text.endswith("is empty string. Account will be not renamed.")
    code, text = admin.error("updateAccount", id=user.account["id"], newname=other_user.account["name"])
    assert code == 431 and text.startswith(f"The account with the proposed name '{other_user.account['name']}' "
                                           "exists in the domain 'Domain {")


def test_delete_protection_refuses_destroy(user, deploy):
    vm = deploy(user)
    assert vm["deleteprotection"] is False
    protected = user.ok("updateVirtualMachine", id=vm["id"], deleteprotection=True)["virtualmachine"]
    assert protected["deleteprotection"] is True
    assert user.items("listVirtualMachines", "virtualmachine", id=vm["id"])[0]["deleteprotection"] is True
    code, text = user.failed("destroyVirtualMachine", id=vm["id"])
    expected = f"Instance [id = {vm['id']}, name = {vm['name']}] has delete protection enabled and cannot be deleted."
    assert (code, text) == (431, expected)
    assert user.items("listVirtualMachines", "virtualmachine", id=vm["id"])[0]["state"] == "Running"
    user.ok("updateVirtualMachine", id=vm["id"], deleteprotection=False)
    assert user.run("destroyVirtualMachine", id=vm["id"])["virtualmachine"]["state"] == "Destroyed"


def test_template_permission_texts(admin, user, other_user, catalog):
    ostype = admin.items("listOsTypes", "ostype", description="CentOS 7")[0]
    common = {"displaytext": "t", "format": "QCOW2", "hypervisor": "Simulator", "zoneid": catalog["zone"]["id"],
              "url": "http://example.org/t.qcow2", "ostypeid": ostype["id"]}
    private = user.ok("registerTemplate", name=unique("priv"), **common)["template"][0]
    public = user.ok("registerTemplate", name=unique("pub"), ispublic=True, **common)["template"][0]
    code, text = other_user.error("updateTemplate", id=private["id"], displaytext="x")
    assert code == 531 and "does not have permission to launch instances from template Template {" in text \
        and private["id"] in text
    code, text = other_user.error("updateTemplate", id=public["id"], displaytext="x")
    assert (code, text) == (531, "Domain Admin and regular users can modify only their own Public templates")


def test_changing_to_an_offering_of_another_domain_is_refused(admin, tree, user, deploy):
    vm = deploy(user)
    user.run("stopVirtualMachine", id=vm["id"])
    limited = admin.ok("createServiceOffering", name=unique("so"), displaytext="so", cpunumber=1, cpuspeed=200,
                       memory=256, domainid=tree["child"]["id"])["serviceoffering"]
    code, text = user.error("changeServiceForVirtualMachine", id=vm["id"], serviceofferingid=limited["id"])
    assert code == 531 and "has access to Service offering {" in text
    open_offering = admin.ok("createServiceOffering", name=unique("so"), displaytext="so", cpunumber=1, cpuspeed=200,
                             memory=256)["serviceoffering"]
    changed = user.ok("changeServiceForVirtualMachine", id=vm["id"], serviceofferingid=open_offering["id"])
    assert changed["virtualmachine"]["serviceofferingid"] == open_offering["id"]
