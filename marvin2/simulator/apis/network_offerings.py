"""Network offerings and VPC offerings (list/create/update/delete).

The seed creates the default offerings with their real names (see
seeds/default.yaml); rows live in the ``networkoffering`` and ``vpcoffering``
kinds. Offerings made by createNetworkOffering/createVPCOffering start
``Disabled`` unless ``enable=true``, as in 4.18.
"""
from __future__ import annotations

from marvin2.simulator import errors
from marvin2.simulator.context import SUCCESS, Job
from marvin2.simulator.declare import ADMIN_ONLY, PAGING, P, api, declare_object
from marvin2.simulator.services import netcommon as nc
from marvin2.simulator.services.offerings import (
    offering_has,
    offering_services,
    restriction_fields,
)

GUEST_TYPES = {"isolated": "Isolated", "shared": "Shared", "l2": "L2"}
TRAFFIC_TYPES = {"public": "Public", "guest": "Guest", "management": "Management", "control": "Control",
                 "vlan": "Vlan", "storage": "Storage"}
AVAILABILITIES = {"required": "Required", "optional": "Optional", "unavailable": "Unavailable"}
OFFERING_STATES = {"enabled": "Enabled", "disabled": "Disabled", "inactive": "Inactive"}
KNOWN_SERVICES = ("Vpn", "Dhcp", "Dns", "SourceNat", "PortForwarding", "Lb", "UserData", "StaticNat", "NetworkACL",
                  "Firewall", "Gateway", "SecurityGroup", "Connectivity", "BaremetalPxeService")
KNOWN_PROVIDERS = ("VirtualRouter", "VpcVirtualRouter", "InternalLbVm", "ConfigDrive", "SecurityGroupProvider",
                   "Netscaler", "F5BigIp", "JuniperSRX", "PaloAlto", "NiciraNvp", "BigSwitchBcf", "Ovs")

declare_object("networkoffering", {
    "id": "offering id", "name": "offering name", "displaytext": "description", "traffictype": "traffic type (Guest)",
    "isdefault": ("boolean", "a default offering"), "specifyvlan": ("boolean", "networks must name a VLAN"),
    "conservemode": ("boolean", "rules may share a public IP"), "specifyipranges": ("boolean", "networks must name IP ranges"),
    "availability": "Required, Optional or Unavailable", "networkrate": ("integer", "rate limit (Mb/s)"),
    "state": "Enabled, Disabled or Inactive", "guestiptype": "Isolated, Shared or L2",
    "forvpc": ("boolean", "for VPC tiers"), "ispersistent": ("boolean", "networks are implemented at creation"),
    "egressdefaultpolicy": ("boolean", "egress allowed by default"), "service": ("list", "services and their providers"),
    "created": ("date", "creation time"), "tags": "host tags", "internetprotocol": "IPv4 or DualStack",
})
declare_object("vpcoffering", {
    "id": "offering id", "name": "offering name", "displaytext": "description", "isdefault": ("boolean", "the default"),
    "state": "Enabled or Disabled", "service": ("list", "services and their providers"),
    "distributedvpcrouter": ("boolean", "distributed router"), "created": ("date", "creation time"),
})


def render_network_offering(ctx, row: dict) -> dict:
    keys = ("id", "name", "displaytext", "traffictype", "isdefault", "specifyvlan", "conservemode", "specifyipranges",
            "availability", "networkrate", "state", "guestiptype", "serviceofferingid", "forvpc", "ispersistent",
            "egressdefaultpolicy", "tags", "created", "maxconnections")
    out = {k: row.get(k) for k in keys}
    out.update(supportsstrechedl2subnet=False, supportspublicaccess=False, fortungsten=False,
               internetprotocol=row.get("internetprotocol", "IPv4"), hasannotations=False,
               ispersistent=bool(row.get("ispersistent")), service=nc.service_list(offering_services(row)),
               details=row.get("details") or None)
    out.update(restriction_fields(ctx.store, "networkoffering", row))
    return out


def render_vpc_offering(ctx, row: dict) -> dict:
    out = {k: row.get(k) for k in ("id", "name", "displaytext", "isdefault", "state", "created")}
    out.update(distributedvpcrouter=bool(row.get("distributedvpcrouter")), supportsregionLevelvpc=False,
               internetprotocol=row.get("internetprotocol", "IPv4"), service=nc.service_list(offering_services(row)))
    out.update(restriction_fields(ctx.store, "vpcoffering", row))
    return out


