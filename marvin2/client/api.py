"""The API object: one callable per API of the connected server.

``api.listZones(name="zim1")`` and ``api.list_zones(name="zim1")`` both
resolve through the spec (``__getattr__``), check parameters before anything
is sent, unwrap the response envelope, and wait for async jobs unless told
``wait=False``. ``api.call(name, params)`` does the same by name.
"""
from __future__ import annotations

import logging
import time
from typing import Any, Callable, Iterable, Iterator, Mapping

from marvin2.client.errors import MarvinError, ParameterError, UnknownApiError
from marvin2.client.events import Listener, Listeners
from marvin2.client.jobs import JobTimeouts, JobWaiter, PollSchedule
from marvin2.client.params import encode_unchecked, prepare_params
from marvin2.client.record import Record
from marvin2.client.spec import ApiSpec, Spec
from marvin2.client.transport import Transport

__all__ = ["API", "ApiMethod", "describe", "unwrap_result"]

log = logging.getLogger("marvin2.client")

MAX_PAGE_SIZE = 500


def unwrap_result(api: ApiSpec | None, inner: Any) -> Any:
    """The useful part of a response's inner object.

    - list APIs (and any answer with ``count``): the list under the key that
      is not ``count``; ``{}`` or ``{"count": N}`` alone is an empty list;
    - a single key holding an object or a list: that object or list
      (``{"network": {...}}`` -> the network);
    - anything else (``{"success": true}``, a job's ``{"jobid": ..}``): as is.
    """
    if not isinstance(inner, dict):
        return inner
    if (api is not None and api.is_list) or "count" in inner:
        keys = [k for k in inner if k != "count"]
        if not keys:
            return []
        if len(keys) == 1:
            value = inner[keys[0]]
            return value if isinstance(value, list) else [value]
        lists = [k for k in keys if isinstance(inner[k], list)]
        if len(lists) == 1:
            return inner[lists[0]]
        return inner
    if len(inner) == 1:
        value = next(iter(inner.values()))
        if isinstance(value, (dict, list)):
            return value
    return inner


class ApiMethod:
    """``api.listZones``: calls the API by keyword arguments; help() shows its spec."""

    __slots__ = ("_api", "_spec", "__name__")

    def __init__(self, api: "API", spec: ApiSpec, name: str) -> None:
        self._api = api
        self._spec = spec
        self.__name__ = name

    def __call__(self, *args: Any, **params: Any) -> Any:
        if args:
            raise TypeError(f"{self._spec.name}() takes parameters by name only (got {len(args)} positional)")
        return self._api.call(self._spec.name, params)

    @property
    def __doc__(self) -> str:  # type: ignore[override]
        return describe(self._spec)

    @property
    def spec(self) -> ApiSpec:
        return self._spec

    def __repr__(self) -> str:
        return f"<CloudStack API {self._spec.name}{' (async)' if self._spec.isasync else ''}>"


def describe(spec: ApiSpec) -> str:
    """A plain-text description of an API (used by help() and ``marvin2 apis show``)."""
    lines = [f"{spec.name}{' (async)' if spec.isasync else ''}: {spec.description or 'no description'}"]
    if spec.since:
        lines.append(f"Since CloudStack {spec.since}.")
    if spec.params:
        lines.append("")
        lines.append("Parameters:")
        for p in sorted(spec.params, key=lambda p: (not p.required, p.name)):
            flag = "required" if p.required else "optional"
            lines.append(f"  {p.name} ({p.type}, {flag}): {p.description}".rstrip())
    if spec.response:
        lines.append("")
        lines.append("Response fields: " + ", ".join(f.name for f in spec.response))
    return "\n".join(lines)


