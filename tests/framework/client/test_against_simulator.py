"""The client against the embedded simulator (a real HTTP management server in Python).

Signing, login, lists, creates, async waits, job failures, job timeouts,
pagination over 500 items, and the retry rules, end to end over HTTP. These
tests use only APIs a real CloudStack 4.18 offers (plus the simulator's own
fault-injection API), so the same flows hold against a real cloud.
"""
from __future__ import annotations

import uuid

import pytest

import marvin2
from marvin2.client import AsyncJobFailed, AsyncJobTimeout, CallEvent, CloudStackError, JobEvent, TransportError
from marvin2.simulator import start_simulator


@pytest.fixture(scope="module")
def simulator():
    sim = start_simulator(port=0, profile="fast")
    yield sim
    sim.stop()


@pytest.fixture
def api(simulator):
    api = marvin2.connect(simulator.endpoint, api_key=simulator.admin_api_key, secret_key=simulator.admin_secret_key)
    yield api
    try:
        api.call("configureSimulatorFaults", clear=True)
    finally:
        api.close()


@pytest.fixture
def zone(api):
    [zone] = api.listZones(name="Sandbox-simulator")
    return zone


def _tag_key() -> str:
    return "k" + uuid.uuid4().hex[:10]


def test_signed_calls_see_the_seeded_zone(api, simulator):
    assert api.version and api.version.startswith("4.")
    zones = api.list_zones()
    assert [z.name for z in zones] == ["Sandbox-simulator"]
    assert zones[0].networktype == "Advanced"
    assert api.endpoint == simulator.endpoint
    assert {"listZones", "queryAsyncJobResult", "listApis"} <= set(api.spec.names)
    assert set(api.spec.names) <= set(dir(api))


def test_signature_v1_is_accepted_too(simulator):
    with marvin2.connect(simulator.endpoint, api_key=simulator.admin_api_key, secret_key=simulator.admin_secret_key,
                         signature_version=None) as api:
        assert api.listZones()[0].name == "Sandbox-simulator"


def test_wrong_secret_is_refused_with_401(simulator):
    with pytest.raises(CloudStackError) as caught:
        marvin2.connect(simulator.endpoint, api_key=simulator.admin_api_key, secret_key="not-the-secret")
    assert caught.value.errorcode == 401
    assert "not-the-secret" not in str(caught.value)


def test_session_login_and_logout(simulator):
    with marvin2.connect(simulator.endpoint, username="admin", password="password", domain="/") as api:
        events = []
        api.add_listener(events.append)
        assert api.listZones()[0].name == "Sandbox-simulator"
        assert events[-1].params_masked["sessionkey"] == "********"
    # after close() the session key is gone: nothing else to check on the client side


def test_bad_password_is_531(simulator):
    with pytest.raises(CloudStackError) as caught:
        marvin2.connect(simulator.endpoint, username="admin", password="wrong-password")
    assert caught.value.errorcode == 531 and "wrong-password" not in str(caught.value)


def test_empty_list_is_an_empty_list(api):
    assert api.listZones(name="no-such-zone") == []


def test_create_waits_for_the_async_job(api, zone):
    key = _tag_key()
    events = []
    api.add_listener(events.append)
    result = api.createTags(resourceids=[zone.id], resourcetype="Zone", tags={key: "v1"})
    assert result == {"success": True}
    [tag] = api.listTags(resourceid=zone.id, key=key)
    assert (tag.key, tag.value, tag.resourcetype) == (key, "v1", "Zone")
    jobs = [e for e in events if isinstance(e, JobEvent)]
    assert [(j.command, j.status) for j in jobs] == [("createTags", "succeeded")]
    polls = [e for e in events if isinstance(e, CallEvent) and e.command == "queryAsyncJobResult"]
    assert polls and all(p.internal for p in polls)


def test_wait_false_and_wait_for_jobs(api, zone):
    keys = [_tag_key() for _ in range(3)]
    jobs = [api.createTags(resourceids=[zone.id], resourcetype="Zone", tags={k: "x"}, wait=False) for k in keys]
    assert all(job.jobid for job in jobs)
    results = api.wait_for_jobs(jobs)
    assert results == [{"success": True}] * 3
    assert {t.key for t in api.list_all("listTags", resourceid=zone.id)} >= set(keys)


def test_job_failure_raises_with_the_servers_error(api, zone):
    api.call("configureSimulatorFaults", apiname="createTags", jobfailurerate=1.0)
    with pytest.raises(AsyncJobFailed) as caught:
        api.createTags(resourceids=[zone.id], resourcetype="Zone", tags={_tag_key(): "x"})
    error = caught.value
    assert error.command == "createTags" and error.jobid
    assert error.errorcode and error.errorcode >= 400
    assert error.errortext


