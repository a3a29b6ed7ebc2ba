"""The plugin's ``make``, ``module_make``, ``global_settings``, ``user_api_full_spec``, ``job_timeout`` and
``ssh_to_guest`` fixtures, in a pytester pack against the simulator (instant profile, in this process).

Everything ``make`` creates is in the run's ledger, deleted after its test
(the admin deletes what users own), and the cloud ends as it started; a
global setting comes back after its test and may only be changed by a
``serial`` test; ``ssh_to_guest`` logs in with the config's test_data and
closes its session after the test (against a tiny SSH server on loopback).
"""
from __future__ import annotations

import textwrap
from pathlib import Path

RESOURCES_TESTS = Path(__file__).resolve().parent.parent / "resources"

# What `make` may create, as the admin lists it: a clean run leaves these as they were.
INVENTORY = {
    "role": ("listRoles", {}), "service_offering": ("listServiceOfferings", {}),
    "disk_offering": ("listDiskOfferings", {}), "network_offering": ("listNetworkOfferings", {}),
    "project": ("listProjects", {"listall": True}), "ssh_keypair": ("listSSHKeyPairs", {"listall": True}),
    "affinity_group": ("listAffinityGroups", {"listall": True}),
    "security_group": ("listSecurityGroups", {"listall": True}),
    "iso": ("listIsos", {"listall": True, "isofilter": "all"}),
    "template": ("listTemplates", {"listall": True, "templatefilter": "all"}),
    "account": ("listAccounts", {"listall": True}), "domain": ("listDomains", {"listall": True}),
    "network": ("listNetworks", {"listall": True}), "vpc": ("listVPCs", {"listall": True}),
    "vm": ("listVirtualMachines", {"listall": True}),
    "public_ip": ("listPublicIpAddresses", {"listall": True, "allocatedonly": True}),
    "lb_rule": ("listLoadBalancerRules", {"listall": True}), "tag": ("listTags", {"listall": True}),
}

PACK_CONFTEST = f"""
import sys
import pytest
sys.path.insert(0, {str(RESOURCES_TESTS)!r})
from test_ssh import TinySshServer, paramiko

@pytest.fixture(scope="session")
def guest():
    server = TinySshServer(paramiko.RSAKey.generate(1024))
    yield server
    server.close()
"""

PACK = '''
import pytest
from marvin2.client import CloudStackError

SHELLS = []


@pytest.fixture(scope="module")
def module_domain(module_make):
    return module_make.domain(purpose="moddom")


def test_identity(make, cloud, module_domain):
    role = make.role(type="User")
    keys = make.account(roleid=role.id, domainid=module_domain.id)
    other = make.api_for(keys)
    assert other.listAccounts()[0].name == keys.name
    make.keypair(api=other, purpose="otherkey")
    make.user(keys.account)
    child = make.domain(parentdomainid=module_domain.id)
    make.domain_admin(child.id)
    make.project()
    tracked = make.track("role", cloud.createRole(name=make.name("own"), type="User"), command="createRole", api=cloud)
    assert tracked.name.startswith("m2-")


def test_catalog(make, user_api):
    make.service_offering()
    make.disk_offering(customized=True)
    make.network_offering(guestiptype="Isolated", supportedservices=["Dhcp", "Dns"])
    iso = make.iso()
    assert iso.account == user_api.listAccounts()[0].name
    make.register_template()
    make.affinity_group()
    make.security_group()
    make.keypair()


def test_network_things(make, create_network, deploy_vm, acquire_public_ip, create_vpc, user_api):
    network = create_network()
    vm = deploy_vm(networkids=[network.id])
    make.egress_rule(networkid=network.id, startport=80, endport=80)
    make.lb_rule(publicipid=acquire_public_ip(networkid=network.id).id)
    make.static_nat(ipaddressid=acquire_public_ip(networkid=network.id).id, virtualmachineid=vm.id)
    make.tags("UserVm", [vm.id], {"pack": "make"})
    root = user_api.listVolumes(virtualmachineid=vm.id, type="ROOT")[0]
    make.snapshot_policy(volumeid=root.id)
    vpc = create_vpc()
    tier = make.vpc_tier(vpc, gateway="10.1.1.1")
    acl = make.acl_list(vpcid=vpc.id)
    make.acl_rule(aclid=acl.id, number=1, cidrlist=["10.0.0.0/8"], startport=22, endport=22, traffictype="Ingress")
    assert tier.vpcid == vpc.id


@pytest.mark.serial
def test_global_value_in_a_serial_test(global_settings, cloud):
    global_settings.set("expunge.delay", "7")
    assert global_settings.get("expunge.delay") == "7"


def test_global_value_outside_serial_is_refused(global_settings):
    global_settings.set("expunge.delay", "8")


def test_scoped_value_needs_no_serial(global_settings, test_account):
    global_settings.set("allow.user.expunge.recover.vm", "true", accountid=test_account.id)
    assert global_settings.get("allow.user.expunge.recover.vm", accountid=test_account.id) == "true"


def test_full_spec_user_and_job_timeout(user_api_full_spec, job_timeout):
    assert job_timeout == 45.0
    with pytest.raises(CloudStackError) as caught:
        user_api_full_spec.listHosts()
    assert caught.value.errorcode == 432


def test_ssh_to_guest(ssh_to_guest, guest):
    shell = ssh_to_guest("127.0.0.1", guest.port, timeout=10)
    SHELLS.append(shell)
    assert shell.run("hostname", timeout=5) == (0, "guest-1\\n", "")
    assert "S3cret" not in repr(shell)


def test_the_ssh_session_was_closed_after_its_test():
    assert len(SHELLS) == 1 and not SHELLS[0].client.get_transport()
'''


