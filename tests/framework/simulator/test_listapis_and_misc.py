"""listApis (real format, role-filtered), login/logout case rules, events, job states, concurrency."""
from __future__ import annotations

import threading

import requests

from marvin2.simulator import start_simulator
from marvin2.simulator.declare import REGISTRY
from sim_testlib import RawClient


def _user(admin, name):
    account = admin.ok("createAccount", method="POST", username=name, password="pw", email="e@x", firstname="f",
                       lastname="l", accounttype=0)["account"]
    keys = admin.ok("registerUserKeys", id=account["user"][0]["id"])["userkeys"]
    return account, RawClient(admin.endpoint, keys["apikey"], keys["secretkey"])


def test_listapis_format_and_role_filter(admin):
    everything = admin.ok("listApis")
    names = {a["name"] for a in everything["api"]}
    assert everything["count"] == len(everything["api"]) == len(REGISTRY.surface())
    zones = [a for a in everything["api"] if a["name"] == "listZones"][0]
    assert set(zones) >= {"name", "description", "isasync", "related", "params", "response"}
    assert zones["isasync"] is False and zones["description"]
    page = [p for p in zones["params"] if p["name"] == "page"][0]
    assert page == {"name": "page", "description": page["description"], "type": "integer", "length": 255, "required": False}
    assert {"id", "name", "networktype"} <= {r["name"] for r in zones["response"]}
    create_tags = admin.ok("listApis", name="createTags")["api"][0]
    assert create_tags["isasync"] is True
    assert {p["name"]: p["required"] for p in create_tags["params"]}["resourceids"] is True
    assert "configureSimulatorFaults" in names and "listHosts" in names
    _, user = _user(admin, "apilister")
    user_names = {a["name"] for a in user.ok("listApis")["api"]}
    assert "listZones" in user_names and "createTags" in user_names
    assert not {"listHosts", "createZone", "configureSimulatorFaults", "createAccount"} & user_names


def test_login_logout_names_are_case_insensitive(sim):
    reply = requests.post(sim.endpoint, data={"command": "LOGIN", "username": "admin", "password": "password",
                                              "response": "json"}, timeout=5)
    assert reply.status_code == 200 and "sessionkey" in reply.json()["loginresponse"]
    session = requests.Session()
    key = session.post(sim.endpoint, data={"command": "login", "username": "admin", "password": "password",
                                           "domainId": sim.store.find_one("domain", path="ROOT")["id"],
                                           "response": "json"}, timeout=5).json()["loginresponse"]["sessionkey"]
    out = session.get(sim.endpoint, params={"command": "Logout", "sessionkey": key, "response": "json"}, timeout=5)
    assert out.status_code == 200 and out.json() == {"logoutresponse": {"description": "success"}}


def test_events_are_recorded_and_scoped(admin):
    account, user = _user(admin, "eventful")
    events = admin.ok("listEvents", type="ACCOUNT.CREATE", listall=True)["event"]
    assert any("eventful" in e["description"] for e in events)
    mine = user.ok("listEvents")
    assert all(e["account"] == "eventful" for e in mine.get("event", []))


def test_jobs_are_pending_before_they_complete():
    sim = start_simulator(profile="realistic")
    try:
        admin = RawClient(sim.endpoint, sim.admin_api_key, sim.admin_secret_key)
        zone = admin.ok("listZones")["zone"][0]
        jobid = admin.ok("createTags", resourceids=zone["id"], resourcetype="Zone", tags={"slow": "yes"})["jobid"]
        pending = admin.ok("queryAsyncJobResult", jobid=jobid)
        assert pending["jobstatus"] == 0 and "jobresult" not in pending and "jobresulttype" not in pending
        done = admin.wait_job(jobid, timeout=10)
        assert done["jobstatus"] == 1 and done["jobresult"] == {"success": True}
    finally:
        sim.stop()


def test_concurrent_creates_are_consistent(admin):
    errors, names = [], [f"par{i}" for i in range(16)]

    def create(name):
        try:
            status, body = admin.__class__(admin.endpoint, admin.api_key, admin.secret).call("createDomain", name=name)
            if status != 200:
                errors.append(body)
        except Exception as exc:  # noqa: BLE001 - collect for the assertion
            errors.append(repr(exc))

    threads = [threading.Thread(target=create, args=(n,)) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    listed = {d["name"] for d in admin.ok("listDomainChildren")["domain"]}
    assert set(names) <= listed
