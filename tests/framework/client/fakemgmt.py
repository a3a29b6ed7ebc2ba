"""A small CloudStack-speaking HTTP server for the client's transport tests.

It follows ../shared/cloudstack/API-FACTS.md where the client depends on it
(signature check with v3 ``expires``, POST-only login with JSESSIONID and
sessionkey, envelopes, error bodies, async jobs finishing at known times,
pagination limits) and records every request, so tests can assert what
went over the wire. It is deliberately not the simulator: these tests must
run, and fail for the right reasons, whatever state the simulator is in.
"""
from __future__ import annotations

import datetime as dt
import http.server
import json
import secrets
import socket
import socketserver
import ssl
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import parse_qsl, urlsplit

from marvin2 import wire


def _param(name, type_="string", required=False, description=""):
    return {"name": name, "type": type_, "required": required, "length": 255, "description": description or f"the {name}"}


def _api(name, params=(), isasync=False, description="", response=()):
    return {
        "name": name,
        "isasync": isasync,
        "description": description or f"{name} (fake)",
        "params": list(params),
        "response": list(response) or [{"name": "id", "type": "string", "description": "the id"}, {}],
        "related": "",
    }


PAGING = [_param("page", "integer"), _param("pagesize", "integer"), _param("keyword")]


def default_apis() -> list[dict]:
    """A small spec covering every parameter type and API shape the tests use."""
    return [
        _api("listCapabilities"),
        _api("listApis", [_param("name")]),
        _api("queryAsyncJobResult", [_param("jobid", "uuid", True)]),
        _api("listAsyncJobs", [_param("startdate", "date"), _param("listall", "boolean"), *PAGING]),
        _api("listZones", [_param("id", "uuid"), _param("name"), _param("available", "boolean"), _param("tags", "map"), *PAGING]),
        _api("listVirtualMachines", [_param("id", "uuid"), _param("ids", "list"), _param("listall", "boolean"), _param("zoneId", "uuid"), *PAGING]),
        _api("getVMPassword", [_param("id", "uuid", True)]),
        _api(
            "deployVirtualMachine",
            [
                _param("zoneid", "uuid", True),
                _param("serviceofferingid", "uuid", True),
                _param("templateid", "uuid", True),
                _param("name"),
                _param("displayvm", "boolean"),
                _param("size", "long"),
                _param("networkids", "list"),
                _param("details", "map"),
                _param("iptonetworklist", "map"),
                _param("userdata"),
            ],
            isasync=True,
        ),
        _api("stopVirtualMachine", [_param("id", "uuid", True), _param("forced", "boolean")], isasync=True),
        _api("createTags", [_param("resourceids", "list", True), _param("resourcetype", required=True), _param("tags", "map", True)], isasync=True),
        _api("createNetwork", [_param("name", required=True), _param("zoneid", "uuid", True), _param("displaytext")]),
        _api("deleteVolume", [_param("id", "uuid", True)]),
        _api(
            "typesProbe",
            [
                _param("flag", "boolean"),
                _param("count32", "integer"),
                _param("count64", "long"),
                _param("count16", "short"),
                _param("ratio", "float"),
                _param("ratio2", "double"),
                _param("day", "date"),
                _param("moment", "tzdate"),
                _param("ref", "uuid"),
                _param("names", "list"),
                _param("blob", "object"),
            ],
        ),
        _api("createUser", [_param("username", required=True), _param("password", required=True), _param("account", required=True)]),
    ]


@dataclass
class Recorded:
    method: str
    command: str
    params: dict[str, str]
    query: dict[str, str]
    form: dict[str, str]
    cookies: dict[str, str]
    headers: dict[str, str]
    at: float = field(default_factory=time.monotonic)


@dataclass
class Job:
    jobid: str
    finish_at: float
    status: int = 1
    result: Any = None
    resultcode: int = 0


