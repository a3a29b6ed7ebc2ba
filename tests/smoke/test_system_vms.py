"""System VMs: the console proxy and the secondary storage VM of the zone."""
import pytest

from marvin2.client import CloudStackError

from .helpers import only

pytestmark = pytest.mark.tags("system-vms", "smoke", "advanced")


@pytest.mark.tags("quick-test")
def test_zone_has_a_running_console_proxy_and_storage_vm(cloud, zone):
    system_vms = cloud.listSystemVms(zoneid=zone.id) or []
    by_type = {}
    for vm in system_vms:
        by_type.setdefault(vm.systemvmtype, []).append(vm)
    for kind in ("consoleproxy", "secondarystoragevm"):
        assert by_type.get(kind), f"the zone has a {kind}"
        assert any(vm.state == "Running" for vm in by_type[kind])
    for vm in system_vms:
        assert vm.zoneid == zone.id
        if vm.state == "Running":
            assert vm.hostid and vm.get("privateip")


def test_filter_by_type(cloud, zone):
    proxies = cloud.listSystemVms(zoneid=zone.id, systemvmtype="consoleproxy") or []
    assert proxies and {vm.systemvmtype for vm in proxies} == {"consoleproxy"}


@pytest.mark.serial
@pytest.mark.tags("disruptive")
def test_reboot_the_console_proxy(cloud, zone):
    proxy = next(vm for vm in cloud.listSystemVms(zoneid=zone.id, systemvmtype="consoleproxy") if vm.state == "Running")
    rebooted = cloud.rebootSystemVm(id=proxy.id)
    assert (rebooted.id, rebooted.state) == (proxy.id, "Running")


@pytest.mark.serial
@pytest.mark.tags("disruptive")
def test_stop_and_start_the_storage_vm(cloud, zone, cleanup_stack):
    ssvm = next(vm for vm in cloud.listSystemVms(zoneid=zone.id, systemvmtype="secondarystoragevm")
                if vm.state == "Running")
    # Whatever happens, the zone gets its storage VM back.
    cleanup_stack.push(_ensure_running, cloud, ssvm.id, description=f"start system VM {ssvm.id}")
    stopped = cloud.stopSystemVm(id=ssvm.id)
    assert stopped.state == "Stopped"
    started = cloud.startSystemVm(id=ssvm.id)
    assert started.state == "Running"
    assert only(cloud.listSystemVms(id=ssvm.id)).state == "Running"


def _ensure_running(cloud, vm_id):
    if only(cloud.listSystemVms(id=vm_id)).state == "Stopped":
        cloud.startSystemVm(id=vm_id)


@pytest.mark.tags("negative", "roles")
def test_users_may_not_list_system_vms(user_api, user_api_full_spec):
    assert "listSystemVms" not in user_api.spec
    with pytest.raises(CloudStackError) as refused:
        user_api_full_spec.listSystemVms()
    assert refused.value.errorcode == 432
