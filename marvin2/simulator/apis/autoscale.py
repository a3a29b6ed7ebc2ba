"""Autoscale counters, conditions and policies: createCounter, listCounters, deleteCounter, createCondition,
listConditions, updateCondition, deleteCondition, createAutoScalePolicy, listAutoScalePolicies,
updateAutoScalePolicy, deleteAutoScalePolicy. The rules live in services/autoscale.py."""
from __future__ import annotations

from marvin2.simulator import errors
from marvin2.simulator.services.common import (
    check_owned,
    list_owned,
    owner_fields,
    owner_for_create,
)
from marvin2.simulator.services.accounts import register_account_cleanup
from marvin2.simulator.context import SUCCESS, Job, ListResult
from marvin2.simulator.declare import (
    ACCOUNT_SCOPE,
    ADMIN_ONLY,
    PAGING,
    P,
    api,
    declare_object,
)
from marvin2.simulator.services import autoscale as service

register_account_cleanup(service.release_account)

declare_object("counter", {"id": "counter id", "name": "counter name", "source": "what measures it",
                           "value": "the metric", "provider": "the network provider"})
declare_object("condition", {
    "id": "condition id", "threshold": ("long", "the threshold"), "relationaloperator": "EQ, GT, LT, GE or LE",
    "counterid": "the counter", "countername": "its name", "counter": ("object", "the counter"),
    "account": "owner account", "domainid": "owner domain id", "domain": "owner domain",
    "domainpath": "owner domain path", "projectid": "owning project", "project": "its name",
})


def render_counter(row: dict) -> dict:
    return {k: row.get(k) for k in ("id", "name", "source", "value", "provider")}


def render_condition(ctx, row: dict) -> dict:
    counter = ctx.store.get(service.COUNTER_KIND, row["counterid"]) or {}
    return {"id": row["id"], "threshold": row["threshold"], "relationaloperator": row["relationaloperator"],
            "counterid": row["counterid"], "countername": counter.get("name"),
            "counter": render_counter(counter) if counter else None, **owner_fields(ctx, row)}


def _counter(ctx, counter_id: str, not_found: str) -> dict:
    service.ensure_counters(ctx.store)
    row = ctx.store.get(service.COUNTER_KIND, counter_id)
    if row is None:
        raise errors.invalid_value(not_found)
    return row


@api("createCounter", response="counter", roles=ADMIN_ONLY, instance_type="Counter",
     description="Adds an autoscale counter (a metric a provider measures).",
     params=[P("name", "counter name"), P("source", "NETSCALER, SNMP, CPU, MEMORY or VIRTUALROUTER"),
             P("value", "the metric"), P("provider", "the network provider")])
def create_counter(ctx):
    service.ensure_counters(ctx.store)
    row = service.create_counter(ctx.store, ctx.get("name"), ctx.get("source"), ctx.get("value"), ctx.get("provider"))

    def run(jctx):
        jctx.event("COUNTER.CREATE", f" Id: {row['id']} Name: {row['name']}")
        return render_counter(jctx.store.get(service.COUNTER_KIND, row["id"]))

    return Job(run, entity_id=row["id"])


@api("listCounters", response="counter", description="Lists the autoscale counters, newest first.",
     params=[*PAGING, P("id", "the counter", entity=""), P("name"), P("source", "the source"),
             P("provider", "the network provider")])
def list_counters(ctx):
    service.ensure_counters(ctx.store)
    rows = service.search_counters(ctx.store, counter_id=ctx.get("id"), name=ctx.get("name"), source=ctx.get("source"),
                                   provider=ctx.get("provider"), keyword=ctx.get("keyword"))
    page = ctx.paginate([render_counter(r) for r in rows])
    return ListResult(page.items, page.count)


@api("deleteCounter", response="success", roles=ADMIN_ONLY, instance_type="Counter",
     description="Deletes an autoscale counter no condition uses.", params=[P("id", "the counter", entity="")])
def delete_counter(ctx):
    counter = _counter(ctx, ctx.get("id"), "Unable to find Counter")

    def run(jctx):
        service.delete_counter(jctx.store, counter)
        jctx.event("COUNTER.DELETE", f"Deleting a counter. Id: {counter['id']}")
        return SUCCESS

    return Job(run, instance_id=counter["id"])


