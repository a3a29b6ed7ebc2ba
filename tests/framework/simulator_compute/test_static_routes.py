"""VPC static routes through private gateways: life cycle, CIDR rules, conflicts, ownership."""
from __future__ import annotations

import pytest
from compute_client import unique


@pytest.fixture(scope="module")
def gateway(admin, user, catalog) -> dict:
    offering = admin.items("listVPCOfferings", "vpcoffering", name="Default VPC offering")[0]
    vpc = user.run("createVPC", name=unique("vpc"), displaytext="v", cidr="10.70.0.0/16",
                   zoneid=catalog["zone"]["id"], vpcofferingid=offering["id"])["vpc"]
    return admin.run("createPrivateGateway", vpcid=vpc["id"], gateway="172.40.0.1", ipaddress="172.40.0.5",
                     netmask="255.255.255.0", vlan="720")["privategateway"]


def test_static_route_life_cycle(user, gateway):
    answer = user.ok("createStaticRoute", gatewayid=gateway["id"], cidr="192.168.50.0/24")
    route = user.wait(answer["jobid"])["jobresult"]["staticroute"]
    assert route["id"] == answer["id"]
    assert (route["state"], route["cidr"], route["vpcid"], route["gatewayid"]) == \
        ("Active", "192.168.50.0/24", gateway["vpcid"], gateway["id"])
    assert route["account"] == user.account["name"]
    listed = user.items("listStaticRoutes", "staticroute", gatewayid=gateway["id"])
    assert [r["id"] for r in listed] == [route["id"]]
    user.run("createTags", resourcetype="StaticRoute", resourceids=route["id"], tags=[{"key": "k", "value": "v"}])
    assert [r["id"] for r in user.items("listStaticRoutes", "staticroute", tags=[{"key": "k", "value": "v"}])] \
        == [route["id"]]
    assert user.run("deleteStaticRoute", id=route["id"])["success"] is True
    assert user.items("listStaticRoutes", "staticroute", vpcid=gateway["vpcid"]) == []


def test_static_route_rules(user, other_user, gateway):
    kept = user.run("createStaticRoute", gatewayid=gateway["id"], cidr="192.168.60.0/24")["staticroute"]
    cases = (("192.168.60.128/25", 537, (f"New static route cidr conflicts with existing route "
                                        f"StaticRoute[{kept['id']}|192.168.60.0/24|{gateway['id']}]")),
             ("10.70.5.0/24", 431, "CIDR should be outside of VPC cidr 10.70.0.0/16"),
             ("169.254.10.0/24", 431, "CIDR should be outside of link local cidr 169.254.0.0/16"),
             ("192.168.61.1", 431, "Invalid format for cidr 192.168.61.1"))
    for cidr, code, text in cases:
        assert user.error("createStaticRoute", gatewayid=gateway["id"], cidr=cidr) == (code, text)
    code, _ = other_user.error("createStaticRoute", gatewayid=gateway["id"], cidr="192.168.70.0/24")
    assert code == 531
    code, _ = other_user.error("deleteStaticRoute", id=kept["id"])
    assert code == 531
    assert other_user.items("listStaticRoutes", "staticroute") == []
    code, text = user.error("createStaticRoute", gatewayid=gateway["id"])
    assert code == 431 and "missing parameter cidr" in text
    user.run("deleteStaticRoute", id=kept["id"])
