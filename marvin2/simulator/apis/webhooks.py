"""Webhooks: createWebhook, listWebhooks, updateWebhook, deleteWebhook, listWebhookDeliveries,
deleteWebhookDelivery, executeWebhookDelivery. The rules and the dispatcher live in services/webhooks.py."""
from __future__ import annotations

from marvin2.simulator import errors
from marvin2.simulator.services.common import (
    check_owned,
    list_owned,
    owner_fields,
    owner_for_create,
)
from marvin2.simulator.services.accounts import register_account_cleanup
from marvin2.simulator.context import SUCCESS, ListResult
from marvin2.simulator.declare import ACCOUNT_SCOPE, PAGING, P, api, declare_object
from marvin2.simulator.services import webhooks as service

register_account_cleanup(service.release_account)

declare_object("webhook", {
    "id": "webhook id", "name": "its name", "description": "its description", "state": "Enabled or Disabled",
    "domainid": "owner domain id", "domain": "owner domain", "domainpath": "owner domain path",
    "account": "owner account", "projectid": "owning project", "project": "its name",
    "payloadurl": "where events are POSTed", "secretkey": "the key payloads are signed with",
    "sslverification": ("boolean", "verify the endpoint's certificate"), "scope": "Local, Domain or Global",
    "created": ("date", "when it was created"),
})
declare_object("webhookdelivery", {
    "id": "delivery id", "eventid": "the event", "eventtype": "its type", "webhookid": "the webhook",
    "webhookname": "its name", "managementserverid": "the management server that delivered it",
    "managementservername": "its name", "headers": "the request headers", "payload": "the request body",
    "success": ("boolean", "the endpoint answered 200"), "response": "what the endpoint answered",
    "startdate": ("date", "when the delivery started"), "enddate": ("date", "when it ended"),
})


def render_webhook(ctx, row: dict) -> dict:
    return {"id": row["id"], "name": row["name"], "description": row.get("description"), "state": row["state"],
            **owner_fields(ctx, row), "payloadurl": row["payloadurl"], "secretkey": row.get("secretkey"),
            "sslverification": bool(row.get("sslverification")), "scope": row["scope"], "created": row.get("created")}


def render_delivery(row: dict) -> dict:
    return {k: row.get(k) for k in ("id", "eventid", "eventtype", "webhookid", "webhookname", "headers", "payload",
                                    "success", "response", "startdate", "enddate")}


def _webhook(ctx, webhook_id: str) -> dict:
    row = ctx.store.get(service.KIND, webhook_id)
    if row is None:
        raise service._failure("Unable to find the webhook with the specified ID")
    return check_owned(ctx, row, "webhook")


@api("createWebhook", response="webhook", description="Creates a webhook: events are POSTed to its payload URL.",
     params=[P("name", "webhook name"), P("description", "its description"), P("state", "Enabled or Disabled"),
             P("account"), P("domainid"), P("projectid", entity="project"),
             P("payloadurl", "where events are POSTed (http:// is added when no scheme is given)"),
             P("secretkey", "signs payloads (X-CS-Signature)"), P("sslverification", "verify HTTPS certificates"),
             P("scope", "Local (own events), Domain or Global")])
def create_webhook(ctx):
    service.ensure_running(ctx.sim)
    owner = owner_for_create(ctx)
    row = service.create(ctx.store, owner, name=ctx.get("name"), description=ctx.get("description"),
                         url=service.normalized_url(ctx.get("payloadurl")), secret=ctx.get("secretkey"),
                         ssl_verification=bool(ctx.get("sslverification")),
                         scope=service.parse_scope(ctx.get("scope"), "Local"),
                         state=service.parse_state(ctx.get("state"), "Enabled"), domain_id=ctx.get("domainid"))
    return render_webhook(ctx, row)


@api("listWebhooks", response="webhook", related="createWebhook", description="Lists the webhooks the caller may see.",
     params=[*PAGING, *ACCOUNT_SCOPE, P("id", entity="webhook"), P("state", "Enabled or Disabled"), P("name"),
             P("scope", "Local, Domain or Global"), P("projectid", entity="project")])
def list_webhooks(ctx):
    scope = service.parse_scope(ctx.get("scope"), None)
    service.check_scope_for_lister(scope, ctx.caller.account)
    state = service.parse_state(ctx.get("state"), None)

    def match(row):
        return (scope is None or row["scope"] == scope) and (state is None or row["state"] == state)

    return list_owned(ctx, service.KIND, lambda row: render_webhook(ctx, row), match=match, keyword_fields=("name",))


@api("updateWebhook", response="webhook", description="Changes a webhook.",
     params=[P("id", entity="webhook"), P("name"), P("description"), P("state", "Enabled or Disabled"),
             P("payloadurl", "the new payload URL"), P("secretkey", "the new key (blank: none)"),
             P("sslverification", "verify HTTPS certificates"), P("scope", "Local, Domain or Global")])
def update_webhook(ctx):
    service.ensure_running(ctx.sim)
    row = _webhook(ctx, ctx.get("id"))
    owner = ctx.store.get("account", row["accountid"])
    changes = {k: ctx.get(k) for k in ("name", "description", "state", "scope", "secretkey", "sslverification")}
    changes["payloadurl"] = service.normalized_url(ctx.get("payloadurl"))
    return render_webhook(ctx, service.update(ctx.store, row, owner, changes))


