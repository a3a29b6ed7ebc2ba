"""Identity: login/logout, API keys, domains, accounts, users, roles, resource limits."""
from __future__ import annotations

from marvin2.simulator import access_texts, auth, errors, model
from marvin2.simulator.context import Raw
from marvin2.simulator.declare import P, api, declare_object

declare_object("userkeys", {"apikey": "the API key", "secretkey": "the secret key"})
declare_object("login", {
    "username": "user name", "userid": "user id", "domainid": "domain id", "timeout": ("integer", "session lifetime (s)"),
    "account": "account name", "firstname": "first name", "lastname": "last name",
    "type": "account type: 0 user, 1 root admin, 2 domain admin", "timezone": "the user's time zone",
    "registered": "whether the user registered", "sessionkey": "the key to send as the sessionkey parameter",
    "timezoneoffset": "hours east of UTC of the user's time zone", "is2faenabled": "whether 2FA is enabled",
    "is2faverified": "whether 2FA is verified", "issuerfor2fa": "the 2FA issuer (user.2fa.issuer)",
})
declare_object("logout", {"description": "success when logged out"})


def find_domain_by_path(store, path: str | None) -> dict | None:
    """A domain by its CloudStack path (``/`` is ROOT, ``/dept/team/`` a sub-domain), any letter case."""
    cleaned = (path or "").strip()
    if not (cleaned.startswith("/") and cleaned.endswith("/")):
        return None
    wanted = ("ROOT/" + cleaned[1:-1] if cleaned != "/" else "ROOT").rstrip("/").lower()
    return next((d for d in store.find("domain") if not d.get("removed") and d["path"].lower() == wanted), None)


def login_failure(text: str) -> errors.ApiError:
    """531 of the login authenticator: its own envelope, no cserrorcode."""
    return errors.ApiError(531, text, cserrorcode=None)


def _login_domain(store, domain_id_text: str | None, domain_text: str | None) -> tuple[dict | None, str | None]:
    """(domain, path as the authenticator spelled it) of a login: ``domainid``/``domainId`` (a uuid or the
    numeric internal id) wins over ``domain`` (a path, given leading and trailing slashes); neither is ROOT."""
    internal = None
    if domain_id_text is not None:
        row = store.get("domain", domain_id_text.lower())
        if row is not None:
            internal = store.internal_id_of("domain", row["id"])
        elif domain_id_text.lstrip("+-").isdigit():
            internal = int(domain_id_text)
        else:
            raise errors.ApiError(401, "Invalid domain id entered, please enter a valid one", cserrorcode=None)
    path = None
    if domain_text is not None:
        path = domain_text if domain_text.endswith("/") else domain_text + "/"
        path = path if path.startswith("/") else "/" + path
    if internal is None or internal < 1:
        if path is None or not path.strip():
            return store.get_by_internal_id("domain", 1), path
        found = find_domain_by_path(store, path)
        if found is not None or internal is None:
            return found, path
    return store.get_by_internal_id("domain", internal), path


def _timezone_offset(name: str) -> str:
    """Hours east of UTC now, as Java's Float.toString prints them ("5.5", "-4.0")."""
    import datetime as _dt
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        offset = _dt.datetime.now(ZoneInfo(name)).utcoffset() or _dt.timedelta(0)
    except (ZoneInfoNotFoundError, ValueError):
        offset = _dt.timedelta(0)          # Java's TimeZone.getTimeZone falls back to GMT
    return repr(offset.total_seconds() / 3600.0)


@api("login", response="login", check_types=False, description="Starts a session for a user name and password; later calls send the JSESSIONID cookie and the "
                 "session key (cookie and sessionkey parameter) instead of a signature.",
     params=[P("username", "the user name"), P("password", "the password"),
             P("domain", "path of the user's domain, e.g. / or /dept/team (default ROOT)"),
             P("domainId", "id of the user's domain (wins over domain)")])
def login(ctx):
    # The pipeline hands over exactly what CloudStack's login authenticator reads (POST only, exact names).
    store = ctx.store
    username, password = ctx.get("username"), ctx.get("password")
    domain, path = _login_domain(store, ctx.get("domainid"), ctx.get("domain"))
    if domain is None or domain.get("removed"):
        raise login_failure(f"Unable to find the domain from the path {path}")
    internal = store.internal_id_of("domain", domain["id"])
    user = next((u for u in store.find("user", username=username, domainid=domain["id"]) if not u.get("removed")), None)
    caller = auth.caller_for_user(store, user)
    if user is None or password is None or not auth.check_password(user.get("password"), password) or caller is None:
        raise login_failure(f"Failed to authenticate user {username} in domain {internal}; please provide valid credentials")
    session = ctx.sim.sessions.create(user["id"])
    ctx.extra["set_cookies"].extend([
        f"JSESSIONID={session.session_id};Path=/client",             # the servlet container's session cookie
        f"sessionkey={session.session_key};HttpOnly;SameSite=Lax",    # ApiServlet's, api.sessionkey.cookie.samesite=Lax
    ])
    inner = {"username": user["username"], "userid": user["id"], "domainid": caller.account["domainid"],
             "timeout": auth.SESSION_TIMEOUT, "account": caller.account["name"], "firstname": user.get("firstname"),
             "lastname": user.get("lastname"), "type": str(caller.account["accounttype"]), "registered": "false",
             "sessionkey": session.session_key, "is2faenabled": "false", "is2faverified": "true",
             "issuerfor2fa": str(ctx.config("user.2fa.issuer", "CloudStack") or "CloudStack")}
    if user.get("timezone"):
        inner["timezone"] = user["timezone"]
        inner["timezoneoffset"] = _timezone_offset(user["timezone"])
    return Raw(inner)


@api("logout", response="logout", description="Ends the caller's login session.")
def logout(ctx):
    session = ctx.extra.get("session")
    if session is not None:
        ctx.sim.sessions.drop(session.session_id)
    return Raw({"description": "success"})


# RoleType ids (org.apache.cloudstack.acl.RoleType): a smaller id is more privileged.
_ROLE_RANK = {"Admin": 1, "ResourceAdmin": 2, "DomainAdmin": 4, "User": 8}


def _user_for_keys(ctx) -> dict:
    """The user whose keys getUserKeys/registerUserKeys act on, checked as AccountManagerImpl.getKeys and
    createApiKeyAndSecretKey do: access to the user's account, then verifyCallerPrivilegeForUserOrAccountOperations
    (role types; other users of the caller's own account are allowed while allow.operations.on.users.in.same.account
    is true, the default)."""
    store = ctx.store
    user = store.get("user", ctx.get("id"))
    if user.get("removed"):
        raise errors.invalid_value("Unable to find user by id")
    caller = ctx.caller
    account = store.get("account", user["accountid"])
    if not ctx.can_access(account | {"accountid": account["id"]}):
        raise access_texts.no_access_to_resource()
    if account.get("accounttype") == 5:          # a project's account: no role checks
        return user
    caller_rank = _ROLE_RANK.get(caller.role_type, 8)
    target_role = store.get("role", account.get("roleid")) or {}
    target_rank = _ROLE_RANK.get(target_role.get("type"), 8)
    caller_text, target_text = (f"{caller.account['name']}, {caller.account_id}", f"{account['name']}, {account['id']}")
    default_admin = caller.account.get("accounttype") == 1 and caller.account.get("name") == "admin"
    if not default_admin:
        if caller_rank > target_rank:
            raise errors.permission_denied(f"The calling account [{caller_text}] has a lower role type than the user "
                                           f"account [{target_text}]")
        if caller_rank == target_rank and caller.account_id != account["id"]:
            allowed = str(ctx.config("role.types.allowed.for.operations.on.accounts.of.same.role.type",
                                     "Admin, ResourceAdmin, DomainAdmin") or "")
            if caller.role_type not in {r.strip() for r in allowed.split(",")}:
                raise errors.permission_denied(
                    f"The calling account [{caller_text}] is not allowed to perform this operation on users from other "
                    "accounts of the same role type within the domain")
        same_account_other_user = caller.account_id == account["id"] and caller.user["id"] != user["id"]
        if caller_rank == target_rank and same_account_other_user \
                and str(ctx.config("allow.operations.on.users.in.same.account", "true")).lower() != "true":
            raise errors.permission_denied("The user operations are not allowed by the users in the same account")
    if not caller.is_root_admin and target_role.get("type") == "Admin":
        raise errors.permission_denied(f"Account [{caller_text}] cannot perform this operation for user account "
                                       f"[{target_text}] ")
    return user


