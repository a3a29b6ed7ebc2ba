"""Host HA (the HA framework of CloudStack 4.11+): which provider checks a host, and whether HA is on.

A host's configuration is an ``haconfig`` row (``hostid``, ``provider`` in lower case, ``enabled``,
``state``); zone and cluster switches are ``haswitch`` rows (``level``, ``targetid``, ``enabled``; absent means
on, as CloudStack reads a missing detail). The HA state follows the switches the way HAManagerImpl moves it
when nothing fails: a host with HA enabled whose zone and cluster allow HA is ``Available``; one whose zone or
cluster has HA off is ``Ineligible``; a host with HA disabled is ``Disabled``. (No health checks run: the
simulator's hosts never turn Suspect, Degraded or Fenced.)
"""
from __future__ import annotations

from marvin2.simulator import errors

# HAResource.ResourceSubType, and the HA provider of each (the class names listHostHAProviders answers).
SUBTYPES = ("KVM", "Simulator", "Unknown")
PROVIDERS = {"KVM": ("KVMHAProvider",), "Simulator": ("SimulatorHAProvider",), "Unknown": ()}
PROVIDER_HYPERVISOR = {"kvmhaprovider": "KVM", "simulatorhaprovider": "Simulator"}


def providers_for(hypervisor: str) -> tuple[str, ...]:
    if hypervisor not in SUBTYPES:
        raise errors.param_error("Invalid or unsupported host hypervisor type provided. Supported types are: "
                                 f"[{', '.join(SUBTYPES)}]")
    return PROVIDERS[hypervisor]


def _switch_on(store, level: str, target_id: str | None) -> bool:
    row = store.find_one("haswitch", level=level, targetid=target_id) if target_id else None
    return row is None or bool(row.get("enabled"))


def _state(store, host: dict, config: dict) -> str:
    if not config.get("enabled"):
        return "Disabled"
    if _switch_on(store, "zone", host.get("zoneid")) and _switch_on(store, "cluster", host.get("clusterid")):
        return "Available"
    return "Ineligible"


def configure(store, host: dict, provider: str) -> dict:
    key = provider.lower()
    if key not in PROVIDER_HYPERVISOR:
        raise errors.internal_error(f"Given HA provider [{provider}] does not exist.")
    if host.get("hypervisor") != PROVIDER_HYPERVISOR[key]:
        raise errors.param_error(f"Incompatible haprovider provided [{PROVIDER_HYPERVISOR[key]}] for the resource "
                                 f"[{host['id']}] of hypervisor type: [{host.get('hypervisor')}].")
    config = store.find_one("haconfig", hostid=host["id"])
    if config is None:
        config = store.insert("haconfig", {"hostid": host["id"], "provider": key, "enabled": False,
                                           "state": "Disabled"})
    return store.update("haconfig", config["id"], provider=key)


def set_host(store, host: dict, enabled: bool) -> dict:
    config = store.find_one("haconfig", hostid=host["id"])
    if config is None or not config.get("provider"):
        raise errors.param_error(f"HAProvider is not provided for the resource [{host['id']}], failing "
                                 f"configuration.")
    config = store.update("haconfig", config["id"], enabled=enabled)
    return store.update("haconfig", config["id"], state=_state(store, host, config))


def set_scope(store, level: str, target_id: str, enabled: bool) -> None:
    """Turn HA on or off for a zone or cluster; the hosts below follow."""
    switch = store.find_one("haswitch", level=level, targetid=target_id)
    if switch is None:
        store.insert("haswitch", {"level": level, "targetid": target_id, "enabled": enabled})
    else:
        store.update("haswitch", switch["id"], enabled=enabled)
    for config in store.all("haconfig"):
        host = store.get("host", config["hostid"])
        if host is not None and host.get(f"{level}id") == target_id:
            store.update("haconfig", config["id"], state=_state(store, host, config))


def configs(store, host_id: str | None) -> list[dict]:
    rows = store.find("haconfig", hostid=host_id) if host_id else store.all("haconfig")
    return [r for r in rows if store.get("host", r["hostid"]) is not None]
