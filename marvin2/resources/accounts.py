"""Accounts, users, their API keys, domains, roles and projects."""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from marvin2.resources.base import OnCreated, call, create_async, create_sync, unwrap_result
from marvin2.resources.kinds import ResourceKind, register, simple_delete
from marvin2.resources.naming import unique_name

ACCOUNT = register(ResourceKind(
    name="account", label="account", list_api="listAccounts", delete=simple_delete("deleteAccount"),
    rank=90, state_field="state",
))

USER = register(ResourceKind(
    name="user", label="user", list_api="listUsers", delete=simple_delete("deleteUser", is_async=False),
    rank=85, state_field="state",
    # Users made by these helpers belong to an account made with them, and go
    # with it; a sweep must not try to delete an account's last user first.
    name_searchable=False,
))

DOMAIN = register(ResourceKind(
    name="domain", label="domain", list_api="listDomains",
    delete=lambda api, rid, *, timeout=None: call(api, "deleteDomain", timeout=timeout, id=rid, cleanup=True),
    rank=95, list_params={"listall": True},
))

ROLE = register(ResourceKind(
    # After the accounts that have it (an account's role cannot be deleted) and their domains.
    name="role", label="role", list_api="listRoles", delete=simple_delete("deleteRole", is_async=False),
    rank=97, list_params={},
))

PROJECT = register(ResourceKind(
    # cleanup=true deletes what the project owns with it; before the accounts of its members.
    name="project", label="project", list_api="listProjects",
    delete=lambda api, rid, *, timeout=None: call(api, "deleteProject", timeout=timeout, id=rid, cleanup=True),
    rank=80,
))

# accounttype values of createAccount
USER_ACCOUNT, ADMIN_ACCOUNT, DOMAIN_ADMIN_ACCOUNT = 0, 1, 2


@dataclass(frozen=True)
class AccountKeys:
    """An account, its first user and that user's API keys.

    The secret key and password never appear in ``repr`` (reports, logs).
    """

    account: Any
    user: Any
    api_key: str
    secret_key: str = field(repr=False)
    password: str = field(repr=False, default="")

    @property
    def name(self) -> str:
        return self.account["name"]

    @property
    def id(self) -> str:
        return self.account["id"]

    @property
    def domainid(self) -> str:
        return self.account["domainid"]


def create_account(
    api: Any, *, domainid: str | None = None, accounttype: int | None = USER_ACCOUNT, roleid: str | None = None,
    name: str | None = None, purpose: str = "acct", password: str | None = None, run_id: str | None = None,
    on_created: OnCreated | None = None, **params: Any,
) -> Any:
    """createAccount with one user of the same name; returns the account record.

    The password defaults to a random one (pass ``password=`` to log in with it).
    """
    name = name or unique_name(purpose, run_id, max_length=63)
    params = {
        "account": name, "username": name, "email": f"{name}@marvin2.test", "firstname": "marvin2",
        "lastname": purpose, "password": password or secrets.token_urlsafe(18), "domainid": domainid,
        "accounttype": None if roleid else accounttype, "roleid": roleid, **params,
    }
    return create_sync(api, "account", "createAccount", params, result_keys=("account",), on_created=on_created)


def first_user(account: Any) -> Any:
    users = account.get("user") or []
    if not users:
        raise ValueError(f"account {account.get('name')} ({account.get('id')}) has no user in the createAccount answer")
    return users[0]


def register_user_keys(api: Any, user_id: str) -> tuple[str, str]:
    """registerUserKeys for a user; returns ``(api_key, secret_key)``."""
    keys = unwrap_result(call(api, "registerUserKeys", id=user_id), "userkeys")
    return keys["apikey"], keys["secretkey"]


def create_account_with_keys(
    api: Any, *, domainid: str | None = None, accounttype: int | None = USER_ACCOUNT, roleid: str | None = None,
    purpose: str = "acct", run_id: str | None = None, on_created: OnCreated | None = None, **params: Any,
) -> AccountKeys:
    """An account, its user and fresh API keys for that user, in one call."""
    password = params.pop("password", None) or secrets.token_urlsafe(18)
    account = create_account(api, domainid=domainid, accounttype=accounttype, roleid=roleid, purpose=purpose,
                             password=password, run_id=run_id, on_created=on_created, **params)
    user = first_user(account)
    api_key, secret_key = register_user_keys(api, user["id"])
    return AccountKeys(account=account, user=user, api_key=api_key, secret_key=secret_key, password=password)


def create_domain(
    api: Any, *, parentdomainid: str | None = None, name: str | None = None, purpose: str = "dom",
    run_id: str | None = None, on_created: OnCreated | None = None, **params: Any,
) -> Any:
    """createDomain (sync); deleting it later removes its accounts too (cleanup=true)."""
    params = {"name": name or unique_name(purpose, run_id), "parentdomainid": parentdomainid, **params}
    return create_sync(api, "domain", "createDomain", params, result_keys=("domain",), on_created=on_created)


def create_user(
    api: Any, account: Any, *, password: str | None = None, name: str | None = None, purpose: str = "user",
    run_id: str | None = None, on_created: OnCreated | None = None, **params: Any,
) -> Any:
    """createUser in an existing ``account`` (a record with ``name`` and ``domainid``); returns the user."""
    name = name or unique_name(purpose, run_id)
    params = {"account": account["name"], "domainid": account["domainid"], "username": name,
              "email": f"{name}@marvin2.test", "firstname": "marvin2", "lastname": purpose,
              "password": password or secrets.token_urlsafe(18), **params}
    return create_sync(api, "user", "createUser", params, result_keys=("user",), on_created=on_created)


def create_role(
    api: Any, *, type: str = "User", name: str | None = None, purpose: str = "role", run_id: str | None = None,
    on_created: OnCreated | None = None, **params: Any,
) -> Any:
    """createRole (sync; ``roleid=`` clones an existing role's rules); returns the role."""
    params = {"name": name or unique_name(purpose, run_id), "type": None if params.get("roleid") else type,
              **params}
    return create_sync(api, "role", "createRole", params, result_keys=("role",), on_created=on_created)


def create_project(
    api: Any, *, name: str | None = None, displaytext: str | None = None, purpose: str = "proj",
    run_id: str | None = None, on_created: OnCreated | None = None, timeout: float | None = None, **params: Any,
) -> Any:
    """createProject (async), owned by the caller's account unless ``account``/``domainid`` say otherwise."""
    name = name or unique_name(purpose, run_id)
    params = {"name": name, "displaytext": displaytext or name, **params}
    return create_async(api, "project", "createProject", params, result_keys=("project",), on_created=on_created,
                        timeout=timeout)
