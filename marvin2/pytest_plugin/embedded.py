"""The embedded simulator as a child process of the pytest controller.

A subprocess rather than a thread: the simulator then has its own GIL, so
test code (and many xdist workers hammering it) do not slow each other down,
and a test that hangs the interpreter cannot hang the server.

The child writes its endpoint and admin keys as JSON to ``--ready-file``
(see ``marvin2 simulator --help``). That file holds a secret key, so it lives
in a private temporary directory and is deleted as soon as it is read; it
never lands in the results directory.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: have the kernel SIGTERM the simulator if pytest itself is killed
    (kill -9, OOM), so no orphan server keeps a port and memory."""
    try:
        import ctypes
        import signal

        # A process group of its own: the Ctrl-C that stops pytest and its workers
        # must not stop the server their fixtures still need to clean up.
        os.setpgrp()
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG
    except Exception:
        pass


class SimulatorStartError(RuntimeError):
    """The embedded simulator did not come up; the message says why."""


@dataclass(frozen=True)
class SimulatorEndpoint:
    """Where the running simulator listens and how to act as its admin."""

    endpoint: str
    api_key: str
    secret_key: str = field(repr=False)  # never in reprs or tracebacks

    def to_wire(self) -> dict[str, str]:
        return {"endpoint": self.endpoint, "api_key": self.api_key, "secret_key": self.secret_key}

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> "SimulatorEndpoint":
        return cls(endpoint=data["endpoint"], api_key=data["api_key"], secret_key=data["secret_key"])


def _first(data: Mapping[str, Any], *names: str) -> Any:
    for name in names:
        if data.get(name):
            return data[name]
    return None


def parse_ready_file(data: Mapping[str, Any]) -> SimulatorEndpoint:
    """Read the simulator's ready JSON (tolerating ``admin_``-prefixed key names)."""
    endpoint = _first(data, "endpoint", "url")
    api_key = _first(data, "admin_api_key", "api_key", "apikey")
    secret_key = _first(data, "admin_secret_key", "secret_key", "secretkey")
    missing = [name for name, value in (("endpoint", endpoint), ("api key", api_key), ("secret key", secret_key))
               if not value]
    if missing:
        raise SimulatorStartError(
            f"the simulator's ready file lacks {', '.join(missing)} (keys present: {sorted(data)})"
        )
    return SimulatorEndpoint(endpoint=endpoint, api_key=api_key, secret_key=secret_key)


class SimulatorProcess:
    """Start ``python -m marvin2.cli simulator`` and stop it again."""

    def __init__(self, *, profile: str | None = None, seed: str | None = None, empty: bool = False,
                 db: str | None = None, log_path: Path | None = None, extra_args: tuple[str, ...] = ()):
        self.profile = profile
        self.seed = seed
        self.empty = empty
        self.db = db
        self.log_path = log_path
        self.extra_args = extra_args
        self.process: subprocess.Popen | None = None
        self.endpoint: SimulatorEndpoint | None = None
        self._log_file = None

    def command(self, ready_file: Path) -> list[str]:
        cmd = [sys.executable, "-m", "marvin2.cli", "simulator", "--host", "127.0.0.1", "--port", "0",
               "--ready-file", str(ready_file)]
        if self.profile:
            cmd += ["--profile", self.profile]
        if self.empty:
            cmd += ["--empty"]
        elif self.seed:
            cmd += ["--seed", self.seed]
        if self.db:
            cmd += ["--db", self.db]
        return cmd + list(self.extra_args)

    def start(self, timeout: float = 60.0) -> SimulatorEndpoint:
        private_dir = Path(tempfile.mkdtemp(prefix="marvin2-sim-"))  # 0700: only we can read the keys
        ready_file = private_dir / "ready.json"
        if self.log_path is None:
            # A file, never a pipe: nobody reads a pipe while tests run, and a
            # full pipe would block the simulator.
            handle, name = tempfile.mkstemp(prefix="marvin2-sim-", suffix=".log")
            os.close(handle)
            self.log_path = Path(name)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log_file = open(self.log_path, "wb")
        stderr = self._log_file
        try:
            # stdout carries the admin keys (printed for humans): discard it.
            self.process = subprocess.Popen(
                self.command(ready_file), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
                preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
            )
            self.endpoint = self._wait_ready(ready_file, timeout)
            return self.endpoint
        except BaseException:
            self.stop()
            raise
        finally:
            shutil.rmtree(private_dir, ignore_errors=True)

    def _wait_ready(self, ready_file: Path, timeout: float) -> SimulatorEndpoint:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        delay = 0.01
        while True:
            code = self.process.poll()
            if code is not None:
                raise SimulatorStartError(
                    f"the embedded simulator exited with status {code} before it was ready.\n"
                    f"command: {' '.join(self.command(ready_file))}\n{self._stderr_tail()}"
                )
            if ready_file.exists():
                try:
                    data = json.loads(ready_file.read_text(encoding="utf-8"))
                except (json.JSONDecodeError, UnicodeDecodeError):
                    data = None  # still being written; read again shortly
                if data is not None:
                    return parse_ready_file(data)
            if time.monotonic() >= deadline:
                raise SimulatorStartError(
                    f"the embedded simulator was not ready after {timeout:.0f}s "
                    f"(no ready file {ready_file}; raise ini marvin_simulator_timeout if the machine is slow).\n"
                    f"{self._stderr_tail()}"
                )
            time.sleep(delay)
            delay = min(delay * 1.5, 0.1)

    def _stderr_tail(self, limit: int = 4000) -> str:
        text = ""
        if self.log_path is not None and self.log_path.exists():
            text = self.log_path.read_bytes()[-limit:].decode("utf-8", "replace")
        return f"simulator stderr ({self.log_path}, last {limit} bytes):\n{text.strip() or '(empty)'}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
