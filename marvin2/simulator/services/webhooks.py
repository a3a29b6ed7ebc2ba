"""Webhooks (CloudStack 4.20's event-bus webhook plugin): events POSTed to HTTP endpoints, and their deliveries.

A webhook is a ``webhook`` row (owner ``accountid``/``domainid``, ``name``, ``description``, ``state``
Enabled/Disabled, ``payloadurl``, ``secretkey``, ``sslverification``, ``scope`` Local/Domain/Global). A
background dispatcher (one thread per simulator, started by the first webhook API call, handing deliveries to
``webhook.delivery.thread.pool.size`` workers) picks up the events
recorded after a webhook was created and delivers each to the enabled webhooks whose scope covers it: Local,
the owner's own events; Domain, events of the webhook's domain and its sub-domains; Global, every event. A
delivery POSTs the event as JSON with the headers ``X-CS-Event-ID``, ``X-CS-Event``, ``User-Agent:
CS-Hookshot/<account id>`` and, with a secret key, ``X-CS-Signature`` (base64 HMAC-SHA256 of the payload);
it succeeds on HTTP 200, is tried ``webhook.delivery.tries`` times with a ``webhook.delivery.timeout`` second
timeout each, and is recorded as a ``webhookdelivery`` row; only the newest ``webhook.deliveries.limit``
deliveries of a webhook are kept.

One deliberate difference from CloudStack: a loopback payload URL is accepted (the server refuses loopback
hosts), because a simulator and the endpoints its tests listen on share a machine. Other literal any-local,
link-local and multicast addresses are refused as CloudStack refuses them.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

from marvin2 import wire
from marvin2.simulator import errors
from marvin2.simulator.context import domain_in_subtree

log = logging.getLogger("marvin2.simulator.webhooks")

KIND, DELIVERY_KIND = "webhook", "webhookdelivery"
STATES = ("Enabled", "Disabled")
SCOPES = ("Local", "Domain", "Global")
TEST_EVENT_TYPE = "TEST.WEBHOOK"
TEST_PAYLOAD = '{ "CloudStack": "works!" }'
ACCOUNT_ADMIN, ACCOUNT_DOMAIN_ADMIN = 1, 2
POLL_SECONDS = 0.05
_start_lock = threading.Lock()


def _failure(text: str) -> errors.ApiError:
    """The webhook commands turn their CloudRuntimeExceptions (invalid values included) into server errors."""
    return errors.ApiError(530, text, errors.CS_SERVER)


# --- validation ------------------------------------------------------------------------------------------------


def normalized_url(url: str | None) -> str | None:
    if not url or not url.strip() or url.startswith(("http://", "https://")):
        return url
    return f"http://{url}"


def validate_url(url: str) -> None:
    """UriUtils.validateUrl: http/https/file schemes and a usable host (see the module note on loopback)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        raise errors.param_error(f"Invalid URL: {url}") from None
    if parts.scheme.lower() not in ("http", "https", "file"):
        raise errors.param_error(f"Unsupported scheme for url: {url}")
    try:
        address = ipaddress.ip_address(host or "")
    except ValueError:
        return                                           # a host name: the simulator does not resolve it
    if address.is_unspecified or address.is_link_local or address.is_multicast:
        raise errors.param_error("Illegal host specified in URL.")


def parse_scope(text: str | None, default: str | None) -> str | None:
    if not text:
        return default
    if text not in SCOPES:
        raise _failure("Invalid scope specified")
    return text


def parse_state(text: str | None, default: str | None) -> str | None:
    if not text:
        return default
    if text not in STATES:
        raise _failure("Invalid state specified")
    return text


def check_scope_for_owner(scope: str, owner: dict) -> None:
    kind = owner.get("accounttype")
    if (scope == "Global" and kind != ACCOUNT_ADMIN) or \
            (scope == "Domain" and kind not in (ACCOUNT_ADMIN, ACCOUNT_DOMAIN_ADMIN)):
        raise _failure(f"Scope {scope} can not be specified for owner {owner['name']}")


def check_scope_for_lister(scope: str | None, caller_account: dict) -> None:
    kind = caller_account.get("accounttype")
    if (scope == "Global" and kind != ACCOUNT_ADMIN) or \
            (scope == "Domain" and kind not in (ACCOUNT_ADMIN, ACCOUNT_DOMAIN_ADMIN)):
        raise _failure(f"Scope {scope} can not be specified")


def check_url_free(store, owner: dict, url: str, current: dict | None) -> None:
    taken = store.find_one(KIND, accountid=owner["id"], payloadurl=url)
    if taken is not None and (current is None or taken["id"] != current["id"]):
        raise _failure(f"Payload URL: {url} is already in use by another webhook")


def check_ssl(ssl_verification: bool | None, url: str) -> None:
    if ssl_verification and urlsplit(url).scheme.lower() != "https":
        raise _failure(f"SSL verification can be specified only for HTTPS URLs, {url}")


# --- webhooks --------------------------------------------------------------------------------------------------


