"""Fault rules limited to one account (configureSimulatorFaults account=UUID): they hit that account's
calls and jobs only, beat global rules, are cleared and listed per account, and roll their own dice."""
from __future__ import annotations

import random
import uuid

import pytest

from marvin2.simulator.faults import FaultRule, Faults
from sim_testlib import RawClient


def _user(admin: RawClient, name: str) -> tuple[RawClient, str]:
    account = admin.ok("createAccount", method="POST", username=name, password="pw", email=f"{name}@x.org",
                       firstname="F", lastname="L", accounttype=0)["account"]
    keys = admin.ok("registerUserKeys", id=account["user"][0]["id"])["userkeys"]
    return RawClient(admin.endpoint, keys["apikey"], keys["secretkey"]), account["id"]


@pytest.fixture(scope="module")
def alice(admin) -> tuple[RawClient, str]:
    return _user(admin, "faultalice")


@pytest.fixture(scope="module")
def bob(admin) -> tuple[RawClient, str]:
    return _user(admin, "faultbob")


@pytest.fixture(autouse=True)
def no_rules_left(admin):
    yield
    admin.ok("configureSimulatorFaults", clear=True)


def _status(client: RawClient, command: str, **params) -> int:
    return client.call(command, **params)[0]


def test_an_account_rule_fails_only_that_accounts_calls(admin, alice, bob):
    (alice_api, alice_id), (bob_api, _) = alice, bob
    rule = admin.ok("configureSimulatorFaults", apiname="listZones", errorrate=1.0, errorcode=534, account=alice_id)
    assert rule["simulatorfault"]["account"] == alice_id
    status, body = alice_api.call("listZones")
    assert status == 534 and body["listzonesresponse"]["errorcode"] == 534
    assert _status(alice_api, "listServiceOfferings") == 200      # another command of the same account
    assert _status(bob_api, "listZones") == 200
    assert _status(admin, "listZones") == 200


def _disk_offering(admin: RawClient) -> dict:
    offerings = admin.ok("listDiskOfferings")["diskoffering"]
    return next(o for o in offerings if not o.get("iscustomized") and o.get("disksize"))


def _create_volume(client: RawClient, admin: RawClient, name: str) -> dict:
    zone = admin.ok("listZones")["zone"][0]
    answer = client.ok("createVolume", name=name, zoneid=zone["id"], diskofferingid=_disk_offering(admin)["id"])
    return client.wait_job(answer["jobid"])


def test_an_account_rule_fails_only_the_jobs_that_account_submits(admin, alice, bob):
    (alice_api, alice_id), (bob_api, _) = alice, bob
    admin.ok("configureSimulatorFaults", apiname="createVolume", jobfailurerate=1.0, account=alice_id)
    failed = _create_volume(alice_api, admin, "alice-vol")
    assert (failed["jobstatus"], failed["jobresultcode"]) == (2, 530)
    assert "injected" in failed["jobresult"]["errortext"]
    done = _create_volume(bob_api, admin, "bob-vol")
    assert (done["jobstatus"], done["jobresultcode"]) == (1, 0)


def test_precedence_account_command_then_account_star_then_global(admin, alice, bob):
    (alice_api, alice_id), (bob_api, _) = alice, bob
    for apiname, code, account in (("*", 560, None), ("listZones", 561, None),
                                   ("*", 562, alice_id), ("listZones", 563, alice_id)):
        extra = {"account": account} if account else {}
        admin.ok("configureSimulatorFaults", apiname=apiname, errorrate=1.0, errorcode=code, **extra)
    assert _status(alice_api, "listZones") == 563
    assert _status(alice_api, "listServiceOfferings") == 562      # the account's * beats the global rules
    assert _status(bob_api, "listZones") == 561
    assert _status(bob_api, "listServiceOfferings") == 560
    admin.ok("configureSimulatorFaults", apiname="listZones", account=alice_id, clear=True)
    assert _status(alice_api, "listZones") == 562
    admin.ok("configureSimulatorFaults", account=alice_id, clear=True)
    assert _status(alice_api, "listZones") == 561


def test_an_account_rule_with_no_faults_shields_the_account_from_global_ones(admin, alice, bob):
    (alice_api, alice_id), (bob_api, _) = alice, bob
    admin.ok("configureSimulatorFaults", apiname="listZones", errorrate=1.0, errorcode=534)
    admin.ok("configureSimulatorFaults", apiname="listZones", errorrate=0.0, account=alice_id)
    assert _status(alice_api, "listZones") == 200
    assert _status(bob_api, "listZones") == 534


def _listed(admin: RawClient, **params) -> list[tuple[str, str | None]]:
    rules = admin.ok("listSimulatorFaults", **params).get("simulatorfault", [])
    return [(r["command"], r.get("account")) for r in rules]


