"""The ``marvin2`` command.

Each sub-command lives in its own module under ``marvin2/commands/`` and
exposes ``register(subparsers)``, which adds its parser and sets ``func``
(a callable taking the parsed arguments and returning an exit code).
"""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from marvin2 import commands


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="marvin2", description="CloudStack integration testing on pytest")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{commands.__name__}.{module_info.name}")
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