class API:
    """A connected CloudStack API (see docs/internals.md for the contract).

    Real attributes (``call``, ``spec``, ``close``...) win over API names;
    every other attribute is looked up in the spec.
    """

    def __init__(
        self,
        transport: Transport,
        spec: Spec,
        *,
        job_timeouts: JobTimeouts | None = None,
        poll_schedule: PollSchedule | None = None,
        listeners: Listeners | None = None,
    ) -> None:
        self._transport = transport
        self._spec = spec
        self._listeners = listeners if listeners is not None else transport.listeners
        self._jobs = JobWaiter(
            self._query_job,
            endpoint=lambda: self._transport.endpoint,
            listeners=self._listeners,
            timeouts=job_timeouts,
            schedule=poll_schedule,
        )
        self._close_callbacks: list[Callable[[], Any]] = []
        self._closed = False

    # --- properties ------------------------------------------------------------------

    @property
    def spec(self) -> Spec:
        """The parsed listApis of the connected server."""
        return self._spec

    @property
    def endpoint(self) -> str:
        """The management server that answered last."""
        return self._transport.endpoint

    @property
    def endpoints(self) -> tuple[str, ...]:
        return self._transport.endpoints

    @property
    def identity(self) -> str:
        """Who calls (``key:<api key>`` or ``user:<domain>:<name>``), never a secret."""
        return self._transport.identity

    @property
    def version(self) -> str | None:
        return self._spec.version

    @property
    def job_timeouts(self) -> JobTimeouts:
        return self._jobs.timeouts

    # --- dynamic API methods ------------------------------------------------------------

    def __getattr__(self, name: str) -> ApiMethod:
        if name.startswith("_"):
            raise AttributeError(name)
        spec = self.__dict__.get("_spec")
        if spec is None:  # half-built object (unpickling, failed __init__)
            raise AttributeError(name)
        found = spec.resolve(name)
        if found is None:
            raise UnknownApiError(name, spec.suggest(name), version=spec.version, role_filtered=spec.role_filtered)
        method = ApiMethod(self, found, name)
        # Cache on the instance: the next lookup skips __getattr__ entirely.
        self.__dict__[name] = method
        return method

    def __dir__(self) -> Iterable[str]:
        names = set(super().__dir__())
        names.update(self._spec.names)
        names.update(self._spec.snake_names())
        return sorted(names)

    def _resolve(self, name: str) -> ApiSpec:
        if not isinstance(name, str):
            raise TypeError(f"API name must be a str, got {type(name).__name__}")
        found = self._spec.resolve(name)
        if found is None:
            raise UnknownApiError(name, self._spec.suggest(name), version=self._spec.version,
                                  role_filtered=self._spec.role_filtered)
        return found

    # --- calling ---------------------------------------------------------------------------

    def call(
        self,
        name: str,
        params: Mapping[str, Any] | None = None,
        /,
        *,
        validate: bool = True,
        **kwargs: Any,
    ) -> Any:
        """Call API ``name`` (CloudStack or snake_case spelling).

        ``wait`` (async APIs; default True) and ``job_timeout`` (seconds) are
        taken out of the parameters, which come from ``params`` and keyword
        arguments. ``validate=False`` skips the checks against the spec
        (unknown/missing parameters, types) so that a negative test can send
        what a server must reject.
        """
        api = self._resolve(name)
        given = dict(params) if params else {}
        if kwargs:
            given.update(kwargs)
        wait = given.pop("wait", True)
        job_timeout = given.pop("job_timeout", None)
        if not isinstance(wait, bool):
            raise ParameterError(api.name, f"wait must be True or False, got {wait!r}")
        wire_params = prepare_params(api, given) if validate else encode_unchecked(api.name, given)
        started = time.monotonic()
        inner = self._transport.request(api.name, wire_params, read_only=api.is_read)
        if api.isasync and isinstance(inner, dict) and "jobid" in inner and "jobstatus" not in inner:
            if not wait:
                return inner
            result = self._jobs.wait(
                inner["jobid"], command=api.name, timeout=job_timeout, params=wire_params, started=started
            )
            return result
        return unwrap_result(api, inner)

    def list_all(self, name: str, /, **params: Any) -> list[Record]:
        """Every item of a list API, walking all pages (``pagesize`` up to 500)."""
        return list(self.iter_all(name, **params))

    def iter_all(self, name: str, /, **params: Any) -> Iterator[Record]:
        """Iterate every item of a list API page by page (pages fetched as needed)."""
        api = self._resolve(name)
        if not api.is_list:
            raise ParameterError(api.name, "list_all/iter_all walk list APIs only")
        lowered = {k.lower(): k for k in params}
        if "page" in lowered:
            raise ParameterError(api.name, "list_all/iter_all choose the page themselves; do not pass page")
        pagesize = params.pop(lowered["pagesize"], MAX_PAGE_SIZE) if "pagesize" in lowered else MAX_PAGE_SIZE
        if isinstance(pagesize, bool) or not isinstance(pagesize, int) or not 1 <= pagesize <= MAX_PAGE_SIZE:
            raise ParameterError(api.name, f"pagesize must be an int from 1 to {MAX_PAGE_SIZE}, got {pagesize!r}", parameter="pagesize")
        if not api.pageable:
            # Some list APIs (listCapabilities, listApis...) have no pages.
            yield from self.call(api.name, params)
            return
        base = prepare_params(api, params)
        seen = 0
        page = 1
        while True:
            wire_params = {**base, api.param("page").name: str(page), api.param("pagesize").name: str(pagesize)}
            inner = self._transport.request(api.name, wire_params, read_only=True)
            items = unwrap_result(api, inner)
            if not isinstance(items, list):
                raise MarvinError(f"{api.name} page {page}: expected a list, got {type(items).__name__}")
            yield from items
            seen += len(items)
            total = inner.get("count") if isinstance(inner, dict) else None
            if len(items) < pagesize or (isinstance(total, int) and seen >= total):
                return
            page += 1

    # --- jobs ----------------------------------------------------------------------------------

    def _query_job(self, jobid: str) -> Mapping[str, Any]:
        inner = self._transport.request("queryAsyncJobResult", {"jobid": jobid}, read_only=True, internal=True)
        if not isinstance(inner, dict):
            raise MarvinError(f"queryAsyncJobResult {jobid}: unexpected answer {inner!r:.200}")
        return inner

    def wait_for_job(self, jobid: str, timeout: float | None = None, *, command: str | None = None) -> Any:
        """Wait for one job; its result object, or AsyncJobFailed / AsyncJobTimeout."""
        return self._jobs.wait(_jobid(jobid), command=command, timeout=timeout)

    def wait_for_jobs(
        self,
        jobs: Iterable[Any],
        timeout: float | None = None,
        *,
        return_exceptions: bool = False,
    ) -> list[Any]:
        """Wait for many jobs with one polling loop; results in the given order.

        ``jobs`` holds job ids or the Records that ``wait=False`` calls return.
        The first failure is raised once every job has ended, unless
        ``return_exceptions`` puts exceptions in the list instead.
        """
        items = [(_jobid(job), None, timeout) for job in jobs]
        return self._jobs.wait_many(items, return_exceptions=return_exceptions)

    # --- listeners and lifecycle ------------------------------------------------------------------

    def add_listener(self, callback: Listener) -> None:
        """Call ``callback(event)`` with a CallEvent after every HTTP call and a JobEvent after every waited job."""
        self._listeners.add(callback)

    def remove_listener(self, callback: Listener) -> None:
        self._listeners.remove(callback)

    def on_close(self, callback: Callable[[], Any]) -> None:
        """Run ``callback()`` when the API is closed (e.g. stop an embedded simulator)."""
        self._close_callbacks.append(callback)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self._transport.close()
        finally:
            for callback in reversed(self._close_callbacks):
                try:
                    callback()
                except Exception:
                    log.exception("close callback %r failed", callback)

    def __enter__(self) -> "API":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"<marvin2 API {self._transport.endpoint} CloudStack {self._spec.version or '?'}, "
            f"{len(self._spec)} APIs, as {_identity_label(self._transport.identity)}>"
        )


def _jobid(job: Any) -> str:
    if isinstance(job, str):
        return job
    if isinstance(job, Mapping) and isinstance(job.get("jobid"), str):
        return job["jobid"]
    raise MarvinError(f"not a job id nor a record with a jobid: {job!r:.100}")


def _identity_label(identity: str) -> str:
    kind, _, rest = identity.partition(":")
    if kind == "key":
        return f"api key {rest[:6]}..."
    if kind == "user":
        return f"user {rest.split(':', 1)[-1]}"
    return identity

