"""``marvin2 simulator``: run the embedded CloudStack simulator in the foreground."""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path

import yaml


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "simulator", help="run the embedded CloudStack simulator",
        description="Run a simulated CloudStack management server on this machine until SIGTERM/SIGINT. "
                    "Prints the endpoint and the admin API keys when ready.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port (default 8080; 0 picks a free one)")
    parser.add_argument("--db", default=":memory:",
                        help="SQLite file keeping the state across restarts (default: in memory)")
    parser.add_argument("--profile", default="fast", choices=["instant", "fast", "realistic"],
                        help="how long async jobs take (default fast)")
    parser.add_argument("--seed", default="default",
                        help="seed: 'default' (advanced zone), 'basic' (Basic zone with security groups) or a YAML file")
    parser.add_argument("--empty", action="store_true", help="start as a fresh install: the admin, roles, settings, guest OS types and default offerings; no zone")
    parser.add_argument("--faults", metavar="YAML", help="YAML list of fault rules (command, errorrate, latencyms, ...)")
    parser.add_argument("--fault-seed", type=int, default=0, help="seed of the fault injection randomness")
    parser.add_argument("--ready-file", metavar="PATH", help="write endpoint and admin keys as JSON here when ready")
    parser.add_argument("--coverage", action="store_true",
                        help="print how many APIs of the targeted CloudStack release are implemented, and exit")
    parser.add_argument("--json", action="store_true", help="with --coverage: both lists as JSON")
    parser.set_defaults(func=run)


def coverage_report() -> dict:
    """Implemented vs offered APIs of the release the simulator targets."""
    from marvin2.simulator import apis, facts
    from marvin2.simulator.declare import REGISTRY

    apis.load_all()
    offered = sorted(c.name for c in facts.offered_commands())
    implemented = sorted(name for name in offered if REGISTRY.has(name))
    return {"cloudstack_version": facts.TARGET_VERSION, "offered": len(offered), "implemented_count": len(implemented),
            "implemented": implemented, "not_implemented": sorted(set(offered) - set(implemented)),
            "simulator_extensions": sorted(a.name for a in REGISTRY if a.simulator_only)}


def print_coverage(as_json: bool) -> int:
    report = coverage_report()
    if as_json:
        print(json.dumps(report, indent=2))
    else:
        share = 100.0 * report["implemented_count"] / report["offered"]
        print(f"CloudStack {report['cloudstack_version']}: implemented {report['implemented_count']} of "
              f"{report['offered']} APIs ({share:.0f}%); the others answer HTTP 530 'not implemented'. "
              f"--json lists both.")
    return 0


def _load_faults(path: str | None) -> list[dict]:
    if not path:
        return []
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or []
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise SystemExit(f"{path}: expected a YAML list of fault rules (mappings)")
    return data


def run(args: argparse.Namespace) -> int:
    from marvin2.simulator import start_simulator

    if args.coverage:
        return print_coverage(args.json)
    if args.json:
        print("marvin2 simulator: --json goes with --coverage", file=sys.stderr)
        return 2

    try:
        sim = start_simulator(host=args.host, port=args.port, db=args.db, profile=args.profile,
                              seed=None if args.empty else args.seed, faults=_load_faults(args.faults),
                              fault_seed=args.fault_seed)
    except (OSError, ValueError) as exc:
        print(f"marvin2 simulator: cannot start: {exc}", file=sys.stderr)
        return 1
    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    info = {"endpoint": sim.endpoint, "api_key": sim.admin_api_key, "secret_key": sim.admin_secret_key,
            "username": "admin", "password": "password", "pid": os.getpid()}
    if args.ready_file:
        tmp = Path(args.ready_file + ".tmp")
        tmp.write_text(json.dumps(info), encoding="utf-8")
        os.chmod(tmp, 0o600)
        tmp.replace(args.ready_file)   # atomic: a reader never sees half a file
    print(f"endpoint: {sim.endpoint}")
    print(f"api_key: {sim.admin_api_key}")
    print(f"secret_key: {sim.admin_secret_key}")
    sys.stdout.flush()
    try:
        while not stop.wait(0.5):
            pass
    finally:
        sim.stop()
        print("simulator stopped", file=sys.stderr)
    return 0
