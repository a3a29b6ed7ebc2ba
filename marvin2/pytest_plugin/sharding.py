"""``--shard K/N``: run one of N disjoint, duration-balanced parts of the selection.

For spreading a run over several CI machines: every machine runs the same
command with its own ``K`` (1..N), and ``marvin2 report merge`` joins their
results. The parts are:

- disjoint and complete: every selected test lands in exactly one shard,
  decided by the same deterministic plan on every machine (and on every
  xdist worker of a machine, which collect on their own and must agree);
- made of whole modules: a module's module-scoped fixtures (networks, VMs)
  are made once, as under ``--dist loadscope``;
- balanced by recorded durations: modules are handed out longest first,
  each to the shard with the least estimated time so far (LPT scheduling).

Durations come from a JSON file kept in the repository (default
``tests/.durations.json`` under the rootdir; ``{nodeid: seconds}``, setup +
call + teardown, less any wait for a serial test). ``--store-durations`` rewrites the entries of the tests
that ran (others are kept); tests the file does not know count as the
median of the known ones (1 s when the file is empty or missing), so a new
test never upsets the balance much.

Each shard writes ``<results_dir>/shard.json`` (what it ran, and a digest of
the whole selection), which ``marvin2 report merge`` uses to check that the
shards it joins are disjoint and complete.
"""
from __future__ import annotations

import hashlib
import heapq
import json
import os
import re
import statistics
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

import pytest

from marvin2.pytest_plugin.serial import WAIT_PROPERTY
from marvin2.pytest_plugin.session import RUN_CONTEXT

__all__ = ["ShardSpec", "parse_shard", "plan_shards", "estimate", "load_durations", "SHARD_FILE",
           "DEFAULT_DURATIONS_FILE", "FALLBACK_SECONDS"]

DEFAULT_DURATIONS_FILE = "tests/.durations.json"
FALLBACK_SECONDS = 1.0
SHARD_FILE = "shard.json"

_SPEC = pytest.StashKey["ShardSpec | None"]()
_PLAN = pytest.StashKey[dict]()
_MEASURED = pytest.StashKey[dict]()
_SHARD_PATTERN = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True)
class ShardSpec:
    index: int  # 1-based, as written on the command line
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse_shard(text: str) -> ShardSpec:
    """``"2/3"`` -> ShardSpec(2, 3); anything else is a ValueError saying what is expected."""
    match = _SHARD_PATTERN.match(text or "")
    if not match:
        raise ValueError(f"--shard {text!r}: expected K/N with whole numbers, e.g. --shard 2/3")
    index, count = int(match.group(1)), int(match.group(2))
    if count < 1 or not 1 <= index <= count:
        raise ValueError(f"--shard {text!r}: K must be between 1 and N (N >= 1), e.g. --shard 1/{max(count, 1)}")
    return ShardSpec(index, count)


def _shard_option(text: str) -> ShardSpec:
    try:
        return parse_shard(text)
    except ValueError as error:
        raise pytest.UsageError(str(error)) from None


