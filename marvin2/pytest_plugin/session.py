"""The run: its identity, the marvin2 config, the embedded simulator, admin access.

Who does what under pytest-xdist:

- The controller (or the only process, without xdist) makes the run id and
  the results directory in ``pytest_configure``.
- When the config says ``simulator:``, the controller starts the embedded
  simulator ONCE per run (a subprocess, see ``embedded.py``): lazily, when
  the first xdist node is configured or, without xdist, when the first
  fixture or hook asks for the cloud. It passes run id, directories and the
  simulator's endpoint and admin keys to the workers through
  ``node.workerinput``, and stops the simulator in ``pytest_unconfigure``.
- Workers read all of that from ``config.workerinput``; they never start a
  simulator of their own.

Every API object of the plugin is made by :func:`connect_api` so that the
listeners registered with :func:`add_api_listener` (allure steps) see every
call. See docs/internals.md, "Plugin", for the contract.
"""
from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pytest

from marvin2.pytest_plugin.embedded import SimulatorEndpoint, SimulatorProcess, SimulatorStartError
from marvin2.pytest_plugin.options import config_path, get_option

__all__ = [
    "RunContext",
    "RUN_CONTEXT",
    "MarvinSessionError",
    "run_context_of",
    "load_marvin_config",
    "marvin_config_of",
    "uses_simulator",
    "zone_name",
    "hypervisor_name",
    "connect_api",
    "admin_api",
    "add_api_listener",
    "cloud_started",
]

_WORKERINPUT_KEY = "marvin2"
_RUN_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class MarvinSessionError(Exception):
    """The run cannot reach its cloud (bad config, simulator did not start...)."""


@dataclass(frozen=True)
class RunContext:
    """Identity and directories of this run; the same on every xdist worker.

    ``results_dir`` and ``shared_dir`` exist once ``pytest_configure`` is over
    (except for information-only invocations such as ``--help``/``--markers``).
    ``shared_dir`` is for coordination files (locks, ledgers) of all workers.
    """

    run_id: str
    results_dir: Path
    worker_id: str  # "master" without xdist or on the controller, else "gw0", "gw1", ...
    shared_dir: Path
    config_path: Path

    @property
    def is_controller(self) -> bool:
        return self.worker_id == "master"


RUN_CONTEXT = pytest.StashKey[RunContext]()
_ACCESS = pytest.StashKey["_CloudAccess"]()
_LISTENERS = pytest.StashKey[list]()


# --- config loading -----------------------------------------------------------


def load_marvin_config(path: Path):
    """Load and validate a marvin2 YAML config (``marvin2.config``)."""
    from marvin2.config import load_config  # imported late: the plugin loads in every pytest run

    return load_config(path)


def _prune_old_runs(current: Path, keep: int) -> None:
    """Remove all but the newest ``keep`` run folders beside ``current`` (the
    default .marvin2/runs/ grows by one folder per pytest run otherwise)."""
    import shutil

    runs = [p for p in current.parent.iterdir() if p.is_dir() and p != current]
    runs.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    # A folder touched in the last hour may belong to a run still going on beside this one.
    recent = time.time() - 3600
    for old in runs[max(0, keep - 1):]:
        if old.stat().st_mtime < recent:
            shutil.rmtree(old, ignore_errors=True)


def _fault_args(settings: Any, shared_dir: Path) -> tuple[str, ...]:
    """The simulator's --faults/--fault-seed arguments for the config's fault rules."""
    faults = list(_field(settings, "faults") or ())
    if not faults:
        return ()
    import yaml

    rules_file = shared_dir / "simulator-faults.yaml"
    rules_file.write_text(yaml.safe_dump(faults), encoding="utf-8")
    return ("--faults", str(rules_file), "--fault-seed", str(_field(settings, "fault_seed") or 0))


def _field(obj: Any, name: str, default: Any = None) -> Any:
    """Read a config field from an object or a mapping."""
    if obj is None:
        return default
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


_TLS_FIELDS = ("verify", "ca_bundle", "client_cert", "client_key")
_SERVER_FIELDS = ("url", "api_key", "secret_key", "username", "password", "domain") + _TLS_FIELDS


