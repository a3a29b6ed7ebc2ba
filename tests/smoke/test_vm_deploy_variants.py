"""Deploy variants: user data sent by POST, startvm=false, root disk size,
a data disk at deploy time, SSH key pairs, and ``extraconfig`` (DPDK).
"""
import urllib.parse

import pytest

from marvin2 import resources as r
from marvin2.client import CloudStackError

from .helpers import GIB, b64, host_of, only

pytestmark = pytest.mark.tags("deploy-vm", "smoke", "advanced")

# The DPDK example of the CloudStack documentation: two extra configuration
# blocks, each "name:" then the libvirt XML, separated by a blank line, and
# the whole text URL-encoded as the value of `extraconfig`.
DPDK_HUGEPAGES = "<memoryBacking><hugepages/></memoryBacking>"
DPDK_NUMA = "<cpu><numa><cell id='0' cpus='0' memory='9437184' unit='KiB' memAccess='shared'/></numa></cpu>"
DPDK_EXTRACONFIG = urllib.parse.quote(f"dpdk-hugepages:\n{DPDK_HUGEPAGES}\n\ndpdk-numa:\n{DPDK_NUMA}", safe="")


@pytest.mark.tags("quick-test")
def test_user_data_larger_than_a_get_allows_is_sent_by_post(deploy_vm, user_api):
    # Over 4 KB of base64: only a POST can carry it (the client POSTs every non-read API).
    script = "#!/bin/sh\n" + "".join(f"echo marvin2 line {i}\n" for i in range(400))
    userdata = b64(script)
    assert len(userdata) > 4096

    vm = deploy_vm(userdata=userdata)
    assert vm.state == "Running"
    answer = user_api.getVirtualMachineUserData(virtualmachineid=vm.id)
    assert answer.virtualmachineid == vm.id
    assert answer.userdata == userdata
    listed = only(user_api.listVirtualMachines(id=vm.id, userdata=True))
    assert listed.userdata == userdata


def test_user_data_is_not_listed_unless_asked(deploy_vm, user_api):
    vm = deploy_vm(userdata=b64("#cloud-config\n"))
    assert "userdata" not in only(user_api.listVirtualMachines(id=vm.id))


def test_deploy_without_starting(deploy_vm, user_api, cloud):
    vm = deploy_vm(startvm=False)
    assert vm.state == "Stopped"
    assert not host_of(cloud, vm.id), "a VM that never started is on no host"
    root = only(user_api.listVolumes(virtualmachineid=vm.id, type="ROOT"), "ROOT volume")
    assert root.virtualmachineid == vm.id

    started = r.start_vm(user_api, vm.id)
    assert started.state == "Running"
    assert host_of(cloud, vm.id)


def test_root_disk_size_at_deploy(deploy_vm, user_api, template):
    template_gib = -(-int(template.get("size") or 0) // GIB)  # round up
    wanted = max(template_gib + 2, 12)
    vm = deploy_vm(rootdisksize=wanted)
    root = only(user_api.listVolumes(virtualmachineid=vm.id, type="ROOT"), "ROOT volume")
    assert int(root.size) == wanted * GIB


def test_data_disk_at_deploy(deploy_vm, user_api, disk_offering):
    vm = deploy_vm(diskofferingid=disk_offering.id)
    volumes = user_api.listVolumes(virtualmachineid=vm.id)
    assert sorted(v.type for v in volumes) == ["DATADISK", "ROOT"]
    data = next(v for v in volumes if v.type == "DATADISK")
    assert data.diskofferingid == disk_offering.id
    assert data.state == "Ready"


@pytest.mark.tags("ssh-keys")
def test_deploy_with_an_ssh_key_pair(deploy_vm, make, user_api):
    pair = make.keypair()
    vm = deploy_vm(keypair=pair.name)
    listed = only(user_api.listVirtualMachines(id=vm.id))
    names = listed.get("keypairs") or listed.get("keypair") or ""
    assert pair.name in [n.strip() for n in names.split(",")]


@pytest.mark.tags("negative")
def test_extraconfig_is_refused_when_additional_configuration_is_disabled(deploy_vm, global_settings, test_account, user_api):
    global_settings.set("enable.additional.vm.configuration", "false", accountid=test_account.id)
    with pytest.raises(CloudStackError) as refused:
        deploy_vm(extraconfig=DPDK_EXTRACONFIG)
    assert refused.value.errorcode == 431
    assert "enable.additional.vm.configuration" in refused.value.errortext


def _deploy_with_dpdk(deploy_vm, global_settings, test_account, cloud):
    # DPDK blocks ("dpdk-..." names) are exempt from the KVM allow list; only
    # additional configuration must be enabled for the account.
    global_settings.set("enable.additional.vm.configuration", "true", accountid=test_account.id)
    vm = deploy_vm(extraconfig=DPDK_EXTRACONFIG)
    assert vm.state == "Running"
    details = only(cloud.listVirtualMachines(id=vm.id, listall=True)).get("details") or {}
    assert details.get("extraconfig-dpdk-hugepages") == DPDK_HUGEPAGES
    assert details.get("extraconfig-dpdk-numa") == DPDK_NUMA


@pytest.mark.hypervisor("KVM")
def test_deploy_with_dpdk_extraconfig(deploy_vm, global_settings, test_account, cloud):
    _deploy_with_dpdk(deploy_vm, global_settings, test_account, cloud)


@pytest.mark.tags("simulator-only")
@pytest.mark.requires("simulator")
def test_deploy_with_dpdk_extraconfig_on_the_simulator(deploy_vm, global_settings, test_account, cloud):
    # A real management server takes extraconfig only for KVM, XenServer and
    # VMware hosts; the marvin2 simulator stores it as KVM does, so that the
    # URL-encoded DPDK path is exercised without a KVM host.
    _deploy_with_dpdk(deploy_vm, global_settings, test_account, cloud)
