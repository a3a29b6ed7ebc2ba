"""The marvin2 pytest plugin, registered through the ``pytest11`` entry point.

Each concern lives in its own module, registered here as a pytest plugin of
its own so that hooks and fixtures stay small and have one job each:

- ``options``:   every command-line option and ini setting (one place)
- ``markers``:   tag vocabulary markers, capability markers, --tags selection
- ``session``:   config loading, the embedded simulator, the admin ``cloud`` fixture, run context
- ``fixtures``:  discovery, per-worker accounts, factories with LIFO cleanup
- ``background_cleanup``: a test's resources deleted while the next test runs
- ``ledger``:    record of every created resource; leak check at the end
- ``serial``:    ``@pytest.mark.serial`` tests never overlap
- ``run_info``:  the header naming the cloud under test; run.json for `marvin2 cleanup`
- ``cloud_health``: one check of the cloud before the first test; stop when it stops answering
- ``waiting``:   notices of calls that wait long; the per-test timeout (pytest-timeout)
- ``workers``:   a dead xdist worker's test is reported once, not run again
- ``sharding``:  ``--shard K/N`` across CI machines, recorded durations
- ``scheduling``: under ``--dist loadscope``, long modules first and serial tests as one group
- ``flaky``:     tests that passed on a rerun (``--reruns``) reported as flaky
- ``reporting``: allure steps/labels/environment, terminal summary
"""
from __future__ import annotations

import importlib

PLUGIN_MODULES = ("options", "markers", "session", "run_info", "cloud_health", "waiting", "fixtures",
                  "background_cleanup", "ledger",
                  "serial", "workers", "sharding", "scheduling", "flaky", "reporting")


def _load(name: str):
    try:
        return importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError as error:
        # A module that is not written yet is simply absent; any other
        # missing import inside an existing module is a real error.
        if error.name == f"{__name__}.{name}":
            return None
        raise


def pytest_addoption(parser, pluginmanager):
    # Options must exist before configure: register sibling modules now.
    for name in PLUGIN_MODULES:
        module = _load(name)
        if module is not None and not pluginmanager.is_registered(module):
            pluginmanager.register(module, f"marvin2.{name}")
