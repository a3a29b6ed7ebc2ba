"""Tag markers, ``--tags``/``--required-hardware`` selection and capability markers.

- ``@pytest.mark.tags("quick-test", "deploy-vm")``: tags from the vocabulary
  (``vocabulary.py``). Checked at collection: an unknown tag makes the
  module (or class) a collection error naming the closest known tag. Each tag
  is also applied as an identifier marker (``quick-test`` -> ``quick_test``)
  so that ``-m "quick_test and not slow"`` works.
- ``--tags`` keeps Marvin's ``-a tags=...`` semantics: within one value,
  commas mean "all of"; repeating ``--tags`` means "any of"; ``!tag`` means
  "not tag".
- ``@pytest.mark.required_hardware(True)``: needs a real hypervisor; skipped
  on the simulator. ``--required-hardware false`` selects unmarked tests too.
- Capability markers are decided from the config (and ``--hypervisor``),
  never guessed from what the cloud happens to show:
  ``requires("vpc", ...)``, ``zone_type("Advanced")``,
  ``hypervisor("KVM", ...)``, ``hypervisor_not("Simulator", ...)``.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import pytest

from marvin2.pytest_plugin import vocabulary
from marvin2.pytest_plugin.options import get_option
from marvin2.pytest_plugin.session import (
    MarvinSessionError,
    hypervisor_name,
    marvin_config_of,
    run_context_of,
    uses_simulator,
)

__all__ = ["ITEM_TAGS", "item_tags", "TagClause", "parse_tag_expressions", "select"]

ITEM_TAGS = pytest.StashKey[tuple]()
_TAG_CLAUSES = pytest.StashKey[list]()

ZONE_TYPES = ("Advanced", "Basic")

# Marker descriptions for `pytest --markers`.
_MARKERS = {
    "tags(*tags)": "marvin2 tags of a test, from marvin2/pytest_plugin/vocabulary.py; select with --tags or -m",
    "required_hardware(flag)": "True: needs a real hypervisor (skipped on the simulator); "
    "select with --required-hardware true|false",
    "requires(*capabilities)": "skip unless the config lists every capability (see marvin2.config.CAPABILITIES)",
    "zone_type(type)": "skip unless the config's zone_network_type is this (Advanced or Basic)",
    "hypervisor(*names)": "skip unless the hypervisor under test is one of these",
    "hypervisor_not(*names)": "skip when the hypervisor under test is one of these",
}


# --- tag expressions ---------------------------------------------------------------


@dataclass(frozen=True)
class TagClause:
    """One ``--tags`` value: every ``required`` tag present, no ``forbidden`` one."""

    required: frozenset[str]
    forbidden: frozenset[str]

    def matches(self, tags: Iterable[str]) -> bool:
        present = set(tags)
        return self.required <= present and not (self.forbidden & present)


def parse_tag_expressions(values: Sequence[str]) -> list[TagClause]:
    """Parse repeated ``--tags`` values; raises ``pytest.UsageError`` naming the bad tag."""
    clauses = []
    for value in values:
        required: set[str] = set()
        forbidden: set[str] = set()
        for raw in value.split(","):
            term = raw.strip()
            negated = term.startswith("!")
            name = term[1:].strip() if negated else term
            if not name:
                raise pytest.UsageError(f"--tags {value!r}: empty tag (write tags separated by commas, e.g. vpc,!slow)")
            try:
                tag = vocabulary.canonical(name)
            except vocabulary.UnknownTagError as error:
                raise pytest.UsageError(f"--tags {value!r}: {error}") from None
            (forbidden if negated else required).add(tag)
        if required & forbidden:
            raise pytest.UsageError(f"--tags {value!r}: {sorted(required & forbidden)} both required and excluded")
        clauses.append(TagClause(frozenset(required), frozenset(forbidden)))
    return clauses


def select(clauses: Sequence[TagClause], tags: Iterable[str]) -> bool:
    """Any clause matches (no clauses: everything is selected)."""
    tags = tuple(tags)
    return not clauses or any(clause.matches(tags) for clause in clauses)


# --- collection-time checks ---------------------------------------------------------


class MarkerError(Exception):
    """A marvin2 marker used wrongly on a test (becomes a collection error)."""


def _flatten(args: Iterable) -> list:
    out = []
    for arg in args:
        if isinstance(arg, (list, tuple, set, frozenset)):
            out.extend(arg)
        else:
            out.append(arg)
    return out


def _tags_of(item: pytest.Item) -> tuple[str, ...]:
    names = []
    for marker in item.iter_markers("tags"):
        if marker.kwargs:
            raise MarkerError(f"@pytest.mark.tags takes tag names only, got keywords {sorted(marker.kwargs)}")
        args = _flatten(marker.args)
        if not args:
            raise MarkerError("@pytest.mark.tags() needs at least one tag")
        for arg in args:
            if not isinstance(arg, str):
                raise MarkerError(f"@pytest.mark.tags: tag names are strings, got {arg!r}")
            names.append(arg)
    try:
        return vocabulary.canonical_all(names)
    except vocabulary.UnknownTagError as error:
        raise MarkerError(str(error)) from None


def required_hardware_of(item: pytest.Item) -> bool:
    """The item's required_hardware flag (False when unmarked)."""
    marker = item.get_closest_marker("required_hardware")
    if marker is None:
        return False
    if len(marker.args) != 1 or marker.kwargs:
        raise MarkerError("@pytest.mark.required_hardware takes one argument: True or False")
    value = marker.args[0]
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):  # Marvin wrote "true"/"false"
        return value.lower() == "true"
    raise MarkerError(f"@pytest.mark.required_hardware: expected True or False, got {value!r}")


