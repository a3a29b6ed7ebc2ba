"""What every resource helper shares: the "created" event, calling the
client with an optional timeout, and the create flow that reports a new
resource the moment its id is known.

The create flow is the heart of "cleanup never misses anything": an async
create (deployVirtualMachine, createVolume, ...) answers at once with the new
entity's id and a job id. We report the id to ``on_created`` *before*
waiting for the job, so if the job then fails or times out, whoever
registered a cleanup for that id still deletes the half-made resource.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from marvin2.resources.naming import RUN_TAG_KEY

log = logging.getLogger("marvin2.resources")


@dataclass(frozen=True)
class Created:
    """A resource that now exists (possibly still being built by a job)."""

    kind: str                    # registry name: "vm", "volume", ...
    id: str
    command: str                 # the API that created it
    name: str | None = None
    record: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)
    # Kinds whose ids a server hands out again (public IPs): who had it when it
    # was created (account, network ...), so that cleanup by id never deletes
    # a later owner's resource (see ResourceKind.ownership).
    ownership: Mapping[str, Any] | None = None


OnCreated = Callable[[Created], None]
# identify(new id, record or None) -> the Created.ownership of a new resource
Identify = Callable[[str, "Mapping[str, Any] | None"], "Mapping[str, Any] | None"]


def call(api: Any, command: str, *, timeout: float | None = None, wait: bool | None = None, **params: Any) -> Any:
    """``api.<command>(**params)`` with ``job_timeout``/``wait`` only when given.

    Parameters whose value is None are not sent.
    """
    kwargs = {k: v for k, v in params.items() if v is not None}
    if timeout is not None:
        kwargs["job_timeout"] = timeout
    if wait is not None:
        kwargs["wait"] = wait
    return getattr(api, command)(**kwargs)


def unwrap_result(result: Any, *keys: str) -> Any:
    """The entity inside a job result or create answer.

    Clients may hand back either the entity itself or ``{"virtualmachine":
    {...}}``; accept both so helpers do not depend on that detail.
    """
    if isinstance(result, Mapping) and "id" not in result:
        for key in keys:
            if isinstance(result.get(key), Mapping):
                return result[key]
        if len(result) == 1:
            (only,) = result.values()
            if isinstance(only, Mapping):
                return only
            if isinstance(only, list) and len(only) == 1 and isinstance(only[0], Mapping):
                return only[0]
    if isinstance(result, list) and len(result) == 1:
        return result[0]
    return result


def _notify(on_created: OnCreated | None, created: Created) -> None:
    if on_created is not None:
        on_created(created)


def _identify(identify: Identify | None, resource_id: str, record: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """The new resource's ownership, best effort: without it its cleanup is only less careful, never missing."""
    if identify is None:
        return None
    try:
        return identify(resource_id, record)
    except Exception as error:  # noqa: BLE001 - the resource exists; its cleanup must still be registered
        log.warning("could not tell who owns new resource %s: %s", resource_id, error)
        return None


def create_sync(
    api: Any, kind: str, command: str, params: Mapping[str, Any], *,
    result_keys: tuple[str, ...] = (), on_created: OnCreated | None = None,
    run_id: str | None = None, tag_type: str | None = None,
) -> Any:
    """Call a synchronous create API, report the new resource, tag it."""
    record = unwrap_result(call(api, command, **params), *result_keys)
    created = Created(kind, str(record["id"]), command, record.get("name"), record)
    _notify(on_created, created)
    if run_id and tag_type:
        tag_with_run(api, tag_type, created.id, run_id)
    return record


def create_async(
    api: Any, kind: str, command: str, params: Mapping[str, Any], *,
    result_keys: tuple[str, ...] = (), on_created: OnCreated | None = None,
    run_id: str | None = None, tag_type: str | None = None, timeout: float | None = None,
    identify: Identify | None = None,
) -> Any:
    """Call an async create API; report its id as soon as the server gives one.

    If the immediate answer carries no id (createVPC, createTemplate), the
    resource is reported once the job has finished. Job failures propagate
    (``AsyncJobFailed``/``AsyncJobTimeout`` of the client) *after* the
    report, so a registered cleanup still runs. ``identify`` gives the
    report's ``ownership`` (kinds whose ids are handed out again).
    """
    answer = call(api, command, wait=False, **params)
    early_id = answer.get("id") if isinstance(answer, Mapping) else None
    if early_id:
        ownership = _identify(identify, str(early_id), None)
        _notify(on_created, Created(kind, str(early_id), command, params.get("name"), ownership=ownership))
        if run_id and tag_type:
            tag_with_run(api, tag_type, str(early_id), run_id)
    jobid = answer.get("jobid") if isinstance(answer, Mapping) else None
    if jobid is None:
        # A client (or fake) that already waited: the answer is the entity.
        record = unwrap_result(answer, *result_keys)
    else:
        # command= lets the client name the API in its errors and pick its timeout.
        wait_kwargs = {"timeout": timeout} if timeout is not None else {}
        record = unwrap_result(api.wait_for_job(jobid, command=command, **wait_kwargs), *result_keys)
    if not early_id:
        created = Created(kind, str(record["id"]), command, record.get("name"), record,
                          ownership=_identify(identify, str(record["id"]), record))
        _notify(on_created, created)
        if run_id and tag_type:
            tag_with_run(api, tag_type, created.id, run_id)
    return record


def tag_with_run(api: Any, tag_type: str, resource_id: str, run_id: str) -> bool:
    """Put the ``marvin2-run`` tag on a resource, best effort.

    The tag is a safety net for ``marvin2 cleanup`` (the ledger is the main
    record), so we neither wait for the tagging job nor fail the test when
    the server refuses: a refusal is logged and ``False`` returned.
    """
    try:
        call(api, "createTags", wait=False, resourceids=[resource_id], resourcetype=tag_type,
             tags={RUN_TAG_KEY: run_id})
        return True
    except Exception as error:  # noqa: BLE001 - tagging must never break a create
        log.warning("could not tag %s %s with %s=%s: %s", tag_type, resource_id, RUN_TAG_KEY, run_id, error)
        return False
