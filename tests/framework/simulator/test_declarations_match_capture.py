"""Every declared API matches the real 4.18 capture: parameter names, types,
required flags, and the async flag; every required 4.18 parameter is declared."""
from __future__ import annotations

import json

import pytest

from marvin2.simulator import apis
from marvin2.simulator.declare import REGISTRY

from sim_testlib import CAPTURES

apis.load_all()
CAPTURE = {a["name"]: a for a in json.loads((CAPTURES / "listApis-4.18.0.0.json").read_text())["api"]}
DECLARED = [d for d in REGISTRY if not d.simulator_only]


def test_capture_is_readable():
    assert len(CAPTURE) > 600


@pytest.mark.parametrize("declared", DECLARED, ids=lambda d: d.name)
def test_declaration_matches_418(declared):
    assert declared.name in CAPTURE, f"{declared.name} is not a CloudStack 4.18 API (mark simulator_only=True if intended)"
    real = CAPTURE[declared.name]
    assert declared.is_async == real["isasync"], f"{declared.name}: async flag differs from 4.18"
    real_params: dict[str, dict] = {}
    for p in real["params"]:
        real_params.setdefault(p["name"].lower(), p)
    for p in declared.params:
        assert p.key in real_params, f"{declared.name}: parameter {p.name} does not exist in 4.18"
        real_p = real_params[p.key]
        assert p.name == real_p["name"], f"{declared.name}: {p.name} is spelled {real_p['name']} in 4.18"
        assert p.type == real_p["type"], f"{declared.name}.{p.name}: type {p.type}, 4.18 says {real_p['type']}"
        assert p.required == real_p["required"], f"{declared.name}.{p.name}: required={p.required}, 4.18 says {real_p['required']}"
    declared_keys = {p.key for p in declared.params}
    missing = sorted(p["name"] for p in real["params"] if p["required"] and p["name"].lower() not in declared_keys)
    assert not missing, f"{declared.name}: required 4.18 parameters not declared: {missing}"


def test_simulator_only_apis_are_not_cloudstack_names():
    for declared in REGISTRY:
        if declared.simulator_only:
            assert declared.name not in CAPTURE
            assert "Simulator" in declared.name, "simulator-only APIs say so in their name"