class _CloudAccess:
    """Per-process access to the cloud under test (lazy: nothing happens until asked)."""

    def __init__(self, pytest_config: pytest.Config, context: RunContext, explicit_config: bool,
                 simulator: SimulatorEndpoint | None = None, simulator_error: str | None = None):
        self.pytest_config = pytest_config
        self.context = context
        self.explicit_config = explicit_config
        self._config = None
        self._simulator_endpoint = simulator
        self._simulator_error = simulator_error
        self._process: SimulatorProcess | None = None
        self._admin_api = None

    # config
    def marvin_config(self):
        if self._config is None:
            path = self.context.config_path
            if not path.is_file():
                how = "" if self.explicit_config else (" (the default; choose one with --marvin-config PATH, "
                                                       "the MARVIN2_CONFIG environment variable or ini marvin_config)")
                raise MarvinSessionError(f"marvin2 config {path} does not exist{how}")
            try:
                self._config = load_marvin_config(path)
            except MarvinSessionError:
                raise
            except ValueError as error:  # ConfigError: names the file, line and key of every problem
                raise MarvinSessionError(f"invalid marvin2 config: {error}") from None
        return self._config

    def uses_simulator(self) -> bool:
        return bool(_field(self.marvin_config(), "simulator"))

    # simulator (controller only)
    def simulator(self) -> SimulatorEndpoint:
        if self._simulator_endpoint is not None:
            return self._simulator_endpoint
        if self._simulator_error is not None:
            raise MarvinSessionError(self._simulator_error)
        if not self.context.is_controller:
            raise MarvinSessionError(
                "the controller passed no simulator endpoint to this xdist worker "
                "(was the marvin2 plugin disabled on the controller?)")
        settings = _field(self.marvin_config(), "simulator")
        seed = _field(settings, "seed")  # "default", None (= empty) or a resolved file path
        process = SimulatorProcess(
            profile=self.pytest_config.getoption("marvin_simulator_profile", default=None) or _field(settings, "profile"),
            seed=seed if seed not in (None, "default") else None,
            empty=seed is None,
            db=_field(settings, "db"),
            log_path=self.context.shared_dir / "simulator.log",
            extra_args=_fault_args(settings, self.context.shared_dir),
        )
        timeout = float(get_option(self.pytest_config, "marvin_simulator_timeout"))
        try:
            self._simulator_endpoint = process.start(timeout=timeout)
        except SimulatorStartError as error:
            self._simulator_error = f"the embedded simulator (config {self.context.config_path}) did not start: {error}"
            raise MarvinSessionError(self._simulator_error) from None
        self._process = process
        return self._simulator_endpoint

    @property
    def started(self) -> bool:
        """Whether the cloud may be called without starting anything."""
        if self._simulator_endpoint is not None:
            return True
        try:
            return not self.uses_simulator()
        except MarvinSessionError:
            return False

    # connection parameters
    def target(self, credentials: dict[str, Any]) -> dict[str, Any]:
        """Keyword arguments for ``marvin2.client.connect``: where, and as whom.

        With ``credentials`` (a user's keys or login) every management server
        is tried with them, over the first server's TLS settings; without,
        each server keeps its own admin credentials and TLS settings.
        """
        if self.uses_simulator():
            sim = self.simulator()
            return {"endpoint": sim.endpoint, **(credentials or {"api_key": sim.api_key, "secret_key": sim.secret_key})}
        servers = _field(self.marvin_config(), "management_servers") or []
        if not servers:
            raise MarvinSessionError(
                f"marvin2 config {self.context.config_path} has neither `simulator:` nor `management_servers:`")
        if not credentials:
            from marvin2.client import ServerSettings

            return {"servers": [ServerSettings(**{f: _field(server, f) for f in _SERVER_FIELDS
                                                  if _field(server, f) is not None})
                                for server in servers]}
        endpoints = [_field(server, "url") for server in servers]
        transport = {f: _field(servers[0], f) for f in _TLS_FIELDS if _field(servers[0], f) is not None}
        return {"endpoint": endpoints[0] if len(endpoints) == 1 else endpoints, **credentials, **transport}

    def admin_api(self):
        if self._admin_api is None:
            self._admin_api = connect_api(self.pytest_config)
        return self._admin_api

    def close(self) -> None:
        api, self._admin_api = self._admin_api, None
        if api is not None:
            try:
                api.close()
            except Exception:
                pass
        process, self._process = self._process, None
        if process is not None:
            process.stop()


