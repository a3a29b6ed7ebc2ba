"""Fixtures of the smoke pack (tests/smoke).

The plugin's fixtures (``cloud``, ``zone``, ``user_api``, ``deploy_vm``,
``create_network``, ..., ``make`` for what has no ``create_*`` fixture,
``global_settings``, ``user_api_full_spec``, ``ssh_to_guest``, ``job_timeout``)
do most of the work. This file adds what several smoke modules need:

- ``implemented_network``: an isolated network with a running VM (CloudStack
  gives public IPs only to implemented networks);
- ``test_data`` and the offerings it names (``large_service_offering``,
  ``shared_network_offering``, ``l2_network_offering``) and the zone's
  guest ``physical_network``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest


# --- an isolated network that CloudStack has implemented -------------------------------------


@dataclass(frozen=True)
class ImplementedNetwork:
    network: Any
    vm: Any

    @property
    def id(self) -> str:
        return self.network["id"]


@pytest.fixture
def implemented_network(create_network: Any, deploy_vm: Any) -> ImplementedNetwork:
    """An isolated network with a running VM (so it is Implemented and has its source NAT IP).

    Public IP tests start from here: depending on the CloudStack version, an
    IP acquired for a network that is only Allocated is refused ("needs to be
    implemented first") or becomes its source NAT address.
    """
    network = create_network()
    vm = deploy_vm(networkids=[network["id"]])
    return ImplementedNetwork(network, vm)


# --- offerings looked up by their test_data names --------------------------------------------


@pytest.fixture(scope="session")
def test_data(marvin2_config: Any) -> dict:
    return dict(marvin2_config.test_data or {})


def _offering_named(api: Any, command: str, name: str, what: str, **filters: Any) -> Any:
    found = [o for o in api.call(command, {"name": name, **filters}) or [] if o.get("name") == name]
    if not found:
        pytest.fail(f"no {what} named {name!r} (set it in the config's test_data)", pytrace=False)
    return found[0]


@pytest.fixture(scope="session")
def large_service_offering(cloud: Any, test_data: dict, service_offering: Any) -> Any:
    """A second service offering to scale to (test_data ``service_offering_large``)."""
    return _offering_named(cloud, "listServiceOfferings", test_data.get("service_offering_large", "Medium Instance"),
                           "service offering")


@pytest.fixture(scope="session")
def shared_network_offering(cloud: Any, test_data: dict) -> Any:
    return _offering_named(cloud, "listNetworkOfferings",
                           test_data.get("shared_network_offering", "DefaultSharedNetworkOffering"), "network offering")


@pytest.fixture(scope="session")
def l2_network_offering(cloud: Any, test_data: dict) -> Any:
    return _offering_named(cloud, "listNetworkOfferings",
                           test_data.get("l2_network_offering", "DefaultL2NetworkOffering"), "network offering")


@pytest.fixture(scope="session")
def physical_network(cloud: Any, zone: Any) -> Any:
    """The zone's physical network that carries guest traffic."""
    networks = cloud.listPhysicalNetworks(zoneid=zone["id"]) or []
    assert networks, f"zone {zone['name']} has no physical network"
    for network in networks:
        types = cloud.listTrafficTypes(physicalnetworkid=network["id"]) if "listTrafficTypes" in cloud.spec.names else []
        if any(t.get("traffictype") == "Guest" for t in types or []):
            return network
    return networks[0]
