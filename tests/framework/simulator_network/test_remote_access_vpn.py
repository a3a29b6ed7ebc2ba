"""Remote-access VPN and VPN users: life cycle, states, ranges, limits and errors (4.20 texts)."""
from __future__ import annotations

import re

import pytest
from netclient import new_user


def _ensure_setting(sim, admin, name: str, value: str, **scope) -> None:
    """Set a setting through updateConfiguration (seeding its row first when this simulator's seed lacks it)."""
    with sim.store.transaction():
        if sim.store.get("configuration", name) is None:
            from marvin2.simulator import facts
            known = facts.settings()[name]
            sim.store.insert("configuration", {"id": name, "name": name, "value": known.default,
                                               "category": known.category, "description": ""})
    admin.ok("updateConfiguration", name=name, value=value, **scope)


@pytest.fixture(scope="module")
def owner(admin):
    return new_user(admin, "vpn")


@pytest.fixture(scope="module")
def vpn_ip(owner, admin, cloud):
    """An implemented isolated network of ``owner`` (a VM runs on it) and an extra public IP on it."""
    network = owner.ok("createNetwork", name="vpnnet", displaytext="vpnnet", zoneid=cloud["zone"]["id"],
                       networkofferingid=cloud["offerings"]["DefaultIsolatedNetworkOfferingWithSourceNatService"]["id"])["network"]
    owner.run("deployVirtualMachine", zoneid=cloud["zone"]["id"], templateid=cloud["template"]["id"],
              serviceofferingid=cloud["small"]["id"], networkids=[network["id"]])
    ip = owner.run("associateIpAddress", networkid=network["id"])["ipaddress"]
    return {"network": network, "ip": ip}


def test_vpn_life_cycle_with_users(owner, vpn_ip):
    ip, network = vpn_ip["ip"], vpn_ip["network"]
    started = owner.start("createRemoteAccessVpn", publicipid=ip["id"])
    assert set(started) == {"id", "jobid"}
    vpn = owner.wait(started["jobid"])["jobresult"]["remoteaccessvpn"]
    assert vpn["id"] == started["id"] and vpn["state"] == "Running"
    assert vpn["publicipid"] == ip["id"] and vpn["publicip"] == ip["ipaddress"]
    # The first address of the default client range is the server's; clients get the rest.
    assert vpn["iprange"] == "10.1.2.2-10.1.2.8"
    assert re.fullmatch(r"[A-Za-z0-9]{24}", vpn["presharedkey"])
    assert vpn["account"] == owner.account["name"] and vpn["fordisplay"] is True

    listed = owner.items("listRemoteAccessVpns", "remoteaccessvpn", networkid=network["id"])
    assert [v["id"] for v in listed] == [vpn["id"]]
    assert owner.items("listRemoteAccessVpns", "remoteaccessvpn", publicipid=ip["id"])[0]["id"] == vpn["id"]

    updated = owner.run("updateRemoteAccessVpn", id=vpn["id"], fordisplay=False)["remoteaccessvpn"]
    assert updated["fordisplay"] is False
    assert owner.items("listRemoteAccessVpns", "remoteaccessvpn", fordisplay=False)[0]["id"] == vpn["id"]
    assert owner.items("listRemoteAccessVpns", "remoteaccessvpn", fordisplay=True) == []

    user = owner.run("addVpnUser", username="alice", password="s3cret")["vpnuser"]
    assert user["username"] == "alice" and user["state"] == "Active" and "password" not in user
    users = owner.items("listVpnUsers", "vpnuser")
    assert [(u["username"], u["state"]) for u in users] == [("alice", "Active")]
    assert owner.items("listVpnUsers", "vpnuser", keyword="lic")[0]["id"] == user["id"]
    assert owner.items("listVpnUsers", "vpnuser", username="bob") == []

    assert owner.run("removeVpnUser", username="alice")["success"] is True
    assert owner.items("listVpnUsers", "vpnuser") == []

    assert owner.run("deleteRemoteAccessVpn", publicipid=ip["id"])["success"] is True
    assert owner.items("listRemoteAccessVpns", "remoteaccessvpn") == []
    again = owner.run("createRemoteAccessVpn", publicipid=ip["id"], iprange="10.9.0.1-10.9.0.20")["remoteaccessvpn"]
    assert again["id"] != vpn["id"] and again["iprange"] == "10.9.0.2-10.9.0.20"
    owner.run("deleteRemoteAccessVpn", publicipid=ip["id"])


