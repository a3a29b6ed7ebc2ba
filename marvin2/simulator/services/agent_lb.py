"""Management servers and indirect agent load balancing (IndirectAgentLBServiceImpl and its algorithms).

The simulator plays a cluster of management servers: one per address of the ``host`` setting (a
comma-separated list, as agents receive it). Each has a stable id (a ``managementserver`` row per
address, kept when the address leaves the list so it comes back with the same id).

Every agent-based host (Routing hosts, plus system-VM hosts if any, in a resource state an agent
keeps its connection in) holds the list of management servers the algorithm gave it and is
connected to one of them, like a real agent:

- when it first connects, it gets the list computed for it at that moment and connects to its first
  entry (``static``: the list as written; ``roundrobin``: rotated by the host's position among the
  zone's agent hosts, ordered by id; ``shuffle``: a random order);
- when ``host`` or ``indirect.agent.lb.algorithm`` changes, the server propagates new lists to every
  agent (propagateMSListToAgents). An agent stays on its management server unless
  ``indirect.agent.lb.check.interval`` (cluster scope) is above 0: then, that many seconds after it
  got the list, its preferred-host check moves it to the list's first entry. An agent whose
  management server left the list reconnects to its new first entry at once (in a real cluster that
  server would be gone).

Deviations: CloudStack balances only KVM/LXC agents; simulator hosts stand in for agents here. A real
server propagates at each updateConfiguration; the simulator propagates when it next looks at the agents
(listHosts, listManagementServers) with the settings of that moment, dated to the last such update, so a
setting changed and changed back with no look in between leaves the agents where they were.
State lives in ``agentlb`` rows (id = host id): ``mslist``, ``connected``, ``preferred``, ``listed_at``.
"""
from __future__ import annotations

import platform
import random
import socket
import time

from marvin2 import wire
from marvin2.simulator import errors

VERSION = "4.20.2.0"
ALGORITHMS = ("static", "roundrobin", "shuffle")
_AGENT_TYPES = ("Routing", "ConsoleProxy", "SecondaryStorage", "SecondaryStorageVM")
_AGENT_RESOURCE_STATES = ("Enabled", "Maintenance", "Disabled", "ErrorInMaintenance", "PrepareForMaintenance")
_GENERATION = "agentlb.generation"          # the (host, algorithm) the agents' lists were computed from
_STARTED = "agentlb.ms.started"
_LOCAL_NAMES = ("127.0.0.1", "localhost", "::1")


# --- the management servers ------------------------------------------------------------------------


def ms_addresses(config) -> list[str]:
    """The ``host`` setting as agents get it (blanks removed, split on commas)."""
    text = (config("host", "") or "").replace(" ", "")
    if not text:
        raise errors.internal_error("No management server addresses are defined in 'host' setting")
    return text.split(",")


def _ms_row(store, address: str) -> dict:
    row = store.find_one("managementserver", address=address)
    if row is None:
        msid = 1 + store.count("managementserver")
        name = socket.gethostname() if address in _LOCAL_NAMES else address
        row = store.insert("managementserver", {"address": address, "name": name, "msid": msid,
                                                "runid": int(time.time() * 1000)})
    return row


def management_servers(store, config) -> list[dict]:
    """The management servers of the ``host`` setting, in its order (duplicates once)."""
    sync(store, config)
    seen, out = set(), []
    for address in ms_addresses(config):
        if address not in seen:
            seen.add(address)
            out.append(_ms_row(store, address))
    return out


def server_facts(store) -> dict:
    """What every simulated management server reports about its process and machine."""
    started = store.get_meta(_STARTED)
    if started is None:
        started = wire.now_text()
        store.set_meta(_STARTED, started)
    return {"state": "Up", "version": VERSION, "javadistribution": f"marvin2 simulator ({platform.python_implementation()})",
            "javaversion": platform.python_version(), "osdistribution": platform.system(),
            "kernelversion": platform.release(), "lastserverstart": started, "lastboottime": _boot_time()}


