"""The API model parsed from a server's ``listApis``, and its on-disk cache.

A ``Spec`` is immutable. Real captures list some parameters twice, carry
empty ``{}`` response entries and come in arbitrary order; parsing
normalises all of that. Entries are parsed lazily, one API at a time on first
use, because building a client must stay fast (705 APIs in 4.18) while a
test run touches a few dozen of them.

The cache keeps one file per endpoint, caller identity and server version
(listApis depends on the caller's role), written atomically under a file lock
so that many xdist workers starting together fetch it once.
"""
from __future__ import annotations

import difflib
import gzip
import hashlib
import json
import logging
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Callable, Iterable, Iterator, Mapping

from marvin2.client.errors import MarvinError, SpecError

GZIP_MAGIC = b"\x1f\x8b"

__all__ = [
    "ParamSpec",
    "ResponseField",
    "ApiSpec",
    "Spec",
    "SpecCache",
    "default_cache_dir",
    "snake_case",
    "is_read_only",
]

log = logging.getLogger("marvin2.client")

CACHE_FORMAT = 1
# The parameter types listApis uses (float/double only in some versions).
KNOWN_TYPES = frozenset(
    {"string", "uuid", "integer", "long", "short", "boolean", "date", "tzdate", "list", "map", "object", "float", "double"}
)
_READ_PREFIX = re.compile(r"^(list|get|query)(?=[A-Z0-9]|$)")
_SNAKE_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def snake_case(name: str) -> str:
    """``listVPCOfferings`` -> ``list_vpc_offerings``."""
    return _SNAKE_BOUNDARY.sub("_", name).lower()


def is_read_only(command: str) -> bool:
    """Whether repeating ``command`` is harmless: list*, get* and query* commands."""
    return _READ_PREFIX.match(command) is not None


@dataclass(frozen=True)
class ParamSpec:
    name: str
    type: str
    required: bool
    description: str = ""
    length: int = 255
    since: str | None = None
    related: tuple[str, ...] = ()


@dataclass(frozen=True)
class ResponseField:
    name: str
    type: str
    description: str = ""
    fields: tuple["ResponseField", ...] = ()


@dataclass(frozen=True)
class ApiSpec:
    name: str
    description: str
    isasync: bool
    params: tuple[ParamSpec, ...]
    response: tuple[ResponseField, ...] = ()
    since: str | None = None
    related: tuple[str, ...] = ()
    # Derived lookups, filled in __post_init__.
    param_index: Mapping[str, ParamSpec] = field(init=False, repr=False, compare=False)
    required: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "param_index", MappingProxyType({p.name.lower(): p for p in self.params}))
        object.__setattr__(self, "required", tuple(p.name for p in self.params if p.required))

    @property
    def snake_name(self) -> str:
        return snake_case(self.name)

    @property
    def is_read(self) -> bool:
        return is_read_only(self.name)

    @property
    def is_list(self) -> bool:
        return self.name.startswith("list")

    @property
    def pageable(self) -> bool:
        return "page" in self.param_index and "pagesize" in self.param_index

    def param(self, name: str) -> ParamSpec | None:
        return self.param_index.get(name.lower())


