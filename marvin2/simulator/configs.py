"""Global settings (listConfigurations / updateConfiguration): every setting of a fresh 4.20 database.

The settings, their categories, Java types, scopes and declared defaults come
from the facts table (``facts.settings()``, 858 names). The value a fresh
simulator starts with is that default, except:

* ``DEVELOPER_PREFILL``: what ``mvn -Pdeveloper -pl developer -Ddeploydb`` writes over the defaults
  (developer/developer-prefill.sql), because upstream's Simulator CI runs on such a database;
* ``SIMULATOR_VALUES``: values the simulator deliberately keeps different, because its own seeds
  and tests are written against them (they are listed in ``listConfigurations`` as the value,
  with the real default still shown as ``defaultvalue``).

Validation follows ConfigurationManagerImpl.validateConfigurationValue: the scope of a scoped
value, the Java type, then the few value ranges the server checks, with the server's texts.
"""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Callable

from marvin2.simulator import facts

LB_ALGORITHMS = ("static", "roundrobin", "shuffle")

# developer/developer-prefill.sql of 4.20.2.0 (backup.framework.enabled is left out: the simulator
# offers the API surface of a default install, where the backup framework is off).
DEVELOPER_PREFILL = {
    "integration.api.port": "8096", "secstorage.allowed.internal.sites": "0.0.0.0/0",
    "account.cleanup.interval": "20", "expunge.delay": "20", "expunge.interval": "20", "expunge.workers": "3",
    "cluster.cpu.allocated.capacity.disablethreshold": "0.95",
    "cluster.memory.allocated.capacity.disablethreshold": "0.95",
    "pool.storage.allocated.capacity.disablethreshold": "0.95", "pool.storage.capacity.disablethreshold": "0.95",
    "network.gc.wait": "20", "network.gc.interval": "20", "storage.cleanup.interval": "40",
    "vm.op.wait.interval": "5", "workers": "10", "direct.agent.load.size": "1000", "ping.interval": "10",
    "ping.timeout": "2.0", "dynamic.apichecker.enabled": "true", "ca.plugin.root.auth.strictness": "true",
    "developer": "true",
}

# The simulator's own choices, which its seeds and tests rely on (the reason is given for each).
SIMULATOR_VALUES = {
    "expunge.delay": "60",            # tests see a destroyed VM in Destroyed state before the expunger takes it
    "expunge.interval": "60",         # (both scaled by the timing profile)
    "expunge.workers": "1",           # one expunge thread: expunge order is deterministic
    "account.cleanup.interval": "86400",  # deleted accounts are cleaned in their delete job, not by a timer
    "ping.interval": "60",
    "network.gc.interval": "600",     # idle networks stay Implemented for the length of a test
    "host": "127.0.0.1",              # the simulator's management server listens on the loopback address
}

# ConfigurationManagerImpl.populateConfigValuesForValidationSet: Integer settings that must be positive.
POSITIVE_INTEGERS = frozenset({
    "event.purge.interval", "account.cleanup.interval", "alert.wait", "consoleproxy.capacityscan.interval",
    "expunge.interval", "host.stats.interval", "network.gc.interval", "ping.interval", "snapshot.poll.interval",
    "storage.stats.interval", "storage.cleanup.interval", "wait", "xenserver.heartbeat.interval",
    "xenserver.heartbeat.timeout", "ovm3.heartbeat.interval", "ovm3.heartbeat.timeout",
    "incorrect.login.attempts.allowed", "vm.password.length", "externaldhcp.vmip.retrieval.interval",
    "externaldhcp.vmip.max.retry", "externaldhcp.vmipFetch.threadPool.max", "remote.access.vpn.psk.length",
    "storage.pool.disk.wait", "storage.pool.client.timeout", "storage.pool.client.max.connections",
    "vm.userdata.max.length", "remote.kvm.instance.disks.copy.timeout", "convert.vmware.instance.to.kvm.timeout",
    "autoscale.errored.instance.threshold",
})
# weightBasedParametersForValidation / overProvisioningFactorsForValidation (checked for Float settings only).
WEIGHTS = frozenset({
    "cluster.cpu.allocated.capacity.notificationthreshold", "cluster.storage.allocated.capacity.notificationthreshold",
    "cluster.storage.capacity.notificationthreshold", "cluster.memory.allocated.capacity.notificationthreshold",
    "zone.virtualnetwork.publicip.capacity.notificationthreshold", "pod.privateip.capacity.notificationthreshold",
    "zone.secstorage.capacity.notificationthreshold", "zone.vlan.capacity.notificationthreshold",
    "zone.directnetwork.publicip.capacity.notificationthreshold", "cluster.localStorage.capacity.notificationthreshold",
    "pool.storage.allocated.capacity.disablethreshold", "pool.storage.capacity.disablethreshold",
    "pool.storage.allocated.resize.capacity.disablethreshold", "cluster.cpu.allocated.capacity.disablethreshold",
    "cluster.memory.allocated.capacity.disablethreshold", "agent.load.threshold", "vm.user.dispersion.weight",
    "secondary.storage.capacity.threshold", "drs.imbalance", "drs.imbalance.condensed.skip.threshold",
})
OVERPROVISIONING = frozenset({"mem.overprovisioning.factor", "cpu.overprovisioning.factor",
                              "storage.overprovisioning.factor"})
