"""``marvin2 codegen``: typed stubs (.pyi) or a typed module for every API of a spec.

    marvin2 codegen --spec listApis-4.18.0.0.json --out typings/cloudstack_api.pyi
    marvin2 codegen --endpoint URL --out cloudstack_api.py --format module

The output is deterministic: the same spec gives byte-identical files.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from marvin2.commands.apis import add_source_arguments, spec_from_args

__all__ = ["register"]


def _run(args: argparse.Namespace) -> int:
    from marvin2.client.codegen import generate

    out = Path(args.out)
    fmt = args.format or ("module" if out.suffix == ".py" else "pyi")
    spec = spec_from_args(args)
    text = generate(spec, fmt, class_name=args.class_name)
    out.parent.mkdir(parents=True, exist_ok=True)
    # Atomic: an IDE watching the file never reads half of it.
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=out.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    print(f"wrote {fmt} for {len(spec)} APIs (CloudStack {spec.version or '?'}) to {out}", file=sys.stderr)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "codegen",
        help="write typed stubs (.pyi) or a typed module for every API of a server or listApis file",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--out", required=True, metavar="PATH", help="file to write")
    parser.add_argument(
        "--format", choices=("pyi", "module"),
        help="pyi: type stubs; module: importable code with connect() (default: module for .py, else pyi)",
    )
    parser.add_argument("--class-name", default="CloudStackAPI", help="name of the generated class (default CloudStackAPI)")
    add_source_arguments(parser)
    parser.set_defaults(func=_run)
