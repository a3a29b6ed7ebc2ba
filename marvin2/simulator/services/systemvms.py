"""A zone's system VMs (secondary storage VM and console proxy): created when the zone becomes usable.

A real management server scans its zones (SecondaryStorageManagerImpl /
ConsoleProxyManagerImpl capacity scans): once a zone is Enabled and has
secondary storage, primary storage and an Up routing host, it creates one
SSVM and one CPVM there; they boot (Starting -> Running), take a public IP of
the zone, and their agents connect as hosts of type SecondaryStorageVM /
ConsoleProxy. The running SSVM then copies the cross-zone (built-in)
templates to the zone's secondary storage, where they become ready.

The simulator does the same: the infrastructure APIs that can make a zone
usable call ``ensure(ctx, zone_id)``, which creates the missing system VMs
in state Starting inside that request; a timer then boots them after the
profile's ``startSystemVm`` duration (``boot``), in a transaction of its own.
"""
from __future__ import annotations

import ipaddress
import logging
import threading
import time

from marvin2 import wire
from marvin2.simulator import errors, timing
from marvin2.simulator.store import Store

log = logging.getLogger("marvin2.simulator.systemvms")

SSVM, CPVM = "secondarystoragevm", "consoleproxy"
PREFIX = {SSVM: "s", CPVM: "v"}
AGENT_HOST_TYPE = {SSVM: "SecondaryStorageVM", CPVM: "ConsoleProxy"}
LIVE_STATES = ("Starting", "Running", "Stopping", "Stopped", "Migrating")
MIN_BOOT_DELAY = 0.01


# --- what a zone needs -------------------------------------------------------------------------------


def routing_hosts(store: Store, zone_id: str) -> list[dict]:
    """Up, enabled hypervisor hosts of the zone (system VMs run there, never on an agent host)."""
    return [h for h in store.find("host", zoneid=zone_id, type="Routing")
            if not h.get("removed") and h.get("state") == "Up" and h.get("resourcestate", "Enabled") == "Enabled"]


def missing_for(store: Store, zone: dict) -> str | None:
    """Why the zone cannot have system VMs yet (None: it can)."""
    if zone.get("allocationstate") != "Enabled":
        return "the zone is not Enabled"
    stores = [s for s in store.all("imagestore") if s.get("zoneid") in (zone["id"], None) and not s.get("removed")]
    if not stores:
        return "the zone has no secondary storage"
    if not any(not p.get("removed") for p in store.find("storagepool", zoneid=zone["id"])):
        return "the zone has no primary storage"
    if not routing_hosts(store, zone["id"]):
        return "the zone has no Up routing host"
    return None


def live_system_vms(store: Store, zone_id: str, kind: str | None = None) -> list[dict]:
    rows = store.find("systemvm", zoneid=zone_id, systemvmtype=kind) if kind else store.find("systemvm", zoneid=zone_id)
    return [r for r in rows if not r.get("removed") and r.get("state") in LIVE_STATES]


# --- creation and boot ---------------------------------------------------------------------------------


def _next_index(store: Store) -> int:
    return store.count("systemvm") + 1


def _new_row(store: Store, zone: dict, kind: str) -> dict:
    host = routing_hosts(store, zone["id"])[0]
    index = _next_index(store)
    return {"name": f"{PREFIX[kind]}-{index}-VM", "systemvmtype": kind, "zoneid": zone["id"], "podid": host.get("podid"),
            "hostid": None, "state": "Starting", "hypervisor": host.get("hypervisor") or "Simulator",
            "privateip": None, "linklocalip": f"169.254.{(index // 250) % 250}.{10 + index % 240}",
            "activeviewersessions": 0, "created": wire.now_text()}


def ensure(ctx, zone_id: str | None) -> list[dict]:
    """Create the zone's missing SSVM / CPVM (state Starting) when the zone is usable; boot them soon after.

    Returns the rows created (none when the zone is not usable yet or already has both)."""
    store = ctx.store
    zone = store.get("zone", zone_id) if zone_id else None
    if zone is None or missing_for(store, zone) is not None:
        return []
    created = []
    for kind in (SSVM, CPVM):
        if not live_system_vms(store, zone["id"], kind):
            created.append(store.insert("systemvm", _new_row(store, zone, kind)))
    if created:
        _boot_later(ctx.sim, [row["id"] for row in created])
    return created