JAVA_TYPES = {"Integer": "java.lang.Integer", "Long": "java.lang.Long", "Short": "java.lang.Short",
              "Boolean": "java.lang.Boolean", "Float": "java.lang.Float", "Double": "java.lang.Double",
              "String": "java.lang.String"}
INT_BOUNDS = {"Integer": 2 ** 31, "Short": 2 ** 15, "Long": 2 ** 63}
DOMAIN_NAME = re.compile(r"^((?!-)[A-Za-z0-9-]{1,63}(?<!-)\.)+[A-Za-z]{1,63}$")
HYPERVISORS = ("xenserver", "kvm", "vmware", "hyperv", "virtualbox", "parralels", "baremetal", "simulator", "ovm",
               "ovm3", "lxc", "custom", "external")

DESCRIPTIONS = {
    "expunge.delay": "seconds a destroyed VM waits before it is expunged",
    "expunge.interval": "seconds between runs of the expunge task",
    "default.page.size": "largest page a list API returns (and its default)",
    "consoleproxy.sslEnabled": "serve the console proxy over HTTPS",
    "consoleproxy.url.domain": "domain name used in console proxy URLs",
    "secstorage.encrypt.copy": "use HTTPS for template copies and downloads from secondary storage",
    "secstorage.ssl.cert.domain": "domain of the secondary storage SSL certificate",
    "indirect.agent.lb.algorithm": "how agents pick a management server: static, roundrobin or shuffle",
    "host": "comma-separated addresses of the management servers",
}


def _int_check(text: str) -> str | None:
    """Kept for modules that declare their own settings (the Java type check is in ``validate``)."""
    try:
        int(text)
    except ValueError:
        return f"Value [{text}] is not a valid [class java.lang.Integer]."
    return None


def _bool_check(text: str) -> str | None:
    if text.lower() not in ("true", "false"):
        return f"Value [{text}] is not a valid [class java.lang.Boolean]."
    return None


def _lb_check(text: str) -> str | None:
    if text not in LB_ALGORITHMS:
        return f"Invalid algorithm {text}, valid values are: [{', '.join(LB_ALGORITHMS)}]"
    return None


def _hosts_check(text: str) -> str | None:
    hosts = [h.strip() for h in text.split(",")]
    if not text.strip() or any(not h for h in hosts):
        return f"Invalid host value {text!r}: expected a comma-separated list of management server addresses"
    return None


# Checks the server runs for single settings (listeners of IndirectAgentLB and the management server list).
SPECIAL_CHECKS: dict[str, Callable[[str], str | None]] = {
    "indirect.agent.lb.algorithm": _lb_check, "host": _hosts_check}


@dataclass(frozen=True)
class Setting:
    name: str
    default: str | None            # the value a fresh simulator starts with
    category: str
    type: str                      # Java type name: Integer, Long, Boolean, Float, Double, String
    description: str
    check: Callable[[str], str | None] | None = None
    isdynamic: bool = True
    scope: str = "Global"          # Global, Zone, Cluster, StoragePool, Account, Domain, ImageStore, ...
    range: str | None = None       # the Config enum's range (checked by updateConfiguration)
    declared_default: str | None = None   # the default the Java source declares (listConfigurations defaultvalue)


def _from_facts() -> dict[str, Setting]:
    out = {}
    for fact in facts.settings().values():
        value = SIMULATOR_VALUES.get(fact.name, DEVELOPER_PREFILL.get(fact.name, fact.default))
        out[fact.name] = Setting(fact.name, value, fact.category, fact.type, DESCRIPTIONS.get(fact.name, ""),
                                 SPECIAL_CHECKS.get(fact.name), fact.dynamic, fact.scope,
                                 fact.range if isinstance(fact.range, str) else None, fact.default)
    return out


SETTINGS: dict[str, Setting] = _from_facts()


