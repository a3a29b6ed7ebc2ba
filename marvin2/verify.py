"""Compare what a config claims with what the cloud reports (``marvin2 verify-config``).

Discovery is only ever used to *check* a config, never to decide what runs:
a difference is reported as drift, and the user fixes the config (or the cloud).

    facts = gather_facts(api, config.zone)      # a handful of read-only API calls
    checks = compare(config, facts)             # pure: testable without a cloud
    print(format_table(checks)); has_drift(checks)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from marvin2.config import CAPABILITIES, Config

__all__ = ["CloudFacts", "Check", "gather_facts", "compare", "has_drift", "format_table", "DISCOVERY"]

OK, DRIFT, UNKNOWN, INFO = "ok", "DRIFT", "unknown", "info"


@dataclass
class CloudFacts:
    """What the cloud said; None where a question could not be asked (see ``errors``)."""

    zones: list[dict] | None = None            # listZones (all)
    zone: dict | None = None                   # the zone the checks are about
    hypervisors: list[str] | None = None       # listHypervisors in that zone
    capabilities: dict | None = None           # listCapabilities
    api_names: frozenset[str] | None = None    # listApis
    routing_hosts: int | None = None           # listHosts type=Routing in that zone
    errors: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Check:
    item: str
    claimed: str
    observed: str
    status: str
    note: str = ""


def _flag(value: Any) -> bool | None:
    """listCapabilities mixes JSON booleans and "true"/"false" strings."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def _single(answer: Any) -> dict | None:
    if isinstance(answer, list):
        return answer[0] if answer else None
    if isinstance(answer, Mapping):
        inner = answer.get("capability")
        return dict(inner) if isinstance(inner, Mapping) else dict(answer)
    return None


def gather_facts(api: Any, zone_name: str | None) -> CloudFacts:
    """Ask the cloud (read-only list APIs); every failure is kept in ``errors``, never raised."""
    facts = CloudFacts()

    def ask(what: str, command: str, params: dict | None = None) -> Any:
        try:
            return api.call(command, params or {})
        except Exception as error:  # noqa: BLE001 - a missing answer is reported as "unknown"
            facts.errors[what] = f"{command}: {getattr(error, 'errortext', None) or error}"
            return None

    zones = ask("zones", "listZones", {})
    if zones is not None:
        facts.zones = [dict(z) for z in zones]
        if zone_name is not None:
            facts.zone = next((z for z in facts.zones if z.get("name") == zone_name), None)
        elif len(facts.zones) == 1:
            facts.zone = facts.zones[0]
    if facts.zone is not None:
        answer = ask("hypervisors", "listHypervisors", {"zoneid": facts.zone["id"]})
        if answer is not None:
            facts.hypervisors = [str(h.get("name")) for h in answer]
        hosts = ask("hosts", "listHosts", {"zoneid": facts.zone["id"], "type": "Routing"})
        if hosts is not None:
            facts.routing_hosts = len(hosts)
    answer = ask("capabilities", "listCapabilities", {})
    if answer is not None:
        facts.capabilities = _single(answer) or {}
    answer = ask("apis", "listApis", {})
    if answer is not None:
        facts.api_names = frozenset(str(a.get("name")) for a in answer if isinstance(a, Mapping))
    return facts


# --- discovery rules: capability -> (what is looked at, how) ---------------------------------


def _zone_flag(key: str) -> Callable[[CloudFacts], bool | None]:
    return lambda f: _flag(f.zone.get(key)) if f.zone is not None else None


def _capability_flag(key: str) -> Callable[[CloudFacts], bool | None]:
    return lambda f: _flag(f.capabilities.get(key)) if f.capabilities is not None else None


def _has_api(*names: str) -> Callable[[CloudFacts], bool | None]:
    return lambda f: all(n in f.api_names for n in names) if f.api_names is not None else None


def _vpc(f: CloudFacts) -> bool | None:
    apis = _has_api("createVPC")(f)
    if apis is None or f.zone is None:
        return None
    return apis and f.zone.get("networktype") == "Advanced"


