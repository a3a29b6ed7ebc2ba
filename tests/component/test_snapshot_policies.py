"""Snapshot policies (recurring snapshots) and manual snapshots of volumes.

A policy belongs to a Ready volume and an interval type (HOURLY, DAILY,
WEEKLY, MONTHLY = 0..3 in responses); creating a second policy of the same
interval updates the first; the schedule, ``maxsnaps`` (positive, at most
the interval's ``snapshot.max.<interval>`` and the account's snapshot limit)
and time zone are validated.
"""
from __future__ import annotations

import pytest

from .helpers import expect_error, ids, only, setting_value

pytestmark = [pytest.mark.tags("component", "snapshots", "storage")]

INTERVAL_NUMBERS = {"HOURLY": 0, "DAILY": 1, "WEEKLY": 2, "MONTHLY": 3}


@pytest.fixture(scope="module")
def root_volume(shared_vm, user_api):
    """The root volume of the module's running VM (Ready, so it takes policies)."""
    volume = only(user_api.listVolumes(virtualmachineid=shared_vm.id, type="ROOT"), "root volume")
    assert volume.state == "Ready"
    return volume


def policies_of(api, volume_id: str) -> list:
    return list(api.listSnapshotPolicies(volumeid=volume_id) or [])


@pytest.mark.parametrize("interval, schedule", [("HOURLY", "30"), ("DAILY", "15:02"), ("WEEKLY", "00:03:1"),
                                                ("MONTHLY", "45:23:28")])
def test_a_policy_of_each_interval(make, root_volume, user_api, interval, schedule):
    policy = make.snapshot_policy(volumeid=root_volume.id, intervaltype=interval, schedule=schedule, maxsnaps=3)
    assert (policy.volumeid, policy.schedule, int(policy.maxsnaps)) == (root_volume.id, schedule, 3)
    assert int(policy.intervaltype) == INTERVAL_NUMBERS[interval]
    assert policy.timezone == "UTC"
    assert ids(policies_of(user_api, root_volume.id)) == [policy.id]


@pytest.mark.tags("quick-test")
def test_the_interval_type_is_case_insensitive(make, root_volume):
    policy = make.snapshot_policy(volumeid=root_volume.id, intervaltype="daily", schedule="00:01")
    assert int(policy.intervaltype) == INTERVAL_NUMBERS["DAILY"]


def test_a_second_policy_of_the_same_interval_updates_the_first(make, root_volume, user_api):
    first = make.snapshot_policy(volumeid=root_volume.id, intervaltype="DAILY", schedule="00:01", maxsnaps=2)
    second = make.snapshot_policy(volumeid=root_volume.id, intervaltype="DAILY", schedule="30:05", maxsnaps=4)
    assert second.id == first.id
    listed = only(policies_of(user_api, root_volume.id), "policy")
    assert (listed.schedule, int(listed.maxsnaps)) == ("30:05", 4)


def test_several_intervals_on_one_volume(make, root_volume, user_api):
    made = [make.snapshot_policy(volumeid=root_volume.id, intervaltype=interval, schedule=schedule)
            for interval, schedule in (("HOURLY", "10"), ("DAILY", "10:01"), ("WEEKLY", "10:01:7"))]
    listed = policies_of(user_api, root_volume.id)
    assert sorted(ids(listed)) == sorted(ids(made))
    assert sorted(int(p.intervaltype) for p in listed) == [0, 1, 2]
    # One of them by id.
    assert ids(user_api.listSnapshotPolicies(id=made[1].id)) == [made[1].id]


def test_deleting_several_policies_at_once(make, root_volume, user_api):
    made = [make.snapshot_policy(volumeid=root_volume.id, intervaltype=interval, schedule=schedule)
            for interval, schedule in (("HOURLY", "10"), ("DAILY", "10:01"))]
    user_api.deleteSnapshotPolicies(ids=ids(made))
    assert policies_of(user_api, root_volume.id) == []


def test_an_unknown_time_zone_falls_back_to_gmt(make, root_volume):
    # Java's TimeZone.getTimeZone answers GMT for an id it does not know; the server keeps that.
    policy = make.snapshot_policy(volumeid=root_volume.id, intervaltype="DAILY", schedule="00:01",
                                  timezone="Mars/Olympus_Mons")
    assert policy.timezone == "GMT"


def test_a_time_zone_is_kept(make, root_volume):
    policy = make.snapshot_policy(volumeid=root_volume.id, intervaltype="DAILY", schedule="00:01",
                                  timezone="Europe/Paris")
    assert policy.timezone == "Europe/Paris"


@pytest.mark.tags("negative")
@pytest.mark.parametrize("interval, schedule", [("DAILY", "99:99"), ("HOURLY", "75"), ("WEEKLY", "00:01:9"),
                                                ("MONTHLY", "00:01:45"), ("DAILY", "noon")])