def _boot_later(sim, vm_ids: list[str]) -> None:
    delay = max(MIN_BOOT_DELAY, timing.duration(sim.profile, "startSystemVm"))
    timer = threading.Timer(delay, _boot_in_transaction, args=(sim, vm_ids))
    timer.daemon = True
    timer.name = "marvin2-sim-systemvm-boot"
    timer.start()


def _boot_in_transaction(sim, vm_ids: list[str]) -> None:
    if sim.stopped:
        return
    try:
        with sim.store.transaction():
            for vm_id in vm_ids:
                row = sim.store.get("systemvm", vm_id)
                if row is not None and row.get("state") == "Starting" and not row.get("removed"):
                    boot(sim.store, row)
    except Exception:  # a simulator stopped meanwhile closes its store under us
        if not sim.stopped:
            log.exception("booting system VMs %s failed", vm_ids)


def _pick_public_ip(store: Store, zone_id: str) -> dict | None:
    """A Free address of the zone's public (virtual network) ranges, for a system VM (no owner account)."""
    dedicated = {v["id"] for v in store.find("vlan", zoneid=zone_id) if v.get("accountid") or v.get("domainid")}
    for row in store.find("publicipaddress", zoneid=zone_id, state="Free"):
        if row.get("forvirtualnetwork", True) and row.get("vlanid") not in dedicated:
            return row
    return None


def _private_ip(store: Store, pod: dict | None) -> str | None:
    """The next unused address of the pod's management range (system VMs take one each)."""
    if pod is None:
        return None
    used = {vm.get("privateip") for vm in store.find("systemvm", podid=pod["id"])}
    used |= {h.get("ipaddress") for h in store.find("host", podid=pod["id"])}
    for start, end in zip(pod.get("startip") or [], pod.get("endip") or []):
        if not start:
            continue
        first, last = ipaddress.IPv4Address(start), ipaddress.IPv4Address(end or start)
        for number in range(int(first), int(last) + 1):
            address = str(ipaddress.IPv4Address(number))
            if address not in used:
                return address
    return None


def boot(store: Store, row: dict) -> dict:
    """Starting -> Running: placed on a routing host, given its addresses, its agent connected."""
    host = next((h for h in routing_hosts(store, row["zoneid"]) if h.get("podid") == row.get("podid")), None) \
        or next(iter(routing_hosts(store, row["zoneid"])), None)
    if host is None:
        return store.update("systemvm", row["id"], state="Stopped")
    changes = {"state": "Running", "hostid": host["id"], "podid": host.get("podid")}
    if not row.get("privateip"):
        changes["privateip"] = _private_ip(store, store.get("pod", host.get("podid")) if host.get("podid") else None)
    if not row.get("publicip"):
        address = _pick_public_ip(store, row["zoneid"])
        if address is not None:
            store.update("publicipaddress", address["id"], state="Allocated", issystem=True,
                         allocated=wire.now_text(), systemvmid=row["id"])
            changes.update(publicip=address["ipaddress"], publicipid=address["id"])
    row = store.update("systemvm", row["id"], **changes)
    connect_agent(store, row)
    if row["systemvmtype"] == SSVM:
        copy_cross_zone_templates(store, row["zoneid"])
    return row


def connect_agent(store: Store, vm: dict) -> dict:
    """The system VM's agent host row (type SecondaryStorageVM / ConsoleProxy), Up while the VM runs."""
    existing = store.find_one("host", name=vm["name"], type=AGENT_HOST_TYPE[vm["systemvmtype"]])
    fields = {"name": vm["name"], "zoneid": vm["zoneid"], "podid": vm.get("podid"), "clusterid": None,
              "type": AGENT_HOST_TYPE[vm["systemvmtype"]], "state": "Up", "resourcestate": "Enabled",
              "ipaddress": vm.get("privateip"), "hypervisor": None, "version": "4.20.2.0",
              "systemvmid": vm["id"], "created": wire.now_text()}
    if existing is not None:
        return store.update("host", existing["id"], **{k: v for k, v in fields.items() if k != "created"})
    return store.insert("host", fields)


def disconnect_agent(store: Store, vm: dict, removed: bool = False) -> None:
    """A stopped system VM's agent is Disconnected; a destroyed one's host row is removed."""
    for host in store.find("host", systemvmid=vm["id"]):
        if removed:
            store.delete("host", host["id"])
        else:
            store.update("host", host["id"], state="Disconnected")


def release_public_ip(store: Store, vm: dict) -> None:
    if vm.get("publicipid") and store.get("publicipaddress", vm["publicipid"]) is not None:
        store.update("publicipaddress", vm["publicipid"], state="Free", issystem=False, allocated=None, systemvmid=None)


