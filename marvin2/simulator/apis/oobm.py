"""Out-of-band management: configureOutOfBandManagement, enable/disableOutOfBandManagementFor{Host,Cluster,Zone},
issueOutOfBandManagementPowerAction, changeOutOfBandManagementPassword (rules in services/oobm.py)."""
from __future__ import annotations

from marvin2.simulator import errors
from marvin2.simulator.context import Job
from marvin2.simulator.declare import P, api, declare_object
from marvin2.simulator.services import oobm

declare_object("outofbandmanagement", {
    "hostid": "the host", "powerstate": "On, Off, Unknown or Disabled", "enabled": ("boolean", "enabled for the host"),
    "driver": "the driver", "address": "the BMC address", "port": "the BMC port", "username": "the BMC user",
    "password": "the BMC password, masked", "action": "the power action run", "description": "the driver's answer",
    "status": ("boolean", "whether it succeeded")})


def _host_response(ctx, host: dict, **extra) -> dict:
    return {"hostid": host["id"], **oobm.render(ctx.store.get("oobm", host["id"])), **extra}


def _enable_disable(enabled: bool, host_id: str | None = None) -> dict:
    out = {"enabled": enabled, "status": True}
    if host_id:
        out["hostid"] = host_id
    return out


@api("configureOutOfBandManagement", response="outofbandmanagement",
     description="Configures a host's out-of-band management (driver, BMC address, credentials).",
     params=[P("hostid", "the host"), P("driver", "ipmitool, nestedcloudstack or redfish"),
             P("address", "BMC address"), P("port", "BMC port"), P("username", "BMC user"), P("password", "BMC password")])
def configure_out_of_band_management(ctx):
    host = ctx.store.get("host", ctx.get("hostid"))
    oobm.background_sync(ctx.store, ctx.config)
    oobm.configure(ctx.store, host, {k: ctx.get(k) for k in ("driver", "address", "port", "username", "password")})
    ctx.event("HOST.OOBM.CONFIGURE", f"Configuring out-of-band management for host {host['name']} with address "
                                     f"[{ctx.get('address')}] and port [{ctx.get('port')}]")
    return _host_response(ctx, host, status=True,
                          description=f"Out-of-band management successfully configured for {oobm.host_text(host)}.")


def _host_toggle(enabled: bool):
    def handler(ctx):
        host = ctx.store.get("host", ctx.get("hostid"))
        oobm.config_for(ctx.store, host)

        def run(jctx):
            oobm.set_host_enabled(jctx.store, jctx.store.get("host", host["id"]), enabled)
            jctx.event("HOST.OOBM.ENABLE" if enabled else "HOST.OOBM.DISABLE",
                       f"Host Id:{host['id']} out-of-band management enabled: {str(enabled).lower()}")
            return _enable_disable(enabled, host["id"])

        return Job(run, instance_id=host["id"])
    return handler


def _scope_toggle(scope: str, enabled: bool):
    param = f"{scope}id"

    def handler(ctx):
        scope_id = ctx.get(param)

        def run(jctx):
            oobm.set_scope_enabled(jctx.store, scope, scope_id, enabled)
            jctx.event("HOST.OOBM.ENABLE" if enabled else "HOST.OOBM.DISABLE",
                       f"{scope.capitalize()} Id:{scope_id} out-of-band management enabled: {str(enabled).lower()}")
            return _enable_disable(enabled)

        return Job(run, instance_id=scope_id)
    return handler


for _enabled, _verb in ((True, "enable"), (False, "disable")):
    api(f"{_verb}OutOfBandManagementForHost", response="outofbandmanagement",
        description=f"{_verb.capitalize()}s out-of-band management for a configured host.",
        params=[P("hostid", "the host")])(_host_toggle(_enabled))
    api(f"{_verb}OutOfBandManagementForCluster", response="outofbandmanagement",
        description=f"{_verb.capitalize()}s out-of-band management for a cluster's hosts.",
        params=[P("clusterid", "the cluster")])(_scope_toggle("cluster", _enabled))
    api(f"{_verb}OutOfBandManagementForZone", response="outofbandmanagement",
        description=f"{_verb.capitalize()}s out-of-band management for a zone's hosts.",
        params=[P("zoneid", "the zone")])(_scope_toggle("zone", _enabled))


@api("issueOutOfBandManagementPowerAction", response="outofbandmanagement",
     description="Runs a power action (ON, OFF, CYCLE, RESET, SOFT, STATUS) through the host's BMC.",
     params=[P("hostid", "the host"), P("timeout", "seconds the action may take"), P("action", "the power action")])
def issue_power_action(ctx):
    host = ctx.store.get("host", ctx.get("hostid"))
    action = ctx.get("action")
    if action not in oobm.OPERATIONS:
        raise errors.invalid_value(f"No enum constant org.apache.cloudstack.outofbandmanagement.OutOfBandManagement."
                                   f"PowerOperation.{action}")

    def run(jctx):
        current = jctx.store.get("host", host["id"])
        oobm.background_sync(jctx.store, jctx.config)
        row, result = oobm.power_action(jctx.store, current, action)
        jctx.event("HOST.OOBM.ACTION", f"Host Id: {host['id']} Action: {action}")
        return {"hostid": host["id"], **oobm.render(row), "status": True, "description": result, "action": action}

    return Job(run, instance_id=host["id"])


@api("changeOutOfBandManagementPassword", response="outofbandmanagement",
     description="Changes the BMC password of a host (through the driver, then in CloudStack).",
     params=[P("hostid", "the host"), P("password", "the new password")])
def change_password(ctx):
    host = ctx.store.get("host", ctx.get("hostid"))

    def run(jctx):
        oobm.change_password(jctx.store, jctx.store.get("host", host["id"]), jctx.get("password"))
        jctx.event("HOST.OOBM.CHANGEPASSWORD", f"updating out-of-band management password for host {host['id']}")
        return {"hostid": host["id"], "status": True}

    return Job(run, instance_id=host["id"])
