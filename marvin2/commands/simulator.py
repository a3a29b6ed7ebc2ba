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
    parser.add_argument("--port", type=int, default=None,
                        help="port (default 8080, with --https 8443 as a management server with https.enable=true; "
                             "0 picks a free one)")
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
    parser.add_argument("--integration-port", type=int, metavar="PORT",
                        help="also open CloudStack's integration port (integration.api.port, 8096 upstream) on "
                             "127.0.0.1: requests there need NO credentials and run as the root admin (off by default)")
    parser.add_argument("--https", action="store_true",
                        help="serve the API over HTTPS (as https.enable=true does); without --tls-cert/--tls-key a "
                             "throwaway CA and certificate are written to --tls-dir and named")
    parser.add_argument("--tls-cert", metavar="PEM", help="with --https: the server certificate (chain) file")
    parser.add_argument("--tls-key", metavar="PEM", help="with --https: the server's private key file")
    parser.add_argument("--tls-client-ca", metavar="PEM",
                        help="with --https: require client certificates signed by this CA")
    parser.add_argument("--tls-dir", metavar="DIR",
                        help="with --https and no --tls-cert: where the throwaway pair goes (default: a new temporary "
                             "directory)")
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


def api_port(args: argparse.Namespace) -> int:
    """--port, else the management server's default: 8443 with HTTPS, 8080 without."""
    if args.port is not None:
        return args.port
    return 8443 if args.https else 8080


def _tls_options_error(args: argparse.Namespace) -> str | None:
    """What is wrong with the combination of TLS options, if anything."""
    given = [name for name in ("tls_cert", "tls_key", "tls_client_ca", "tls_dir") if getattr(args, name)]
    if given and not args.https:
        return f"--{given[0].replace('_', '-')} goes with --https"
    if bool(args.tls_cert) != bool(args.tls_key):
        return "--tls-cert and --tls-key go together"
    if args.tls_cert and args.tls_dir:
        return "--tls-dir is where a throwaway pair goes; it does not go with --tls-cert"
    return None


def _tls_context(args: argparse.Namespace):
    """(server TLS context or None, lines telling the user which files serve HTTPS, the CA file clients trust)."""
    if not args.https:
        return None, [], None
    from marvin2.simulator import tls

    if args.tls_cert:
        return tls.server_context(args.tls_cert, args.tls_key, args.tls_client_ca), [
            f"https: certificate {args.tls_cert}"], None
    import tempfile

    folder = args.tls_dir or tempfile.mkdtemp(prefix="marvin2-sim-tls-")
    hosts = tuple(dict.fromkeys(h for h in ("127.0.0.1", "localhost", args.host) if h not in ("0.0.0.0", "::", "")))
    pair = tls.write_throwaway_pair(folder, hosts=hosts)
    return tls.server_context(pair.cert_file, pair.key_file, args.tls_client_ca), [
        f"https: throwaway certificate {pair.cert_file} (key {pair.key_file})",
        f"https: CA file for clients (ca_bundle): {pair.ca_file}"], str(pair.ca_file)


def run(args: argparse.Namespace) -> int:
    from marvin2.simulator import start_simulator

    if args.coverage:
        return print_coverage(args.json)
    if args.json:
        print("marvin2 simulator: --json goes with --coverage", file=sys.stderr)
        return 2
    problem = _tls_options_error(args)
    if problem:
        print(f"marvin2 simulator: {problem}", file=sys.stderr)
        return 2
    if args.integration_port is not None and not 0 <= args.integration_port <= 65535:
        print(f"marvin2 simulator: --integration-port {args.integration_port} is not a port number (0-65535)",
              file=sys.stderr)
        return 2

    try:
        context, tls_lines, ca_file = _tls_context(args)
        sim = start_simulator(host=args.host, port=api_port(args), db=args.db, profile=args.profile,
                              seed=None if args.empty else args.seed, faults=_load_faults(args.faults),
                              fault_seed=args.fault_seed, integration_port=args.integration_port, tls=context)
    except (OSError, ValueError) as exc:
        print(f"marvin2 simulator: cannot start: {exc}", file=sys.stderr)
        return 1
    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    info = {"endpoint": sim.endpoint, "api_key": sim.admin_api_key, "secret_key": sim.admin_secret_key,
            "username": "admin", "password": "password", "pid": os.getpid(),
            "integration_endpoint": sim.integration_endpoint, "ca_file": ca_file}
    if args.ready_file:
        tmp = Path(args.ready_file + ".tmp")
        tmp.write_text(json.dumps(info), encoding="utf-8")
        os.chmod(tmp, 0o600)
        tmp.replace(args.ready_file)   # atomic: a reader never sees half a file
    for line in tls_lines:
        print(line)
    if sim.integration_endpoint:
        print(f"WARNING: integration port open at {sim.integration_endpoint}: requests there need NO credentials "
              "and run as the root admin (loopback only)", file=sys.stderr)
        print(f"integration_endpoint: {sim.integration_endpoint}")
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
