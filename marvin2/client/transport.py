"""HTTP transport: authentication, TLS, timeouts, retries and failover.

One ``Transport`` talks to one cloud, possibly through several management
servers. It signs with API keys (signature version 3 with ``expires`` by
default) or logs in with a user name and password (session cookie plus
``sessionkey`` parameter), and hands back the inside of the response
envelope. Rules that keep tests honest:

- a command is sent again only when that is harmless: read-only commands
  (list*, get*, query*), or a failure before the request left the client
  (connection refused, connect timeout);
- when a server refuses connections the next one is tried, and
  ``endpoint`` tells which one answered;
- connect and read timeouts are always set.
"""
from __future__ import annotations

import datetime as _dt
import logging
import random
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

import requests
import urllib3.exceptions

from marvin2 import wire
from marvin2.client.errors import CloudStackError, MarvinError, TransportError, redact
from marvin2.client.events import CallEvent, Listeners
from marvin2.client.record import Record, loads, mask_response
from marvin2.client.spec import is_read_only

__all__ = ["ServerSettings", "TransportOptions", "Transport", "calls_in_flight"]

log = logging.getLogger("marvin2.client")

# Calls waiting for an answer, in every transport of this process: (transport id,
# thread id) -> (command, endpoints, time.monotonic() at the start). Read by
# watchdogs that tell the user what a silent run is waiting for.
_IN_FLIGHT: dict[tuple[int, int], tuple[str, str, float]] = {}
_IN_FLIGHT_LOCK = threading.Lock()


def calls_in_flight() -> list[tuple[str, str, float]]:
    """``(command, endpoints, started)`` of every request of this process still waiting (started: monotonic)."""
    with _IN_FLIGHT_LOCK:
        return list(_IN_FLIGHT.values())

# Above this URL length a read goes as POST too (servers and proxies cap URLs).
_MAX_GET_URL = 4000
# HTTP statuses after which repeating a read is sensible (proxies, API limit).
_RETRYABLE_READ_STATUSES = frozenset({429, 502, 503, 504})
_FORM = "application/x-www-form-urlencoded; charset=UTF-8"


