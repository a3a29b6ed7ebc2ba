"""Small helpers the packs and the plugin share: settings, lists that may refuse, undo calls, wait_until."""
from __future__ import annotations

import pytest

from marvin2.client.errors import CloudStackError, TransportError
from marvin2.resources import ConditionTimeout, change_setting, listed, restore_setting, setting_value, undo_call
from marvin2.resources.waiters import Backoff, wait_until


class SettingsServer:
    """listConfigurations (substring name filter, like CloudStack) and updateConfiguration, per scope."""

    def __init__(self, **values):
        self.values = {(name, None): value for name, value in values.items()}
        self.updates = []

    @staticmethod
    def _scope(params):
        return params.get("accountid") or params.get("zoneid")

    def listConfigurations(self, name, **scope):
        here = self._scope(scope)
        found = {n: v for (n, s), v in self.values.items() if s is None and name in n}
        found.update({n: v for (n, s), v in self.values.items() if s == here and here and name in n})
        return [{"name": n, "value": v} for n, v in sorted(found.items())]

    def updateConfiguration(self, name, value, **scope):
        self.updates.append((name, value, scope))
        self.values[(name, self._scope(scope))] = value
        return {"name": name, "value": value}


def test_setting_value_picks_the_exact_name_at_its_scope():
    server = SettingsServer(**{"expunge.delay": "60", "expunge.delay.extra": "5"})
    assert setting_value(server, "expunge.delay") == "60"
    assert setting_value(server, "no.such.setting") is None
    server.values[("expunge.delay", "acct-1")] = "7"
    assert setting_value(server, "expunge.delay", accountid="acct-1") == "7"
    assert setting_value(server, "expunge.delay", accountid=None) == "60"   # None: not sent, the global value


def test_change_then_restore_puts_the_old_value_back_once():
    server = SettingsServer(**{"expunge.delay": "60"})
    answer, old = change_setting(server, "expunge.delay", "1")
    assert (answer["value"], old) == ("1", "60")
    assert restore_setting(server, "expunge.delay", old) is True
    assert setting_value(server, "expunge.delay") == "60"
    assert restore_setting(server, "expunge.delay", old) is False          # already back: no call
    assert [u[:2] for u in server.updates] == [("expunge.delay", "1"), ("expunge.delay", "60")]


def test_a_setting_without_value_is_restored_as_empty_at_its_scope():
    server = SettingsServer()
    server.values[("allow.user.view.destroyed.vm", None)] = None
    change_setting(server, "allow.user.view.destroyed.vm", "true", accountid="a1")
    assert restore_setting(server, "allow.user.view.destroyed.vm", None, accountid="a1") is True
    assert server.updates[-1] == ("allow.user.view.destroyed.vm", "", {"accountid": "a1"})


class Refusing:
    def __init__(self, error):
        self.error = error

    def listVolumes(self, **params):
        if self.error:
            raise self.error
        return [{"id": "v1"}]


def test_listed_turns_refusals_and_gone_errors_into_nothing():
    assert listed(Refusing(None), "listVolumes", id="v1") == [{"id": "v1"}]
    assert listed(Refusing(CloudStackError("listVolumes", 431, "Unable to execute API command")), "listVolumes") == []
    gone = CloudStackError("listVolumes", 530, "entity does not exist")
    assert listed(Refusing(gone), "listVolumes") == []
    denied = CloudStackError("listVolumes", 531, "Account a does not have permission to access v1")
    with pytest.raises(CloudStackError):
        listed(Refusing(denied), "listVolumes")                    # not a refusal unless asked for
    assert listed(Refusing(denied), "listVolumes", refusals=(431, 531)) == []
    with pytest.raises(TransportError):
        listed(Refusing(TransportError("listVolumes", "connection refused", endpoints=["x"])), "listVolumes")


class Undo:
    def __init__(self, error=None):
        self.error, self.calls = error, []

    def disableStaticNat(self, **params):
        self.calls.append(params)
        if self.error:
            raise self.error


def test_undo_call_accepts_nothing_left_to_undo_only():
    api = Undo()
    assert undo_call(api, "disableStaticNat", ipaddressid="ip1", vmid=None) is True
    assert api.calls == [{"ipaddressid": "ip1"}]
    assert undo_call(Undo(CloudStackError("disableStaticNat", 431, "Unable to find ip address ip1")),
                     "disableStaticNat", ipaddressid="ip1") is False
    with pytest.raises(CloudStackError, match="in use"):
        undo_call(Undo(CloudStackError("disableStaticNat", 530, "ip in use")), "disableStaticNat", ipaddressid="ip1")


class Clock:
    def __init__(self):
        self.now, self.sleeps = 0.0, []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(round(seconds, 3))
        self.now += seconds


def test_wait_until_returns_the_first_truthy_value():
    clock, answers = Clock(), iter([None, [], ["tag"]])
    assert wait_until(lambda: next(answers), timeout=10, what="a tag", clock=clock, sleep=clock.sleep) == ["tag"]
    assert clock.sleeps == [0.05, 0.08]


def test_wait_until_gives_up_at_the_deadline_and_says_what_it_waited_for():
    clock, calls = Clock(), []
    with pytest.raises(ConditionTimeout, match=r"timed out after 1s waiting for the count to drop") as caught:
        wait_until(lambda: calls.append(clock.now), timeout=1, what="the count to drop",
                   backoff=Backoff(first=0.3, factor=2, cap=2), clock=clock, sleep=clock.sleep)
    assert clock.sleeps == [0.3, 0.6, 0.1]           # never sleeps past the deadline
    assert calls[-1] == pytest.approx(1.0)            # one last look at the deadline
    assert isinstance(caught.value, TimeoutError) and caught.value.timeout == 1
    with pytest.raises(ValueError, match="timeout must be > 0"):
        wait_until(lambda: True, timeout=0, what="x")
