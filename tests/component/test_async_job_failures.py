"""Async job failures and abandoned waits.

Failures are provoked with the simulator's fault injection
(configureSimulatorFaults, simulator-only). The ``simulator_faults`` fixture
limits every rule to the test's own account and clears them afterwards, so
the rules hit only this test's calls (``user_api``, ``deploy_vm``,
``resource_factory`` all act as that account's user) and these tests run in
parallel with the others, not ``serial``. What is checked is
CloudStack behaviour: a failed job reports jobstatus 2 with its result code
and text, a VM whose deploy job failed is left in Error (and is still
cleaned up), a failed stop leaves the VM running, and a client that gives
up waiting (its own timeout) loses nothing: the job still finishes.

CloudStack has no API to cancel a job (jobstatus 3 only comes from the
server itself), so cancellation is covered from the client's side only.
"""
from __future__ import annotations

import pytest

from marvin2.client import AsyncJobFailed, AsyncJobTimeout, CloudStackError

from .helpers import expect_error, only, send_deploys

pytestmark = [pytest.mark.tags("component", "async-jobs")]

INJECTED = "failure injected by configureSimulatorFaults"


def faulty(test):
    """Fault injection: simulator only. Not serial: the fixture's rules apply to the test account only."""
    for marker in (pytest.mark.tags("simulator-only"), pytest.mark.requires("simulator")):
        test = marker(test)
    return test


def deploy_many(factory, network, how_many: int) -> list:
    """``how_many`` deploys sent at once (wait=False), each registered for cleanup as soon as it has an id."""
    return send_deploys(factory, [{"networkids": [network["id"]]} for _ in range(how_many)], purpose="jobs")


@faulty
@pytest.mark.tags("deploy-vm")
def test_a_failed_deploy_job(simulator_faults, deploy_vm, shared_network, user_api):
    simulator_faults.set("deployVirtualMachine", jobfailurerate=1.0)
    with pytest.raises(AsyncJobFailed) as failed:
        deploy_vm(networkids=[shared_network.id])
    error = failed.value
    assert error.errorcode == 530
    assert INJECTED in error.errortext
    job = user_api.queryAsyncJobResult(jobid=error.jobid)
    assert (job.jobstatus, job.jobresultcode) == (2, 530)
    assert job.jobresult.errorcode == 530 and INJECTED in job.jobresult.errortext
    # The half-made VM exists, in Error, and is the factory's to clean up.
    vm = only(user_api.listVirtualMachines(id=job.jobinstanceid), "failed VM")
    assert vm.state == "Error"
    assert job.jobinstancetype == "VirtualMachine"


@faulty
def test_failed_jobs_are_listed(simulator_faults, deploy_vm, shared_network, user_api):
    simulator_faults.set("deployVirtualMachine", jobfailurerate=1.0)
    with pytest.raises(AsyncJobFailed) as failed:
        deploy_vm(networkids=[shared_network.id])
    listed = {j.jobid: j for j in user_api.list_all("listAsyncJobs")}
    assert listed[failed.value.jobid].jobstatus == 2
    assert listed[failed.value.jobid].jobresultcode == 530


@faulty
@pytest.mark.tags("deploy-vm")
def test_a_failed_stop_leaves_the_vm_running(simulator_faults, shared_vm, user_api):
    simulator_faults.set("stopVirtualMachine", jobfailurerate=1.0)
    with pytest.raises(AsyncJobFailed):
        user_api.stopVirtualMachine(id=shared_vm.id)
    assert only(user_api.listVirtualMachines(id=shared_vm.id)).state == "Running"
    simulator_faults.clear("stopVirtualMachine")
    # And it can be stopped (and started) normally afterwards.
    assert user_api.stopVirtualMachine(id=shared_vm.id).state == "Stopped"
    assert user_api.startVirtualMachine(id=shared_vm.id).state == "Running"


