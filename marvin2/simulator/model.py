"""Row builders for the store kinds the simulator core owns, and the seed loader.

Infrastructure APIs and the seed both build rows here, so a zone made by
``createZone`` looks exactly like one from the seed. HANDLERS.md lists the
kinds and their fields for the engineers writing other API modules.
"""
from __future__ import annotations

import copy
import functools
import ipaddress
import secrets
from pathlib import Path
from typing import Any

import yaml

from marvin2 import wire
from marvin2.simulator import facts
from marvin2.simulator.store import Store, new_uuid

SEEDS_DIR = Path(__file__).with_name("seeds")
GIB = 1024 ** 3


def zone_row(name: str, networktype: str = "Advanced", **extra: Any) -> dict:
    return {"name": name, "networktype": networktype, "securitygroupsenabled": bool(extra.pop("securitygroupenabled", False)),
            "allocationstate": extra.pop("allocationstate", "Enabled"), "dns1": extra.pop("dns1", "8.8.8.8"),
            "internaldns1": extra.pop("internaldns1", "10.147.28.6"), "localstorageenabled": False,
            "type": "Core", "guestcidraddress": extra.pop("guestcidraddress", "10.1.1.0/24" if networktype == "Advanced" else None),
            **extra}


def pod_row(zone: dict, name: str, gateway: str, netmask: str, startip: str, endip: str | None = None) -> dict:
    return {"name": name, "zoneid": zone["id"], "gateway": gateway, "netmask": netmask, "startip": [startip],
            "endip": [endip or startip], "allocationstate": "Enabled"}


def cluster_row(pod: dict, name: str, hypervisor: str = "Simulator") -> dict:
    return {"name": name, "zoneid": pod["zoneid"], "podid": pod["id"], "hypervisortype": hypervisor,
            "clustertype": "CloudManaged", "allocationstate": "Enabled", "managedstate": "Managed"}


def host_row(cluster: dict, url: str, index: int) -> dict:
    name = url.rstrip("/").split("/")[-1] if url.startswith("http://sim/") else f"SimulatedAgent.{new_uuid()}"
    if url.startswith("http://sim/"):
        name = "SimulatedAgent." + url[len("http://sim/"):].replace("/", ".")
    return {"name": name, "url": url, "zoneid": cluster["zoneid"], "podid": cluster["podid"], "clusterid": cluster["id"],
            "hypervisor": cluster["hypervisortype"], "type": "Routing", "state": "Up", "resourcestate": "Enabled",
            "ipaddress": f"172.16.15.{10 + index}", "cpunumber": 4, "cpuspeed": 8000, "memorytotal": 8 * GIB,
            "version": "4.18.0.0", "hahost": False}


def storagepool_row(cluster: dict, name: str, url: str, scope: str = "CLUSTER") -> dict:
    host, _, path = url.partition("://")[2].partition(":")
    return {"name": name, "url": url, "zoneid": cluster["zoneid"], "podid": cluster.get("podid") if scope == "CLUSTER" else None,
            "clusterid": cluster.get("id") if scope == "CLUSTER" else None, "ipaddress": host, "path": path or "/",
            "type": "NetworkFilesystem", "scope": scope, "state": "Up", "hypervisor": "Simulator",
            "disksizetotal": 1024 * GIB, "disksizeallocated": 0, "disksizeused": 0}


def imagestore_row(zone: dict | None, name: str, url: str, provider: str = "NFS") -> dict:
    return {"name": name, "url": url, "zoneid": zone["id"] if zone else None, "protocol": url.split(":")[0] or "nfs",
            "providername": provider, "scope": "ZONE" if zone else "REGION", "readonly": False}


PROVIDER_SERVICES = {
    "VirtualRouter": ["Dhcp", "Dns", "UserData", "SourceNat", "StaticNat", "PortForwarding", "Lb", "Firewall", "Vpn", "Gateway"],
    "VpcVirtualRouter": ["Dhcp", "Dns", "UserData", "SourceNat", "StaticNat", "PortForwarding", "Lb", "NetworkACL", "Vpn", "Gateway"],
    "InternalLbVm": ["Lb"],
    "ConfigDrive": ["UserData"],
    "SecurityGroupProvider": ["SecurityGroup"],
}


