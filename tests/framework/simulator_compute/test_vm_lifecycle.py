"""VM life cycle over HTTP: deploy, start/stop/reboot, destroy/recover/expunge, the expunge sweep,
intermediate states, events."""
from __future__ import annotations

import ipaddress
import time

from compute_client import SLOW_SECONDS, Client, unique

from marvin2.simulator import start_simulator, timing


def vm_state(client: Client, vm_id: str, **extra) -> str | None:
    found = client.items("listVirtualMachines", "virtualmachine", id=vm_id, **extra)
    return found[0]["state"] if found else None


def test_deploy_answers_id_and_jobid_then_runs(admin, user, catalog):
    answer = user.ok("deployVirtualMachine", zoneid=catalog["zone"]["id"], serviceofferingid=catalog["small"]["id"],
                     templateid=catalog["template"]["id"], name=unique("vm"))
    assert set(answer) == {"id", "jobid"}
    job = user.wait(answer["jobid"])
    assert job["jobstatus"] == 1 and job["jobinstancetype"] == "VirtualMachine" and job["jobinstanceid"] == answer["id"]
    vm = job["jobresult"]["virtualmachine"]
    assert vm["id"] == answer["id"] and vm["state"] == "Running"
    assert vm["account"] == user.account["name"] and vm["serviceofferingname"] == "Small Instance"
    assert (vm["cpunumber"], vm["cpuspeed"], vm["memory"]) == (1, 500, 512)
    # The seeded template is password enabled: the deploy result carries the password once.
    assert vm["passwordenabled"] is True and len(vm["password"]) >= 6
    assert "password" not in user.items("listVirtualMachines", "virtualmachine", id=vm["id"])[0]
    # Users see neither the host nor the instance name.
    assert "hostid" not in vm and "instancename" not in vm
    nic = vm["nic"][0]
    assert nic["isdefault"] is True and nic["type"] == "Isolated"
    network = user.items("listNetworks", "network", id=nic["networkid"])[0]
    assert network["name"] == f"{user.account['name']}-network" and network["state"] == "Implemented"
    assert ipaddress.IPv4Address(nic["ipaddress"]) in ipaddress.IPv4Network(network["cidr"])
    routers = admin.items("listRouters", "router", networkid=network["id"], listall=True)
    assert len(routers) == 1 and routers[0]["state"] == "Running"
    listed = admin.items("listVirtualMachines", "virtualmachine", id=vm["id"], listall=True)[0]
    assert listed["hostid"] in {h["id"] for h in admin.items("listHosts", "host", type="Routing")}
    assert listed["instancename"].startswith("i-") and listed["instancename"].endswith("-VM")


def test_startvm_false_leaves_it_stopped_with_allocated_root(user, deploy):
    vm = deploy(user, startvm=False)
    assert vm["state"] == "Stopped"
    root = user.items("listVolumes", "volume", virtualmachineid=vm["id"], type="ROOT")[0]
    assert root["state"] == "Allocated"
    started = user.run("startVirtualMachine", id=vm["id"])["virtualmachine"]
    assert started["state"] == "Running"
    assert user.items("listVolumes", "volume", id=root["id"])[0]["state"] == "Ready"


def test_stop_start_reboot(user, deploy):
    vm = deploy(user)
    assert user.run("stopVirtualMachine", id=vm["id"])["virtualmachine"]["state"] == "Stopped"
    assert vm_state(user, vm["id"]) == "Stopped"
    # Stopping a stopped VM succeeds, rebooting it fails like a real server (530).
    assert user.run("stopVirtualMachine", id=vm["id"])["virtualmachine"]["state"] == "Stopped"
    assert user.failed("rebootVirtualMachine", id=vm["id"]) == (530, "Failed to reboot vm instance")
    assert user.run("startVirtualMachine", id=vm["id"])["virtualmachine"]["state"] == "Running"
    code, text = user.failed("startVirtualMachine", id=vm["id"])
    assert code == 431 and "is already running" in text
    assert user.run("rebootVirtualMachine", id=vm["id"])["virtualmachine"]["state"] == "Running"


