"""Declarative API handlers: one declaration per CloudStack API.

A declaration (``@api(...)``) carries the API's exact CloudStack name, its
parameters (name, type, required, length), whether it is async, the name of
the object it answers with, which roles may call it and a short description.
That single declaration drives dispatch, parameter validation and error texts
(``validation.py``), role checks, and the API's own ``listApis`` entry.
See HANDLERS.md for how to write one.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from marvin2.simulator import errors, facts

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
    """One parameter of a declared API: CloudStack's facts (name, type, required, length, since, Java
    field) merged with what only the simulator knows (its description, the store kind a uuid names)."""
    name: str
    type: str = "string"
    required: bool = False
    description: str = ""
    length: int = 255
    entity: str | None = None      # uuid: store kind whose row must exist (else the 431 "invalid value" text)
    since: str | None = None
    field: str = ""                # the Java field name (the over-long-string error names it)
    listed: bool = True            # shown by listApis (False: the BaseAsyncCmd fields the server still takes)

    def __post_init__(self):
        if self.type not in PARAM_TYPES:
            raise ValueError(f"parameter {self.name}: unknown type {self.type!r}")

    @property
    def key(self) -> str:
        return self.name.lower()

    @property
    def java_field(self) -> str:
        return self.field or self.name

    @property
    def target_kind(self) -> str | None:
        if self.type != "uuid":
            return None
        return self.entity if self.entity is not None else DEFAULT_ENTITIES.get(self.key)

    def describe(self) -> str:
        return self.description or COMMON_DESCRIPTIONS.get(self.key, self.name)


@dataclass(frozen=True)
class Hint:
    """What a handler says about one of its parameters: its own description and, for a uuid, the store kind
    that must hold the row. Name, type, required flag, length and since come from CloudStack's facts;
    ``type``/``required``/``length`` are taken only for simulator-only APIs, which have no facts."""
    name: str
    description: str = ""
    entity: str | None = None
    type: str | None = None
    required: bool | None = None
    length: int | None = None

    @property
    def key(self) -> str:
        return self.name.lower()


def P(name: str, description: str = "", *, entity: str | None = None, type: str | None = None,
      required: bool | None = None, length: int | None = None) -> Hint:
    """A parameter hint (see ``Hint``)."""
    return Hint(name, description, entity, type, required, length)


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
    check_types: bool = True           # False: only required/length checks (login takes a domain uuid in "long" domainId)
    implemented: bool = True           # False: a CloudStack API the simulator answers with an honest 530
    admin_params: tuple[Param, ...] | None = None   # the root-admin variant's checking order, where it differs
    by_param: dict[str, Param] = field(default_factory=dict)

    def __post_init__(self):
        seen = {}
        for p in self.params:
            if p.key in seen:
                raise ValueError(f"{self.name}: parameter {p.name} declared twice")
            seen[p.key] = p
        for p in self.admin_params or ():
            seen.setdefault(p.key, p)     # root admins' extra parameters (e.g. deploy's hostid/podid)
        self.by_param = seen

    @property
    def envelope_key(self) -> str:
        return self.envelope or self.name.lower() + "response"

    def params_for(self, root_admin: bool) -> tuple[Param, ...]:
        """The parameters in the order the server checks them for this kind of caller."""
        return self.admin_params if root_admin and self.admin_params else self.params

    @property
    def java_class(self) -> str:
        if self.cmd_class:
            return self.cmd_class
        scope = "admin" if self.roles <= ADMINS else "user"
        return f"org.apache.cloudstack.api.command.{scope}.{self.name[0].upper()}{self.name[1:]}Cmd"


def _not_implemented(ctx) -> Any:
    raise errors.not_implemented(ctx.api.name, facts.TARGET_VERSION)


def default_roles(command: facts.FactCommand, declared: frozenset | None = None) -> frozenset:
    """Who may call an API by default. The root admin always; others as the command's annotation says; where it
    says nothing, as the handler declares (the simulator's copy of CloudStack's default role rules: every role
    unless it says otherwise), and for an API without a handler, admins for ``command.admin`` classes, every
    role for the others."""
    if command.authorized:
        return frozenset(command.authorized) | ADMIN_ONLY
    if declared is not None:
        return declared
    return ADMIN_ONLY if command.is_admin_command else ALL


def _merge_params(api_name: str, fact_params, hints: dict[str, Hint]) -> tuple[Param, ...]:
    out, seen = [], set()
    for fp in fact_params:
        if not fp.expose or fp.name.lower() in seen:
            continue                      # never taken from a request / a superclass re-declaring a field
        seen.add(fp.name.lower())
        hint = hints.get(fp.name.lower())
        out.append(Param(fp.name, fp.type, fp.required, hint.description if hint else "",
                         fp.length or 255, hint.entity if hint else None, fp.since, fp.field, fp.listed))
    return tuple(out)


def from_facts(name: str, handler: Callable[..., Any] | None = None, *, description: str = "",
               hints: tuple[Hint, ...] = (), roles: frozenset | None = None, **extra: Any) -> Api:
    """An ``Api`` whose CloudStack facts (parameters and their order, async, envelope, since, Java class, default
    roles) come from the facts table; without a handler, one that answers "not implemented"."""
    command = facts.command(name)
    if command is None:
        raise ValueError(f"{name} is not a CloudStack {facts.TARGET_VERSION} API (a simulator extension says "
                         f"simulator_only=True and has 'Simulator' in its name)")
    by_key = {h.key: h for h in hints}
    known = {p.name.lower() for p in (*command.params, *(command.admin_params or ())) if p.expose}
    unknown = sorted(h.name for h in hints if h.key not in known)
    if unknown:
        raise ValueError(f"{name}: {', '.join(unknown)} not parameters of {name} in CloudStack {facts.TARGET_VERSION}")
    for hint in hints:
        if hint.type is not None or hint.required is not None or hint.length is not None:
            raise ValueError(f"{name}.{hint.name}: type, required and length come from the facts table; "
                             f"declare only a description and entity")
    for forbidden in ("is_async", "envelope", "since", "cmd_class"):
        if forbidden in extra:
            raise ValueError(f"{name}: {forbidden} comes from the facts table; do not declare it")
    return Api(name=name, handler=handler or _not_implemented, description=description,
               params=_merge_params(name, command.params, by_key),
               admin_params=_merge_params(name, command.admin_params, by_key) if command.admin_params else None,
               is_async=command.is_async,
               roles=default_roles(command, frozenset(roles) if roles is not None else (ALL if handler else None)),
               since=command.since, envelope=command.envelope, cmd_class=command.java_class,
               implemented=handler is not None, **extra)


def simulator_extension(name: str, handler: Callable[..., Any], *, description: str, hints: tuple[Hint, ...],
                        roles: frozenset | None = None, **extra: Any) -> Api:
    """An API of the simulator's own (fault injection): every fact is declared by its hints."""
    if "Simulator" not in name:
        raise ValueError(f"{name}: simulator-only APIs say so in their name")
    params = tuple(Param(h.name, h.type or "string", bool(h.required), h.description, h.length or 255, h.entity)
                   for h in hints)
    return Api(name=name, handler=handler, description=description, params=params, simulator_only=True,
               roles=frozenset(roles) if roles is not None else ADMIN_ONLY, **extra)