def test_an_invalid_schedule_is_refused(make, root_volume, user_api, interval, schedule):
    error = expect_error(431, make.snapshot_policy, volumeid=root_volume.id, intervaltype=interval,
                         schedule=schedule)
    assert error.errortext == f"Invalid schedule: {schedule} for interval type: {interval}"
    assert policies_of(user_api, root_volume.id) == []


@pytest.mark.tags("negative")
def test_an_unknown_interval_type_is_refused(make, root_volume):
    error = expect_error(431, make.snapshot_policy, volumeid=root_volume.id, intervaltype="YEARLY", schedule="00:01")
    assert error.errortext == "Unsupported interval type YEARLY"


@pytest.mark.tags("negative")
@pytest.mark.parametrize("maxsnaps", [0, -1])
def test_maxsnaps_must_be_positive(make, root_volume, maxsnaps):
    error = expect_error(431, make.snapshot_policy, volumeid=root_volume.id, maxsnaps=maxsnaps)
    assert error.errortext == "maxSnaps should be greater than 0"


@pytest.mark.tags("negative", "global-settings")
def test_maxsnaps_above_the_interval_maximum(make, root_volume, cloud):
    maximum = int(setting_value(cloud, "snapshot.max.hourly") or 8)
    error = expect_error(431, make.snapshot_policy, volumeid=root_volume.id, intervaltype="HOURLY", schedule="05",
                         maxsnaps=maximum + 1)
    assert error.errortext == f"maxSnaps exceeds limit: {maximum} for interval type: HOURLY"
    assert int(make.snapshot_policy(volumeid=root_volume.id, intervaltype="HOURLY", schedule="05",
                                    maxsnaps=maximum).maxsnaps) == maximum


@pytest.mark.tags("negative", "limits")
def test_maxsnaps_above_the_account_snapshot_limit(make, cloud, create_network, deploy_vm):
    keys = make.account(purpose="snaplim")
    api = make.api_for(keys)
    vm = deploy_vm(api=api, networkids=[create_network(api=api).id])
    root = only(api.listVolumes(virtualmachineid=vm.id, type="ROOT"), "root volume")
    cloud.updateResourceLimit(account=keys.name, domainid=keys.domainid, resourcetype=3, max=2)
    error = expect_error(431, make.snapshot_policy, api=api, volumeid=root.id, maxsnaps=3)
    assert error.errortext == "Max number of snapshots shouldn't exceed the domain/account level snapshot limit"
    assert int(make.snapshot_policy(api=api, volumeid=root.id, maxsnaps=2).maxsnaps) == 2


@pytest.mark.tags("negative", "volumes")
def test_a_volume_that_is_not_ready_takes_no_policy(make, create_volume):
    volume = create_volume()
    assert volume.state == "Allocated"
    error = expect_error(431, make.snapshot_policy, volumeid=volume.id)
    assert error.errortext.endswith("is not in Ready state but Allocated. Cannot take snapshot.")


@pytest.mark.tags("negative", "isolation")
def test_another_account_cannot_set_a_policy_on_my_volume(make, root_volume):
    other = make.api_for(make.account(purpose="snoop"))
    expect_error(531, make.snapshot_policy, api=other, volumeid=root_volume.id)


# --- manual snapshots --------------------------------------------------------------------------------


@pytest.mark.tags("quick-test")
def test_manual_snapshot_of_a_root_volume(create_snapshot, root_volume, user_api):
    snapshot = create_snapshot(root_volume.id)
    assert (snapshot.volumeid, snapshot.state) == (root_volume.id, "BackedUp")
    assert snapshot.snapshottype == "MANUAL"
    assert snapshot.volumetype == "ROOT"
    assert snapshot.id in ids(user_api.listSnapshots(volumeid=root_volume.id))


@pytest.mark.tags("volumes")
def test_a_volume_from_a_snapshot(create_snapshot, create_volume, root_volume, zone):
    snapshot = create_snapshot(root_volume.id)
    volume = create_volume(snapshotid=snapshot.id)
    assert volume.zoneid == zone.id
    assert int(volume.size) == int(root_volume.size)


@pytest.mark.tags("limits")
def test_the_snapshot_limit(make, cloud, create_network, deploy_vm, create_snapshot):
    keys = make.account(purpose="snapmax")
    api = make.api_for(keys)
    vm = deploy_vm(api=api, networkids=[create_network(api=api).id])
    root = only(api.listVolumes(virtualmachineid=vm.id, type="ROOT"), "root volume")
    cloud.updateResourceLimit(account=keys.name, domainid=keys.domainid, resourcetype=3, max=1)
    create_snapshot(root.id, api=api)
    error = expect_error(532, create_snapshot, root.id, api=api)
    assert "'snapshot'" in error.errortext
    assert len(api.listSnapshots() or []) == 1
