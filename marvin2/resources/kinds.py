"""The registry of resource kinds: how to find one by id, how to delete it,
what its states mean, and where it goes in the deletion order.

Each resource module (vms.py, volumes.py, ...) registers its kind here, so
the cleanup stack, the waiters, the leak check and ``marvin2 cleanup`` all
share one description of every resource.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from marvin2.resources.base import call
from marvin2.resources.errors import is_gone_error

log = logging.getLogger("marvin2.resources")


@dataclass(frozen=True)
class ResourceKind:
    name: str                         # registry key, used in the ledger: "vm"
    label: str                        # for messages: "virtual machine"
    list_api: str                     # "listVirtualMachines"
    delete: Callable[..., None]       # delete(api, resource_id, *, timeout=None)
    rank: int                         # deletion order: lower goes first
    id_param: str = "id"              # the list API's id filter
    list_params: Mapping[str, Any] = field(default_factory=lambda: {"listall": True})
    tag_type: str | None = None       # createTags resourcetype, None if not taggable
    state_field: str = "state"
    gone_states: frozenset[str] = frozenset()   # listed, but as good as deleted
    error_states: frozenset[str] = frozenset()  # never leaves them by itself
    name_searchable: bool = True      # list API takes keyword= (for sweeps)
    # Further list parameter sets to try when the first is refused (e.g.
    # templatefilter=all is for admins only; a user lists with "self").
    fallback_list_params: tuple[Mapping[str, Any], ...] = ()
    # For kinds whose ids a server hands out again (a public IP is a row of
    # its range that keeps its uuid when released and goes to whoever acquires
    # the address next): the record's fields that tell one allocation from the
    # next (owner, network). Taken when the resource is created; a cleanup by
    # id only deletes while they still match, else the resource is gone.
    ownership: Callable[[Mapping[str, Any]], dict] | None = None


KINDS: dict[str, ResourceKind] = {}


def register(kind: ResourceKind) -> ResourceKind:
    KINDS[kind.name] = kind
    return kind


def get_kind(name: str) -> ResourceKind:
    try:
        return KINDS[name]
    except KeyError:
        raise ValueError(f"unknown resource kind {name!r}; known kinds: {', '.join(sorted(KINDS))}") from None


def find_by_id(api: Any, kind: ResourceKind | str, resource_id: str) -> Any | None:
    """The resource's current record, or None when the server does not know it.

    A real server answers an unknown uuid in a list filter with 431 "entity
    does not exist" instead of an empty list; both mean "not there".
    """
    kind = get_kind(kind) if isinstance(kind, str) else kind
    records = list_records(api, kind, **{kind.id_param: resource_id})
    if records is None:
        return None
    for record in records:
        if str(record.get("id")) == str(resource_id):
            return record
    return None


def list_records(api: Any, kind: ResourceKind | str, **filters: Any) -> list | None:
    """List resources of a kind (with the kind's usual list parameters).

    Returns None when the server says the filtered entity does not exist.
    Tries the kind's fallback parameter sets when the first is refused.
    """
    kind = get_kind(kind) if isinstance(kind, str) else kind
    attempts = (kind.list_params, *kind.fallback_list_params)
    for number, base_params in enumerate(attempts, start=1):
        try:
            return list(call(api, kind.list_api, **{**base_params, **filters}) or [])
        except Exception as error:
            if is_gone_error(error):
                return None
            if number == len(attempts):
                raise
    return None  # pragma: no cover - the loop returns or raises


def ownership_of(kind: ResourceKind | str, record: Mapping[str, Any] | None) -> dict | None:
    """The fields that identify this allocation of a re-usable id (see ``ResourceKind.ownership``), or None."""
    kind = get_kind(kind) if isinstance(kind, str) else kind
    if kind.ownership is None or record is None:
        return None
    return dict(kind.ownership(record)) or None


def still_owned(record: Mapping[str, Any], ownership: Mapping[str, Any] | None) -> bool:
    """Does ``record`` still show every field recorded at creation (always, when nothing was recorded)?"""
    return not ownership or all(str(record.get(key)) == str(value) for key, value in ownership.items())


def is_present(kind: ResourceKind, record: Mapping[str, Any] | None, ownership: Mapping[str, Any] | None = None) -> bool:
    """A listed record that is not in a gone state and, for re-usable ids, still the same allocation."""
    if record is None or record.get(kind.state_field) in kind.gone_states:
        return False
    return still_owned(record, ownership)


def exists(api: Any, kind: ResourceKind | str, resource_id: str, *, ownership: Mapping[str, Any] | None = None) -> bool:
    """True when the resource is listed, not in one of its gone states and (with ``ownership``: the fields
    recorded at creation) still the allocation that was created, not a later one under the same id."""
    kind = get_kind(kind) if isinstance(kind, str) else kind
    return is_present(kind, find_by_id(api, kind, resource_id), ownership)


def delete_resource(api: Any, kind: ResourceKind | str, resource_id: str, *, timeout: float | None = None,
                    ownership: Mapping[str, Any] | None = None) -> bool:
    """Delete one resource, waiting for an async delete; "already gone" is success.

    Returns True when this call deleted it, False when it was already gone.
    Any other failure is re-checked against the server: if the resource is
    gone after all (deleted by the test itself, by an account deletion, ...),
    that is success too.

    ``ownership`` (kinds whose ids are handed out again, recorded when the
    resource was created): the resource is deleted only while the server still
    shows it so; otherwise ours was released and the id now names someone
    else's (an admin may delete it all the same): already gone.
    """
    kind = get_kind(kind) if isinstance(kind, str) else kind
    if ownership and kind.ownership is not None:
        record = find_by_id(api, kind, resource_id)
        if not is_present(kind, record, ownership):
            if record is not None and record.get(kind.state_field) not in kind.gone_states:
                log.info("%s %s is no longer the one created (%s now, %s then): not deleting it", kind.label,
                         resource_id, ownership_of(kind, record), dict(ownership))
            return False
    try:
        kind.delete(api, resource_id, timeout=timeout)
        return True
    except Exception as error:
        if is_gone_error(error):
            return False
        try:
            still_there = exists(api, kind, resource_id, ownership=ownership)
        except Exception:  # noqa: BLE001 - the delete's own error is the one to report
            still_there = True
        if not still_there:
            return False
        raise


def deletion_order(kind_names: list[str]) -> list[str]:
    """Kinds sorted for deletion: dependents (VMs, rules) before what they use."""
    return sorted(set(kind_names), key=lambda n: (get_kind(n).rank, n))


def simple_delete(command: str, id_param: str = "id", *, is_async: bool = True) -> Callable[..., None]:
    """A delete that is just ``command(id_param=id)``, waiting for its job if async."""

    def delete(api: Any, resource_id: str, *, timeout: float | None = None) -> None:
        call(api, command, timeout=timeout if is_async else None, **{id_param: resource_id})

    delete.__name__ = f"delete_via_{command}"
    delete.__doc__ = f"Delete with {command}({id_param}=...)."
    return delete
