"""A small independent CloudStack client for the compute/storage/catalog simulator tests.

Requests are signed with marvin2.wire (the same rules a real server checks)
and sent with requests; answers come back uninterpreted (status, body), so
the tests see exactly what any real client would. Not marvin2's client: the
simulator is tested by independent clients.
"""
from __future__ import annotations

import time
import uuid

import requests

from marvin2 import wire
from marvin2.simulator import facts

# A timing profile whose jobs take long enough to see intermediate states (Starting, Stopping, Migrating).
SLOW_PROFILE = "compute-test-slow"
SLOW_SECONDS = 0.4


class ApiFailure(AssertionError):
    """An answer that was expected to succeed did not; carries status and body."""

    def __init__(self, command: str, status: int, body: dict):
        super().__init__(f"{command} failed with HTTP {status}: {body}")
        self.status, self.body = status, body


class Client:
    def __init__(self, endpoint: str, api_key: str, secret: str, label: str = "client"):
        self.endpoint, self.api_key, self._secret, self.label = endpoint, api_key, secret, label
        self.http = requests.Session()

    def __repr__(self) -> str:
        return f"Client({self.label})"

    def call(self, command: str, /, *, method: str = "GET", **params) -> tuple[int, dict]:
        """(HTTP status, inner body) of a signed call."""
        wire_params = {"command": command, "response": "json", "apiKey": self.api_key,
                       **wire.encode_params({k: v for k, v in params.items() if v is not None}, command=command)}
        wire_params["signature"] = wire.sign(wire_params, self._secret)
        if method == "POST":
            reply = self.http.post(self.endpoint, data=wire_params, timeout=30)
        else:
            reply = self.http.get(self.endpoint, params=wire_params, timeout=30)
        key, inner = wire.unwrap_envelope(reply.json())
        # A 432 (unknown or not-allowed command) answers under "errorresponse", as a real server does.
        assert key == ("errorresponse" if reply.status_code == 432 else envelope_of(command)), key
        return reply.status_code, inner

    def ok(self, command: str, /, **params) -> dict:
        status, inner = self.call(command, **params)
        if status != 200:
            raise ApiFailure(command, status, inner)
        return inner

    def error(self, command: str, /, **params) -> tuple[int, str]:
        """An immediate error answer: (errorcode, errortext); fails when the call succeeds."""
        status, inner = self.call(command, **params)
        assert status != 200, f"{command} unexpectedly succeeded: {inner}"
        assert inner["errorcode"] == status and "cserrorcode" in inner, inner
        return inner["errorcode"], inner["errortext"]

    def items(self, command: str, key: str, /, **params) -> list[dict]:
        return self.ok(command, **params).get(key, [])

    def wait(self, jobid: str, timeout: float = 15.0) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.ok("queryAsyncJobResult", jobid=jobid)
            if job["jobstatus"] != 0:
                return job
            time.sleep(0.01)
        raise AssertionError(f"job {jobid} still pending after {timeout}s")

    def job(self, command: str, /, **params) -> dict:
        """Run an async command to its end; returns the finished job record."""
        answer = self.ok(command, **params)
        assert set(answer) <= {"jobid", "id"} and "jobid" in answer, answer
        return self.wait(answer["jobid"])

    def run(self, command: str, /, **params) -> dict:
        """An async command that must succeed: the job result (``{"virtualmachine": {...}}`` ...)."""
        job = self.job(command, **params)
        if job["jobstatus"] != 1:
            raise ApiFailure(command, job.get("jobresultcode", 0), job.get("jobresult", {}))
        return job["jobresult"]

    def failed(self, command: str, /, **params) -> tuple[int, str]:
        """An async command whose job must fail: (jobresultcode, errortext)."""
        job = self.job(command, **params)
        assert job["jobstatus"] == 2, f"{command} job did not fail: {job}"
        assert job["jobresult"]["errorcode"] == job["jobresultcode"]
        return job["jobresultcode"], job["jobresult"]["errortext"]


def envelope_of(command: str) -> str:
    """The answer's top-level key as CloudStack declares it (a few are odd: restorevmresponse, ...)."""
    known = facts.command(command)
    return known.envelope if known else command.lower() + "response"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def new_user(admin: Client, name: str | None = None, domainid: str | None = None) -> Client:
    """A fresh user account (type 0) with API keys, as a client."""
    name = name or unique("user")
    account = admin.ok("createAccount", username=name, password="password", email=f"{name}@example.com",
                       firstname="Test", lastname="User", accounttype=0, domainid=domainid)["account"]
    user = account["user"][0]
    keys = admin.ok("registerUserKeys", id=user["id"])["userkeys"]
    client = Client(admin.endpoint, keys["apikey"], keys["secretkey"], label=name)
    client.account = account
    return client