def _choice(value: str, allowed: dict[str, str], text: str) -> str:
    found = allowed.get(str(value).lower())
    if found is None:
        raise errors.invalid_value(text)
    return found


def _restrictions(ctx) -> dict:
    """``domainids``/``zoneids`` of a create call: every id must name a live domain/zone (ConfigurationManagerImpl)."""
    domains = [str(d).lower() for d in ctx.get("domainid") or []]
    zones = [str(z).lower() for z in ctx.get("zoneid") or []]
    for domain_id in domains:
        if ctx.store.get("domain", domain_id) is None:
            raise errors.invalid_value("Please specify a valid domain id")
    for zone_id in zones:
        if ctx.store.get("zone", zone_id) is None:
            raise errors.invalid_value("Please specify a valid zone id")
    return {"domainids": domains or None, "zoneids": zones or None}


def _restriction_changes(ctx) -> dict:
    """``domainid`` ("public" or a comma list) and ``zoneid`` ("all" or a comma list) of an update call."""
    changes: dict = {}
    for param, everyone, kind, field in (("domainid", "public", "domain", "domainids"), ("zoneid", "all", "zone", "zoneids")):
        if not ctx.has(param):
            continue
        text = str(ctx.get(param)).strip().lower()
        ids = [] if text == everyone else [i.strip() for i in text.split(",") if i.strip()]
        for row_id in ids:
            if ctx.store.get(kind, row_id) is None:
                raise errors.invalid_value(f"Please specify a valid {kind} id")
        changes[field] = ids or None
    return changes


def _services_from(ctx, default_provider: str) -> list[dict]:
    """supportedservices + serviceproviderlist[i].service/.provider -> the ``service`` array."""
    names = ctx.get("supportedservices") or []
    providers: dict[str, list[str]] = {}
    for entry in ctx.get("serviceproviderlist") or []:
        lowered = {k.lower(): v for k, v in entry.items()}
        if "service" not in lowered or "provider" not in lowered:
            raise errors.invalid_value("serviceproviderlist entries need both .service and .provider")
        providers.setdefault(lowered["service"].lower(), []).append(lowered["provider"])
    canonical = {s.lower(): s for s in KNOWN_SERVICES}
    known_providers = {p.lower(): p for p in KNOWN_PROVIDERS}
    out = []
    for name in names:
        service = canonical.get(name.lower())
        if service is None:
            raise errors.invalid_value(f"Invalid service {name}")
        chosen = []
        for provider in providers.get(name.lower(), [default_provider if service != "SecurityGroup" else "SecurityGroupProvider"]):
            proper = known_providers.get(provider.lower())
            if proper is None:
                raise errors.invalid_value(f"Invalid service provider: {provider}")
            chosen.append({"name": proper})
        out.append({"name": service, "provider": chosen})
    for name in providers:
        if name not in {n.lower() for n in names}:
            raise errors.invalid_value(f"Cannot specify a provider for service {name}: it is not in supportedservices")
    return out


# --- network offerings ---------------------------------------------------------------------------


@api("listNetworkOfferings", response="networkoffering", related="createNetworkOffering",
     description="Lists network offerings: the defaults the seed creates and those made with createNetworkOffering.",
     params=[*PAGING, P("id", entity="networkoffering"), P("name"), P("displaytext"),
             P("availability", "Required, Optional or Unavailable"),
             P("domainid", "offerings available to this domain"),
             P("forvpc", "only offerings for VPC tiers (true) or not (false)"),
             P("guestiptype", "Isolated, Shared or L2"), P("isdefault", "default offerings"),
             P("istagged", "offerings with host tags"),
             P("networkid", "offerings the network may change to", entity="network"),
             P("sourcenatsupported", "offerings with the SourceNat service"),
             P("specifyipranges", "offerings whose networks name IP ranges"),
             P("specifyvlan", "offerings whose networks name a VLAN"),
             P("state", "Enabled, Disabled or Inactive"),
             P("supportedservices", "offerings supporting all these services"),
             P("tags", "offerings with these host tags"), P("traffictype", "traffic type"),
             P("zoneid", "offerings available in this zone")])