# --- public helpers -------------------------------------------------------------


def run_context_of(config: pytest.Config) -> RunContext:
    try:
        return config.stash[RUN_CONTEXT]
    except KeyError:
        raise MarvinSessionError("the marvin2 plugin is not configured in this pytest run") from None


def _access(config: pytest.Config) -> _CloudAccess:
    try:
        return config.stash[_ACCESS]
    except KeyError:
        raise MarvinSessionError("the marvin2 plugin is not configured in this pytest run") from None


def marvin_config_of(config: pytest.Config):
    """The loaded ``marvin2.config.Config`` of this run (raises MarvinSessionError)."""
    return _access(config).marvin_config()


def uses_simulator(config: pytest.Config) -> bool:
    return _access(config).uses_simulator()


def cloud_started(config: pytest.Config) -> bool:
    """True when the cloud is reachable without starting anything (a real cloud,
    or an embedded simulator that is already up). For run-end hooks that should
    not start a simulator just to find nothing to do."""
    return _access(config).started


def zone_name(config: pytest.Config) -> str | None:
    """``--zone`` (or ini) if given, else the config's ``zone``."""
    return get_option(config, "marvin_zone") or _field(marvin_config_of(config), "zone")


def hypervisor_name(config: pytest.Config) -> str | None:
    """``--hypervisor`` (or ini), else the config's ``hypervisor``; "Simulator" for the embedded simulator."""
    explicit = get_option(config, "marvin_hypervisor") or _field(marvin_config_of(config), "hypervisor")
    if explicit:
        return explicit
    return "Simulator" if uses_simulator(config) else None


def add_api_listener(config: pytest.Config, callback: Callable[[Any], None]) -> None:
    """Attach ``callback`` to every API object made by :func:`connect_api` from now on."""
    config.stash.setdefault(_LISTENERS, []).append(callback)


def connect_api(config: pytest.Config, *, api_key: str | None = None, secret_key: str | None = None,
                username: str | None = None, password: str | None = None, domain: str | None = None,
                listeners: bool = True, **client_options: Any):
    """An API client for this run's cloud, with the plugin's listeners attached
    (``listeners=False``: without them, for calls that belong to no test).

    Without credentials it acts as the admin of the config (or of the embedded
    simulator). ``client_options`` go to ``marvin2.connect`` unchanged.
    """
    from marvin2.client import connect  # the plain client: the endpoint and keys are resolved here

    access = _access(config)
    given = {"api_key": api_key, "secret_key": secret_key, "username": username, "password": password,
             "domain": domain}
    target = access.target({k: v for k, v in given.items() if v is not None})
    cfg = access.marvin_config()
    timeouts = _field(cfg, "timeouts") or {}
    defaults: dict[str, Any] = {}
    if "connect" in timeouts or "read" in timeouts:
        defaults["timeout"] = {k: timeouts[k] for k in ("connect", "read") if k in timeouts}
    if hasattr(cfg, "job_timeout"):
        defaults["job_timeouts"] = cfg.job_timeout  # per-API job timeouts from the config
    api = connect(**{**target, **defaults, **client_options})
    for callback in config.stash.get(_LISTENERS, []) if listeners else ():
        api.add_listener(callback)
    return api


def admin_api(config: pytest.Config):
    """The process-wide admin API (cached; closed at unconfigure). Usable from hooks."""
    return _access(config).admin_api()


# --- hooks ------------------------------------------------------------------------


def _information_only(config: pytest.Config) -> bool:
    option = config.option
    return any(getattr(option, name, False) for name in
               ("help", "version", "markers", "showfixtures", "show_fixtures_per_test"))


