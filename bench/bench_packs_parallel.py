"""Test-pack wall time: serial vs parallel, and the quick-test subset.

Runs the smoke and component packs with ``marvin2 run`` against the embedded
simulator under the ``realistic`` timing profile (job durations of a real
cloud, scaled down), one run after another in this process:

1. the whole packs with ``-n 0`` (serial),
2. the whole packs with ``-n 8``,
3. ``--tags quick-test`` with ``-n 4`` (goal: under 45 s),

and prints each run's wall time, outcome counts, leak check, VM deploys (from
the run's ledger), slowest modules (test time summed per module, from the
JUnit XML) and the time tests waited for ``@serial`` tests (the
``marvin2_serial_wait_seconds`` JUnit property: waits of 1 s or more), then
the speedup of (2) over (1) (goal: >= 6.5x with 8 workers).

Without the serial run (``--skip-serial``) it prints, clearly labelled as an
estimate, the parallel run's summed test time (less serial waits) over its
wall time: what ``-n 0`` would roughly take, not a measurement.

    python bench/bench_packs_parallel.py [--profile realistic] [--workers 8] [--skip-serial] [--skip-quick]
"""
from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKS = ["tests/smoke", "tests/component"]
GOAL_SPEEDUP, GOAL_QUICK_SECONDS = 6.5, 45.0
SERIAL_WAIT_PROPERTY = "marvin2_serial_wait_seconds"
SLOWEST_SHOWN = 8
_COUNTS = re.compile(r"(\d+) (passed|failed|errors?|skipped)")


def module_of(classname: str) -> str:
    """``tests.component.test_x.TestY`` -> ``tests/component/test_x.py`` (JUnit has no file attribute)."""
    parts = (classname or "?").split(".")
    if len(parts) > 1 and parts[-1][:1].isupper():
        parts = parts[:-1]
    return "/".join(parts) + ".py"


def junit_figures(path: Path) -> dict:
    """Test time per module, summed test time and serial waits, from a JUnit XML file."""
    per_module: dict[str, float] = defaultdict(float)
    waits: list[float] = []
    try:
        root = ElementTree.parse(path).getroot()
    except (OSError, ElementTree.ParseError):
        return {"modules": {}, "test_seconds": 0.0, "serial_waits": []}
    for case in root.iter("testcase"):
        per_module[module_of(case.get("classname", ""))] += float(case.get("time") or 0)
        for prop in case.iter("property"):
            if prop.get("name") == SERIAL_WAIT_PROPERTY:
                waits.append(float(prop.get("value") or 0))
    return {"modules": dict(per_module), "test_seconds": sum(per_module.values()), "serial_waits": waits}


def vm_deploys(results_dir: Path) -> int:
    """VMs the run's fixtures deployed (``created`` ledger events of deployVirtualMachine)."""
    count = 0
    for path in (results_dir / "ledger").glob("*.jsonl"):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                continue
            count += event.get("event") == "created" and event.get("command") == "deployVirtualMachine"
    return count


def run_packs(label: str, results: Path, profile: str, workers: str, *extra: str) -> dict:
    folder = results / label.replace(" ", "_")
    command = [sys.executable, "-m", "marvin2.cli", "run", "--simulator-profile", profile, "-n", workers,
               "--results-dir", str(folder), "--no-history", *extra, *PACKS, "-q", "-p", "no:cacheprovider"]
    started = time.monotonic()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=3 * 3600)
    elapsed = time.monotonic() - started
    tail = done.stdout.splitlines()[-40:]
    counts: dict[str, int] = {}
    for line in tail:
        if " in " in line and ("passed" in line or "failed" in line):
            counts = {kind.rstrip("s") if kind.startswith("error") else kind: int(n) for n, kind in _COUNTS.findall(line)}
    leaks = "unknown"
    summary = folder / "ledger-summary.json"
    if (folder / "leaks.json").exists():
        leaks = "LEAKS: see " + str(folder / "leaks.json")
    elif summary.exists():
        data = json.loads(summary.read_text())
        leaks = f"none ({data.get('created', '?')} created)" if isinstance(data, dict) else "none"
    figures = junit_figures(folder / "junit.xml")
    deploys = vm_deploys(folder)
    waits = figures["serial_waits"]
    print(f"{label:<22} {elapsed:8.1f} s  exit {done.returncode}  {counts}  leaks: {leaks}", flush=True)
    print(f"{'':<22} VM deploys {deploys}; test time {figures['test_seconds']:.0f} s summed; "
          f"waits for @serial tests: {sum(waits):.1f} s over {len(waits)} test(s)", flush=True)
    slowest = sorted(figures["modules"].items(), key=lambda pair: pair[1], reverse=True)[:SLOWEST_SHOWN]
    print(f"{'':<22} slowest modules: " + ", ".join(f"{m.rsplit('/', 1)[-1]} {s:.0f}s" for m, s in slowest),
          flush=True)
    if done.returncode not in (0, 1):
        print("\n".join(tail[-15:]), file=sys.stderr)
    return {"elapsed": elapsed, "exit": done.returncode, "counts": counts, "serial_wait": sum(waits),
            "test_seconds": figures["test_seconds"], "deploys": deploys}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default="realistic", choices=["instant", "fast", "realistic"])
    parser.add_argument("--workers", default="8")
    parser.add_argument("--skip-serial", action="store_true", help="skip the -n 0 run (no measured speedup)")
    parser.add_argument("--skip-quick", action="store_true", help="skip the quick-test run")
    args = parser.parse_args()

    results = Path(tempfile.mkdtemp(prefix="marvin2-bench-packs-"))
    import os

    bytecode = "off (PYTHONDONTWRITEBYTECODE is set: every process compiles and assertion-rewrites every module)" \
        if os.environ.get("PYTHONDONTWRITEBYTECODE") else "on"
    print(f"profile {args.profile}; bytecode cache {bytecode}; results under {results}")
    serial = None if args.skip_serial else run_packs("packs -n 0", results, args.profile, "0")
    parallel = run_packs(f"packs -n {args.workers}", results, args.profile, args.workers)
    quick = None if args.skip_quick else run_packs("quick-test -n 4", results, args.profile, "4", "--tags", "quick-test")

    print()
    if serial:
        speedup = serial["elapsed"] / parallel["elapsed"]
        verdict = "ok" if speedup >= GOAL_SPEEDUP else "BELOW GOAL"
        print(f"speedup -n {args.workers} vs -n 0: {speedup:.2f}x (goal >= {GOAL_SPEEDUP}x): {verdict}")
    else:
        estimate = (parallel["test_seconds"] - parallel["serial_wait"]) / parallel["elapsed"]
        print(f"ESTIMATE, not measured (no -n 0 run): summed test time less serial waits / wall time of -n "
              f"{args.workers} = {estimate:.2f}x")
    if quick:
        verdict = "ok" if quick["elapsed"] < GOAL_QUICK_SECONDS else "ABOVE GOAL"
        print(f"quick-test with -n 4: {quick['elapsed']:.1f} s (goal < {GOAL_QUICK_SECONDS:.0f} s): {verdict}")
    failed = [r for r in (serial, parallel, quick) if r and r["exit"] != 0]
    if failed:
        print(f"{len(failed)} run(s) did not pass: the timings above include failures", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
