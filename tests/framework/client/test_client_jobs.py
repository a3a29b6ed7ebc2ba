"""Async jobs: waiting by default, failures, timeouts, schedules, many jobs in one loop."""
from __future__ import annotations

import time

import pytest

from marvin2.client import AsyncJobFailed, AsyncJobTimeout, JobEvent, Record
from marvin2.client.events import Listeners
from marvin2.client.jobs import JobTimeouts, JobWaiter, PollSchedule


def _deploy(fake, result=None, **job):
    jobid = fake.add_job(result if result is not None else {"virtualmachine": {"id": "vm1", "state": "Running"}}, **job)
    fake.on("deployVirtualMachine", {"jobid": jobid, "id": "vm1"})
    return jobid


DEPLOY = {"zoneid": "z", "serviceofferingid": "s", "templateid": "t"}


def test_async_apis_wait_by_default_and_return_the_object(fake, connect_fake):
    api = connect_fake()
    _deploy(fake, after=0.2)
    started = time.monotonic()
    vm = api.deployVirtualMachine(**DEPLOY)
    took = time.monotonic() - started
    assert isinstance(vm, Record) and vm.id == "vm1" and vm.state == "Running"
    assert 0.2 <= took < 0.5, "finished job noticed quickly"
    polls = [c for c in fake.calls if c.command == "queryAsyncJobResult"]
    assert 2 <= len(polls) <= 8


def test_wait_false_returns_the_job_and_wait_for_job_finishes_it(fake, connect_fake):
    api = connect_fake()
    jobid = _deploy(fake, after=0.1)
    job = api.deployVirtualMachine(**DEPLOY, wait=False)
    assert job == {"jobid": jobid, "id": "vm1"}
    assert fake.count("queryAsyncJobResult") == 0
    assert api.wait_for_job(job.jobid).id == "vm1"


def test_success_without_an_object(fake, connect_fake):
    api = connect_fake()
    jobid = fake.add_job({"success": True})
    fake.on("stopVirtualMachine", {"jobid": jobid})
    assert api.stopVirtualMachine(id="vm1") == {"success": True}


def test_failed_job_raises_with_the_servers_codes(fake, connect_fake):
    api = connect_fake()
    events = []
    api.add_listener(events.append)
    jobid = _deploy(fake, {"errorcode": 533, "errortext": "Unable to create a deployment for VM"}, status=2, resultcode=533)
    with pytest.raises(AsyncJobFailed) as caught:
        api.deployVirtualMachine(**DEPLOY)
    error = caught.value
    assert (error.jobid, error.errorcode, error.command) == (jobid, 533, "deployVirtualMachine")
    assert error.errortext == "Unable to create a deployment for VM"
    assert error.jobresult == {"errorcode": 533, "errortext": "Unable to create a deployment for VM"}
    assert error.endpoint == fake.url and error.params["zoneid"] == "z"
    [job_event] = [e for e in events if isinstance(e, JobEvent)]
    assert job_event.status == "failed" and job_event.error is error


def test_cancelled_job_is_a_failure(fake, connect_fake):
    api = connect_fake()
    _deploy(fake, {}, status=3)
    with pytest.raises(AsyncJobFailed, match="cancelled"):
        api.deployVirtualMachine(**DEPLOY)


def test_job_timeout_always_raises(fake, connect_fake):
    api = connect_fake()
    jobid = _deploy(fake, after=60)
    started = time.monotonic()
    with pytest.raises(AsyncJobTimeout) as caught:
        api.deployVirtualMachine(**DEPLOY, job_timeout=0.4)
    took = time.monotonic() - started
    assert 0.4 <= took < 1.0
    error = caught.value
    assert (error.jobid, error.command, error.last_status) == (jobid, "deployVirtualMachine", 0)
    assert error.elapsed >= 0.4 and "still pending" in str(error)


def test_job_timeouts_per_api_family(fake, connect_fake):
    api = connect_fake(timeout={"connect": 5, "read": 30, "deployVirtualMachine": 0.3, "stop*": 0.2, "default": 600})
    assert api.job_timeouts.for_command("deployVirtualMachine") == 0.3
    assert api.job_timeouts.for_command("stopVirtualMachine") == 0.2
    assert api.job_timeouts.for_command("createTags") == 600
    _deploy(fake, after=60)
    with pytest.raises(AsyncJobTimeout) as caught:
        api.deployVirtualMachine(**DEPLOY)
    assert caught.value.timeout == 0.3