def list_network_offerings(ctx):
    network = ctx.store.get("network", ctx.get("networkid")) if ctx.has("networkid") else None

    def text_eq(row, param, field):
        return not ctx.has(param) or str(row.get(field, "")).lower() == str(ctx.get(param)).lower()

    def match(row):
        if row.get("issystem"):
            return False
        if not all(text_eq(row, p, f) for p, f in (("availability", "availability"), ("guestiptype", "guestiptype"),
                                                   ("state", "state"), ("traffictype", "traffictype"),
                                                   ("displaytext", "displaytext"), ("tags", "tags"))):
            return False
        for flag in ("forvpc", "isdefault", "specifyipranges", "specifyvlan"):
            if ctx.has(flag) and bool(row.get(flag)) != ctx.get(flag):
                return False
        if ctx.has("istagged") and bool(row.get("tags")) != ctx.get("istagged"):
            return False
        if ctx.has("sourcenatsupported") and offering_has(row, "SourceNat") != ctx.get("sourcenatsupported"):
            return False
        if ctx.has("supportedservices") and not nc.supports_all(offering_services(row), ctx.get("supportedservices")):
            return False
        if ctx.has("zoneid") and row.get("zoneids") and ctx.get("zoneid") not in row["zoneids"]:
            return False
        if ctx.has("domainid") and row.get("domainids") and ctx.get("domainid") not in row["domainids"]:
            return False
        if network is not None:
            # Offerings a network may be updated to: same guest type and VPC-ness, enabled.
            return (row.get("guestiptype") == network.get("type") and bool(row.get("forvpc")) == bool(network.get("vpcid"))
                    and row.get("state") == "Enabled")
        return True

    return ctx.list("networkoffering", lambda row: render_network_offering(ctx, row), match=match, owned=False)


@api("createNetworkOffering", response="networkoffering", roles=ADMIN_ONLY, related="listNetworkOfferings",
     description="Creates a network offering (Disabled unless enable=true).",
     params=[P("name", "offering name"), P("displaytext", "description"),
             P("guestiptype", "Isolated, Shared or L2"), P("traffictype", "Guest"),
             P("availability", "Required or Optional"), P("conservemode", "conserve mode"),
             P("details", "extra details"), P("domainid", "domains allowed to use it"),
             P("egressdefaultpolicy", "allow egress by default"),
             P("enable", "create it Enabled"),
             P("fortungsten", "for Tungsten Fabric"), P("forvpc", "for VPC tiers"),
             P("internetprotocol", "IPv4 or DualStack"), P("ispersistent", "persistent networks"),
             P("keepaliveenabled", "LB keep-alive"), P("maxconnections", "LB max connections"),
             P("networkrate", "rate limit (Mb/s)"),
             P("servicecapabilitylist", "service capabilities"),
             P("serviceofferingid", "router service offering", entity=""),
             P("serviceproviderlist", "provider of each service: [i].service, [i].provider"),
             P("specifyipranges", "networks name IP ranges"),
             P("specifyvlan", "networks name a VLAN"),
             P("supportedservices", "services of the offering"), P("tags", "host tags"),
             P("zoneid", "zones where it is available")])
