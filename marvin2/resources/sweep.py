"""Finding and deleting everything a run left behind (``marvin2 cleanup``).

Leftovers come from three sources, so that nothing escapes:

1. the ledger: created and never deleted;
2. the ``marvin2-run`` resource tag (``listTags``): catches resources whose
   ledger line was lost;
3. names: every name the resource helpers make contains the run id, which
   catches a resource created just before the process was killed, before
   it could be tagged or recorded (and the run's accounts).

They are deleted in dependency order (VMs first, accounts last), each
waiting for its async delete, with "already gone" counting as success.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from marvin2.resources.base import call
from marvin2.resources.cleanup import RETRY_PAUSES
from marvin2.resources.kinds import KINDS, ResourceKind, delete_resource, exists, get_kind, list_records
from marvin2.resources.ledger import LedgerResource
from marvin2.resources.naming import RUN_TAG_KEY, run_marker

log = logging.getLogger("marvin2.resources.sweep")


@dataclass
class Leftover:
    kind: str
    id: str
    name: str | None = None
    sources: set[str] = field(default_factory=set)   # "ledger", "tag", "name"
    # From the ledger: who had it when it was created (kinds whose ids are handed out again, public IPs);
    # it is deleted only while it still is that allocation.
    ownership: dict | None = None

    @property
    def rank(self) -> int:
        return get_kind(self.kind).rank


@dataclass
class SweepResult:
    deleted: list[Leftover] = field(default_factory=list)
    already_gone: list[Leftover] = field(default_factory=list)
    would_delete: list[Leftover] = field(default_factory=list)      # dry run
    failed: list[tuple[Leftover, BaseException]] = field(default_factory=list)
    still_present: list[Leftover] = field(default_factory=list)     # verified after deleting

    @property
    def ok(self) -> bool:
        return not self.failed and not self.still_present


def _tag_kind_map() -> dict[str, str]:
    # createTags resource types are case-insensitive on the server.
    return {k.tag_type.lower(): k.name for k in KINDS.values() if k.tag_type}


def find_by_tag(api: Any, run_id: str) -> list[Leftover] | None:
    """Resources tagged ``marvin2-run=<run_id>`` (None if listTags is unavailable)."""
    try:
        tags = list(call(api, "listTags", key=RUN_TAG_KEY, value=run_id, listall=True) or [])
    except Exception as error:  # noqa: BLE001 - an older/limited server: the other sources remain
        log.info("listTags unavailable (%s); finding tagged resources per kind instead", error)
        return None
    kinds = _tag_kind_map()
    found = []
    for tag in tags:
        kind = kinds.get(str(tag.get("resourcetype", "")).lower())
        if kind and tag.get("resourceid") and tag.get("value") == run_id:
            found.append(Leftover(kind, str(tag["resourceid"]), sources={"tag"}))
    return found


def find_by_tag_per_kind(api: Any, run_id: str) -> list[Leftover]:
    """Fallback when listTags is missing: each taggable kind's list with ``tags=``."""
    found = []
    for kind in KINDS.values():
        if not kind.tag_type:
            continue
        try:
            records = list_records(api, kind, tags={RUN_TAG_KEY: run_id}) or []
        except Exception:  # noqa: BLE001 - this list API does not filter by tags
            continue
        found += [Leftover(kind.name, str(r["id"]), r.get("name"), {"tag"}) for r in records if r.get("id")]
    return found


def find_by_name(api: Any, run_id: str) -> list[Leftover]:
    """Resources whose name contains the run's name marker (``m2-<run id>-``)."""
    marker = run_marker(run_id)
    found = []
    for kind in KINDS.values():
        if not kind.name_searchable:
            continue
        try:
            records = list_records(api, kind, keyword=marker) or []
        except Exception as error:  # noqa: BLE001 - keep looking with the other kinds
            log.info("could not search %s by name: %s", kind.label, error)
            continue
        for record in records:
            name = str(record.get("name") or record.get("username") or "")
            if marker in name and record.get("id"):
                found.append(Leftover(kind.name, str(record["id"]), name, {"name"}))
    return found