@api("registerUserKeys", response="userkeys",
     description="Generates a new API key and secret key for a user, replacing any previous pair.",
     params=[P("id", "the user", entity="user")])
def register_user_keys(ctx):
    user = _user_for_keys(ctx)
    keys = {"apikey": auth.new_api_key(), "secretkey": model.random_secret()}
    ctx.store.update("user", user["id"], **keys)
    ctx.event("REGISTER.USER.KEY", f"registered API keys of user {user['username']}")
    return keys


@api("getUserKeys", response="userkeys", related="registerUserKeys",
     description="Returns a user's API key and secret key (absent when none was registered).",
     params=[P("id", "the user", entity="user")])
def get_user_keys(ctx):
    user = _user_for_keys(ctx)
    return {"apikey": user.get("apikey"), "secretkey": user.get("secretkey")}


# =====================================================================================
# Domains, accounts, users, roles, resource limits
# =====================================================================================

from marvin2.simulator import limits, tagging
from marvin2.simulator.services.common import PROJECT_ACCOUNT_TYPE, account_number
from marvin2.simulator.context import (
    ACCOUNT_TYPE_ADMIN,
    ROLE_TYPE_BY_ACCOUNT_TYPE,
    SUCCESS,
    Job,
    ListResult,
    domain_in_subtree,
)
from marvin2.simulator.declare import (
    ADMIN,
    ADMIN_ONLY,
    DOMAIN_ADMIN,
    DOMAIN_ADMINS,
    PAGING,
    RESOURCE_ADMIN,
    ROLE_TYPES,
    USER,
)
from marvin2.simulator.declare import declare_object as _declare
from marvin2.simulator.services.accounts import ACCOUNT_CLEANUP_HOOKS, ACCOUNT_DISABLE_HOOKS
from marvin2.simulator.validation import map_as_dict

# account/domain response prefix -> resource type (the vmlimit/vmtotal/vmavailable triplets)
LIMIT_FIELDS = {"vm": "user_vm", "ip": "public_ip", "volume": "volume", "snapshot": "snapshot", "template": "template",
                "project": "project", "network": "network", "vpc": "vpc", "cpu": "cpu", "memory": "memory",
                "primarystorage": "primary_storage", "secondarystorage": "secondary_storage"}
ACCOUNT_STATES = ("enabled", "disabled", "locked")


def _limit_fields() -> dict:
    out = {}
    for prefix, name in LIMIT_FIELDS.items():
        out[f"{prefix}limit"] = f"the {name} limit (Unlimited when none)"
        out[f"{prefix}total"] = ("long", f"the {name} in use")
        out[f"{prefix}available"] = f"the {name} still available"
    return out


_declare("domain", {"id": "domain id", "name": "domain name", "level": ("integer", "depth below ROOT"),
                    "parentdomainid": "parent domain id", "parentdomainname": "parent domain name",
                    "haschild": ("boolean", "whether it has sub-domains"), "path": "the domain path (ROOT/a/b)",
                    "state": "Active or Inactive", "networkdomain": "network domain", "created": ("date", "creation"),
                    **_limit_fields()})
_declare("account", {"id": "account id", "name": "account name", "accounttype": ("integer", "0 user, 1 root admin, 2 domain admin"),
                     "roleid": "role id", "rolename": "role name", "roletype": "role type", "domainid": "domain id",
                     "domain": "domain name", "domainpath": "domain path", "state": "enabled, disabled or locked",
                     "networkdomain": "network domain", "created": ("date", "creation"), "isdefault": ("boolean", "built-in"),
                     "user": ("list", "the account's users"), "accountdetails": ("map", "details"), **_limit_fields()})
_declare("user", {"id": "user id", "username": "user name", "firstname": "first name", "lastname": "last name",
                  "email": "e-mail", "created": ("date", "creation"), "state": "enabled, disabled or locked",
                  "account": "account name", "accountid": "account id", "accounttype": ("integer", "account type"),
                  "roleid": "role id", "rolename": "role name", "roletype": "role type", "domainid": "domain id",
                  "domain": "domain name", "apikey": "API key", "timezone": "time zone", "isdefault": ("boolean", "built-in"),
                  "usersource": "native, ldap, saml2 ...", "is2faenabled": ("boolean", "2FA on"),
                  "iscallerchilddomain": ("boolean", "user is in a sub-domain of the caller")})
_declare("role", {"id": "role id", "name": "role name", "type": "Admin, ResourceAdmin, DomainAdmin or User",
                  "description": "what the role is for", "isdefault": ("boolean", "one of the four built-in roles")})
_declare("rolepermission", {"id": "rule id", "roleid": "role id", "rolename": "role name", "rule": "API name or wildcard",
                            "permission": "allow or deny", "description": "what the rule is for"})
_declare("resourcelimit", {"account": "account name", "domainid": "domain id", "domain": "domain name",
                           "resourcetype": "resource type number", "resourcetypename": "resource type name",
                           "max": ("long", "the limit, -1 for unlimited")})
_declare("resourcecount", {"account": "account name", "domainid": "domain id", "domain": "domain name",
                           "resourcetype": "resource type number", "resourcetypename": "resource type name",
                           "resourcecount": ("long", "amount in use")})


# --- helpers -----------------------------------------------------------------------------


def _limit_triplets(store, *, account: dict | None = None, domain: dict | None = None) -> dict:
    out = {}
    for prefix, name in LIMIT_FIELDS.items():
        if account is not None:
            limit = limits.account_limit(store, account, name)
            total = limits.account_count(store, account["id"], name)
        else:
            limit = limits.effective_domain_limit(store, domain, name)
            total = limits.domain_count(store, domain, name)
        out[f"{prefix}limit"] = "Unlimited" if limit < 0 else str(limit)
        out[f"{prefix}total"] = total
        out[f"{prefix}available"] = "Unlimited" if limit < 0 else str(max(0, limit - total))
    return out


def render_domain(ctx, row: dict) -> dict:
    store = ctx.store
    parent = store.get("domain", row.get("parentdomainid")) if row.get("parentdomainid") else None
    children = [d for d in store.find("domain", parentdomainid=row["id"]) if not d.get("removed")]
    out = {"id": row["id"], "name": row["name"], "level": row["level"], "path": row["path"], "state": row.get("state", "Active"),
           "networkdomain": row.get("networkdomain"), "haschild": bool(children), "created": row.get("created"),
           "parentdomainid": parent["id"] if parent else None, "parentdomainname": parent["name"] if parent else None,
           "hasannotations": False}
    out.update(_limit_triplets(store, domain=row))
    return out


def render_user(ctx, row: dict, account: dict | None = None) -> dict:
    store = ctx.store
    account = account or store.get("account", row["accountid"])
    role = store.get("role", account.get("roleid")) or {}
    domain = store.get("domain", row["domainid"]) or {}
    caller_domain = ctx.caller.domain if ctx.caller else None
    return {"id": row["id"], "username": row["username"], "firstname": row.get("firstname"), "lastname": row.get("lastname"),
            "email": row.get("email"), "created": row.get("created"), "state": row.get("state"),
            "account": account["name"], "accountid": account["id"], "accounttype": account["accounttype"],
            "roleid": role.get("id"), "rolename": role.get("name"), "roletype": role.get("type"),
            "domainid": domain.get("id"), "domain": domain.get("name"), "apikey": row.get("apikey"),
            "timezone": row.get("timezone"), "isdefault": bool(row.get("isdefault")), "usersource": row.get("usersource", "native"),
            "is2faenabled": False, "is2famandated": False,
            "iscallerchilddomain": bool(caller_domain and domain and domain["id"] != caller_domain["id"]
                                        and domain_in_subtree(domain, caller_domain))}


