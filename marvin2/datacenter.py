"""Deploy a zone/pod/cluster/host/storage layout from YAML, and tear it down again.

The order is Marvin's deployDataCenter (see ../shared/cloudstack/MARVIN-FACTS.md):
global settings -> zone -> physical networks (create, providers, enable,
traffic types) -> Basic: shared guest network with security groups, then pods
and their guest IP ranges; Advanced: pods, then public IP ranges -> clusters
-> hosts -> primary storage per cluster -> secondary storage -> enable zone.

Every created object is appended to a record file (JSON, rewritten atomically
after each step) together with the call that undoes it, so ``teardown`` can
remove everything in reverse order, even after a deployment that failed half
way. Layout files are validated like configs (key paths, lines, suggestions,
``${ENV}`` references for host passwords).
"""
from __future__ import annotations

import ipaddress
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from marvin2.config import (
    HYPERVISORS,
    ZONE_NETWORK_TYPES,
    ConfigError,
    Reader,
    interpolate,
    load_yaml_document,
    parse_yaml_text,
)

__all__ = [
    "DeployError",
    "Layout",
    "Deployment",
    "default_record_path",
    "load_layout",
    "parse_layout",
    "deploy",
    "plan",
    "teardown",
]

TRAFFIC_TYPES = ("Guest", "Management", "Public", "Storage")
# Providers deploy-datacenter knows how to enable (the ones a zone has built in).
PROVIDERS = ("VirtualRouter", "VpcVirtualRouter", "InternalLbVm", "SecurityGroupProvider", "ConfigDrive")
CLUSTER_TYPES = ("CloudManaged", "ExternalManaged")
STORAGE_SCOPES = ("cluster", "zone")
# Hypervisor network label keys (legacy Marvin used the short names).
LABEL_PARAMS = {
    "kvm": "kvmnetworklabel",
    "xen": "xennetworklabel",
    "vmware": "vmwarenetworklabel",
    "hyperv": "hypervnetworklabel",
    "ovm3": "ovm3networklabel",
}
SG_GUEST_OFFERING = "DefaultSharedNetworkOfferingWithSGService"


# --- the layout model ------------------------------------------------------------------


@dataclass(frozen=True)
class IpRange:
    start_ip: str
    end_ip: str
    netmask: str
    gateway: str
    vlan: str | None = None


@dataclass(frozen=True)
class TrafficType:
    type: str
    labels: dict = field(default_factory=dict)  # kvm/xen/vmware/hyperv/ovm3 -> network label


@dataclass(frozen=True)
class PhysicalNetwork:
    name: str
    vlan: str | None = None
    isolation_methods: tuple = ()
    broadcast_domain_range: str | None = None
    tags: tuple = ()
    traffic_types: tuple = ()
    providers: tuple = ()


@dataclass(frozen=True)
class Host:
    url: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    tags: tuple = ()


@dataclass(frozen=True)
class PrimaryStorage:
    name: str
    url: str
    scope: str = "cluster"
    tags: tuple = ()


@dataclass(frozen=True)
class Cluster:
    name: str
    hypervisor: str
    type: str = "CloudManaged"
    url: str | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    hosts: tuple = ()
    primary_storage: tuple = ()


@dataclass(frozen=True)
class Pod:
    name: str
    start_ip: str
    end_ip: str
    netmask: str
    gateway: str
    guest_ip_ranges: tuple = ()  # Basic zones: the shared guest network's ranges in this pod
    clusters: tuple = ()


@dataclass(frozen=True)
class SecondaryStorage:
    url: str
    provider: str = "NFS"
    name: str | None = None


@dataclass(frozen=True)
class GuestNetwork:
    """The shared guest network of a Basic zone (or an Advanced zone with security groups)."""

    name: str
    network_offering: str = SG_GUEST_OFFERING
    ip_ranges: tuple = ()  # Advanced SG: ranges (with VLAN) of the network itself


@dataclass(frozen=True)
class Zone:
    name: str
    network_type: str
    dns1: str
    internal_dns1: str
    dns2: str | None = None
    internal_dns2: str | None = None
    domain: str | None = None
    guest_cidr: str | None = None
    security_groups: bool = False
    local_storage: bool = False
    physical_networks: tuple = ()
    public_ip_ranges: tuple = ()
    guest_network: GuestNetwork | None = None
    pods: tuple = ()
    secondary_storage: tuple = ()


@dataclass(frozen=True)
class Layout:
    source: Path
    global_settings: dict = field(default_factory=dict)
    zones: tuple = ()


# --- reading and validating a layout file ----------------------------------------------------

