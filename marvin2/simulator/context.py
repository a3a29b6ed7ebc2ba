"""What a handler receives (``ctx``) and what it may return.

A handler is ``fn(ctx) -> result`` where result is one of:
- a dict: the single object, answered as ``{"<response>": {...}}``;
- ``ListResult`` (from ``ctx.list(...)``): ``{"count": N, "<response>": [...]}``;
- ``SUCCESS`` (or ``Success(displaytext)``): ``{"success": true}``;
- ``Raw(inner)``: the inner body exactly as given (login, special shapes);
- ``Job(...)`` (async APIs only): the job is queued, the caller gets ``jobid``
  (and ``id`` for create-style commands) at once; ``job.run(ctx)`` later
  returns one of the above as the job result.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from marvin2 import wire
from marvin2.simulator import access_texts, errors
from marvin2.simulator.declare import ADMIN, DOMAIN_ADMIN, RESOURCE_ADMIN, USER, Api
# The list machinery lives below the context (listing never imports this module); ListResult and
# domain_in_subtree are re-exported here because handlers import them from the context.
from marvin2.simulator.listing import ListResult, domain_in_subtree, list_rows, paginate

# --- handler results (and ListResult, from listing) -------------------------------------------


@dataclass
class Success:
    displaytext: str | None = None


SUCCESS = Success()


@dataclass
class Raw:
    inner: Any


@dataclass
class Job:
    """An async job to run after the API's duration (see timing.py).

    ``run(ctx)`` performs the state change and returns the result (dict /
    SUCCESS / Raw) or raises ``ApiError`` (the job then fails with its code and
    text). ``on_failure(ctx, error)`` may repair state after a failure (e.g.
    put a VM in ``Error``); it runs in its own transaction.
    """

    run: Callable[["Context"], Any]
    instance_type: str | None = None
    instance_id: str | None = None
    entity_id: str | None = None          # create-style APIs: returned as "id" at once
    on_failure: Callable[["Context", errors.ApiError], None] | None = None


# --- the caller ----------------------------------------------------------------------------

# accounttype numbers of CloudStack
ACCOUNT_TYPE_USER = 0
ACCOUNT_TYPE_ADMIN = 1
ACCOUNT_TYPE_DOMAIN_ADMIN = 2
ACCOUNT_TYPE_RESOURCE_ADMIN = 3
ROLE_TYPE_BY_ACCOUNT_TYPE = {0: USER, 1: ADMIN, 2: DOMAIN_ADMIN, 3: RESOURCE_ADMIN}


@dataclass
class Caller:
    user: dict
    account: dict
    domain: dict
    role: dict

    @property
    def role_type(self) -> str:
        return self.role["type"]

    @property
    def is_root_admin(self) -> bool:
        return self.role_type == ADMIN

    @property
    def is_domain_admin(self) -> bool:
        return self.role_type in (DOMAIN_ADMIN, RESOURCE_ADMIN)

    @property
    def is_admin(self) -> bool:
        """Root or domain-level admin (sees more than its own account)."""
        return self.role_type != USER

    @property
    def account_id(self) -> str:
        return self.account["id"]

    @property
    def domain_id(self) -> str:
        return self.domain["id"]

    def __repr__(self) -> str:
        return f"Caller(user={self.user.get('username')!r}, account={self.account.get('name')!r}, role={self.role_type})"


# --- the context ---------------------------------------------------------------------------


@dataclass
class Context:
    sim: Any                      # the Simulator (store, jobs, config, faults ...)
    api: Api
    params: dict[str, Any]        # typed, keyed by lower-case name
    raw: dict[str, str]           # as sent (first value of each name)
    caller: Caller | None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def store(self):
        return self.sim.store

    @property
    def command(self) -> str:
        return self.api.name

    def get(self, name: str, default: Any = None) -> Any:
        return self.params.get(name.lower(), default)

    def has(self, name: str) -> bool:
        return name.lower() in self.params

    # --- configuration -------------------------------------------------------------------

    def config(self, name: str, default: Any = None, **scope: str | None) -> Any:
        """A global setting's value, or its value for a scope: ``ctx.config(name, account=id)`` /
        ``zone=id`` / ``domain=id`` / ``cluster=id`` / ``storagepool=id`` (falls back to the global value)."""
        return self.sim.config_value(name, default, **scope)

    # --- ownership and access ---------------------------------------------------------

    def account_row(self, account_id: str) -> dict | None:
        return self.store.get("account", account_id)

    def owner_fields(self, row: dict) -> dict:
        """``account``, ``accountid``?, ``domainid``, ``domain`` of an owned row, for responses."""
        out: dict[str, Any] = {}
        account = self.store.get("account", row.get("accountid")) if row.get("accountid") else None
        if account:
            out["account"] = account["name"]
        domain = self.store.get("domain", row.get("domainid")) if row.get("domainid") else None
        if domain:
            out["domainid"] = domain["id"]
            out["domain"] = domain["name"]
            out["domainpath"] = domain["path"]
        return out

    def can_access(self, row: dict) -> bool:
        """May the caller see/act on an owned row (``accountid``/``domainid`` fields)?"""
        caller = self.caller
        if caller is None or caller.is_root_admin:
            return True
        if caller.is_domain_admin:
            domain = self.store.get("domain", row.get("domainid"))
            return domain is not None and domain_in_subtree(domain, caller.domain)
        return row.get("accountid") == caller.account_id

    def check_access(self, row: dict, what: str = "resource") -> None:
        """531 PermissionDenied when the caller may not act on ``row``."""
        if not self.can_access(row):
            # DomainChecker.validateCallerHasAccessToEntityOwner's text, whatever the kind (``what`` is for callers
            # that word their own refusal).
            raise access_texts.no_access_to_resource()

    def require_root_admin(self) -> None:
        if self.caller is not None and not self.caller.is_root_admin:
            raise errors.permission_denied(
                f"Account {self.caller.account['name']} does not have permission to perform this operation"
            )

    def resolve_owner(self) -> dict:
        """The account a create call acts for: ``account``+``domainid`` (admins) or the caller's own."""
        name, domain_id = self.get("account"), self.get("domainid")
        caller = self.caller
        if not name:
            if domain_id and domain_id != caller.domain_id:
                raise errors.invalid_value("Both account and domainid are needed to act on behalf of another account")
            return caller.account
        domain_id = domain_id or caller.domain_id
        domain = self.store.get("domain", domain_id)
        # AccountManagerImpl.finalizeOwner: a user may only name itself; an admin names an account of a domain
        # it may work in.
        if not caller.is_admin:
            if name != caller.account["name"] or domain_id != caller.domain_id:
                raise access_texts.not_for_other_account(name, domain, domain_id)
            return caller.account
        if domain is None:
            raise errors.invalid_value(f"Unable to find the domain by id={domain_id}")
        account = self.store.find_one("account", name=name, domainid=domain_id, removed=None)
        if account is None:
            raise errors.invalid_value(f"Unable to find account {name} in domain {access_texts.domain_text(domain)}")
        if not domain_in_subtree(domain, caller.domain):
            raise access_texts.outside_domain(self.store, caller.account, domain)
        return account

    def owner_row_fields(self, account: dict) -> dict:
        """``accountid`` + ``domainid`` to put on a new owned row."""
        return {"accountid": account["id"], "domainid": account["domainid"]}

    # --- lists ---------------------------------------------------------------------------

    def list(self, kind: str, render: Callable[[dict], dict], **options: Any) -> ListResult:
        return list_rows(self, kind, render, **options)

    def paginate(self, items: list) -> ListResult:
        return paginate(self, items)

    # --- events, jobs, tags ------------------------------------------------------------

    def event(self, event_type: str, description: str, *, level: str = "INFO", account: dict | None = None,
              state: str = "Completed") -> dict:
        """Record an event (listEvents), on behalf of ``account`` (default: the caller's)."""
        account = account or (self.caller.account if self.caller else None)
        row = {
            "type": event_type, "description": description, "level": level, "state": state,
            "username": self.caller.user["username"] if self.caller else "system",
            "accountid": account["id"] if account else None, "domainid": account["domainid"] if account else None,
            "created": wire.now_text(),
        }
        return self.store.insert("event", {k: v for k, v in row.items() if v is not None})

    def tags_for(self, resource_id: str) -> list[dict]:
        """The ``tags`` array of a response object."""
        from marvin2.simulator.tagging import render_tags

        return render_tags(self, resource_id)
