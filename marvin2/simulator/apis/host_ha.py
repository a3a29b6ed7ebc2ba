"""Host HA: configureHAForHost, enableHAForHost/Cluster/Zone, disableHAForHost/Cluster/Zone,
listHostHAResources, listHostHAProviders. The rules live in services/host_ha.py."""
from __future__ import annotations

from marvin2.simulator.context import Job, ListResult
from marvin2.simulator.declare import P, api, declare_object
from marvin2.simulator.services import host_ha as service

declare_object("hostha", {"hostid": "the host", "haenable": ("boolean", "HA enabled"), "hastate": "HA state",
                          "haprovider": "HA provider", "status": ("boolean", "the operation succeeded")})
declare_object("haprovider", {"haprovider": "an HA provider"})
declare_object("ha", {"success": ("boolean", "the operation succeeded")})


def render(row: dict) -> dict:
    return {"hostid": row["hostid"], "haenable": bool(row.get("enabled")), "hastate": row.get("state"),
            "haprovider": row.get("provider")}


@api("configureHAForHost", response="hostha", instance_type="Host",
     description="Chooses the HA provider that checks a host (one for the host's hypervisor).",
     params=[P("hostid", "the host"), P("provider", "the HA provider (listHostHAProviders)")])
def configure_ha_for_host(ctx):
    host_id, provider = ctx.get("hostid"), ctx.get("provider")

    def run(jctx):
        service.configure(jctx.store, jctx.store.get("host", host_id), provider)
        jctx.event("HA.RESOURCE.CONFIGURE", f"Host Id:{host_id} HA configured with provider: {provider}")
        return {"hostid": host_id, "haprovider": provider.lower()}

    return Job(run, instance_id=host_id)


def _host_switch(enabled: bool):
    def handler(ctx):
        host_id = ctx.get("hostid")

        def run(jctx):
            service.set_host(jctx.store, jctx.store.get("host", host_id), enabled)
            jctx.event("HA.RESOURCE.ENABLE" if enabled else "HA.RESOURCE.DISABLE",
                       f"Host Id:{host_id} HA enabled: {str(enabled).lower()}")
            return {"hostid": host_id, "haenable": enabled, "status": True}

        return Job(run, instance_id=host_id)

    return handler


def _scope_switch(level: str, enabled: bool):
    def handler(ctx):
        target_id = ctx.get(f"{level}id")

        def run(jctx):
            service.set_scope(jctx.store, level, target_id, enabled)
            jctx.event("HA.RESOURCE.ENABLE" if enabled else "HA.RESOURCE.DISABLE",
                       f"{level.capitalize()} Id:{target_id} HA enabled: {str(enabled).lower()}")
            return {"success": True}

        return Job(run, instance_id=target_id)

    return handler


for _enabled, _verb in ((True, "enable"), (False, "disable")):
    api(f"{_verb}HAForHost", response="hostha", instance_type="Host",
        description=f"{_verb.capitalize()}s HA for a host (its HA provider must be configured).",
        params=[P("hostid", "the host")])(_host_switch(_enabled))
    for _level in ("cluster", "zone"):
        api(f"{_verb}HAForCluster" if _level == "cluster" else f"{_verb}HAForZone", response="ha",
            instance_type="Cluster" if _level == "cluster" else "DataCenter",
            description=f"{_verb.capitalize()}s HA for the hosts of a {_level}.",
            params=[P(f"{_level}id", f"the {_level}")])(_scope_switch(_level, _enabled))


@api("listHostHAResources", response="hostha", description="Lists the HA configuration of hosts.",
     params=[P("hostid", "only this host")])
def list_host_ha_resources(ctx):
    items = [render(r) for r in service.configs(ctx.store, ctx.get("hostid"))]
    return ListResult(items, len(items))


@api("listHostHAProviders", response="haprovider", description="Lists the HA providers for a hypervisor.",
     params=[P("hypervisor", "KVM or Simulator")])
def list_host_ha_providers(ctx):
    items = [{"haprovider": name} for name in service.providers_for(ctx.get("hypervisor"))]
    return ListResult(items, len(items))

