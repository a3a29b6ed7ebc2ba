"""The HTTP side: a keep-alive loopback server answering ``/client/api``.

``Simulator.handle`` is the whole request pipeline, in a real server's order:
response format -> command look-up -> method (login is POST only) ->
credentials (signature or session) -> role -> injected faults -> parameter
validation -> handler (in one store transaction) -> envelope.
"""
from __future__ import annotations

import http.cookies
import logging
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from marvin2 import wire
from marvin2.simulator import auth, errors
from marvin2.simulator.context import Context, Job
from marvin2.simulator.declare import Api
from marvin2.simulator.responses import render_result
from marvin2.simulator.validation import lower_params, validate

log = logging.getLogger("marvin2.simulator")

API_PATH = "/client/api"
JSON_TYPE = "application/json; charset=UTF-8"


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = JSON_TYPE
    cookies: list[str] = field(default_factory=list)
    drop: bool = False


def json_reply(status: int, body: Any, cookies: list[str] | None = None) -> Reply:
    return Reply(status, wire.dumps(body), JSON_TYPE, cookies or [])


def error_reply(envelope_key: str | None, exc: errors.ApiError) -> Reply:
    inner: dict[str, Any] = {"uuidList": [], "errorcode": exc.errorcode}
    if exc.cserrorcode is not None:
        inner["cserrorcode"] = exc.cserrorcode
    inner["errortext"] = exc.errortext
    return json_reply(exc.errorcode, {envelope_key or "errorresponse": inner})


class RequestPipeline:
    """Mixed into ``Simulator``: everything between the parsed request and the reply bytes."""

    def handle(self, method: str, raw: dict[str, str], cookies: dict[str, str]) -> Reply:
        lowered = lower_params(raw)
        command = lowered.get("command", "")
        declared: Api | None = self.registry.lookup(command) if command else None
        key = declared.envelope_key if declared else (command.lower() + "response" if command else None)
        try:
            if lowered.get("response", "xml").lower() != "json":
                raise errors.param_error(
                    "The marvin2 simulator only answers JSON: add response=json to the request "
                    f"(got response={lowered.get('response', '<absent, meaning xml>')})")
            if not command:
                raise errors.ApiError(432, "No command given: add the command=<API name> parameter",
                                      errors.CS_UNAVAILABLE_COMMAND)
            if declared is not None and declared.post_only and method != "POST":
                return Reply(405, f"Method {method} is not allowed for {declared.name}; use POST\n".encode(),
                             "text/plain; charset=UTF-8")
            caller, session = self._authenticate(declared, command, raw, lowered, cookies)
            if declared is None:
                raise errors.ApiError(432, f"Unknown API command: {command}", errors.CS_UNAVAILABLE_COMMAND)
            if caller is not None and not auth.is_allowed(self.store, caller, declared):
                raise auth.not_available(declared.name, caller)
            dropped = self._inject_faults(declared)
            if dropped is not None:
                return dropped
            return self._dispatch(declared, raw, caller, session, cookies)
        except errors.ApiError as exc:
            if exc.errorcode == 401 and declared is None:
                key = None    # credential failures of unknown commands answer under "errorresponse"
            return error_reply(key, exc)

    def _authenticate(self, declared, command, raw, lowered, cookies):
        if declared is not None and declared.auth_exempt:
            return None, None
        if "apikey" in lowered or "signature" in lowered:
            if declared is None:
                raise auth.credential_error()
            return auth.verify_api_key(self.store, raw), None
        session = self.sessions.check(cookies.get("JSESSIONID"), cookies.get("sessionkey"), lowered.get("sessionkey"))
        caller = auth.caller_for_user(self.store, self.store.get("user", session.user_id))
        if caller is None:
            raise auth.credential_error()
        return caller, session

    def _inject_faults(self, declared: Api) -> Reply | None:
        rule = self.faults.rule_for(declared.name)
        if rule is None:
            return None
        if rule.latencyms:
            time.sleep(rule.latencyms / 1000.0)
        if self.faults.roll(rule.droprate):
            return Reply(drop=True)
        if self.faults.roll(rule.errorrate):
            text = rule.errortext or f"Simulated failure of {declared.name} injected by configureSimulatorFaults"
            raise errors.ApiError(rule.errorcode, text, errors.CS_CLOUD_RUNTIME)
        return None

    def _dispatch(self, declared: Api, raw, caller, session, cookies) -> Reply:
        with self.store.transaction():
            params = validate(declared, raw, self.store, root_admin=caller is not None and caller.is_root_admin)
            ctx = Context(sim=self, api=declared, params=params, raw=raw, caller=caller,
                          extra={"session": session, "cookies": cookies, "set_cookies": []})
            result = declared.handler(ctx)
            if isinstance(result, Job):
                if not declared.is_async:
                    raise errors.internal_error(f"{declared.name} is not declared async but its handler returned a Job")
                row = self.jobs.submit(ctx, result)
                inner: Any = {"jobid": row["id"]}
                if result.entity_id:
                    inner = {"id": result.entity_id, "jobid": row["id"]}
            else:
                inner = render_result(declared, result)
        return json_reply(200, {declared.envelope_key: inner}, ctx.extra["set_cookies"])


