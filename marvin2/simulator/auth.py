"""Who is calling: API-key signatures (v1 and v3), login sessions, and roles.

Every credential failure answers exactly as a real server: HTTP 401 with
``unable to verify user credentials and/or request signature`` and no
cserrorcode. A role decides which APIs an account may call: a role's own
permission rules (createRolePermission) when it has any, otherwise the
declaration's ``roles`` (CloudStack's default permission levels).
"""
from __future__ import annotations

import base64
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


def _signing_string(params: dict[str, str]) -> str:
    """Every parameter but ``signature`` (in any letter case), sorted by name as sent, Java-encoded, lower-cased."""
    pairs = sorted((k, v) for k, v in params.items() if k.lower() != "signature")
    return "&".join(f"{k}={wire.java_urlencode(v)}" for k, v in pairs).lower()


def verify_api_key(store, params: dict[str, str], role_check) -> Caller:
    """Authenticate a signed request as ApiServer.verifyRequest does; any failure is a 401.

    Order: signature and API key present, v3 expiry, a usable user for the key, then ``role_check(caller)``
    (which raises the 432 of a command the role may not call, before the signature is even looked at), then
    the signature itself."""
    named: dict[str, str] = {}
    for name in sorted(params):           # the last spelling in sort order wins, as in Java's loop
        lowered = name.lower()
        if lowered in ("signature", "apikey", "signatureversion", "expires"):
            named[lowered] = params[name]
    api_key, signature = named.get("apikey"), named.get("signature")
    if api_key is None or signature is None:
        raise credential_error()
    if named.get("signatureversion") == "3":
        expires = named.get("expires")
        if expires is None:
            raise credential_error()
        try:
            moment = wire.parse_tzdate(expires)
        except ValueError:
            raise credential_error() from None
        if moment < _dt.datetime.now(_dt.timezone.utc):
            raise credential_error()
    user = store.find_one("user", apikey=api_key) if api_key else None
    caller = caller_for_user(store, user)
    if caller is None:
        raise credential_error()
    role_check(caller)
    secret = user.get("secretkey")
    if not secret:
        raise credential_error()
    expected = base64.b64encode(hmac.new(secret.encode("utf-8"), _signing_string(params).encode("utf-8"),
                                         hashlib.sha1).digest()).decode("ascii")
    if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
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

    def get(self, session_id: str | None) -> Session | None:
        """The live session a JSESSIONID cookie names (None: no such session, or it timed out)."""
        if not session_id:
            return None
        with self._lock:
            session = self._by_id.get(session_id)
            if session is not None and time.monotonic() - session.last_seen > SESSION_TIMEOUT:
                del self._by_id[session_id]
                return None
            return session

    def key_matches(self, session: Session, cookie_key: str | None, param_key: str | None) -> bool:
        """``api.sessionkey.check.locations`` = CookieAndParameter (the default since 4.18.2.4 / 4.19.1.2):
        the ``sessionkey`` cookie and the ``sessionkey`` parameter must both be there and both match."""
        expected = session.session_key.encode()
        if cookie_key is None or param_key is None:
            return False
        cookie_ok = hmac.compare_digest(expected, cookie_key.encode("utf-8", "replace"))
        param_ok = hmac.compare_digest(expected, param_key.encode("utf-8", "replace"))
        if cookie_ok and param_ok:
            with self._lock:
                session.last_seen = time.monotonic()
            return True
        return False


def session_error() -> errors.ApiError:
    """A session request whose session key or user does not check out (the shorter text, no cserrorcode)."""
    return errors.ApiError(401, "unable to verify user credentials", cserrorcode=None)


def is_default_root_admin(caller: Caller) -> bool:
    """The default Root Admin role may call everything (DynamicRoleBasedAPIAccessChecker); a custom role of
    the Admin type goes by its rules like any other."""
    return caller.role_type == "Admin" and not caller.role.get("custom") and bool(caller.role.get("isdefault"))


def may_call(store, caller: Caller, name: str, declared: Api | None) -> bool:
    """May the caller's role call the command ``name`` (``declared`` None: a name no API has)?
    Custom rules first, then the declared default roles."""
    if is_default_root_admin(caller) or name in ("login", "logout"):
        return True          # logout and login are session plumbing, never subject to role rules
    rules = store.find("rolepermission", roleid=caller.role["id"])
    if rules:
        for rule in sorted(rules, key=lambda r: r.get("sortorder", 0)):
            if fnmatch.fnmatchcase(name, rule["rule"]):
                return rule["permission"] == "allow"
        if caller.role.get("custom"):
            return False
    return declared is not None and caller.role_type in declared.roles


def is_allowed(store, caller: Caller, declared: Api) -> bool:
    """May the caller's role call this API? Custom rules first, then the declared default."""
    return may_call(store, caller, declared.name, declared)


def not_available(name: str, caller: Caller) -> errors.ApiError:
    """432 for a command the role may not call (or that does not exist), 4.20's wording: it names the user's
    uuid (4.18 named the account's toString instead)."""
    return errors.unsupported(
        f"The API [{name}] does not exist or is not available for the account for user id [{caller.user['id']}].")
