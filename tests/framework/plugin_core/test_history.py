"""Allure trends: ``marvin2 run`` carries the history of the previous run of the same results root."""
from __future__ import annotations

import json
import subprocess
import sys

from marvin2 import allure_history

PACK = """
import os
import pytest

def test_steady():
    pass

def test_changes():
    assert os.environ.get("MAKE_IT_FAIL") != "1"
"""

OFFLINE = "management_servers:\n  - url: http://127.0.0.1:9/client/api\n    api_key: k\n    secret_key: s\n"


def _run(checkout, results_dir: str, *extra: str, fail: bool = False):
    env = {**__import__("os").environ, "MAKE_IT_FAIL": "1" if fail else "0"}
    return subprocess.run([sys.executable, "-m", "marvin2.cli", "run", "--config", "offline.yaml", "--results-dir",
                           results_dir, "tests/test_pack.py", "-p", "no:cacheprovider", *extra],
                          cwd=checkout, env=env, capture_output=True, text=True, timeout=120)


def _history(folder):
    return {name: json.loads((folder / "allure" / "history" / name).read_text())
            for name in ("history.json", "history-trend.json", "duration-trend.json", "retry-trend.json")}


def test_each_run_continues_the_trends_of_the_one_before(tmp_path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_pack.py").write_text(PACK)
    (tmp_path / "offline.yaml").write_text(OFFLINE)
    first = _run(tmp_path, "runs/one")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "  history: 1 run(s) in the allure trends" in first.stdout
    second = _run(tmp_path, "runs/two", fail=True)
    assert second.returncode == 1
    assert f"  history: 2 run(s) in the allure trends (carried over from {tmp_path / 'runs/one/allure/history'})" \
        in second.stdout
    history = _history(tmp_path / "runs" / "two")
    statuses = {key: [item["status"] for item in entry["items"]] for key, entry in history["history.json"].items()}
    assert sorted(statuses.values()) == [["failed", "passed"], ["passed", "passed"]]  # newest first
    failing = next(entry for entry in history["history.json"].values() if entry["items"][0]["status"] == "failed")
    assert failing["statistic"]["failed"] == 1 and failing["statistic"]["passed"] == 1
    assert "AssertionError" in failing["items"][0]["statusDetails"] or "assert" in failing["items"][0]["statusDetails"]
    trend = history["history-trend.json"]
    assert [entry["data"]["failed"] for entry in trend] == [1, 0] and [e["buildOrder"] for e in trend] == [2, 1]

    # the same results folder used again: its own history goes on
    third = _run(tmp_path, "runs/two")
    assert "  history: 3 run(s) in the allure trends" in third.stdout
    # and --no-history starts afresh
    fresh = _run(tmp_path, "runs/three", "--no-history")
    assert "history:" not in fresh.stdout and not (tmp_path / "runs/three/allure/history").exists()


def test_updated_history_counts_retries_and_keeps_the_newest_entries():
    previous = {"history.json": {}, "history-trend.json": [], "duration-trend.json": [], "retry-trend.json": []}
    for build in range(allure_history.KEEP + 5):
        results = [{"historyId": "h1", "uuid": f"a{build}", "status": "broken", "start": 10, "stop": 20},
                   {"historyId": "h1", "uuid": f"b{build}", "status": "passed", "start": 30, "stop": 45}]
        previous = allure_history.updated_history(previous, results, report_name=f"run{build}")
    entry = previous["history.json"]["h1"]
    assert len(entry["items"]) == allure_history.KEEP and entry["items"][0]["uid"] == f"b{allure_history.KEEP + 4}"
    assert entry["statistic"] == {"failed": 0, "broken": 0, "skipped": 0, "passed": 20, "unknown": 0, "total": 20}
    assert previous["retry-trend.json"][0]["data"] == {"run": 1, "retry": 1}
    assert previous["duration-trend.json"][0]["data"] == {"duration": 35}
    assert len(previous["history-trend.json"]) == allure_history.KEEP
    assert previous["history-trend.json"][0]["buildOrder"] == allure_history.KEEP + 5