# --- HTTP plumbing -----------------------------------------------------------------------


class SimulatorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address, sim):
        self.sim = sim
        super().__init__(address, SimulatorRequestHandler)

    def handle_error(self, request, client_address) -> None:
        # A client closing or resetting its connection is normal; anything else is logged.
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        log.exception("simulator connection from %s failed", client_address[0])


class SimulatorRequestHandler(BaseHTTPRequestHandler):
    # HTTP/1.1 keep-alive with a buffered writer: the whole reply leaves in one
    # flush; unbuffered writes of headers and body trip Nagle + delayed ACK (~40 ms).
    protocol_version = "HTTP/1.1"
    wbufsize = -1
    server_version = "marvin2-simulator/4.18.0.0"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - signature from the base class
        # Request lines may carry signatures and session keys: never log them.
        pass

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._plain(405, "Method PUT is not allowed; use GET or POST\n")

    def do_DELETE(self) -> None:
        self._plain(405, "Method DELETE is not allowed; use GET or POST\n")

    def _serve(self, method: str) -> None:
        parts = urlsplit(self.path)
        body = b""
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            body = self.rfile.read(length)
        if parts.path.rstrip("/") != API_PATH:
            self._plain(404, f"Not found: {parts.path} (the API lives at {API_PATH})\n")
            return
        raw: dict[str, str] = {}
        for name, value in parse_qsl(parts.query, keep_blank_values=True):
            raw.setdefault(name, value)
        if body and "application/x-www-form-urlencoded" in (self.headers.get("Content-Type") or "").lower() or (
                body and method == "POST" and not self.headers.get("Content-Type")):
            for name, value in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
                raw.setdefault(name, value)
        cookies: dict[str, str] = {}
        if self.headers.get("Cookie"):
            jar = http.cookies.SimpleCookie()
            try:
                jar.load(self.headers["Cookie"])
            except http.cookies.CookieError:
                pass
            cookies = {k: m.value for k, m in jar.items()}
        sim = self.server.sim
        if sim.stopped:
            self._plain(503, "The simulator is stopping\n")
            return
        try:
            reply = sim.handle(method, raw, cookies)
        except Exception as exc:  # a handler bug: answer 530 rather than hang the client
            log.exception("simulator request failed")
            reply = error_reply(None, errors.internal_error(f"Internal error in the simulator: {type(exc).__name__}: {exc}"))
        if reply.drop:
            self.close_connection = True
            return
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for cookie in reply.cookies:
            self.send_header("Set-Cookie", cookie)
        self.end_headers()
        self.wfile.write(reply.body)

    def _plain(self, status: int, text: str) -> None:
        data = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def serve_in_thread(httpd: SimulatorHTTPServer) -> threading.Thread:
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.2},
                              name="marvin2-sim-http", daemon=True)
    thread.start()
    return thread
