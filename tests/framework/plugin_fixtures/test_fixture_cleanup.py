"""Factories clean up after passing, failing and setup-erroring tests; LIFO; one failure never stops the rest.

These packs run against an in-memory fake cloud (exact call logs, instant);
test_simulator_pack.py runs the same promises against the simulator.
"""
from __future__ import annotations

import json

PACK = """
import pytest

@pytest.fixture
def broken_setup(deploy_vm, create_volume):
    deploy_vm(name="from-broken-setup")
    create_volume(name="vol-from-broken-setup")
    raise RuntimeError("setup broke after creating things")

def test_passes(create_network, deploy_vm):
    net = create_network(name="net-pass")
    deploy_vm(name="vm-pass", networkids=[net.id])

def test_fails(create_network, deploy_vm, acquire_public_ip):
    net = create_network(name="net-fail")
    deploy_vm(name="vm-fail", networkids=[net.id])
    acquire_public_ip(networkid=net.id)
    assert False, "the test failed"

def test_setup_error(broken_setup):
    pass
"""


def _deletes(pack):
    return [(c, p["id"]) for c, p in pack.state()["calls"] if c.startswith(("delete", "destroy", "disassociate"))]


def test_cleanup_after_pass_failure_and_setup_error(fake_pack):
    result = fake_pack.run(tests=PACK)
    result.assert_outcomes(passed=1, failed=1, errors=1)
    result.stdout.fnmatch_lines(["*setup broke after creating things*"])
    assert fake_pack.remaining() == {}
    ledger = fake_pack.ledger()
    by_test = {}
    for resource in ledger:
        by_test.setdefault(resource.created.get("test", "").split("::")[-1], []).append((resource.kind, resource.status))
    assert sorted(by_test["test_setup_error"]) == [("network", "deleted"), ("vm", "deleted"), ("volume", "deleted")]
    assert sorted(by_test["test_fails"]) == [("network", "deleted"), ("public_ip", "deleted"), ("vm", "deleted")]
    assert by_test["session:master"] == [("account", "deleted")]
    assert all(r.created.get("command") for r in ledger)


def test_cleanup_is_lifo_across_factories_and_the_account_goes_last(fake_pack):
    fake_pack.run(tests=PACK)
    calls = fake_pack.state()["calls"]
    created_ids = {}
    for command, params in calls:
        if command in ("deployVirtualMachine", "createNetwork", "associateIpAddress"):
            created_ids.setdefault(params.get("name") or "ip", None)
    deletes = [c for c, _ in calls if c.startswith(("delete", "destroy", "disassociate"))]
    # test_fails: IP, then VM, then network (reverse creation); the account at the very end.
    fail_part = deletes[2:5]
    assert fail_part == ["disassociateIpAddress", "destroyVirtualMachine", "deleteNetwork"]
    assert deletes[-1] == "deleteAccount"


def test_cleanup_registered_before_a_failed_async_create_is_waited_for(fake_pack):
    fake_pack.faults(fail_job={"deployVirtualMachine": "Unable to start VM: insufficient capacity"})
    result = fake_pack.run(tests="""
        def test_vm(deploy_vm):
            deploy_vm(name="doomed")
    """)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*insufficient capacity*"])
    assert fake_pack.remaining() == {}
    statuses = {(r.kind, r.status) for r in fake_pack.ledger()}
    assert ("vm", "deleted") in statuses


def test_one_failing_cleanup_does_not_stop_the_others(fake_pack):
    fake_pack.faults(fail_delete_named={"stuck": "Network is in use by a router being destroyed"})
    result = fake_pack.run(tests="""
        def test_three(create_network, create_volume):
            create_network(name="first")
            create_network(name="stuck-net")
            create_volume(name="last")
    """)
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*1 cleanup(s) failed*", "*stuck-net*Network is in use*"])
    remaining = fake_pack.remaining()
    assert list(remaining) == ["network"] and len(remaining["network"]) == 1
    statuses = sorted((r.created.get("name"), r.kind, r.status) for r in fake_pack.ledger() if r.kind != "account")
    assert statuses == [("first", "network", "deleted"), ("last", "volume", "deleted"),
                        ("stuck-net", "network", "delete-failed")]
    failed = [r for r in fake_pack.ledger() if r.status == "delete-failed"]
    assert "Network is in use" in failed[0].last["error"]


