"""An independent, minimal CloudStack client for the network simulator tests.

Requests are signed with marvin2.wire and sent with requests; answers come
back as they are (HTTP status + inner body), so the tests see exactly what a
real client sees. Deliberately not marvin2's client: the simulator is tested
by independent clients.
"""
from __future__ import annotations

import time
import uuid

import requests

from marvin2 import wire
from marvin2.simulator import facts

JOB_TIMEOUT = 10.0
# Seeded offerings, by their real names.
ISOLATED = "DefaultIsolatedNetworkOfferingWithSourceNatService"
SHARED = "DefaultSharedNetworkOffering"
SHARED_SG = "DefaultSharedNetworkOfferingWithSGService"
L2 = "DefaultL2NetworkOffering"
VPC_TIER = "DefaultIsolatedNetworkOfferingForVpcNetworks"
VPC_OFFERING = "Default VPC offering"


class Client:
    def __init__(self, endpoint: str, api_key: str, secret: str, label: str):
        self.endpoint, self.api_key, self._secret, self.label = endpoint, api_key, secret, label
        self.http = requests.Session()

    def __repr__(self) -> str:
        return f"Client({self.label})"

    def call(self, command: str, /, **params) -> tuple[int, dict]:
        """(HTTP status, inner body) of a signed GET; the envelope key is checked."""
        wire_params = {"command": command, "response": "json", "apiKey": self.api_key,
                       **wire.encode_params({k: v for k, v in params.items() if v is not None}, command=command)}
        wire_params["signature"] = wire.sign(wire_params, self._secret)
        reply = self.http.get(self.endpoint, params=wire_params, timeout=30)
        body = reply.json()
        # A 432 (unknown or not-allowed command) answers under "errorresponse", as a real server does.
        key = "errorresponse" if reply.status_code == 432 else envelope_of(command)
        assert list(body) == [key], f"{command}: unexpected envelope {list(body)}"
        return reply.status_code, body[key]

    def ok(self, command: str, /, **params) -> dict:
        status, inner = self.call(command, **params)
        assert status == 200, f"{self.label}: {command} failed with HTTP {status}: {inner}"
        return inner

    def items(self, command: str, key: str, /, **params) -> list[dict]:
        inner = self.ok(command, **params)
        extra = set(inner) - {"count", key}
        assert not extra, f"{command}: unexpected keys {extra} in {inner}"
        return inner.get(key, [])

    def error(self, command: str, /, **params) -> tuple[int, int, str]:
        """An immediate error: (errorcode, cserrorcode, errortext); fails when the call succeeds."""
        status, inner = self.call(command, **params)
        assert status != 200, f"{self.label}: {command} unexpectedly succeeded: {inner}"
        assert inner["errorcode"] == status and inner["uuidList"] == [], inner
        return inner["errorcode"], inner.get("cserrorcode"), inner["errortext"]

    def start(self, command: str, /, **params) -> dict:
        """Queue an async command: the immediate answer ({jobid} or {id, jobid})."""
        inner = self.ok(command, **params)
        assert "jobid" in inner and set(inner) <= {"jobid", "id"}, f"{command}: not an async answer: {inner}"
        return inner

    def wait(self, jobid: str, timeout: float = JOB_TIMEOUT) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            job = self.ok("queryAsyncJobResult", jobid=jobid)
            if job["jobstatus"] != 0:
                return job
            if time.monotonic() > deadline:
                raise AssertionError(f"job {jobid} still pending after {timeout}s: {job}")
            time.sleep(0.01)

    def run(self, command: str, /, **params) -> dict:
        """An async command that must succeed: its jobresult."""
        job = self.wait(self.start(command, **params)["jobid"])
        assert job["jobstatus"] == 1, f"{self.label}: {command} job failed: {job.get('jobresult')}"
        return job["jobresult"]

    def run_fails(self, command: str, /, **params) -> tuple[int, str]:
        """An async command whose job must fail: (errorcode, errortext) of the job result."""
        job = self.wait(self.start(command, **params)["jobid"])
        assert job["jobstatus"] == 2, f"{self.label}: {command} job unexpectedly succeeded: {job.get('jobresult')}"
        result = job["jobresult"]
        assert job["jobresultcode"] == result["errorcode"], job
        return result["errorcode"], result["errortext"]


def new_user(admin: Client, label: str, domainid: str | None = None) -> Client:
    """A fresh user account (createAccount over HTTP) and a client signed with its keys."""
    name = f"{label}-{uuid.uuid4().hex[:8]}"
    account = admin.ok("createAccount", username=name, password="password", email=f"{name}@example.com",
                       firstname="Net", lastname="Tester", accounttype=0, domainid=domainid)["account"]
    user = account["user"][0]
    keys = admin.ok("registerUserKeys", id=user["id"])["userkeys"]
    client = Client(admin.endpoint, keys["apikey"], keys["secretkey"], label=name)
    client.account = account
    return client


def envelope_of(command: str) -> str:
    """The answer's top-level key as CloudStack declares it (a few are odd: moveNetworkAclItemResponse, ...)."""
    known = facts.command(command)
    return known.envelope if known else command.lower() + "response"
