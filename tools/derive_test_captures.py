"""Derive the compact, facts-only listApis fixtures the tests use (run once, by a developer).

The framework's client tests prove that the client parses real listApis
answers of CloudStack 4.15.1 and 4.18. Users clone this repository alone,
so the tests cannot read the full captures kept beside it in a developer's
workspace (../shared/cloudstack/listapis). This script keeps every fact the
client reads - API names, isasync, since, related, parameter names, types,
required, length, since, response field names and types, and the captures'
quirks (duplicated parameters, empty response entries) - and drops every
description. It writes gzip files with a fixed timestamp, so running it
again on the same capture gives the same bytes.

    python tools/derive_test_captures.py [CAPTURE_DIR] [OUT_DIR]

defaults: ../shared/cloudstack/listapis and tests/data.
"""
from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = ROOT.parent / "shared" / "cloudstack" / "listapis"
DEFAULT_OUT = ROOT / "tests" / "data"
VERSIONS = ("4.15.1.0", "4.18.0.0")


def without_descriptions(node: Any) -> Any:
    """The same document with every ``description`` key removed, at any depth."""
    if isinstance(node, dict):
        return {key: without_descriptions(value) for key, value in node.items() if key != "description"}
    if isinstance(node, list):
        return [without_descriptions(item) for item in node]
    return node


def derive(source: Path, target: Path) -> int:
    document = json.loads(source.read_bytes())
    text = json.dumps(without_descriptions(document), separators=(",", ":"), sort_keys=True)
    target.write_bytes(gzip.compress(text.encode(), compresslevel=9, mtime=0))
    return target.stat().st_size


def main(argv: list[str]) -> int:
    source_dir = Path(argv[0]) if argv else DEFAULT_SOURCE
    out_dir = Path(argv[1]) if len(argv) > 1 else DEFAULT_OUT
    out_dir.mkdir(parents=True, exist_ok=True)
    for version in VERSIONS:
        source = source_dir / f"listApis-{version}.json"
        if not source.is_file():
            print(f"missing capture {source}", file=sys.stderr)
            return 1
        size = derive(source, out_dir / f"listApis-{version}.json.gz")
        print(f"{source.name} -> {out_dir / source.name}.gz ({size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