def _check_capability_markers(item: pytest.Item) -> None:
    from marvin2.config import CAPABILITIES, HYPERVISORS, suggest

    for marker in item.iter_markers("requires"):
        if not marker.args or marker.kwargs:
            raise MarkerError("@pytest.mark.requires takes one or more capability names")
        for name in marker.args:
            if name not in CAPABILITIES:
                raise MarkerError(
                    f"@pytest.mark.requires: unknown capability {name!r}{suggest(str(name), CAPABILITIES)}; "
                    f"known: {', '.join(sorted(CAPABILITIES))}")
    for marker in item.iter_markers("zone_type"):
        if len(marker.args) != 1 or marker.args[0] not in ZONE_TYPES:
            raise MarkerError(f"@pytest.mark.zone_type takes one of {', '.join(ZONE_TYPES)}, got {marker.args!r}")
    known = {h.lower() for h in HYPERVISORS}
    for name in ("hypervisor", "hypervisor_not"):
        for marker in item.iter_markers(name):
            if not marker.args or marker.kwargs:
                raise MarkerError(f"@pytest.mark.{name} takes one or more hypervisor names")
            for value in marker.args:
                if not isinstance(value, str) or value.lower() not in known:
                    raise MarkerError(
                        f"@pytest.mark.{name}: unknown hypervisor {value!r}{suggest(str(value), HYPERVISORS)}; "
                        f"known: {', '.join(HYPERVISORS)}")


def _alias_markers() -> dict[str, list[str]]:
    reverse: dict[str, list[str]] = {}
    for alias, target in vocabulary.ALIASES.items():
        reverse.setdefault(target, []).append(alias)
    return reverse


_ALIASES_OF = _alias_markers()


def _prepare_item(item: pytest.Item) -> None:
    tags = _tags_of(item)
    required_hardware_of(item)
    _check_capability_markers(item)
    item.stash[ITEM_TAGS] = tags
    for tag in tags:
        # -m works on identifiers; aliases get a marker too so `-m network` works.
        for name in (tag, *_ALIASES_OF.get(tag, ())):
            item.add_marker(vocabulary.marker_name(name))


def item_tags(item: pytest.Item) -> tuple[str, ...]:
    """Canonical tags of a collected item (empty for items without tags)."""
    return item.stash.get(ITEM_TAGS, ())


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector):
    report = yield
    # Check the items as soon as their collector produced them, so that a
    # marker mistake becomes a collection error of that module (or class),
    # shown like an import error, and before any selection looks at tags.
    if report.passed and report.result:
        problems = []
        for node in report.result:
            if isinstance(node, pytest.Item):
                try:
                    _prepare_item(node)
                except MarkerError as error:
                    problems.append(f"{node.nodeid}: {error}")
        if problems:
            report.outcome = "failed"
            report.longrepr = "marvin2 marker error(s):\n" + "\n".join(f"  {p}" for p in problems)
            report.result = []
    return report