def create_network_offering(ctx):
    guest = _choice(ctx.get("guestiptype"), GUEST_TYPES,
                    'Invalid "type" parameter is given; can have Shared, Isolated and L2 values')
    traffic = _choice(ctx.get("traffictype"), TRAFFIC_TYPES,
                      "Invalid value for traffictype. Supported traffic types: Public, Management, Control, Guest, Vlan or Storage")
    availability = _choice(ctx.get("availability", "Optional"), AVAILABILITIES,
                           "Invalid value for Availability. Supported types: Required, Optional")
    if ctx.store.find_one("networkoffering", name=ctx.get("name")):
        raise errors.invalid_value(f"Network offering with name {ctx.get('name')} already exists")
    forvpc = bool(ctx.get("forvpc"))
    services = _services_from(ctx, "VpcVirtualRouter" if forvpc else "VirtualRouter")
    if guest == "L2" and services:
        raise errors.invalid_value("For L2 network offering no services can be specified")
    if nc.service_names(services) & {"SourceNat"} and guest == "Shared":
        raise errors.invalid_value("SourceNat service is not supported by Shared networks")
    row = ctx.store.insert("networkoffering", {
        "name": ctx.get("name"), "displaytext": ctx.get("displaytext") or ctx.get("name"), "guestiptype": guest, "traffictype": traffic,
        "availability": availability, "state": "Enabled" if ctx.get("enable") else "Disabled", "isdefault": False,
        "specifyvlan": bool(ctx.get("specifyvlan")), "specifyipranges": bool(ctx.get("specifyipranges")),
        "conservemode": ctx.get("conservemode", True), "issystem": False, "forvpc": forvpc,
        "egressdefaultpolicy": bool(ctx.get("egressdefaultpolicy")), "ispersistent": bool(ctx.get("ispersistent")),
        "networkrate": ctx.get("networkrate"), "tags": ctx.get("tags"), "service": services,
        **_restrictions(ctx), "maxconnections": ctx.get("maxconnections"),
        "details": {k: v for entry in ctx.get("details") or [] for k, v in entry.items()} or None,
    })
    nc.event(ctx, "NETWORK.OFFERING.CREATE", f"Successfully created network offering {row['name']}", resource=row,
             resource_type="NetworkOffering")
    return render_network_offering(ctx, row)


@api("updateNetworkOffering", response="networkoffering", roles=ADMIN_ONLY, related="listNetworkOfferings",
     description="Changes a network offering's name, description, availability, state or tags.",
     params=[P("id", entity="networkoffering"), P("name"), P("displaytext"),
             P("availability", "Required or Optional"), P("domainid", "domains (comma list, or public)"),
             P("keepaliveenabled", "LB keep-alive"), P("maxconnections", "LB max connections"),
             P("sortkey", "sort order"), P("state", "Enabled, Disabled or Inactive"),
             P("tags", "host tags"), P("zoneid", "zones (comma list, or all)")])
def update_network_offering(ctx):
    if not ctx.has("id"):
        raise errors.invalid_value("Unable to find network offering: specify the id")
    row = ctx.store.get("networkoffering", ctx.get("id"))
    if row.get("issystem"):
        raise errors.invalid_value("Can't update system network offerings")
    changes = {}
    for field in ("name", "displaytext", "tags", "sortkey", "maxconnections"):
        if ctx.has(field):
            changes[field] = ctx.get(field)
    if ctx.has("state"):
        changes["state"] = _choice(ctx.get("state"), OFFERING_STATES,
                                   f"Incorrect state value: {ctx.get('state')}")
    if ctx.has("availability"):
        availability = _choice(ctx.get("availability"), AVAILABILITIES,
                               "Invalid value for Availability. Supported types: Required, Optional")
        if availability == "Required" and row.get("guestiptype") == "Isolated":
            for other in ctx.store.find("networkoffering", availability="Required", guestiptype="Isolated"):
                if other["id"] != row["id"] and offering_has(other, "SourceNat"):
                    raise errors.invalid_value(
                        f"Only one network offering can be of availability Required; offering {other['name']} already is")
        changes["availability"] = availability
    changes.update(_restriction_changes(ctx))
    row = ctx.store.update("networkoffering", row["id"], **changes)
    nc.event(ctx, "NETWORK.OFFERING.EDIT", f"Successfully updated network offering {row['name']}", resource=row,
             resource_type="NetworkOffering")
    return render_network_offering(ctx, row)


@api("deleteNetworkOffering", response="success", roles=ADMIN_ONLY, related="listNetworkOfferings",
     description="Deletes a network offering that no network uses (default offerings cannot be deleted).",
     params=[P("id", entity="networkoffering")])
def delete_network_offering(ctx):
    row = ctx.store.get("networkoffering", ctx.get("id"))
    if row.get("isdefault"):
        raise errors.invalid_value("Default network offering can't be deleted")
    used = [n for n in ctx.store.find("network", networkofferingid=row["id"]) if not n.get("removed")]
    if used:
        raise errors.invalid_value(f"Can't delete network offering {row['id']} as its used by {len(used)} networks. "
                                   "To make the network offering unavailable, disable it")
    ctx.store.update("networkoffering", row["id"], removed=True, state="Inactive")
    ctx.store.delete("networkoffering", row["id"])
    nc.event(ctx, "NETWORK.OFFERING.DELETE", f"Successfully deleted network offering {row['name']}", resource=row,
             resource_type="NetworkOffering")
    return SUCCESS


