"""Network offerings as the network services read them: which services an offering provides and through whom."""
from __future__ import annotations

from marvin2.simulator import access_texts, errors
from marvin2.simulator.services import netcommon as nc


def offering_services(offering: dict) -> list[dict]:
    return offering.get("service") or []


def offering_has(offering: dict, service: str) -> bool:
    return service.lower() in {name.lower() for name in nc.service_names(offering_services(offering))}


def uses_virtual_router(offering: dict) -> bool:
    """A network of this offering gets a virtual router (any VR-provided service)."""
    return bool(nc.providers_of(offering_services(offering)) & {"VirtualRouter", "VpcVirtualRouter"})


# --- domain and zone restrictions (the offering details domainid/zoneid) ------------------------------------
#
# Service, disk, network and VPC offerings may be limited to domains and zones. 4.20 checks them when the
# offering is used (DomainChecker.checkAccess(Account, <offering>, DataCenter)), for the account the new
# resource is for: a root admin passes the domain part, everyone else needs an account in one of the
# domains or their subdomains; the zone part holds for everyone. A refusal is 531 "There's no way to
# confirm <account> has access to <offering>" (AccountManagerImpl.checkAccess).

# How each offering kind prints itself (the VO's toString) and which row fields hold its restrictions.
_KINDS = {
    "serviceoffering": ("Service offering {}.", ("id", "name", "uuid"), "zonelist"),
    "diskoffering": ("DiskOffering {}.", ("id", "uuid", "name"), "zonelist"),
    "networkoffering": ("NetworkOffering {}", ("id", "uuid", "name", "trafficType"), "zoneids"),
    "vpcoffering": ("VPCOffering {}", ("id", "uuid", "name"), "zoneids"),
}


def restricted_domains(offering: dict) -> list[str]:
    return list(offering.get("domainids") or [])


def restricted_zones(kind: str, offering: dict) -> list[str]:
    return list(offering.get(_KINDS[kind][2]) or [])


def restriction_fields(store, kind: str, offering: dict) -> dict:
    """``domainid``/``domain``/``zoneid``/``zone`` of an offering response (comma lists; absent when public)."""
    out: dict = {}
    domains = restricted_domains(offering)
    if domains:
        out["domainid"] = ",".join(domains)
        out["domain"] = ",".join((store.get("domain", d) or {}).get("name", d) for d in domains)
    zones = restricted_zones(kind, offering)
    if zones:
        out["zoneid"] = ",".join(zones)
        out["zone"] = ",".join((store.get("zone", z) or {}).get("name", z) for z in zones)
    return out


def _in_domain_of(store, account: dict, domain_ids: list[str]) -> bool:
    own = store.get("domain", account.get("domainid")) or {}
    path = own.get("path", "")
    for domain_id in domain_ids:
        domain = store.get("domain", domain_id)
        if domain and (path == domain["path"] or path.startswith(domain["path"].rstrip("/") + "/")):
            return True
    return False


def usable_by(store, kind: str, offering: dict, account: dict, zone_id: str | None) -> bool:
    domains = restricted_domains(offering)
    root_admin = account.get("accounttype") == 1          # Account.Type.ADMIN: the root admin role
    if domains and not root_admin and not _in_domain_of(store, account, domains):
        return False
    zones = restricted_zones(kind, offering)
    return not (zone_id and zones and zone_id not in zones)


def check_offering_access(store, kind: str, offering: dict, account: dict, zone_id: str | None) -> None:
    """531 with 4.20's text when ``account`` may not use ``offering`` in ``zone_id``."""
    if usable_by(store, kind, offering, account, zone_id):
        return
    label, fields, _ = _KINDS[kind]
    values = {"id": offering.get("internalid", offering["id"]), "uuid": offering["id"], "name": offering.get("name"),
              "trafficType": offering.get("traffictype")}
    shown = ",".join(f'"{f}":{_json(values[f])}' for f in fields)
    raise errors.permission_denied(f"There's no way to confirm {access_texts.account_text(store, account)} has "
                                   f"access to {label.format('{' + shown + '}')}")


def _json(value) -> str:
    return str(value) if isinstance(value, int) else f'"{value}"'

