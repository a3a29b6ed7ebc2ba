"""Fault injection: make chosen commands fail, slow down, drop the connection,
or make their async jobs fail. Randomness is seeded so a test sees the same
sequence of faults on every run.

Rules are keyed by (command, account): the command name (``"*"`` = every
command) and an account uuid, or no account for a global rule. A call made
by a caller of account A uses the first rule that exists of:

1. A's rule for the command,
2. A's ``"*"`` rule,
3. the global rule for the command,
4. the global ``"*"`` rule.

A call with no caller (none authenticated) only sees global rules (3, 4).
An async job is judged by the account of the caller that submitted it.
Account rules let tests running in parallel inject faults into their own
account's calls without touching anybody else's.

Every rule rolls its own dice: a ``random.Random`` seeded when the rule is
set, by the seed given with it or else by the simulator's fault seed (the
``fault_seed`` it started with, changed by a global ``reseed``). So a rule's
sequence of faults depends only on the calls that rule itself sees, never on
what other rules (other tests) roll in between. Re-seeding does not touch the
rules already set.

The simulator-only APIs that configure faults are never subject to faults
themselves, so a test can always switch them off again.
"""
from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field, fields
from typing import Any, Iterable

EXEMPT = frozenset({"configureSimulatorFaults", "listSimulatorFaults"})

RuleKey = tuple[str, str | None]     # (command, account uuid or None for global)


@dataclass
class FaultRule:
    command: str = "*"
    errorrate: float = 0.0        # probability that a call answers with an error
    errorcode: int = 530
    errortext: str = ""
    latencyms: int = 0            # added to every matching call
    droprate: float = 0.0         # probability that the connection is closed with no answer
    jobfailurerate: float = 0.0   # probability that an async job fails
    account: str | None = None    # account uuid the rule is limited to; None = every caller
    # The rule's own dice, set by Faults.set (see the module docstring for why one per rule).
    rng: random.Random = field(default_factory=lambda: random.Random(0), init=False, repr=False, compare=False)

    @property
    def key(self) -> RuleKey:
        return (self.command, self.account)

    def describe(self) -> dict[str, Any]:
        """The rule as listSimulatorFaults answers it (no ``account`` for a global rule)."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "rng"}
        if self.account is None:
            del out["account"]
        return out

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
        self.seed = seed
        self.rules: dict[RuleKey, FaultRule] = {}
        for rule in rules:
            self.set(FaultRule(**rule))

    def set(self, rule: FaultRule, seed: int | None = None) -> FaultRule:
        """Add or replace the rule of ``rule.key``; its dice are seeded by ``seed``, else the fault seed."""
        rule.validate()
        with self._lock:
            rule.rng = random.Random(self.seed if seed is None else seed)
            self.rules[rule.key] = rule
        return rule

    def clear(self, command: str | None = None, account: str | None = None) -> None:
        """Remove rules. With ``account``: only that account's (of ``command`` if given). Without it:
        every rule of ``command`` (global and of any account), or every rule at all when no command."""
        with self._lock:
            for key in list(self.rules):
                rule_command, rule_account = key
                if command is not None and rule_command != command:
                    continue
                if account is not None and rule_account != account:
                    continue
                del self.rules[key]

    def reseed(self, seed: int) -> None:
        """The seed of rules set from now on without a seed of their own."""
        with self._lock:
            self.seed = seed

    def listed(self, account: str | None = None) -> list[FaultRule]:
        """The rules, global ones first, then by account and command; only ``account``'s if given."""
        with self._lock:
            rules = [r for r in self.rules.values() if account is None or r.account == account]
        return sorted(rules, key=lambda r: (r.account or "", r.command))

    def rule_for(self, command: str, account: str | None = None) -> FaultRule | None:
        """The rule a call of ``command`` by a caller of ``account`` (None: no caller) obeys, if any."""
        if command in EXEMPT or not self.rules:
            return None
        candidates: list[RuleKey] = [(command, None), ("*", None)]
        if account is not None:
            candidates[:0] = [(command, account), ("*", account)]
        rules = self.rules
        for key in candidates:
            rule = rules.get(key)
            if rule is not None:
                return rule
        return None

    def roll(self, rule: FaultRule, probability: float) -> bool:
        """One throw of ``rule``'s dice: True with ``probability`` (no throw at all when it is 0)."""
        if probability <= 0:
            return False
        with self._lock:
            return rule.rng.random() < probability