def physicalnetwork_row(zone: dict, name: str, **extra: Any) -> dict:
    return {"name": name, "zoneid": zone["id"], "state": extra.pop("state", "Enabled"),
            "isolationmethods": extra.pop("isolationmethods", "VLAN"), "broadcastdomainrange": "ZONE", **extra}


def provider_row(physnet: dict, name: str, state: str = "Enabled") -> dict:
    return {"name": name, "physicalnetworkid": physnet["id"], "state": state,
            "servicelist": PROVIDER_SERVICES.get(name, []), "destinationphysicalnetworkid": "0",
            "canenableindividualservice": True}


ELEMENT_KINDS = {"VirtualRouter": "virtualrouterelement", "VpcVirtualRouter": "virtualrouterelement",
                 "InternalLbVm": "internallbelement"}
DEFAULT_PROVIDERS = ("VirtualRouter", "VpcVirtualRouter", "InternalLbVm", "ConfigDrive", "SecurityGroupProvider")


def add_provider(store: Store, physnet: dict, name: str, state: str = "Disabled") -> dict:
    """A network service provider row, plus its element (VR / internal LB) as a real server keeps one."""
    provider = store.insert("networkserviceprovider", provider_row(physnet, name, state))
    kind = ELEMENT_KINDS.get(name)
    if kind:
        store.insert(kind, {"nspid": provider["id"], "providername": name, "enabled": state == "Enabled",
                            "physicalnetworkid": physnet["id"]})
    return provider


def vlan_row(zone: dict, physnet: dict | None, startip: str, endip: str, gateway: str, netmask: str,
             vlan: str | None = None, **extra: Any) -> dict:
    tag = str(vlan) if vlan not in (None, "") else "untagged"
    return {"zoneid": zone["id"], "physicalnetworkid": physnet["id"] if physnet else None,
            "vlan": tag if tag.startswith("vlan://") or tag == "untagged" else f"vlan://{tag}",
            "startip": startip, "endip": endip, "gateway": gateway, "netmask": netmask,
            "forvirtualnetwork": extra.pop("forvirtualnetwork", True), "forsystemvms": False, **extra}


def ip_addresses(startip: str, endip: str) -> list[str]:
    start, end = ipaddress.IPv4Address(startip), ipaddress.IPv4Address(endip)
    if end < start:
        raise ValueError(f"the end IP {endip} is before the start IP {startip}")
    if int(end) - int(start) > 65535:
        raise ValueError(f"IP range {startip}-{endip} is too large for the simulator (at most 65536 addresses)")
    return [str(ipaddress.IPv4Address(i)) for i in range(int(start), int(end) + 1)]


def add_public_ips(store: Store, vlan: dict) -> int:
    """One ``publicipaddress`` row per address of a public range (state Free), as a real server keeps them."""
    addresses = ip_addresses(vlan["startip"], vlan["endip"])
    for address in addresses:
        store.insert("publicipaddress", {"ipaddress": address, "zoneid": vlan["zoneid"], "vlanid": vlan["id"],
                                         "physicalnetworkid": vlan.get("physicalnetworkid"), "state": "Free",
                                         "forvirtualnetwork": vlan.get("forvirtualnetwork", True),
                                         "issourcenat": False, "isstaticnat": False, "issystem": False})
    return len(addresses)


def systemvm_rows(zone: dict, pod: dict | None, host: dict | None, index: int) -> list[dict]:
    rows = []
    for prefix, kind in (("s", "secondarystoragevm"), ("v", "consoleproxy")):
        rows.append({"name": f"{prefix}-{index}-VM", "systemvmtype": kind, "zoneid": zone["id"],
                     "podid": pod["id"] if pod else None, "hostid": host["id"] if host else None,
                     "state": "Running" if host else "Stopped", "hypervisor": "Simulator",
                     "privateip": f"172.16.15.{100 + index * 2 + len(rows)}",
                     "linklocalip": f"169.254.{index}.{10 + len(rows)}", "activeviewersessions": 0})
    return rows


# --- seed loading --------------------------------------------------------------------------


