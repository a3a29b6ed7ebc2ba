"""``marvin2 report merge``: join the results of several runs (CI shards) into one.

    marvin2 report merge shard-1/ shard-2/ shard-3/ -o merged/ [--config cloud.yaml] [--history-from DIR]

Each DIR is a results directory of ``marvin2 run`` (typically ``--shard K/N``
on K different CI machines). The merged folder has:

- ``allure/``: every shard's allure results (one report for ``allure serve``),
  one ``environment.properties`` (values that differ between shards are
  joined), ``categories.json`` and ``history/`` (the trends; with
  ``--history-from`` they go on from an earlier merged folder, see
  marvin2/allure_history.py);
- ``junit.xml``: every shard's test suites under one ``<testsuites>``, each
  suite named after its shard;
- ``ledger/``: every shard's ledger files, prefixed with the shard;
- one leak check: with ``--config``, every resource the ledgers say was
  created and not deleted is looked up in that cloud now (do this when the
  shards share one cloud: it also catches what a shard's own check could not
  see yet); without, the shards' own leak checks are joined and shards that
  did not check are named. ``ledger-summary.json`` always, ``leaks.json``
  when something was left behind;
- ``summary.json``: counts, flaky tests, per-shard figures, and the shard
  checks: the shards' ``shard.json`` must be of one selection (same N and
  digest), have different K, no test in two shards, and together cover every
  selected test.

Exit status: 0 every test passed, nothing leaked and the shards are complete;
1 otherwise (the summary says why); 2 the merge could not be done (bad input).
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from marvin2.commands.run import RESULTS_MARKER, junit_counts, junit_flaky, prepare_results_dir

_ALLURE_SHARED_FILES = ("environment.properties", "categories.json")


class MergeError(Exception):
    """The inputs cannot be merged (missing folder, unreadable file...)."""


def register(subparsers) -> None:
    parser = subparsers.add_parser("report", help="work with results folders (merge CI shards)",
                                   description="Work with marvin2 results folders.")
    actions = parser.add_subparsers(dest="report_action", metavar="ACTION")
    merge = actions.add_parser(
        "merge", help="join the results of several runs (CI shards) into one results folder",
        description="Join allure results, JUnit XML and ledgers of several `marvin2 run` results folders "
                    "into one, with one summary and one leak check.")
    merge.add_argument("dirs", nargs="+", metavar="DIR", help="results folders of the runs to join")
    merge.add_argument("-o", "--output", default=str(Path(".marvin2") / "merged"), metavar="DIR",
                       help="merged results folder (default .marvin2/merged; cleared first if marvin2 made it)")
    merge.add_argument("--config", metavar="PATH",
                       help="check the ledgers' outstanding resources against this cloud (one leak check)")
    merge.add_argument("--history-from", metavar="DIR",
                       help="an earlier merged folder whose allure history (trends) to continue")
    merge.set_defaults(func=run_merge)
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])


@dataclass
class Shard:
    path: Path
    label: str
    plan: dict | None = None
    counts: dict | None = None
    flaky: list = field(default_factory=list)
    testcases: list = field(default_factory=list)  # (classname, name)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise MergeError(f"{path}: unreadable ({error})") from None


def load_shards(dirs: list[str]) -> list[Shard]:
    shards, labels = [], set()
    for text in dirs:
        path = Path(text).expanduser().resolve()
        if not path.is_dir():
            raise MergeError(f"{text}: no such results folder")
        if not any((path / name).exists() for name in ("junit.xml", "allure", "ledger", "shard.json")):
            raise MergeError(f"{text}: not a marvin2 results folder (no junit.xml, allure/, ledger/ or shard.json)")
        plan = _read_json(path / "shard.json")
        label = f"shard-{plan['shard']}-of-{plan['of']}" if isinstance(plan, dict) and "shard" in plan else path.name
        base, number = label, 2
        while label in labels:
            label, number = f"{base}-{number}", number + 1
        labels.add(label)
        shards.append(Shard(path, label, plan if isinstance(plan, dict) else None))
    return shards


# --- the pieces ---------------------------------------------------------------------------


def merge_allure(shards: list[Shard], target: Path) -> int:
    """Copies every shard's allure files; returns how many test results were copied."""
    target.mkdir(parents=True, exist_ok=True)
    environment: dict[str, list[str]] = {}
    results = 0
    for shard in shards:
        source = shard.path / "allure"
        if not source.is_dir():
            continue
        for path in sorted(source.iterdir()):
            if path.is_dir() or path.name in _ALLURE_SHARED_FILES:
                continue
            destination = target / path.name
            if destination.exists():  # names are uuids; a clash means the same file was given twice
                destination = target / f"{shard.label}-{path.name}"
            shutil.copy2(path, destination)
            results += path.name.endswith("-result.json")
        for line in _lines(source / "environment.properties"):
            key, _, value = line.partition("=")
            if value not in environment.setdefault(key, []):
                environment[key].append(value)
        if (source / "categories.json").is_file() and not (target / "categories.json").exists():
            shutil.copy2(source / "categories.json", target / "categories.json")
    environment["marvin2.shards"] = [str(len(shards))]
    (target / "environment.properties").write_text(
        "".join(f"{key}={' | '.join(values)}\n" for key, values in sorted(environment.items())), encoding="utf-8")
    return results


