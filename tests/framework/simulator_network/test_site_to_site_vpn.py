"""Site-to-site VPN: VPN gateways, customer gateways, connections; states, limits and 4.20 texts."""
from __future__ import annotations

import pytest
from netclient import new_user

IKE, ESP = "aes128-sha1;modp1536", "aes128-sha1"


@pytest.fixture(scope="module")
def owner(admin):
    return new_user(admin, "s2s")


def _vpc(client, cloud, cidr: str) -> dict:
    return client.run("createVPC", name="s2svpc", displaytext="s2s", cidr=cidr,
                      vpcofferingid=cloud["vpc_offering"]["id"], zoneid=cloud["zone"]["id"])["vpc"]


def _customer(client, **params) -> dict:
    base = {"gateway": "203.0.113.10", "cidrlist": "172.16.10.0/24", "ipsecpsk": "secret-psk", "ikepolicy": IKE,
            "esppolicy": ESP}
    return client.run("createVpnCustomerGateway", **{**base, **params})["vpncustomergateway"]


def test_site_to_site_life_cycle(owner, cloud):
    vpc = _vpc(owner, cloud, "10.200.0.0/16")
    started = owner.start("createVpnGateway", vpcid=vpc["id"])
    assert set(started) == {"id", "jobid"}
    gateway = owner.wait(started["jobid"])["jobresult"]["vpngateway"]
    source_nat = owner.items("listPublicIpAddresses", "publicipaddress", vpcid=vpc["id"], issourcenat=True)[0]
    assert gateway["vpcid"] == vpc["id"] and gateway["publicip"] == source_nat["ipaddress"]
    assert [g["id"] for g in owner.items("listVpnGateways", "vpngateway", vpcid=vpc["id"])] == [gateway["id"]]

    customer = _customer(owner)
    assert customer["name"] == "VPN-203.0.113.10" and customer["ikelifetime"] == 86400 and customer["esplifetime"] == 3600
    assert (customer["dpd"], customer["forceencap"], customer["ikeversion"]) == (False, False, "ike")
    assert [c["id"] for c in owner.items("listVpnCustomerGateways", "vpncustomergateway")] == [customer["id"]]

    started = owner.start("createVpnConnection", s2svpngatewayid=gateway["id"], s2scustomergatewayid=customer["id"])
    assert set(started) == {"id", "jobid"}
    answer = owner.wait(started["jobid"])["jobresult"]["vpnconnection"]
    assert answer["state"] == "Connecting" and answer["publicip"] == gateway["publicip"]
    listed = owner.items("listVpnConnections", "vpnconnection", vpcid=vpc["id"])
    assert [(c["id"], c["state"], c["gateway"], c["cidrlist"]) for c in listed] == \
        [(answer["id"], "Connected", "203.0.113.10", "172.16.10.0/24")]

    reset = owner.run("resetVpnConnection", id=answer["id"])["vpnconnection"]
    assert reset["state"] == "Connected"
    assert owner.run("updateVpnConnection", id=answer["id"], fordisplay=False)["vpnconnection"]["fordisplay"] is False
    updated = owner.run("updateVpnCustomerGateway", id=customer["id"], name="peer", gateway="vpn.example.com",
                        cidrlist="172.16.20.0/24", ipsecpsk="other", ikepolicy=IKE, esppolicy=ESP, dpd=True)
    assert (updated["vpncustomergateway"]["name"], updated["vpncustomergateway"]["dpd"]) == ("peer", True)
    assert owner.items("listVpnConnections", "vpnconnection", id=answer["id"])[0]["cidrlist"] == "172.16.20.0/24"

    code, text = owner.run_fails("deleteVpnCustomerGateway", id=customer["id"])
    assert code == 431 and text.startswith("Unable to delete VPN customer gateway Site2SiteCustomerGateway {")
    code, text = owner.run_fails("deleteVpnGateway", id=gateway["id"])
    assert code == 431 and text.endswith("because there is still related VPN connections!")

    assert owner.run("deleteVpnConnection", id=answer["id"])["success"] is True
    assert owner.items("listVpnConnections", "vpnconnection") == []
    assert owner.run("deleteVpnCustomerGateway", id=customer["id"])["success"] is True
    assert owner.run("deleteVpnGateway", id=gateway["id"])["success"] is True
    assert owner.items("listVpnGateways", "vpngateway") == []
    assert owner.items("listVpnCustomerGateways", "vpncustomergateway") == []


