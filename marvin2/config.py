"""The marvin2 configuration: one YAML file says which cloud to test and what it offers.

A config names either the management servers of a real cloud or an embedded
simulator to start, plus the facts tests rely on (zone, hypervisor, network
type, capabilities, test data names, timeouts). Everything is validated when
the file is loaded, and every problem is reported at once with the file, the
line and the key path, so a typo never silently changes what runs.

    cfg = load_config("configs/simulator.yaml")
    cfg.simulator            # SimulatorSettings(...) or None
    cfg.management_servers   # [ManagementServer(...), ...]
    cfg.has("vpc")           # explicit capabilities only: no guessing

Secrets (secret keys, passwords) live in ``${ENV_VAR}`` references, never in
reprs or error texts. This module imports only yaml and the standard library
(it is used by the client, the plugin and the commands alike).
"""
from __future__ import annotations

import dataclasses
import difflib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping
from urllib.parse import urlsplit, urlunsplit

import yaml

__all__ = [
    "CAPABILITIES",
    "Config",
    "ConfigError",
    "DEFAULT_TIMEOUTS",
    "HYPERVISORS",
    "JOB_FAMILIES",
    "ManagementServer",
    "Problem",
    "SimulatorSettings",
    "TEST_DATA_KEYS",
    "default_config_path",
    "load_config",
    "load_yaml_document",
    "parse_config",
]

MASK = "********"

# --- vocabularies ---------------------------------------------------------------

# The closed set of capabilities a config may claim. Tests ask for them with
# @pytest.mark.requires(...); a name outside this set is an error, so that a
# typo cannot silently skip tests (Marvin's `adeancedsg` did for years).
CAPABILITIES: Mapping[str, str] = {
    "security_groups": "guest networks are protected by security groups (Basic zone, or Advanced with SG)",
    "vpc": "VPCs can be created (Advanced zone with the VpcVirtualRouter provider)",
    "ssh_to_guests": "the test runner can SSH into guest VMs (real hypervisor, reachable addresses)",
    "local_storage": "the zone has local storage enabled",
    "elb": "elastic load balancing is supported (listCapabilities supportELB)",
    "eip": "elastic IPs are offered (Basic zone with an EIP network offering)",
    "kubernetes": "the CloudStack Kubernetes Service is enabled",
    "dynamic_roles": "dynamic roles are enabled",
    "kvm_snapshots": "VM snapshots on KVM are enabled (kvmsnapshotenabled)",
    "vm_snapshots": "the VM snapshot APIs are available",
    "projects": "the project APIs are available",
    "vpn": "the remote access VPN APIs are available",
    "live_migration": "the zone has at least two hosts, so VMs can be migrated",
    "multiple_zones": "the cloud has more than one zone",
    "internet_access": "the cloud can download templates and ISOs from public URLs",
    "simulator": "the cloud is the marvin2 simulator (fault injection, timing profiles)",
}

# Canonical CloudStack hypervisor names; configs may use any letter case.
HYPERVISORS = ("KVM", "XenServer", "VMware", "Hyperv", "LXC", "Ovm", "Ovm3", "BareMetal", "Simulator", "Custom")
ZONE_NETWORK_TYPES = ("Advanced", "Basic")
SIMULATOR_PROFILES = ("instant", "fast", "realistic")
# Seeds built into the simulator ("empty"/null = no zone at all, or a YAML file path).
BUILTIN_SEEDS = ("default", "basic")

# Seconds. `connect`/`read` are HTTP timeouts, `job` the default wait for an
# async job; each family below defaults to `job` unless the config says otherwise.
DEFAULT_TIMEOUTS: Mapping[str, float] = {"connect": 10.0, "read": 120.0, "job": 600.0}

# Families of async APIs that can have their own job timeout. Nouns match any
# command about that thing (createSnapshot, revertSnapshot, createVMSnapshot
# -> snapshot); verbs match the command's leading verb (stopRouter -> stop).
JOB_FAMILY_NOUNS = ("snapshot", "template", "iso", "volume", "network", "vpc", "router", "kubernetes")
JOB_FAMILY_VERBS = ("deploy", "start", "stop", "reboot", "destroy", "expunge", "migrate", "scale", "restart", "restore")
JOB_FAMILIES = JOB_FAMILY_NOUNS + JOB_FAMILY_VERBS

