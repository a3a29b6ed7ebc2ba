"""Unique, traceable names for the resources a run creates.

Every name carries the run id, so that leftovers of a run can be found by
name (``keyword=``) even when neither the ledger nor the resource tag knows
them (for example a process killed between sending a create and reading its
answer).
"""
from __future__ import annotations

import datetime as _dt
import re
import secrets

# The resource tag put on everything a run creates (createTags), value = run id.
RUN_TAG_KEY = "marvin2-run"
NAME_PREFIX = "m2"

_UNSAFE = re.compile(r"[^A-Za-z0-9-]+")


def new_run_id() -> str:
    """A short id that sorts by time: ``20260131-142501-3fa9``."""
    now = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%d-%H%M%S")
    return f"{now}-{secrets.token_hex(2)}"


def _clean(text: str) -> str:
    return _UNSAFE.sub("-", text).strip("-")


def unique_name(purpose: str, run_id: str | None = None, *, max_length: int = 63) -> str:
    """``m2-<run id>-<purpose>-<random>``, safe as a CloudStack name and hostname.

    VM names must be valid hostnames (letters, digits, '-', at most 63
    characters, not starting with a digit), so the purpose is cleaned and
    shortened when needed; the run id and the random part are never cut.
    """
    random_part = secrets.token_hex(3)
    run_part = _clean(run_id) if run_id else "adhoc"
    purpose_part = _clean(purpose) or "res"
    fixed = len(NAME_PREFIX) + len(run_part) + len(random_part) + 3
    room = max(1, max_length - fixed)
    return f"{NAME_PREFIX}-{run_part}-{purpose_part[:room].strip('-') or 'r'}-{random_part}"


def run_marker(run_id: str) -> str:
    """The substring every name of a run contains (for ``keyword=`` searches)."""
    return f"{NAME_PREFIX}-{_clean(run_id)}-"
