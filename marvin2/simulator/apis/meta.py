"""APIs about the API itself: listApis, async jobs, capabilities, hypervisors,
events, resource tags, and the simulator-only fault injection controls."""
from __future__ import annotations

from marvin2.simulator import auth, errors, facts, jobs, tagging
from marvin2.simulator.context import SUCCESS, Job, ListResult, Raw
from marvin2.simulator.declare import (
    ACCOUNT_SCOPE,
    ADMIN_ONLY,
    OBJECTS,
    PAGING,
    REGISTRY,
    P,
    api,
    declare_object,
)
from marvin2.simulator.faults import FaultRule
from marvin2.simulator.validation import map_as_dict

CLOUDSTACK_VERSION = facts.TARGET_VERSION

# Resource types a tag can be put on, for the kinds the core owns (other modules add theirs).
for _type, _kind in (("Zone", "zone"), ("Domain", "domain"), ("Account", "account"), ("User", "user"),
                     ("ServiceOffering", "serviceoffering"), ("DiskOffering", "diskoffering"),
                     ("NetworkOffering", "networkoffering"), ("VpcOffering", "vpcoffering"),
                     ("Storage", "storagepool"), ("PublicIpAddress", "publicipaddress"), ("Template", "template"),
                     ("GuestOs", "ostype")):
    tagging.register_taggable(_type, _kind)

declare_object("asyncjobs", {
    "jobid": "id of the job", "accountid": "account that started the job", "userid": "user that started the job",
    "cmd": "the Java command class the job runs", "jobstatus": ("integer", "0 pending, 1 succeeded, 2 failed"),
    "jobprocstatus": ("integer", "progress status of the job"), "jobresultcode": ("integer", "error code of a failed job, else 0"),
    "jobresulttype": "type of the result (object)", "jobresult": ("responseobject", "what the job produced"),
    "jobinstancetype": "kind of the object the job acts on", "jobinstanceid": "id of the object the job acts on",
    "created": ("date", "when the job started"), "completed": ("date", "when the job ended"),
})
declare_object("tag", {
    "key": "tag key", "value": "tag value", "resourcetype": "type of the tagged resource",
    "resourceid": "id of the tagged resource", "account": "owner account", "domainid": "owner domain id",
    "domain": "owner domain name", "customer": "customer the tag is for", "project": "owner project",
})
declare_object("capability", {
    "cloudstackversion": "version of the management server", "securitygroupsenabled": ("boolean", "security groups usable"),
    "userpublictemplateenabled": ("boolean", "users may publish templates"), "supportELB": "elastic load balancing support",
    "projectinviterequired": ("boolean", "project membership needs an invitation"),
    "allowusercreateprojects": ("boolean", "users may create projects"), "kvmsnapshotenabled": ("boolean", "KVM snapshots"),
    "apilimitinterval": ("integer", "API throttling window (s)"), "apilimitmax": ("integer", "API calls allowed per window"),
    "customdiskofferingminsize": ("long", "smallest custom disk (GB)"), "customdiskofferingmaxsize": ("long", "largest custom disk (GB)"),
    "regionsecondaryenabled": ("boolean", "region-wide secondary storage"), "dynamicrolesenabled": ("boolean", "roles are dynamic"),
    "allowuserexpungerecovervm": ("boolean", "users may expunge/recover VMs"),
})
declare_object("hypervisor", {"name": "hypervisor name"})
declare_object("event", {
    "id": "event id", "type": "event type (VM.CREATE ...)", "level": "INFO, WARN or ERROR", "description": "what happened",
    "state": "Created, Scheduled, Started or Completed", "username": "who caused it", "account": "owner account",
    "domainid": "owner domain id", "domain": "owner domain", "created": ("date", "when"), "parentid": "the event this one follows",
})
declare_object("simulatorfault", {
    "command": "the command the rule applies to, or *", "errorrate": ("float", "probability of an error answer"),
    "errorcode": ("integer", "error code answered"), "errortext": "error text answered",
    "latencyms": ("integer", "added latency"), "droprate": ("float", "probability of a dropped connection"),
    "jobfailurerate": ("float", "probability that an async job fails"),
    "account": "uuid of the account the rule is limited to (absent: a global rule)",
})
declare_object("apikeys", {"apikey": "the API key", "secretkey": "the secret key"})


# --- listApis --------------------------------------------------------------------------------


