"""marvin2.connect(config=PATH): management servers, timeouts, and the embedded simulator's lifecycle."""
from __future__ import annotations

import sys
import types

import pytest

import marvin2

from fakemgmt import FakeCloud, closed_port_url


def _write(tmp_path, text):
    path = tmp_path / "marvin2.yaml"
    path.write_text(text)
    return path


def test_config_with_management_servers_and_failover(fake, tmp_path):
    dead = closed_port_url()
    config = _write(
        tmp_path,
        f"""
management_servers:
  - url: {dead}
    api_key: KEY
    secret_key: SECRET
  - url: {fake.url}
    api_key: KEY
    secret_key: SECRET
timeouts:
  connect: 3
  read: 7
  job: 50
  deployVirtualMachine: 900
  snapshot: 1200
""",
    )
    api = marvin2.connect(config=config)
    try:
        assert len(api.listZones()) == 2
        assert api.endpoint == fake.url
        assert api._transport._servers[1].send_kwargs["timeout"] == (3.0, 7.0)
        assert api.job_timeouts.for_command("deployVirtualMachine") == 900
        assert api.job_timeouts.for_command("createSnapshot") == 1200, "config families apply"
        assert api.job_timeouts.for_command("createTags") == 50
    finally:
        api.close()


def test_config_with_a_session_login(fake, tmp_path):
    config = _write(
        tmp_path,
        f"""
management_servers:
  - url: {fake.url}
    username: admin
    password: password
    domain: /
""",
    )
    with marvin2.connect(config=config) as api:
        api.listZones()
    assert fake.commands()[0] == "login" and fake.commands()[-1] == "logout"


def test_config_and_endpoint_together_is_an_error(fake, tmp_path):
    with pytest.raises(ValueError, match="do not also give endpoint"):
        marvin2.connect(fake.url, config=tmp_path / "x.yaml")
    with pytest.raises(ValueError, match="api_key, secret_key"):
        marvin2.connect(config=tmp_path / "x.yaml", api_key="K", secret_key="S")


class _FakeSimulatorHandle:
    """Stands in for marvin2.simulator's handle: a FakeCloud with the same attributes."""

    def __init__(self, **kwargs):
        self.kwargs = kwargs
        self.cloud = FakeCloud().start()
        self.endpoint = self.cloud.url
        self.admin_api_key = self.cloud.api_key
        self.admin_secret_key = self.cloud.secret_key
        self.stopped = False

    def stop(self):
        self.stopped = True
        self.cloud.stop()


def test_config_with_simulator_starts_it_and_close_stops_it(tmp_path, monkeypatch):
    started = []

    def start_simulator(**kwargs):
        handle = _FakeSimulatorHandle(**kwargs)
        started.append(handle)
        return handle

    # Whatever state the real simulator is in, this pins down connect()'s side of the contract.
    module = types.ModuleType("marvin2.simulator")
    module.start_simulator = start_simulator
    monkeypatch.setitem(sys.modules, "marvin2.simulator", module)
    config = _write(tmp_path, "simulator:\n  profile: instant\n  seed: default\n")
    api = marvin2.connect(config=config)
    [handle] = started
    assert handle.kwargs["profile"] == "instant" and handle.kwargs["port"] == 0
    assert api.endpoint == handle.endpoint and len(api.listZones()) == 2
    assert not handle.stopped
    api.close()
    assert handle.stopped


def test_simulator_is_stopped_when_connect_fails(tmp_path, monkeypatch):
    handles = []

    def start_simulator(**kwargs):
        handle = _FakeSimulatorHandle(**kwargs)
        handle.admin_secret_key = "WRONG"
        handles.append(handle)
        return handle

    module = types.ModuleType("marvin2.simulator")
    module.start_simulator = start_simulator
    monkeypatch.setitem(sys.modules, "marvin2.simulator", module)
    config = _write(tmp_path, "simulator:\n  profile: instant\n")
    with pytest.raises(marvin2.CloudStackError):
        marvin2.connect(config=config)
    assert handles[0].stopped


def test_client_package_never_imports_the_simulator_pytest_or_allure():
    import subprocess

    code = (
        "import sys, marvin2.client, marvin2\n"
        "marvin2.Record\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('pytest', 'allure', '_pytest') or m.startswith('marvin2.simulator') or m.startswith('marvin2.pytest_plugin')]\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


def test_importing_wire_does_not_load_the_client():
    import subprocess

    code = "import sys, marvin2.wire\nprint([m for m in sys.modules if m.startswith('marvin2.client') or m == 'requests'])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"
