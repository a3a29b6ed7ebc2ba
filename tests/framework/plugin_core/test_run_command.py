"""``marvin2 run``: the pytest command line it builds, the results directory, end to end."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from marvin2.cli import build_parser
from marvin2.commands import run as run_command


def parse(*argv: str):
    return build_parser().parse_args(["run", *argv])


@pytest.fixture
def in_checkout(tmp_path, monkeypatch):
    (tmp_path / "tests" / "smoke").mkdir(parents=True)
    (tmp_path / "tests" / "component").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_defaults_paths_results_allure_junit(in_checkout):
    args = parse("--tags", "quick-test", "--tags", "vpc,!slow")
    command = run_command.build_pytest_args(args, "r1", in_checkout / "res")
    assert command[:2] == ["tests/smoke", "tests/component"]
    assert command[2:6] == ["--tags", "quick-test", "--tags", "vpc,!slow"]
    assert command[-8:] == ["--run-id", "r1", "--results-dir", str(in_checkout / "res"),
                            "--alluredir", str(in_checkout / "res" / "allure"),
                            "--junitxml", str(in_checkout / "res" / "junit.xml")]
    assert "-n" not in command and "--dist" not in command
    assert "--clean-alluredir" not in command  # it races between xdist workers


def test_workers_get_loadscope_and_unknown_arguments_reach_pytest_in_order(in_checkout):
    args = parse("-n", "auto", "-x", "-k", "egress and not slow", "--config", "my.yaml", "-m", "quick_test",
                 "--required-hardware", "false", "--keep-resources")
    command = run_command.build_pytest_args(args, "r1", in_checkout / "res")
    assert ["-n", "auto", "--dist", "loadscope"] == command[command.index("-n"):command.index("-n") + 4]
    assert command[-3:] == ["-x", "-k", "egress and not slow"]
    for pair in (["--marvin-config", "my.yaml"], ["-m", "quick_test"], ["--required-hardware", "false"]):
        index = command.index(pair[0])
        assert command[index:index + 2] == pair
    assert "--keep-resources" in command
    # an explicit --dist wins; -n 0 means no workers
    command = run_command.build_pytest_args(parse("-n", "2", "--", "--dist", "load"), "r", in_checkout / "res")
    assert command.count("--dist") == 1 and command[-2:] == ["--dist", "load"]
    assert "--dist" not in run_command.build_pytest_args(parse("-n", "0"), "r", in_checkout / "res")


def test_given_paths_replace_the_defaults(in_checkout):
    command = run_command.build_pytest_args(parse("tests/smoke::test_x", "-q"), "r", in_checkout / "res")
    assert "tests/component" not in command and command[-2:] == ["tests/smoke::test_x", "-q"]


def test_no_test_paths_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit, match="no test paths given and none of tests/smoke, tests/component exists"):
        run_command.build_pytest_args(parse(), "r", tmp_path / "res")


def test_results_dir_is_cleared_only_when_marvin2_made_it(tmp_path):
    target = tmp_path / "res"
    run_command.prepare_results_dir(target)
    (target / "old-result.json").write_text("{}")
    run_command.prepare_results_dir(target)
    assert sorted(p.name for p in target.iterdir()) == [run_command.RESULTS_MARKER]

    foreign = tmp_path / "precious"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("...")
    with pytest.raises(SystemExit, match="refusing to clear"):
        run_command.prepare_results_dir(foreign)
    assert (foreign / "thesis.tex").exists()


def test_end_to_end(in_checkout):
    (in_checkout / "offline.yaml").write_text(
        "management_servers:\n  - url: http://127.0.0.1:9/client/api\n    api_key: k\n    secret_key: s\n")
    (in_checkout / "tests" / "smoke" / "test_one.py").write_text(
        "import pytest\n\n"
        "@pytest.mark.tags('quick-test')\ndef test_quick(): pass\n\n"
        "@pytest.mark.tags('slow')\ndef test_slow(): pass\n\n"
        "@pytest.mark.tags('quick-test')\ndef test_quick_failing(): assert 1 == 2\n")
    stale = in_checkout / "res"
    stale.mkdir()
    (stale / run_command.RESULTS_MARKER).write_text("")
    (stale / "stale-result.json").write_text("{}")
    completed = subprocess.run(
        [sys.executable, "-m", "marvin2.cli", "run", "--config", "offline.yaml", "--tags", "quick-test",
         "--results-dir", "res", "--run-id", "e2e-1", "-p", "no:cacheprovider"],
        capture_output=True, text=True, timeout=120)
    assert completed.returncode == 1, completed.stdout + completed.stderr
    out = completed.stdout
    assert "marvin2 run e2e-1: pytest exit code 1" in out
    assert "  1 passed, 1 failed, 0 errors, 0 skipped" in out
    assert f"  allure:  {stale / 'allure'}" in out and f"  junit:   {stale / 'junit.xml'}" in out
    assert not (stale / "stale-result.json").exists()
    assert list((stale / "allure").glob("*-result.json")) and (stale / "junit.xml").is_file()
    assert "1 deselected" in out
