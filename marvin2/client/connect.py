"""``connect()``: build an API object for one cloud.

Asks the server its version (``listCapabilities``), takes the spec from the
cache (or fetches ``listApis`` once and caches it), and wires transport, job
waiter and listeners together. ``marvin2.connect`` adds config files and the
embedded simulator on top of this.
"""
from __future__ import annotations

import logging
import os
from typing import Any, Callable, Mapping, Sequence

from marvin2.client.api import API
from marvin2.client.errors import CloudStackError, ListApisDenied, MarvinError
from marvin2.client.events import Listeners
from marvin2.client.jobs import JobTimeouts, PollSchedule
from marvin2.client.spec import Spec, SpecCache
from marvin2.client.transport import ServerSettings, Transport, TransportOptions, servers_from

__all__ = ["connect", "DEFAULT_CONNECT_TIMEOUT", "DEFAULT_READ_TIMEOUT"]

log = logging.getLogger("marvin2.client")

DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_READ_TIMEOUT = 120.0


def _http_timeouts(timeout: Any) -> tuple[float, float, Mapping[str, float] | None]:
    """(connect, read, job timeouts) from a number, a pair or a mapping."""
    if timeout is None:
        return DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT, None
    if isinstance(timeout, bool):
        raise ValueError(f"timeout must be seconds, a (connect, read) pair or a mapping, got {timeout!r}")
    if isinstance(timeout, (int, float)):
        return float(timeout), float(timeout), None
    if isinstance(timeout, Mapping):
        connect_t = timeout.get("connect", DEFAULT_CONNECT_TIMEOUT)
        read_t = timeout.get("read", DEFAULT_READ_TIMEOUT)
        return float(connect_t), float(read_t), timeout
    if isinstance(timeout, Sequence) and len(timeout) == 2:
        return float(timeout[0]), float(timeout[1]), None
    raise ValueError(f"timeout must be seconds, a (connect, read) pair or a mapping, got {timeout!r}")


# CloudStack's answer to an API the caller's role does not allow (or that does not exist).
API_NOT_AVAILABLE = 432


def server_version(transport: Transport) -> str | None:
    """``cloudstackversion`` from listCapabilities (None if the server does not say).

    A role may deny listCapabilities (custom roles often allow little more than
    ``list*`` of their own resources); the version then is simply unknown: the
    spec is fetched without the cache rather than refusing to connect.
    """
    try:
        inner = transport.request("listCapabilities", {}, read_only=True, internal=True)
    except CloudStackError as error:
        if error.errorcode != API_NOT_AVAILABLE:
            raise
        log.debug("%s: listCapabilities is not available to this account (%s); the server version is unknown, "
                  "so the API spec is fetched without the cache", transport.endpoint, error.errortext)
        return None
    capability = inner.get("capability") if isinstance(inner, dict) else None
    if isinstance(capability, list) and capability:
        capability = capability[0]
    version = capability.get("cloudstackversion") if isinstance(capability, dict) else None
    return str(version) if version else None


def connect(
    endpoint: str | Sequence[str] | None = None,
    *,
    api_key: str | None = None,
    secret_key: str | None = None,
    username: str | None = None,
    password: str | None = None,
    domain: str = "/",
    verify: bool = True,
    ca_bundle: str | None = None,
    client_cert: str | None = None,
    client_key: str | None = None,
    timeout: float | tuple[float, float] | Mapping[str, float] | None = None,
    job_timeouts: float | Mapping[str, float] | Callable[[str], float] | None = None,
    servers: Sequence[ServerSettings] | None = None,
    signature_version: int | None = 3,
    expires_in: float = 300.0,
    retries: int = 3,
    poll_first: float = 0.05,
    poll_cap: float = 2.0,
    poll_ratio: float = 0.02,
    cache_dir: str | os.PathLike | None = None,
    use_cache: bool = True,
    refresh_spec: bool = False,
    spec: Spec | str | os.PathLike | None = None,
    api_class: type[API] = API,
) -> API:
    """Connect to a management server (or several, for failover).

    ``endpoint`` is one URL or a list of URLs sharing the credentials;
    ``servers`` instead gives per-server settings. API keys are preferred
    when both keys and a user name are given. ``timeout`` is seconds for
    connect and read, a ``(connect, read)`` pair, or a mapping with
    ``connect``, ``read``, ``job``/``default`` and per-API job timeouts
    (``{"deployVirtualMachine": 900}``). ``job_timeouts`` gives job timeouts
    on their own: seconds, a mapping like the above, or a function of the
    command name (``Config.job_timeout``). ``spec`` skips listApis (a Spec or
    a listApis JSON file). ``cache_dir`` overrides ``$MARVIN2_CACHE_DIR``.
    """
    connect_t, read_t, http_mapping = _http_timeouts(timeout)
    if servers is None:
        if endpoint is None:
            raise ValueError("connect: give an endpoint URL (or a list of them), servers=..., or config=...")
        servers = servers_from(
            endpoint,
            api_key=api_key,
            secret_key=secret_key,
            username=username,
            password=password,
            domain=domain,
            verify=verify,
            ca_bundle=ca_bundle,
            client_cert=client_cert,
            client_key=client_key,
        )
    elif endpoint is not None:
        raise ValueError("connect: give either endpoint or servers, not both")
    options = TransportOptions(
        connect_timeout=connect_t,
        read_timeout=read_t,
        signature_version=signature_version,
        expires_in=expires_in,
        retries=retries,
    )
    if callable(job_timeouts):
        timeouts = JobTimeouts(http_mapping, resolver=job_timeouts)
    elif job_timeouts is not None:
        timeouts = JobTimeouts(job_timeouts)
    else:
        timeouts = JobTimeouts(http_mapping)
    schedule = PollSchedule(first=poll_first, ratio=poll_ratio, cap=poll_cap)
    listeners = Listeners()
    transport = Transport(list(servers), options, listeners)
    try:
        loaded = _load_spec(transport, spec, cache_dir, use_cache, refresh_spec)
        return api_class(transport, loaded, job_timeouts=timeouts, poll_schedule=schedule, listeners=listeners)
    except BaseException:
        transport.close()
        raise


def _load_spec(transport: Transport, spec: Any, cache_dir: Any, use_cache: bool, refresh: bool) -> Spec:
    if isinstance(spec, Spec):
        return spec
    if spec is not None:
        return Spec.from_file(spec)
    version = server_version(transport)
    endpoint = transport.endpoint

    def fetch() -> Any:
        try:
            return transport.request("listApis", {}, read_only=True, internal=True)
        except CloudStackError as error:
            if error.errorcode != API_NOT_AVAILABLE:
                raise
            raise ListApisDenied(endpoint, error) from error

    if not use_cache or version is None:
        if version is None:
            log.debug("%s did not report its version; listApis is fetched without cache", endpoint)
        return Spec.from_document(fetch(), version=version, endpoint=endpoint)
    cache = SpecCache(cache_dir)
    try:
        return cache.get_or_fetch(endpoint, version, fetch, identity=transport.identity, refresh=refresh)
    except MarvinError:
        raise
