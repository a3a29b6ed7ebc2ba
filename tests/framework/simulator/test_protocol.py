"""The wire protocol as a real client sees it: envelopes, errors, auth, sessions, jobs."""
from __future__ import annotations

import datetime as dt
import socket

import requests

from marvin2 import wire
from sim_testlib import RawClient

SIG_TEXT = "unable to verify user credentials and/or request signature"


def test_sync_example_list_zones(admin):
    inner = admin.ok("listZones")
    assert inner["count"] == 1
    assert inner["zone"][0]["name"] == "Sandbox-simulator"
    assert inner["zone"][0]["networktype"] == "Advanced"


def test_json_content_type_and_keep_alive(sim, admin):
    reply = admin.http.get(sim.endpoint, params=admin.signed_params("listZones"), timeout=5)
    assert reply.headers["Content-Type"] == "application/json; charset=UTF-8"
    assert int(reply.headers["Content-Length"]) == len(reply.content)
    assert reply.raw.version == 11


def test_async_example_create_tags_and_job_records(admin):
    zone = admin.ok("listZones")["zone"][0]
    answer = admin.ok("createTags", resourceids=zone["id"], resourcetype="Zone", tags={"env": "ci"})
    assert set(answer) == {"jobid"}
    job = admin.wait_job(answer["jobid"])
    assert job["jobstatus"] == 1 and job["jobresultcode"] == 0
    assert job["jobresult"] == {"success": True}
    assert job["jobresulttype"] == "object"
    for field in ("accountid", "userid", "cmd", "jobprocstatus", "created", "completed", "jobid"):
        assert field in job, field
    listed = admin.ok("listAsyncJobs")
    assert answer["jobid"] in [j["jobid"] for j in listed["asyncjobs"]]
    tagged = admin.ok("listZones", tags={"env": "ci"})
    assert tagged["count"] == 1
    assert admin.ok("listZones", tags={"env": "prod"}) == {}
    admin.wait_job(admin.ok("deleteTags", resourceids=zone["id"], resourcetype="Zone")["jobid"])
    assert admin.ok("listZones", tags={"env": "ci"}) == {}


def test_async_validation_happens_before_queueing(admin):
    status, body = admin.call("createTags", resourcetype="Zone", tags={"a": "b"})
    assert status == 431
    assert body["createtagsresponse"]["errortext"] == "Unable to execute API command createtags due to missing parameter resourceids"


def test_missing_and_invalid_parameters(admin):
    status, body = admin.call("listZones", page="x", pagesize=10)
    assert status == 431
    assert body["listzonesresponse"]["errortext"] == "Unable to execute API command listzones due to invalid value x for parameter page"
    status, body = admin.call("listZones", id="not-a-uuid")
    assert status == 431
    assert "Invalid parameter id value=not-a-uuid due to incorrect long value format" in body["listzonesresponse"]["errortext"]
    unknown = "11111111-2222-3333-4444-555555555555"
    status, body = admin.call("listZones", id=unknown)
    assert status == 431
    assert body["listzonesresponse"]["errortext"] == (
        f"Unable to execute API command listzones due to invalid value. Invalid parameter id value={unknown} due to "
        "incorrect long value format, or entity does not exist or due to incorrect parameter annotation for the field "
        "in api cmd class.")
    # Booleans follow Java's Boolean.valueOf: anything but "true" is false, never an error.
    status, body = admin.call("listZones", available="maybe")
    assert status == 200
    status, body = admin.call("listAccounts", listall="1")
    assert status == 200
    status, body = admin.call("listZones", name="x" * 256)
    assert status == 431 and "max allowed length 255" in body["listzonesresponse"]["errortext"]


def test_malformed_map_parameter(sim, admin):
    # ParamUnpackWorker: a name with "[" that is not name[int].field is a 430 (was wrongly a 431 here).
    params = admin.signed_params("listZones", {"tags[x]key": "a"})
    reply = requests.get(sim.endpoint, params=params, timeout=5)
    assert reply.status_code == 430
    assert reply.json() == {"listzonesresponse": {
        "uuidList": [], "errorcode": 430, "cserrorcode": 9999,
        "errortext": "Unable to decode parameter tags[x]key; if specifying an object array, please use "
                     "parameter[index].field=XXX, e.g. userGroupList[0].group=httpGroup"}}
    # A plain value for a map parameter cannot be stored in the map field: Java's invalid-value text.
    params = admin.signed_params("listZones", {"tags": "plain"})
    reply = requests.get(sim.endpoint, params=params, timeout=5)
    assert reply.status_code == 431
    assert reply.json()["listzonesresponse"]["errortext"] == \
        "Unable to execute API command listzones due to invalid value plain for parameter tags"


