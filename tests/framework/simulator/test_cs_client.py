"""The independent PyPI client ``cs`` (library and CLI), unchanged, against the simulator."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from cs import CloudStack, CloudStackApiException

from marvin2.simulator.declare import REGISTRY


@pytest.fixture(scope="module")
def cs_admin(sim):
    return CloudStack(endpoint=sim.endpoint, key=sim.admin_api_key, secret=sim.admin_secret_key,
                      poll_interval=0.05, job_timeout=30, timeout=10)


def test_cs_library_scenario(sim, cs_admin):
    zones = cs_admin.listZones()
    assert zones["count"] == 1 and zones["zone"][0]["name"] == "Sandbox-simulator"
    # signed POST (cs signs v3 with expires by default), then a user of our own
    domain = cs_admin.createDomain(name="cs-land")["domain"]
    account = CloudStack(endpoint=sim.endpoint, key=sim.admin_api_key, secret=sim.admin_secret_key, method="post") \
        .createAccount(username="csuser", password="secret-pw", email="c@s.org", firstname="C", lastname="S",
                       accounttype=0, domainid=domain["id"])["account"]
    keys = cs_admin.registerUserKeys(id=account["user"][0]["id"])["userkeys"]
    user = CloudStack(endpoint=sim.endpoint, key=keys["apikey"], secret=keys["secretkey"], poll_interval=0.05)
    assert user.listAccounts()["account"][0]["name"] == "csuser"
    # a failing call keeps its error code
    with pytest.raises(CloudStackApiException) as caught:
        user.listHosts()
    assert caught.value.error["errorcode"] == 432
    with pytest.raises(CloudStackApiException) as caught:
        cs_admin.listZones(id="00000000-0000-0000-0000-000000000000")
    assert caught.value.error["errorcode"] == 431
    # async job waited by cs's own poller
    zone = zones["zone"][0]
    result = cs_admin.createTags(resourceids=zone["id"], resourcetype="Zone", tags=[{"key": "via", "value": "cs"}],
                                 fetch_result=True)
    assert result == {"success": True}
    assert cs_admin.listZones(tags=[{"key": "via", "value": "cs"}])["count"] == 1
    # cs walks pages itself
    everything = cs_admin.listConfigurations(fetch_list=True, pagesize=7)
    assert len(everything) == cs_admin.listConfigurations()["count"] > 7


def test_cs_deploys_a_vm_to_running(sim, cs_admin):
    assert "deployVirtualMachine" in REGISTRY.apis, "the VM module (apis/compute.py) should declare deployVirtualMachine"
    zone = cs_admin.listZones()["zone"][0]
    template = cs_admin.listTemplates(templatefilter="featured", zoneid=zone["id"])["template"][0]
    offering = [o for o in cs_admin.listServiceOfferings()["serviceoffering"] if o["name"] == "Small Instance"][0]
    vm = cs_admin.deployVirtualMachine(zoneid=zone["id"], templateid=template["id"], serviceofferingid=offering["id"],
                                       fetch_result=True)["virtualmachine"]
    assert vm["state"] == "Running"
    listed = cs_admin.listVirtualMachines(id=vm["id"])["virtualmachine"][0]
    assert listed["state"] == "Running"


# `python -m cs` is the cs package's own command line (the `cs` script runs the
# same entry point); it needs no PATH lookup, so the test cannot be skipped away.
CS_COMMAND = [sys.executable, "-m", "cs"]


def test_cs_command_line(sim):
    env = dict(os.environ, CLOUDSTACK_ENDPOINT=sim.endpoint, CLOUDSTACK_KEY=sim.admin_api_key,
               CLOUDSTACK_SECRET=sim.admin_secret_key, CLOUDSTACK_POLL_INTERVAL="0.05", CLOUDSTACK_TIMEOUT="10")
    env.pop("CLOUDSTACK_OVERRIDES", None)
    out = subprocess.run([*CS_COMMAND, "listZones", "name=Sandbox-simulator"], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["zone"][0]["name"] == "Sandbox-simulator"
    bad = subprocess.run([*CS_COMMAND, "listZones", "pagesize=10"], env=env, capture_output=True, text=True, timeout=60)
    assert bad.returncode != 0
    assert json.loads(bad.stdout)["listzonesresponse"]["errorcode"] == 431
    zone_id = json.loads(out.stdout)["zone"][0]["id"]
    tagged = subprocess.run([*CS_COMMAND, "createTags", f"resourceids={zone_id}", "resourcetype=Zone", "tags[0].key=cli",
                             "tags[0].value=yes"], env=env, capture_output=True, text=True, timeout=60)
    assert tagged.returncode == 0, tagged.stderr
    assert json.loads(tagged.stdout) == {"success": True}
