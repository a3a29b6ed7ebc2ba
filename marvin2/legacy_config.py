"""Import a legacy Marvin JSON config into a marvin2 config plus a datacenter layout.

A Marvin config mixes three things: how to reach the cloud (``mgtSvr``), how
to build it (``zones``, ``globalConfig``) and harness settings (``dbSvr``,
``logger``, ``TestData``). marvin2 keeps them apart: the first becomes the
config (``marvin2 run --config``), the second a layout for
``marvin2 deploy-datacenter``; the rest is reported as not carried over.

Secrets do not travel into the new files: secret keys and passwords become
``${ENV_VAR}`` references and the report names the variables to set
(``inline_secrets=True`` copies them instead). Simulator host passwords are
dummies and are copied as they are.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from marvin2.config import HYPERVISORS, INTEGRATION_PORT, ConfigError, Problem

__all__ = ["ImportResult", "convert", "import_legacy", "read_legacy", "render_yaml"]

SIMULATOR_TEMPLATE = "CentOS 5.6 (64-bit) no GUI (Simulator)"
_NOT_SET = ("", "NA", "N/A", "None", None)

_KNOWN_TOP = ("mgtSvr", "dbSvr", "zones", "globalConfig", "logger", "TestData")
_KNOWN_ZONE = (
    "name", "networktype", "securitygroupenabled", "dns1", "dns2", "internaldns1", "internaldns2",
    "guestcidraddress", "domain", "localstorageenabled", "physical_networks", "ipranges", "pods",
    "secondaryStorages", "primaryStorages",
)
_LEGACY_LABELS = ("kvm", "xen", "vmware", "hyperv", "ovm3")
_PROVIDERS = ("VirtualRouter", "VpcVirtualRouter", "InternalLbVm", "SecurityGroupProvider", "ConfigDrive")


@dataclass
class ImportResult:
    """The new config and layout (plain data, ready for YAML) and what the user must know."""

    config: dict
    layout: dict | None
    warnings: list[str] = field(default_factory=list)
    not_carried: list[str] = field(default_factory=list)
    environment: dict[str, str] = field(default_factory=dict)  # variable -> what to put in it


def read_legacy(path: Path | str) -> dict:
    """Parse a Marvin config: JSON where lines starting with ``#`` are comments."""
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(source, "file not found") from None
    # Blank the comment lines rather than drop them, so JSON error lines stay right.
    lines = ["" if line.lstrip().startswith("#") else line for line in text.splitlines()]
    try:
        data = json.loads("\n".join(lines))
    except json.JSONDecodeError as error:
        raise ConfigError(source, [Problem("", f"invalid JSON: {error.msg}, column {error.colno}", error.lineno)]) from None
    if not isinstance(data, dict):
        raise ConfigError(source, "expected a JSON object with mgtSvr, zones, ...")
    return data


def _truthy(value: Any) -> bool:
    return str(value).strip().lower() in ("true", "yes", "1")


def _set(value: Any) -> bool:
    return value not in _NOT_SET and str(value).strip() not in ("", "NA", "N/A", "None")


class _Secrets:
    """Hands out ${VAR} references for secret values (or the values, when inlining).

    One variable per distinct value: two servers sharing keys share CS_API_KEY;
    a second, different key becomes CS_API_KEY_2.
    """

    def __init__(self, result: ImportResult, inline: bool):
        self.result = result
        self.inline = inline
        self.by_value: dict[tuple[str, str], str] = {}

    def ref(self, base: str, value: str, what: str) -> str:
        if self.inline:
            return value
        key = (base, value)
        if key not in self.by_value:
            taken = sum(1 for b, _ in self.by_value if b == base)
            name = base if taken == 0 else f"{base}_{taken + 1}"
            self.by_value[key] = name
            self.result.environment[name] = what
        return "${" + self.by_value[key] + "}"


