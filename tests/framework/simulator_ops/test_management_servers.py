"""listManagementServers and indirect agent load balancing: the ``host`` setting lists the management
servers, listHosts names the one each host's agent is connected to, and the algorithm spreads them as
IndirectAgentLBServiceImpl does (static / roundrobin / shuffle; check interval moves agents later)."""
from __future__ import annotations

import time

import pytest

from marvin2.simulator.services import agent_lb

THREE = "10.1.0.1,10.1.0.2,10.1.0.3"


def _set(admin, name, value, **scope):
    admin.ok("updateConfiguration", name=name, value=value, **scope)


def _connections(admin) -> list[tuple[str, str]]:
    names = {m["id"]: m["ipaddress"] for m in admin.items("listManagementServers", "managementserver")}
    hosts = sorted(admin.items("listHosts", "host", type="Routing"), key=lambda h: h["name"])
    return [(h["name"], names[h["managementserverid"]]) for h in hosts]


@pytest.fixture(autouse=True)
def _restore(admin):
    yield
    _set(admin, "host", "127.0.0.1")
    _set(admin, "indirect.agent.lb.algorithm", "static")
    _set(admin, "indirect.agent.lb.check.interval", "0")
    _connections(admin)       # the simulator propagates a settings change when it next looks at the agents


def test_the_simulator_is_one_management_server(admin):
    servers = admin.items("listManagementServers", "managementserver")
    assert len(servers) == 1
    ms = servers[0]
    assert (ms["state"], ms["version"], ms["ipaddress"], ms["serviceip"]) == ("Up", "4.20.2.0", "127.0.0.1", "127.0.0.1")
    assert ms["name"] and ms["lastserverstart"]
    assert admin.items("listManagementServers", "managementserver", id=ms["id"])[0]["name"] == ms["name"]
    assert admin.items("listManagementServers", "managementserver", name="no-such") == []
    hosts = admin.items("listHosts", "host", type="Routing")
    assert hosts and {h["managementserverid"] for h in hosts} == {ms["id"]}


def test_host_setting_lists_the_servers_and_peers(admin):
    first = admin.items("listManagementServers", "managementserver")[0]["id"]
    _set(admin, "host", THREE)
    servers = admin.items("listManagementServers", "managementserver", peers=True)
    assert [s["ipaddress"] for s in servers] == THREE.split(",")
    assert {s["state"] for s in servers} == {"Up"}
    assert [p["peerserviceip"] for p in servers[0]["peers"]] == ["10.1.0.2", "10.1.0.3"]
    _set(admin, "host", "127.0.0.1")
    assert admin.items("listManagementServers", "managementserver")[0]["id"] == first   # ids are stable


def test_static_connects_every_agent_to_the_first_server(admin):
    _set(admin, "host", THREE)
    assert {ms for _, ms in _connections(admin)} == {"10.1.0.1"}


def test_roundrobin_rotates_by_host_position(admin):
    _set(admin, "host", THREE)
    _set(admin, "indirect.agent.lb.algorithm", "roundrobin")
    # the seed's four hosts in id (creation) order: c0.h0, c0.h1, c1.h0, c1.h1
    assert _connections(admin) == [("SimulatedAgent.c0.h0", "10.1.0.1"), ("SimulatedAgent.c0.h1", "10.1.0.2"),
                                   ("SimulatedAgent.c1.h0", "10.1.0.3"), ("SimulatedAgent.c1.h1", "10.1.0.1")]


def test_agents_stay_until_the_check_interval_moves_them(admin):
    _set(admin, "host", THREE)
    _set(admin, "indirect.agent.lb.algorithm", "roundrobin")
    spread = _connections(admin)
    _set(admin, "indirect.agent.lb.algorithm", "static")          # new lists; interval 0: nobody moves
    assert _connections(admin) == spread
    _set(admin, "indirect.agent.lb.check.interval", "1")
    _set(admin, "indirect.agent.lb.algorithm", "roundrobin")
    _set(admin, "indirect.agent.lb.algorithm", "static")
    deadline = time.monotonic() + 5
    while {ms for _, ms in _connections(admin)} != {"10.1.0.1"}:
        assert time.monotonic() < deadline, f"agents never moved to their preferred server: {_connections(admin)}"
        time.sleep(0.2)


def test_removed_server_drops_its_agents(admin):
    _set(admin, "host", THREE)
    _set(admin, "indirect.agent.lb.algorithm", "roundrobin")
    _connections(admin)
    _set(admin, "host", "10.1.0.2,10.1.0.3")
    assert {ms for _, ms in _connections(admin)} <= {"10.1.0.2", "10.1.0.3"}


def test_shuffle_gives_every_agent_a_permutation_that_stays():
    lists = [agent_lb.sort_ms_list("shuffle", ["a", "b", "c"], [], None) for _ in range(50)]
    assert all(sorted(lst) == ["a", "b", "c"] for lst in lists)
    assert len({tuple(lst) for lst in lists}) > 1


def test_shuffle_connections_are_stable_between_lists(admin):
    _set(admin, "host", THREE)
    _set(admin, "indirect.agent.lb.algorithm", "shuffle")
    first = _connections(admin)
    assert {ms for _, ms in first} <= set(THREE.split(","))
    assert _connections(admin) == first


def test_roundrobin_sort_matches_the_java_algorithm():
    ms = ["m1", "m2", "m3"]
    assert agent_lb.sort_ms_list("roundrobin", ms, ["h1", "h2", "h3", "h4"], "h4") == ["m1", "m2", "m3"]
    assert agent_lb.sort_ms_list("roundrobin", ms, ["h1", "h2"], "h2") == ["m2", "m3", "m1"]
    assert agent_lb.sort_ms_list("roundrobin", ms, ["h1", "h2"], None) == ["m3", "m1", "m2"]   # a new host goes last
    assert agent_lb.sort_ms_list("roundrobin", ["m1"], ["h1", "h2"], "h2") == ["m1"]


def test_errors(admin, user):
    assert "Invalid" in admin.error("updateConfiguration", 431, name="indirect.agent.lb.algorithm", value="fastest")
    assert "host" in admin.error("updateConfiguration", 431, name="host", value="10.0.0.1,,10.0.0.2")
    assert "does not exist or is not available" in user.error("listManagementServers", 432)
    assert "id" in admin.error("listManagementServers", 431, id="not-a-uuid")