def test_users_wait_in_add_until_a_vpn_runs(admin):
    client = new_user(admin, "vpnwait")
    assert client.run("addVpnUser", username="carol", password="pw-123")["vpnuser"]["state"] == "Add"
    assert client.run("addVpnUser", username="dave", password="pw-456")["vpnuser"]["state"] == "Add"
    # Without a VPN a removed user goes at once.
    client.run("removeVpnUser", username="dave")
    assert [(u["username"], u["state"]) for u in client.items("listVpnUsers", "vpnuser")] == [("carol", "Add")]


def test_users_become_active_when_the_vpn_starts(admin, cloud):
    client = new_user(admin, "vpnlater")
    client.run("addVpnUser", username="erin", password="pw-789")
    network = client.ok("createNetwork", name="n", displaytext="n", zoneid=cloud["zone"]["id"],
                        networkofferingid=cloud["offerings"]["DefaultIsolatedNetworkOfferingWithSourceNatService"]["id"])["network"]
    client.run("deployVirtualMachine", zoneid=cloud["zone"]["id"], templateid=cloud["template"]["id"],
               serviceofferingid=cloud["small"]["id"], networkids=[network["id"]])
    ip = client.items("listPublicIpAddresses", "publicipaddress", associatednetworkid=network["id"])[0]
    assert ip["issourcenat"] is True
    client.run("createRemoteAccessVpn", publicipid=ip["id"])
    assert client.items("listVpnUsers", "vpnuser")[0]["state"] == "Active"


def test_vpn_goes_with_its_public_ip(admin, cloud):
    client = new_user(admin, "vpnrelease")
    network = client.ok("createNetwork", name="n", displaytext="n", zoneid=cloud["zone"]["id"],
                        networkofferingid=cloud["offerings"]["DefaultIsolatedNetworkOfferingWithSourceNatService"]["id"])["network"]
    client.run("associateIpAddress", networkid=network["id"])           # the source NAT address
    ip = client.run("associateIpAddress", networkid=network["id"])["ipaddress"]
    client.run("createRemoteAccessVpn", publicipid=ip["id"])
    assert len(client.items("listRemoteAccessVpns", "remoteaccessvpn")) == 1
    client.run("disassociateIpAddress", id=ip["id"])
    assert client.items("listRemoteAccessVpns", "remoteaccessvpn") == []


def test_client_range_errors_and_setting(sim, admin, owner, vpn_ip, cloud):
    ip = vpn_ip["ip"]
    cases = {
        "10.1.2.1": "IP range [10.1.2.1] is an invalid IP range.",
        "10.1.2.1-10.1.2.300": "One or both IPs sets in the range [10.1.2.1-10.1.2.300] are invalid IPs.",
        "10.1.2.9-10.1.2.1": "Range of IPs [10.1.2.9-10.1.2.1] is invalid.",
    }
    for bad, text in cases.items():
        assert owner.error("createRemoteAccessVpn", publicipid=ip["id"], iprange=bad)[2] == text
    cidr = vpn_ip["network"]["cidr"]
    import ipaddress
    net = ipaddress.IPv4Network(cidr)
    inside = f"{net.network_address + 5}-{net.network_address + 9}"
    assert owner.error("createRemoteAccessVpn", publicipid=ip["id"], iprange=inside)[2] == \
        f"Invalid ip range: {inside} overlaps with guest ip range {net.network_address}-{net.broadcast_address}"
    # The owner's account-scoped client range is the default.
    _ensure_setting(sim, admin, "remote.access.vpn.client.iprange", "172.30.0.1-172.30.0.50",
                    accountid=owner.account["id"])
    try:
        vpn = owner.run("createRemoteAccessVpn", publicipid=ip["id"])["remoteaccessvpn"]
        assert vpn["iprange"] == "172.30.0.2-172.30.0.50"
        code, _, text = owner.error("createRemoteAccessVpn", publicipid=ip["id"])
        assert code == 431 and text == f"A remote Access VPN already exists for the public IP address [{ip['ipaddress']}]."
        owner.run("deleteRemoteAccessVpn", publicipid=ip["id"])
    finally:
        admin.ok("updateConfiguration", name="remote.access.vpn.client.iprange", value="10.1.2.1-10.1.2.8",
                 accountid=owner.account["id"])