def test_keep_resources_leaves_everything_and_the_ledger_says_so(fake_pack):
    result = fake_pack.run("--keep-resources", tests="""
        def test_keep(create_network, deploy_vm):
            deploy_vm(networkids=[create_network().id])
    """)
    result.assert_outcomes(passed=1)
    assert sorted(fake_pack.remaining()) == ["account", "network", "user", "vm"]
    assert {r.status for r in fake_pack.ledger()} == {"kept"}
    assert not _deletes(fake_pack)


def test_the_terminal_summary_says_kept_not_none_left_behind(tmp_path):
    import json

    from marvin2.pytest_plugin.reporting import _leak_lines

    (tmp_path / "ledger-summary.json").write_text(json.dumps({
        "created": 16, "kept": [{"id": str(n)} for n in range(16)], "leaks": 0,
        "cleanup_command": "marvin2 cleanup --run-id r1 --results-dir /x"}))
    (line,) = _leak_lines(tmp_path)
    assert line == ("16 resource(s) created, kept 16 resource(s) (--keep-resources); "
                    "remove them with: marvin2 cleanup --run-id r1 --results-dir /x")
    (tmp_path / "ledger-summary.json").write_text(json.dumps({"created": 3, "kept": [], "leaks": 0}))
    assert _leak_lines(tmp_path) == ["3 resource(s) created, none left behind"]


def test_names_carry_run_id_and_test_name_and_resources_are_tagged(fake_pack):
    fake_pack.run(tests="""
        def test_named_thing(create_volume):
            create_volume()
    """)
    (name,) = [n for c, n in fake_pack.created() if c == "createVolume"]
    assert name.startswith("m2-fake-run-named-thing-")
    tags = [p for c, p in fake_pack.state()["calls"] if c == "createTags"]
    assert {t["resourcetype"] for t in tags} == {"Volume"}
    assert all(t["tags"] == {"marvin2-run": "fake-run"} for t in tags)


def test_deploy_vm_without_network_makes_one_and_deletes_it_after_the_vm(fake_pack):
    fake_pack.run(tests="""
        def test_default_net(deploy_vm):
            vm = deploy_vm()
            assert vm.networkids
    """).assert_outcomes(passed=1)
    deletes = [c for c, _ in _deletes(fake_pack)]
    assert deletes == ["destroyVirtualMachine", "deleteNetwork", "deleteAccount"]


def test_cleanup_stack_fixture_runs_own_cleanups_with_resources(fake_pack):
    fake_pack.run(tests="""
        ORDER = []
        def test_custom(cleanup_stack, create_network):
            cleanup_stack.push(ORDER.append, "custom-first-pushed")
            create_network()
            cleanup_stack.push(ORDER.append, "custom-last-pushed")
        def test_order_seen():
            assert ORDER == ["custom-last-pushed", "custom-first-pushed"]
    """).assert_outcomes(passed=2)


def test_account_per_worker_is_one_for_the_session(fake_pack):
    fake_pack.run(files={"test_a": "def test_a1(user_api, test_account): pass\ndef test_a2(test_account): pass",
                         "test_b": "def test_b1(test_account): pass"}).assert_outcomes(passed=3)
    accounts = [n for c, n in fake_pack.created() if c == "createAccount"]
    assert len(accounts) == 1 and accounts[0].startswith("m2-fake-run-master-")


def test_account_scope_module_gives_one_account_per_module_deleted_at_its_end(fake_pack):
    fake_pack.run("--account-scope", "module",
                  files={"test_a": "def test_a1(test_account): pass\ndef test_a2(test_account): pass",
                         "test_b": "def test_b1(test_account): pass"}).assert_outcomes(passed=3)
    commands = [c for c, _ in fake_pack.state()["calls"] if c in ("createAccount", "deleteAccount")]
    assert commands == ["createAccount", "deleteAccount", "createAccount", "deleteAccount"]
    names = [n for c, n in fake_pack.created() if c == "createAccount"]
    assert "-a-" in names[0] and "-b-" in names[1]