class _RedactUrls(logging.Filter):
    """urllib3 logs request URLs at DEBUG; ours carry signatures and session keys."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is not ours to fix
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


_URL_LOGGER = logging.getLogger("urllib3.connectionpool")
if not any(isinstance(f, _RedactUrls) for f in _URL_LOGGER.filters):
    _URL_LOGGER.addFilter(_RedactUrls())


@dataclass(frozen=True)
class ServerSettings:
    """One management server and how to authenticate to it."""

    url: str
    api_key: str | None = None
    secret_key: str | None = field(default=None, repr=False)
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    domain: str = "/"
    verify: bool = True
    ca_bundle: str | None = None
    client_cert: str | None = None
    client_key: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.url, str) or not self.url.startswith(("http://", "https://")):
            raise ValueError(f"management server URL must start with http:// or https://, got {self.url!r}")
        if bool(self.api_key) != bool(self.secret_key):
            missing = "secret_key" if self.api_key else "api_key"
            raise ValueError(f"{self.url}: api_key and secret_key go together; {missing} is missing")
        if bool(self.username) != bool(self.password):
            missing = "password" if self.username else "username"
            raise ValueError(f"{self.url}: username and password go together; {missing} is missing")
        if self.client_key and not self.client_cert:
            raise ValueError(f"{self.url}: client_key given without client_cert")

    @property
    def auth(self) -> str:
        """``apikey`` (preferred when both are configured), ``session`` or ``none``."""
        if self.api_key:
            return "apikey"
        if self.username:
            return "session"
        return "none"

    @property
    def identity(self) -> str:
        """Who calls, without any secret (distinguishes role-dependent specs)."""
        if self.auth == "apikey":
            return f"key:{self.api_key}"
        if self.auth == "session":
            return f"user:{self.domain}:{self.username}"
        return "anonymous"


@dataclass(frozen=True)
class TransportOptions:
    connect_timeout: float = 10.0
    read_timeout: float = 120.0
    # 3: signatureVersion=3 with expires (default); None: plain signature.
    signature_version: int | None = 3
    expires_in: float = 300.0
    # Rounds over every server after the first one, with exponential backoff.
    retries: int = 3
    backoff: float = 0.25
    backoff_cap: float = 5.0

    def __post_init__(self) -> None:
        if self.signature_version not in (None, 1, 2, 3):
            raise ValueError(f"signature_version must be 3 or None, got {self.signature_version!r}")
        for name in ("connect_timeout", "read_timeout", "expires_in"):
            if not (isinstance(getattr(self, name), (int, float)) and getattr(self, name) > 0):
                raise ValueError(f"{name} must be a positive number of seconds, got {getattr(self, name)!r}")
        if not isinstance(self.retries, int) or self.retries < 0:
            raise ValueError(f"retries must be a non-negative integer, got {self.retries!r}")


class _Failure(Exception):
    """Internal: an exchange that produced no usable answer."""

    def __init__(self, kind: str, reason: str, error: BaseException | None = None) -> None:
        super().__init__(reason)
        self.kind = kind  # "not_sent" | "maybe_sent" | "fatal" | "retry_status"
        self.reason = reason
        self.error = error


class _Server:
    """Per-server state: its own requests.Session (cookies), TLS and login."""

    def __init__(self, settings: ServerSettings, options: TransportOptions) -> None:
        self.settings = settings
        self.url = settings.url
        self.auth = settings.auth
        self.session = requests.Session()
        self.session.headers["User-Agent"] = "marvin2"
        verify: bool | str = settings.ca_bundle or settings.verify
        cert: str | tuple[str, str] | None = (
            (settings.client_cert, settings.client_key) if settings.client_key else settings.client_cert
        )
        # Read proxies and CA settings from the environment once, not per call.
        env = self.session.merge_environment_settings(self.url, {}, None, verify, cert)
        self.session.trust_env = False
        self.send_kwargs = {
            "timeout": (options.connect_timeout, options.read_timeout),
            "verify": env["verify"],
            "cert": env["cert"],
            "proxies": env["proxies"],
        }
        self.headers = dict(self.session.headers)
        self.sessionkey: str | None = None
        self.login_lock = threading.Lock()

    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self.settings.secret_key, self.settings.password, self.sessionkey) if s)


class Transport:
    """Sends commands to a cloud; see the module docstring for the rules."""

    def __init__(
        self,
        servers: Sequence[ServerSettings],
        options: TransportOptions | None = None,
        listeners: Listeners | None = None,
    ) -> None:
        if not servers:
            raise ValueError("at least one management server is needed")
        self.options = options or TransportOptions()
        self.listeners = listeners if listeners is not None else Listeners()
        self._servers = [_Server(s, self.options) for s in servers]
        self._current = 0
        self._closed = False

    # --- public ------------------------------------------------------------------

    @property
    def endpoint(self) -> str:
        """The management server that answered last (the first one before any call)."""
        return self._servers[self._current].url

    @property
    def endpoints(self) -> tuple[str, ...]:
        return tuple(s.url for s in self._servers)

    @property
    def identity(self) -> str:
        return self._servers[self._current].settings.identity

    def secrets(self) -> tuple[str, ...]:
        out: list[str] = []
        for server in self._servers:
            out.extend(server.secrets())
        return tuple(out)

    def request(
        self,
        command: str,
        params: Mapping[str, str] | None = None,
        *,
        read_only: bool | None = None,
        internal: bool = False,
    ) -> Any:
        """Send ``command`` and return the inside of its response envelope.

        Raises ``CloudStackError`` for an error answer and ``TransportError``
        when no server could be reached (or a non-read may have been received
        and cannot safely be repeated).
        """
        if self._closed:
            raise MarvinError("this API object is closed")
        key = (id(self), threading.get_ident())
        with _IN_FLIGHT_LOCK:
            _IN_FLIGHT[key] = (command, ", ".join(self.endpoints), time.monotonic())
        try:
            return self._request(command, params, read_only, internal)
        finally:
            with _IN_FLIGHT_LOCK:
                _IN_FLIGHT.pop(key, None)

    def _request(self, command: str, params: Mapping[str, str] | None, read_only: bool | None, internal: bool) -> Any:
        params = dict(params or {})
        if read_only is None:
            read_only = is_read_only(command)
        servers = self._servers
        start = self._current
        last: _Failure | None = None
        rounds = self.options.retries + 1
        for round_no in range(rounds):
            if round_no:
                time.sleep(self._backoff(round_no))
            fatal_only = True
            for offset in range(len(servers)):
                index = (start + offset) % len(servers)
                server = servers[index]
                try:
                    inner = self._call_on_server(server, command, params, read_only, internal)
                except _Failure as failure:
                    last = failure
                    if failure.kind == "maybe_sent" and not read_only:
                        raise TransportError(command, failure.reason, endpoints=[server.url], maybe_sent=True) from None
                    if failure.kind != "fatal":
                        fatal_only = False
                    log.info("%s on %s failed (%s); trying the next server", command, server.url, failure.reason)
                    continue
                self._current = index
                return inner
            if fatal_only:
                break
        assert last is not None
        if last.kind == "retry_status" and isinstance(last.error, CloudStackError):
            raise last.error
        attempts = "once" if rounds == 1 or last.kind == "fatal" else f"{rounds} times"
        raise TransportError(
            command,
            f"{last.reason} (every server tried {attempts})",
            endpoints=[s.url for s in servers],
            maybe_sent=last.kind == "maybe_sent",
        ) from None

    def close(self) -> None:
        """Log out of session logins (best effort) and release connections."""
        if self._closed:
            return
        for server in self._servers:
            if server.auth == "session" and server.sessionkey:
                try:
                    self._exchange(server, "logout", {}, "POST", internal=True)
                except (_Failure, MarvinError, requests.RequestException) as error:
                    log.debug("logout from %s failed: %s", server.url, error)
                server.sessionkey = None
            server.session.close()
        self._closed = True

    # --- one server ---------------------------------------------------------------

    def _call_on_server(self, server: _Server, command: str, params: dict[str, str], read_only: bool, internal: bool) -> Any:
        if server.auth == "session" and server.sessionkey is None:
            self._login(server, None)
        method = "GET" if read_only else "POST"
        status, inner, error = self._exchange(server, command, params, method, internal)
        if status == 401 and server.auth == "session":
            # The session expired (or the server restarted): log in again
            # once and repeat once; a 401 means the server did not run it.
            log.info("session on %s expired; logging in again", server.url)
            self._login(server, server.sessionkey)
            status, inner, error = self._exchange(server, command, params, method, internal)
        if error is not None:
            raise error
        return inner

    def _login(self, server: _Server, stale_key: str | None) -> None:
        with server.login_lock:
            if server.sessionkey is not None and server.sessionkey != stale_key:
                return  # another thread logged in meanwhile
            server.sessionkey = None
            server.session.cookies.clear()
            s = server.settings
            params = {"username": s.username or "", "password": s.password or "", "domain": s.domain or "/"}
            status, inner, error = self._exchange(server, "login", params, "POST", internal=True)
            if error is not None:
                raise error
            key = inner.get("sessionkey") if isinstance(inner, dict) else None
            key = key or server.session.cookies.get("sessionkey")
            if not key:
                raise TransportError("login", "the server accepted the login but sent no session key", endpoints=[server.url])
            server.sessionkey = key

    def _wire_params(self, server: _Server, command: str, params: Mapping[str, str]) -> dict[str, str]:
        full = {"command": command, **params, "response": "json"}
        if command == "login":
            return full
        if server.auth == "apikey":
            s = server.settings
            full["apiKey"] = s.api_key  # type: ignore[assignment]
            if self.options.signature_version == 3:
                full["signatureVersion"] = "3"
                moment = _dt.datetime.now(_dt.timezone.utc) + _dt.timedelta(seconds=self.options.expires_in)
                full["expires"] = wire.format_tzdate(moment)
            full["signature"] = wire.sign(full, s.secret_key)  # type: ignore[arg-type]
        elif server.auth == "session":
            full["sessionkey"] = server.sessionkey or ""
        return full

    def _exchange(self, server: _Server, command: str, params: Mapping[str, str], method: str, internal: bool) -> tuple[int, Any, Exception | None]:
        """One HTTP request: (status, decoded inner, error for a non-200 answer).

        Raises _Failure when no usable answer came back.
        """
        full = self._wire_params(server, command, params)
        encode = wire.java_urlencode
        body = "&".join(f"{encode(k)}={encode(v)}" for k, v in full.items())
        if method == "GET" and len(server.url) + len(body) > _MAX_GET_URL:
            method = "POST"
        if method == "GET":
            request = requests.Request("GET", f"{server.url}?{body}", headers=server.headers)
        elif server.auth == "none":
            # A server without credentials is the integration port (8096), which reads only the query string
            # (ApiServer.handle), whatever the method: a POST keeps its parameters in the URL there, as Marvin's do.
            request = requests.Request("POST", f"{server.url}?{body}", headers=server.headers)
        else:
            request = requests.Request("POST", server.url, data=body, headers={**server.headers, "Content-Type": _FORM})
        if server.auth == "session":
            prepared = server.session.prepare_request(request)  # adds the session cookies
        else:
            prepared = request.prepare()
        started = time.perf_counter()
        status: int | None = None
        inner: Any = None
        problem: BaseException | None = None
        try:
            try:
                response = server.session.send(prepared, **server.send_kwargs)
            except requests.exceptions.RequestException as error:
                raise self._classify(error, server) from None
            status = response.status_code
            inner = self._decode(command, response, server)
            if status != 200:
                problem = self._error(command, status, inner, params, server)
                inner = _redacted_error_body(problem)
            return status, inner, problem  # type: ignore[return-value]
        except BaseException as error:
            problem = error
            raise
        finally:
            duration = time.perf_counter() - started
            if self.listeners or log.isEnabledFor(logging.DEBUG):
                self._report(server, command, full, status, duration, inner, problem, internal)

    def _decode(self, command: str, response: requests.Response, server: _Server) -> Any:
        status = response.status_code
        content = response.content
        ctype = response.headers.get("Content-Type", "")
        if "json" not in ctype and not content.lstrip().startswith(b"{"):
            if status == 200:
                raise _Failure("fatal", f"expected a JSON answer from {server.url}, got {ctype or 'no content type'} ({_snippet(content)})")
            # Plain-text errors (405 for a GET login, proxies' HTML pages).
            return Record(errorcode=status, errortext=_snippet(content))
        try:
            body = loads(content)
        except ValueError:
            if status == 200:
                raise _Failure("fatal", f"malformed JSON from {server.url}: {_snippet(content)}") from None
            return Record(errorcode=status, errortext=_snippet(content))
        try:
            _, inner = wire.unwrap_envelope(body)
        except ValueError as error:
            raise _Failure("fatal", f"unexpected answer from {server.url}: {error}") from None
        return inner

    def _classify(self, error: requests.exceptions.RequestException, server: _Server) -> _Failure:
        secrets = server.secrets()
        root = _root_cause(error)
        text = str(root)
        # urllib3 prefixes the connection object's repr; keep the useful part.
        text = text.split("Failed to establish a new connection: ", 1)[-1]
        reason = redact(f"{type(root).__name__}: {text}", secrets)
        if isinstance(error, requests.exceptions.SSLError):
            return _Failure("fatal", f"TLS failure with {server.url}: {reason}")
        if isinstance(error, requests.exceptions.ConnectTimeout) or any(isinstance(e, _NOT_SENT) for e in _chain(error)):
            # The request never left the client: safe to send anywhere again.
            return _Failure("not_sent", f"cannot connect to {server.url}: {reason}")
        if isinstance(error, requests.exceptions.ReadTimeout):
            return _Failure(
                "maybe_sent", f"no answer from {server.url} within {self.options.read_timeout:g}s (read timeout)"
            )
        return _Failure("maybe_sent", f"connection to {server.url} failed after sending: {reason}")

    def _error(self, command: str, status: int, inner: Any, params: Mapping[str, str], server: _Server) -> Exception:
        # A server may quote a value back (a password in "invalid value ...").
        secrets = server.secrets() + tuple(
            str(v) for k, v in params.items() if k.lower() in wire.SECRET_PARAM_NAMES and v
        )
        if isinstance(inner, dict):
            errorcode = inner.get("errorcode", status)
            errortext = inner.get("errortext") or f"HTTP {status}"
            cserrorcode = inner.get("cserrorcode")
        else:
            errorcode, errortext, cserrorcode = status, f"HTTP {status}", None
        if status == 401 and server.auth == "apikey":
            errortext += " (check the API key pair, and the clock: signature version 3 requests expire)"
        error = CloudStackError(
            command,
            errorcode,
            redact(str(errortext), secrets),
            cserrorcode=cserrorcode,
            params=params,
            endpoint=server.url,
            http_status=status,
        )
        if status in _RETRYABLE_READ_STATUSES and is_read_only(command):
            failure = _Failure("retry_status", f"HTTP {status} from {server.url}", error)
            return failure
        return error

    def _report(self, server: _Server, command: str, full: Mapping[str, str], status: int | None, duration: float,
                inner: Any, problem: BaseException | None, internal: bool) -> None:
        shown = wire.mask_secrets(full)
        shown.pop("signature", None)
        error = problem
        if isinstance(problem, _Failure):
            error = problem.error if problem.error is not None else TransportError(command, problem.reason, endpoints=[server.url], maybe_sent=problem.kind == "maybe_sent")
        log.debug("%s %s -> %s in %.3fs on %s", command, shown, status, duration, server.url)
        if self.listeners:
            response = mask_response(inner) if inner is not None else None
            self.listeners.emit(CallEvent(command, shown, status, duration, response, error, server.url, internal))

    def _backoff(self, round_no: int) -> float:
        base = min(self.options.backoff_cap, self.options.backoff * (2 ** (round_no - 1)))
        return base * random.uniform(0.8, 1.2)


def _chain(error: BaseException) -> list[BaseException]:
    """``error`` and the exceptions it wraps (urllib3's reason inside requests' wrapper...)."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and all(current is not seen for seen in chain):
        chain.append(current)
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException):
            current = reason
        elif current.args and isinstance(current.args[0], BaseException):
            current = current.args[0]
        else:
            current = current.__cause__ or current.__context__
    return chain


