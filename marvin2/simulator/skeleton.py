"""Developer helper: print a declaration skeleton for APIs from a listApis capture.

    python -m marvin2.simulator.skeleton ../shared/cloudstack/listapis/listApis-4.18.0.0.json listZones createZone

The parameter facts (names, types, required flags, lengths) come from the
capture; write the descriptions yourself. Never used at runtime.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

_SHARED = {"page", "pagesize", "keyword"}


def skeleton(capture: dict, name: str) -> str:
    apis = {a["name"]: a for a in capture["api"]}
    if name not in apis:
        raise SystemExit(f"{name} is not in the capture")
    entry = apis[name]
    seen, lines = set(), []
    for p in sorted(entry.get("params", []), key=lambda p: (not p["required"], p["name"].lower())):
        if p["name"].lower() in seen:
            continue
        seen.add(p["name"].lower())
        args = [repr(p["name"])]
        if p["type"] != "string" or p["required"]:
            args.append(repr(p["type"]))
        if p["required"]:
            args.append("True")
        if p.get("length", 255) != 255:
            args.append(f"length={p['length']}")
        lines.append(f"    P({', '.join(args)}),")
    return (f'@api("{name}", is_async={entry["isasync"]}, response="", description="",\n'
            f"     params=[\n" + "\n".join(lines) + "\n])\n")


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__)
        return 2
    capture = json.loads(Path(argv[0]).read_text())
    for name in argv[1:]:
        print(skeleton(capture, name))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
