"""The registry of resource kinds: how to find one by id, how to delete it,
what its states mean, and where it goes in the deletion order.

Each resource module (vms.py, volumes.py, ...) registers its kind here, so
the cleanup stack, the waiters, the leak check and ``marvin2 cleanup`` all
share one description of every resource.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from marvin2.resources.base import call
from marvin2.resources.errors import is_gone_error


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


def exists(api: Any, kind: ResourceKind | str, resource_id: str) -> bool:
    """True when the resource is listed and not in one of its gone states."""
    kind = get_kind(kind) if isinstance(kind, str) else kind
    record = find_by_id(api, kind, resource_id)
    if record is None:
        return False
    return record.get(kind.state_field) not in kind.gone_states


def delete_resource(api: Any, kind: ResourceKind | str, resource_id: str, *, timeout: float | None = None) -> bool:
    """Delete one resource, waiting for an async delete; "already gone" is success.

    Returns True when this call deleted it, False when it was already gone.
    Any other failure is re-checked against the server: if the resource is
    gone after all (deleted by the test itself, by an account deletion, ...),
    that is success too.
    """
    kind = get_kind(kind) if isinstance(kind, str) else kind
    try:
        kind.delete(api, resource_id, timeout=timeout)
        return True
    except Exception as error:
        if is_gone_error(error):
            return False
        try:
            still_there = exists(api, kind, resource_id)
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
