"""A signed raw client for the operations-API tests (regions, management servers, usage, user data,
annotations, CA, out-of-band management): (status, body) as a real client sees them."""
from __future__ import annotations

import time

import requests

from marvin2 import wire


class Client:
    def __init__(self, endpoint: str, api_key: str, secret: str):
        self.endpoint, self.api_key, self.secret = endpoint, api_key, secret
        self.http = requests.Session()

    def call(self, command: str, /, **params) -> tuple[int, dict]:
        wire_params = {"command": command, "response": "json", **wire.encode_params(params)}
        wire_params["apiKey"] = self.api_key
        wire_params["signature"] = wire.sign(wire_params, self.secret)
        reply = self.http.post(self.endpoint, data=wire_params, timeout=10)
        return reply.status_code, reply.json()

    def ok(self, command: str, /, **params) -> dict:
        status, body = self.call(command, **params)
        assert status == 200, f"{command} failed: {status} {body}"
        return wire.unwrap_envelope(body)[1]

    def items(self, command: str, key: str, /, **params) -> list[dict]:
        return self.ok(command, **params).get(key, [])

    def error(self, command: str, /, expected: int, **params) -> str:
        """The errortext of a call that must fail with HTTP ``expected``."""
        status, body = self.call(command, **params)
        assert status == expected, f"{command}: expected {expected}, got {status} {body}"
        return wire.unwrap_envelope(body)[1]["errortext"]

    def job(self, command: str, /, timeout: float = 10.0, **params) -> dict:
        """Run an async API to its end; the finished job (jobstatus 1 or 2)."""
        jobid = self.ok(command, **params)["jobid"]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.ok("queryAsyncJobResult", jobid=jobid)
            if job["jobstatus"] != 0:
                return job
            time.sleep(0.02)
        raise AssertionError(f"{command}: job {jobid} still pending after {timeout}s")

    def job_ok(self, command: str, /, **params) -> dict:
        job = self.job(command, **params)
        assert job["jobstatus"] == 1, f"{command} failed: {job}"
        return job["jobresult"]


def new_user(admin: Client, name: str, accounttype: int = 0) -> tuple[dict, Client]:
    """A new account (its first user's keys registered) and a client signing as that user."""
    account = admin.ok("createAccount", username=name, password="pw-" + name, email=f"{name}@x.org",
                       firstname="F", lastname="L", accounttype=accounttype)["account"]
    keys = admin.ok("registerUserKeys", id=account["user"][0]["id"])["userkeys"]
    return account, Client(admin.endpoint, keys["apikey"], keys["secretkey"])