def test_shared_network_and_vm_are_made_once_per_module(fake_pack):
    fake_pack.run(tests="""
        def test_one(shared_vm, shared_network):
            assert shared_vm.networkids == [shared_network.id]
        def test_two(shared_vm):
            pass
    """).assert_outcomes(passed=2)
    assert [c for c, _ in fake_pack.created()].count("deployVirtualMachine") == 1
    assert fake_pack.remaining() == {}


def test_discovery_failure_lists_what_exists(fake_pack):
    config = fake_pack.pytester.path / "marvin.yaml"
    config.write_text(config.read_text() + "\ntest_data:\n  service_offering: Tiny Instance\n")
    result = fake_pack.run(tests="""
        def test_needs(service_offering):
            pass
    """)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*service offering 'Tiny Instance' not found; available: 'Medium Instance', 'Small Instance'*"])


def test_leak_check_reports_what_the_cloud_still_has(fake_pack):
    fake_pack.faults(fail_delete_named={"stuck": "cannot delete"})
    # The fake admin API of the run-end check is the pack's fake itself.
    fake_pack.pytester.makeconftest(fake_pack.pytester.path.joinpath("conftest.py").read_text() + """
import marvin2.pytest_plugin.ledger as _ledger
_ledger.admin_api = lambda config: FAKE
_ledger.cloud_started = lambda config: True
""")
    result = fake_pack.run(leak_check=True, tests="""
        def test_leaky(create_network, create_volume):
            create_network(name="stuck-net")
            create_volume()
    """)
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*marvin2: 1 leaked resource(s) (network) listed in*leaks.json*marvin2 cleanup --run-id fake-run*"])
    leaks = json.loads((fake_pack.results / "leaks.json").read_text())
    assert [(l["kind"], l["status"], l["found_by"]) for l in leaks["leaks"]] == [("network", "delete-failed", "ledger")]
    assert leaks["leaks"][0]["test"].endswith("::test_leaky")
    summary = json.loads((fake_pack.results / "ledger-summary.json").read_text())
    assert summary["leaks"] == 1 and summary["created"] == 3


def test_discovery_happens_once_per_run_under_xdist_and_each_worker_gets_its_account(fake_pack):
    wanted = "zone, domain, template, service_offering, network_offering, test_account"
    files = {f"test_m{i}": f"def test_x({wanted}):\n    assert template.name.startswith('CentOS')\n" for i in range(6)}
    fake_pack.run("-n", "3", files=files).assert_outcomes(passed=6)
    log = fake_pack.results / "shared" / "discovery" / "lookups.log"
    keys = [json.loads(line)["key"] for line in log.read_text().splitlines()]
    assert sorted(keys) == sorted(set(keys)) and len(keys) == 5
    workers = [p.name[len("fake-state-"):-len(".json")] for p in fake_pack.pytester.path.glob("fake-state-gw*.json")]
    assert len(workers) == 3
    lookups = [c for w in workers for c, _ in fake_pack.state(w)["calls"]
               if c in ("listZones", "listTemplates", "listServiceOfferings", "listNetworkOfferings")]
    assert sorted(lookups) == ["listNetworkOfferings", "listServiceOfferings", "listTemplates", "listZones"]
    accounts = [n for w in workers for c, n in fake_pack.created(w) if c == "createAccount"]
    assert len(accounts) == 3 and all(fake_pack.remaining(w) == {} for w in workers)


def test_default_network_is_per_owner(fake_pack):
    fake_pack.run(tests="""
        def test_two_owners(deploy_vm, cloud):
            admin_vm = deploy_vm(api=cloud)
            user_vm = deploy_vm()
            again = deploy_vm()
            assert admin_vm.networkids != user_vm.networkids == again.networkids
    """).assert_outcomes(passed=1)
    owners = [p.get("account") for c, p in fake_pack.state()["calls"] if c == "createNetwork"]
    assert len(owners) == 2