_LAYOUT_KEYS = ("description", "global_settings", "zones")
_ZONE_KEYS = (
    "name", "network_type", "dns1", "dns2", "internal_dns1", "internal_dns2", "domain", "guest_cidr",
    "security_groups", "local_storage", "physical_networks", "public_ip_ranges", "guest_network", "pods",
    "secondary_storage",
)
_PNET_KEYS = ("name", "vlan", "isolation_methods", "broadcast_domain_range", "tags", "traffic_types", "providers")
_TRAFFIC_KEYS = ("type", "labels")
_RANGE_KEYS = ("start_ip", "end_ip", "netmask", "gateway", "vlan")
_GUEST_NETWORK_KEYS = ("name", "network_offering", "ip_ranges")
_POD_KEYS = ("name", "start_ip", "end_ip", "netmask", "gateway", "guest_ip_ranges", "clusters")
_CLUSTER_KEYS = ("name", "hypervisor", "type", "url", "username", "password", "hosts", "primary_storage")
_HOST_KEYS = ("url", "username", "password", "tags")
_PRIMARY_KEYS = ("name", "url", "scope", "tags")
_SECONDARY_KEYS = ("url", "provider", "name")


def load_layout(path: Path | str, environ: Mapping[str, str] | None = None) -> Layout:
    """Load and validate a datacenter layout; raises ConfigError listing every problem."""
    problems: list = []
    doc = load_yaml_document(Path(path).resolve(), problems)
    return _build_layout(doc, environ if environ is not None else os.environ, problems)


def parse_layout(text: str, source: Path | str = "<layout>", environ: Mapping[str, str] | None = None) -> Layout:
    problems: list = []
    doc = parse_yaml_text(text, Path(source), problems)
    return _build_layout(doc, environ if environ is not None else os.environ, problems)


def _build_layout(doc, environ, problems) -> Layout:
    doc.data = interpolate(doc.data, environ, problems, doc)
    read = Reader(doc, problems)
    top = read.mapping(doc.data, (), _LAYOUT_KEYS, what="a layout mapping (global_settings, zones)")
    settings = {}
    raw_settings = top.get("global_settings")
    if raw_settings is not None and not isinstance(raw_settings, dict):
        read.problem(("global_settings",), "expected a mapping of setting name to value (expunge.delay: 20)")
        raw_settings = {}
    for name, value in (raw_settings or {}).items():
        text = read.string(value, ("global_settings", name), required=False)
        settings[str(name)] = "" if text is None else text
    zones = tuple(_read_zone(read, z, ("zones", i)) for i, z in enumerate(read.sequence(top.get("zones"), ("zones",), what="a list of zones")))
    if not zones and not read.problems:
        read.problem(("zones",), "required: at least one zone")
    _check_unique(read, [(z.name, ("zones", i, "name")) for i, z in enumerate(zones)], "zone")
    read.raise_if_problems()
    return Layout(source=doc.source, global_settings=settings, zones=zones)


def _check_unique(read: Reader, names: list, what: str) -> None:
    seen: set = set()
    for name, path in names:
        if name in seen:
            read.problem(path, f"duplicate {what} name {name!r}")
        seen.add(name)


def _strings(read: Reader, value: Any, path: tuple) -> tuple:
    """A list of strings, or one comma-separated string."""
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return tuple(read.string(v, path + (i,)) or "" for i, v in enumerate(read.sequence(value, path)))


def _ipv4(read: Reader, value: Any, path: tuple) -> str:
    """A required IPv4 address; a typo here would only surface half way through a deployment."""
    text = read.string(value, path, required=True) or ""
    if text:
        try:
            ipaddress.IPv4Address(text)
        except ValueError:
            read.problem(path, f"expected an IPv4 address, got {text!r}")
    return text


def _netmask(read: Reader, value: Any, path: tuple) -> str:
    text = read.string(value, path, required=True) or ""
    if text:
        try:
            ipaddress.IPv4Network(f"0.0.0.0/{text}")
        except ValueError:
            read.problem(path, f"expected a netmask like 255.255.255.0, got {text!r}")
    return text


def _check_order(read: Reader, start: str, end: str, path: tuple) -> None:
    try:
        if ipaddress.IPv4Address(start) > ipaddress.IPv4Address(end):
            read.problem(path + ("end_ip",), f"end_ip {end} comes before start_ip {start}")
    except ValueError:
        pass  # already reported


def _range(read: Reader, value: Any, path: tuple) -> IpRange:
    item = read.mapping(value, path, _RANGE_KEYS, what="an IP range (start_ip, end_ip, netmask, gateway, vlan)")
    ip_range = IpRange(
        start_ip=_ipv4(read, item.get("start_ip"), path + ("start_ip",)),
        end_ip=_ipv4(read, item.get("end_ip"), path + ("end_ip",)),
        netmask=_netmask(read, item.get("netmask"), path + ("netmask",)),
        gateway=_ipv4(read, item.get("gateway"), path + ("gateway",)),
        vlan=read.string(item.get("vlan"), path + ("vlan",)),
    )
    _check_order(read, ip_range.start_ip, ip_range.end_ip, path)
    return ip_range


def _ranges(read: Reader, value: Any, path: tuple) -> tuple:
    return tuple(_range(read, r, path + (i,)) for i, r in enumerate(read.sequence(value, path, what="a list of IP ranges")))