def module_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def load_durations(path: Path) -> dict[str, float]:
    """The durations file as ``{nodeid: seconds}``; {} when missing. A broken file is a UsageError."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    try:
        data = json.loads(text)
    except ValueError as error:
        raise pytest.UsageError(f"durations file {path}: not valid JSON ({error}); fix it or refresh it "
                                f"with --store-durations") from None
    if not isinstance(data, dict) or not all(isinstance(v, (int, float)) and v >= 0 for v in data.values()):
        raise pytest.UsageError(f"durations file {path}: expected a JSON object {{test id: seconds >= 0}}")
    return {str(k): float(v) for k, v in data.items()}


def estimate(nodeids: Iterable[str], durations: Mapping[str, float]) -> tuple[dict[str, float], int]:
    """Estimated seconds per module, and how many tests had no recorded duration."""
    known = [durations[n] for n in nodeids if n in durations]
    fallback = statistics.median(known) if known else FALLBACK_SECONDS
    # A test measured at 0.0 s (skipped) should still cost something, or
    # modules of skipped tests would all pile onto one shard.
    fallback = max(fallback, 0.01)
    per_module: dict[str, float] = defaultdict(float)
    unknown = 0
    for nodeid in nodeids:
        seconds = durations.get(nodeid)
        if seconds is None:
            unknown += 1
            seconds = fallback
        per_module[module_of(nodeid)] += max(seconds, 0.01)
    return dict(per_module), unknown


def plan_shards(module_seconds: Mapping[str, float], count: int) -> list[list[str]]:
    """Modules per shard (index 0 = shard 1): longest first, each to the least loaded shard.

    Deterministic: ties between modules break by name, ties between shards by index.
    """
    shards: list[list[str]] = [[] for _ in range(count)]
    loads = [(0.0, index) for index in range(count)]
    heapq.heapify(loads)
    for module in sorted(module_seconds, key=lambda m: (-module_seconds[m], m)):
        load, index = heapq.heappop(loads)
        shards[index].append(module)
        heapq.heappush(loads, (load + module_seconds[module], index))
    return shards


def durations_path(config: pytest.Config) -> Path:
    value = config.getoption("marvin_durations_file", default=None)
    if value:
        path = Path(value).expanduser()
        return path if path.is_absolute() else Path(config.invocation_params.dir) / path
    return Path(config.rootpath) / DEFAULT_DURATIONS_FILE


def selection_digest(nodeids: Iterable[str]) -> str:
    """Same for every shard of one selection: lets the merge tell shards of different runs apart."""
    return hashlib.sha256("\n".join(sorted(nodeids)).encode("utf-8")).hexdigest()[:16]


# --- hooks -----------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("marvin2")
    group.addoption("--shard", dest="marvin_shard", metavar="K/N", type=_shard_option, default=None,
                    help="run only shard K of N: disjoint parts of the selection made of whole modules, "
                         "balanced by the durations file (see --durations-file).")
    group.addoption("--durations-file", dest="marvin_durations_file", metavar="PATH", default=None,
                    help=f"recorded test durations used by --shard (default {DEFAULT_DURATIONS_FILE} "
                         f"under the rootdir).")
    group.addoption("--store-durations", dest="marvin_store_durations", action="store_true", default=False,
                    help="write the durations of the tests that ran into the durations file (others are kept).")


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_SPEC] = config.getoption("marvin_shard", default=None)
    config.stash[_MEASURED] = defaultdict(float)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list) -> None:
    """After tag selection (markers.py runs tryfirst), keep this shard's modules."""
    spec = config.stash.get(_SPEC, None)
    if spec is None:
        return
    path = durations_path(config)
    durations = load_durations(path)
    nodeids = [item.nodeid for item in items]
    module_seconds, unknown = estimate(nodeids, durations)
    shards = plan_shards(module_seconds, spec.count)
    mine = set(shards[spec.index - 1])
    kept = [item for item in items if module_of(item.nodeid) in mine]
    dropped = [item for item in items if module_of(item.nodeid) not in mine]
    config.stash[_PLAN] = {
        "shard": spec.index,
        "of": spec.count,
        "selection_digest": selection_digest(nodeids),
        "selected": len(nodeids),
        "selected_modules": len(module_seconds),
        "modules": sorted(mine),
        "tests": [item.nodeid for item in kept],
        "estimated_seconds": round(sum(module_seconds[m] for m in mine), 2),
        "estimated_seconds_per_shard": [round(sum(module_seconds[m] for m in shard), 2) for shard in shards],
        "durations_file": str(path),
        "tests_without_duration": unknown,
    }
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def pytest_collection_finish(session: pytest.Session) -> None:
    plan = session.config.stash.get(_PLAN, None)
    context = session.config.stash.get(RUN_CONTEXT, None)
    if plan is None or context is None or session.config.option.collectonly:
        return
    # Every xdist worker writes the same plan (atomically): whoever is first, the file is right.
    _write_json(context.results_dir / SHARD_FILE, plan)


def pytest_report_collectionfinish(config: pytest.Config, start_path, items) -> list[str] | None:
    plan = config.stash.get(_PLAN, None)
    if plan is None:
        return None
    return [f"marvin2 shard {plan['shard']}/{plan['of']}: {len(plan['tests'])} of {plan['selected']} selected tests "
            f"({len(plan['modules'])} modules), estimated {plan['estimated_seconds']:.0f}s; shards "
            + ", ".join(f"{s:.0f}s" for s in plan["estimated_seconds_per_shard"])
            + (f"; {plan['tests_without_duration']} test(s) without a recorded duration"
               if plan["tests_without_duration"] else "")]


class _DurationRecorder:
    """Sums setup + call + teardown per test on the process that sees every report."""

    def __init__(self, measured: dict):
        self.measured = measured

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if getattr(report, "outcome", None) == "rerun":
            return  # a failed attempt that was retried: the passing attempt is the cost to plan with
        # Time spent waiting for the serial lock is the run's, not the test's.
        waited = sum(float(value) for name, value in report.user_properties or () if name == WAIT_PROPERTY)
        self.measured[report.nodeid] += max((report.duration or 0.0) - waited, 0.0)


@pytest.hookimpl(trylast=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    config = session.config
    if config.getoption("marvin_store_durations", default=False) and not hasattr(config, "workerinput"):
        config.pluginmanager.register(_DurationRecorder(config.stash[_MEASURED]), "marvin2.sharding.recorder")


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if hasattr(config, "workerinput"):
        return
    plan = config.stash.get(_PLAN, None)
    if plan is not None and not plan["tests"] and plan["selected"] and \
            session.exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED:
        # More shards than modules: an empty shard is not an error of the run.
        session.exitstatus = pytest.ExitCode.OK
        _write_line(config, f"marvin2 shard {plan['shard']}/{plan['of']} is empty: the selection has only "
                            f"{plan['selected_modules']} module(s) to share out")
    measured = config.stash.get(_MEASURED, {})
    if config.getoption("marvin_store_durations", default=False) and measured:
        path = durations_path(config)
        durations = load_durations(path)
        durations.update({nodeid: round(seconds, 2) for nodeid, seconds in measured.items()})
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_json(path, dict(sorted(durations.items())))
        _write_line(config, f"marvin2: stored the durations of {len(measured)} test(s) in {path}")


def _write_json(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    os.replace(temporary, path)


def _write_line(config: pytest.Config, text: str) -> None:
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(text)
