"""The HTTP side: keep-alive servers answering ``/client/api`` (HTTP or HTTPS, plus the integration port).

``Simulator.handle`` is the whole request pipeline, in CloudStack 4.20's order (ApiServlet, ApiServer,
the dispatch chain):

1. ``response`` (only JSON is spoken), ``command`` and ``sessionkey`` are read spelled exactly so;
2. the authentication APIs (login, logout) are answered by their own code, nothing below applies to them;
3. a session (the JSESSIONID cookie names a live one): session key in cookie AND parameter, else the session
   is invalidated and 401; no command: 400; then the role check (432);
   no session: the API key path (ApiServer.verifyRequest): no command or an unknown one 401, key and user,
   the role check (432, before the signature), then the signature (401);
4. control characters in any value (431), unknown command (432 ``Unknown API command``);
5. injected faults, then the dispatch chain: unpack (430), parameters field by field (431), list paging
   (431), handler (in one store transaction), envelope.

The integration port (CloudStack's ``integration.api.port``) skips step 3: every request runs as the root admin.
"""
from __future__ import annotations

import http.cookies
import logging
import ssl
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
from marvin2.simulator.validation import check_control_characters, check_list_paging, unchecked_ids, validate

log = logging.getLogger("marvin2.simulator")

API_PATH = "/client/api"
JSON_TYPE = "application/json; charset=UTF-8"
AUTHENTICATORS = ("login", "logout")        # CloudStack's API authenticators answer in any letter case
LOGIN_METHOD_TEXT = "Please use HTTP POST to authenticate using this API"


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


def error_key(raw: dict[str, str], command: str | None, declared: Api | None, exc: errors.ApiError) -> str:
    """The envelope key of an error (ApiServer.getSerializedApiError): ``errorresponse`` for 432s and for names
    no API has, the command's response name otherwise, ``"null"`` when the request named no command."""
    if not raw or exc.errorcode == 432:
        return "errorresponse"
    if command is None:
        return "null"
    if declared is None:
        return "errorresponse"
    return declared.envelope_key


