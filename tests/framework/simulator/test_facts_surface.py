"""The simulator speaks CloudStack 4.20.2.0 from the packaged facts table: listApis shows the whole surface of a
default install, each implemented API exactly as the table declares it, and the rest answer an honest 530."""
from __future__ import annotations

import pytest

from marvin2.simulator import apis, facts
from marvin2.simulator.declare import REGISTRY, P, from_facts

apis.load_all()
OFFERED = {c.name: c for c in facts.offered_commands()}
IMPLEMENTED = REGISTRY.implemented()


@pytest.fixture(scope="module")
def listed(admin) -> dict[str, dict]:
    return {entry["name"]: entry for entry in admin.ok("listApis")["api"]}


def test_capabilities_report_the_target_release(admin):
    assert admin.ok("listCapabilities")["capability"]["cloudstackversion"] == "4.20.2.0" == facts.TARGET_VERSION


def test_the_packaged_table_is_the_420_surface():
    # 4.20.2.0 has 864 command names; a default install offers all but the plugins switched off by default.
    assert len(facts.commands()) == 864
    assert "quotaBalance" not in OFFERED and "samlSso" not in OFFERED and "createBackup" not in OFFERED
    assert {"listRegions", "listManagementServers", "listUsageRecords", "migrateSystemVm", "quotaIsEnabled"} <= set(OFFERED)


def test_list_apis_lists_every_offered_api_and_the_simulator_extensions(listed):
    extensions = {a.name for a in REGISTRY if a.simulator_only}
    assert set(listed) == set(OFFERED) | extensions
    assert len(listed) == len(OFFERED) + len(extensions)


@pytest.mark.parametrize("declared", IMPLEMENTED, ids=lambda d: d.name)
def test_implemented_api_is_listed_as_the_table_declares_it(listed, declared):
    fact = OFFERED[declared.name]
    entry = listed[declared.name]
    assert entry["isasync"] == fact.is_async
    assert entry.get("since") == fact.since
    expected, seen = [], set()
    for p in fact.listed_params:          # the root admin's order; a field re-declared by a superclass once
        if p.name.lower() not in seen:
            seen.add(p.name.lower())
            expected.append((p.name, p.type, p.required, p.since))
    assert [(p["name"], p["type"], p["required"], p.get("since")) for p in entry["params"]] == expected
    assert declared.envelope_key == fact.envelope and declared.java_class == fact.java_class


def test_an_unimplemented_api_answers_530_under_its_envelope(admin):
    missing = sorted(set(OFFERED) - {a.name for a in IMPLEMENTED})
    assert missing, "every API is implemented: pick another check"
    # Those whose required parameters need no existing object (a uuid must name a real row first).
    answerable = [n for n in missing if not any(p.required and p.type == "uuid" for p in OFFERED[n].params_for(True))]
    assert len(answerable) >= 25
    for name in answerable[:: max(1, len(answerable) // 40)]:
        fact = OFFERED[name]
        required = {}
        for p in fact.params_for(True):
            if p.required and p.expose:
                required.update({f"{p.name}[0].key": "k", f"{p.name}[0].value": "v"} if p.type == "map"
                                else {p.name: _sample(p.type)})
        status, body = admin.call(name, method="POST", **required)
        assert status == 530, (name, body)
        assert list(body) == [fact.envelope]
        assert body[fact.envelope]["errortext"] == (
            f"{name} is a CloudStack 4.20.2.0 API that the marvin2 simulator does not implement")


def test_an_unimplemented_api_still_checks_its_parameters(admin):
    status, body = admin.call("listUsageRecords")          # enddate, then startdate: the server's order
    assert status == 431
    assert body["listusagerecordsresponse"]["errortext"].endswith("missing parameter enddate")


def test_a_name_no_release_has_is_not_a_530(admin):
    status, body = admin.call("listUsageRecordz")      # signed: an unknown command is a credentials failure
    assert status == 401 and list(body) == ["errorresponse"]


def test_declarations_may_only_add_what_the_table_cannot_know():
    with pytest.raises(ValueError, match="nosuchparam not parameters of listZones"):
        from_facts("listZones", lambda ctx: None, hints=(P("nosuchparam"),))
    with pytest.raises(ValueError, match="come from the facts table"):
        from_facts("listZones", lambda ctx: None, hints=(P("name", type="integer"),))
    with pytest.raises(ValueError, match="is not a CloudStack 4.20.2.0 API"):
        from_facts("listZonez", lambda ctx: None)


def test_a_user_sees_no_admin_command(sim, admin):
    from sim_testlib import RawClient

    account = admin.ok("createAccount", method="POST", accounttype=0, email="u@example.org", firstname="u",
                       lastname="u", username="facts-user", password="pw", account="facts-user")["account"]
    keys = admin.ok("registerUserKeys", id=account["user"][0]["id"])["userkeys"]
    names = {e["name"] for e in RawClient(sim.endpoint, keys["apikey"], keys["secretkey"]).ok("listApis")["api"]}
    assert "listVirtualMachines" in names and "createZone" not in names and "listHosts" not in names


def _sample(kind: str) -> str:
    return {"uuid": "6c2f6c8e-1c1b-4f5f-9a6b-8ab8b4a3f1c2", "integer": "1", "long": "1", "short": "1",
            "boolean": "true", "date": "2026-01-01", "list": "a", "map": ""}.get(kind, "x")
