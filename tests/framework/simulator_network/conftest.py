"""Fixtures of the network simulator tests: a simulator per module, the admin
and two isolated user accounts, all talking signed HTTP."""
from __future__ import annotations

import pytest
from netclient import ISOLATED, VPC_OFFERING, Client, new_user

from marvin2.simulator import start_simulator


@pytest.fixture(scope="module")
def sim():
    simulator = start_simulator(port=0, db=":memory:", profile="instant", seed="default")
    yield simulator
    simulator.stop()


@pytest.fixture(scope="module")
def admin(sim) -> Client:
    return Client(sim.endpoint, sim.admin_api_key, sim.admin_secret_key, label="admin")


@pytest.fixture(scope="module")
def cloud(admin) -> dict:
    """The seeded zone, offerings and template, looked up by their real names."""
    zone = admin.items("listZones", "zone", name="Sandbox-simulator")[0]
    offerings = {o["name"]: o for o in admin.items("listNetworkOfferings", "networkoffering")}
    vpc_offering = admin.items("listVPCOfferings", "vpcoffering", name=VPC_OFFERING)[0]
    template = admin.items("listTemplates", "template", templatefilter="featured")[0]
    small = admin.items("listServiceOfferings", "serviceoffering", name="Small Instance")[0]
    return {"zone": zone, "offerings": offerings, "vpc_offering": vpc_offering, "template": template, "small": small}


@pytest.fixture(scope="module")
def user_a(admin) -> Client:
    return new_user(admin, "neta")


@pytest.fixture(scope="module")
def user_b(admin) -> Client:
    return new_user(admin, "netb")


@pytest.fixture()
def make_network(cloud):
    """make_network(client, offering=ISOLATED, **params) -> the created network."""

    def _make(client: Client, offering: str = ISOLATED, **params) -> dict:
        base = {"name": "net", "displaytext": "net", "zoneid": cloud["zone"]["id"],
                "networkofferingid": cloud["offerings"][offering]["id"]}
        return client.ok("createNetwork", **{**base, **params})["network"]

    return _make


@pytest.fixture()
def deploy(cloud):
    """deploy(client, network, **params) -> the running VM (deployVirtualMachine job result)."""

    def _deploy(client: Client, network: dict | None = None, **params) -> dict:
        base = {"zoneid": cloud["zone"]["id"], "templateid": cloud["template"]["id"],
                "serviceofferingid": cloud["small"]["id"]}
        if network is not None:
            base["networkids"] = [network["id"]]
        return client.run("deployVirtualMachine", **{**base, **params})["virtualmachine"]

    return _deploy