def test_passive_connection_waits_disconnected(owner, cloud):
    vpc = _vpc(owner, cloud, "10.201.0.0/16")
    gateway = owner.run("createVpnGateway", vpcid=vpc["id"])["vpngateway"]
    customer = _customer(owner, name="passive-peer", cidrlist="172.17.0.0/24")
    conn = owner.run("createVpnConnection", s2svpngatewayid=gateway["id"], s2scustomergatewayid=customer["id"],
                     passive=True)["vpnconnection"]
    assert conn["state"] == "Disconnected" and conn["passive"] is True
    assert owner.items("listVpnConnections", "vpnconnection", id=conn["id"])[0]["state"] == "Disconnected"
    code, _, text = owner.error("createVpnGateway", vpcid=vpc["id"])
    assert code == 431 and text.startswith('The VPN gateway of VPC VPC {"id":') and text.endswith("already existed!")
    code, _, text = owner.error("createVpnConnection", s2svpngatewayid=gateway["id"], s2scustomergatewayid=customer["id"])
    assert code == 431 and text.startswith("The vpn connection with customer gateway Site2SiteCustomerGateway {")
    overlapping = _customer(owner, name="overlap", cidrlist="172.17.0.128/25")
    code, _, text = owner.error("createVpnConnection", s2svpngatewayid=gateway["id"],
                                s2scustomergatewayid=overlapping["id"])
    assert text == ("The new connection's remote subnet 172.17.0.128/25 is overlapped with existed VPN connection to "
                    "customer gateway passive-peer's subnet 172.17.0.0/24")
    inside = _customer(owner, name="inside", cidrlist="10.201.5.0/24")
    code, _, text = owner.error("createVpnConnection", s2svpngatewayid=gateway["id"], s2scustomergatewayid=inside["id"])
    assert code == 431 and text.endswith("subnet 10.201.5.0/24 is overlapped with VPC cidr 10.201.0.0/16!")


def test_customer_gateway_checks(owner):
    base = {"gateway": "203.0.113.20", "cidrlist": "172.18.0.0/24", "ipsecpsk": "k", "ikepolicy": IKE, "esppolicy": ESP}
    cases = [
        ({"gateway": "not a host!"}, "The customer gateway ip/Domain not a host! is invalid!"),
        ({"cidrlist": "172.18.0.0"}, "The customer gateway peer cidr list 172.18.0.0 contains an invalid cidr!"),
        ({"ikepolicy": "aes128-sha1"}, ("The customer gateway IKE policy aes128-sha1 is invalid!  Verify the required "
                                       "Diffie Hellman (DH) group is specified.")),
        ({"esppolicy": "blowfish-sha1"}, "The customer gateway ESP policy blowfish-sha1 is invalid!"),
        ({"ikelifetime": 86401}, "The IKE lifetime 86401 of vpn connection is invalid!"),
        ({"esplifetime": 90000}, "The ESP lifetime 90000 of vpn connection is invalid!"),
        ({"cidrlist": "172.18.0.0/24,172.18.0.0/25"}, ("The subnet of customer gateway 172.18.0.0/24 is overlapped with "
                                                      "another subnet 172.18.0.0/25 of customer gateway!")),
    ]
    for params, text in cases:
        code, _, got = owner.error("createVpnCustomerGateway", **{**base, **params})
        assert (code, got) == (431, text), params
    made = owner.run("createVpnCustomerGateway", name="dup", **base)["vpncustomergateway"]
    code, _, text = owner.error("createVpnCustomerGateway", name="dup", **base)
    assert text == "The customer gateway with name dup already existed!"
    code, text = owner.run_fails("updateVpnCustomerGateway", id=made["id"], **{**base, "esppolicy": "aes128-md4"})
    assert (code, text) == (431, "The customer gateway ESP policyaes128-md4 is invalid!")
    owner.run("deleteVpnCustomerGateway", id=made["id"])


def test_other_accounts_and_cross_account_connections(owner, user_b, admin, cloud):
    vpc = _vpc(owner, cloud, "10.202.0.0/16")
    gateway = owner.run("createVpnGateway", vpcid=vpc["id"])["vpngateway"]
    foreign = _customer(user_b, name="foreign")
    assert user_b.error("createVpnGateway", vpcid=vpc["id"])[0] == 531
    assert user_b.error("createVpnConnection", s2svpngatewayid=gateway["id"], s2scustomergatewayid=foreign["id"])[0] == 531
    code, _, text = admin.error("createVpnConnection", s2svpngatewayid=gateway["id"], s2scustomergatewayid=foreign["id"])
    assert (code, text) == (431, ("VPN connection can only be established between same account's VPN gateway and "
                                 "customer gateway!"))
    code, _ = user_b.run_fails("deleteVpnGateway", id=gateway["id"])
    assert code == 531
    assert user_b.items("listVpnGateways", "vpngateway") == []
    assert gateway["id"] in {g["id"] for g in admin.items("listVpnGateways", "vpngateway", listall=True)}


def test_vpc_and_account_deletion_take_their_vpn_objects(admin, cloud):
    client = new_user(admin, "s2sgone")
    vpc = _vpc(client, cloud, "10.203.0.0/16")
    gateway = client.run("createVpnGateway", vpcid=vpc["id"])["vpngateway"]
    customer = _customer(client, name="gone-peer")
    client.run("createVpnConnection", s2svpngatewayid=gateway["id"], s2scustomergatewayid=customer["id"])
    client.run("deleteVPC", id=vpc["id"])
    assert client.items("listVpnGateways", "vpngateway") == []
    assert client.items("listVpnConnections", "vpnconnection") == []
    assert [c["id"] for c in client.items("listVpnCustomerGateways", "vpncustomergateway")] == [customer["id"]]
    client.run("addVpnUser", username="gone-user", password="pw-123")
    admin.run("deleteAccount", id=client.account["id"])
    listed = admin.items("listVpnCustomerGateways", "vpncustomergateway", listall=True)
    assert customer["id"] not in {c["id"] for c in listed}
    assert "gone-user" not in {u["username"] for u in admin.items("listVpnUsers", "vpnuser", listall=True)}