@api("createCondition", response="condition", instance_type="Condition",
     description="Creates an autoscale condition: a counter compared with a threshold.",
     params=[P("counterid", "the counter", entity=""), P("relationaloperator", "EQ, GT, LT, GE or LE"),
             P("threshold", "the threshold"), P("account"), P("domainid"), P("projectid", entity="project")])
def create_condition(ctx):
    owner = owner_for_create(ctx)
    operator = service.check_condition(ctx.get("relationaloperator"), ctx.get("threshold"), "create")
    counter = _counter(ctx, ctx.get("counterid"), "Unable to find counter")
    row = service.create_condition(ctx.store, owner, counter, operator, ctx.get("threshold"))

    def run(jctx):
        jctx.event("CONDITION.CREATE", f" Id: {row['id']}", account=owner)
        return render_condition(jctx, jctx.store.get(service.CONDITION_KIND, row["id"]))

    return Job(run, entity_id=row["id"])


@api("listConditions", response="condition", description="Lists the autoscale conditions the caller may see.",
     params=[*PAGING, *ACCOUNT_SCOPE, P("id", "the condition", entity=""), P("counterid", "the counter", entity=""),
             P("policyid", "conditions of this autoscale policy", entity=""), P("projectid", entity="project")])
def list_conditions(ctx):
    in_policy = None
    if ctx.has("policyid"):
        policy = ctx.store.get(service.POLICY_KIND, ctx.get("policyid"))
        in_policy = set((policy or {}).get("conditionids") or [])

    def match(row):
        return (not ctx.has("id") or row["id"] == ctx.get("id")) and \
            (not ctx.has("counterid") or row["counterid"] == ctx.get("counterid")) and \
            (in_policy is None or row["id"] in in_policy)

    return list_owned(ctx, service.CONDITION_KIND, lambda row: render_condition(ctx, row), match=match)


def _condition(ctx) -> dict:
    row = ctx.store.get(service.CONDITION_KIND, ctx.get("id"))
    if row is None:
        raise errors.invalid_value("Unable to find Condition")
    return check_owned(ctx, row, "Condition")


@api("updateCondition", response="condition", instance_type="Condition",
     description="Changes the operator and threshold of an autoscale condition.",
     params=[P("id", "the condition", entity=""), P("relationaloperator", "EQ, GT, LT, GE or LE"),
             P("threshold", "the threshold")])
def update_condition(ctx):
    row = _condition(ctx)
    operator = service.check_condition(ctx.get("relationaloperator"), ctx.get("threshold"), "update")

    def run(jctx):
        updated = jctx.store.update(service.CONDITION_KIND, row["id"], relationaloperator=operator,
                                    threshold=jctx.get("threshold"))
        jctx.event("CONDITION.UPDATE", f"Updating a condition. Id: {row['id']}")
        return render_condition(jctx, updated)

    return Job(run, instance_id=row["id"])


@api("deleteCondition", response="success", instance_type="Condition",
     description="Deletes an autoscale condition.", params=[P("id", "the condition", entity="")])
def delete_condition(ctx):
    row = _condition(ctx)

    def run(jctx):
        if service.condition_in_use(jctx.store, row["id"]):
            raise errors.resource_in_use("Cannot delete Condition when it is in use by one or more AutoScale Policies.")
        jctx.store.delete(service.CONDITION_KIND, row["id"])
        jctx.event("CONDITION.DELETE", f"Deleting a condition. Id: {row['id']}")
        return SUCCESS

    return Job(run, instance_id=row["id"])


# --- policies --------------------------------------------------------------------------------------------------

declare_object("autoscalepolicy", {
    "id": "policy id", "name": "policy name", "action": "SCALEUP or SCALEDOWN",
    "duration": ("integer", "seconds the conditions must hold"), "quiettime": ("integer", "seconds to wait after"),
    "conditions": ("list", "the conditions"), "account": "owner account", "projectid": "owning project",
    "project": "its name", "domainid": "owner domain id", "domain": "owner domain", "domainpath": "owner domain path",
})


def render_policy(ctx, row: dict) -> dict:
    conditions = [ctx.store.get(service.CONDITION_KIND, c) for c in row.get("conditionids") or []]
    return {"id": row["id"], "name": row.get("name"), "action": row["action"], "duration": row["duration"],
            "quiettime": row["quiettime"], "conditions": [render_condition(ctx, c) for c in conditions if c],
            **owner_fields(ctx, row)}