def _boot_time() -> str | None:
    try:
        with open("/proc/stat", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("btime "):
                    import datetime as dt
                    return wire.format_tzdate(dt.datetime.fromtimestamp(int(line.split()[1]), dt.timezone.utc))
    except OSError:
        return None
    return None


# --- the algorithms ----------------------------------------------------------------------------------


def sort_ms_list(algorithm: str, ms_list: list[str], ordered_host_ids: list[str], host_id: str | None,
                 rng: random.Random | None = None) -> list[str]:
    """The list one agent gets (IndirectAgentLB*Algorithm.sort)."""
    if algorithm == "static":
        return list(ms_list)
    if algorithm == "roundrobin":
        if len(ms_list) < 2:
            return list(ms_list)
        hosts = list(ordered_host_ids)
        if host_id is None or host_id not in hosts:
            hosts.append(host_id)
        pivot = hosts.index(host_id) % len(ms_list)
        return ms_list[pivot:] + ms_list[:pivot]
    if algorithm == "shuffle":
        shuffled = list(ms_list)
        (rng or random.Random(time.time())).shuffle(shuffled)
        return shuffled
    raise errors.internal_error(f"Algorithm configured for 'indirect.agent.lb.algorithm' not found, valid values "
                                f"are: [{', '.join(ALGORITHMS)}]")


def _agent_hosts(store, zone_id: str) -> list[dict]:
    """The zone's agent-based hosts in id order (the simulator's id order is creation order)."""
    return [h for h in store.find("host", zoneid=zone_id)
            if not h.get("removed") and h.get("type", "Routing") in _AGENT_TYPES
            and h.get("resourcestate", "Enabled") in _AGENT_RESOURCE_STATES]


def _ms_list_for(store, config, host: dict) -> list[str]:
    ms_list = ms_addresses(config)
    if len(ms_list) == 1:
        return ms_list
    ordered = [h["id"] for h in _agent_hosts(store, host["zoneid"])]
    return sort_ms_list(config("indirect.agent.lb.algorithm", "static"), ms_list, ordered, host["id"])


def _generation(config) -> list[str]:
    return [config("host", ""), config("indirect.agent.lb.algorithm", "static")]


def _check_interval(config, host: dict) -> int:
    try:
        return int(config("indirect.agent.lb.check.interval", "0", cluster=host.get("clusterid")) or 0)
    except ValueError:
        return 0


def sync(store, config) -> None:
    """Bring every agent's list and connection up to date with the settings and the clock."""
    generation = _generation(config)
    changed = store.get_meta(_GENERATION) != generation
    now = time.time()
    propagated_at = now
    if changed:
        store.set_meta(_GENERATION, generation)
        propagated_at = _last_setting_change(store, now)
    for host in store.all("host"):
        if host.get("removed") or host.get("type", "Routing") not in _AGENT_TYPES:
            continue
        state = store.get("agentlb", host["id"])
        if state is None:                                   # a new agent: connects to its list's first entry
            ms_list = _ms_list_for(store, config, host)
            store.insert("agentlb", {"id": host["id"], "mslist": ms_list, "connected": ms_list[0],
                                     "preferred": ms_list[0], "listed_at": now})
            continue
        if changed:                                         # propagateMSListToAgents
            ms_list = _ms_list_for(store, config, host)
            connected = state["connected"] if state["connected"] in ms_list else ms_list[0]
            state = store.update("agentlb", host["id"], mslist=ms_list, preferred=ms_list[0], connected=connected,
                                 listed_at=propagated_at)
        if state["connected"] != state["preferred"]:       # the preferred-host checker task
            interval = _check_interval(config, host)
            if interval > 0 and now >= state["listed_at"] + interval:
                store.update("agentlb", host["id"], connected=state["preferred"])


def _last_setting_change(store, default: float) -> float:
    """When ``host`` or the algorithm was last updated (the updateConfiguration event; to the second): the
    server propagates the lists then, while this module notices the change at its next look."""
    wanted = {"updated host", "updated indirect.agent.lb.algorithm"}
    edits = [e for e in store.find("event", type="CONFIGURATION.VALUE.EDIT") if e.get("description") in wanted]
    if not edits:
        return default
    try:
        return min(default, wire.parse_tzdate(edits[-1]["created"]).timestamp())
    except (KeyError, ValueError):
        return default


def connected_ms(ctx, host: dict) -> dict | None:
    """The management server row a host's agent is connected to (None for a host without an agent)."""
    done = ctx.extra.setdefault("agentlb.synced", False)
    if not done:
        sync(ctx.store, ctx.config)
        ctx.extra["agentlb.synced"] = True
    state = ctx.store.get("agentlb", host.get("id"))
    if state is None:
        return None
    return _ms_row(ctx.store, state["connected"])


def connected_ms_id(ctx, host: dict) -> str | None:
    """``managementserverid`` of a listHosts entry."""
    row = connected_ms(ctx, host)
    return row["id"] if row else None
