"""Settings: CloudStack's (``global_settings``, restored after the test) and the run config's job timeout.

    @pytest.mark.serial                          # a global value affects every test running meanwhile
    def test_short_expunge_delay(global_settings):
        global_settings.set("expunge.delay", "1")
        ...                                      # the old value is put back after the test

A value at a scope (``accountid=``, ``zoneid=`` ...) affects only that
scope, so it needs no ``serial``; a global one does, and changing one in a
test that is not ``serial`` fails at once instead of racing other workers.
"""
from __future__ import annotations

from typing import Any

import pytest

from marvin2.resources.cleanup import CleanupStack
from marvin2.resources.settings import change_setting, restore_setting, setting_value

SCOPES = ("accountid", "domainid", "zoneid", "clusterid", "storageid", "imagestoreuuid")


class GlobalSettings:
    """Reads and changes settings as the admin; every change is undone by the test's cleanup stack."""

    def __init__(self, api: Any, stack: CleanupStack, *, serial: bool, test: str = "this test"):
        self.api = api
        self.stack = stack
        self.serial = serial
        self.test = test

    def get(self, name: str, **scope: Any) -> str | None:
        """The current value (at ``scope``; None when the server has no such setting)."""
        return setting_value(self.api, name, **scope)

    def set(self, name: str, value: Any, **scope: Any) -> Any:
        """updateConfiguration; the value before comes back after the test. Returns the server's answer."""
        if not self.serial and not any(scope.get(key) for key in SCOPES):
            pytest.fail(f"{self.test} changes the global setting {name!r}: mark it @pytest.mark.serial "
                        f"(or give a scope such as accountid=)", pytrace=False)
        answer, old = change_setting(self.api, name, value, **scope)
        self.stack.push(restore_setting, self.api, name, old, description=f"restore setting {name}", **scope)
        return answer


@pytest.fixture
def global_settings(request: pytest.FixtureRequest, cloud: Any, cleanup_stack: CleanupStack) -> GlobalSettings:
    """``global_settings.set(name, value, **scope)`` / ``.get(name, **scope)``; every value is restored
    after the test. Global values only in ``@pytest.mark.serial`` tests."""
    serial = request.node.get_closest_marker("serial") is not None
    return GlobalSettings(cloud, cleanup_stack, serial=serial, test=request.node.nodeid)


@pytest.fixture(scope="session")
def job_timeout(marvin2_config: Any) -> float:
    """The config's job timeout (``timeouts.job``, default 600 s), for a test's own waits."""
    return float((getattr(marvin2_config, "timeouts", None) or {}).get("job", 600))
