"""Usage: the usage types of UsageTypes.java, the usage job computing records from what accounts used
(VM allocated and running time, volumes, IPs, networks), listUsageRecords filters and date formats, errors."""
from __future__ import annotations

import datetime as dt
import time

import pytest

WIDE = {"startdate": "2000-01-01", "enddate": "2100-12-31"}


def _hours(record: dict) -> float:
    assert record["usage"] == f"{record['rawusage']} Hrs"
    return float(record["rawusage"])


def test_usage_types_are_cloudstacks(admin):
    types = {t["id"]: (t["name"], t["description"]) for t in admin.items("listUsageTypes", "usagetype")}
    assert len(types) == 25
    assert types[1] == ("RUNNING_VM", "Running Vm Usage")
    assert types[6] == ("VOLUME", "Volume Usage")
    assert types[14] == ("VPN_USERS", "VPN users usage")
    assert types[31] == ("VPC", "VPC usage")
    assert 15 not in types


@pytest.fixture(scope="module")
def used(admin, user_account, deploy):
    account, user = user_account
    vm = deploy(user)
    time.sleep(1.2)                                 # usage is computed to the second
    user.job_ok("stopVirtualMachine", id=vm["id"])
    time.sleep(1.1)
    assert admin.ok("generateUsageRecords") == {"success": True}
    return {"account": account, "vm": vm}


def test_vm_running_and_allocated_time_is_billed(admin, used):
    vm, account = used["vm"], used["account"]
    running = admin.items("listUsageRecords", "usagerecord", type=1, usageid=vm["id"], **WIDE)
    allocated = admin.items("listUsageRecords", "usagerecord", type=2, usageid=vm["id"], **WIDE)
    assert running and allocated
    run_hours, alloc_hours = sum(map(_hours, running)), sum(map(_hours, allocated))
    assert 0 < run_hours < alloc_hours < 1
    record = running[0]
    assert (record["account"], record["accountid"], record["zoneid"]) == (account["name"], account["id"], vm["zoneid"])
    assert (record["virtualmachineid"], record["offeringid"], record["templateid"]) == (
        vm["id"], vm["serviceofferingid"], vm["templateid"])
    assert record["description"].startswith(f"{vm['name']} running time (ServiceOffering: ")
    assert allocated[0]["description"].startswith(f"{vm['name']} allocated")
    assert record["startdate"] <= record["enddate"]


def test_root_volume_is_billed(admin, used):
    volume = admin.items("listVolumes", "volume", virtualmachineid=used["vm"]["id"], type="ROOT", listall=True)[0]
    records = admin.items("listUsageRecords", "usagerecord", type=6, usageid=volume["id"], **WIDE)
    assert records and records[0]["size"] == volume["size"]
    assert records[0]["description"].startswith(f"Volume Id: {volume['id']} usage time")


def test_filters_by_account_and_dates(admin, used, other_user):
    account = used["account"]
    mine = admin.items("listUsageRecords", "usagerecord", accountid=account["id"], **WIDE)
    assert mine and {r["accountid"] for r in mine} == {account["id"]}
    by_name = admin.items("listUsageRecords", "usagerecord", account=account["name"], domainid=account["domainid"], **WIDE)
    assert {r["usageid"] for r in by_name} == {r["usageid"] for r in mine}
    assert admin.items("listUsageRecords", "usagerecord", startdate="2001-01-01", enddate="2001-01-02") == []
    today = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d")
    assert admin.items("listUsageRecords", "usagerecord", startdate=today, enddate=today, accountid=account["id"])
    zoned = admin.items("listUsageRecords", "usagerecord", startdate=f"{today}T00:00:00+0000",
                        enddate=f"{today} 23:59:59", accountid=account["id"])
    assert len(zoned) == len(mine)


def test_a_second_job_adds_only_new_time(admin, used):
    vm = used["vm"]
    before = admin.items("listUsageRecords", "usagerecord", type=1, usageid=vm["id"], **WIDE)
    admin.ok("generateUsageRecords")
    after = admin.items("listUsageRecords", "usagerecord", type=1, usageid=vm["id"], **WIDE)
    assert after == before                          # stopped: no running time since


def test_errors(admin, user):
    assert admin.error("listUsageRecords", 431, startdate="2020-02-01", enddate="2020-01-01").startswith(
        "Incorrect Date Range. Start date: Sat Feb 01 00:00:00 UTC 2020 is after end date:")
    assert admin.error("listUsageRecords", 431, usageid="x", **WIDE) == "Usageid must be specified together with usageType"
    assert "startdate" in admin.error("listUsageRecords", 431, enddate="2020-01-01")
    # Java's SimpleDateFormat is lenient: 2020-13-45 is 2021-02-14, after the end date; what it cannot read at all
    # is refused by the request pipeline.
    assert admin.error("listUsageRecords", 431, startdate="2020-13-45", enddate="2020-01-01").startswith(
        "Incorrect Date Range. Start date: Sun Feb 14 00:00:00 UTC 2021 is after end date:")
    assert admin.error("listUsageRecords", 431, startdate="2020-xx-01", enddate="2020-01-01") == (
        "Unable to parse date 2020-xx-01 for command listusagerecords, please pass dates in the format mentioned in "
        "the api documentation")
    assert admin.error("removeRawUsageRecords", 431, interval=0) == (
        "Invalid interval value. Interval to remove cloud_usage records should be greater than 0")
    for command in ("listUsageRecords", "generateUsageRecords", "listUsageTypes"):
        assert "does not exist or is not available" in user.error(command, 432, **WIDE)


def test_remove_raw_usage_records(admin, used):
    now = dt.datetime.now(dt.timezone.utc)
    job_time = now.replace(hour=0, minute=15, second=0, microsecond=0)   # usage.stats.job.exec.time 00:15
    if abs((now - job_time).total_seconds()) < 15 * 60:
        assert "a job is likely running" in admin.error("removeRawUsageRecords", 530, interval=1)
        return
    assert admin.ok("removeRawUsageRecords", interval=1) == {"success": True}
    assert admin.items("listUsageRecords", "usagerecord", **WIDE)       # today's records are kept