# --- configuration and selection -----------------------------------------------------


def pytest_configure(config: pytest.Config) -> None:
    for line, text in _MARKERS.items():
        config.addinivalue_line("markers", f"{line}: {text}")
    for tag, description in vocabulary.TAGS.items():
        config.addinivalue_line("markers", f"{vocabulary.marker_name(tag)}: tag '{tag}': {description}")
    for alias, target in vocabulary.ALIASES.items():
        config.addinivalue_line("markers", f"{vocabulary.marker_name(alias)}: alias of tag '{target}'")
    config.stash[_TAG_CLAUSES] = parse_tag_expressions(get_option(config, "marvin_tags") or [])


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    clauses = config.stash.get(_TAG_CLAUSES, [])
    hardware = get_option(config, "marvin_required_hardware")
    if not clauses and hardware is None:
        return
    kept, dropped = [], []
    for item in items:
        wanted = select(clauses, item_tags(item))
        if wanted and hardware is not None:
            wanted = required_hardware_of(item) == hardware
        (kept if wanted else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


# --- capability skips -----------------------------------------------------------------


def _config_name(config: pytest.Config) -> str:
    path = run_context_of(config).config_path
    try:
        return str(path.relative_to(Path(config.rootpath)))
    except ValueError:
        return str(path)


def skip_reason(item: pytest.Item) -> str | None:
    """Why the item cannot run against the configured cloud, or None.

    Raises MarvinSessionError when the config cannot be read.
    """
    config = item.config
    needs = {name: item.get_closest_marker(name) for name in ("requires", "zone_type", "hypervisor", "hypervisor_not")}
    if not any(needs.values()) and not required_hardware_of(item):
        return None  # most tests: no need to read the config at all
    cfg = marvin_config_of(config)
    where = _config_name(config)
    hypervisor = hypervisor_name(config)
    on_simulator = uses_simulator(config) or (hypervisor or "").lower() == "simulator"

    if required_hardware_of(item) and on_simulator:
        what = "runs the embedded simulator" if uses_simulator(config) else "uses the Simulator hypervisor"
        return f"required_hardware=True needs a real hypervisor, but config {where} {what}"
    for marker in item.iter_markers("requires"):
        missing = [name for name in marker.args if not cfg.has(name)]
        if missing:
            return (f"requires capability {', '.join(repr(m) for m in missing)}, not listed under "
                    f"`capabilities` in config {where} (it lists: {', '.join(sorted(cfg.capabilities)) or 'none'})")
    marker = needs["zone_type"]
    if marker is not None:
        wanted = marker.args[0]
        actual = cfg.zone_network_type
        if actual is None:
            return f"needs a {wanted} zone, but config {where} does not set zone_network_type"
        if actual != wanted:
            return f"needs a {wanted} zone; config {where} has zone_network_type {actual}"
    source = "--hypervisor" if get_option(config, "marvin_hypervisor") else f"config {where}"
    marker = needs["hypervisor"]
    if marker is not None:
        wanted = [str(name) for name in marker.args]
        if hypervisor is None:
            return f"needs hypervisor {' or '.join(wanted)}, but config {where} does not set hypervisor"
        if hypervisor.lower() not in {w.lower() for w in wanted}:
            return f"needs hypervisor {' or '.join(wanted)}; {source} says {hypervisor}"
    marker = needs["hypervisor_not"]
    if marker is not None:
        excluded = [str(name) for name in marker.args]
        if hypervisor is None:
            return f"not for hypervisor {', '.join(excluded)}, and config {where} does not set hypervisor"
        if hypervisor.lower() in {e.lower() for e in excluded}:
            return f"not for hypervisor {hypervisor} ({source})"
    return None


def _skip_at_item(reason: str) -> None:
    # Report the test's own location (like @pytest.mark.skip does), not this file's.
    try:
        raise pytest.skip.Exception(reason, _use_item_location=True)
    except TypeError:  # a pytest without the flag: plain skip
        pytest.skip(reason)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    try:
        reason = skip_reason(item)
    except MarvinSessionError as error:
        message = str(error)
    else:
        if reason:
            _skip_at_item(reason)
        return
    pytest.fail(f"cannot decide capability markers: {message}", pytrace=False)