def _api_entry(declared) -> dict:
    params = []
    for p in declared.params_for(root_admin=True):
        if not p.listed:
            continue
        entry = {"name": p.name, "description": p.describe(), "type": p.type, "length": p.length, "required": p.required}
        if p.since:
            entry["since"] = p.since
        params.append(entry)
    if not declared.implemented:
        response = []
    elif declared.response == "success":
        response = [{"name": "success", "description": "true when the operation worked", "type": "boolean"},
                    {"name": "displaytext", "description": "any text returned with the result", "type": "string"}]
    else:
        response = [{"name": f.name, "description": f.description, "type": f.type} for f in OBJECTS.get(declared.response, ())]
    description = declared.description or (
        f"A CloudStack {facts.TARGET_VERSION} API that the marvin2 simulator does not implement (it answers 530).")
    out = {"name": declared.name, "description": description, "isasync": declared.is_async,
           "related": declared.related, "params": params, "response": response}
    if declared.since:
        out["since"] = declared.since
    return out


declare_object("api", {
    "name": "API name", "description": "what the API does", "isasync": ("boolean", "true for async APIs"),
    "related": "related APIs", "since": "version that introduced it", "params": ("set", "accepted parameters"),
    "response": ("set", "fields of the response"),
})


@api("listApis", response="api", description="Lists the APIs this server offers to the caller, with their parameters and response fields.",
     params=[P("name", "only this API")])
def list_apis(ctx):
    # Every API a default install offers, implemented or not, as a real server lists its whole surface.
    visible = [d for d in REGISTRY.surface() if auth.is_allowed(ctx.store, ctx.caller, d)]
    if ctx.has("name"):
        visible = [d for d in visible if d.name == ctx.get("name")]
        if not visible:
            raise errors.invalid_value(f"API {ctx.get('name')} does not exist or is not available for this account")
    return ListResult([_api_entry(d) for d in visible], len(visible))


# --- async jobs ----------------------------------------------------------------------------------


@api("queryAsyncJobResult", response="asyncjobs",
     description="Returns the status and, once finished, the result of an async job.",
     params=[P("jobid", "the job", entity="asyncjob")])
def query_async_job_result(ctx):
    row = ctx.store.get("asyncjob", ctx.get("jobid"))
    if not ctx.can_access(row):
        raise errors.permission_denied(f"Account {ctx.caller.account['name']} does not have permission to access job {row['id']}")
    return Raw(jobs.render_job(row))


@api("listAsyncJobs", response="asyncjobs", related="queryAsyncJobResult",
     description="Lists the async jobs of the caller (or of the accounts it administers), of every status.",
     params=[*PAGING, *ACCOUNT_SCOPE, P("startdate", "only jobs created on or after this day")])
def list_async_jobs(ctx):
    since = ctx.get("startdate")
    match = (lambda row: row.get("created", "")[:10] >= since.isoformat()) if since else None
    return ctx.list("asyncjob", jobs.render_job, match=match, keyword_fields=("command", "cmd"), owned=True)


# --- capabilities, hypervisors, events ---------------------------------------------------------


@api("listCapabilities", response="capability",
     description="Describes what this management server supports (version, security groups, limits ...).")
def list_capabilities(ctx):
    sg = any(z.get("securitygroupsenabled") for z in ctx.store.all("zone"))
    return {"cloudstackversion": CLOUDSTACK_VERSION, "securitygroupsenabled": sg, "userpublictemplateenabled": True,
            "supportELB": "false", "projectinviterequired": False, "allowusercreateprojects": True,
            "kvmsnapshotenabled": False, "apilimitinterval": 1, "apilimitmax": -1,
            "customdiskofferingminsize": 1, "customdiskofferingmaxsize": 1024, "regionsecondaryenabled": False,
            "dynamicrolesenabled": True, "allowuserexpungerecovervm": False, "allowuserviewdestroyedvm": False,
            "allowuserviewalldomainaccounts": False, "kubernetesserviceenabled": False,
            "kubernetesclusterexperimentalfeaturesenabled": False, "defaultuipagesize": 20,
            "instancesstatsretentiontime": 720, "instancesstatsuseronly": False, "instancesdisksstatsretentionenabled": False,
            "instancesdisksstatsretentiontime": 720, "sharedfsvmminramsize": None}


@api("listHypervisors", response="hypervisor",
     description="Lists the hypervisor types available (in a zone when zoneid is given).",
     params=[P("zoneid", "only hypervisors with a cluster in this zone")])
def list_hypervisors(ctx):
    clusters = ctx.store.find("cluster", zoneid=ctx.get("zoneid")) if ctx.has("zoneid") else ctx.store.all("cluster")
    names = sorted({c["hypervisortype"] for c in clusters}) or ["Simulator"]
    return ListResult([{"name": n} for n in names], len(names))


def render_event(ctx, row: dict) -> dict:
    out = {k: row.get(k) for k in ("id", "type", "level", "description", "state", "username", "created", "parentid",
                                    "resourceid", "resourcetype")}
    out.update(ctx.owner_fields(row))
    return out


