"""Fixtures of the operations-API tests: a simulator per module, an admin and a user client."""
from __future__ import annotations

import pytest
from ops_client import Client, new_user

from marvin2.simulator import start_simulator


@pytest.fixture(scope="module")
def sim():
    simulator = start_simulator(port=0, db=":memory:", profile="instant", seed="default")
    yield simulator
    simulator.stop()


@pytest.fixture(scope="module")
def admin(sim) -> Client:
    return Client(sim.endpoint, sim.admin_api_key, sim.admin_secret_key)


@pytest.fixture(scope="module")
def user_account(admin):
    return new_user(admin, "opsuser")


@pytest.fixture(scope="module")
def user(user_account) -> Client:
    return user_account[1]


@pytest.fixture(scope="module")
def other_user(admin) -> Client:
    return new_user(admin, "opsother")[1]


@pytest.fixture(scope="module")
def catalog(admin) -> dict:
    """The seeded zone, offering and template, by their real names."""
    zone = admin.items("listZones", "zone", name="Sandbox-simulator")[0]
    small = admin.items("listServiceOfferings", "serviceoffering", name="Small Instance")[0]
    template = admin.items("listTemplates", "template", templatefilter="featured",
                           name="CentOS 5.6 (64-bit) no GUI (Simulator)")[0]
    return {"zone": zone, "small": small, "template": template}


@pytest.fixture(scope="module")
def deploy(catalog):
    def _deploy(client: Client, **params) -> dict:
        base = {"zoneid": catalog["zone"]["id"], "serviceofferingid": catalog["small"]["id"],
                "templateid": catalog["template"]["id"]}
        return client.job_ok("deployVirtualMachine", **{**base, **params})["virtualmachine"]
    return _deploy
