"""A simulator restarted on its file database settles what its cut jobs were doing:
a VM left Starting becomes Stopped, a snapshot left BackingUp becomes Error, and
both can then be removed (so `marvin2 cleanup` can clean up after a crash)."""
from __future__ import annotations

from compute_client import Client

from marvin2.simulator import start_simulator, timing


def test_resources_of_cut_jobs_end_in_a_state_cleanup_can_remove(tmp_path, monkeypatch):
    for command in ("deployVirtualMachine", "createSnapshot"):
        monkeypatch.setitem(timing.PROFILES["realistic"], command, 30.0)  # still running when the simulator stops
    db = str(tmp_path / "sim.sqlite")
    sim = start_simulator(db=db, profile="instant", seed="default")
    admin = Client(sim.endpoint, sim.admin_api_key, sim.admin_secret_key, label="admin")
    zone = admin.items("listZones", "zone")[0]
    offering = admin.items("listServiceOfferings", "serviceoffering", name="Small Instance")[0]
    template = admin.items("listTemplates", "template", templatefilter="featured")[0]
    ready = admin.run("deployVirtualMachine", zoneid=zone["id"], serviceofferingid=offering["id"],
                      templateid=template["id"])["virtualmachine"]
    volume = admin.items("listVolumes", "volume", virtualmachineid=ready["id"])[0]
    sim.stop()

    slow = start_simulator(db=db, profile="realistic", seed="default")
    admin = Client(slow.endpoint, slow.admin_api_key, slow.admin_secret_key, label="admin")
    starting = admin.ok("deployVirtualMachine", zoneid=zone["id"], serviceofferingid=offering["id"],
                        templateid=template["id"])
    snapshot = admin.ok("createSnapshot", volumeid=volume["id"])
    vm_id, snapshot_id = starting["id"], snapshot["id"]
    assert admin.items("listVirtualMachines", "virtualmachine", id=vm_id)[0]["state"] == "Starting"
    assert admin.items("listSnapshots", "snapshot", id=snapshot_id)[0]["state"] in ("BackingUp", "Creating", "Allocated")
    slow.stop()

    again = start_simulator(db=db, profile="instant", seed="default")
    try:
        admin = Client(again.endpoint, again.admin_api_key, again.admin_secret_key, label="admin")
        assert admin.items("listVirtualMachines", "virtualmachine", id=vm_id)[0]["state"] == "Stopped"
        assert admin.items("listSnapshots", "snapshot", id=snapshot_id)[0]["state"] == "Error"
        admin.run("deleteSnapshot", id=snapshot_id)
        admin.run("destroyVirtualMachine", id=vm_id, expunge=True)
        assert admin.items("listSnapshots", "snapshot", id=snapshot_id) == []
        assert admin.items("listVirtualMachines", "virtualmachine", id=vm_id) == []
    finally:
        again.stop()