def inventory(api) -> dict[str, set[str]]:
    found = {}
    for kind, (command, params) in INVENTORY.items():
        records = api.call(command, dict(params)) or []
        found[kind] = {r.get("id") or f"{r['resourceid']}/{r['key']}" for r in records}
    return found


def test_make_records_everything_and_settings_come_back(pytester, simulator, admin, sim_config):
    from marvin2.resources.ledger import read_ledger

    before = inventory(admin)
    delay = admin.listConfigurations(name="expunge.delay")[0].value
    pytester.makefile(".yaml", marvin=sim_config(simulator, job_timeout=45, extra=(
        "test_data:\n  ssh_username: root\n  ssh_password: S3cret-guest-pw\n")))
    pytester.makeconftest(PACK_CONFTEST)
    pytester.makepyfile(test_make_pack=textwrap.dedent(PACK))
    results = pytester.path / "results"
    result = pytester.runpytest("--marvin-config", "marvin.yaml", "--results-dir", str(results), "--run-id", "make",
                                "-p", "no:cacheprovider", "-p", "no:benchmark")
    result.assert_outcomes(passed=8, failed=1)
    result.stdout.fnmatch_lines(["*test_global_value_outside_serial_is_refused*changes the global setting "
                                 "'expunge.delay': mark it @pytest.mark.serial*"])

    ledger = read_ledger(results, run_id="make")
    kinds = {r.kind for r in ledger}
    assert kinds >= {"role", "account", "user", "domain", "ssh_keypair", "project", "service_offering",
                     "disk_offering", "network_offering", "iso", "template", "affinity_group", "security_group",
                     "egress_rule", "lb_rule", "snapshot_policy", "acl_list", "acl_rule", "network", "vpc"}, kinds
    assert {r.status for r in ledger} <= {"deleted", "already-gone"}, [r.describe() for r in ledger if r.outstanding]
    assert all(r.created.get("test") for r in ledger)
    # A resource made through make.api_for(keys) is recorded as that account's.
    other_pair = next(r for r in ledger if r.kind == "ssh_keypair" and "otherkey" in (r.created.get("name") or ""))
    assert other_pair.created["owner"].startswith("m2-make-acct-")
    module_domain = next(r for r in ledger if r.kind == "domain" and "moddom" in (r.created.get("name") or ""))
    assert module_domain.created["test"].endswith("test_make_pack.py")   # module_make: the module's resource
    assert (results / "ledger-summary.json").exists() and not (results / "leaks.json").exists()

    assert inventory(admin) == before
    assert admin.listConfigurations(name="expunge.delay")[0].value == delay
