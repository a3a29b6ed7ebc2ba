"""Network offerings as the network services read them: which services an offering provides and through whom."""
from __future__ import annotations

from marvin2.simulator.services import netcommon as nc


def offering_services(offering: dict) -> list[dict]:
    return offering.get("service") or []


def offering_has(offering: dict, service: str) -> bool:
    return service.lower() in {name.lower() for name in nc.service_names(offering_services(offering))}


def uses_virtual_router(offering: dict) -> bool:
    """A network of this offering gets a virtual router (any VR-provided service)."""
    return bool(nc.providers_of(offering_services(offering)) & {"VirtualRouter", "VpcVirtualRouter"})