# --- VPC offerings --------------------------------------------------------------------------------


@api("listVPCOfferings", response="vpcoffering", related="createVPCOffering",
     description="Lists VPC offerings (the seed's Default VPC offering and those made with createVPCOffering).",
     params=[*PAGING, P("id", entity="vpcoffering"), P("name"), P("displaytext"),
             P("domainid", "offerings available to this domain"),
             P("isdefault", "the default offering"), P("state", "Enabled or Disabled"),
             P("supportedservices", "offerings supporting all these services"),
             P("zoneid", "offerings available in this zone")])
def list_vpc_offerings(ctx):
    def match(row):
        if ctx.has("state") and str(row.get("state")).lower() != ctx.get("state").lower():
            return False
        if ctx.has("displaytext") and row.get("displaytext") != ctx.get("displaytext"):
            return False
        if ctx.has("isdefault") and bool(row.get("isdefault")) != ctx.get("isdefault"):
            return False
        if ctx.has("supportedservices") and not nc.supports_all(offering_services(row), ctx.get("supportedservices")):
            return False
        if ctx.has("domainid") and row.get("domainids") and ctx.get("domainid") not in row["domainids"]:
            return False
        return not (ctx.has("zoneid") and row.get("zoneids") and ctx.get("zoneid") not in row["zoneids"])

    return ctx.list("vpcoffering", lambda row: render_vpc_offering(ctx, row), match=match, owned=False)


@api("createVPCOffering", response="vpcoffering", roles=ADMIN_ONLY, instance_type="None",
     related="listVPCOfferings", description="Creates a VPC offering (Disabled unless enable=true).",
     params=[P("name", "offering name"), P("displaytext", "description"),
             P("supportedservices", "services of the offering"),
             P("domainid", "domains allowed to use it"), P("enable", "create it Enabled"),
             P("internetprotocol", "IPv4 or DualStack"),
             P("servicecapabilitylist", "service capabilities"),
             P("serviceofferingid", "router service offering", entity=""),
             P("serviceproviderlist", "provider of each service: [i].service, [i].provider"),
             P("zoneid", "zones where it is available")])
def create_vpc_offering(ctx):
    services = _vpc_services(ctx)
    row = ctx.store.insert("vpcoffering", {
        "name": ctx.get("name"), "displaytext": ctx.get("displaytext") or ctx.get("name"), "state": "Disabled", "isdefault": False,
        "service": services, "distributedvpcrouter": False, **_restrictions(ctx),
    })
    enable = bool(ctx.get("enable"))

    def run(jctx):
        current = jctx.store.update("vpcoffering", row["id"], state="Enabled" if enable else "Disabled")
        nc.event(jctx, "VPC.OFFERING.CREATE", f"Successfully created VPC offering {current['name']}", resource=current,
                 resource_type="VpcOffering")
        return render_vpc_offering(jctx, current)

    return Job(run, entity_id=row["id"], instance_id=row["id"])


NETWORK_MODES = ("NATTED", "ROUTED")