class Reply(Exception):
    """Raised by handlers to answer an error envelope."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


class Drop(Exception):
    """Raised by handlers: close the connection without answering."""


def error(command: str | None, code: int, text: str, cserrorcode: int | None = 9999) -> Reply:
    return Reply(code, wire.error_envelope(command, code, text, cserrorcode))


class FakeCloud:
    """A threaded HTTP(S) server on 127.0.0.1 answering CloudStack commands."""

    def __init__(
        self,
        *,
        apis: list[dict] | None = None,
        api_key: str = "KEY",
        secret_key: str = "SECRET",
        users: dict[tuple[str, str], str] | None = None,
        version: str = "4.18.0.0",
        ssl_context: ssl.SSLContext | None = None,
        check_signature: bool = True,
    ) -> None:
        self.apis = apis if apis is not None else default_apis()
        self.api_key = api_key
        self.secret_key = secret_key
        self.users = users if users is not None else {("admin", "/"): "password"}
        self.version = version
        self.check_signature = check_signature
        self.ssl_context = ssl_context
        self.calls: list[Recorded] = []
        self.handlers: dict[str, Callable[[Recorded], Any]] = {}
        self.jobs: dict[str, Job] = {}
        self.sessions: dict[str, str] = {}  # JSESSIONID -> sessionkey
        self.zones: list[dict] = [{"id": str(uuid.UUID(int=i + 1)), "name": f"zone{i}"} for i in range(2)]
        self.vms: list[dict] = []
        self.lock = threading.Lock()
        self._server: socketserver.BaseServer | None = None
        self.connections: set[socket.socket] = set()
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------

    def start(self) -> "FakeCloud":
        cloud = self

        class Handler(_Handler):
            fake = cloud

        server = _Server(("127.0.0.1", 0), Handler)
        if self.ssl_context is not None:
            server.socket = self.ssl_context.wrap_socket(server.socket, server_side=True)
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and cut open keep-alive connections (like a dead server)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        with self.lock:
            connections, self.connections = list(self.connections), set()
        for sock in connections:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def __enter__(self) -> "FakeCloud":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        scheme = "https" if self.ssl_context is not None else "http"
        return f"{scheme}://127.0.0.1:{self.port}/client/api"

    # --- test helpers --------------------------------------------------------------

    def on(self, command: str, handler: Callable[[Recorded], Any] | Any) -> None:
        """Answer ``command`` with ``handler(request)`` (or a fixed inner object)."""
        self.handlers[command] = handler if callable(handler) else (lambda request, body=handler: body)

    def count(self, command: str) -> int:
        with self.lock:
            return sum(1 for c in self.calls if c.command == command)

    def commands(self) -> list[str]:
        with self.lock:
            return [c.command for c in self.calls]

    def add_job(self, result: Any = None, *, after: float = 0.0, status: int = 1, resultcode: int = 0) -> str:
        jobid = str(uuid.uuid4())
        with self.lock:
            self.jobs[jobid] = Job(jobid, time.monotonic() + after, status, result if result is not None else {"success": True}, resultcode)
        return jobid

    def expire_sessions(self) -> None:
        with self.lock:
            self.sessions.clear()

    # --- dispatch --------------------------------------------------------------------

    def handle(self, request: Recorded) -> tuple[int, Any, list[str]]:
        """(status, body, Set-Cookie headers) for one request."""
        command = request.command
        if command == "login":
            return self._login(request)
        self._authenticate(request)
        if command == "logout":
            jsession = request.cookies.get("JSESSIONID")
            with self.lock:
                self.sessions.pop(jsession, None)
            return 200, {"logoutresponse": {"description": "success"}}, []
        handler = self.handlers.get(command) or getattr(self, f"_builtin_{command}", None)
        if handler is None:
            raise error(None, 432, f"Unknown API command: {command}", None)
        inner = handler(request)
        if isinstance(inner, tuple):
            return inner[0], inner[1], []
        return 200, {wire.response_key(command): inner}, []

    def _login(self, request: Recorded) -> tuple[int, Any, list[str]]:
        if request.method != "POST":
            raise Reply(405, "login is POST only")
        params = {k.lower(): v for k, v in request.params.items()}
        user, domain = params.get("username", ""), params.get("domain", "/") or "/"
        if self.users.get((user, domain)) != params.get("password"):
            raise error("login", 531, f"Failed to authenticate user {user} in domain 1; please provide valid credentials")
        jsession, key = secrets.token_hex(8), secrets.token_urlsafe(12)
        with self.lock:
            self.sessions[jsession] = key
        body = {"loginresponse": {"username": user, "userid": str(uuid.uuid4()), "timeout": 1800, "type": "1", "sessionkey": key, "registered": "false"}}
        return 200, body, [f"JSESSIONID={jsession}; Path=/client; HttpOnly", f"sessionkey={key}; Path=/client"]

    def _authenticate(self, request: Recorded) -> None:
        params = request.params
        fail = error(request.command, 401, wire.SIGNATURE_ERROR_TEXT, None)
        if "sessionkey" in params:
            jsession = request.cookies.get("JSESSIONID")
            with self.lock:
                expected = self.sessions.get(jsession or "")
            if not expected or params["sessionkey"] != expected or request.cookies.get("sessionkey") != expected:
                raise fail
            return
        if "apiKey" not in params:
            raise fail
        if not self.check_signature:
            return
        if params["apiKey"] != self.api_key or not wire.verify_signature(params, self.secret_key, params.get("signature", "")):
            raise fail
        if params.get("signatureVersion") == "3":
            expires = params.get("expires")
            if not expires:
                raise fail
            try:
                moment = wire.parse_tzdate(expires)
            except ValueError:
                raise fail from None
            if moment < dt.datetime.now(dt.timezone.utc):
                raise fail

    def page(self, request: Recorded, key: str, items: list[Any], max_page: int = 500) -> dict:
        """A list answer with real pagination rules."""
        params = {k.lower(): v for k, v in request.params.items()}
        if "pagesize" in params and "page" not in params:
            raise error(request.command, 431, '"page" parameter is required when "pagesize" is specified')
        if "page" in params:
            size = int(params.get("pagesize", max_page))
            if size > max_page:
                raise error(request.command, 431, f"Page size can't exceed max allowed page size value: {max_page}")
            start = (int(params["page"]) - 1) * size
            chunk = items[start : start + size]
        else:
            chunk = items
        if not items:
            return {}
        if not chunk:
            return {"count": len(items)}
        return {"count": len(items), key: chunk}

    # --- built-in commands -------------------------------------------------------------

    def _builtin_listCapabilities(self, request: Recorded) -> dict:
        return {"capability": {"cloudstackversion": self.version, "apilimitmax": 0}}

    def _builtin_listApis(self, request: Recorded) -> dict:
        return {"count": len(self.apis), "api": self.apis}

    def _builtin_listZones(self, request: Recorded) -> dict:
        return self.page(request, "zone", self.zones)

    def _builtin_listVirtualMachines(self, request: Recorded) -> dict:
        return self.page(request, "virtualmachine", self.vms)

    def _builtin_queryAsyncJobResult(self, request: Recorded) -> dict:
        jobid = request.params.get("jobid", "")
        with self.lock:
            job = self.jobs.get(jobid)
        if job is None:
            raise error(request.command, 431, f"Unable to execute API command queryasyncjobresult due to invalid value. Invalid parameter jobid value={jobid}", 4350)
        answer = {"jobid": jobid, "cmd": "org.apache.cloudstack.api.command.Fake", "jobprocstatus": 0}
        if time.monotonic() < job.finish_at:
            answer.update(jobstatus=0, jobresultcode=0)
            return answer
        answer.update(jobstatus=job.status, jobresultcode=job.resultcode, jobresulttype="object", jobresult=job.result)
        return answer


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):  # TLS handshake failures are expected in tests
        pass


class _Handler(http.server.BaseHTTPRequestHandler):
    # Buffered, keep-alive responses written in one go (see the brief: an
    # unbuffered http.server stalls ~40 ms per response on Nagle + delayed ACK).
    protocol_version = "HTTP/1.1"
    wbufsize = -1
    fake: FakeCloud

    def log_message(self, *args: Any) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        with self.fake.lock:
            self.fake.connections.add(self.connection)

    def finish(self) -> None:
        with self.fake.lock:
            self.fake.connections.discard(self.connection)
        super().finish()

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def _serve(self, method: str) -> None:
        split = urlsplit(self.path)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        form: dict[str, str] = {}
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            form = dict(parse_qsl(self.rfile.read(length).decode("utf-8"), keep_blank_values=True))
        params = {**form, **query}
        cookies: dict[str, str] = {}
        for part in (self.headers.get("Cookie") or "").split(";"):
            if "=" in part:
                name, value = part.strip().split("=", 1)
                cookies[name] = value
        request = Recorded(method, params.get("command", ""), params, query, form, cookies, dict(self.headers))
        with self.fake.lock:
            self.fake.calls.append(request)
        set_cookies: list[str] = []
        try:
            status, body, set_cookies = self.fake.handle(request)
        except Reply as reply:
            status, body = reply.status, reply.body
        except Drop:
            self.close_connection = True
            return
        if isinstance(body, str):
            payload, ctype = body.encode(), "text/plain; charset=UTF-8"
        else:
            payload, ctype = wire.dumps(body), "application/json; charset=UTF-8"
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(payload)))
        for cookie in set_cookies:
            self.send_header("Set-Cookie", cookie)
        self.end_headers()
        self.wfile.write(payload)
        self.wfile.flush()


def closed_port_url() -> str:
    """A URL on which nothing listens (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/client/api"


def json_body(data: bytes) -> Any:
    return json.loads(data)