def test_destroy_recover_expunge(admin, user, deploy):
    vm = deploy(user)
    destroyed = admin.run("destroyVirtualMachine", id=vm["id"])["virtualmachine"]
    assert destroyed["state"] == "Destroyed"
    assert admin.items("listVirtualMachines", "virtualmachine", id=vm["id"], listall=True, state="Destroyed")
    assert not admin.items("listVirtualMachines", "virtualmachine", id=vm["id"], listall=True, state="Present")
    # A user does not see destroyed VMs unless allow.user.view.destroyed.vm is set.
    assert vm_state(user, vm["id"]) is None
    root = admin.items("listVolumes", "volume", virtualmachineid=vm["id"], listall=True, type="ROOT")[0]
    assert root["state"] == "Destroy" and root["destroyed"] is True
    recovered = admin.ok("recoverVirtualMachine", id=vm["id"])["virtualmachine"]
    assert recovered["state"] == "Stopped" and vm_state(user, vm["id"]) == "Stopped"
    assert admin.items("listVolumes", "volume", id=root["id"], listall=True)[0]["state"] == "Ready"
    # Recovering a VM that is not destroyed is the real 431.
    code, text = admin.error("recoverVirtualMachine", id=vm["id"])
    assert code == 431 and text.startswith("vm is not in the right state")
    expunged = admin.run("destroyVirtualMachine", id=vm["id"], expunge=True)["virtualmachine"]
    assert expunged["state"] == "Expunging"
    assert not admin.items("listVirtualMachines", "virtualmachine", id=vm["id"], listall=True)
    assert not admin.items("listVolumes", "volume", id=root["id"], listall=True)
    # No VM is ever in an "Expunged" state on a real server: the filter finds nothing.
    assert admin.ok("listVirtualMachines", listall=True, state="Expunged") == {}
    code, text = admin.error("recoverVirtualMachine", id=vm["id"])
    assert code == 431 and text.startswith("unable to find a virtual machine with id ")
    assert admin.failed("expungeVirtualMachine", id=vm["id"])[0] == 431


def test_user_expunge_and_recover_need_the_setting(admin, user, deploy):
    vm = deploy(user)
    code, text = user.failed("destroyVirtualMachine", id=vm["id"], expunge=True)
    assert code == 531 and "allow.user.expunge.recover.vm" in text
    assert vm_state(user, vm["id"]) == "Running"          # the failed job changed nothing
    user.run("destroyVirtualMachine", id=vm["id"])
    code, text = user.error("recoverVirtualMachine", id=vm["id"])
    assert code == 531 and text.startswith("Recovering a vm can only be done by an Admin")
    code, _ = user.failed("expungeVirtualMachine", id=vm["id"])
    assert code == 531
    admin.ok("updateConfiguration", name="allow.user.expunge.recover.vm", value="true")
    try:
        assert user.ok("recoverVirtualMachine", id=vm["id"])["virtualmachine"]["state"] == "Stopped"
        user.run("destroyVirtualMachine", id=vm["id"])
        assert user.run("expungeVirtualMachine", id=vm["id"]) == {"success": True}
    finally:
        admin.ok("updateConfiguration", name="allow.user.expunge.recover.vm", value="false")
    assert not admin.items("listVirtualMachines", "virtualmachine", id=vm["id"], listall=True)


def test_expunge_of_a_vm_that_is_not_destroyed_fails(admin, user, deploy):
    vm = deploy(user)
    code, text = admin.failed("expungeVirtualMachine", id=vm["id"])
    assert code == 431 and text == f"Please destroy vm with uuid {vm['id']} before expunging"


def test_background_sweep_expunges_destroyed_vms(admin, user, deploy, sim):
    # instant profile: one configured second lasts 1/60 s, so the default expunge.delay (60) is ~1 s here.
    vm = deploy(user)
    admin.run("destroyVirtualMachine", id=vm["id"])
    assert vm_state(admin, vm["id"], listall=True) == "Destroyed"
    deadline = time.monotonic() + 10
    while vm_state(admin, vm["id"], listall=True) is not None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert vm_state(admin, vm["id"], listall=True) is None, "the expunge sweep did not remove the destroyed VM"
    assert not admin.items("listVolumes", "volume", virtualmachineid=vm["id"], listall=True)
    events = admin.items("listEvents", "event", type="VM.EXPUNGE", listall=True)
    assert any(e.get("resourceid") == vm["id"] for e in events)


def test_longer_expunge_delay_keeps_destroyed_vms(admin, user, deploy):
    admin.ok("updateConfiguration", name="expunge.delay", value="600")     # 10 s in the instant profile
    try:
        vm = deploy(user)
        admin.run("destroyVirtualMachine", id=vm["id"])
        time.sleep(2.5)
        assert vm_state(admin, vm["id"], listall=True) == "Destroyed"
    finally:
        admin.ok("updateConfiguration", name="expunge.delay", value="60")