_LEAK_CHECK_ON_THE_FAKE = """
import marvin2.pytest_plugin.ledger as _ledger
_ledger.admin_api = lambda config: FAKE
_ledger.cloud_started = lambda config: True
"""

_PASSING_BUT_LEAKING = """
    def test_passes_but_leaks(create_network, resource_tracker):
        create_network(name="left-behind")
        resource_tracker.stack.entries[-1].cancel()    # its cleanup never runs: the network stays
"""


def test_leaks_fail_a_run_whose_tests_passed(fake_pack):
    fake_pack.pytester.makeconftest(fake_pack.pytester.path.joinpath("conftest.py").read_text() + _LEAK_CHECK_ON_THE_FAKE)
    result = fake_pack.run(leak_check=True, tests=_PASSING_BUT_LEAKING)
    result.assert_outcomes(passed=1)
    assert result.ret == 1
    result.stdout.fnmatch_lines([
        "*marvin2: exit status 1: every test passed but the run leaked 1 resource(s); "
        "run `marvin2 cleanup --run-id fake-run --results-dir *` (--no-leak-check skips this check)*"])
    assert [leak["kind"] for leak in json.loads((fake_pack.results / "leaks.json").read_text())["leaks"]] == ["network"]


def test_no_leak_check_keeps_the_exit_status_of_the_tests(fake_pack):
    fake_pack.pytester.makeconftest(fake_pack.pytester.path.joinpath("conftest.py").read_text() + _LEAK_CHECK_ON_THE_FAKE)
    result = fake_pack.run(leak_check=False, tests=_PASSING_BUT_LEAKING)
    result.assert_outcomes(passed=1)
    assert result.ret == 0 and "exit status 1" not in result.stdout.str()
    assert not (fake_pack.results / "leaks.json").exists()


def test_a_clean_run_and_a_failed_run_keep_their_exit_status(fake_pack):
    fake_pack.pytester.makeconftest(fake_pack.pytester.path.joinpath("conftest.py").read_text() + _LEAK_CHECK_ON_THE_FAKE)
    clean = fake_pack.run(leak_check=True, tests="""
        def test_clean(create_network):
            create_network()
    """)
    assert clean.ret == 0 and "leaked" not in clean.stdout.str()
    failed = fake_pack.run(leak_check=True, files={"test_failing": """
        def test_fails_and_leaks(create_network, resource_tracker):
            create_network(name="left-behind")
            resource_tracker.stack.entries[-1].cancel()
            assert False, "the test's own failure"
    """})
    assert failed.ret == 1 and "every test passed" not in failed.stdout.str()
    failed.stdout.fnmatch_lines(["*leaked resource(s) (network)*marvin2 cleanup --run-id fake-run*"])


def test_cleanup_leaves_an_ip_that_now_belongs_to_someone_else(fake_pack):
    # A public IP keeps its id once released; the admin cleanup must not release another owner's address, and the
    # leak check must not count it as the run's.
    fake_pack.pytester.makeconftest(fake_pack.pytester.path.joinpath("conftest.py").read_text() + _LEAK_CHECK_ON_THE_FAKE)
    result = fake_pack.run(leak_check=True, tests="""
        def test_released_then_reused(create_network, acquire_public_ip, cloud):
            net = create_network()
            ip = acquire_public_ip(networkid=net.id)
            # the test released it and another account's network got the same address row
            cloud.resources["public_ip"][ip.id].update(associatednetworkid="net-of-someone-else", account="other")
    """)
    result.assert_outcomes(passed=1)
    assert result.ret == 0
    statuses = {r.kind: (r.status, r.ownership) for r in fake_pack.ledger() if r.kind in ("public_ip", "network")}
    assert statuses["network"] == ("deleted", None)
    assert statuses["public_ip"][0] == "already-gone" and "associatednetworkid" in statuses["public_ip"][1]
    assert "disassociateIpAddress" not in [c for c, _ in fake_pack.state()["calls"]]
    assert list(fake_pack.remaining()) == ["public_ip"]
