"""The run context, the embedded simulator (once per run, stopped at the end), admin access."""
from __future__ import annotations

import json
import os
import socket
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestAssertRewriteWarning")

# The pack records what each process sees; a listener registered the
# documented way counts the calls; the controller uses admin_api at the end.
SESSION_CONFTEST = """
    import json, os
    import pytest
    from marvin2.pytest_plugin import session

    EVENTS = []

    def pytest_configure(config):
        session.add_api_listener(config, lambda event: EVENTS.append(type(event).__name__))

    @pytest.fixture(autouse=True)
    def record(request, run_context):
        yield
        entry = {"test": request.node.name, "worker": run_context.worker_id, "run_id": run_context.run_id,
                 "results_dir": str(run_context.results_dir), "shared_dir": str(run_context.shared_dir),
                 "events": list(EVENTS)}
        with open(os.environ["RECORD_FILE"], "a") as out:
            out.write(json.dumps(entry) + "\\n")

    def pytest_sessionfinish(session):
        config = session.config
        if session.config.stash[session_module().RUN_CONTEXT].is_controller and session_module().cloud_started(config):
            zones = session_module().admin_api(config).listZones()
            with open(os.environ["RECORD_FILE"] + ".controller", "w") as out:
                json.dump({"zones": [z.name for z in zones], "endpoint": session_module().admin_api(config).endpoint}, out)

    def session_module():
        return session
"""

CLOUD_TESTS = """
    import json, os

    def test_zone(cloud, marvin2_config):
        assert [z.name for z in cloud.listZones()] == [marvin2_config.zone]
        with open(os.environ["RECORD_FILE"] + ".endpoints", "a") as out:
            out.write(cloud.endpoint + "\\n")

    def test_another(cloud):
        assert cloud.listZones()
        with open(os.environ["RECORD_FILE"] + ".endpoints", "a") as out:
            out.write(cloud.endpoint + "\\n")
"""


def _refuses_connections(endpoint: str) -> bool:
    parts = urlsplit(endpoint)
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=2):
            return False
    except OSError:
        return True


def _records(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_one_simulator_per_run_shared_by_xdist_workers(pytester, pack, simulator_config, monkeypatch):
    pack(conftest=SESSION_CONFTEST, test_one=CLOUD_TESTS, test_two=CLOUD_TESTS)
    record_file = pytester.path / "records.jsonl"
    monkeypatch.setenv("RECORD_FILE", str(record_file))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2", "--marvin-config",
                                           str(simulator_config), timeout=120)
    result.assert_outcomes(passed=4)

    records = _records(record_file)
    assert {r["worker"] for r in records} <= {"gw0", "gw1"} and len(records) == 4
    assert len({r["run_id"] for r in records}) == 1
    assert len({r["results_dir"] for r in records}) == 1 and len({r["shared_dir"] for r in records}) == 1
    run_id = records[0]["run_id"]
    assert records[0]["results_dir"] == str(pytester.path / ".marvin2" / "runs" / run_id)
    # the listener saw the calls of every worker's admin API
    assert all("CallEvent" in r["events"] for r in records)

    endpoints = set((pytester.path / "records.jsonl.endpoints").read_text().split())
    assert len(endpoints) == 1, "every worker must talk to the one simulator of the run"
    controller = json.loads((pytester.path / "records.jsonl.controller").read_text())
    assert controller == {"zones": ["Sandbox-simulator"], "endpoint": endpoints.pop()}
    # stopped at the end of the run
    assert _refuses_connections(controller["endpoint"])
    assert (pytester.path / ".marvin2" / "runs" / run_id / "shared" / "simulator.log").is_file()


def test_run_id_and_results_dir_options(pytester, pack, simulator_config, monkeypatch):
    pack(conftest=SESSION_CONFTEST, test_one=CLOUD_TESTS)
    record_file = pytester.path / "records.jsonl"
    monkeypatch.setenv("RECORD_FILE", str(record_file))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--marvin-config", str(simulator_config),
                                           "--run-id", "nightly-42", "--results-dir", "out", timeout=120)
    result.assert_outcomes(passed=2)
    records = _records(record_file)
    assert {(r["worker"], r["run_id"], r["results_dir"]) for r in records} == {
        ("master", "nightly-42", str(pytester.path / "out"))}
    assert (pytester.path / "out" / "shared" / "simulator.log").is_file()
    controller = json.loads((pytester.path / "records.jsonl.controller").read_text())
    assert _refuses_connections(controller["endpoint"])