def convert(legacy: dict, *, source: str = "legacy config", inline_secrets: bool = False) -> ImportResult:
    """Turn a parsed Marvin config into an ImportResult (pure: no I/O)."""
    result = ImportResult(config={}, layout=None)
    secrets = _Secrets(result, inline_secrets)
    for key in legacy:
        if key not in _KNOWN_TOP:
            result.not_carried.append(f"{key}: not a setting marvin2 knows; ignored")

    servers, server_hypervisor = _servers(legacy.get("mgtSvr"), result, secrets)
    zones = legacy.get("zones") or []
    first_zone = zones[0] if zones and isinstance(zones[0], dict) else {}
    hypervisor = _first_hypervisor(zones) or server_hypervisor

    config: dict[str, Any] = {"description": f"imported from {source}"}
    config["management_servers"] = servers
    if first_zone.get("name"):
        config["zone"] = first_zone["name"]
    if hypervisor:
        config["hypervisor"] = hypervisor
    if first_zone.get("networktype"):
        config["zone_network_type"] = str(first_zone["networktype"]).capitalize()
    config["capabilities"] = _capabilities(zones, hypervisor)
    if hypervisor == "Simulator":
        # The built-in names of a simulator cloud (API-FACTS "Defaults a real simulator-mode cloud has").
        config["test_data"] = {
            "template": SIMULATOR_TEMPLATE,
            "service_offering": "Small Instance",
            "service_offering_large": "Medium Instance",
        }
    else:
        result.not_carried.append("test_data: a Marvin config does not name the template and offerings to use; set test_data in the new config")
    if len(zones) > 1:
        names = ", ".join(str(z.get("name")) for z in zones if isinstance(z, dict))
        result.warnings.append(f"{len(zones)} zones ({names}): the config targets the first, {config.get('zone')}; pick another with --zone")
    result.config = config

    if zones or legacy.get("globalConfig"):
        result.layout = _layout(legacy, result, secrets)

    if _set(legacy.get("dbSvr")):
        db = legacy["dbSvr"] if isinstance(legacy["dbSvr"], dict) else {}
        where = f"{db.get('dbSvr', '?')}:{db.get('port', 3306)}/{db.get('db', 'cloud')}"
        result.not_carried.append(f"dbSvr ({where}): white-box database checks are not supported; marvin2 tests check through the API only")
    logger = legacy.get("logger")
    if isinstance(logger, dict) and logger:
        folder = logger.get("LogFolderPath", "")
        result.not_carried.append(f"logger (LogFolderPath {folder}): logs and results go to pytest's output, --junitxml and allure (--alluredir)")
    test_data = legacy.get("TestData")
    if isinstance(test_data, dict) and test_data:
        result.not_carried.append(f"TestData (Path {test_data.get('Path', '?')}): Marvin's test data dict is not imported; names go under test_data")
    return result


def _servers(value: Any, result: ImportResult, secrets: _Secrets) -> tuple[list[dict], str | None]:
    servers: list[dict] = []
    hypervisor = None
    if not isinstance(value, list) or not value:
        result.warnings.append("mgtSvr: no management server given; add management_servers to the new config")
        return servers, None
    for index, entry in enumerate(value):
        where = f"mgtSvr[{index}]"
        if not isinstance(entry, dict) or not _set(entry.get("mgtSvrIp")):
            result.warnings.append(f"{where}: no mgtSvrIp; skipped")
            continue
        host = entry["mgtSvrIp"]
        port = int(entry.get("port") or INTEGRATION_PORT)
        https = _truthy(entry.get("useHttps", "False"))
        server: dict[str, Any] = {"url": f"{'https' if https else 'http'}://{host}:{port}/client/api"}
        if port == INTEGRATION_PORT:
            result.warnings.append(
                f"{where}: port {INTEGRATION_PORT} is the unauthenticated integration port: every request runs as root admin "
                "without credentials. Fine for a simulator (marvin2 simulator --integration-port 8096 serves it) or a "
                "lab; use 8080 with API keys anywhere else"
            )
            if _set(entry.get("user")) or _set(entry.get("passwd")):
                result.not_carried.append(f"{where}.user/passwd: not needed on the integration port; dropped")
        elif _set(entry.get("apiKey")) and _set(entry.get("securityKey")):
            server["api_key"] = secrets.ref("CS_API_KEY", str(entry["apiKey"]), f"apiKey of {where} ({host})")
            server["secret_key"] = secrets.ref("CS_SECRET_KEY", str(entry["securityKey"]), f"securityKey of {where} ({host})")
        elif _set(entry.get("user")) and _set(entry.get("passwd")):
            server["username"] = str(entry["user"])
            server["password"] = secrets.ref("CS_PASSWORD", str(entry["passwd"]), f"passwd of {where} ({host}, user {entry['user']})")
            server["domain"] = "/"
        else:
            result.warnings.append(f"{where}: no apiKey/securityKey nor user/passwd; add credentials to management_servers[{len(servers)}]")
        for legacy_key, new_key in (("certCAPath", "ca_bundle"), ("certPath", "client_cert")):
            cert = entry.get(legacy_key)
            if _set(cert):
                if Path(str(cert)).exists():
                    server[new_key] = str(Path(str(cert)).resolve())
                else:
                    result.not_carried.append(f"{where}.{legacy_key} {cert}: file not found here; set management_servers[{len(servers)}].{new_key} by hand")
        if _set(entry.get("hypervisor")) and hypervisor is None:
            hypervisor = _canonical_hypervisor(entry["hypervisor"])
        servers.append(server)
    return servers, hypervisor


def _canonical_hypervisor(name: Any) -> str | None:
    for candidate in HYPERVISORS:
        if candidate.lower() == str(name).strip().lower():
            return candidate
    return None