def render_account(ctx, row: dict) -> dict:
    store = ctx.store
    role = store.get("role", row.get("roleid")) or {}
    domain = store.get("domain", row["domainid"]) or {}
    users = [u for u in store.find("user", accountid=row["id"]) if not u.get("removed")]
    out = {"id": row["id"], "name": row["name"], "accounttype": row["accounttype"], "roleid": role.get("id"),
           "rolename": role.get("name"), "roletype": role.get("type"), "domainid": domain.get("id"),
           "domain": domain.get("name"), "domainpath": domain.get("path"), "state": row.get("state"),
           "networkdomain": row.get("networkdomain"), "created": row.get("created"),
           "isdefault": bool(row.get("isdefault")), "iscleanuprequired": False,
           "accountdetails": row.get("accountdetails") or None,
           "user": [render_user(ctx, u, row) for u in users]}
    out.update(_limit_triplets(store, account=row))
    return out


def _identity_scope(ctx, *, own_id_field: str):
    """Accounts/users a list shows: the generic account scope (own account unless listall/domainid/account)."""
    from marvin2.simulator.listing import owner_filter

    allowed = owner_filter(ctx)
    return lambda row: allowed({"accountid": row.get(own_id_field), "domainid": row.get("domainid")})


def _account_by_name_or_id(ctx, *, required: bool = True) -> dict | None:
    if ctx.has("id"):
        account = ctx.store.get("account", ctx.get("id"))
    elif ctx.has("account"):
        domain_id = ctx.get("domainid") or ctx.caller.domain_id
        account = ctx.store.find_one("account", name=ctx.get("account"), domainid=domain_id, removed=None)
        if account is None:
            raise errors.invalid_value(f"Unable to find account by name {ctx.get('account')} in domain {domain_id}")
    else:
        if required:
            raise errors.invalid_value("Either id or account name (with domainid) must be specified")
        return None
    if account is None or account.get("removed"):
        raise errors.invalid_value(f"Unable to find the account {ctx.get('id') or ctx.get('account')}")
    ctx.check_access(account, "account")
    return account


def _guard_default_account(ctx, account: dict, action: str) -> None:
    if account.get("isdefault") or account["id"] == ctx.caller.account_id:
        raise errors.invalid_value(f"The account {account['name']} cannot be {action}: it is the built-in admin or the caller's own")


def _role_for(ctx, roleid: str | None, accounttype: int | None) -> tuple[dict, int]:
    store = ctx.store
    if roleid:
        role = store.get("role", roleid)
        account_type = {"Admin": 1, "DomainAdmin": 2, "ResourceAdmin": 3, "User": 0}[role["type"]]
        if accounttype is not None and accounttype != account_type:
            raise errors.invalid_value(f"Role {role['name']} is of type {role['type']}, which does not match account type {accounttype}")
        return role, account_type
    if accounttype is None:
        raise errors.invalid_value("Either account type or role ID must be passed")
    if accounttype not in ROLE_TYPE_BY_ACCOUNT_TYPE:
        raise errors.invalid_value(f"Invalid account type {accounttype}: use 0 (user), 1 (root admin), 2 (domain admin) or 3 (resource admin)")
    role = store.find_one("role", type=ROLE_TYPE_BY_ACCOUNT_TYPE[accounttype], isdefault=True)
    return role, accounttype


def _check_may_grant(ctx, role: dict) -> None:
    caller = ctx.caller
    rank = {ADMIN: 3, "ResourceAdmin": 2, "DomainAdmin": 1, USER: 0}
    if not caller.is_root_admin and rank[role["type"]] > rank[caller.role_type]:
        raise errors.permission_denied(f"Account {caller.account['name']} may not create accounts of role type {role['type']}")


def _new_user(ctx, account: dict, *, username: str, password: str, email: str, firstname: str, lastname: str,
              timezone: str | None, userid: str | None) -> dict:
    store = ctx.store
    for user in store.find("user", username=username):
        if not user.get("removed") and user["domainid"] == account["domainid"]:
            raise errors.invalid_value(f"The user {username} already exists in domain {account['domainid']}")
    return store.insert("user", {**({"id": userid} if userid else {}), "username": username,
                                 "password": auth.hash_password(password), "accountid": account["id"],
                                 "domainid": account["domainid"], "firstname": firstname, "lastname": lastname,
                                 "email": email, "timezone": timezone, "state": "enabled", "usersource": "native",
                                 "isdefault": False})


# --- domains -----------------------------------------------------------------------------


@api("createDomain", response="domain", roles=ADMIN_ONLY,
     description="Creates a sub-domain (under ROOT unless a parent is given).",
     params=[P("name", "name of the new domain"), P("parentdomainid", "the parent (default ROOT)"),
             P("networkdomain", "network domain of the domain's guest networks"),
             P("domainid", "id to give the new domain (a UUID)")])
def create_domain(ctx):
    store = ctx.store
    parent = store.get("domain", ctx.get("parentdomainid")) if ctx.has("parentdomainid") else ctx.caller.domain
    if parent.get("removed"):
        raise errors.invalid_value(f"Unable to find the parent domain {parent['id']}")
    ctx.check_access({"domainid": parent["id"]}, "domain")
    name = ctx.get("name")
    for sibling in store.find("domain", parentdomainid=parent["id"]):
        if sibling["name"].lower() == name.lower() and not sibling.get("removed"):
            raise errors.invalid_value(f"Domain with name {name} already exists for the parent id={parent['id']}")
    if ctx.has("domainid") and (not _is_uuid(ctx.get("domainid")) or store.get("domain", ctx.get("domainid"))):
        raise errors.invalid_value(f"Invalid or already used domain id {ctx.get('domainid')}")
    row = store.insert("domain", {**({"id": ctx.get("domainid").lower()} if ctx.has("domainid") else {}), "name": name,
                                  "path": f"{parent['path']}/{name}", "level": parent["level"] + 1, "state": "Active",
                                  "parentdomainid": parent["id"], "networkdomain": ctx.get("networkdomain"),
                                  "internalid": store.count("domain") + 1})
    ctx.event("DOMAIN.CREATE", f"created domain {row['path']}")
    return render_domain(ctx, row)


def _is_uuid(text: str) -> bool:
    from marvin2.simulator.validation import is_uuid

    return is_uuid(text)


def _visible_domains(ctx) -> list[dict]:
    caller = ctx.caller
    rows = [d for d in ctx.store.all("domain") if not d.get("removed")]
    return [d for d in rows if domain_in_subtree(d, caller.domain)]


@api("listDomains", response="domain", roles=DOMAIN_ADMINS,
     description="Lists domains: the caller's own, or its whole subtree with listall=true.",
     params=[*PAGING, P("id", entity="domain"), P("name"), P("level", "only domains at this depth"),
             P("listall"), P("details", "min or all (limits are always included)"),
             P("showicon")])
def list_domains(ctx):
    rows = _visible_domains(ctx)
    if not (ctx.get("listall") or ctx.has("id") or ctx.has("name") or ctx.has("level") or ctx.has("keyword")):
        rows = [d for d in rows if d["id"] == ctx.caller.domain_id]
    level = ctx.get("level")
    return ctx.list("domain", lambda r: render_domain(ctx, r), rows=rows, owned=False,
                    match=(lambda r: r["level"] == level) if level is not None else None, keyword_fields=("name",))


@api("listDomainChildren", response="domain", roles=DOMAIN_ADMINS,
     description="Lists the sub-domains of a domain (the caller's by default); isrecursive for all levels.",
     params=[*PAGING, P("id", "the parent domain", entity="domain"), P("name"),
             P("isrecursive"), P("listall"), P("showicon")])
