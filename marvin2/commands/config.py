"""``marvin2 config``: import a legacy Marvin config, show the effective config.

    marvin2 config import advanced.cfg -o configs/advanced.yaml   # + configs/advanced.datacenter.yaml
    marvin2 config import advanced.cfg                            # config YAML on stdout
    marvin2 config show [--config configs/simulator.yaml]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

from marvin2.config import ConfigError, default_config_path, load_config


def register(subparsers) -> None:
    parser = subparsers.add_parser("config", help="import a legacy Marvin config; show the effective config")
    actions = parser.add_subparsers(dest="config_action", metavar="ACTION")

    importing = actions.add_parser("import", help="turn a legacy Marvin JSON config into marvin2 YAML (config + datacenter layout)")
    importing.add_argument("legacy", type=Path, metavar="OLD.cfg", help="the Marvin config (JSON, '#' comment lines allowed)")
    importing.add_argument("-o", "--output", type=Path, metavar="NEW.yaml", help="write the config here (default: print it)")
    importing.add_argument("--layout", type=Path, metavar="LAYOUT.yaml",
                           help="write the datacenter layout here (default with -o: NEW.datacenter.yaml beside it)")
    importing.add_argument("--inline-secrets", action="store_true",
                           help="copy secret keys and passwords into the files instead of ${ENV_VAR} references")
    importing.add_argument("--force", action="store_true", help="overwrite existing output files")
    importing.set_defaults(func=run_import)

    showing = actions.add_parser("show", help="print the effective config (defaults filled in, secrets masked)")
    showing.add_argument("--config", type=Path, default=None, help="config file (default: configs/simulator.yaml)")
    showing.set_defaults(func=run_show)

    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])


def run_show(args: argparse.Namespace) -> int:
    path = args.config or default_config_path()
    try:
        config = load_config(path)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    sys.stdout.write(yaml.safe_dump(config.to_display(), sort_keys=False, default_flow_style=False, allow_unicode=True))
    return 0


def run_import(args: argparse.Namespace) -> int:
    # Imported lazily: only this action needs the converter.
    from marvin2.legacy_config import import_legacy, render_yaml

    try:
        result = import_legacy(args.legacy, inline_secrets=args.inline_secrets)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1

    layout_path = args.layout
    if layout_path is None and args.output is not None and result.layout is not None:
        layout_path = args.output.with_name(args.output.stem + ".datacenter.yaml")
    targets = [p for p in (args.output, layout_path) if p is not None]
    existing = [str(p) for p in targets if p.exists()]
    if existing and not args.force:
        print(f"error: {', '.join(existing)} already exists; pass --force to overwrite", file=sys.stderr)
        return 1

    config_header = [f"marvin2 config imported from {args.legacy.name} by `marvin2 config import`."]
    if result.environment:
        config_header.append("Set before use: " + " ".join(sorted(result.environment)))
    if layout_path is not None:
        config_header.append(f"Build the datacenter: marvin2 deploy-datacenter {layout_path} --config {args.output or 'THIS.yaml'}")
    config_text = render_yaml(result.config, "\n".join(config_header))
    layout_text = None
    if result.layout is not None and layout_path is not None:
        layout_text = render_yaml(result.layout, f"marvin2 datacenter layout imported from {args.legacy.name} (zones + globalConfig).")

    # Check our own output before writing it: what we produce must load.
    placeholders = {name: "placeholder" for name in result.environment}
    try:
        from marvin2.config import parse_config
        from marvin2.datacenter import parse_layout

        parse_config(config_text, (args.output or Path("imported.yaml")).resolve(), environ=placeholders)
        if layout_text is not None:
            parse_layout(layout_text, layout_path, environ=placeholders)
    except ConfigError as error:
        print(f"error: the imported result does not validate (a bug, or an unusual legacy file):\n{error}", file=sys.stderr)
        return 1

    if args.output is None:
        sys.stdout.write(config_text)
    else:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(config_text, encoding="utf-8")
    if layout_text is not None:
        layout_path.parent.mkdir(parents=True, exist_ok=True)
        layout_path.write_text(layout_text, encoding="utf-8")

    _report(args, result, layout_path, layout_text is not None)
    return 0


def _report(args, result, layout_path, wrote_layout: bool) -> None:
    err = sys.stderr
    if args.output is not None:
        print(f"wrote config: {args.output}", file=err)
    if wrote_layout:
        print(f"wrote datacenter layout: {layout_path}", file=err)
    elif result.layout is not None:
        print("datacenter layout not written (pass -o or --layout to write it)", file=err)
    if result.warnings:
        print("warnings:", file=err)
        for line in result.warnings:
            print(f"  - {line}", file=err)
    if result.not_carried:
        print("not carried over:", file=err)
        for line in result.not_carried:
            print(f"  - {line}", file=err)
    if result.environment:
        print("set these environment variables (the values were in the legacy file):", file=err)
        width = max(len(name) for name in result.environment)
        for name, what in sorted(result.environment.items()):
            print(f"  {name:<{width}}  {what}", file=err)
