"""``marvin2 verify-config``: compare the config's claims with what the cloud reports.

    marvin2 verify-config [--config PATH] [--zone NAME]

Prints a table (zone, network type, hypervisor, each capability, version).
Exit codes: 0 the config matches, 1 drift found, 2 the check could not run
(invalid config, cloud unreachable).
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import sys
from pathlib import Path
from typing import Iterator

from marvin2.config import Config, ConfigError, default_config_path, load_config


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "verify-config", help="compare the config's zone/hypervisor/capabilities with what the cloud reports",
        description="Ask the cloud (read-only list APIs) and print where the config differs. "
                    "Exit 1 on drift, 2 if the check could not run.")
    parser.add_argument("--config", type=Path, default=None, help="config file (default: configs/simulator.yaml)")
    parser.add_argument("--zone", default=None, help="check this zone instead of the config's `zone`")
    parser.set_defaults(func=run)


@contextlib.contextmanager
def open_cloud(config: Config) -> Iterator[object]:
    """An admin API for the config's cloud; starts (and finally stops) the embedded simulator if the config says so."""
    from marvin2.client import connect

    simulator = None
    try:
        if config.simulator is not None:
            from marvin2.simulator import start_simulator  # only commands start a simulator in-process

            settings = config.simulator
            simulator = start_simulator(profile=settings.profile, seed=settings.seed, db=settings.db,
                                        faults=settings.faults, fault_seed=settings.fault_seed)
            config = config.with_simulator_endpoint(simulator.endpoint, simulator.admin_api_key, simulator.admin_secret_key)
        api = connect(**config.connect_kwargs())
        try:
            yield api
        finally:
            api.close()
    finally:
        if simulator is not None:
            simulator.stop()


def run(args: argparse.Namespace) -> int:
    from marvin2.verify import compare, format_table, gather_facts

    path = args.config or default_config_path()
    try:
        config = load_config(path)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.zone:
        config = dataclasses.replace(config, zone=args.zone)
    try:
        with open_cloud(config) as api:
            facts = gather_facts(api, config.zone)
            where = getattr(api, "endpoint", "?")
            data_checks = check_test_data(api, config, facts)
    except Exception as error:  # noqa: BLE001 - any failure to reach the cloud ends the check
        print(f"error: {_failure_text(config, error)}", file=sys.stderr)
        return 2
    checks = compare(config, facts) + data_checks
    print(f"config: {config.source}")
    print(f"cloud:  {'embedded simulator' if config.simulator else where}")
    print()
    print(format_table(checks))
    print()
    drift = [c for c in checks if c.status == "DRIFT"]
    unknown = [c for c in checks if c.status == "unknown"]
    if drift:
        print(f"{len(drift)} difference(s) between the config and the cloud: {', '.join(c.item for c in drift)}")
        print("fix the config (or the cloud): tests are selected from the config, never from discovery")
    else:
        print("the config matches the cloud" + (f" ({len(unknown)} item(s) could not be checked)" if unknown else ""))
    return 1 if drift else 0


def _failure_text(config: Config, error: BaseException) -> str:
    """Unreachable, timed out, or refused credentials (401): which, where, and what to do."""
    from marvin2.health import describe_failure

    servers = list(config.management_servers or [])
    endpoint = ", ".join(s.url for s in servers) or "the embedded simulator"
    api_key = servers[0].api_key if servers else None
    kind, problem, advice = describe_failure(error, endpoint, api_key, str(config.source))
    if kind in ("unreachable", "timeout", "tls"):
        return f"cannot reach the cloud at {endpoint} (config {config.source}): {problem}. {advice}"
    return f"the cloud at {endpoint} (config {config.source}) answered, but: {problem}. {advice}"


def check_test_data(api, config: Config, facts) -> list:
    """One row per ``test_data`` name (template, offerings, domain): does the cloud have it?"""
    from marvin2.health import TEST_DATA_LOOKUPS
    from marvin2.resources import lookup
    from marvin2.resources.errors import ResourceNotFound
    from marvin2.verify import DRIFT, OK, UNKNOWN, Check

    zone_id = (facts.zone or {}).get("id")
    rows = []
    for key, wanted in sorted((config.test_data or {}).items()):
        if key not in TEST_DATA_LOOKUPS or not isinstance(wanted, str) or not wanted:
            continue
        what, function = TEST_DATA_LOOKUPS[key]
        finder = getattr(lookup, function)
        try:
            found = finder(api, wanted, zone_id) if function in ("find_template", "find_network_offering") else finder(api, wanted)
        except ResourceNotFound as error:
            rows.append(Check(f"test_data {key}", wanted, "missing", DRIFT, str(error)))
            continue
        except Exception as error:  # noqa: BLE001 - could not ask: unknown, not drift
            rows.append(Check(f"test_data {key}", wanted, "?", UNKNOWN, f"{type(error).__name__}: {error}"))
            continue
        rows.append(Check(f"test_data {key}", wanted, f"{what} {found.get('id')}", OK))
    return rows
