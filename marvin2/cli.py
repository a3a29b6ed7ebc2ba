"""The ``marvin2`` command.

Each sub-command lives in its own module under ``marvin2/commands/`` and
exposes ``register(subparsers)``, which adds its parser and sets ``func``
(a callable taking the parsed arguments and returning an exit code).
"""
from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from importlib import metadata

from marvin2 import commands


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="marvin2", description="CloudStack integration testing on pytest")
    parser.add_argument("--version", action="version", version=f"marvin2 {package_version()}")
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
    except BrokenPipeError:
        # `marvin2 apis search x | head`: the reader left; that is not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except Exception as error:  # noqa: BLE001 - one line for the user; the traceback on request
        if os.environ.get("MARVIN2_DEBUG"):
            raise
        print(f"marvin2 {args.command}: {type(error).__name__}: {error} (MARVIN2_DEBUG=1 shows the traceback)",
              file=sys.stderr)
        return 2


def package_version() -> str:
    try:
        return metadata.version("marvin2")
    except metadata.PackageNotFoundError:
        return "(not installed: running from a checkout)"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