def collect_leftovers(
    api: Any | None, run_id: str | None, ledger: Iterable[LedgerResource] = (), *,
    use_tags: bool = True, use_names: bool = True,
) -> list[Leftover]:
    """Merge the three sources into one list, in deletion order."""
    merged: dict[tuple[str, str], Leftover] = {}

    def add(items: Iterable[Leftover]) -> None:
        for item in items:
            if item.kind not in KINDS:
                continue
            known = merged.setdefault((item.kind, item.id), Leftover(item.kind, item.id, item.name))
            known.sources |= item.sources
            known.name = known.name or item.name
            known.ownership = known.ownership or item.ownership

    add(Leftover(r.kind, r.id, r.created.get("name"), {"ledger"}, r.ownership) for r in ledger if r.outstanding)
    if api is not None and run_id:
        if use_tags:
            tagged = find_by_tag(api, run_id)
            add(tagged if tagged is not None else find_by_tag_per_kind(api, run_id))
        if use_names:
            add(find_by_name(api, run_id))
    return sorted(merged.values(), key=lambda l: (l.rank, l.kind, l.id))


def delete_leftovers(
    api: Any, leftovers: Iterable[Leftover], *, dry_run: bool = False, timeout: float | None = None,
    progress: Callable[[str, Leftover, BaseException | None], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> SweepResult:
    """Delete in dependency order; every delete is attempted; verify at the end.

    ``progress(outcome, leftover, error)`` is told each outcome: "deleted",
    "already-gone", "would-delete", "failed".
    """
    result = SweepResult()
    retry_later: list[Leftover] = []
    ordered = sorted(leftovers, key=lambda l: (l.rank, l.kind, l.id))

    def tell(outcome: str, item: Leftover, error: BaseException | None = None) -> None:
        if progress is not None:
            progress(outcome, item, error)

    for item in ordered:
        kind: ResourceKind = get_kind(item.kind)
        try:
            present = exists(api, kind, item.id, ownership=item.ownership)
        except Exception as error:  # noqa: BLE001 - try the delete anyway, it will say
            log.info("could not check %s %s: %s", kind.label, item.id, error)
            present = True
        if not present:
            result.already_gone.append(item)
            tell("already-gone", item)
            continue
        if dry_run:
            result.would_delete.append(item)
            tell("would-delete", item)
            continue
        try:
            deleted = delete_resource(api, kind, item.id, timeout=timeout, ownership=item.ownership)
        except Exception as error:  # noqa: BLE001 - one failure never stops the others
            # Retried once at the end: a source NAT IP goes with its network, ...
            retry_later.append(item)
            log.info("deferred %s %s after: %s", kind.label, item.id, error)
            continue
        (result.deleted if deleted else result.already_gone).append(item)
        tell("deleted" if deleted else "already-gone", item)

    # Retried in passes while they make progress (see CleanupStack.run).
    pending: list[tuple[Leftover, BaseException | None]] = [(item, None) for item in retry_later]
    for pause in RETRY_PAUSES:
        if not pending:
            break
        sleep(pause)
        still = []
        for item, _ in pending:
            try:
                deleted = delete_resource(api, item.kind, item.id, timeout=timeout, ownership=item.ownership)
            except Exception as error:  # noqa: BLE001 - reported at the end
                still.append((item, error))
                continue
            (result.deleted if deleted else result.already_gone).append(item)
            tell("deleted" if deleted else "already-gone", item)
        progressed = len(still) < len(pending)
        pending = still
        if not progressed:
            break
    for item, error in pending:
        result.failed.append((item, error))
        tell("failed", item, error)

    if not dry_run:
        failed_ids = {(i.kind, i.id) for i, _ in result.failed}
        for item in result.deleted:
            try:
                if (item.kind, item.id) not in failed_ids and exists(api, item.kind, item.id, ownership=item.ownership):
                    result.still_present.append(item)
            except Exception:  # noqa: BLE001 - cannot verify: say so rather than claim success
                result.still_present.append(item)
    return result
