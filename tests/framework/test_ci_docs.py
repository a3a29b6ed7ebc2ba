"""docs/ci.md's CI examples: valid, in sync with the files, and using options that exist.

The workflow cannot run here; what can be checked is that it parses, has
the matrix of shards x configs, runs every shard K/N with N = the number of
shards, uploads each shard's results, and merges them in a final job that
runs whatever the shards' outcome, with commands marvin2's own parser accepts.
"""
from __future__ import annotations

import re
import shlex
from pathlib import Path

import yaml

from marvin2.cli import build_parser

DOCS = Path(__file__).resolve().parents[2] / "docs"
WORKFLOW = DOCS / "ci" / "github-actions.yml"
JENKINSFILE = DOCS / "ci" / "Jenkinsfile"


def _steps_running(job: dict, text: str) -> list[dict]:
    return [step for step in job["steps"] if text in str(step.get("run", ""))]


def test_workflow_is_a_shard_matrix_merged_in_a_final_job():
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert "workflow_dispatch" in triggers
    shard_job, merge_job = workflow["jobs"]["shard"], workflow["jobs"]["merge"]

    matrix = shard_job["strategy"]["matrix"]
    assert shard_job["strategy"]["fail-fast"] is False
    assert matrix["shard"] == list(range(1, len(matrix["shard"]) + 1))
    assert int(workflow["env"]["SHARDS"]) == len(matrix["shard"])
    names = [config["name"] for config in matrix["config"]]
    assert len(names) >= 2 and all(Path(DOCS.parent, c["file"]).is_file() for c in matrix["config"])

    [run_step] = _steps_running(shard_job, "marvin2 run")
    command = run_step["run"].replace("${{ matrix.shard }}", "2").replace("${{ env.SHARDS }}", workflow["env"]["SHARDS"])
    command = re.sub(r"\$\{\{ [^}]+ \}\}", "X", command)
    argv = shlex.split(command)
    assert argv[:2] == ["marvin2", "run"]
    args = build_parser().parse_args(argv[1:])
    assert args.pytest_args[args.pytest_args.index("--shard") + 1] == f"2/{len(matrix['shard'])}"
    assert "--reruns" in args.pytest_args and args.results_dir and args.run_id

    upload = next(s for s in shard_job["steps"] if str(s.get("uses", "")).startswith("actions/upload-artifact"))
    assert upload["if"] == "always()" and "matrix.shard" in upload["with"]["name"]
    assert upload["with"]["path"] == run_step["run"].split("--results-dir ")[1].strip()

    assert merge_job["needs"] == "shard" and merge_job["if"] == "always()"
    download = next(s for s in merge_job["steps"] if str(s.get("uses", "")).startswith("actions/download-artifact"))
    assert download["with"]["pattern"] == "results-*"
    [merge_step] = _steps_running(merge_job, "marvin2 report merge")
    assert f"for config in {' '.join(names)}; do" in merge_step["run"]
    merge_line = next(line for line in merge_step["run"].splitlines() if "marvin2 report merge" in line)
    merge_argv = shlex.split(merge_line.split("||")[0].replace("$config", "advanced").replace("$history", ""))
    parsed = build_parser().parse_args(merge_argv[1:])
    assert parsed.func.__name__ == "run_merge" and parsed.dirs == ["shards/results-advanced-shard-*"]


def test_jenkins_pipeline_runs_the_same_shards_and_merge():
    text = JENKINSFILE.read_text(encoding="utf-8")
    assert text.count("{") == text.count("}"), "unbalanced braces"
    shards = re.search(r"name 'SHARD'\s*\n\s*values (.+)", text).group(1)
    values = re.findall(r"'(\d+)'", shards)
    assert values == [str(k) for k in range(1, len(values) + 1)]
    assert f"SHARDS = '{len(values)}'" in text
    configs = re.findall(r"'([\w-]+)'", re.search(r"name 'CONFIG'.*\n\s*values (.+)", text).group(1))
    assert all((DOCS.parent / "configs" / f"{c}.yaml").is_file() for c in configs)
    assert "--shard ${SHARD}/${SHARDS}" in text and "matrix {" in text
    assert 'stash name: "results-${CONFIG}-${SHARD}"' in text and 'unstash "results-${config}-${shard}"' in text
    assert f"for config in {' '.join(configs)}; do" in text
    assert "marvin2 report merge results/$config-shard-* -o merged/$config" in text
    assert "junit testResults: 'merged/*/junit.xml'" in text


def test_ci_doc_shows_exactly_the_files():
    doc = (DOCS / "ci.md").read_text(encoding="utf-8")
    assert "```yaml\n" + WORKFLOW.read_text(encoding="utf-8") + "```" in doc
    assert "```groovy\n" + JENKINSFILE.read_text(encoding="utf-8") + "```" in doc
