"""Waiting for resources to reach a state, Tempest-style.

Every wait polls with a growing interval (short first, so the instant
simulator answers in milliseconds; capped, so a real cloud is not hammered),
has a timeout, fails FAST when the resource reaches a state it will never
leave (Error, ...) or disappears, and on timeout says what it waited for,
which resource, the last state seen and how long it waited.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from marvin2.resources.errors import ConditionTimeout, ResourceFailed, WaitTimeout
from marvin2.resources.kinds import ResourceKind, find_by_id, get_kind, list_records

DEFAULT_TIMEOUT = 300.0


@dataclass(frozen=True)
class Backoff:
    """Polling intervals: ``first``, then times ``factor`` up to ``cap`` seconds."""

    first: float = 0.05
    factor: float = 1.6
    cap: float = 5.0

    def intervals(self) -> Iterable[float]:
        interval = self.first
        while True:
            yield interval
            interval = min(self.cap, interval * self.factor)


DEFAULT_BACKOFF = Backoff()

# What "done / failed" means for one poll: (done, failed_reason_or_None, state_to_report)
Check = Callable[[], "tuple[bool, str | None, Any]"]


def poll(
    check: Check, *, kind: str, resource_id: str, wanted: str, timeout: float = DEFAULT_TIMEOUT,
    backoff: Backoff = DEFAULT_BACKOFF, clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Any:
    """Call ``check`` until it says done; raise on failure or timeout.

    ``check`` returns ``(done, failure, state)``: ``failure`` is a text when
    the resource can no longer get there (the wait stops at once with
    :class:`ResourceFailed`). The last poll happens at the deadline, never
    after it by more than one request.
    """
    if timeout is None or timeout <= 0:
        raise ValueError(f"waiting for {kind} {resource_id} to become {wanted}: timeout must be > 0 seconds, got {timeout!r}")
    start = clock()
    deadline = start + timeout
    last_state: Any = None
    for interval in backoff.intervals():
        done, failure, last_state = check()
        now = clock()
        if done:
            return last_state
        if failure is not None:
            raise ResourceFailed(kind, resource_id, wanted, last_state, now - start, failure)
        if now >= deadline:
            raise WaitTimeout(kind, resource_id, wanted, last_state, now - start, timeout)
        sleep(min(interval, max(0.0, deadline - now)))
    raise AssertionError("unreachable")  # pragma: no cover - intervals() never ends


def wait_for_state(
    api: Any, kind: ResourceKind | str, resource_id: str, wanted: str | Iterable[str], *,
    timeout: float = DEFAULT_TIMEOUT, bad_states: Iterable[str] | None = None,
    backoff: Backoff = DEFAULT_BACKOFF, **poll_options: Any,
) -> Any:
    """Wait until the resource's state is ``wanted`` (or one of several); return its record.

    Fails fast when the state is one of ``bad_states`` (default: the kind's
    error states plus its gone states, unless wanted) or when the resource
    disappears.
    """
    kind = get_kind(kind) if isinstance(kind, str) else kind
    wanted_set = {wanted} if isinstance(wanted, str) else set(wanted)
    wanted_text = " or ".join(sorted(wanted_set))
    bad = set(bad_states) if bad_states is not None else set(kind.error_states | kind.gone_states)
    bad -= wanted_set
    latest: dict[str, Any] = {}

    def check():
        record = find_by_id(api, kind, resource_id)
        if record is None:
            return False, "it no longer exists", latest.get("state", "gone")
        state = record.get(kind.state_field)
        latest["state"], latest["record"] = state, record
        if state in wanted_set:
            return True, None, state
        if state in bad:
            return False, _failure_detail(record), state
        return False, None, state

    poll(check, kind=kind.label, resource_id=resource_id, wanted=wanted_text, timeout=timeout,
         backoff=backoff, **poll_options)
    return latest["record"]


def _failure_detail(record: Any) -> str:
    # Some resources carry a reason next to their state; show it if present.
    for key in ("status", "errortext", "details", "reason"):
        value = record.get(key)
        if value:
            return f"{key}: {value}"
    return "a terminal state"


def wait_until_gone(
    api: Any, kind: ResourceKind | str, resource_id: str, *, timeout: float = DEFAULT_TIMEOUT,
    backoff: Backoff = DEFAULT_BACKOFF, **poll_options: Any,
) -> None:
    """Wait until the resource is no longer listed (or is in one of its gone states)."""
    kind = get_kind(kind) if isinstance(kind, str) else kind

    def check():
        record = find_by_id(api, kind, resource_id)
        if record is None:
            return True, None, "gone"
        state = record.get(kind.state_field)
        return state in kind.gone_states, None, state

    poll(check, kind=kind.label, resource_id=resource_id, wanted="gone", timeout=timeout,
         backoff=backoff, **poll_options)


# --- one helper per common wait ------------------------------------------------------

def wait_for_vm_state(api: Any, vm_id: str, state: str = "Running", *, timeout: float = DEFAULT_TIMEOUT, **options: Any) -> Any:
    """Wait for a VM state (Running, Stopped, Destroyed, ...); fails fast on Error."""
    return wait_for_state(api, "vm", vm_id, state, timeout=timeout, **options)


def wait_for_vm_expunged(api: Any, vm_id: str, *, timeout: float = DEFAULT_TIMEOUT, **options: Any) -> None:
    """Wait until a VM is expunged (not listed any more, or Expunging/Expunged)."""
    wait_until_gone(api, "vm", vm_id, timeout=timeout, **options)


def wait_for_volume_state(api: Any, volume_id: str, state: str = "Ready", *, timeout: float = DEFAULT_TIMEOUT, **options: Any) -> Any:
    """Wait for a volume state (Ready, Allocated, ...); fails fast on UploadError/Error."""
    return wait_for_state(api, "volume", volume_id, state, timeout=timeout, **options)


def wait_for_network_state(api: Any, network_id: str, state: str = "Implemented", *, timeout: float = DEFAULT_TIMEOUT, **options: Any) -> Any:
    """Wait for a network state (Allocated, Implemented, Setup, ...)."""
    return wait_for_state(api, "network", network_id, state, timeout=timeout, **options)


def wait_for_snapshot_state(api: Any, snapshot_id: str, state: str = "BackedUp", *, timeout: float = DEFAULT_TIMEOUT, **options: Any) -> Any:
    """Wait for a volume snapshot state (BackedUp by default); fails fast on Error."""
    return wait_for_state(api, "snapshot", snapshot_id, state, timeout=timeout, **options)


def wait_for_public_ip_state(api: Any, ip_id: str, state: str = "Allocated", *, timeout: float = DEFAULT_TIMEOUT, **options: Any) -> Any:
    """Wait for a public IP state (Allocated by default)."""
    return wait_for_state(api, "public_ip", ip_id, state, timeout=timeout, **options)


def wait_for_vpc_state(api: Any, vpc_id: str, state: str = "Enabled", *, timeout: float = DEFAULT_TIMEOUT, **options: Any) -> Any:
    """Wait for a VPC state (Enabled by default)."""
    return wait_for_state(api, "vpc", vpc_id, state, timeout=timeout, **options)


_TEMPLATE_FAILURE_WORDS = ("error", "fail", "abandon", "corrupt", "timeout")


def wait_for_template_ready(
    api: Any, template_id: str, *, timeout: float = DEFAULT_TIMEOUT, zoneid: str | None = None,
    backoff: Backoff = DEFAULT_BACKOFF, **poll_options: Any,
) -> Any:
    """Wait until a template is ready (``isready`` true); fails fast on a failed download.

    Templates have no state field: readiness is ``isready`` and progress or
    failure is a free text in ``status`` ("Download Complete", "Failed to
    download template ...").

    listTemplates answers one entry per zone the template is in. With
    ``zoneid`` the wait is for that zone's entry (a template copied to a
    second zone is ready in its first zone long before the copy is); until
    the zone has an entry the template counts as not ready there yet.
    Without ``zoneid``, the first entry listed decides.
    """
    return _wait_for_image_ready(api, "template", template_id, timeout=timeout, zoneid=zoneid, backoff=backoff,
                                 **poll_options)


def wait_for_iso_ready(
    api: Any, iso_id: str, *, timeout: float = DEFAULT_TIMEOUT, zoneid: str | None = None,
    backoff: Backoff = DEFAULT_BACKOFF, **poll_options: Any,
) -> Any:
    """Wait until a registered ISO is ready; the same rules as :func:`wait_for_template_ready`."""
    return _wait_for_image_ready(api, "iso", iso_id, timeout=timeout, zoneid=zoneid, backoff=backoff, **poll_options)


def _wait_for_image_ready(api: Any, kind_name: str, image_id: str, *, timeout: float, zoneid: str | None,
                          backoff: Backoff, **poll_options: Any) -> Any:
    kind = get_kind(kind_name)
    latest: dict[str, Any] = {}

    def check():
        entries = [e for e in list_records(api, kind, id=image_id) or [] if str(e.get("id")) == str(image_id)]
        if not entries:
            return False, "it no longer exists", latest.get("status", "gone")
        if zoneid is None:
            record = entries[0]
        else:
            record = next((e for e in entries if e.get("zoneid") in (None, zoneid)), None)
            if record is None:
                latest["status"] = f"not in zone {zoneid} yet (in {', '.join(sorted(str(e.get('zoneid')) for e in entries))})"
                return False, None, latest["status"]
        status = record.get("status") or ("Ready" if record.get("isready") else "not ready")
        latest["status"], latest["record"] = status, record
        if record.get("isready") is True or str(record.get("isready")).lower() == "true":
            return True, None, status
        if any(word in str(status).lower() for word in _TEMPLATE_FAILURE_WORDS):
            return False, f"status: {status}", status
        return False, None, status

    poll(check, kind=kind.label, resource_id=image_id, wanted="ready", timeout=timeout,
         backoff=backoff, **poll_options)
    return latest["record"]


# Conditions are cheap list calls a test makes itself: poll a little more often than resource states.
CONDITION_BACKOFF = Backoff(first=0.05, factor=1.6, cap=2.0)


def wait_until(
    predicate: Callable[[], Any], *, timeout: float, what: str, backoff: Backoff = CONDITION_BACKOFF,
    clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
) -> Any:
    """Call ``predicate`` until it returns something truthy, and return that.

    For what has no state field to wait on (a tag showing up, a count
    changing). ``what`` names it in the :class:`ConditionTimeout` raised after
    ``timeout`` seconds; the predicate is called once more at the deadline.
    """
    if timeout is None or timeout <= 0:
        raise ValueError(f"waiting for {what}: timeout must be > 0 seconds, got {timeout!r}")
    start = clock()
    deadline = start + timeout
    for interval in backoff.intervals():
        value = predicate()
        if value:
            return value
        now = clock()
        if now >= deadline:
            raise ConditionTimeout(what, now - start, timeout)
        sleep(min(interval, deadline - now))
    raise AssertionError("unreachable")  # pragma: no cover - intervals() never ends
