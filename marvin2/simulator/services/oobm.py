"""Out-of-band management (OutOfBandManagementServiceImpl) against simulated BMCs.

Each host may get an ``oobm`` row (id = host id): the configured driver, address, port, username and
password (never answered: responses mask it as its first letter and ``****``), ``enabled``, the
``powerstate`` CloudStack believes (PowerState: On, Off, Unknown, Disabled, moved only through the
PowerState state machine) and ``chassis``: the power of the simulated machine behind the BMC (On for
an Up host until an action changes it). Zones and clusters carry the ``outOfBandManagementEnabled``
detail as ``oobmscope`` rows. As on a real server, power actions change the chassis and only STATUS,
or the background sync every ``outofbandmanagement.background.task.execution.interval`` seconds
(done here when someone next looks), moves ``powerstate``. The drivers (ipmitool, nestedcloudstack,
redfish) talk to no real BMC and do not change the host's own state.
"""
from __future__ import annotations

import time

from marvin2.simulator import errors, facts

DRIVERS = ("ipmitool", "nestedcloudstack", "redfish")
OPERATIONS = ("ON", "OFF", "CYCLE", "RESET", "SOFT", "STATUS")
_CHASSIS_AFTER = {"ON": "On", "OFF": "Off", "CYCLE": "On", "RESET": "On", "SOFT": "Off"}
_RESULTS = {"ON": "Chassis Power Control: Up/On", "OFF": "Chassis Power Control: Down/Off",
            "CYCLE": "Chassis Power Control: Cycle", "RESET": "Chassis Power Control: Reset",
            "SOFT": "Chassis Power Control: Soft"}
# PowerState.getStateMachine(): event -> states it may leave from; the event names its target state
# (AuthError -> Unknown).
_TRANSITIONS = {"On": ("On", "Off", "Unknown", "Disabled"), "Off": ("On", "Off", "Unknown", "Disabled"),
                "Unknown": ("On", "Off", "Unknown", "Disabled"), "AuthError": ("On", "Off", "Disabled"),
                "Disabled": ("On", "Off", "Unknown")}
_LAST_SYNC = "oobm.last.sync"


def host_text(host: dict) -> str:
    return f"Host {{\"id\": \"{host['id']}\", \"name\": \"{host.get('name')}\"}}"


def transition(store, row: dict | None, event: str) -> dict | None:
    """Apply a PowerState event to an oobm row (no-op when the machine has no such transition)."""
    if row is None:
        return None
    current = row.get("powerstate")
    if current is not None and current not in _TRANSITIONS[event]:
        return row
    return store.update("oobm", row["id"], powerstate="Unknown" if event == "AuthError" else event)


def _scope_enabled(store, scope: str, scope_id: str | None) -> bool:
    if not scope_id:
        return True
    row = store.get("oobmscope", f"{scope}:{scope_id}")
    return row is None or row.get("enabled", True)


def _host_enabled(store, host: dict) -> bool:
    if host.get("removed") or host.get("resourcestate") == "Degraded":
        return False
    row = store.get("oobm", host["id"])
    return bool(row and row.get("enabled"))


def check_enabled(store, host: dict) -> None:
    if not _scope_enabled(store, "zone", host.get("zoneid")):
        raise errors.internal_error("Out-of-band management is disabled for the host's zone. Aborting Operation.")
    if not _scope_enabled(store, "cluster", host.get("clusterid")):
        raise errors.internal_error("Out-of-band management is disabled for the host's cluster. Aborting Operation.")
    if not _host_enabled(store, host):
        raise errors.internal_error("Out-of-band management is disabled or not configured for the host. "
                                    "Aborting Operation.")


def is_enabled(store, host: dict) -> bool:
    return (_scope_enabled(store, "zone", host.get("zoneid")) and _scope_enabled(store, "cluster", host.get("clusterid"))
            and _host_enabled(store, host))