def seed_path(seed: str) -> Path:
    """``"default"``/``"basic"`` name a shipped seed; anything else is a YAML file path."""
    shipped = SEEDS_DIR / f"{seed}.yaml"
    if "/" not in seed and "\\" not in seed and shipped.exists():
        return shipped
    path = Path(seed)
    if not path.is_file():
        names = ", ".join(sorted(p.stem for p in SEEDS_DIR.glob("*.yaml")))
        raise FileNotFoundError(f"simulator seed {seed!r} is neither a shipped seed ({names}) nor a YAML file")
    return path


FRESH_CATALOG = SEEDS_DIR / "fresh" / "catalog.yaml"


def install_fresh_database(store: Store, admin_account: dict) -> None:
    """What every database has before any seed, as a fresh 4.20 install after ``deploydb`` +
    ``deploydb-simulator``: the whole guest OS catalogue (facts table) and the default offerings
    and built-in template (seeds/fresh/catalog.yaml)."""
    categories, guest_os = facts.guest_os_catalogue()
    category_ids = {cid: store.insert("oscategory", {"name": name})["id"] for cid, name in categories.items()}
    store.insert_many("ostype", [{"description": os_type.display_name, "oscategoryid": category_ids.get(os_type.category_id),
                                  "isuserdefined": False, "fordisplay": os_type.displayed} for os_type in guest_os])
    owner = {"accountid": admin_account["id"], "domainid": admin_account["domainid"]}
    _load_catalog(store, copy.deepcopy(_fresh_catalog()), owner, FRESH_CATALOG)


@functools.lru_cache(maxsize=1)
def _fresh_catalog() -> dict:
    """The parsed fresh-install catalogue (parsed once per process: test suites start many simulators)."""
    return yaml.safe_load(FRESH_CATALOG.read_text(encoding="utf-8"))["catalog"]


def load_seed(store: Store, seed: str, admin_account: dict) -> None:
    path = seed_path(seed)
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a simulator seed must be a YAML mapping with 'catalog' and/or 'zones'")
    owner = {"accountid": admin_account["id"], "domainid": admin_account["domainid"]}
    catalog = data.get("catalog") or {}
    _load_catalog(store, catalog, owner, path)
    for zone_spec in data.get("zones") or []:
        _load_zone(store, dict(zone_spec), path)
    # Built-in templates are ready in every zone.
    zones = [z["id"] for z in store.all("zone")]
    for template in store.find("template", templatetype="BUILTIN"):
        store.update("template", template["id"], zoneids=zones)


def _load_catalog(store: Store, catalog: dict, owner: dict, path: Path) -> None:
    """Add a catalogue to the store; entries whose name exists already (the fresh install's) are kept as they are."""
    categories = {row["name"]: row["id"] for row in store.all("oscategory")}
    for name in catalog.get("os_categories") or []:
        if name not in categories:
            categories[name] = store.insert("oscategory", {"name": name})["id"]
    ostypes = {row["description"]: row["id"] for row in store.all("ostype")}
    for spec in catalog.get("os_types") or []:
        if spec["description"] in ostypes:
            continue
        category = categories.get(spec.get("category")) if spec.get("category") else None
        row = store.insert("ostype", {"description": spec["description"], "oscategoryid": category,
                                      "isuserdefined": False, "fordisplay": True})
        ostypes[spec["description"]] = row["id"]
    for spec in catalog.get("templates") or []:
        spec = dict(spec)
        if store.find_one("template", name=spec.get("name")):
            continue
        ostype = spec.pop("ostype")
        if ostype not in ostypes:
            raise ValueError(f"{path}: template {spec.get('name')!r} names unknown ostype {ostype!r}")
        store.insert("template", {"displaytext": spec.get("name"), "ostypeid": ostypes[ostype], "hypervisor": "Simulator",
                                  "format": "VHD", "isready": True, "ispublic": True, "isfeatured": True,
                                  "templatetype": "BUILTIN", "status": "Download Complete", "bootable": True,
                                  "passwordenabled": False, "size": 2 * GIB, "crossZones": True,
                                  "isextractable": False, "sshkeyenabled": False, "isdynamicallyscalable": False,
                                  "templatefilter": "featured", **owner, **spec})
    for spec in catalog.get("service_offerings") or []:
        if store.find_one("serviceoffering", name=spec.get("name")):
            continue
        store.insert("serviceoffering", {"displaytext": spec.get("name"), "storagetype": "shared", "offerha": False,
                                         "limitcpuuse": False, "issystem": False, "iscustomized": False,
                                         "isvolatile": False, "defaultuse": False, "provisioningtype": "thin",
                                         "cachemode": "none", **spec})
    for spec in catalog.get("disk_offerings") or []:
        if store.find_one("diskoffering", name=spec.get("name")):
            continue
        store.insert("diskoffering", {"displaytext": spec.get("name"), "storagetype": "shared", "iscustomized": False,
                                      "provisioningtype": "thin", "cachemode": "none", "disksize": 0, **spec})
    for spec in catalog.get("network_offerings") or []:
        if store.find_one("networkoffering", name=spec.get("name")):
            continue
        spec = dict(spec)
        services = spec.pop("services", {})
        store.insert("networkoffering", {"displaytext": spec.get("name"), "traffictype": "Guest", "state": "Enabled",
                                         "isdefault": True, "specifyvlan": False, "specifyipranges": False,
                                         "conservemode": True, "availability": "Optional", "issystem": False,
                                         "forvpc": False, "egressdefaultpolicy": False, "networkrate": 200,
                                         "service": _services(services), **spec})
    for spec in catalog.get("vpc_offerings") or []:
        if store.find_one("vpcoffering", name=spec.get("name")):
            continue
        spec = dict(spec)
        services = spec.pop("services", {})
        store.insert("vpcoffering", {"displaytext": spec.get("name"), "state": "Enabled", "isdefault": True,
                                     "service": _services(services), "distributedvpcrouter": False, **spec})