def _read_zone(read: Reader, value: Any, path: tuple) -> Zone:
    item = read.mapping(value, path, _ZONE_KEYS, what="a zone mapping")
    network_type = read.choice(item.get("network_type"), path + ("network_type",), ZONE_NETWORK_TYPES)
    if network_type is None and "network_type" not in item:
        read.problem(path + ("network_type",), "required: Advanced or Basic")
    security_groups = read.boolean(item.get("security_groups"), path + ("security_groups",), default=network_type == "Basic")
    pnets = tuple(_read_pnet(read, p, path + ("physical_networks", i)) for i, p in enumerate(read.sequence(item.get("physical_networks"), path + ("physical_networks",))))
    guest_network = None
    if item.get("guest_network") is not None:
        gpath = path + ("guest_network",)
        g = read.mapping(item["guest_network"], gpath, _GUEST_NETWORK_KEYS)
        guest_network = GuestNetwork(
            name=read.string(g.get("name"), gpath + ("name",), default="guestNetworkForBasicZone") or "guestNetworkForBasicZone",
            network_offering=read.string(g.get("network_offering"), gpath + ("network_offering",), default=SG_GUEST_OFFERING) or SG_GUEST_OFFERING,
            ip_ranges=_ranges(read, g.get("ip_ranges"), gpath + ("ip_ranges",)),
        )
    zone = Zone(
        name=read.string(item.get("name"), path + ("name",), required=True) or "",
        network_type=network_type or "Advanced",
        dns1=read.string(item.get("dns1"), path + ("dns1",), required=True) or "",
        internal_dns1=read.string(item.get("internal_dns1"), path + ("internal_dns1",), required=True) or "",
        dns2=read.string(item.get("dns2"), path + ("dns2",)),
        internal_dns2=read.string(item.get("internal_dns2"), path + ("internal_dns2",)),
        domain=read.string(item.get("domain"), path + ("domain",)),
        guest_cidr=read.string(item.get("guest_cidr"), path + ("guest_cidr",)),
        security_groups=security_groups,
        local_storage=read.boolean(item.get("local_storage"), path + ("local_storage",), default=False),
        physical_networks=pnets,
        public_ip_ranges=_ranges(read, item.get("public_ip_ranges"), path + ("public_ip_ranges",)),
        guest_network=guest_network,
        pods=tuple(_read_pod(read, p, path + ("pods", i)) for i, p in enumerate(read.sequence(item.get("pods"), path + ("pods",)))),
        secondary_storage=tuple(
            _read_secondary(read, s, path + ("secondary_storage", i))
            for i, s in enumerate(read.sequence(item.get("secondary_storage"), path + ("secondary_storage",)))
        ),
    )
    # Cross-field rules: say what a deployment would trip over, before it starts.
    if zone.network_type == "Basic":
        if zone.public_ip_ranges:
            read.problem(path + ("public_ip_ranges",), "Basic zones have no public IP ranges (give guest_ip_ranges per pod)")
        if zone.guest_network and zone.guest_network.ip_ranges:
            read.problem(path + ("guest_network", "ip_ranges"), "in a Basic zone the guest ranges belong to the pods (pods[].guest_ip_ranges)")
    else:
        for i, pod in enumerate(zone.pods):
            if pod.guest_ip_ranges:
                read.problem(path + ("pods", i, "guest_ip_ranges"), "only Basic zones have guest IP ranges per pod")
        if zone.guest_network is not None and not zone.security_groups:
            read.problem(path + ("guest_network",), "a zone-wide shared guest network is for Basic zones or security_groups: true")
    if zone.security_groups and zone.guest_network is None:
        read.problem(path + ("guest_network",), "required when security_groups is true (the shared guest network with security groups)")
    if not zone.physical_networks:
        read.problem(path + ("physical_networks",), "required: at least one physical network")
    _check_unique(read, [(p.name, path + ("pods", i, "name")) for i, p in enumerate(zone.pods)], "pod")
    _check_unique(read, [(c.name, path + ("pods", i, "clusters", j, "name")) for i, p in enumerate(zone.pods) for j, c in enumerate(p.clusters)], "cluster")
    return zone


def _read_pnet(read: Reader, value: Any, path: tuple) -> PhysicalNetwork:
    item = read.mapping(value, path, _PNET_KEYS, what="a physical network mapping")
    traffic = []
    for i, t in enumerate(read.sequence(item.get("traffic_types"), path + ("traffic_types",))):
        tpath = path + ("traffic_types", i)
        if isinstance(t, str):
            t = {"type": t}
        titem = read.mapping(t, tpath, _TRAFFIC_KEYS, what="a traffic type (type, labels)")
        labels = read.mapping(titem.get("labels"), tpath + ("labels",), LABEL_PARAMS, what="hypervisor network labels (kvm, xen, vmware, hyperv, ovm3)")
        traffic.append(TrafficType(
            type=read.choice(titem.get("type"), tpath + ("type",), TRAFFIC_TYPES) or "Guest",
            labels={k: read.string(v, tpath + ("labels", k)) for k, v in labels.items() if k in LABEL_PARAMS},
        ))
    providers = []
    for i, p in enumerate(read.sequence(item.get("providers"), path + ("providers",))):
        name = read.choice(p, path + ("providers", i), PROVIDERS)
        if name:
            providers.append(name)
    return PhysicalNetwork(
        name=read.string(item.get("name"), path + ("name",), required=True) or "",
        vlan=read.string(item.get("vlan"), path + ("vlan",)),
        isolation_methods=_strings(read, item.get("isolation_methods"), path + ("isolation_methods",)),
        broadcast_domain_range=read.string(item.get("broadcast_domain_range"), path + ("broadcast_domain_range",)),
        tags=_strings(read, item.get("tags"), path + ("tags",)),
        traffic_types=tuple(traffic),
        providers=tuple(providers),
    )