def test_intermediate_states_are_visible(slow_sim):
    admin = Client(slow_sim.endpoint, slow_sim.admin_api_key, slow_sim.admin_secret_key, label="admin")
    zone = admin.items("listZones", "zone")[0]
    template = admin.items("listTemplates", "template", templatefilter="featured")[0]
    answer = admin.ok("deployVirtualMachine", zoneid=zone["id"], templateid=template["id"],
                      serviceofferingid=admin.items("listServiceOfferings", "serviceoffering", name="Small Instance")[0]["id"])
    assert vm_state(admin, answer["id"]) == "Starting"
    assert admin.wait(answer["jobid"])["jobresult"]["virtualmachine"]["state"] == "Running"
    vm_id = answer["id"]
    seen = []
    for command, during, after in (("stopVirtualMachine", "Stopping", "Stopped"),
                                   ("startVirtualMachine", "Starting", "Running")):
        job = admin.ok(command, id=vm_id)
        seen.append(vm_state(admin, vm_id))
        admin.wait(job["jobid"])
        assert vm_state(admin, vm_id) == after
    assert seen == ["Stopping", "Starting"]
    source = admin.items("listVirtualMachines", "virtualmachine", id=vm_id)[0]["hostid"]
    job = admin.ok("migrateVirtualMachine", virtualmachineid=vm_id, autoselect=True)
    assert vm_state(admin, vm_id) == "Migrating"
    result = admin.wait(job["jobid"])["jobresult"]["virtualmachine"]
    assert result["state"] == "Running" and result["hostid"] != source
    pending = admin.ok("queryAsyncJobResult", jobid=admin.ok("rebootVirtualMachine", id=vm_id)["jobid"])
    assert pending["jobstatus"] == 0 and "jobresult" not in pending and SLOW_SECONDS > 0


def test_events_are_recorded(admin, user, deploy):
    vm = deploy(user)
    user.run("stopVirtualMachine", id=vm["id"])
    types = {e["type"] for e in user.items("listEvents", "event") if e.get("resourceid") == vm["id"]}
    assert {"VM.CREATE", "VM.START", "VM.STOP"} <= types


def test_list_filters_and_paging(admin, user, deploy, catalog):
    names = [unique("lst") for _ in range(3)]
    vms = [deploy(user, name=n) for n in names]
    user.run("stopVirtualMachine", id=vms[0]["id"])
    mine = user.ok("listVirtualMachines", keyword="lst-")
    assert mine["count"] >= 3
    assert [v["name"] for v in user.items("listVirtualMachines", "virtualmachine", name=names[1])] == [names[1]]
    stopped = {v["id"] for v in user.items("listVirtualMachines", "virtualmachine", state="Stopped")}
    running = {v["id"] for v in user.items("listVirtualMachines", "virtualmachine", state="Running")}
    assert vms[0]["id"] in stopped and vms[1]["id"] in running and not stopped & running
    page = user.ok("listVirtualMachines", page=1, pagesize=1)
    assert len(page["virtualmachine"]) == 1 and page["count"] == len(user.items("listVirtualMachines", "virtualmachine"))
    assert user.ok("listVirtualMachines", page=10_000, pagesize=1) == {"count": page["count"]}
    assert user.ok("listVirtualMachines", name="no-such-vm") == {}
    by_template = user.items("listVirtualMachines", "virtualmachine", templateid=catalog["template"]["id"])
    assert {v["id"] for v in vms} <= {v["id"] for v in by_template}
    network = vms[0]["nic"][0]["networkid"]
    assert {v["id"] for v in vms} <= {v["id"] for v in user.items("listVirtualMachines", "virtualmachine", networkid=network)}
    # The admin sees them only when listing everything (or naming the account).
    assert vms[0]["id"] not in {v["id"] for v in admin.items("listVirtualMachines", "virtualmachine")}
    assert vms[0]["id"] in {v["id"] for v in admin.items("listVirtualMachines", "virtualmachine", listall=True)}
    named = admin.items("listVirtualMachines", "virtualmachine", account=user.account["name"],
                        domainid=user.account["domainid"])
    assert {v["id"] for v in vms} <= {v["id"] for v in named}


RACE_PROFILE = "compute-test-race"
RACE_DEPLOY_SECONDS = 1.0


def _race_simulator(monkeypatch):
    """A simulator whose deploys take RACE_DEPLOY_SECONDS and every other job none."""
    monkeypatch.setitem(timing.PROFILES, RACE_PROFILE, {"default": 0.0, "deployVirtualMachine": RACE_DEPLOY_SECONDS})
    return start_simulator(port=0, profile=RACE_PROFILE, seed="default")