def _new_run_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(3)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    path, explicit = config_path(config)
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None and _WORKERINPUT_KEY in workerinput:
        shared = workerinput[_WORKERINPUT_KEY]
        context = RunContext(
            run_id=shared["run_id"],
            results_dir=Path(shared["results_dir"]),
            worker_id=workerinput.get("workerid", "gw?"),
            shared_dir=Path(shared["shared_dir"]),
            config_path=Path(shared.get("config_path", path)),  # resolved once, by the controller
        )
        simulator = SimulatorEndpoint.from_wire(shared["simulator"]) if shared.get("simulator") else None
        config.stash[RUN_CONTEXT] = context
        config.stash[_ACCESS] = _CloudAccess(config, context, explicit, simulator, shared.get("simulator_error"))
        return

    if explicit and not path.is_file() and not _information_only(config):
        import os

        source = ("--marvin-config" if config.getoption("marvin_config", default=None)
                  else "MARVIN2_CONFIG" if os.environ.get("MARVIN2_CONFIG") else "ini marvin_config")
        raise pytest.UsageError(f"{source} {path}: no such file")
    run_id = config.getoption("marvin_run_id", default=None) or _new_run_id()
    if not _RUN_ID_PATTERN.match(run_id):
        raise pytest.UsageError(
            f"--run-id {run_id!r}: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit")
    results_option = get_option(config, "marvin_results_dir")
    if results_option:
        results_dir = Path(results_option).expanduser()
        base = Path(config.invocation_params.dir) if config.getoption("marvin_results_dir") else config.rootpath
        results_dir = results_dir if results_dir.is_absolute() else base / results_dir
    else:
        results_dir = config.rootpath / ".marvin2" / "runs" / run_id
    context = RunContext(
        run_id=run_id,
        results_dir=results_dir.resolve(),
        worker_id="master",
        shared_dir=results_dir.resolve() / "shared",
        config_path=path,
    )
    if not _information_only(config):
        context.shared_dir.mkdir(parents=True, exist_ok=True)
        # `marvin2 run` names the default folder with --results-dir: prune there too.
        if not results_option or context.results_dir.parent == (config.rootpath / ".marvin2" / "runs").resolve():
            _prune_old_runs(context.results_dir, keep=get_option(config, "marvin_keep_runs"))
    config.stash[RUN_CONTEXT] = context
    config.stash[_ACCESS] = _CloudAccess(config, context, explicit)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node) -> None:
    """xdist controller: hand the run (and a started simulator) to each worker."""
    config = node.config
    context = run_context_of(config)
    access = _access(config)
    payload: dict[str, Any] = {
        "run_id": context.run_id,
        "results_dir": str(context.results_dir),
        "shared_dir": str(context.shared_dir),
        "config_path": str(context.config_path),
    }
    try:
        if access.uses_simulator():
            payload["simulator"] = access.simulator().to_wire()
    except MarvinSessionError as error:
        # Workers report it from their fixtures, test by test, with this text.
        payload["simulator_error"] = str(error)
    node.workerinput[_WORKERINPUT_KEY] = payload


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    access = config.stash.get(_ACCESS, None)
    if access is not None:
        access.close()


# --- fixtures ----------------------------------------------------------------------


def _fail_on_session_error(call: Callable[[], Any]) -> Any:
    try:
        return call()
    except MarvinSessionError as error:
        message = str(error)
    # Outside the except block: the report shows our message, not a chained traceback.
    pytest.fail(message, pytrace=False)


@pytest.fixture(scope="session")
def run_context(pytestconfig: pytest.Config) -> RunContext:
    """This run's id, results directory, worker id and shared directory."""
    return run_context_of(pytestconfig)


@pytest.fixture(scope="session")
def marvin2_config(pytestconfig: pytest.Config):
    """The loaded marvin2 config (``marvin2.config.Config``) of this run."""
    return _fail_on_session_error(lambda: marvin_config_of(pytestconfig))


@pytest.fixture(scope="session")
def cloud(pytestconfig: pytest.Config):
    """An admin API client of the cloud under test (starts the embedded simulator if needed)."""
    api = _fail_on_session_error(lambda: connect_api(pytestconfig))
    yield api
    api.close()
