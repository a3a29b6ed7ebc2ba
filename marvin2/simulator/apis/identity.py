"""Identity: login/logout, API keys, domains, accounts, users, roles, resource limits."""
from __future__ import annotations

from marvin2.simulator import auth, errors, model
from marvin2.simulator.context import Raw
from marvin2.simulator.declare import P, api, declare_object

declare_object("userkeys", {"apikey": "the API key", "secretkey": "the secret key"})
declare_object("login", {
    "username": "user name", "userid": "user id", "domainid": "domain id", "timeout": ("integer", "session lifetime (s)"),
    "account": "account name", "firstname": "first name", "lastname": "last name",
    "type": "account type: 0 user, 1 root admin, 2 domain admin", "timezone": "the user's time zone",
    "registered": "whether the user registered", "sessionkey": "the key to send as the sessionkey parameter",
})
declare_object("logout", {"description": "success when logged out"})


def find_domain_by_path(store, path: str | None) -> dict | None:
    """Login's ``domain``: ``/`` or ``ROOT`` is ROOT, ``/a/b`` (or ``ROOT/a/b``) a sub-domain."""
    cleaned = (path or "/").strip().strip("/")
    if cleaned.upper() == "ROOT":
        cleaned = ""
    elif cleaned.upper().startswith("ROOT/"):
        cleaned = cleaned[5:]
    wanted = "ROOT" + ("/" + cleaned if cleaned else "")
    for domain in store.find("domain", path=wanted):
        if not domain.get("removed"):
            return domain
    return None


def login_failure(username: str, domain_label) -> errors.ApiError:
    return errors.ApiError(531, f"Failed to authenticate user {username} in domain {domain_label}; please provide valid credentials",
                           errors.CS_PERMISSION_DENIED)


@api("login", response="login", post_only=True, auth_exempt=True, check_types=False, envelope="loginresponse",
     description="Starts a session for a user name and password; later calls send the JSESSIONID cookie and the "
                 "session key (cookie and sessionkey parameter) instead of a signature.",
     params=[P("username", "string", True, "the user name"), P("password", "string", True, "the password"),
             P("domain", description="path of the user's domain, e.g. / or /dept/team (default ROOT)"),
             P("domainId", "long", description="id of the user's domain (wins over domain)")])
def login(ctx):
    store = ctx.store
    username, password = ctx.get("username"), ctx.get("password")
    if ctx.get("domainid"):
        domain = store.get("domain", ctx.get("domainid").lower())
        label = ctx.get("domainid")
    else:
        domain = find_domain_by_path(store, ctx.get("domain"))
        label = domain.get("internalid", domain["id"]) if domain else ctx.get("domain")
    if domain is None:
        raise login_failure(username, label)
    label = domain.get("internalid", domain["id"])
    user = next((u for u in store.find("user", username=username, domainid=domain["id"]) if not u.get("removed")), None)
    if user is None or not auth.check_password(user.get("password"), password):
        raise login_failure(username, label)
    caller = auth.caller_for_user(store, user)
    if caller is None:
        raise login_failure(username, label)
    session = ctx.sim.sessions.create(user["id"])
    ctx.extra["set_cookies"].extend([
        f"JSESSIONID={session.session_id}; Path=/client; HttpOnly",
        f"sessionkey={session.session_key}; Path=/client",
    ])
    inner = {"username": user["username"], "userid": user["id"], "domainid": domain["id"], "timeout": auth.SESSION_TIMEOUT,
             "account": caller.account["name"], "firstname": user.get("firstname"), "lastname": user.get("lastname"),
             "type": str(caller.account["accounttype"]), "timezone": user.get("timezone"), "registered": "false",
             "sessionkey": session.session_key}
    return Raw(inner)


@api("logout", response="logout", description="Ends the caller's login session.")
def logout(ctx):
    session = ctx.extra.get("session")
    if session is not None:
        ctx.sim.sessions.drop(session.session_id)
        ctx.extra["set_cookies"].extend(["JSESSIONID=; Path=/client; Max-Age=0", "sessionkey=; Path=/client; Max-Age=0"])
    return Raw({"description": "success"})


def _user_for_keys(ctx) -> dict:
    user = ctx.store.get("user", ctx.get("id"))
    if user.get("removed"):
        raise errors.invalid_value(f"Unable to find user by id {ctx.get('id')}")
    caller = ctx.caller
    if caller.is_root_admin or user["id"] == caller.user["id"]:
        return user
    if caller.is_domain_admin and ctx.can_access(user):
        return user
    raise errors.permission_denied(f"Account {caller.account['name']} does not have permission to access user {user['id']}")


@api("registerUserKeys", response="userkeys",
     description="Generates a new API key and secret key for a user, replacing any previous pair.",
     params=[P("id", "uuid", True, "the user", entity="user")])
def register_user_keys(ctx):
    user = _user_for_keys(ctx)
    keys = {"apikey": auth.new_api_key(), "secretkey": model.random_secret()}
    ctx.store.update("user", user["id"], **keys)
    ctx.event("REGISTER.USER.KEY", f"registered API keys of user {user['username']}")
    return keys


@api("getUserKeys", response="userkeys", since="4.10.0", related="registerUserKeys",
     description="Returns a user's API key and secret key (absent when none was registered).",
     params=[P("id", "uuid", True, "the user", entity="user")])
def get_user_keys(ctx):
    user = _user_for_keys(ctx)
    return {"apikey": user.get("apikey"), "secretkey": user.get("secretkey")}