def test_job_timeout_raises_and_the_job_can_still_be_awaited():
    with start_simulator(port=0, profile="realistic") as sim:  # createTags takes ~0.2 s there
        with marvin2.connect(sim.endpoint, api_key=sim.admin_api_key, secret_key=sim.admin_secret_key) as slow:
            [slow_zone] = slow.listZones()
            with pytest.raises(AsyncJobTimeout) as caught:
                slow.createTags(resourceids=[slow_zone.id], resourcetype="Zone", tags={"k": "v"}, job_timeout=0.05)
            assert caught.value.command == "createTags" and caught.value.last_status == 0
            assert slow.wait_for_job(caught.value.jobid, timeout=10) == {"success": True}


def test_server_side_parameter_errors_are_cloudstack_errors(api):
    with pytest.raises(CloudStackError) as caught:
        api.call("createTags", {"resourcetype": "Zone", "tags": {"a": "b"}}, validate=False)
    error = caught.value
    assert error.errorcode == 431
    assert "missing parameter resourceids" in error.errortext


def test_client_side_checks_stop_bad_calls_before_the_server(api):
    with pytest.raises(marvin2.ParameterError, match="missing required parameter"):
        api.createTags(resourcetype="Zone", tags={"a": "b"})
    with pytest.raises(marvin2.UnknownApiError, match="listZones"):
        api.listZone()


def test_pagination_over_500_items(api, zone):
    prefix = "p" + uuid.uuid4().hex[:6]
    tags = {f"{prefix}-{i:04d}": str(i) for i in range(620)}
    api.createTags(resourceids=[zone.id], resourcetype="Zone", tags=tags)
    events = []
    api.add_listener(events.append)
    found = [t for t in api.list_all("listTags", resourceid=zone.id, keyword=prefix)]
    assert sorted(t.key for t in found) == sorted(tags)
    pages = [e.params_masked for e in events if isinstance(e, CallEvent) and e.command == "listTags"]
    assert [(p["page"], p["pagesize"]) for p in pages] == [("1", "500"), ("2", "500")]
    with pytest.raises(CloudStackError) as caught:
        api.call("listTags", {"page": 1, "pagesize": 501}, validate=False)
    assert caught.value.errorcode == 431 and "500" in caught.value.errortext


def test_reads_are_retried_and_creates_are_not(api, zone):
    api.call("configureSimulatorFaults", apiname="listHypervisors", droprate=1.0)
    events = []
    api.add_listener(events.append)
    with pytest.raises(TransportError):
        api.listHypervisors()
    attempts = [e for e in events if isinstance(e, CallEvent) and e.command == "listHypervisors"]
    assert len(attempts) == 4, "a read is tried 1 + retries (3) times"
    api.call("configureSimulatorFaults", apiname="createTags", droprate=1.0)
    with pytest.raises(TransportError) as caught:
        api.createTags(resourceids=[zone.id], resourcetype="Zone", tags={_tag_key(): "x"})
    assert caught.value.maybe_sent
    creates = [e for e in events if isinstance(e, CallEvent) and e.command == "createTags"]
    assert len(creates) == 1, "a create that may have arrived is never sent again"


def test_deploy_virtual_machine_end_to_end(api, zone):
    # The canonical create + async flow (needs the compute APIs of the simulator).
    [template] = api.listTemplates(templatefilter="featured", zoneid=zone.id, name="CentOS 5.6 (64-bit) no GUI (Simulator)")
    [offering] = api.listServiceOfferings(name="Small Instance")
    vm = api.deployVirtualMachine(zoneid=zone.id, templateid=template.id, serviceofferingid=offering.id)
    try:
        assert vm.state == "Running" and vm.zoneid == zone.id
        stopped = api.stopVirtualMachine(id=vm.id)
        assert stopped.state == "Stopped"
    finally:
        api.destroyVirtualMachine(id=vm.id, expunge=True)


def test_an_admin_api_called_as_a_user_is_not_available_to_this_role(api, simulator):
    from marvin2.client.errors import UnknownApiError

    domain = api.listDomains(name="ROOT")[0]
    account = api.createAccount(accounttype=0, email="role@example.org", firstname="r", lastname="u",
                                username="role-user", password="Role-Pa55-word", domainid=domain.id)
    keys = api.registerUserKeys(id=account.user[0].id)
    user = marvin2.connect(simulator.endpoint, api_key=keys.apikey, secret_key=keys.secretkey)
    try:
        assert user.spec.role_filtered and not api.spec.role_filtered
        with pytest.raises(UnknownApiError, match="'createZone' is not available to this role") as caught:
            user.createZone
        assert "admin's connection" in str(caught.value)
        with pytest.raises(UnknownApiError, match="unknown API 'listZone'"):
            api.listZone          # the admin sees every API: a missing one is a typo
        assert user.listZones()
    finally:
        user.close()
        api.deleteAccount(id=account.id)