@api("listEvents", response="event",
     description="Lists the events (what happened, to what, by whom) the caller may see.",
     params=[*PAGING, *ACCOUNT_SCOPE, P("id", entity="event"), P("projectid", entity="project"),
             P("duration", "events older than this many seconds"),
             P("entrytime", "events pending longer than this many seconds"),
             P("enddate", "events up to this day"), P("startdate", "events from this day"),
             P("level", "INFO, WARN or ERROR"), P("type", "event type such as VM.CREATE"),
             P("resourceid", "the resource the event is about"),
             P("resourcetype", "type of the resource the event is about"),
             P("startid", "events that follow this event", entity="event")])
def list_events(ctx):
    start, end = ctx.get("startdate"), ctx.get("enddate")

    def match(row):
        day = row.get("created", "")[:10]
        return ((not ctx.has("level") or row.get("level") == ctx.get("level"))
                and (not ctx.has("type") or row.get("type") == ctx.get("type"))
                and (not ctx.has("resourceid") or row.get("resourceid") == ctx.get("resourceid"))
                and (not ctx.has("resourcetype") or str(row.get("resourcetype", "")).lower() == ctx.get("resourcetype").lower())
                and (start is None or day >= start.isoformat()) and (end is None or day <= end.isoformat())
                and (not ctx.has("startid") or row.get("parentid") == ctx.get("startid")))

    return ctx.list("event", lambda row: render_event(ctx, row), match=match, keyword_fields=("description", "type"),
                    owned=True)


# --- resource tags (async in 4.18) -------------------------------------------------------------


def _tag_targets(ctx) -> tuple[str, list[dict]]:
    resource_type = ctx.get("resourcetype")
    known = tagging.taggable(resource_type)
    if known is None:
        raise errors.invalid_value(f"Invalid resource type {resource_type}: it cannot be tagged in this simulator")
    proper, kind = known
    rows = []
    for resource_id in ctx.get("resourceids"):
        row = ctx.store.get(kind, resource_id.lower())
        if row is None or row.get("removed"):
            raise errors.invalid_value(f"Unable to find resource by id {resource_id} and type {proper}")
        owned = _ownership(kind, row)
        ctx.check_access(owned, proper)
        rows.append({**row, **owned})
    return proper, rows


def _ownership(kind: str, row: dict) -> dict:
    """accountid/domainid of a taggable row (an account owns itself; a domain belongs to itself)."""
    if kind == "account":
        return {"accountid": row["id"], "domainid": row["domainid"]}
    if kind == "domain":
        return {"accountid": None, "domainid": row["id"]}
    return {"accountid": row.get("accountid"), "domainid": row.get("domainid")}


@api("createTags", response="success", instance_type="None",
     description="Puts key/value tags on one or more resources of one type.",
     params=[P("resourceids", "the resources to tag"),
             P("resourcetype", "their type (UserVm, Volume, Zone ...)"),
             P("tags", "the tags as tags[i].key / tags[i].value"),
             P("customer", "the customer the tags are for")])
def create_tags(ctx):
    proper, rows = _tag_targets(ctx)
    wanted = map_as_dict(ctx.get("tags"))
    requested_ids = dict(zip((row["id"] for row in rows), ctx.get("resourceids")))
    owner = ctx.caller.account

    def run(jctx):
        # As CloudStack 4.18 does it, inside the job and in one transaction: key by key, resource by
        # resource; an empty value or a key the resource already has fails the job and keeps nothing.
        for key, value in wanted.items():
            for row in rows:
                if not value:
                    raise errors.invalid_value(f"Value for the key {key} is either null or empty")
                if jctx.store.find_one("resourcetag", resourceid=row["id"], key=key):
                    # The database's unique key (resource, key) refuses it: a CloudRuntimeException.
                    raise errors.internal_error(f"tag {key} already on {proper} with id {requested_ids[row['id']]}")
                jctx.store.insert("resourcetag", {"key": key, "value": value, "resourceid": row["id"],
                                                  "resourcetype": proper, "customer": ctx.get("customer"),
                                                  "accountid": row.get("accountid") or owner["id"],
                                                  "domainid": row.get("domainid") or owner["domainid"]})
        jctx.event("CREATE_TAGS", f"created tags on {len(rows)} {proper}")
        return SUCCESS

    return Job(run)


def _tags_to_delete(tags: list[dict], wanted: dict[str, str] | None) -> list[dict]:
    """CloudStack's matching: every tag when no map is given, else keys and values compared ignoring
    case, and a key without a value matches any value."""
    if not wanted:
        return list(tags)
    lowered = {key.lower(): (value or "").lower() for key, value in wanted.items()}

    def matches(tag: dict) -> bool:
        key = tag["key"].lower()
        return key in lowered and lowered[key] in ("", tag["value"].lower())

    return [tag for tag in tags if matches(tag)]


@api("deleteTags", response="success", instance_type="None",
     description="Removes tags (all of them, or those named) from resources of one type.",
     params=[P("resourceids", "the resources"), P("resourcetype", "their type"),
             P("tags", "only these tags (a key alone matches any value)")])