def list_domain_children(ctx):
    parent = ctx.store.get("domain", ctx.get("id")) if ctx.has("id") else ctx.caller.domain
    if not domain_in_subtree(parent, ctx.caller.domain):
        raise errors.permission_denied(f"Account {ctx.caller.account['name']} does not have permission to access domain {parent['id']}")
    recursive = ctx.get("isrecursive") or ctx.get("listall")
    rows = [d for d in _visible_domains(ctx) if d["id"] != parent["id"] and domain_in_subtree(d, parent)
            and (recursive or d.get("parentdomainid") == parent["id"])]
    if ctx.has("name"):
        rows = [d for d in rows if d["name"].lower() == ctx.get("name").lower()]
    if ctx.has("keyword"):
        rows = [d for d in rows if ctx.get("keyword").lower() in d["name"].lower()]
    page = ctx.paginate(rows)
    return ListResult([render_domain(ctx, r) for r in page.items], page.count)


@api("updateDomain", response="domain", roles=DOMAIN_ADMINS,
     description="Renames a domain or changes its network domain.",
     params=[P("id", entity="domain"), P("name", "new name"),
             P("networkdomain", "new network domain")])
def update_domain(ctx):
    store = ctx.store
    row = store.get("domain", ctx.get("id"))
    ctx.check_access({"domainid": row["id"]}, "domain")
    changes = {}
    if ctx.has("name") and ctx.get("name") != row["name"]:
        if row["level"] == 0:
            raise errors.invalid_value("The ROOT domain cannot be renamed")
        parent = store.get("domain", row["parentdomainid"])
        old_path, new_path = row["path"], f"{parent['path']}/{ctx.get('name')}"
        for d in store.all("domain"):
            if d["path"].startswith(old_path + "/"):
                store.update("domain", d["id"], path=new_path + d["path"][len(old_path):])
        changes.update(name=ctx.get("name"), path=new_path)
    if ctx.has("networkdomain"):
        changes["networkdomain"] = ctx.get("networkdomain")
    row = store.update("domain", row["id"], **changes) if changes else row
    ctx.event("DOMAIN.UPDATE", f"updated domain {row['path']}")
    return render_domain(ctx, row)


@api("deleteDomain", response="success", roles=DOMAIN_ADMINS, instance_type="Domain",
     description="Deletes a domain; with cleanup=true also its sub-domains and accounts.",
     params=[P("id", entity="domain"), P("cleanup", "also delete what the domain contains")])
def delete_domain(ctx):
    store = ctx.store
    row = store.get("domain", ctx.get("id"))
    if row.get("removed"):
        raise errors.invalid_value(f"Unable to find domain {row['id']}")
    if row["level"] == 0:
        raise errors.permission_denied("The ROOT domain cannot be deleted")
    ctx.check_access({"domainid": row["id"]}, "domain")
    if row["id"] == ctx.caller.domain_id:
        raise errors.permission_denied("A domain admin cannot delete its own domain")
    inside = [d for d in store.all("domain") if domain_in_subtree(d, row) and not d.get("removed")]
    accounts = [a for a in store.all("account") if a["domainid"] in {d["id"] for d in inside} and not a.get("removed")]
    if (len(inside) > 1 or accounts) and not ctx.get("cleanup"):
        raise errors.internal_error(f"Failed to delete domain {row['name']}, because it still has "
                                    f"{len(inside) - 1} sub-domain(s) and {len(accounts)} account(s); use cleanup=true")

    def run(jctx):
        for account in accounts:
            _remove_account(jctx, store.get("account", account["id"]))
        for domain in sorted(inside, key=lambda d: -d["level"]):
            store.update("domain", domain["id"], removed=wire_now(), state="Inactive")
            limits_rows = store.find("resourcelimit", domainid=domain["id"], accountid=None)
            for limit in limits_rows:
                store.delete("resourcelimit", limit["id"])
        jctx.event("DOMAIN.DELETE", f"deleted domain {row['path']}")
        return SUCCESS

    return Job(run, instance_id=row["id"])


def wire_now() -> str:
    from marvin2 import wire

    return wire.now_text()


# --- accounts ----------------------------------------------------------------------------


@api("createAccount", response="account", roles=DOMAIN_ADMINS,
     description="Creates an account with its first user (type from accounttype or roleid).",
     params=[P("username", "the first user's name"), P("password", "its password"),
             P("email", "its e-mail"), P("firstname", "its first name"),
             P("lastname", "its last name"),
             P("account", "account name (default: the user name)"),
             P("accounttype", "0 user, 1 root admin, 2 domain admin"),
             P("roleid", "role of the account (instead of accounttype)"),
             P("domainid", "domain of the account (default: the caller's)"),
             P("networkdomain"), P("timezone", "the user's time zone"),
             P("accountdetails", "details of the account"),
             P("accountid", "id to give the account"), P("userid", "id to give the user")])
def create_account(ctx):
    store = ctx.store
    domain = store.get("domain", ctx.get("domainid")) if ctx.has("domainid") else ctx.caller.domain
    if domain.get("removed"):
        raise errors.invalid_value(f"Unable to find domain {domain['id']}")
    ctx.check_access({"domainid": domain["id"], "accountid": None}, "domain") if ctx.caller.is_admin else None
    role, account_type = _role_for(ctx, ctx.get("roleid"), ctx.get("accounttype"))
    _check_may_grant(ctx, role)
    name = ctx.get("account") or ctx.get("username")
    if store.find_one("account", name=name, domainid=domain["id"], removed=None):
        raise errors.invalid_value(f"The specified account: {name} already exists")
    for given in ("accountid", "userid"):
        if ctx.has(given) and not _is_uuid(ctx.get(given)):
            raise errors.invalid_value(f"{given} must be a UUID, got {ctx.get(given)}")
    details = map_as_dict(ctx.get("accountdetails")) if ctx.has("accountdetails") else None
    account = store.insert("account", {**({"id": ctx.get("accountid").lower()} if ctx.has("accountid") else {}),
                                       "name": name, "domainid": domain["id"], "accounttype": account_type,
                                       "roleid": role["id"], "state": "enabled", "networkdomain": ctx.get("networkdomain"),
                                       "accountdetails": details, "isdefault": False})
    _new_user(ctx, account, username=ctx.get("username"), password=ctx.get("password"), email=ctx.get("email"),
              firstname=ctx.get("firstname"), lastname=ctx.get("lastname"), timezone=ctx.get("timezone"),
              userid=ctx.get("userid").lower() if ctx.has("userid") else None)
    ctx.event("ACCOUNT.CREATE", f"created account {name}", account=account)
    return render_account(ctx, account)


@api("listAccounts", response="account",
     description="Lists accounts: the caller's own for users; a domain's (subtree with listall/isrecursive) for admins.",
     params=[*PAGING, P("id", entity="account"), P("name"), P("domainid"), P("listall"),
             P("isrecursive"), P("accounttype", "only accounts of this type"),
             P("state", "only accounts in this state"), P("iscleanuprequired"),
             P("details", "min or all"), P("showicon")])
def list_accounts(ctx):
    scope = _identity_scope(ctx, own_id_field="id")

    def match(row):
        # A project's hidden account (type 5) is never listed, not even by id, as on a real server.
        return (row.get("accounttype") != PROJECT_ACCOUNT_TYPE and scope(row)
                and (not ctx.has("accounttype") or row["accounttype"] == ctx.get("accounttype"))
                and (not ctx.has("state") or row.get("state", "").lower() == ctx.get("state").lower()))

    return ctx.list("account", lambda r: render_account(ctx, r), match=match, owned=False, keyword_fields=("name",))


@api("updateAccount", response="account", roles=DOMAIN_ADMINS,
     description="Renames an account or changes its role, network domain or details.",
     params=[P("id", entity="account"), P("account", "current account name (with domainid)"),
             P("domainid"), P("newname", "new account name"), P("networkdomain"),
             P("roleid", "new role (same role type)"), P("accountdetails")])
