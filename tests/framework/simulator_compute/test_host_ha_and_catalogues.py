"""Host HA (provider, enable/disable at host, cluster and zone level) and the infrastructure catalogue reads."""
from __future__ import annotations

import base64
import hashlib
import hmac

import pytest


@pytest.fixture(scope="module")
def host(admin, catalog) -> dict:
    return admin.items("listHosts", "host", zoneid=catalog["zone"]["id"], type="Routing")[0]


def _ha(admin, host_id) -> dict:
    return admin.items("listHostHAResources", "hostha", hostid=host_id)[0]


def test_host_ha_life_cycle(admin, host):
    assert admin.items("listHostHAProviders", "haprovider", hypervisor="Simulator") == \
        [{"haprovider": "SimulatorHAProvider"}]
    assert admin.items("listHostHAResources", "hostha", hostid=host["id"]) == []
    code, text = admin.failed("enableHAForHost", hostid=host["id"])
    assert (code, text) == (431, f"HAProvider is not provided for the resource [{host['id']}], failing configuration.")

    configured = admin.run("configureHAForHost", hostid=host["id"], provider="SimulatorHAProvider")["hostha"]
    assert configured == {"hostid": host["id"], "haprovider": "simulatorhaprovider"}
    assert _ha(admin, host["id"]) == {"hostid": host["id"], "haenable": False, "hastate": "Disabled",
                                       "haprovider": "simulatorhaprovider"}
    enabled = admin.run("enableHAForHost", hostid=host["id"])["hostha"]
    assert enabled["haenable"] is True and enabled["status"] is True
    assert _ha(admin, host["id"])["hastate"] == "Available"

    assert admin.run("disableHAForCluster", clusterid=host["clusterid"])["ha"]["success"] is True
    assert _ha(admin, host["id"])["hastate"] == "Ineligible"
    admin.run("enableHAForCluster", clusterid=host["clusterid"])
    admin.run("disableHAForZone", zoneid=host["zoneid"])
    assert _ha(admin, host["id"])["hastate"] == "Ineligible"
    admin.run("enableHAForZone", zoneid=host["zoneid"])
    assert _ha(admin, host["id"])["hastate"] == "Available"

    admin.run("disableHAForHost", hostid=host["id"])
    assert _ha(admin, host["id"])["haenable"] is False and _ha(admin, host["id"])["hastate"] == "Disabled"


def test_host_ha_errors(admin, user, host):
    code, text = admin.failed("configureHAForHost", hostid=host["id"], provider="NoSuchProvider")
    assert (code, text) == (530, "Given HA provider [NoSuchProvider] does not exist.")
    code, text = admin.failed("configureHAForHost", hostid=host["id"], provider="KVMHAProvider")
    assert (code, text) == (431, (f"Incompatible haprovider provided [KVM] for the resource [{host['id']}] of "
                                 f"hypervisor type: [Simulator]."))
    code, text = admin.error("listHostHAProviders", hypervisor="XenServer")
    assert (code, text) == (431, ("Invalid or unsupported host hypervisor type provided. Supported types are: "
                                 "[KVM, Simulator, Unknown]"))
    code, text = admin.error("configureHAForHost", hostid=host["id"])
    assert code == 431 and "missing parameter provider" in text
    for command in ("configureHAForHost", "enableHAForHost", "listHostHAResources"):
        code, _ = user.error(command, hostid=host["id"], provider="SimulatorHAProvider")
        assert code == 432


def test_tags_follow_hosts_and_pools(admin, host):
    admin.ok("updateHost", id=host["id"], hosttags="ssd,gpu")
    tags = {(t["hostid"], t["name"]) for t in admin.items("listHostTags", "hosttag")}
    assert {(host["id"], "ssd"), (host["id"], "gpu")} <= tags
    assert [t["name"] for t in admin.items("listHostTags", "hosttag", keyword="gp")] == ["gpu"]
    admin.ok("updateHost", id=host["id"], hosttags="ssd")
    assert (host["id"], "gpu") not in {(t["hostid"], t["name"]) for t in admin.items("listHostTags", "hosttag")}

    pool = admin.ok("createStoragePool", zoneid=host["zoneid"], podid=host["podid"], clusterid=host["clusterid"],
                    name="tagged-pool", url="nfs://10.0.0.1/export/tagged", tags="fast")["storagepool"]
    assert (pool["id"], "fast") in {(t["poolid"], t["name"]) for t in admin.items("listStorageTags", "storagetag")}


