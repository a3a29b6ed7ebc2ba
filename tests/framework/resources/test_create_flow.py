"""Helpers report a new resource the moment its id exists, tag it, and delete it properly."""
from __future__ import annotations

import pytest
from resource_fakes import FakeCloud

from marvin2.client.errors import AsyncJobFailed, CloudStackError
from marvin2 import resources as r


def test_failed_async_create_still_registers_cleanup_of_the_half_made_resource():
    cloud = FakeCloud()
    cloud.fail_job["deployVirtualMachine"] = AsyncJobFailed(
        "deployVirtualMachine", 533, "Unable to create a deployment for VM", jobid="j-1")
    stack = r.CleanupStack()
    with pytest.raises(AsyncJobFailed):
        r.deploy_vm(cloud, zoneid="z", serviceofferingid="so", templateid="t", run_id="run1",
                    on_created=r.tracker(stack, cloud))
    (vm_id,) = cloud.ids("vm")
    assert cloud.resources["vm"][vm_id]["state"] == "Error"
    assert len(stack) == 1
    stack.run()
    assert cloud.ids("vm") == set()


def test_on_created_is_called_before_the_job_is_waited_for():
    cloud = FakeCloud()
    order = []
    original = cloud.wait_for_job
    cloud.wait_for_job = lambda jobid, **kw: (order.append(("wait", kw.get("command"))), original(jobid))[1]
    r.create_volume(cloud, zoneid="z", diskofferingid="d", run_id="run1",
                    on_created=lambda created: order.append(("created", created.kind, created.command)))
    assert order == [("created", "volume", "createVolume"), ("wait", "createVolume")]


def test_async_create_without_early_id_reports_after_the_job():
    cloud = FakeCloud()
    seen = []
    vpc = r.create_vpc(cloud, zoneid="z", vpcofferingid="o", run_id="run1", on_created=seen.append)
    assert [c.id for c in seen] == [vpc.id]
    assert seen[0].record is not None and seen[0].name == vpc.name


def test_sync_create_returns_the_inner_record_and_is_tagged_with_the_run():
    cloud = FakeCloud()
    net = r.create_network(cloud, zoneid="z", networkofferingid="o", run_id="run-42", purpose="shared net")
    assert net.id in cloud.ids("network")
    assert net.name.startswith("m2-run-42-shared-net-")
    assert cloud.tags == [{"resourceid": net.id, "resourcetype": "Network", "key": "marvin2-run", "value": "run-42"}]


def test_tagging_refused_does_not_break_the_create(caplog):
    cloud = FakeCloud()

    def refuse(**params):
        raise CloudStackError("createTags", 530, "tags are disabled here")

    cloud.hooks["createTags"] = refuse
    vol = r.create_volume(cloud, zoneid="z", diskofferingid="d", run_id="run1")
    assert vol.id in cloud.ids("volume")
    assert "could not tag" in caplog.text


def test_no_run_id_means_no_tag():
    cloud = FakeCloud()
    r.create_network(cloud, zoneid="z", networkofferingid="o")
    assert "createTags" not in cloud.commands()


def test_vm_delete_expunges():
    cloud = FakeCloud()
    vm = cloud.add("vm")
    r.delete_resource(cloud, "vm", vm.id)
    assert cloud.calls[-1] == ("destroyVirtualMachine", {"id": vm.id, "expunge": True})
    assert cloud.ids("vm") == set()


def test_vm_delete_without_expunge_permission_falls_back_to_destroy():
    cloud = FakeCloud()
    cloud.expunge_allowed = False
    vm = cloud.add("vm")
    r.delete_resource(cloud, "vm", vm.id)
    assert cloud.resources["vm"][vm.id]["state"] == "Destroyed"
    assert cloud.calls[-1] == ("destroyVirtualMachine", {"id": vm.id})


def test_vm_already_destroyed_gets_expunged():
    cloud = FakeCloud()
    vm = cloud.add("vm", state="Destroyed")
    assert r.delete_resource(cloud, "vm", vm.id) is True
    assert "expungeVirtualMachine" in cloud.commands()
    assert cloud.ids("vm") == set()


def test_attached_volume_is_detached_before_delete():
    cloud = FakeCloud()
    vol = cloud.add("volume", virtualmachineid="vm-1", type="DATADISK", state="Ready")
    r.delete_resource(cloud, "volume", vol.id)
    assert [c for c in cloud.commands() if c != "listVolumes"] == ["detachVolume", "deleteVolume"]
    assert cloud.ids("volume") == set()


def test_account_with_keys_hides_secret_in_repr():
    cloud = FakeCloud()
    keys = r.create_account_with_keys(cloud, domainid="d1", run_id="run1")
    assert keys.api_key.startswith("key-") and keys.secret_key.startswith("secret-")
    assert keys.secret_key not in repr(keys) and keys.password not in repr(keys)
    assert keys.name.startswith("m2-run1-acct-")
    params = dict(cloud.calls[0][1])
    assert params["accounttype"] == 0 and params["domainid"] == "d1" and len(params["password"]) >= 16


def test_create_template_needs_a_source():
    with pytest.raises(ValueError, match="volumeid= or snapshotid="):
        r.create_template(FakeCloud(), ostypeid="os")


def test_unique_names_are_unique_short_and_carry_the_run():
    names = {r.unique_name("a very long purpose " * 10, "20260101-000000-abcdef") for _ in range(200)}
    assert len(names) == 200
    for name in names:
        assert len(name) <= 63
        assert name.startswith(r.run_marker("20260101-000000-abcdef"))
        assert all(ch.isalnum() or ch == "-" for ch in name)