def test_pagination_rules(admin):
    assert admin.call("listZones", pagesize=10)[1]["listzonesresponse"]["errortext"] == \
        '"page" parameter is required when "pagesize" is specified'
    status, body = admin.call("listZones", page=1, pagesize=501)
    assert status == 431
    assert body["listzonesresponse"]["errortext"] == "Page size can't exceed max allowed page size value: 500"
    assert admin.ok("listZones", page=2, pagesize=1) == {"count": 1}
    assert admin.ok("listZones", pagesize=-1)["count"] == 1


def test_parameter_names_case_insensitive_unknown_ignored_last_query_value_wins(sim, admin):
    # A repeated query parameter: the LAST value wins, for dispatch and for the signature (ApiServlet.utf8Fixup);
    # the simulator used to keep the first.
    zone = admin.ok("listZones")["zone"][0]
    assert admin.ok("listZones", NAME="Sandbox-simulator", bogus="1")["count"] == 1
    params = admin.signed_params("listZones", {"name": "Sandbox-simulator"})
    query = "name=other&" + "&".join(f"{k}={wire.java_urlencode(v)}" for k, v in params.items())
    reply = requests.get(f"{sim.endpoint}?{query}", timeout=5)
    assert reply.status_code == 200 and reply.json()["listzonesresponse"]["zone"][0]["id"] == zone["id"]


def test_post_form_parameters_are_merged(sim, admin):
    params = admin.signed_params("listZones", {"name": "nope"})
    query = {k: v for k, v in params.items() if k in ("command", "response")}
    form = {k: v for k, v in params.items() if k not in query}
    reply = requests.post(sim.endpoint, params=query, data=form, timeout=5)
    assert reply.status_code == 200 and reply.json() == {"listzonesresponse": {}}


def test_response_must_be_json(sim, admin):
    params = admin.signed_params("listZones")
    params.pop("response")
    reply = requests.get(sim.endpoint, params=params, timeout=5)
    assert reply.status_code == 431
    assert "JSON" in reply.json()["listzonesresponse"]["errortext"]


def test_signature_failures_are_401(sim, admin):
    expected = {"uuidList": [], "errorcode": 401, "errortext": SIG_TEXT}
    params = admin.signed_params("listZones")
    params["signature"] = "AAAA" + params["signature"][4:]
    reply = requests.get(sim.endpoint, params=params, timeout=5)
    assert reply.status_code == 401 and reply.json() == {"listzonesresponse": expected}
    stranger = RawClient(sim.endpoint, "unknown-key", "whatever")
    assert stranger.call("listZones") == (401, {"listzonesresponse": expected})
    expired = admin.signed_params("listZones", version3=True, expires=dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc))
    reply = requests.get(sim.endpoint, params=expired, timeout=5)
    assert reply.status_code == 401 and reply.json() == {"listzonesresponse": expected}
    fresh = admin.signed_params("listZones", version3=True)
    assert requests.get(sim.endpoint, params=fresh, timeout=5).status_code == 200
    nosig = admin.signed_params("listZones")
    nosig.pop("signature")
    assert requests.get(sim.endpoint, params=nosig, timeout=5).status_code == 401


def test_unknown_command_with_key_is_401_errorresponse(admin):
    status, body = admin.call("listvirtualmachinez")
    assert status == 401
    assert body == {"errorresponse": {"uuidList": [], "errorcode": 401, "errortext": SIG_TEXT}}
    status, body = admin.call("listzones")     # command names are case-sensitive
    assert status == 401 and "errorresponse" in body


