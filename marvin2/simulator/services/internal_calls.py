"""Calling one of the simulator's own APIs from inside the server, as a real management server's managers call
each other (the VM scheduler submits a stop job; storage maintenance stops and starts the VMs on a pool).

The call goes through the API registry (no API module is imported), with the root admin (or a given caller) as caller and the
parameters validated as a request's are. ``submit`` queues an async API's job like a request would;
``run_inline`` runs the handler and, for an async API, its job body at once, inside the caller's transaction.
"""
from __future__ import annotations

from typing import Any

from marvin2.simulator import auth, errors
from marvin2.simulator.context import Context, Job
from marvin2.simulator.validation import validate


def _context(sim, command: str, params: dict[str, str], caller=None) -> Context:
    declared = sim.registry.apis.get(command)
    if declared is None:
        raise errors.internal_error(f"{command} is not implemented by this simulator")
    if caller is None:
        admin = (sim.store.find_one("user", username="admin", isdefault=True)
                 or sim.store.find_one("user", username="admin"))
        caller = auth.caller_for_user(sim.store, admin)
    typed = validate(declared, params, sim.store, root_admin=caller.is_root_admin)
    return Context(sim=sim, api=declared, params=typed, raw=dict(params), caller=caller,
                   extra={"session": None, "cookies": {}, "set_cookies": []})


def submit(sim, command: str, params: dict[str, str], *, account: dict | None = None) -> str | None:
    """Queue an async API's job (its id), recorded for ``account`` (a real server's system jobs are)."""
    ctx = _context(sim, command, params)
    result = ctx.api.handler(ctx)
    if not isinstance(result, Job):
        return None
    row = sim.jobs.submit(ctx, result)
    if account is not None:
        sim.store.update("asyncjob", row["id"], accountid=account["id"], domainid=account["domainid"])
    return row["id"]


def run_inline(sim, command: str, params: dict[str, str], caller=None) -> Any:
    """Run an API to its end now (its job body too), in the current transaction, as ``caller`` (default: the
    root admin); raises its ApiError."""
    ctx = _context(sim, command, params, caller)
    result = ctx.api.handler(ctx)
    if isinstance(result, Job):
        return result.run(ctx)
    return result