def test_a_simulator_that_cannot_start_fails_the_tests_with_its_stderr(pytester, pack):
    (pytester.path / "broken-seed.yaml").write_text("zones: [this is: not valid\n")
    (pytester.path / "broken.yaml").write_text("simulator:\n  profile: instant\n  seed: broken-seed.yaml\n")
    pack(test_one="""
        def test_needs_cloud(cloud): pass

        def test_needs_nothing(): pass
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--marvin-config", "broken.yaml", timeout=120)
    result.assert_outcomes(passed=1, errors=1)
    text = result.stdout.str()
    assert "the embedded simulator (config " in text and "did not start" in text
    # the simulator's own complaint, from its stderr, follows
    stderr_part = text.split("simulator stderr", 1)[1]
    assert "(empty)" not in stderr_part.splitlines()[1]
    assert "Error" in stderr_part


def test_usage_errors_name_the_option(pytester, pack):
    pack(test_one="def test_x(): pass")
    result = pytester.runpytest_inprocess("--marvin-config", "missing.yaml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert f"--marvin-config {pytester.path / 'missing.yaml'}: no such file" in result.stderr.str()
    result = pytester.runpytest_inprocess("--run-id", "bad id/..")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--run-id 'bad id/..': use 1-64 letters" in result.stderr.str()
    result = pytester.runpytest_inprocess("--account-scope", "class")
    assert result.ret == pytest.ExitCode.USAGE_ERROR


def test_a_missing_default_config_fails_only_tests_that_need_the_cloud(pytester, pack):
    pack(test_one="""
        def test_needs_cloud(cloud): pass

        def test_needs_nothing(): pass
    """)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, errors=1)
    assert "configs/simulator.yaml does not exist (the default; choose one with --marvin-config" in result.stdout.str()


def test_option_precedence_command_line_then_ini_then_default(pytester, pack):
    pytester.makeini("""
        [pytest]
        marvin_account_scope = module
        marvin_serial_timeout = 12
        marvin_keep_resources = true
        marvin_config = configs/other.yaml
    """)
    pack(test_options="""
        import json
        from marvin2.pytest_plugin.options import get_option, config_path

        def test_dump(pytestconfig):
            names = ("marvin_account_scope", "marvin_serial_timeout", "marvin_keep_resources", "marvin_leak_check",
                     "marvin_simulator_timeout", "marvin_tags", "marvin_required_hardware")
            values = {name: get_option(pytestconfig, name) for name in names}
            values["config_path"] = [str(p) if i == 0 else p for i, p in enumerate(config_path(pytestconfig))]
            print("OPTIONS=" + json.dumps(values))
    """)

    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert f"ini marvin_config {pytester.path / 'configs' / 'other.yaml'}: no such file" in result.stderr.str()
    (pytester.path / "configs").mkdir()
    (pytester.path / "configs" / "other.yaml").write_text("simulator: {}\n")

    def options(*args):
        result = pytester.runpytest_inprocess("-s", "-p", "no:cacheprovider", *args)
        line = next(l for l in result.outlines if "OPTIONS=" in l)
        return json.loads(line.split("OPTIONS=", 1)[1])

    from_ini = options()
    assert from_ini == {
        "marvin_account_scope": "module", "marvin_serial_timeout": 12.0, "marvin_keep_resources": True,
        "marvin_leak_check": True, "marvin_simulator_timeout": 60.0, "marvin_tags": [],
        "marvin_required_hardware": None,
        "config_path": [str(pytester.path / "configs" / "other.yaml"), True]}
    from_command_line = options("--account-scope", "worker", "--no-leak-check", "--required-hardware", "false")
    assert from_command_line["marvin_account_scope"] == "worker"
    assert from_command_line["marvin_leak_check"] is False
    assert from_command_line["marvin_required_hardware"] is False


def test_real_cloud_config_with_failover_and_user_credentials(pytester, pack, monkeypatch):
    # A "real cloud" config: the first management server is down, the second
    # (a simulator started here) answers; each server keeps its own admin keys.
    from marvin2.simulator import start_simulator

    sim = start_simulator(port=0, profile="instant")
    try:
        monkeypatch.setenv("FAILOVER_SECRET", sim.admin_secret_key)
        (pytester.path / "cloud.yaml").write_text(
            "management_servers:\n"
            "  - url: http://127.0.0.1:9/client/api\n"
            "    api_key: dead-key\n"
            "    secret_key: dead-secret\n"
            f"  - url: {sim.endpoint}\n"
            f"    api_key: {sim.admin_api_key}\n"
            "    secret_key: ${FAILOVER_SECRET}\n"
            "zone: Sandbox-simulator\n")
        pack(test_cloud="""
            from marvin2.pytest_plugin.session import connect_api

            def test_admin_fails_over(cloud):
                assert [z.name for z in cloud.listZones()] == ["Sandbox-simulator"]
                assert cloud.endpoint.endswith("/client/api") and ":9/" not in cloud.endpoint

            def test_explicit_credentials_win(pytestconfig):
                try:
                    connect_api(pytestconfig, api_key="nobody", secret_key="nothing").listZones()
                except Exception as error:
                    assert "errorcode 401" in str(error), error
                else:
                    raise AssertionError("wrong keys were accepted: the admin keys must have been used")
        """)
        result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--marvin-config", "cloud.yaml")
        result.assert_outcomes(passed=2)
    finally:
        sim.stop()


def test_config_fault_rules_reach_the_embedded_simulator(pytester, pack):
    config = pytester.path / "faulty.yaml"
    config.write_text(
        "simulator:\n"
        "  profile: instant\n"
        "  faults:\n"
        "    - {command: listHosts, errorrate: 1.0, errorcode: 534, errortext: injected outage}\n"
        "  fault_seed: 7\n"
        "zone: Sandbox-simulator\nhypervisor: Simulator\nzone_network_type: Advanced\n",
        encoding="utf-8",
    )
    pack(test_faults="""
        import pytest
        from marvin2.client.errors import CloudStackError

        def test_faulted_command_fails(cloud):
            with pytest.raises(CloudStackError) as caught:
                cloud.listHosts()
            assert caught.value.errorcode == 534 and "injected outage" in caught.value.errortext

        def test_other_commands_still_work(cloud):
            assert cloud.listZones()
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--marvin-config", str(config), timeout=120)
    result.assert_outcomes(passed=2)


@pytest.mark.parametrize("how", [(), ("--run-id", "new-run", "--results-dir", ".marvin2/runs/new-run")],
                         ids=["pytest", "as-marvin2-run-calls-it"])
def test_old_run_folders_are_pruned_to_the_configured_number(pytester, pack, how):
    runs = pytester.path / ".marvin2" / "runs"
    for index in range(5):
        old = runs / f"old-{index}"
        old.mkdir(parents=True)
        os.utime(old, (1_000_000 + index, 1_000_000 + index))
    pytester.makeini("[pytest]\nmarvin_keep_runs = 3\n")
    pack(test_one="def test_x(): pass")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", *how, timeout=120)
    result.assert_outcomes(passed=1)
    left = sorted(p.name for p in runs.iterdir())
    # the new run plus the two newest old ones
    assert len(left) == 3 and "old-4" in left and "old-3" in left and "old-0" not in left


def test_simulator_profile_option_overrides_the_config(pytester, pack, simulator_config):
    # The config says instant; under realistic a deploy job takes seconds.
    pack(test_profile="""
        import time

        def test_deploy(cloud):
            zone = cloud.listZones()[0]
            template = cloud.listTemplates(templatefilter="featured", zoneid=zone.id)[0]
            offering = cloud.listServiceOfferings(name="Small Instance")[0]
            network = cloud.createNetwork(zoneid=zone.id, name="p", displaytext="p",
                networkofferingid=cloud.listNetworkOfferings(name="DefaultIsolatedNetworkOfferingWithSourceNatService")[0].id)
            started = time.monotonic()
            cloud.deployVirtualMachine(zoneid=zone.id, templateid=template.id, serviceofferingid=offering.id,
                                       networkids=[network.id], job_timeout=60)
            with open("elapsed.txt", "w") as out:
                out.write(str(time.monotonic() - started))
    """)
    args = ("-p", "no:cacheprovider", "--marvin-config", str(simulator_config), "--no-leak-check")
    pytester.runpytest_subprocess(*args, "--simulator-profile", "realistic", timeout=120).assert_outcomes(passed=1)
    realistic = float((pytester.path / "elapsed.txt").read_text())
    pytester.runpytest_subprocess(*args, timeout=120).assert_outcomes(passed=1)
    instant = float((pytester.path / "elapsed.txt").read_text())
    assert realistic > 1.0 > instant, (realistic, instant)


def test_tests_outside_the_checkout_find_the_config_by_environment(pytester, pack, monkeypatch, simulator_config):
    pack(test_one="def test_needs_cloud(cloud): assert cloud.listZones()\n")
    monkeypatch.delenv("MARVIN2_CONFIG", raising=False)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    text = result.stdout.str()
    assert "--marvin-config PATH, the MARVIN2_CONFIG environment variable or ini marvin_config" in text
    monkeypatch.setenv("MARVIN2_CONFIG", str(simulator_config))
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    monkeypatch.setenv("MARVIN2_CONFIG", str(pytester.path / "nowhere.yaml"))
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert f"MARVIN2_CONFIG {pytester.path / 'nowhere.yaml'}: no such file" in result.stderr.str()