@api("deleteWebhook", response="success", description="Deletes a webhook and its deliveries.",
     params=[P("id", entity="webhook")])
def delete_webhook(ctx):
    service.delete(ctx.store, _webhook(ctx, ctx.get("id")))
    return SUCCESS


def _delivery_scope(ctx) -> set[str] | None:
    """The webhooks whose deliveries the request may touch (None: every one, for the root admin)."""
    if ctx.has("id"):
        delivery = ctx.store.get(service.DELIVERY_KIND, ctx.get("id"))
        if delivery is None:
            raise service._failure("Invalid ID specified")
        hook = ctx.store.get(service.KIND, delivery["webhookid"])
        if hook is not None:
            check_owned(ctx, hook, "webhook")
    if ctx.has("webhookid"):
        hook = ctx.store.get(service.KIND, ctx.get("webhookid"))
        if hook is None:
            raise service._failure("Invalid Webhook specified")
        check_owned(ctx, hook, "webhook")
        return {hook["id"]}
    start, end = ctx.get("startdate"), ctx.get("enddate")
    if start and end and end < start:
        raise service._failure("Invalid enddate specified")
    if ctx.has("managementserverid"):
        if not ctx.caller.is_root_admin:
            raise errors.permission_denied("Invalid parameter specified")
        raise service._failure("Invalid management server specified")   # the simulator has none to name
    if ctx.caller.is_root_admin:
        return None
    return {h["id"] for h in ctx.store.all(service.KIND) if ctx.can_access(h)}


def _chosen_deliveries(ctx, hooks: set[str] | None) -> list[dict]:
    start, end = ctx.get("startdate"), ctx.get("enddate")
    keyword = (ctx.get("keyword") or "").lower()

    def chosen(row):
        day = str(row.get("startdate") or "")[:10]
        return ((hooks is None or row["webhookid"] in hooks)
                and (not ctx.has("id") or row["id"] == ctx.get("id"))
                and (not ctx.has("eventtype") or row.get("eventtype") == ctx.get("eventtype"))
                and (not keyword or keyword in (row.get("eventtype") or "").lower()
                     or keyword in (row.get("payload") or "").lower())
                and (start is None or day >= start.isoformat()) and (end is None or day <= end.isoformat()))

    return [row for row in reversed(ctx.store.all(service.DELIVERY_KIND)) if chosen(row)]


@api("listWebhookDeliveries", response="webhookdelivery", description="Lists webhook deliveries, newest first.",
     params=[*PAGING, P("id", "the delivery", entity=""), P("webhookid", "the webhook", entity=""),
             P("managementserverid", "delivered by this management server", entity=""),
             P("startdate", "started on or after this day"), P("enddate", "started up to this day"),
             P("eventtype", "the event type")])
def list_webhook_deliveries(ctx):
    page = ctx.paginate([render_delivery(r) for r in _chosen_deliveries(ctx, _delivery_scope(ctx))])
    return ListResult(page.items, page.count)


@api("deleteWebhookDelivery", response="success", description="Deletes webhook deliveries.",
     params=[P("id", "the delivery", entity=""), P("webhookid", "the webhook", entity=""),
             P("managementserverid", "delivered by this management server", entity=""),
             P("startdate", "started on or after this day"), P("enddate", "started up to this day")])
def delete_webhook_delivery(ctx):
    for row in _chosen_deliveries(ctx, _delivery_scope(ctx)):
        ctx.store.delete(service.DELIVERY_KIND, row["id"])
    return SUCCESS


@api("executeWebhookDelivery", response="webhookdelivery",
     description="Delivers now: a recorded delivery again, or a test payload to a webhook or a payload URL.",
     params=[P("id", "a recorded delivery to repeat", entity=""), P("webhookid", "the webhook", entity=""),
             P("payloadurl", "deliver here instead"), P("secretkey", "sign with this key instead"),
             P("sslverification", "verify HTTPS certificates"), P("payload", "the test payload")])
def execute_webhook_delivery(ctx):
    url = service.normalized_url(ctx.get("payloadurl"))
    if not ctx.has("id") and not ctx.has("webhookid") and not (url or "").strip():
        raise service._failure("One of the id, webhookid or payloadurl must be specified")
    existing, hook = None, None
    if ctx.has("id"):
        existing = ctx.store.get(service.DELIVERY_KIND, ctx.get("id"))
        if existing is None:
            raise service._failure("Invalid webhook delivery specified")
        hook = ctx.store.get(service.KIND, existing["webhookid"])
    if (url or "").strip():
        service.validate_url(url)
    if ctx.has("webhookid"):
        hook = ctx.store.get(service.KIND, ctx.get("webhookid"))
        if hook is None:
            raise service._failure("Invalid webhook specified")
    if hook is not None:
        check_owned(ctx, hook, "webhook")
        hook = dict(hook)
        if (url or "").strip():
            hook["payloadurl"] = url
        if (ctx.get("secretkey") or "").strip():
            hook["secretkey"] = ctx.get("secretkey")
    else:
        hook = {"payloadurl": url, "secretkey": ctx.get("secretkey"), "accountid": ctx.caller.account_id,
                "domainid": ctx.caller.domain_id}
    delivery = service.manual_delivery(ctx.sim, hook, existing, ctx.get("payload"), ctx.caller.account_id)
    return render_delivery(delivery)
