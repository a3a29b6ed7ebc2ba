"""``--shard K/N`` and ``marvin2 report merge``: disjoint, balanced, complete, merged into one.

The end-to-end test starts ONE simulator (``marvin2 simulator``), points a
config at it, runs 3 shards of a small pack as 3 separate ``marvin2 run``
processes at the same time, and merges their results with one leak check.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from marvin2.pytest_plugin.sharding import estimate, parse_shard, plan_shards

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestAssertRewriteWarning")


# --- the plan --------------------------------------------------------------------------------


def test_parse_shard_accepts_k_of_n_and_names_the_mistake():
    assert (parse_shard("2/3").index, parse_shard("2/3").count) == (2, 3)
    for bad in ("0/3", "4/3", "3", "a/b", "1/0", ""):
        with pytest.raises(ValueError, match="--shard"):
            parse_shard(bad)


def test_plan_is_longest_first_to_the_least_loaded_shard_and_covers_everything():
    seconds = {"a.py": 10, "b.py": 6, "c.py": 5, "d.py": 4, "e.py": 3, "f.py": 2}
    shards = plan_shards(seconds, 3)
    assert shards == [["a.py"], ["b.py", "e.py", "f.py"], ["c.py", "d.py"]]
    assert sorted(m for shard in shards for m in shard) == sorted(seconds)
    # the same input always gives the same plan (every machine and worker must agree)
    assert plan_shards(dict(reversed(list(seconds.items()))), 3) == shards
    assert plan_shards(seconds, 8)[6:] == [[], []]  # more shards than modules: some are empty


def test_missing_durations_count_as_the_median_of_known_ones():
    nodeids = ["a.py::t1", "a.py::t2", "b.py::t1", "c.py::t1"]
    per_module, unknown = estimate(nodeids, {"a.py::t1": 2.0, "a.py::t2": 4.0, "b.py::t1": 9.0})
    assert unknown == 1 and per_module["c.py"] == 4.0 and per_module["a.py"] == 6.0
    per_module, unknown = estimate(nodeids, {})
    assert unknown == 4 and per_module == {"a.py": 2.0, "b.py": 1.0, "c.py": 1.0}  # 1 s each without a file


SMALL_PACK = {
    f"test_mod_{name}.py": f"""
        import pytest

        def test_{name}_one(): pass

        @pytest.mark.parametrize("i", range({count}))
        def test_{name}_param(i): pass
        """
    for name, count in (("a", 3), ("b", 1), ("c", 2), ("d", 1), ("e", 4))
}


def _collected(pytester) -> set[str]:
    result = pytester.runpytest("--collect-only", "-q", "-p", "no:cacheprovider")
    return {line for line in result.outlines if "::" in line}


def test_shards_of_a_pytester_pack_are_disjoint_and_complete(pytester, pack, offline_config):
    pack(**SMALL_PACK)
    durations = pytester.path / "durations.json"
    durations.write_text(json.dumps({"test_mod_a.py::test_a_one": 30, "test_mod_e.py::test_e_one": 20}))
    everything = _collected(pytester)
    seen: dict[str, int] = {}
    for index in (1, 2, 3):
        result = pytester.runpytest("--marvin-config", str(offline_config), "--shard", f"{index}/3",
                                    "--durations-file", str(durations), "--results-dir", f"res{index}",
                                    "-p", "no:cacheprovider", "-rA")
        assert result.ret == 0
        result.stdout.fnmatch_lines([f"marvin2 shard {index}/3: * of 16 selected tests*"])
        plan = json.loads((pytester.path / f"res{index}" / "shard.json").read_text())
        ran = {line.split(" ", 1)[1] for line in result.outlines if line.startswith("PASSED ")}
        assert ran == set(plan["tests"])
        for nodeid in ran:
            assert nodeid not in seen, f"{nodeid} ran in shards {seen[nodeid]} and {index}"
            seen[nodeid] = index
        # whole modules: a module never spans two shards
        assert {n.split("::")[0] for n in ran} == set(plan["modules"])
    assert set(seen) == everything
    # a and e are the known long modules: each gets a shard of its own
    assert {seen["test_mod_a.py::test_a_one"], seen["test_mod_e.py::test_e_one"]} == {1, 2}


def test_shards_follow_tag_selection_and_an_empty_shard_passes(pytester, pack, offline_config):
    pack(test_one="""
        import pytest

        @pytest.mark.tags("quick-test")
        def test_quick(): pass

        def test_other(): pass
        """)
    results = [pytester.runpytest("--marvin-config", str(offline_config), "--tags", "quick-test",
                                  "--shard", f"{k}/2", "--results-dir", f"r{k}", "-p", "no:cacheprovider")
               for k in (1, 2)]
    assert [r.ret for r in results] == [0, 0]
    results[0].assert_outcomes(passed=1, deselected=1)
    results[1].stdout.fnmatch_lines(["*shard 2/2 is empty: the selection has only 1 module(s)*"])


def test_bad_shard_option_and_broken_durations_file_are_usage_errors(pytester, pack, offline_config):
    pack(test_one="def test_a(): pass\n")
    result = pytester.runpytest("--marvin-config", str(offline_config), "--shard", "4/3", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--shard '4/3': K must be between 1 and N*"])
    broken = pytester.path / "d.json"
    broken.write_text("{not json")
    result = pytester.runpytest("--marvin-config", str(offline_config), "--shard", "1/2", "--durations-file",
                                str(broken), "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*durations file {broken}: not valid JSON*--store-durations*"])


def test_store_durations_updates_the_tests_that_ran_and_keeps_the_rest(pytester, pack, offline_config):
    pack(test_one="""
        import time
        def test_slow(): time.sleep(0.3)
        def test_fast(): pass
        """)
    durations = pytester.path / "d.json"
    durations.write_text(json.dumps({"test_gone.py::test_x": 5.0, "test_one.py::test_slow": 99.0}))
    result = pytester.runpytest("--marvin-config", str(offline_config), "--store-durations", "--durations-file",
                                str(durations), "-p", "no:cacheprovider", "-n", "2")
    assert result.ret == 0
    stored = json.loads(durations.read_text())
    assert stored["test_gone.py::test_x"] == 5.0
    assert 0.3 <= stored["test_one.py::test_slow"] < 5
    assert stored["test_one.py::test_fast"] < 0.3


# --- 3 shards, one simulator, one merge -----------------------------------------------------------

PACK_MODULES = {
    "test_zones.py": """
        import pytest

        @pytest.mark.tags("quick-test")
        def test_zone_is_enabled(cloud, marvin2_config):
            assert cloud.listZones(name=marvin2_config.zone)[0].allocationstate == "Enabled"

        def test_templates_listed(cloud):
            assert cloud.listTemplates(templatefilter="featured")
        """,
    "test_roles.py": """
        def test_custom_role(make):
            role = make.role(type="User")
            assert role.type == "User"

        def test_two_roles(make):
            assert make.role(type="User").id != make.role(type="User").id
        """,
    "test_accounts.py": """
        def test_account_with_keys(make, cloud):
            keys = make.account()
            assert cloud.listAccounts(id=keys.account.id)[0].name == keys.account.name
        """,
    "test_offerings.py": """
        def test_service_offerings(cloud):
            assert cloud.listServiceOfferings()

        def test_disk_offerings(cloud):
            assert cloud.listDiskOfferings()
        """,
    "test_hosts.py": """
        def test_hosts_up(cloud):
            assert all(h.state == "Up" for h in cloud.listHosts(type="Routing"))
        """,
    "test_domains.py": """
        def test_root_domain(cloud):
            assert cloud.listDomains(name="ROOT")[0].level == 0
        """,
}


@pytest.fixture
def one_simulator(tmp_path):
    """A `marvin2 simulator` process and a config (management_servers) pointing at it."""
    ready = tmp_path / "ready.json"
    process = subprocess.Popen([sys.executable, "-m", "marvin2.cli", "simulator", "--port", "0", "--profile",
                                "instant", "--ready-file", str(ready)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            assert process.poll() is None, process.stderr.read()
            assert time.monotonic() < deadline, "the simulator wrote no ready file within 60 s"
            time.sleep(0.05)
        info = json.loads(ready.read_text())
        config = tmp_path / "shared-simulator.yaml"
        config.write_text(textwrap.dedent(f"""\
            management_servers:
              - url: {info['endpoint']}
                api_key: ${{SHARD_TEST_API_KEY}}
                secret_key: ${{SHARD_TEST_SECRET_KEY}}
            zone: Sandbox-simulator
            hypervisor: Simulator
            zone_network_type: Advanced
            capabilities: [vpc, simulator]
            """))
        yield config, {"SHARD_TEST_API_KEY": info["api_key"], "SHARD_TEST_SECRET_KEY": info["secret_key"]}
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def _marvin2(*args: str, cwd: Path, env: dict, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "marvin2.cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


def test_three_shards_against_one_simulator_merge_into_one_report(tmp_path, one_simulator):
    config, keys = one_simulator
    env = {**os.environ, **keys}
    checkout = tmp_path / "checkout"
    for name, text in PACK_MODULES.items():
        path = checkout / "tests" / "pack" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    durations = checkout / "tests" / ".durations.json"
    durations.write_text(json.dumps({"tests/pack/test_roles.py::test_custom_role": 3.0,
                                     "tests/pack/test_accounts.py::test_account_with_keys": 2.5}))
    shards = [subprocess.Popen(
        [sys.executable, "-m", "marvin2.cli", "run", "--config", str(config), "--shard", f"{k}/3",
         "--durations-file", str(durations), "--results-dir", f"results/shard{k}", "--run-id", f"ci-1-shard{k}",
         "tests/pack", "-p", "no:cacheprovider"],
        cwd=checkout, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for k in (1, 2, 3)]
    outputs = [shard.communicate(timeout=300)[0] for shard in shards]
    assert [shard.returncode for shard in shards] == [0, 0, 0], "\n\n".join(outputs)

    plans = [json.loads((checkout / "results" / f"shard{k}" / "shard.json").read_text()) for k in (1, 2, 3)]
    tests = [set(plan["tests"]) for plan in plans]
    assert not (tests[0] & tests[1] or tests[0] & tests[2] or tests[1] & tests[2]), tests
    assert len(set().union(*tests)) == plans[0]["selected"] == 9
    assert all(tests), "every shard of 6 modules over 3 machines has work"
    for k, output in zip((1, 2, 3), outputs):
        assert f"marvin2 shard {k}/3: {len(tests[k - 1])} of 9 selected tests" in output

    merged = _marvin2("report", "merge", "results/shard1", "results/shard2", "results/shard3", "-o", "merged",
                      "--config", str(config), cwd=checkout, env=env)
    assert merged.returncode == 0, merged.stdout + merged.stderr
    assert "9 passed, 0 failed, 0 errors, 0 skipped (9 tests)" in merged.stdout
    assert "no resources left behind (checked against the cloud of" in merged.stdout
    out = checkout / "merged"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["shard_problems"] == [] and summary["leaks"] == 0
    junit = ElementTree.parse(out / "junit.xml").getroot()
    assert junit.get("tests") == "9" and len(junit.findall("testsuite")) == 3
    cases = [(c.get("classname"), c.get("name")) for c in junit.iter("testcase")]
    assert len(cases) == len(set(cases)) == 9
    assert summary["allure_results"] == len(list((out / "allure").glob("*-result.json"))) == 9
    ledger_summary = json.loads((out / "ledger-summary.json").read_text())
    assert ledger_summary["created"] >= 4 and ledger_summary["leaks"] == 0  # 3 roles + 1 account at least
    assert len(list((out / "ledger").glob("*.jsonl"))) >= 2
    environment = (out / "allure" / "environment.properties").read_text()
    assert "marvin2.shards=3" in environment and "ci-1-shard1 | ci-1-shard2 | ci-1-shard3" in environment
    for text in (merged.stdout, (out / "summary.json").read_text(), environment):
        assert keys["SHARD_TEST_SECRET_KEY"] not in text and keys["SHARD_TEST_API_KEY"] not in text

    # an incomplete merge says which shard is missing and fails
    partial = _marvin2("report", "merge", "results/shard1", "results/shard3", "-o", "partial", cwd=checkout, env=env)
    assert partial.returncode == 1
    assert "SHARDS: missing shard(s) 2/3" in partial.stdout


def _fake_shard(root: Path, name: str, *, plan: dict | None, cases: list[tuple[str, str]], leaks=None) -> Path:
    folder = root / name
    (folder / "allure").mkdir(parents=True)
    suite = ElementTree.Element("testsuite", name="pytest", tests=str(len(cases)), failures="0", errors="0",
                                skipped="0")
    for classname, test in cases:
        ElementTree.SubElement(suite, "testcase", classname=classname, name=test)
    root_element = ElementTree.Element("testsuites")
    root_element.append(suite)
    ElementTree.ElementTree(root_element).write(folder / "junit.xml")
    if plan is not None:
        (folder / "shard.json").write_text(json.dumps(plan))
    if leaks is not None:
        (folder / "ledger-summary.json").write_text(json.dumps({"created": 3, "leaks": len(leaks)}))
        if leaks:
            (folder / "leaks.json").write_text(json.dumps({"leaks": leaks}))
    return folder


def test_merge_names_overlapping_shards_joins_their_leaks_and_refuses_bad_input(tmp_path):
    common = {"of": 2, "selection_digest": "abc", "selected": 3}
    one = _fake_shard(tmp_path, "one", plan={**common, "shard": 1, "tests": ["m.py::a", "m.py::b"]},
                      cases=[("m", "a"), ("m", "b")], leaks=[{"kind": "network", "id": "n-1"}])
    two = _fake_shard(tmp_path, "two", plan={**common, "shard": 2, "tests": ["m.py::b"]}, cases=[("m", "b")],
                      leaks=[])
    result = subprocess.run([sys.executable, "-m", "marvin2.cli", "report", "merge", str(one), str(two),
                             "-o", str(tmp_path / "out")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "SHARDS: m.py::b is in both shard-1-of-2 and shard-2-of-2" in result.stdout
    assert "1 resource(s) left behind, checked by each shard against its own cloud" in result.stdout
    leaks = json.loads((tmp_path / "out" / "leaks.json").read_text())["leaks"]
    assert leaks == [{"kind": "network", "id": "n-1", "shard": "shard-1-of-2"}]

    for args, message in (([str(tmp_path / "nope")], "no such results folder"),
                          ([str(tmp_path)], "not a marvin2 results folder"),
                          ([str(one), "-o", str(one)], "is (or contains) one of the folders to merge")):
        result = subprocess.run([sys.executable, "-m", "marvin2.cli", "report", "merge", *args],
                                capture_output=True, text=True, timeout=60, cwd=tmp_path)
        assert result.returncode == 2 and message in result.stderr, result.stderr
