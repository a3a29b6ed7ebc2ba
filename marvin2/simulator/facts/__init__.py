"""What CloudStack itself declares, as the simulator's single source of truth for it.

The JSON files beside this module are compact, facts-only copies of tables
extracted from CloudStack's Java source (``tools/derive_simulator_facts.py``
writes them): every API command with its parameters in the order the server
checks them, every global setting, and the guest-OS catalogue of a fresh
database. Handlers never restate these facts; ``declare.py`` merges them into
each declaration.
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

TARGET_VERSION = "4.20.2.0"
HERE = Path(__file__).resolve().parent

# Fields of BaseAsyncCmd / BaseAsyncCreateCmd: accepted, never listed by listApis.
_ASYNC_BASE_CLASSES = frozenset({"BaseAsyncCmd", "BaseAsyncCreateCmd"})

# APIs a default 4.20 install (Simulator hypervisor, default settings) does not offer: plugins switched off
# by default (quota.enable.service, saml2.enabled, backup.framework.enabled, cloudian.connector.enabled).
# The same rule gives the 4.18 capture's 705 names from the 4.18 table, plus the Simulator hypervisor plugin's
# five APIs, which a server built with that plugin (upstream's Simulator CI) offers too.
_OFF_BY_DEFAULT_MODULES = frozenset({"plugins/user-authenticators/saml2", "plugins/database/quota"})
_OFF_BY_DEFAULT_APIS = frozenset({"cloudianSsoLogin"})
_ALWAYS_ON = frozenset({"quotaIsEnabled"})


@dataclass(frozen=True)
class FactParam:
    name: str
    field: str                    # the Java field name (named by the over-long-string error)
    type: str                     # listApis type: string, uuid, integer, long, boolean, date, list, map, ...
    required: bool
    since: str | None
    length: int | None            # declared length (STRING default is 255)
    entity: str | None            # the response class of the object a uuid points to
    collection_type: str | None   # the item type of a list
    expose: bool                  # False: the server never takes it from a request
    declared_in: str | None
    authorized: tuple[str, ...] | None

    @property
    def listed(self) -> bool:
        """Shown by listApis (exposed, not one of the async base fields)."""
        return self.expose and self.declared_in not in _ASYNC_BASE_CLASSES


@dataclass(frozen=True)
class FactCommand:
    name: str
    is_async: bool
    create_style: bool
    envelope: str
    authorized: tuple[str, ...]
    since: str | None
    java_class: str
    module: str
    params: tuple[FactParam, ...]
    admin_params: tuple[FactParam, ...] | None

    @property
    def offered(self) -> bool:
        """Part of a default install's API surface (what listApis shows a root admin)."""
        if self.name in _ALWAYS_ON:
            return True
        if self.module in _OFF_BY_DEFAULT_MODULES or self.name in _OFF_BY_DEFAULT_APIS:
            return False
        return ".command.user.backup." not in self.java_class and ".command.admin.backup." not in self.java_class

    @property
    def is_admin_command(self) -> bool:
        """Its class lives in CloudStack's ``command.admin`` packages (admin-only unless a rule says otherwise)."""
        return ".command.admin." in self.java_class

    def params_for(self, root_admin: bool) -> tuple[FactParam, ...]:
        """The parameters in the order the server checks them for this kind of caller."""
        return self.admin_params if root_admin and self.admin_params else self.params

    @property
    def listed_params(self) -> tuple[FactParam, ...]:
        """What listApis shows a root admin, in the server's order."""
        return tuple(p for p in self.params_for(True) if p.listed)


def _param(fields: list[str], row: list) -> FactParam:
    values = dict(zip(fields, row))
    return FactParam(
        name=values["name"], field=values.get("field") or values["name"], type=values["type"],
        required=bool(values.get("required")), since=values.get("since"), length=values.get("length"),
        entity=values.get("entity"), collection_type=values.get("collection_type"),
        expose=values.get("expose", True) is not False, declared_in=values.get("declared_in"),
        authorized=tuple(values["authorized"]) if values.get("authorized") else None)


def _load(kind: str, version: str) -> dict:
    path = HERE / f"{kind}-{version}.json"
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise FileNotFoundError(f"the simulator has no {kind} facts for CloudStack {version} ({path} is missing; "
                                f"tools/derive_simulator_facts.py writes it)") from None


@functools.lru_cache(maxsize=None)
def commands(version: str = TARGET_VERSION) -> dict[str, FactCommand]:
    """Every API command of a release by exact name."""
    data = _load("apis", version)
    fields = data["param_fields"]
    out = {}
    for name, entry in data["commands"].items():
        out[name] = FactCommand(
            name=name, is_async=entry["async"], create_style=entry["create"], envelope=entry["envelope"],
            authorized=tuple(entry["authorized"]), since=entry.get("since"), java_class=entry["class"],
            module=entry["module"], params=tuple(_param(fields, p) for p in entry["params"]),
            admin_params=tuple(_param(fields, p) for p in entry["admin_params"]) if entry.get("admin_params") else None)
    return out


def command(name: str, version: str = TARGET_VERSION) -> FactCommand | None:
    return commands(version).get(name)


def offered_commands(version: str = TARGET_VERSION) -> list[FactCommand]:
    """The API surface of a default install, sorted by name."""
    return [c for c in commands(version).values() if c.offered]


@dataclass(frozen=True)
class Setting:
    name: str
    category: str
    type: str          # Java type: String, Integer, Long, Boolean, Float, Double, ...
    default: str | None
    scope: str         # Global, Zone, Cluster, StoragePool, Account, Domain, ManagementServer, ImageStore
    dynamic: bool
    options: tuple[str, ...] | None = None
    range: tuple | None = None


@functools.lru_cache(maxsize=None)
def settings(version: str = TARGET_VERSION) -> dict[str, Setting]:
    """Every global setting of a fresh database of the release, by name."""
    out = {}
    for row in _load("settings", version)["settings"]:
        options = row.get("options")
        if isinstance(options, str):
            options = [o.strip() for o in options.split(",") if o.strip()]
        out[row["name"]] = Setting(row["name"], row["category"], row["type"], row["default"], row["scope"],
                                   row["dynamic"], tuple(options) if options else None,
                                   tuple(row["range"]) if isinstance(row.get("range"), list) else row.get("range"))
    return out


@dataclass(frozen=True)
class GuestOs:
    id: int
    display_name: str
    category_id: int
    displayed: bool


@functools.lru_cache(maxsize=None)
def guest_os_catalogue(version: str = TARGET_VERSION) -> tuple[dict[int, str], tuple[GuestOs, ...]]:
    """(category id -> name, guest OS types in install order) of a fresh database."""
    data = _load("guest-os", version)
    categories = {cid: name for cid, name in data["categories"]}
    return categories, tuple(GuestOs(i, name, cat, bool(shown)) for i, name, cat, shown in data["guest_os"])