def update_account(ctx):
    store = ctx.store
    account = _account_by_name_or_id(ctx)
    changes = {}
    domain = store.get("domain", account["domainid"])
    # AccountManagerImpl.updateAccount. The request pipeline drops empty values, but Java receives newname=""
    # and refuses it, so the raw parameter is read here.
    sent = {k.lower(): v for k, v in ctx.raw.items()}
    if "newname" in sent and not str(sent["newname"]):
        raise errors.invalid_value(f"The new account name for account '{access_texts.account_text(store, account)}' "
                                   f"within domain '{access_texts.domain_text(domain)}' is empty string. Account will "
                                   "be not renamed.")
    if ctx.has("newname") and ctx.get("newname") != account["name"]:
        existing = store.find_one("account", name=ctx.get("newname"), domainid=account["domainid"], removed=None)
        if existing:
            raise errors.invalid_value(f"The account with the proposed name '{ctx.get('newname')}' exists in the "
                                       f"domain '{access_texts.domain_text(domain)}' with existing account "
                                       f"{access_texts.account_text(store, existing)}")
        changes["name"] = ctx.get("newname")
    if ctx.has("roleid"):
        role = store.get("role", ctx.get("roleid"))
        current = store.get("role", account["roleid"])
        if role["type"] != current["type"]:
            raise errors.invalid_value(f"The new role must have the same type ({current['type']}) as the current one")
        changes["roleid"] = role["id"]
    if ctx.has("networkdomain"):
        changes["networkdomain"] = ctx.get("networkdomain")
    if ctx.has("accountdetails"):
        changes["accountdetails"] = map_as_dict(ctx.get("accountdetails"))
    account = store.update("account", account["id"], **changes) if changes else account
    ctx.event("ACCOUNT.UPDATE", f"updated account {account['name']}", account=account)
    return render_account(ctx, account)


def _remove_account(ctx, account: dict) -> None:
    store = ctx.store
    for hook in ACCOUNT_CLEANUP_HOOKS:
        hook(store, account)
    for user in store.find("user", accountid=account["id"]):
        store.update("user", user["id"], removed=wire_now(), state="disabled", apikey=None, secretkey=None)
        ctx.sim.sessions.drop_user(user["id"])
    for row in store.find("resourcelimit", accountid=account["id"]):
        store.delete("resourcelimit", row["id"])
    tagging.delete_tags_of(store, account["id"])
    store.update("account", account["id"], removed=wire_now(), state="disabled")


@api("deleteAccount", response="success", roles=DOMAIN_ADMINS, instance_type="Account",
     description="Deletes an account, its users, and (through module hooks) its resources.",
     params=[P("id", entity="account")])
def delete_account(ctx):
    account = _account_by_name_or_id(ctx)
    _guard_default_account(ctx, account, "deleted")

    def run(jctx):
        _remove_account(jctx, ctx.store.get("account", account["id"]))
        jctx.event("ACCOUNT.DELETE", f"deleted account {account['name']}", account=account)
        return SUCCESS

    return Job(run, instance_id=account["id"])


def _set_account_state(ctx, account: dict, state: str) -> dict:
    account = ctx.store.update("account", account["id"], state=state)
    if state != "enabled":
        for user in ctx.store.find("user", accountid=account["id"]):
            ctx.sim.sessions.drop_user(user["id"])
    return account


@api("disableAccount", response="account", roles=DOMAIN_ADMINS, instance_type="Account",
     description="Disables an account (lock=true: locks it instead): its users can no longer call the API.",
     params=[P("lock", "true to lock (users locked out), false to disable (and stop its VMs)"),
             P("id", entity="account"), P("account"), P("domainid")])
def disable_account(ctx):
    account = _account_by_name_or_id(ctx)
    _guard_default_account(ctx, account, "disabled")
    state = "locked" if ctx.get("lock") else "disabled"
    if not ctx.get("lock"):    # takes effect at once: a disabled account's keys stop working before the job ends
        account = _set_account_state(ctx, account, state)

    def run(jctx):
        row = _set_account_state(jctx, ctx.store.get("account", account["id"]), state)
        if state == "disabled":
            for hook in ACCOUNT_DISABLE_HOOKS:
                hook(jctx.store, row)
        jctx.event("ACCOUNT.DISABLE", f"{state} account {row['name']}", account=row)
        return render_account(jctx, row)

    return Job(run, instance_id=account["id"])


@api("enableAccount", response="account", roles=DOMAIN_ADMINS,
     description="Enables a disabled or locked account.",
     params=[P("id", entity="account"), P("account"), P("domainid")])
def enable_account(ctx):
    account = _set_account_state(ctx, _account_by_name_or_id(ctx), "enabled")
    ctx.event("ACCOUNT.ENABLE", f"enabled account {account['name']}", account=account)
    return render_account(ctx, account)


@api("lockAccount", response="account", roles=DOMAIN_ADMINS,
     description="Locks an account: its users can no longer log in or call the API.",
     params=[P("account", "account name"), P("domainid", "its domain")])
def lock_account(ctx):
    account = _account_by_name_or_id(ctx)
    _guard_default_account(ctx, account, "locked")
    account = _set_account_state(ctx, account, "locked")
    return render_account(ctx, account)


# --- users ---------------------------------------------------------------------------------


@api("createUser", response="user", roles=DOMAIN_ADMINS,
     description="Adds a user to an existing account.",
     params=[P("account", "the account"), P("username", "user name"),
             P("password", "password"), P("email", "e-mail"),
             P("firstname", "first name"), P("lastname", "last name"),
             P("domainid", "domain of the account (default: the caller's)"),
             P("timezone"), P("userid", "id to give the user")])
def create_user(ctx):
    store = ctx.store
    domain_id = ctx.get("domainid") or ctx.caller.domain_id
    account = store.find_one("account", name=ctx.get("account"), domainid=domain_id, removed=None)
    if account is None:
        raise errors.invalid_value(f"Unable to find account {ctx.get('account')} in domain id={domain_id} to create user")
    ctx.check_access(account, "account")
    if ctx.has("userid") and not _is_uuid(ctx.get("userid")):
        raise errors.invalid_value(f"userid must be a UUID, got {ctx.get('userid')}")
    user = _new_user(ctx, account, username=ctx.get("username"), password=ctx.get("password"), email=ctx.get("email"),
                     firstname=ctx.get("firstname"), lastname=ctx.get("lastname"), timezone=ctx.get("timezone"),
                     userid=ctx.get("userid").lower() if ctx.has("userid") else None)
    ctx.event("USER.CREATE", f"created user {user['username']} in account {account['name']}", account=account)
    return render_user(ctx, user, account)


@api("listUsers", response="user",
     description="Lists users: the caller's account's for users; a domain's (subtree with listall/isrecursive) for admins.",
     params=[*PAGING, P("id", entity="user"), P("username"), P("account"), P("domainid"),
             P("listall"), P("isrecursive"), P("accounttype"), P("state"),
             P("showicon")])
def list_users(ctx):
    scope = _identity_scope(ctx, own_id_field="accountid")
    accounts = {a["id"]: a for a in ctx.store.all("account")}

    def match(row):
        account = accounts.get(row["accountid"], {})
        return (scope(row) and (not ctx.has("username") or row["username"] == ctx.get("username"))
                and (not ctx.has("account") or account.get("name") == ctx.get("account"))
                and (not ctx.has("accounttype") or account.get("accounttype") == ctx.get("accounttype"))
                and (not ctx.has("state") or row.get("state", "").lower() == ctx.get("state").lower()))

    return ctx.list("user", lambda r: render_user(ctx, r, accounts.get(r["accountid"])), match=match, owned=False,
                    keyword_fields=("username", "firstname", "lastname", "email"))


