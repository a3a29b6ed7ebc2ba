"""The simulator object: state, job engine, faults, sessions and the HTTP server."""
from __future__ import annotations

import logging
import ssl
import threading
from typing import Any, Iterable

from marvin2.simulator import auth, model, timing
from marvin2.simulator.configs import configuration_rows
from marvin2.simulator.declare import ADMIN, DOMAIN_ADMIN, REGISTRY, RESOURCE_ADMIN, USER
from marvin2.simulator.faults import Faults
from marvin2.simulator.jobs import JobEngine
from marvin2.simulator.services import systemvms
from marvin2.simulator.server import RequestPipeline, SimulatorHTTPServer, serve_in_thread
from marvin2.simulator.store import Store

log = logging.getLogger("marvin2.simulator")

SCHEMA_VERSION = 1
DEFAULT_ROLES = (
    ("Root Admin", ADMIN, "Default root admin role"),
    ("Resource Admin", RESOURCE_ADMIN, "Default resource admin role"),
    ("Domain Admin", DOMAIN_ADMIN, "Default domain admin role"),
    ("User", USER, "Default user role"),
)
ADMIN_USERNAME, ADMIN_PASSWORD = "admin", "password"
INTEGRATION_HOST = "127.0.0.1"


class Simulator(RequestPipeline):
    """An embedded CloudStack management server (see docs/internals.md for the handle contract)."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, db: str = ":memory:", profile: str = "fast",
                 seed: str | None = "default", faults: Iterable[dict[str, Any]] = (), fault_seed: int = 0,
                 integration_port: int | None = None, tls: ssl.SSLContext | None = None):
        """``integration_port``: also listen on 127.0.0.1:PORT (0 picks one) where requests need no
        credentials and run as the root admin (CloudStack's ``integration.api.port``); None: off.
        ``tls``: serve the API port over HTTPS with this server context (see ``tls.server_context``)."""
        from marvin2.simulator import apis

        apis.load_all()
        self.registry = REGISTRY
        self.profile = timing.check_profile(profile)
        self.store = Store(db)
        self.store.index("user", "apikey")
        self.faults = Faults(fault_seed, faults)
        self.sessions = auth.Sessions()
        self.jobs = JobEngine(self)
        self.stopped = False
        self._config_cache: dict[str, Any] = {}
        self.bootstrap(seed)
        self.interrupted_jobs = self.jobs.fail_interrupted()
        self.tls = tls
        self.httpd = SimulatorHTTPServer((host, port), self, tls=tls)
        self.host, self.port = self.httpd.server_address[:2]
        self._http_thread: threading.Thread | None = None
        self.integration_httpd: SimulatorHTTPServer | None = None
        self._integration_thread: threading.Thread | None = None
        if integration_port is not None:
            try:
                # Loopback only, whatever the API port binds to: anyone reaching this port is root admin.
                self.integration_httpd = SimulatorHTTPServer((INTEGRATION_HOST, integration_port), self, integration=True)
            except OSError:
                self.httpd.server_close()
                raise
            self.integration_port: int | None = self.integration_httpd.server_address[1]
        else:
            self.integration_port = None

    # --- the handle ------------------------------------------------------------------------

    @property
    def endpoint(self) -> str:
        host = f"[{self.host}]" if ":" in str(self.host) else self.host
        scheme = "https" if self.tls is not None else "http"
        return f"{scheme}://{host}:{self.port}/client/api"

    @property
    def integration_endpoint(self) -> str | None:
        """``http://127.0.0.1:PORT/client/api`` of the integration port (no credentials), None when off."""
        if self.integration_port is None:
            return None
        return f"http://{INTEGRATION_HOST}:{self.integration_port}/client/api"

    @property
    def admin_user(self) -> dict:
        admin = self.store.find_one("user", username=ADMIN_USERNAME, isdefault=True)
        assert admin is not None, "the simulator database lost its admin user"
        return admin

    @property
    def admin_api_key(self) -> str:
        return self.admin_user["apikey"]

    @property
    def admin_secret_key(self) -> str:
        return self.admin_user["secretkey"]

    def __repr__(self) -> str:
        return f"<Simulator {self.endpoint} profile={self.profile} db={self.store.path!r}>"

    def start(self) -> "Simulator":
        self.jobs.start()
        self._http_thread = serve_in_thread(self.httpd)
        if self.integration_httpd is not None:
            self._integration_thread = serve_in_thread(self.integration_httpd, "marvin2-sim-integration")
            log.warning("the integration port %s is open: requests to it need no credentials and run as the "
                        "root admin", self.integration_endpoint)
        return self

    def stop(self) -> None:
        if self.stopped:
            return
        self.stopped = True
        if self._http_thread is not None:      # shutdown() blocks forever if serve_forever never ran
            self.httpd.shutdown()
        self.httpd.server_close()
        if self.integration_httpd is not None:
            if self._integration_thread is not None:
                self.integration_httpd.shutdown()
            self.integration_httpd.server_close()
        self.jobs.stop()
        with self.store.lock:
            self.store.close()

    def __enter__(self) -> "Simulator":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # --- settings -------------------------------------------------------------------------------

    # Most specific first: a value set for the account wins over its domain's, then the zone's ... the global one.
    SCOPE_ORDER = ("account", "domain", "storagepool", "cluster", "zone", "imagestore")

    def config_value(self, name: str, default: Any = None, **scope: str | None) -> Any:
        """A setting's value: the one set for a given scope (``account=id``, ``zone=id`` ..., as
        updateConfiguration with accountid/zoneid ... stores it) if any, else the global value."""
        row = self.store.get("configuration", name)
        if row is None:
            return default
        scoped = row.get("scoped") or {}
        for scope_name in self.SCOPE_ORDER:
            scope_id = scope.pop(scope_name, None)
            if scope_id and f"{scope_name}:{scope_id}" in scoped:
                return scoped[f"{scope_name}:{scope_id}"]
        if scope:
            raise ValueError(f"unknown setting scope(s) {sorted(scope)}; use {', '.join(self.SCOPE_ORDER)}")
        if row.get("value") is None:   # a cleared setting: the server's ConfigKey falls back to its default
            return row.get("defaultvalue") if row.get("defaultvalue") is not None else default
        return row["value"]

    # --- first start ----------------------------------------------------------------------------

    def bootstrap(self, seed: str | None) -> None:
        """Fill an empty database as a fresh 4.20 install: roles, ROOT, admin, settings, guest OS catalogue,
        offerings and built-in template; then the seed (if any)."""
        store = self.store
        with store.transaction():
            if store.get_meta("schema_version") is not None:
                return
            roles = {}
            for name, role_type, description in DEFAULT_ROLES:
                roles[role_type] = store.insert("role", {"name": name, "type": role_type, "description": description,
                                                         "isdefault": True, "custom": False})
            root = store.insert("domain", {"name": "ROOT", "path": "ROOT", "level": 0, "state": "Active",
                                           "parentdomainid": None, "internalid": 1})
            account = store.insert("account", {"name": "admin", "domainid": root["id"], "accounttype": 1,
                                               "roleid": roles[ADMIN]["id"], "state": "enabled"})
            store.insert("user", {"username": ADMIN_USERNAME, "password": auth.hash_password(ADMIN_PASSWORD),
                                  "accountid": account["id"], "domainid": root["id"], "firstname": "Admin",
                                  "lastname": "User", "email": "admin@mailprovider.com", "state": "enabled",
                                  "apikey": auth.new_api_key(), "secretkey": model.random_secret(),
                                  "usersource": "native", "isdefault": True})
            store.insert_many("configuration", configuration_rows())
            model.install_fresh_database(store, account)
            if seed is not None:
                model.load_seed(store, seed, account)
                systemvms.adopt_seeded(store)
            store.set_meta("schema_version", SCHEMA_VERSION)
            store.set_meta("seed", seed)


def start_simulator(host: str = "127.0.0.1", port: int = 0, db: str = ":memory:", profile: str = "fast",
                    seed: str | None = "default", faults: Iterable[dict[str, Any]] = (), fault_seed: int = 0,
                    integration_port: int | None = None, tls: ssl.SSLContext | None = None) -> Simulator:
    """Start a simulator in background threads and return its handle (``.endpoint``, keys, ``.stop()``).

    ``seed``: ``"default"`` (advanced zone), ``"basic"`` (Basic zone with
    security groups), a YAML file path, or None for an empty cloud (admin only).
    ``faults``: fault rules to start with (see faults.FaultRule), randomness seeded by ``fault_seed``.
    ``integration_port``: also open the credential-less root-admin port on loopback (None: off).
    ``tls``: serve HTTPS with this server context (``marvin2.simulator.tls.server_context``).
    """
    return Simulator(host=host, port=port, db=db, profile=profile, seed=seed, faults=faults, fault_seed=fault_seed,
                     integration_port=integration_port, tls=tls).start()