def create(store, owner: dict, *, name: str, description: str | None, url: str, secret: str | None,
           ssl_verification: bool, scope: str, state: str, domain_id: str | None) -> dict:
    check_scope_for_owner(scope, owner)
    validate_url(url)
    check_url_free(store, owner, url, None)
    check_ssl(ssl_verification, url)
    if not (domain_id and owner.get("accounttype") in (ACCOUNT_ADMIN, ACCOUNT_DOMAIN_ADMIN) and scope == "Domain"):
        domain_id = owner["domainid"]
    row = {"name": name, "description": description, "state": state, "accountid": owner["id"],
           "domainid": domain_id, "payloadurl": url, "secretkey": secret, "sslverification": ssl_verification,
           "scope": scope}
    return store.insert(KIND, {k: v for k, v in row.items() if v is not None})


def update(store, webhook: dict, owner: dict, changes: dict) -> dict:
    """Apply updateWebhook's parameters (already parsed) in CloudStack's order of checks."""
    out: dict = {}
    if (changes.get("name") or "").strip():
        out["name"] = changes["name"]
    if changes.get("description") is not None:
        out["description"] = changes["description"]
    state = parse_state(changes.get("state"), None)
    if state:
        out["state"] = state
    scope = parse_scope(changes.get("scope"), None)
    if scope:
        check_scope_for_owner(scope, owner)
        out["scope"] = scope
    url = webhook["payloadurl"]
    if changes.get("payloadurl"):
        url = changes["payloadurl"]
        validate_url(url)
        check_url_free(store, owner, url, webhook)
        out["payloadurl"] = url
    if changes.get("sslverification") is not None:
        if changes["sslverification"] and urlsplit(url).scheme.lower() != "https":
            raise _failure(f"SSL verification can be specified only for HTTPS URLs, {changes.get('payloadurl')}")
        out["sslverification"] = changes["sslverification"]
    if changes.get("secretkey") is not None:
        out["secretkey"] = changes["secretkey"] if changes["secretkey"].strip() else None
    return store.update(KIND, webhook["id"], **out) if out else webhook


def delete(store, webhook: dict) -> None:
    store.delete_where(DELIVERY_KIND, webhookid=webhook["id"])
    store.delete(KIND, webhook["id"])


# --- deliveries ------------------------------------------------------------------------------------------------


def signature(payload: str, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest()).decode()


def event_payload(event: dict) -> str:
    """The JSON an event is delivered as."""
    body = {"eventUuid": event["id"], "event": event.get("type"), "status": event.get("state"),
            "description": event.get("description"), "level": event.get("level"), "account": event.get("accountid"),
            "domain": event.get("domainid"), "user": event.get("username"), "entity": event.get("resourcetype"),
            "entityuuid": event.get("resourceid"), "created": event.get("created")}
    return json.dumps({k: v for k, v in body.items() if v is not None})


def post(url: str, payload: str, headers: dict[str, str], tries: int, timeout: float) -> tuple[bool, str, str]:
    """POST ``payload`` up to ``tries`` times (header names kept as written); (success, response, start time)."""
    parts = urlsplit(url)
    connection_class = http.client.HTTPSConnection if parts.scheme.lower() == "https" else http.client.HTTPConnection
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    content_type = "application/json" if _is_json(payload) else "text/plain"
    body = payload.encode()
    response, started = "", wire.now_text()
    for _attempt in range(max(1, tries)):
        started = wire.now_text()
        connection = connection_class(parts.hostname, parts.port, timeout=timeout)
        try:
            connection.request("POST", path, body=body, headers={
                **headers, "Content-Type": f"{content_type}; charset=UTF-8", "Content-Length": str(len(body))})
            reply = connection.getresponse()
            response = reply.read().decode("utf-8", "replace")
            if reply.status == 200:
                return True, response, started
        except (OSError, http.client.HTTPException) as failed:
            response = f"Failed due to : {failed}"
        finally:
            connection.close()
    return False, response, started


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def deliver(webhook: dict, event_id: str, event_type: str, account_id: str | None, payload: str,
            tries: int, timeout: float) -> dict:
    """Deliver one payload to one webhook; the delivery record (not yet stored)."""
    headers = {"X-CS-Event-ID": event_id, "X-CS-Event": event_type, "User-Agent": f"CS-Hookshot/{account_id}"}
    if webhook.get("secretkey"):
        headers["X-CS-Signature"] = signature(payload, webhook["secretkey"])
    success, response, started = post(webhook["payloadurl"], payload, headers, tries, timeout)
    shown = {k: v for k, v in headers.items()}
    shown["Content-Length"] = str(len(payload.encode()))
    return {"eventid": event_id, "eventtype": event_type, "webhookid": webhook.get("id"),
            "webhookname": webhook.get("name"), "headers": json.dumps(shown), "payload": payload,
            "success": success, "response": response, "startdate": started, "enddate": wire.now_text()}


def keep_newest(store, webhook_id: str, limit: int) -> None:
    rows = store.find(DELIVERY_KIND, webhookid=webhook_id)
    for old in rows[:max(0, len(rows) - max(limit, 0))]:
        store.delete(DELIVERY_KIND, old["id"])


