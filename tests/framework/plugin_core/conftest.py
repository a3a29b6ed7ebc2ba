"""Helpers for the plugin core tests: pytester runs of small test packs.

``pytester`` itself is enabled in the root conftest (pytest accepts
``pytest_plugins`` only there).
"""
from __future__ import annotations

import textwrap

import pytest

# A "real cloud" config that nothing connects to: capability decisions and
# selection never call the cloud, so these runs need no server.
OFFLINE_CONFIG = """\
management_servers:
  - url: http://127.0.0.1:9/client/api
    api_key: offline-key
    secret_key: offline-secret
zone: zone1
hypervisor: KVM
zone_network_type: Advanced
capabilities: [vpc, projects]
"""

SIMULATOR_CONFIG = """\
simulator:
  profile: instant
zone: Sandbox-simulator
hypervisor: Simulator
zone_network_type: Advanced
capabilities: [vpc, simulator]
"""


@pytest.fixture
def pack(pytester):
    """Write test files into the pytester dir: ``pack(test_x="...", ...)``; dedents."""

    def write(**files: str):
        for name, text in files.items():
            path = pytester.path / (name if "." in name else name + ".py")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text), encoding="utf-8")
        return pytester.path

    return write


@pytest.fixture
def offline_config(pytester):
    path = pytester.path / "offline.yaml"
    path.write_text(OFFLINE_CONFIG, encoding="utf-8")
    return path


@pytest.fixture
def simulator_config(pytester):
    path = pytester.path / "simulator.yaml"
    path.write_text(SIMULATOR_CONFIG, encoding="utf-8")
    return path
