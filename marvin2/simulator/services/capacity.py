"""Host capacity: where a VM may run, and what it takes from its host.

A running (or starting, stopping, migrating) VM holds ``cpunumber x cpuspeed``
MHz and ``memory`` MiB of its host; a host offers ``cpunumber x cpuspeed x
cpu.overprovisioning.factor`` MHz and ``memorytotal x mem.overprovisioning.factor``.
Usage is kept incrementally in ``hostcapacity`` rows (id = host id) so a
deploy does not add up every VM of the cloud; the VM row's ``capacityhostid``
says where it is counted. Everything runs inside a store transaction (the
store lock), so two deploys can never take the same last slot.

Not enough room anywhere → the real 533 InsufficientServerCapacityException
("Unable to create a deployment for VM instance {...}"); a requested host that
is not Up and Enabled → 534 ResourceUnavailableException.
"""
from __future__ import annotations

import random

from marvin2.simulator import errors
from marvin2.simulator.services.common import MIB

_rng = random.Random()
ACTIVE_STATES = ("Starting", "Running", "Stopping", "Migrating")


def _factor(ctx_or_store, name: str) -> float:
    store = getattr(ctx_or_store, "store", ctx_or_store)
    row = store.get("configuration", name)
    try:
        return float(row["value"]) if row else 1.0
    except ValueError:
        return 1.0


def usage(store, host_id: str) -> dict:
    return store.get("hostcapacity", host_id) or {"id": host_id, "cpuused": 0, "memoryused": 0}


def totals(store, host: dict) -> tuple[float, float]:
    cpu = host.get("cpunumber", 0) * host.get("cpuspeed", 0) * _factor(store, "cpu.overprovisioning.factor")
    memory = host.get("memorytotal", 0) / MIB * _factor(store, "mem.overprovisioning.factor")
    return cpu, memory


def fits(store, host: dict, vm: dict) -> bool:
    if vm.get("cpunumber", 1) > host.get("cpunumber", 0) or vm.get("cpuspeed", 0) > host.get("cpuspeed", 0):
        return False
    used = usage(store, host["id"])
    cpu_total, memory_total = totals(store, host)
    need_cpu = vm.get("cpunumber", 1) * vm.get("cpuspeed", 0)
    return used["cpuused"] + need_cpu <= cpu_total and used["memoryused"] + vm.get("memory", 0) <= memory_total


def _change(store, host_id: str, cpu: int, memory: int) -> None:
    row = store.get("hostcapacity", host_id)
    if row is None:
        store.insert("hostcapacity", {"id": host_id, "cpuused": max(0, cpu), "memoryused": max(0, memory)})
    else:
        store.update("hostcapacity", host_id, cpuused=max(0, row["cpuused"] + cpu),
                     memoryused=max(0, row["memoryused"] + memory))


def reserve(store, vm: dict, host: dict) -> dict:
    """Count the VM on ``host`` (moving it from where it was counted); returns the updated VM row."""
    vm = release(store, vm)
    _change(store, host["id"], vm.get("cpunumber", 1) * vm.get("cpuspeed", 0), vm.get("memory", 0))
    return store.update("virtualmachine", vm["id"], capacityhostid=host["id"])


def release(store, vm: dict) -> dict:
    """Stop counting the VM on its host (no-op when it holds nothing)."""
    host_id = vm.get("capacityhostid")
    if not host_id:
        return vm
    _change(store, host_id, -vm.get("cpunumber", 1) * vm.get("cpuspeed", 0), -vm.get("memory", 0))
    return store.update("virtualmachine", vm["id"], capacityhostid=None)


def usable_host(store, host: dict | None) -> bool:
    if host is None or host.get("removed") or host.get("type", "Routing") != "Routing":
        return False
    if host.get("state") != "Up" or host.get("resourcestate") != "Enabled":
        return False
    cluster = store.get("cluster", host.get("clusterid")) if host.get("clusterid") else None
    pod = store.get("pod", host.get("podid")) if host.get("podid") else None
    zone = store.get("zone", host.get("zoneid"))
    return all(part is None or part.get("allocationstate", "Enabled") == "Enabled" for part in (cluster, pod, zone))


def any_up_host(store, zone_id: str) -> dict | None:
    return next((h for h in store.find("host", zoneid=zone_id) if usable_host(store, h)), None)


def describe_vm(vm: dict) -> str:
    """How a real 4.18 server prints a VM in exception texts."""
    return (f'VM instance {{"id":{vm.get("internalid")},"instanceName":"{vm.get("instancename")}",'
            f'"type":"User","uuid":"{vm["id"]}"}}')


def _affinity_constraints(store, vm: dict) -> tuple[set[str], set[str] | None]:
    """(hosts to avoid, hosts required or None) from the VM's affinity groups."""
    avoid: set[str] = set()
    required: set[str] | None = None
    for group_id in vm.get("affinitygroupids") or []:
        group = store.get("affinitygroup", group_id)
        if group is None:
            continue
        peers = [store.get("virtualmachine", peer) for peer in group.get("virtualmachineids", []) if peer != vm["id"]]
        hosts = {p["hostid"] for p in peers if p and p.get("hostid") and p.get("state") in ACTIVE_STATES}
        if group["type"] == "host anti-affinity":
            avoid |= hosts
        elif group["type"] == "host affinity" and hosts:
            required = hosts if required is None else required & hosts
    return avoid, required


def choose_host(ctx, vm: dict, *, host_id: str | None = None, pod_id: str | None = None,
                cluster_id: str | None = None, exclude: set[str] | None = None) -> dict:
    """A host for ``vm`` in its zone (the given one if any): 533 / 534 when there is none."""
    store = ctx.store
    if host_id:
        host = store.get("host", host_id)
        if not usable_host(store, host):
            raise errors.resource_unavailable(
                f"Host {host['name'] if host else host_id} is not available for deployment: "
                f"state {host.get('state') if host else 'unknown'}, resource state {host.get('resourcestate') if host else 'unknown'}")
        if host["zoneid"] != vm["zoneid"]:
            raise errors.invalid_value(f"Host {host['name']} is not in the VM's zone")
        if not fits(store, host, vm):
            raise errors.insufficient_capacity(f"Unable to create a deployment for {describe_vm(vm)}")
        return host
    avoid, required = _affinity_constraints(store, vm)
    avoid |= exclude or set()
    candidates = [h for h in store.find("host", zoneid=vm["zoneid"], type="Routing")
                  if usable_host(store, h) and h["id"] not in avoid and (required is None or h["id"] in required)
                  and (not pod_id or h.get("podid") == pod_id) and (not cluster_id or h.get("clusterid") == cluster_id)
                  and h.get("hypervisor", "Simulator") == vm.get("hypervisor", "Simulator")]
    fitting = [h for h in candidates if fits(store, h, vm)]
    if not fitting:
        text = f"Unable to create a deployment for {describe_vm(vm)}"
        if vm.get("affinitygroupids"):
            text += ", Please check the affinity groups provided, there may not be sufficient capacity to follow them"
        raise errors.insufficient_capacity(text)
    # vm.allocation.algorithm "random" (CloudStack's default): spread VMs over the fitting hosts.
    return _rng.choice(fitting)