class Registry:
    """The implemented APIs by exact name; every other API of the facts table answers "not implemented"."""

    def __init__(self):
        self.apis: dict[str, Api] = {}
        self._stubs: dict[str, Api] = {}

    def add(self, declared: Api) -> Api:
        if declared.name in self.apis:
            raise ValueError(f"API {declared.name} declared twice ({self.apis[declared.name].handler.__module__} "
                             f"and {declared.handler.__module__})")
        self.apis[declared.name] = declared
        return declared

    def lookup(self, command: str) -> Api | None:
        """The API a request names (exact spelling; login/logout in any case), implemented or not; None for a
        name a default CloudStack install does not offer."""
        found = self.apis.get(command)
        if found is None and command.lower() in ("login", "logout"):
            found = self.apis.get(command.lower())
        return found if found is not None else self.stub(command)

    def stub(self, name: str) -> Api | None:
        """The "not implemented" answer of an offered CloudStack API the simulator has no handler for."""
        if name in self._stubs:
            return self._stubs[name]
        command = facts.command(name)
        if command is None or not command.offered:
            return None
        return self._stubs.setdefault(name, from_facts(name))

    def surface(self) -> list[Api]:
        """Everything listApis shows: every offered API of the target release and the simulator's own, by name."""
        names = {c.name for c in facts.offered_commands()} | set(self.apis)
        return [self.lookup(name) for name in sorted(names)]

    def has(self, name: str) -> bool:
        """Is there a handler for this API (rather than the "not implemented" answer)?"""
        return name in self.apis

    def implemented(self) -> list[Api]:
        return sorted((a for a in self.apis.values() if not a.simulator_only), key=lambda a: a.name)

    def __iter__(self):
        return iter(sorted(self.apis.values(), key=lambda a: a.name))

    def __len__(self):
        return len(self.apis)


REGISTRY = Registry()


def api(name: str, *, description: str, params: Any = (), response: str = "", simulator_only: bool = False,
        **extra: Any) -> Callable:
    """Decorator declaring a handler ``fn(ctx)`` for the CloudStack API ``name``.

    ``params`` is a sequence of ``P(...)`` hints (lists of hints may be nested, e.g.
    ``[*PAGING, P("id", entity="zone")]``): a description and, for uuids, the store kind. Everything else
    about the parameters comes from the facts table (``marvin2.simulator.facts``).
    """
    flat: list[Hint] = []

    def collect(items):
        for item in items:
            if isinstance(item, Hint):
                flat.append(item)
            else:
                collect(item)

    collect(params)

    def register(fn: Callable) -> Callable:
        build = simulator_extension if simulator_only else from_facts
        REGISTRY.add(build(name, fn, description=description, hints=tuple(flat), response=response, **extra))
        fn.api_name = name
        return fn

    return register


# Parameter groups that many list APIs share.
PAGING = (P("page"), P("pagesize"), P("keyword"))
ACCOUNT_SCOPE = (P("account"), P("domainid"), P("listall"), P("isrecursive"))