def _read_pod(read: Reader, value: Any, path: tuple) -> Pod:
    item = read.mapping(value, path, _POD_KEYS, what="a pod mapping")
    clusters = tuple(_read_cluster(read, c, path + ("clusters", i)) for i, c in enumerate(read.sequence(item.get("clusters"), path + ("clusters",))))
    pod = Pod(
        name=read.string(item.get("name"), path + ("name",), required=True) or "",
        start_ip=_ipv4(read, item.get("start_ip"), path + ("start_ip",)),
        end_ip=_ipv4(read, item.get("end_ip"), path + ("end_ip",)),
        netmask=_netmask(read, item.get("netmask"), path + ("netmask",)),
        gateway=_ipv4(read, item.get("gateway"), path + ("gateway",)),
        guest_ip_ranges=_ranges(read, item.get("guest_ip_ranges"), path + ("guest_ip_ranges",)),
        clusters=clusters,
    )
    _check_order(read, pod.start_ip, pod.end_ip, path)
    return pod


def _read_cluster(read: Reader, value: Any, path: tuple) -> Cluster:
    item = read.mapping(value, path, _CLUSTER_KEYS, what="a cluster mapping")
    hosts = []
    for i, h in enumerate(read.sequence(item.get("hosts"), path + ("hosts",))):
        hpath = path + ("hosts", i)
        hitem = read.mapping(h, hpath, _HOST_KEYS, what="a host mapping (url, username, password)")
        hosts.append(Host(
            url=read.string(hitem.get("url"), hpath + ("url",), required=True) or "",
            username=read.string(hitem.get("username"), hpath + ("username",)),
            password=read.string(hitem.get("password"), hpath + ("password",)),
            tags=_strings(read, hitem.get("tags"), hpath + ("tags",)),
        ))
    storages = []
    for i, s in enumerate(read.sequence(item.get("primary_storage"), path + ("primary_storage",))):
        spath = path + ("primary_storage", i)
        sitem = read.mapping(s, spath, _PRIMARY_KEYS, what="a primary storage mapping (name, url)")
        storages.append(PrimaryStorage(
            name=read.string(sitem.get("name"), spath + ("name",), required=True) or "",
            url=read.string(sitem.get("url"), spath + ("url",), required=True) or "",
            scope=read.choice(sitem.get("scope"), spath + ("scope",), STORAGE_SCOPES, default="cluster") or "cluster",
            tags=_strings(read, sitem.get("tags"), spath + ("tags",)),
        ))
    if "hypervisor" not in item:
        read.problem(path + ("hypervisor",), f"required: one of {', '.join(HYPERVISORS)}")
    return Cluster(
        name=read.string(item.get("name"), path + ("name",), required=True) or "",
        hypervisor=read.choice(item.get("hypervisor"), path + ("hypervisor",), HYPERVISORS) or "",
        type=read.choice(item.get("type"), path + ("type",), CLUSTER_TYPES, default="CloudManaged") or "CloudManaged",
        url=read.string(item.get("url"), path + ("url",)),
        username=read.string(item.get("username"), path + ("username",)),
        password=read.string(item.get("password"), path + ("password",)),
        hosts=tuple(hosts),
        primary_storage=tuple(storages),
    )


def _read_secondary(read: Reader, value: Any, path: tuple) -> SecondaryStorage:
    item = read.mapping(value, path, _SECONDARY_KEYS, what="a secondary storage mapping (url, provider, name)")
    return SecondaryStorage(
        url=read.string(item.get("url"), path + ("url",), required=True) or "",
        provider=read.string(item.get("provider"), path + ("provider",), default="NFS") or "NFS",
        name=read.string(item.get("name"), path + ("name",)),
    )


# --- the record of what was created ----------------------------------------------------------


def default_record_path(layout_path: Path | str) -> Path:
    """``dc.yaml`` -> ``dc.deployed.json`` beside it."""
    path = Path(layout_path)
    return path.with_name(path.stem + ".deployed.json")


