"""Autoscale counters (seeded and admin-made) and conditions (owned, updatable, guarding their counter)."""
from __future__ import annotations

from compute_client import unique


def _router_cpu(client) -> dict:
    found = client.items("listCounters", "counter", name="VM CPU - average percentage", provider="virtualrouter")
    assert len(found) == 1
    return found[0]


def test_seeded_counters(user):
    cpu = _router_cpu(user)
    assert (cpu["source"], cpu["value"], cpu["provider"]) == ("CPU", "vm.cpu.average.percentage", "VirtualRouter")
    assert len(user.items("listCounters", "counter", source="virtualrouter")) == 6
    assert user.error("listCounters", provider="Acme") == (431, "The Provider Acme does not exist; Unable to list Counter")


def test_counter_life_cycle_and_errors(admin, user):
    name = unique("counter")
    made = admin.run("createCounter", name=name, source="snmp", value="1.3.6.1.4.1.1", provider="netscaler")["counter"]
    assert (made["name"], made["source"], made["provider"]) == (name, "SNMP", "Netscaler")
    assert [c["id"] for c in user.items("listCounters", "counter", name=name)] == [made["id"]]
    assert admin.error("createCounter", name="x", source="radar", value="v", provider="None") == \
        (431, "The Source RADAR does not exist; Unable to create Counter")
    assert admin.error("createCounter", name="x", source="cpu", value="v", provider="Acme") == \
        (431, "The Provider Acme does not exist; Unable to create Counter")
    assert user.error("createCounter", name="x", source="cpu", value="v", provider="None")[0] == 432

    condition = user.run("createCondition", counterid=made["id"], relationaloperator="gt", threshold=80)["condition"]
    assert admin.failed("deleteCounter", id=made["id"]) == (536, "Counter is in use.")
    user.run("deleteCondition", id=condition["id"])
    assert admin.run("deleteCounter", id=made["id"])["success"] is True
    assert user.items("listCounters", "counter", name=name) == []
    assert admin.error("deleteCounter", id=made["id"]) == (431, "Unable to find Counter")


def test_condition_life_cycle(user, other_user):
    cpu = _router_cpu(user)
    condition = user.run("createCondition", counterid=cpu["id"], relationaloperator="ge", threshold=70)["condition"]
    assert (condition["relationaloperator"], condition["threshold"], condition["countername"]) == \
        ("GE", 70, "VM CPU - average percentage")
    assert condition["counter"]["id"] == cpu["id"] and condition["account"] == user.account["name"]
    assert [c["id"] for c in user.items("listConditions", "condition", counterid=cpu["id"])] == [condition["id"]]
    assert other_user.items("listConditions", "condition") == []

    updated = user.run("updateCondition", id=condition["id"], relationaloperator="LT", threshold=10)["condition"]
    assert (updated["relationaloperator"], updated["threshold"]) == ("LT", 10)
    assert other_user.error("updateCondition", id=condition["id"], relationaloperator="LT", threshold=1)[0] == 531
    assert other_user.error("deleteCondition", id=condition["id"])[0] == 531
    assert user.run("deleteCondition", id=condition["id"])["success"] is True
    assert user.items("listConditions", "condition") == []


def test_condition_errors(user):
    cpu = _router_cpu(user)
    assert user.error("createCondition", counterid=cpu["id"], relationaloperator="ne", threshold=1) == \
        (431, "The Operator NE does not exist; Unable to create Condition.")
    assert user.error("createCondition", counterid=cpu["id"], relationaloperator="eq", threshold=-1) == \
        (431, "The threshold -1 must be equal to or greater than 0.")
    assert user.error("createCondition", counterid=user.account["id"], relationaloperator="eq", threshold=1) == \
        (431, "Unable to find counter")
    code, text = user.error("createCondition", counterid=cpu["id"], threshold=1)
    assert code == 431 and "missing parameter relationaloperator" in text


def _memory(client) -> dict:
    return client.items("listCounters", "counter", name="VM Memory - average percentage", provider="VirtualRouter")[0]


def test_policy_life_cycle(user, other_user):
    cpu = user.run("createCondition", counterid=_router_cpu(user)["id"], relationaloperator="GT",
                   threshold=80)["condition"]
    memory = user.run("createCondition", counterid=_memory(user)["id"], relationaloperator="GT",
                      threshold=90)["condition"]
    policy = user.run("createAutoScalePolicy", name=unique("up"), action="scaleup", duration=60,
                      conditionids=cpu["id"])["autoscalepolicy"]
    assert (policy["action"], policy["duration"], policy["quiettime"]) == ("SCALEUP", 60, 300)
    assert [c["id"] for c in policy["conditions"]] == [cpu["id"]] and policy["account"] == user.account["name"]
    assert [p["id"] for p in user.items("listAutoScalePolicies", "autoscalepolicy", conditionid=cpu["id"])] \
        == [policy["id"]]
    assert [c["id"] for c in user.items("listConditions", "condition", policyid=policy["id"])] == [cpu["id"]]
    assert user.items("listAutoScalePolicies", "autoscalepolicy", action="ScaleDown") == []
    assert other_user.items("listAutoScalePolicies", "autoscalepolicy") == []

    assert user.failed("deleteCondition", id=cpu["id"]) == \
        (536, "Cannot delete Condition when it is in use by one or more AutoScale Policies.")
    updated = user.run("updateAutoScalePolicy", id=policy["id"], quiettime=30,
                       conditionids=f"{cpu['id']},{memory['id']}")["autoscalepolicy"]
    assert updated["quiettime"] == 30 and {c["id"] for c in updated["conditions"]} == {cpu["id"], memory["id"]}
    assert other_user.error("deleteAutoScalePolicy", id=policy["id"])[0] == 531
    assert user.run("deleteAutoScalePolicy", id=policy["id"])["success"] is True
    assert user.items("listAutoScalePolicies", "autoscalepolicy") == []
    user.run("deleteCondition", id=cpu["id"])
    user.run("deleteCondition", id=memory["id"])


def test_policy_errors(user, other_user):
    cpu = user.run("createCondition", counterid=_router_cpu(user)["id"], relationaloperator="GT",
                   threshold=80)["condition"]
    again = user.run("createCondition", counterid=_router_cpu(user)["id"], relationaloperator="LT",
                     threshold=10)["condition"]
    base = {"action": "ScaleUp", "duration": 60}
    assert user.error("createAutoScalePolicy", conditionids=cpu["id"], action="sideways", duration=60) == \
        (431, "action is invalid. Supported actions are: [SCALEUP, SCALEDOWN]")
    assert user.error("createAutoScalePolicy", conditionids=cpu["id"], action="ScaleUp", duration=-1) == \
        (431, "duration is an invalid value: -1")
    assert user.error("createAutoScalePolicy", conditionids=f"{cpu['id']},{again['id']}", **base) == \
        (431, ("at least two conditions in the conditionids have the same counter. It is not right to apply two "
              "different conditions for the same counter"))
    assert other_user.error("createAutoScalePolicy", conditionids=cpu["id"], **base)[0] == 531
    code, text = user.error("createAutoScalePolicy", action="ScaleUp", duration=60)
    assert code == 431 and "missing parameter conditionids" in text
    assert user.error("deleteAutoScalePolicy", id=cpu["id"]) == (431, "Unable to find AutoScale Policy")