# Names the test packs look up (string values), plus `custom` for anything else.
TEST_DATA_KEYS: Mapping[str, str] = {
    "domain": "domain path the test accounts are created in (default ROOT)",
    "template": "name of a ready template to deploy VMs from",
    "template_os_type": "OS type description for registered templates",
    "template_url": "URL of a template image the register tests may download",
    "iso_url": "URL of an ISO image the register tests may download",
    "service_offering": "name of a small service offering",
    "service_offering_large": "name of a bigger service offering (for scaling tests)",
    "disk_offering": "name of a disk offering",
    "network_offering": "name of the isolated network offering",
    "shared_network_offering": "name of the shared network offering",
    "l2_network_offering": "name of the L2 network offering",
    "vpc_offering": "name of the VPC offering",
    "vpc_network_offering": "name of the network offering for VPC tiers",
    "ssh_username": "user name to SSH into guests",
    "ssh_password": "password to SSH into guests (secret: use ${ENV_VAR})",
    "ssh_private_key": "path of a private key to SSH into guests",
    "custom": "a free-form mapping for anything else",
}
_TEST_DATA_SECRETS = frozenset({"ssh_password"})

_TOP_LEVEL_KEYS = (
    "description",
    "management_servers",
    "simulator",
    "zone",
    "hypervisor",
    "zone_network_type",
    "capabilities",
    "test_data",
    "timeouts",
)
_SERVER_KEYS = (
    "url",
    "api_key",
    "secret_key",
    "username",
    "password",
    "domain",
    "verify",
    "ca_bundle",
    "client_cert",
    "client_key",
)
_SIMULATOR_KEYS = ("profile", "seed", "db", "faults", "fault_seed")
_SECRET_KEYS = frozenset({"secret_key", "password", "ssh_password"})
# The unauthenticated "integration" port of a management server.
INTEGRATION_PORT = 8096


# --- errors ----------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a file: where (key path, line) and what was expected."""

    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        return f"{where}{self.path}: {self.message}" if self.path else f"{where}{self.message}"


class ConfigError(ValueError):
    """A config (or layout) file is unreadable or invalid; lists every problem found."""

    def __init__(self, source: Path | str, problems: Iterable[Problem] | str):
        self.source = Path(source)
        if isinstance(problems, str):
            problems = [Problem("", problems)]
        self.problems = list(problems)
        super().__init__(self._text())

    def _text(self) -> str:
        if len(self.problems) == 1:
            return f"{self.source}: {self.problems[0]}"
        lines = [f"{self.source}: {len(self.problems)} problems:"]
        lines += [f"  - {problem}" for problem in self.problems]
        return "\n".join(lines)


def _edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance: a swapped pair of letters counts as one edit."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


