"""``marvin2 run``: pytest with the defaults a CloudStack test run wants.

    marvin2 run --tags quick-test -n auto
    marvin2 run --config configs/my-cloud.yaml --tags vpc,!slow -- -x -k egress

What it adds to plain ``pytest``:
- a run id and a fresh results directory (``.marvin2/runs/<run-id>``),
  cleared BEFORE pytest starts: allure's ``--clean-alluredir`` would race
  between xdist workers;
- allure results (``<results>/allure``) and JUnit XML (``<results>/junit.xml``);
- ``--dist loadscope`` with ``-n``: a module's tests stay on one worker, so
  module-scoped fixtures (networks, VMs) are made once (``loadgroup`` is
  broken by pytest 9.2);
- default test paths ``tests/smoke tests/component``;
- a closing summary saying what ran and where the results are, including
  the tests that passed only on a rerun (``--reruns N``, counted from the
  ``marvin2_flaky`` JUnit property);
- allure trends: the history of the newest earlier run under the same
  results root (the parent folder of the results directory, or the results
  directory itself when it is reused) is carried into
  ``<results>/allure/history/`` together with this run's outcomes
  (marvin2/allure_history.py), so ``allure serve``/``generate`` shows each
  test's last outcomes and durations; ``--no-history`` starts afresh.

``--shard K/N``, ``--store-durations`` and ``--reruns N`` are pytest
options (marvin2's sharding plugin, pytest-rerunfailures) passed through.

Every option not listed in ``marvin2 run --help`` goes to pytest unchanged.
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import sys
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from marvin2.commands._interrupt import run_pytest

DEFAULT_TEST_PATHS = ("tests/smoke", "tests/component")
RESULTS_MARKER = ".marvin2-results"  # only directories carrying it are ever cleared


class _PassThroughParser(argparse.ArgumentParser):
    """Keeps unknown arguments, in order, for pytest instead of rejecting them."""

    def parse_known_args(self, args=None, namespace=None):
        namespace, extras = super().parse_known_args(args, namespace)
        passed = list(getattr(namespace, "pytest_args", None) or [])
        if extras and extras[0] == "--":
            extras = extras[1:]
        namespace.pytest_args = passed + extras
        return namespace, []


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "run",
        help="run CloudStack tests with pytest (tags, xdist, allure, junit)",
        description="Run the test packs with pytest: a fresh results directory, allure and JUnit XML "
                    "results, --dist loadscope under -n, and a summary at the end. Every argument not "
                    "listed here is passed to pytest (paths, -x, -k EXPR, ...).",
        allow_abbrev=False,  # never swallow a pytest option that starts like one of ours
    )
    parser.__class__ = _PassThroughParser
    parser.add_argument("--config", metavar="PATH", help="marvin2 config (default configs/simulator.yaml: the embedded simulator)")
    parser.add_argument("--tags", action="append", default=[], metavar="TAG[,TAG...]",
                        help="Marvin-style selection: commas = all of, repeat = any of, !tag = not")
    parser.add_argument("-m", dest="markexpr", metavar="EXPR", help="pytest marker expression, e.g. 'quick_test and not slow'")
    parser.add_argument("-n", dest="numprocesses", metavar="auto|N", help="xdist workers (adds --dist loadscope)")
    parser.add_argument("--zone", help="zone to test in (overrides the config)")
    parser.add_argument("--hypervisor", help="hypervisor under test (overrides the config)")
    parser.add_argument("--required-hardware", choices=["true", "false"], help="select by required_hardware")
    parser.add_argument("--run-id", help="identifier of the run (default: generated)")
    parser.add_argument("--results-dir", metavar="DIR", help="results directory (default .marvin2/runs/<run-id>)")
    parser.add_argument("--keep-resources", action="store_true", help="do not delete created resources")
    parser.add_argument("--no-leak-check", action="store_true", help="skip the end-of-run leak check")
    parser.add_argument("--account-scope", choices=["worker", "module"], help="test account per worker or module")
    parser.add_argument("--simulator-profile", choices=["instant", "fast", "realistic"],
                        help="timing profile of the embedded simulator (overrides the config)")
    parser.add_argument("--no-history", action="store_true",
                        help="do not carry allure history (trends) over from the previous run")
    parser.set_defaults(func=run, pytest_args=[])


def new_run_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(3)


def prepare_results_dir(path: Path) -> None:
    """An empty results directory; refuses to clear one marvin2 did not make."""
    if path.exists():
        if not path.is_dir():
            raise SystemExit(f"marvin2 run: --results-dir {path} is a file")
        if any(path.iterdir()) and not (path / RESULTS_MARKER).exists():
            raise SystemExit(f"marvin2 run: refusing to clear {path}: it is not empty and was not made by "
                             f"marvin2 run (no {RESULTS_MARKER} file); choose another --results-dir")
        shutil.rmtree(path)
    path.mkdir(parents=True)
    (path / RESULTS_MARKER).write_text("made by `marvin2 run`; cleared at the start of each run using it\n",
                                       encoding="utf-8")


def _names_paths(pytest_args: list[str]) -> bool:
    """Whether the pass-through arguments name tests (an existing path, or path::node)."""
    return any(not arg.startswith("-") and Path(arg.split("::", 1)[0]).exists() for arg in pytest_args)


def build_pytest_args(args: argparse.Namespace, run_id: str, results_dir: Path) -> list[str]:
    extra = list(args.pytest_args)
    command: list[str] = []
    if not _names_paths(extra):
        paths = [p for p in DEFAULT_TEST_PATHS if Path(p).is_dir()]
        if not paths:
            raise SystemExit(f"marvin2 run: no test paths given and none of {', '.join(DEFAULT_TEST_PATHS)} "
                             f"exists under {Path.cwd()}")
        command += paths
    if args.config:
        command += ["--marvin-config", args.config]
    for value in args.tags:
        command += ["--tags", value]
    if args.markexpr:
        command += ["-m", args.markexpr]
    if args.numprocesses is not None:
        command += ["-n", args.numprocesses]
        if args.numprocesses != "0" and not any(a == "--dist" or a.startswith("--dist=") for a in extra):
            command += ["--dist", "loadscope"]
    for option, value in (("--zone", args.zone), ("--hypervisor", args.hypervisor),
                          ("--required-hardware", args.required_hardware), ("--account-scope", args.account_scope),
                          ("--simulator-profile", args.simulator_profile)):
        if value:
            command += [option, value]
    if args.keep_resources:
        command.append("--keep-resources")
    if args.no_leak_check:
        command.append("--no-leak-check")
    command += ["--run-id", run_id, "--results-dir", str(results_dir),
                "--alluredir", str(results_dir / "allure"), "--junitxml", str(results_dir / "junit.xml")]
    return command + extra


def junit_counts(path: Path) -> dict[str, int] | None:
    """tests/failures/errors/skipped summed over the suites of a JUnit XML file."""
    try:
        root = ElementTree.parse(path).getroot()
    except (OSError, ElementTree.ParseError):
        return None
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for suite in suites:
        for key in counts:
            counts[key] += int(suite.get(key, 0) or 0)
    return counts


def junit_flaky(path: Path) -> list[str]:
    """``classname::name`` of the test cases carrying the ``marvin2_flaky`` property (passed on a rerun)."""
    try:
        root = ElementTree.parse(path).getroot()
    except (OSError, ElementTree.ParseError):
        return []
    return [f"{case.get('classname')}::{case.get('name')}" for case in root.iter("testcase")
            if any(p.get("name") == "marvin2_flaky" for p in case.iter("property"))]


def _summary(run_id: str, results_dir: Path, exit_code: int, elapsed: float) -> list[str]:
    lines = [f"marvin2 run {run_id}: pytest exit code {exit_code} after {elapsed:.1f}s"]
    counts = junit_counts(results_dir / "junit.xml")
    if counts is not None:
        passed = counts["tests"] - counts["failures"] - counts["errors"] - counts["skipped"]
        flaky = len(junit_flaky(results_dir / "junit.xml"))
        lines.append(f"  {passed} passed, {counts['failures']} failed, {counts['errors']} errors, "
                     f"{counts['skipped']} skipped" + (f"; {flaky} flaky (passed on a rerun)" if flaky else ""))
    leaks = results_dir / "leaks.json"           # written by the ledger only when something stayed
    summary = results_dir / "ledger-summary.json"  # written whenever the leak check ran
    if leaks.is_file():
        try:
            data = json.loads(leaks.read_text(encoding="utf-8"))
            found = data.get("leaks", []) if isinstance(data, dict) else data
            lines.append(f"  {len(found)} resource(s) left behind (see {leaks}; "
                         f"`marvin2 cleanup --run-id {run_id} --results-dir {results_dir}`)")
        except (OSError, ValueError):
            lines.append(f"  leak report unreadable: {leaks}")
    elif summary.is_file():
        try:
            data = json.loads(summary.read_text(encoding="utf-8"))
            created, kept = data.get("created", "?"), len(data.get("kept") or [])
            if kept:
                lines.append(f"  {created} resource(s) created, kept {kept} resource(s) (--keep-resources); "
                             f"remove them with `marvin2 cleanup --run-id {run_id} --results-dir {results_dir}`")
            else:
                lines.append(f"  {created} resource(s) created, none left behind")
        except (OSError, ValueError, AttributeError):
            lines.append(f"  ledger summary unreadable: {summary}")
    lines.append(f"  results: {results_dir}")
    if (results_dir / "allure").is_dir():
        lines.append(f"  allure:  {results_dir / 'allure'}   (allure serve {results_dir / 'allure'})")
    if (results_dir / "junit.xml").is_file():
        lines.append(f"  junit:   {results_dir / 'junit.xml'}")
    return lines


def run(args: argparse.Namespace) -> int:
    run_id = args.run_id or new_run_id()
    results_dir = Path(args.results_dir).expanduser() if args.results_dir else Path(".marvin2") / "runs" / run_id
    results_dir = results_dir.resolve()
    pytest_args = build_pytest_args(args, run_id, results_dir)
    previous = None if args.no_history else _previous_history(results_dir)  # read before the folder is cleared
    prepare_results_dir(results_dir)
    command = [sys.executable, "-m", "pytest", *pytest_args]
    print("marvin2 run: " + " ".join(command[2:]), flush=True)
    started = time.monotonic()
    outcome = run_pytest(command, env=os.environ.copy())
    exit_code = outcome.exit_code
    lines = _summary(run_id, results_dir, exit_code, time.monotonic() - started)
    if not args.no_history:
        lines.append(_write_history(results_dir, previous, run_id))
    for line in lines:
        print(line)
    if outcome.interrupted:
        for line in _interrupted_lines(run_id, results_dir, outcome):
            print(line)
        return exit_code if exit_code not in (0, -signal.SIGKILL) else 130
    return exit_code


def _interrupted_lines(run_id: str, results_dir: Path, outcome) -> list[str]:
    """What an interrupted run left, and the one command that removes it."""
    from marvin2.resources import ledger as L

    left = L.outstanding(L.read_ledger(results_dir, run_id=run_id)) if L.ledger_dir(results_dir).is_dir() else []
    how = "cleanup skipped" if outcome.cleanup_skipped else "fixtures cleaned up"
    lines = [f"  interrupted ({', '.join(outcome.signals)}): {how}"]
    if left:
        kinds = ", ".join(sorted({r.kind for r in left}))
        lines.append(f"  {len(left)} resource(s) left ({kinds}); remove them with:")
    else:
        lines.append("  nothing left according to the ledger; to double-check the cloud:")
    lines.append(f"    marvin2 cleanup --run-id {run_id} --results-dir {results_dir}")
    return lines


def _previous_history(results_dir: Path) -> tuple[Path, dict] | None:
    """The allure history of the newest earlier run of this results root, read into memory."""
    from marvin2 import allure_history

    own = results_dir / "allure" / "history"
    if (results_dir / RESULTS_MARKER).is_file() and (own / "history-trend.json").is_file():
        source = own
    else:
        source = allure_history.find_previous_history(results_dir.parent, marker=RESULTS_MARKER, exclude=results_dir)
    return None if source is None else (source, allure_history.read_history(source))


def _write_history(results_dir: Path, previous: tuple[Path, dict] | None, run_id: str) -> str:
    from marvin2 import allure_history

    allure_dir = results_dir / "allure"
    if not allure_dir.is_dir():
        return "  history: no allure results, nothing to keep"
    base = previous[1] if previous else allure_history.read_history(allure_dir / "history")
    files = allure_history.updated_history(base, allure_history.read_results(allure_dir), report_name=run_id)
    allure_history.write_history(allure_dir / "history", files)
    runs = len(files["history-trend.json"])
    where = f" (carried over from {previous[0]})" if previous else ""
    return f"  history: {runs} run(s) in the allure trends{where}"