def _user_row(ctx, *, action: str) -> dict:
    user = ctx.store.get("user", ctx.get("id"))
    if user.get("removed"):
        raise errors.invalid_value(f"Unable to find active user by id {user['id']}")
    if user["id"] != ctx.caller.user["id"] or action not in ("updated",):
        if not ctx.caller.is_admin and user["id"] != ctx.caller.user["id"]:
            raise errors.permission_denied(f"Account {ctx.caller.account['name']} does not have permission to access user {user['id']}")
        ctx.check_access(user, "user")
    if action in ("deleted", "disabled", "locked") and (user.get("isdefault") or user["id"] == ctx.caller.user["id"]):
        raise errors.invalid_value(f"The user {user['username']} cannot be {action}: it is the built-in admin or the caller")
    return user


@api("updateUser", response="user",
     description="Changes a user's names, e-mail, time zone, password (users give currentpassword) or API keys.",
     params=[P("id", entity="user"), P("username"), P("firstname"), P("lastname"), P("email"),
             P("timezone"), P("password", "new password"),
             P("currentpassword", "the current password (required when users change their own)"),
             P("userapikey", "new API key"), P("usersecretkey", "new secret key"),
             P("mandate2fa", "require two-factor authentication")])
def update_user(ctx):
    store = ctx.store
    user = _user_row(ctx, action="updated")
    changes = {k: ctx.get(k) for k in ("username", "firstname", "lastname", "email", "timezone") if ctx.has(k)}
    if ctx.has("password"):
        if not ctx.caller.is_admin or user["id"] == ctx.caller.user["id"] and not ctx.caller.is_root_admin:
            if not ctx.has("currentpassword") or not auth.check_password(user.get("password"), ctx.get("currentpassword")):
                raise errors.invalid_value("Current password is incorrect: give the right currentpassword to change the password")
        changes["password"] = auth.hash_password(ctx.get("password"))
    if ctx.has("userapikey") != ctx.has("usersecretkey"):
        raise errors.invalid_value("Please provide both userapikey and usersecretkey")
    if ctx.has("userapikey"):
        other = store.find_one("user", apikey=ctx.get("userapikey"))
        if other and other["id"] != user["id"]:
            raise errors.invalid_value("The API key is already in use by another user")
        changes.update(apikey=ctx.get("userapikey"), secretkey=ctx.get("usersecretkey"))
    if "username" in changes:
        for other in store.find("user", username=changes["username"], domainid=user["domainid"]):
            if other["id"] != user["id"] and not other.get("removed"):
                raise errors.invalid_value(f"The user {changes['username']} already exists in this domain")
    user = store.update("user", user["id"], **changes) if changes else user
    ctx.event("USER.UPDATE", f"updated user {user['username']}")
    return render_user(ctx, user)


@api("deleteUser", response="success", roles=DOMAIN_ADMINS,
     description="Deletes a user (not the last user of the caller's account, nor the built-in admin).",
     params=[P("id", entity="user")])
def delete_user(ctx):
    user = _user_row(ctx, action="deleted")
    ctx.store.update("user", user["id"], removed=wire_now(), state="disabled", apikey=None, secretkey=None)
    ctx.sim.sessions.drop_user(user["id"])
    ctx.event("USER.DELETE", f"deleted user {user['username']}")
    return SUCCESS


@api("disableUser", response="user", roles=DOMAIN_ADMINS, instance_type="User",
     description="Disables a user: its keys and sessions stop working.",
     params=[P("id", entity="user")])
def disable_user(ctx):
    user = _user_row(ctx, action="disabled")
    ctx.store.update("user", user["id"], state="disabled")
    ctx.sim.sessions.drop_user(user["id"])

    def run(jctx):
        row = jctx.store.get("user", user["id"])
        jctx.event("USER.DISABLE", f"disabled user {row['username']}")
        return render_user(jctx, row)

    return Job(run, instance_id=user["id"])


@api("enableUser", response="user", roles=DOMAIN_ADMINS, description="Enables a disabled or locked user.",
     params=[P("id", entity="user")])
def enable_user(ctx):
    user = _user_row(ctx, action="enabled")
    user = ctx.store.update("user", user["id"], state="enabled")
    ctx.event("USER.ENABLE", f"enabled user {user['username']}")
    return render_user(ctx, user)


@api("lockUser", response="user", roles=DOMAIN_ADMINS, description="Locks a user out (like disable, by an admin).",
     params=[P("id", entity="user")])
def lock_user(ctx):
    user = _user_row(ctx, action="locked")
    user = ctx.store.update("user", user["id"], state="locked")
    ctx.sim.sessions.drop_user(user["id"])
    return render_user(ctx, user)


@api("getUser", response="user", roles=ADMIN_ONLY, related="getUserKeys",
     description="Finds the user an API key belongs to (root admins).",
     params=[P("userapikey", "the API key to look up")])
def get_user(ctx):
    key = ctx.get("userapikey")
    user = next((u for u in ctx.store.find("user", apikey=key) if not u.get("removed")), None) if key else None
    if user is None:
        raise errors.invalid_value("User with specified API key does not exist")
    return render_user(ctx, user)


# --- roles -----------------------------------------------------------------------------------


def render_role(row: dict) -> dict:
    return {"id": row["id"], "name": row["name"], "type": row["type"], "description": row.get("description"),
            "isdefault": bool(row.get("isdefault")), "state": row.get("state", "ENABLED"),
            "ispublic": row.get("ispublic", True)}


def render_permission(ctx, row: dict) -> dict:
    role = ctx.store.get("role", row["roleid"]) or {}
    return {"id": row["id"], "roleid": row["roleid"], "rolename": role.get("name"), "rule": row["rule"],
            "permission": row["permission"], "description": row.get("description")}


def _role_type(text: str) -> str:
    for role_type in ROLE_TYPES:
        if role_type.lower() == text.lower():
            return role_type
    raise errors.invalid_value(f"Invalid role type {text}: use one of {', '.join(ROLE_TYPES)}")


def _custom_role(ctx, role_id: str) -> dict:
    role = ctx.store.get("role", role_id)
    if role.get("isdefault"):
        raise errors.permission_denied("Default roles cannot be updated")
    return role


@api("listRoles", response="role", description="Lists the roles (the four built-in ones and any custom ones).",
     params=[*PAGING, P("id", entity="role"), P("name"), P("type", "only roles of this type")])
def list_roles(ctx):
    caller = ctx.caller
    rank = {ADMIN: 3, "ResourceAdmin": 2, "DomainAdmin": 1, USER: 0}

    state = None
    if ctx.has("state"):
        state = ctx.get("state").upper()
        if state not in ("ENABLED", "DISABLED"):
            raise errors.invalid_value("Unrecognized role state value")

    def match(row):
        if not caller.is_root_admin and rank[row["type"]] > rank[caller.role_type]:
            return False
        if not caller.is_root_admin and not row.get("ispublic", True):
            return False                      # private roles are for root admins' eyes only
        if state is not None and row.get("state", "ENABLED") != state:
            return False
        return not ctx.has("type") or row["type"].lower() == ctx.get("type").lower()

    return ctx.list("role", render_role, match=match, owned=False, keyword_fields=("name", "description"))


@api("createRole", response="role", roles=ADMIN_ONLY, description="Creates a custom role of a type, or a copy of an existing role (roleid) with its rules.",
     params=[P("name", "role name"), P("type", "Admin, ResourceAdmin, DomainAdmin or User"),
             P("roleid", "role to copy"), P("description")])
def create_role(ctx):
    store = ctx.store
    if ctx.has("type") == ctx.has("roleid"):
        raise errors.invalid_value("Either the type or the roleid parameter (but not both) must be given")
    if store.find_one("role", name=ctx.get("name")):
        raise errors.invalid_value(f"Role with name {ctx.get('name')} already exists")
    source = store.get("role", ctx.get("roleid")) if ctx.has("roleid") else None
    role_type = source["type"] if source else _role_type(ctx.get("type"))
    row = store.insert("role", {"name": ctx.get("name"), "type": role_type, "description": ctx.get("description"),
                                "isdefault": False, "custom": True})
    for rule in sorted(store.find("rolepermission", roleid=source["id"]) if source else [], key=lambda r: r["sortorder"]):
        store.insert("rolepermission", {**{k: rule[k] for k in ("rule", "permission", "description", "sortorder")},
                                        "roleid": row["id"]})
    ctx.event("ROLE.CREATE", f"created role {row['name']}")
    return render_role(row)