def _services(services: dict) -> list[dict]:
    return [{"name": name, "provider": [{"name": p} for p in ([providers] if isinstance(providers, str) else providers)]}
            for name, providers in services.items()]


def _load_zone(store: Store, spec: dict, path: Path) -> None:
    pods, physnets, ranges, secondary = (spec.pop(k, None) or [] for k in ("pods", "physical_networks", "ipranges", "secondary_storages"))
    zone = store.insert("zone", zone_row(spec.pop("name"), spec.pop("networktype", "Advanced"), **spec))
    first_physnet = None
    for pn in physnets:
        pn = dict(pn)
        traffic, providers = pn.pop("traffictypes", []), pn.pop("providers", [])
        if isinstance(pn.get("isolationmethods"), list):
            pn["isolationmethods"] = ",".join(pn["isolationmethods"])
        physnet = store.insert("physicalnetwork", physicalnetwork_row(zone, pn.pop("name"), **pn))
        first_physnet = first_physnet or physnet
        for t in traffic:
            store.insert("traffictype", {"physicalnetworkid": physnet["id"], "traffictype": t})
        for p in providers:
            add_provider(store, physnet, p, "Enabled")
    for r in ranges:
        vlan = store.insert("vlan", vlan_row(zone, first_physnet, r["startip"], r["endip"], r["gateway"], r["netmask"],
                                             r.get("vlan"), forvirtualnetwork=zone["networktype"] == "Advanced"))
        add_public_ips(store, vlan)
    host_index = 0
    first = (None, None)
    for p in pods:
        pod = store.insert("pod", pod_row(zone, p["name"], p["gateway"], p["netmask"], p["startip"], p.get("endip")))
        for c in p.get("clusters") or []:
            cluster = store.insert("cluster", cluster_row(pod, c["name"], c.get("hypervisor", "Simulator")))
            for url in c.get("hosts") or []:
                host = store.insert("host", host_row(cluster, url, host_index))
                host_index += 1
                first = first if first[1] else (pod, host)
            for ps in c.get("primary_storages") or []:
                store.insert("storagepool", storagepool_row(cluster, ps["name"], ps["url"]))
    for ss in secondary:
        store.insert("imagestore", imagestore_row(zone, ss["name"], ss["url"], ss.get("provider", "NFS")))
    index = store.count("systemvm") // 2 + 1
    for row in systemvm_rows(zone, first[0], first[1], index):
        store.insert("systemvm", row)


def random_secret() -> str:
    return secrets.token_urlsafe(64)[:86]


def created_now() -> str:
    return wire.now_text()
