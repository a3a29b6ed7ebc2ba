"""Autoscale counters and conditions (the first two layers of CloudStack's autoscaling).

Counters are ``ascounter`` rows (``name``, ``source``, ``value``, ``provider``); the simulator starts with the
counters the 4.20 schema inserts (loaded once per store). Conditions are owned ``ascondition`` rows
(``counterid``, ``relationaloperator``, ``threshold``). A counter used by a condition cannot be deleted.
Autoscale policies, VM profiles and VM groups are not implemented yet, so no condition is ever "in use" by one.
"""
from __future__ import annotations

from marvin2.simulator import errors

COUNTER_KIND, CONDITION_KIND = "ascounter", "ascondition"
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


def release_account(store, account: dict) -> None:
    store.delete_where(CONDITION_KIND, accountid=account["id"])