def test_fixed_catalogues(admin, user):
    # listStorageProviders / listStorageTags themselves: test_storage_maintenance.py
    code, text = admin.error("listStorageProviders")
    assert code == 431 and "missing parameter type" in text
    planners = [p["name"] for p in admin.items("listDeploymentPlanners", "deploymentPlanner")]
    assert planners[0] == "FirstFitPlanner" and "UserDispersingPlanner" in planners
    assert "Vlan" in [m["name"] for m in admin.items("listNetworkIsolationMethods", "isolationmethod")]
    for command, key in (("listStorageTags", "storagetag"), ("listDeploymentPlanners", "deploymentPlanner")):
        assert user.error(command)[0] == 432


def test_cloud_identifier_is_stable_and_signed_with_the_users_key(admin, user, other_user):
    me = user.account["user"][0]
    first = user.ok("getCloudIdentifier", userid=me["id"])["cloudidentifier"]
    again = user.ok("getCloudIdentifier", userid=me["id"])["cloudidentifier"]
    assert first["cloudidentifier"] == again["cloudidentifier"] and first["cloudidentifier"]
    expected = base64.b64encode(hmac.new(user._secret.encode(), first["cloudidentifier"].encode(),
                                         hashlib.sha1).digest()).decode()
    assert first["signature"] == expected
    assert admin.ok("getCloudIdentifier", userid=me["id"])["cloudidentifier"]["cloudidentifier"] == \
        first["cloudidentifier"]
    code, _ = other_user.error("getCloudIdentifier", userid=me["id"])
    assert code == 531
    code, text = user.error("getCloudIdentifier")
    assert code == 431 and "missing parameter userid" in text


def test_supported_network_services(admin, user):
    services = {s["name"]: s for s in admin.items("listSupportedNetworkServices", "networkservice")}
    assert "Gateway" not in services and {"Dhcp", "SourceNat", "Lb", "SecurityGroup"} <= set(services)
    source_nat = services["SourceNat"]
    assert {"name": "SupportedSourceNatTypes", "canchooseservicecapability": True} in source_nat["capability"]
    assert "VirtualRouter" in [p["name"] for p in source_nat["provider"]]
    assert [p["name"] for p in services["Firewall"]["provider"]] == ["VirtualRouter"]
    only = admin.items("listSupportedNetworkServices", "networkservice", provider="ConfigDrive")
    assert [s["name"] for s in only] == ["UserData"]
    assert [s["name"] for s in admin.items("listSupportedNetworkServices", "networkservice", service="dns")] == ["Dns"]
    assert admin.error("listSupportedNetworkServices", service="Teleport") == (431, "Invalid Network Service=Teleport")
    assert admin.error("listSupportedNetworkServices", provider="Acme") == (431, "Invalid Network Service Provider=Acme")
    assert admin.error("listSupportedNetworkServices", provider="Netscaler") == \
        (431, "Unable to find the Network Element implementing the Service Provider 'Netscaler'")
    assert user.error("listSupportedNetworkServices")[0] == 432


def test_network_protocols(user):
    numbers = {p["index"]: p for p in user.items("listNetworkProtocols", "networkprotocol", option="protocolnumber")}
    assert (numbers[6]["name"], numbers[17]["name"]) == ("TCP", "UDP") and len(numbers) > 100
    icmp = {p["index"]: p for p in user.items("listNetworkProtocols", "networkprotocol", option="IcmpType")}
    assert icmp[8]["description"] == "Echo" and icmp[3]["details"]["3"] == "Port unreachable"
    assert user.error("listNetworkProtocols", option="Colour") == \
        (431, "Option Colour is not supported. Supported values are [ProtocolNumber, IcmpType]")
    code, text = user.error("listNetworkProtocols")
    assert code == 431 and "missing parameter option" in text
