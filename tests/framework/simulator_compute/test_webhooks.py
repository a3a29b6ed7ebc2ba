"""Webhooks: life cycle, scope rules, and real deliveries of events to a loopback endpoint."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from compute_client import unique


class _Endpoint(BaseHTTPRequestHandler):
    wbufsize = -1                      # one write per answer (no Nagle stalls)
    received: list[dict]               # set per server by the fixture

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        type(self).received.append({"path": self.path, "headers": dict(self.headers), "body": body})
        status = 500 if self.path.startswith("/fail") else 200
        answer = b"nope" if status == 500 else b"thanks"
        self.send_response(status)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)
        self.wfile.flush()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def endpoint():
    handler = type("Recorder", (_Endpoint,), {"received": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler.received
    server.shutdown()
    server.server_close()


def _wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"nothing arrived within {timeout}s")


def test_webhook_life_cycle(user):
    hook = user.ok("createWebhook", name=unique("hook"), payloadurl="hooks.example.org/in")["webhook"]
    assert (hook["payloadurl"], hook["scope"], hook["state"], hook["sslverification"]) == \
        ("http://hooks.example.org/in", "Local", "Enabled", False)
    assert hook["account"] == user.account["name"]
    assert [h["id"] for h in user.items("listWebhooks", "webhook", id=hook["id"])] == [hook["id"]]
    updated = user.ok("updateWebhook", id=hook["id"], state="Disabled", description="off for now")["webhook"]
    assert (updated["state"], updated["description"]) == ("Disabled", "off for now")
    assert [h["id"] for h in user.items("listWebhooks", "webhook", state="Disabled")] == [hook["id"]]
    assert user.ok("deleteWebhook", id=hook["id"])["success"] is True
    assert user.items("listWebhooks", "webhook") == []


def test_events_are_delivered_signed_to_the_owners_webhook(user, other_user, deploy, endpoint):
    url, received = endpoint
    hook = user.ok("createWebhook", name=unique("sink"), payloadurl=f"{url}/mine", secretkey="s3cret")["webhook"]
    other_user.ok("createWebhook", name=unique("theirs"), payloadurl=f"{url}/theirs")
    vm = deploy(user)

    def arrived():
        return [r for r in received if r["path"] == "/mine" and vm["id"] in r["body"]]

    request = _wait_for(arrived)[0]
    body = json.loads(request["body"])
    assert body["event"] == request["headers"]["X-CS-Event"] and body["entityuuid"] == vm["id"]
    assert request["headers"]["User-Agent"] == f"CS-Hookshot/{user.account['id']}"
    expected = base64.b64encode(hmac.new(b"s3cret", request["body"].encode(), hashlib.sha256).digest()).decode()
    assert request["headers"]["X-CS-Signature"] == expected
    assert not [r for r in received if r["path"] == "/theirs" and vm["id"] in r["body"]]   # Local scope: own only

    deliveries = _wait_for(lambda: user.items("listWebhookDeliveries", "webhookdelivery", webhookid=hook["id"]))
    assert deliveries[0]["success"] is True and deliveries[0]["response"] == "thanks"
    assert deliveries[0]["webhookname"] == hook["name"]
    assert user.ok("deleteWebhookDelivery", id=deliveries[0]["id"])["success"] is True
    remaining = user.items("listWebhookDeliveries", "webhookdelivery", webhookid=hook["id"])
    assert deliveries[0]["id"] not in [d["id"] for d in remaining]
    user.ok("deleteWebhook", id=hook["id"])


def test_failed_delivery_is_recorded_and_can_be_repeated(user, deploy, endpoint):
    url, received = endpoint
    hook = user.ok("createWebhook", name=unique("flaky"), payloadurl=f"{url}/fail")["webhook"]
    deploy(user)
    failed = _wait_for(lambda: user.items("listWebhookDeliveries", "webhookdelivery", webhookid=hook["id"]))[0]
    assert failed["success"] is False and failed["response"] == "nope"
    tries = [r for r in received if r["headers"].get("X-CS-Event-ID") == failed["eventid"]]
    assert len(tries) == 3                                          # webhook.delivery.tries (default 3)

    user.ok("updateWebhook", id=hook["id"], payloadurl=f"{url}/fixed")
    again = user.ok("executeWebhookDelivery", id=failed["id"])["webhookdelivery"]
    assert again["success"] is True and again["eventid"] == failed["eventid"]
    test = user.ok("executeWebhookDelivery", webhookid=hook["id"])["webhookdelivery"]
    assert (test["eventtype"], test["payload"], test["success"]) == ("TEST.WEBHOOK", '{ "CloudStack": "works!" }', True)
    user.ok("deleteWebhook", id=hook["id"])


def test_webhook_errors(user, other_user, admin):
    hook = user.ok("createWebhook", name=unique("mine"), payloadurl="http://127.0.0.1:9/a")["webhook"]
    cases = (({"payloadurl": "http://127.0.0.1:9/a"}, "Payload URL: http://127.0.0.1:9/a is already in use by another webhook"),
             ({"payloadurl": "http://127.0.0.1:9/b", "scope": "Global"},
              f"Scope Global can not be specified for owner {user.account['name']}"),
             ({"payloadurl": "http://127.0.0.1:9/c", "scope": "Nowhere"}, "Invalid scope specified"),
             ({"payloadurl": "http://127.0.0.1:9/d", "state": "On"}, "Invalid state specified"),
             ({"payloadurl": "http://127.0.0.1:9/e", "sslverification": True},
              "SSL verification can be specified only for HTTPS URLs, http://127.0.0.1:9/e"))
    for params, text in cases:
        assert user.error("createWebhook", name="x", **params) == (530, text)
    for bad in ("http://0.0.0.0/", "http://224.0.0.1/", "http://169.254.1.1/"):
        assert user.error("createWebhook", name="x", payloadurl=bad) == (431, "Illegal host specified in URL.")
    code, text = user.error("createWebhook", name="x")
    assert code == 431 and "missing parameter payloadurl" in text
    for command, extra in (("updateWebhook", {"name": "y"}), ("deleteWebhook", {})):
        code, _ = other_user.error(command, id=hook["id"], **extra)
        assert code == 531
    code, _ = other_user.error("listWebhookDeliveries", webhookid=hook["id"])
    assert code == 531
    assert user.error("listWebhooks", scope="Global") == (530, "Scope Global can not be specified")
    assert user.error("executeWebhookDelivery") == (530, "One of the id, webhookid or payloadurl must be specified")
    assert admin.ok("createWebhook", name=unique("global"), payloadurl="http://127.0.0.1:9/g",
                    scope="Global")["webhook"]["scope"] == "Global"


def test_deleting_the_account_deletes_its_webhooks(admin):
    from compute_client import new_user

    owner = new_user(admin)
    hook = owner.ok("createWebhook", name=unique("gone"), payloadurl="http://127.0.0.1:9/h")["webhook"]
    assert hook["id"] in [h["id"] for h in admin.items("listWebhooks", "webhook", listall=True)]
    admin.run("deleteAccount", id=owner.account["id"])
    assert hook["id"] not in [h["id"] for h in admin.items("listWebhooks", "webhook", listall=True)]