class Deployment:
    """What a deployment created, in order, each with the call that undoes it; saved after every change."""

    def __init__(self, path: Path, layout: str | None = None, endpoint: str | None = None, created: list | None = None):
        self.path = Path(path)
        self.layout = layout
        self.endpoint = endpoint
        self.created: list[dict] = created or []

    @classmethod
    def load(cls, path: Path | str) -> "Deployment":
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(path, "no deployment record here (nothing was deployed with it, or it was torn down)") from None
        except (OSError, ValueError) as error:
            raise ConfigError(path, f"unreadable deployment record: {error}") from None
        if not isinstance(data, dict) or not isinstance(data.get("created"), list):
            raise ConfigError(path, "not a deployment record: expected {'created': [...]}")
        return cls(path, data.get("layout"), data.get("endpoint"), data["created"])

    def add(self, kind: str, name: str, id: str | None, undo: dict | None) -> None:
        self.created.append({"kind": kind, "name": name, "id": id, "undo": undo})
        self.save()

    def save(self) -> None:
        body = json.dumps({"layout": self.layout, "endpoint": self.endpoint, "created": self.created}, indent=2)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Atomic: a crash mid-write must not lose the list of things to remove.
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=self.path.name, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(body + "\n")
        os.replace(tmp, self.path)

    def summary(self) -> str:
        if not self.created:
            return "nothing"
        return ", ".join(f"{e['kind']} {e['name']}" + (f" ({e['id']})" if e.get("id") else "") for e in self.created)


class DeployError(RuntimeError):
    """A deployment or teardown step failed; the message says what exists and how to remove it."""


# --- planning -------------------------------------------------------------------------------------


@dataclass
class Step:
    title: str
    run: Callable[["_Context"], None]


@dataclass
class _Context:
    api: Any
    record: Deployment
    ids: dict = field(default_factory=dict)

    def call(self, command: str, **params) -> Any:
        clean = {k: v for k, v in params.items() if v is not None and v != () and v != ""}
        return self.api.call(command, clean)


def _single(result: Any, what: str) -> Mapping:
    """The one object of a create answer (addHost/addCluster answer a list of one)."""
    if isinstance(result, list):
        if len(result) != 1:
            raise DeployError(f"{what}: expected one object in the answer, got {len(result)}")
        result = result[0]
    if not isinstance(result, Mapping) or not result.get("id"):
        raise DeployError(f"{what}: the answer has no id: {result!r}"[:300])
    return result


def _find_one(items: Any, what: str, **match) -> Mapping:
    """The single item of a list answer whose fields equal ``match`` (list filters can be partial matches)."""
    found = [i for i in (items or []) if all(str(i.get(k)) == str(v) for k, v in match.items())]
    if len(found) != 1:
        raise DeployError(f"expected exactly one {what} with {match}, found {len(found)}")
    return found[0]


def plan(layout: Layout) -> list[Step]:
    """The ordered steps that deploy ``layout`` (no API call is made until a step runs)."""
    steps: list[Step] = []
    for name, value in layout.global_settings.items():
        steps.append(Step(f"updateConfiguration {name}={value}", _set_global(name, value)))
    for zone in layout.zones:
        steps += _zone_steps(zone)
    return steps


def _set_global(name: str, value: str):
    def run(ctx: _Context) -> None:
        previous = None
        try:
            current = ctx.call("listConfigurations", name=name)
            matches = [c for c in (current or []) if c.get("name") == name]
            previous = matches[0].get("value") if matches else None
        except Exception:  # noqa: BLE001 - the old value is a courtesy for teardown
            previous = None
        ctx.call("updateConfiguration", name=name, value=value)
        undo = {"command": "updateConfiguration", "params": {"name": name, "value": previous}} if previous is not None else None
        ctx.record.add("global setting", f"{name}={value}", None, undo)
    return run


def _zone_steps(zone: Zone) -> list[Step]:
    z = zone.name
    steps = [Step(f"createZone {z} ({zone.network_type})", _create_zone(zone))]
    for pnet in zone.physical_networks:
        key = f"pnet:{z}:{pnet.name}"
        steps.append(Step(f"createPhysicalNetwork {pnet.name}", _create_pnet(zone, pnet, key)))
        for provider in pnet.providers:
            steps.append(Step(f"enable provider {provider} on {pnet.name}", _enable_provider(provider, key)))
        steps.append(Step(f"enable physical network {pnet.name}", _enable_pnet(pnet, key)))
        for traffic in pnet.traffic_types:
            steps.append(Step(f"addTrafficType {traffic.type} on {pnet.name}", _add_traffic(traffic, pnet, key)))
    if zone.guest_network is not None:
        steps.append(Step(f"createNetwork {zone.guest_network.name} (shared, security groups)", _create_guest_network(zone)))
    for pod in zone.pods:
        steps.append(Step(f"createPod {pod.name}", _create_pod(zone, pod)))
        for r in pod.guest_ip_ranges:
            steps.append(Step(f"createVlanIpRange guest {r.start_ip}-{r.end_ip} in pod {pod.name}", _create_guest_range(zone, pod, r)))
    for r in zone.public_ip_ranges:
        steps.append(Step(f"createVlanIpRange public {r.start_ip}-{r.end_ip}" + (f" vlan {r.vlan}" if r.vlan else ""), _create_public_range(zone, r)))
    for pod in zone.pods:
        for cluster in pod.clusters:
            steps.append(Step(f"addCluster {cluster.name} ({cluster.hypervisor}) in pod {pod.name}", _add_cluster(zone, pod, cluster)))
            for host in cluster.hosts:
                steps.append(Step(f"addHost {host.url} in cluster {cluster.name}", _add_host(zone, pod, cluster, host)))
            for storage in cluster.primary_storage:
                steps.append(Step(f"createStoragePool {storage.name} in cluster {cluster.name}", _add_primary(zone, pod, cluster, storage)))
    for storage in zone.secondary_storage:
        steps.append(Step(f"addImageStore {storage.provider} {storage.url}", _add_secondary(zone, storage)))
    steps.append(Step(f"enable zone {z}", _enable_zone(zone)))
    return steps


