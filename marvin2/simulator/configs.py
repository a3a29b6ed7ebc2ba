"""Global settings (listConfigurations / updateConfiguration) the simulator knows.

Each entry: default value, category, type and a check for new values. A
check returns an error text for a bad value (None when fine). The defaults
of the timers are the short ones simulator-mode clouds use.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

LB_ALGORITHMS = ("static", "roundrobin", "shuffle")


def _int_check(text: str) -> str | None:
    try:
        int(text)
    except ValueError:
        return f"Please enter a valid integer value, got {text}"
    return None


def _bool_check(text: str) -> str | None:
    if text.lower() not in ("true", "false"):
        return f"Please enter either 'true' or 'false', got {text}"
    return None


def _lb_check(text: str) -> str | None:
    if text not in LB_ALGORITHMS:
        return f"Invalid indirect.agent.lb.algorithm value, allowed values are: {', '.join(LB_ALGORITHMS)}"
    return None


def _hosts_check(text: str) -> str | None:
    hosts = [h.strip() for h in text.split(",")]
    if not text.strip() or any(not h for h in hosts):
        return f"Invalid host value {text!r}: expected a comma-separated list of management server addresses"
    return None


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    category: str
    type: str
    description: str
    check: Callable[[str], str | None] | None = None
    isdynamic: bool = True


SETTINGS = {s.name: s for s in [
    Setting("expunge.delay", "60", "Advanced", "Integer", "seconds a destroyed VM waits before it is expunged", _int_check),
    Setting("expunge.interval", "60", "Advanced", "Integer", "seconds between runs of the expunge task", _int_check),
    Setting("expunge.workers", "1", "Advanced", "Integer", "number of workers expunging VMs", _int_check, False),
    Setting("default.page.size", "500", "Advanced", "Long", "largest page a list API returns (and its default)", _int_check),
    Setting("consoleproxy.sslEnabled", "false", "Console Proxy", "Boolean", "serve the console proxy over HTTPS", _bool_check),
    Setting("consoleproxy.url.domain", "", "Console Proxy", "String", "domain name used in console proxy URLs"),
    Setting("secstorage.encrypt.copy", "false", "Advanced", "Boolean", "use HTTPS for template copies between zones", _bool_check),
    Setting("secstorage.ssl.cert.domain", "", "Advanced", "String", "domain of the secondary storage SSL certificate"),
    Setting("indirect.agent.lb.algorithm", "static", "Advanced", "String",
            "how agents pick a management server: static, roundrobin or shuffle", _lb_check),
    Setting("indirect.agent.lb.check.interval", "0", "Advanced", "Long",
            "seconds between agents' checks of the management server list (0 = never)", _int_check),
    Setting("host", "127.0.0.1", "Advanced", "String", "comma-separated addresses of the management servers", _hosts_check),
    Setting("ping.interval", "60", "Advanced", "Integer", "seconds between agent pings", _int_check),
    Setting("network.gc.interval", "600", "Advanced", "Integer", "seconds between network garbage collections", _int_check),
    Setting("account.cleanup.interval", "86400", "Advanced", "Integer", "seconds between account clean-ups", _int_check),
    Setting("max.account.user.vms", "20", "Account Defaults", "Long", "default VM limit of an account", _int_check),
    Setting("max.account.public.ips", "20", "Account Defaults", "Long", "default public IP limit of an account", _int_check),
    Setting("max.account.volumes", "20", "Account Defaults", "Long", "default volume limit of an account", _int_check),
    Setting("max.account.snapshots", "20", "Account Defaults", "Long", "default snapshot limit of an account", _int_check),
    Setting("max.account.templates", "20", "Account Defaults", "Long", "default template limit of an account", _int_check),
    Setting("max.account.networks", "20", "Account Defaults", "Long", "default network limit of an account", _int_check),
    Setting("max.account.vpcs", "20", "Account Defaults", "Long", "default VPC limit of an account", _int_check),
    Setting("max.account.cpus", "40", "Account Defaults", "Long", "default CPU limit of an account", _int_check),
    Setting("max.account.memory", "40960", "Account Defaults", "Long", "default memory limit (MiB) of an account", _int_check),
    Setting("max.account.primary.storage", "200", "Account Defaults", "Long", "default primary storage limit (GiB)", _int_check),
    Setting("max.account.secondary.storage", "400", "Account Defaults", "Long", "default secondary storage limit (GiB)", _int_check),
    Setting("max.account.projects", "20", "Account Defaults", "Long", "default project limit of an account", _int_check),
    Setting("max.project.user.vms", "20", "Project Defaults", "Long", "default VM limit of a project", _int_check),
    Setting("max.domain.user.vms", "40", "Domain Defaults", "Long", "default VM limit of a domain", _int_check),
    Setting("display.human.readable.sizes", "true", "Advanced", "Boolean",
            "print byte sizes with a readable unit too (e.g. in resource limit errors)", _bool_check),
]}


def configuration_rows() -> list[dict]:
    return [{"id": s.name, "name": s.name, "value": s.default, "defaultvalue": s.default, "category": s.category,
             "type": s.type, "description": s.description, "isdynamic": s.isdynamic, "component": "management-server"}
            for s in SETTINGS.values()]
