"""Helpers for the fixture/ledger tests: pytester packs against a fake cloud or the simulator."""
from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

# pytester is enabled in the root conftest (pytest accepts pytest_plugins only there).

# The example pack is run by test_simulator_pack.py in a subprocess of its own
# (it is its own rootdir); the framework's test run must not collect it.
collect_ignore = ["example_pack"]

HERE = Path(__file__).resolve().parent
RESOURCES_TESTS = HERE.parent / "resources"

FAKE_CONFIG = """\
management_servers:
  - url: http://127.0.0.1:9/client/api
    api_key: fake-key
    secret_key: fake-secret
zone: Sandbox-simulator
hypervisor: Simulator
timeouts:
  job: 30
"""

# The pack's conftest: the admin `cloud` and `user_api` are one in-memory fake
# per process (scripted by faults.json), and its state is written at the end.
FAKE_CONFTEST = f"""
import json, os, sys
import pytest
sys.path.insert(0, {str(RESOURCES_TESTS)!r})
from resource_fakes import FakeCloud, not_found
from marvin2.client.errors import AsyncJobFailed, CloudStackError
from marvin2.pytest_plugin.fixtures_accounts import account_scope

FAKE = FakeCloud.seeded()
FAKE.hooks_fail_named = None
if os.path.exists("faults.json"):
    for command, text in json.load(open("faults.json")).get("fail_job", {{}}).items():
        FAKE.fail_job[command] = AsyncJobFailed(command, 530, text, jobid="job-x")
    for name, text in json.load(open("faults.json")).get("fail_delete_named", {{}}).items():
        FAKE.hooks_fail_named = (name, text)

_plain_call = FAKE.call
def _call(command, params):
    failing = FAKE.hooks_fail_named
    if failing and command.startswith("delete") and params.get("id"):
        for records in FAKE.resources.values():
            record = records.get(params["id"])
            if record is not None and failing[0] in str(record.get("name", "")):
                raise CloudStackError(command, 530, failing[1])
    return _plain_call(command, params)
FAKE.call = _call

@pytest.fixture(scope="session")
def cloud():
    return FAKE

@pytest.fixture(scope=account_scope)
def user_api(test_account):
    return FAKE

def pytest_sessionfinish(session):
    worker = getattr(session.config, "workerinput", {{}}).get("workerid", "master")
    state = {{"calls": FAKE.calls, "remaining": {{k: sorted(v) for k, v in FAKE.resources.items()}}}}
    with open(f"fake-state-{{worker}}.json", "w") as handle:
        json.dump(state, handle, default=str)
"""

RESOURCE_KINDS = ("vm", "volume", "snapshot", "vm_snapshot", "template", "network", "vpc", "public_ip",
                  "firewall_rule", "port_forwarding_rule", "account", "user")


SEEDED_IDS = {"tmpl-1"}  # FakeCloud.seeded() resources of a resource kind


class FakePack:
    """A pytester project wired to the fake cloud."""

    def __init__(self, pytester: pytest.Pytester):
        self.pytester = pytester
        self.config()
        pytester.makeconftest(FAKE_CONFTEST)
        self.results = pytester.path / "results"

    def config(self, extra: str = "") -> None:
        """(Re)write the pack's marvin.yaml: the fake cloud's config plus ``extra`` YAML lines."""
        self.pytester.makefile(".yaml", marvin=FAKE_CONFIG + extra)

    def faults(self, **faults) -> None:
        (self.pytester.path / "faults.json").write_text(json.dumps(faults))

    def run(self, *args: str, tests: str | None = None, leak_check: bool = False, files: dict | None = None):
        if tests is not None:
            self.pytester.makepyfile(textwrap.dedent(tests))
        if files:
            self.pytester.makepyfile(**{k: textwrap.dedent(v) for k, v in files.items()})
        return self.pytester.runpytest("--marvin-config", "marvin.yaml", "--results-dir", str(self.results),
                                       "--run-id", "fake-run", "-p", "no:cacheprovider", "-p", "no:benchmark",
                                       *(() if leak_check else ("--no-leak-check",)), *args)

    def state(self, worker: str = "master") -> dict:
        return json.loads((self.pytester.path / f"fake-state-{worker}.json").read_text())

    def created(self, worker: str = "master") -> list[tuple[str, str]]:
        return [(c, p.get("name") or p.get("account") or "") for c, p in self.state(worker)["calls"] if c.startswith(("create", "deploy", "associate"))]

    def remaining(self, worker: str = "master") -> dict:
        remaining = self.state(worker)["remaining"]
        made = {k: [i for i in v if i not in SEEDED_IDS] for k, v in remaining.items() if k in RESOURCE_KINDS}
        return {k: v for k, v in made.items() if v}

    def ledger(self):
        from marvin2.resources.ledger import read_ledger

        return read_ledger(self.results, run_id="fake-run")


@pytest.fixture
def fake_pack(pytester: pytest.Pytester) -> FakePack:
    return FakePack(pytester)


# --- the real simulator, in this process (instant jobs) ---------------------------------------------


@pytest.fixture(scope="module")
def simulator():
    from marvin2.simulator import start_simulator

    sim = start_simulator(profile="instant")
    yield sim
    sim.stop()


@pytest.fixture(scope="module")
def admin(simulator):
    import marvin2

    api = marvin2.connect(simulator.endpoint, api_key=simulator.admin_api_key, secret_key=simulator.admin_secret_key)
    yield api
    api.close()


def simulator_config(sim, *, zone: str = "Sandbox-simulator", job_timeout: int = 60, extra: str = "") -> str:
    """A marvin2 config pointing at a running simulator (``management_servers``: nothing is started)."""
    return ("management_servers:\n"
            f"  - url: {sim.endpoint}\n"
            f"    api_key: {sim.admin_api_key}\n"
            f"    secret_key: {sim.admin_secret_key}\n"
            f"zone: {zone}\nhypervisor: Simulator\n"
            f"timeouts:\n  job: {job_timeout}\n" + extra)


@pytest.fixture
def sim_config():
    """``simulator_config`` for the test modules (which cannot import this conftest)."""
    return simulator_config
