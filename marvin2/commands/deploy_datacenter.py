"""``marvin2 deploy-datacenter``: build zones/pods/clusters/hosts/storage from a layout, or remove them.

    marvin2 deploy-datacenter LAYOUT.yaml --config CLOUD.yaml            # deploy
    marvin2 deploy-datacenter LAYOUT.yaml --config CLOUD.yaml --dry-run  # print the steps only
    marvin2 deploy-datacenter LAYOUT.yaml --config CLOUD.yaml --teardown # remove what was deployed

What was created is recorded in LAYOUT.deployed.json (or --record PATH); the
teardown reads it and removes everything in reverse order.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from marvin2.config import ConfigError, load_config


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "deploy-datacenter", help="deploy a zone/pod/cluster/host/storage layout (or tear it down)",
        description="Deploy a datacenter layout in Marvin's order, recording every created object so that "
                    "--teardown can remove it again.")
    parser.add_argument("layout", type=Path, metavar="LAYOUT.yaml", help="the datacenter layout")
    parser.add_argument("--config", type=Path, required=False, default=None,
                        help="the cloud to deploy into (a marvin2 config with admin credentials)")
    parser.add_argument("--record", type=Path, default=None,
                        help="where to record what was created (default: LAYOUT.deployed.json beside the layout)")
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--teardown", action="store_true", help="remove what the record lists, newest first")
    action.add_argument("--dry-run", action="store_true", help="validate the layout and print the steps; call nothing")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from marvin2.datacenter import DeployError, default_record_path, deploy, load_layout, plan, teardown

    record = args.record or default_record_path(args.layout)
    try:
        layout = load_layout(args.layout) if not args.teardown else None
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.dry_run:
        steps = plan(layout)
        for number, step in enumerate(steps, 1):
            print(f"[{number:>{len(str(len(steps)))}}/{len(steps)}] {step.title}")
        print(f"{len(steps)} steps; nothing was called (--dry-run)")
        return 0
    if args.config is None:
        print("error: --config CLOUD.yaml is required: the cloud to deploy into (or tear down from)", file=sys.stderr)
        return 2
    try:
        config = load_config(args.config)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if config.simulator is not None:
        # It would deploy into a simulator that vanishes when the command ends,
        # leaving a record of things that no longer exist.
        print(f"error: {args.config} starts a throwaway embedded simulator; deploy into a running one instead:\n"
              "  marvin2 simulator --empty --port 8080 &\n"
              "  then a config with management_servers: [{url: http://127.0.0.1:8080/client/api, api_key, secret_key}]",
              file=sys.stderr)
        return 2

    from marvin2.commands.verify_config import open_cloud

    hint = f"marvin2 deploy-datacenter {args.layout} --config {args.config} --teardown" + (f" --record {args.record}" if args.record else "")
    try:
        with open_cloud(config) as api:
            if args.teardown:
                failures = teardown(api, record, progress=_say)
                if failures:
                    print(f"teardown incomplete: {len(failures)} failure(s); what is left stays in {record}:", file=sys.stderr)
                    for line in failures:
                        print(f"  - {line}", file=sys.stderr)
                    return 1
                print("teardown complete")
                return 0
            deploy(api, layout, record, progress=_say, teardown_hint=hint)
            return 0
    except DeployError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # noqa: BLE001 - e.g. the cloud is unreachable
        print(f"error: {type(error).__name__}: {error}", file=sys.stderr)
        return 2


def _say(line: str) -> None:
    print(line, flush=True)