def test_login_session_and_logout(sim):
    client = RawClient(sim.endpoint)
    reply = client.http.get(sim.endpoint, params={"command": "login", "username": "admin", "password": "password",
                                                 "response": "json"}, timeout=5)
    # A plain-text body whose Content-Type follows response=json, as HttpUtils.writeHttpResponse writes it.
    assert reply.status_code == 405 and reply.text == "Please use HTTP POST to authenticate using this API"
    assert reply.headers["Content-Type"] == "application/json; charset=UTF-8"
    login = client.login("admin", "password")
    assert set(login) >= {"username", "userid", "domainid", "timeout", "account", "firstname", "lastname", "type",
                          "registered", "sessionkey"}
    assert login["type"] == "1" and login["registered"] == "false" and login["timeout"] == 1800
    assert {"JSESSIONID", "sessionkey"} <= set(client.http.cookies.keys())
    status, body = client.session_call("listZones")
    assert status == 200 and body["listzonesresponse"]["count"] == 1
    status, body = client.session_call("listZonez")
    assert status == 432 and body == {"errorresponse": {"uuidList": [], "errorcode": 432, "cserrorcode": 9999,
                                                        "errortext": "Unknown API command: listZonez"}}
    status, body = client.session_call("logout")
    assert status == 200 and body == {"logoutresponse": {"description": "success"}}
    assert client.session_call("listZones") == (401, {"listzonesresponse": {
        "uuidList": [], "errorcode": 401, "errortext": SIG_TEXT}})     # no session any more: the API-key path
    # A session request without the sessionkey parameter is refused and ends the session (ApiServlet
    # invalidates it): the right key does not work afterwards either.
    client.login("admin", "password")
    no_key = client.http.get(sim.endpoint, params={"command": "listZones", "response": "json"}, timeout=5)
    assert no_key.status_code == 401 and no_key.json() == {"listzonesresponse": {
        "uuidList": [], "errorcode": 401, "errortext": "unable to verify user credentials"}}
    assert client.session_call("listZones")[0] == 401


def test_bad_login_is_531(sim):
    reply = requests.post(sim.endpoint, data={"command": "login", "username": "admin", "password": "wrong",
                                              "response": "json"}, timeout=5)
    assert reply.status_code == 531
    assert reply.json() == {"loginresponse": {   # no cserrorcode on login errors
        "uuidList": [], "errorcode": 531,
        "errortext": "Failed to authenticate user admin in domain 1; please provide valid credentials"}}


def test_register_and_get_user_keys(sim, admin):
    client = RawClient(sim.endpoint)
    login = client.login("admin", "password")
    assert admin.ok("getUserKeys", id=login["userid"])["userkeys"]["apikey"] == sim.admin_api_key


def test_fault_injection_is_seeded_and_admin_only(sim, admin):
    try:
        admin.ok("configureSimulatorFaults", apiname="listHypervisors", errorrate=1.0, errorcode=534, seed=7)
        status, body = admin.call("listHypervisors")
        assert status == 534 and body["listhypervisorsresponse"]["errorcode"] == 534
        admin.ok("configureSimulatorFaults", apiname="listHypervisors", errorrate=0.5, seed=7)
        first = [admin.call("listHypervisors")[0] for _ in range(12)]
        admin.ok("configureSimulatorFaults", seed=7, apiname="listHypervisors", errorrate=0.5)
        second = [admin.call("listHypervisors")[0] for _ in range(12)]
        assert first == second and 200 in first and 530 in first
        admin.ok("configureSimulatorFaults", apiname="listHypervisors", droprate=1.0)
        params = admin.signed_params("listHypervisors")
        try:
            requests.get(sim.endpoint, params=params, timeout=5)
            raise AssertionError("the connection should have been dropped")
        except requests.ConnectionError:
            pass
    finally:
        admin.ok("configureSimulatorFaults", clear=True)
    assert admin.call("listHypervisors")[0] == 200


def test_injected_job_failure(admin):
    zone = admin.ok("listZones")["zone"][0]
    try:
        admin.ok("configureSimulatorFaults", apiname="createTags", jobfailurerate=1.0)
        job = admin.wait_job(admin.ok("createTags", resourceids=zone["id"], resourcetype="Zone", tags={"k": "v"})["jobid"])
        assert job["jobstatus"] == 2 and job["jobresultcode"] == 530
        assert job["jobresult"]["errorcode"] == 530 and "injected" in job["jobresult"]["errortext"]
    finally:
        admin.ok("configureSimulatorFaults", clear=True)


def test_wrong_path_is_404(sim):
    host, port = sim.host, sim.port
    with socket.create_connection((host, port), timeout=5) as conn:
        conn.sendall(b"GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n")
        assert conn.recv(100).startswith(b"HTTP/1.1 404")