def _type_ok(value: str, java_type: str) -> bool:
    """ConfigurationManagerImpl.validateValueType."""
    if java_type in ("String", "Character"):
        return True
    if java_type == "Boolean":
        return value in ("true", "false")
    if java_type in INT_BOUNDS:
        if not re.fullmatch(r"[+-]?\d+", value):
            return False
        return -INT_BOUNDS[java_type] <= int(value) < INT_BOUNDS[java_type]
    if java_type in ("Float", "Double"):
        try:
            number = float(value)
        except ValueError:
            return False
        return number not in (float("inf"), float("-inf")) and not value.strip().lower().startswith(("inf", "+inf", "-inf"))
    return False


def _range_option_problem(name: str, value: str, option: str) -> str | None:
    """validateIfStringValueIsInRange: one option of a Config range; a text when the value misses it."""
    if option == "privateip":
        try:
            return None if ipaddress.IPv4Address(value).is_private else "a valid site local IP address"
        except ValueError:
            return "a valid site local IP address"
    if option == "hypervisorList":
        bad = [h for h in value.split(",") if h.strip().lower() not in HYPERVISORS]
        return "a valid hypervisor type" if bad else None
    if option == "instanceName":
        ok = bool(value) and not re.search(r"[-\s+]", value)
        return None if ok else "a valid instance name (instance names cannot contain hyphens, spaces or plus signs)"
    if option == "domainName":
        domain = value[2:] if value.startswith("*") else value
        return "a valid domain name" if len(domain) >= 238 or not DOMAIN_NAME.match(domain) else None
    if any(o.strip().lower() == value.lower() for o in option.split(",")):
        return None
    return f"a valid value for this configuration (Options are: [{option}])"


def _range_problem(setting: Setting, value: str) -> str | None:
    """ConfigurationManagerImpl.validateValueRange for a value of the right type."""
    name, java_type = setting.name, setting.type
    if java_type == "Float":
        number = float(value)
        if name in OVERPROVISIONING and number <= 0:
            return f"Value for configuration [{name}] should be greater than 0."
        if name in WEIGHTS and not 0 <= number <= 1:
            return f"Please enter a value between 0 and 1 for the configuration parameter: [{name}]."
    if java_type == "Integer" and name in POSITIVE_INTEGERS:
        number = int(value)
        if number <= 0:
            return f"Please enter a positive value for the configuration parameter: [{name}]."
        if name == "vm.password.length" and number < 6:
            return f"Please enter a value greater than 5 for the configuration parameter: [{name}]."
        if name == "remote.access.vpn.psk.length" and not 8 <= number <= 256:
            return f"Please enter a value greater than 7 and less than 257 for the configuration parameter: [{name}]."
        if name == "vm.userdata.max.length" and number > 1048576:
            return f"Please enter a value less than 1048577 for the configuration parameter: [{name}]."
    if name == "secstorage.allowed.internal.sites" and value:
        for cidr in value.split(","):
            try:
                ipaddress.ip_network(cidr, strict=True)
            except ValueError:
                return f"Invalid CIDR {cidr} value specified for the config {name}."
    if setting.range is None:
        return None
    if java_type == "Integer":
        low, high = (int(x) for x in setting.range.split(",")[0].split("-"))
        if not low <= int(value) <= high:
            return ("The provided value is not valid for this configuration. Please enter an integer in the range: "
                    f"[{setting.range.split(',')[0]}]")
        return None
    problems = []
    for option in setting.range.split(","):
        problem = _range_option_problem(name, value, option)
        if problem is None:
            return None
        problems.append(problem)
    if len(problems) == 1:
        return f"The provided value is not {problems[0]}."
    return f"The provided value is neither {' NOR '.join(problems)}."


def validate(name: str, value: str | None, scope: str | None, account_settings_for_domain: bool = False) -> str | None:
    """The server's refusal text for setting ``name`` to ``value`` at ``scope`` (None: global), or None."""
    setting = SETTINGS.get(name)
    if setting is None:
        return "Invalid configuration variable."
    if scope is not None and scope != setting.scope and not (
            account_settings_for_domain and setting.scope == "Account" and scope == "Domain"):
        return f"Invalid scope id provided for the parameter {name}"
    if value is None:
        return None if setting.type in ("String", "Character") else \
            f"Value [null] is not a valid [class {JAVA_TYPES.get(setting.type, setting.type)}]."
    if not _type_ok(value, setting.type):
        return f"Value [{value}] is not a valid [class {JAVA_TYPES.get(setting.type, setting.type)}]."
    problem = _range_problem(setting, value)
    if problem is None and setting.check is not None and value != "":
        problem = setting.check(value)
    return problem


def configuration_rows() -> list[dict]:
    return [{"id": s.name, "name": s.name, "value": s.default,
             "defaultvalue": s.declared_default if s.declared_default is not None else s.default,
             "category": s.category, "type": s.type, "description": s.description, "isdynamic": s.isdynamic,
             "scope": s.scope, "component": "management-server"}
            for s in SETTINGS.values()]