def closest(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate closest to ``name`` (typos, swapped letters, case), or None if none is close."""
    best: tuple | None = None
    lowered = name.lower()
    for candidate in candidates:
        distance = _edit_distance(lowered, candidate.lower())
        ratio = difflib.SequenceMatcher(None, lowered, candidate.lower()).ratio()
        if distance <= max(2, len(candidate) // 3) or ratio >= 0.75:
            key = (distance, -ratio)
            if best is None or key < best[0]:
                best = (key, candidate)
    return best[1] if best else None


def suggest(name: str, candidates: Iterable[str]) -> str:
    """`; did you mean 'x'?` for the closest candidate, or an empty string."""
    match = closest(str(name), candidates)
    return f"; did you mean {match!r}?" if match else ""


def _unknown_capability(name: str) -> str:
    return f"unknown capability {name!r}{suggest(name, CAPABILITIES)} Known: {', '.join(sorted(CAPABILITIES))}"


# --- YAML with line numbers -------------------------------------------------------


class _Interpolated(str):
    """A string produced by ${VAR} interpolation: may still be read as a number or bool."""


@dataclass
class YamlDocument:
    """A parsed YAML file plus the line of every key path (for error messages)."""

    source: Path
    data: Any
    lines: dict[tuple, int]

    def line_of(self, path: tuple) -> int | None:
        # The closest enclosing path that has a line.
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return None


def load_yaml_document(path: Path | str, problems: list[Problem] | None = None) -> YamlDocument:
    """Parse a YAML file keeping key lines; duplicate keys are problems, syntax errors raise."""
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(source, "file not found") from None
    except OSError as error:
        raise ConfigError(source, f"cannot read the file: {error.strerror or error}") from None
    return parse_yaml_text(text, source, problems)


def parse_yaml_text(text: str, source: Path, problems: list[Problem] | None = None) -> YamlDocument:
    problems = problems if problems is not None else []
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        lines: dict[tuple, int] = {}
        data = _construct(loader, node, (), lines, problems) if node is not None else None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        column = f", column {mark.column + 1}" if mark else ""
        reason = getattr(error, "problem", None) or str(error)
        hint = " (quote values containing ${...} inside {...} or [...])" if "{" in reason or "}" in reason else ""
        raise ConfigError(source, [Problem("", f"invalid YAML{column}: {reason}{hint}", mark.line + 1 if mark else None)]) from None
    finally:
        loader.dispose()
    return YamlDocument(source, data, lines)


def _construct(loader: yaml.SafeLoader, node: yaml.Node, path: tuple, lines: dict, problems: list) -> Any:
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)  # resolves `<<: *anchor` merges
        result: dict = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float, bool)):
                raise yaml.constructor.ConstructorError(None, None, "keys must be plain scalars", key_node.start_mark)
            key = str(key) if not isinstance(key, str) else key
            child = path + (key,)
            if key in result:
                problems.append(Problem(format_path(child), "duplicate key (the later one would win)", key_node.start_mark.line + 1))
            lines[child] = key_node.start_mark.line + 1
            result[key] = _construct(loader, value_node, child, lines, problems)
        return result
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item_node in enumerate(node.value):
            child = path + (index,)
            lines[child] = item_node.start_mark.line + 1
            items.append(_construct(loader, item_node, child, lines, problems))
        return items
    return loader.construct_object(node, deep=True)


def format_path(path: Iterable) -> str:
    """('management_servers', 1, 'url') -> 'management_servers[1].url'."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


# --- ${ENV} interpolation -----------------------------------------------------------

_ENV_REFERENCE = re.compile(r"\$\$|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<default>:-[^}]*)?\}|\$\{(?P<bad>[^}]*)\}?")


def interpolate(data: Any, environ: Mapping[str, str], problems: list[Problem], doc: YamlDocument | None = None, path: tuple = ()) -> Any:
    """Replace ``${VAR}``/``${VAR:-default}`` in every string value (``$$`` is a literal ``$``)."""
    if isinstance(data, dict):
        return {k: interpolate(v, environ, problems, doc, path + (k,)) for k, v in data.items()}
    if isinstance(data, list):
        return [interpolate(v, environ, problems, doc, path + (i,)) for i, v in enumerate(data)]
    if not isinstance(data, str) or "$" not in data:
        return data

    def replace(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        if match.group("bad") is not None or match.group("name") is None:
            problems.append(Problem(format_path(path), f"malformed variable reference {match.group(0)!r}: expected ${{NAME}} or ${{NAME:-default}}", _line(doc, path)))
            return ""
        name = match.group("name")
        if name in environ:
            return environ[name]
        if match.group("default") is not None:
            return match.group("default")[2:]
        problems.append(Problem(format_path(path), f"environment variable {name} is not set (and no default given: ${{{name}:-default}})", _line(doc, path)))
        return ""

    return _Interpolated(_ENV_REFERENCE.sub(replace, data))


def _line(doc: YamlDocument | None, path: tuple) -> int | None:
    return doc.line_of(path) if doc is not None else None


# --- a small validating reader --------------------------------------------------------


class Reader:
    """Reads typed values out of parsed YAML, collecting problems with key paths and lines.

    Shared by the config and the datacenter layout, so both report errors the same way.
    """

    def __init__(self, doc: YamlDocument, problems: list[Problem] | None = None):
        self.doc = doc
        self.problems = problems if problems is not None else []

    def problem(self, path: tuple, message: str) -> None:
        self.problems.append(Problem(format_path(path), message, self.doc.line_of(path)))

    def raise_if_problems(self) -> None:
        if self.problems:
            raise ConfigError(self.doc.source, self.problems)

    def mapping(self, value: Any, path: tuple, allowed: Iterable[str], *, what: str = "a mapping") -> dict:
        """Check a mapping and its keys; unknown keys are problems with a suggestion."""
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.problem(path, f"expected {what}, got {_describe(value, path)}")
            return {}
        allowed = tuple(allowed)
        for key in value:
            if key not in allowed:
                hint = suggest(key, allowed) or f"; known keys: {', '.join(allowed)}"
                self.problem(path + (key,), f"unknown key{hint}")
        return value

    def string(self, value: Any, path: tuple, *, required: bool = False, default: str | None = None) -> str | None:
        if value is None:
            if required:
                self.problem(path, "required: expected a string")
            return default
        if isinstance(value, bool) or isinstance(value, (dict, list)):
            self.problem(path, f"expected a string, got {_describe(value, path)}")
            return default
        if isinstance(value, (int, float)):
            return str(value)  # a numeric zone name or VLAN is still a name
        text = str(value)
        if required and not text.strip():
            self.problem(path, "required: expected a non-empty string")
        return text

    def boolean(self, value: Any, path: tuple, *, default: bool) -> bool:
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, str):
            lowered = value.strip().lower()
            # Interpolated values and legacy "True"/"False" strings are accepted.
            if lowered in ("true", "yes", "on", "1"):
                return True
            if lowered in ("false", "no", "off", "0"):
                return False
        self.problem(path, f"expected true or false, got {_describe(value, path)}")
        return default

    def number(self, value: Any, path: tuple, *, default: float | None = None, positive: bool = True) -> float | None:
        if value is None:
            return default
        number: float | None = None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            number = float(value)
        elif isinstance(value, _Interpolated):
            try:
                number = float(value)
            except ValueError:
                number = None
        if number is None or (positive and number <= 0):
            self.problem(path, f"expected a positive number of seconds, got {_describe(value, path)}")
            return default
        return number

    def integer(self, value: Any, path: tuple, *, default: int | None = None) -> int | None:
        if value is None:
            return default
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().isdigit():
            return int(value)
        self.problem(path, f"expected an integer, got {_describe(value, path)}")
        return default

    def choice(self, value: Any, path: tuple, choices: Iterable[str], *, default: str | None = None) -> str | None:
        """One of ``choices``, matched case-insensitively, returned in its canonical spelling."""
        if value is None:
            return default
        choices = tuple(choices)
        text = str(value)
        for candidate in choices:
            if candidate.lower() == text.lower():
                return candidate
        self.problem(path, f"expected one of {', '.join(choices)}, got {_describe(value, path)}{suggest(text, choices)}")
        return default

    def sequence(self, value: Any, path: tuple, *, what: str = "a list") -> list:
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(path, f"expected {what}, got {_describe(value, path)}")
            return []
        return value

    def path_value(self, value: Any, path: tuple, *, must_exist: bool = True) -> str | None:
        """A file path, relative to the file being read; must exist unless told otherwise."""
        text = self.string(value, path)
        if text is None:
            return None
        resolved = (self.doc.source.parent / Path(text).expanduser()).resolve()
        if must_exist and not resolved.exists():
            self.problem(path, f"file not found: {resolved}")
        return str(resolved)


def _describe(value: Any, path: tuple) -> str:
    """A value for an error text; secret values are never shown."""
    if path and path[-1] in _SECRET_KEYS:
        return f"a {type(value).__name__} (value hidden)"
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(str(value)) if isinstance(value, str) else repr(value)
    if len(text) > 60:
        text = text[:57] + "...'"
    return text


# --- the model --------------------------------------------------------------------------


@dataclass(frozen=True)
class ManagementServer:
    """One management server. Credentials: API keys, or username/password/domain."""

    url: str
    api_key: str | None = None
    secret_key: str | None = None
    username: str | None = None
    password: str | None = None
    domain: str = "/"
    verify: bool = True
    ca_bundle: str | None = None
    client_cert: str | None = None
    client_key: str | None = None

    @property
    def uses_api_keys(self) -> bool:
        return bool(self.api_key and self.secret_key)

    @property
    def uses_login(self) -> bool:
        return bool(self.username) and not self.uses_api_keys

    @property
    def is_integration_port(self) -> bool:
        """True for the unauthenticated integration port (8096): no credentials needed."""
        return urlsplit(self.url).port == INTEGRATION_PORT

    def __repr__(self) -> str:
        shown = []
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name in _SECRET_KEYS and value:
                value = MASK
            shown.append(f"{f.name}={value!r}")
        return f"ManagementServer({', '.join(shown)})"

    __str__ = __repr__


@dataclass(frozen=True)
class SimulatorSettings:
    """How to start the embedded simulator: timing profile, seed ("default", "basic",
    None = empty, or an absolute file path), database (":memory:" or an absolute path)."""

    profile: str = "fast"
    seed: str | None = "default"
    db: str = ":memory:"
    # Fault-injection rules the simulator starts with (see `marvin2 simulator
    # --faults`): mappings such as {command: deployVirtualMachine, errorrate: 0.1}.
    faults: tuple[dict, ...] = ()
    fault_seed: int = 0


@dataclass(frozen=True)
class Config:
    """A validated marvin2 config. Build it with :func:`load_config`."""

    source: Path
    management_servers: list[ManagementServer] = field(default_factory=list)
    simulator: SimulatorSettings | None = None
    zone: str | None = None
    hypervisor: str | None = None
    zone_network_type: str | None = None
    capabilities: frozenset[str] = frozenset()
    test_data: dict = field(default_factory=dict)
    timeouts: dict[str, float] = field(default_factory=dict)
    description: str | None = None
    # The timeout keys the file set itself (the others are defaults), so that an
    # explicit verb family beats a defaulted noun family in job_timeout().
    explicit_timeouts: frozenset[str] = frozenset()

    def has(self, capability: str) -> bool:
        """Whether the config claims ``capability``; an unknown name is an error, never False."""
        if capability not in CAPABILITIES:
            raise ConfigError(self.source, [Problem("capabilities", _unknown_capability(capability))])
        return capability in self.capabilities

    def job_timeout(self, command: str) -> float:
        """Seconds to wait for an async job of ``command``.

        The most specific setting wins: the exact API name (``deployVirtualMachine``),
        then a noun family (``snapshot`` for createVMSnapshot), then the leading verb
        (``stop`` for stopRouter), then ``job``.
        """
        if command in self.timeouts:
            return self.timeouts[command]
        words = [w.lower() for w in re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+", command)]
        nouns = [n for n in JOB_FAMILY_NOUNS if n in words[1:]]
        verbs = [words[0]] if words and words[0] in JOB_FAMILY_VERBS else []
        explicit = self.explicit_timeouts or frozenset(self.timeouts)
        for family in [f for f in nouns + verbs if f in explicit] + nouns + verbs:
            if family in self.timeouts:
                return self.timeouts[family]
        return self.timeouts.get("job", DEFAULT_TIMEOUTS["job"])

    def client_timeouts(self) -> dict[str, float]:
        """The timeouts as ``marvin2.client.connect(timeout=...)`` understands them.

        connect/read/job and exact API names as they are; each family the file set
        becomes a glob (``deploy*``, ``*snapshot*``) so the client applies it to
        every command of that family. Defaulted families are left out: they equal `job`.
        """
        out = {k: self.timeouts[k] for k in DEFAULT_TIMEOUTS if k in self.timeouts}
        explicit = self.explicit_timeouts
        for key, seconds in self.timeouts.items():
            if key in DEFAULT_TIMEOUTS or key not in explicit:
                continue
            if key in JOB_FAMILY_NOUNS:
                out["*iso" if key == "iso" else f"*{key}*"] = seconds
            elif key in JOB_FAMILY_VERBS:
                out[f"{key}*"] = seconds
            else:
                out[key] = seconds  # an exact API name
        return out

    def connect_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``marvin2.client.connect``: every server (failover) and the timeouts.

        A simulator config has no servers until started: use
        :meth:`with_simulator_endpoint` first.
        """
        if not self.management_servers:
            raise ConfigError(self.source, [Problem("management_servers", "no management server to connect to (a simulator config must be started first)")])
        from marvin2.client import ServerSettings  # the client is the only marvin2 layer this module uses

        servers = [ServerSettings(**{f.name: getattr(s, f.name) for f in dataclasses.fields(s)}) for s in self.management_servers]
        return {"servers": servers, "timeout": self.client_timeouts()}

    def with_simulator_endpoint(self, endpoint: str, api_key: str, secret_key: str) -> "Config":
        """This config pointed at a started simulator (its admin keys), simulator settings kept."""
        server = ManagementServer(url=endpoint, api_key=api_key, secret_key=secret_key)
        return dataclasses.replace(self, management_servers=[server])

    def __repr__(self) -> str:
        data = {k: (MASK if k in _TEST_DATA_SECRETS and v else v) for k, v in self.test_data.items()}
        return (
            f"Config(source={str(self.source)!r}, management_servers={self.management_servers!r}, "
            f"simulator={self.simulator!r}, zone={self.zone!r}, hypervisor={self.hypervisor!r}, "
            f"zone_network_type={self.zone_network_type!r}, capabilities={sorted(self.capabilities)!r}, "
            f"test_data={data!r}, timeouts={self.timeouts!r})"
        )

    __str__ = __repr__

    def to_display(self) -> dict:
        """A plain dict of the effective config with secrets masked (for `marvin2 config show`)."""
        out: dict[str, Any] = {"source": str(self.source)}
        if self.description:
            out["description"] = self.description
        if self.simulator is not None:
            out["simulator"] = dataclasses.asdict(self.simulator)
        if self.management_servers:
            servers = []
            for server in self.management_servers:
                entry = {}
                for f in dataclasses.fields(server):
                    value = getattr(server, f.name)
                    if value is None:
                        continue
                    entry[f.name] = MASK if f.name in _SECRET_KEYS and value else value
                servers.append(entry)
            out["management_servers"] = servers
        for name in ("zone", "hypervisor", "zone_network_type"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        out["capabilities"] = sorted(self.capabilities)
        out["test_data"] = {k: (MASK if k in _TEST_DATA_SECRETS and v else v) for k, v in self.test_data.items()}
        out["timeouts"] = dict(self.timeouts)
        return out


# --- loading -----------------------------------------------------------------------------


def default_config_path() -> Path:
    """``configs/simulator.yaml`` of the current directory, else the one beside the package."""
    local = Path("configs/simulator.yaml")
    if local.exists():
        return local.resolve()
    return (Path(__file__).resolve().parent.parent / "configs" / "simulator.yaml")


def load_config(path: Path | str, environ: Mapping[str, str] | None = None) -> Config:
    """Load and validate a config file; raises :class:`ConfigError` listing every problem."""
    problems: list[Problem] = []
    doc = load_yaml_document(Path(path).resolve(), problems)
    return _build(doc, environ if environ is not None else os.environ, problems)


def parse_config(text: str, source: Path | str = "<string>", environ: Mapping[str, str] | None = None) -> Config:
    """Like :func:`load_config` for YAML text (relative paths resolve against ``source``'s folder)."""
    problems: list[Problem] = []
    doc = parse_yaml_text(text, Path(source).resolve() if source != "<string>" else Path(source), problems)
    return _build(doc, environ if environ is not None else os.environ, problems)


def _build(doc: YamlDocument, environ: Mapping[str, str], problems: list[Problem]) -> Config:
    doc.data = interpolate(doc.data, environ, problems, doc)
    read = Reader(doc, problems)
    top = read.mapping(doc.data, (), _TOP_LEVEL_KEYS, what="a mapping of settings (management_servers or simulator, zone, ...)")

    servers = _read_servers(read, top.get("management_servers"))
    simulator = _read_simulator(read, top.get("simulator")) if "simulator" in top else None
    if servers and simulator is not None:
        read.problem(("simulator",), "give either `simulator` (start the embedded one) or `management_servers` (a real cloud), not both")
    elif not servers and simulator is None and not read.problems:
        read.problem((), "expected `management_servers` (a real cloud) or `simulator` (start the embedded one)")

    config = Config(
        source=doc.source,
        management_servers=servers,
        simulator=simulator,
        zone=read.string(top.get("zone"), ("zone",)),
        hypervisor=read.choice(top.get("hypervisor"), ("hypervisor",), HYPERVISORS),
        zone_network_type=read.choice(top.get("zone_network_type"), ("zone_network_type",), ZONE_NETWORK_TYPES),
        capabilities=_read_capabilities(read, top.get("capabilities")),
        test_data=_read_test_data(read, top.get("test_data")),
        timeouts=_read_timeouts(read, top.get("timeouts")),
        explicit_timeouts=frozenset(top["timeouts"]) if isinstance(top.get("timeouts"), dict) else frozenset(),
        description=read.string(top.get("description"), ("description",)),
    )
    read.raise_if_problems()
    return config


def _read_servers(read: Reader, value: Any) -> list[ManagementServer]:
    path = ("management_servers",)
    if isinstance(value, dict):
        value = [value]  # one server written without the list is fine
    servers = []
    for index, entry in enumerate(read.sequence(value, path, what="a list of management servers")):
        here = path + (index,)
        item = read.mapping(entry, here, _SERVER_KEYS, what="a management server mapping (url, credentials, TLS)")
        if not isinstance(entry, dict):
            continue
        url = _normalise_url(read, item.get("url"), here + ("url",))
        server = ManagementServer(
            url=url or "",
            api_key=read.string(item.get("api_key"), here + ("api_key",)),
            secret_key=read.string(item.get("secret_key"), here + ("secret_key",)),
            username=read.string(item.get("username"), here + ("username",)),
            password=read.string(item.get("password"), here + ("password",)),
            domain=read.string(item.get("domain"), here + ("domain",), default="/") or "/",
            verify=read.boolean(item.get("verify"), here + ("verify",), default=True),
            ca_bundle=read.path_value(item.get("ca_bundle"), here + ("ca_bundle",)),
            client_cert=read.path_value(item.get("client_cert"), here + ("client_cert",)),
            client_key=read.path_value(item.get("client_key"), here + ("client_key",)),
        )
        _check_credentials(read, server, item, here)
        servers.append(server)
    if value is not None and not servers and not read.problems:
        read.problem(path, "expected at least one management server")
    return servers


def _normalise_url(read: Reader, value: Any, path: tuple) -> str | None:
    text = read.string(value, path, required=True)
    if not text:
        return None
    parts = urlsplit(text.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        read.problem(path, f"expected an http(s) URL like http://host:8080/client/api, got {_describe(text, path)}")
        return None
    try:
        parts.port
    except ValueError:
        read.problem(path, f"invalid port in {_describe(text, path)}")
        return None
    # `http://host:8080` means the usual API path.
    api_path = parts.path if parts.path not in ("", "/") else "/client/api"
    return urlunsplit((parts.scheme, parts.netloc, api_path, parts.query, ""))


def _check_credentials(read: Reader, server: ManagementServer, item: dict, here: tuple) -> None:
    has_keys = server.api_key is not None or server.secret_key is not None
    has_login = server.username is not None or server.password is not None
    if server.api_key is not None and server.secret_key is None:
        read.problem(here + ("secret_key",), "required with api_key")
    if server.secret_key is not None and server.api_key is None:
        read.problem(here + ("api_key",), "required with secret_key")
    if server.username is not None and server.password is None:
        read.problem(here + ("password",), "required with username")
    if server.password is not None and server.username is None:
        read.problem(here + ("username",), "required with password")
    if has_keys and has_login:
        read.problem(here, "give either api_key/secret_key or username/password, not both")
    if not has_keys and not has_login and server.url and not server.is_integration_port:
        read.problem(here, f"credentials required: api_key/secret_key or username/password (only the unauthenticated integration port {INTEGRATION_PORT} works without)")
    if "domain" in item and not has_login:
        read.problem(here + ("domain",), "only used with username/password")
    if server.client_key and not server.client_cert:
        read.problem(here + ("client_cert",), "required with client_key")
    if server.ca_bundle and not server.verify:
        read.problem(here + ("verify",), "ca_bundle is given but verify is false: certificates would not be checked")
    if server.url.startswith("http://") and (server.ca_bundle or server.client_cert):
        read.problem(here + ("url",), "TLS settings given for a plain http:// URL")


def _read_simulator(read: Reader, value: Any) -> SimulatorSettings:
    path = ("simulator",)
    item = read.mapping(value, path, _SIMULATOR_KEYS, what="a mapping (profile, seed, db, faults, fault_seed)")
    seed_value = item.get("seed", "default")
    seed: str | None
    if seed_value is None or str(seed_value).lower() == "empty":
        seed = None
    elif str(seed_value).lower() in BUILTIN_SEEDS:
        seed = str(seed_value).lower()
    else:
        seed = read.path_value(seed_value, path + ("seed",))
    db_value = read.string(item.get("db"), path + ("db",), default=":memory:") or ":memory:"
    db = db_value if db_value == ":memory:" else read.path_value(db_value, path + ("db",), must_exist=False)
    faults = []
    for index, rule in enumerate(read.sequence(item.get("faults", []), path + ("faults",), what="a list of fault rules")):
        if isinstance(rule, dict) and rule:
            faults.append(dict(rule))
        else:
            read.problem(path + ("faults", index), "expected a fault rule mapping such as {command: deployVirtualMachine, errorrate: 0.5}")
    return SimulatorSettings(
        profile=read.choice(item.get("profile"), path + ("profile",), SIMULATOR_PROFILES, default="fast") or "fast",
        seed=seed,
        db=db or ":memory:",
        faults=tuple(faults),
        fault_seed=read.integer(item.get("fault_seed"), path + ("fault_seed",), default=0) or 0,
    )


def _read_capabilities(read: Reader, value: Any) -> frozenset[str]:
    path = ("capabilities",)
    names: list[tuple[tuple, str]] = []
    if isinstance(value, dict):
        # {vpc: true, ssh_to_guests: false} documents what a cloud lacks too.
        for name, flag in value.items():
            claimed = read.boolean(flag, path + (name,), default=False)
            if claimed or name not in CAPABILITIES:  # unknown names are reported either way
                names.append((path + (name,), str(name)))
    else:
        for index, name in enumerate(read.sequence(value, path, what="a list of capability names")):
            if not isinstance(name, str):
                read.problem(path + (index,), f"expected a capability name, got {_describe(name, path + (index,))}")
                continue
            names.append((path + (index,), name))
    result = set()
    for where, name in names:
        if name not in CAPABILITIES:
            read.problem(where, _unknown_capability(name))
        else:
            result.add(name)
    return frozenset(result)


def _read_test_data(read: Reader, value: Any) -> dict:
    path = ("test_data",)
    item = read.mapping(value, path, TEST_DATA_KEYS, what="a mapping of test data names")
    data: dict[str, Any] = {}
    for key, raw in item.items():
        if key not in TEST_DATA_KEYS:
            continue
        if key == "custom":
            data[key] = _plain(read.mapping(raw, path + (key,), raw.keys() if isinstance(raw, dict) else ()))
        elif key == "ssh_private_key":
            data[key] = read.path_value(raw, path + (key,))
        else:
            data[key] = read.string(raw, path + (key,))
    return data


def _plain(value: Any) -> Any:
    """Free-form data with interpolation markers removed (plain str, dict, list)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return str(value) if isinstance(value, _Interpolated) else value


_API_NAME = re.compile(r"^[a-z]+[A-Z][A-Za-z0-9]*$")


def _read_timeouts(read: Reader, value: Any) -> dict[str, float]:
    path = ("timeouts",)
    # Besides connect/read/job and the families, an exact API name may be given.
    api_names = [k for k in value if _API_NAME.match(str(k))] if isinstance(value, dict) else []
    # "test": pytest-timeout's default per test (the plugin's waiting.py; no default here).
    allowed = list(DEFAULT_TIMEOUTS) + ["test"] + list(JOB_FAMILIES) + api_names
    item = read.mapping(value, path, allowed, what="a mapping of timeouts in seconds")
    timeouts = dict(DEFAULT_TIMEOUTS)
    for key, raw in item.items():
        number = read.number(raw, path + (key,))
        if number is not None:
            timeouts[key] = number
    for family in JOB_FAMILIES:
        timeouts.setdefault(family, timeouts["job"])
    return timeouts