DISCOVERY: Mapping[str, tuple[str, Callable[[CloudFacts], bool | None]]] = {
    "security_groups": ("listZones securitygroupsenabled", _zone_flag("securitygroupsenabled")),
    "vpc": ("listApis createVPC + Advanced zone", _vpc),
    "local_storage": ("listZones localstorageenabled", _zone_flag("localstorageenabled")),
    "elb": ("listCapabilities supportELB", _capability_flag("supportELB")),
    "kubernetes": ("listCapabilities kubernetesserviceenabled", _capability_flag("kubernetesserviceenabled")),
    "dynamic_roles": ("listCapabilities dynamicrolesenabled", _capability_flag("dynamicrolesenabled")),
    "kvm_snapshots": ("listCapabilities kvmsnapshotenabled", _capability_flag("kvmsnapshotenabled")),
    "vm_snapshots": ("listApis createVMSnapshot", _has_api("createVMSnapshot")),
    "projects": ("listApis createProject", _has_api("createProject")),
    "vpn": ("listApis createRemoteAccessVpn", _has_api("createRemoteAccessVpn")),
    "live_migration": ("listHosts type=Routing >= 2", lambda f: f.routing_hosts >= 2 if f.routing_hosts is not None else None),
    "multiple_zones": ("listZones count >= 2", lambda f: len(f.zones) >= 2 if f.zones is not None else None),
    "simulator": ("listHypervisors has Simulator", lambda f: "Simulator" in f.hypervisors if f.hypervisors is not None else None),
}
# Not discoverable through the API: ssh_to_guests, eip, internet_access (reported as unknown).


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def compare(config: Config, facts: CloudFacts) -> list[Check]:
    """Every claim of the config next to what the cloud says."""
    checks: list[Check] = []
    zone_names = [str(z.get("name")) for z in facts.zones] if facts.zones is not None else None

    # zone
    if zone_names is None:
        checks.append(Check("zone", config.zone or "(not set)", "?", UNKNOWN, facts.errors.get("zones", "")))
    elif config.zone is None:
        note = f"the checks below use the only zone, {zone_names[0]}" if facts.zone else "set `zone` to check it"
        checks.append(Check("zone", "(not set)", ", ".join(zone_names) or "(none)", UNKNOWN, note))
    elif facts.zone is None:
        checks.append(Check("zone", config.zone, ", ".join(zone_names) or "(no zone)", DRIFT, "no zone of that name"))
    else:
        checks.append(Check("zone", config.zone, facts.zone["name"], OK))

    # network type
    observed_type = facts.zone.get("networktype") if facts.zone is not None else None
    if config.zone_network_type is None:
        checks.append(Check("zone_network_type", "(not set)", observed_type or "?", UNKNOWN if observed_type is None else INFO))
    elif observed_type is None:
        checks.append(Check("zone_network_type", config.zone_network_type, "?", UNKNOWN))
    else:
        status = OK if observed_type.lower() == config.zone_network_type.lower() else DRIFT
        checks.append(Check("zone_network_type", config.zone_network_type, observed_type, status))

    # hypervisor
    if facts.hypervisors is None:
        checks.append(Check("hypervisor", config.hypervisor or "(not set)", "?", UNKNOWN, facts.errors.get("hypervisors", "")))
    else:
        observed = ", ".join(facts.hypervisors) or "(none)"
        if config.hypervisor is None:
            checks.append(Check("hypervisor", "(not set)", observed, INFO))
        else:
            found = config.hypervisor.lower() in (h.lower() for h in facts.hypervisors)
            checks.append(Check("hypervisor", config.hypervisor, observed, OK if found else DRIFT,
                                "" if found else "not a hypervisor of this zone"))

    # capabilities, both ways: claimed but absent, and present but not claimed
    for name in sorted(CAPABILITIES):
        claimed = name in config.capabilities
        rule = DISCOVERY.get(name)
        if rule is None:
            if not claimed:
                continue  # nothing claimed, nothing to check
            checks.append(Check(f"capability {name}", _yes(claimed), "?", UNKNOWN, "not discoverable through the API"))
            continue
        source, decide = rule
        observed = decide(facts)
        if observed is None:
            checks.append(Check(f"capability {name}", _yes(claimed), "?", UNKNOWN, f"could not ask ({source})"))
        elif observed == claimed:
            checks.append(Check(f"capability {name}", _yes(claimed), _yes(observed), OK))
        else:
            why = "tests needing it would fail" if claimed else "tests needing it are skipped needlessly"
            checks.append(Check(f"capability {name}", _yes(claimed), _yes(observed), DRIFT, f"{source}: {why}"))

    version = (facts.capabilities or {}).get("cloudstackversion")
    checks.append(Check("cloudstack version", "", str(version) if version else "?", INFO if version else UNKNOWN))
    return checks


def has_drift(checks: list[Check]) -> bool:
    return any(c.status == DRIFT for c in checks)


def format_table(checks: list[Check]) -> str:
    """A plain text table: CHECK, CONFIG, CLOUD, RESULT, NOTE."""
    header = ("CHECK", "CONFIG", "CLOUD", "RESULT", "NOTE")
    rows = [header] + [(c.item, c.claimed, c.observed, c.status, c.note) for c in checks]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = []
    for row in rows:
        cells = [row[i].ljust(widths[i]) for i in range(4)] + [row[4]]
        lines.append("  ".join(cells).rstrip())
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
