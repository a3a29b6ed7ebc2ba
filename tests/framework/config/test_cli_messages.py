"""The marvin2 command tells what went wrong in one line, never with a traceback."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from marvin2.cli import main

REPO = Path(__file__).resolve().parents[3]
CAPTURE = REPO / "tests" / "data" / "listApis-4.18.0.0.json.gz"


def marvin2(*args: str, shell_tail: str = "") -> subprocess.CompletedProcess:
    command = " ".join([f"'{sys.executable}'", "-m", "marvin2.cli", *(f"'{a}'" for a in args)]) + shell_tail
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("MARVIN2_DEBUG", None)
    return subprocess.run(["bash", "-o", "pipefail", "-c", command], capture_output=True, text=True, env=env, timeout=60)


def test_version(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.startswith("marvin2 ")


def test_apis_sync_without_secret_key_is_one_line():
    result = marvin2("apis", "sync", "--endpoint", "http://127.0.0.1:9/client/api", "--api-key", "abc")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert "secret_key is missing" in result.stderr and "Traceback" not in result.stderr


def test_a_server_that_is_down_is_one_line():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = marvin2("apis", "sync", "--endpoint", f"http://127.0.0.1:{port}/client/api", "--api-key", "abc",
                     "--secret-key", "def")
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert f"127.0.0.1:{port}" in lines[0]


def test_a_closed_pipe_is_not_an_error():
    result = marvin2("apis", "search", "a", "--spec", str(CAPTURE), shell_tail=" | head -1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("\n") == 1 and "BrokenPipeError" not in result.stderr