class RequestPipeline:
    """Mixed into ``Simulator``: everything between the parsed request and the reply bytes."""

    def handle(self, method: str, raw: dict[str, str], cookies: dict[str, str], *, integration: bool = False) -> Reply:
        """Answer one request; ``raw`` holds each parameter once, names as sent (see ``merge_parameters``)."""
        command = raw.get("command")
        declared: Api | None = self.registry.lookup(command) if command else None
        try:
            response = (_any_case(raw, "response") if integration else raw.get("response")) or "xml"
            if response.lower() != "json":
                raise errors.param_error(
                    "The marvin2 simulator only answers JSON: add response=json to the request "
                    f"(got response={response if 'response' in raw else '<absent, meaning xml>'})")
            if integration:
                return self._integration_request(method, raw, command, declared)
            if command is not None and command.lower() in AUTHENTICATORS:
                return self._authenticator(method, raw, cookies, declared)
            caller, session = self._authenticate(raw, cookies, command, declared)
            check_control_characters(raw)
            if declared is None:
                raise errors.unsupported(f"Unknown API command: {command}")
            return self._run(declared, raw, caller, session, cookies)
        except errors.ApiError as exc:
            return error_reply(error_key(raw, command, declared, exc), exc)

    # --- who is calling ------------------------------------------------------------------------

    def _authenticate(self, raw, cookies, command, declared):
        """(caller, session) of a request, as ApiServlet decides between its session and API-key paths."""
        session = self.sessions.get(cookies.get("JSESSIONID"))
        if session is not None:
            if not self.sessions.key_matches(session, cookies.get("sessionkey"), raw.get("sessionkey")):
                self.sessions.drop(session.session_id)      # a wrong key ends the session, as on a real server
                raise auth.session_error()
            caller = auth.caller_for_user(self.store, self.store.get("user", session.user_id))
            if caller is None:
                self.sessions.drop(session.session_id)
                raise auth.session_error()
            if command is None:
                raise errors.ApiError(400, "no command specified", cserrorcode=None)
            self._check_role(caller, command, declared)
            return caller, session
        if command is None or declared is None:
            raise auth.credential_error()     # unknown commands never pass the API-key path
        return auth.verify_api_key(self.store, raw, lambda caller: self._check_role(caller, command, declared)), None

    def _check_role(self, caller, command: str, declared: Api | None) -> None:
        if not auth.may_call(self.store, caller, command, declared):
            raise auth.not_available(command, caller)

    def _authenticator(self, method: str, raw: dict[str, str], cookies: dict[str, str], declared: Api) -> Reply:
        """login and logout, as the servlet runs their authenticators: no signature, no parameter processing."""
        if declared.name == "login":
            if method != "POST":
                return Reply(405, LOGIN_METHOD_TEXT.encode(), JSON_TYPE)
            stale = self.sessions.get(cookies.get("JSESSIONID"))
            if stale is not None:
                self.sessions.drop(stale.session_id)     # a login always starts a new session
            if raw.get("username") is None:
                return Reply(531, b"null", JSON_TYPE)   # Java serialises its missing error text as "null"
            domain_id = raw.get("domainid") if raw.get("domainid") is not None else raw.get("domainId")
            params = {"username": raw["username"], "password": raw.get("password"),
                      "domainid": domain_id, "domain": raw.get("domain")}
            with self.store.transaction():
                return self._call_handler(declared, params, raw, None, None, cookies)
        session = self.sessions.get(cookies.get("JSESSIONID"))
        if session is None:
            raise errors.param_error("Session not found for the logout process.")
        reply = self._call_handler(declared, {}, raw, None, session, cookies)
        # The servlet expires every cookie the request carried.
        reply.cookies = [f"{name}=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT" for name in cookies]
        return reply

    def _integration_request(self, method: str, raw: dict[str, str], command: str | None, declared: Api | None) -> Reply:
        """integration.api.port: no credentials, everything runs as the root admin (the system account there)."""
        check_control_characters(raw)
        if command is None:
            raise errors.unsupported("Invalid request, no command sent")
        if command.lower() in AUTHENTICATORS:
            return Reply(200, b"", JSON_TYPE)        # ApiServer.handleRequest answers nothing for them
        if declared is None:
            raise errors.unsupported(f"Unknown API command: {command}")
        caller = auth.caller_for_user(self.store, self.admin_user)
        if caller is None:
            raise errors.internal_error("the root admin of the simulator is disabled")
        return self._run(declared, raw, caller, None, {})

    # --- running the command ---------------------------------------------------------------------

    def _run(self, declared: Api, raw, caller, session, cookies) -> Reply:
        dropped = self._inject_faults(declared, caller)
        if dropped is not None:
            return dropped
        with self.store.transaction():
            params = validate(declared, raw, self.store, root_admin=caller is not None and caller.is_root_admin)
            check_list_paging(declared, raw)
            return self._call_handler(declared, params, raw, caller, session, cookies)

    def _inject_faults(self, declared: Api, caller) -> Reply | None:
        # A call with no caller only meets global rules; account rules are for that account's callers.
        rule = self.faults.rule_for(declared.name, caller.account_id if caller is not None else None)
        if rule is None:
            return None
        if rule.latencyms:
            time.sleep(rule.latencyms / 1000.0)
        if self.faults.roll(rule, rule.droprate):
            return Reply(drop=True)
        if self.faults.roll(rule, rule.errorrate):
            text = rule.errortext or f"Simulated failure of {declared.name} injected by configureSimulatorFaults"
            raise errors.ApiError(rule.errorcode, text, errors.CS_CLOUD_RUNTIME)
        return None

    def _call_handler(self, declared: Api, params, raw, caller, session, cookies) -> Reply:
        ctx = Context(sim=self, api=declared, params=params, raw=raw, caller=caller,
                      extra={"session": session, "cookies": cookies, "set_cookies": []})
        try:
            result = declared.handler(ctx)
        except (AttributeError, KeyError, TypeError) as exc:
            # Handlers look rows up by the ids validation vouched for; "-1" and unknown internal ids pass the
            # API layer unchecked (as in Java), and a service answers those with its "cannot find" error.
            unchecked = unchecked_ids(params)
            if not unchecked:
                raise
            raise errors.invalid_value(f"Unable to find {unchecked[0].kind} by id {unchecked[0]}") from exc
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


