"""Waiters: growing intervals, fail fast on Error, explain timeouts; every wait has a timeout."""
from __future__ import annotations

import pytest
from resource_fakes import FakeCloud

from marvin2 import resources as r
from marvin2.resources.waiters import Backoff, poll


class FakeClock:
    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def time(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock():
    return FakeClock()


def test_reaches_wanted_state_after_polling(clock):
    cloud = FakeCloud()
    vm = cloud.add("vm", state="Starting")
    cloud.state_script[vm.id] = ["Starting", "Starting", "Running"]
    record = r.wait_for_vm_state(cloud, vm.id, "Running", timeout=60, clock=clock.time, sleep=clock.sleep)
    assert record["state"] == "Running"
    assert len(clock.sleeps) == 2


def test_fails_fast_on_error_state(clock):
    cloud = FakeCloud()
    vm = cloud.add("vm", state="Starting")
    cloud.state_script[vm.id] = ["Starting", "Error"]
    with pytest.raises(r.ResourceFailed) as caught:
        r.wait_for_vm_state(cloud, vm.id, "Running", timeout=600, clock=clock.time, sleep=clock.sleep)
    assert caught.value.state == "Error"
    assert len(clock.sleeps) == 1  # no waiting until the timeout
    assert vm.id in str(caught.value) and "Error" in str(caught.value) and "Running" in str(caught.value)


def test_explicit_bad_states(clock):
    cloud = FakeCloud()
    net = cloud.add("network", state="Shutdown")
    with pytest.raises(r.ResourceFailed):
        r.wait_for_network_state(cloud, net.id, "Implemented", bad_states={"Shutdown"}, timeout=5,
                                 clock=clock.time, sleep=clock.sleep)


def test_timeout_explains_resource_wanted_last_state_and_elapsed(clock):
    cloud = FakeCloud()
    vol = cloud.add("volume", state="Allocated")
    with pytest.raises(r.WaitTimeout) as caught:
        r.wait_for_volume_state(cloud, vol.id, "Ready", timeout=30, clock=clock.time, sleep=clock.sleep)
    error = caught.value
    assert (error.kind, error.resource_id, error.wanted, error.last_state) == ("volume", vol.id, "Ready", "Allocated")
    assert 30 <= error.elapsed < 31
    text = str(error)
    assert f"volume {vol.id} did not become Ready within 30s" in text and "last state: Allocated" in text
    assert sum(clock.sleeps) == pytest.approx(30)  # never sleeps past the deadline


def test_disappearing_resource_fails_fast(clock):
    cloud = FakeCloud()
    snap = cloud.add("snapshot", state="BackingUp")

    def vanish(**params):
        cloud.resources["snapshot"].pop(snap.id, None)
        from resource_fakes import not_found
        raise not_found("listSnapshots", "id", snap.id)

    cloud.hooks["listSnapshots"] = vanish
    with pytest.raises(r.ResourceFailed, match="no longer exists"):
        r.wait_for_snapshot_state(cloud, snap.id, timeout=60, clock=clock.time, sleep=clock.sleep)
    assert clock.sleeps == []


def test_wait_until_gone(clock):
    cloud = FakeCloud()
    vm = cloud.add("vm", state="Destroyed")
    cloud.state_script[vm.id] = ["Destroyed", "Expunging"]
    r.wait_for_vm_expunged(cloud, vm.id, timeout=10, clock=clock.time, sleep=clock.sleep)
    assert len(clock.sleeps) == 1


def test_waiting_for_a_state_in_the_bad_set_is_allowed(clock):
    cloud = FakeCloud()
    vm = cloud.add("vm", state="Destroyed")
    assert r.wait_for_vm_state(cloud, vm.id, "Destroyed", timeout=5, clock=clock.time, sleep=clock.sleep)["state"] == "Destroyed"


def test_backoff_grows_to_its_cap():
    intervals = Backoff(first=0.1, factor=2, cap=1.0).intervals()
    assert [next(intervals) for _ in range(6)] == [0.1, 0.2, 0.4, 0.8, 1.0, 1.0]


@pytest.mark.parametrize("timeout", [0, -1, None])
def test_every_wait_needs_a_positive_timeout(timeout):
    with pytest.raises(ValueError, match="timeout must be > 0"):
        poll(lambda: (True, None, "x"), kind="vm", resource_id="1", wanted="Running", timeout=timeout)


def test_template_ready_and_failed_download(clock):
    cloud = FakeCloud()
    ok = cloud.add("template", isready=False, status="35% Downloaded")
    seq = iter([False, False, True])

    original = cloud._list

    def listing(kind, command, params):
        records = original(kind, command, params)
        for rec in records:
            if rec["id"] == ok.id:
                rec["isready"] = next(seq)
        return records

    cloud._list = listing
    assert r.wait_for_template_ready(cloud, ok.id, timeout=30, clock=clock.time, sleep=clock.sleep)["isready"] is True
    bad = cloud.add("template", isready=False, status="Failed to download template: 404 Not Found")
    with pytest.raises(r.ResourceFailed, match="Failed to download"):
        r.wait_for_template_ready(cloud, bad.id, timeout=30, clock=clock.time, sleep=clock.sleep)


def test_real_clock_short_timeout_is_quick():
    cloud = FakeCloud()
    vm = cloud.add("vm", state="Starting")
    import time

    started = time.monotonic()
    with pytest.raises(r.WaitTimeout):
        r.wait_for_vm_state(cloud, vm.id, "Running", timeout=0.3)
    assert time.monotonic() - started < 1.5


def _two_zone_template(cloud, zone2_states):
    """listTemplates answers one entry per zone, like a real server: zone-1 ready, zone-2 as scripted."""
    from marvin2.client.record import Record

    states = iter(zone2_states)
    seen = []

    def list_templates(**params):
        seen.append(params)
        ready, status = next(states)
        entries = [Record(id="tmpl-9", name="copied", zoneid="zone-1", isready=True, status="Download Complete")]
        if ready is not None:
            entries.append(Record(id="tmpl-9", name="copied", zoneid="zone-2", isready=ready, status=status))
        return [e for e in entries if params.get("zoneid") in (None, e["zoneid"])]

    cloud.hooks["listTemplates"] = list_templates
    return seen


def test_template_ready_waits_for_the_entry_of_the_requested_zone(clock):
    # A template copied to a second zone is ready in its first zone long before the copy is.
    cloud = FakeCloud()
    _two_zone_template(cloud, [(None, None), (False, "10% Downloaded"), (False, "70% Downloaded"), (True, "Download Complete")])
    record = r.wait_for_template_ready(cloud, "tmpl-9", zoneid="zone-2", timeout=30, clock=clock.time, sleep=clock.sleep)
    assert record["zoneid"] == "zone-2" and record["isready"] is True
    assert len(clock.sleeps) == 3


def test_template_copy_failing_in_the_requested_zone_fails_fast(clock):
    cloud = FakeCloud()
    _two_zone_template(cloud, [(False, "5% Downloaded"), (False, "Failed to copy template: no space")] * 3)
    with pytest.raises(r.ResourceFailed, match="Failed to copy"):
        r.wait_for_template_ready(cloud, "tmpl-9", zoneid="zone-2", timeout=30, clock=clock.time, sleep=clock.sleep)


def test_template_never_in_the_requested_zone_times_out_saying_so(clock):
    cloud = FakeCloud()
    _two_zone_template(cloud, [(None, None)] * 100)
    with pytest.raises(r.WaitTimeout, match="not in zone zone-2"):
        r.wait_for_template_ready(cloud, "tmpl-9", zoneid="zone-2", timeout=5, clock=clock.time, sleep=clock.sleep)
