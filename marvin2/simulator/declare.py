"""Declarative API handlers: one declaration per CloudStack API.

A declaration (``@api(...)``) carries the API's exact CloudStack name, its
parameters (name, type, required, length), whether it is async, the name of
the object it answers with, which roles may call it and a short description.
That single declaration drives dispatch, parameter validation and error texts
(``validation.py``), role checks, and the API's own ``listApis`` entry.
See HANDLERS.md for how to write one.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Callable

# Role types of CloudStack (a role's "type"); an account's role decides what it may call.
ADMIN = "Admin"
RESOURCE_ADMIN = "ResourceAdmin"
DOMAIN_ADMIN = "DomainAdmin"
USER = "User"
ROLE_TYPES = (ADMIN, RESOURCE_ADMIN, DOMAIN_ADMIN, USER)

# Shorthands for ``roles=``; mirror CloudStack's default permission levels.
ALL = frozenset(ROLE_TYPES)
ADMIN_ONLY = frozenset({ADMIN})
ADMINS = frozenset({ADMIN, RESOURCE_ADMIN})           # root + resource admin (infra reads)
DOMAIN_ADMINS = frozenset({ADMIN, RESOURCE_ADMIN, DOMAIN_ADMIN})

PARAM_TYPES = frozenset({"string", "uuid", "integer", "long", "short", "boolean", "date", "tzdate",
                         "list", "map", "object", "float", "double"})

# Descriptions of parameters that recur across APIs, so declarations stay short.
COMMON_DESCRIPTIONS = {
    "page": "page number of the result, starting at 1",
    "pagesize": "number of items per page (at most default.page.size; -1 for all)",
    "keyword": "only items whose name or description contains this text",
    "listall": "true to list everything the caller may see, not only the caller's own",
    "isrecursive": "with domainid: include the sub-domains",
    "account": "account name (used with domainid)",
    "domainid": "the domain",
    "projectid": "the project",
    "zoneid": "the zone",
    "podid": "the pod",
    "clusterid": "the cluster",
    "hostid": "the host",
    "id": "the id of the item",
    "ids": "a list of item ids",
    "name": "the name",
    "displaytext": "a human-readable description",
    "tags": "resource tags (key/value pairs) the items must carry",
    "state": "the state",
    "hypervisor": "the hypervisor type",
    "showicon": "also return the resource icon",
    "fordisplay": "only items meant to be shown to end users",
    "physicalnetworkid": "the physical network",
    "networkid": "the network",
    "type": "the type",
}

# uuid parameters whose name alone says which store kind they point to.
DEFAULT_ENTITIES = {
    "zoneid": "zone", "podid": "pod", "clusterid": "cluster", "hostid": "host",
    "domainid": "domain", "accountid": "account", "userid": "user", "roleid": "role",
    "physicalnetworkid": "physicalnetwork", "storageid": "storagepool",
    "templateid": "template", "serviceofferingid": "serviceoffering",
    "diskofferingid": "diskoffering", "networkofferingid": "networkoffering",
    "vpcofferingid": "vpcoffering", "ostypeid": "ostype", "parentdomainid": "domain",
    "vlanid": "vlan", "systemvmid": "systemvm", "routerid": "router",
}


@dataclass(frozen=True)
class Param:
    name: str
    type: str = "string"
    required: bool = False
    description: str = ""
    length: int = 255
    entity: str | None = None      # uuid: store kind whose row must exist (else the 431 "invalid value" text)
    since: str | None = None

    def __post_init__(self):
        if self.type not in PARAM_TYPES:
            raise ValueError(f"parameter {self.name}: unknown type {self.type!r}")
        if self.name != self.name.lower():
            # Dispatch is case-insensitive; keep the declared (real) spelling for listApis.
            pass

    @property
    def key(self) -> str:
        return self.name.lower()

    @property
    def target_kind(self) -> str | None:
        if self.type != "uuid":
            return None
        return self.entity if self.entity is not None else DEFAULT_ENTITIES.get(self.key)

    def describe(self) -> str:
        return self.description or COMMON_DESCRIPTIONS.get(self.key, self.name)


def P(name: str, type: str = "string", required: bool = False, description: str = "", *,
      length: int = 255, entity: str | None = None, since: str | None = None) -> Param:
    """Shorthand constructor for a parameter declaration."""
    return Param(name, type, required, description, length, entity, since)


@dataclass(frozen=True)
class Field:
    name: str
    type: str = "string"
    description: str = ""


# Response objects: name -> fields, used for listApis' "response" metadata.
OBJECTS: dict[str, tuple[Field, ...]] = {}


def declare_object(name: str, fields: dict[str, Any]) -> None:
    """Declare the fields of a response object: ``{"id": "the id", "cpunumber": ("integer", "CPUs")}``."""
    out = []
    for fname, spec in fields.items():
        if isinstance(spec, tuple):
            out.append(Field(fname, spec[0], spec[1]))
        else:
            out.append(Field(fname, "string", spec))
    OBJECTS[name] = tuple(out)


@dataclass
class Api:
    name: str
    handler: Callable[..., Any]
    description: str
    params: tuple[Param, ...] = ()
    is_async: bool = False
    response: str = ""                 # object / list item key ("zone", "asyncjobs", "success")
    roles: frozenset = ALL
    related: str = ""
    since: str | None = None
    simulator_only: bool = False       # not a CloudStack API (fault injection etc.)
    envelope: str | None = None        # top-level key when it is not <name lower>response
    instance_type: str | None = None   # jobinstancetype for async jobs ("VirtualMachine", ...)
    cmd_class: str | None = None       # the Java class name shown in job records
    post_only: bool = False            # login: other methods get a plain-text 405
    auth_exempt: bool = False          # login: callable without credentials
    check_types: bool = True           # False: only required/length checks (login takes a domain uuid in "long" domainId)
    by_param: dict[str, Param] = field(default_factory=dict)

    def __post_init__(self):
        seen = {}
        for p in self.params:
            if p.key in seen:
                raise ValueError(f"{self.name}: parameter {p.name} declared twice")
            seen[p.key] = p
        self.by_param = seen

    @property
    def envelope_key(self) -> str:
        return self.envelope or self.name.lower() + "response"

    @property
    def java_class(self) -> str:
        if self.cmd_class:
            return self.cmd_class
        scope = "admin" if self.roles <= ADMINS else "user"
        return f"org.apache.cloudstack.api.command.{scope}.{self.name[0].upper()}{self.name[1:]}Cmd"


class Registry:
    """All declared APIs by exact name (lookup of login/logout is case-insensitive)."""

    def __init__(self):
        self.apis: dict[str, Api] = {}

    def add(self, declared: Api) -> Api:
        if declared.name in self.apis:
            raise ValueError(f"API {declared.name} declared twice ({self.apis[declared.name].handler.__module__} "
                             f"and {declared.handler.__module__})")
        self.apis[declared.name] = declared
        return declared

    def lookup(self, command: str) -> Api | None:
        found = self.apis.get(command)
        if found is None and command.lower() in ("login", "logout"):
            found = self.apis.get(command.lower())
        return found

    def __iter__(self):
        return iter(sorted(self.apis.values(), key=lambda a: a.name))

    def __len__(self):
        return len(self.apis)


REGISTRY = Registry()


def api(name: str, *, description: str, params: Any = (), response: str = "", is_async: bool = False,
        roles: frozenset = ALL, **extra: Any) -> Callable:
    """Decorator declaring a handler ``fn(ctx)`` for the CloudStack API ``name``.

    ``params`` is a sequence of ``P(...)`` (lists of params may be nested, e.g.
    ``[*LIST_PARAMS, P("id", "uuid", entity="zone")]``).
    """
    flat: list[Param] = []

    def collect(items):
        for item in items:
            if isinstance(item, Param):
                flat.append(item)
            else:
                collect(item)

    collect(params)

    def register(fn: Callable) -> Callable:
        REGISTRY.add(Api(name=name, handler=fn, description=description, params=tuple(flat),
                         is_async=is_async, response=response, roles=frozenset(roles), **extra))
        fn.api_name = name
        return fn

    return register


# Parameter groups that many list APIs share (check each API against the capture: not all take all).
PAGING = (P("page", "integer"), P("pagesize", "integer"), P("keyword"))
ACCOUNT_SCOPE = (P("account"), P("domainid", "uuid"), P("listall", "boolean"), P("isrecursive", "boolean"))


def replace_param(params, name: str, **changes) -> tuple[Param, ...]:
    """A copy of a parameter group with one parameter changed (e.g. made required)."""
    return tuple(dataclasses.replace(p, **changes) if p.name == name else p for p in params)
