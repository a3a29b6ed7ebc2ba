#!/usr/bin/env python3
"""Derive the simulator's compact, facts-only CloudStack tables from ../shared/cloudstack/facts.

Run once per CloudStack release the simulator targets (developers only: users
and CI never see ../shared). It keeps facts (names, types, order, flags,
defaults) and drops every description, so what the package carries is a
table, not CloudStack's prose:

    python tools/derive_simulator_facts.py [--facts ../shared/cloudstack/facts] [--version 4.20.2.0]

Writes marvin2/simulator/facts/{apis,settings,guest-os}-VERSION.json.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "marvin2" / "simulator" / "facts"

# One parameter as a list, in this order (absent values are null); see facts/__init__.py.
PARAM_FIELDS = ("name", "field", "type", "required", "since", "length", "entity", "collection_type", "expose",
                "declared_in", "authorized")


def java_class(command: dict) -> str:
    """org.apache...Cmd from the source path (the name job records show as ``cmd``)."""
    path = command["file"]
    marker = "/java/"
    if marker in path:
        return path.split(marker, 1)[1].removesuffix(".java").replace("/", ".")
    return command["class"]


def compact_param(param: dict) -> list:
    row = [param.get(name) for name in PARAM_FIELDS]
    row[PARAM_FIELDS.index("expose")] = param.get("expose", True)
    row[PARAM_FIELDS.index("authorized")] = param.get("authorized") or None
    while row and row[-1] is None:
        row.pop()
    return row


def derive_apis(source: dict) -> dict:
    commands = {}
    for command in source["commands"]:
        if command.get("admin_variant_of"):
            continue            # its order is the main entry's admin_params
        entry = {
            "async": command["isasync"],
            "create": command["create_style"],
            "envelope": command["response_name"],
            "authorized": command["authorized"],
            "since": command.get("since"),
            "class": java_class(command),
            "module": command["module"],
            "params": [compact_param(p) for p in command["params"]],
        }
        if command.get("admin_params"):
            entry["admin_params"] = [compact_param(p) for p in command["admin_params"]]
        commands[command["name"]] = entry
    return {"version": source["version"], "commit": source["commit"], "param_fields": PARAM_FIELDS,
            "commands": dict(sorted(commands.items()))}


ORIGIN_RANK = {"ConfigKey": 0, "Config enum": 1, "sql": 2}


def derive_settings(source: dict) -> dict:
    """One row per setting name: the declaration the server registers (ConfigKey, then the Config enum,
    then SQL rows); settings an upgrade script deleted are left out."""
    chosen: dict[str, dict] = {}
    for setting in source["settings"]:
        if setting.get("deleted_by") or setting.get("name_expr_unresolved"):
            continue
        name = setting["name"]
        best = chosen.get(name)
        if best is None or ORIGIN_RANK[setting["origin"]] < ORIGIN_RANK[best["origin"]]:
            merged = dict(setting)
            if best is not None:    # an SQL row may know what a Java declaration leaves open
                for key in ("category", "type", "scope", "default"):
                    if merged.get(key) is None:
                        merged[key] = best.get(key)
            chosen[name] = merged
        else:
            for key in ("category", "type", "scope", "default"):
                if best.get(key) is None and setting.get(key) is not None:
                    best[key] = setting[key]
    rows = []
    for name in sorted(chosen):
        s = chosen[name]
        row = {"name": name, "category": s.get("category") or "Advanced", "type": s.get("type") or "String",
               "default": s.get("default"), "scope": s.get("scope") or "Global", "dynamic": bool(s.get("dynamic"))}
        for key in ("options", "range"):
            if s.get(key) is not None:
                row[key] = s[key]
        rows.append(row)
    return {"version": source["version"], "settings": rows}


def derive_guest_os(source: dict) -> dict:
    return {"version": source["version"],
            "categories": [[c["id"], c["name"]] for c in source["categories"]],
            "guest_os": [[g["id"], g["display_name"], g["category_id"], g.get("display", True)]
                         for g in source["guest_os"]]}


def write(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, separators=(",", ":"), sort_keys=False) + "\n")
    print(f"wrote {path.relative_to(REPO)} ({path.stat().st_size:,} bytes)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--facts", type=Path, default=REPO.parent / "shared" / "cloudstack" / "facts")
    parser.add_argument("--version", default="4.20.2.0")
    args = parser.parse_args()
    v = args.version
    OUT.mkdir(parents=True, exist_ok=True)
    write(OUT / f"apis-{v}.json", derive_apis(json.loads((args.facts / f"api-params-{v}.json").read_text())))
    write(OUT / f"settings-{v}.json", derive_settings(json.loads((args.facts / f"global-settings-{v}.json").read_text())))
    write(OUT / f"guest-os-{v}.json", derive_guest_os(json.loads((args.facts / f"guest-os-{v}.json").read_text())))


if __name__ == "__main__":
    main()
