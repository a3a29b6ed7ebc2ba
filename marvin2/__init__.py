"""marvin2: CloudStack integration testing on pytest."""
from __future__ import annotations

import dataclasses
import os
from typing import TYPE_CHECKING, Any, Mapping, Sequence

if TYPE_CHECKING:  # pragma: no cover
    from marvin2.client import API

__all__ = [
    "connect",
    "API",
    "Record",
    "CallEvent",
    "JobEvent",
    "Spec",
    "MarvinError",
    "CloudStackError",
    "UnknownApiError",
    "ParameterError",
    "AsyncJobFailed",
    "AsyncJobTimeout",
    "TransportError",
]

# Re-exports load the client lazily: ``import marvin2.wire`` (the simulator
# does) must not pull in the client and requests.
_CLIENT_NAMES = frozenset(__all__) - {"connect"}


def __getattr__(name: str) -> Any:
    if name in _CLIENT_NAMES:
        import marvin2.client

        return getattr(marvin2.client, name)
    raise AttributeError(f"module 'marvin2' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


def connect(
    endpoint: str | Sequence[str] | None = None,
    *,
    api_key: str | None = None,
    secret_key: str | None = None,
    username: str | None = None,
    password: str | None = None,
    domain: str = "/",
    verify: bool = True,
    timeout: float | tuple[float, float] | Mapping[str, float] | None = None,
    config: str | os.PathLike | None = None,
    **options: Any,
) -> "API":
    """Connect to a CloudStack management server and return the API object.

    ``marvin2.connect(URL, api_key=..., secret_key=...)``, or with
    ``username=``/``password=``/``domain=`` for a session login (API keys win
    when both are given); ``endpoint`` may be a list of URLs (failover, in
    order). ``timeout``: seconds, a ``(connect, read)`` pair, or a mapping
    with ``connect``, ``read``, ``job`` and per-API job timeouts. More options
    (``ca_bundle``, ``client_cert``, ``client_key``, ``job_timeouts``,
    ``cache_dir``, ``signature_version``, ``retries``...): see
    ``marvin2.client.connect`` and docs/internals.md.

    ``marvin2.connect(config="configs/simulator.yaml")`` reads a marvin2
    config: its management servers (each with its own credentials and TLS
    settings) and timeouts, or, when it says ``simulator:``, starts the
    embedded simulator, which ``api.close()`` stops.
    """
    from marvin2 import client

    if config is None:
        return client.connect(
            endpoint, api_key=api_key, secret_key=secret_key, username=username, password=password,
            domain=domain, verify=verify, timeout=timeout, **options,
        )
    given = {"endpoint": endpoint, "api_key": api_key, "secret_key": secret_key, "username": username, "password": password}
    clashing = sorted(name for name, value in given.items() if value is not None)
    if clashing:
        raise ValueError(f"connect: config=... already says where and who; do not also give {', '.join(clashing)}")
    if timeout is not None:
        options["timeout"] = timeout
    from marvin2.config import load_config

    cfg = load_config(config)
    options.setdefault("timeout", dict(cfg.timeouts) or None)
    resolver = getattr(cfg, "job_timeout", None)
    if callable(resolver):
        options.setdefault("job_timeouts", resolver)
    if cfg.simulator is not None:
        return _connect_simulator(cfg.simulator, options)
    servers = [_server_settings(ms) for ms in cfg.management_servers]
    if not servers:
        raise ValueError(f"config {config}: no management server and no simulator to connect to")
    return client.connect(servers=servers, **options)


def _server_settings(ms: Any):
    from marvin2.client import ServerSettings

    fields = ("url", "api_key", "secret_key", "username", "password", "domain", "verify", "ca_bundle", "client_cert", "client_key")
    values = {name: getattr(ms, name, None) for name in fields}
    values = {k: v for k, v in values.items() if v is not None}
    return ServerSettings(**values)


def _simulator_kwargs(settings: Any) -> dict[str, Any]:
    if isinstance(settings, Mapping):
        return dict(settings)
    if dataclasses.is_dataclass(settings):
        return dataclasses.asdict(settings)
    if settings is True:
        return {}
    return dict(vars(settings))


def _connect_simulator(settings: Any, options: dict[str, Any]) -> "API":
    # The simulator is started only here, never from marvin2.client (layering).
    from marvin2 import client
    from marvin2.simulator import start_simulator

    simulator = start_simulator(port=0, **_simulator_kwargs(settings))
    try:
        api = client.connect(
            simulator.endpoint,
            api_key=simulator.admin_api_key,
            secret_key=simulator.admin_secret_key,
            **options,
        )
    except BaseException:
        simulator.stop()
        raise
    api.on_close(simulator.stop)
    return api
