"""Fixtures of the resource layer's tests that use the real simulator."""
from __future__ import annotations

import pytest

import marvin2


@pytest.fixture(scope="module")
def sim():
    """An embedded simulator (instant jobs) for one test module, in this process."""
    from marvin2.simulator import start_simulator

    simulator = start_simulator(profile="instant")
    yield simulator
    simulator.stop()


@pytest.fixture(scope="module")
def admin(sim):
    api = marvin2.connect(sim.endpoint, api_key=sim.admin_api_key, secret_key=sim.admin_secret_key)
    yield api
    api.close()