def delete_tags(ctx):
    proper, rows = _tag_targets(ctx)
    wanted = map_as_dict(ctx.get("tags")) if ctx.has("tags") else None

    def run(jctx):
        present = [tag for row in rows for tag in jctx.store.find("resourcetag", resourceid=row["id"])]
        doomed = _tags_to_delete(present, wanted)
        if not doomed:
            # The service answers false and the command turns it into a server error.
            raise errors.ApiError(530, "Failed to delete tags", errors.CS_SERVER)
        for tag in doomed:
            jctx.store.delete("resourcetag", tag["id"])
        jctx.event("DELETE_TAGS", f"deleted tags of {len(rows)} {proper}")
        return SUCCESS

    return Job(run)


@api("listTags", response="tag",
     description="Lists resource tags the caller may see.",
     params=[*PAGING, *ACCOUNT_SCOPE, P("projectid", entity="project"), P("customer"),
             P("key", "tag key"), P("value", "tag value"),
             P("resourceid", "id of the tagged resource"),
             P("resourcetype", "type of the tagged resource")])
def list_tags(ctx):
    def match(row):
        return ((not ctx.has("resourcetype") or row["resourcetype"].lower() == ctx.get("resourcetype").lower())
                and all(not ctx.has(f) or row.get(f) == ctx.get(f) for f in ("key", "value", "resourceid", "customer")))

    return ctx.list("resourcetag", lambda row: tagging.render_tag(ctx, row), match=match, keyword_fields=("key", "value"),
                    owned=True)


# --- fault injection (simulator only) ------------------------------------------------------------


@api("configureSimulatorFaults", response="simulatorfault", roles=ADMIN_ONLY, simulator_only=True,
     description="Simulator only: make a command (or * for all) fail, slow down, drop connections or fail its jobs, "
                 "for every caller or only for the callers of one account. clear=true removes rules: the account's "
                 "(of apiname if given) with account, else every rule (of apiname if given).",
     params=[P("apiname", "the command the rule applies to, or * for every command (default *)"),
             P("errorrate", "probability (0-1) that a call answers with an error", type="float"),
             P("errorcode", "error code of injected errors (default 530)", type="integer"),
             P("errortext", "error text of injected errors"),
             P("latencyms", "milliseconds added to each call", type="integer"),
             P("droprate", "probability (0-1) that the connection is closed without an answer", type="float"),
             P("jobfailurerate", "probability (0-1) that an async job fails", type="float"),
             P("seed", "seed of this rule's random generator (same seed, same fault sequence); without account "
                       "also the seed of later rules set without one", type="long"),
             P("account", "limit the rule to calls (and async jobs) of this account's callers (its uuid)",
               type="uuid", entity="account"),
             P("clear", "remove the rule(s) instead of setting one", type="boolean")])
def configure_simulator_faults(ctx):
    faults = ctx.sim.faults
    account = _fault_account(ctx)
    seed = ctx.get("seed")
    # A global seed becomes the simulator's fault seed, as before; an account's seed seeds only its own
    # rule, so a test scoped to its account never changes what other tests' rules roll.
    if seed is not None and account is None:
        faults.reseed(seed)
    if ctx.get("clear"):
        faults.clear(ctx.get("apiname"), account)
        return SUCCESS
    rule = FaultRule(command=ctx.get("apiname", "*"), errorrate=ctx.get("errorrate", 0.0),
                     errorcode=ctx.get("errorcode", 530), errortext=ctx.get("errortext", ""),
                     latencyms=ctx.get("latencyms", 0), droprate=ctx.get("droprate", 0.0),
                     jobfailurerate=ctx.get("jobfailurerate", 0.0), account=account)
    try:
        faults.set(rule, seed)
    except ValueError as exc:
        raise errors.invalid_value(str(exc)) from None
    return rule.describe()


def _fault_account(ctx) -> str | None:
    """The uuid of the ``account`` parameter's live account, or None when not given."""
    if not ctx.has("account"):
        return None
    value = ctx.get("account")
    row = ctx.store.get("account", value)
    # Validation let "-1" and unknown numeric ids through (as for every uuid parameter); a rule needs a real account.
    if row is None or row.get("removed"):
        raise errors.unknown_uuid(ctx.command, "account", str(value))
    return row["id"]


@api("listSimulatorFaults", response="simulatorfault", roles=ADMIN_ONLY, simulator_only=True,
     description="Simulator only: lists the fault injection rules in force (global ones without an account).",
     params=[P("account", "only the rules limited to this account (its uuid)", type="uuid", entity="account")])
def list_simulator_faults(ctx):
    rules = [r.describe() for r in ctx.sim.faults.listed(_fault_account(ctx))]
    return ListResult(rules, len(rules))