# --- parsing -------------------------------------------------------------------


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ("" if value is None else str(value))


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def _related(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(sorted({r.strip() for r in value.split(",") if r.strip()}))
    if isinstance(value, list):
        return tuple(sorted({str(r) for r in value}))
    return ()


def _parse_params(api_name: str, raw_params: Any) -> tuple[ParamSpec, ...]:
    if raw_params is None:
        return ()
    if not isinstance(raw_params, list):
        raise SpecError(f"listApis: API {api_name!r} has 'params' of type {type(raw_params).__name__}, expected a list")
    merged: dict[str, ParamSpec] = {}
    for index, raw in enumerate(raw_params):
        if not isinstance(raw, dict) or not raw:
            continue  # empty entries carry nothing
        name = raw.get("name")
        if not isinstance(name, str) or not name:
            raise SpecError(f"listApis: API {api_name!r} parameter #{index} has no name: {raw!r:.200}")
        try:
            length = int(raw.get("length", 255) or 255)
        except (TypeError, ValueError):
            length = 255
        param = ParamSpec(
            name=name,
            type=_text(raw.get("type") or "string").lower(),
            required=_bool(raw.get("required", False)),
            description=_text(raw.get("description")),
            length=length,
            since=raw.get("since") or None,
            related=_related(raw.get("related")),
        )
        key = name.lower()
        previous = merged.get(key)
        if previous is None:
            merged[key] = param
        else:
            # A parameter listed twice: the server dispatches on one field,
            # so it is required if any copy says so. Every other choice is
            # order-independent (captures come in arbitrary order).
            merged[key] = ParamSpec(
                name=min(previous.name, param.name),
                type=min(previous.type, param.type),
                required=previous.required or param.required,
                description=min((d for d in (previous.description, param.description) if d), default=""),
                length=max(previous.length, param.length),
                since=min((v for v in (previous.since, param.since) if v), default=None),
                related=tuple(sorted(set(previous.related) | set(param.related))),
            )
    return tuple(sorted(merged.values(), key=lambda p: p.name.lower()))


def _parse_response(raw_fields: Any) -> tuple[ResponseField, ...]:
    if not isinstance(raw_fields, list):
        return ()
    fields: dict[str, ResponseField] = {}
    for raw in raw_fields:
        if not isinstance(raw, dict) or not raw.get("name"):
            continue  # real captures contain {} entries
        name = _text(raw["name"])
        candidate = ResponseField(
            name=name,
            type=_text(raw.get("type")),
            description=_text(raw.get("description")),
            fields=_parse_response(raw.get("response")),
        )
        previous = fields.get(name)
        # Some APIs describe a field twice; keep the richer description,
        # chosen the same way whatever the order of the capture.
        if previous is None or _richness(candidate) > _richness(previous):
            fields[name] = candidate
    return tuple(sorted(fields.values(), key=lambda f: f.name))


def _richness(f: ResponseField) -> tuple:
    return (len(f.fields), len(f.description), f.description, f.type)


def _parse_api(raw: Mapping[str, Any]) -> ApiSpec:
    name = raw["name"]
    return ApiSpec(
        name=name,
        description=_text(raw.get("description")),
        isasync=_bool(raw.get("isasync", False)),
        params=_parse_params(name, raw.get("params")),
        response=_parse_response(raw.get("response")),
        since=raw.get("since") or None,
        related=_related(raw.get("related")),
    )


class Spec:
    """The APIs one server offers one caller. Immutable; APIs parse on first use."""

    __slots__ = ("version", "endpoint", "_raw", "_parsed", "_snake", "_names")

    def __init__(self, entries: Iterable[Mapping[str, Any]], *, version: str | None = None, endpoint: str | None = None) -> None:
        raw: dict[str, Mapping[str, Any]] = {}
        for index, entry in enumerate(entries):
            if not isinstance(entry, Mapping):
                raise SpecError(f"listApis: entry #{index} is a {type(entry).__name__}, expected an object")
            name = entry.get("name")
            if not isinstance(name, str) or not name:
                raise SpecError(f"listApis: entry #{index} has no API name: {dict(entry)!r:.200}")
            raw.setdefault(name, entry)
        if not raw:
            raise SpecError("listApis: the document lists no API at all")
        setter = object.__setattr__
        setter(self, "version", version)
        setter(self, "endpoint", endpoint)
        setter(self, "_raw", raw)
        setter(self, "_parsed", {})
        setter(self, "_snake", None)
        setter(self, "_names", tuple(sorted(raw)))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Spec is immutable")

    @property
    def role_filtered(self) -> bool:
        """Whether this looks like the listApis answer of a restricted role (not an admin's).

        listApis lists only what the caller's role allows. Every admin role has
        listHosts, no user or domain-admin role does, so its absence from a
        spec that has listApis tells "not available to this role" from "no such API".
        Real roles see a hundred APIs or more; a spec of a handful is a test double.
        """
        return len(self._raw) >= 100 and "listApis" in self._raw and "listHosts" not in self._raw

    # --- construction ---------------------------------------------------------

    @classmethod
    def from_document(cls, document: Any, *, version: str | None = None, endpoint: str | None = None, source: str = "listApis") -> "Spec":
        """Build from a listApis answer in any of its shapes.

        Accepts the inside of the response (``{"count": N, "api": [...]}``),
        the whole response (``{"listapisresponse": {...}}``) or a cache file.
        """
        if not isinstance(document, Mapping):
            raise SpecError(f"{source}: expected a JSON object, got {type(document).__name__}")
        if "marvin2_spec" in document:
            version = version or document.get("version")
            endpoint = endpoint or document.get("endpoint")
        elif "api" not in document and len(document) == 1:
            (key, inner), = document.items()
            if not key.endswith("response") or not isinstance(inner, Mapping):
                raise SpecError(f"{source}: expected a listApis answer, got top-level key {key!r}")
            if "errorcode" in inner:
                raise SpecError(f"{source}: the server answered an error: {inner.get('errortext')!r}")
            document = inner
        entries = document.get("api")
        if entries is None and not document:
            raise SpecError(f"{source}: the listApis answer is empty (no API visible to this caller?)")
        if not isinstance(entries, list):
            raise SpecError(f"{source}: expected an 'api' list, got keys {sorted(document)[:10]}")
        try:
            return cls(entries, version=version, endpoint=endpoint)
        except SpecError as error:
            raise SpecError(f"{source}: {error}") from None

    @classmethod
    def from_file(cls, path: str | os.PathLike, *, version: str | None = None) -> "Spec":
        path = Path(path)
        try:
            data = path.read_bytes()
            if data[:2] == GZIP_MAGIC:  # listApis-<version>.json.gz: compact captures (tests/data)
                data = gzip.decompress(data)
            document = json.loads(data)
        except (OSError, EOFError) as error:  # EOFError: a truncated .gz
            raise SpecError(f"cannot read spec file {path}: {getattr(error, 'strerror', None) or error}") from None
        except ValueError as error:
            raise SpecError(f"spec file {path} is not valid JSON: {error}") from None
        if version is None and not (isinstance(document, Mapping) and "marvin2_spec" in document):
            # Captures are named listApis-<version>.json.
            match = re.search(r"(\d+(?:\.\d+){2,3})", path.name)
            version = match.group(1) if match else None
        return cls.from_document(document, version=version, source=str(path))

    def to_document(self) -> dict[str, Any]:
        """The cache file content (the raw entries, so nothing is lost)."""
        return {
            "marvin2_spec": CACHE_FORMAT,
            "version": self.version,
            "endpoint": self.endpoint,
            "count": len(self._raw),
            "api": [self._raw[name] for name in self._names],
        }

    # --- lookups ---------------------------------------------------------------

    @property
    def names(self) -> tuple[str, ...]:
        """Every API name, sorted."""
        return self._names

    def __len__(self) -> int:
        return len(self._raw)

    def __contains__(self, name: object) -> bool:
        return name in self._raw

    def __iter__(self) -> Iterator[ApiSpec]:
        return (self[name] for name in self._names)

    def __getitem__(self, name: str) -> ApiSpec:
        parsed = self._parsed.get(name)
        if parsed is None:
            raw = self._raw[name]  # KeyError for an unknown name, like a dict
            try:
                parsed = _parse_api(raw)
            except SpecError as error:
                raise SpecError(f"{error} (spec of {self.endpoint or 'a file'}, version {self.version})") from None
            self._parsed[name] = parsed
        return parsed

    def get(self, name: str) -> ApiSpec | None:
        return self[name] if name in self._raw else None

    def resolve(self, name: str) -> ApiSpec | None:
        """The API called ``name`` (CloudStack spelling) or its snake_case alias."""
        if name in self._raw:
            return self[name]
        snake = self._snake
        if snake is None:
            snake = {snake_case(n): n for n in self._names}
            object.__setattr__(self, "_snake", snake)
        real = snake.get(name)
        return self[real] if real is not None else None

    def snake_names(self) -> tuple[str, ...]:
        return tuple(sorted(snake_case(n) for n in self._names))

    def suggest(self, name: str, limit: int = 3) -> list[str]:
        """The closest API names, for "did you mean" hints."""
        by_lower = {n.lower(): n for n in self._names}
        if name.lower() in by_lower:
            return [by_lower[name.lower()]]
        candidates = list(by_lower) + [snake_case(n) for n in self._names]
        found = difflib.get_close_matches(name.lower(), candidates, n=limit * 2, cutoff=0.6)
        out: list[str] = []
        for match in found:
            real = by_lower.get(match) or next((n for n in self._names if snake_case(n) == match), match)
            if real not in out:
                out.append(real)
        return out[:limit]

    def search(self, word: str) -> list[ApiSpec]:
        """APIs whose name or description contains ``word`` (case-insensitive), sorted."""
        needle = word.lower()
        found = []
        for name in self._names:
            raw = self._raw[name]
            if needle in name.lower() or needle in snake_case(name) or needle in _text(raw.get("description")).lower():
                found.append(self[name])
        return found

    def __repr__(self) -> str:
        return f"<Spec {len(self)} APIs, CloudStack {self.version or 'unknown version'}{' from ' + self.endpoint if self.endpoint else ''}>"


# --- cache ---------------------------------------------------------------------


def default_cache_dir() -> Path:
    """``$MARVIN2_CACHE_DIR``, else ``$XDG_CACHE_HOME/marvin2``, else ``~/.cache/marvin2``."""
    explicit = os.environ.get("MARVIN2_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "marvin2"


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class SpecCache:
    """Spec files on disk: one per (endpoint, identity, server version).

    Test runs make short-lived users, each with its own cache entry, so the
    directory is pruned when a file is written: entries unused for
    ``max_age`` seconds go, and only the ``max_files`` most recently used stay.
    """

    def __init__(
        self,
        directory: str | os.PathLike | None = None,
        *,
        lock_timeout: float = 120.0,
        max_files: int = 64,
        max_age: float = 30 * 86400,
    ) -> None:
        self.directory = Path(directory).expanduser() if directory is not None else default_cache_dir()
        self.lock_timeout = lock_timeout
        self.max_files = max_files
        self.max_age = max_age

    def path_for(self, endpoint: str, version: str, identity: str = "") -> Path:
        # The readable part helps a human; the hash keeps distinct endpoints
        # and identities (never a secret: a key id or user name) apart.
        digest = hashlib.sha256(f"{endpoint}\n{identity}".encode()).hexdigest()[:12]
        host = re.sub(r"^[a-z]+://", "", endpoint).split("/", 1)[0]
        name = f"spec-{_UNSAFE.sub('_', host)}-{digest}-{_UNSAFE.sub('_', version)}.json"
        return self.directory / name

    def load(self, path: Path) -> Spec | None:
        """The cached spec at ``path``, or None when absent or unreadable."""
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as error:
            log.warning("cannot read spec cache %s: %s", path, error)
            return None
        try:
            spec = Spec.from_document(json.loads(data), source=str(path))
        except (ValueError, SpecError) as error:
            log.warning("ignoring a damaged spec cache file %s: %s", path, error)
            return None
        try:
            os.utime(path)  # "recently used", for pruning
        except OSError:
            pass
        return spec

    def store(self, path: Path, spec: Spec) -> None:
        """Write atomically: readers see the old file or the new one, never half."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(json.dumps(spec.to_document(), separators=(",", ":")).encode("utf-8"))
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
        self.prune(keep=path)

    def prune(self, keep: Path | None = None) -> list[Path]:
        """Remove stale entries (best effort); returns what was removed."""
        import time

        try:
            entries = []
            for candidate in self.directory.glob("spec-*.json"):
                try:
                    entries.append((candidate.stat().st_mtime, candidate))
                except OSError:
                    continue
        except OSError:
            return []
        entries.sort(reverse=True)  # most recently used first
        horizon = time.time() - self.max_age
        doomed = [p for i, (mtime, p) in enumerate(entries) if p != keep and (i >= self.max_files or mtime < horizon)]
        removed = []
        for victim in doomed:
            for extra in (victim, victim.with_name(victim.name + ".lock")):
                try:
                    extra.unlink()
                except OSError:
                    continue
            removed.append(victim)
        return removed

    def get_or_fetch(
        self,
        endpoint: str,
        version: str,
        fetch: Callable[[], Any],
        *,
        identity: str = "",
        refresh: bool = False,
    ) -> Spec:
        """The cached spec, or ``fetch()`` it once (under a lock) and cache it."""
        import filelock  # only needed when a fetch may happen

        path = self.path_for(endpoint, version, identity)
        if not refresh:
            spec = self.load(path)
            if spec is not None:
                return spec
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            lock = filelock.FileLock(str(path) + ".lock", timeout=self.lock_timeout)
            lock.acquire()
        except filelock.Timeout:
            raise MarvinError(
                f"waited {self.lock_timeout:g}s for the spec cache lock {path}.lock; "
                "another process holds it (remove the file if no marvin2 process is running)"
            ) from None
        except OSError as error:
            log.warning("spec cache directory %s is not usable (%s); fetching without cache", path.parent, error)
            return Spec.from_document(fetch(), version=version, endpoint=endpoint)
        try:
            if not refresh:
                spec = self.load(path)  # another process may have fetched it meanwhile
                if spec is not None:
                    return spec
            spec = Spec.from_document(fetch(), version=version, endpoint=endpoint)
            try:
                self.store(path, spec)
            except OSError as error:
                log.warning("cannot write spec cache %s: %s", path, error)
            return spec
        finally:
            lock.release()