def _lines(path: Path) -> list[str]:
    try:
        return [line for line in path.read_text(encoding="utf-8").splitlines() if "=" in line]
    except OSError:
        return []


def merge_junit(shards: list[Shard], target: Path) -> None:
    root = ElementTree.Element("testsuites", name="marvin2 merged")
    for shard in shards:
        path = shard.path / "junit.xml"
        if not path.is_file():
            continue
        try:
            tree = ElementTree.parse(path).getroot()
        except ElementTree.ParseError as error:
            raise MergeError(f"{path}: not valid XML ({error})") from None
        shard.counts = junit_counts(path)
        shard.flaky = junit_flaky(path)
        for suite in ([tree] if tree.tag == "testsuite" else tree.findall("testsuite")):
            suite.set("name", f"{shard.label}: {suite.get('name', 'pytest')}")
            shard.testcases += [(case.get("classname"), case.get("name")) for case in suite.iter("testcase")]
            root.append(suite)
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for suite in root.findall("testsuite"):
        for key in totals:
            totals[key] += int(suite.get(key, 0) or 0)
    for key, value in totals.items():
        root.set(key, str(value))
    ElementTree.ElementTree(root).write(target, encoding="utf-8", xml_declaration=True)


def merge_ledgers(shards: list[Shard], target: Path) -> int:
    copied = 0
    for shard in shards:
        for path in sorted((shard.path / "ledger").glob("*.jsonl")):
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target / f"{shard.label}-{path.name}")
            copied += 1
    return copied


def check_shards(shards: list[Shard]) -> list[str]:
    """Problems with the shard plans: mixed selections, the same K twice, overlaps, gaps."""
    plans = [s for s in shards if s.plan]
    if not plans:
        return []
    problems = []
    if len(plans) != len(shards):
        problems.append("some folders have no shard.json (not run with --shard): "
                        + ", ".join(s.label for s in shards if not s.plan))
    selections = {(s.plan.get("of"), s.plan.get("selection_digest")) for s in plans}
    if len(selections) > 1:
        problems.append("the shards come from different selections or shard counts: "
                        + ", ".join(f"{s.label} (N={s.plan.get('of')}, selection {s.plan.get('selection_digest')})"
                                    for s in plans))
    owner: dict[str, str] = {}
    for shard in plans:
        for nodeid in shard.plan.get("tests", []):
            if nodeid in owner:
                problems.append(f"{nodeid} is in both {owner[nodeid]} and {shard.label}")
            owner.setdefault(nodeid, shard.label)
    count = plans[0].plan.get("of")
    present = sorted({s.plan.get("shard") for s in plans})
    missing = [k for k in range(1, (count or 0) + 1) if k not in present]
    if missing:
        problems.append(f"missing shard(s) {', '.join(f'{k}/{count}' for k in missing)}")
    selected = plans[0].plan.get("selected")
    if not missing and len(selections) == 1 and selected is not None and len(owner) != selected:
        problems.append(f"the shards ran {len(owner)} distinct tests of a selection of {selected}")
    return problems[:50]


