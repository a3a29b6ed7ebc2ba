"""Hosts as the APIs render them (listHosts, findHostsForMigration ...)."""
from __future__ import annotations

from marvin2.simulator.services import agent_lb, oobm
from marvin2.simulator.services.common import name_of, zone_name


def render_host(ctx, row: dict) -> dict:
    out = {k: row.get(k) for k in ("id", "name", "zoneid", "podid", "clusterid", "hypervisor", "type", "state",
                                    "resourcestate", "ipaddress", "cpunumber", "cpuspeed", "memorytotal", "version",
                                    "hosttags", "created", "hahost")}
    out.update(zonename=zone_name(ctx.store, row.get("zoneid")), podname=name_of(ctx.store, "pod", row.get("podid")),
               clustername=name_of(ctx.store, "cluster", row.get("clusterid")), clustertype="CloudManaged",
               islocalstorageactive=False, events="PingTimeout; AgentDisconnected; HostDown; ShutdownRequested; Remove; "
               "StartAgentRebalance; Ping; AgentConnected; ManagementServerDown",
               hostha={"haenable": False, "hastate": "Disabled"}, outofbandmanagement=oobm.for_host(ctx, row),
               lastpinged=row.get("created"), managementserverid=agent_lb.connected_ms_id(ctx, row), disconnected=row.get("created"))
    return out
