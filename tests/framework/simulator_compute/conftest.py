"""Fixtures of the compute/storage/catalog simulator tests: a simulator per module and signed clients."""
from __future__ import annotations

import pytest
from compute_client import SLOW_PROFILE, SLOW_SECONDS, Client, new_user

from marvin2.simulator import start_simulator, timing


@pytest.fixture(scope="module")
def sim():
    simulator = start_simulator(port=0, db=":memory:", profile="instant", seed="default")
    yield simulator
    simulator.stop()


@pytest.fixture(scope="module")
def admin(sim) -> Client:
    return Client(sim.endpoint, sim.admin_api_key, sim.admin_secret_key, label="admin")


@pytest.fixture(scope="module")
def catalog(admin) -> dict:
    """The seeded zone, offerings and template (looked up by their real names)."""
    zone = admin.items("listZones", "zone", name="Sandbox-simulator")[0]
    small = admin.items("listServiceOfferings", "serviceoffering", name="Small Instance")[0]
    medium = admin.items("listServiceOfferings", "serviceoffering", name="Medium Instance")[0]
    template = admin.items("listTemplates", "template", templatefilter="featured",
                           name="CentOS 5.6 (64-bit) no GUI (Simulator)")[0]
    disk = {d["name"]: d for d in admin.items("listDiskOfferings", "diskoffering")}
    return {"zone": zone, "small": small, "medium": medium, "template": template, "disk": disk}


@pytest.fixture(scope="module")
def user(admin) -> Client:
    return new_user(admin)


@pytest.fixture(scope="module")
def other_user(admin) -> Client:
    return new_user(admin)


@pytest.fixture()
def deploy(catalog):
    """deploy(client, **params) -> the deployed VM (job result), default zone/offering/template."""

    def _deploy(client: Client, **params) -> dict:
        base = {"zoneid": catalog["zone"]["id"], "serviceofferingid": catalog["small"]["id"],
                "templateid": catalog["template"]["id"]}
        return client.run("deployVirtualMachine", **{**base, **params})["virtualmachine"]

    return _deploy


@pytest.fixture()
def slow_sim(monkeypatch):
    """A simulator whose jobs take SLOW_SECONDS, to observe intermediate states."""
    monkeypatch.setitem(timing.PROFILES, SLOW_PROFILE, {"default": SLOW_SECONDS})
    simulator = start_simulator(port=0, db=":memory:", profile=SLOW_PROFILE, seed="default")
    yield simulator
    simulator.stop()