def _deploy_args(admin: Client) -> dict:
    return {"zoneid": admin.items("listZones", "zone")[0]["id"],
            "templateid": admin.items("listTemplates", "template", templatefilter="featured")[0]["id"],
            "serviceofferingid": admin.items("listServiceOfferings", "serviceoffering")[0]["id"]}


def _job(client: Client, jobid: str) -> dict:
    return client.ok("queryAsyncJobResult", jobid=jobid)


def test_destroy_while_the_deploy_job_is_queued(monkeypatch):
    # As on a real server, jobs on one VM run in submission order: the destroy waits for the deploy,
    # which succeeds (Running), then destroys the Running VM.
    simulator = _race_simulator(monkeypatch)
    try:
        admin = Client(simulator.endpoint, simulator.admin_api_key, simulator.admin_secret_key, label="admin")
        deploying = admin.ok("deployVirtualMachine", **_deploy_args(admin))
        destroy_jobid = admin.ok("destroyVirtualMachine", id=deploying["id"])["jobid"]
        # However often we look, the destroy never ends before the deploy.
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            destroy = _job(admin, destroy_jobid)
            deploy = _job(admin, deploying["jobid"])
            assert destroy["jobstatus"] == 0 or deploy["jobstatus"] != 0, (deploy, destroy)
            if destroy["jobstatus"] != 0:
                break
            time.sleep(0.02)
        deploy_job, destroy_job = admin.wait(deploying["jobid"]), admin.wait(destroy_jobid)
        assert (deploy_job["jobstatus"], deploy_job["jobresult"]["virtualmachine"]["state"]) == (1, "Running")
        assert (destroy_job["jobstatus"], destroy_job["jobresult"]["virtualmachine"]["state"]) == (1, "Destroyed")
        assert deploy_job["completed"] <= destroy_job["completed"]
        assert admin.items("listVirtualMachines", "virtualmachine", id=deploying["id"])[0]["state"] == "Destroyed"
    finally:
        simulator.stop()


def test_jobs_of_one_vm_queue_while_jobs_of_other_vms_run(monkeypatch):
    simulator = _race_simulator(monkeypatch)
    try:
        admin = Client(simulator.endpoint, simulator.admin_api_key, simulator.admin_secret_key, label="admin")
        args = _deploy_args(admin)
        other = admin.wait(admin.ok("deployVirtualMachine", **args)["jobid"])["jobresult"]["virtualmachine"]
        slow = admin.ok("deployVirtualMachine", **args)                   # its job takes RACE_DEPLOY_SECONDS
        queued = [admin.ok("stopVirtualMachine", id=slow["id"])["jobid"],   # behind the deploy, in this order
                  admin.ok("startVirtualMachine", id=slow["id"])["jobid"],
                  admin.ok("stopVirtualMachine", id=slow["id"])["jobid"]]
        # A job on another VM takes its own (zero) duration: it ends while the slow deploy is still pending.
        stopped_other = admin.wait(admin.ok("stopVirtualMachine", id=other["id"])["jobid"], timeout=RACE_DEPLOY_SECONDS)
        assert stopped_other["jobstatus"] == 1
        assert _job(admin, slow["jobid"])["jobstatus"] == 0
        assert all(_job(admin, jobid)["jobstatus"] == 0 for jobid in queued)
        results = [admin.wait(jobid) for jobid in [slow["jobid"], *queued]]
        assert [r["jobstatus"] for r in results] == [1, 1, 1, 1], results
        states = [r["jobresult"]["virtualmachine"]["state"] for r in results]
        assert states == ["Running", "Stopped", "Running", "Stopped"]
        completed = [r["completed"] for r in results]
        assert completed == sorted(completed)
    finally:
        simulator.stop()


def test_delete_account_expunges_its_vms_and_volumes(admin, catalog, deploy):
    from compute_client import new_user

    doomed = new_user(admin)
    vm = deploy(doomed, diskofferingid=catalog["disk"]["Small"]["id"])
    pair = doomed.ok("createSSHKeyPair", name=unique("key"))["keypair"]
    assert admin.run("deleteAccount", id=doomed.account["id"]) == {"success": True}
    assert not admin.items("listVirtualMachines", "virtualmachine", id=vm["id"], listall=True)
    assert not admin.items("listVolumes", "volume", virtualmachineid=vm["id"], listall=True)
    assert not [p for p in admin.items("listSSHKeyPairs", "sshkeypair", listall=True) if p["id"] == pair["id"]]
