"""How long an embedded simulator takes to start (and stop): bare (``--empty``) and with the default seed.

Every database is now a fresh 4.20 install (858 settings, 377 guest OS types, the default offerings), and
seeded system VMs get agents and public addresses; test suites start many simulators, so this is the cost
to watch. With ``--baseline DIR`` (a checkout of another commit, e.g. ``git archive <commit> | tar -x -C DIR``)
both trees are measured in the same run, each in its own interpreter, and the ratios printed side by side.

    python bench/bench_simulator_startup.py [--runs 20] [--baseline DIR]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

MEASURE = r"""
import json, statistics, sys, time
from marvin2.simulator import start_simulator
runs = int(sys.argv[1])
out = {}
for seed in (None, "default"):
    start_simulator(seed=seed, profile="instant").stop()          # warm imports and caches
    starts, stops = [], []
    for _ in range(runs):
        began = time.perf_counter()
        sim = start_simulator(seed=seed, profile="instant")
        started = time.perf_counter()
        sim.stop()
        starts.append(started - began)
        stops.append(time.perf_counter() - started)
    out[seed or "empty"] = {"median": statistics.median(starts), "stop": statistics.median(stops)}
print(json.dumps(out))
"""


def measure(tree: Path, runs: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    answer = subprocess.run([sys.executable, "-c", MEASURE, str(runs)], env=env, cwd=tree, capture_output=True,
                            text=True, timeout=600, check=True)
    return json.loads(answer.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--baseline", type=Path, help="another source tree to measure in the same run")
    args = parser.parse_args()
    current = measure(ROOT, args.runs)
    baseline = measure(args.baseline, args.runs) if args.baseline else None
    print("median start-up (start_simulator until it answers) and stop, in ms")
    print(f"{'seed':<10}{'start':>10}{'stop':>10}" + (f"{'base start':>12}{'base stop':>11}{'ratio':>8}" if baseline else ""))
    for seed, figures in current.items():
        line = f"{seed:<10}{figures['median'] * 1000:>10.1f}{figures['stop'] * 1000:>10.1f}"
        if baseline:
            base = baseline[seed]
            line += f"{base['median'] * 1000:>12.1f}{base['stop'] * 1000:>11.1f}{figures['median'] / base['median']:>8.2f}"
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