def _create_zone(zone: Zone):
    def run(ctx: _Context) -> None:
        created = _single(ctx.call(
            "createZone",
            name=zone.name,
            networktype=zone.network_type,
            dns1=zone.dns1,
            dns2=zone.dns2,
            internaldns1=zone.internal_dns1,
            internaldns2=zone.internal_dns2,
            domain=zone.domain,
            guestcidraddress=zone.guest_cidr if zone.network_type == "Advanced" else None,
            securitygroupenabled=zone.security_groups,
            localstorageenabled=zone.local_storage,
        ), "createZone")
        ctx.ids[f"zone:{zone.name}"] = created["id"]
        ctx.record.add("zone", zone.name, created["id"], {"command": "deleteZone", "params": {"id": created["id"]}})
    return run


def _create_pnet(zone: Zone, pnet: PhysicalNetwork, key: str):
    def run(ctx: _Context) -> None:
        created = _single(ctx.call(
            "createPhysicalNetwork",
            zoneid=ctx.ids[f"zone:{zone.name}"],
            name=pnet.name,
            vlan=pnet.vlan,
            isolationmethods=list(pnet.isolation_methods) or None,
            broadcastdomainrange=pnet.broadcast_domain_range,
            tags=",".join(pnet.tags) or None,
        ), "createPhysicalNetwork")
        ctx.ids[key] = created["id"]
        # Deleting the physical network removes its traffic types and providers too.
        ctx.record.add("physical network", pnet.name, created["id"], {"command": "deletePhysicalNetwork", "params": {"id": created["id"]}})
    return run


def _enable_provider(provider: str, key: str):
    def run(ctx: _Context) -> None:
        pnet_id = ctx.ids[key]
        nsp = _find_one(ctx.call("listNetworkServiceProviders", name=provider, physicalnetworkid=pnet_id), "network service provider", name=provider)
        # The router-style providers have an element that must be enabled first.
        element_api = {
            "VirtualRouter": ("listVirtualRouterElements", "configureVirtualRouterElement"),
            "VpcVirtualRouter": ("listVirtualRouterElements", "configureVirtualRouterElement"),
            "InternalLbVm": ("listInternalLoadBalancerElements", "configureInternalLoadBalancerElement"),
        }.get(provider)
        if element_api:
            elements = ctx.call(element_api[0], nspid=nsp["id"]) or []
            if len(elements) != 1:
                raise DeployError(f"expected one {provider} element for provider {nsp['id']}, found {len(elements)}")
            ctx.call(element_api[1], id=elements[0]["id"], enabled=True)
        if nsp.get("state") != "Enabled":
            ctx.call("updateNetworkServiceProvider", id=nsp["id"], state="Enabled")
    return run


def _enable_pnet(pnet: PhysicalNetwork, key: str):
    def run(ctx: _Context) -> None:
        ctx.call("updatePhysicalNetwork", id=ctx.ids[key], state="Enabled")
    return run


def _add_traffic(traffic: TrafficType, pnet: PhysicalNetwork, key: str):
    def run(ctx: _Context) -> None:
        labels = {LABEL_PARAMS[k]: v for k, v in traffic.labels.items()}
        ctx.call("addTrafficType", physicalnetworkid=ctx.ids[key], traffictype=traffic.type, **labels)
    return run


def _network_offering_id(ctx: _Context, name: str) -> str:
    offerings = ctx.call("listNetworkOfferings", name=name)
    return _find_one(offerings, "network offering", name=name)["id"]


def _create_guest_network(zone: Zone):
    network = zone.guest_network
    assert network is not None

    def run(ctx: _Context) -> None:
        first = network.ip_ranges[0] if network.ip_ranges else None
        created = _single(ctx.call(
            "createNetwork",
            zoneid=ctx.ids[f"zone:{zone.name}"],
            name=network.name,
            displaytext=network.name,
            networkofferingid=_network_offering_id(ctx, network.network_offering),
            # Advanced zones with security groups: the network carries its first range.
            startip=first.start_ip if first else None,
            endip=first.end_ip if first else None,
            netmask=first.netmask if first else None,
            gateway=first.gateway if first else None,
            vlan=first.vlan if first else None,
        ), "createNetwork")
        ctx.ids[f"guestnet:{zone.name}"] = created["id"]
        ctx.record.add("guest network", network.name, created["id"], {"command": "deleteNetwork", "params": {"id": created["id"], "forced": True}})
        for extra in network.ip_ranges[1:]:
            vlan = _single(ctx.call(
                "createVlanIpRange", networkid=created["id"], startip=extra.start_ip, endip=extra.end_ip,
                netmask=extra.netmask, gateway=extra.gateway, vlan=extra.vlan, forvirtualnetwork=False,
            ), "createVlanIpRange")
            ctx.record.add("guest IP range", f"{extra.start_ip}-{extra.end_ip}", vlan["id"], {"command": "deleteVlanIpRange", "params": {"id": vlan["id"]}})
    return run