def _policy(ctx) -> dict:
    row = ctx.store.get(service.POLICY_KIND, ctx.get("id"))
    if row is None:
        raise errors.invalid_value("Unable to find AutoScale Policy")
    return check_owned(ctx, row, "AutoScale Policy")


@api("createAutoScalePolicy", response="autoscalepolicy", instance_type="AutoScalePolicy",
     description="Creates an autoscale policy: scale up or down when its conditions hold for a duration.",
     params=[P("name", "policy name"), P("action", "ScaleUp or ScaleDown"),
             P("duration", "seconds the conditions must hold"), P("quiettime", "seconds to wait after scaling"),
             P("conditionids", "the conditions (one per counter)")])
def create_autoscale_policy(ctx):
    action = service.parse_action(ctx.get("action"))
    quiet = ctx.get("quiettime", service.DEFAULT_QUIET_TIME)
    service.check_times(ctx.get("duration"), quiet)
    conditions = service.policy_conditions(ctx, ctx.get("conditionids"))
    owner = ctx.store.get("account", conditions[0]["accountid"])
    row = ctx.store.insert(service.POLICY_KIND, {
        "name": ctx.get("name"), "action": action, "duration": ctx.get("duration"), "quiettime": quiet,
        "conditionids": [c["id"] for c in conditions], "accountid": owner["id"], "domainid": owner["domainid"]})

    def run(jctx):
        jctx.event("AUTOSCALEPOLICY.CREATE", f"creating autoscale policy {row['id']}", account=owner)
        return render_policy(jctx, jctx.store.get(service.POLICY_KIND, row["id"]))

    return Job(run, entity_id=row["id"])


@api("listAutoScalePolicies", response="autoscalepolicy", description="Lists the autoscale policies the caller may see.",
     params=[*PAGING, *ACCOUNT_SCOPE, P("id", "the policy", entity=""), P("name"),
             P("conditionid", "policies using this condition", entity=""), P("action", "ScaleUp or ScaleDown"),
             P("vmgroupid", "policies of this autoscale VM group", entity=""), P("projectid", entity="project")])
def list_autoscale_policies(ctx):
    action = service.parse_action(ctx.get("action"))

    def match(row):
        return ((not ctx.has("id") or row["id"] == ctx.get("id"))
                and (not ctx.has("name") or row.get("name") == ctx.get("name"))
                and (action is None or row["action"] == action)
                and (not ctx.has("conditionid") or ctx.get("conditionid") in (row.get("conditionids") or []))
                and not ctx.has("vmgroupid"))           # no autoscale VM groups exist in the simulator yet

    return list_owned(ctx, service.POLICY_KIND, lambda row: render_policy(ctx, row), match=match)


@api("updateAutoScalePolicy", response="autoscalepolicy", instance_type="AutoScalePolicy",
     description="Changes an autoscale policy's name, times or conditions.",
     params=[P("id", "the policy", entity=""), P("name"), P("duration", "seconds the conditions must hold"),
             P("quiettime", "seconds to wait after scaling"), P("conditionids", "the new conditions")])
def update_autoscale_policy(ctx):
    row = _policy(ctx)
    changes = {k: ctx.get(k) for k in ("name", "duration", "quiettime") if ctx.get(k) is not None}
    service.check_times(changes.get("duration", row["duration"]), changes.get("quiettime", row["quiettime"]))
    conditions = service.policy_conditions(ctx, ctx.get("conditionids"))
    if conditions is not None:
        changes["conditionids"] = [c["id"] for c in conditions]

    def run(jctx):
        updated = jctx.store.update(service.POLICY_KIND, row["id"], **changes)
        jctx.event("AUTOSCALEPOLICY.UPDATE", f"updating autoscale policy {row['id']}")
        return render_policy(jctx, updated)

    return Job(run, instance_id=row["id"])


@api("deleteAutoScalePolicy", response="success", instance_type="AutoScalePolicy",
     description="Deletes an autoscale policy.", params=[P("id", "the policy", entity="")])
def delete_autoscale_policy(ctx):
    row = _policy(ctx)

    def run(jctx):
        jctx.store.delete(service.POLICY_KIND, row["id"])
        jctx.event("AUTOSCALEPOLICY.DELETE", f"deleting autoscale policy {row['id']}")
        return SUCCESS

    return Job(run, instance_id=row["id"])