def _first_hypervisor(zones: list) -> str | None:
    for zone in zones:
        for pod in (zone.get("pods") or []) if isinstance(zone, dict) else []:
            for cluster in pod.get("clusters") or []:
                if _set(cluster.get("hypervisor")):
                    return _canonical_hypervisor(cluster["hypervisor"])
    return None


def _capabilities(zones: list, hypervisor: str | None) -> list[str]:
    caps: set[str] = set()
    for zone in zones:
        if not isinstance(zone, dict):
            continue
        basic = str(zone.get("networktype", "")).lower() == "basic"
        if basic or _truthy(zone.get("securitygroupenabled")):
            caps.add("security_groups")
        providers = {p.get("name") for n in zone.get("physical_networks") or [] for p in n.get("providers") or [] if isinstance(p, dict)}
        if not basic and "VpcVirtualRouter" in providers:
            caps.add("vpc")
        if _truthy(zone.get("localstorageenabled")):
            caps.add("local_storage")
        hosts_per_cluster = [len(c.get("hosts") or []) for p in zone.get("pods") or [] for c in p.get("clusters") or []]
        if any(n >= 2 for n in hosts_per_cluster):
            caps.add("live_migration")
    if len(zones) > 1:
        caps.add("multiple_zones")
    if hypervisor == "Simulator":
        caps.add("simulator")
    return sorted(caps)


def _range(entry: dict) -> dict:
    out = {"start_ip": entry.get("startip"), "end_ip": entry.get("endip"), "netmask": entry.get("netmask"), "gateway": entry.get("gateway")}
    if _set(entry.get("vlan")):
        out["vlan"] = str(entry["vlan"])
    return out


def _layout(legacy: dict, result: ImportResult, secrets: _Secrets) -> dict:
    layout: dict[str, Any] = {}
    settings = {}
    for index, item in enumerate(legacy.get("globalConfig") or []):
        if isinstance(item, dict) and "name" in item:
            settings[str(item["name"])] = str(item.get("value", ""))
        else:
            result.not_carried.append(f"globalConfig[{index}]: expected {{name, value}}; ignored")
    if settings:
        layout["global_settings"] = settings
    layout["zones"] = [_zone(zone, index, result, secrets) for index, zone in enumerate(legacy.get("zones") or []) if isinstance(zone, dict)]
    return layout


def _zone(zone: dict, index: int, result: ImportResult, secrets: _Secrets) -> dict:
    where = f"zones[{index}]"
    for key in zone:
        if key not in _KNOWN_ZONE:
            result.not_carried.append(f"{where}.{key}: not understood by deploy-datacenter; ignored")
    network_type = str(zone.get("networktype", "Advanced")).capitalize()
    basic = network_type == "Basic"
    security_groups = basic or _truthy(zone.get("securitygroupenabled"))
    out: dict[str, Any] = {"name": zone.get("name"), "network_type": network_type}
    for legacy_key, key in (("dns1", "dns1"), ("dns2", "dns2"), ("internaldns1", "internal_dns1"), ("internaldns2", "internal_dns2"), ("domain", "domain")):
        if _set(zone.get(legacy_key)):
            out[key] = zone[legacy_key]
    if _set(zone.get("guestcidraddress")) and not basic:
        out["guest_cidr"] = zone["guestcidraddress"]
    out["security_groups"] = security_groups
    if _truthy(zone.get("localstorageenabled")):
        out["local_storage"] = True
    out["physical_networks"] = [_pnet(n, f"{where}.physical_networks[{i}]", result) for i, n in enumerate(zone.get("physical_networks") or [])]

    ranges = [_range(r) for r in zone.get("ipranges") or []]
    if security_groups:
        out["guest_network"] = {"name": "guestNetworkForBasicZone" if basic else f"{zone.get('name')}-sg-shared", "network_offering": "DefaultSharedNetworkOfferingWithSGService"}
        if ranges and not basic:
            out["guest_network"]["ip_ranges"] = ranges
        elif ranges:
            result.not_carried.append(f"{where}.ipranges: a Basic zone takes guest ranges per pod (guestIpRanges); ignored")
    elif ranges:
        out["public_ip_ranges"] = ranges

    pods = []
    for p_index, pod in enumerate(zone.get("pods") or []):
        pods.append(_pod(pod, f"{where}.pods[{p_index}]", basic, result, secrets))
    zone_storages = zone.get("primaryStorages") or []
    if zone_storages:
        clusters = [c for p in pods for c in p.get("clusters", [])]
        if clusters:
            for storage in zone_storages:
                clusters[0].setdefault("primary_storage", []).append({"name": storage.get("name"), "url": storage.get("url"), "scope": "zone"})
        else:
            result.not_carried.append(f"{where}.primaryStorages: zone-wide storage needs a cluster for its hypervisor; none given")
    out["pods"] = pods
    out["secondary_storage"] = []
    for s_index, storage in enumerate(zone.get("secondaryStorages") or []):
        item = {"url": storage.get("url"), "provider": storage.get("provider") or "NFS"}
        if _set(storage.get("name")):
            item["name"] = storage["name"]
        if storage.get("details"):
            result.not_carried.append(f"{where}.secondaryStorages[{s_index}].details: provider details (S3, Swift) are not supported by deploy-datacenter")
        out["secondary_storage"].append(item)
    return out


