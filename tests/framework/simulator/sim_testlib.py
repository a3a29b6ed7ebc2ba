"""Helpers for the simulator's own tests: a tiny raw client.

The raw client signs with marvin2.wire and talks HTTP with requests, so these
tests see exactly what a real client sees (status codes, bodies, cookies).
"""
from __future__ import annotations

import datetime as dt
import time

import requests

from marvin2 import wire

class RawClient:
    """Signed (or session) calls returning (status, body) without interpretation."""

    def __init__(self, endpoint: str, api_key: str | None = None, secret: str | None = None):
        self.endpoint, self.api_key, self.secret = endpoint, api_key, secret
        self.http = requests.Session()
        self.sessionkey: str | None = None

    def signed_params(self, command: str, params: dict | None = None, *, version3: bool = False,
                      expires: dt.datetime | None = None) -> dict:
        wire_params = {"command": command, "response": "json", **wire.encode_params(params or {})}
        wire_params["apiKey"] = self.api_key
        if version3:
            wire_params["signatureVersion"] = "3"
            wire_params["expires"] = wire.format_tzdate(expires or dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=5))
        wire_params["signature"] = wire.sign(wire_params, self.secret)
        return wire_params

    def call(self, command: str, /, method: str = "GET", **params) -> tuple[int, dict]:
        wire_params = self.signed_params(command, params)
        if method == "POST":
            reply = self.http.post(self.endpoint, data=wire_params, timeout=10)
        else:
            reply = self.http.get(self.endpoint, params=wire_params, timeout=10)
        return reply.status_code, reply.json()

    def ok(self, command: str, /, **params) -> dict:
        status, body = self.call(command, **params)
        assert status == 200, f"{command} failed: {status} {body}"
        return wire.unwrap_envelope(body)[1]

    def login(self, username: str, password: str, domain: str = "/") -> dict:
        reply = self.http.post(self.endpoint, data={"command": "login", "username": username, "password": password,
                                                    "domain": domain, "response": "json"}, timeout=10)
        assert reply.status_code == 200, reply.text
        self.sessionkey = reply.json()["loginresponse"]["sessionkey"]
        return reply.json()["loginresponse"]

    def session_call(self, command: str, /, **params) -> tuple[int, dict]:
        wire_params = {"command": command, "response": "json", "sessionkey": self.sessionkey, **wire.encode_params(params)}
        reply = self.http.get(self.endpoint, params=wire_params, timeout=10)
        return reply.status_code, reply.json()

    def wait_job(self, jobid: str, timeout: float = 10.0) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.ok("queryAsyncJobResult", jobid=jobid)
            if job["jobstatus"] != 0:
                return job
            time.sleep(0.02)
        raise AssertionError(f"job {jobid} still pending after {timeout}s")


