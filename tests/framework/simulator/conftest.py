"""Fixtures for the simulator's own tests: a running simulator and a raw admin client."""
from __future__ import annotations

import pytest

from marvin2.simulator import start_simulator
from sim_testlib import RawClient


@pytest.fixture(scope="module")
def sim():
    simulator = start_simulator(port=0, db=":memory:", profile="instant", seed="default")
    yield simulator
    simulator.stop()


@pytest.fixture(scope="module")
def admin(sim) -> RawClient:
    return RawClient(sim.endpoint, sim.admin_api_key, sim.admin_secret_key)
