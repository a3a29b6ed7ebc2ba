"""Catalogue reads about the infrastructure: storage and host tags, storage providers, deployment planners,
network isolation methods and the cloud identifier. Tags come from the pools' ``tags`` and the hosts'
``hosttags``; the fixed lists are CloudStack 4.20's."""
from __future__ import annotations

import base64
import hashlib
import hmac
import uuid

from marvin2.simulator import errors

# The planners a default 4.20 management server loads (spring-core-registry-core-context.xml, HA planners excluded).
DEPLOYMENT_PLANNERS = ("FirstFitPlanner", "UserDispersingPlanner", "UserConcentratedPodPlanner",
                       "ImplicitDedicationPlanner", "BareMetalPlanner")
# Networks.IsolationType values, which listNetworkIsolationMethods lists.
ISOLATION_TYPES = ("None", "Ec2", "Vlan", "Vswitch", "Undecided", "Vnet")
_TAG_NAMESPACE = uuid.UUID("5d9c2f6e-3c1b-4f4e-9a77-0b1a2c3d4e5f")


def _split(value) -> list[str]:
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [part.strip() for part in str(value or "").split(",") if part.strip()]


def _tag_id(owner_id: str, name: str) -> str:
    """A stable id for a (resource, tag) pair (CloudStack numbers its tag rows)."""
    return str(uuid.uuid5(_TAG_NAMESPACE, f"{owner_id}/{name}"))


def host_tags(store) -> list[dict]:
    return [{"id": _tag_id(host["id"], tag), "hostid": host["id"], "name": tag, "isimplicit": False}
            for host in store.all("host") if not host.get("removed") for tag in _split(host.get("hosttags"))]


def cloud_identifier(store, configured: str | None) -> str:
    """The setting's value; an install without one gets a UUID once (as a real server's set-up writes one)."""
    if configured:
        return configured
    value = store.get_meta("cloud.identifier")
    if value is None:
        value = str(uuid.uuid4())
        store.set_meta("cloud.identifier", value)
    return value


def identifier_signature(identifier: str, secret_key: str | None) -> str:
    """HMAC-SHA1 of the identifier with the user's secret key, base64 (empty without a key, as the server's
    failed signing leaves it)."""
    if not secret_key:
        return ""
    digest = hmac.new(secret_key.encode(), identifier.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


# --- network services (listSupportedNetworkServices) ------------------------------------------------------------

# Network.Service of 4.20 in declaration order, with the capabilities each declares.
SERVICES = (
    ("Vpn", ("SupportedVpnTypes", "VpnTypes")), ("Dhcp", ("ExtraDhcpOptions",)),
    ("Dns", ("AllowDnsSuffixModification",)), ("Gateway", ("RedundantRouter",)),
    ("Firewall", ("SupportedProtocols", "MultipleIps", "TrafficStatistics", "SupportedTrafficDirection",
                  "SupportedEgressProtocols")),
    ("Lb", ("SupportedLbAlgorithms", "SupportedLBIsolation", "SupportedProtocols", "TrafficStatistics",
            "LoadBalancingSupportedIps", "SupportedStickinessMethods", "ElasticLb", "LbSchemes")),
    ("UserData", ()), ("SourceNat", ("SupportedSourceNatTypes", "RedundantRouter")), ("StaticNat", ("ElasticIp",)),
    ("PortForwarding", ()), ("SecurityGroup", ()), ("NetworkACL", ("SupportedProtocols",)),
    ("Connectivity", ("DistributedRouter", "RegionLevelVpc", "StretchedL2Subnet", "NoVlan", "PublicAccess")),
)
CHOOSABLE = ("SupportedLBIsolation", "SupportedSourceNatTypes", "RedundantRouter")
# Network.Provider names of 4.20.
PROVIDERS = ("VirtualRouter", "JuniperContrailRouter", "JuniperContrailVpcRouter", "JuniperSRX", "PaloAlto", "F5BigIp",
             "Netscaler", "ExternalDhcpServer", "ExternalGateWay", "ElasticLoadBalancerVm", "SecurityGroupProvider",
             "VpcVirtualRouter", "None", "NiciraNvp", "InternalLbVm", "CiscoVnmc", "Ovs", "Opendaylight", "BrocadeVcs",
             "GloboDns", "BigSwitchBcf", "ConfigDrive", "Tungsten", "Nsx")
FIREWALL_PROVIDERS = ("VirtualRouter", "CiscoVnmc", "PaloAlto", "BigSwitchBcf", "Tungsten")
INDIVIDUAL_SERVICES = {"VirtualRouter": True, "VpcVirtualRouter": True, "ConfigDrive": True,
                       "SecurityGroupProvider": False}


def _services_by_provider(store) -> dict[str, list[str]]:
    """What the providers the simulator runs offer: the service lists of its physical networks' providers."""
    out: dict[str, list[str]] = {}
    for row in store.all("networkserviceprovider"):
        offered = out.setdefault(row["name"], [])
        offered.extend(s for s in row.get("servicelist") or [] if s not in offered)
    return out


def network_services(store, provider: str | None, service: str | None) -> list[dict]:
    offered = _services_by_provider(store)
    names = [name for name, _ in SERVICES]
    if service is not None:
        proper = next((n for n in names if n.lower() == service.lower()), None)
        if proper is None:
            raise errors.invalid_value(f"Invalid Network Service={service}")
        names = [proper]
    elif provider is not None:
        proper = next((p for p in PROVIDERS if p.lower() == provider.lower()), None)
        if proper is None:
            raise errors.invalid_value(f"Invalid Network Service Provider={provider}")
        if proper not in offered:
            raise errors.invalid_value(f"Unable to find the Network Element implementing the Service Provider "
                                       f"'{provider}'")
        names = [n for n in names if n in offered[proper]]
    capabilities = dict(SERVICES)
    out = []
    for name in names:
        if name == "Gateway":
            continue                                     # the server skips the gateway service
        providers = [p for p, services in offered.items() if name in services
                     and (name != "Firewall" or p in FIREWALL_PROVIDERS)]
        out.append({"name": name,
                    "capability": [{"name": c, "canchooseservicecapability": c in CHOOSABLE}
                                   for c in capabilities[name]],
                    "provider": [{"name": p, "canenableindividualservice": INDIVIDUAL_SERVICES.get(p)}
                                 for p in providers]})
    return out