def _root_cause(error: BaseException) -> BaseException:
    return _chain(error)[-1]


# Failures that happen before a request leaves the client.
_NOT_SENT = (
    urllib3.exceptions.NewConnectionError,
    urllib3.exceptions.ConnectTimeoutError,
    ConnectionRefusedError,
    socket.gaierror,
)


def _redacted_error_body(problem: Exception) -> Record:
    """An error answer as the server sent it, but with the redacted text."""
    error = problem.error if isinstance(problem, _Failure) else problem
    if not isinstance(error, CloudStackError):
        return Record()
    body = Record(errorcode=error.errorcode, errortext=error.errortext)
    if error.cserrorcode is not None:
        body["cserrorcode"] = error.cserrorcode
    return body


def _snippet(content: bytes, limit: int = 200) -> str:
    text = content.decode("utf-8", "replace").strip().replace("\n", " ")
    return text if len(text) <= limit else text[:limit] + "..."


def servers_from(endpoints: str | Iterable[str], **settings: Any) -> list[ServerSettings]:
    """ServerSettings for one URL or a list of URLs sharing the same credentials."""
    urls = [endpoints] if isinstance(endpoints, str) else list(endpoints)
    if not urls:
        raise ValueError("endpoint: give a URL or a non-empty list of URLs")
    return [ServerSettings(url=url, **settings) for url in urls]