@faulty
@pytest.mark.tags("deploy-vm")
def test_some_of_many_jobs_fail(simulator_faults, resource_factory, shared_network, user_api, job_timeout):
    # A fixed seed gives a fixed sequence of outcomes: with seed 3 and rate 0.5 three of six fail. The rule
    # rolls its own generator, so what other tests' rules roll meanwhile cannot change that.
    simulator_faults.set("deployVirtualMachine", jobfailurerate=0.5, seed=3)
    answers = deploy_many(resource_factory, shared_network, 6)
    outcomes = user_api.wait_for_jobs(answers, timeout=job_timeout, return_exceptions=True)
    failures = [o for o in outcomes if isinstance(o, BaseException)]
    successes = [o for o in outcomes if not isinstance(o, BaseException)]
    assert len(failures) == 3 and len(successes) == 3
    assert all(isinstance(f, AsyncJobFailed) and f.errorcode == 530 for f in failures)
    states = {vm.id: vm.state for vm in user_api.listVirtualMachines(ids=[a.id for a in answers]) or []}
    assert sorted(states.values()) == ["Error"] * 3 + ["Running"] * 3


@faulty
@pytest.mark.tags("negative")
def test_an_injected_api_error(simulator_faults, user_api, shared_network):
    simulator_faults.set("listNetworks", errorrate=1.0, errorcode=534, errortext="storage is on fire")
    error = expect_error(534, user_api.listNetworks, id=shared_network.id)
    assert error.errortext == "storage is on fire"
    simulator_faults.clear("listNetworks")
    assert [n.id for n in user_api.listNetworks(id=shared_network.id)] == [shared_network.id]


@faulty
def test_fault_rules_are_listed_and_cleared(simulator_faults, cloud, test_account):
    simulator_faults.set("createVolume", jobfailurerate=0.25)
    rules = {r.command: r for r in simulator_faults.rules()}
    assert float(rules["createVolume"].jobfailurerate) == 0.25
    assert rules["createVolume"].account == test_account.id
    # The admin's full list shows the rule under the test account too (other workers' rules may be there).
    listed = [r for r in cloud.listSimulatorFaults() or [] if r.command == "createVolume"]
    assert test_account.id in {getattr(r, "account", None) for r in listed}
    simulator_faults.clear("createVolume")
    assert "createVolume" not in {r.command for r in simulator_faults.rules()}


@pytest.mark.tags("negative", "simulator-only")
@pytest.mark.requires("simulator")
def test_fault_injection_is_for_admins_only(make, cloud, test_account):
    api = make.api_for(test_account, spec=cloud.spec)
    error = expect_error(432, api.configureSimulatorFaults, apiname="listZones", errorrate=1.0)
    assert "configureSimulatorFaults" in error.errortext


# --- abandoned waits (any cloud) ------------------------------------------------------------------


@pytest.mark.tags("quick-test", "deploy-vm")
def test_a_wait_that_gives_up_loses_nothing(resource_factory, shared_network, user_api, job_timeout):
    # Sent with wait=False and registered for cleanup at once, as the factories do.
    (answer,) = send_deploys(resource_factory, [{"networkids": [shared_network.id]}], purpose="wait")
    with pytest.raises(AsyncJobTimeout) as gave_up:
        user_api.wait_for_job(answer.jobid, timeout=0.001, command="deployVirtualMachine")
    assert gave_up.value.jobid == answer.jobid
    assert gave_up.value.last_status in (0, None)
    # The server carried on: waiting again gets the VM.
    vm = user_api.wait_for_job(answer.jobid, timeout=job_timeout)
    assert (vm.id, vm.state) == (answer.id, "Running")


def test_polling_a_finished_job_again(user_api, shared_vm):
    job = user_api.rebootVirtualMachine(id=shared_vm.id, wait=False)
    first = user_api.wait_for_job(job.jobid)
    again = user_api.queryAsyncJobResult(jobid=job.jobid)
    assert again.jobstatus == 1
    assert again.jobresult.virtualmachine.id == shared_vm.id
    assert first.id == shared_vm.id


@pytest.mark.tags("negative")
def test_an_unknown_job(user_api):
    import uuid

    with pytest.raises(CloudStackError) as unknown:
        user_api.queryAsyncJobResult(jobid=str(uuid.uuid4()))
    assert unknown.value.errorcode == 431