def test_clear_with_an_account_leaves_other_accounts_and_global_rules(admin, alice, bob):
    (_, alice_id), (_, bob_id) = alice, bob
    for account in (alice_id, bob_id):
        for apiname in ("listZones", "listHosts"):
            admin.ok("configureSimulatorFaults", apiname=apiname, errorrate=1.0, account=account)
    admin.ok("configureSimulatorFaults", apiname="listZones", errorrate=1.0)
    admin.ok("configureSimulatorFaults", apiname="listZones", account=alice_id, clear=True)
    assert sorted(_listed(admin), key=str) == sorted(
        [("listZones", None), ("listHosts", alice_id), ("listZones", bob_id), ("listHosts", bob_id)], key=str)
    admin.ok("configureSimulatorFaults", account=bob_id, clear=True)
    assert sorted(_listed(admin), key=str) == sorted([("listZones", None), ("listHosts", alice_id)], key=str)
    # Without account, clear acts on every scope: the command's rules everywhere, then everything.
    admin.ok("configureSimulatorFaults", apiname="listZones", account=bob_id, errorrate=1.0)
    admin.ok("configureSimulatorFaults", apiname="listZones", clear=True)
    assert _listed(admin) == [("listHosts", alice_id)]
    admin.ok("configureSimulatorFaults", clear=True)
    assert _listed(admin) == []


def test_an_unknown_account_is_a_431_naming_the_parameter(admin):
    unknown = str(uuid.uuid4())
    for command, params in (("configureSimulatorFaults", {"apiname": "listZones", "errorrate": 1.0}),
                            ("configureSimulatorFaults", {"clear": True}),
                            ("listSimulatorFaults", {})):
        for value in (unknown, "-1", "not-an-id"):
            status, body = admin.call(command, account=value, **params)
            error = body[f"{command.lower()}response"]
            assert status == 431 and error["errorcode"] == 431, (command, value, body)
            assert f"Invalid parameter account value={value}" in error["errortext"], (command, value, body)
    assert _listed(admin) == []          # nothing was set by the refused calls


def test_the_list_shows_and_filters_by_account(admin, alice, bob):
    (_, alice_id), (_, bob_id) = alice, bob
    admin.ok("configureSimulatorFaults", apiname="createVolume", jobfailurerate=0.25, account=alice_id)
    admin.ok("configureSimulatorFaults", apiname="createVolume", jobfailurerate=0.5)
    rules = admin.ok("listSimulatorFaults")["simulatorfault"]
    by_scope = {r.get("account"): r for r in rules}
    assert set(by_scope) == {None, alice_id}
    assert "account" not in by_scope[None]          # a global rule names no account
    assert float(by_scope[alice_id]["jobfailurerate"]) == 0.25
    assert _listed(admin, account=alice_id) == [("createVolume", alice_id)]
    assert admin.ok("listSimulatorFaults", account=bob_id) == {}


def test_a_seeded_account_rule_rolls_the_same_whatever_other_accounts_do(sim, admin, alice, bob):
    (alice_api, alice_id), (bob_api, bob_id) = alice, bob
    seed_before = sim.faults.seed

    def alice_sequence(interleave: bool) -> list[int]:
        admin.ok("configureSimulatorFaults", apiname="listZones", errorrate=0.5, seed=11, account=alice_id)
        out = []
        for _ in range(12):
            out.append(_status(alice_api, "listZones"))
            if interleave:           # bob's rule rolls between alice's calls
                _status(bob_api, "listZones")
                _status(bob_api, "listZones")
        return out

    admin.ok("configureSimulatorFaults", apiname="listZones", errorrate=0.5, account=bob_id)
    alone = alice_sequence(interleave=False)
    interleaved = alice_sequence(interleave=True)
    assert alone == interleaved and 200 in alone and 530 in alone
    assert sim.faults.seed == seed_before       # an account's seed is its rule's own, not the simulator's


def test_a_call_without_caller_meets_only_global_rules():
    faults = Faults()
    global_rule = faults.set(FaultRule(command="listZones", errorcode=561))
    faults.set(FaultRule(command="*", errorcode=562, account="acct-a"))
    assert faults.rule_for("listZones", None) is global_rule
    assert faults.rule_for("listZones", "acct-b") is global_rule
    assert faults.rule_for("listZones", "acct-a").errorcode == 562
    assert faults.rule_for("configureSimulatorFaults", "acct-a") is None      # the fault APIs are exempt


def test_rules_without_a_seed_of_their_own_use_the_fault_seed_when_set():
    faults = Faults(seed=5)
    first = faults.set(FaultRule(command="a", errorrate=0.5))
    faults.reseed(9)
    second = faults.set(FaultRule(command="b", errorrate=0.5))
    own = faults.set(FaultRule(command="c", errorrate=0.5, account="x"), seed=9)
    expect5, expect9 = random.Random(5), random.Random(9)
    assert [first.rng.random() for _ in range(5)] == [expect5.random() for _ in range(5)]
    draws9 = [expect9.random() for _ in range(5)]
    assert [second.rng.random() for _ in range(5)] == draws9
    assert [own.rng.random() for _ in range(5)] == draws9