def _create_pod(zone: Zone, pod: Pod):
    def run(ctx: _Context) -> None:
        created = _single(ctx.call(
            "createPod", zoneid=ctx.ids[f"zone:{zone.name}"], name=pod.name, startip=pod.start_ip,
            endip=pod.end_ip, netmask=pod.netmask, gateway=pod.gateway,
        ), "createPod")
        ctx.ids[f"pod:{zone.name}:{pod.name}"] = created["id"]
        ctx.record.add("pod", pod.name, created["id"], {"command": "deletePod", "params": {"id": created["id"]}})
    return run


def _create_guest_range(zone: Zone, pod: Pod, r: IpRange):
    def run(ctx: _Context) -> None:
        created = _single(ctx.call(
            "createVlanIpRange", zoneid=ctx.ids[f"zone:{zone.name}"], podid=ctx.ids[f"pod:{zone.name}:{pod.name}"],
            networkid=ctx.ids[f"guestnet:{zone.name}"], startip=r.start_ip, endip=r.end_ip, netmask=r.netmask,
            gateway=r.gateway, forvirtualnetwork=False,
        ), "createVlanIpRange")
        ctx.record.add("guest IP range", f"{r.start_ip}-{r.end_ip}", created["id"], {"command": "deleteVlanIpRange", "params": {"id": created["id"]}})
    return run


def _create_public_range(zone: Zone, r: IpRange):
    def run(ctx: _Context) -> None:
        created = _single(ctx.call(
            "createVlanIpRange", zoneid=ctx.ids[f"zone:{zone.name}"], startip=r.start_ip, endip=r.end_ip,
            netmask=r.netmask, gateway=r.gateway, vlan=r.vlan or "untagged", forvirtualnetwork=True,
        ), "createVlanIpRange")
        ctx.record.add("public IP range", f"{r.start_ip}-{r.end_ip}", created["id"], {"command": "deleteVlanIpRange", "params": {"id": created["id"]}})
    return run


def _add_cluster(zone: Zone, pod: Pod, cluster: Cluster):
    def run(ctx: _Context) -> None:
        created = _single(ctx.call(
            "addCluster", zoneid=ctx.ids[f"zone:{zone.name}"], podid=ctx.ids[f"pod:{zone.name}:{pod.name}"],
            clustername=cluster.name, hypervisor=cluster.hypervisor, clustertype=cluster.type,
            url=cluster.url, username=cluster.username, password=cluster.password,
        ), "addCluster")
        ctx.ids[f"cluster:{zone.name}:{cluster.name}"] = created["id"]
        ctx.record.add("cluster", cluster.name, created["id"], {"command": "deleteCluster", "params": {"id": created["id"]}})
    return run


def _add_host(zone: Zone, pod: Pod, cluster: Cluster, host: Host):
    def run(ctx: _Context) -> None:
        created = _single(ctx.call(
            "addHost", zoneid=ctx.ids[f"zone:{zone.name}"], podid=ctx.ids[f"pod:{zone.name}:{pod.name}"],
            clusterid=ctx.ids[f"cluster:{zone.name}:{cluster.name}"], hypervisor=cluster.hypervisor,
            url=host.url, username=host.username, password=host.password, hosttags=",".join(host.tags) or None,
        ), "addHost")
        # forced: a host that is Up (not in maintenance) can only be removed by force.
        ctx.record.add("host", host.url, created["id"], {"command": "deleteHost", "params": {"id": created["id"], "forced": True}})
    return run


def _add_primary(zone: Zone, pod: Pod, cluster: Cluster, storage: PrimaryStorage):
    def run(ctx: _Context) -> None:
        in_cluster = storage.scope == "cluster"
        created = _single(ctx.call(
            "createStoragePool", zoneid=ctx.ids[f"zone:{zone.name}"],
            podid=ctx.ids[f"pod:{zone.name}:{pod.name}"] if in_cluster else None,
            clusterid=ctx.ids[f"cluster:{zone.name}:{cluster.name}"] if in_cluster else None,
            name=storage.name, url=storage.url, scope=storage.scope,
            hypervisor=cluster.hypervisor if not in_cluster else None, tags=",".join(storage.tags) or None,
        ), "createStoragePool")
        ctx.record.add("primary storage", storage.name, created["id"], {"command": "deleteStoragePool", "params": {"id": created["id"], "forced": True}})
    return run


def _add_secondary(zone: Zone, storage: SecondaryStorage):
    def run(ctx: _Context) -> None:
        created = _single(ctx.call(
            "addImageStore", provider=storage.provider, url=storage.url, name=storage.name,
            zoneid=ctx.ids[f"zone:{zone.name}"],
        ), "addImageStore")
        ctx.record.add("secondary storage", storage.name or storage.url, created["id"], {"command": "deleteImageStore", "params": {"id": created["id"]}})
    return run