def test_vpn_permission_and_lookup_errors(admin, owner, user_b, vpn_ip):
    ip = vpn_ip["ip"]
    code, _, text = user_b.error("createRemoteAccessVpn", publicipid=ip["id"])
    assert code == 531 and "does not have permission" in text
    code, _, text = user_b.error("createRemoteAccessVpn")
    assert code == 431 and "publicipid" in text
    code, _, text = owner.error("deleteRemoteAccessVpn", publicipid=ip["id"])
    assert (code, text) == (431, "The specified public ip is not allocated to any account")
    code, _, text = owner.error("updateRemoteAccessVpn", id="8a2b0e5c-0000-4000-8000-000000000000")
    assert (code, text) == (431, "The specified id is invalid")
    vpn = owner.run("createRemoteAccessVpn", publicipid=ip["id"])["remoteaccessvpn"]
    try:
        assert user_b.error("deleteRemoteAccessVpn", publicipid=ip["id"])[0] == 531
        assert user_b.error("updateRemoteAccessVpn", id=vpn["id"], fordisplay=False)[0] == 531
        assert user_b.items("listRemoteAccessVpns", "remoteaccessvpn") == []
        assert user_b.error("listRemoteAccessVpns", publicipid=ip["id"])[0] == 531
        assert vpn["id"] in {v["id"] for v in admin.items("listRemoteAccessVpns", "remoteaccessvpn", listall=True)}
    finally:
        owner.run("deleteRemoteAccessVpn", publicipid=ip["id"])


def test_vpn_user_errors_and_limit(sim, admin):
    client = new_user(admin, "vpnusers")
    code, _, text = client.error("addVpnUser", username="x", password="pw-123")
    assert code == 431 and text.startswith("Username [x] is invalid. Username has to begin with an alphabet")
    code, _, text = client.error("addVpnUser", username="frank", password="p w")
    assert text == "Password has to be 3-32 characters including alphabets, numbers and the set '@+=.-_'"
    client.run("addVpnUser", username="frank", password="pw-123")
    code, _, text = client.error("addVpnUser", username="frank", password="pw-123")
    assert code == 431 and text.startswith("VPN User with name frank is already added for account Account [")
    code, _, text = client.error("removeVpnUser", username="nobody")
    assert code == 431 and text.startswith("Could not find VPN user=[nobody]. VPN owner=[Account [")
    _ensure_setting(sim, admin, "remote.access.vpn.user.limit", "2")
    try:
        client.run("addVpnUser", username="grace", password="pw-123")
        code, _, text = client.error("addVpnUser", username="heidi", password="pw-123")
        assert code == 532 and text.startswith("Cannot add more than [2] remote access VPN users to Account [")
    finally:
        admin.ok("updateConfiguration", name="remote.access.vpn.user.limit", value="8")
    # An admin acts for the account; another user may not.
    admin.run("addVpnUser", username="ivan", password="pw-123", account=client.account["name"],
              domainid=client.account["domainid"])
    assert {u["username"] for u in client.items("listVpnUsers", "vpnuser")} == {"frank", "grace", "ivan"}
    other = new_user(admin, "vpnother")
    assert other.error("addVpnUser", username="judy", password="pw-123", account=client.account["name"],
                       domainid=client.account["domainid"])[0] == 531
    assert other.items("listVpnUsers", "vpnuser") == []