def _vpc_services(ctx) -> list[dict]:
    """The services of a new VPC offering as VpcManagerImpl.createVpcOffering builds them.

    Every named service gets the VpcVirtualRouter (Connectivity: NiciraNvp); Firewall and SecurityGroup are
    refused; SourceNat (unless the mode is ROUTED) and NetworkACL are added when missing; providers may be
    given only for services the offering has; Gateway follows SourceNat's providers (ROUTED: the VPC router).
    """
    mode = ctx.get("networkmode")
    if mode is not None:
        if mode not in NETWORK_MODES:
            raise errors.invalid_value(f"Invalid mode passed. Valid values: [{', '.join(NETWORK_MODES)}]")
        if mode == "ROUTED" and str(ctx.config("routed.network.vpc.enabled", "false")).lower() != "true":
            raise errors.invalid_value("Configuration routed.network.vpc.enabled needs to be enabled for Routed VPCs")
    canonical = {name.lower(): name for name in KNOWN_SERVICES}
    chosen: dict[str, list[str]] = {}
    for name in ctx.get("supportedservices") or []:
        service = canonical.get(str(name).strip().lower())
        if service is None or service in ("SecurityGroup", "Firewall"):
            raise errors.invalid_value(f"Service {name} is not supported in VPC")
        chosen[service] = ["NiciraNvp"] if service == "Connectivity" else ["VpcVirtualRouter"]
    if mode != "ROUTED" and "SourceNat" not in chosen:
        chosen["SourceNat"] = ["VpcVirtualRouter"]
    if "NetworkACL" not in chosen:
        chosen["NetworkACL"] = ["VpcVirtualRouter"]
    known_providers = {p.lower(): p for p in KNOWN_PROVIDERS}
    given: dict[str, list[str]] = {}
    for entry in ctx.get("serviceproviderlist") or []:
        lowered = {k.lower(): v for k, v in entry.items()}
        if "service" not in lowered or "provider" not in lowered:
            raise errors.invalid_value("serviceproviderlist entries need both .service and .provider")
        given.setdefault(lowered["service"], []).append(lowered["provider"])
    for name, providers in given.items():
        service = canonical.get(name.strip().lower())
        if service not in chosen:
            raise errors.invalid_value(f"Service {name} is not enabled for the network offering, can't add a provider to it")
        proper = []
        for provider in providers:
            if provider.lower() not in known_providers:
                raise errors.invalid_value(f"Invalid service provider: {provider}")
            proper.append(known_providers[provider.lower()])
        chosen[service] = proper
    if chosen.get("SourceNat"):
        chosen["Gateway"] = list(chosen["SourceNat"])
    elif mode == "ROUTED":
        chosen["Gateway"] = ["VpcVirtualRouter"]
    return [{"name": name, "provider": [{"name": p} for p in providers]} for name, providers in chosen.items()]


@api("updateVPCOffering", response="vpcoffering", roles=ADMIN_ONLY, instance_type="None",
     related="listVPCOfferings", description="Changes a VPC offering's name, description or state.",
     params=[P("id", entity="vpcoffering"), P("name"), P("displaytext"),
             P("domainid", "domains (comma list, or public)"), P("sortkey", "sort order"),
             P("state", "Enabled or Disabled"), P("zoneid", "zones (comma list, or all)")])
def update_vpc_offering(ctx):
    row = ctx.store.get("vpcoffering", ctx.get("id"))
    changes = {f: ctx.get(f) for f in ("name", "displaytext", "sortkey") if ctx.has(f)}
    if ctx.has("state"):
        state = OFFERING_STATES.get(ctx.get("state").lower())
        if state not in ("Enabled", "Disabled"):
            raise errors.invalid_value(f"Incorrect state value: {ctx.get('state')}")
        changes["state"] = state
    changes.update(_restriction_changes(ctx))

    def run(jctx):
        current = jctx.store.update("vpcoffering", row["id"], **changes)
        nc.event(jctx, "VPC.OFFERING.UPDATE", f"Successfully updated VPC offering {current['name']}", resource=current,
                 resource_type="VpcOffering")
        return render_vpc_offering(jctx, current)

    return Job(run, instance_id=row["id"])


@api("deleteVPCOffering", response="success", roles=ADMIN_ONLY, instance_type="None",
     related="listVPCOfferings", description="Deletes a VPC offering no VPC uses (not the default one).",
     params=[P("id", entity="vpcoffering")])
def delete_vpc_offering(ctx):
    row = ctx.store.get("vpcoffering", ctx.get("id"))

    def run(jctx):
        if row.get("isdefault"):
            raise nc.job_invalid("Default network offering can't be deleted")
        used = [v for v in jctx.store.find("vpc", vpcofferingid=row["id"]) if not v.get("removed")]
        if used:
            raise nc.job_invalid(f"Can't delete vpc offering {row['id']} as its used by {len(used)} vpcs. "
                                 "To make the network offering unavaiable, disable it")
        jctx.store.delete("vpcoffering", row["id"])
        nc.event(jctx, "VPC.OFFERING.DELETE", f"Successfully deleted VPC offering {row['name']}", resource=row,
                 resource_type="VpcOffering")
        return SUCCESS

    return Job(run, instance_id=row["id"])