def _enable_zone(zone: Zone):
    def run(ctx: _Context) -> None:
        zone_id = ctx.ids[f"zone:{zone.name}"]
        ctx.call("updateZone", id=zone_id, allocationstate="Enabled")
        # Disabled again first on teardown, so nothing new lands in it meanwhile.
        ctx.record.add("zone enabled", zone.name, zone_id, {"command": "updateZone", "params": {"id": zone_id, "allocationstate": "Disabled"}})
    return run


# --- running ---------------------------------------------------------------------------------------


def _error_text(error: BaseException) -> str:
    # CloudStackError carries errorcode/errortext; anything else: its message.
    text = getattr(error, "errortext", None) or str(error) or type(error).__name__
    code = getattr(error, "errorcode", None)
    return f"{text} (error {code})" if code else text


def deploy(api: Any, layout: Layout, record_path: Path | str | None = None, *, progress: Callable[[str], None] = print,
           teardown_hint: str | None = None) -> Deployment:
    """Run every step of ``layout`` in order, recording what was created.

    On failure raises DeployError saying which step failed, what exists so far and
    how to remove it; the record file stays for ``teardown``.
    """
    record_path = Path(record_path) if record_path else default_record_path(layout.source)
    if record_path.exists():
        existing = Deployment.load(record_path)
        if existing.created:
            raise DeployError(
                f"{record_path} already records a deployment ({len(existing.created)} objects: {existing.summary()}); "
                "tear it down first, or pass another record path"
            )
    record = Deployment(record_path, layout=str(layout.source), endpoint=getattr(api, "endpoint", None))
    record.save()
    ctx = _Context(api=api, record=record)
    steps = plan(layout)
    width = len(str(len(steps)))
    for number, step in enumerate(steps, 1):
        progress(f"[{number:>{width}}/{len(steps)}] {step.title}")
        try:
            step.run(ctx)
        except Exception as error:  # noqa: BLE001 - any failure stops the deployment with a clear report
            hint = teardown_hint or f"marvin2 deploy-datacenter {layout.source} --teardown"
            raise DeployError(
                f"step {number}/{len(steps)} failed: {step.title}: {_error_text(error)}\n"
                f"created so far: {record.summary()}\n"
                f"recorded in {record.path}; remove it with: {hint}"
            ) from error
    progress(f"deployed {len(layout.zones)} zone(s): {', '.join(z.name for z in layout.zones)}; record: {record.path}")
    return record


def _is_gone(error: BaseException) -> bool:
    """An undo that fails because the object no longer exists has nothing left to do."""
    text = (getattr(error, "errortext", None) or str(error)).lower()
    return getattr(error, "errorcode", None) == 431 and any(
        marker in text for marker in ("does not exist", "unable to find", "not found", "invalid value. invalid parameter id")
    )


def _destroy_system_vms(api: Any, zone_id: str, progress: Callable[[str], None]) -> list[str]:
    """A disabled zone's SSVM and CPVM (which hold public IPs and secondary storage) are destroyed, as an
    operator does before removing a zone; a disabled zone gets no new ones."""
    failures = []
    try:
        vms = api.call("listSystemVms", {"zoneid": zone_id}) or []
    except Exception as error:  # noqa: BLE001 - reported with the other failures
        return [] if _is_gone(error) else [f"listSystemVms zone {zone_id}: {_error_text(error)}"]
    for vm in vms:
        progress(f"    destroySystemVm {vm['name']}")
        try:
            api.call("destroySystemVm", {"id": vm["id"]})
        except Exception as error:  # noqa: BLE001
            if not _is_gone(error):
                failures.append(f"destroySystemVm {vm['name']}: {_error_text(error)}")
    return failures


def teardown(api: Any, record_path: Path | str, *, progress: Callable[[str], None] = print) -> list[str]:
    """Undo a recorded deployment in reverse order; returns failures (empty when all is gone).

    Entries are removed from the record as they are undone, so a teardown that
    stopped half way can simply be run again. The record file is deleted at the end
    when nothing is left.
    """
    record = Deployment.load(record_path)
    failures: list[str] = []
    pending = [e for e in reversed(record.created)]
    total = len(pending)
    width = len(str(total or 1))
    for number, entry in enumerate(pending, 1):
        undo = entry.get("undo")
        label = f"{entry['kind']} {entry['name']}"
        if not undo:
            progress(f"[{number:>{width}}/{total}] {label}: nothing to undo")
            record.created.remove(entry)
            record.save()
            continue
        progress(f"[{number:>{width}}/{total}] {undo['command']} {label}")
        try:
            api.call(undo["command"], dict(undo.get("params") or {}))
        except Exception as error:  # noqa: BLE001 - carry on: report every failure at the end
            if not _is_gone(error):
                failures.append(f"{undo['command']} {label}: {_error_text(error)}")
                progress(f"    failed: {_error_text(error)}")
                continue
            progress("    already gone")
        if undo["command"] == "updateZone" and (undo.get("params") or {}).get("allocationstate") == "Disabled":
            failures.extend(_destroy_system_vms(api, undo["params"]["id"], progress))
        record.created.remove(entry)
        record.save()
    if not record.created:
        record.path.unlink(missing_ok=True)
    return failures
