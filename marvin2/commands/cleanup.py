"""``marvin2 cleanup``: delete what a run left behind.

    marvin2 cleanup [--run-id ID] [--results-dir DIR] [--config PATH] [--dry-run]

Leftovers come from the run's ledger (created, never deleted), from the
``marvin2-run=<run id>`` resource tag and from resource names (every name a
run makes contains its run id). They are deleted as the config's admin, in
dependency order (VMs, rules, snapshots, templates, volumes, IPs, networks,
VPCs, users, accounts, domains), each async delete waited for; "already gone"
counts as done. What was deleted is appended to the run's ledger.

Without ``--config``, the config the run recorded in its ``run.json`` is
used (the run's cloud); a ``--config`` pointing at another cloud or identity
than the run's is refused. Without ``--run-id``, the latest run found in the
results directory is cleaned. Exit codes: 0 nothing left, 1 something could not be deleted,
2 the cleanup could not run (no such run, bad config, cloud unreachable).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

DEFAULT_RUNS_DIR = Path(".marvin2") / "runs"


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "cleanup", help="delete the resources a run left behind (ledger + run tag + names)",
        description="Delete leftovers of a marvin2 run, in dependency order, as the config's admin.")
    parser.add_argument("--run-id", default=None, help="the run to clean (default: the latest in the results directory)")
    parser.add_argument("--results-dir", type=Path, default=None,
                        help=f"the run's results directory, or a directory of runs (default: {DEFAULT_RUNS_DIR}/<run-id>, "
                             f"else {DEFAULT_RUNS_DIR})")
    parser.add_argument("--config", type=Path, default=None,
                        help="marvin2 config of the cloud (default: the one the run recorded in its run.json, "
                             "else configs/simulator.yaml); refused if it points at another cloud than the run's")
    parser.add_argument("--dry-run", action="store_true", help="only list what would be deleted")
    parser.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                        help="wait for each async delete at most this long (default: the config's job timeout)")
    parser.add_argument("--no-search", action="store_true",
                        help="use only the ledger (do not search the cloud by run tag and name)")
    parser.set_defaults(func=run)


def _error(text: str) -> int:
    print(f"error: {text}", file=sys.stderr)
    return 2


def resolve_run(run_id: str | None, results_dir: Path | None) -> tuple[str, Path]:
    """``(run_id, directory holding its ledger)``; raises ValueError explaining what is missing."""
    from marvin2.resources.ledger import run_ids

    if results_dir is None:
        results_dir = DEFAULT_RUNS_DIR / run_id if run_id and (DEFAULT_RUNS_DIR / run_id).is_dir() else DEFAULT_RUNS_DIR
    if run_id:
        return run_id, results_dir
    if not results_dir.is_dir():
        raise ValueError(f"no results directory {results_dir}; give --run-id and/or --results-dir")
    found = run_ids(results_dir)
    if not found:
        raise ValueError(f"no ledger under {results_dir}; give --run-id to search the cloud by run tag and names")
    return found[-1], results_dir


def run(args: argparse.Namespace) -> int:
    from marvin2.config import ConfigError, default_config_path, load_config
    from marvin2.resources import ledger as L
    from marvin2.resources.sweep import collect_leftovers, delete_leftovers

    try:
        run_id, results_dir = resolve_run(args.run_id, args.results_dir)
    except ValueError as error:
        return _error(str(error))
    from marvin2.run_record import RUN_RECORD, mismatch, read_run_record

    record = read_run_record(results_dir) if results_dir.is_dir() else None
    if args.config is None and record is not None and record.get("config"):
        config_path = Path(record["config"])  # the run's own config: its cloud, not the default's
        if not config_path.is_file():
            return _error(f"run {run_id} used the config {config_path} ({results_dir / RUN_RECORD}), which no longer "
                          "exists; give the config of that cloud with --config")
        print(f"run {run_id}: using the run's config {config_path}")
    else:
        config_path = args.config or default_config_path()
    try:
        config = load_config(config_path)
    except ConfigError as error:
        return _error(str(error))
    if record is not None:
        different = mismatch(record, config)
        if different is not None:
            return _error(f"refusing to clean run {run_id} with {config_path}: {different} "
                          f"(recorded in {results_dir / RUN_RECORD}); give the config of the run's cloud with --config")
    if config.simulator is not None and config.simulator.db in (None, "", ":memory:"):
        print(f"run {run_id}: {config_path} starts an embedded simulator with an in-memory database: "
              "its resources ended with the process that ran it; nothing to clean")
        return 0

    ledger = L.read_ledger(results_dir, run_id=run_id) if results_dir.is_dir() else []
    outstanding = L.outstanding(ledger)
    print(f"run {run_id}: ledger in {results_dir}: {len(ledger)} resource(s) recorded, {len(outstanding)} not deleted")

    import marvin2

    timeout = args.timeout if args.timeout is not None else (config.timeouts or {}).get("job")
    try:
        api = marvin2.connect(config=config_path)
    except Exception as error:  # noqa: BLE001 - report and stop: nothing can be deleted
        return _error(f"cannot connect to the cloud of {config_path}: {type(error).__name__}: {error}")
    writer = None
    try:
        leftovers = collect_leftovers(api, run_id, ledger, use_tags=not args.no_search, use_names=not args.no_search)
        if not leftovers:
            print("nothing left to delete")
            return 0
        if not args.dry_run and results_dir.is_dir():
            writer = L.LedgerWriter(results_dir, run_id=run_id, worker="cleanup")

        def progress(outcome: str, item, error) -> None:
            label = f"{item.kind} {item.id}" + (f" ({item.name})" if item.name else "")
            found = ",".join(sorted(item.sources))
            if outcome == "failed":
                print(f"  FAILED     {label} [{found}]: {type(error).__name__}: {error}")
            else:
                print(f"  {outcome:<10} {label} [{found}]")
            if writer is not None and outcome in ("deleted", "already-gone", "failed"):
                event = {"deleted": L.DELETED, "already-gone": L.ALREADY_GONE, "failed": L.DELETE_FAILED}[outcome]
                writer.record(event, kind=item.kind, resource_id=item.id, name=item.name,
                              error=f"{type(error).__name__}: {error}" if error else None)

        print(f"{'would delete' if args.dry_run else 'deleting'} {len(leftovers)} leftover(s), in dependency order:")
        result = delete_leftovers(api, leftovers, dry_run=args.dry_run, timeout=timeout, progress=progress)
    except Exception as error:  # noqa: BLE001 - e.g. the cloud went away mid-way
        return _error(f"cleanup of run {run_id} stopped: {type(error).__name__}: {error}")
    finally:
        if writer is not None:
            writer.close()
        api.close()

    if args.dry_run:
        print(f"dry run: {len(result.would_delete)} would be deleted, {len(result.already_gone)} already gone")
        return 0
    print(f"done: {len(result.deleted)} deleted, {len(result.already_gone)} already gone, {len(result.failed)} failed")
    for item in result.still_present:
        print(f"  still present after delete: {item.kind} {item.id}")
    return 0 if result.ok else 1