def _int_setting(sim, name: str, default: int, domain_id: str | None = None) -> int:
    try:
        value = sim.config_value(name, None, **({"domain": domain_id} if domain_id else {}))
        return int(value) if value not in (None, "") else default
    except (TypeError, ValueError):
        return default


def record(sim, delivery: dict, domain_id: str | None) -> dict:
    with sim.store.transaction():
        row = sim.store.insert(DELIVERY_KIND, delivery)
        keep_newest(sim.store, delivery["webhookid"], _int_setting(sim, "webhook.deliveries.limit", 10, domain_id))
    return row


def delivery_settings(sim, domain_id: str | None) -> tuple[int, float]:
    return (_int_setting(sim, "webhook.delivery.tries", 3, domain_id),
            float(_int_setting(sim, "webhook.delivery.timeout", 10, domain_id)))


def covers(store, webhook: dict, event: dict) -> bool:
    """Does the webhook's scope take this event?"""
    if webhook.get("state") != "Enabled" or not event.get("accountid"):
        return False
    if webhook.get("scope") == "Global":
        return True
    if webhook.get("scope") == "Local":
        return webhook["accountid"] == event["accountid"]
    event_domain, hook_domain = store.get("domain", event.get("domainid")), store.get("domain", webhook["domainid"])
    return bool(event_domain and hook_domain and domain_in_subtree(event_domain, hook_domain))


def pending_jobs(store) -> list[tuple[dict, dict]]:
    """(webhook, event) pairs to deliver: events not dispatched yet, recorded after the webhook was created.
    Marks the events dispatched (call inside a transaction)."""
    hooks = store.all(KIND)
    if not hooks:
        return []
    jobs = []
    for event in store.find("event", webhooksdone=None):     # only the events not looked at yet (SQL filter)
        store.update("event", event["id"], webhooksdone=True)
        for hook in hooks:
            if hook.get("created", "") <= event.get("created", "") and covers(store, hook, event):
                jobs.append((hook, event))
    return jobs


def _deliver_and_record(sim, hook: dict, event: dict) -> None:
    tries, timeout = delivery_settings(sim, hook.get("domainid"))
    delivery = deliver(hook, event["id"], event.get("type"), event.get("accountid"), event_payload(event),
                       tries, timeout)
    if not sim.stopped:
        record(sim, delivery, hook.get("domainid"))


def _pool(sim) -> ThreadPoolExecutor:
    """The simulator's delivery workers (webhook.delivery.thread.pool.size): a slow endpoint delays only its own
    deliveries."""
    pool = getattr(sim, "_marvin2_webhook_pool", None)
    if pool is None:
        pool = ThreadPoolExecutor(max_workers=max(1, _int_setting(sim, "webhook.delivery.thread.pool.size", 5)),
                                  thread_name_prefix="marvin2-sim-webhook-delivery")
        sim._marvin2_webhook_pool = pool
    return pool


def dispatch_once(sim) -> int:
    with sim.store.transaction():
        jobs = pending_jobs(sim.store)
    for hook, event in jobs:
        _pool(sim).submit(_guarded, sim, hook, event)
    return len(jobs)


def _guarded(sim, hook: dict, event: dict) -> None:
    try:
        _deliver_and_record(sim, hook, event)
    except Exception:  # a stopped simulator closes the store under us
        if not sim.stopped:
            log.exception("webhook delivery failed")


def ensure_running(sim) -> None:
    """Start this simulator's dispatcher once."""
    if getattr(sim, "_marvin2_webhook_thread", None) is not None:
        return
    with _start_lock:
        if getattr(sim, "_marvin2_webhook_thread", None) is not None:
            return
        thread = threading.Thread(target=_loop, args=(sim,), name="marvin2-sim-webhooks", daemon=True)
        sim._marvin2_webhook_thread = thread
        thread.start()


def _loop(sim) -> None:
    while not sim.stopped:
        try:
            dispatch_once(sim)
        except Exception:  # a stopped simulator closes the store under us
            if sim.stopped:
                break
            log.exception("webhook dispatch failed")
        time.sleep(POLL_SECONDS)
    pool = getattr(sim, "_marvin2_webhook_pool", None)
    if pool is not None:
        pool.shutdown(wait=False, cancel_futures=True)


def manual_delivery(sim, webhook: dict, existing: dict | None, payload: str | None, owner_id: str) -> dict:
    """executeWebhookDelivery: redeliver a recorded delivery (recorded again), or send a test payload (not
    recorded)."""
    tries, timeout = delivery_settings(sim, webhook.get("domainid"))
    if existing is not None:
        delivery = deliver(webhook, existing["eventid"], existing["eventtype"], owner_id, existing["payload"],
                           tries, timeout)
        return record(sim, delivery, webhook.get("domainid"))
    delivery = deliver(webhook, str(uuid.uuid4()), TEST_EVENT_TYPE, owner_id,
                       payload if payload and payload.strip() else TEST_PAYLOAD, tries, timeout)
    return {"id": str(uuid.uuid4()), **delivery, "eventid": None}


def release_account(store, account: dict) -> None:
    """A deleted account's webhooks (and their deliveries) go with it."""
    for webhook in store.find(KIND, accountid=account["id"]):
        delete(store, webhook)