def _pnet(pnet: dict, where: str, result: ImportResult) -> dict:
    out: dict[str, Any] = {"name": pnet.get("name")}
    if _set(pnet.get("vlan")):
        out["vlan"] = str(pnet["vlan"])
    if pnet.get("isolationmethods"):
        out["isolation_methods"] = list(pnet["isolationmethods"])
    if _set(pnet.get("broadcastdomainrange")):
        out["broadcast_domain_range"] = pnet["broadcastdomainrange"]
    if pnet.get("tags"):
        out["tags"] = pnet["tags"] if isinstance(pnet["tags"], list) else [pnet["tags"]]
    traffic = []
    for t in pnet.get("traffictypes") or []:
        item: dict[str, Any] = {"type": t.get("typ")}
        labels = {k: t[k] for k in _LEGACY_LABELS if _set(t.get(k))}
        if labels:
            item["labels"] = labels
        traffic.append(item)
    out["traffic_types"] = traffic
    providers = []
    for i, provider in enumerate(pnet.get("providers") or []):
        name = provider.get("name") if isinstance(provider, dict) else provider
        if name in _PROVIDERS:
            providers.append(name)
        else:
            result.not_carried.append(f"{where}.providers[{i}] {name}: external providers (devices) must be configured by hand")
    out["providers"] = providers
    return out


def _pod(pod: dict, where: str, basic: bool, result: ImportResult, secrets: _Secrets) -> dict:
    out: dict[str, Any] = {
        "name": pod.get("name"),
        "start_ip": pod.get("startip"),
        "end_ip": pod.get("endip"),
        "netmask": pod.get("netmask"),
        "gateway": pod.get("gateway"),
    }
    guest = [_range(r) for r in pod.get("guestIpRanges") or []]
    if guest and basic:
        out["guest_ip_ranges"] = guest
    elif guest:
        result.not_carried.append(f"{where}.guestIpRanges: only Basic zones have guest ranges per pod; ignored")
    clusters = []
    for c_index, cluster in enumerate(pod.get("clusters") or []):
        cwhere = f"{where}.clusters[{c_index}]"
        item: dict[str, Any] = {
            "name": cluster.get("clustername"),
            "hypervisor": _canonical_hypervisor(cluster.get("hypervisor")) or cluster.get("hypervisor"),
            "type": cluster.get("clustertype") or "CloudManaged",
        }
        if _set(cluster.get("url")):
            item["url"] = cluster["url"]
        if _set(cluster.get("username")):
            item["username"] = cluster["username"]
        if _set(cluster.get("password")):
            item["password"] = secrets.ref("CS_CLUSTER_PASSWORD", str(cluster["password"]), f"password of cluster {cluster.get('clustername')}")
        hosts = []
        for host in cluster.get("hosts") or []:
            entry: dict[str, Any] = {"url": host.get("url")}
            if _set(host.get("username")):
                entry["username"] = host["username"]
            if _set(host.get("password")):
                simulated = str(host.get("url", "")).startswith("http://sim/")
                # Simulator host passwords are dummies the simulator ignores.
                entry["password"] = str(host["password"]) if simulated else secrets.ref(
                    "CS_HOST_PASSWORD", str(host["password"]), f"password of host {host.get('url')}")
            hosts.append(entry)
        item["hosts"] = hosts
        storages = []
        for s_index, storage in enumerate(cluster.get("primaryStorages") or []):
            storages.append({"name": storage.get("name"), "url": storage.get("url")})
            if storage.get("details"):
                result.not_carried.append(f"{cwhere}.primaryStorages[{s_index}].details: storage details are not supported by deploy-datacenter")
        item["primary_storage"] = storages
        clusters.append(item)
    out["clusters"] = clusters
    return out


def render_yaml(data: dict, header: str) -> str:
    """YAML text with a comment header (block style, keys in the order given)."""
    comment = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines())
    return comment + yaml.safe_dump(data, sort_keys=False, default_flow_style=False, allow_unicode=True, width=120)


def import_legacy(path: Path | str, *, inline_secrets: bool = False) -> ImportResult:
    """Read and convert a Marvin config file."""
    source = Path(path)
    return convert(read_legacy(source), source=source.name, inline_secrets=inline_secrets)
