"""Fault injection: make chosen commands fail, slow down, drop the connection,
or make their async jobs fail. Randomness is seeded so a test sees the same
sequence of faults on every run.

Rules are per command name (``"*"`` = every command); a command's own rule
wins over ``"*"``. The simulator-only APIs that configure faults are never
subject to faults themselves, so a test can always switch them off again.
"""
from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass
from typing import Any, Iterable

EXEMPT = frozenset({"configureSimulatorFaults", "listSimulatorFaults"})


@dataclass
class FaultRule:
    command: str = "*"
    errorrate: float = 0.0        # probability that a call answers with an error
    errorcode: int = 530
    errortext: str = ""
    latencyms: int = 0            # added to every matching call
    droprate: float = 0.0         # probability that the connection is closed with no answer
    jobfailurerate: float = 0.0   # probability that an async job fails

    def describe(self) -> dict[str, Any]:
        return asdict(self)

    def validate(self) -> "FaultRule":
        for name in ("errorrate", "droprate", "jobfailurerate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"fault {name} must be between 0 and 1, got {value}")
        if not 400 <= int(self.errorcode) <= 599:
            raise ValueError(f"fault errorcode must be an HTTP error status (400-599), got {self.errorcode}")
        if self.latencyms < 0:
            raise ValueError(f"fault latencyms must be >= 0, got {self.latencyms}")
        return self


class Faults:
    def __init__(self, seed: int = 0, rules: Iterable[dict[str, Any]] = ()):
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self.seed = seed
        self.rules: dict[str, FaultRule] = {}
        for rule in rules:
            self.set(FaultRule(**rule))

    def set(self, rule: FaultRule) -> FaultRule:
        rule.validate()
        with self._lock:
            self.rules[rule.command] = rule
        return rule

    def clear(self, command: str | None = None) -> None:
        with self._lock:
            if command is None:
                self.rules.clear()
            else:
                self.rules.pop(command, None)

    def reseed(self, seed: int) -> None:
        with self._lock:
            self.seed = seed
            self._rng = random.Random(seed)

    def rule_for(self, command: str) -> FaultRule | None:
        if command in EXEMPT or not self.rules:
            return None
        return self.rules.get(command) or self.rules.get("*")

    def roll(self, probability: float) -> bool:
        if probability <= 0:
            return False
        with self._lock:
            return self._rng.random() < probability