def leak_check(shards: list[Shard], out: Path, config: str | None) -> dict:
    """One verdict on resources left behind, over every shard's ledger."""
    from marvin2.resources import ledger as L

    if config:
        return _leak_check_against_cloud(out, config)
    leaks, created, unchecked = [], 0, []
    for shard in shards:
        summary = _read_json(shard.path / "ledger-summary.json")
        found = _read_json(shard.path / "leaks.json")
        has_ledger = any((shard.path / "ledger").glob("*.jsonl"))
        if isinstance(summary, dict):
            created += int(summary.get("created", 0) or 0)
        elif has_ledger:
            unchecked.append(shard.label)
            created += len(L.read_ledger(shard.path))
        if isinstance(found, dict):
            leaks += [dict(leak, shard=shard.label) for leak in found.get("leaks", [])]
    return {"checked": "by each shard against its own cloud", "created": created, "leaks": leaks,
            "unchecked_shards": unchecked}


def _leak_check_against_cloud(out: Path, config: str) -> dict:
    from types import SimpleNamespace

    import marvin2
    from marvin2.pytest_plugin.ledger import check_leaks
    from marvin2.resources import ledger as L

    try:
        api = marvin2.connect(config=config)
    except Exception as error:  # noqa: BLE001 - the merge cannot make its one check: say why
        raise MergeError(f"--config {config}: cannot connect: {type(error).__name__}: {error}") from None
    leaks, created, unverified = [], 0, []
    try:
        for run_id in L.run_ids(out):
            summary = check_leaks(api, SimpleNamespace(results_dir=out, run_id=run_id))
            created += summary["created"]
            leaks += summary["leaks"]
            unverified += summary["unverified"]
    finally:
        api.close()
    return {"checked": f"against the cloud of {config}", "created": created, "leaks": leaks,
            "unverified": unverified, "unchecked_shards": []}


# --- the command ------------------------------------------------------------------------------


def merge(dirs: list[str], output: str, *, config: str | None = None, history_from: str | None = None) -> dict:
    shards = load_shards(dirs)
    if history_from and not (Path(history_from).expanduser() / "allure" / "history" / "history-trend.json").is_file():
        raise MergeError(f"--history-from {history_from}: no allure history there (allure/history/history-trend.json)")
    out = Path(output).expanduser().resolve()
    if any(out == s.path or out in s.path.parents for s in shards):
        raise MergeError(f"--output {output} is (or contains) one of the folders to merge")
    try:
        prepare_results_dir(out)
    except SystemExit as error:
        raise MergeError(str(error).replace("marvin2 run: ", "").replace("--results-dir", "--output")) from None
    (out / RESULTS_MARKER).write_text("made by `marvin2 report merge`; cleared when merged into again\n",
                                      encoding="utf-8")
    results = merge_allure(shards, out / "allure")
    merge_junit(shards, out / "junit.xml")
    ledgers = merge_ledgers(shards, out / "ledger")
    leaks = leak_check(shards, out, config)
    _write(out / "ledger-summary.json", {k: (len(v) if k == "leaks" else v) for k, v in leaks.items()})
    if leaks["leaks"]:
        _write(out / "leaks.json", {"leaks": leaks["leaks"], "cleanup_command":
                                    f"marvin2 cleanup --results-dir {out} --run-id RUN_ID (one per run id)"})
    history_note = _write_history(Path(history_from).expanduser() if history_from else None, out, label=out.name)
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for shard in shards:
        for key in totals:
            totals[key] += (shard.counts or {}).get(key, 0)
    summary = {
        "merged": [str(s.path) for s in shards],
        "output": str(out),
        "tests": totals["tests"],
        "passed": totals["tests"] - totals["failures"] - totals["errors"] - totals["skipped"],
        "failed": totals["failures"], "errors": totals["errors"], "skipped": totals["skipped"],
        "flaky": sorted(f for s in shards for f in s.flaky),
        "allure_results": results, "ledger_files": ledgers,
        "leaks": len(leaks["leaks"]), "leak_check": leaks["checked"],
        "unchecked_shards": leaks.get("unchecked_shards", []),
        "shard_problems": check_shards(shards),
        "shards": [{"label": s.label, "path": str(s.path), "counts": s.counts,
                    "estimated_seconds": (s.plan or {}).get("estimated_seconds")} for s in shards],
        "history": history_note,
    }
    _write(out / "summary.json", summary)
    return summary