def background_sync(store, config, now: float | None = None) -> None:
    """The power-state poll: STATUS for every host whose out-of-band management is on, Disabled for the others."""
    now = time.time() if now is None else now
    try:
        interval = int(config("outofbandmanagement.background.task.execution.interval",
                              facts.settings()["outofbandmanagement.background.task.execution.interval"].default))
    except (ValueError, KeyError):
        interval = 4
    last = store.get_meta(_LAST_SYNC)
    if last is not None and now - last < interval:
        return
    store.set_meta(_LAST_SYNC, now)
    for row in store.all("oobm"):
        host = store.get("host", row["id"])
        if host is None:
            continue
        if is_enabled(store, host):
            transition(store, row, row.get("chassis", "On"))
        else:
            transition(store, row, "Disabled")


def configure(store, host: dict, options: dict[str, str | None]) -> dict:
    row = store.get("oobm", host["id"])
    if row is None:
        row = store.insert("oobm", {"id": host["id"], "enabled": False, "powerstate": None,
                                    "chassis": "On" if host.get("state") == "Up" else "Off"})
    changes = {k: v for k, v in options.items() if v}
    driver = changes.get("driver", row.get("driver"))
    if not driver or driver.lower() not in DRIVERS:
        raise errors.internal_error("Out-of-band management driver is not available. Please provide a valid driver name.")
    return store.update("oobm", host["id"], **changes)


def config_for(store, host: dict) -> dict:
    row = store.get("oobm", host["id"])
    if row is None:
        raise errors.internal_error("Out-of-band management is not configured for the host. Please configure the host "
                                    "before enabling/disabling it.")
    return row


def set_host_enabled(store, host: dict, enabled: bool) -> dict:
    row = store.update("oobm", config_for(store, host)["id"], enabled=enabled)
    return transition(store, row, "Disabled")


def set_scope_enabled(store, scope: str, scope_id: str, enabled: bool) -> None:
    key = f"{scope}:{scope_id}"
    if store.get("oobmscope", key) is None:
        store.insert("oobmscope", {"id": key, "enabled": enabled})
    else:
        store.update("oobmscope", key, enabled=enabled)
    if not enabled:
        field = "zoneid" if scope == "zone" else "clusterid"
        for host in store.find("host", **{field: scope_id}):
            transition(store, store.get("oobm", host["id"]), "Disabled")


def power_action(store, host: dict, operation: str) -> tuple[dict, str]:
    """Run a power operation through the simulated driver: (oobm row after it, the driver's result text)."""
    check_enabled(store, host)
    row = config_for(store, host)
    if (row.get("driver") or "") not in DRIVERS:
        raise errors.internal_error("Configured out-of-band management driver is not available. Aborting any "
                                    "out-of-band management action.")
    if operation == "STATUS":
        chassis = row.get("chassis", "On")
        return transition(store, row, chassis), f"Chassis Power is {chassis}"
    return store.update("oobm", row["id"], chassis=_CHASSIS_AFTER[operation]), _RESULTS[operation]


def change_password(store, host: dict, new_password: str | None) -> dict:
    check_enabled(store, host)
    if not new_password:
        raise errors.internal_error(f"Cannot change out-of-band management password as provided new-password is null "
                                    f"or empty for {host_text(host)}.")
    row = store.get("oobm", host["id"])
    if not row.get("password"):
        raise errors.internal_error(f"Cannot change out-of-band management password as we've no previously configured "
                                    f"password for {host_text(host)}.")
    if (row.get("driver") or "") not in DRIVERS:
        raise errors.internal_error("Configured out-of-band management driver is not available. Aborting any "
                                    "out-of-band management action.")
    return store.update("oobm", row["id"], password=new_password)


def render(row: dict | None) -> dict:
    """OutOfBandManagementResponse built from a host's configuration (the password masked)."""
    if row is None:
        return {"enabled": False, "powerstate": "Disabled"}
    password = row.get("password")
    return {"enabled": bool(row.get("enabled")), "powerstate": row.get("powerstate") or "Unknown",
            "driver": row.get("driver"), "address": row.get("address"), "port": row.get("port"),
            "username": row.get("username"), "password": f"{password[0]}****" if password else None}


def for_host(ctx, host: dict) -> dict:
    """The ``outofbandmanagement`` object of a listHosts entry."""
    background_sync(ctx.store, ctx.config)
    return render(ctx.store.get("oobm", host.get("id")))
