"""Out-of-band management: configure → enable → power actions (the chassis changes, STATUS and the
background sync move the power state) → password change → disable at host, cluster and zone scope,
with OutOfBandManagementServiceImpl's errors; listHosts shows the state with the password masked."""
from __future__ import annotations

import pytest

CONFIG = {"driver": "ipmitool", "address": "10.9.0.5", "port": "623", "username": "ADMIN", "password": "s3cret"}


@pytest.fixture(scope="module")
def hosts(admin) -> list[dict]:
    return sorted(admin.items("listHosts", "host", type="Routing"), key=lambda h: h["name"])


def _listed(admin, host_id) -> dict:
    return admin.items("listHosts", "host", id=host_id)[0]["outofbandmanagement"]


def test_unconfigured_host(admin, hosts):
    assert _listed(admin, hosts[3]["id"]) == {"enabled": False, "powerstate": "Disabled"}
    assert "not configured for the host" in admin.error("enableOutOfBandManagementForHost", 530, hostid=hosts[3]["id"])


def test_life_cycle(admin, hosts):
    host = hosts[0]["id"]
    configured = admin.ok("configureOutOfBandManagement", hostid=host, **CONFIG)["outofbandmanagement"]
    assert (configured["hostid"], configured["driver"], configured["address"], configured["port"],
            configured["username"], configured["password"], configured["enabled"], configured["status"]) == (
        host, "ipmitool", "10.9.0.5", "623", "ADMIN", "s****", False, True)
    assert "s3cret" not in str(configured)

    denied = admin.job("issueOutOfBandManagementPowerAction", hostid=host, action="STATUS")
    assert denied["jobstatus"] == 2 and "disabled or not configured for the host" in denied["jobresult"]["errortext"]

    enabled = admin.job_ok("enableOutOfBandManagementForHost", hostid=host)["outofbandmanagement"]
    assert (enabled["enabled"], enabled["hostid"]) == (True, host)
    assert _listed(admin, host)["enabled"] is True

    status = admin.job_ok("issueOutOfBandManagementPowerAction", hostid=host, action="STATUS")["outofbandmanagement"]
    assert (status["powerstate"], status["action"], status["description"]) == ("On", "STATUS", "Chassis Power is On")

    off = admin.job_ok("issueOutOfBandManagementPowerAction", hostid=host, action="OFF")["outofbandmanagement"]
    assert off["description"] == "Chassis Power Control: Down/Off"
    status = admin.job_ok("issueOutOfBandManagementPowerAction", hostid=host, action="STATUS")["outofbandmanagement"]
    assert status["powerstate"] == "Off"
    admin.job_ok("issueOutOfBandManagementPowerAction", hostid=host, action="CYCLE")
    status = admin.job_ok("issueOutOfBandManagementPowerAction", hostid=host, action="STATUS")["outofbandmanagement"]
    assert status["powerstate"] == "On"

    changed = admin.job_ok("changeOutOfBandManagementPassword", hostid=host, password="n3w")["outofbandmanagement"]
    assert changed["status"] is True and _listed(admin, host)["password"] == "n****"

    assert admin.job_ok("disableOutOfBandManagementForHost", hostid=host)["outofbandmanagement"]["enabled"] is False
    listed = _listed(admin, host)
    assert (listed["enabled"], listed["powerstate"], listed["driver"]) == (False, "Disabled", "ipmitool")


def test_cluster_and_zone_switches(admin, hosts):
    host = hosts[1]
    admin.ok("configureOutOfBandManagement", hostid=host["id"], **CONFIG)
    admin.job_ok("enableOutOfBandManagementForHost", hostid=host["id"])
    admin.job_ok("issueOutOfBandManagementPowerAction", hostid=host["id"], action="STATUS")

    assert admin.job_ok("disableOutOfBandManagementForCluster", clusterid=host["clusterid"])[
        "outofbandmanagement"]["enabled"] is False
    assert _listed(admin, host["id"])["powerstate"] == "Disabled"
    refused = admin.job("issueOutOfBandManagementPowerAction", hostid=host["id"], action="ON")
    assert "disabled for the host's cluster" in refused["jobresult"]["errortext"]
    admin.job_ok("enableOutOfBandManagementForCluster", clusterid=host["clusterid"])

    admin.job_ok("disableOutOfBandManagementForZone", zoneid=host["zoneid"])
    refused = admin.job("issueOutOfBandManagementPowerAction", hostid=host["id"], action="ON")
    assert "disabled for the host's zone" in refused["jobresult"]["errortext"]
    admin.job_ok("enableOutOfBandManagementForZone", zoneid=host["zoneid"])
    status = admin.job_ok("issueOutOfBandManagementPowerAction", hostid=host["id"], action="STATUS")["outofbandmanagement"]
    assert status["powerstate"] == "On"


def test_errors(admin, user, hosts):
    host = hosts[2]["id"]
    assert admin.error("configureOutOfBandManagement", 530, hostid=host, **{**CONFIG, "driver": "magic"}) == (
        "Out-of-band management driver is not available. Please provide a valid driver name.")
    assert "password" in admin.error("configureOutOfBandManagement", 431, hostid=host,
                                     **{k: v for k, v in CONFIG.items() if k != "password"})
    assert admin.error("issueOutOfBandManagementPowerAction", 431, hostid=host, action="off").endswith(
        "OutOfBandManagement.PowerOperation.off")
    admin.ok("configureOutOfBandManagement", hostid=host, **CONFIG)
    admin.job_ok("enableOutOfBandManagementForHost", hostid=host)
    empty = admin.job("changeOutOfBandManagementPassword", hostid=host)
    assert empty["jobstatus"] == 2 and "new-password is null or empty" in empty["jobresult"]["errortext"]
    assert "hostid" in admin.error("enableOutOfBandManagementForHost", 431)
    for command, params in (("configureOutOfBandManagement", {"hostid": host, **CONFIG}),
                            ("issueOutOfBandManagementPowerAction", {"hostid": host, "action": "ON"})):
        assert "does not exist or is not available" in user.error(command, 432, **params)
