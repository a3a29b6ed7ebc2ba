"""Moving a user to another account of the same domain (CloudStack 4.20's AccountManagerImpl.moveUser).

The user keeps its id, name, password and API keys (4.20 re-creates the user row under the new account with the
old uuid); only its account changes. Refused: default users (the seed's admin), users of project accounts, a
target account in another domain; moving a user to its own account changes nothing and succeeds.
"""
from __future__ import annotations

from marvin2.simulator import errors

PROJECT_ACCOUNT_TYPE = 5


def move(ctx, user: dict, account_name: str | None, account_id: str | None) -> dict:
    store = ctx.store
    if user is None or user.get("removed"):
        raise errors.invalid_value("The specified user doesn't exist in the system")
    if user.get("isdefault"):
        raise errors.invalid_value("The user is default and can't be (re)moved")
    old = store.get("account", user["accountid"])
    if old.get("accounttype") == PROJECT_ACCOUNT_TYPE:
        raise errors.invalid_value("Project users cannot be deleted or moved.")
    ctx.check_access(old, "account")
    if not account_name and not account_id:
        # MoveUserCmd's Preconditions.checkState: an IllegalStateException, answered as an internal error.
        raise errors.internal_error("Internal error executing command, please contact your system administrator")
    target = None
    if account_name:
        target = store.find_one("account", name=account_name, domainid=old["domainid"], state="enabled", removed=None)
    if target is None and account_id:
        target = store.get("account", account_id)
        if target is not None and target.get("removed"):
            target = None
    if target is None:
        raise errors.internal_error("no account name or account id. this should have been caught before this point")
    if target["domainid"] != old["domainid"]:
        raise errors.invalid_value("moving a user from an account in one domain to an account in another domain is "
                                   "not supported!")
    if target["id"] == user["accountid"]:
        return user
    return store.update("user", user["id"], accountid=target["id"], domainid=target["domainid"])