@api("updateRole", response="role", roles=ADMIN_ONLY, description="Renames a custom role or changes its type or description.",
     params=[P("id", entity="role"), P("name"), P("type"), P("description")])
def update_role(ctx):
    role = _custom_role(ctx, ctx.get("id"))
    changes = {k: ctx.get(k) for k in ("name", "description") if ctx.has(k)}
    if ctx.has("type"):
        changes["type"] = _role_type(ctx.get("type"))
    return render_role(ctx.store.update("role", role["id"], **changes) if changes else role)


@api("deleteRole", response="success", roles=ADMIN_ONLY, description="Deletes a custom role that no account uses.",
     params=[P("id", entity="role")])
def delete_role(ctx):
    role = _custom_role(ctx, ctx.get("id"))
    if any(a["roleid"] == role["id"] and not a.get("removed") for a in ctx.store.all("account")):
        raise errors.invalid_value(f"Role {role['name']} is in use by an account and cannot be deleted")
    ctx.store.delete_where("rolepermission", roleid=role["id"])
    ctx.store.delete("role", role["id"])
    return SUCCESS


def _set_role_state(ctx, state: str):
    role = ctx.store.get("role", ctx.get("id"))
    if role.get("state", "ENABLED") == state:
        raise errors.permission_denied(f"Role is already {state}")
    ctx.store.update("role", role["id"], state=state)
    ctx.event("ROLE.UPDATE", f"{'enabled' if state == 'ENABLED' else 'disabled'} role {role['name']}")
    return SUCCESS


@api("enableRole", response="success", description="Enables a disabled role (its state ENABLED).",
     params=[P("id", "the role", entity="role")])
def enable_role(ctx):
    return _set_role_state(ctx, "ENABLED")


@api("disableRole", response="success", description="Disables a role (its state DISABLED; listRoles state= filters).",
     params=[P("id", "the role", entity="role")])
def disable_role(ctx):
    return _set_role_state(ctx, "DISABLED")


@api("importRole", response="role",
     description="Creates a role with its rules in one call (forced=true replaces a custom role of that name).",
     params=[P("name", "role name"), P("type", "Admin, ResourceAdmin, DomainAdmin or User"),
             P("rules", "rules[i].rule / .permission / .description"), P("forced", "replace an existing role"),
             P("ispublic", "visible to non-root admins"), P("description")])
def import_role(ctx):
    store = ctx.store
    rules = []
    for entry in ctx.get("rules") or []:
        entry = {k.lower(): v for k, v in entry.items()}
        if not entry.get("rule"):
            raise errors.invalid_value("Empty rule provided in rules param")
        if not entry.get("permission"):
            raise errors.invalid_value(f"Invalid permission: {entry.get('permission')} provided in rules param")
        _check_rule(entry["rule"])
        rules.append((entry["rule"], _check_permission(entry["permission"]), entry.get("description")))
    if not ctx.get("name"):
        raise errors.invalid_value("Invalid role name provided")
    if not ctx.has("type"):
        raise errors.invalid_value("Invalid role type provided")
    role_type = _role_type(ctx.get("type"))
    same_name = [r for r in store.find("role", name=ctx.get("name"))]
    if same_name and not ctx.get("forced"):
        raise errors.internal_error("Role already exists")
    existing = next((r for r in same_name if r["type"] == role_type), None)
    fields = {"name": ctx.get("name"), "type": role_type, "description": ctx.get("description"),
              "ispublic": ctx.get("ispublic") if ctx.has("ispublic") else True}
    if existing is not None:
        if existing.get("isdefault"):
            raise errors.internal_error(f"Failed to import the role: {ctx.get('name')}, default role cannot be overriden")
        store.delete_where("rolepermission", roleid=existing["id"])
        role = store.update("role", existing["id"], **fields)
    else:
        role = store.insert("role", {**fields, "isdefault": False, "custom": True, "state": "ENABLED"})
    for order, (rule, permission, description) in enumerate(rules):
        store.insert("rolepermission", {"roleid": role["id"], "rule": rule, "permission": permission,
                                        "description": description, "sortorder": order})
    ctx.event("ROLE.IMPORT", f"imported role {role['name']}")
    return render_role(role)


@api("listRolePermissions", response="rolepermission", roles=ADMIN_ONLY, description="Lists the permission rules of a role (or of every role), in evaluation order.",
     params=[P("roleid", "the role")])
def list_role_permissions(ctx):
    rows = ctx.store.find("rolepermission", roleid=ctx.get("roleid")) if ctx.has("roleid") else ctx.store.all("rolepermission")
    rows.sort(key=lambda r: (r["roleid"], r.get("sortorder", 0)))
    return ListResult([render_permission(ctx, r) for r in rows], len(rows))


def _check_rule(rule: str) -> None:
    import re

    if not re.match(r"^[A-Za-z0-9*]+$", rule):
        raise errors.invalid_value(f"Invalid rule {rule!r}: use an API name or a pattern with * wildcards")


def _check_permission(text: str) -> str:
    if text.lower() not in ("allow", "deny"):
        raise errors.invalid_value("Values for permission parameter should be: allow or deny")
    return text.lower()


@api("createRolePermission", response="rolepermission", roles=ADMIN_ONLY, description="Adds an allow/deny rule (API name or wildcard) at the end of a custom role's rules.",
     params=[P("roleid", "the role"), P("rule", "API name or wildcard such as list*"),
             P("permission", "allow or deny"), P("description")])
def create_role_permission(ctx):
    role = _custom_role(ctx, ctx.get("roleid"))
    _check_rule(ctx.get("rule"))
    permission = _check_permission(ctx.get("permission"))
    existing = ctx.store.find("rolepermission", roleid=role["id"])
    if any(r["rule"] == ctx.get("rule") for r in existing):
        raise errors.invalid_value(f"Rule {ctx.get('rule')} already exists in role {role['name']}")
    row = ctx.store.insert("rolepermission", {"roleid": role["id"], "rule": ctx.get("rule"), "permission": permission,
                                              "description": ctx.get("description"), "sortorder": len(existing)})
    return render_permission(ctx, row)


@api("updateRolePermission", response="success", roles=ADMIN_ONLY, description="Reorders a role's rules (ruleorder) or changes one rule's permission (ruleid + permission).",
     params=[P("roleid", "the role"), P("ruleorder", "all rule ids in the new order"),
             P("ruleid", "the rule to change", entity="rolepermission"),
             P("permission", "allow or deny")])
def update_role_permission(ctx):
    role = _custom_role(ctx, ctx.get("roleid"))
    rules = {r["id"]: r for r in ctx.store.find("rolepermission", roleid=role["id"])}
    if ctx.has("ruleorder"):
        order = [r.lower() for r in ctx.get("ruleorder")]
        if sorted(order) != sorted(rules):
            raise errors.invalid_value("ruleorder must list every rule id of the role exactly once")
        for index, rule_id in enumerate(order):
            ctx.store.update("rolepermission", rule_id, sortorder=index)
    elif ctx.has("ruleid") and ctx.has("permission"):
        if ctx.get("ruleid") not in rules:
            raise errors.invalid_value(f"Rule {ctx.get('ruleid')} does not belong to role {role['name']}")
        ctx.store.update("rolepermission", ctx.get("ruleid"), permission=_check_permission(ctx.get("permission")))
    else:
        raise errors.invalid_value("Give either ruleorder, or ruleid and permission")
    return SUCCESS


@api("deleteRolePermission", response="success", roles=ADMIN_ONLY, description="Removes a rule from a custom role.",
     params=[P("id", entity="rolepermission")])
