"""listManagementServers: the management servers of the ``host`` setting (rules in services/agent_lb.py)."""
from __future__ import annotations

from marvin2.simulator.declare import ADMIN_ONLY, PAGING, P, api, declare_object
from marvin2.simulator.services import agent_lb

declare_object("managementserver", {
    "id": "the management server id", "name": "its name", "state": "Up", "version": "CloudStack version",
    "javadistribution": "the runtime's name", "javaversion": "the runtime's version",
    "osdistribution": "the OS", "kernelversion": "the OS kernel", "lastserverstart": ("date", "last start"),
    "lastserverstop": ("date", "last stop"), "lastboottime": ("date", "machine boot"),
    "serviceip": "its address (deprecated: ipaddress)", "ipaddress": "its address",
    "peers": ("list", "the other management servers (peers=true)")})


def _render(row: dict, facts: dict, peers: list[dict] | None) -> dict:
    out = {"id": row["id"], "name": row["name"], **facts, "serviceip": row["address"], "ipaddress": row["address"]}
    if peers is not None:
        out["peers"] = [{"peerid": p["id"], "peername": p["name"], "peermsid": str(p["msid"]),
                         "peerrunid": str(p["runid"]), "peerstate": "Up", "peerserviceip": p["address"],
                         "peerserviceport": "9090", "state": "Up", "lastupdated": facts["lastserverstart"]}
                        for p in peers]
    return out


@api("listManagementServers", roles=ADMIN_ONLY, response="managementserver",
     description="Lists the management servers: one per address of the 'host' setting.",
     params=[*PAGING, P("id", "the management server", entity="managementserver"), P("name", "its name"),
             P("peers", "also list each one's peers")])
def list_management_servers(ctx):
    servers = agent_lb.management_servers(ctx.store, ctx.config)
    facts = agent_lb.server_facts(ctx.store)
    chosen = [s for s in servers
              if (not ctx.has("id") or s["id"] == ctx.get("id")) and (not ctx.has("name") or s["name"] == ctx.get("name"))]
    keyword = (ctx.get("keyword") or "").lower()
    chosen = [s for s in chosen if keyword in s["name"].lower()]
    with_peers = bool(ctx.get("peers"))
    return ctx.paginate([_render(s, facts, [p for p in servers if p["id"] != s["id"]] if with_peers else None)
                         for s in chosen])
