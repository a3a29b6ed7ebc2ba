"""Who is calling: API-key signatures (v1 and v3), login sessions, and roles.

Every credential failure answers exactly as a real server: HTTP 401 with
``unable to verify user credentials and/or request signature`` and no
cserrorcode. A role decides which APIs an account may call: a role's own
permission rules (createRolePermission) when it has any, otherwise the
declaration's ``roles`` (CloudStack's default permission levels).
"""
from __future__ import annotations

import datetime as _dt
import fnmatch
import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass

from marvin2 import wire
from marvin2.simulator import errors
from marvin2.simulator.context import Caller
from marvin2.simulator.declare import Api

SESSION_TIMEOUT = 1800


def credential_error() -> errors.ApiError:
    return errors.ApiError(401, wire.SIGNATURE_ERROR_TEXT, cserrorcode=None)


def hash_password(password: str, salt: str | None = None) -> str:
    salt = salt or secrets.token_hex(8)
    digest = hashlib.sha256((salt + password).encode("utf-8")).hexdigest()
    return f"{salt}${digest}"


def check_password(stored: str | None, password: str) -> bool:
    if not stored or "$" not in stored:
        return False
    salt, _ = stored.split("$", 1)
    return hmac.compare_digest(hash_password(password, salt), stored)


def new_api_key() -> str:
    return secrets.token_urlsafe(64)[:86]


def caller_for_user(store, user: dict | None) -> Caller | None:
    """The caller behind a user row, or None when the user/account/domain is unusable."""
    if user is None or user.get("removed") or user.get("state") != "enabled":
        return None
    account = store.get("account", user["accountid"])
    if account is None or account.get("removed") or account.get("state") != "enabled":
        return None
    domain = store.get("domain", account["domainid"])
    role = store.get("role", account.get("roleid"))
    if domain is None or role is None or domain.get("state", "Active") != "Active":
        return None
    return Caller(user=user, account=account, domain=domain, role=role)


def verify_api_key(store, raw: dict[str, str]) -> Caller:
    """Authenticate a signed request (any failure -> 401)."""
    lowered = {k.lower(): v for k, v in reversed(list(raw.items()))}
    api_key, signature = lowered.get("apikey"), lowered.get("signature")
    if not api_key or not signature:
        raise credential_error()
    if lowered.get("signatureversion") == "3":
        expires = lowered.get("expires")
        if not expires:
            raise credential_error()
        try:
            moment = wire.parse_tzdate(expires)
        except ValueError:
            raise credential_error() from None
        if moment <= _dt.datetime.now(_dt.timezone.utc):
            raise credential_error()
    user = store.find_one("user", apikey=api_key)
    caller = caller_for_user(store, user)
    if caller is None or not wire.verify_signature(raw, user.get("secretkey") or "", signature):
        raise credential_error()
    return caller


@dataclass
class Session:
    session_id: str
    session_key: str
    user_id: str
    last_seen: float


class Sessions:
    """Login sessions, in memory (a restart logs everybody out, like a real server)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._by_id: dict[str, Session] = {}

    def create(self, user_id: str) -> Session:
        session = Session(secrets.token_hex(16).upper(), secrets.token_urlsafe(20), user_id, time.monotonic())
        with self._lock:
            self._by_id[session.session_id] = session
        return session

    def drop(self, session_id: str) -> None:
        with self._lock:
            self._by_id.pop(session_id, None)

    def drop_user(self, user_id: str) -> None:
        with self._lock:
            for sid in [s.session_id for s in self._by_id.values() if s.user_id == user_id]:
                del self._by_id[sid]

    def check(self, session_id: str | None, cookie_key: str | None, param_key: str | None) -> Session:
        """The session of a request carrying the JSESSIONID cookie and the session key (cookie + parameter)."""
        if not session_id or not param_key:
            raise credential_error()
        with self._lock:
            session = self._by_id.get(session_id)
            now = time.monotonic()
            if session is None or now - session.last_seen > SESSION_TIMEOUT:
                raise credential_error()
            if not hmac.compare_digest(session.session_key.encode(), param_key.encode()):
                raise credential_error()
            if cookie_key is not None and not hmac.compare_digest(session.session_key.encode(), cookie_key.encode()):
                raise credential_error()
            session.last_seen = now
        return session


def is_allowed(store, caller: Caller, declared: Api) -> bool:
    """May the caller's role call this API? Custom rules first, then the declared default."""
    if declared.name in ("login", "logout"):
        return True          # session plumbing, never subject to role rules (as on a real server)
    rules = store.find("rolepermission", roleid=caller.role["id"])
    if rules:
        for rule in sorted(rules, key=lambda r: r.get("sortorder", 0)):
            if fnmatch.fnmatchcase(declared.name, rule["rule"]):
                return rule["permission"] == "allow"
        if caller.role.get("custom"):
            return False
    return caller.role_type in declared.roles


def not_available(declared_name: str, caller: Caller) -> errors.ApiError:
    return errors.ApiError(
        432, f"The API [{declared_name}] does not exist or is not available for the account {caller.account['name']}.",
        errors.CS_UNAVAILABLE_COMMAND,
    )
