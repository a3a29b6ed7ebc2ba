"""Running pytest under ``marvin2 run`` so that Ctrl-C and SIGTERM end a run well.

pytest runs in a process group of its own, so the terminal's Ctrl-C reaches
only ``marvin2 run``, which decides what pytest gets:

- first Ctrl-C (or SIGTERM): one SIGINT to pytest's group (pytest and its
  xdist workers): the running tests stop, fixtures clean up, the ledger's
  leak check runs; ``marvin2 run`` waits for that at most ``grace`` seconds;
- second Ctrl-C: another SIGINT (pytest stops its teardown), then after a
  few seconds SIGKILL to the whole group, so that no worker goes on
  deleting after ``marvin2 run`` has returned;
- then the summary is printed in every case, with what was left behind and
  the exact cleanup command.

Without this, Python's ``subprocess.call`` killed pytest on the first
Ctrl-C: no summary, no cleanup, resources left.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

DEFAULT_GRACE = 300.0   # seconds the fixtures get to clean up after the first Ctrl-C
HARD_STOP_AFTER = 10.0  # seconds between the second Ctrl-C and SIGKILL


@dataclass
class Outcome:
    exit_code: int
    signals: list[str] = field(default_factory=list)  # names of the signals received, in order
    killed: bool = False                                # the group had to be SIGKILLed

    @property
    def interrupted(self) -> bool:
        return bool(self.signals)

    @property
    def cleanup_skipped(self) -> bool:
        return len(self.signals) > 1 or self.killed


def _say(text: str) -> None:
    print(f"marvin2 run: {text}", file=sys.stderr, flush=True)


def run_pytest(command: list[str], *, env: dict | None = None, grace: float = DEFAULT_GRACE) -> Outcome:
    group_options = {"process_group": 0} if sys.version_info >= (3, 11) else {"preexec_fn": os.setpgrp}
    process = subprocess.Popen(command, env=env, **group_options)
    outcome = Outcome(exit_code=0)
    deadline: list[float] = []  # when to SIGKILL the group (set by the signals)

    def signal_group(signum: int) -> None:
        try:
            os.killpg(process.pid, signum)
        except (ProcessLookupError, PermissionError):
            pass

    def on_signal(signum, frame) -> None:
        outcome.signals.append(signal.Signals(signum).name)
        if len(outcome.signals) == 1:
            _say(f"{outcome.signals[0]}: stopping the tests; fixtures are cleaning up (at most {grace:g}s). "
                 "Press Ctrl-C again to stop at once and leave what was created.")
            deadline.append(time.monotonic() + grace)
        else:
            _say("stopping at once: cleanup skipped")
            deadline.append(time.monotonic() + HARD_STOP_AFTER)
        signal_group(signal.SIGINT)

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        while True:
            try:
                outcome.exit_code = process.wait(timeout=0.2)
                break
            except subprocess.TimeoutExpired:
                pass
            if deadline and time.monotonic() >= min(deadline):
                _say("pytest did not stop in time: killing it and its workers")
                signal_group(signal.SIGKILL)
                outcome.killed = True
                outcome.exit_code = process.wait()
                break
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    # Workers that outlived pytest (a controller killed first) must not go on deleting.
    signal_group(signal.SIGKILL)
    return outcome
