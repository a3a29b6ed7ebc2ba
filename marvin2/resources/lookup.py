"""Finding existing things by name (zone, domain, template, offerings), and lists
that may answer "you cannot see that" with an error.

A miss raises :class:`ResourceNotFound` listing what does exist, so a
wrong name in a config is fixed in one go.
"""
from __future__ import annotations

from typing import Any, Iterable

from marvin2.resources.base import call
from marvin2.resources.errors import ResourceNotFound, is_gone_error

_SHOWN = 15  # names listed in a "not found" message


def listed(api: Any, command: str, *, refusals: tuple[int, ...] = (431,), **params: Any) -> list:
    """The items of a list API; ``[]`` when the server refuses to say because the filter names
    something the caller cannot see.

    Real servers answer a list filtered by the uuid of a deleted or foreign
    entity either with an empty list or with an error (431 "entity does not
    exist"; some lists 531 for another account's entity): all mean "not
    visible". ``refusals``: the error codes taken that way; any "does not
    exist" error is too. Parameters whose value is None are not sent.
    """
    try:
        return list(call(api, command, **params) or [])
    except Exception as error:
        if getattr(error, "errorcode", None) in refusals or is_gone_error(error):
            return []
        raise


def _names(records: Iterable[Any], field: str = "name") -> str:
    names = sorted({str(r.get(field)) for r in records})
    if not names:
        return "none"
    more = f" (and {len(names) - _SHOWN} more)" if len(names) > _SHOWN else ""
    return ", ".join(repr(n) for n in names[:_SHOWN]) + more


def _pick(what: str, wanted: str, records: list, where: str = "", field: str = "name") -> Any:
    for record in records:
        if record.get(field) == wanted:
            return record
    # Users write names by hand: accept a case-insensitive match when it is unique.
    folded = [r for r in records if str(r.get(field, "")).lower() == wanted.lower()]
    if len(folded) == 1:
        return folded[0]
    raise ResourceNotFound(f"{what} {wanted!r} not found{where}; available: {_names(records, field)}")


def find_zone(api: Any, name: str | None = None) -> Any:
    """The zone called ``name``; without a name, the only zone (an error if several)."""
    zones = list(call(api, "listZones") or [])
    if name:
        return _pick("zone", name, zones)
    if len(zones) == 1:
        return zones[0]
    raise ResourceNotFound(f"no zone name given and the cloud has {len(zones)} zones; available: {_names(zones)}")


def find_domain(api: Any, path: str = "ROOT") -> Any:
    """A domain by path (``ROOT``, ``ROOT/sub``) or by name."""
    domains = list(call(api, "listDomains", listall=True) or [])
    for domain in domains:
        if domain.get("path") == path or (path == "ROOT" and domain.get("level") == 0):
            return domain
    return _pick("domain", path.split("/")[-1], domains)


def find_template(api: Any, name: str, zoneid: str | None = None, *, filters: tuple[str, ...] = ("featured", "all", "executable")) -> Any:
    """A ready template by name in a zone, looked up with each templatefilter in turn."""
    where = f" in zone {zoneid}" if zoneid else ""
    seen: list = []
    for template_filter in filters:
        try:
            templates = list(call(api, "listTemplates", templatefilter=template_filter, zoneid=zoneid, listall=True) or [])
        except Exception:  # noqa: BLE001 - some filters are admin-only; try the next one
            continue
        seen.extend(templates)
        matches = [t for t in templates if t.get("name") == name]
        ready = [t for t in matches if t.get("isready") in (True, "true", None)]
        if ready or matches:
            return (ready or matches)[0]
    return _pick("template", name, seen, where)


def find_service_offering(api: Any, name: str) -> Any:
    return _pick("service offering", name, list(call(api, "listServiceOfferings") or []))


def find_disk_offering(api: Any, name: str) -> Any:
    return _pick("disk offering", name, list(call(api, "listDiskOfferings") or []))


def find_network_offering(api: Any, name: str, zoneid: str | None = None) -> Any:
    offerings = list(call(api, "listNetworkOfferings", zoneid=zoneid) or [])
    return _pick("network offering", name, offerings)


def find_vpc_offering(api: Any, name: str) -> Any:
    return _pick("VPC offering", name, list(call(api, "listVPCOfferings") or []))


def find_os_type(api: Any, description: str) -> Any:
    return _pick("OS type", description, list(call(api, "listOsTypes") or []), field="description")


def find_basic_zone_network(api: Any, zoneid: str) -> Any:
    """The guest network of a Basic zone (shared, security groups): where every VM of the zone goes.

    CloudStack gives a Basic zone exactly one guest network, made when the
    zone is set up; VMs are deployed into it by naming no network at all.
    Listed with ``listall`` so that an admin finds it whatever domain it is in.
    """
    networks = list(call(api, "listNetworks", zoneid=zoneid, traffictype="Guest", listall=True) or [])
    shared = [n for n in networks if str(n.get("type", "")).lower() == "shared"]
    if shared:
        return shared[0]
    raise ResourceNotFound(f"Basic zone {zoneid} has no shared guest network (a Basic zone's guest network is made "
                           f"when the zone is set up); guest networks found: {_names(networks)}")
