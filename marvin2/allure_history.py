"""Allure trends without the allure command line: history files kept by marvin2.

Allure shows each test's last outcomes and durations, and the trend charts,
from ``history/*.json`` in the results folder it reads; ``allure generate``
writes them into the report, and the usual recipe is to copy the previous
report's ``history/`` into the next results. marvin2 does not need the
report to exist: after a run it computes the same files itself from the
previous history and this run's ``*-result.json``, into
``<results>/allure/history/``, and the next run of the same results root
starts from them (``marvin2 run`` does this; ``marvin2 report merge
--history-from DIR`` for merged CI results).

Files (allure 2's format, newest entry first, at most ``KEEP`` entries):

- ``history.json``: ``{historyId: {"statistic": {...}, "items": [{"uid",
  "reportUrl", "status", "statusDetails", "time": {start, stop, duration}}]}}``
- ``history-trend.json``: ``[{"buildOrder", "reportName", "reportUrl",
  "data": {failed, broken, skipped, passed, unknown, total}}]``
- ``duration-trend.json``: ``[{"buildOrder", "data": {"duration": ms}}]``
- ``retry-trend.json``: ``[{"buildOrder", "data": {"run": n, "retry": n}}]``

This module knows nothing of pytest.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["KEEP", "STATUSES", "read_results", "read_history", "updated_history", "write_history",
           "find_previous_history"]

KEEP = 20
STATUSES = ("failed", "broken", "skipped", "passed", "unknown")
HISTORY_FILES = ("history.json", "history-trend.json", "duration-trend.json", "retry-trend.json")


def read_results(allure_dir: Path) -> list[dict]:
    """The test results (``*-result.json``) of an allure results folder; unreadable files are skipped."""
    results = []
    for path in sorted(Path(allure_dir).glob("*-result.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and data.get("historyId"):
            results.append(data)
    return results


def read_history(history_dir: Path) -> dict[str, Any]:
    """``{file name: parsed content}`` of a history folder; missing or broken files start empty."""
    loaded: dict[str, Any] = {}
    for name in HISTORY_FILES:
        try:
            loaded[name] = json.loads((Path(history_dir) / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            loaded[name] = {} if name == "history.json" else []
    if not isinstance(loaded["history.json"], dict):
        loaded["history.json"] = {}
    for name in HISTORY_FILES[1:]:
        if not isinstance(loaded[name], list):
            loaded[name] = []
    return loaded


def _latest_per_test(results: list[dict]) -> tuple[dict[str, dict], int]:
    """The last attempt of each test (retries share a historyId), and the number of retries."""
    latest: dict[str, dict] = {}
    retries = 0
    for result in results:
        key = result["historyId"]
        if key in latest:
            retries += 1
            if result.get("stop", 0) < latest[key].get("stop", 0):
                continue
        latest[key] = result
    return latest, retries


def updated_history(previous: dict[str, Any], results: list[dict], *, report_name: str) -> dict[str, Any]:
    """The history files after a run with these results, on top of ``previous`` (from read_history)."""
    latest, retries = _latest_per_test(results)
    history = {key: dict(value) for key, value in previous["history.json"].items() if isinstance(value, dict)}
    counts = dict.fromkeys(STATUSES, 0)
    # The run's duration spans every attempt, retries included.
    timed = [r for r in results if isinstance(r.get("start"), (int, float)) and isinstance(r.get("stop"), (int, float))]
    for key, result in latest.items():
        status = result.get("status") if result.get("status") in STATUSES else "unknown"
        counts[status] += 1
        start, stop = result.get("start"), result.get("stop")
        item = {"uid": result.get("uuid", ""), "reportUrl": "", "status": status,
                "statusDetails": ((result.get("statusDetails") or {}).get("message") or "")[:1000],
                "time": {"start": start, "stop": stop,
                         "duration": (stop - start) if start is not None and stop is not None else None}}
        entry = history.get(key, {})
        items = ([item] + list(entry.get("items", [])))[:KEEP]
        statistic = dict.fromkeys(STATUSES, 0)
        for old in items:
            statistic[old.get("status") if old.get("status") in STATUSES else "unknown"] += 1
        statistic["total"] = len(items)
        history[key] = {"statistic": statistic, "items": items}
    order = 1 + max((e.get("buildOrder", 0) for e in previous["history-trend.json"] if isinstance(e, dict)),
                    default=0)
    counts["total"] = len(latest)
    duration = (max(r["stop"] for r in timed) - min(r["start"] for r in timed)) if timed else 0
    return {
        "history.json": history,
        "history-trend.json": ([{"buildOrder": order, "reportName": report_name, "reportUrl": "", "data": counts}]
                               + previous["history-trend.json"])[:KEEP],
        "duration-trend.json": ([{"buildOrder": order, "data": {"duration": duration}}]
                                + previous["duration-trend.json"])[:KEEP],
        "retry-trend.json": ([{"buildOrder": order, "data": {"run": len(latest), "retry": retries}}]
                             + previous["retry-trend.json"])[:KEEP],
    }


def write_history(history_dir: Path, files: dict[str, Any]) -> None:
    history_dir = Path(history_dir)
    history_dir.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (history_dir / name).write_text(json.dumps(content, indent=1) + "\n", encoding="utf-8")


def find_previous_history(results_root: Path, *, marker: str, exclude: Path | None = None) -> Path | None:
    """The newest ``allure/history`` folder among the marvin2 results folders directly under ``results_root``
    (those carrying ``marker``), or None. ``exclude`` is left out (the run about to start)."""
    newest: tuple[float, Path] | None = None
    try:
        candidates = list(Path(results_root).iterdir())
    except OSError:
        return None
    for folder in candidates:
        if exclude is not None and folder.resolve() == Path(exclude).resolve():
            continue
        history = folder / "allure" / "history" / "history-trend.json"
        if not (folder / marker).is_file() or not history.is_file():
            continue
        mtime = history.stat().st_mtime
        if newest is None or mtime > newest[0]:
            newest = (mtime, history.parent)
    return newest[1] if newest else None
