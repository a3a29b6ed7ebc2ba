"""Autoscale counters, conditions and policies (the first three layers of CloudStack's autoscaling).

Counters are ``ascounter`` rows (``name``, ``source``, ``value``, ``provider``); the simulator starts with the
counters the 4.20 schema inserts (loaded once per store). Conditions are owned ``ascondition`` rows
(``counterid``, ``relationaloperator``, ``threshold``); policies are owned ``aspolicy`` rows (``name``,
``action`` SCALEUP/SCALEDOWN, ``duration``, ``quiettime``, ``conditionids``), owned by the account of their
first condition. A counter used by a condition, or a condition used by a policy, cannot be deleted.
Autoscale VM profiles and VM groups are not implemented yet, so no policy is ever "in use" by a group.
"""
from __future__ import annotations

from marvin2.simulator import errors

COUNTER_KIND, CONDITION_KIND, POLICY_KIND = "ascounter", "ascondition", "aspolicy"
ACTIONS = {"scaleup": "SCALEUP", "scaledown": "SCALEDOWN"}
DEFAULT_QUIET_TIME = 5 * 60
SOURCES = ("NETSCALER", "SNMP", "CPU", "MEMORY", "VIRTUALROUTER")
OPERATORS = ("EQ", "GT", "LT", "GE", "LE")
# Network.Provider names (a counter names the provider that measures it).
PROVIDERS = ("VirtualRouter", "JuniperContrailRouter", "JuniperContrailVpcRouter", "JuniperSRX", "PaloAlto", "F5BigIp",
             "Netscaler", "ExternalDhcpServer", "ExternalGateWay", "ElasticLoadBalancerVm", "SecurityGroupProvider",
             "VpcVirtualRouter", "None", "NiciraNvp", "InternalLbVm", "CiscoVnmc", "Ovs", "Opendaylight", "BrocadeVcs",
             "GloboDns", "BigSwitchBcf", "ConfigDrive", "Tungsten", "Nsx")
_ROUTER_COUNTERS = (("CPU", "VM CPU - average percentage", "vm.cpu.average.percentage"),
                    ("MEMORY", "VM Memory - average percentage", "vm.memory.average.percentage"),
                    ("VIRTUALROUTER", "Public Network - mbps received per vm", "public.network.received.average.mbps"),
                    ("VIRTUALROUTER", "Public Network - mbps transmit per vm", "public.network.transmit.average.mbps"),
                    ("VIRTUALROUTER", "Load Balancer - average connections per vm",
                     "virtual.network.lb.average.connections"))
# (provider, source, name, value) of the schema's counters, in the order the upgrades insert them.
SEEDED = (
    ("Netscaler", "SNMP", "Linux User CPU - percentage", "1.3.6.1.4.1.2021.11.9.0"),
    ("Netscaler", "SNMP", "Linux System CPU - percentage", "1.3.6.1.4.1.2021.11.10.0"),
    ("Netscaler", "SNMP", "Linux CPU Idle - percentage", "1.3.6.1.4.1.2021.11.11.0"),
    ("Netscaler", "NETSCALER", "Response Time - microseconds", "RESPTIME"),
    ("Netscaler", "CPU", "Linux User CPU - percentage - native", "1.3.6.1.4.1.2021.11.9.1"),
    ("Netscaler", "MEMORY", "Linux User RAM - percentage - native", "1.3.6.1.4.1.2021.11.10.1"),
    *(("VirtualRouter", *c) for c in _ROUTER_COUNTERS),
    *(("VpcVirtualRouter", *c) for c in _ROUTER_COUNTERS),
    *(("None", *c) for c in _ROUTER_COUNTERS[:2]),
)


def ensure_counters(store) -> None:
    if store.get_meta("ascounters.loaded"):
        return
    for provider, source, name, value in SEEDED:
        store.insert(COUNTER_KIND, {"provider": provider, "source": source, "name": name, "value": value})
    store.set_meta("ascounters.loaded", True)


def provider_name(text: str | None) -> str | None:
    return next((p for p in PROVIDERS if p.lower() == (text or "").lower()), None)


