"""Async jobs (immediate answer, polling, results, failures) and events."""
import pytest

from marvin2.client import AsyncJobFailed, CloudStackError
from marvin2.resources.base import Created

from .helpers import wait_until

pytestmark = pytest.mark.tags("async-jobs", "events", "smoke")


@pytest.mark.tags("quick-test", "deploy-vm")
def test_deploy_job_from_answer_to_result(deploy_vm, user_api, job_timeout):
    vm = deploy_vm(startvm=False)
    answer = user_api.startVirtualMachine(id=vm.id, wait=False)
    assert set(answer) >= {"jobid"}, "an async API answers with a job id at once"

    status = user_api.queryAsyncJobResult(jobid=answer.jobid)
    assert status.jobstatus in (0, 1)
    result = user_api.wait_for_job(answer.jobid, timeout=job_timeout)
    vm_result = result.get("virtualmachine", result)
    assert (vm_result.id, vm_result.state) == (vm.id, "Running")

    done = user_api.queryAsyncJobResult(jobid=answer.jobid)
    assert (done.jobstatus, done.jobresultcode) == (1, 0)
    assert done.jobinstancetype == "VirtualMachine"
    assert done.jobinstanceid == vm.id
    assert done.cmd.startswith("org.apache.cloudstack.api.command.") and done.cmd.endswith("Cmd")
    assert done.jobresult.virtualmachine.id == vm.id


@pytest.mark.zone_type("Advanced")
def test_create_style_answer_carries_the_new_id(implemented_network, user_api, job_timeout, resource_tracker,
                                               test_account):
    answer = user_api.associateIpAddress(networkid=implemented_network.id, wait=False)
    assert answer.get("id") and answer.get("jobid")
    resource_tracker.on_created_by(test_account.name)(Created("public_ip", answer.id, "associateIpAddress"))
    result = user_api.wait_for_job(answer.jobid, timeout=job_timeout)
    ip = result["ipaddress"] if isinstance(result.get("ipaddress"), dict) else result
    assert ip.id == answer.id
    assert ip.associatednetworkid == implemented_network.id


def test_jobs_are_listed(deploy_vm, user_api):
    vm = deploy_vm(startvm=False)
    answer = user_api.startVirtualMachine(id=vm.id, wait=False)
    user_api.wait_for_job(answer.jobid)
    assert answer.jobid in [j.jobid for j in user_api.list_all("listAsyncJobs")]


@pytest.mark.tags("negative", "deploy-vm")
def test_a_failed_job_reports_its_error(deploy_vm, user_api, job_timeout):
    vm = deploy_vm()  # running: a password reset needs a stopped VM, and CloudStack says so in the job
    answer = user_api.resetPasswordForVirtualMachine(id=vm.id, wait=False)
    with pytest.raises(AsyncJobFailed) as failed:
        user_api.wait_for_job(answer.jobid, timeout=job_timeout)
    assert failed.value.jobid == answer.jobid
    assert failed.value.errorcode == 431
    status = user_api.queryAsyncJobResult(jobid=answer.jobid)
    assert (status.jobstatus, status.jobresultcode) == (2, 431)
    assert status.jobresult.errortext


@pytest.mark.tags("negative")
def test_bad_parameters_fail_before_a_job_exists(user_api):
    with pytest.raises(CloudStackError) as refused:
        user_api.stopVirtualMachine(id="00000000-0000-0000-0000-000000000000", wait=False)
    assert refused.value.errorcode == 431
    assert not isinstance(refused.value, AsyncJobFailed)


@pytest.mark.tags("deploy-vm")
def test_vm_life_cycle_events(deploy_vm, user_api, test_account):
    def count(event_type):
        return len([e for e in user_api.list_all("listEvents", type=event_type) if e.account == test_account.name])

    creates, stops = count("VM.CREATE"), count("VM.STOP")
    vm = deploy_vm()
    user_api.stopVirtualMachine(id=vm.id)
    wait_until(lambda: count("VM.CREATE") > creates and count("VM.STOP") > stops, timeout=30,
               what="VM.CREATE and VM.STOP events")
    event = next(e for e in user_api.listEvents(type="VM.STOP") if e.account == test_account.name)
    assert event.level == "INFO"
    assert event.get("created")


@pytest.mark.tags("pagination")
def test_event_pages(user_api, shared_vm):
    page = user_api.listEvents(page=1, pagesize=1)
    assert len(page) == 1
    with pytest.raises(CloudStackError) as refused:
        user_api.call("listEvents", {"pagesize": 1}, validate=False)
    assert refused.value.errorcode == 431