def copy_cross_zone_templates(store: Store, zone_id: str) -> None:
    """The running SSVM downloads the cross-zone templates to the zone's store: each starts its download now
    (``zonestate``: the catalog module shows its progress and makes it ready after the download time)."""
    started = time.time()          # the catalog module's clock (apis._common.epoch)
    for template in store.find("template", crossZones=True):
        zones = list(template.get("zoneids") or [])
        if template.get("removed") or zone_id in zones:
            continue
        state = dict(template.get("zonestate") or {})
        state[zone_id] = started
        store.update("template", template["id"], zoneids=[*zones, zone_id], zonestate=state)


def forget_zone(store: Store, zone_id: str) -> None:
    """A deleted zone takes its system VMs and their agent hosts with it."""
    for vm in store.find("systemvm", zoneid=zone_id):
        disconnect_agent(store, vm, removed=True)
        release_public_ip(store, vm)
        store.delete("systemvm", vm["id"])


# --- migration ----------------------------------------------------------------------------------------------


def migrate(store: Store, vm: dict, host: dict | None, autoselect: bool) -> dict:
    """migrateSystemVm to a host (or an automatically chosen one), with UserVmManagerImpl's checks."""
    if vm.get("state") != "Running":
        raise errors.invalid_value("VM is not Running, unable to migrate the vm with specified id")
    if host is None:
        if not autoselect:
            raise errors.invalid_value("Please specify a host or storage as destination, or pass 'autoselect=true' to "
                                       "automatically select a destination host which do not require storage migration")
        candidates = [h for h in routing_hosts(store, vm["zoneid"])
                      if h["id"] != vm.get("hostid") and h.get("podid") == vm.get("podid")]
        if not candidates:
            raise errors.resource_unavailable(f"Unable to find a suitable destination host to migrate the VM {vm['name']}")
        host = candidates[0]
    if host.get("type") != "Routing":
        raise errors.invalid_value(f"The specified host({host['name']}) is not suitable to migrate the VM, "
                                   "please specify another one")
    if host["id"] == vm.get("hostid"):
        raise errors.invalid_value("Cannot migrate VM, VM is already present on this host, please specify valid "
                                   "destination host to migrate the VM")
    if host.get("state") != "Up" or host.get("resourcestate") != "Enabled":
        raise errors.invalid_value("Cannot migrate VM, destination host is not in correct state, has status: "
                                   f"{host.get('state')}, state: {host.get('resourcestate')}")
    if host.get("podid") != vm.get("podid"):
        raise errors.invalid_value("Cannot migrate the VM, destination host is not in the same pod as current host of the VM")
    return store.update("systemvm", vm["id"], hostid=host["id"])


def migrate_storage(store: Store, vm: dict, pool: dict) -> dict:
    """migrateSystemVm storageid=: offline migration of a Stopped system VM's root disk to another pool."""
    if vm.get("state") != "Stopped":
        raise errors.invalid_value("VM is not Stopped, unable to migrate the vm having the specified id")
    if pool.get("podid") and vm.get("podid") and pool["podid"] != vm["podid"]:
        raise errors.invalid_value("Storage migration of non-user VMs cannot be done between storage pools of different pods")
    return store.update("systemvm", vm["id"], storageid=pool["id"])


def recreate_now(ctx, zone_id: str) -> list[dict]:
    """Replace a destroyed system VM at once (the destroy job's own scan): created and booted in this transaction."""
    store = ctx.store
    zone = store.get("zone", zone_id)
    if zone is None or missing_for(store, zone) is not None:
        return []
    booted = []
    for kind in (SSVM, CPVM):
        if not live_system_vms(store, zone_id, kind):
            booted.append(boot(store, store.insert("systemvm", _new_row(store, zone, kind))))
    return booted


def adopt_seeded(store: Store) -> None:
    """System VMs a seed wrote as Running get what booting gives them: a public IP and a connected agent."""
    for vm in store.find("systemvm", state="Running"):
        if vm.get("removed") or store.find("host", systemvmid=vm["id"]):
            continue
        if not vm.get("publicip"):
            address = _pick_public_ip(store, vm["zoneid"])
            if address is not None:
                store.update("publicipaddress", address["id"], state="Allocated", issystem=True,
                             allocated=wire.now_text(), systemvmid=vm["id"])
                vm = store.update("systemvm", vm["id"], publicip=address["ipaddress"], publicipid=address["id"])
        connect_agent(store, vm)
