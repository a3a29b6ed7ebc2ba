"""Indirect agent load balancing across management servers, as an operator sees it: the ``host`` setting
lists the management servers agents may use, ``indirect.agent.lb.algorithm`` orders each agent's list,
``indirect.agent.lb.check.interval`` makes agents move to the first server of their list, and listHosts
shows the management server each host is connected to.

On a real cloud the test uses the management servers it has (it needs two); the simulator stands for a
cluster of whatever the ``host`` setting lists, so there it adds documentation addresses (192.0.2.x)."""
import time

import pytest

pytestmark = pytest.mark.tags("infrastructure", "global-settings", "smoke", "disruptive", "multihost")

EXTRA_SERVERS = ("192.0.2.11", "192.0.2.12")


def _server_addresses(cloud, marvin2_config) -> list[str]:
    addresses = [ms.ipaddress for ms in cloud.listManagementServers() or []]
    if len(addresses) < 2 and marvin2_config.has("simulator"):
        addresses += [a for a in EXTRA_SERVERS if a not in addresses]
    if len(addresses) < 2:
        pytest.skip("indirect agent load balancing needs two management servers; this cloud has "
                    f"{len(addresses)}")
    return addresses


def _connections(cloud, zone) -> dict[str, str]:
    """host name -> address of the management server its agent is connected to."""
    servers = {ms.id: ms.ipaddress for ms in cloud.listManagementServers() or []}
    hosts = cloud.listHosts(zoneid=zone.id, type="Routing") or []
    assert len(hosts) >= 2, "the zone needs two hosts to spread"
    return {h.name: servers.get(h.managementserverid) for h in hosts}


def _wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what} within {timeout}s"
        time.sleep(0.5)


@pytest.mark.serial
def test_agents_spread_over_the_management_servers(cloud, zone, global_settings, marvin2_config):
    addresses = _server_addresses(cloud, marvin2_config)
    global_settings.set("indirect.agent.lb.check.interval", "1")
    global_settings.set("host", ",".join(addresses))
    global_settings.set("indirect.agent.lb.algorithm", "roundrobin")

    listed = cloud.listManagementServers() or []
    assert {ms.ipaddress for ms in listed} >= set(addresses)
    assert all(ms.state == "Up" for ms in listed if ms.ipaddress in addresses)

    spread = _wait_for(lambda: (c := _connections(cloud, zone)) and len(set(c.values())) >= 2 and c,
                       60, "round robin spreads the hosts over at least two management servers")
    assert set(spread.values()) <= set(addresses)

    global_settings.set("indirect.agent.lb.algorithm", "static")
    together = _wait_for(lambda: (c := _connections(cloud, zone)) and set(c.values()) == {addresses[0]} and c,
                         60, "static moves every agent to the first management server of the list")
    assert len(together) == len(spread)