def _write_history(source: Path | None, out: Path, *, label: str) -> str:
    """This merge's allure history: a new one, or the one of ``source`` (an earlier merged folder) continued."""
    from marvin2 import allure_history

    history_dir = out / "allure" / "history"  # empty: a fresh start
    if source is not None:
        history_dir = source / "allure" / "history"
    files = allure_history.updated_history(allure_history.read_history(history_dir),
                                           allure_history.read_results(out / "allure"), report_name=label)
    allure_history.write_history(out / "allure" / "history", files)
    return f"{len(files['history-trend.json'])} run(s) in the allure trends" + (
        f" (continued from {source})" if source is not None else "")


def _write(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")


def summary_lines(summary: dict) -> list[str]:
    lines = [f"marvin2 report merge: {len(summary['merged'])} results folder(s) -> {summary['output']}",
             f"  {summary['passed']} passed, {summary['failed']} failed, {summary['errors']} errors, "
             f"{summary['skipped']} skipped ({summary['tests']} tests)"
             + (f"; {len(summary['flaky'])} flaky (passed on a rerun)" if summary["flaky"] else "")]
    for shard in summary["shards"]:
        counts = shard["counts"] or {}
        lines.append(f"  {shard['label']:<16} {counts.get('tests', 0):>5} tests, {counts.get('failures', 0)} failed, "
                     f"{counts.get('errors', 0)} errors  ({shard['path']})")
    if summary["leaks"]:
        lines.append(f"  {summary['leaks']} resource(s) left behind, checked {summary['leak_check']} "
                     f"(see {Path(summary['output']) / 'leaks.json'})")
    else:
        lines.append(f"  no resources left behind (checked {summary['leak_check']})")
    if summary["unchecked_shards"]:
        lines.append(f"  no leak check ran in: {', '.join(summary['unchecked_shards'])} (give --config to check them)")
    for problem in summary["shard_problems"]:
        lines.append(f"  SHARDS: {problem}")
    if summary["history"]:
        lines.append(f"  history: {summary['history']}")
    lines.append(f"  allure:  {Path(summary['output']) / 'allure'}   ({summary['allure_results']} results)")
    lines.append(f"  junit:   {Path(summary['output']) / 'junit.xml'}")
    return lines


def run_merge(args: argparse.Namespace) -> int:
    started = time.monotonic()
    try:
        summary = merge(args.dirs, args.output, config=args.config, history_from=args.history_from)
    except MergeError as error:
        print(f"marvin2 report merge: {error}", file=sys.stderr)
        return 2
    for line in summary_lines(summary):
        print(line)
    print(f"  merged in {time.monotonic() - started:.1f}s")
    bad = summary["failed"] or summary["errors"] or summary["leaks"] or summary["shard_problems"] \
        or summary["unchecked_shards"]
    return 1 if bad else 0