def test_a_resolver_function_for_job_timeouts(fake, connect_fake):
    api = connect_fake(timeout={"deployVirtualMachine": 5}, job_timeouts=lambda command: 42.0)
    assert api.job_timeouts.for_command("createTags") == 42.0
    assert api.job_timeouts.for_command("deployVirtualMachine") == 5


@pytest.mark.parametrize("bad", [0, -1, "10", True])
def test_bad_job_timeouts_are_rejected(bad):
    with pytest.raises(ValueError, match="positive number"):
        JobTimeouts({"deployVirtualMachine": bad})


def test_poll_schedule_starts_fast_and_grows_to_the_cap():
    schedule = PollSchedule()
    assert schedule.interval(0) == pytest.approx(0.05)
    assert schedule.interval(1) == pytest.approx(0.05)
    assert schedule.interval(10) == pytest.approx(0.2)
    assert schedule.interval(1000) == 2.0
    assert PollSchedule(cap=0.5).interval(1000) == 0.5
    with pytest.raises(ValueError):
        PollSchedule(first=3, cap=2)


def test_waiter_polls_on_schedule_without_real_time():
    # A fake clock: the job reports done at t=30 s; polls must follow the schedule.
    now = [0.0]
    polls = []

    def query(jobid):
        polls.append(now[0])
        return {"jobstatus": 1 if now[0] >= 30 else 0, "jobresult": {"success": True}}

    waiter = JobWaiter(
        query, endpoint=lambda: "e", listeners=Listeners(), sleep=lambda s: now.__setitem__(0, now[0] + s), clock=lambda: now[0]
    )
    assert waiter.wait("j", timeout=100) == {"success": True}
    assert polls[0] == pytest.approx(0.05)
    gaps = [b - a for a, b in zip(polls, polls[1:])]
    assert all(g <= 2.0 + 1e-9 for g in gaps)
    assert all(b >= a - 1e-9 for a, b in zip(gaps, gaps[1:])), "intervals never shrink"
    assert polls[-1] - 30 < max(0.05, 30 * 0.02) + 1e-9, "done noticed within one interval"
    assert len(polls) < 200, "growing intervals: far fewer polls than 600 at a flat 50 ms"


def test_wait_for_jobs_uses_one_loop_for_many(fake, connect_fake):
    api = connect_fake()
    events = []
    api.add_listener(events.append)
    jobs = [fake.add_job({"volume": {"id": f"v{i}"}}, after=0.1 * i) for i in range(5)]
    started = time.monotonic()
    results = api.wait_for_jobs(jobs)
    took = time.monotonic() - started
    assert [r.id for r in results] == ["v0", "v1", "v2", "v3", "v4"]
    assert took < 0.8, "waited in parallel, not one after another"
    assert sorted(e.jobid for e in events if isinstance(e, JobEvent)) == sorted(jobs)
    polls = fake.count("queryAsyncJobResult")
    assert polls <= 5 * 12


def test_wait_for_jobs_raises_the_first_failure_after_all_ended(fake, connect_fake):
    api = connect_fake()
    good = fake.add_job({"volume": {"id": "ok"}}, after=0.2)
    bad = fake.add_job({"errorcode": 530, "errortext": "boom"}, status=2, resultcode=530)
    with pytest.raises(AsyncJobFailed) as caught:
        api.wait_for_jobs([Record(jobid=bad), good])
    assert caught.value.jobid == bad
    outcomes = api.wait_for_jobs([bad, good], return_exceptions=True)
    assert isinstance(outcomes[0], AsyncJobFailed) and outcomes[1].id == "ok"


def test_wait_for_jobs_timeout(fake, connect_fake):
    api = connect_fake()
    slow = fake.add_job(after=60)
    quick = fake.add_job({"volume": {"id": "q"}})
    outcomes = api.wait_for_jobs([slow, quick], timeout=0.3, return_exceptions=True)
    assert isinstance(outcomes[0], AsyncJobTimeout) and outcomes[1].id == "q"


def test_job_events_are_masked(fake, connect_fake):
    api = connect_fake()
    events = []
    api.add_listener(events.append)
    jobid = fake.add_job({"virtualmachine": {"id": "v", "password": "NewPassw0rd!"}})
    assert api.wait_for_job(jobid).password == "NewPassw0rd!"  # the caller gets the real value
    [event] = [e for e in events if isinstance(e, JobEvent)]
    assert event.status == "succeeded" and event.result.password == "********"
    polls = [e for e in events if not isinstance(e, JobEvent)]
    assert polls and all(e.internal for e in polls)


def test_not_a_job_id(connect_fake):
    api = connect_fake()
    with pytest.raises(Exception, match="not a job id"):
        api.wait_for_jobs([42])
