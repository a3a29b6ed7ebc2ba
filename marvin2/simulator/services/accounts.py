"""What happens to an account's resources when the account is deleted or disabled: a hook registry.

The identity API runs the hooks (deleteAccount: ``ACCOUNT_CLEANUP_HOOKS``;
disableAccount lock=false: ``ACCOUNT_DISABLE_HOOKS``); the service modules
that own per-account resources register theirs when they load. A hook is
``hook(store, account_row)``. Hooks run in ``rank`` order, whatever order the
modules load in, so the cleanup sequence is fixed here rather than by import
order: networks first (their addresses and routers), then VMs (volumes,
snapshots, templates, keys), security groups, and VPCs last (their tiers'
VMs are gone by then). A hook without a rank runs after the ranked ones.
"""
from __future__ import annotations

from collections.abc import Callable

# The documented order; service modules pass these as ``rank``.
CLEANUP_NETWORKS, CLEANUP_VMS, CLEANUP_SECURITY_GROUPS, CLEANUP_VPCS = 10, 20, 30, 40
DISABLE_ROUTERS, DISABLE_VMS = 10, 20
_LAST = 1000

Hook = Callable[[object, dict], None]

ACCOUNT_CLEANUP_HOOKS: list[Hook] = []   # run by deleteAccount, in rank order
ACCOUNT_DISABLE_HOOKS: list[Hook] = []   # run by disableAccount lock=false, in rank order
_ranks: dict[int, int] = {}              # id(hook) -> rank


def _add(hooks: list[Hook], hook: Hook, rank: int | None) -> None:
    if hook in hooks:          # a module reloaded in the same process registers once
        return
    _ranks[id(hook)] = _LAST if rank is None else rank
    hooks.append(hook)
    hooks.sort(key=lambda h: _ranks[id(h)])    # stable: equal ranks keep registration order


def register_account_cleanup(hook: Hook, rank: int | None = None) -> None:
    """Modules that own per-account resources register ``hook(store, account)`` to clean them on deleteAccount."""
    _add(ACCOUNT_CLEANUP_HOOKS, hook, rank)


def register_account_disable(hook: Hook, rank: int | None = None) -> None:
    """Modules that run per-account machines register ``hook(store, account)`` to stop them on disableAccount
    lock=false (a real server stops every VM of a disabled account, routers included; lock=true only locks)."""
    _add(ACCOUNT_DISABLE_HOOKS, hook, rank)