def create_counter(store, name: str, source: str, value: str, provider: str) -> dict:
    upper = source.upper()
    if upper not in SOURCES:
        raise errors.invalid_value(f"The Source {upper} does not exist; Unable to create Counter")
    proper = provider_name(provider)
    if proper is None:
        raise errors.invalid_value(f"The Provider {provider} does not exist; Unable to create Counter")
    return store.insert(COUNTER_KIND, {"name": name, "source": upper, "value": value, "provider": proper})


def delete_counter(store, counter: dict) -> None:
    if store.find_one(CONDITION_KIND, counterid=counter["id"]) is not None:
        raise errors.resource_in_use("Counter is in use.")
    store.delete(COUNTER_KIND, counter["id"])


def search_counters(store, *, counter_id=None, name=None, source=None, provider=None, keyword=None) -> list[dict]:
    if provider is not None:
        proper = provider_name(provider)
        if proper is None:
            raise errors.invalid_value(f"The Provider {provider} does not exist; Unable to list Counter")
        provider = proper
    rows = [r for r in store.all(COUNTER_KIND)
            if (counter_id is None or r["id"] == counter_id) and (name is None or r["name"] == name)
            and (source is None or r["source"] == source.upper()) and (provider is None or r["provider"] == provider)
            and (keyword is None or keyword.lower() in r["name"].lower())]
    return list(reversed(rows))                          # newest first, as the server orders them


def check_condition(operator: str, threshold: int, verb: str) -> str:
    upper = operator.upper()
    if upper not in OPERATORS:
        raise errors.invalid_value(f"The Operator {upper} does not exist; Unable to {verb} Condition.")
    if threshold < 0:
        raise errors.invalid_value(f"The threshold {threshold} must be equal to or greater than 0.")
    return upper


def create_condition(store, owner: dict, counter: dict, operator: str, threshold: int) -> dict:
    return store.insert(CONDITION_KIND, {"counterid": counter["id"], "relationaloperator": operator,
                                         "threshold": threshold, "accountid": owner["id"],
                                         "domainid": owner["domainid"]})


def condition_in_use(store, condition_id: str) -> bool:
    return any(condition_id in (p.get("conditionids") or []) for p in store.all(POLICY_KIND))


def parse_action(text: str | None) -> str | None:
    """AutoScalePolicy.Action.fromValue: ScaleUp / ScaleDown in any case."""
    if not text or not text.strip():
        return None
    action = ACTIONS.get(text.lower())
    if action is None:
        raise errors.invalid_value("action is invalid. Supported actions are: [SCALEUP, SCALEDOWN]")
    return action


def policy_conditions(ctx, condition_ids: list[str] | None) -> list[dict] | None:
    """The conditions a policy names (checkValidityAndPersist): at least one, all found and the caller's to use,
    no two on the same counter. None when the request names none (an update keeps the old ones)."""
    if condition_ids is None:
        return None
    if not condition_ids:
        raise errors.invalid_value("AutoScale policy must have at least one condition")
    rows = [r for r in (ctx.store.get(CONDITION_KIND, i.lower()) for i in condition_ids) if r is not None]
    for row in rows:
        ctx.check_access(row, "Condition")
    if len(rows) != len(condition_ids):
        raise errors.invalid_value("Unable to find the condition specified")
    counters = [r["counterid"] for r in rows]
    if len(set(counters)) != len(counters):
        raise errors.invalid_value("at least two conditions in the conditionids have the same counter. It is not "
                                   "right to apply two different conditions for the same counter")
    return rows


def check_times(duration: int, quiet_time: int) -> None:
    if duration < 0:
        raise errors.invalid_value(f"duration is an invalid value: {duration}")
    if quiet_time < 0:
        raise errors.invalid_value(f"quietTime is an invalid value: {quiet_time}")


def release_account(store, account: dict) -> None:
    store.delete_where(POLICY_KIND, accountid=account["id"])
    store.delete_where(CONDITION_KIND, accountid=account["id"])
