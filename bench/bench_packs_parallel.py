"""Test-pack wall time: serial vs parallel, and the quick-test subset.

Runs the smoke and component packs with ``marvin2 run`` against the embedded
simulator under the ``realistic`` timing profile (job durations of a real
cloud, scaled down), one run after another in this process:

1. the whole packs with ``-n 0`` (serial),
2. the whole packs with ``-n 8``,
3. ``--tags quick-test`` with ``-n 4`` (goal: under 60 s),

and prints each run's wall time, outcome counts and leak check, then the
speedup of (2) over (1) (goal: >= 6x with 8 workers).

    python bench/bench_packs_parallel.py [--profile realistic] [--workers 8] [--skip-serial]
"""
from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKS = ["tests/smoke", "tests/component"]
GOAL_SPEEDUP, GOAL_QUICK_SECONDS = 6.0, 60.0
_COUNTS = re.compile(r"(\d+) (passed|failed|errors?|skipped)")


def run_packs(label: str, results: Path, profile: str, workers: str, *extra: str) -> dict:
    command = [sys.executable, "-m", "marvin2.cli", "run", "--simulator-profile", profile, "-n", workers,
               "--results-dir", str(results / label), *extra, *PACKS, "-q", "-p", "no:cacheprovider"]
    started = time.monotonic()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=3 * 3600)
    elapsed = time.monotonic() - started
    tail = done.stdout.splitlines()[-40:]
    counts: dict[str, int] = {}
    for line in tail:
        if " in " in line and ("passed" in line or "failed" in line):
            counts = {kind.rstrip("s") if kind.startswith("error") else kind: int(n) for n, kind in _COUNTS.findall(line)}
    leaks = "unknown"
    summary = results / label / "ledger-summary.json"
    if (results / label / "leaks.json").exists():
        leaks = "LEAKS: see " + str(results / label / "leaks.json")
    elif summary.exists():
        data = json.loads(summary.read_text())
        leaks = f"none ({data.get('created', '?')} created)" if isinstance(data, dict) else "none"
    print(f"{label:<22} {elapsed:8.1f} s  exit {done.returncode}  {counts}  leaks: {leaks}", flush=True)
    if done.returncode not in (0, 1):
        print("\n".join(tail[-15:]), file=sys.stderr)
    return {"elapsed": elapsed, "exit": done.returncode, "counts": counts}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default="realistic", choices=["instant", "fast", "realistic"])
    parser.add_argument("--workers", default="8")
    parser.add_argument("--skip-serial", action="store_true", help="skip the -n 0 run (no speedup figure)")
    args = parser.parse_args()

    results = Path(tempfile.mkdtemp(prefix="marvin2-bench-packs-"))
    print(f"profile {args.profile}; results under {results}")
    serial = None if args.skip_serial else run_packs("packs -n 0", results, args.profile, "0")
    parallel = run_packs(f"packs -n {args.workers}", results, args.profile, args.workers)
    quick = run_packs("quick-test -n 4", results, args.profile, "4", "--tags", "quick-test")

    print()
    if serial:
        speedup = serial["elapsed"] / parallel["elapsed"]
        verdict = "ok" if speedup >= GOAL_SPEEDUP else "BELOW GOAL"
        print(f"speedup -n {args.workers} vs -n 0: {speedup:.2f}x (goal >= {GOAL_SPEEDUP}x): {verdict}")
    verdict = "ok" if quick["elapsed"] < GOAL_QUICK_SECONDS else "ABOVE GOAL"
    print(f"quick-test with -n 4: {quick['elapsed']:.1f} s (goal < {GOAL_QUICK_SECONDS:.0f} s): {verdict}")
    failed = [r for r in (serial, parallel, quick) if r and r["exit"] != 0]
    if failed:
        print(f"{len(failed)} run(s) did not pass: the timings above include failures", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