def _any_case(raw: dict[str, str], name: str) -> str | None:
    for key, value in raw.items():
        if key.lower() == name:
            return value
    return None


def merge_parameters(query: str, body: str | None) -> dict[str, str]:
    """One value per name, as the servlet sees them: in the query string the LAST of a repeated name wins
    (ApiServlet.utf8Fixup), in a form body the first, and the query string beats the body."""
    merged: dict[str, str] = {}
    for name, value in parse_qsl(body or "", keep_blank_values=True):
        merged.setdefault(name, value)
    for name, value in parse_qsl(query, keep_blank_values=True):
        merged[name] = value
    return merged


def integration_parameters(query: str) -> dict[str, str]:
    """The integration port reads only the query string and keeps the first of a repeated name."""
    merged: dict[str, str] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        merged.setdefault(name, value)
    return merged


# --- HTTP plumbing -----------------------------------------------------------------------


class SimulatorHTTPServer(ThreadingHTTPServer):
    """The API port (HTTP, or HTTPS with ``tls``), or with ``integration=True`` the unauthenticated
    integration port."""
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address, sim, *, integration: bool = False, tls: ssl.SSLContext | None = None):
        self.sim = sim
        self.integration = integration
        self.tls = tls
        super().__init__(address, SimulatorRequestHandler)

    def get_request(self):
        sock, address = super().get_request()
        if self.tls is not None:
            # The handshake runs in the connection's own thread (first read), so a slow or
            # non-TLS client cannot hold up the accept loop.
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, address

    def handle_error(self, request, client_address) -> None:
        # A client closing or resetting its connection, or failing the TLS handshake, is normal.
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError, ssl.SSLError)):
            return
        log.exception("simulator connection from %s failed", client_address[0])


class SimulatorRequestHandler(BaseHTTPRequestHandler):
    # HTTP/1.1 keep-alive with a buffered writer: the whole reply leaves in one
    # flush; unbuffered writes of headers and body trip Nagle + delayed ACK (~40 ms).
    protocol_version = "HTTP/1.1"
    wbufsize = -1
    server_version = "marvin2-simulator/4.20.2.0"
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
        server: SimulatorHTTPServer = self.server      # type: ignore[assignment]
        if server.integration:
            raw = integration_parameters(parts.query)
        else:
            form = None
            content_type = (self.headers.get("Content-Type") or "").lower()
            if body and ("application/x-www-form-urlencoded" in content_type or (method == "POST" and not content_type)):
                form = body.decode("utf-8", "replace")
            raw = merge_parameters(parts.query, form)
        cookies: dict[str, str] = {}
        if self.headers.get("Cookie"):
            jar = http.cookies.SimpleCookie()
            try:
                jar.load(self.headers["Cookie"])
            except http.cookies.CookieError:
                pass
            cookies = {k: m.value for k, m in jar.items()}
        sim = server.sim
        if sim.stopped:
            self._plain(503, "The simulator is stopping\n")
            return
        try:
            reply = sim.handle(method, raw, cookies, integration=server.integration)
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


def serve_in_thread(httpd: SimulatorHTTPServer, name: str = "marvin2-sim-http") -> threading.Thread:
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.2}, name=name, daemon=True)
    thread.start()
    return thread