def delete_role_permission(ctx):
    row = ctx.store.get("rolepermission", ctx.get("id"))
    _custom_role(ctx, row["roleid"])
    ctx.store.delete("rolepermission", row["id"])
    return SUCCESS


# --- resource limits ----------------------------------------------------------------------------


def _limit_target(ctx) -> tuple[dict | None, dict | None]:
    """(account, domain) that a limit call names: a project, account+domainid, domainid alone, or the caller's account."""
    store = ctx.store
    if ctx.has("projectid"):
        project = store.get("project", ctx.get("projectid"))
        if project is None:         # "-1" or an internal id with no row: AccountManagerImpl.finalyzeAccountId's text
            raise errors.invalid_value(f"Unable to find project by id {ctx.get('projectid')}")
        account = store.get("account", project.get("projectaccountid")) if project.get("projectaccountid") else None
        if account is None:
            raise errors.invalid_value(f"Unable to find the account of project {project['id']}")
        if store.find_one("projectaccount", projectid=project["id"], accountid=ctx.caller.account_id) is None:
            ctx.check_access({"accountid": account["id"], "domainid": account["domainid"]}, "project")
        return account, None
    if ctx.has("account"):
        domain_id = ctx.get("domainid") or ctx.caller.domain_id
        account = store.find_one("account", name=ctx.get("account"), domainid=domain_id, removed=None)
        if account is None:
            raise errors.invalid_value(f"Unable to find account {ctx.get('account')} in domain {domain_id}")
        ctx.check_access(account, "account")
        return account, None
    if ctx.has("domainid"):
        domain = store.get("domain", ctx.get("domainid"))
        ctx.check_access({"domainid": domain["id"]}, "domain")
        return None, domain
    return ctx.caller.account, None


def render_limit(ctx, *, account: dict | None, domain: dict | None, name: str, maximum: int) -> dict:
    out = {"resourcetype": str(limits.RESOURCE_TYPES[name][0]), "resourcetypename": name, "max": maximum}
    if account is not None:
        out.update(ctx.owner_fields({"accountid": account["id"], "domainid": account["domainid"]}))
    else:
        out.update({"domainid": domain["id"], "domain": domain["name"]})
    out.pop("domainpath", None)
    return out


@api("updateResourceLimit", response="resourcelimit", roles=DOMAIN_ADMINS,
     description="Sets the limit of one resource type for an account (account+domainid) or a domain (domainid); -1 is unlimited.",
     params=[P("resourcetype", "0 VMs, 1 public IPs, 2 volumes, 3 snapshots, 4 templates, 5 projects, "
               "6 networks, 7 VPCs, 8 CPUs, 9 memory, 10 primary storage, 11 secondary storage"),
             P("max", "the new limit (-1 unlimited)"), P("account"), P("domainid"),
             P("projectid", entity="project")])
def update_resource_limit(ctx):
    """CloudStack 4.18's checks, in its order, with its texts (ids are the internal numbers)."""
    maximum = ctx.get("max", -1)
    if maximum < -1:
        raise errors.invalid_value("Please specify either '-1' for an infinite limit, or a limit that is at least '0'.")
    name = limits.type_name(ctx.get("resourcetype"))
    if not (ctx.has("account") or ctx.has("domainid") or ctx.has("projectid")):
        raise errors.invalid_value("AccountId or domainId have to be specified in order to update resource limit")
    account, domain = _limit_target(ctx)
    if account is not None:
        _check_account_limit_change(ctx, account, maximum)
    else:
        _check_domain_limit_change(ctx, domain, name, maximum)
    limits.set_limit(ctx.store, account=account, domain=domain, resource_type=name, maximum=maximum)
    return render_limit(ctx, account=account, domain=domain, name=name, maximum=maximum)


def _check_account_limit_change(ctx, account: dict, maximum: int) -> None:
    if account.get("accounttype") == ACCOUNT_TYPE_ADMIN and maximum != -1:
        raise errors.invalid_value("Only -1 limit is supported for Root Admin accounts")
    if account["id"] == ctx.caller.account_id and ctx.caller.is_domain_admin:
        raise errors.permission_denied(f"Unable to update resource limit for their own account "
                                       f"{account_number(ctx.store, account)}, permission denied")


def _check_domain_limit_change(ctx, domain: dict, name: str, maximum: int) -> None:
    number = limits.domain_number(domain)
    if limits.is_root_domain(domain):
        raise errors.permission_denied(f"Cannot update resource limit for ROOT domain {number}, permission denied")
    # Java's operator precedence makes this "(own domain and domain admin) or any resource admin".
    caller_type = ctx.caller.role_type
    if (domain["id"] == ctx.caller.domain_id and caller_type == DOMAIN_ADMIN) or caller_type == RESOURCE_ADMIN:
        raise errors.permission_denied(f"Unable to update resource limit for domain {number}, permission denied")
    parent = ctx.store.get("domain", domain["parentdomainid"])
    parent_maximum = limits.amount_in_units(name, limits.effective_domain_limit(ctx.store, parent, name))
    if parent_maximum >= 0 and limits.amount_in_units(name, maximum) > parent_maximum:
        raise errors.invalid_value(
            f"Domain {domain['name']}(id: {limits.domain_number(parent)}) has maximum allowed resource limit "
            f"{parent_maximum} for {name}, please specify a value less that or equal to {parent_maximum}")


@api("listResourceLimits", response="resourcelimit",
     description="Lists the resource limits of the caller's account, or of an account or domain it administers.",
     params=[*PAGING, P("id", "the resource type number (same as resourcetype)"),
             P("resourcetype", "only this resource type number"),
             P("resourcetypename", "only this resource type name (user_vm, cpu ...)"),
             P("account"), P("domainid"), P("listall"), P("isrecursive"),
             P("projectid", entity="project")])
def list_resource_limits(ctx):
    account, domain = _limit_target(ctx)
    wanted = None
    for key in ("resourcetype", "id", "resourcetypename"):
        if ctx.has(key):
            wanted = limits.type_name(ctx.get(key))
    items = []
    for name in limits.RESOURCE_TYPES:
        if wanted and name != wanted:
            continue
        maximum = (limits.account_limit(ctx.store, account, name) if account
                   else limits.effective_domain_limit(ctx.store, domain, name))
        items.append(render_limit(ctx, account=account, domain=domain, name=name, maximum=maximum))
    return ctx.paginate(items)


@api("updateResourceCount", response="resourcecount", roles=DOMAIN_ADMINS,
     description="Recounts the resources of a domain (or of an account in it) and returns the counts.",
     params=[P("domainid", "the domain"), P("account"), P("resourcetype"),
             P("projectid", entity="project")])
def update_resource_count(ctx):
    store = ctx.store
    domain = store.get("domain", ctx.get("domainid"))
    ctx.check_access({"domainid": domain["id"]}, "domain")
    wanted = limits.type_name(ctx.get("resourcetype")) if ctx.has("resourcetype") else None
    if ctx.has("account"):
        account = store.find_one("account", name=ctx.get("account"), domainid=domain["id"], removed=None)
        if account is None:
            raise errors.invalid_value(f"Unable to find account {ctx.get('account')} in domain {domain['id']}")
        accounts = [account]
    else:
        accounts = [a for a in store.all("account") if not a.get("removed") and
                    domain_in_subtree(store.get("domain", a["domainid"]), domain)]
    items = []
    for name in limits.RESOURCE_TYPES:
        if wanted and name != wanted:
            continue
        limits.recount(store, accounts, name)
        if ctx.has("account"):
            count = limits.account_count(store, accounts[0]["id"], name)
            fields = render_limit(ctx, account=accounts[0], domain=None, name=name, maximum=0)
        else:
            count = limits.domain_count(store, domain, name)
            fields = render_limit(ctx, account=None, domain=domain, name=name, maximum=0)
        fields.pop("max")
        fields["resourcecount"] = count
        items.append(fields)
    return ListResult(items, len(items))
